//! Running services as sandboxed wasm, on wasmtime (the version polkadot-sdk's executor builds).
//!
//! - Modules are compiled once and cached by their code hash (blake2-256 of the wasm bytes), and
//!   pre-linked ([`wasmtime::InstancePre`]) so a call only instantiates, if it does not find a
//!   warm instance waiting.
//! - A call runs in an instance of its own from the pooling allocator, with a memory limit and
//!   an execution deadline enforced by epoch interruption: a runaway loop is stopped, a service
//!   that allocates past its limit fails that call only, and the next call starts clean.
//! - A guest reaches nothing but the capabilities of the ABI (see the `micro-service` crate):
//!   answer the call, [`Host::call`] another service, [`Host::publish`] to a topic, log, and a
//!   key-value [`Storage`] that keeps its state across calls of one version (on disk, under
//!   [`ExecutorConfig::storage_dir`], so a restart keeps it). No WASI, files, sockets or clocks
//!   are linked: a module that imports anything else is refused at load.
//!
//! Isolation between calls: every call starts in the state a fresh instance of the module
//! starts in, whether it gets one or a warm one.
//!
//! - A fresh instance is instantiated from the module's copy-on-write memory image
//!   (`memory_init_cow`, on by default) and has run nothing before the call. When it is dropped
//!   the pool resets its slot (linear memory back to the image with `madvise`, so written pages
//!   are thrown away; the table zeroed; globals and memory size start over with the next
//!   instance) before any other instance may use it.
//! - A warm instance is one an earlier call of the same module returned from, kept with its
//!   store and reset exactly before it is used again: its mutable globals set back to their
//!   initial values, and every memory page the kernel's page map shows touched compared with
//!   the module's initial memory and rewritten where it differs (see `executor/warm.rs` for
//!   why that is the whole of an instance's state, and which modules qualify: no start
//!   function, globals of number types, plain `funcref`/`externref` tables, no instruction
//!   that changes a table or drops a segment, at most 1 MiB of non-zero initial memory; any
//!   other module gets a fresh instance for every call). The reset assumes a real Linux page
//!   map, and checks it: a self-test when the executor starts, and on every reset the pages
//!   the host itself wrote must show as touched; a map failing either turns warm instances
//!   off (with a warning), so a lying map costs speed, never isolation. An instance whose
//!   call trapped or timed out, whose memory grew, or that touched more than 64 pages is
//!   dropped instead, and its slot reset by the pool as above. A warm instance saves the
//!   instantiation and, mostly, the page faults a fresh instance takes on the pages its guest
//!   touches: greeter's call went from 13–20 µs to 3–5 µs (`--bench executor`).
//!
//! So nothing a caller writes to memory, globals or the table is ever visible to another call.
//! Only a version's [`Storage`] carries state across calls, on purpose.
//!
//! Capacity: at most [`ExecutorConfig::max_instances`] calls run at once, one pool slot each
//! (plus one for a load checking a module's ABI version), and as many warm instances may wait
//! idle (at most 8 a module; when that many wait, the oldest idle instance of any module
//! makes room for the next one given back): a pool of `2 × max_instances + 1` slots with warm instances on,
//! `max_instances + 1` without, each slot reserving [`ExecutorConfig::memory_limit`] of
//! address space.
//!
//! Limits a hostile guest meets (issue 17, finding H5):
//!
//! - every length a guest passes the host is checked against its cap and against the guest's
//!   own memory *before* the host copies anything: a guest asking the host for 2 GiB traps,
//!   and the host never allocates it (the allocation could abort the node under a strict
//!   memory limit);
//! - a guest's calls and publishes through the host are charged to the guest call, never to
//!   the node: each guest call may make at most [`MAX_NESTED_CALLS`], a nested call must
//!   finish within the calling guest's own deadline, chains of nested calls stop at
//!   [`MAX_DEPTH`] (the depth travels in [`DEPTH_HEADER`]), and a nested call carries the
//!   caller's allowance, so the consumer pays for it. Without an allowance, only a call the
//!   node's own operator made may spend the operator's free quota on nested calls: a stranger's
//!   free call cannot fan out on it;
//! - when [`ExecutorConfig::max_instances`] calls are running, or every slot of the pool is
//!   busy, a call gets a 503 (try again, or another node),
//!   which is the node's capacity and not a fault of the version, so it does not count against
//!   the version's health.
//!
//! [`logs`] keeps each running version's log lines, bounded per version and per call, for
//! `micro logs`.
//!
//! [`source`] fetches a service's public source at a commit, builds it reproducibly to wasm
//! inside a sandbox (bubblewrap: no network, nothing of the node in view) and checks the code
//! hash the chain recorded.

mod abi;
pub mod deploy;
pub mod logs;
pub mod source;
mod warm;

pub use deploy::{Deployment, VERSION_HEADER};
pub use logs::{LogLine, LogPage, NodeLogs, ServiceLogs};

use std::{
	cell::RefCell,
	collections::{BTreeMap, HashMap},
	fmt,
	path::{Path, PathBuf},
	sync::{
		atomic::{AtomicBool, AtomicU32, Ordering},
		Arc, Mutex,
	},
	thread,
	time::{Duration, Instant},
};

use redb::{ReadableTable, TableDefinition};

use wasmtime::{
	Config, Engine, InstanceAllocationStrategy, InstancePre, Linker, Module,
	PoolConcurrencyLimitError, PoolingAllocationConfig, Store, StoreLimits, StoreLimitsBuilder,
	Trap,
};

use crate::{
	hex,
	protocol::{ContentType, MicroError},
};

/// The version of the host-guest ABI this executor speaks.
pub const ABI_VERSION: i32 = 1;

/// The blake2-256 hash of a module's wasm bytes: how the chain names a version's code.
pub type CodeHash = [u8; 32];

/// The code hash of `wasm`.
pub fn code_hash(wasm: &[u8]) -> CodeHash {
	sp_crypto_hashing::blake2_256(wasm)
}

/// Limits of the executor and of every call.
#[derive(Clone, Debug)]
pub struct ExecutorConfig {
	/// Most linear memory one call may use.
	pub memory_limit: usize,
	/// How long one call may run.
	pub deadline: Duration,
	/// Most calls running at once. The instance pool has a slot for each, one for a load, and,
	/// with [`Self::warm_instances`], one for each of as many idle warm instances:
	/// `2 × max_instances + 1` slots, each reserving [`Self::memory_limit`] of address space.
	pub max_instances: u32,
	/// Largest module accepted.
	pub max_module_size: usize,
	/// Largest response a service may give (and largest body it may pass the host).
	pub max_response_size: usize,
	/// Where service versions keep their storage, one redb file each; in memory if `None`.
	pub storage_dir: Option<PathBuf>,
	/// Whether a module's instances may be kept warm between its calls, reset exactly after
	/// each (see the module doc; the reset needs a real Linux page map, which is checked: if it
	/// fails, warm instances are off); if false, every call gets a fresh instance.
	pub warm_instances: bool,
}

