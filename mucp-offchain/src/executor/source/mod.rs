//! From a public repository and a commit to a checked wasm module.
//!
//! [`Builder::build`] fetches the source, detects its language, builds it to wasm with a time
//! limit, checks the result against the code hash the chain recorded for the version, and
//! caches it by hash. Languages:
//!
//! - a Rust crate (`Cargo.toml` at the root): dependencies fetched with `cargo fetch --locked`
//!   into a private cargo home, then `cargo build --release --frozen --target wasm32v1-none`
//!   inside bubblewrap with no network, at fixed paths, so the same commit gives the same bytes
//!   on every node; the repository pins the toolchain's `channel` with `rust-toolchain.toml`
//!   and [`Built::toolchain`] reports the one used; its `micro-service` dependency resolves to
//!   the SDK this build carries ([`sdk`]), mounted read-only at a fixed path;
//! - a prebuilt module (exactly one `*.wasm` at the root), taken as it is;
//! - a text module (exactly one `*.wat` at the root), assembled.
//!
//! A placed service comes from a stranger, and its build runs native code (`build.rs`, proc
//! macros) of the service and of every dependency. The build is split so that this code never
//! reaches the node: [`fetch`] (network, runs nothing from the repository) and [`sandbox`] (runs
//! the build, sees nothing of the node). Each module lists its rules and the attacks they stop.
//! Errors, which the node serves over RPC (`micro_deployments`), never carry a tool's output:
//! a failed git or cargo run is a fixed category, its exit status and a digest of its output
//! ([`sandbox::withheld`]), its `fatal:`/`error` lines going only to the node's log (a proc
//! macro can read any file the sandbox shows and print it as `compile_error!`), and a text
//! module's error is its line number.
//!
//! Planned: TinyGo and AssemblyScript projects, C with clang.

pub mod fetch;
pub mod sandbox;
pub mod sdk;

use std::{
	fs,
	io::Read,
	path::{Path, PathBuf},
	time::{Duration, Instant},
};

pub use sandbox::{Isolation, Limits};

use super::{code_hash, CodeHash};
use crate::hex;
use sandbox::{Deadline, Ended, Mounts};

/// The language a repository was detected as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Language {
	/// A Rust crate.
	Rust,
	/// A prebuilt `.wasm` module.
	Wasm,
	/// A `.wat` text module.
	Wat,
}

/// Why a build was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BuildError {
	/// The repository or the commit could not be fetched.
	Fetch(String),
	/// No known language was found.
	UnknownLanguage(String),
	/// The build failed; the reason is a fixed category, the exit status and a digest of the
	/// output (whose error lines are in the node's log), never the output itself.
	Failed(String),
	/// The source breaks a rule of the sandbox (a symlink out of the repository, a toolchain
	/// by path, ...), or the sandbox is not installed.
	Refused(String),
	/// The build ran past its time limit and was stopped.
	TimedOut(Duration),
	/// The module built does not hash to the recorded code hash.
	HashMismatch {
		/// The recorded hash.
		expected: CodeHash,
		/// The hash of what was built.
		actual: CodeHash,
	},
}

impl std::fmt::Display for BuildError {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		match self {
			Self::Fetch(reason) => write!(f, "fetching the source failed: {reason}"),
			Self::UnknownLanguage(reason) => write!(
				f,
				"no buildable source found ({reason}); supported: a Rust crate, one prebuilt \
				 .wasm, one .wat"
			),
			Self::Failed(log) => write!(f, "the build failed:\n{log}"),
			Self::Refused(reason) => write!(f, "the source was refused: {reason}"),
			Self::TimedOut(limit) => write!(f, "the build ran past its limit of {limit:?}"),
			Self::HashMismatch { expected, actual } => write!(
				f,
				"the build gave code hash {}, not the {} recorded for this version",
				hex::prefixed(actual),
				hex::prefixed(expected)
			),
		}
	}
}

impl std::error::Error for BuildError {}

/// A module built from source.
#[derive(Debug, Clone)]
pub struct Built {
	/// The wasm bytes.
	pub wasm: Vec<u8>,
	/// Their code hash.
	pub hash: CodeHash,
	/// The language detected (`None` when it came from the cache).
	pub language: Option<Language>,
	/// For Rust, the `rustc --version` of the toolchain that built it: the `channel` the
	/// repository's `rust-toolchain.toml` pins (read by the node; it must be installed),
	/// otherwise the node's default.
	pub toolchain: Option<String>,
}

