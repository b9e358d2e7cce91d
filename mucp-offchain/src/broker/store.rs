//! The broker's store on disk (redb), written by one thread that commits in batches.
//!
//! Every change the broker makes goes to the writer as a batch of [`Op`]s; the writer takes
//! every batch waiting, applies them in one transaction and commits it with one fsync, then
//! tells each waiting caller. So a flood of publishes costs one fsync per batch rather than
//! one per message, and no fsync ever runs on the network's event loop or under the broker's
//! lock: callers that need durability ([`Store::write`]) wait outside the lock, callers that
//! do not (acknowledgements, which at worst cause a redelivery) do not wait at all
//! ([`Store::write_later`]). Batches are applied in the order they were sent.
//!
//! Concurrent publishes therefore share a commit: each [`Store::submit`]s its batch and awaits
//! (or, off the runtime, blocks on) its answer, and the writer folds every batch queued while
//! it was committing the previous one into the next transaction.

use std::{
	path::Path,
	sync::mpsc::{self, Receiver},
	thread::JoinHandle,
};

use tokio::sync::oneshot;

use redb::{Database, ReadableTable, TableDefinition};

/// Messages held for this node's subscribers: (topic, sequence) → row.
pub(crate) const INBOX: TableDefinition<(&str, u64), &[u8]> = TableDefinition::new("inbox");
/// Messages held for another node until it acknowledges them: (node, sequence) → row.
pub(crate) const OUTBOX: TableDefinition<(&str, u64), &[u8]> = TableDefinition::new("outbox");

/// Most batches folded into one transaction.
const MAX_BATCHES_PER_COMMIT: usize = 1024;

/// One change to the store.
#[derive(Debug)]
pub(crate) enum Op {
	PutInbox { topic: String, sequence: u64, row: Vec<u8> },
	RemoveInbox { topic: String, sequence: u64 },
	PutOutbox { node: String, sequence: u64, row: Vec<u8> },
	RemoveOutbox { node: String, sequence: u64 },
}

struct Batch {
	ops: Vec<Op>,
	committed: Option<oneshot::Sender<Result<(), String>>>,
}

/// What the store held when it was opened: (key, sequence, row) of each table.
pub(crate) struct Loaded {
	pub inbox: Vec<(String, u64, Vec<u8>)>,
	pub outbox: Vec<(String, u64, Vec<u8>)>,
}

/// The store and its writer thread.
pub(crate) struct Store {
	batches: Option<mpsc::Sender<Batch>>,
	writer: Option<JoinHandle<()>>,
}

impl Store {
	/// Opens (or creates) the store at `path` and returns what it holds.
	pub fn open(path: &Path) -> Result<(Self, Loaded), String> {
		let db = crate::store::open(path).map_err(|e| e.to_string())?;
		let write = db.begin_write().map_err(|e| e.to_string())?;
		write.open_table(INBOX).map_err(|e| e.to_string())?;
		write.open_table(OUTBOX).map_err(|e| e.to_string())?;
		write.commit().map_err(|e| e.to_string())?;
		let loaded = {
			let read = db.begin_read().map_err(|e| e.to_string())?;
			let rows = |table: TableDefinition<(&str, u64), &[u8]>| -> Result<_, String> {
				let table = read.open_table(table).map_err(|e| e.to_string())?;
				let mut rows = Vec::new();
				for row in table.iter().map_err(|e| e.to_string())? {
					let (key, value) = row.map_err(|e| e.to_string())?;
					let (name, sequence) = key.value();
					rows.push((name.to_owned(), sequence, value.value().to_vec()));
				}
				Ok(rows)
			};
			Loaded { inbox: rows(INBOX)?, outbox: rows(OUTBOX)? }
		};
		let (batches, receiver) = mpsc::channel();
		let writer = std::thread::Builder::new()
			.name("mucp-broker-store".into())
			.spawn(move || write_batches(db, receiver))
			.map_err(|e| e.to_string())?;
		Ok((Self { batches: Some(batches), writer: Some(writer) }, loaded))
	}

	/// Queues `ops` and returns a receiver that answers once they are committed. Call it under
	/// the broker's lock (so batches keep the broker's order) and wait outside it: `.await` it
	/// on the runtime, or [`Store::wait`] off it.
	pub fn submit(&self, ops: Vec<Op>) -> Committed {
		let (committed, answer) = oneshot::channel();
		if ops.is_empty() {
			let _ = committed.send(Ok(()));
			return answer;
		}
		let batch = Batch { ops, committed: Some(committed) };
		if let Some(Err(mpsc::SendError(batch))) = self.batches.as_ref().map(|b| b.send(batch)) {
			if let Some(committed) = batch.committed {
				let _ = committed.send(Err(STOPPED.into()));
			}
		}
		answer
	}

