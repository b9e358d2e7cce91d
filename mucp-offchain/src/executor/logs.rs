//! A service's log lines, kept on the node per running version for `micro logs` (the
//! `micro_logs` RPC method).
//!
//! Bounded whatever the guests do: each version keeps its last [`MAX_LINES`] lines, each at
//! most [`MAX_LINE_BYTES`] once decoded; a guest call keeps at most [`MAX_LINES_PER_CALL`] (a
//! guest logging in a loop costs the node no more than its ring); all the rings of a node
//! together hold at most [`NODE_LOG_BYTES`] ([`NodeLogs`]: past it the largest ring loses its
//! oldest lines); and only the versions running have a ring: retiring a version drops its
//! lines. What could not be kept is counted in `dropped`. A read answers a page of at most
//! [`PAGE_LINES`] lines and [`PAGE_BYTES`] of JSON.
//!
//! Kept lines also go to the node's own log (target `mucp::service`), with the service and
//! version, escaped ([`printable`]) and cut to [`NODE_LOG_CHARS`] characters, at the guest's
//! level but never above `warn`, and at most [`NODE_LOG_PER_SECOND`] a second per service
//! (bursts of [`NODE_LOG_BURST`]): the rest are only counted there.
//!
//! Lines are numbered across a service's versions in the order they were written, so a reader
//! asks for those after the last one it saw (`since`) and misses none still kept.

use std::{
	collections::{BTreeMap, VecDeque},
	sync::{
		atomic::{AtomicUsize, Ordering},
		Arc, Mutex, Weak,
	},
	time::{Instant, SystemTime, UNIX_EPOCH},
};

use serde::Serialize;

use super::Host;
use crate::protocol::MicroError;

/// Lines kept per running version; older ones make room and are counted as dropped.
pub const MAX_LINES: usize = 512;
/// Lines one guest call may write; past these its lines are counted as dropped, not kept.
pub const MAX_LINES_PER_CALL: u32 = 64;
/// Longest line kept, in bytes of UTF-8 (as decoded: invalid bytes become U+FFFD first).
pub const MAX_LINE_BYTES: usize = 4096;
/// The bytes all the rings of a node hold together, at most.
pub const NODE_LOG_BYTES: usize = 64 << 20;
/// Lines one read answers, at most.
pub const PAGE_LINES: usize = 256;
/// Bytes of JSON the lines of one read take, at most (past its first line).
pub const PAGE_BYTES: usize = 512 << 10;
/// Lines a service writes to the node's log per second, on average.
pub const NODE_LOG_PER_SECOND: u32 = 20;
/// Lines a service may write to the node's log at once, after a quiet while.
pub const NODE_LOG_BURST: u32 = 100;
/// Characters of a line written to the node's log, escaped; the rest is cut.
pub const NODE_LOG_CHARS: usize = 256;

/// What a kept line costs the node's budget beyond its text.
const LINE_OVERHEAD: usize = std::mem::size_of::<Kept>();
/// The JSON of a line beyond its text's: its keys, numbers and level, at most.
const LINE_JSON: usize = 100;

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
	/// What the service wrote (at most [`MAX_LINE_BYTES`]).
	pub text: String,
}

/// What [`ServiceLogs::read`] answers: a page of the lines kept, oldest first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LogPage {
	/// The service.
	pub service: String,
	/// The lines after `since`, oldest first: at most [`PAGE_LINES`], and [`PAGE_BYTES`] of
	/// JSON.
	pub lines: Vec<LogLine>,
	/// Lines the versions read wrote that were not kept: pushed out by newer ones, past a
	/// call's share, or past the node's budget.
	pub dropped: u64,
	/// The `since` that asks for the lines after these.
	pub next: u64,
	/// Whether lines after `next` are kept already: ask again at once to read them.
	pub more: bool,
}

/// A kept line, with what it takes in a page's JSON.
struct Kept {
	line: LogLine,
	json: usize,
}

