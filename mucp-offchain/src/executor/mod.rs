//! Running services as sandboxed wasm, on wasmtime (the version polkadot-sdk's executor builds).
//!
//! - Modules are compiled once and cached by their code hash (blake2-256 of the wasm bytes), and
//!   pre-linked ([`wasmtime::InstancePre`]) so a call only instantiates.
//! - Every call gets a fresh instance from the pooling allocator, with a memory limit and an
//!   execution deadline enforced by epoch interruption: a runaway loop is stopped, a service
//!   that allocates past its limit fails that call only, and the next call starts clean.
//! - A guest reaches nothing but the capabilities of the ABI (see the `micro-service` crate):
//!   answer the call, [`Host::call`] another service, [`Host::publish`] to a topic, log, and a
//!   key-value [`Storage`] that keeps its state across calls of one version. No WASI, files,
//!   sockets or clocks are linked: a module that imports anything else is refused at load.
//!
//! [`source`] fetches a service's public source at a commit, builds it reproducibly to wasm
//! inside a sandbox (bubblewrap: no network, nothing of the node in view) and checks the code
//! hash the chain recorded.

mod abi;
pub mod deploy;
pub mod source;

pub use deploy::{Deployment, VERSION_HEADER};

use std::{
	collections::{BTreeMap, HashMap},
	fmt,
	sync::{
		atomic::{AtomicBool, Ordering},
		Arc, Mutex,
	},
	thread,
	time::Duration,
};

use wasmtime::{
	Config, Engine, InstanceAllocationStrategy, InstancePre, Linker, Module,
	PoolingAllocationConfig, Store, StoreLimits, StoreLimitsBuilder, Trap,
};

use crate::protocol::{ContentType, MicroError};

/// The version of the host-guest ABI this executor speaks.
pub const ABI_VERSION: i32 = 1;

/// The blake2-256 hash of a module's wasm bytes: how the chain names a version's code.
pub type CodeHash = [u8; 32];

/// The code hash of `wasm`.
pub fn code_hash(wasm: &[u8]) -> CodeHash {
	sp_crypto_hashing::blake2_256(wasm)
}

/// Writes a code hash as `0x`-prefixed hex.
pub fn hex(hash: &CodeHash) -> String {
	format!("0x{}", crate::settlement::hex(hash))
}

/// Limits of the executor and of every call.
#[derive(Clone, Debug)]
pub struct ExecutorConfig {
	/// Most linear memory one call may use.
	pub memory_limit: usize,
	/// How long one call may run.
	pub deadline: Duration,
	/// Most calls running at once (the size of the instance pool).
	pub max_instances: u32,
	/// Largest module accepted.
	pub max_module_size: usize,
	/// Largest response a service may give.
	pub max_response_size: usize,
}

impl Default for ExecutorConfig {
	fn default() -> Self {
		Self {
			memory_limit: 64 << 20,
			deadline: Duration::from_secs(2),
			max_instances: 64,
			max_module_size: 16 << 20,
			max_response_size: 4 << 20,
		}
	}
}

/// Why a module was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoadError {
	/// The module is larger than [`ExecutorConfig::max_module_size`].
	TooLarge {
		/// Its size.
		size: usize,
		/// The limit.
		limit: usize,
	},
	/// Its code hash is not the one expected.
	HashMismatch {
		/// The hash expected (recorded on-chain).
		expected: CodeHash,
		/// The hash of the bytes given.
		actual: CodeHash,
	},
	/// It is not valid wasm, or does not compile.
	Invalid(String),
	/// It imports something the host does not grant.
	ForbiddenImport(String),
	/// It lacks an export the ABI requires, or speaks another ABI version.
	Abi(String),
}