/// Builds services from source, in scratch directories under one root, with a cache.
#[derive(Debug, Clone)]
pub struct Builder {
	/// Where sources are checked out and built; each build gets its own directory.
	pub scratch: PathBuf,
	/// Where built modules are kept, by code hash.
	pub cache: PathBuf,
	/// The longest a fetch plus build may take.
	pub time_limit: Duration,
	/// rustup's `rustc`, asked for the sysroot of the toolchain a repository pins.
	pub rustc: PathBuf,
	/// Whether `file://` addresses and absolute paths are sources too (development and
	/// tests); otherwise only `https://`.
	pub allow_local_sources: bool,
	/// How Rust builds are isolated: bubblewrap unless explicitly unsafe.
	pub isolation: Isolation,
	/// The resources one build may use.
	pub limits: Limits,
	/// Paths a build must never see (the node's base path), masked should they lie under a
	/// directory the sandbox binds.
	pub hidden: Vec<PathBuf>,
	/// The SDK installed by [`sdk::install`], which Rust builds resolve `micro-service` to;
	/// without it, they resolve it as cargo would.
	pub sdk: Option<PathBuf>,
}

/// Largest module file read from a repository.
const MAX_MODULE_FILE: u64 = 64 << 20;

impl Builder {
	/// A builder with directories under `root`, a ten-minute limit, https sources only and
	/// bubblewrap from `PATH`.
	pub fn new(root: &Path) -> Self {
		Self {
			scratch: root.join("scratch"),
			cache: root.join("cache"),
			time_limit: Duration::from_secs(600),
			rustc: PathBuf::from("rustc"),
			allow_local_sources: false,
			isolation: Isolation::Bubblewrap(PathBuf::from("bwrap")),
			limits: Limits::default(),
			hidden: Vec::new(),
			sdk: None,
		}
	}

	fn cached(&self, hash: &CodeHash) -> Option<Vec<u8>> {
		let wasm = fs::read(self.cache.join(format!("{}.wasm", hex::prefixed(hash)))).ok()?;
		(code_hash(&wasm) == *hash).then_some(wasm)
	}

	/// Fetches `repository` at `commit` (a full commit hash), builds it and checks it hashes
	/// to `expected` (if given). A module already cached under `expected` is returned without
	/// building.
	pub fn build(
		&self,
		repository: &str,
		commit: &str,
		expected: Option<CodeHash>,
	) -> Result<Built, BuildError> {
		if let Some(wasm) = expected.as_ref().and_then(|hash| self.cached(hash)) {
			return Ok(Built { hash: code_hash(&wasm), wasm, language: None, toolchain: None });
		}
		let transport = fetch::check_repository(repository, self.allow_local_sources)?;
		let commit = fetch::check_reference(commit)?;
		let deadline = Deadline { at: Instant::now() + self.time_limit, limit: self.time_limit };
		fs::create_dir_all(&self.scratch).map_err(|e| BuildError::Fetch(e.to_string()))?;
		let work = tempfile::Builder::new()
			.prefix("build-")
			.tempdir_in(&self.scratch)
			.map_err(|e| BuildError::Fetch(e.to_string()))?
			.keep();
		let built = self.build_in(&work, repository, transport, &commit, deadline);
		// With everything fetched and built in it, whatever its modes.
		sandbox::remove_scratch(&work);
		let built = built?;
		if let Some(expected) = expected.filter(|expected| *expected != built.hash) {
			return Err(BuildError::HashMismatch { expected, actual: built.hash });
		}
		if fs::create_dir_all(&self.cache).is_ok() {
			let _ = fs::write(
				self.cache.join(format!("{}.wasm", hex::prefixed(&built.hash))),
				&built.wasm,
			);
		}
		Ok(built)
	}

