//! The placement reconciler: brings the services running on a node in line with the versions
//! the chain places on it. Each placed version is built (or taken from the cache) in its own
//! task, checked against the code hash the chain holds as it loads, started beside the others
//! by the next reconciliation, and served through the MUCP peer with the settlement meter in
//! front. Versions no longer placed are retired, services no longer placed withdrawn.
//!
//! It reads no chain: the node reads the placements and hands them over as [`Placed`] values.

use std::{
	collections::{BTreeMap, BTreeSet, HashMap},
	sync::{Arc, Mutex},
};

use micro_primitives::{ServiceId, VersionNumber};
use serde::Serialize;

use super::metered_wasm_service;
use crate::{
	executor::{source::Builder, CodeHash, Deployment, Executor, Host, LogPage},
	hex,
	peer::Peer,
	registry,
	settlement::{BlockNumber, Meter, Priced},
};

/// One version placed on this node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlacedVersion {
	/// Its number.
	pub version: VersionNumber,
	/// Where its code comes from.
	pub repository: String,
	/// The commit: a full hash (the builder refuses tags and branches, which can move).
	pub reference: String,
	/// The hash the built module must have.
	pub code_hash: CodeHash,
	/// Its endpoints, as the registry describes them.
	pub endpoints: Vec<registry::Endpoint>,
}

/// One service placed on this node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Placed {
	/// Its on-chain id.
	pub service: ServiceId,
	/// Its name.
	pub name: String,
	/// API tokens per call.
	pub price_per_call: u128,
	/// An announced price rise: the price, and the block it applies from.
	pub price_rise: Option<(u128, BlockNumber)>,
	/// The versions placed here that are not retired.
	pub versions: Vec<PlacedVersion>,
}

/// What turns a placed version's source into wasm: the [`Builder`] on a node (fetched and
/// built in its sandbox); tests give one that needs no toolchain.
pub trait BuildVersion: Send + Sync + 'static {
	/// The wasm of `version`, built from its repository at its reference. The reconciler
	/// checks it against `version.code_hash` as it loads it.
	fn build_version(&self, version: &PlacedVersion) -> Result<Vec<u8>, String>;
}

impl BuildVersion for Builder {
	fn build_version(&self, version: &PlacedVersion) -> Result<Vec<u8>, String> {
		self.build(&version.repository, &version.reference, Some(version.code_hash))
			.map(|built| built.wasm)
			.map_err(|e| e.to_string())
	}
}

/// What a version is doing on this node, for the RPC and logs.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct VersionState {
	/// The service's name.
	pub service: String,
	/// The version.
	pub version: VersionNumber,
	/// `building`, `running` or `failed`.
	pub state: String,
	/// Why it failed, if it did.
	pub detail: Option<String>,
	/// The code hash the chain holds, hex.
	pub code_hash: String,
	/// Calls it has served since it started here (0 unless running).
	pub calls: u64,
	/// Of those, the ones that failed in the sandbox: trapped, ran past their deadline or
	/// answered 500 (`micro logs` shows why).
	pub failed_calls: u64,
	/// Log lines kept for `micro logs` (at most [`crate::executor::logs::MAX_LINES`]).
	pub log_lines: u64,
	/// Log lines it wrote that were not kept.
	pub logs_dropped: u64,
}

/// The services running on this node and the builds under way.
pub struct Reconciler {
	executor: Arc<Executor>,
	builder: Arc<dyn BuildVersion>,
	host: Arc<dyn Host>,
	meter: Option<Arc<Meter>>,
	running: Mutex<HashMap<String, (Arc<Deployment>, Placed)>>,
	states: Mutex<BTreeMap<(String, VersionNumber), VersionState>>,
	/// Versions whose build failed: not retried until the chain's placement changes.
	failed: Mutex<BTreeSet<(ServiceId, VersionNumber, CodeHash)>>,
	/// Versions whose build task is running or waiting for a turn.
	building: Mutex<BTreeSet<(ServiceId, VersionNumber)>>,
	/// Builds finished since the last reconciliation: the module loaded, or why it failed.
	finished: Mutex<BTreeMap<(ServiceId, VersionNumber), Result<CodeHash, String>>>,
	/// Turns for builds: at most [`PARALLEL_BUILDS`] run at once.
	build_turns: Arc<tokio::sync::Semaphore>,
	reconciling: tokio::sync::Mutex<()>,
}