impl fmt::Display for LoadError {
	fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
		match self {
			Self::TooLarge { size, limit } => {
				write!(f, "the module is {size} bytes, more than the limit of {limit}")
			}
			Self::HashMismatch { expected, actual } => write!(
				f,
				"the code hash is {}, not the {} recorded for this version",
				hex(actual),
				hex(expected)
			),
			Self::Invalid(reason) => write!(f, "not a valid wasm module: {reason}"),
			Self::ForbiddenImport(import) => write!(
				f,
				"the module imports `{import}`, which the host does not grant (services may import \
				 only the `micro` functions of ABI version {ABI_VERSION})"
			),
			Self::Abi(reason) => write!(f, "the module does not speak ABI {ABI_VERSION}: {reason}"),
		}
	}
}

impl std::error::Error for LoadError {}

/// What a service may reach outside itself.
pub trait Host: Send + Sync {
	/// Calls `endpoint` of `service` over MUCP with a `body` (JSON if it starts with `{`).
	fn call(&self, service: &str, endpoint: &str, body: &[u8]) -> Result<Vec<u8>, MicroError>;
	/// Publishes `body` to `topic`.
	fn publish(&self, topic: &str, body: &[u8]) -> Result<(), MicroError>;
	/// Writes a log line (0 error, 1 warn, 2 info, 3 debug).
	fn log(&self, level: i32, line: &str) {
		let level = match level {
			0 => log::Level::Error,
			1 => log::Level::Warn,
			2 => log::Level::Info,
			_ => log::Level::Debug,
		};
		log::log!(target: "mucp::service", level, "{line}");
	}
}

/// A host that grants calls and publishing to nothing: services running alone.
pub struct Isolated;

impl Host for Isolated {
	fn call(&self, service: &str, _: &str, _: &[u8]) -> Result<Vec<u8>, MicroError> {
		Err(MicroError::new("", 503, format!("no network: cannot call {service}")))
	}

	fn publish(&self, topic: &str, _: &[u8]) -> Result<(), MicroError> {
		Err(MicroError::new("", 503, format!("no network: cannot publish to {topic}")))
	}
}

/// A service version's key-value state, kept across its calls, bounded in size.
#[derive(Default)]
pub struct Storage {
	contents: Mutex<StorageContents>,
	limit: usize,
}

/// The entries, and the bytes their keys and values take, counted as they change.
#[derive(Default)]
struct StorageContents {
	entries: BTreeMap<Vec<u8>, Vec<u8>>,
	used: usize,
}

impl Storage {
	/// An empty store holding at most `limit` bytes of keys and values.
	pub fn new(limit: usize) -> Self {
		Self { contents: Mutex::new(StorageContents::default()), limit }
	}

	/// The value at `key`.
	pub fn get(&self, key: &[u8]) -> Option<Vec<u8>> {
		self.contents.lock().expect("storage lock").entries.get(key).cloned()
	}

	/// Stores `value` at `key`; refuses (returns false) past the size limit.
	pub fn set(&self, key: &[u8], value: &[u8]) -> bool {
		let mut contents = self.contents.lock().expect("storage lock");
		let replaced = contents.entries.get(key).map_or(0, |old| key.len() + old.len());
		let used = contents.used - replaced + key.len() + value.len();
		if used > self.limit {
			return false;
		}
		contents.entries.insert(key.to_vec(), value.to_vec());
		contents.used = used;
		true
	}

	/// Removes the value at `key`.
	pub fn remove(&self, key: &[u8]) {
		let mut contents = self.contents.lock().expect("storage lock");
		if let Some(old) = contents.entries.remove(key) {
			contents.used -= key.len() + old.len();
		}
	}
}

/// What one call's store holds.
pub(crate) struct CallState {
	limits: StoreLimits,
	host: Arc<dyn Host>,
	storage: Arc<Storage>,
	response: Option<Vec<u8>>,
	failure: Option<(u16, String)>,
	pending: Vec<u8>,
	max_response_size: usize,
}

/// A compiled module, linked and ready to instantiate.
struct Loaded {
	pre: InstancePre<CallState>,
}

/// Compiles, caches and runs service modules.
pub struct Executor {
	engine: Engine,
	linker: Linker<CallState>,
	modules: Mutex<HashMap<CodeHash, Arc<Loaded>>>,
	config: ExecutorConfig,
	stop_ticker: Arc<AtomicBool>,
}