/// The log of one running version.
#[derive(Default)]
struct VersionLog {
	lines: VecDeque<Kept>,
	dropped: u64,
	/// What its lines cost the node's budget.
	bytes: usize,
}

impl VersionLog {
	/// Drops its oldest line, counted as dropped; the bytes it freed.
	fn pop_oldest(&mut self) -> Option<usize> {
		let kept = self.lines.pop_front()?;
		let bytes = kept.line.text.len() + LINE_OVERHEAD;
		self.bytes -= bytes;
		self.dropped += 1;
		Some(bytes)
	}
}

#[derive(Default)]
struct Rings {
	/// The number the next line gets (lines start at 1, so `since = 0` reads them all).
	next: u64,
	versions: BTreeMap<u32, VersionLog>,
}

/// How many lines a service may still write to the node's log now.
struct Bucket {
	tokens: f64,
	at: Instant,
	/// Lines not written there since the last one that was.
	held_back: u64,
}

impl Bucket {
	fn full(now: Instant) -> Self {
		Self { tokens: f64::from(NODE_LOG_BURST), at: now, held_back: 0 }
	}

	/// Takes a line's token at `now`: `Some(lines held back before it)` if it may go.
	fn take(&mut self, now: Instant) -> Option<u64> {
		let refill = now.saturating_duration_since(self.at).as_secs_f64();
		self.tokens =
			(self.tokens + refill * f64::from(NODE_LOG_PER_SECOND)).min(f64::from(NODE_LOG_BURST));
		self.at = now;
		if self.tokens < 1.0 {
			self.held_back += 1;
			return None;
		}
		self.tokens -= 1.0;
		Some(std::mem::take(&mut self.held_back))
	}
}

/// Where the node's log lines go: the `log` crate's logger, or a test's sink.
type Sink = Box<dyn Fn(log::Level, &str) + Send + Sync>;

/// What the log rings of all the services of a node share: their byte budget, and the node's
/// log their lines go to.
pub struct NodeLogs {
	limit: usize,
	used: AtomicUsize,
	services: Mutex<Vec<Weak<ServiceLogs>>>,
	sink: Sink,
}

impl Default for NodeLogs {
	fn default() -> Self {
		Self::new(NODE_LOG_BYTES)
	}
}

impl NodeLogs {
	/// Rings holding at most `limit` bytes together, writing to the node's log.
	pub fn new(limit: usize) -> Self {
		Self::with_sink(
			limit,
			Box::new(|level, line| log::log!(target: "mucp::service", level, "{line}")),
		)
	}

	/// Rings holding at most `limit` bytes together, writing the node's log lines to `sink`.
	pub fn with_sink(limit: usize, sink: Sink) -> Self {
		Self { limit, used: AtomicUsize::new(0), services: Mutex::new(Vec::new()), sink }
	}

	/// The bytes the rings hold now.
	pub fn used(&self) -> usize {
		self.used.load(Ordering::Relaxed)
	}

	fn register(&self, service: &Arc<ServiceLogs>) {
		let mut services = self.services.lock().expect("not poisoned");
		services.retain(|s| s.strong_count() > 0);
		services.push(Arc::downgrade(service));
	}

	/// Past the budget: the oldest lines of the largest ring go, until a sixteenth of the
	/// budget is free (so the next lines do not each search the rings again).
	fn reclaim(&self) {
		if self.used() <= self.limit {
			return;
		}
		// Rings are locked only under this lock, and never the other way round.
		let services = self.services.lock().expect("not poisoned");
		let live: Vec<Arc<ServiceLogs>> = services.iter().filter_map(Weak::upgrade).collect();
		let target = self.limit - self.limit / 16;
		while self.used() > target {
			let largest = live
				.iter()
				.filter_map(|service| service.largest_ring().map(|(bytes, v)| (bytes, v, service)))
				.max_by_key(|(bytes, ..)| *bytes);
			let Some((_, version, service)) = largest else { break };
			let want = (self.used() - target).min(64 << 10);
			if service.trim(version, want) == 0 {
				break;
			}
		}
	}
}

