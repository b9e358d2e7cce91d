//! The usage ledger: what this node served, reserved and settled, kept in redb.
//!
//! Three rules live here, each stopping an attack:
//!
//! - **Check and count in one step.** A paid call is admitted by [`Ledger::reserve`], which
//!   checks the allowance's standing (counting the calls reserved and not yet answered) and
//!   reserves the call under one lock: concurrent calls at the edge of `max_calls` or of the
//!   consumer's tokens cannot all pass a check made before any of them is counted, so a
//!   consumer cannot overshoot on purpose and make the chain reject the whole record
//!   (`AllowanceExceeded`), leaving the node unpaid. The reservation is then committed (the call
//!   was answered) or released (it failed, or its caller's deadline passed).
//! - **Value, not only calls.** Each call is counted with the price it was admitted at, so the
//!   consumer's unsettled value across services and price changes is exact, and checked against
//!   its tokens as such (a count priced at today's price would under- or over-state it).
//! - **Free calls served once.** Free calls are counted per account and quota period in the
//!   ledger, up to what the account reserved on chain for this node that period, so a restart
//!   does not refresh them (an older period's counts are pruned as a newer one is counted).
//!
//! - **Admission reads only its consumer's.** Entries are keyed by consumer then nonce, and
//!   reservations indexed by account, so admitting a call reads that consumer's entries and
//!   reservations under the lock, not the whole ledger's: a consumer with many allowances, or
//!   many calls in flight, does not slow everyone else's admission.
//!
//! - **Disk off the hot path: counts are group-committed.** Counting a call changes the
//!   in-memory state under a short lock and marks the entry dirty; a writer thread of its own
//!   commits every dirty entry in one redb transaction at most every [`COMMIT_INTERVAL`] (so
//!   one call at a time does not cost a commit each), one fsync per batch (redb 2.6 fsyncs
//!   even `Durability::Eventual` commits on Linux, so committing per call meant one fsync per
//!   call, under the lock, on a runtime thread). The in-memory count is the one admission
//!   checks, so calls in flight and counted never pass `max_calls` or the consumer's tokens.
//!   [`Ledger::flush`] returns once everything counted before it is on disk, and reports
//!   ([`Ledger::prepare`], [`Ledger::confirm`]) write the dirty counts in the same transaction
//!   as the report, so a report on disk never covers counts that are not.
//!
//! What a crash (SIGKILL, power loss) does: the counts of the last batch not yet committed,
//! the calls answered in the last [`COMMIT_INTERVAL`] plus the time a commit takes (longer
//! while commits fail and are retried), are lost, and never those a flush or a report
//! acknowledged. Free calls are counted the same way: a crash gives an account back the free
//! calls it made in that window, at the node's cost as well. The node then under-charges
//! those calls (it reports fewer than it served), and never over-charges: no count reaches
//! disk that was not served, and a report is never written ahead of its counts. After the
//! restart the lost calls no longer count toward `max_calls` on this node, so a consumer may
//! be served up to that many more calls than its allowance pays for; the chain still settles
//! at most `max_calls` (the ledger's count, which reports come from, never passes it), so the
//! loss is the node's, bounded by one batch, and the consumer is never charged for a call
//! beyond its allowance. Closing the ledger (dropping its last clone) commits what is left.
//!
//! Reports take the unsettled calls in numeric nonce order per consumer (the keys are SCALE
//! encoded, little-endian nonces, whose byte order is not numeric), so a lower nonce is never
//! left behind by a higher one that replaces it on chain. And they take turns among consumers:
//! when a report is full, the next starts with the consumer it left out, so consumers whose
//! keys sort early and keep calling cannot keep the others out of every report until their
//! allowances expire unsettled (the node's loss).

use std::{
	collections::{BTreeMap, BTreeSet, HashMap},
	path::Path,
	sync::{
		atomic::{AtomicBool, AtomicU64, Ordering},
		Arc, Condvar, Mutex,
	},
	thread::JoinHandle,
	time::{Duration, Instant},
};

use codec::{Decode, Encode};
use micro_primitives::VersionNumber;
use redb::{Database, ReadableTable, TableDefinition};

use super::{AccountId, BlockNumber, SignedAllowance, UsageRecord};
use crate::protocol::MicroError;

/// Calls counted under one allowance for one version, their value, and how much is settled.
#[derive(Clone, Debug, Default, PartialEq, Eq, Encode, Decode)]
struct Counts {
	/// Calls served.
	counted: u64,
	/// Calls settled on-chain (or refused there for good).
	settled: u64,
	/// What the calls served may cost the consumer: each at the price it was admitted at.
	value: u128,
	/// Of that, the value of the settled calls.
	settled_value: u128,
}

/// One allowance's entry in the ledger.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
struct Entry {
	signed: SignedAllowance,
	versions: BTreeMap<VersionNumber, Counts>,
}

impl Entry {
	fn counted(&self) -> u64 {
		self.versions.values().map(|c| c.counted).sum()
	}

	fn unsettled(&self) -> u64 {
		self.versions.values().map(|c| c.counted - c.settled).sum()
	}

	fn unsettled_value(&self) -> u128 {
		self.versions.values().map(|c| c.value.saturating_sub(c.settled_value)).sum()
	}
}

/// An entry as ledgers before values were kept wrote it.
#[derive(Decode)]
struct LegacyEntry {
	signed: SignedAllowance,
	versions: BTreeMap<VersionNumber, (u64, u64)>,
}

impl From<LegacyEntry> for Entry {
	/// Calls counted without their value are valued at the allowance's price cap: the most the
	/// chain may charge for them.
	fn from(legacy: LegacyEntry) -> Self {
		let cap = legacy.signed.allowance.max_price_per_call;
		let versions = legacy
			.versions
			.into_iter()
			.map(|(version, (counted, settled))| {
				let value = u128::from(counted).saturating_mul(cap);
				let settled_value = u128::from(settled).saturating_mul(cap);
				(version, Counts { counted, settled, value, settled_value })
			})
			.collect();
		Self { signed: legacy.signed, versions }
	}
}

/// A usage report waiting to be settled, and what it covers.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub struct PendingReport {
	/// The report's sequence.
	pub sequence: u64,
	/// Its records, in order.
	pub records: Vec<UsageRecord>,
	/// The best block when it was first prepared.
	pub prepared_at: BlockNumber,
	/// The value of each record's calls, as admitted: what settling it frees of the consumer's
	/// unsettled value.
	pub values: Vec<u128>,
}

/// A report as ledgers before values were kept wrote it.
#[derive(Decode)]
struct LegacyReport {
	sequence: u64,
	records: Vec<UsageRecord>,
	prepared_at: BlockNumber,
}

impl From<LegacyReport> for PendingReport {
	fn from(legacy: LegacyReport) -> Self {
		let values = legacy
			.records
			.iter()
			.map(|r| u128::from(r.calls).saturating_mul(r.allowance.max_price_per_call))
			.collect();
		Self {
			sequence: legacy.sequence,
			records: legacy.records,
			prepared_at: legacy.prepared_at,
			values,
		}
	}
}