/// The epoch advances every millisecond; a call's deadline is counted in epochs.
const TICK: Duration = Duration::from_millis(1);

impl Executor {
	/// An executor with `config`'s limits. It starts a thread that advances the epoch every
	/// millisecond, stopped when the executor is dropped.
	pub fn new(config: ExecutorConfig) -> Result<Self, String> {
		let mut pooling = PoolingAllocationConfig::default();
		pooling
			.total_memories(config.max_instances)
			.total_tables(config.max_instances)
			.total_core_instances(config.max_instances)
			.max_memory_size(config.memory_limit)
			.max_memories_per_module(1)
			.max_tables_per_module(1);
		let mut wasm = Config::new();
		wasm.epoch_interruption(true)
			.allocation_strategy(InstanceAllocationStrategy::Pooling(pooling))
			.wasm_threads(false)
			.memory_reservation(config.memory_limit as u64)
			.memory_guard_size(64 << 10);
		let engine = Engine::new(&wasm).map_err(|e| format!("wasmtime engine: {e}"))?;
		let mut linker = Linker::new(&engine);
		abi::link(&mut linker).map_err(|e| format!("linking the host functions: {e}"))?;
		let stop_ticker = Arc::new(AtomicBool::new(false));
		let (ticking, stop) = (engine.clone(), stop_ticker.clone());
		thread::Builder::new()
			.name("mucp-epoch".into())
			.spawn(move || {
				while !stop.load(Ordering::Relaxed) {
					thread::sleep(TICK);
					ticking.increment_epoch();
				}
			})
			.map_err(|e| format!("starting the epoch thread: {e}"))?;
		Ok(Self { engine, linker, modules: Mutex::new(HashMap::new()), config, stop_ticker })
	}

	/// The executor's limits.
	pub fn config(&self) -> &ExecutorConfig {
		&self.config
	}

	/// Whether the module with `hash` is loaded.
	pub fn is_loaded(&self, hash: &CodeHash) -> bool {
		self.modules.lock().expect("modules lock").contains_key(hash)
	}

	/// Checks, compiles and caches `wasm`, which must hash to `expected` if given; returns its
	/// code hash. Loading the same code again costs only the hash.
	pub fn load(&self, wasm: &[u8], expected: Option<CodeHash>) -> Result<CodeHash, LoadError> {
		if wasm.len() > self.config.max_module_size {
			return Err(LoadError::TooLarge {
				size: wasm.len(),
				limit: self.config.max_module_size,
			});
		}
		let hash = code_hash(wasm);
		if let Some(expected) = expected.filter(|expected| *expected != hash) {
			return Err(LoadError::HashMismatch { expected, actual: hash });
		}
		if self.is_loaded(&hash) {
			return Ok(hash);
		}
		let module =
			Module::new(&self.engine, wasm).map_err(|e| LoadError::Invalid(format!("{e:#}")))?;
		for import in module.imports() {
			let name = format!("{}::{}", import.module(), import.name());
			if import.module() != abi::MODULE || !abi::IMPORTS.contains(&import.name()) {
				return Err(LoadError::ForbiddenImport(name));
			}
		}
		for export in abi::EXPORTS {
			if module.get_export(export).is_none() {
				return Err(LoadError::Abi(format!("it does not export `{export}`")));
			}
		}
		let pre =
			self.linker.instantiate_pre(&module).map_err(|e| LoadError::Abi(format!("{e:#}")))?;
		let loaded = Loaded { pre };
		let version = self
			.abi_version(&loaded)
			.map_err(|e| LoadError::Abi(format!("`micro_abi_version` failed: {e}")))?;
		if version != ABI_VERSION {
			return Err(LoadError::Abi(format!("it speaks version {version}")));
		}
		self.modules.lock().expect("modules lock").insert(hash, Arc::new(loaded));
		Ok(hash)
	}

	/// Forgets a module.
	pub fn unload(&self, hash: &CodeHash) {
		self.modules.lock().expect("modules lock").remove(hash);
	}

