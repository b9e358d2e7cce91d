//! NATS's side: a nats-server of its own (plaintext, or TLS with a self-signed certificate
//! made at the start), driven by async-nats clients in this process.

use std::{
	net::TcpListener,
	path::{Path, PathBuf},
	process::{Child, Command, Stdio},
	time::Duration,
};

use futures::StreamExt;

use crate::{
	measure_calls, measure_flow,
	mucp::{fan_out_row, queue_row},
	probe::Probe,
	report::{Figure, Results, System},
	Counts, Tally, FAN_OUT, GROUP_SIZE, QUEUE_GROUP, SIZES,
};

/// The nats-server version line, or empty if it is not installed.
pub fn version() -> String {
	Command::new("nats-server")
		.arg("--version")
		.output()
		.ok()
		.and_then(|out| String::from_utf8(out.stdout).ok())
		.map(|v| v.trim().to_owned())
		.unwrap_or_default()
}

/// A nats-server, killed when dropped.
struct Server {
	child: Child,
	url: String,
	/// The root certificate clients trust, with TLS.
	root: Option<PathBuf>,
}

impl Drop for Server {
	fn drop(&mut self) {
		let _ = self.child.kill();
		let _ = self.child.wait();
	}
}

/// Writes a self-signed certificate for 127.0.0.1 and its key to `dir`.
fn self_signed(dir: &Path) -> (PathBuf, PathBuf) {
	let mut params = rcgen::CertificateParams::new(vec!["localhost".to_owned()]);
	params
		.subject_alt_names
		.push(rcgen::SanType::IpAddress(std::net::IpAddr::from([127, 0, 0, 1])));
	let certificate = rcgen::Certificate::from_params(params).expect("a certificate");
	let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
	std::fs::write(&cert, certificate.serialize_pem().expect("PEM")).expect("written");
	std::fs::write(&key, certificate.serialize_private_key_pem()).expect("written");
	(cert, key)
}

fn start(dir: &Path, tls: bool) -> Server {
	let port = TcpListener::bind("127.0.0.1:0")
		.and_then(|listener| listener.local_addr())
		.expect("a free port")
		.port();
	// Room for a whole publish run (50,000 messages of 4 KiB) waiting for the subscriber, so
	// the server does not cut it off as a slow consumer and drop messages: MUCP's subscribers
	// get the same depth (`subscriber_buffer`).
	let mut config =
		format!("listen: \"127.0.0.1:{port}\"\nmax_pending: 1GB\nwrite_deadline: \"60s\"\n");
	let mut root = None;
	if tls {
		let (cert, key) = self_signed(dir);
		config.push_str(&format!(
			"tls {{\n  cert_file: \"{}\"\n  key_file: \"{}\"\n}}\n",
			cert.display(),
			key.display()
		));
		root = Some(cert);
	}
	let config_path = dir.join(if tls { "tls.conf" } else { "plain.conf" });
	std::fs::write(&config_path, config).expect("the config is written");
	let child = Command::new("nats-server")
		.arg("-c")
		.arg(&config_path)
		.stdout(Stdio::null())
		.stderr(Stdio::null())
		.spawn()
		.expect("nats-server starts");
	let address = format!("127.0.0.1:{port}");
	// Killed and waited for when dropped, a panic included.
	let server = Server { child, url: format!("nats://{address}"), root };
	for _ in 0..100 {
		if std::net::TcpStream::connect(&address).is_ok() {
			return server;
		}
		std::thread::sleep(Duration::from_millis(50));
	}
	panic!("nats-server did not listen on {address}");
}

impl Server {
	async fn connect(&self) -> async_nats::Client {
		// As deep as MUCP's subscriber buffer in this bench (65,536).
		let mut options = async_nats::ConnectOptions::new().subscription_capacity(65_536);
		if let Some(root) = &self.root {
			options = options.require_tls(true).add_root_certificates(root.clone());
		}
		options.connect(self.url.as_str()).await.expect("nats connects")
	}
}

/// Subscribers counting into `tally`.
fn drain(
	subscriptions: Vec<async_nats::Subscriber>,
	tally: &Tally,
) -> Vec<tokio::task::JoinHandle<()>> {
	subscriptions
		.into_iter()
		.map(|mut subscription| {
			let tally = tally.clone();
			tokio::spawn(async move {
				while subscription.next().await.is_some() {
					tally.add();
				}
			})
		})
		.collect()
}

