//! Harness for the end-to-end tests: starts real `micro-node` processes on free loopback ports
//! and talks to them over JSON-RPC, as a user would.
//!
//! The tests find the node binary in `MICRO_NODE_BIN` and the `micro` command line in
//! `MICRO_CLI_BIN`, or else beside the test executable in the cargo target dir
//! (`target/debug/micro-node`); `./scripts/test.sh` builds them first.

use std::{
	net::TcpListener,
	path::{Path, PathBuf},
	process::{Child, Command, Output, Stdio},
	sync::Mutex,
	time::{Duration, Instant},
};

use jsonrpsee::{
	core::client::ClientT,
	http_client::{HttpClient, HttpClientBuilder},
	rpc_params,
};
use serde_json::Value;

pub mod chain;
pub mod cli;

/// Boxed error for test helpers.
pub type Error = Box<dyn std::error::Error + Send + Sync>;

/// The path of the `micro-node` binary under test.
pub fn node_binary() -> PathBuf {
	binary("micro-node", "MICRO_NODE_BIN")
}

/// The path of the `micro` command line under test.
pub fn cli_binary() -> PathBuf {
	binary("micro", "MICRO_CLI_BIN")
}

/// Binary `name`: where `variable` points, or beside the test executable.
fn binary(name: &str, variable: &str) -> PathBuf {
	if let Some(path) = std::env::var_os(variable) {
		return PathBuf::from(path);
	}
	// Test executables live in `<target>/<profile>/deps/`; binaries one level up.
	let exe = std::env::current_exe().expect("the test knows its own path");
	let profile_dir = exe.parent().and_then(Path::parent).expect("test exe is in <profile>/deps");
	let path = profile_dir.join(name);
	assert!(
		path.is_file(),
		"{} not found: build it first (`cargo build -p micro-node -p micro-cli`, which \
		 ./scripts/test.sh does) or point {variable} at it",
		path.display()
	);
	path
}

/// Ports the tests hand out: below Linux's ephemeral range (32768 and up), so the kernel never
/// gives one of them to an outgoing connection between the test choosing it and a node binding
/// it, which nodes that take a minute to start (scenarios run side by side) made happen.
const TEST_PORTS: std::ops::Range<u16> = 20_000..32_000;

/// A free TCP port on loopback, never handed out twice by this process. Each test process
/// starts at its own place in [`TEST_PORTS`] (by its pid), so concurrent test runs rarely meet;
/// a port something else holds is skipped.
pub fn free_port() -> u16 {
	use std::sync::atomic::{AtomicU32, Ordering};
	static NEXT: AtomicU32 = AtomicU32::new(u32::MAX);
	let span = u32::from(TEST_PORTS.end - TEST_PORTS.start);
	let _ = NEXT.compare_exchange(
		u32::MAX,
		std::process::id().wrapping_mul(97) % span,
		Ordering::Relaxed,
		Ordering::Relaxed,
	);
	for _ in 0..span {
		let offset = NEXT.fetch_add(1, Ordering::Relaxed) % span;
		let port = TEST_PORTS.start + offset as u16;
		let free = |ip: &str| TcpListener::bind((ip, port)).is_ok();
		if free("127.0.0.1") && free("0.0.0.0") {
			return port;
		}
	}
	panic!("no free port on loopback in {TEST_PORTS:?}")
}

/// Runs `micro-node` with `args` to completion and returns its output.
pub fn run_node_command(args: &[&str]) -> Output {
	Command::new(node_binary())
		.args(args)
		.stdin(Stdio::null())
		.output()
		.expect("micro-node can be started")
}

/// A running `micro-node` process, killed when dropped. Its log is kept in its base path and
/// printed if the test fails while the node is alive.
pub struct TestNode {
	/// Name, for messages.
	pub name: String,
	child: Mutex<Child>,
	/// Port of the JSON-RPC server (HTTP and WebSocket).
	pub rpc_port: u16,
	/// Port of the libp2p listener.
	pub p2p_port: u16,
	/// Port of the MUCP peer's listener.
	pub mucp_port: u16,
	/// Port of the HTTP gateway.
	pub gateway_port: u16,
	base_path: tempfile::TempDir,
	rpc: HttpClient,
}

