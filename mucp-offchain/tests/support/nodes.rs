#![allow(dead_code)] // Each includer uses its part.
//! Real MUCP nodes in their own OS processes, so a test can kill one with SIGKILL and start it
//! again on the same store, key and port.
//!
//! The test binary runs itself again (`current_exe() --exact <child test> --ignored`) with
//! `DF_*` variables saying which role to play; [`child_main`] plays it. A publisher appends
//! each id it published (and was told was stored) to `published.log`; a subscriber appends each
//! id it received to `received.log` before acknowledging it. Appends reach the kernel at once,
//! so a SIGKILL loses none of them.

use std::{
	collections::BTreeSet,
	io::Write,
	net::TcpListener,
	path::{Path, PathBuf},
	process::{Child, Command, Stdio},
	time::{Duration, Instant},
};

use mucp_offchain::{
	broker::{BrokerConfig, Published},
	peer::{Keypair, Multiaddr, Peer, PeerConfig, PeerId},
	protocol::Message,
};

/// How long anything that should happen is waited for.
pub const PATIENCE: Duration = Duration::from_secs(90);

/// A node's identity from a one-byte seed, the same on every start.
pub fn keypair(seed: u8) -> Keypair {
	Keypair::ed25519_from_bytes([seed; 32]).expect("32 bytes make an ed25519 key")
}

