//! A service's log lines, kept on the node per running version for `micro logs` (the
//! `micro_logs` RPC method).
//!
//! Bounded whatever the guest does: each version keeps its last [`MAX_LINES`] lines (each at
//! most 4 KiB, capped by the ABI as it reads them), a guest call keeps at most
//! [`MAX_LINES_PER_CALL`] (a guest logging in a loop costs the node no more than its ring),
//! and only the versions running have a ring: retiring a version drops its lines. What could
//! not be kept is counted in `dropped`. Every kept line also goes to the node's own log
//! (target `mucp::service`), with the service and version, its control characters escaped.
//!
//! Lines are numbered across a service's versions in the order they were written, so a reader
//! asks for those after the last one it saw (`since`) and misses none still kept.

use std::{
	collections::{BTreeMap, VecDeque},
	sync::{Arc, Mutex},
	time::{SystemTime, UNIX_EPOCH},
};

use serde::Serialize;

use super::Host;
use crate::protocol::MicroError;

/// Lines kept per running version; older ones make room and are counted as dropped.
pub const MAX_LINES: usize = 512;
/// Lines one guest call may write; past these its lines are counted as dropped, not kept.
pub const MAX_LINES_PER_CALL: u32 = 64;

/// One log line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LogLine {
	/// Its number: increasing across the service's versions, in the order lines were written.
	pub seq: u64,
	/// The version that wrote it.
	pub version: u32,
	/// When, in milliseconds since the Unix epoch.
	pub at_ms: u64,
	/// `error`, `warn`, `info` or `debug`.
	pub level: &'static str,
	/// What the service wrote (at most 4 KiB).
	pub text: String,
}

/// What [`ServiceLogs::read`] answers: the lines kept, oldest first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LogPage {
	/// The service.
	pub service: String,
	/// The lines after `since`, oldest first.
	pub lines: Vec<LogLine>,
	/// Lines the versions read wrote that were not kept: pushed out by newer ones, or past a
	/// call's share.
	pub dropped: u64,
	/// The `since` that asks for the lines after these.
	pub next: u64,
}

/// The log of one running version.
#[derive(Default)]
struct VersionLog {
	lines: VecDeque<LogLine>,
	dropped: u64,
}

#[derive(Default)]
struct Rings {
	/// The number the next line gets (lines start at 1, so `since = 0` reads them all).
	next: u64,
	versions: BTreeMap<u32, VersionLog>,
}

/// The log rings of one service's running versions.
pub struct ServiceLogs {
	service: String,
	rings: Mutex<Rings>,
}

/// The level's name, as the ABI numbers them (0 error, 1 warn, 2 info, 3 debug).
pub fn level_name(level: i32) -> &'static str {
	match level {
		0 => "error",
		1 => "warn",
		2 => "info",
		_ => "debug",
	}
}

fn log_level(level: i32) -> log::Level {
	match level {
		0 => log::Level::Error,
		1 => log::Level::Warn,
		2 => log::Level::Info,
		_ => log::Level::Debug,
	}
}

/// `text` with its control characters escaped (`\n`, `\u{1b}`), so a line written by a
/// service can neither forge lines in the node's log nor drive a terminal.
pub fn printable(text: &str) -> std::borrow::Cow<'_, str> {
	if !text.chars().any(char::is_control) {
		return text.into();
	}
	text.chars()
		.map(|c| if c.is_control() { c.escape_default().to_string() } else { c.to_string() })
		.collect::<String>()
		.into()
}

fn now_ms() -> u64 {
	SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64)
}

impl ServiceLogs {
	/// No rings yet, for service `service`.
	pub fn new(service: &str) -> Self {
		Self {
			service: service.to_owned(),
			rings: Mutex::new(Rings { next: 1, ..Rings::default() }),
		}
	}

	/// Gives `version` a ring, empty (it keeps the one it has if it has one).
	pub fn open(&self, version: u32) {
		self.rings.lock().expect("not poisoned").versions.entry(version).or_default();
	}

