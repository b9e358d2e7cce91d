//! The fetch phase: the source at one pinned commit, over an allowed transport, checked before
//! anything reads it. Nothing from the repository runs here.
//!
//! Each rule and the attack it stops:
//!
//! - only `https://` sources ([`check_repository`]); `file://` and local paths only with
//!   [`super::Builder::allow_local_sources`] (development and tests). Stops a placement from
//!   cloning the node's own files (`file:///…/keystore`), using the operator's ssh keys
//!   (`ssh://`, `git@host:`), running commands through `ext::`, or talking plain http; an
//!   https address is refused unless its host is a DNS name (dotted, its last label starting
//!   with a letter) or a canonical public IP literal: `localhost`, loopback, private,
//!   link-local (the cloud metadata service) and CGNAT addresses, and their spellings curl
//!   accepts (`127.1`, `2130706433`, `0x7f.0.0.1`) are refused, and so are credentials in the
//!   address. (A public name resolving to a private address is not caught: DNS is resolved
//!   again by git, so a check here could be rebound anyway);
//! - before `cargo fetch`, [`check_dependencies`]: `Cargo.lock` must exist and name only
//!   crates.io's registry and `git+https://` public hosts, and no manifest may `[patch]` or
//!   replace (`[source]`, `[registries]`) sources. Stops a repository making the node's fetch
//!   reach its own network or files (`sparse+http://169.254.169.254/`, `git+file:///…`);
//! - git runs with no system or global configuration (`GIT_CONFIG_NOSYSTEM`, an empty
//!   `HOME`), `protocol.allow=never` but for the allowed schemes, no redirects
//!   (`http.followRedirects=false`: an allowed host cannot send git elsewhere), no hooks, no
//!   credential helper, no prompts and no submodules: the operator's configuration cannot be
//!   turned against it, nor can a repository bring its own;
//! - every git run (init, fetch, checkout, rev-parse) is itself in bubblewrap
//!   ([`sandbox::git`]): only the checkout writable, an empty read-only `HOME`, a cleared
//!   environment, `prlimit`, the network only for `fetch`. Git's pack and checkout parsers
//!   have had code execution bugs; one in a stranger's repository reaches nothing of the node;
//! - the reference must be a full 40-hex commit ([`check_reference`]): a tag or branch can be
//!   moved after the version was placed (and audited), and an option-like reference
//!   (`--upload-pack=…`) cannot reach git. The repository follows `--` in git fetch;
//! - a shallow fetch of that one commit, stopped past a size limit or the time limit;
//! - no symlink may point out of the checkout ([`check_tree`]): a `.wat` linked to the keystore
//!   would otherwise be read, and its error served over RPC;
//! - the repository's `.cargo/` is removed ([`neutralise`]): its `config.toml` could name a
//!   `rustc-wrapper`, a linker or a `build.rustc` to run;
//! - `rust-toolchain.toml` is read here, not by rustup ([`pinned_channel`]): only a plain
//!   `channel` is honoured, a toolchain `path` is refused, and a toolchain that is not installed
//!   is never downloaded: the channel must be in `rustup toolchain list` before rustup is asked
//!   anything about it, and rustup runs with a cleared environment (the node's `PATH`,
//!   `RUSTUP_HOME` and `CARGO_HOME` only, no `HOME`), so neither the node's tokens and proxies
//!   nor a stray `RUSTUP_DIST_SERVER` play a part.

use std::{
	fs,
	io::Read,
	path::{Path, PathBuf},
	process::Command,
};

use super::{
	sandbox::{self, Deadline, Ended, Isolation, Limits},
	BuildError,
};

/// Where a source comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transport {
	/// `https://`.
	Https,
	/// `file://` or an absolute path.
	Local,
}

/// Which transport `repository` uses, if it is allowed.
pub fn check_repository(repository: &str, allow_local: bool) -> Result<Transport, BuildError> {
	let refused = |why: &str| {
		BuildError::Fetch(format!(
			"`{}` is refused: {why}; sources are https:// addresses{}",
			shorten(repository),
			if allow_local { ", file:// addresses or absolute paths" } else { "" }
		))
	};
	if repository.chars().any(|c| c.is_control()) {
		return Err(refused("it holds control characters"));
	}
	if let Some(rest) = repository.strip_prefix("https://") {
		let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
		if authority.is_empty() || rest.chars().any(char::is_whitespace) {
			return Err(refused("it names no host"));
		}
		if authority.contains('@') {
			return Err(refused("it carries credentials"));
		}
		if internal_host(authority) {
			return Err(refused("it names this machine or a private network"));
		}
		return Ok(Transport::Https);
	}
	let local = repository.strip_prefix("file://").unwrap_or(repository);
	if local.starts_with('/') {
		return if allow_local {
			Ok(Transport::Local)
		} else {
			Err(refused("local sources are not allowed on this node"))
		};
	}
	Err(refused("its scheme is not allowed"))
}