/// A free TCP port on loopback.
pub fn free_port() -> u16 {
	TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// What a node process is started as.
#[derive(Clone, Debug)]
pub struct Role {
	/// `publisher`, `subscriber` or `relay` (a node that only runs).
	pub kind: &'static str,
	pub seed: u8,
	pub port: u16,
	pub dir: PathBuf,
	pub bootstrap: Vec<Multiaddr>,
	pub topic: String,
	pub queue: Option<String>,
	/// For a publisher: how many messages (ids `m-0`, `m-1`, …).
	pub count: usize,
	/// For a publisher: wait until this many other nodes subscribe before publishing.
	pub listeners: usize,
}

impl Role {
	pub fn new(kind: &'static str, seed: u8, dir: &Path, topic: &str) -> Self {
		let dir = dir.join(format!("node-{seed}"));
		std::fs::create_dir_all(&dir).unwrap();
		Self {
			kind,
			seed,
			port: free_port(),
			dir,
			bootstrap: Vec::new(),
			topic: topic.into(),
			queue: None,
			count: 0,
			listeners: 0,
		}
	}

	pub fn peer_id(&self) -> PeerId {
		keypair(self.seed).public().to_peer_id()
	}

	/// Where this node listens, ending in its peer id.
	pub fn address(&self) -> Multiaddr {
		format!("/ip4/127.0.0.1/tcp/{}/p2p/{}", self.port, self.peer_id()).parse().unwrap()
	}

	/// The ids this node (as a publisher) was told were stored or delivered.
	pub fn published(&self) -> Vec<String> {
		lines(&self.dir.join("published.log"))
	}

	/// The ids this node's subscriber received, in order, duplicates included.
	pub fn received(&self) -> Vec<String> {
		lines(&self.dir.join("received.log"))
	}
}

fn lines(path: &Path) -> Vec<String> {
	let text = std::fs::read_to_string(path).unwrap_or_default();
	// A line cut short by a kill has no newline yet: not counted.
	let complete = text.rfind('\n').map_or("", |end| &text[..end]);
	complete.lines().map(str::to_owned).collect()
}

/// A node process; killed with SIGKILL when dropped.
pub struct Node {
	pub role: Role,
	child: Child,
}

impl Node {
	/// Starts `role` in a new process running `child_test` of this test binary.
	pub fn start(role: &Role, child_test: &str) -> Self {
		let log = std::fs::OpenOptions::new()
			.create(true)
			.append(true)
			.open(role.dir.join("node.log"))
			.unwrap();
		let bootstrap: Vec<String> = role.bootstrap.iter().map(|a| a.to_string()).collect();
		let child = Command::new(std::env::current_exe().unwrap())
			.args(["--exact", child_test, "--nocapture", "--ignored", "--test-threads=1"])
			.env("DF_ROLE", role.kind)
			.env("DF_SEED", role.seed.to_string())
			.env("DF_PORT", role.port.to_string())
			.env("DF_DIR", &role.dir)
			.env("DF_BOOTSTRAP", bootstrap.join(","))
			.env("DF_TOPIC", &role.topic)
			.env("DF_QUEUE", role.queue.clone().unwrap_or_default())
			.env("DF_COUNT", role.count.to_string())
			.env("DF_LISTENERS", role.listeners.to_string())
			.stdin(Stdio::null())
			.stdout(log.try_clone().unwrap())
			.stderr(log)
			.spawn()
			.unwrap();
		Self { role: role.clone(), child }
	}

	/// SIGKILL, and waits for the process to be gone.
	pub fn kill(mut self) {
		self.child.kill().unwrap();
		self.child.wait().unwrap();
	}
}

impl Drop for Node {
	fn drop(&mut self) {
		let _ = self.child.kill();
		let _ = self.child.wait();
	}
}

/// Polls `check` until it holds; panics with `what` (and `detail()`) after [`PATIENCE`].
pub fn eventually(what: &str, mut check: impl FnMut() -> bool, detail: impl Fn() -> String) {
	let deadline = Instant::now() + PATIENCE;
	while !check() {
		assert!(Instant::now() < deadline, "timed out waiting until {what}: {}", detail());
		std::thread::sleep(Duration::from_millis(50));
	}
}

/// The distinct ids in `ids`.
pub fn distinct(ids: &[String]) -> BTreeSet<String> {
	ids.iter().cloned().collect()
}

/// Plays the role the `DF_*` variables describe, forever (until killed); returns at once if
/// there are none (the child test run as an ordinary test).
pub fn child_main() {
	let Ok(kind) = std::env::var("DF_ROLE") else { return };
	let var = |name: &str| std::env::var(name).unwrap_or_default();
	let seed: u8 = var("DF_SEED").parse().unwrap();
	let port: u16 = var("DF_PORT").parse().unwrap();
	let dir = PathBuf::from(var("DF_DIR"));
	let topic = var("DF_TOPIC");
	let queue = Some(var("DF_QUEUE")).filter(|q| !q.is_empty());
	let count: usize = var("DF_COUNT").parse().unwrap_or(0);
	let listeners: usize = var("DF_LISTENERS").parse().unwrap_or(0);
	let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
	runtime.block_on(async move {
		let mut config = PeerConfig::new(dir.join("broker.redb"));
		config.keypair = keypair(seed);
		config.listen = vec![format!("/ip4/127.0.0.1/tcp/{port}").parse().unwrap()];
		config.bootstrap = var("DF_BOOTSTRAP")
			.split(',')
			.filter(|a| !a.is_empty())
			.map(|a| a.parse().unwrap())
			.collect();
		config.registry_ttl = Duration::from_secs(3);
		config.call_timeout = Duration::from_secs(3);
		config.broker = BrokerConfig { ack_timeout: Duration::from_secs(2), ..Default::default() };
		let peer = Peer::start(config).await.expect("the node starts");
		eprintln!("{kind} {} started", peer.id());
		match kind.as_str() {
			"publisher" => {
				let deadline = Instant::now() + PATIENCE;
				while peer.listeners(&topic).await.len() < listeners {
					assert!(Instant::now() < deadline, "no listeners");
					tokio::time::sleep(Duration::from_millis(50)).await;
				}
				let mut log = append(&dir.join("published.log"));
				for n in 0..count {
					let id = format!("m-{n}");
					let message = Message::publish(&id, &topic, format!(r#"{{"n":{n}}}"#));
					match peer.publish_message(message).await {
						Ok(Published::Delivered(_) | Published::Stored) => {
							log.write_all(format!("{id}\n").as_bytes()).unwrap();
						}
						other => panic!("publishing {id}: {other:?}"),
					}
				}
				eprintln!("published {count}");
			}
			"subscriber" => {
				let mut subscription = peer.subscribe(&topic, queue.as_deref()).unwrap();
				let mut log = append(&dir.join("received.log"));
				while let Some(delivery) = subscription.next().await {
					let id = delivery.message.id().unwrap_or_default().to_owned();
					log.write_all(format!("{id}\n").as_bytes()).unwrap();
					subscription.ack(&delivery).unwrap();
				}
			}
			_ => {}
		}
		std::future::pending::<()>().await;
	});
}

fn append(path: &Path) -> std::fs::File {
	std::fs::OpenOptions::new().create(true).append(true).open(path).unwrap()
}