	fn build_in(
		&self,
		work: &Path,
		repository: &str,
		transport: fetch::Transport,
		commit: &str,
		deadline: Deadline,
	) -> Result<Built, BuildError> {
		let (source, home) = (work.join("source"), work.join("home"));
		fs::create_dir_all(&home).map_err(|e| BuildError::Fetch(e.to_string()))?;
		let log = work.join("fetch.log");
		sandbox::check(&self.isolation)?;
		fetch::git_fetch(
			&self.isolation,
			&self.limits,
			repository,
			transport,
			commit,
			&source,
			&home,
			&log,
			deadline,
		)?;
		fetch::check_tree(&source)?;
		fetch::neutralise(&source)?;
		let mut toolchain = None;
		let (language, wasm) = match detect(&source)? {
			(Language::Rust, _) => {
				let sdk_by_version = fetch::check_dependencies(&source)?;
				let channel = fetch::pinned_channel(&source)?;
				let (sysroot, version) =
					fetch::toolchain(&self.rustc, channel.as_deref(), &home, deadline)?;
				toolchain = Some(version);
				let sdk = self.sdk.as_deref().filter(|_| sdk_by_version);
				(Language::Rust, self.build_rust(work, &source, &sysroot, sdk, deadline)?)
			}
			(Language::Wasm, Some(file)) => (Language::Wasm, read_module(&source, &file)?),
			(Language::Wat, Some(file)) => {
				let text = read_module(&source, &file)?;
				(Language::Wat, wat::parse_bytes(&text).map_err(wat_error)?.into_owned())
			}
			(language, None) => {
				return Err(BuildError::UnknownLanguage(format!("{language:?} without a file")))
			}
		};
		Ok(Built { hash: code_hash(&wasm), wasm, language: Some(language), toolchain })
	}

	/// Fetches the crate's dependencies (network, no build scripts), then builds it in the
	/// sandbox (no network); `sdk` is the SDK its dependency by version resolves to, if it has
	/// one.
	fn build_rust(
		&self,
		work: &Path,
		source: &Path,
		sysroot: &Path,
		sdk: Option<&Path>,
		deadline: Deadline,
	) -> Result<Vec<u8>, BuildError> {
		let (cargo_home, target, home, tmp) =
			(work.join("cargo-home"), work.join("target"), work.join("home"), work.join("tmp"));
		for dir in [&cargo_home, &target, &tmp] {
			fs::create_dir_all(dir).map_err(|e| BuildError::Failed(e.to_string()))?;
		}
		let mut mounts = Mounts {
			source,
			cargo_home: (&cargo_home, true),
			target: None,
			toolchain: sysroot,
			network: true,
			tmp: &tmp,
			hidden: &self.hidden,
			sdk,
		};
		let fetch_args = ["fetch", "--locked", "--target", "wasm32v1-none"];
		let mut fetch = sandbox::cargo(&self.isolation, &self.limits, &mounts, &home, &fetch_args);
		let watch = |dir: &Path, bytes: u64| sandbox::Watch {
			dirs: vec![dir.to_path_buf(), tmp.clone()],
			bytes,
			entries: self.limits.entries,
		};
		sandbox::run(
			&mut fetch,
			&work.join("cargo-fetch.log"),
			deadline,
			Some(&watch(&cargo_home, self.limits.source_bytes)),
			&self.limits,
		)
		.map_err(|ended| match ended {
			Ended::Failed(status, log) => BuildError::Fetch(sandbox::withheld(
				"the crate's dependencies could not be fetched",
				&status,
				&log,
				|line| line.starts_with("error") || line.starts_with("bwrap:"),
			)),
			other => cargo_error(other),
		})?;
		mounts = Mounts {
			cargo_home: (&cargo_home, false),
			target: Some(&target),
			network: false,
			..mounts
		};
		let build_args = ["build", "--release", "--frozen", "--target", "wasm32v1-none"];
		let mut build = sandbox::cargo(&self.isolation, &self.limits, &mounts, &home, &build_args);
		sandbox::run(
			&mut build,
			&work.join("build.log"),
			deadline,
			Some(&watch(&target, self.limits.target_bytes)),
			&self.limits,
		)
		.map_err(cargo_error)?;
		let out = target.join("wasm32v1-none/release");
		let modules: Vec<PathBuf> = fs::read_dir(&out)
			.map_err(|_| BuildError::Failed("no build output".into()))?
			.filter_map(Result::ok)
			.map(|entry| entry.path())
			.filter(|path| path.extension().is_some_and(|ext| ext == "wasm"))
			.collect();
		match modules.as_slice() {
			[module] => read_module(&target, module),
			[] => Err(BuildError::Failed(
				"the crate built no .wasm: is it a `cdylib` (`[lib] crate-type = [\"cdylib\"]`)?"
					.into(),
			)),
			_ => Err(BuildError::Failed("the crate built more than one .wasm".into())),
		}
	}
}

/// A cargo run that did not succeed, as an error: a fixed category, its status and a digest;
/// its `error` lines (and bubblewrap's own) go only to the node's log.
fn cargo_error(ended: Ended) -> BuildError {
	match ended {
		Ended::Failed(status, log) => {
			BuildError::Failed(sandbox::withheld("the build failed", &status, &log, |line| {
				line.starts_with("error") || line.starts_with("bwrap:")
			}))
		}
		Ended::TimedOut(limit) => BuildError::TimedOut(limit),
		Ended::TooLarge(why) => BuildError::Failed(format!(
			"the build wrote {why} (its target directory and /tmp count together)"
		)),
		Ended::NotStarted(why) => BuildError::Failed(why),
	}
}

