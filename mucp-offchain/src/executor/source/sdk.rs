//! The service SDK (`micro-service`) a Rust service depends on by version, resolved to the copy
//! this build carries.
//!
//! A service's `Cargo.toml` says `micro-service = "0.1"`, as it would for any crate. Builds
//! resolve that dependency to the SDK built into this binary, installed on disk by
//! [`install`]: the node's sandboxed builds and `micro`'s builds pass cargo
//! [`patch_argument`] (a `[patch.crates-io]` entry), and a project made by `micro new` has the
//! same entry in its untracked `.cargo/config.toml`, so `cargo build` and `cargo test` work on
//! the developer's machine unchanged.
//!
//! Why not crates.io: the guest ABI must match the host that runs it, so the SDK a node builds
//! with is the one of its own version. A crate of that name published on crates.io by anyone
//! else (name squatting) is never used: the patch takes precedence, and a lock file that
//! resolves the SDK from a registry or git (say, under a requirement this SDK does not meet,
//! which leaves the patch unused) is refused ([`check_lock`]) instead of being fetched. A
//! repository may still vendor an SDK of its own by path: its own code, built as it is.

use std::{
	fs, io,
	path::{Path, PathBuf},
};

use super::BuildError;
use crate::{executor::code_hash, hex};

/// The SDK's package name.
pub const NAME: &str = "micro-service";

/// Where the SDK appears inside the build sandbox.
pub const SANDBOX_PATH: &str = "/sdk/micro-service";

/// The SDK's files, relative to its root, as this binary was built with them.
const FILES: &[(&str, &str)] = &[
	("Cargo.toml", include_str!("../../../../sdk/Cargo.toml")),
	("src/lib.rs", include_str!("../../../../sdk/src/lib.rs")),
];

/// The SDK's version, from its manifest's `[package]` table.
pub fn version() -> &'static str {
	let manifest = FILES[0].1;
	manifest
		.lines()
		.skip_while(|line| line.trim() != "[package]")
		.find_map(|line| {
			let value = line.trim().strip_prefix("version")?.trim_start().strip_prefix('=')?;
			Some(value.trim().trim_matches('"'))
		})
		.expect("the SDK's manifest has a version")
}

/// Writes the SDK into a directory of its own under `root` (named by its version and a digest
/// of its files, so SDKs of different builds never mix) unless it is already there; returns
/// that directory. A directory left half written by a crash is replaced.
pub fn install(root: &Path) -> io::Result<PathBuf> {
	let mut all = Vec::new();
	for (path, text) in FILES {
		all.extend_from_slice(path.as_bytes());
		all.push(0);
		all.extend_from_slice(text.as_bytes());
		all.push(0);
	}
	let digest = hex::encode(&code_hash(&all)[..6]);
	let dir = root.join(format!("{NAME}-{}-{digest}", version()));
	let complete = |dir: &Path| {
		FILES
			.iter()
			.all(|(path, text)| fs::read(dir.join(path)).is_ok_and(|b| b == text.as_bytes()))
	};
	if complete(&dir) {
		return Ok(dir);
	}
	fs::create_dir_all(root)?;
	let staging = tempfile::Builder::new().prefix(".sdk-").tempdir_in(root)?;
	for (path, text) in FILES {
		let file = staging.path().join(path);
		if let Some(parent) = file.parent() {
			fs::create_dir_all(parent)?;
		}
		fs::write(file, text)?;
	}
	if dir.exists() {
		fs::remove_dir_all(&dir)?;
	}
	match fs::rename(staging.path(), &dir) {
		Ok(()) => {
			// Renamed away: nothing left for the guard to remove.
			let _ = staging.keep();
			Ok(dir)
		}
		// Another process installed it meanwhile.
		Err(_) if complete(&dir) => Ok(dir),
		Err(e) => Err(e),
	}
}

/// The `--config` value that makes cargo resolve the SDK to the copy at `path`.
pub fn patch_argument(path: &Path) -> String {
	let path = path.display().to_string().replace('\\', "\\\\").replace('"', "\\\"");
	format!("patch.crates-io.{NAME}.path=\"{path}\"")
}

/// The `.cargo/config.toml` of a project on the developer's machine, resolving the SDK to the
/// copy at `path`.
pub fn project_config(path: &Path) -> String {
	let path = path.display().to_string().replace('\\', "\\\\").replace('"', "\\\"");
	format!(
		"# Written by `micro`, not committed (see .gitignore): `micro-service` resolves to the SDK\n\
		 # that `micro` carries, as it does on every node that builds this service.\n\
		 [patch.crates-io]\n\
		 {NAME} = {{ path = \"{path}\" }}\n"
	)
}