/// The log rings of one service's running versions.
pub struct ServiceLogs {
	service: String,
	rings: Mutex<Rings>,
	bucket: Mutex<Bucket>,
	node: Arc<NodeLogs>,
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

/// The node's log level for a guest's line: the guest's, but never `error`, which is the
/// node's own.
fn node_log_level(level: i32) -> log::Level {
	match level {
		0 | 1 => log::Level::Warn,
		2 => log::Level::Info,
		_ => log::Level::Debug,
	}
}

/// Format characters (Unicode category Cf): invisible, and some reorder the text around them
/// (the bidirectional overrides and isolates).
const FORMAT: &[(char, char)] = &[
	('\u{ad}', '\u{ad}'),
	('\u{600}', '\u{605}'),
	('\u{61c}', '\u{61c}'),
	('\u{6dd}', '\u{6dd}'),
	('\u{70f}', '\u{70f}'),
	('\u{890}', '\u{891}'),
	('\u{8e2}', '\u{8e2}'),
	('\u{180e}', '\u{180e}'),
	('\u{200b}', '\u{200f}'),
	('\u{202a}', '\u{202e}'),
	('\u{2060}', '\u{2064}'),
	('\u{2066}', '\u{206f}'),
	('\u{feff}', '\u{feff}'),
	('\u{fff9}', '\u{fffb}'),
	('\u{110bd}', '\u{110bd}'),
	('\u{110cd}', '\u{110cd}'),
	('\u{13430}', '\u{1343f}'),
	('\u{1bca0}', '\u{1bca3}'),
	('\u{1d173}', '\u{1d17a}'),
	('\u{e0001}', '\u{e0001}'),
	('\u{e0020}', '\u{e007f}'),
];

/// Whether `c` must not reach a log or a terminal as it is: a control (Cc), a format
/// character (Cf) or a line or paragraph separator (Zl, Zp).
fn unprintable(c: char) -> bool {
	c.is_control()
		|| matches!(c, '\u{2028}' | '\u{2029}')
		|| FORMAT.iter().any(|(first, last)| (*first..=*last).contains(&c))
}

/// `text` with its control and format characters and line separators escaped (`\n`,
/// `\u{1b}`, `\u{202e}`), so a line written by a service or a node can neither forge lines in
/// a log nor drive or reorder a terminal.
pub fn printable(text: &str) -> std::borrow::Cow<'_, str> {
	if !text.chars().any(unprintable) {
		return text.into();
	}
	text.chars()
		.map(|c| if unprintable(c) { c.escape_default().to_string() } else { c.to_string() })
		.collect::<String>()
		.into()
}

/// `text` cut to at most `max` bytes, at a character's boundary.
pub fn clip(text: &str, max: usize) -> &str {
	if text.len() <= max {
		return text;
	}
	let mut end = max;
	while !text.is_char_boundary(end) {
		end -= 1;
	}
	&text[..end]
}

/// The bytes `text` takes in JSON, quotes and escapes included.
fn json_len(text: &str) -> usize {
	2 + text
		.chars()
		.map(|c| match c {
			'"' | '\\' | '\n' | '\r' | '\t' | '\u{8}' | '\u{c}' => 2,
			c if (c as u32) < 0x20 => 6,
			c => c.len_utf8(),
		})
		.sum::<usize>()
}

fn now_ms() -> u64 {
	SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64)
}

impl ServiceLogs {
	/// No rings yet, for service `service`, with a budget of its own.
	pub fn new(service: &str) -> Arc<Self> {
		Self::with_node(service, Arc::new(NodeLogs::default()))
	}

	/// No rings yet, for service `service`, sharing `node`'s budget and log.
	pub fn with_node(service: &str, node: Arc<NodeLogs>) -> Arc<Self> {
		let logs = Arc::new(Self {
			service: service.to_owned(),
			rings: Mutex::new(Rings { next: 1, ..Rings::default() }),
			bucket: Mutex::new(Bucket::full(Instant::now())),
			node: node.clone(),
		});
		node.register(&logs);
		logs
	}