	/// Drops `version`'s ring and its lines.
	pub fn close(&self, version: u32) {
		self.rings.lock().expect("not poisoned").versions.remove(&version);
	}

	/// Keeps a line `version` wrote at `level` (0 error, 1 warn, 2 info, 3 debug), pushing out
	/// its oldest if its ring is full, and writes it to the node's log. A version without a
	/// ring (retired meanwhile) keeps nothing.
	pub fn write(&self, version: u32, level: i32, text: &str) {
		if self.keep(version, level, text) {
			log::log!(
				target: "mucp::service",
				log_level(level),
				"{} v{version}: {}",
				self.service,
				printable(text)
			);
		}
	}

	/// Keeps a line of the node's about `version` (a call that failed in the sandbox) in its
	/// ring only: the node's log does not get a line per failed call.
	pub fn note(&self, version: u32, level: i32, text: &str) {
		self.keep(version, level, text);
	}

	fn keep(&self, version: u32, level: i32, text: &str) -> bool {
		let mut rings = self.rings.lock().expect("not poisoned");
		let seq = rings.next;
		let Some(ring) = rings.versions.get_mut(&version) else { return false };
		if ring.lines.len() >= MAX_LINES {
			ring.lines.pop_front();
			ring.dropped += 1;
		}
		ring.lines.push_back(LogLine {
			seq,
			version,
			at_ms: now_ms(),
			level: level_name(level),
			text: text.to_owned(),
		});
		rings.next += 1;
		true
	}

	/// Counts `lines` lines `version` wrote that were not kept.
	pub fn count_dropped(&self, version: u32, lines: u64) {
		if let Some(ring) = self.rings.lock().expect("not poisoned").versions.get_mut(&version) {
			ring.dropped = ring.dropped.saturating_add(lines);
		}
	}

	/// Lines kept and dropped by `version`, if it has a ring.
	pub fn counts(&self, version: u32) -> Option<(u64, u64)> {
		let rings = self.rings.lock().expect("not poisoned");
		rings.versions.get(&version).map(|ring| (ring.lines.len() as u64, ring.dropped))
	}

	/// The lines numbered after `since` (all with `None`) of `version`, or of every running
	/// version, oldest first; `None` if `version` does not run.
	pub fn read(&self, version: Option<u32>, since: Option<u64>) -> Option<LogPage> {
		let rings = self.rings.lock().expect("not poisoned");
		let since = since.unwrap_or(0);
		let chosen: Vec<&VersionLog> = match version {
			Some(version) => vec![rings.versions.get(&version)?],
			None => rings.versions.values().collect(),
		};
		let mut lines: Vec<LogLine> = chosen
			.iter()
			.flat_map(|ring| ring.lines.iter().filter(|line| line.seq > since).cloned())
			.collect();
		lines.sort_unstable_by_key(|line| line.seq);
		Some(LogPage {
			service: self.service.clone(),
			lines,
			dropped: chosen.iter().map(|ring| ring.dropped).sum(),
			next: rings.next - 1,
		})
	}
}

/// The host one version's calls get: `inner`'s calls and publishes, and its log lines kept in
/// the service's [`ServiceLogs`] under its version.
pub struct VersionHost {
	inner: Arc<dyn Host>,
	logs: Arc<ServiceLogs>,
	version: u32,
}

impl VersionHost {
	/// Version `version`'s host, reaching out through `inner`, logging to `logs`.
	pub fn new(inner: Arc<dyn Host>, logs: Arc<ServiceLogs>, version: u32) -> Self {
		Self { inner, logs, version }
	}
}

impl Host for VersionHost {
	fn call(&self, service: &str, endpoint: &str, body: &[u8]) -> Result<Vec<u8>, MicroError> {
		self.inner.call(service, endpoint, body)
	}

	fn publish(&self, topic: &str, body: &[u8]) -> Result<(), MicroError> {
		self.inner.publish(topic, body)
	}

	fn log(&self, level: i32, line: &str) {
		self.logs.write(self.version, level, line);
	}