/// Builds that run at once; more wait their turn in state `building`.
pub const PARALLEL_BUILDS: usize = 2;

/// Storage each version may keep, in bytes.
const STORAGE_LIMIT: usize = 16 * 1024 * 1024;

impl Reconciler {
	/// A reconciler running services in `executor`, building them with `builder`, reaching the
	/// network through `host`. Its services are free until [`Reconciler::metered`].
	pub fn new(
		executor: Arc<Executor>,
		builder: Arc<dyn BuildVersion>,
		host: Arc<dyn Host>,
	) -> Self {
		Self {
			executor,
			builder,
			host,
			meter: None,
			running: Mutex::new(HashMap::new()),
			states: Mutex::new(BTreeMap::new()),
			failed: Mutex::new(BTreeSet::new()),
			building: Mutex::new(BTreeSet::new()),
			finished: Mutex::new(BTreeMap::new()),
			build_turns: Arc::new(tokio::sync::Semaphore::new(PARALLEL_BUILDS)),
			reconciling: tokio::sync::Mutex::new(()),
		}
	}

	/// Serves every service with `meter` in front: calls nobody pays for are refused, and
	/// those answered are counted for settlement.
	pub fn metered(mut self, meter: Arc<Meter>) -> Self {
		self.meter = Some(meter);
		self
	}

	/// Every version's state, with the calls and log lines of those running.
	pub fn states(&self) -> Vec<VersionState> {
		let mut states: Vec<VersionState> =
			self.states.lock().expect("not poisoned").values().cloned().collect();
		let running = self.running.lock().expect("not poisoned");
		for state in &mut states {
			let Some((deployment, _)) = running.get(&state.service) else { continue };
			if let Some(status) = deployment.versions().iter().find(|v| v.version == state.version)
			{
				(state.calls, state.failed_calls) = (status.calls, status.failed_calls);
			}
			if let Some((kept, dropped)) = deployment.logs().counts(state.version) {
				(state.log_lines, state.logs_dropped) = (kept, dropped);
			}
		}
		states
	}

	/// The log lines of `service`'s `version` (of every version it runs here without one)
	/// numbered after `since`, oldest first; why not if it does not run here.
	pub fn logs(
		&self,
		service: &str,
		version: Option<VersionNumber>,
		since: Option<u64>,
	) -> Result<LogPage, String> {
		let deployment = self
			.running
			.lock()
			.expect("not poisoned")
			.get(service)
			.map(|(deployment, _)| deployment.clone())
			.ok_or_else(|| format!("{service} does not run on this node"))?;
		deployment.logs().read(version, since).ok_or_else(|| match version {
			Some(version) => format!("{service} version {version} does not run on this node"),
			None => format!("{service} does not run on this node"),
		})
	}

	fn set_state(&self, name: &str, version: &PlacedVersion, state: &str, detail: Option<String>) {
		self.states.lock().expect("not poisoned").insert(
			(name.to_owned(), version.version),
			VersionState {
				service: name.to_owned(),
				version: version.version,
				state: state.to_owned(),
				detail,
				code_hash: hex::prefixed(&version.code_hash),
				..VersionState::default()
			},
		);
	}

