//! MUCP beside NATS on loopback, in one run, at the same message sizes.
//!
//! - **Call**: a client calls an echo endpoint on another peer: round-trip latency (p50, p99)
//!   over sequential calls, and calls per second with many in flight. NATS: request-reply to
//!   a subscriber that echoes.
//! - **Publish**: one publisher, one subscriber on another peer: messages per second from the
//!   first publish until the subscriber holds the last. NATS: publish to one subscriber.
//!
//! Needs `nats-server` on the `PATH` (Debian's `nats-server` package). Run with
//! `cargo bench -p mucp-offchain --bench versus_nats`; `BENCH_QUICK=1` runs a tenth of the
//! iterations.

use std::{
	net::TcpListener,
	process::{Child, Command, Stdio},
	sync::Arc,
	time::{Duration, Instant},
};

use futures::StreamExt;
use mucp_offchain::{
	peer::{Peer, PeerConfig, Service},
	registry::Endpoint,
};

/// Body sizes compared, in bytes.
const SIZES: [usize; 2] = [128, 4096];
/// Calls in flight in the throughput runs.
const IN_FLIGHT: usize = 64;

struct Counts {
	sequential_calls: usize,
	concurrent_calls: usize,
	messages: usize,
}

fn counts() -> Counts {
	let scale = if std::env::var_os("BENCH_QUICK").is_some() { 10 } else { 1 };
	Counts {
		sequential_calls: 5_000 / scale,
		concurrent_calls: 20_000 / scale,
		messages: 50_000 / scale,
	}
}

/// What one system measured at one size.
#[derive(Clone, Copy, Debug)]
struct Figures {
	p50: Duration,
	p99: Duration,
	calls_per_second: f64,
	messages_per_second: f64,
}

fn percentile(sorted: &[Duration], fraction: f64) -> Duration {
	let index = ((sorted.len() as f64 - 1.0) * fraction).round() as usize;
	sorted[index]
}

/// Runs `sequential` calls one after another, then `concurrent` with [`IN_FLIGHT`] at once.
async fn measure_calls<F, Fut>(call: F, counts: &Counts) -> (Duration, Duration, f64)
where
	F: Fn() -> Fut + Send + Sync + 'static,
	Fut: std::future::Future<Output = ()> + Send,
{
	for _ in 0..200 {
		call().await;
	}
	let mut latencies = Vec::with_capacity(counts.sequential_calls);
	for _ in 0..counts.sequential_calls {
		let start = Instant::now();
		call().await;
		latencies.push(start.elapsed());
	}
	latencies.sort();
	let call = Arc::new(call);
	let per_worker = counts.concurrent_calls / IN_FLIGHT;
	let start = Instant::now();
	let workers: Vec<_> = (0..IN_FLIGHT)
		.map(|_| {
			let call = call.clone();
			async move {
				for _ in 0..per_worker {
					call().await;
				}
			}
		})
		.collect();
	futures::future::join_all(workers).await;
	let rate = (per_worker * IN_FLIGHT) as f64 / start.elapsed().as_secs_f64();
	(percentile(&latencies, 0.5), percentile(&latencies, 0.99), rate)
}

async fn mucp(size: usize, counts: &Counts) -> Figures {
	let dir = tempfile::tempdir().expect("a temporary directory");
	let mut server_config = PeerConfig::new(dir.path().join("server.redb"));
	server_config.call_timeout = Duration::from_secs(30);
	// No chain here: the two peers believe each other.
	server_config.authority = mucp_offchain::authority::trust_all();
	let server = Peer::start(server_config).await.expect("the server peer starts");
	let mut client_config = PeerConfig::new(dir.path().join("client.redb"));
	client_config.bootstrap = server.addresses();
	client_config.call_timeout = Duration::from_secs(30);
	client_config.authority = mucp_offchain::authority::trust_all();
	let client = Arc::new(Peer::start(client_config).await.expect("the client peer starts"));
	server
		.serve(
			Service::new("echo", "1.0.0")
				.call(Endpoint::new("Echo.Call", "Bytes", "Bytes"), |request| async move {
					Ok(request.body)
				}),
		)
		.expect("echo is served");
	while client.service("echo").is_empty() {
		tokio::time::sleep(Duration::from_millis(20)).await;
	}
	let body = vec![0x0a_u8; size];
	let caller = client.clone();
	let (p50, p99, calls_per_second) = measure_calls(
		move || {
			let caller = caller.clone();
			let body = body.clone();
			async move {
				let reply = caller.call("echo", "Echo.Call", body).await.expect("echo answers");
				assert_eq!(reply.body.len(), size);
			}
		},
		counts,
	)
	.await;

	let topic = format!("bench-{size}");
	let mut subscription = server.subscribe(&topic, None).expect("subscribed");
	while client.listeners(&topic).await.is_empty() {
		tokio::time::sleep(Duration::from_millis(20)).await;
	}
	let payload = vec![0x0a_u8; size];
	let start = Instant::now();
	let receiving = async {
		for _ in 0..counts.messages {
			let delivery = subscription.next().await.expect("a delivery");
			subscription.ack(&delivery).expect("acknowledged");
		}
		start.elapsed()
	};
	let publishing = async {
		for _ in 0..counts.messages {
			client.publish(&topic, payload.clone()).await.expect("published");
		}
	};
	let (elapsed, ()) = tokio::join!(receiving, publishing);
	let messages_per_second = counts.messages as f64 / elapsed.as_secs_f64();
	drop(subscription);
	Figures { p50, p99, calls_per_second, messages_per_second }
}