impl Default for ExecutorConfig {
	fn default() -> Self {
		Self {
			memory_limit: 64 << 20,
			deadline: Duration::from_secs(2),
			max_instances: 64,
			max_module_size: 16 << 20,
			max_response_size: 4 << 20,
			storage_dir: None,
			warm_instances: true,
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
				hex::prefixed(actual),
				hex::prefixed(expected)
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
		log::log!(target: "mucp::service", level, "{}", logs::printable(line));
	}
	/// Counts `lines` log lines a guest call wrote past its share
	/// ([`logs::MAX_LINES_PER_CALL`]), which were not kept.
	fn log_dropped(&self, lines: u64) {
		let _ = lines;
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

/// A service version's key-value state, kept across its calls, bounded in size; in memory, or
/// written through to a redb file ([`Storage::open`]) so a restart keeps it.
#[derive(Default)]
pub struct Storage {
	contents: Mutex<StorageContents>,
	limit: usize,
	disk: Option<redb::Database>,
}

/// The table a version's storage is kept in on disk.
const STORAGE_TABLE: TableDefinition<&[u8], &[u8]> = TableDefinition::new("storage");

/// The entries, and the bytes their keys and values take, counted as they change.
#[derive(Default)]
struct StorageContents {
	entries: BTreeMap<Vec<u8>, Vec<u8>>,
	used: usize,
}

impl Storage {
	/// An empty store holding at most `limit` bytes of keys and values, in memory.
	pub fn new(limit: usize) -> Self {
		Self { contents: Mutex::new(StorageContents::default()), limit, disk: None }
	}

	/// The store kept in the redb file at `path` (created if missing; moved aside and started
	/// empty if corrupt, see [`crate::store`]), holding at most `limit` bytes.
	pub fn open(path: &Path, limit: usize) -> Result<Self, String> {
		let failed = |e: &dyn fmt::Display| format!("the storage at {}: {e}", path.display());
		let db = crate::store::open(path).map_err(|e| failed(&e))?;
		let write = db.begin_write().map_err(|e| failed(&e))?;
		write.open_table(STORAGE_TABLE).map_err(|e| failed(&e))?;
		write.commit().map_err(|e| failed(&e))?;
		let mut contents = StorageContents::default();
		{
			let read = db.begin_read().map_err(|e| failed(&e))?;
			let table = read.open_table(STORAGE_TABLE).map_err(|e| failed(&e))?;
			for row in table.iter().map_err(|e| failed(&e))? {
				let (key, value) = row.map_err(|e| failed(&e))?;
				let (key, value) = (key.value().to_vec(), value.value().to_vec());
				contents.used += key.len() + value.len();
				contents.entries.insert(key, value);
			}
		}
		Ok(Self { contents: Mutex::new(contents), limit, disk: Some(db) })
	}

	/// Most bytes of keys and values it holds.
	pub fn limit(&self) -> usize {
		self.limit
	}

	/// The value at `key`.
	pub fn get(&self, key: &[u8]) -> Option<Vec<u8>> {
		self.contents.lock().expect("storage lock").entries.get(key).cloned()
	}

	/// Stores `value` at `key`; refuses (returns false) past the size limit, or if the disk
	/// refuses the write (logged).
	pub fn set(&self, key: &[u8], value: &[u8]) -> bool {
		let mut contents = self.contents.lock().expect("storage lock");
		let replaced = contents.entries.get(key).map_or(0, |old| key.len() + old.len());
		let used = contents.used - replaced + key.len() + value.len();
		if used > self.limit {
			return false;
		}
		if !self.write(|table| table.insert(key, value).map(drop)) {
			return false;
		}
		contents.entries.insert(key.to_vec(), value.to_vec());
		contents.used = used;
		true
	}

	/// Removes the value at `key`.
	pub fn remove(&self, key: &[u8]) {
		let mut contents = self.contents.lock().expect("storage lock");
		if contents.entries.contains_key(key) && self.write(|table| table.remove(key).map(drop)) {
			if let Some(old) = contents.entries.remove(key) {
				contents.used -= key.len() + old.len();
			}
		}
	}

	/// Applies `change` to the table on disk and commits it; true in memory.
	fn write(
		&self,
		change: impl FnOnce(&mut redb::Table<&[u8], &[u8]>) -> Result<(), redb::StorageError>,
	) -> bool {
		let Some(db) = &self.disk else { return true };
		let written = (|| -> Result<(), redb::Error> {
			let write = db.begin_write()?;
			change(&mut write.open_table(STORAGE_TABLE)?)?;
			write.commit()?;
			Ok(())
		})();
		if let Err(error) = &written {
			log::error!(target: "mucp", "writing a service's storage: {error}");
		}
		written.is_ok()
	}
}

/// The header a nested call carries its depth in: 1 for a call a guest makes while serving a
/// call from outside, 2 for one the service it reached makes, and so on.
pub const DEPTH_HEADER: &str = "Micro-Depth";
/// The deepest chain of nested guest calls (a guest calling a service whose guest calls ...).
pub const MAX_DEPTH: u32 = 4;
/// Most calls and publishes one guest call may make through the host.
pub const MAX_NESTED_CALLS: u32 = 16;

/// What a guest call may spend on the calls it makes through the host: they are charged to
/// it, never to the node. [`crate::hosting::wasm_service`] sets it from the request for the blocking thread a
/// guest runs on; [`Executor::call`] bounds its deadline by the guest's own.
#[derive(Clone, Debug)]
pub struct CallBudget {
	/// How deep the guest's call is in a chain of nested calls (0: called from outside).
	pub depth: u32,
	/// When the guest's deadline passes: its nested calls must be answered by then.
	pub deadline: Option<Instant>,
	/// The guest call's allowance header, sent along so its consumer pays for nested calls.
	pub allowance: Option<String>,
	/// The node the guest's call came from, as the transport authenticated it.
	pub caller: Option<String>,
	/// The guest call's id; nested calls are named after it.
	pub id: String,
}

thread_local! {
	/// The budget of the guest call running on this thread.
	static BUDGET: RefCell<Option<CallBudget>> = const { RefCell::new(None) };
}

impl CallBudget {
	/// The budget of a call described by `request`'s headers.
	pub fn of(request: &crate::protocol::Message) -> Result<Self, MicroError> {
		let id = request.header(crate::protocol::header::ID).unwrap_or_default().to_owned();
		let depth = match request.header(DEPTH_HEADER) {
			None => 0,
			Some(text) => text.trim().parse::<u32>().map_err(|_| {
				MicroError::bad_request(&id, format!("`{DEPTH_HEADER}: {text}` is not a number"))
			})?,
		};
		if depth > MAX_DEPTH {
			return Err(MicroError::new(
				&id,
				508,
				format!("nested calls go at most {MAX_DEPTH} deep; this one is {depth} deep"),
			));
		}
		Ok(Self {
			depth,
			deadline: None,
			allowance: request.header(crate::settlement::ALLOWANCE_HEADER).map(str::to_owned),
			caller: request.header(crate::settlement::CALLER_HEADER).map(str::to_owned),
			id,
		})
	}

	/// Runs `run` with this budget as the current thread's.
	pub fn enter<T>(self, run: impl FnOnce() -> T) -> T {
		let previous = BUDGET.with(|budget| budget.replace(Some(self)));
		let result = run();
		BUDGET.with(|budget| budget.replace(previous));
		result
	}

	/// The budget of the guest call running on this thread, if any.
	pub fn current() -> Option<Self> {
		BUDGET.with(|budget| budget.borrow().clone())
	}

	/// Runs `run` with the current budget's deadline no later than `deadline`.
	fn within<T>(deadline: Instant, run: impl FnOnce() -> T) -> T {
		let previous = BUDGET.with(|budget| {
			let mut budget = budget.borrow_mut();
			let previous = budget.clone();
			let mut bounded = previous.clone().unwrap_or(Self {
				depth: 0,
				deadline: None,
				allowance: None,
				caller: None,
				id: String::new(),
			});
			bounded.deadline = Some(bounded.deadline.map_or(deadline, |d| d.min(deadline)));
			*budget = Some(bounded);
			previous
		});
		let result = run();
		BUDGET.with(|budget| budget.replace(previous));
		result
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
	/// Calls and publishes this guest call has made through the host.
	nested_calls: u32,
	/// Log lines this guest call has written, and those past its share, not kept.
	log_lines: u32,
	logs_dropped: u64,
	/// Where the host wrote into the guest's memory, which a reset checks the page map shows.
	host_writes: warm::HostWrites,
}

/// A compiled module, linked and ready to instantiate, its ABI exports looked up, and its
/// warm instances if it may have some ([`warm`]).
struct Loaded {
	pre: InstancePre<CallState>,
	exports: abi::Exports,
	warm: Option<warm::Pool>,
}

/// Compiles, caches and runs service modules.
pub struct Executor {
	engine: Engine,
	linker: Linker<CallState>,
	modules: Mutex<HashMap<CodeHash, Arc<Loaded>>>,
	config: ExecutorConfig,
	stop_ticker: Arc<AtomicBool>,
	/// Calls running now, at most [`ExecutorConfig::max_instances`].
	running: AtomicU32,
	/// The kernel's page map, which resetting a warm instance reads; without it no instance
	/// is kept warm.
	page_map: Option<warm::PageMap>,
	/// Idle warm instances of all modules, at most [`ExecutorConfig::max_instances`].
	idle: Arc<warm::Idle>,
	/// The host and storage an idle instance's store holds between calls: nothing.
	idle_state: (Arc<dyn Host>, Arc<Storage>),
	/// The byte budget and node log the log rings of its deployments share.
	node_logs: Arc<logs::NodeLogs>,
}

/// How much of each table slot stays resident between instances (zeroed with `memset`; the rest
/// is reset with `madvise`): a service's function table is a few hundred bytes.
const TABLE_KEEP_RESIDENT: usize = 16 << 10;

/// The epoch advances every millisecond; a call's deadline is counted in epochs.
const TICK: Duration = Duration::from_millis(1);

impl Executor {
	/// An executor with `config`'s limits. It starts a thread that advances the epoch every
	/// millisecond, stopped when the executor is dropped.
	pub fn new(config: ExecutorConfig) -> Result<Self, String> {
		let page_map = match config.warm_instances.then(warm::PageMap::system) {
			Some(Ok(page_map)) => Some(page_map),
			Some(Err(why)) => {
				log::warn!(target: "mucp", "warm instances are off: the kernel's page map {why}");
				None
			}
			None => None,
		};
		Self::with_page_map(config, page_map)
	}

	/// An executor resetting warm instances with `page_map` (none: no warm instances).
	fn with_page_map(
		config: ExecutorConfig,
		page_map: Option<warm::PageMap>,
	) -> Result<Self, String> {
		// The running calls' instances, as many idle warm ones, and one for a load checking a
		// module.
		let idle = if config.warm_instances { config.max_instances } else { 0 };
		let slots = config.max_instances.saturating_add(idle).saturating_add(1);
		let mut pooling = PoolingAllocationConfig::default();
		pooling
			.total_memories(slots)
			.total_tables(slots)
			.total_core_instances(slots)
			.max_memory_size(config.memory_limit)
			.max_memories_per_module(1)
			.max_tables_per_module(1)
			// A table's first pages are zeroed in place when its instance ends, not given back
			// to the kernel: the next instance in the slot does not fault them in again.
			.table_keep_resident(TABLE_KEEP_RESIDENT);
		let mut wasm = Config::new();
		wasm.epoch_interruption(true)
			.allocation_strategy(InstanceAllocationStrategy::Pooling(pooling))
			// Off, whatever wasmtime's defaults: proposals whose state a warm reset was not
			// audited for (heap objects, typed references, exception and stack state, shared
			// memory and globals, other page sizes; see `warm`).
			.wasm_gc(false)
			.wasm_function_references(false)
			.wasm_exceptions(false)
			.wasm_stack_switching(false)
			.wasm_threads(false)
			.wasm_shared_everything_threads(false)
			.wasm_custom_page_sizes(false)
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
		Ok(Self {
			engine,
			linker,
			modules: Mutex::new(HashMap::new()),
			config,
			stop_ticker,
			running: AtomicU32::new(0),
			page_map,
			idle: Arc::new(warm::Idle::new(idle)),
			idle_state: (Arc::new(Isolated), Arc::new(Storage::new(0))),
			node_logs: Arc::new(logs::NodeLogs::default()),
		})
	}

	/// What the log rings of the deployments running on it share: their byte budget and the
	/// node's log.
	pub fn node_logs(&self) -> &Arc<logs::NodeLogs> {
		&self.node_logs
	}

	/// The executor's limits.
	pub fn config(&self) -> &ExecutorConfig {
		&self.config
	}

	/// Whether instances are kept warm.
	#[cfg(test)]
	fn warm_on(&self) -> bool {
		self.warm_page_map().is_some()
	}

	/// The page map warm instances are reset with, unless there is none or it was caught
	/// lying.
	fn warm_page_map(&self) -> Option<&warm::PageMap> {
		self.page_map.as_ref().filter(|page_map| page_map.trusted())
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
		// A module whose instances can be reset exactly is compiled with its mutable globals
		// exported, so a reset can set them back (see `warm`); any other as it is.
		let plan = self.warm_page_map().and_then(|_| warm::plan(wasm));
		let (module, plan) = match plan.and_then(|plan| {
			Module::new(&self.engine, &plan.wasm).ok().map(|module| (module, plan))
		}) {
			Some((module, plan)) => (module, Some(plan)),
			None => (
				Module::new(&self.engine, wasm)
					.map_err(|e| LoadError::Invalid(format!("{e:#}")))?,
				None,
			),
		};
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
		let exports = abi::Exports::of(&module)
			.ok_or_else(|| LoadError::Abi("it lacks an export the ABI requires".into()))?;
		let mut loaded = Loaded { pre, exports, warm: None };
		let mut fresh = self
			.instantiate(&loaded)
			.map_err(|e| LoadError::Abi(format!("it does not instantiate: {e:#}")))?;
		// Read before the instance runs anything: the memory every fresh instance starts with.
		loaded.warm = plan.as_ref().zip(self.warm_page_map()).and_then(|(plan, page_map)| {
			warm::Pool::new(&module, plan, &fresh, page_map, self.idle.clone())
		});
		let version = self
			.abi_version(&mut fresh)
			.map_err(|e| LoadError::Abi(format!("`micro_abi_version` failed: {e}")))?;
		if version != ABI_VERSION {
			return Err(LoadError::Abi(format!("it speaks version {version}")));
		}
		drop(fresh);
		self.modules.lock().expect("modules lock").insert(hash, Arc::new(loaded));
		Ok(hash)
	}

	/// The storage of `version` of `service`: on disk under [`ExecutorConfig::storage_dir`]
	/// (one file per version, so a restart keeps it), else in memory.
	pub fn storage(&self, service: &str, version: u32, limit: usize) -> Result<Storage, String> {
		let Some(dir) = &self.config.storage_dir else { return Ok(Storage::new(limit)) };
		std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
		Storage::open(&dir.join(storage_file(service, version)), limit)
	}

	/// Forgets a module.
	pub fn unload(&self, hash: &CodeHash) {
		self.modules.lock().expect("modules lock").remove(hash);
	}

	/// What `micro_abi_version` of `fresh` answers.
	fn abi_version(&self, fresh: &mut warm::Ready) -> Result<i32, String> {
		fresh.store.set_epoch_deadline(deadline_ticks(&self.config));
		let version = fresh
			.entry
			.instance
			.get_typed_func::<(), i32>(&mut fresh.store, "micro_abi_version")
			.map_err(|e| format!("{e:#}"))?;
		version.call(&mut fresh.store, ()).map_err(|e| format!("{e:#}"))
	}

	/// A fresh instance of `loaded` in a store of its own, its state empty
	/// ([`Self::idle_state`]); its mutable globals recorded if it may be kept warm.
	fn instantiate(&self, loaded: &Loaded) -> Result<warm::Ready, wasmtime::Error> {
		let (host, storage) = self.idle_state.clone();
		let mut store = new_store(&self.engine, call_state(&self.config, host, storage));
		let instance = loaded.pre.instantiate(&mut store)?;
		let entry = abi::Entry::of(&mut store, &instance, &loaded.exports)?;
		let mut ready = warm::Ready::once(store, entry);
		if let Some(pool) = &loaded.warm {
			pool.prepare(&mut ready)?;
		}
		Ok(ready)
	}

	/// Calls `endpoint` of the loaded module `hash` with `body`, in a fresh or an exactly reset
	/// warm instance (see the module doc); blocks until the service answers, fails,
	/// or runs out of time or memory. `id` names the call in errors; past
	/// [`ExecutorConfig::max_instances`] calls at once, it is refused with a 503.
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
				MicroError::new(id, 503, format!("code {} is not loaded", hex::prefixed(hash)))
			})?;
		if self.running.fetch_add(1, Ordering::Relaxed) >= self.config.max_instances {
			self.running.fetch_sub(1, Ordering::Relaxed);
			return Err(self.busy(id));
		}
		let _running = Running(&self.running);
		let warm = loaded
			.warm
			.as_ref()
			.filter(|_| self.warm_page_map().is_some())
			.and_then(warm::Pool::take);
		let mut ready = match warm {
			Some(ready) => ready,
			None => self.instantiate(&loaded).map_err(|error| self.trap_error(id, error))?,
		};
		*ready.store.data_mut() = call_state(&self.config, host, storage);
		ready.store.set_epoch_deadline(deadline_ticks(&self.config));
		let deadline = Instant::now() + self.config.deadline;
		let outcome = CallBudget::within(deadline, || {
			abi::invoke(&mut ready.store, &ready.entry, endpoint, body, content_type)
		});
		let (host, storage) = self.idle_state.clone();
		let state =
			std::mem::replace(ready.store.data_mut(), call_state(&self.config, host, storage));
		if state.logs_dropped > 0 {
			state.host.log_dropped(state.logs_dropped);
		}
		// Only an instance whose call returned is kept: one that trapped or ran out of time is
		// dropped, and the pool resets its slot.
		if let (Some(pool), Some(page_map), Ok(_)) = (&loaded.warm, self.warm_page_map(), &outcome)
		{
			pool.give_back(ready, page_map, &state.host_writes);
			if !page_map.trusted() {
				// Caught lying: no instance it reset may serve again.
				self.idle.clear();
			}
		}
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

	/// Every instance is busy: the node is at capacity, the version is not at fault (a 503,
	/// which does not count against its health, and the caller may go elsewhere).
	fn busy(&self, id: &str) -> MicroError {
		MicroError::new(
			id,
			503,
			format!(
				"this node runs {} service calls at once, all busy: try again",
				self.config.max_instances
			),
		)
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
			// Every slot of the pool is busy (running calls, and loads): see `busy`.
			None if error.chain().any(|cause| cause.is::<PoolConcurrencyLimitError>()) => {
				self.busy(id)
			}
			// A host function's refusal: its own words, without wasmtime's backtrace.
			None => MicroError::internal(id, format!("the service failed: {}", error.root_cause())),
		}
	}
}

/// The state of a call with `config`'s memory limit, reaching `host` and `storage`.
fn call_state(config: &ExecutorConfig, host: Arc<dyn Host>, storage: Arc<Storage>) -> CallState {
	let limits = StoreLimitsBuilder::new()
		.memory_size(config.memory_limit)
		.instances(1)
		.tables(1)
		.memories(1)
		.build();
	CallState {
		limits,
		host,
		storage,
		response: None,
		failure: None,
		pending: Vec::new(),
		max_response_size: config.max_response_size,
		nested_calls: 0,
		log_lines: 0,
		logs_dropped: 0,
		host_writes: warm::HostWrites::default(),
	}
}

/// A store for one instance holding `state`, its memory limited by the state's limits and its
/// calls stopped at their epoch deadline (set for each call).
fn new_store(engine: &Engine, state: CallState) -> Store<CallState> {
	let mut store = Store::new(engine, state);
	store.limiter(|state| &mut state.limits);
	store.epoch_deadline_trap();
	store
}

/// A call's deadline in epochs, counted from now.
fn deadline_ticks(config: &ExecutorConfig) -> u64 {
	(config.deadline.as_micros() / TICK.as_micros()).max(1) as u64
}

/// Counts a call as running until dropped.
struct Running<'a>(&'a AtomicU32);