	fn log_dropped(&self, lines: u64) {
		self.logs.count_dropped(self.version, lines);
	}
}

#[cfg(test)]
pub(crate) mod tests {
	use super::*;

	fn texts(page: &LogPage) -> Vec<(u64, u32, &str)> {
		page.lines.iter().map(|l| (l.seq, l.version, l.text.as_str())).collect()
	}

	#[test]
	fn a_ring_keeps_its_last_lines_and_counts_those_pushed_out() {
		let logs = ServiceLogs::new("echo");
		logs.open(1);
		for n in 0..MAX_LINES + 3 {
			logs.write(1, 2, &format!("line {n}"));
		}
		let page = logs.read(Some(1), None).unwrap();
		assert_eq!(page.lines.len(), MAX_LINES);
		assert_eq!(page.lines[0].text, "line 3", "the 3 oldest were pushed out");
		assert_eq!(page.lines[MAX_LINES - 1].text, format!("line {}", MAX_LINES + 2));
		assert_eq!(page.lines[0].level, "info");
		assert_eq!(page.dropped, 3);
		assert_eq!(page.next, MAX_LINES as u64 + 3);
		assert_eq!(logs.counts(1), Some((MAX_LINES as u64, 3)));
		logs.count_dropped(1, 10);
		assert_eq!(logs.counts(1), Some((MAX_LINES as u64, 13)));
	}

	#[test]
	fn lines_are_read_after_since_across_versions_oldest_first() {
		let logs = ServiceLogs::new("echo");
		logs.open(1);
		logs.open(2);
		logs.write(1, 0, "a");
		logs.write(2, 1, "b");
		logs.write(1, 3, "c");
		logs.write(3, 2, "not running: not kept");
		let all = logs.read(None, None).unwrap();
		assert_eq!(texts(&all), [(1, 1, "a"), (2, 2, "b"), (3, 1, "c")]);
		assert_eq!(
			all.lines.iter().map(|l| l.level).collect::<Vec<_>>(),
			["error", "warn", "debug"]
		);
		assert_eq!(all.next, 3);
		assert_eq!(texts(&logs.read(None, Some(1)).unwrap()), [(2, 2, "b"), (3, 1, "c")]);
		assert_eq!(texts(&logs.read(Some(1), Some(1)).unwrap()), [(3, 1, "c")]);
		let none = logs.read(None, Some(3)).unwrap();
		assert_eq!((none.lines.len(), none.next), (0, 3), "nothing new: the same cursor");
		assert_eq!(logs.read(Some(3), None), None, "version 3 does not run");
	}

	#[test]
	fn closing_a_version_drops_its_lines() {
		let logs = ServiceLogs::new("echo");
		logs.open(1);
		logs.open(2);
		logs.write(1, 2, "one");
		logs.write(2, 2, "two");
		logs.close(1);
		assert_eq!(logs.read(Some(1), None), None);
		assert_eq!(logs.counts(1), None);
		assert_eq!(texts(&logs.read(None, None).unwrap()), [(2, 2, "two")]);
		logs.open(1);
		assert_eq!(logs.read(Some(1), None).unwrap().lines, [], "reopened empty");
	}