struct NatsServer(Child);

impl Drop for NatsServer {
	fn drop(&mut self) {
		let _ = self.0.kill();
		let _ = self.0.wait();
	}
}

fn start_nats() -> Option<(NatsServer, String)> {
	let port = TcpListener::bind("127.0.0.1:0").ok()?.local_addr().ok()?.port();
	let child = Command::new("nats-server")
		.args(["-a", "127.0.0.1", "-p", &port.to_string()])
		.stdout(Stdio::null())
		.stderr(Stdio::null())
		.spawn()
		.ok()?;
	let server = NatsServer(child);
	let address = format!("127.0.0.1:{port}");
	for _ in 0..100 {
		if std::net::TcpStream::connect(&address).is_ok() {
			return Some((server, format!("nats://{address}")));
		}
		std::thread::sleep(Duration::from_millis(50));
	}
	None
}

async fn nats(url: &str, size: usize, counts: &Counts) -> Figures {
	let responder = async_nats::connect(url).await.expect("nats connects");
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
	let requester = async_nats::connect(url).await.expect("nats connects");
	let body = bytes_of(size);
	let (p50, p99, calls_per_second) = measure_calls(
		move || {
			let requester = requester.clone();
			let subject = subject.clone();
			let body = body.clone();
			async move {
				let reply = requester.request(subject, body).await.expect("echo answers");
				assert_eq!(reply.payload.len(), size);
			}
		},
		counts,
	)
	.await;
	answering.abort();

	let subscriber = async_nats::connect(url).await.expect("nats connects");
	let topic = format!("bench-{size}");
	let mut subscription = subscriber.subscribe(topic.clone()).await.expect("subscribed");
	subscriber.flush().await.expect("flushed");
	let publisher = async_nats::connect(url).await.expect("nats connects");
	let payload = bytes_of(size);
	let start = Instant::now();
	let receiving = async {
		for _ in 0..counts.messages {
			subscription.next().await.expect("a message");
		}
		start.elapsed()
	};
	let publishing = async {
		for _ in 0..counts.messages {
			publisher.publish(topic.clone(), payload.clone()).await.expect("published");
		}
		publisher.flush().await.expect("flushed");
	};
	let (elapsed, ()) = tokio::join!(receiving, publishing);
	Figures {
		p50,
		p99,
		calls_per_second,
		messages_per_second: counts.messages as f64 / elapsed.as_secs_f64(),
	}
}

fn bytes_of(size: usize) -> bytes::Bytes {
	vec![0x0a_u8; size].into()
}

fn micros(duration: Duration) -> f64 {
	duration.as_secs_f64() * 1e6
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
	let Some((_nats, url)) = start_nats() else {
		eprintln!("nats-server is not on the PATH: install it (apt-get install nats-server)");
		std::process::exit(1);
	};
	let counts = counts();
	println!(
		"MUCP (libp2p, 2 peers) beside NATS {} on loopback; {} sequential calls, {} calls {} in \
		 flight, {} messages published",
		nats_version(),
		counts.sequential_calls,
		counts.concurrent_calls,
		IN_FLIGHT,
		counts.messages
	);
	println!(
		"{:>6} | {:>22} | {:>22} | {:>22} | {:>22}",
		"size",
		"call p50 µs (×NATS)",
		"call p99 µs (×NATS)",
		"calls/s (×NATS)",
		"publish msg/s (×NATS)"
	);
	for size in SIZES {
		let ours = mucp(size, &counts).await;
		let theirs = nats(&url, size, &counts).await;
		let cell = |ours: f64, theirs: f64| format!("{ours:>10.0} ({:>6.2}×)", ours / theirs);
		println!(
			"{:>6} | {:>22} | {:>22} | {:>22} | {:>22}",
			size,
			cell(micros(ours.p50), micros(theirs.p50)),
			cell(micros(ours.p99), micros(theirs.p99)),
			cell(ours.calls_per_second, theirs.calls_per_second),
			cell(ours.messages_per_second, theirs.messages_per_second),
		);
		println!(
			"{:>6} | NATS: p50 {:.0} µs, p99 {:.0} µs, {:.0} calls/s, {:.0} msg/s",
			"",
			micros(theirs.p50),
			micros(theirs.p99),
			theirs.calls_per_second,
			theirs.messages_per_second
		);
	}
	println!("(× is MUCP over NATS: above 1 means slower for latency, faster for rates)");
}

fn nats_version() -> String {
	Command::new("nats-server")
		.arg("--version")
		.output()
		.ok()
		.and_then(|out| String::from_utf8(out.stdout).ok())
		.map(|v| v.trim().to_owned())
		.unwrap_or_default()
}