impl Drop for Running<'_> {
	fn drop(&mut self) {
		self.0.fetch_sub(1, Ordering::Relaxed);
	}
}

/// The file name of `version` of `service`'s storage: the name as it is if it is plain, else
/// its hex, so no name reaches outside the storage directory.
fn storage_file(service: &str, version: u32) -> String {
	let plain = !service.is_empty()
		&& !service.starts_with('.')
		&& service.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
	let name =
		if plain { service.to_owned() } else { format!("x{}", hex::encode(service.as_bytes())) };
	format!("{name}-v{version}.redb")
}

impl Drop for Executor {
	fn drop(&mut self) {
		self.stop_ticker.store(true, Ordering::Relaxed);
	}
}

#[cfg(test)]
pub(crate) mod tests {
	use super::*;

	/// A module whose `micro_handle` runs `body` (with `$call`, `$publish`, `$set`, `$get`,
	/// `$take`, `$result_len`, `$respond` and `$fail` imported; `loop` at 0, `Loop.Go` at 16,
	/// `{}` at 32, a local `$len`) and then answers `ok`.
	pub(crate) fn guest(body: &str) -> Vec<u8> {
		wat::parse_str(format!(
			r#"(module
  (import "micro" "call" (func $call (param i32 i32 i32 i32 i32 i32) (result i32)))
  (import "micro" "publish" (func $publish (param i32 i32 i32 i32) (result i32)))
  (import "micro" "storage_set" (func $set (param i32 i32 i32 i32)))
  (import "micro" "storage_get" (func $get (param i32 i32) (result i32)))
  (import "micro" "take_result" (func $take (param i32)))
  (import "micro" "respond" (func $respond (param i32 i32)))
  (import "micro" "fail" (func $fail (param i32 i32 i32)))
  (import "micro" "result_len" (func $result_len (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "loop")
  (data (i32.const 16) "Loop.Go")
  (data (i32.const 32) "{{}}")
  (data (i32.const 1000) "ok")
  (func (export "micro_abi_version") (result i32) (i32.const 1))
  (func (export "micro_alloc") (param i32) (result i32) (i32.const 4096))
  (func (export "micro_handle") (param $endpoint i32) (param $endpoint_len i32)
    (param $body i32) (param $body_len i32) (param $content_type i32) (result i32)
    (local $len i32)
    {body}
    (call $respond (i32.const 1000) (i32.const 2))
    (i32.const 0)))"#
		))
		.expect("the test module parses")
	}

	pub(crate) fn executor(storage_dir: Option<PathBuf>) -> Executor {
		Executor::new(ExecutorConfig {
			memory_limit: 16 << 20,
			deadline: Duration::from_millis(500),
			storage_dir,
			..ExecutorConfig::default()
		})
		.expect("the executor starts")
	}

	fn run(
		executor: &Executor,
		wasm: &[u8],
		body: &[u8],
		storage: Arc<Storage>,
	) -> Result<Vec<u8>, MicroError> {
		let hash = executor.load(wasm, None).expect("the module loads");
		executor.call(&hash, "t", "Any", body, ContentType::Json, Arc::new(Isolated), storage)
	}

	/// The resident set of this process, in bytes.
	fn resident() -> usize {
		let statm = std::fs::read_to_string("/proc/self/statm").expect("Linux");
		let pages: usize = statm.split_whitespace().nth(1).unwrap().parse().unwrap();
		pages * 4096
	}

	#[test]
	fn a_guest_asking_the_host_for_2_gib_traps_and_the_host_allocates_nothing() {
		let executor = executor(None);
		let storage = || Arc::new(Storage::new(1 << 20));
		let before = resident();
		for (what, body, expected) in [
			(
				"publish",
				"(drop (call $publish (i32.const 0) (i32.const 1) (i32.const 0) (i32.const 0x7fffffff)))",
				"the guest passed 2147483647 bytes where the host allows at most 4194304",
			),
			(
				"call",
				"(drop (call $call (i32.const 0) (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 0) (i32.const 0x7fffffff)))",
				"the guest passed 2147483647 bytes where the host allows at most 4194304",
			),
			(
				"a call's service name",
				"(drop (call $call (i32.const 0) (i32.const 0x7fffffff) (i32.const 0) (i32.const 1) (i32.const 0) (i32.const 1)))",
				"the guest passed 2147483647 bytes where the host allows at most 1024",
			),
			(
				"storage_set",
				"(call $set (i32.const 0) (i32.const 1) (i32.const 0) (i32.const 0x7fffffff))",
				"the guest passed 2147483647 bytes where the host allows at most 1048576",
			),
			(
				"a storage key",
				"(drop (call $get (i32.const 0) (i32.const 0x7fffffff)))",
				"the guest passed 2147483647 bytes where the host allows at most 4096",
			),
			(
				"a range past its memory",
				"(drop (call $publish (i32.const 0) (i32.const 1) (i32.const 65000) (i32.const 4096)))",
				"the guest passed memory out of bounds",
			),
		] {
			let error = run(&executor, &guest(body), b"{}", storage()).unwrap_err();
			assert_eq!(
				(error.code, error.detail.as_str()),
				(500, format!("the service failed: {expected}").as_str()),
				"{what}"
			);
		}
		let grown = resident().saturating_sub(before);
		assert!(grown < 256 << 20, "the host's resident memory grew by {grown} bytes");
		assert_eq!(run(&executor, &guest(""), b"{}", storage()).unwrap(), b"ok", "still serving");
	}

	#[test]
	fn a_guest_call_fans_out_at_most_max_nested_calls() {
		let executor = executor(None);
		// Publishes `times` times (the isolated host refuses each one), then answers.
		let fan_out = |times: u32| {
			guest(&format!(
				"(loop $again
				   (drop (call $publish (i32.const 0) (i32.const 1) (i32.const 0) (i32.const 1)))
				   (local.set $len (i32.add (local.get $len) (i32.const 1)))
				   (br_if $again (i32.lt_u (local.get $len) (i32.const {times}))))"
			))
		};
		let error =
			run(&executor, &fan_out(MAX_NESTED_CALLS + 1), b"{}", Arc::new(Storage::new(0)))
				.unwrap_err();
		assert_eq!(
			(error.code, error.detail.as_str()),
			(
				500,
				"the service failed: the service made more than 16 calls and publishes in one call"
			)
		);
		let within = run(&executor, &fan_out(MAX_NESTED_CALLS), b"{}", Arc::new(Storage::new(0)));
		assert_eq!(within.unwrap(), b"ok");
	}

