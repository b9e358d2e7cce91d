//! Running cargo on a stranger's crate: under bubblewrap, with resource limits, and with the
//! whole process tree killed when the time is up.
//!
//! `build.rs` and proc macros of the service and of every dependency are native code that
//! runs during the build. Each rule here stops one way that code could reach the node:
//!
//! - `--unshare-all` (user, pid, net, ipc, uts and cgroup namespaces): the build phase has no
//!   network at all, so it can neither exfiltrate nor fetch a second stage; only the fetch
//!   phase (`cargo fetch`, which runs no build scripts) shares the host's network;
//! - a root made of read-only binds: `/usr`, the toolchain at `/toolchain`, the private cargo
//!   home at `/cargo` and the source at `/build/source`; only `/build/target` and `/tmp`, both
//!   directories on disk in this build's scratch directory, are writable. (A `tmpfs` `/tmp`
//!   would be the node's RAM, unbounded.) The node's base path, keystore, the
//!   operator's home, `~/.cargo` and `~/.ssh` are simply not there, and
//!   [`super::Builder::hidden`] paths are masked with `tmpfs` should they lie under a bound
//!   directory;
//! - `--cap-drop ALL`: root inside the sandbox cannot remount what is read-only;
//! - `--die-with-parent` and the pid namespace: when the node (or the timeout) ends the
//!   sandbox, every process in it dies with it, including ones started with `setsid`
//!   (`--new-session` also keeps them off the node's terminal);
//! - a cleared environment: no `SSH_AUTH_SOCK`, tokens or proxies of the operator;
//! - [`run`] watches the target directory and `/tmp` together (the private cargo home and
//!   `/tmp` while fetching, the checkout during git): past [`Limits::target_bytes`] bytes or
//!   [`Limits::entries`] files the whole run is killed. Stops a build filling the node's disk or
//!   its inodes;
//! - [`remove_scratch`] makes every directory `u+rwx` before removing the build's scratch
//!   directory (a build can `chmod 000` one to make it undeletable) and logs a removal that
//!   still fails;
//! - `prlimit`: address space, file size, open files and processes, per process. That bounds
//!   each process, not the build: many processes can together use up to
//!   `memory_bytes` × their number of RAM. Where the node's cgroup (v2) delegates the `memory`
//!   and `pids` controllers, each run also gets its own child cgroup with `memory.max` and
//!   `pids.max` ([`Limits::memory_bytes`], [`Limits::processes`]), which bounds the whole
//!   tree; elsewhere (cgroup v1, or no delegation, as in most containers) the time limit and
//!   the pid namespace are what end a build hogging memory across processes;
//! - fixed paths inside the sandbox: the same commit gives the same bytes on every node.
//!
//! When bubblewrap is missing a Rust build is refused, naming `scripts/setup.sh`; the only way
//! around it is [`Isolation::UnsandboxedUnsafe`], for development on machines where the
//! repositories built are one's own.

use std::{
	fs,
	io::Read,
	path::{Path, PathBuf},
	process::{Command, Stdio},
	time::{Duration, Instant},
};

use super::{sdk, BuildError};

/// How Rust builds are isolated from the node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Isolation {
	/// Under bubblewrap, the program named (`bwrap` from `PATH` by default).
	Bubblewrap(PathBuf),
	/// No sandbox at all: `build.rs` runs as the node's user with its files in reach. Only for
	/// development, building one's own repositories.
	UnsandboxedUnsafe,
}

/// Resource limits of one build.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
	/// Address space per process (`RLIMIT_AS`).
	pub memory_bytes: u64,
	/// Processes of the build's user (`RLIMIT_NPROC`; not enforced when the node runs as
	/// root, where the pid namespace and the timeout still bound a fork bomb).
	pub processes: u64,
	/// Largest file a build may write (`RLIMIT_FSIZE`).
	pub file_bytes: u64,
	/// Open files per process (`RLIMIT_NOFILE`).
	pub open_files: u64,
	/// Largest checkout plus fetched dependencies.
	pub source_bytes: u64,
	/// Largest target directory plus `/tmp` of a build.
	pub target_bytes: u64,
	/// Most files and directories (inodes) a fetch or a build may create in the directories
	/// watched: a million empty files fill no bytes but exhaust the disk's inodes.
	pub entries: u64,
}