	/// Queues `ops` without waiting for them to be committed.
	pub fn write_later(&self, ops: Vec<Op>) {
		if ops.is_empty() {
			return;
		}
		if let Some(batches) = &self.batches {
			let _ = batches.send(Batch { ops, committed: None });
		}
	}

	/// Waits for `answer` from [`Store::submit`], blocking the thread: never on the runtime.
	pub fn wait(answer: Committed) -> Result<(), String> {
		answer.blocking_recv().unwrap_or_else(|_| Err(STOPPED.into()))
	}

	/// Waits for `answer` from [`Store::submit`] without blocking a thread.
	pub async fn committed(answer: Committed) -> Result<(), String> {
		answer.await.unwrap_or_else(|_| Err(STOPPED.into()))
	}
}

/// The answer [`Store::submit`] gives once its batch is committed (or failed).
pub(crate) type Committed = oneshot::Receiver<Result<(), String>>;

const STOPPED: &str = "the store's writer has stopped";

impl Drop for Store {
	/// Lets the writer commit what is queued, then closes the database.
	fn drop(&mut self) {
		self.batches.take();
		if let Some(writer) = self.writer.take() {
			let _ = writer.join();
		}
	}
}

/// The writer thread: every batch waiting goes into one transaction, committed once.
fn write_batches(db: Database, batches: Receiver<Batch>) {
	while let Ok(first) = batches.recv() {
		let mut taken = vec![first];
		while taken.len() < MAX_BATCHES_PER_COMMIT {
			match batches.try_recv() {
				Ok(batch) => taken.push(batch),
				Err(_) => break,
			}
		}
		let result = commit(&db, &taken).map_err(|e| {
			log::error!(target: "mucp", "the broker's store failed to commit: {e}");
			e
		});
		for batch in taken {
			if let Some(committed) = batch.committed {
				let _ = committed.send(result.clone());
			}
		}
	}
}

fn commit(db: &Database, batches: &[Batch]) -> Result<(), String> {
	let write = db.begin_write().map_err(|e| e.to_string())?;
	{
		let mut inbox = write.open_table(INBOX).map_err(|e| e.to_string())?;
		let mut outbox = write.open_table(OUTBOX).map_err(|e| e.to_string())?;
		for op in batches.iter().flat_map(|b| &b.ops) {
			match op {
				Op::PutInbox { topic, sequence, row } => {
					inbox.insert((topic.as_str(), *sequence), row.as_slice()).map(drop)
				}
				Op::RemoveInbox { topic, sequence } => {
					inbox.remove((topic.as_str(), *sequence)).map(drop)
				}
				Op::PutOutbox { node, sequence, row } => {
					outbox.insert((node.as_str(), *sequence), row.as_slice()).map(drop)
				}
				Op::RemoveOutbox { node, sequence } => {
					outbox.remove((node.as_str(), *sequence)).map(drop)
				}
			}
			.map_err(|e| e.to_string())?;
		}
	}
	write.commit().map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn batches_are_committed_in_order_and_survive_a_reopen() {
		let dir = tempfile::tempdir().unwrap();
		let path = dir.path().join("store.redb");
		{
			let (store, loaded) = Store::open(&path).unwrap();
			assert!(loaded.inbox.is_empty() && loaded.outbox.is_empty());
			let put = |sequence| Op::PutInbox { topic: "t".into(), sequence, row: vec![1] };
			let answers: Vec<_> = (0..50).map(|s| store.submit(vec![put(s)])).collect();
			store.write_later(vec![Op::RemoveInbox { topic: "t".into(), sequence: 0 }]);
			let to_node = Op::PutOutbox { node: "n".into(), sequence: 7, row: vec![2] };
			let last = store.submit(vec![to_node]);
			for answer in answers {
				Store::wait(answer).unwrap();
			}
			Store::wait(last).unwrap();
		}
		let (_, loaded) = Store::open(&path).unwrap();
		assert_eq!(loaded.inbox.len(), 49, "the removal came after its insert");
		assert_eq!(loaded.outbox, vec![("n".to_owned(), 7, vec![2])]);
	}
}