	/// Brings what runs here in line with `placed`: starts the versions whose build finished,
	/// starts builds for new versions (each its own task, so one slow build holds up no other
	/// service's withdrawal, price change or placement), retires versions no longer placed,
	/// and withdraws services no longer placed. It never waits for a build.
	/// One reconciliation runs at a time: a call while one runs returns at once, and the
	/// next block's brings what it missed.
	pub async fn reconcile(self: &Arc<Self>, peer: &Arc<Peer>, placed: Vec<Placed>) {
		let Ok(_one_at_a_time) = self.reconciling.try_lock() else { return };
		let wanted: BTreeSet<String> = placed.iter().map(|p| p.name.clone()).collect();
		let gone: Vec<String> = self
			.running
			.lock()
			.expect("not poisoned")
			.keys()
			.filter(|name| !wanted.contains(*name))
			.cloned()
			.collect();
		for name in gone {
			log::info!(target: "mucp", "service {name} is no longer placed here: withdrawn");
			peer.withdraw(&name);
			self.running.lock().expect("not poisoned").remove(&name);
			self.states.lock().expect("not poisoned").retain(|(service, _), _| *service != name);
		}
		for service in placed {
			self.reconcile_service(peer, service).await;
		}
	}

	async fn reconcile_service(self: &Arc<Self>, peer: &Arc<Peer>, placed: Placed) {
		let deployment = {
			let mut running = self.running.lock().expect("not poisoned");
			let entry = running.entry(placed.name.clone()).or_insert_with(|| {
				let deployment = Deployment::new(
					&placed.name,
					self.executor.clone(),
					self.host.clone(),
					STORAGE_LIMIT,
				);
				(Arc::new(deployment), placed.clone())
			});
			entry.0.clone()
		};
		let started: BTreeSet<VersionNumber> =
			deployment.versions().iter().map(|v| v.version).collect();
		let wanted: BTreeSet<VersionNumber> = placed.versions.iter().map(|v| v.version).collect();
		let mut changed = false;
		for version in started.difference(&wanted) {
			deployment.retire(*version);
			self.states.lock().expect("not poisoned").remove(&(placed.name.clone(), *version));
			changed = true;
		}
		for version in placed.versions.iter().filter(|v| !started.contains(&v.version)) {
			let key = (placed.service, version.version);
			let finished = self.finished.lock().expect("not poisoned").remove(&key);
			if let Some(outcome) = finished {
				match outcome
					.and_then(|hash| deployment.start(version.version, hash).map_err(|e| e.detail))
				{
					Ok(()) => {
						log::info!(target: "mucp", "{} version {} runs", placed.name, version.version);
						self.set_state(&placed.name, version, "running", None);
						changed = true;
					}
					Err(error) => {
						log::warn!(
							target: "mucp",
							"{} version {} failed to deploy: {}",
							placed.name,
							version.version,
							// It may quote the repository's file names: escaped, one line.
							crate::executor::logs::printable(&error)
						);
						self.failed.lock().expect("not poisoned").insert((
							key.0,
							key.1,
							version.code_hash,
						));
						self.set_state(&placed.name, version, "failed", Some(error));
					}
				}
				continue;
			}
			if self.failed.lock().expect("not poisoned").contains(&(
				key.0,
				key.1,
				version.code_hash,
			)) || !self.building.lock().expect("not poisoned").insert(key)
			{
				continue;
			}
			self.set_state(&placed.name, version, "building", None);
			log::info!(
				target: "mucp",
				"building {} version {} from {} at {}",
				placed.name, version.version, version.repository, version.reference
			);
			let (this, source) = (self.clone(), version.clone());
			tokio::spawn(async move {
				let _turn = this.build_turns.clone().acquire_owned().await;
				let (builder, executor) = (this.builder.clone(), this.executor.clone());
				let outcome = tokio::task::spawn_blocking(move || {
					let wasm = builder.build_version(&source)?;
					executor.load(&wasm, Some(source.code_hash)).map_err(|e| e.to_string())
				})
				.await
				.map_err(|e| e.to_string())
				.and_then(|result| result);
				// Finished before no longer building, so no reconciliation starts it twice.
				this.finished.lock().expect("not poisoned").insert(key, outcome);
				this.building.lock().expect("not poisoned").remove(&key);
			});
		}
		let previous =
			self.running.lock().expect("not poisoned").get(&placed.name).map(|(_, p)| p.clone());
		let price_changed = previous.as_ref().is_some_and(|p| {
			(p.price_per_call, p.price_rise) != (placed.price_per_call, placed.price_rise)
		});
		if let Some(entry) = self.running.lock().expect("not poisoned").get_mut(&placed.name) {
			entry.1 = placed.clone();
		}
		let versions = deployment.versions();
		if versions.is_empty() {
			if changed {
				peer.withdraw(&placed.name);
			}
			return;
		}
		let local = peer.id().to_string();
		let served_here =
			peer.service(&placed.name).iter().any(|s| s.nodes.iter().any(|n| n.id == local));
		if changed || price_changed || !served_here {
			let newest = versions.iter().map(|v| v.version).max().unwrap_or_default();
			let endpoints = placed
				.versions
				.iter()
				.find(|v| v.version == newest)
				.map(|v| v.endpoints.clone())
				.unwrap_or_default();
			let priced = Priced {
				service: placed.service,
				price_per_call: placed.price_per_call,
				price_rise: placed.price_rise,
			};
			let service = metered_wasm_service(
				deployment,
				&newest.to_string(),
				endpoints,
				self.meter.clone().map(|meter| (meter, priced)),
			)
			.metadata("service-id", &placed.service.to_string())
			.metadata("price-per-call", &placed.price_per_call.to_string());
			if let Err(error) = peer.serve(service) {
				log::warn!(target: "mucp", "serving {}: {error}", placed.name);
			}
		}
	}
}

