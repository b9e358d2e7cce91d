//! Opening the worker's embedded databases (redb) so that a damaged file costs its contents,
//! never the node.
//!
//! The broker's inbox, the usage ledger and the services' storage each live in one redb file.
//! Before this module a corrupt file (a torn disk, a bad sector, a stray write) made opening it
//! fail, and with it the whole node, validator included (issue 17, "Faults"). [`open`] moves a
//! file redb reports corrupt aside, to `<name>.corrupt-<unix time>` where an operator can
//! inspect or repair it, logs one error line saying so, and starts an empty store in its
//! place. Errors that do not mean corruption (the file is open in another process, it needs an
//! upgrade, the disk refuses) are returned as they are: nothing is moved for them.

use std::{
	io,
	path::{Path, PathBuf},
	time::{SystemTime, UNIX_EPOCH},
};

use redb::{Database, DatabaseError, StorageError};

/// Opens (or creates) the redb database at `path`. A file redb finds corrupt is moved aside to
/// `<name>.corrupt-<unix time>` with an error log line, and an empty database is created in its
/// place.
pub fn open(path: &Path) -> Result<Database, DatabaseError> {
	match Database::create(path) {
		Err(error) if is_corrupt(&error) => {
			let aside =
				move_aside(path).map_err(|e| DatabaseError::Storage(StorageError::Io(e)))?;
			log::error!(
				target: "mucp",
				"{} is corrupt ({error}): moved aside to {} and started empty; the node keeps \
				 running, and what the file held is in the moved copy",
				path.display(),
				aside.display(),
			);
			Database::create(path)
		}
		opened => opened,
	}
}

/// Opens the store at `path` with `open_with`; if that fails with an error `unreadable` says
/// means the file's contents cannot be read (a redb-valid file whose entries do not decode,
/// say), moves the file aside like [`open`] does, logs why, and opens an empty store in its
/// place. Other errors (a locked file, a full disk) move nothing.
pub fn open_or_set_aside<T>(
	path: &Path,
	what: &str,
	open_with: impl Fn(&Path) -> Result<T, String>,
	unreadable: impl Fn(&str) -> bool,
) -> Result<T, String> {
	match open_with(path) {
		Ok(store) => Ok(store),
		Err(error) if unreadable(&error) && path.exists() => {
			let aside = move_aside(path).map_err(|e| format!("{}: {e}", path.display()))?;
			log::error!(
				target: "mucp",
				"{what} at {} cannot be read ({error}): moved aside to {} and started empty; \
				 the node keeps running, and what the file held is in the moved copy",
				path.display(),
				aside.display(),
			);
			open_with(path)
		}
		Err(error) => Err(error),
	}
}

/// Whether `error` says the file's contents are damaged, rather than that it cannot be opened
/// now (locked, an old format, a failing disk).
fn is_corrupt(error: &DatabaseError) -> bool {
	match error {
		DatabaseError::Storage(StorageError::Corrupted(_)) => true,
		// A file too short for redb's header, or one whose header is garbage.
		DatabaseError::Storage(StorageError::Io(error)) => {
			matches!(error.kind(), io::ErrorKind::UnexpectedEof | io::ErrorKind::InvalidData)
		}
		_ => false,
	}
}

/// Renames `path` to `<path>.corrupt-<unix time>` (with a counter if that is taken); returns
/// the new path.
fn move_aside(path: &Path) -> io::Result<PathBuf> {
	let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default().as_secs();
	let mut name = path.as_os_str().to_owned();
	name.push(format!(".corrupt-{now}"));
	let mut aside = PathBuf::from(&name);
	let mut counter = 1;
	while aside.exists() {
		let mut numbered = name.clone();
		numbered.push(format!("-{counter}"));
		aside = PathBuf::from(numbered);
		counter += 1;
	}
	std::fs::rename(path, &aside)?;
	Ok(aside)
}

#[cfg(test)]
mod tests {
	use super::*;
	use redb::{ReadableTableMetadata, TableDefinition};

	const TABLE: TableDefinition<&str, u64> = TableDefinition::new("test");

