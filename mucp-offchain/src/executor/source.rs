//! From a public repository and a commit to a checked wasm module.
//!
//! [`Builder::build`] fetches the source with git into a scratch directory, detects its
//! language, builds it to wasm with a time limit, checks the result against the code hash the
//! chain recorded for the version, and caches it by hash. Languages:
//!
//! - a Rust crate (`Cargo.toml` at the root): `cargo build --release --target wasm32v1-none
//!   --offline`, with paths remapped and a fresh target directory so the same commit gives the
//!   same bytes on every node; the repository pins the toolchain with `rust-toolchain.toml`
//!   (rustup's cargo honours it) and [`Built::toolchain`] reports the one used;
//! - a prebuilt module (exactly one `*.wasm` at the root), taken as it is;
//! - a text module (exactly one `*.wat` at the root), assembled.
//!
//! Planned: TinyGo and AssemblyScript projects, C with clang.

use std::{
	fs,
	path::{Path, PathBuf},
	process::{Command, Stdio},
	time::{Duration, Instant},
};

use super::{code_hash, hex, CodeHash};

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
	/// The build failed; the reason is the end of its log.
	Failed(String),
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
			Self::TimedOut(limit) => write!(f, "the build ran past its limit of {limit:?}"),
			Self::HashMismatch { expected, actual } => write!(
				f,
				"the build gave code hash {}, not the {} recorded for this version",
				hex(actual),
				hex(expected)
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
	/// For Rust, the `rustc --version` of the toolchain that built it: the repository's
	/// `rust-toolchain.toml` pins it (rustup honours the file); otherwise the node's default.
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
	/// The cargo that builds Rust services: rustup's proxy by default, so a repository's
	/// `rust-toolchain.toml` pins the toolchain.
	pub cargo: PathBuf,
	/// The rustc reported with each build.
	pub rustc: PathBuf,
}

/// Lines of a failed build's log kept in its error.
const LOG_TAIL: usize = 30;

impl Builder {
	/// A builder with directories under `root` and a ten-minute limit.
	pub fn new(root: &Path) -> Self {
		Self {
			scratch: root.join("scratch"),
			cache: root.join("cache"),
			time_limit: Duration::from_secs(600),
			cargo: PathBuf::from("cargo"),
			rustc: PathBuf::from("rustc"),
		}
	}

	fn cached(&self, hash: &CodeHash) -> Option<Vec<u8>> {
		let wasm = fs::read(self.cache.join(format!("{}.wasm", hex(hash)))).ok()?;
		(code_hash(&wasm) == *hash).then_some(wasm)
	}

	/// Fetches `repository` at `commit`, builds it and checks it hashes to `expected` (if
	/// given). A module already cached under `expected` is returned without building.
	pub fn build(
		&self,
		repository: &str,
		commit: &str,
		expected: Option<CodeHash>,
	) -> Result<Built, BuildError> {
		if let Some(wasm) = expected.as_ref().and_then(|hash| self.cached(hash)) {
			return Ok(Built { hash: code_hash(&wasm), wasm, language: None, toolchain: None });
		}
		let deadline = (Instant::now() + self.time_limit, self.time_limit);
		fs::create_dir_all(&self.scratch).map_err(|e| BuildError::Fetch(e.to_string()))?;
		// Removed, with everything fetched and built in it, when dropped.
		let work = tempfile::Builder::new()
			.prefix("build-")
			.tempdir_in(&self.scratch)
			.map_err(|e| BuildError::Fetch(e.to_string()))?;
		let built = self.build_in(work.path(), repository, commit, deadline)?;
		if let Some(expected) = expected.filter(|expected| *expected != built.hash) {
			return Err(BuildError::HashMismatch { expected, actual: built.hash });
		}
		if fs::create_dir_all(&self.cache).is_ok() {
			let _ = fs::write(self.cache.join(format!("{}.wasm", hex(&built.hash))), &built.wasm);
		}
		Ok(built)
	}

	fn build_in(
		&self,
		work: &Path,
		repository: &str,
		commit: &str,
		deadline: (Instant, Duration),
	) -> Result<Built, BuildError> {
		let source = work.join("source");
		if commit.is_empty()
			|| !commit.chars().all(|c| c.is_ascii_alphanumeric() || "._/-".contains(c))
		{
			return Err(BuildError::Fetch(format!("`{commit}` is not a commit or tag")));
		}
		let mut clone = Command::new("git");
		clone
			.args(["clone", "--quiet", "--no-checkout", "--", repository])
			.arg(&source)
			.env("GIT_TERMINAL_PROMPT", "0");
		run(&mut clone, &work.join("fetch.log"), deadline).map_err(as_fetch_error)?;
		let mut checkout = Command::new("git");
		checkout.arg("-C").arg(&source).args(["checkout", "--quiet", "--detach", commit]);
		run(&mut checkout, &work.join("fetch.log"), deadline).map_err(as_fetch_error)?;
		let mut toolchain = None;
		let (language, wasm) = match detect(&source)? {
			(Language::Rust, _) => {
				toolchain = Some(self.toolchain(&source)?);
				(Language::Rust, self.build_rust(work, &source, deadline)?)
			}
			(Language::Wasm, Some(file)) => {
				(Language::Wasm, fs::read(&file).map_err(|e| BuildError::Failed(e.to_string()))?)
			}
			(Language::Wat, Some(file)) => (
				Language::Wat,
				wat::parse_file(&file).map_err(|e| BuildError::Failed(e.to_string()))?,
			),
			(language, None) => {
				return Err(BuildError::UnknownLanguage(format!("{language:?} without a file")))
			}
		};
		Ok(Built { hash: code_hash(&wasm), wasm, language: Some(language), toolchain })
	}