/// What the ledger knows of an allowance when a call under it arrives, counting the calls
/// reserved and not answered yet as served.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Standing {
	/// Calls that count toward its `max_calls`: its own and those it carries.
	pub counted: u64,
	/// Of those, calls served under the lower nonces it replaced, which count while any of them
	/// is unexpired (as the chain counts them; see `UsageAllowance`).
	pub carried: u64,
	/// A higher nonce of the same consumer seen here, which replaced it.
	pub newer_nonce: Option<u64>,
	/// Whether another allowance with the same nonce was used here.
	pub conflicting: bool,
	/// The consumer's calls served here and not settled yet, under all its allowances.
	pub unsettled_for_consumer: u64,
	/// The value of those calls, each at the price it was admitted at.
	pub unsettled_value_for_consumer: u128,
	/// The value of this allowance's calls served here and not settled yet.
	pub unsettled_value: u128,
}

const ALLOWANCES: TableDefinition<&[u8], &[u8]> = TableDefinition::new("allowances.v2");
const LEGACY_ALLOWANCES: TableDefinition<&[u8], &[u8]> = TableDefinition::new("allowances");
const FREE_USED: TableDefinition<&[u8], u32> = TableDefinition::new("free_used");
const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");
const NEXT_SEQUENCE: &str = "next_sequence";
const IN_FLIGHT: &str = "in_flight.v2";
const LEGACY_IN_FLIGHT: &str = "in_flight";

/// What a reservation holds back until it is committed or released.
#[derive(Clone, Debug)]
enum Held {
	/// One call under an allowance, at `value`.
	Allowance { signed: SignedAllowance, value: u128 },
	/// One free call of `account`'s quota in `period`.
	Free { account: AccountId, period: u64 },
}

/// Calls reserved under one allowance, and their value.
struct ReservedSum {
	allowance: super::Allowance,
	calls: u64,
	/// Their value; `None` past `u128::MAX` (counted as `u128::MAX`).
	value: Option<u128>,
}

#[derive(Default)]
struct LedgerState {
	entries: BTreeMap<Vec<u8>, Entry>,
	next_sequence: u64,
	in_flight: Option<PendingReport>,
	/// Free calls used per account and quota period (the current period only, once pruned).
	free_used: BTreeMap<(AccountId, u64), u32>,
	/// Calls admitted and not answered yet. Bounded by the calls in flight.
	reserved: HashMap<u64, Held>,
	/// The ids in `reserved` of each account's calls (the consumer's, or the free account's).
	reserved_by_account: HashMap<AccountId, BTreeSet<u64>>,
	/// Each consumer's calls in `reserved` under allowances, summed by nonce and allowance:
	/// what [`Ledger::standing`] reads, so admitting a call costs the same however many of
	/// the consumer's calls are in flight. Bounded by the calls in flight.
	reserved_sums: HashMap<AccountId, BTreeMap<u64, Vec<ReservedSum>>>,
	next_reservation: u64,
	/// Changes counted in memory and not committed yet: the group committer's next batch.
	dirty: Dirty,
	/// The consumer the next report starts with, the first the last full one left out: reports
	/// take turns among consumers (in memory; a restart starts over from the first).
	resume_at: Option<AccountId>,
}

/// What changed in memory since the last commit, by key: bounded by the ledger's entries.
#[derive(Default)]
struct Dirty {
	/// Keys of allowance entries whose counts changed.
	entries: BTreeSet<Vec<u8>>,
	/// Free-quota counts that changed.
	free: BTreeSet<(AccountId, u64)>,
	/// Free-quota counts of past periods, pruned.
	free_removed: BTreeSet<(AccountId, u64)>,
	/// The change counter when the last change was made.
	generation: u64,
}

/// One transaction's worth of changes, taken from the state under its lock.
struct Batch {
	generation: u64,
	entries: Vec<(Vec<u8>, Vec<u8>)>,
	free: Vec<((AccountId, u64), u32)>,
	free_removed: Vec<(AccountId, u64)>,
}

impl Batch {
	fn is_empty(&self) -> bool {
		self.entries.is_empty() && self.free.is_empty() && self.free_removed.is_empty()
	}
}

impl Held {
	fn account(&self) -> &AccountId {
		match self {
			Self::Allowance { signed, .. } => &signed.allowance.consumer,
			Self::Free { account, .. } => account,
		}
	}
}

impl LedgerState {
	/// `consumer`'s entries, read by key range (keys start with the consumer).
	fn entries_of<'a>(&'a self, consumer: &AccountId) -> impl Iterator<Item = &'a Entry> + 'a {
		let prefix = consumer.encode();
		self.entries
			.range(prefix.clone()..)
			.take_while(move |(key, _)| key.starts_with(&prefix))
			.map(|(_, entry)| entry)
	}

	/// `account`'s reservations.
	fn reserved_of<'a>(&'a self, account: &AccountId) -> impl Iterator<Item = &'a Held> + 'a {
		self.reserved_by_account
			.get(account)
			.into_iter()
			.flatten()
			.filter_map(|id| self.reserved.get(id))
	}

	fn insert_reserved(&mut self, id: u64, held: Held) {
		self.reserved_by_account.entry(held.account().clone()).or_default().insert(id);
		if let Held::Allowance { signed, value } = &held {
			let allowance = &signed.allowance;
			let sums = self.reserved_sums.entry(allowance.consumer.clone()).or_default();
			let sums = sums.entry(allowance.nonce).or_default();
			match sums.iter_mut().find(|sum| &sum.allowance == allowance) {
				Some(sum) => {
					sum.calls += 1;
					sum.value = sum.value.and_then(|sum| sum.checked_add(*value));
				}
				None => sums.push(ReservedSum {
					allowance: allowance.clone(),
					calls: 1,
					value: Some(*value),
				}),
			}
		}
		self.reserved.insert(id, held);
	}

	/// Takes every change not committed yet, encoded for one transaction.
	fn take_batch(&mut self) -> Batch {
		let dirty = std::mem::take(&mut self.dirty);
		let entries = dirty
			.entries
			.into_iter()
			.filter_map(|key| self.entries.get(&key).map(|entry| (key, entry.encode())))
			.collect();
		let free = dirty
			.free
			.into_iter()
			.filter_map(|key| self.free_used.get(&key).map(|used| (key, *used)))
			.collect();
		self.dirty.generation = dirty.generation;
		Batch {
			generation: dirty.generation,
			entries,
			free,
			free_removed: dirty.free_removed.into_iter().collect(),
		}
	}

	/// Marks `batch`'s changes dirty again: its commit failed.
	fn restore(&mut self, batch: &Batch) {
		self.dirty.entries.extend(batch.entries.iter().map(|(key, _)| key.clone()));
		self.dirty.free.extend(batch.free.iter().map(|(key, _)| key.clone()));
		self.dirty.free_removed.extend(batch.free_removed.iter().cloned());
	}

	fn remove_reserved(&mut self, id: u64) -> Option<Held> {
		let held = self.reserved.remove(&id)?;
		if let Some(ids) = self.reserved_by_account.get_mut(held.account()) {
			ids.remove(&id);
			if ids.is_empty() {
				self.reserved_by_account.remove(held.account());
			}
		}
		if let Held::Allowance { signed, value } = &held {
			let allowance = &signed.allowance;
			if let Some(by_nonce) = self.reserved_sums.get_mut(&allowance.consumer) {
				if let Some(sums) = by_nonce.get_mut(&allowance.nonce) {
					if let Some(at) = sums.iter().position(|sum| &sum.allowance == allowance) {
						let sum = &mut sums[at];
						sum.calls -= 1;
						sum.value = sum.value.map(|sum| sum.saturating_sub(*value));
						if sum.calls == 0 {
							sums.swap_remove(at);
						}
					}
					if sums.is_empty() {
						by_nonce.remove(&allowance.nonce);
					}
				}
				if by_nonce.is_empty() {
					self.reserved_sums.remove(&allowance.consumer);
				}
			}
		}
		Some(held)
	}
}