/// Whether `authority` (host and optional port) must not be fetched from: anything but a DNS
/// name (dotted, ending in a label that starts with a letter) or a canonical public IP
/// literal. Stops a placement making the node probe its own network: `localhost`, loopback,
/// private, link-local (the cloud metadata service) and CGNAT addresses, and the spellings of
/// them that curl accepts but a check on dotted quads misses (`127.1`, `2130706433`,
/// `0x7f.0.0.1`, `0177.0.0.1`). (A public name resolving to such an address is not caught
/// here.)
fn internal_host(authority: &str) -> bool {
	use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
	let (host, port, bracketed) = match authority.strip_prefix('[') {
		Some(v6) => match v6.split_once(']') {
			Some((host, "")) => (host, None, true),
			Some((host, rest)) => match rest.strip_prefix(':') {
				Some(port) => (host, Some(port), true),
				None => return true,
			},
			None => return true,
		},
		None => match authority.rsplit_once(':') {
			Some((host, port)) => (host, Some(port), false),
			None => (authority, None, false),
		},
	};
	if port.is_some_and(|port| {
		port.is_empty() || port.len() > 5 || !port.bytes().all(|b| b.is_ascii_digit())
	}) {
		return true;
	}
	if bracketed {
		return host.parse::<Ipv6Addr>().map_or(true, |ip| !public(IpAddr::V6(ip)));
	}
	let host = host.strip_suffix('.').unwrap_or(host).to_ascii_lowercase();
	if let Ok(ip) = host.parse::<Ipv4Addr>() {
		return !public(IpAddr::V4(ip));
	}
	let labels: Vec<&str> = host.split('.').collect();
	let label = |label: &&str| {
		!label.is_empty()
			&& label.len() <= 63
			&& !label.starts_with('-')
			&& !label.ends_with('-')
			&& label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
	};
	let dns = labels.len() >= 2
		&& labels.iter().all(label)
		&& labels.last().is_some_and(|top| top.as_bytes()[0].is_ascii_alphabetic());
	!dns || host == "localhost" || host.ends_with(".localhost")
}

/// Whether `ip` is a public unicast address.
fn public(ip: std::net::IpAddr) -> bool {
	use std::net::IpAddr;
	match ip {
		IpAddr::V4(ip) => {
			let [a, b, ..] = ip.octets();
			!(ip.is_loopback()
				|| ip.is_private()
				|| ip.is_link_local()
				|| ip.is_unspecified()
				|| ip.is_broadcast()
				|| ip.is_multicast()
				|| ip.is_documentation()
				|| a == 0 || a == 100 && (64..128).contains(&b))
		}
		IpAddr::V6(ip) => {
			!(ip.is_loopback()
				|| ip.is_unspecified()
				|| ip.is_multicast()
				|| (ip.segments()[0] & 0xfe00) == 0xfc00
				|| (ip.segments()[0] & 0xffc0) == 0xfe80
				|| ip.to_ipv4_mapped().is_some()
				|| ip.to_ipv4().is_some())
		}
	}
}

/// The package sources a lock file may name: crates.io's registry (as cargo records it, git
/// index or sparse) and `git+https://` repositories on public hosts.
const CRATES_IO: [&str; 2] =
	["registry+https://github.com/rust-lang/crates.io-index", "sparse+https://index.crates.io/"];

/// Refuses a crate whose dependencies would be fetched from anywhere but crates.io or a public
/// https git host: `Cargo.lock` must exist and name only those sources, and no manifest may
/// replace or patch sources (`[patch]`, `[source]`, `[registries]`). `cargo fetch` runs with
/// the network and would otherwise let a repository make the node fetch from its own network
/// (`registry+http://169.254.169.254/…`, `git+file:///…`, an internal git host).
///
/// Returns whether a manifest depends on the SDK by version: only then is the build given the
/// SDK's patch, which cargo would otherwise record as unused, a change `--locked` refuses.
pub fn check_dependencies(source: &Path) -> Result<bool, BuildError> {
	let refused = |why: String| BuildError::Refused(format!("Cargo.lock: {why}"));
	let lock = read_small(&source.join("Cargo.lock")).ok_or_else(|| {
		refused("missing or not a small regular file; dependencies are fetched --locked".into())
	})?;
	check_lock_sources(&lock).map_err(refused)?;
	super::sdk::check_lock(&lock)?;
	let mut sdk_by_version = false;
	let mut stack = vec![source.to_path_buf()];
	while let Some(dir) = stack.pop() {
		let entries = fs::read_dir(&dir).map_err(|e| BuildError::Fetch(e.to_string()))?;
		for entry in entries.filter_map(Result::ok) {
			let path = entry.path();
			let Ok(meta) = path.symlink_metadata() else { continue };
			if meta.is_dir() {
				stack.push(path);
			} else if entry.file_name() == "Cargo.toml" {
				let name = relative(source, &path);
				let text = read_small(&path).ok_or_else(|| {
					BuildError::Refused(format!("{name}: not a small regular file"))
				})?;
				sdk_by_version |= check_manifest(&text)
					.map_err(|why| BuildError::Refused(format!("{name}: {why}")))?;
			}
		}
	}
	Ok(sdk_by_version)
}