#[cfg(test)]
mod tests {
	use std::{
		collections::HashMap,
		sync::Condvar,
		time::{Duration, Instant},
	};

	use super::*;
	use crate::{
		executor::{code_hash, tests::guest, ExecutorConfig, Isolated, VERSION_HEADER},
		peer::PeerConfig,
		protocol::Message,
	};

	/// A builder that needs no toolchain: each reference is a module given up front. Builds of
	/// references on hold wait until [`QuickBuilder::release`].
	#[derive(Default)]
	struct QuickBuilder {
		modules: HashMap<String, Vec<u8>>,
		builds: Mutex<HashMap<String, usize>>,
		held: Mutex<BTreeSet<String>>,
		released: Condvar,
	}

	impl QuickBuilder {
		fn with(mut self, reference: &str, wasm: Vec<u8>) -> Self {
			self.modules.insert(reference.into(), wasm);
			self
		}

		fn hold(self, reference: &str) -> Self {
			self.held.lock().unwrap().insert(reference.into());
			self
		}

		fn release(&self, reference: &str) {
			self.held.lock().unwrap().remove(reference);
			self.released.notify_all();
		}

		fn builds(&self, reference: &str) -> usize {
			self.builds.lock().unwrap().get(reference).copied().unwrap_or(0)
		}
	}

	impl BuildVersion for QuickBuilder {
		fn build_version(&self, version: &PlacedVersion) -> Result<Vec<u8>, String> {
			*self.builds.lock().unwrap().entry(version.reference.clone()).or_default() += 1;
			let held = self.held.lock().unwrap();
			drop(self.released.wait_while(held, |held| held.contains(&version.reference)));
			self.modules.get(&version.reference).cloned().ok_or_else(|| "no such commit".into())
		}
	}

	/// `guest` modules that answer `ok` but differ in their code (so in their hash).
	fn module(variant: usize) -> Vec<u8> {
		guest(&"(nop)".repeat(variant))
	}

	fn version(number: VersionNumber, reference: &str, wasm: &[u8]) -> PlacedVersion {
		PlacedVersion {
			version: number,
			repository: format!("https://example.com/{reference}"),
			reference: reference.into(),
			code_hash: code_hash(wasm),
			endpoints: vec![registry::Endpoint::new("Echo.Call", "Request", "Response")],
		}
	}

	fn placed(service: ServiceId, name: &str, versions: Vec<PlacedVersion>) -> Placed {
		Placed { service, name: name.into(), price_per_call: 0, price_rise: None, versions }
	}