/// What the ledger's clones and its writer thread share.
struct Shared {
	db: Database,
	state: Mutex<LedgerState>,
	/// Held across every write transaction, taken before `state`: a batch taken from the state
	/// is committed before any later one, so an older snapshot never overwrites a newer one.
	writing: Mutex<()>,
	/// Changes counted so far (the newest's generation).
	changes: AtomicU64,
	/// What the writer committed, for [`Ledger::flush`].
	committed: Mutex<Committed>,
	committed_changed: Condvar,
	/// Set when the ledger closes: the writer commits what is left and stops.
	closing: AtomicBool,
	/// Set to stop every later commit at once, as a crash would (tests).
	crashed: AtomicBool,
	/// Transactions committed since the ledger opened.
	commits: AtomicU64,
	/// Set by [`Ledger::flush`]: commit now, without waiting out [`COMMIT_INTERVAL`].
	flush_wanted: AtomicBool,
	/// Set while the writer sleeps with nothing to commit: only then does a change wake it (a
	/// change made while it waits out the interval is taken by the next commit anyway).
	idle: AtomicBool,
}

#[derive(Default)]
struct Committed {
	/// The generation of the newest change on disk.
	generation: u64,
	/// The last commit's error, until a commit succeeds.
	error: Option<String>,
}

struct Inner {
	shared: Arc<Shared>,
	writer: Option<JoinHandle<()>>,
}

impl Drop for Inner {
	fn drop(&mut self) {
		self.shared.closing.store(true, Ordering::SeqCst);
		if let Some(writer) = self.writer.take() {
			writer.thread().unpark();
			let _ = writer.join();
		}
	}
}

/// What this node served and settled, kept on disk. Cloning shares it.
#[derive(Clone)]
pub struct Ledger {
	inner: Arc<Inner>,
}

/// How long the writer waits before retrying a failed commit.
const RETRY_AFTER: Duration = Duration::from_millis(100);

/// Shortest time between two of the writer's commits: the counts of every call answered in
/// that time share one transaction and one fsync, however slowly they come (one call at a time
/// would otherwise cost a commit each). It bounds what a crash can lose: the calls answered in
/// the last interval and the commit under way, which the node then under-charges (never
/// over-charges); someone able to crash the node at will gains that much, and can do no more
/// than under-charge. At 10 ms the writer's hundred fsyncs a second, and the wake-ups between
/// it and the runtime, cost a paid call about a tenth of its CPU under load on a 2-core host;
/// at 100 ms they are ten a second.
/// NATS JetStream, for comparison, fsyncs its file store every two minutes by default
/// (`sync_interval`). [`Ledger::flush`] and reports commit at once.
pub const COMMIT_INTERVAL: Duration = Duration::from_millis(100);

impl Shared {
	/// Commits the changes not committed yet, in one transaction (one fsync). Returns the
	/// generation on disk.
	fn commit_dirty(&self) -> Result<u64, String> {
		let _writing = self.writing.lock().expect("not poisoned");
		let batch = self.state.lock().expect("not poisoned").take_batch();
		let outcome = if batch.is_empty() || self.crashed.load(Ordering::SeqCst) {
			Ok(())
		} else {
			self.write(&batch, |_| Ok(()))
		};
		match outcome {
			Ok(()) if !self.crashed.load(Ordering::SeqCst) => {
				self.committed(batch.generation, None);
				Ok(batch.generation)
			}
			Ok(()) => Err("the ledger crashed".into()),
			Err(error) => {
				self.state.lock().expect("not poisoned").restore(&batch);
				self.committed(0, Some(error.clone()));
				Err(error)
			}
		}
	}

	/// Writes `batch` and whatever `also` writes in one durable transaction.
	fn write(
		&self,
		batch: &Batch,
		also: impl FnOnce(&redb::WriteTransaction) -> Result<(), redb::Error>,
	) -> Result<(), String> {
		if self.crashed.load(Ordering::SeqCst) {
			return Err("the ledger crashed".into());
		}
		let run = || -> Result<(), redb::Error> {
			let write = self.db.begin_write()?;
			{
				let mut table = write.open_table(ALLOWANCES)?;
				for (key, entry) in &batch.entries {
					table.insert(key.as_slice(), entry.as_slice())?;
				}
				let mut free = write.open_table(FREE_USED)?;
				for key in &batch.free_removed {
					free.remove(key.encode().as_slice())?;
				}
				for (key, used) in &batch.free {
					free.insert(key.encode().as_slice(), *used)?;
				}
			}
			also(&write)?;
			write.commit()?;
			self.commits.fetch_add(1, Ordering::SeqCst);
			Ok(())
		};
		run().map_err(|e| e.to_string())
	}

	fn committed(&self, generation: u64, error: Option<String>) {
		let mut committed = self.committed.lock().expect("not poisoned");
		committed.generation = committed.generation.max(generation);
		committed.error = error;
		self.committed_changed.notify_all();
	}

	/// The writer thread: commits batches while changes wait, at most one per
	/// [`COMMIT_INTERVAL`] unless a flush waits, until the ledger closes.
	fn run_writer(&self) {
		let mut last_commit: Option<Instant> = None;
		loop {
			if self.crashed.load(Ordering::SeqCst) {
				return;
			}
			let closing = self.closing.load(Ordering::SeqCst);
			if self.waiting() {
				let due = last_commit.map(|at| at + COMMIT_INTERVAL);
				let now = Instant::now();
				if let Some(due) = due.filter(|due| *due > now) {
					if !closing && !self.flush_wanted.load(Ordering::SeqCst) {
						std::thread::park_timeout(due - now);
						continue;
					}
				}
				// Cleared before the batch is taken: a flush asking after this sees its
				// changes in this batch, or asks again for the next.
				self.flush_wanted.store(false, Ordering::SeqCst);
				last_commit = Some(Instant::now());
				if let Err(error) = self.commit_dirty() {
					if self.crashed.load(Ordering::SeqCst) {
						return;
					}
					log::warn!(target: "mucp", "the usage ledger could not commit: {error}");
					if closing {
						return;
					}
					std::thread::park_timeout(RETRY_AFTER);
				}
				continue;
			}
			if closing {
				return;
			}
			// Idle: a change wakes the writer. Checked again once marked idle, so a change
			// counted in between is never left waiting for a wake-up that already passed.
			self.idle.store(true, Ordering::SeqCst);
			if self.waiting() || self.closing.load(Ordering::SeqCst) {
				self.idle.store(false, Ordering::SeqCst);
				continue;
			}
			std::thread::park();
			self.idle.store(false, Ordering::SeqCst);
		}
	}