impl TestNode {
	/// Starts a node with `args` (besides ports, base path and quiet defaults) and waits until
	/// its RPC server answers.
	pub async fn start(name: &str, args: &[&str]) -> Result<Self, Error> {
		Self::start_by(name, &node_binary(), &[], args).await
	}

	/// [`TestNode::start`] through `program` run with `leading` arguments before the node's,
	/// such as `micro server --dev --`.
	pub async fn start_by(
		name: &str,
		program: &Path,
		leading: &[&str],
		args: &[&str],
	) -> Result<Self, Error> {
		let base_path =
			tempfile::Builder::new().prefix(&format!("micro-node-{name}-")).tempdir()?;
		let rpc_port = free_port();
		let p2p_port = free_port();
		let mucp_port = free_port();
		let gateway_port = free_port();
		let light_client_port = free_port();
		// A stable network identity, generated as an operator would before the first start.
		let node_key = base_path.path().join("node-key");
		let generated = run_node_command(&[
			"key",
			"generate-node-key",
			"--file",
			node_key.to_str().ok_or("temp path is not UTF-8")?,
		]);
		if !generated.status.success() {
			return Err(format!(
				"generate-node-key failed: {}",
				String::from_utf8_lossy(&generated.stderr)
			)
			.into());
		}
		let log = std::fs::File::create(base_path.path().join("node.log"))?;
		let child = Command::new(program)
			.args(leading)
			.args(args)
			.arg("--base-path")
			.arg(base_path.path())
			.arg("--node-key-file")
			.arg(&node_key)
			.args(["--rpc-port", &rpc_port.to_string()])
			.args(["--port", &p2p_port.to_string()])
			.args(["--mucp-listen", &format!("/ip4/127.0.0.1/tcp/{mucp_port}")])
			.args(["--gateway", &format!("127.0.0.1:{gateway_port}")])
			.args(["--light-client-port", &light_client_port.to_string()])
			.args(["--no-prometheus", "--no-telemetry", "--no-mdns"])
			.args(["--name", name])
			.stdin(Stdio::null())
			.stdout(log.try_clone()?)
			.stderr(log)
			.spawn()?;
		let rpc = HttpClientBuilder::default()
			.request_timeout(Duration::from_secs(30))
			.build(format!("http://127.0.0.1:{rpc_port}"))?;
		let node = TestNode {
			name: name.into(),
			child: Mutex::new(child),
			rpc_port,
			p2p_port,
			mucp_port,
			gateway_port,
			base_path,
			rpc,
		};
		node.wait_for("RPC server", Duration::from_secs(180), || async {
			node.rpc::<Value>("system_health", rpc_params![]).await.ok()
		})
		.await?;
		// The MUCP worker starts after the RPC server: wait for it too, so a test's first
		// `micro node register` never meets "the MUCP worker is not running".
		if !args.contains(&"--no-mucp") {
			node.wait_for("MUCP worker", Duration::from_secs(180), || async {
				node.rpc::<Value>("micro_identity", rpc_params![]).await.ok()
			})
			.await?;
		}
		Ok(node)
	}

	/// Polls `check` until it yields a value, failing with `what` and the node's log when the
	/// node exits or `timeout` passes first.
	pub async fn wait_for<T, F, Fut>(
		&self,
		what: &str,
		timeout: Duration,
		mut check: F,
	) -> Result<T, Error>
	where
		F: FnMut() -> Fut,
		Fut: std::future::Future<Output = Option<T>>,
	{
		let deadline = Instant::now() + timeout;
		loop {
			let exited = self.child.lock().map_err(|_| "node handle poisoned")?.try_wait()?;
			if let Some(status) = exited {
				return Err(format!(
					"{} exited with {status} while waiting for {what}:\n{}",
					self.name,
					self.log()
				)
				.into());
			}
			if let Some(value) = check().await {
				return Ok(value);
			}
			if Instant::now() > deadline {
				return Err(format!(
					"{}: no {what} within {timeout:?}:\n{}",
					self.name,
					self.log()
				)
				.into());
			}
			tokio::time::sleep(Duration::from_millis(250)).await;
		}
	}

	/// The node's log so far (its last 8 KiB).
	pub fn log(&self) -> String {
		let log =
			std::fs::read_to_string(self.base_path.path().join("node.log")).unwrap_or_default();
		let start = log.len().saturating_sub(8192);
		let start = (start..log.len()).find(|&i| log.is_char_boundary(i)).unwrap_or(log.len());
		log[start..].to_string()
	}