	#[test]
	fn a_full_instance_pool_is_a_503_not_a_fault_of_the_version() {
		let executor = Arc::new(
			Executor::new(ExecutorConfig {
				memory_limit: 16 << 20,
				deadline: Duration::from_millis(1000),
				max_instances: 1,
				..ExecutorConfig::default()
			})
			.unwrap(),
		);
		let spinning = guest("(loop $forever (br $forever))");
		let answering = guest("");
		// Loaded first: loading runs an instance too.
		executor.load(&answering, None).unwrap();
		executor.load(&spinning, None).unwrap();
		// The spinner and the answering calls race for the one instance: whichever loses gets
		// the 503. Tried until the spinner wins, so answering calls meet it busy.
		let mut refusals = Vec::new();
		for _ in 0..20 {
			let busy = {
				let (executor, spinning) = (executor.clone(), spinning.clone());
				thread::spawn(move || run(&executor, &spinning, b"{}", Arc::new(Storage::new(0))))
			};
			while !busy.is_finished() {
				if let Err(error) = run(&executor, &answering, b"{}", Arc::new(Storage::new(0))) {
					refusals.push((error.code, error.detail));
				}
			}
			match busy.join().unwrap() {
				Err(error) if error.code == 408 => break,
				Err(error) => refusals.push((error.code, error.detail)),
				Ok(_) => panic!("the spinner answered"),
			}
		}
		assert!(!refusals.is_empty(), "nobody was refused while the only instance spun");
		let expected = (503, "this node runs 1 service calls at once, all busy: try again".into());
		assert!(refusals.iter().all(|refusal| *refusal == expected), "{refusals:?}");
		assert_eq!(run(&executor, &answering, b"{}", Arc::new(Storage::new(0))).unwrap(), b"ok");
	}