	/// Gives `version` a ring, empty (it keeps the one it has if it has one).
	pub fn open(&self, version: u32) {
		self.rings.lock().expect("not poisoned").versions.entry(version).or_default();
	}

	/// Drops `version`'s ring and its lines.
	pub fn close(&self, version: u32) {
		if let Some(ring) = self.rings.lock().expect("not poisoned").versions.remove(&version) {
			self.node.used.fetch_sub(ring.bytes, Ordering::Relaxed);
		}
	}

	/// Keeps a line `version` wrote at `level` (0 error, 1 warn, 2 info, 3 debug), pushing out
	/// its oldest if its ring is full, and writes it to the node's log if the service's share
	/// of it allows. A version without a ring (retired meanwhile) keeps nothing.
	pub fn write(&self, version: u32, level: i32, text: &str) {
		if !self.keep(version, level, text) {
			return;
		}
		let Some(held_back) = self.bucket.lock().expect("not poisoned").take(Instant::now()) else {
			return;
		};
		// A character takes at most 4 bytes: the bytes cut here are past the characters kept.
		let clipped = clip(text, NODE_LOG_CHARS * 4);
		let escaped = printable(clipped);
		let mut line = format!("{} v{version}: ", self.service);
		line.extend(escaped.chars().take(NODE_LOG_CHARS));
		if clipped.len() < text.len() || escaped.chars().nth(NODE_LOG_CHARS).is_some() {
			line.push('…');
		}
		if held_back > 0 {
			line += &format!(" ({held_back} earlier lines not in this log: see `micro logs`)");
		}
		(self.node.sink)(node_log_level(level), &line);
	}

	/// Keeps a line of the node's about `version` (a call that failed in the sandbox) in its
	/// ring only: the node's log does not get a line per failed call.
	pub fn note(&self, version: u32, level: i32, text: &str) {
		self.keep(version, level, text);
	}

	fn keep(&self, version: u32, level: i32, text: &str) -> bool {
		let text = clip(text, MAX_LINE_BYTES);
		{
			let mut rings = self.rings.lock().expect("not poisoned");
			let seq = rings.next;
			let Some(ring) = rings.versions.get_mut(&version) else { return false };
			if ring.lines.len() >= MAX_LINES {
				if let Some(freed) = ring.pop_oldest() {
					self.node.used.fetch_sub(freed, Ordering::Relaxed);
				}
			}
			let bytes = text.len() + LINE_OVERHEAD;
			ring.lines.push_back(Kept {
				json: json_len(text) + LINE_JSON,
				line: LogLine {
					seq,
					version,
					at_ms: now_ms(),
					level: level_name(level),
					text: text.to_owned(),
				},
			});
			ring.bytes += bytes;
			self.node.used.fetch_add(bytes, Ordering::Relaxed);
			rings.next += 1;
		}
		self.node.reclaim();
		true
	}

	/// The bytes and version of its largest ring.
	fn largest_ring(&self) -> Option<(usize, u32)> {
		let rings = self.rings.lock().expect("not poisoned");
		rings
			.versions
			.iter()
			.filter(|(_, ring)| !ring.lines.is_empty())
			.map(|(version, ring)| (ring.bytes, *version))
			.max()
	}