/// Refuses a lock file that resolves the SDK from a registry or git: builds resolve it to the
/// node's own copy, which a lock made that way would not match. The lock is read as TOML, as
/// cargo reads it, so no spelling (keys reordered or quoted, inline tables, the older formats'
/// `name version (source)` entries) hides a source.
pub fn check_lock(lock: &str) -> Result<(), BuildError> {
	let refused = || {
		BuildError::Refused(format!(
			"Cargo.lock: `{NAME}` is locked to a registry or git source; nodes build it from \
			 their own SDK. Lock it with `micro build` (or in a project made by `micro new`) \
			 and commit Cargo.lock"
		))
	};
	let lock = super::fetch::parse_toml(lock)
		.map_err(|why| BuildError::Refused(format!("Cargo.lock: {why}")))?;
	let mut stack = vec![&lock];
	while let Some(value) = stack.pop() {
		match value {
			toml::Value::Table(table) => {
				let is_sdk = table.get("name").and_then(toml::Value::as_str) == Some(NAME);
				if is_sdk && table.contains_key("source") {
					return Err(refused());
				}
				stack.extend(table.values());
			}
			toml::Value::Array(items) => stack.extend(items),
			toml::Value::String(entry)
				if entry.split_whitespace().next() == Some(NAME) && entry.contains('(') =>
			{
				return Err(refused());
			}
			_ => {}
		}
	}
	Ok(())
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn every_file_of_the_sdk_is_carried() {
		let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../sdk");
		let mut on_disk = Vec::new();
		let mut stack = vec![root.clone()];
		while let Some(dir) = stack.pop() {
			for entry in fs::read_dir(&dir).unwrap().map(Result::unwrap) {
				let path = entry.path();
				if path.is_dir() {
					stack.push(path);
				} else {
					on_disk.push(path.strip_prefix(&root).unwrap().display().to_string());
				}
			}
		}
		on_disk.sort();
		let mut carried: Vec<String> = FILES.iter().map(|(path, _)| path.to_string()).collect();
		carried.sort();
		assert_eq!(on_disk, carried, "add the SDK's new files to FILES");
		assert_eq!(version(), "0.1.0");
	}

	#[test]
	fn the_sdk_installs_once_and_is_repaired_if_damaged() {
		let root = tempfile::tempdir().unwrap();
		let dir = install(root.path()).unwrap();
		assert!(dir.file_name().unwrap().to_str().unwrap().starts_with("micro-service-0.1.0-"));
		assert_eq!(fs::read_to_string(dir.join("src/lib.rs")).unwrap(), FILES[1].1);
		fs::write(dir.join("src/lib.rs"), "broken").unwrap();
		assert_eq!(install(root.path()).unwrap(), dir);
		assert_eq!(fs::read_to_string(dir.join("src/lib.rs")).unwrap(), FILES[1].1);
		let entries: Vec<_> = fs::read_dir(root.path()).unwrap().collect();
		assert_eq!(entries.len(), 1, "no staging directory is left behind");
	}

	#[test]
	fn a_lock_resolving_the_sdk_from_a_registry_is_refused() {
		let patched = "[[package]]\nname = \"micro-service\"\nversion = \"0.1.0\"\n\n\
		               [[package]]\nname = \"serde\"\nversion = \"1.0.0\"\n\
		               source = \"registry+https://github.com/rust-lang/crates.io-index\"\n";
		assert_eq!(check_lock(patched), Ok(()));
		let squatted = "[[package]]\nname = \"micro-service\"\nversion = \"0.1.0\"\n\
		                source = \"registry+https://github.com/rust-lang/crates.io-index\"\n";
		assert!(
			matches!(check_lock(squatted), Err(BuildError::Refused(why)) if why.contains("micro build"))
		);
	}

	#[test]
	fn the_sdk_from_a_registry_is_refused_however_the_lock_spells_it() {
		let src = "source = \"registry+https://github.com/rust-lang/crates.io-index\"";
		for lock in [
			format!("[[package]]\n{src}\nname = \"micro-service\"\nversion = \"0.2.0\"\n"),
			format!("[[package]]\nname='micro-service'\nversion = \"0.2.0\"\n{src}\n"),
			format!("[[package]]\n\"name\" = \"micro-service\"\nversion = \"0.2.0\"\n{src}\n"),
			format!("package = [{{ name = \"micro-service\", version = \"0.2.0\", {src} }}]\n"),
			"[[package]]\nname = \"a\"\nversion = \"0.1.0\"\ndependencies = [\"micro-service \
			 0.2.0 (registry+https://github.com/rust-lang/crates.io-index)\"]\n"
				.to_owned(),
		] {
			assert!(check_lock(&lock).is_err(), "{lock}");
		}
	}

	#[test]
	fn the_patch_quotes_its_path() {
		assert_eq!(
			patch_argument(Path::new("/a \"b\"")),
			r#"patch.crates-io.micro-service.path="/a \"b\"""#
		);
	}
}