impl Default for Limits {
	fn default() -> Self {
		Self {
			memory_bytes: 4 << 30,
			processes: 4096,
			file_bytes: 1 << 30,
			open_files: 4096,
			source_bytes: 1 << 30,
			target_bytes: 4 << 30,
			entries: 200_000,
		}
	}
}

/// Where things appear inside the sandbox.
pub const SOURCE: &str = "/build/source";
/// The build's target directory inside the sandbox.
pub const TARGET: &str = "/build/target";
/// The private cargo home inside the sandbox.
pub const CARGO_HOME: &str = "/cargo";
/// The toolchain's sysroot inside the sandbox.
pub const TOOLCHAIN: &str = "/toolchain";

/// The directories one cargo run sees.
pub struct Mounts<'a> {
	/// The checkout (read-only).
	pub source: &'a Path,
	/// The private cargo home, and whether it is writable (only while fetching).
	pub cargo_home: (&'a Path, bool),
	/// The target directory (writable), if the run builds.
	pub target: Option<&'a Path>,
	/// The toolchain's sysroot (read-only).
	pub toolchain: &'a Path,
	/// Whether the run may use the network (only while fetching).
	pub network: bool,
	/// The build's own `/tmp` (writable), a directory on disk in its scratch directory, so
	/// that what it writes there is counted and bounded like its target directory.
	pub tmp: &'a Path,
	/// Paths to mask should they lie under a bound directory.
	pub hidden: &'a [PathBuf],
	/// The SDK `micro-service` resolves to (read-only, at [`super::sdk::SANDBOX_PATH`]).
	pub sdk: Option<&'a Path>,
}

/// `cargo <args>` as `isolation` runs it over `mounts`, limited by `limits`.
pub fn cargo(
	isolation: &Isolation,
	limits: &Limits,
	mounts: &Mounts,
	home: &Path,
	args: &[&str],
) -> Command {
	let mut command = limited(limits);
	// Paths as the build sees them.
	let (source, target, cargo_home, toolchain, sdk) = match isolation {
		Isolation::Bubblewrap(bwrap) => {
			command.arg(bwrap);
			bubblewrap_args(&mut command, mounts);
			(
				PathBuf::from(SOURCE),
				PathBuf::from(TARGET),
				PathBuf::from(CARGO_HOME),
				PathBuf::from(TOOLCHAIN),
				mounts.sdk.map(|_| PathBuf::from(sdk::SANDBOX_PATH)),
			)
		}
		Isolation::UnsandboxedUnsafe => {
			command.current_dir(mounts.source);
			(
				mounts.source.to_path_buf(),
				mounts.target.map_or_else(|| home.join("target"), Path::to_path_buf),
				mounts.cargo_home.0.to_path_buf(),
				mounts.toolchain.to_path_buf(),
				mounts.sdk.map(Path::to_path_buf),
			)
		}
	};
	// The same commit gives the same bytes wherever it is built: no build paths in the
	// output, nothing from the environment.
	let mut rustflags = vec![
		format!("--remap-path-prefix={}={SOURCE}", source.display()),
		format!("--remap-path-prefix={}={CARGO_HOME}", cargo_home.display()),
	];
	if let Some(sdk) = &sdk {
		rustflags.push(format!("--remap-path-prefix={}={}", sdk.display(), sdk::SANDBOX_PATH));
	}
	let rustflags = rustflags.join("\u{1f}");
	command
		.env_clear()
		.env("PATH", format!("{}:/usr/bin:/bin", toolchain.join("bin").display()))
		.env("CARGO_HOME", &cargo_home)
		.env("CARGO_TARGET_DIR", &target)
		.env("RUSTC", toolchain.join("bin/rustc"))
		.env("RUSTDOC", toolchain.join("bin/rustdoc"))
		.env("CARGO_ENCODED_RUSTFLAGS", rustflags)
		.env("CARGO_INCREMENTAL", "0")
		.env("CARGO_TERM_COLOR", "never")
		.env("SOURCE_DATE_EPOCH", "0")
		.arg(toolchain.join("bin/cargo"));
	if let Some(sdk) = &sdk {
		command.arg("--config").arg(sdk::patch_argument(sdk));
	}
	command.args(args);
	match isolation {
		Isolation::Bubblewrap(_) => command.env("HOME", "/tmp").env("TMPDIR", "/tmp"),
		Isolation::UnsandboxedUnsafe => command.env("HOME", home).env("TMPDIR", mounts.tmp),
	};
	command
}