/// A regular file of at most 4 MiB, as text.
fn read_small(path: &Path) -> Option<String> {
	let meta = path.symlink_metadata().ok()?;
	if !meta.is_file() || meta.len() > 4 << 20 {
		return None;
	}
	fs::read_to_string(path).ok()
}

/// Whether a lock file may name `source`: [`CRATES_IO`], or a `git+https://` repository on a
/// public host.
fn allowed_source(source: &str) -> bool {
	CRATES_IO.contains(&source)
		|| source.strip_prefix("git+").is_some_and(|url| {
			let url = url.split(['?', '#']).next().unwrap_or_default();
			url.starts_with("https://") && check_repository(url, false).is_ok()
		})
}

/// The lock file's text as cargo reads it: TOML, whatever its spelling (quoted keys, inline
/// tables, keys in any order), so nothing can be hidden from a check by writing it otherwise.
pub(super) fn parse_toml(text: &str) -> Result<toml::Value, String> {
	text.parse::<toml::Value>()
		.map_err(|e| format!("not valid TOML: {}", e.message().lines().next().unwrap_or_default()))
}

/// Every value under a key named `key` in `value`, at any depth, with its path.
fn values_named<'a>(
	value: &'a toml::Value,
	key: &str,
	path: String,
	out: &mut Vec<(String, &'a toml::Value)>,
) {
	match value {
		toml::Value::Table(table) => {
			for (name, inner) in table {
				let at = if path.is_empty() { name.clone() } else { format!("{path}.{name}") };
				if name == key {
					out.push((at.clone(), inner));
				}
				values_named(inner, key, at, out);
			}
		}
		toml::Value::Array(items) => {
			for (index, inner) in items.iter().enumerate() {
				values_named(inner, key, format!("{path}[{index}]"), out);
			}
		}
		_ => {}
	}
}

/// Refuses a lock file naming a source other than [`CRATES_IO`] or a public https git host,
/// anywhere: a package's `source`, and the `name version (source)` entries of the older
/// formats' `dependencies` lists.
fn check_lock_sources(lock: &str) -> Result<(), String> {
	let lock = parse_toml(lock)?;
	let refused = |at: &str, source: &str| {
		format!(
			"`{at}`: the source `{}` is refused; dependencies come from crates.io or git+https:// \
			 public hosts",
			shorten(source)
		)
	};
	let mut found = Vec::new();
	values_named(&lock, "source", String::new(), &mut found);
	for (at, source) in found {
		match source.as_str() {
			Some(source) if allowed_source(source) => {}
			Some(source) => return Err(refused(&at, source)),
			None => return Err(format!("`{at}` is not a string")),
		}
	}
	let mut lists = Vec::new();
	values_named(&lock, "dependencies", String::new(), &mut lists);
	for (at, list) in lists {
		for entry in list.as_array().into_iter().flatten().filter_map(toml::Value::as_str) {
			let source = entry.split_once('(').map(|(_, rest)| rest.trim_end_matches(')'));
			if let Some(source) = source.filter(|source| !allowed_source(source)) {
				return Err(refused(&at, source));
			}
		}
	}
	Ok(())
}

/// The manifest tables that list dependencies.
const DEPENDENCY_TABLES: [&str; 5] = [
	"dependencies",
	"dev-dependencies",
	"dev_dependencies",
	"build-dependencies",
	"build_dependencies",
];

/// Refuses a manifest that patches or replaces package sources, or whose dependencies come
/// from another registry or a git repository other than a public https one: `cargo fetch`
/// would fetch them before it compared the lock file. Says whether it depends on the SDK by
/// version (which builds then resolve to their own, see [`super::sdk`]).
fn check_manifest(manifest: &str) -> Result<bool, String> {
	let manifest = parse_toml(manifest)?;
	let Some(top) = manifest.as_table() else { return Ok(false) };
	for table in ["patch", "replace", "source", "registries", "registry"] {
		if top.contains_key(table) {
			return Err(format!(
				"`[{table}]` is refused: a service's dependencies come from crates.io or \
				 git+https:// public hosts as its Cargo.lock names them"
			));
		}
	}
	let mut tables = vec![(String::new(), top)];
	if let Some(workspace) = top.get("workspace").and_then(toml::Value::as_table) {
		tables.push(("workspace.".into(), workspace));
	}
	for (target, table) in top.get("target").and_then(toml::Value::as_table).into_iter().flatten() {
		if let Some(table) = table.as_table() {
			tables.push((format!("target.{target}."), table));
		}
	}
	let lists = tables.iter().flat_map(|(prefix, table)| {
		DEPENDENCY_TABLES
			.iter()
			.filter_map(move |name| table.get(*name).map(|list| (format!("{prefix}{name}"), list)))
	});
	let mut sdk_by_version = false;
	for (at, list) in lists {
		for (name, dependency) in list.as_table().into_iter().flatten() {
			let table = dependency.as_table();
			let package = table
				.and_then(|table| table.get("package"))
				.and_then(toml::Value::as_str)
				.unwrap_or(name);
			if package == super::sdk::NAME {
				// By version, unless a path, git or the workspace's entry (checked itself) says.
				sdk_by_version |= table.is_none_or(|table| {
					!["path", "git", "workspace"].iter().any(|key| table.contains_key(*key))
				});
			}
			let Some(dependency) = table else { continue };
			for key in ["registry", "registry-index"] {
				if dependency.contains_key(key) {
					return Err(format!(
						"`{at}.{name}.{key}` is refused: dependencies come from crates.io or \
						 git+https:// public hosts"
					));
				}
			}
			if let Some(git) = dependency.get("git") {
				let public = git.as_str().is_some_and(|url| {
					url.starts_with("https://") && check_repository(url, false).is_ok()
				});
				if !public {
					return Err(format!(
						"`{at}.{name}.git` is refused: git dependencies come from https:// \
						 public hosts"
					));
				}
			}
		}
	}
	Ok(sdk_by_version)
}