	/// Drops `version`'s oldest lines until `want` bytes are freed or none is left; the bytes
	/// freed.
	fn trim(&self, version: u32, want: usize) -> usize {
		let mut rings = self.rings.lock().expect("not poisoned");
		let Some(ring) = rings.versions.get_mut(&version) else { return 0 };
		let mut freed = 0;
		while freed < want {
			let Some(bytes) = ring.pop_oldest() else { break };
			freed += bytes;
		}
		self.node.used.fetch_sub(freed, Ordering::Relaxed);
		freed
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

	/// A page of the lines numbered after `since` (from the first with `None`) of `version`,
	/// or of every running version, oldest first; `None` if `version` does not run.
	pub fn read(&self, version: Option<u32>, since: Option<u64>) -> Option<LogPage> {
		let rings = self.rings.lock().expect("not poisoned");
		let since = since.unwrap_or(0);
		let chosen: Vec<&VersionLog> = match version {
			Some(version) => vec![rings.versions.get(&version)?],
			None => rings.versions.values().collect(),
		};
		// Each ring is in order: at most a page from each, then the page's oldest of those.
		let mut after = 0;
		let mut candidates: Vec<&Kept> = Vec::new();
		for ring in &chosen {
			let first = ring.lines.partition_point(|kept| kept.line.seq <= since);
			after += ring.lines.len() - first;
			candidates.extend(ring.lines.range(first..).take(PAGE_LINES));
		}
		candidates.sort_unstable_by_key(|kept| kept.line.seq);
		let (mut lines, mut json) = (Vec::new(), 0);
		for kept in candidates {
			if lines.len() == PAGE_LINES || (!lines.is_empty() && json + kept.json > PAGE_BYTES) {
				break;
			}
			json += kept.json;
			lines.push(kept.line.clone());
		}
		let more = lines.len() < after;
		let next = match lines.last() {
			Some(last) if more => last.seq,
			_ => rings.next - 1,
		};
		Some(LogPage {
			service: self.service.clone(),
			lines,
			dropped: chosen.iter().map(|ring| ring.dropped).sum(),
			next,
			more,
		})
	}
}

impl Drop for ServiceLogs {
	fn drop(&mut self) {
		let rings = self.rings.get_mut().map(|rings| &rings.versions);
		let held: usize = rings.into_iter().flat_map(|v| v.values()).map(|ring| ring.bytes).sum();
		self.node.used.fetch_sub(held, Ordering::Relaxed);
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
		// Two pages of PAGE_LINES.
		let page = logs.read(Some(1), None).unwrap();
		assert_eq!((page.lines.len(), page.more), (PAGE_LINES, true));
		assert_eq!(page.lines[0].text, "line 3", "the 3 oldest were pushed out");
		assert_eq!(page.lines[0].level, "info");
		assert_eq!(page.dropped, 3);
		assert_eq!(page.next, 3 + PAGE_LINES as u64, "the last line returned");
		let page = logs.read(Some(1), Some(page.next)).unwrap();
		assert_eq!((page.lines.len(), page.more), (MAX_LINES - PAGE_LINES, false));
		assert_eq!(page.lines[0].text, format!("line {}", PAGE_LINES + 3));
		assert_eq!(page.lines.last().unwrap().text, format!("line {}", MAX_LINES + 2));
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

	/// A module that logs: `One` a line, `Flood` 1000 lines, `LongLine` 5000 bytes, `Invalid`
	/// 4096 bytes that are not UTF-8, and `Unreachable` a line before it traps.
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
    (if (i32.eq (local.get $endpoint_len) (i32.const 7))
      (then (memory.fill (i32.const 8192) (i32.const 0xff) (i32.const 4096))
        (call $log (i32.const 2) (i32.const 8192) (i32.const 4096))))
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

		// Invalid UTF-8 decodes to U+FFFD, 3 bytes each: the line is cut to 4 KiB as decoded.
		assert_eq!(call("Invalid"), Ok(b"ok".to_vec()));
		let invalid = deployment.logs().read(Some(1), Some(long.next)).unwrap();
		assert_eq!(invalid.lines.len(), 1);
		assert_eq!(invalid.lines[0].text, "\u{fffd}".repeat(MAX_LINE_BYTES / 3));
		assert!(invalid.lines[0].text.len() <= MAX_LINE_BYTES);

		// A call that traps: its line, then the node's note of why it failed.
		assert_eq!(call("Unreachable"), Err(500));
		let failed = deployment.logs().read(Some(1), Some(invalid.next)).unwrap();
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
		assert_eq!((status.calls, status.failed_calls), (5, 1));

		assert!(deployment.retire(1));
		assert_eq!(deployment.logs().read(Some(1), None), None, "its lines are dropped");
		assert_eq!(deployment.logs().read(None, None).unwrap().lines, []);
	}