	/// URL of the node's HTTP gateway.
	pub fn gateway_url(&self) -> String {
		format!("http://127.0.0.1:{}", self.gateway_port)
	}

	/// WebSocket URL of the node's RPC server.
	pub fn ws_url(&self) -> String {
		format!("ws://127.0.0.1:{}", self.rpc_port)
	}

	/// Calls a JSON-RPC method.
	pub async fn rpc<T: serde::de::DeserializeOwned>(
		&self,
		method: &str,
		params: jsonrpsee::core::params::ArrayParams,
	) -> Result<T, Error> {
		Ok(self.rpc.request(method, params).await?)
	}

	/// Number of the best block.
	pub async fn best_number(&self) -> Result<u32, Error> {
		let header: Value = self.rpc("chain_getHeader", rpc_params![]).await?;
		parse_block_number(&header)
	}

	/// Number and hash of the last finalized block.
	pub async fn finalized(&self) -> Result<(u32, String), Error> {
		let hash: String = self.rpc("chain_getFinalizedHead", rpc_params![]).await?;
		let header: Value = self.rpc("chain_getHeader", rpc_params![hash.clone()]).await?;
		Ok((parse_block_number(&header)?, hash))
	}

	/// Hash of the block with the given number on the node's best chain.
	pub async fn block_hash(&self, number: u32) -> Result<Option<String>, Error> {
		self.rpc("chain_getBlockHash", rpc_params![number]).await
	}

	/// Waits until the node has finalized at least block `number`; returns the finalized number.
	pub async fn wait_finalized(&self, number: u32, timeout: Duration) -> Result<u32, Error> {
		self.wait_for(&format!("finality of #{number}"), timeout, || async {
			self.finalized().await.ok().map(|(finalized, _)| finalized).filter(|&n| n >= number)
		})
		.await
	}
}

impl Drop for TestNode {
	fn drop(&mut self) {
		if std::thread::panicking() {
			eprintln!("---- log of {} ----\n{}", self.name, self.log());
		}
		if let Ok(child) = self.child.get_mut() {
			let _ = child.kill();
			let _ = child.wait();
		}
	}
}

/// Parses the `number` field (hex) of a header as JSON-RPC returns it.
pub fn parse_block_number(header: &Value) -> Result<u32, Error> {
	let number = header
		.get("number")
		.and_then(Value::as_str)
		.ok_or_else(|| format!("header without a number: {header}"))?;
	Ok(u32::from_str_radix(number.trim_start_matches("0x"), 16)?)
}

/// The workspace root (parent of this crate).
///
/// Starts the four validators of the `local` chain (Alice, Bob, Charlie and Dave), the others
/// booting from Alice; returns them in that order.
pub async fn start_local_network() -> Result<Vec<TestNode>, Error> {
	start_local_network_with(&[]).await
}

/// [`start_local_network`], each node started with `extra` arguments too.
pub async fn start_local_network_with(extra: &[&str]) -> Result<Vec<TestNode>, Error> {
	let mut args = vec!["--chain", "local", "--alice", "--validator"];
	args.extend_from_slice(extra);
	let alice = TestNode::start("alice", &args).await?;
	let peer_id: String = alice.rpc("system_localPeerId", rpc_params![]).await?;
	let bootnode = format!("/ip4/127.0.0.1/tcp/{}/p2p/{peer_id}", alice.p2p_port);
	let mut nodes = vec![alice];
	for name in ["bob", "charlie", "dave"] {
		let flag = format!("--{name}");
		let mut args = vec!["--chain", "local", &flag, "--validator", "--bootnodes", &bootnode];
		args.extend_from_slice(extra);
		nodes.push(TestNode::start(name, &args).await?);
	}
	Ok(nodes)
}

/// `cargo test` sets `CARGO_MANIFEST_DIR` when it runs a test, and that is the checkout being
/// tested. The path compiled in is only a fallback: one target dir serves every checkout on a
/// machine, so a test binary built in another checkout (CI's clone, say) may be reused here.
pub fn workspace_root() -> PathBuf {
	let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR")
		.map(PathBuf::from)
		.unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")));
	manifest_dir.parent().expect("tests/ is in the workspace").into()
}