/// A text module's error by its line only: wat's own message quotes the offending source
/// line, which could be anything the file held.
fn wat_error(error: wat::Error) -> BuildError {
	let text = error.to_string();
	let line = text
		.lines()
		.find_map(|line| line.trim_start().strip_prefix("--> "))
		.and_then(|at| at.rsplit(':').nth(1))
		.and_then(|line| line.parse::<u64>().ok());
	BuildError::Failed(match line {
		Some(line) => format!("invalid WAT at line {line}"),
		None => "invalid WAT".into(),
	})
}

/// The bytes of the module file `file` under `root`: a regular file (never a symlink) of a
/// bounded size.
fn read_module(root: &Path, file: &Path) -> Result<Vec<u8>, BuildError> {
	let name = fetch::relative(root, file);
	let meta = file
		.symlink_metadata()
		.map_err(|_| BuildError::Failed(format!("`{name}` is unreadable")))?;
	if meta.file_type().is_symlink() {
		return Err(BuildError::Refused(format!(
			"`{name}` is a symlink: modules are read only from regular files"
		)));
	}
	if !meta.is_file() || meta.len() > MAX_MODULE_FILE {
		return Err(BuildError::Refused(format!(
			"`{name}` is not a regular file of at most {MAX_MODULE_FILE} bytes"
		)));
	}
	let mut bytes = Vec::new();
	fs::File::open(file)
		.and_then(|f| f.take(MAX_MODULE_FILE).read_to_end(&mut bytes))
		.map_err(|_| BuildError::Failed(format!("`{name}` is unreadable")))?;
	Ok(bytes)
}

/// What kind of source `dir` holds, and the module file for prebuilt and text modules. A
/// module that is a symlink is refused: it could point anywhere on the node.
pub fn detect(dir: &Path) -> Result<(Language, Option<PathBuf>), BuildError> {
	if dir.join("Cargo.toml").symlink_metadata().is_ok() {
		return Ok((Language::Rust, None));
	}
	let mut files = Vec::new();
	for entry in fs::read_dir(dir).map_err(|e| BuildError::UnknownLanguage(e.to_string()))? {
		let path = entry.map_err(|e| BuildError::UnknownLanguage(e.to_string()))?.path();
		let is_module = path.extension().is_some_and(|ext| ext == "wasm" || ext == "wat");
		let Ok(meta) = path.symlink_metadata() else { continue };
		if is_module && meta.file_type().is_symlink() {
			return Err(BuildError::Refused(format!(
				"`{}` is a symlink: modules are read only from regular files",
				fetch::relative(dir, &path)
			)));
		}
		if meta.is_file() {
			files.push(path);
		}
	}
	let with = |ext: &str| -> Vec<&PathBuf> {
		files.iter().filter(|path| path.extension().is_some_and(|e| e == ext)).collect()
	};
	match (with("wasm").as_slice(), with("wat").as_slice()) {
		([wasm], _) => Ok((Language::Wasm, Some((*wasm).clone()))),
		([], [wat]) => Ok((Language::Wat, Some((*wat).clone()))),
		([], []) => {
			Err(BuildError::UnknownLanguage("no Cargo.toml, .wasm or .wat at the root".into()))
		}
		_ => Err(BuildError::UnknownLanguage("more than one module at the root".into())),
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn a_wat_error_names_its_line_but_not_its_text() {
		let error = wat::parse_str("(module\n  (func secret words here))").unwrap_err();
		assert!(error.to_string().contains("secret"), "wat quotes the source: {error}");
		assert_eq!(wat_error(error), BuildError::Failed("invalid WAT at line 2".into()));
	}

	#[test]
	fn module_symlinks_are_refused_by_detect() {
		let dir = tempfile::tempdir().unwrap();
		fs::write(dir.path().join("real.txt"), "(module)").unwrap();
		std::os::unix::fs::symlink(dir.path().join("real.txt"), dir.path().join("m.wat")).unwrap();
		match detect(dir.path()) {
			Err(BuildError::Refused(why)) => {
				assert_eq!(why, "`m.wat` is a symlink: modules are read only from regular files")
			}
			other => panic!("{other:?}"),
		}
	}
}
