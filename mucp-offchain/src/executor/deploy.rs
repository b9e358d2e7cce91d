//! A service's versions side by side on one node, and which one answers a call.
//!
//! Publishing a version starts it beside the ones already running. A call goes to the version
//! the caller names (header [`VERSION_HEADER`]) or else to the newest healthy one. A version
//! whose calls keep failing in the sandbox (traps, deadlines) is unhealthy and skipped until
//! [`RECOVERY`] has passed; errors the service answers on purpose (400, 404, ...) do not count.
//! Older versions keep serving until they are retired.

use std::{
	collections::BTreeMap,
	sync::{Arc, Mutex},
	time::{Duration, Instant},
};

use super::{
	logs::{ServiceLogs, VersionHost},
	CodeHash, Executor, Host, Storage,
};
use crate::protocol::{ContentType, MicroError};

/// The header a caller names a version with (`1`, `2`, ...). Without it the newest healthy
/// version answers.
pub const VERSION_HEADER: &str = "Micro-Version";
/// Sandbox failures in a row that make a version unhealthy.
pub const UNHEALTHY_AFTER: u32 = 3;
/// How long an unhealthy version is skipped before it is tried again.
pub const RECOVERY: Duration = Duration::from_secs(30);

/// One running version.
struct Running {
	hash: CodeHash,
	storage: Arc<Storage>,
	/// The deployment's host, logging to this version's ring.
	host: Arc<dyn Host>,
	failures: u32,
	unhealthy_since: Option<Instant>,
	calls: u64,
	failed_calls: u64,
}

impl Running {
	fn healthy(&self, now: Instant) -> bool {
		self.unhealthy_since.is_none_or(|since| now.duration_since(since) >= RECOVERY)
	}
}

/// The versions of one service running on this node.
pub struct Deployment {
	name: String,
	executor: Arc<Executor>,
	host: Arc<dyn Host>,
	storage_limit: usize,
	versions: Mutex<BTreeMap<u32, Running>>,
	logs: Arc<ServiceLogs>,
}

/// What one version looks like from outside.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VersionStatus {
	/// Its number.
	pub version: u32,
	/// Its code hash.
	pub hash: CodeHash,
	/// Whether calls without a version go to it when it is the newest.
	pub healthy: bool,
	/// Calls it has answered or failed since it started.
	pub calls: u64,
	/// Calls that failed in the sandbox: trapped, ran past their deadline, or answered 500.
	pub failed_calls: u64,
}

impl Deployment {
	/// An empty deployment of service `name`; each version's storage holds up to
	/// `storage_limit` bytes.
	pub fn new(
		name: &str,
		executor: Arc<Executor>,
		host: Arc<dyn Host>,
		storage_limit: usize,
	) -> Self {
		Self {
			name: name.to_owned(),
			logs: ServiceLogs::with_node(name, executor.node_logs().clone()),
			executor,
			host,
			storage_limit,
			versions: Mutex::new(BTreeMap::new()),
		}
	}

	/// The log lines of its running versions.
	pub fn logs(&self) -> &Arc<ServiceLogs> {
		&self.logs
	}

	/// The service's name.
	pub fn name(&self) -> &str {
		&self.name
	}

	/// Starts `version`, whose module `hash` must be loaded in the executor, beside the others.
	/// Starting a running version again with the same code changes nothing.
	pub fn start(&self, version: u32, hash: CodeHash) -> Result<(), MicroError> {
		if !self.executor.is_loaded(&hash) {
			return Err(MicroError::new(&self.name, 503, "the version's code is not loaded"));
		}
		let mut versions = self.versions.lock().expect("versions lock");
		match versions.get(&version) {
			Some(running) if running.hash == hash => Ok(()),
			Some(_) => Err(MicroError::bad_request(
				&self.name,
				format!("version {version} already runs other code"),
			)),
			None => {
				// On disk when the executor has a storage directory, so a restart keeps it.
				let storage = Arc::new(
					self.executor.storage(&self.name, version, self.storage_limit).map_err(
						|e| MicroError::new(&self.name, 503, format!("opening its storage: {e}")),
					)?,
				);
				self.logs.open(version);
				let host =
					Arc::new(VersionHost::new(self.host.clone(), self.logs.clone(), version));
				versions.insert(
					version,
					Running {
						hash,
						storage,
						host,
						failures: 0,
						unhealthy_since: None,
						calls: 0,
						failed_calls: 0,
					},
				);
				Ok(())
			}
		}
	}

	/// Stops `version`; calls no longer reach it, and its log lines are dropped.
	pub fn retire(&self, version: u32) -> bool {
		let retired = self.versions.lock().expect("versions lock").remove(&version).is_some();
		self.logs.close(version);
		retired
	}

	/// The running versions, oldest first.
	pub fn versions(&self) -> Vec<VersionStatus> {
		let now = Instant::now();
		self.versions
			.lock()
			.expect("versions lock")
			.iter()
			.map(|(version, running)| VersionStatus {
				version: *version,
				hash: running.hash,
				healthy: running.healthy(now),
				calls: running.calls,
				failed_calls: running.failed_calls,
			})
			.collect()
	}

	/// The version a call goes to: `requested`, or the newest healthy one (the newest of all
	/// if none is healthy).
	pub fn route(&self, requested: Option<u32>) -> Result<u32, MicroError> {
		self.pick(&self.versions.lock().expect("versions lock"), requested)
	}

	fn pick(
		&self,
		versions: &BTreeMap<u32, Running>,
		requested: Option<u32>,
	) -> Result<u32, MicroError> {
		if let Some(version) = requested {
			return versions.contains_key(&version).then_some(version).ok_or_else(|| {
				MicroError::not_found(&self.name, format!("version {version} is not running here"))
			});
		}
		let now = Instant::now();
		versions
			.iter()
			.rev()
			.find(|(_, running)| running.healthy(now))
			.or_else(|| versions.iter().next_back())
			.map(|(version, _)| *version)
			.ok_or_else(|| MicroError::new(&self.name, 503, "no version is running here"))
	}

	/// Answers a call: routes it, runs it in the sandbox, and keeps the version's health.
	pub fn call(
		&self,
		id: &str,
		requested: Option<u32>,
		endpoint: &str,
		body: &[u8],
		content_type: ContentType,
	) -> Result<Vec<u8>, MicroError> {
		// Routed and read under one lock, so a version retired meanwhile is never half seen.
		let (version, hash, storage, host) = {
			let versions = self.versions.lock().expect("versions lock");
			let version = self
				.pick(&versions, requested)
				.map_err(|e| MicroError { id: id.to_owned(), ..e })?;
			let running = &versions[&version];
			(version, running.hash, running.storage.clone(), running.host.clone())
		};
		let result = self.executor.call(&hash, id, endpoint, body, content_type, host, storage);
		let sandbox_failure =
			matches!(&result, Err(error) if error.code == 408 || error.code == 500);
		if let (true, Err(error)) = (sandbox_failure, &result) {
			let line = format!("{endpoint} failed ({}): {}", error.code, error.detail);
			self.logs.note(version, 0, &line);
		}
		if let Some(running) = self.versions.lock().expect("versions lock").get_mut(&version) {
			running.calls = running.calls.saturating_add(1);
			if sandbox_failure {
				running.failed_calls = running.failed_calls.saturating_add(1);
				running.failures = running.failures.saturating_add(1);
				if running.failures >= UNHEALTHY_AFTER {
					running.unhealthy_since = Some(Instant::now());
				}
			} else {
				running.failures = 0;
				running.unhealthy_since = None;
			}
		}
		result
	}
}
