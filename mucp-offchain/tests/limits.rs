//! Abuse of the worker's limits, as a stranger would try it (issue 17, "Limits everywhere" and
//! "Faults"): slowloris clients on the gateway, bodies that never finish, more connections
//! than the gateway or the peer serves, a peer flooding another with calls and streams, a
//! guest asking the host for 2 GiB, and a corrupt inbox and ledger on disk.

use std::{
	net::SocketAddr,
	sync::Arc,
	time::{Duration, Instant},
};

use mucp_offchain::{
	gateway::{Gateway, GatewayConfig},
	peer::{Peer, PeerConfig, Service},
	registry::Endpoint,
};
use tokio::{
	io::{AsyncReadExt, AsyncWriteExt},
	net::TcpStream,
};

fn echo() -> Service {
	Service::new("echo", "1").call(
		Endpoint::new("Echo.Call", "Bytes", "Bytes"),
		|request| async move { Ok(request.body) },
	)
}

async fn gateway(dir: &tempfile::TempDir, config: GatewayConfig) -> (Arc<Peer>, Gateway) {
	let peer =
		Arc::new(Peer::start(PeerConfig::new(dir.path().join("broker.redb"))).await.unwrap());
	peer.serve(echo()).unwrap();
	let config = GatewayConfig { listen: "127.0.0.1:0".parse().unwrap(), ..config };
	let gateway = Gateway::start(peer.clone(), config).await.unwrap();
	(peer, gateway)
}

/// A complete call, sent at once; returns the whole answer.
async fn normal_call(address: SocketAddr) -> String {
	let mut stream = TcpStream::connect(address).await.unwrap();
	let body = r#"{"a":1}"#;
	let request = format!(
		"POST /echo/Echo.Call HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\
		 Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
		body.len()
	);
	stream.write_all(request.as_bytes()).await.unwrap();
	let mut answer = String::new();
	stream.read_to_string(&mut answer).await.unwrap();
	answer
}

/// Waits until the server closes `stream` (end of stream or a reset); returns how long that
/// took from `since`, or `None` if it is still open at `deadline`.
async fn closed_by_server(
	stream: &mut tokio::net::tcp::OwnedReadHalf,
	since: Instant,
	deadline: Duration,
) -> Option<Duration> {
	let mut buffer = [0u8; 1024];
	loop {
		let left = deadline.checked_sub(since.elapsed())?;
		match tokio::time::timeout(left, stream.read(&mut buffer)).await {
			Err(_) => return None,
			Ok(Ok(0)) | Ok(Err(_)) => return Some(since.elapsed()),
			// A 408 the server may send before closing.
			Ok(Ok(_)) => continue,
		}
	}
}