#[allow(clippy::too_many_arguments)]
async fn flow(
	probe: &Probe,
	publisher: &async_nats::Client,
	subject: &str,
	size: usize,
	messages: usize,
	subscriptions: Vec<async_nats::Subscriber>,
	total: usize,
) -> Figure {
	eprintln!("NATS: {subject}, {size} B");
	let tally = Tally::new(total);
	let tasks = drain(subscriptions, &tally);
	let payload: bytes::Bytes = vec![0x0a_u8; size].into();
	let (rate, usage) = measure_flow(probe, messages, &tally, || {
		let (payload, subject) = (payload.clone(), subject.to_owned());
		async move {
			publisher.publish(subject, payload).await.expect("published");
		}
	})
	.await;
	for task in tasks {
		task.abort();
	}
	Figure { value: rate, usage }
}

pub async fn run(counts: &Counts, tls: bool, results: &mut Results) {
	let dir = tempfile::tempdir().expect("a temporary directory");
	let server = start(dir.path(), tls);
	let probe = Probe::new(Some(server.child.id()));
	let system = if tls { System::NatsTls } else { System::Nats };

	let responder = server.connect().await;
	let requester = server.connect().await;
	for size in SIZES {
		let subject = format!("echo-{size}");
		let mut requests = responder.subscribe(subject.clone()).await.expect("subscribed");
		let answering = tokio::spawn({
			let responder = responder.clone();
			async move {
				while let Some(request) = requests.next().await {
					if let Some(reply) = request.reply {
						let _ = responder.publish(reply, request.payload).await;
					}
				}
			}
		});
		responder.flush().await.expect("flushed");
		// The server has the subscription once flushed, yet a request right after it has
		// (rarely) met "no responders": measured only once the echo has answered.
		let mut tries = 0;
		while let Err(error) = requester.request(subject.clone(), "warm".into()).await {
			tries += 1;
			assert!(tries < 100, "the echo never answered: {error}");
			tokio::time::sleep(std::time::Duration::from_millis(10)).await;
		}
		let body: bytes::Bytes = vec![0x0a_u8; size].into();
		let requester = requester.clone();
		let calls = measure_calls(
			&probe,
			move || {
				let (requester, subject, body) = (requester.clone(), subject.clone(), body.clone());
				async move {
					let reply = requester.request(subject, body).await.expect("echo answers");
					assert_eq!(reply.payload.len(), size);
				}
			},
			counts,
		)
		.await;
		answering.abort();
		results.add_calls(system, size, &calls);
	}

	let publisher = server.connect().await;
	let subscriber = server.connect().await;
	for size in SIZES {
		// The same node: the subscriber on the publishing connection.
		let subject = format!("same-{size}");
		let subscription = publisher.subscribe(subject.clone()).await.expect("subscribed");
		publisher.flush().await.expect("flushed");
		let figure = flow(
			&probe,
			&publisher,
			&subject,
			size,
			counts.messages,
			vec![subscription],
			counts.messages,
		)
		.await;
		results.add(&format!("publish msg/s, same node, {size} B"), false, system, figure);

		let subject = format!("other-{size}");
		let subscription = subscriber.subscribe(subject.clone()).await.expect("subscribed");
		subscriber.flush().await.expect("flushed");
		let figure = flow(
			&probe,
			&publisher,
			&subject,
			size,
			counts.messages,
			vec![subscription],
			counts.messages,
		)
		.await;
		results.add(&format!("publish msg/s, other node, {size} B"), false, system, figure);
	}

	let mut subscriptions = Vec::new();
	for _ in 0..FAN_OUT {
		subscriptions.push(subscriber.subscribe("fan-out").await.expect("subscribed"));
	}
	subscriber.flush().await.expect("flushed");
	let messages = counts.messages / FAN_OUT;
	let figure = flow(
		&probe,
		&publisher,
		"fan-out",
		GROUP_SIZE,
		messages,
		subscriptions,
		messages * FAN_OUT,
	)
	.await;
	results.add(&fan_out_row(), false, system, figure);

	let mut subscriptions = Vec::new();
	for _ in 0..QUEUE_GROUP {
		subscriptions.push(
			subscriber
				.queue_subscribe("queue-group", "workers".to_owned())
				.await
				.expect("subscribed"),
		);
	}
	subscriber.flush().await.expect("flushed");
	let figure = flow(
		&probe,
		&publisher,
		"queue-group",
		GROUP_SIZE,
		counts.messages,
		subscriptions,
		counts.messages,
	)
	.await;
	results.add(&queue_row(), false, system, figure);
}