	fn corrupt_copies(dir: &Path, name: &str) -> Vec<PathBuf> {
		let prefix = format!("{name}.corrupt-");
		let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
			.unwrap()
			.map(|entry| entry.unwrap().path())
			.filter(|path| path.file_name().unwrap().to_string_lossy().starts_with(&prefix))
			.collect();
		found.sort();
		found
	}

	fn write_and_read_back(db: &Database) -> u64 {
		let write = db.begin_write().unwrap();
		write.open_table(TABLE).unwrap().insert("answer", 42).unwrap();
		write.commit().unwrap();
		let read = db.begin_read().unwrap();
		let value = read.open_table(TABLE).unwrap().get("answer").unwrap().unwrap().value();
		value
	}

	#[test]
	fn a_garbage_file_is_moved_aside_and_a_fresh_store_works() {
		let dir = tempfile::tempdir().unwrap();
		for (name, garbage) in [
			("short.redb", b"not a database".to_vec()),
			("long.redb", (0..64 * 1024).map(|i| (i * 7 % 251) as u8).collect::<Vec<u8>>()),
		] {
			let path = dir.path().join(name);
			std::fs::write(&path, &garbage).unwrap();
			let db = open(&path).expect("a corrupt file does not stop the opening");
			assert_eq!(write_and_read_back(&db), 42, "{name}: the fresh store works");
			let aside = corrupt_copies(dir.path(), name);
			assert_eq!(aside.len(), 1, "{name}: one copy moved aside: {aside:?}");
			assert_eq!(std::fs::read(&aside[0]).unwrap(), garbage, "{name}: kept as it was");
		}
	}

	#[test]
	fn a_healthy_store_keeps_its_contents_and_nothing_is_moved() {
		let dir = tempfile::tempdir().unwrap();
		let path = dir.path().join("healthy.redb");
		assert_eq!(write_and_read_back(&open(&path).unwrap()), 42);
		let db = open(&path).unwrap();
		let read = db.begin_read().unwrap();
		let table = read.open_table(TABLE).unwrap();
		assert_eq!(table.get("answer").unwrap().unwrap().value(), 42);
		assert_eq!(table.len().unwrap(), 1);
		assert!(corrupt_copies(dir.path(), "healthy.redb").is_empty());
	}

	#[test]
	fn a_store_open_elsewhere_is_refused_not_moved() {
		let dir = tempfile::tempdir().unwrap();
		let path = dir.path().join("busy.redb");
		let _held = open(&path).unwrap();
		assert!(matches!(open(&path), Err(DatabaseError::DatabaseAlreadyOpen)));
		assert!(corrupt_copies(dir.path(), "busy.redb").is_empty());
		assert!(path.exists());
	}

	#[test]
	fn a_store_whose_contents_do_not_decode_is_set_aside_and_started_empty() {
		let dir = tempfile::tempdir().unwrap();
		let path = dir.path().join("usage.redb");
		std::fs::write(&path, b"entries that do not decode").unwrap();
		let opened = open_or_set_aside(
			&path,
			"the ledger",
			|path| {
				let held = std::fs::read(path).unwrap_or_default();
				if held.is_empty() {
					std::fs::write(path, b"fresh").map_err(|e| e.to_string())?;
					Ok("fresh")
				} else {
					Err("a corrupt allowance entry".to_owned())
				}
			},
			|error| error.contains("corrupt"),
		);
		assert_eq!(opened, Ok("fresh"));
		let copies = corrupt_copies(dir.path(), "usage.redb");
		assert_eq!(copies.len(), 1, "{copies:?}");
		assert_eq!(std::fs::read(&copies[0]).unwrap(), b"entries that do not decode");
	}

	#[test]
	fn a_store_that_cannot_be_opened_for_another_reason_is_left_in_place() {
		let dir = tempfile::tempdir().unwrap();
		let path = dir.path().join("usage.redb");
		std::fs::write(&path, b"x").unwrap();
		let opened: Result<(), String> = open_or_set_aside(
			&path,
			"the ledger",
			|_| Err("the disk refuses".to_owned()),
			|error| error.contains("corrupt"),
		);
		assert_eq!(opened, Err("the disk refuses".to_owned()));
		assert!(corrupt_copies(dir.path(), "usage.redb").is_empty());
		assert_eq!(std::fs::read(&path).unwrap(), b"x");
	}
}