	fn store(&self, host: Arc<dyn Host>, storage: Arc<Storage>) -> Store<CallState> {
		let limits = StoreLimitsBuilder::new()
			.memory_size(self.config.memory_limit)
			.instances(1)
			.tables(1)
			.memories(1)
			.build();
		let state = CallState {
			limits,
			host,
			storage,
			response: None,
			failure: None,
			pending: Vec::new(),
			max_response_size: self.config.max_response_size,
		};
		let mut store = Store::new(&self.engine, state);
		store.limiter(|state| &mut state.limits);
		let ticks = (self.config.deadline.as_micros() / TICK.as_micros()).max(1) as u64;
		store.set_epoch_deadline(ticks);
		store.epoch_deadline_trap();
		store
	}

	fn abi_version(&self, loaded: &Loaded) -> Result<i32, String> {
		let mut store = self.store(Arc::new(Isolated), Arc::new(Storage::new(0)));
		let instance = loaded.pre.instantiate(&mut store).map_err(|e| format!("{e:#}"))?;
		let version = instance
			.get_typed_func::<(), i32>(&mut store, "micro_abi_version")
			.map_err(|e| format!("{e:#}"))?;
		version.call(&mut store, ()).map_err(|e| format!("{e:#}"))
	}

	/// Calls `endpoint` of the loaded module `hash` with `body`, in a fresh instance; blocks
	/// until the service answers, fails, or runs out of time or memory. `id` names the call in
	/// errors.
	pub fn call(
		&self,
		hash: &CodeHash,
		id: &str,
		endpoint: &str,
		body: &[u8],
		content_type: ContentType,
		host: Arc<dyn Host>,
		storage: Arc<Storage>,
	) -> Result<Vec<u8>, MicroError> {
		let loaded =
			self.modules.lock().expect("modules lock").get(hash).cloned().ok_or_else(|| {
				MicroError::new(id, 503, format!("code {} is not loaded", hex(hash)))
			})?;
		let mut store = self.store(host, storage);
		let outcome = abi::invoke(&mut store, &loaded.pre, endpoint, body, content_type);
		let state = store.into_data();
		match outcome {
			Ok(0) => state
				.response
				.ok_or_else(|| MicroError::internal(id, "the service answered without a response")),
			Ok(_) => {
				let (code, detail) = state
					.failure
					.unwrap_or((500, String::from("the service failed without saying why")));
				Err(MicroError::new(id, code, detail))
			}
			Err(error) => Err(self.trap_error(id, error)),
		}
	}

	fn trap_error(&self, id: &str, error: wasmtime::Error) -> MicroError {
		match error.downcast_ref::<Trap>() {
			Some(Trap::Interrupt) => MicroError::timeout(
				id,
				format!(
					"the service ran past its deadline of {:?} and was stopped",
					self.config.deadline
				),
			),
			Some(Trap::UnreachableCodeReached) => MicroError::internal(
				id,
				"the service panicked (out of memory, or a bug): this call failed",
			),
			Some(trap) => MicroError::internal(id, format!("the service trapped: {trap}")),
			None => MicroError::internal(id, format!("the service failed: {error:#}")),
		}
	}
}

impl Drop for Executor {
	fn drop(&mut self) {
		self.stop_ticker.store(true, Ordering::Relaxed);
	}
}

/// A MUCP service answering `endpoints` with `deployment`'s versions: each call runs on a
/// blocking thread, in a fresh instance of the version the caller names in
/// [`VERSION_HEADER`] or else the newest healthy one. `version` is the label the registry
/// shows.
pub fn wasm_service(
	deployment: Arc<Deployment>,
	version: &str,
	endpoints: Vec<crate::registry::Endpoint>,
) -> crate::peer::Service {
	metered_wasm_service(deployment, version, endpoints, None)
}