/// `reference` as a commit hash, or why it is refused.
pub fn check_reference(reference: &str) -> Result<String, BuildError> {
	if reference.len() == 40 && reference.chars().all(|c| c.is_ascii_hexdigit()) {
		return Ok(reference.to_ascii_lowercase());
	}
	Err(BuildError::Fetch(format!(
		"`{}` is not a full 40-hex commit hash: a tag or branch could be moved after the \
		 version was placed",
		shorten(reference)
	)))
}

/// At most 100 characters of `text`, for errors.
fn shorten(text: &str) -> String {
	match text.char_indices().nth(100) {
		Some((at, _)) => format!("{}...", &text[..at]),
		None => text.to_owned(),
	}
}

/// Fetches `commit` of `repository` into `source` (which must not exist), within `deadline`
/// and `limits.source_bytes`; `home` is an empty directory for git's `HOME`. Every git run is
/// sandboxed as [`sandbox::git`] says; only `fetch` has the network.
#[allow(clippy::too_many_arguments)]
pub fn git_fetch(
	isolation: &Isolation,
	limits: &Limits,
	repository: &str,
	transport: Transport,
	commit: &str,
	source: &Path,
	home: &Path,
	log: &Path,
	deadline: Deadline,
) -> Result<(), BuildError> {
	fs::create_dir_all(source).map_err(|e| BuildError::Fetch(e.to_string()))?;
	let local = (transport == Transport::Local)
		.then(|| Path::new(repository.strip_prefix("file://").unwrap_or(repository)));
	let git = |network: bool, args: &[&str]| {
		let mut config = vec![
			"-c",
			"protocol.allow=never",
			"-c",
			"protocol.https.allow=always",
			"-c",
			"http.followRedirects=false",
			"-c",
			"core.hooksPath=/dev/null",
			"-c",
			"core.fsmonitor=false",
			"-c",
			"credential.helper=",
			"-c",
			"submodule.recurse=false",
			"-c",
			"advice.detachedHead=false",
		];
		if transport == Transport::Local {
			config.extend(["-c", "protocol.file.allow=always"]);
		}
		config.extend(args);
		let mut command = sandbox::git(isolation, limits, source, home, local, network, &config);
		command
			.env("GIT_CONFIG_NOSYSTEM", "1")
			.env("GIT_CONFIG_GLOBAL", "/dev/null")
			.env("GIT_TERMINAL_PROMPT", "0")
			.env("GIT_ASKPASS", "/bin/false")
			.env("GIT_ALLOW_PROTOCOL", if local.is_some() { "file" } else { "https" });
		command
	};
	let failed = |ended: Ended| match ended {
		Ended::Failed(status, log) => BuildError::Fetch(sandbox::withheld(
			"the repository could not be fetched at that commit",
			&format!("git {status}"),
			&log,
			|line| line.starts_with("fatal:") || line.starts_with("error:"),
		)),
		Ended::TimedOut(limit) => BuildError::TimedOut(limit),
		Ended::TooLarge(why) => BuildError::Fetch(format!("the repository holds {why}")),
		Ended::NotStarted(why) => BuildError::Fetch(why),
	};
	let watch = sandbox::Watch {
		dirs: vec![source.to_path_buf()],
		bytes: limits.source_bytes,
		entries: limits.entries,
	};
	let run = |network: bool, args: &[&str]| {
		sandbox::run(&mut git(network, args), log, deadline, Some(&watch), limits).map_err(failed)
	};
	run(false, &["init", "--quiet"])?;
	run(true, &["fetch", "--quiet", "--depth", "1", "--no-tags", "--", repository, commit])?;
	run(false, &["checkout", "--quiet", "--detach", commit])?;
	run(false, &["rev-parse", "HEAD"])?;
	let head = fs::read_to_string(log).unwrap_or_default();
	if head.trim() != commit {
		return Err(BuildError::Fetch(format!("{commit} is not a commit of the repository")));
	}
	// The build needs the files, not the history.
	fs::remove_dir_all(source.join(".git")).map_err(|e| BuildError::Fetch(e.to_string()))
}

/// Most entries a checkout may hold.
const MAX_ENTRIES: usize = 100_000;