	#[test]
	fn control_characters_are_escaped_for_the_node_log() {
		assert_eq!(printable("plain text"), "plain text");
		assert_eq!(printable("forged\nline \u{1b}[2J"), "forged\\nline \\u{1b}[2J");
	}

	#[test]
	fn bidirectional_overrides_and_line_separators_are_escaped() {
		assert_eq!(
			printable("a\u{202e}b\u{2066}c\u{2069}d\u{200e}e\u{200f}f\u{2028}g\u{2029}h\u{feff}"),
			"a\\u{202e}b\\u{2066}c\\u{2069}d\\u{200e}e\\u{200f}f\\u{2028}g\\u{2029}h\\u{feff}"
		);
		for c in ('\u{202a}'..='\u{202e}').chain('\u{2066}'..='\u{2069}') {
			assert!(!printable(&c.to_string()).contains(c), "{c:?}");
		}
		assert_eq!(printable("héllo wörld ✓ 日本"), "héllo wörld ✓ 日本", "letters stay");
	}

	#[test]
	fn a_line_is_cut_to_4_kib_as_decoded_at_a_character_boundary() {
		let logs = ServiceLogs::new("echo");
		logs.open(1);
		logs.write(1, 2, &String::from_utf8_lossy(&[0xff; MAX_LINE_BYTES]));
		logs.note(1, 0, &format!("x{}", "é".repeat(MAX_LINE_BYTES)));
		let page = logs.read(Some(1), None).unwrap();
		assert_eq!(page.lines[0].text, "\u{fffd}".repeat(MAX_LINE_BYTES / 3));
		assert_eq!(page.lines[1].text, format!("x{}", "é".repeat(MAX_LINE_BYTES / 2 - 1)));
		assert!(page.lines.iter().all(|l| l.text.len() <= MAX_LINE_BYTES));
	}

	#[test]
	fn a_full_ring_of_control_characters_is_read_in_pages_under_1_mib() {
		let logs = ServiceLogs::new("echo");
		logs.open(1);
		logs.open(2);
		let line = "\u{1}".repeat(MAX_LINE_BYTES);
		for _ in 0..MAX_LINES {
			logs.write(1, 2, &line);
		}
		for n in 0..300 {
			logs.write(2, 2, &format!("short {n}"));
		}
		for version in [Some(1), None] {
			let (mut since, mut seqs, mut pages) = (None, Vec::new(), 0);
			loop {
				let page = logs.read(version, since).unwrap();
				let json = serde_json::to_vec(&page).unwrap();
				assert!(json.len() < 1 << 20, "{} bytes", json.len());
				assert!(page.lines.len() <= PAGE_LINES);
				seqs.extend(page.lines.iter().map(|l| l.seq));
				since = Some(page.next);
				pages += 1;
				if !page.more {
					break;
				}
			}
			let all = if version.is_some() { MAX_LINES } else { MAX_LINES + 300 };
			let expected: Vec<u64> = match version {
				Some(_) => (1..=MAX_LINES as u64).collect(),
				None => (1..=all as u64).collect(),
			};
			assert_eq!(seqs, expected, "every line once, in order");
			assert!(pages > 20, "{pages} pages");
			let caught_up = logs.read(version, since).unwrap();
			assert_eq!((caught_up.lines.len(), caught_up.more), (0, false));
		}
		// Short lines: a page is PAGE_LINES lines.
		let page = logs.read(Some(2), None).unwrap();
		assert_eq!((page.lines.len(), page.more), (PAGE_LINES, true));
		assert_eq!(page.next, page.lines[PAGE_LINES - 1].seq);
	}