	async fn start(
		dir: &tempfile::TempDir,
		builder: Arc<QuickBuilder>,
	) -> (Arc<Reconciler>, Arc<Peer>) {
		let peer = Arc::new(Peer::start(PeerConfig::new(dir.path().join("b.redb"))).await.unwrap());
		let executor = Arc::new(Executor::new(ExecutorConfig::default()).unwrap());
		(Arc::new(Reconciler::new(executor, builder, Arc::new(Isolated))), peer)
	}

	/// The states, as `(service, version, state)`.
	fn states(reconciler: &Reconciler) -> Vec<(String, VersionNumber, String)> {
		reconciler.states().into_iter().map(|s| (s.service, s.version, s.state)).collect()
	}

	/// Reconciles `placed` (as each new block would) until `done` holds, for at most 10 s.
	async fn reconcile_until(
		reconciler: &Arc<Reconciler>,
		peer: &Arc<Peer>,
		placed: &[Placed],
		done: impl Fn(&[(String, VersionNumber, String)]) -> bool,
	) {
		let deadline = Instant::now() + Duration::from_secs(10);
		loop {
			reconciler.reconcile(peer, placed.to_vec()).await;
			let now = states(reconciler);
			if done(&now) {
				return;
			}
			assert!(Instant::now() < deadline, "not reconciled in time: {now:?}");
			tokio::time::sleep(Duration::from_millis(10)).await;
		}
	}

	fn entry(
		service: &str,
		version: VersionNumber,
		state: &str,
	) -> (String, VersionNumber, String) {
		(service.into(), version, state.into())
	}

	async fn call(peer: &Peer, service: &str, version: Option<&str>) -> Result<Vec<u8>, u16> {
		let mut request = Message::call("t", service, "Echo.Call", b"{}".to_vec());
		if let Some(version) = version {
			request.set(VERSION_HEADER, version);
		}
		peer.call_with(request, peer.call_options())
			.await
			.map(|reply| reply.body)
			.map_err(|e| e.code)
	}

	#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
	async fn a_placed_version_is_built_started_and_served() {
		let dir = tempfile::tempdir().unwrap();
		let wasm = module(0);
		let builder = Arc::new(QuickBuilder::default().with("a", wasm.clone()));
		let (reconciler, peer) = start(&dir, builder.clone()).await;
		let echo = [placed(1, "echo", vec![version(1, "a", &wasm)])];
		reconciler.reconcile(&peer, echo.to_vec()).await;
		// The first reconciliation starts the build and returns without waiting for it.
		assert_eq!(states(&reconciler), [entry("echo", 1, "building")]);
		reconcile_until(&reconciler, &peer, &echo, |s| s == [entry("echo", 1, "running")]).await;
		let state = reconciler.states().remove(0);
		assert_eq!(state.code_hash, hex::prefixed(&code_hash(&wasm)), "0x once, 64 digits");
		assert_eq!(state.code_hash.len(), 66);
		assert_eq!(call(&peer, "echo", None).await, Ok(b"ok".to_vec()));
		reconciler.reconcile(&peer, echo.to_vec()).await;
		assert_eq!(builder.builds("a"), 1, "a running version is not built again");
	}