/// Refuses a checkout holding a symlink that resolves outside it (or nowhere).
pub fn check_tree(source: &Path) -> Result<(), BuildError> {
	let root = source.canonicalize().map_err(|e| BuildError::Fetch(e.to_string()))?;
	let mut stack = vec![root.clone()];
	let mut seen = 0usize;
	while let Some(dir) = stack.pop() {
		let entries = fs::read_dir(&dir).map_err(|e| BuildError::Fetch(e.to_string()))?;
		for entry in entries.filter_map(Result::ok) {
			seen += 1;
			if seen > MAX_ENTRIES {
				return Err(BuildError::Refused(format!(
					"the repository holds more than {MAX_ENTRIES} files"
				)));
			}
			let path = entry.path();
			let meta = path.symlink_metadata().map_err(|e| BuildError::Fetch(e.to_string()))?;
			if meta.file_type().is_symlink() {
				if !path.canonicalize().is_ok_and(|target| target.starts_with(&root)) {
					return Err(BuildError::Refused(format!(
						"`{}` is a symlink pointing outside the repository",
						relative(&root, &path)
					)));
				}
			} else if meta.is_dir() {
				stack.push(path);
			}
		}
	}
	Ok(())
}

/// `path` relative to `root`, for errors that should not show the host's layout.
pub fn relative(root: &Path, path: &Path) -> String {
	path.strip_prefix(root).unwrap_or(path).display().to_string()
}

/// Removes the repository's cargo configuration: cargo reads `.cargo/config.toml` of the
/// directory it runs in, and it can name programs to run.
pub fn neutralise(source: &Path) -> Result<(), BuildError> {
	let dot_cargo = source.join(".cargo");
	match dot_cargo.symlink_metadata() {
		Ok(meta) if meta.is_dir() => fs::remove_dir_all(&dot_cargo),
		Ok(_) => fs::remove_file(&dot_cargo),
		Err(_) => Ok(()),
	}
	.map_err(|e| BuildError::Fetch(format!("removing .cargo: {e}")))
}

/// The toolchain channel the repository pins in `rust-toolchain.toml` (or `rust-toolchain`),
/// if any. Only `channel` is honoured; `path` is refused.
pub fn pinned_channel(source: &Path) -> Result<Option<String>, BuildError> {
	for name in ["rust-toolchain.toml", "rust-toolchain"] {
		let path = source.join(name);
		let Ok(meta) = path.symlink_metadata() else { continue };
		let refused = |why: &str| BuildError::Refused(format!("{name}: {why}"));
		if !meta.is_file() || meta.len() > 16 * 1024 {
			return Err(refused("not a small regular file"));
		}
		let mut text = String::new();
		fs::File::open(&path)
			.and_then(|file| file.take(16 * 1024).read_to_string(&mut text))
			.map_err(|_| refused("not readable as text"))?;
		return parse_toolchain(&text).map_err(|why| refused(&why));
	}
	Ok(None)
}

/// The channel of a toolchain file's text.
fn parse_toolchain(text: &str) -> Result<Option<String>, String> {
	let lines: Vec<&str> = text
		.lines()
		.map(|line| line.split('#').next().unwrap_or_default().trim())
		.filter(|line| !line.is_empty())
		.collect();
	// The legacy format: the channel alone.
	if let [only] = lines.as_slice() {
		if !only.contains(['=', '[']) {
			return check_channel(only).map(Some);
		}
	}
	let mut channel = None;
	for (number, line) in lines.iter().enumerate() {
		let Some((key, value)) = line.split_once('=') else { continue };
		match key.trim() {
			"channel" => {
				let value = value.trim().trim_matches(|c| c == '"' || c == '\'');
				channel = Some(check_channel(value)?);
			}
			"path" => {
				return Err(format!(
					"line {}: a toolchain by `path` is refused (it would run the \
					 repository's own compiler); pin a `channel`",
					number + 1
				))
			}
			_ => {}
		}
	}
	Ok(channel)
}

fn check_channel(channel: &str) -> Result<String, String> {
	let fine = !channel.is_empty()
		&& channel.len() <= 64
		&& !channel.starts_with('-')
		&& channel.chars().all(|c| c.is_ascii_alphanumeric() || "._-".contains(c));
	fine.then(|| channel.to_owned()).ok_or_else(|| "the channel is not a toolchain name".into())
}