	#[test]
	fn the_node_s_rings_keep_to_its_budget_the_largest_losing_its_oldest_first() {
		let node = Arc::new(NodeLogs::new(1 << 20));
		let (big, small) = (
			ServiceLogs::with_node("big", node.clone()),
			ServiceLogs::with_node("small", node.clone()),
		);
		big.open(1);
		small.open(1);
		let line = "b".repeat(MAX_LINE_BYTES);
		for n in 0..100 {
			small.write(1, 2, &format!("small {n}"));
		}
		for _ in 0..MAX_LINES {
			big.write(1, 2, &line);
		}
		assert!(node.used() <= 1 << 20, "{}", node.used());
		assert_eq!(small.counts(1), Some((100, 0)), "the small ring keeps all its lines");
		let (kept, dropped) = big.counts(1).unwrap();
		assert_eq!(kept + dropped, MAX_LINES as u64, "what went is counted as dropped");
		assert!(kept < 256 && dropped > 256, "{kept} kept");
		let oldest = big.read(Some(1), None).unwrap().lines[0].seq;
		assert_eq!(oldest, dropped + 1, "the oldest went first");
		let newest = big.read(Some(1), Some(MAX_LINES as u64 - 1)).unwrap().lines;
		assert_eq!(newest[0].seq, MAX_LINES as u64, "the newest stay");
		// Closing a ring, or dropping a service, gives its bytes back.
		big.close(1);
		let small_bytes = node.used();
		assert!(small_bytes > 0 && small_bytes < 64 << 10, "{small_bytes}");
		drop(small);
		assert_eq!(node.used(), 0);
	}

	#[test]
	fn lines_reach_the_node_s_log_at_a_bounded_rate_cut_and_never_as_errors() {
		let records = Arc::new(Mutex::new(Vec::<(log::Level, String)>::new()));
		let sink = records.clone();
		let node = Arc::new(NodeLogs::with_sink(
			NODE_LOG_BYTES,
			Box::new(move |level, line| sink.lock().unwrap().push((level, line.to_owned()))),
		));
		let logs = ServiceLogs::with_node("noisy", node);
		logs.open(1);
		let started = Instant::now();
		for n in 0..1000 {
			logs.write(1, 0, &format!("{n} {}", "\u{1}".repeat(MAX_LINE_BYTES)));
		}
		let elapsed = started.elapsed().as_secs_f64();
		let records = records.lock().unwrap();
		let budget = f64::from(NODE_LOG_BURST) + f64::from(NODE_LOG_PER_SECOND) * elapsed.ceil();
		assert!(records.len() as f64 <= budget, "{} records in {elapsed} s", records.len());
		assert!(records.len() >= NODE_LOG_BURST as usize, "the burst goes through");
		assert!(records.iter().all(|(level, _)| *level == log::Level::Warn), "capped at warn");
		let first = &records[0].1;
		assert!(first.starts_with("noisy v1: 0 \\u{1}\\u{1}"), "{first}");
		assert!(first.ends_with('…'), "cut");
		assert_eq!(first.chars().count(), "noisy v1: ".len() + NODE_LOG_CHARS + 1);
		assert!(records.iter().all(|(_, line)| !line.contains('\u{1}')), "escaped");
		assert_eq!(logs.counts(1), Some((MAX_LINES as u64, 1000 - MAX_LINES as u64)));
	}

	#[test]
	fn the_node_log_bucket_refills_and_says_how_many_lines_it_held_back() {
		let start = Instant::now();
		let mut bucket = Bucket::full(start);
		for _ in 0..NODE_LOG_BURST {
			assert_eq!(bucket.take(start), Some(0));
		}
		assert_eq!(bucket.take(start), None);
		assert_eq!(bucket.take(start), None);
		let later = start + std::time::Duration::from_millis(1000 / u64::from(NODE_LOG_PER_SECOND));
		assert_eq!(bucket.take(later), Some(2), "one token back, two held back before it");
		assert_eq!(bucket.take(later), None);
		let much_later = later + std::time::Duration::from_secs(3600);
		let taken = (0..1000).filter(|_| bucket.take(much_later).is_some()).count();
		assert_eq!(taken, NODE_LOG_BURST as usize, "refilled to the burst, no more");
	}
}