/// `prlimit` with the per-process limits of `limits`, ready for the program to run.
fn limited(limits: &Limits) -> Command {
	let mut command = Command::new("prlimit");
	command.args([
		format!("--as={}", limits.memory_bytes),
		format!("--nproc={}", limits.processes),
		format!("--fsize={}", limits.file_bytes),
		format!("--nofile={}", limits.open_files),
		"--core=0".into(),
		"--".into(),
	]);
	command
}

/// The directory git's `HOME` is inside the sandbox (an empty, read-only directory).
pub const GIT_HOME: &str = "/home/git";

/// `git <args>` on the checkout `source`, as `isolation` runs it, limited by `limits`: under
/// bubblewrap with only `source` writable, `home` (empty) read-only as its `HOME`, a local
/// repository read-only at its own path, the network only if `network`, a cleared
/// environment. Git's parsers have had checkout-time code execution bugs, and the repository
/// is a stranger's. Inside the sandbox the checkout is at [`SOURCE`].
pub fn git(
	isolation: &Isolation,
	limits: &Limits,
	source: &Path,
	home: &Path,
	local: Option<&Path>,
	network: bool,
	args: &[&str],
) -> Command {
	let mut command = limited(limits);
	let (at, home) = match isolation {
		Isolation::Bubblewrap(bwrap) => {
			command.arg(bwrap);
			namespace_args(&mut command, network);
			command.arg("--ro-bind").arg(home).arg(GIT_HOME);
			command.arg("--bind").arg(source).arg(SOURCE);
			if let Some(local) = local {
				command.arg("--ro-bind").arg(local).arg(local);
			}
			command.args(["--chdir", SOURCE, "--"]);
			(Path::new(SOURCE), Path::new(GIT_HOME))
		}
		Isolation::UnsandboxedUnsafe => (source, home),
	};
	command
		.env_clear()
		.env("PATH", "/usr/bin:/bin")
		.env("HOME", home)
		.arg("git")
		.arg("-C")
		.arg(at)
		.args(args);
	command
}

/// The namespaces, capabilities and system directories every sandboxed run shares.
fn namespace_args(command: &mut Command, network: bool) {
	command.args(["--unshare-all", "--cap-drop", "ALL", "--die-with-parent", "--new-session"]);
	if network {
		command.arg("--share-net");
	}
	command.args(["--ro-bind", "/usr", "/usr"]);
	// Merged-/usr systems link these into /usr; others have them as directories.
	for top in ["/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"] {
		match fs::read_link(top) {
			Ok(target) => {
				command.arg("--symlink").arg(target).arg(top);
			}
			Err(_) if Path::new(top).is_dir() => {
				command.args(["--ro-bind", top, top]);
			}
			Err(_) => {}
		}
	}
	// What the host's compilers and linkers need (`cc` is an alternative on Debian), and for
	// fetching, name resolution and CA certificates.
	let mut etc =
		vec!["/etc/alternatives", "/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d"];
	if network {
		etc.extend([
			"/etc/resolv.conf",
			"/etc/hosts",
			"/etc/nsswitch.conf",
			"/etc/gai.conf",
			"/etc/ssl",
			"/etc/ca-certificates",
			"/etc/pki",
		]);
	}
	for path in etc {
		command.args(["--ro-bind-try", path, path]);
	}
	command.args(["--proc", "/proc", "--dev", "/dev"]);
}