/// [`wasm_service`] whose calls `meter` admits first (refusing those nobody pays for) and
/// counts once answered before the caller's deadline, at `priced`'s service and price.
pub fn metered_wasm_service(
	deployment: Arc<Deployment>,
	version: &str,
	endpoints: Vec<crate::registry::Endpoint>,
	meter: Option<(Arc<crate::settlement::Meter>, crate::settlement::Priced)>,
) -> crate::peer::Service {
	let mut service = crate::peer::Service::new(deployment.name(), version);
	for endpoint in endpoints {
		let endpoint_name = endpoint.name.clone();
		let deployment = deployment.clone();
		let meter = meter.clone();
		service = service.call(endpoint, move |request: crate::protocol::Message| {
			let deployment = deployment.clone();
			let endpoint = endpoint_name.clone();
			let meter = meter.clone();
			async move {
				let id = request.header(crate::protocol::header::ID).unwrap_or_default().to_owned();
				let content_type = request.content_type()?;
				let requested = match request.header(VERSION_HEADER) {
					None => None,
					Some(text) => Some(text.trim().parse::<u32>().map_err(|_| {
						MicroError::bad_request(
							&id,
							format!("`{VERSION_HEADER}: {text}` is not a version number"),
						)
					})?),
				};
				let version =
					deployment.route(requested).map_err(|e| MicroError { id: id.clone(), ..e })?;
				let (failed_id, body) = (id.clone(), request.body.clone());
				let run = async move {
					tokio::task::spawn_blocking(move || {
						deployment.call(&id, Some(version), &endpoint, &body, content_type)
					})
					.await
					.map_err(|e| {
						MicroError::internal(failed_id, format!("the executor failed: {e}"))
					})?
				};
				match &meter {
					// Admitted and reserved, run until the caller's deadline, counted if
					// answered in time (see `settlement::Meter::serve`).
					Some((meter, priced)) => meter.serve(&request, *priced, version, run).await,
					None => run.await,
				}
			}
		});
	}
	service
}

/// The host a node's services get: calls and publishes go over MUCP through `peer`. The
/// executor runs a call on a blocking thread, where this waits on `runtime` for the answer.
/// Once the peer is gone, calls and publishes fail with a 503.
pub struct PeerHost {
	peer: std::sync::Weak<crate::peer::Peer>,
	runtime: tokio::runtime::Handle,
}

impl PeerHost {
	/// A host reaching the network through `peer`, waiting on `runtime`.
	pub fn new(peer: &Arc<crate::peer::Peer>, runtime: tokio::runtime::Handle) -> Self {
		Self { peer: Arc::downgrade(peer), runtime }
	}

	fn peer(&self) -> Result<Arc<crate::peer::Peer>, MicroError> {
		self.peer.upgrade().ok_or_else(|| MicroError::new("", 503, "the node is shutting down"))
	}
}

impl Host for PeerHost {
	fn call(&self, service: &str, endpoint: &str, body: &[u8]) -> Result<Vec<u8>, MicroError> {
		let peer = self.peer()?;
		self.runtime.block_on(peer.call(service, endpoint, body.to_vec())).map(|reply| reply.body)
	}

	fn publish(&self, topic: &str, body: &[u8]) -> Result<(), MicroError> {
		let peer = self.peer()?;
		self.runtime.block_on(peer.publish(topic, body.to_vec())).map(|_| ())
	}
}

#[cfg(test)]
mod tests {
	use super::Storage;

	#[test]
	fn storage_counts_keys_and_values_against_its_limit() {
		let storage = Storage::new(10);
		assert!(storage.set(b"ab", b"cdef"), "6 of 10");
		assert!(storage.set(b"ab", b"cdefghij"), "replacing counts the new value only: 10");
		assert!(!storage.set(b"x", b""), "11 would pass the limit");
		assert_eq!(
			storage.get(b"ab").as_deref(),
			Some(&b"cdefghij"[..]),
			"a refusal changes nothing"
		);
		storage.remove(b"ab");
		assert!(storage.set(b"0123456789", b""), "removing frees its bytes");
		assert_eq!(storage.get(b"ab"), None);
	}
}