	/// A module that logs: `One` a line, `Flood` 1000 lines, `LongLine` 5000 bytes, and
	/// `Unreachable` a line before it traps.
	pub(crate) const LOGGER_WAT: &str = r#"(module
  (import "micro" "log" (func $log (param i32 i32 i32)))
  (import "micro" "respond" (func $respond (param i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "hello from wasm")
  (data (i32.const 32) "spam")
  (data (i32.const 1000) "ok")
  (func (export "micro_abi_version") (result i32) (i32.const 1))
  (func (export "micro_alloc") (param i32) (result i32) (i32.const 4096))
  (func (export "micro_handle") (param $endpoint i32) (param $endpoint_len i32)
    (param $body i32) (param $body_len i32) (param $content_type i32) (result i32)
    (local $n i32)
    (if (i32.eq (local.get $endpoint_len) (i32.const 3))
      (then (call $log (i32.const 2) (i32.const 0) (i32.const 15))))
    (if (i32.eq (local.get $endpoint_len) (i32.const 5))
      (then (loop $again
        (call $log (i32.const 1) (i32.const 32) (i32.const 4))
        (local.set $n (i32.add (local.get $n) (i32.const 1)))
        (br_if $again (i32.lt_u (local.get $n) (i32.const 1000))))))
    (if (i32.eq (local.get $endpoint_len) (i32.const 8))
      (then (call $log (i32.const 3) (i32.const 0) (i32.const 5000))))
    (if (i32.eq (local.get $endpoint_len) (i32.const 11))
      (then (call $log (i32.const 0) (i32.const 0) (i32.const 5)) (unreachable)))
    (call $respond (i32.const 1000) (i32.const 2))
    (i32.const 0)))"#;

	#[test]
	fn a_module_s_lines_are_kept_per_call_share_and_dropped_with_its_version() {
		use crate::{
			executor::{tests::executor, Deployment, Isolated},
			protocol::ContentType,
		};
		let executor = Arc::new(executor(None));
		let hash = executor.load(&wat::parse_str(LOGGER_WAT).unwrap(), None).unwrap();
		let deployment = Deployment::new("logger", executor, Arc::new(Isolated), 1 << 20);
		deployment.start(1, hash).unwrap();
		let call = |endpoint: &str| {
			deployment.call("t", None, endpoint, b"{}", ContentType::Json).map_err(|e| e.code)
		};
		assert_eq!(call("One"), Ok(b"ok".to_vec()));
		let page = deployment.logs().read(Some(1), None).unwrap();
		assert_eq!(texts(&page), [(1, 1, "hello from wasm")]);
		assert_eq!((page.lines[0].level, page.service.as_str()), ("info", "logger"));
		assert!(page.lines[0].at_ms > 1_700_000_000_000, "a Unix time in ms");

		// A guest logging in a loop keeps its share; the rest are counted, not kept.
		assert_eq!(call("Flood"), Ok(b"ok".to_vec()));
		let kept = 1 + u64::from(MAX_LINES_PER_CALL);
		assert_eq!(deployment.logs().counts(1), Some((kept, 1000 - kept + 1)));
		let page = deployment.logs().read(Some(1), Some(1)).unwrap();
		assert!(page.lines.iter().all(|l| (l.text.as_str(), l.level) == ("spam", "warn")));
		assert_eq!(page.dropped, 1000 - u64::from(MAX_LINES_PER_CALL));
		// The next call has a share of its own; a line is capped at 4 KiB.
		assert_eq!(call("LongLine"), Ok(b"ok".to_vec()));
		let long = deployment.logs().read(Some(1), Some(page.next)).unwrap();
		assert_eq!(long.lines.len(), 1);
		assert_eq!((long.lines[0].text.len(), long.lines[0].level), (4096, "debug"));

		// A call that traps: its line, then the node's note of why it failed.
		assert_eq!(call("Unreachable"), Err(500));
		let failed = deployment.logs().read(Some(1), Some(long.next)).unwrap();
		assert_eq!(
			failed.lines.iter().map(|l| (l.level, l.text.as_str())).collect::<Vec<_>>(),
			[
				("error", "hello"),
				(
					"error",
					"Unreachable failed (500): the service panicked (out of memory, or a bug): \
					 this call failed"
				)
			]
		);
		let status = deployment.versions().remove(0);
		assert_eq!((status.calls, status.failed_calls), (4, 1));

		assert!(deployment.retire(1));
		assert_eq!(deployment.logs().read(Some(1), None), None, "its lines are dropped");
		assert_eq!(deployment.logs().read(None, None).unwrap().lines, []);
	}

	#[test]
	fn control_characters_are_escaped_for_the_node_log() {
		assert_eq!(printable("plain text"), "plain text");
		assert_eq!(printable("forged\nline \u{1b}[2J"), "forged\\nline \\u{1b}[2J");
	}
}