fn bubblewrap_args(command: &mut Command, mounts: &Mounts) {
	namespace_args(command, mounts.network);
	command.arg("--bind").arg(mounts.tmp).arg("/tmp");
	command.arg("--ro-bind").arg(mounts.toolchain).arg(TOOLCHAIN);
	command.arg("--ro-bind").arg(mounts.source).arg(SOURCE);
	let (cargo_home, writable) = mounts.cargo_home;
	command.arg(if writable { "--bind" } else { "--ro-bind" }).arg(cargo_home).arg(CARGO_HOME);
	if let Some(target) = mounts.target {
		command.arg("--bind").arg(target).arg(TARGET);
	}
	if let Some(sdk) = mounts.sdk {
		command.arg("--ro-bind").arg(sdk).arg(sdk::SANDBOX_PATH);
	}
	let bound: [(&Path, &Path); 4] = [
		(Path::new("/usr"), Path::new("/usr")),
		(mounts.toolchain, Path::new(TOOLCHAIN)),
		(mounts.source, Path::new(SOURCE)),
		(cargo_home, Path::new(CARGO_HOME)),
	];
	for hidden in mounts.hidden {
		for (host, inside) in bound {
			if let Ok(rest) = hidden.strip_prefix(host) {
				if hidden.is_dir() {
					let masked =
						if rest.as_os_str().is_empty() { inside.into() } else { inside.join(rest) };
					command.arg("--tmpfs").arg(masked);
				}
			}
		}
	}
	command.args(["--chdir", SOURCE, "--"]);
}

/// Whether the sandbox `isolation` names can run: a missing bubblewrap refuses the build.
pub fn check(isolation: &Isolation) -> Result<(), BuildError> {
	let Isolation::Bubblewrap(bwrap) = isolation else { return Ok(()) };
	let missing = |what: String| {
		BuildError::Refused(format!(
			"{what}: sources are fetched and Rust services built only inside bubblewrap; \
			 install it with \
			 scripts/setup.sh (Debian package `bubblewrap`)"
		))
	};
	match Command::new(bwrap).arg("--version").stdin(Stdio::null()).output() {
		Ok(output) if output.status.success() => {}
		Ok(_) => return Err(missing(format!("`{} --version` failed", bwrap.display()))),
		Err(_) => {
			return Err(missing(format!("bubblewrap (`{}`) is not installed", bwrap.display())))
		}
	}
	match Command::new("prlimit").arg("--version").stdin(Stdio::null()).output() {
		Ok(output) if output.status.success() => Ok(()),
		_ => Err(BuildError::Refused(
			"`prlimit` (util-linux) is not installed: install it with scripts/setup.sh".into(),
		)),
	}
}

/// A time limit: when it ends, and how long it was.
#[derive(Clone, Copy, Debug)]
pub struct Deadline {
	/// When the time is up.
	pub at: Instant,
	/// The whole limit, for the error.
	pub limit: Duration,
}

/// How a run that did not succeed ended.
#[derive(Debug)]
pub enum Ended {
	/// It exited unsuccessfully: its status and the start of its log.
	Failed(String, String),
	/// It ran past the deadline.
	TimedOut(Duration),
	/// The directories watched grew past a limit: which one (`more than N bytes`, `more than
	/// N files`).
	TooLarge(String),
	/// It could not start.
	NotStarted(String),
}

/// Bytes of a log read back for its error lines.
const LOG_READ: u64 = 1 << 20;

/// Directories whose growth a run is stopped for: together at most `bytes` bytes and
/// `entries` files and directories.
#[derive(Debug, Clone)]
pub struct Watch {
	/// The directories, counted together.
	pub dirs: Vec<PathBuf>,
	/// Most bytes of their files.
	pub bytes: u64,
	/// Most entries (inodes) under them.
	pub entries: u64,
}

impl Watch {
	/// Why the directories are past a limit, if they are.
	fn exceeded(&self) -> Option<String> {
		let (bytes, entries) = usage(&self.dirs, self.bytes, self.entries);
		if bytes > self.bytes {
			Some(format!("more than {} bytes", self.bytes))
		} else if entries > self.entries {
			Some(format!("more than {} files", self.entries))
		} else {
			None
		}
	}
}