/// Opens a connection that sends a request head one byte at a time, every `pace`, forever.
async fn slowloris(address: SocketAddr, pace: Duration) -> tokio::net::tcp::OwnedReadHalf {
	let (read, mut write) = TcpStream::connect(address).await.unwrap().into_split();
	tokio::spawn(async move {
		let head = b"POST /echo/Echo.Call HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ".to_vec();
		for byte in head.into_iter().chain(std::iter::repeat(b'a')) {
			if write.write_all(&[byte]).await.is_err() {
				return;
			}
			tokio::time::sleep(pace).await;
		}
	});
	read
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slowloris_client_is_cut_off_and_does_not_stop_others_being_served() {
	let dir = tempfile::tempdir().unwrap();
	let config = GatewayConfig {
		header_timeout: Duration::from_secs(2),
		max_connections: 8,
		..GatewayConfig::default()
	};
	let (_peer, gateway) = gateway(&dir, config).await;
	let address = gateway.address();
	let started = Instant::now();
	let mut trickling = Vec::new();
	for _ in 0..3 {
		trickling.push(slowloris(address, Duration::from_millis(500)).await);
	}
	// One that connects and never sends a byte.
	let (mut silent, _silent_write) = TcpStream::connect(address).await.unwrap().into_split();

	let answer = tokio::time::timeout(Duration::from_secs(1), normal_call(address))
		.await
		.expect("a normal client is served while the slow ones hang on");
	assert!(answer.starts_with("HTTP/1.1 200 OK\r\n"), "{answer}");
	assert!(answer.ends_with(r#"{"a":1}"#), "{answer}");

	for (i, stream) in trickling.iter_mut().chain([&mut silent]).enumerate() {
		let closed = closed_by_server(stream, started, Duration::from_secs(6)).await;
		let closed = closed.unwrap_or_else(|| panic!("connection {i} still open after 6 s"));
		assert!(closed >= Duration::from_millis(1500), "connection {i} closed early: {closed:?}");
	}
	let answer = normal_call(address).await;
	assert!(answer.starts_with("HTTP/1.1 200 OK\r\n"), "{answer}");
	gateway.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_that_never_finishes_gets_408_within_the_body_timeout() {
	let dir = tempfile::tempdir().unwrap();
	let config = GatewayConfig { body_timeout: Duration::from_secs(1), ..GatewayConfig::default() };
	let (_peer, gateway) = gateway(&dir, config).await;
	let mut stream = TcpStream::connect(gateway.address()).await.unwrap();
	let started = Instant::now();
	stream
		.write_all(
			b"POST /echo/Echo.Call HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\
			  Content-Length: 100\r\n\r\n{\"a\":",
		)
		.await
		.unwrap();
	let mut answer = vec![0u8; 4096];
	let read = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut answer))
		.await
		.expect("an answer within the body timeout")
		.unwrap();
	let answer = String::from_utf8_lossy(&answer[..read]).into_owned();
	assert!(answer.starts_with("HTTP/1.1 408 Request Timeout\r\n"), "{answer}");
	assert!(answer.contains("the body did not arrive within 1s"), "{answer}");
	assert!(started.elapsed() >= Duration::from_millis(900));
	gateway.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_past_the_cap_wait_until_a_slot_frees() {
	let dir = tempfile::tempdir().unwrap();
	let config = GatewayConfig {
		header_timeout: Duration::from_secs(1),
		max_connections: 2,
		..GatewayConfig::default()
	};
	let (_peer, gateway) = gateway(&dir, config).await;
	let address = gateway.address();
	let started = Instant::now();
	let _held =
		[TcpStream::connect(address).await.unwrap(), TcpStream::connect(address).await.unwrap()];
	// Both slots are taken by clients that send nothing: the third is served once the header
	// timeout has closed one of them, not before and not never.
	let answer = tokio::time::timeout(Duration::from_secs(5), normal_call(address))
		.await
		.expect("served once a slot frees");
	assert!(answer.starts_with("HTTP/1.1 200 OK\r\n"), "{answer}");
	assert!(started.elapsed() >= Duration::from_millis(900), "{:?}", started.elapsed());
	gateway.shutdown().await;
}

/// Waits until `check` holds, polling; panics with `what` after 20 s.
async fn eventually<F, Fut>(what: &str, mut check: F)
where
	F: FnMut() -> Fut,
	Fut: std::future::Future<Output = bool>,
{
	let deadline = Instant::now() + Duration::from_secs(20);
	while !check().await {
		assert!(Instant::now() < deadline, "timed out waiting until {what}");
		tokio::time::sleep(Duration::from_millis(20)).await;
	}
}

fn peer_config(dir: &tempfile::TempDir, name: &str, bootstrap: &[&Peer]) -> PeerConfig {
	let mut config = PeerConfig::new(dir.path().join(format!("{name}.redb")));
	config.bootstrap = bootstrap.iter().flat_map(|peer| peer.addresses()).collect();
	// Loopback peers with no chain: believe each other's announcements.
	config.authority = mucp_offchain::authority::trust_all();
	config
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_flooding_calls_gets_429_past_its_budget_and_the_rest_are_served() {
	use std::sync::atomic::{AtomicUsize, Ordering};
	let dir = tempfile::tempdir().unwrap();
	let mut config = peer_config(&dir, "server", &[]);
	config.max_inbound_per_peer = 4;
	let server = Peer::start(config).await.unwrap();
	let (gate, started) = (Arc::new(tokio::sync::Semaphore::new(0)), Arc::new(AtomicUsize::new(0)));
	let (held, counted) = (gate.clone(), started.clone());
	server
		.serve(Service::new("held", "1").call(
			Endpoint::new("Held.Call", "Bytes", "Bytes"),
			move |request| {
				let (held, counted) = (held.clone(), counted.clone());
				async move {
					counted.fetch_add(1, Ordering::SeqCst);
					held.acquire().await.expect("open").forget();
					Ok(request.body)
				}
			},
		))
		.unwrap();
	let flooder = Arc::new(Peer::start(peer_config(&dir, "flooder", &[&server])).await.unwrap());
	eventually("the flooder sees the held service", || {
		let seen = !flooder.service("held").is_empty();
		async move { seen }
	})
	.await;
	let calls: Vec<_> = (0..7)
		.map(|i| {
			let flooder = flooder.clone();
			tokio::spawn(async move {
				let options = mucp_offchain::peer::CallOptions {
					timeout: Duration::from_secs(15),
					retries: 0,
				};
				let request = mucp_offchain::protocol::Message::call(
					&format!("c{i}"),
					"held",
					"Held.Call",
					b"{}".to_vec(),
				);
				flooder.call_with(request, options).await
			})
		})
		.collect();
	eventually("three calls are refused", || {
		let done = calls.iter().filter(|call| call.is_finished()).count();
		async move { done == 3 }
	})
	.await;
	assert_eq!(started.load(Ordering::SeqCst), 4, "only the budget's worth reached the handler");
	gate.add_permits(4);
	let (mut served, mut refused) = (0, Vec::new());
	for call in calls {
		match call.await.unwrap() {
			Ok(reply) => {
				assert_eq!(reply.body, b"{}");
				served += 1;
			}
			Err(error) => refused.push((error.code, error.detail)),
		}
	}
	assert_eq!(served, 4);
	assert_eq!(
		refused,
		vec![(429, "too many calls in flight from this peer: at most 4 at once".to_owned()); 3]
	);
	// The budget is given back: the next call is served.
	gate.add_permits(1);
	assert_eq!(flooder.call("held", "Held.Call", b"{}".to_vec()).await.unwrap().body, b"{}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_past_the_cap_are_refused() {
	let dir = tempfile::tempdir().unwrap();
	let mut config = peer_config(&dir, "server", &[]);
	config.connections.max_established = 1;
	let server = Peer::start(config).await.unwrap();
	let first = Peer::start(peer_config(&dir, "first", &[&server])).await.unwrap();
	eventually("the first peer is connected", || async {
		server.connected().await == vec![first.id()]
	})
	.await;
	let second = Peer::start(peer_config(&dir, "second", &[&server])).await.unwrap();
	// The second's dial is denied: give it the time a dial takes on loopback, many times over.
	let deadline = Instant::now() + Duration::from_secs(3);
	while Instant::now() < deadline {
		assert_eq!(server.connected().await, vec![first.id()], "the cap holds");
		tokio::time::sleep(Duration::from_millis(100)).await;
	}
	// The second may have seen its side of the connection before the server closed it.
	eventually("the second is not connected to the server", || async {
		!second.connected().await.contains(&server.id())
	})
	.await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_opening_streams_past_its_budget_gets_429() {
	let dir = tempfile::tempdir().unwrap();
	let mut config = peer_config(&dir, "server", &[]);
	config.max_inbound_streams_per_peer = 2;
	let server = Peer::start(config).await.unwrap();
	server
		.serve(Service::new("held", "1").stream(
			Endpoint::new("Held.Stream", "Bytes", "Bytes"),
			|_, mut stream| async move {
				while let Some(Ok(message)) = stream.recv().await {
					let _ = stream.send(message.body).await;
				}
			},
		))
		.unwrap();
	let flooder = Peer::start(peer_config(&dir, "flooder", &[&server])).await.unwrap();
	eventually("the flooder sees the held service", || {
		let seen = !flooder.service("held").is_empty();
		async move { seen }
	})
	.await;
	let first = flooder.stream("held", "Held.Stream").await.unwrap();
	let mut second = flooder.stream("held", "Held.Stream").await.unwrap();
	let Err(refused) = flooder.stream("held", "Held.Stream").await else {
		panic!("a third stream opened past the budget of 2");
	};
	assert_eq!(
		(refused.code, refused.detail.as_str()),
		(429, "too many streams open from this peer: at most 2 at once")
	);
	second.send(b"{}".to_vec()).await.unwrap();
	assert_eq!(second.recv().await.unwrap().unwrap().body, b"{}", "the open ones still work");
	drop(first);
	// Once one closes, its slot is given back.
	let deadline = Instant::now() + Duration::from_secs(20);
	loop {
		match flooder.stream("held", "Held.Stream").await {
			Ok(_) => break,
			Err(error) => assert_eq!(error.code, 429, "{error:?}"),
		}
		assert!(Instant::now() < deadline, "no slot was given back");
		tokio::time::sleep(Duration::from_millis(20)).await;
	}
	drop(second);
}

/// The files in `dir` whose names start with `prefix`.
fn named(dir: &std::path::Path, prefix: &str) -> Vec<std::path::PathBuf> {
	std::fs::read_dir(dir)
		.unwrap()
		.map(|entry| entry.unwrap().path())
		.filter(|path| path.file_name().unwrap().to_string_lossy().starts_with(prefix))
		.collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_corrupt_inbox_or_ledger_is_moved_aside_and_the_node_keeps_running() {
	let dir = tempfile::tempdir().unwrap();
	let garbage = b"this was a broker inbox before the disk tore it".repeat(100);
	std::fs::write(dir.path().join("server.redb"), &garbage).unwrap();
	std::fs::write(dir.path().join("usage.redb"), &garbage).unwrap();

	let peer = Peer::start(peer_config(&dir, "server", &[])).await.expect("the peer starts");
	peer.serve(echo()).unwrap();
	assert_eq!(peer.call("echo", "Echo.Call", b"{}".to_vec()).await.unwrap().body, b"{}");
	let published = peer.publish("kept", b"{}".to_vec()).await.unwrap();
	assert_eq!(published, mucp_offchain::broker::Published::Stored, "the fresh inbox stores");
	assert_eq!(peer.inbox_len("kept"), 1);
	let ledger = mucp_offchain::settlement::Ledger::open(&dir.path().join("usage.redb"));
	assert!(ledger.is_ok(), "the ledger opens");

	for name in ["server.redb", "usage.redb"] {
		let aside = named(dir.path(), &format!("{name}.corrupt-"));
		assert_eq!(aside.len(), 1, "{name} moved aside once: {aside:?}");
		assert_eq!(std::fs::read(&aside[0]).unwrap(), garbage, "{name}'s bytes are kept");
	}
}

/// `Hog` asks the host to publish 2 GiB from its 64 KiB of memory; anything else answers `ok`.
const HOG: &str = r#"
(module
  (import "micro" "publish" (func $publish (param i32 i32 i32 i32) (result i32)))
  (import "micro" "respond" (func $respond (param i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "ok")
  (func (export "micro_abi_version") (result i32) (i32.const 1))
  (func (export "micro_alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "micro_handle") (param i32 i32 i32 i32 i32) (result i32)
    (if (i32.eq (local.get 1) (i32.const 3))
      (then (drop (call $publish (i32.const 16) (i32.const 2) (i32.const 0) (i32.const 0x7fffffff)))))
    (call $respond (i32.const 16) (i32.const 2))
    (i32.const 0)))
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_guest_asking_the_host_for_2_gib_fails_alone_and_the_node_keeps_serving() {
	use mucp_offchain::{
		executor::{Deployment, Executor, ExecutorConfig},
		hosting::{wasm_service, PeerHost},
	};
	let dir = tempfile::tempdir().unwrap();
	let peer = Arc::new(Peer::start(peer_config(&dir, "node", &[])).await.unwrap());
	let executor = Arc::new(Executor::new(ExecutorConfig::default()).unwrap());
	let hash = executor.load(&wat::parse_str(HOG).unwrap(), None).unwrap();
	let host = Arc::new(PeerHost::new(&peer, tokio::runtime::Handle::current()));
	let deployment = Arc::new(Deployment::new("hog", executor, host, 1 << 20));
	deployment.start(1, hash).unwrap();
	let endpoints = ["Hog", "Ok"].map(|name| Endpoint::new(name, "Request", "Response")).to_vec();
	peer.serve(wasm_service(deployment, "1", endpoints)).unwrap();

	let error = peer.call("hog", "Hog", b"{}".to_vec()).await.unwrap_err();
	assert_eq!(
		(error.code, error.detail.as_str()),
		(
			500,
			"the service failed: the guest passed 2147483647 bytes where the host allows at most \
			 4194304"
		)
	);
	assert_eq!(peer.call("hog", "Ok", b"{}".to_vec()).await.unwrap().body, b"ok");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_refused_for_the_callers_budget_is_served_by_another_node() {
	let dir = tempfile::tempdir().unwrap();
	// Refuses every call from a peer with a 429: none is ever served there.
	let mut config = peer_config(&dir, "busy", &[]);
	config.max_inbound_per_peer = 0;
	let busy = Peer::start(config).await.unwrap();
	busy.serve(echo()).unwrap();
	let free = Peer::start(peer_config(&dir, "free", &[&busy])).await.unwrap();
	free.serve(echo()).unwrap();
	let caller = Peer::start(peer_config(&dir, "caller", &[&busy, &free])).await.unwrap();
	eventually("the caller sees both nodes of echo", || {
		let nodes: usize = caller.service("echo").iter().map(|s| s.nodes.len()).sum();
		async move { nodes == 2 }
	})
	.await;
	// Whichever node each call tries first, a 429 (not served) sends it to the other.
	for n in 0..4 {
		let options =
			mucp_offchain::peer::CallOptions { timeout: Duration::from_secs(5), retries: 1 };
		let id = format!("call-{n}");
		let request =
			mucp_offchain::protocol::Message::call(&id, "echo", "Echo.Call", b"{}".to_vec());
		let reply = caller.call_with(request, options).await.unwrap();
		assert_eq!(reply.body, b"{}");
	}
}