	#[test]
	fn no_call_sees_what_an_earlier_call_left_in_memory_or_globals() {
		// Fails if its global or its memory at 3000 is not as the module starts them, then
		// marks both; the second endpoint marks them and traps halfway.
		let marker = wat::parse_str(
			r#"(module
  (import "micro" "respond" (func $respond (param i32 i32)))
  (import "micro" "fail" (func $fail (param i32 i32 i32)))
  (memory (export "memory") 1)
  (global $seen (mut i32) (i32.const 0))
  (data (i32.const 1000) "cleandirty")
  (func (export "micro_abi_version") (result i32) (i32.const 1))
  (func (export "micro_alloc") (param i32) (result i32) (i32.const 4096))
  (func (export "micro_handle") (param i32 i32 i32 i32 i32) (result i32)
    (if (i32.or (global.get $seen) (i32.load (i32.const 3000)))
      (then (call $fail (i32.const 500) (i32.const 1005) (i32.const 5)) (return (i32.const 1))))
    (global.set $seen (i32.const 1))
    (i32.store (i32.const 3000) (i32.const 1))
    (if (i32.eq (local.get 1) (i32.const 4)) (then unreachable))
    (call $respond (i32.const 1000) (i32.const 5))
    (i32.const 0)))"#,
		)
		.unwrap();
		let executor = executor(None);
		let hash = executor.load(&marker, None).unwrap();
		let call = |endpoint: &str| {
			let storage = Arc::new(Storage::new(0));
			executor
				.call(&hash, "t", endpoint, b"{}", ContentType::Json, Arc::new(Isolated), storage)
				.map_err(|error| (error.code, error.detail))
		};
		// Calls as fast as they come, every other one trapping after its writes.
		for round in 0..20 {
			assert_eq!(call("Ok").as_deref(), Ok(&b"clean"[..]), "round {round}");
			let trapped = call("Trap").unwrap_err();
			assert_eq!(trapped.0, 500, "round {round}: {trapped:?}");
		}
	}

	/// A module whose `micro_handle` fails (`dirty`) unless memory, its size and the globals are
	/// as the module starts them (2 pages; zeros at 3000, 100000, in the second page, and the
	/// last word; the data segments intact; and, if its body is shorter, no byte of an earlier
	/// 100-byte body, placed at 4096, at 4160), then dirties all of them and answers `dirty`;
	/// `Grow` also grows memory and writes into the new page.
	fn deep_marker() -> Vec<u8> {
		wat::parse_str(
			r#"(module
  (import "micro" "respond" (func $respond (param i32 i32)))
  (import "micro" "fail" (func $fail (param i32 i32 i32)))
  (memory (export "memory") 2 4)
  (global $seen (mut i32) (i32.const 0))
  (global $count (mut i64) (i64.const 5))
  (data (i32.const 1000) "dirty")
  (data (i32.const 2000) "clean")
  (data (i32.const 70000) "deep")
  (func (export "micro_abi_version") (result i32) (i32.const 1))
  (func (export "micro_alloc") (param i32) (result i32) (i32.const 4096))
  (func (export "micro_handle") (param i32 i32 i32 i32 i32) (result i32)
    (if (i32.or
          (i32.or
            (i32.ne (memory.size) (i32.const 2))
            (i32.or (global.get $seen) (i64.ne (global.get $count) (i64.const 5))))
          (i32.or
            (i32.or (i32.load (i32.const 3000)) (i32.load (i32.const 100000)))
            (i32.or
              (i32.load (i32.const 131068))
              (i32.or
                (i32.ne (i32.load (i32.const 70000)) (i32.const 0x70656564))
                (i32.or
                  (i32.ne (i32.load8_u (i32.const 2000)) (i32.const 99))
                  (i32.and
                    (i32.lt_u (local.get 3) (i32.const 64))
                    (i32.ne (i32.load8_u (i32.const 4160)) (i32.const 0))))))))
      (then (call $fail (i32.const 500) (i32.const 1000) (i32.const 5)) (return (i32.const 1))))
    (global.set $seen (i32.const 1))
    (global.set $count (i64.const 6))
    (i32.store (i32.const 3000) (i32.const 1))
    (i32.store (i32.const 100000) (i32.const 1))
    (i32.store (i32.const 131068) (i32.const 1))
    (i32.store (i32.const 70000) (i32.const 1))
    (i32.store8 (i32.const 2000) (i32.const 0))
    (if (i32.eq (local.get 1) (i32.const 4))
      (then
        (drop (memory.grow (i32.const 1)))
        (i32.store (i32.const 140000) (i32.const 1))))
    (call $respond (i32.const 1000) (i32.const 5))
    (i32.store8 (i32.const 1000) (i32.const 0))
    (i32.const 0)))"#,
		)
		.unwrap()
	}

	#[test]
	fn a_warm_instance_starts_each_call_as_fresh_even_after_deep_writes_and_growth() {
		let marker = deep_marker();
		let executor = executor(None);
		let hash = executor.load(&marker, None).unwrap();
		let idle = || {
			let modules = executor.modules.lock().unwrap();
			modules[&hash].warm.as_ref().expect("kept warm").idle()
		};
		let call = |endpoint: &str, body: &[u8]| {
			let storage = Arc::new(Storage::new(0));
			executor
				.call(&hash, "t", endpoint, body, ContentType::Json, Arc::new(Isolated), storage)
				.map_err(|error| (error.code, error.detail))
		};
		let long = [b'x'; 100];
		assert_eq!(call("Dirty", &long).as_deref(), Ok(&b"dirty"[..]), "a fresh instance");
		assert_eq!(idle(), 1, "kept warm");
		for round in 0..10 {
			assert_eq!(call("Dirty", b"{}").as_deref(), Ok(&b"dirty"[..]), "round {round}");
			assert_eq!(idle(), 1, "round {round}: the same instance again");
			assert_eq!(call("Dirty", &long).as_deref(), Ok(&b"dirty"[..]), "round {round}");
		}
		// Grown, the instance cannot be put back: it is dropped, and the next call's fresh
		// instance starts with 2 pages.
		assert_eq!(call("Grow", b"{}").as_deref(), Ok(&b"dirty"[..]));
		assert_eq!(idle(), 0, "a grown instance is not kept");
		assert_eq!(call("Dirty", b"{}").as_deref(), Ok(&b"dirty"[..]), "after growth");
		assert_eq!(idle(), 1);
	}

	#[test]
	fn warm_instances_shared_by_concurrent_calls_each_start_as_fresh() {
		let executor = Arc::new(executor(None));
		let hash = executor.load(&deep_marker(), None).unwrap();
		let callers: Vec<_> = (0..4)
			.map(|caller| {
				let executor = executor.clone();
				thread::spawn(move || {
					for round in 0..50 {
						let endpoint = if round % 10 == 4 { "Grow" } else { "Dirty" };
						let body = if (round + caller) % 2 == 0 { &[b'x'; 100][..] } else { b"{}" };
						let storage = Arc::new(Storage::new(0));
						let answer = executor
							.call(
								&hash,
								"t",
								endpoint,
								body,
								ContentType::Json,
								Arc::new(Isolated),
								storage,
							)
							.map_err(|error| (error.code, error.detail));
						assert_eq!(
							answer.as_deref(),
							Ok(&b"dirty"[..]),
							"caller {caller}, round {round}"
						);
					}
				})
			})
			.collect();
		for caller in callers {
			caller.join().unwrap();
		}
		let modules = executor.modules.lock().unwrap();
		let idle = modules[&hash].warm.as_ref().unwrap().idle();
		assert!((1..=4).contains(&idle), "{idle} idle");
	}

	#[test]
	fn a_warm_instance_that_touched_many_pages_is_dropped_not_compared_page_by_page() {
		// Fails unless the last 8 of its memory's 128 kernel pages are zero; `Wide` then writes
		// to every page.
		let wide = wat::parse_str(
			r#"(module
  (import "micro" "respond" (func $respond (param i32 i32)))
  (import "micro" "fail" (func $fail (param i32 i32 i32)))
  (memory (export "memory") 8)
  (func (export "micro_abi_version") (result i32) (i32.const 1))
  (func (export "micro_alloc") (param i32) (result i32) (i32.const 0))
  (func (export "micro_handle") (param i32 i32 i32 i32 i32) (result i32)
    (local $at i32)
    (local.set $at (i32.const 491520))
    (loop $check
      (if (i32.load8_u (i32.add (local.get $at) (i32.const 100)))
        (then (call $fail (i32.const 500) (i32.const 0) (i32.const 0)) (return (i32.const 1))))
      (local.set $at (i32.add (local.get $at) (i32.const 4096)))
      (br_if $check (i32.lt_u (local.get $at) (i32.const 524288))))
    (local.set $at (i32.const 0))
    (if (i32.eq (local.get 1) (i32.const 4))
      (then
        (loop $write
          (i32.store8 (i32.add (local.get $at) (i32.const 100)) (i32.const 1))
          (local.set $at (i32.add (local.get $at) (i32.const 4096)))
          (br_if $write (i32.lt_u (local.get $at) (i32.const 524288))))))
    (call $respond (i32.const 0) (i32.const 0))
    (i32.const 0)))"#,
		)
		.unwrap();
		let executor = executor(None);
		let hash = executor.load(&wide, None).unwrap();
		let idle = || executor.modules.lock().unwrap()[&hash].warm.as_ref().unwrap().idle();
		let call = |endpoint: &str| {
			let storage = Arc::new(Storage::new(0));
			executor
				.call(&hash, "t", endpoint, b"", ContentType::Json, Arc::new(Isolated), storage)
				.map_err(|error| (error.code, error.detail))
		};
		assert_eq!(call("Check"), Ok(Vec::new()));
		assert_eq!(idle(), 1, "kept warm");
		assert_eq!(call("Wide"), Ok(Vec::new()));
		assert_eq!(idle(), 0, "128 pages touched: dropped");
		assert_eq!(call("Check"), Ok(Vec::new()), "a fresh instance");
		assert_eq!(idle(), 1);
	}

	/// Answers the 8 bytes at 5000 as the call finds them, then copies its request body there.
	fn echo_then_keep_body() -> Vec<u8> {
		guest(
			r#"(call $respond (i32.const 5000) (i32.const 8))
			   (memory.copy (i32.const 5000) (local.get $body) (local.get $body_len))
			   (return (i32.const 0))"#,
		)
	}

	#[test]
	fn a_lying_page_map_does_not_leak_one_callers_body_to_the_next() {
		// /dev/zero says no page was ever touched: a reset that believed it would rewrite
		// nothing, and B would read A's body.
		let executor = Executor::with_page_map(
			ExecutorConfig { memory_limit: 16 << 20, ..ExecutorConfig::default() },
			Some(warm::PageMap::unchecked(Path::new("/dev/zero"))),
		)
		.unwrap();
		let hash = executor.load(&echo_then_keep_body(), None).unwrap();
		let call = |body: &[u8]| {
			let storage = Arc::new(Storage::new(0));
			executor
				.call(&hash, "t", "Echo", body, ContentType::Json, Arc::new(Isolated), storage)
				.unwrap()
		};
		assert_eq!(call(b"secret-A"), [0; 8], "A finds the initial memory");
		assert_eq!(call(b"caller-B"), [0; 8], "B must not receive A's body");
		assert!(!executor.warm_on(), "warm instances are off for good");
		assert_eq!(executor.modules.lock().unwrap()[&hash].warm.as_ref().unwrap().idle(), 0);
		assert_eq!(call(b"caller-C"), [0; 8], "fresh instances from now on");
	}

	/// A module answering `ok` whose initial memory has a non-zero byte in its first kernel
	/// page and in `more` pages after its first wasm page.
	fn sparse_data(more: usize) -> Vec<u8> {
		let data: String = (0..more)
			.map(|page| format!("(data (i32.const {}) \"x\")", 65536 + page * 4096))
			.collect();
		let wasm_pages = 1 + (more * 4096).div_ceil(65536);
		wat::parse_str(format!(
			r#"(module
  (import "micro" "respond" (func $respond (param i32 i32)))
  (memory (export "memory") {wasm_pages})
  (data (i32.const 1000) "ok")
  {data}
  (func (export "micro_abi_version") (result i32) (i32.const 1))
  (func (export "micro_alloc") (param i32) (result i32) (i32.const 4096))
  (func (export "micro_handle") (param i32 i32 i32 i32 i32) (result i32)
    (call $respond (i32.const 1000) (i32.const 2))
    (i32.const 0)))"#
		))
		.unwrap()
	}

	#[test]
	fn a_module_with_too_much_initial_memory_to_copy_gets_fresh_instances() {
		let executor = executor(None);
		let call = |hash: &CodeHash| {
			let storage = Arc::new(Storage::new(0));
			executor
				.call(hash, "t", "Any", b"{}", ContentType::Json, Arc::new(Isolated), storage)
				.map_err(|error| (error.code, error.detail))
		};
		let at_cap = executor.load(&sparse_data(warm::MAX_SNAPSHOT_PAGES - 1), None).unwrap();
		{
			let modules = executor.modules.lock().unwrap();
			let pool = modules[&at_cap].warm.as_ref().expect("kept warm");
			assert_eq!(pool.snapshot_bytes(), warm::MAX_SNAPSHOT_PAGES * 4096);
		}
		let over = executor.load(&sparse_data(warm::MAX_SNAPSHOT_PAGES), None).unwrap();
		assert!(executor.modules.lock().unwrap()[&over].warm.is_none(), "no pool, no snapshot");
		for _ in 0..3 {
			assert_eq!(call(&over).as_deref(), Ok(&b"ok"[..]));
			assert_eq!(call(&at_cap).as_deref(), Ok(&b"ok"[..]));
		}
		assert_eq!(executor.modules.lock().unwrap()[&at_cap].warm.as_ref().unwrap().idle(), 1);
	}

	#[test]
	fn modules_using_proposals_a_warm_reset_was_not_audited_for_are_refused() {
		let executor = executor(None);
		for (what, wat) in [
			("gc", "(module (type (struct (field i32))))"),
			("function references", "(module (func (param (ref func))))"),
			("exceptions", "(module (tag))"),
			("threads", "(module (memory 1 1 shared))"),
			("custom page sizes", "(module (memory 1 (pagesize 1)))"),
		] {
			let wasm = wat::parse_str(wat).unwrap();
			let error = executor.load(&wasm, None).unwrap_err();
			assert!(matches!(error, LoadError::Invalid(_)), "{what}: {error:?}");
		}
	}

	#[test]
	fn a_full_idle_budget_makes_room_for_another_module_by_dropping_the_oldest_idle_instance() {
		let executor = Executor::new(ExecutorConfig {
			memory_limit: 16 << 20,
			max_instances: 2,
			..ExecutorConfig::default()
		})
		.unwrap();
		let (first, second, other) = (guest(""), guest("(nop)"), guest("(nop) (nop)"));
		let idle = |wasm: &[u8]| {
			let modules = executor.modules.lock().unwrap();
			modules[&code_hash(wasm)].warm.as_ref().expect("may be kept warm").idle()
		};
		let storage = || Arc::new(Storage::new(0));
		// Two modules fill the idle budget of 2, the first the older.
		assert_eq!(run(&executor, &first, b"{}", storage()).unwrap(), b"ok");
		assert_eq!(run(&executor, &second, b"{}", storage()).unwrap(), b"ok");
		assert_eq!((idle(&first), idle(&second)), (1, 1));
		for round in 0..3 {
			assert_eq!(run(&executor, &other, b"{}", storage()).unwrap(), b"ok", "round {round}");
			assert_eq!(
				(idle(&first), idle(&second), idle(&other)),
				(0, 1, 1),
				"round {round}: the oldest idle instance made room"
			);
		}
		// And back: the first module's instance is kept, in place of the now oldest.
		assert_eq!(run(&executor, &first, b"{}", storage()).unwrap(), b"ok");
		assert_eq!((idle(&first), idle(&second), idle(&other)), (1, 0, 1));
	}

	#[test]
	fn with_warm_instances_off_no_instance_is_kept() {
		let executor = Executor::new(ExecutorConfig {
			memory_limit: 16 << 20,
			warm_instances: false,
			..ExecutorConfig::default()
		})
		.unwrap();
		let hash = executor.load(&guest(""), None).unwrap();
		assert!(executor.modules.lock().unwrap()[&hash].warm.is_none());
		let storage = Arc::new(Storage::new(0));
		let answer =
			executor.call(&hash, "t", "Any", b"{}", ContentType::Json, Arc::new(Isolated), storage);
		assert_eq!(answer.unwrap(), b"ok");
	}

	#[test]
	fn calls_past_max_instances_at_once_get_a_503() {
		let executor = Arc::new(
			Executor::new(ExecutorConfig {
				memory_limit: 16 << 20,
				deadline: Duration::from_millis(2000),
				max_instances: 2,
				..ExecutorConfig::default()
			})
			.unwrap(),
		);
		let spinning = guest("(loop $forever (br $forever))");
		let answering = guest("");
		executor.load(&answering, None).unwrap();
		executor.load(&spinning, None).unwrap();
		let spinners: Vec<_> = (0..2)
			.map(|_| {
				let (executor, spinning) = (executor.clone(), spinning.clone());
				thread::spawn(move || run(&executor, &spinning, b"{}", Arc::new(Storage::new(0))))
			})
			.collect();
		let until = Instant::now() + Duration::from_millis(1500);
		while executor.running.load(Ordering::Relaxed) < 2 {
			assert!(Instant::now() < until, "the spinners did not start");
			thread::yield_now();
		}
		// Both spinners hold the two calls the executor runs at once: an answering call is
		// refused in words.
		let refused = run(&executor, &answering, b"{}", Arc::new(Storage::new(0))).unwrap_err();
		assert_eq!(
			(refused.code, refused.detail.as_str()),
			(503, "this node runs 2 service calls at once, all busy: try again")
		);
		for spinner in spinners {
			assert_eq!(spinner.join().unwrap().unwrap_err().code, 408);
		}
		assert_eq!(run(&executor, &answering, b"{}", Arc::new(Storage::new(0))).unwrap(), b"ok");
	}

	/// `Set` stores the body at key `k`; anything else answers what is stored there.
	fn keeper() -> Vec<u8> {
		guest(
			r#"(i32.store8 (i32.const 0) (i32.const 107))
			   (if (i32.eq (local.get $endpoint_len) (i32.const 3))
			     (then (call $set (i32.const 0) (i32.const 1) (local.get $body) (local.get $body_len)))
			     (else
			       (local.set $len (call $get (i32.const 0) (i32.const 1)))
			       (if (i32.lt_s (local.get $len) (i32.const 0)) (then (local.set $len (i32.const 0))))
			       (call $take (i32.const 2000))
			       (call $respond (i32.const 2000) (local.get $len))
			       (return (i32.const 0))))"#,
		)
	}

	#[test]
	fn service_storage_survives_a_restart_of_the_executor() {
		let dir = tempfile::tempdir().unwrap();
		let wasm = keeper();
		let call = |executor: &Executor, storage: &Arc<Storage>, endpoint: &str, body: &[u8]| {
			let hash = executor.load(&wasm, None).unwrap();
			executor
				.call(
					&hash,
					"t",
					endpoint,
					body,
					ContentType::Json,
					Arc::new(Isolated),
					storage.clone(),
				)
				.unwrap()
		};
		{
			let executor = executor(Some(dir.path().to_path_buf()));
			let storage = Arc::new(executor.storage("keeper", 1, 1 << 20).unwrap());
			call(&executor, &storage, "Set", br#"{"kept":true}"#);
			assert_eq!(call(&executor, &storage, "Read", b"{}"), br#"{"kept":true}"#);
		}
		let executor = executor(Some(dir.path().to_path_buf()));
		let storage = Arc::new(executor.storage("keeper", 1, 1 << 20).unwrap());
		assert_eq!(call(&executor, &storage, "Read", b"{}"), br#"{"kept":true}"#, "kept on disk");
		let other = Arc::new(executor.storage("keeper", 2, 1 << 20).unwrap());
		assert_eq!(call(&executor, &other, "Read", b"{}"), b"", "each version has its own");
		assert!(dir.path().join("keeper-v1.redb").exists());
		assert_eq!(storage_file("../keystore", 1), "x2e2e2f6b657973746f7265-v1.redb");
	}

	#[test]
	fn persisted_storage_counts_its_limit_across_restarts() {
		let dir = tempfile::tempdir().unwrap();
		let path = dir.path().join("s.redb");
		{
			let storage = Storage::open(&path, 10).unwrap();
			assert!(storage.set(b"ab", b"cdef"));
			assert!(storage.set(b"gone", b""));
			storage.remove(b"gone");
		}
		let storage = Storage::open(&path, 10).unwrap();
		assert_eq!(storage.get(b"ab").as_deref(), Some(&b"cdef"[..]));
		assert_eq!(storage.get(b"gone"), None);
		assert!(!storage.set(b"xyz", b"1234"), "6 + 7 would pass the limit of 10");
		assert!(storage.set(b"xyz", b"1"), "6 + 4 fits");
	}

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