/// Runs `command` in its own process group (and, where the node may create one, its own
/// cgroup: see [`Cgroup`]) until it ends, `deadline` passes or the `watch`ed directories
/// outgrow their limits; its output goes to `log`. A run stopped early has its whole process
/// group killed (and with it, under bubblewrap, its pid namespace).
pub fn run(
	command: &mut Command,
	log: &Path,
	deadline: Deadline,
	watch: Option<&Watch>,
	limits: &Limits,
) -> Result<(), Ended> {
	use std::os::unix::process::CommandExt;
	let file = fs::File::create(log).map_err(|e| Ended::NotStarted(e.to_string()))?;
	let errors = file.try_clone().map_err(|e| Ended::NotStarted(e.to_string()))?;
	let cgroup = Cgroup::create(limits);
	let mut child =
		command.stdin(Stdio::null()).stdout(file).stderr(errors).process_group(0).spawn().map_err(
			|e| Ended::NotStarted(format!("cannot start {:?}: {e}", command.get_program())),
		)?;
	if let Some(cgroup) = &cgroup {
		cgroup.enter(child.id());
	}
	let mut measured = Instant::now();
	loop {
		let stop = match child.try_wait() {
			Ok(Some(status)) if status.success() => return Ok(()),
			Ok(Some(status)) => {
				let mut text = String::new();
				if let Ok(file) = fs::File::open(log) {
					let _ = file.take(LOG_READ).read_to_string(&mut text);
				}
				return Err(Ended::Failed(status.to_string(), text));
			}
			Ok(None) if Instant::now() >= deadline.at => Ended::TimedOut(deadline.limit),
			Ok(None) => match watch {
				Some(watch) if measured.elapsed() >= Duration::from_millis(500) => {
					measured = Instant::now();
					match watch.exceeded() {
						Some(why) => Ended::TooLarge(why),
						None => {
							std::thread::sleep(Duration::from_millis(20));
							continue;
						}
					}
				}
				_ => {
					std::thread::sleep(Duration::from_millis(20));
					continue;
				}
			},
			Err(e) => Ended::NotStarted(e.to_string()),
		};
		// The group holds prlimit/bwrap (one process, as prlimit execs) and, unsandboxed,
		// everything that did not start its own session.
		let _ = Command::new("kill")
			.args(["-KILL", "--", &format!("-{}", child.id())])
			.stdout(Stdio::null())
			.stderr(Stdio::null())
			.status();
		let _ = child.kill();
		let _ = child.wait();
		return Err(stop);
	}
}

/// The bytes of the files and the number of entries under `dirs`, counted until either
/// passes its limit.
pub fn usage(dirs: &[PathBuf], max_bytes: u64, max_entries: u64) -> (u64, u64) {
	let (mut bytes, mut entries) = (0u64, 0u64);
	let mut stack = dirs.to_vec();
	while let Some(dir) = stack.pop() {
		let Ok(read) = fs::read_dir(&dir) else { continue };
		for entry in read.filter_map(Result::ok) {
			entries += 1;
			let Ok(meta) = entry.path().symlink_metadata() else { continue };
			if meta.is_dir() {
				stack.push(entry.path());
			} else {
				bytes = bytes.saturating_add(meta.len());
			}
			if bytes > max_bytes || entries > max_entries {
				return (bytes, entries);
			}
		}
	}
	(bytes, entries)
}

/// Removes a build's scratch directory. A build can `chmod 000` a directory it made so that
/// the node cannot list, hence not delete, what is in it: every directory is first made
/// `u+rwx`. A removal that still fails is logged: the directory stays, taking space.
pub fn remove_scratch(dir: &Path) {
	use std::os::unix::fs::PermissionsExt;
	let mut stack = vec![dir.to_path_buf()];
	while let Some(dir) = stack.pop() {
		let Ok(meta) = dir.symlink_metadata() else { continue };
		if !meta.is_dir() {
			continue;
		}
		let mode = meta.permissions().mode();
		if mode & 0o700 != 0o700 {
			let _ = fs::set_permissions(&dir, fs::Permissions::from_mode(mode | 0o700));
		}
		let Ok(read) = fs::read_dir(&dir) else { continue };
		stack.extend(read.filter_map(Result::ok).map(|entry| entry.path()));
	}
	if let Err(e) = fs::remove_dir_all(dir) {
		log::warn!(target: "mucp", "could not remove the build directory {}: {e}", dir.display());
	}
}