	#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
	async fn a_module_whose_code_hash_differs_fails_and_is_not_rebuilt() {
		let dir = tempfile::tempdir().unwrap();
		let (wasm, other) = (module(0), module(1));
		let builder = Arc::new(QuickBuilder::default().with("a", wasm.clone()));
		let (reconciler, peer) = start(&dir, builder.clone()).await;
		// The chain holds another module's hash for this version.
		let wrong = [placed(1, "echo", vec![version(1, "a", &other)])];
		reconcile_until(&reconciler, &peer, &wrong, |s| s == [entry("echo", 1, "failed")]).await;
		let detail = reconciler.states().remove(0).detail.unwrap();
		assert_eq!(
			detail,
			format!(
				"the code hash is {}, not the {} recorded for this version",
				hex::prefixed(&code_hash(&wasm)),
				hex::prefixed(&code_hash(&other))
			)
		);
		assert_eq!(call(&peer, "echo", None).await.unwrap_err(), 404, "nothing served");
		for _ in 0..3 {
			reconciler.reconcile(&peer, wrong.to_vec()).await;
		}
		assert_eq!(builder.builds("a"), 1, "a failed build is not retried for the same hash");
		// The placement changes to the right hash: built again, and served.
		let right = [placed(1, "echo", vec![version(1, "a", &wasm)])];
		reconcile_until(&reconciler, &peer, &right, |s| s == [entry("echo", 1, "running")]).await;
		assert_eq!(builder.builds("a"), 2);
		assert_eq!(call(&peer, "echo", None).await, Ok(b"ok".to_vec()));
	}

	#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
	async fn a_slow_build_holds_up_no_other_service() {
		let dir = tempfile::tempdir().unwrap();
		let (slow, fast) = (module(0), module(1));
		let builder = Arc::new(
			QuickBuilder::default()
				.with("slow", slow.clone())
				.with("fast", fast.clone())
				.hold("slow"),
		);
		let (reconciler, peer) = start(&dir, builder.clone()).await;
		let both = [
			placed(1, "slow", vec![version(1, "slow", &slow)]),
			placed(2, "fast", vec![version(1, "fast", &fast)]),
		];
		reconcile_until(&reconciler, &peer, &both, |s| {
			s == [entry("fast", 1, "running"), entry("slow", 1, "building")]
		})
		.await;
		assert_eq!(call(&peer, "fast", None).await, Ok(b"ok".to_vec()));
		builder.release("slow");
		reconcile_until(&reconciler, &peer, &both, |s| {
			s == [entry("fast", 1, "running"), entry("slow", 1, "running")]
		})
		.await;
		assert_eq!(call(&peer, "slow", None).await, Ok(b"ok".to_vec()));
	}

	#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
	async fn versions_no_longer_placed_are_retired_and_services_withdrawn() {
		let dir = tempfile::tempdir().unwrap();
		let (one, two) = (module(0), module(1));
		let builder =
			Arc::new(QuickBuilder::default().with("one", one.clone()).with("two", two.clone()));
		let (reconciler, peer) = start(&dir, builder).await;
		let both = [placed(1, "echo", vec![version(1, "one", &one), version(2, "two", &two)])];
		reconcile_until(&reconciler, &peer, &both, |s| {
			s == [entry("echo", 1, "running"), entry("echo", 2, "running")]
		})
		.await;
		assert_eq!(call(&peer, "echo", Some("1")).await, Ok(b"ok".to_vec()));
		let newer = [placed(1, "echo", vec![version(2, "two", &two)])];
		reconciler.reconcile(&peer, newer.to_vec()).await;
		assert_eq!(states(&reconciler), [entry("echo", 2, "running")]);
		assert_ne!(call(&peer, "echo", Some("1")).await, Ok(b"ok".to_vec()), "1 retired");
		assert_eq!(call(&peer, "echo", Some("2")).await, Ok(b"ok".to_vec()));
		reconciler.reconcile(&peer, Vec::new()).await;
		assert_eq!(states(&reconciler), []);
		let local = peer.id().to_string();
		let served_here =
			peer.service("echo").iter().any(|s| s.nodes.iter().any(|n| n.id == local));
		assert!(!served_here, "withdrawn");
		assert_eq!(call(&peer, "echo", None).await.unwrap_err(), 404);
	}