/// The sysroot of `channel` (or of the node's default toolchain), asked of rustup's `rustc`
/// from `cwd`, outside the checkout, so the repository's files play no part; a toolchain that
/// is not installed is not downloaded, and a pinned channel is first looked up in `rustup
/// toolchain list`. rustup runs with a cleared environment ([`rustup_command`]).
pub fn toolchain(
	rustc: &Path,
	channel: Option<&str>,
	cwd: &Path,
	deadline: Deadline,
) -> Result<(PathBuf, String), BuildError> {
	let named = channel.unwrap_or("the node's default");
	let not_installed = || {
		BuildError::Refused(format!("the toolchain `{named}` the repository pins is not installed"))
	};
	let limits = Limits::default();
	if let Some(channel) = channel {
		// rustup is asked about a channel only once it is known to be installed.
		let rustup = match rustc.parent().filter(|dir| !dir.as_os_str().is_empty()) {
			Some(dir) => dir.join("rustup"),
			None => PathBuf::from("rustup"),
		};
		let mut list = rustup_command(&rustup, cwd);
		let log = cwd.join("toolchains.log");
		sandbox::run(list.args(["toolchain", "list"]), &log, deadline, None, &limits)
			.map_err(|_| not_installed())?;
		let listed = fs::read_to_string(&log).unwrap_or_default();
		if !installed(channel, &listed) {
			return Err(not_installed());
		}
	}
	let mut command = rustup_command(rustc, cwd);
	if let Some(channel) = channel {
		command.env("RUSTUP_TOOLCHAIN", channel);
	}
	let log = cwd.join("toolchain.log");
	sandbox::run(command.arg("--print").arg("sysroot"), &log, deadline, None, &limits).map_err(
		|ended| match ended {
			Ended::TimedOut(limit) => BuildError::TimedOut(limit),
			_ => not_installed(),
		},
	)?;
	let printed = fs::read_to_string(&log).map_err(|_| not_installed())?;
	let sysroot = Path::new(printed.lines().last().unwrap_or_default().trim())
		.canonicalize()
		.map_err(|_| not_installed())?;
	if !sysroot.join("lib/rustlib/wasm32v1-none").is_dir() {
		return Err(BuildError::Refused(format!(
			"the toolchain `{named}` has no wasm32v1-none target (rustup target add \
			 wasm32v1-none)"
		)));
	}
	let version = Command::new(sysroot.join("bin/rustc"))
		.env_clear()
		.current_dir(cwd)
		.arg("--version")
		.output()
		.map_err(|_| not_installed())?;
	Ok((sysroot, String::from_utf8_lossy(&version.stdout).trim().to_owned()))
}

/// `program` (rustup or its `rustc` proxy) from `cwd` with a cleared environment: the node's
/// `PATH`, `RUSTUP_HOME` and `CARGO_HOME` (derived from its `HOME` when unset), no `HOME`, and
/// no automatic installs. Nothing else of the node's environment (tokens, proxies,
/// `RUSTUP_TOOLCHAIN`, `RUSTUP_DIST_SERVER`) reaches rustup.
fn rustup_command(program: &Path, cwd: &Path) -> Command {
	use std::env::var_os;
	let mut command = Command::new(program);
	command
		.env_clear()
		.current_dir(cwd)
		.env("PATH", var_os("PATH").unwrap_or_else(|| "/usr/bin:/bin".into()))
		.env("RUSTUP_AUTO_INSTALL", "0");
	for (name, default) in [("RUSTUP_HOME", ".rustup"), ("CARGO_HOME", ".cargo")] {
		let value = var_os(name)
			.or_else(|| var_os("HOME").map(|home| Path::new(&home).join(default).into()));
		if let Some(value) = value {
			command.env(name, value);
		}
	}
	command
}