	/// Whether changes wait to be committed.
	fn waiting(&self) -> bool {
		self.changes.load(Ordering::SeqCst)
			> self.committed.lock().expect("not poisoned").generation
	}
}

fn ledger_error(detail: String) -> MicroError {
	MicroError::internal("mucp.settlement", format!("the usage ledger: {detail}"))
}

/// A call admitted and not yet answered: [`Reservation::commit`] counts it, dropping it
/// uncommitted releases it.
pub struct Reservation {
	ledger: Ledger,
	id: u64,
	done: AtomicBool,
}

impl std::fmt::Debug for Reservation {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		f.debug_struct("Reservation").field("id", &self.id).finish()
	}
}

impl Reservation {
	/// Counts the reserved call as served, of `version`. Once only: a second commit counts
	/// nothing.
	pub fn commit(&self, version: VersionNumber) -> Result<(), MicroError> {
		if self.done.swap(true, Ordering::SeqCst) {
			return Ok(());
		}
		self.ledger.commit(self.id, version)
	}
}

impl Drop for Reservation {
	fn drop(&mut self) {
		if !self.done.load(Ordering::SeqCst) {
			self.ledger.release(self.id);
		}
	}
}

impl Ledger {
	/// Opens (or creates) the ledger at `path`, with what it held.
	pub fn open(path: &Path) -> Result<Self, String> {
		let db = crate::store::open(path).map_err(|e| e.to_string())?;
		Self::upgrade(&db)?;
		let mut state = LedgerState::default();
		{
			let read = db.begin_read().map_err(|e| e.to_string())?;
			let table = read.open_table(ALLOWANCES).map_err(|e| e.to_string())?;
			for row in table.iter().map_err(|e| e.to_string())? {
				let (key, value) = row.map_err(|e| e.to_string())?;
				let entry = Entry::decode(&mut value.value())
					.map_err(|e| format!("a corrupt allowance entry: {e}"))?;
				state.entries.insert(key.value().to_vec(), entry);
			}
			let free = read.open_table(FREE_USED).map_err(|e| e.to_string())?;
			for row in free.iter().map_err(|e| e.to_string())? {
				let (key, used) = row.map_err(|e| e.to_string())?;
				let (account, period) = <(AccountId, u64)>::decode(&mut key.value())
					.map_err(|e| format!("a corrupt free-quota entry: {e}"))?;
				state.free_used.insert((account, period), used.value());
			}
			let meta = read.open_table(META).map_err(|e| e.to_string())?;
			if let Some(value) = meta.get(NEXT_SEQUENCE).map_err(|e| e.to_string())? {
				state.next_sequence = u64::decode(&mut value.value()).unwrap_or_default();
			}
			if let Some(value) = meta.get(IN_FLIGHT).map_err(|e| e.to_string())? {
				state.in_flight = Some(
					PendingReport::decode(&mut value.value())
						.map_err(|e| format!("a corrupt report in flight: {e}"))?,
				);
			}
		}
		let shared = Arc::new(Shared {
			db,
			state: Mutex::new(state),
			writing: Mutex::new(()),
			changes: AtomicU64::new(0),
			committed: Mutex::new(Committed::default()),
			committed_changed: Condvar::new(),
			closing: AtomicBool::new(false),
			crashed: AtomicBool::new(false),
			commits: AtomicU64::new(0),
			flush_wanted: AtomicBool::new(false),
			idle: AtomicBool::new(false),
		});
		let writer = std::thread::Builder::new()
			.name("mucp-ledger".into())
			.spawn({
				let shared = shared.clone();
				move || shared.run_writer()
			})
			.map_err(|e| format!("starting the ledger's writer: {e}"))?;
		Ok(Self { inner: Arc::new(Inner { shared, writer: Some(writer) }) })
	}

	/// Waits until every change counted before this call is on disk (one commit for all that
	/// wait): a count is durable once this returns `Ok`.
	pub fn flush(&self) -> Result<(), String> {
		let shared = &self.inner.shared;
		let target = shared.changes.load(Ordering::SeqCst);
		shared.flush_wanted.store(true, Ordering::SeqCst);
		if let Some(writer) = &self.inner.writer {
			writer.thread().unpark();
		}
		let mut committed = shared.committed.lock().expect("not poisoned");
		while committed.generation < target {
			if let Some(error) = &committed.error {
				return Err(error.clone());
			}
			if shared.crashed.load(Ordering::SeqCst) {
				return Err("the ledger crashed".into());
			}
			committed = shared
				.committed_changed
				.wait_timeout(committed, RETRY_AFTER)
				.expect("not poisoned")
				.0;
		}
		Ok(())
	}

	/// Commits the changes not committed yet and what `also` writes, in one transaction: the
	/// caller holds the write lock, then `state`'s.
	fn write_with(
		&self,
		state: &mut LedgerState,
		also: impl FnOnce(&redb::WriteTransaction) -> Result<(), redb::Error>,
	) -> Result<(), String> {
		let batch = state.take_batch();
		match self.inner.shared.write(&batch, also) {
			Ok(()) => {
				self.inner.shared.committed(batch.generation, None);
				Ok(())
			}
			Err(error) => {
				state.restore(&batch);
				Err(error)
			}
		}
	}

	/// Marks a change made under the state lock, for the writer to commit.
	fn changed(&self, state: &mut LedgerState) {
		state.dirty.generation = self.inner.shared.changes.fetch_add(1, Ordering::SeqCst) + 1;
	}

	/// Wakes the writer if it sleeps with nothing to commit: call after the state lock is
	/// released.
	fn wake_writer(&self) {
		if !self.inner.shared.idle.swap(false, Ordering::SeqCst) {
			return;
		}
		if let Some(writer) = &self.inner.writer {
			writer.thread().unpark();
		}
	}

	/// Stops every later commit at once, as a SIGKILL would: what was not committed is lost.
	#[cfg(test)]
	pub(crate) fn crash(&self) {
		self.inner.shared.crashed.store(true, Ordering::SeqCst);
	}

	/// Runs `count` with the writer held back, then crashes (tests): what `count` counted is
	/// in memory only, and lost.
	#[cfg(test)]
	pub(crate) fn crash_after(&self, count: impl FnOnce()) {
		let paused = self.pause_writes();
		count();
		self.crash();
		drop(paused);
	}