/// A cgroup (v2) of one run, bounding the memory (`memory.max`) and processes (`pids.max`) of
/// the whole tree, not only of each process as `prlimit` does. Used only when the node's own
/// cgroup delegates the `memory` and `pids` controllers to children (its
/// `cgroup.subtree_control` lists them, e.g. a systemd unit with `Delegate=yes` whose processes
/// live in a leaf); otherwise `prlimit` alone bounds the build. The run is moved in right after
/// it starts, before bubblewrap has started anything.
struct Cgroup(PathBuf);

impl Cgroup {
	fn create(limits: &Limits) -> Option<Self> {
		use std::sync::atomic::{AtomicU64, Ordering};
		static NEXT: AtomicU64 = AtomicU64::new(0);
		let own = fs::read_to_string("/proc/self/cgroup").ok()?;
		let own = own.lines().find_map(|line| line.strip_prefix("0::"))?;
		let parent = Path::new("/sys/fs/cgroup").join(own.trim().trim_start_matches('/'));
		let delegated = fs::read_to_string(parent.join("cgroup.subtree_control")).ok()?;
		let delegated: Vec<&str> = delegated.split_whitespace().collect();
		if !delegated.contains(&"memory") || !delegated.contains(&"pids") {
			return None;
		}
		let name =
			format!("mucp-build-{}-{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed));
		let cgroup = Self(parent.join(name));
		fs::create_dir(&cgroup.0).ok()?;
		let limited = fs::write(cgroup.0.join("memory.max"), limits.memory_bytes.to_string())
			.and_then(|()| fs::write(cgroup.0.join("pids.max"), limits.processes.to_string()));
		let _ = fs::write(cgroup.0.join("memory.swap.max"), "0");
		match limited {
			Ok(()) => Some(cgroup),
			Err(e) => {
				log::warn!(target: "mucp", "cgroup {} unusable, prlimit only: {e}", cgroup.0.display());
				None
			}
		}
	}

	fn enter(&self, pid: u32) {
		if let Err(e) = fs::write(self.0.join("cgroup.procs"), pid.to_string()) {
			log::warn!(target: "mucp", "could not move build {pid} into {}: {e}", self.0.display());
		}
	}
}

impl Drop for Cgroup {
	fn drop(&mut self) {
		let _ = fs::write(self.0.join("cgroup.kill"), "1");
		let deadline = Instant::now() + Duration::from_secs(2);
		while fs::remove_dir(&self.0).is_err() && self.0.exists() && Instant::now() < deadline {
			std::thread::sleep(Duration::from_millis(20));
		}
	}
}

/// A failed run's output as an error the node may serve: `category`, the exit `status` and a
/// digest of the whole output. Nothing of the output itself: a proc macro can read any file
/// the sandbox shows and emit it as `compile_error!("…")`, which cargo prints as an `error:`
/// line. The lines `keep` accepts go to the node's log (target `mucp`) under the same digest,
/// for the operator.
pub fn withheld(category: &str, status: &str, log: &str, keep: impl Fn(&str) -> bool) -> String {
	let digest = digest(log);
	let lines = error_lines(log, 20, keep);
	log::warn!(target: "mucp", "{category} ({status}), digest {digest}:\n{lines}");
	format!("{category} ({status}): its errors are in the node's log, digest {digest}")
}

/// The first 8 bytes of the blake2-256 of `log`, in hex: names one output in the node's log
/// without showing it.
pub fn digest(log: &str) -> String {
	crate::hex::encode(&sp_crypto_hashing::blake2_256(log.as_bytes())[..8])
}

/// The lines of a log worth logging: those `keep` accepts, at most `lines` of them, each cut
/// to a sane length. They go to the node's log only, never into an error served over RPC
/// (see [`withheld`]).
pub fn error_lines(log: &str, lines: usize, keep: impl Fn(&str) -> bool) -> String {
	log.lines()
		.map(str::trim_end)
		.filter(|line| keep(line))
		.take(lines)
		.map(|line| match line.char_indices().nth(200) {
			Some((at, _)) => format!("{}...", &line[..at]),
			None => line.to_owned(),
		})
		.collect::<Vec<_>>()
		.join("\n")
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn only_error_lines_are_kept_and_cut() {
		let log = "   Compiling x\nerror[E0425]: cannot find value `y`\n  --> src/lib.rs:1:1\n  \
		           | let secret = 1;\nwarning: unused\nerror: could not compile `x`\n";
		let kept = error_lines(log, 10, |line| line.starts_with("error"));
		assert_eq!(kept, "error[E0425]: cannot find value `y`\nerror: could not compile `x`");
		let long = format!("error: {}", "a".repeat(500));
		assert_eq!(error_lines(&long, 1, |_| true).len(), 203);
		assert_eq!(error_lines("error: 1\nerror: 2", 1, |_| true), "error: 1");
	}

	#[test]
	fn a_withheld_error_carries_its_category_and_digest_not_its_lines() {
		let log = "error: curtain smoke basket\nerror: could not compile `x`\n";
		let error = withheld("the build failed", "exit status: 101", log, |_| true);
		assert_eq!(
			error,
			format!(
				"the build failed (exit status: 101): its errors are in the node's log, digest {}",
				digest(log)
			)
		);
		assert_eq!(digest(log).len(), 16);
		assert_ne!(digest(log), digest("error: something else"));
	}

	#[test]
	fn usage_counts_bytes_and_entries_until_a_limit() {
		let dir = tempfile::tempdir().unwrap();
		let (a, b) = (dir.path().join("a"), dir.path().join("b"));
		fs::create_dir_all(a.join("deep")).unwrap();
		fs::create_dir_all(&b).unwrap();
		fs::write(a.join("deep/f"), [0u8; 100]).unwrap();
		for n in 0..10 {
			fs::write(b.join(n.to_string()), "").unwrap();
		}
		assert_eq!(usage(&[a.clone(), b.clone()], u64::MAX, u64::MAX), (100, 12));
		assert_eq!(usage(&[b.clone()], u64::MAX, 5), (0, 6), "stops past the entry limit");
		let watch = Watch { dirs: vec![a.clone(), b.clone()], bytes: 99, entries: 100 };
		assert_eq!(watch.exceeded(), Some("more than 99 bytes".into()));
		let watch = Watch { dirs: vec![a, b], bytes: 100, entries: 11 };
		assert_eq!(watch.exceeded(), Some("more than 11 files".into()));
	}

	#[test]
	fn a_scratch_directory_with_a_locked_directory_is_removed() {
		use std::os::unix::fs::PermissionsExt;
		let dir = tempfile::tempdir().unwrap();
		let scratch = dir.path().join("build-x");
		fs::create_dir_all(scratch.join("tmp/locked/inner")).unwrap();
		fs::write(scratch.join("tmp/locked/inner/file"), "x").unwrap();
		fs::set_permissions(scratch.join("tmp/locked/inner"), fs::Permissions::from_mode(0o000))
			.unwrap();
		fs::set_permissions(scratch.join("tmp/locked"), fs::Permissions::from_mode(0o000)).unwrap();
		remove_scratch(&scratch);
		assert!(!scratch.exists());
	}

	#[test]
	fn git_runs_in_bubblewrap_with_only_the_checkout_writable() {
		let args_of = |command: &Command| -> String {
			command
				.get_args()
				.map(|a| a.to_string_lossy().into_owned())
				.collect::<Vec<_>>()
				.join(" ")
		};
		let bwrap = Isolation::Bubblewrap("bwrap".into());
		let (source, home) = (Path::new("/scratch/b/source"), Path::new("/scratch/b/home"));
		let fetch =
			git(&bwrap, &Limits::default(), source, home, None, true, &["fetch", "--", "u", "c"]);
		let line = args_of(&fetch);
		assert!(line.starts_with("--as=4294967296 --nproc=4096"), "{line}");
		assert!(line.contains("-- bwrap --unshare-all --cap-drop ALL --die-with-parent"), "{line}");
		assert!(line.contains("--share-net"), "{line}");
		assert!(line.contains("--ro-bind /scratch/b/home /home/git"), "{line}");
		assert!(line.ends_with("--chdir /build/source -- git -C /build/source fetch -- u c"));
		let writable: Vec<&str> =
			line.match_indices("--bind ").map(|(at, _)| &line[at..]).collect();
		assert_eq!(writable.len(), 1, "{line}");
		assert!(writable[0].starts_with("--bind /scratch/b/source /build/source"), "{line}");
		let envs: Vec<(String, String)> = fetch
			.get_envs()
			.map(|(k, v)| {
				(k.to_string_lossy().into_owned(), v.unwrap_or_default().to_string_lossy().into())
			})
			.collect();
		assert!(envs.contains(&("HOME".into(), "/home/git".into())), "{envs:?}");
		let local = Path::new("/srv/repo");
		let checkout =
			git(&bwrap, &Limits::default(), source, home, Some(local), false, &["checkout"]);
		let line = args_of(&checkout);
		assert!(!line.contains("--share-net"), "{line}");
		assert!(line.contains("--ro-bind /srv/repo /srv/repo"), "{line}");
	}

	#[test]
	fn a_bubblewrap_command_binds_only_what_the_build_needs() {
		let mounts = Mounts {
			source: Path::new("/scratch/b/source"),
			cargo_home: (Path::new("/scratch/b/cargo"), false),
			target: Some(Path::new("/scratch/b/target")),
			toolchain: Path::new("/usr/local/toolchain"),
			network: false,
			tmp: Path::new("/scratch/b/tmp"),
			hidden: &[PathBuf::from("/usr/share")],
			sdk: Some(Path::new("/node/mucp/sdk/micro-service-0.1.0-ab")),
		};
		let command = cargo(
			&Isolation::Bubblewrap("bwrap".into()),
			&Limits::default(),
			&mounts,
			Path::new("/scratch/b/home"),
			&["build"],
		);
		let args: Vec<String> =
			command.get_args().map(|a| a.to_string_lossy().into_owned()).collect();
		let line = args.join(" ");
		assert!(line.starts_with("--as=4294967296 --nproc=4096"), "{line}");
		assert!(line.contains("-- bwrap --unshare-all --cap-drop ALL --die-with-parent"), "{line}");
		assert!(!line.contains("--share-net"), "{line}");
		assert!(line.contains("--ro-bind /scratch/b/cargo /cargo"), "{line}");
		assert!(line.contains("--bind /scratch/b/target /build/target"), "{line}");
		assert!(line.contains("--ro-bind /scratch/b/source /build/source"), "{line}");
		assert!(line.contains("--bind /scratch/b/tmp /tmp"), "/tmp is on disk: {line}");
		assert!(!line.contains("--tmpfs /tmp"), "/tmp is not in memory: {line}");
		assert!(
			line.contains("--tmpfs /usr/share "),
			"hidden paths under a bind are masked: {line}"
		);
		assert!(
			line.contains("--ro-bind /node/mucp/sdk/micro-service-0.1.0-ab /sdk/micro-service"),
			"the SDK is bound read-only at its fixed path: {line}"
		);
		assert!(
			line.ends_with(
				"-- /toolchain/bin/cargo --config patch.crates-io.micro-service.path=\"/sdk/micro-service\" build"
			),
			"{line}"
		);
		let env: Vec<String> =
			command.get_envs().map(|(k, _)| k.to_string_lossy().into_owned()).collect();
		assert!(env.contains(&"CARGO_HOME".to_owned()) && !env.contains(&"SSH_AUTH_SOCK".into()));
	}
}