	#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
	async fn a_running_version_s_log_lines_and_calls_are_read_until_it_is_withdrawn() {
		let dir = tempfile::tempdir().unwrap();
		let wasm = wat::parse_str(crate::executor::logs::tests::LOGGER_WAT).unwrap();
		let builder = Arc::new(QuickBuilder::default().with("l", wasm.clone()));
		let (reconciler, peer) = start(&dir, builder).await;
		let logger = [placed(
			1,
			"logger",
			vec![PlacedVersion {
				endpoints: vec![registry::Endpoint::new("One", "Request", "Response")],
				..version(1, "l", &wasm)
			}],
		)];
		assert_eq!(
			reconciler.logs("logger", None, None).unwrap_err(),
			"logger does not run on this node"
		);
		reconcile_until(&reconciler, &peer, &logger, |s| s == [entry("logger", 1, "running")])
			.await;
		let request = Message::call("t", "logger", "One", b"{}".to_vec());
		let reply = peer.call_with(request, peer.call_options()).await.map(|r| r.body);
		assert_eq!(reply.map_err(|e| e.code), Ok(b"ok".to_vec()));
		let page = reconciler.logs("logger", Some(1), None).unwrap();
		assert_eq!(
			page.lines.iter().map(|l| (l.version, l.text.as_str())).collect::<Vec<_>>(),
			[(1, "hello from wasm")]
		);
		assert_eq!(reconciler.logs("logger", None, Some(page.next)).unwrap().lines, []);
		assert_eq!(
			reconciler.logs("logger", Some(2), None).unwrap_err(),
			"logger version 2 does not run on this node"
		);
		let state = reconciler.states().remove(0);
		assert_eq!(
			(state.calls, state.failed_calls, state.log_lines, state.logs_dropped),
			(1, 0, 1, 0)
		);
		let json = serde_json::to_value(&state).unwrap();
		assert_eq!((json["calls"].as_u64(), json["logLines"].as_u64()), (Some(1), Some(1)));
		reconciler.reconcile(&peer, Vec::new()).await;
		assert_eq!(
			reconciler.logs("logger", None, None).unwrap_err(),
			"logger does not run on this node",
			"withdrawn: its lines are gone"
		);
	}

	/// A text module that answers `ok` to everything.
	const OK_WAT: &str = r#"(module
  (import "micro" "respond" (func $respond (param i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "ok")
  (func (export "micro_abi_version") (result i32) (i32.const 1))
  (func (export "micro_alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "micro_handle") (param i32 i32 i32 i32 i32) (result i32)
    (call $respond (i32.const 16) (i32.const 2))
    (i32.const 0)))"#;

	#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
	async fn the_source_builder_serves_a_wat_placement_from_a_git_repository() {
		let dir = tempfile::tempdir().unwrap();
		let repo = dir.path().join("repo");
		std::fs::create_dir_all(&repo).unwrap();
		std::fs::write(repo.join("service.wat"), OK_WAT).unwrap();
		let git = |args: &[&str]| {
			let output = std::process::Command::new("git")
				.current_dir(&repo)
				.args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
				.args(args)
				.output()
				.unwrap();
			assert!(output.status.success(), "git {args:?}: {output:?}");
			String::from_utf8(output.stdout).unwrap().trim().to_owned()
		};
		git(&["init", "--quiet"]);
		git(&["add", "-A"]);
		git(&["commit", "--quiet", "-m", "wat"]);
		let mut builder = Builder::new(&dir.path().join("builds"));
		builder.allow_local_sources = true;
		let peer = Arc::new(Peer::start(PeerConfig::new(dir.path().join("b.redb"))).await.unwrap());
		let executor = Arc::new(Executor::new(ExecutorConfig::default()).unwrap());
		let reconciler = Arc::new(Reconciler::new(executor, Arc::new(builder), Arc::new(Isolated)));
		let wasm = wat::parse_str(OK_WAT).unwrap();
		let placed = [placed(
			1,
			"echo",
			vec![PlacedVersion {
				repository: format!("file://{}", repo.display()),
				reference: git(&["rev-parse", "HEAD"]),
				..version(1, "", &wasm)
			}],
		)];
		reconcile_until(&reconciler, &peer, &placed, |s| s == [entry("echo", 1, "running")]).await;
		assert_eq!(call(&peer, "echo", None).await, Ok(b"ok".to_vec()));
	}
}