	/// Holds the writer back until the guard is dropped (tests).
	#[cfg(test)]
	fn pause_writes(&self) -> std::sync::MutexGuard<'_, ()> {
		self.inner.shared.writing.lock().expect("not poisoned")
	}

	/// Creates the tables, and moves what a ledger written before values were kept holds into
	/// them (its calls valued at their allowances' price caps).
	fn upgrade(db: &Database) -> Result<(), String> {
		let write = db.begin_write().map_err(|e| e.to_string())?;
		{
			let mut allowances = write.open_table(ALLOWANCES).map_err(|e| e.to_string())?;
			write.open_table(FREE_USED).map_err(|e| e.to_string())?;
			let mut meta = write.open_table(META).map_err(|e| e.to_string())?;
			let legacy_report = meta
				.remove(LEGACY_IN_FLIGHT)
				.map_err(|e| e.to_string())?
				.map(|value| LegacyReport::decode(&mut value.value()))
				.transpose()
				.map_err(|e| format!("a corrupt report in flight: {e}"))?;
			if let Some(report) = legacy_report {
				let report = PendingReport::from(report);
				meta.insert(IN_FLIGHT, report.encode().as_slice()).map_err(|e| e.to_string())?;
			}
			let legacy = write.open_table(LEGACY_ALLOWANCES).map_err(|e| e.to_string())?;
			let mut rows = Vec::new();
			for row in legacy.iter().map_err(|e| e.to_string())? {
				let (key, value) = row.map_err(|e| e.to_string())?;
				let entry = LegacyEntry::decode(&mut value.value())
					.map_err(|e| format!("a corrupt allowance entry: {e}"))?;
				rows.push((key.value().to_vec(), Entry::from(entry)));
			}
			for (key, entry) in rows {
				allowances
					.insert(key.as_slice(), entry.encode().as_slice())
					.map_err(|e| e.to_string())?;
			}
		}
		write.delete_table(LEGACY_ALLOWANCES).map_err(|e| e.to_string())?;
		write.commit().map_err(|e| e.to_string())
	}

	fn state(&self) -> std::sync::MutexGuard<'_, LedgerState> {
		self.inner.shared.state.lock().expect("not poisoned")
	}

	/// What the ledger knows of `signed` at best block `best`.
	///
	/// A higher nonce replaces, it does not add: the calls served here under the consumer's lower
	/// nonces count toward `signed`'s maximum while the latest of them to expire has not, as on
	/// the chain (which counts no more than this: only what it settled, and only until the
	/// allowances it replaced expire).
	pub fn standing(
		&self,
		signed: &SignedAllowance,
		best: BlockNumber,
	) -> Result<Standing, MicroError> {
		Ok(Self::standing_in(&self.state(), signed, best))
	}

	fn standing_in(state: &LedgerState, signed: &SignedAllowance, best: BlockNumber) -> Standing {
		let consumer = &signed.allowance.consumer;
		let mut standing = Standing::default();
		let (mut older, mut older_until) = (0u64, None);
		// A reserved call counts as served: its entry may not exist yet.
		let reserved = state.reserved_sums.get(consumer).into_iter().flatten();
		let mut visit = |nonce: u64, allowance: &super::Allowance, counted: u64| {
			if nonce > signed.allowance.nonce {
				standing.newer_nonce = standing.newer_nonce.max(Some(nonce));
			} else if nonce == signed.allowance.nonce {
				if *allowance != signed.allowance {
					standing.conflicting = true;
				}
				standing.counted += counted;
			} else {
				older += counted;
				older_until = older_until.max(Some(allowance.expires_at));
			}
		};
		for entry in state.entries_of(consumer) {
			let allowance = &entry.signed.allowance;
			let (value, is_this) =
				(entry.unsettled_value(), allowance.nonce == signed.allowance.nonce);
			visit(allowance.nonce, allowance, entry.counted());
			standing.unsettled_for_consumer += entry.unsettled();
			standing.unsettled_value_for_consumer =
				standing.unsettled_value_for_consumer.saturating_add(value);
			if is_this {
				standing.unsettled_value = standing.unsettled_value.saturating_add(value);
			}
		}
		for (nonce, sums) in reserved {
			// One allowance per nonce, unless two that conflict were reserved: each is seen.
			for sum in sums {
				let value = sum.value.unwrap_or(u128::MAX);
				visit(*nonce, &sum.allowance, sum.calls);
				standing.unsettled_for_consumer += sum.calls;
				standing.unsettled_value_for_consumer =
					standing.unsettled_value_for_consumer.saturating_add(value);
				if *nonce == signed.allowance.nonce {
					standing.unsettled_value = standing.unsettled_value.saturating_add(value);
				}
			}
		}
		if older_until.is_some_and(|until| best <= until) {
			standing.carried = older;
			standing.counted += older;
		}
		standing
	}

	/// Admits one call under `signed` worth `value`, at best block `best`, if `check` passes on
	/// the allowance's standing (which counts the calls reserved before as served): the check
	/// and the reservation happen under one lock, so no two calls pass on the same room.
	pub fn reserve(
		&self,
		signed: &SignedAllowance,
		best: BlockNumber,
		value: u128,
		check: impl FnOnce(&Standing) -> Result<(), MicroError>,
	) -> Result<Reservation, MicroError> {
		let mut state = self.state();
		check(&Self::standing_in(&state, signed, best))?;
		let held = Held::Allowance { signed: signed.clone(), value };
		Ok(self.hold(&mut state, held))
	}

	/// Admits one free call of `account`'s quota in `period`, if fewer than `cap` (the free
	/// calls `account` reserved on chain for this node in `period`) are used or reserved here:
	/// `None` if they are used up.
	pub fn reserve_free(&self, account: &AccountId, period: u64, cap: u32) -> Option<Reservation> {
		let mut state = self.state();
		let used = state.free_used.get(&(account.clone(), period)).copied().unwrap_or(0);
		let reserved = state
			.reserved_of(account)
			.filter(
				|held| matches!(held, Held::Free { account: a, period: p } if a == account && *p == period),
			)
			.count();
		if u64::from(used) + reserved as u64 >= u64::from(cap) {
			return None;
		}
		let held = Held::Free { account: account.clone(), period };
		Some(self.hold(&mut state, held))
	}

	/// Free calls of `account`'s quota used here in `period`.
	pub fn free_used(&self, account: &AccountId, period: u64) -> u32 {
		self.state().free_used.get(&(account.clone(), period)).copied().unwrap_or(0)
	}

	fn hold(&self, state: &mut LedgerState, held: Held) -> Reservation {
		let id = state.next_reservation;
		state.next_reservation += 1;
		state.insert_reserved(id, held);
		Reservation { ledger: self.clone(), id, done: AtomicBool::new(false) }
	}

	fn release(&self, id: u64) {
		self.state().remove_reserved(id);
	}

	/// Counts reservation `id` as served, of `version`: in memory at once, on disk with the
	/// writer's next batch.
	fn commit(&self, id: u64, version: VersionNumber) -> Result<(), MicroError> {
		let mut state = self.state();
		let Some(held) = state.remove_reserved(id) else {
			return Ok(());
		};
		match held {
			Held::Allowance { signed, value } => {
				self.count_in(&mut state, &signed, version, 1, value)?;
				drop(state);
				self.wake_writer();
				Ok(())
			}
			Held::Free { account, period } => {
				let used =
					state.free_used.get(&(account.clone(), period)).copied().unwrap_or(0) + 1;
				let stale: Vec<(AccountId, u64)> =
					state.free_used.keys().filter(|(_, p)| *p < period).cloned().collect();
				for key in stale {
					state.free_used.remove(&key);
					state.dirty.free.remove(&key);
					state.dirty.free_removed.insert(key);
				}
				state.free_used.insert((account.clone(), period), used);
				state.dirty.free.insert((account, period));
				self.changed(&mut state);
				drop(state);
				self.wake_writer();
				Ok(())
			}
		}
	}

	/// Adds `calls` served calls of `version` under `signed`, valued at the allowance's price
	/// cap (the most the chain may charge for them).
	pub fn count(
		&self,
		signed: &SignedAllowance,
		version: VersionNumber,
		calls: u64,
	) -> Result<(), MicroError> {
		let value = u128::from(calls).saturating_mul(signed.allowance.max_price_per_call);
		self.count_in(&mut self.state(), signed, version, calls, value)?;
		self.wake_writer();
		Ok(())
	}

	fn count_in(
		&self,
		state: &mut LedgerState,
		signed: &SignedAllowance,
		version: VersionNumber,
		calls: u64,
		value: u128,
	) -> Result<(), MicroError> {
		let key = signed.key();
		// Counted in place: the entry is not copied per call.
		if !state.entries.contains_key(&key) {
			let entry = Entry { signed: signed.clone(), versions: BTreeMap::new() };
			state.entries.insert(key.clone(), entry);
		}
		let Some(entry) = state.entries.get_mut(&key) else {
			return Err(ledger_error("the ledger lost an entry it just made".into()));
		};
		if entry.signed.allowance != signed.allowance {
			return Err(ledger_error("another allowance with this nonce is counted".into()));
		}
		let counts = entry.versions.entry(version).or_default();
		counts.counted += calls;
		counts.value = counts.value.saturating_add(value);
		state.dirty.entries.insert(key);
		self.changed(state);
		Ok(())
	}

	/// The report to submit now: the one in flight if there is one (resubmitted with its
	/// sequence until the chain settles it), else a new one of up to `max_records` records of
	/// the unsettled calls, each consumer's lowest nonces first in numeric order, starting with
	/// the consumer the last full report left out (so none is starved), with a sequence above
	/// `chain_sequence` (the node's last on-chain), written to disk before it is returned.
	/// `None` if nothing is unsettled.
	pub fn prepare(
		&self,
		max_records: usize,
		chain_sequence: Option<u64>,
		best: BlockNumber,
	) -> Result<Option<PendingReport>, String> {
		let _writing = self.inner.shared.writing.lock().expect("not poisoned");
		let mut state = self.state();
		if let Some(report) = &state.in_flight {
			return Ok(Some(report.clone()));
		}
		// The chain settles a consumer's lower nonces before a higher one replaces them: the
		// keys' byte order is not the nonces' numeric order.
		let mut entries: Vec<&Entry> = state.entries.values().collect();
		entries.sort_by(|a, b| {
			(&a.signed.allowance.consumer, a.signed.allowance.nonce)
				.cmp(&(&b.signed.allowance.consumer, b.signed.allowance.nonce))
		});
		// Reports take turns: this one starts with the consumer the last full one left out, and
		// goes round (a consumer's own records stay together, lowest nonce first).
		let start = state
			.resume_at
			.as_ref()
			.map_or(0, |at| entries.partition_point(|entry| &entry.signed.allowance.consumer < at));
		let (mut records, mut values, mut resume) = (Vec::new(), Vec::new(), None);
		for entry in entries[start..].iter().chain(&entries[..start]) {
			for (version, counts) in &entry.versions {
				if counts.counted <= counts.settled {
					continue;
				}
				if records.len() == max_records {
					resume.get_or_insert_with(|| entry.signed.allowance.consumer.clone());
					continue;
				}
				records.push(UsageRecord {
					allowance: entry.signed.allowance.clone(),
					signature: entry.signed.signature.clone(),
					version: *version,
					calls: counts.counted - counts.settled,
				});
				values.push(counts.value.saturating_sub(counts.settled_value));
			}
		}
		if records.is_empty() {
			return Ok(None);
		}
		state.resume_at = resume;
		let sequence = state.next_sequence.max(chain_sequence.map_or(0, |s| s + 1));
		let report = PendingReport { sequence, records, prepared_at: best, values };
		// The counts it covers go to disk with it.
		self.write_with(&mut state, |write| {
			write.open_table(META)?.insert(IN_FLIGHT, report.encode().as_slice())?;
			Ok(())
		})?;
		state.in_flight = Some(report.clone());
		Ok(Some(report))
	}

	/// The report in flight, if any.
	pub fn in_flight(&self) -> Option<PendingReport> {
		self.state().in_flight.clone()
	}

	/// Records that the chain settled every report up to `chain_sequence`: the report in flight
	/// is done if its sequence is at most that, and its calls count as settled. Returns the
	/// report it finished.
	pub fn confirm(&self, chain_sequence: u64) -> Result<Option<PendingReport>, String> {
		let _writing = self.inner.shared.writing.lock().expect("not poisoned");
		let mut state = self.state();
		let Some(report) = state.in_flight.clone().filter(|r| r.sequence <= chain_sequence) else {
			return Ok(None);
		};
		let mut changed = Vec::new();
		for (index, record) in report.records.iter().enumerate() {
			let key = (&record.allowance.consumer, record.allowance.nonce).encode();
			if let Some(entry) = state.entries.get_mut(&key) {
				let counts = entry.versions.entry(record.version).or_default();
				counts.settled = (counts.settled + record.calls).min(counts.counted);
				let value = report.values.get(index).copied().unwrap_or_default();
				counts.settled_value = counts.settled_value.saturating_add(value).min(counts.value);
				changed.push((key, entry.clone()));
			}
		}
		let next_sequence = report.sequence + 1;
		self.write_with(&mut state, |write| {
			let mut table = write.open_table(ALLOWANCES)?;
			for (key, entry) in &changed {
				// An allowance settled in full and past use stays until a newer nonce
				// replaces it, so its count still bounds later calls under it.
				table.insert(key.as_slice(), entry.encode().as_slice())?;
			}
			let mut meta = write.open_table(META)?;
			meta.remove(IN_FLIGHT)?;
			meta.insert(NEXT_SEQUENCE, next_sequence.encode().as_slice())?;
			Ok(())
		})?;
		state.in_flight = None;
		state.next_sequence = next_sequence;
		Ok(Some(report))
	}

	/// Drops allowances that are settled in full and expired before `best`, once every
	/// allowance of their consumer has (until then a newer nonce still carries their calls):
	/// returns how many went.
	pub fn prune(&self, best: BlockNumber) -> Result<usize, String> {
		let _writing = self.inner.shared.writing.lock().expect("not poisoned");
		let mut state = self.state();
		let mut latest_expiry: HashMap<AccountId, BlockNumber> = HashMap::new();
		for entry in state.entries.values() {
			let a = &entry.signed.allowance;
			let until = latest_expiry.entry(a.consumer.clone()).or_default();
			*until = (*until).max(a.expires_at);
		}
		let gone: Vec<Vec<u8>> = state
			.entries
			.iter()
			.filter(|(_, e)| {
				let a = &e.signed.allowance;
				e.unsettled() == 0 && latest_expiry[&a.consumer] < best
			})
			.map(|(k, _)| k.clone())
			.collect();
		if gone.is_empty() {
			return Ok(0);
		}
		self.write_with(&mut state, |write| {
			let mut table = write.open_table(ALLOWANCES)?;
			for key in &gone {
				table.remove(key.as_slice())?;
			}
			Ok(())
		})?;
		for key in &gone {
			state.entries.remove(key);
		}
		Ok(gone.len())
	}

	/// Calls served and not yet settled, over all allowances.
	pub fn unsettled(&self) -> u64 {
		self.state().entries.values().map(Entry::unsettled).sum()
	}

	/// The value of the calls served and not yet settled, over all allowances.
	pub fn unsettled_value(&self) -> u128 {
		self.state().entries.values().map(Entry::unsettled_value).sum()
	}

	/// Calls admitted and not answered yet.
	pub fn reserved(&self) -> usize {
		self.state().reserved.len()
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::settlement::Allowance;
	use sp_core::{crypto::Pair as _, sr25519};

	fn allowance(nonce: u64) -> SignedAllowance {
		let consumer = sr25519::Pair::from_string("//Dave", None).unwrap();
		let allowance = Allowance {
			consumer: consumer.public().into(),
			service: 0,
			node: 3,
			max_calls: 10,
			max_price_per_call: 7,
			expires_at: 1_000,
			nonce,
		};
		SignedAllowance::sign(&[7; 32], allowance, &consumer)
	}

	fn allowance_of(who: &str, nonce: u64) -> SignedAllowance {
		let consumer = sr25519::Pair::from_string(who, None).unwrap();
		let allowance =
			Allowance { consumer: consumer.public().into(), ..allowance(nonce).allowance };
		SignedAllowance::sign(&[7; 32], allowance, &consumer)
	}

	#[test]
	fn admission_reads_only_its_consumers_entries_and_reservations() {
		let dir = tempfile::tempdir().unwrap();
		let ledger = Ledger::open(&dir.path().join("l.redb")).unwrap();
		let (dave, eve) = (allowance_of("//Dave", 1), allowance_of("//Eve", 1));
		ledger.count(&dave, 1, 2).unwrap();
		for nonce in 1..50 {
			ledger.count(&allowance_of("//Eve", nonce), 1, 1).unwrap();
		}
		let held_by_eve: Vec<Reservation> =
			(0..5).map(|_| ledger.reserve(&eve, 10, 7, |_| Ok(())).unwrap()).collect();
		let held_by_dave = ledger.reserve(&dave, 10, 7, |_| Ok(())).unwrap();
		{
			let state = ledger.state();
			let consumer = &dave.allowance.consumer;
			assert_eq!(state.entries_of(consumer).count(), 1, "Eve's 49 entries not read");
			assert_eq!(state.reserved_of(consumer).count(), 1, "Eve's 5 reservations not read");
		}
		let standing = ledger.standing(&dave, 10).unwrap();
		assert_eq!((standing.counted, standing.unsettled_for_consumer), (3, 3));
		assert_eq!(standing.unsettled_value_for_consumer, 2 * 7 + 7);
		held_by_dave.commit(1).unwrap();
		drop(held_by_eve);
		assert_eq!(ledger.reserved(), 0);
		assert!(ledger.state().reserved_by_account.is_empty(), "the index empties with it");
		assert!(ledger.state().reserved_sums.is_empty(), "and the sums");
		assert_eq!(ledger.standing(&dave, 10).unwrap().counted, 3);
	}

	/// The sums of the calls in flight follow every reservation made, committed and released:
	/// the standing counts each call in flight once, at its value, and nothing once they end.
	#[test]
	fn calls_in_flight_are_summed_as_they_are_reserved_committed_and_released() {
		let dir = tempfile::tempdir().unwrap();
		let ledger = Ledger::open(&dir.path().join("l.redb")).unwrap();
		let (first, second) = (allowance_of("//Dave", 1), allowance_of("//Dave", 2));
		let mut held: Vec<Reservation> =
			(0..64).map(|_| ledger.reserve(&first, 10, 7, |_| Ok(())).unwrap()).collect();
		held.extend((0..3).map(|_| ledger.reserve(&second, 10, 5, |_| Ok(())).unwrap()));
		let standing = ledger.standing(&first, 10).unwrap();
		assert_eq!((standing.counted, standing.newer_nonce), (64, Some(2)));
		assert_eq!(standing.unsettled_for_consumer, 67);
		assert_eq!((standing.unsettled_value, standing.unsettled_value_for_consumer), (448, 463));
		for (n, reservation) in held.drain(..).enumerate() {
			if n % 2 == 0 {
				reservation.commit(1).unwrap();
			}
		}
		let standing = ledger.standing(&first, 10).unwrap();
		assert_eq!((standing.counted, standing.unsettled_for_consumer), (32, 34));
		assert_eq!((standing.unsettled_value, standing.unsettled_value_for_consumer), (224, 234));
		assert_eq!(ledger.reserved(), 0);
		assert!(ledger.state().reserved_sums.is_empty());
	}

	/// M10: nonces are keyed little-endian, so nonce 256 sorts before nonce 1 in byte order;
	/// a report cut at its most records must still take the lowest nonces, or the chain
	/// refuses the lower ones later as replaced.
	#[test]
	fn a_report_takes_the_lowest_nonces_in_numeric_order() {
		let dir = tempfile::tempdir().unwrap();
		let ledger = Ledger::open(&dir.path().join("l.redb")).unwrap();
		for nonce in [256, 1, 2] {
			ledger.count(&allowance(nonce), 1, 1).unwrap();
		}
		let report = ledger.prepare(2, None, 1).unwrap().unwrap();
		let nonces: Vec<u64> = report.records.iter().map(|r| r.allowance.nonce).collect();
		assert_eq!(nonces, vec![1, 2]);
	}

	/// A ledger written before values were kept opens with its counts, each call valued at its
	/// allowance's price cap, and its report in flight.
	#[test]
	fn a_ledger_without_values_is_upgraded_at_the_price_caps() {
		let dir = tempfile::tempdir().unwrap();
		let path = dir.path().join("old.redb");
		let signed = allowance(1);
		{
			let db = Database::create(&path).unwrap();
			let write = db.begin_write().unwrap();
			{
				let mut table = write.open_table(LEGACY_ALLOWANCES).unwrap();
				let versions: BTreeMap<VersionNumber, (u64, u64)> = [(1, (5, 2))].into();
				let entry = (&signed, versions).encode();
				table.insert(signed.key().as_slice(), entry.as_slice()).unwrap();
				let mut meta = write.open_table(META).unwrap();
				let record = UsageRecord {
					allowance: signed.allowance.clone(),
					signature: signed.signature.clone(),
					version: 1,
					calls: 3,
				};
				let report = (4u64, vec![record], 9 as BlockNumber).encode();
				meta.insert(LEGACY_IN_FLIGHT, report.as_slice()).unwrap();
			}
			write.commit().unwrap();
		}
		let ledger = Ledger::open(&path).unwrap();
		assert_eq!((ledger.unsettled(), ledger.unsettled_value()), (3, 21));
		let report = ledger.in_flight().expect("the report in flight is kept");
		assert_eq!((report.sequence, report.values.clone()), (4, vec![21]));
		assert_eq!(ledger.confirm(4).unwrap(), Some(report));
		assert_eq!((ledger.unsettled(), ledger.unsettled_value()), (0, 0));
		drop(ledger);
		let reopened = Ledger::open(&path).unwrap();
		assert_eq!(reopened.standing(&signed, 1).unwrap().counted, 5, "upgraded once, kept");
	}

	/// Counts from many threads are group-committed: one transaction for every count made
	/// while the writer was busy, all on disk once `flush` returns, and the rest when the
	/// ledger closes.
	#[test]
	fn counts_are_group_committed_and_on_disk_after_flush_and_close() {
		let dir = tempfile::tempdir().unwrap();
		let path = dir.path().join("l.redb");
		let (dave, eve) = (allowance_of("//Dave", 1), allowance_of("//Eve", 1));
		{
			let ledger = Ledger::open(&path).unwrap();
			let before = ledger.inner.shared.commits.load(Ordering::SeqCst);
			{
				let _paused = ledger.pause_writes();
				std::thread::scope(|scope| {
					for signed in [&dave, &eve, &dave, &eve] {
						let ledger = &ledger;
						scope.spawn(move || {
							for _ in 0..25 {
								ledger.count(signed, 1, 1).unwrap();
							}
						});
					}
				});
				assert_eq!(ledger.standing(&dave, 1).unwrap().counted, 50, "counted in memory");
			}
			ledger.flush().unwrap();
			let commits = ledger.inner.shared.commits.load(Ordering::SeqCst) - before;
			assert_eq!(commits, 1, "100 counts made while the writer waited: one commit");
			ledger.count(&eve, 2, 1).unwrap();
		}
		let reopened = Ledger::open(&path).unwrap();
		assert_eq!(reopened.standing(&dave, 1).unwrap().counted, 50);
		assert_eq!(reopened.standing(&eve, 1).unwrap().counted, 51, "the last, at close");
		assert_eq!(reopened.unsettled(), 101);
	}

	/// Reports take turns among consumers: when one report cannot hold every consumer's
	/// unsettled calls, the next starts where it stopped, so a consumer whose key sorts early
	/// and keeps calling cannot keep one whose key sorts late out of every report (and its
	/// allowance expire unsettled).
	#[test]
	fn reports_take_turns_among_consumers_and_none_is_starved() {
		let dir = tempfile::tempdir().unwrap();
		let ledger = Ledger::open(&dir.path().join("l.redb")).unwrap();
		let mut consumers: Vec<SignedAllowance> =
			["//Dave", "//Eve", "//Ferdie"].iter().map(|who| allowance_of(who, 1)).collect();
		consumers.sort_by(|a, b| a.allowance.consumer.cmp(&b.allowance.consumer));
		let mut reported = Vec::new();
		for round in 0..6u64 {
			// Every consumer has unsettled calls in every round.
			for signed in &consumers {
				ledger.count(signed, 1, 1).unwrap();
			}
			let report = ledger.prepare(1, None, 1).unwrap().unwrap();
			assert_eq!(report.records.len(), 1);
			reported.push(report.records[0].allowance.consumer.clone());
			assert_eq!(ledger.confirm(round).unwrap().map(|r| r.sequence), Some(round));
		}
		let expected: Vec<AccountId> =
			(0..6).map(|n| consumers[n % 3].allowance.consumer.clone()).collect();
		assert_eq!(reported, expected, "each consumer in turn");
	}

	/// Calls counted one at a time share commits too: at most one per [`COMMIT_INTERVAL`]
	/// (and one more for the flush), not one per call.
	#[test]
	fn counts_made_one_at_a_time_are_committed_at_most_once_per_interval() {
		let dir = tempfile::tempdir().unwrap();
		let ledger = Ledger::open(&dir.path().join("l.redb")).unwrap();
		let dave = allowance_of("//Dave", 1);
		let before = ledger.inner.shared.commits.load(Ordering::SeqCst);
		let started = Instant::now();
		for _ in 0..300 {
			ledger.count(&dave, 1, 1).unwrap();
			std::thread::yield_now();
		}
		let elapsed = started.elapsed();
		ledger.flush().unwrap();
		let commits = ledger.inner.shared.commits.load(Ordering::SeqCst) - before;
		let most = elapsed.as_millis() / COMMIT_INTERVAL.as_millis() + 2;
		assert!(
			u128::from(commits) <= most,
			"{commits} commits for 300 counts in {elapsed:?}: at most {most}"
		);
		assert_eq!(ledger.standing(&dave, 1).unwrap().counted, 300);
	}

	/// A crash (SIGKILL: nothing more reaches the disk, nothing is flushed) loses only the
	/// counts not committed yet: never one a flush acknowledged, and it never adds one.
	#[test]
	fn a_crash_loses_no_acknowledged_count_and_never_over_counts() {
		let dir = tempfile::tempdir().unwrap();
		let path = dir.path().join("l.redb");
		let signed = allowance(1);
		{
			let ledger = Ledger::open(&path).unwrap();
			ledger.count(&signed, 1, 3).unwrap();
			ledger.flush().unwrap();
			let paused = ledger.pause_writes();
			ledger.count(&signed, 1, 2).unwrap();
			assert_eq!(ledger.standing(&signed, 1).unwrap().counted, 5, "admission sees 5");
			ledger.crash();
			drop(paused);
			assert!(ledger.flush().is_err(), "nothing is acknowledged after the crash");
		}
		let reopened = Ledger::open(&path).unwrap();
		assert_eq!(reopened.standing(&signed, 1).unwrap().counted, 3, "the 3 acknowledged");
		assert_eq!(reopened.unsettled_value(), 3 * 7);
		let report = reopened.prepare(10, None, 1).unwrap().unwrap();
		assert_eq!(report.records[0].calls, 3, "under-charged by the 2 lost, never over");
	}

	/// A report goes to disk with the counts it covers, in one transaction: after a crash the
	/// report in flight never claims calls the ledger lost, and settling it settles them.
	#[test]
	fn a_report_is_never_on_disk_ahead_of_its_counts() {
		let dir = tempfile::tempdir().unwrap();
		let path = dir.path().join("l.redb");
		let signed = allowance(1);
		{
			let ledger = Ledger::open(&path).unwrap();
			ledger.count(&signed, 1, 4).unwrap();
			let report = ledger.prepare(10, None, 1).unwrap().unwrap();
			assert_eq!(report.records[0].calls, 4);
			ledger.crash();
		}
		let reopened = Ledger::open(&path).unwrap();
		assert_eq!(reopened.in_flight().unwrap().records[0].calls, 4);
		assert_eq!(reopened.unsettled(), 4, "the counts went with the report");
		reopened.confirm(0).unwrap();
		assert_eq!((reopened.unsettled(), reopened.standing(&signed, 1).unwrap().counted), (0, 4));
	}
}