/// Whether `rustup toolchain list` output `listed` holds `channel`: a toolchain named
/// `channel` or `channel-<host triple>` (not `nightly-2025-01-01-…` for `nightly`).
fn installed(channel: &str, listed: &str) -> bool {
	listed.lines().filter_map(|line| line.split_whitespace().next()).any(|name| {
		name == channel
			|| name.strip_prefix(channel).and_then(|rest| rest.strip_prefix('-')).is_some_and(
				|triple| {
					let parts: Vec<&str> = triple.split('-').collect();
					parts.len() >= 3 && parts[0].starts_with(|c: char| c.is_ascii_alphabetic())
				},
			)
	})
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn only_https_is_allowed_unless_local_sources_are() {
		assert_eq!(
			check_repository("https://github.com/micro/greeter", false),
			Ok(Transport::Https)
		);
		for refused in [
			"file:///root/.local/share/micro",
			"/root/repo",
			"ext::sh -c touch% /tmp/x",
			"ssh://git@example.com/x",
			"git@example.com:x.git",
			"http://example.com/x",
			"-uhttps://x",
			"https://",
			"https:///x",
			"https://a b",
			"https://user:token@github.com/x",
			"https://localhost/x",
			"https://127.0.0.1:8080/x",
			"https://10.1.2.3/x",
			"https://192.168.0.1/x",
			"https://169.254.169.254/latest",
			"https://[::1]/x",
			"https://[fd00::1]:443/x",
			"https://127.1/x",
			"https://2130706433/x",
			"https://0x7f.0.0.1/x",
			"https://0177.0.0.1/x",
			"https://127.0.0.1./x",
			"https://localhost./x",
			"https://a.localhost/x",
			"https://intranet/x",
			"https://example.123/x",
			"https://-x.example.com/x",
			"https://0.0.0.0/x",
			"https://100.64.0.1/x",
			"https://[::ffff:127.0.0.1]/x",
			"https://[::1/x",
			"https://example.com:x/x",
			"https://example.com:/x",
			"relative/path",
		] {
			assert!(
				matches!(check_repository(refused, false), Err(BuildError::Fetch(why)) if why.contains("https://")),
				"{refused}"
			);
		}
		for allowed in [
			"https://gitlab.com/a/b.git",
			"https://git.example.org:8443/a",
			"https://140.82.112.3/a/b",
			"https://[2606:4700::1111]/a",
			"https://0x7f.example.com/a",
		] {
			assert_eq!(check_repository(allowed, false), Ok(Transport::Https), "{allowed}");
		}
		assert_eq!(check_repository("file:///srv/repo", true), Ok(Transport::Local));
		assert_eq!(check_repository("/srv/repo", true), Ok(Transport::Local));
		assert!(check_repository("ext::sh", true).is_err());
		assert!(check_repository("relative", true).is_err());
	}

	#[test]
	fn a_lock_file_names_only_crates_io_and_public_git_sources() {
		let lock = |source: &str| {
			format!(
				"version = 4\n\n[[package]]\nname = \"a\"\nversion = \"1.0.0\"\nsource = \
				 \"{source}\"\n\n[[package]]\nname = \"local\"\nversion = \"0.1.0\"\n"
			)
		};
		for allowed in [
			"registry+https://github.com/rust-lang/crates.io-index",
			"sparse+https://index.crates.io/",
			"git+https://github.com/a/b?branch=main#0123456789abcdef0123456789abcdef01234567",
		] {
			assert_eq!(check_lock_sources(&lock(allowed)), Ok(()), "{allowed}");
		}
		for refused in [
			"registry+https://my-registry.example.com/index",
			"sparse+http://169.254.169.254/latest/",
			"git+file:///root/.ssh#0123",
			"git+ssh://git@github.com/a/b#0123",
			"git+https://127.1/a#0123",
			"git+https://10.0.0.2/a#0123",
			"path+file:///etc",
		] {
			let why = check_lock_sources(&lock(refused)).unwrap_err();
			assert!(why.starts_with("`package[0].source`: the source `"), "{refused}: {why}");
		}
	}

	#[test]
	fn a_lock_cannot_hide_a_source_from_the_check_by_its_spelling() {
		let at = "git+http://127.0.0.1:9/x#0123456789abcdef0123456789abcdef01234567";
		for hidden in [
			format!("version = 4\n[[package]]\nname = \"x\"\nversion = \"0.1.0\"\n\"source\" = \"{at}\"\n"),
			format!("version = 4\npackage = [ {{ name = \"x\", version = \"0.1.0\", source = \"{at}\" }} ]\n"),
			format!("[[package]]\nname = \"a\"\nversion = \"1.0.0\"\ndependencies = [\"x 0.1.0 ({at})\"]\n"),
			format!("[[patch.unused]]\nname = \"x\"\nversion = \"0.1.0\"\nsource = \"{at}\"\n"),
		] {
			assert!(check_lock_sources(&hidden).unwrap_err().contains("is refused"), "{hidden}");
		}
		assert!(check_lock_sources("[[package]\n").unwrap_err().starts_with("not valid TOML"));
	}

	#[test]
	fn a_manifest_may_not_patch_or_replace_sources() {
		let package = "[package]\nname = \"a\"\n[dependencies]\nitoa = \"1\"\n";
		assert_eq!(check_manifest(package), Ok(false));
		assert_eq!(check_manifest("[package]\nsource-dir = 1\npatches = 2\n"), Ok(false));
		let git = "[dependencies]\nb = { git = \"https://github.com/a/b\", rev = \"0123\" }\n";
		assert_eq!(check_manifest(git), Ok(false), "a public https git dependency");
		for refused in [
			"[patch.crates-io]\nitoa = { path = \"x\" }\n",
			"[ patch . \"https://github.com/a/b\" ]\n",
			"[\"patch\".crates-io]\nx = { path = \"y\" }\n",
			"patch = { crates-io = { x = { path = \"y\" } } }\n",
			"[replace]\n\"x:0.1.0\" = { path = \"y\" }\n",
			"[source.crates-io]\nreplace-with = \"mine\"\n",
			"[registries.mine]\nindex = \"https://10.0.0.1/\"\n",
		] {
			let text = format!("{refused}[package]\nname = \"a\"\n");
			let why = check_manifest(&text).unwrap_err();
			assert!(why.starts_with("`["), "{refused}: {why}");
		}
		for (refused, at) in [
			("[dependencies]\nx = { git = \"http://127.0.0.1:9/x\" }\n", "`dependencies.x.git`"),
			("[build-dependencies]\nx = { git = \"https://10.0.0.2/x\" }\n", "`build-dependencies.x.git`"),
			("[target.'cfg(unix)'.dependencies]\nx = { version = \"1\", registry = \"mine\" }\n", "`target.cfg(unix).dependencies.x.registry`"),
			("[workspace.dependencies]\nx = { version = \"1\", registry-index = \"sparse+http://10.0.0.1/\" }\n", "`workspace.dependencies.x.registry-index`"),
		] {
			let why = check_manifest(refused).unwrap_err();
			assert!(why.starts_with(at), "{refused}: {why}");
		}
	}

	#[test]
	fn a_manifest_says_whether_it_depends_on_the_sdk_by_version() {
		for by_version in [
			"[dependencies]\nmicro-service = \"0.1\"\n",
			"[dependencies]\nmicro-service = { version = \"0.1\", default-features = false }\n",
			"[dependencies]\nsdk = { package = \"micro-service\", version = \"0.1\" }\n",
			"[workspace.dependencies]\nmicro-service = \"0.1\"\n",
			"[target.'cfg(target_arch = \"wasm32\")'.dependencies]\nmicro-service = \"0.1\"\n",
		] {
			assert_eq!(check_manifest(by_version), Ok(true), "{by_version}");
		}
		for otherwise in [
			"[dependencies]\nmicro-service = { path = \"sdk\" }\n",
			"[dependencies]\nmicro-service = { workspace = true }\n",
			"[dependencies]\nmicro-service = { git = \"https://github.com/a/b\" }\n",
			"[dependencies]\nother = \"1\"\n",
		] {
			assert_eq!(check_manifest(otherwise), Ok(false), "{otherwise}");
		}
	}

	#[test]
	fn a_crate_without_a_lock_file_or_with_a_foreign_source_is_refused() {
		let dir = tempfile::tempdir().unwrap();
		fs::write(dir.path().join("Cargo.toml"), "[package]\nname = \"a\"\n").unwrap();
		assert!(
			matches!(check_dependencies(dir.path()), Err(BuildError::Refused(why)) if why.contains("missing"))
		);
		fs::write(dir.path().join("Cargo.lock"), "version = 4\n").unwrap();
		assert_eq!(check_dependencies(dir.path()), Ok(false));
		fs::create_dir_all(dir.path().join("member")).unwrap();
		fs::write(dir.path().join("member/Cargo.toml"), "[patch.crates-io]\n").unwrap();
		match check_dependencies(dir.path()) {
			Err(BuildError::Refused(why)) => {
				assert!(why.starts_with("member/Cargo.toml: `[patch]`"), "{why}")
			}
			other => panic!("{other:?}"),
		}
	}

	#[test]
	fn a_channel_is_installed_only_if_rustup_lists_it() {
		let listed = "stable-x86_64-unknown-linux-gnu (active, default)\n\
		              nightly-2025-01-01-x86_64-unknown-linux-gnu\n1.95.0-x86_64-unknown-linux-gnu\n\
		              my-toolchain\n";
		for channel in ["stable", "1.95.0", "nightly-2025-01-01", "my-toolchain"] {
			assert!(installed(channel, listed), "{channel}");
		}
		for channel in ["nightly", "1.95", "beta", "stable-aarch64", "1.2.3", "my"] {
			assert!(!installed(channel, listed), "{channel}");
		}
		assert!(!installed("stable", "no installed toolchains\n"));
	}

	#[test]
	fn rustup_runs_with_only_path_and_its_homes() {
		let command = rustup_command(Path::new("rustup"), Path::new("/tmp"));
		let mut names: Vec<String> = command
			.get_envs()
			.filter(|(_, value)| value.is_some())
			.map(|(name, _)| name.to_string_lossy().into_owned())
			.collect();
		names.sort();
		let [home, rustup_home, cargo_home] =
			["HOME", "RUSTUP_HOME", "CARGO_HOME"].map(|name| std::env::var_os(name).is_some());
		let expected: Vec<&str> = [
			("CARGO_HOME", home || cargo_home),
			("PATH", true),
			("RUSTUP_AUTO_INSTALL", true),
			("RUSTUP_HOME", home || rustup_home),
		]
		.into_iter()
		.filter_map(|(name, set)| set.then_some(name))
		.collect();
		assert_eq!(names, expected);
	}

	#[test]
	fn only_full_commit_hashes_are_references() {
		let commit = "19cc67db85ab268aa12903ed181e46333ff6c064";
		assert_eq!(check_reference(commit).as_deref(), Ok(commit));
		assert_eq!(check_reference(&commit.to_uppercase()).as_deref(), Ok(commit));
		for refused in ["v1.0.0", "main", &commit[..12], "--upload-pack=x", "HEAD", ""] {
			assert!(check_reference(refused).is_err(), "{refused}");
		}
		let long = "x".repeat(1000);
		assert!(check_reference(&long).unwrap_err().to_string().len() < 300);
	}

	#[test]
	fn a_toolchain_file_names_a_channel_or_is_refused() {
		assert_eq!(
			parse_toolchain("[toolchain]\nchannel = \"1.95.0\"\n"),
			Ok(Some("1.95.0".into()))
		);
		assert_eq!(
			parse_toolchain(
				"[toolchain]\nchannel = 'stable' # pinned\ntargets = [\"wasm32v1-none\"]"
			),
			Ok(Some("stable".into()))
		);
		assert_eq!(parse_toolchain("nightly-2025-01-01\n"), Ok(Some("nightly-2025-01-01".into())));
		assert_eq!(parse_toolchain("[toolchain]\nprofile = \"minimal\"\n"), Ok(None));
		assert!(parse_toolchain("[toolchain]\npath = \"./bin\"\n").unwrap_err().contains("line 2"));
		assert!(parse_toolchain("[toolchain]\nchannel = \"../../x\"\n").is_err());
		assert!(parse_toolchain("--help\n").is_err());
	}
}