	/// The `rustc --version` that builds in `source` (its `rust-toolchain.toml` decides).
	fn toolchain(&self, source: &Path) -> Result<String, BuildError> {
		let output = Command::new(&self.rustc)
			.current_dir(source)
			.env_remove("RUSTUP_TOOLCHAIN")
			.arg("--version")
			.output()
			.map_err(|e| BuildError::Failed(format!("cannot run rustc: {e}")))?;
		if !output.status.success() {
			return Err(BuildError::Failed(format!(
				"the toolchain the repository pins is not installed: {}",
				String::from_utf8_lossy(&output.stderr).trim()
			)));
		}
		Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
	}

	fn build_rust(
		&self,
		work: &Path,
		source: &Path,
		deadline: (Instant, Duration),
	) -> Result<Vec<u8>, BuildError> {
		let target = work.join("target");
		let cargo_home =
			std::env::var("CARGO_HOME").unwrap_or_else(|_| format!("{}/.cargo", env_home()));
		// The same commit must give the same bytes wherever it is built: no build paths in the
		// output, and nothing from the environment.
		let rustflags = format!(
			"--remap-path-prefix={}=/build --remap-path-prefix={cargo_home}=/cargo",
			work.display()
		);
		let mut cargo = Command::new(&self.cargo);
		cargo
			.current_dir(source)
			.args(["build", "--release", "--offline", "--target", "wasm32v1-none"])
			.env("CARGO_TARGET_DIR", &target)
			.env_remove("RUSTUP_TOOLCHAIN")
			.env("CARGO_ENCODED_RUSTFLAGS", rustflags.replace(' ', "\u{1f}"))
			.env_remove("RUSTFLAGS")
			.env_remove("CARGO_BUILD_RUSTFLAGS")
			.env("SOURCE_DATE_EPOCH", "0");
		run(&mut cargo, &work.join("build.log"), deadline)?;
		let out = target.join("wasm32v1-none/release");
		let modules: Vec<PathBuf> = fs::read_dir(&out)
			.map_err(|e| BuildError::Failed(format!("no build output: {e}")))?
			.filter_map(Result::ok)
			.map(|entry| entry.path())
			.filter(|path| path.extension().is_some_and(|ext| ext == "wasm"))
			.collect();
		match modules.as_slice() {
			[module] => fs::read(module).map_err(|e| BuildError::Failed(e.to_string())),
			[] => Err(BuildError::Failed(
				"the crate built no .wasm: is it a `cdylib` (`[lib] crate-type = [\"cdylib\"]`)?"
					.into(),
			)),
			_ => Err(BuildError::Failed("the crate built more than one .wasm".into())),
		}
	}
}

fn env_home() -> String {
	std::env::var("HOME").unwrap_or_else(|_| String::from("/root"))
}

/// A git command that failed failed to fetch.
fn as_fetch_error(error: BuildError) -> BuildError {
	match error {
		BuildError::Failed(log) => BuildError::Fetch(log),
		other => other,
	}
}

/// What kind of source `dir` holds, and the module file for prebuilt and text modules.
pub fn detect(dir: &Path) -> Result<(Language, Option<PathBuf>), BuildError> {
	if dir.join("Cargo.toml").is_file() {
		return Ok((Language::Rust, None));
	}
	let files: Vec<PathBuf> = fs::read_dir(dir)
		.map_err(|e| BuildError::UnknownLanguage(e.to_string()))?
		.filter_map(Result::ok)
		.map(|entry| entry.path())
		.filter(|path| path.is_file())
		.collect();
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

/// Runs `command` until it ends or `deadline` passes, its output in `log`.
fn run(
	command: &mut Command,
	log: &Path,
	(deadline, limit): (Instant, Duration),
) -> Result<(), BuildError> {
	let file = fs::File::create(log).map_err(|e| BuildError::Failed(e.to_string()))?;
	let errors = file.try_clone().map_err(|e| BuildError::Failed(e.to_string()))?;
	let mut child =
		command.stdin(Stdio::null()).stdout(file).stderr(errors).spawn().map_err(|e| {
			BuildError::Failed(format!("cannot start {:?}: {e}", command.get_program()))
		})?;
	loop {
		match child.try_wait() {
			Ok(Some(status)) if status.success() => return Ok(()),
			Ok(Some(status)) => {
				let text = fs::read_to_string(log).unwrap_or_default();
				let lines: Vec<&str> = text.lines().collect();
				let tail = lines[lines.len().saturating_sub(LOG_TAIL)..].join("\n");
				return Err(BuildError::Failed(format!("{status}\n{tail}")));
			}
			Ok(None) if Instant::now() >= deadline => {
				let _ = child.kill();
				let _ = child.wait();
				return Err(BuildError::TimedOut(limit));
			}
			Ok(None) => std::thread::sleep(Duration::from_millis(20)),
			Err(e) => return Err(BuildError::Failed(e.to_string())),
		}
	}
}
