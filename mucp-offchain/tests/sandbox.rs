//! Building a service from a stranger's repository never exposes the node: each test is an
//! attack a repository can make through `build.rs`, its cargo or toolchain configuration, a
//! symlink or its source address, and checks the exact way it fails.

#[path = "support/repos.rs"]
mod repos;

use std::{
	fs,
	io::ErrorKind,
	net::TcpListener,
	path::Path,
	time::{Duration, SystemTime, UNIX_EPOCH},
};

use mucp_offchain::executor::source::{BuildError, Builder, Isolation, Language};
use repos::{crate_with_build_script, eventually, processes_with, Repo};

/// A key file's content, as a Substrate keystore holds it.
const SECRET: &str = "\"bottom drive obey lake curtain smoke basket hold race lonely fit walk\"";
const SECRET_WORDS: &str = "curtain smoke basket";

/// A builder under `root` that, like the end-to-end tests, builds from local repositories.
fn builder(root: &Path) -> Builder {
	let mut builder = Builder::new(root);
	builder.allow_local_sources = true;
	builder
}

/// A valid text module.
const WAT: &str = "(module (func (export \"answer\") (result i32) (i32.const 42)))";

/// A directory removed when dropped, even on a panic.
struct Removed(std::path::PathBuf);

impl Drop for Removed {
	fn drop(&mut self) {
		let _ = fs::remove_dir_all(&self.0);
	}
}

#[test]
fn a_build_script_can_neither_read_the_node_base_path_nor_open_a_socket() {
	// The fake base path lies under a directory the sandbox binds (the toolchain's sysroot, at
	// /toolchain), so only the `hidden` masking keeps it out of view; and the builds, as on a
	// node, live under the base path.
	let sysroot =
		std::process::Command::new("rustc").args(["--print", "sysroot"]).output().unwrap();
	let sysroot =
		Path::new(String::from_utf8(sysroot.stdout).unwrap().trim()).canonicalize().unwrap();
	let nanos = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().subsec_nanos();
	let name = format!("mucp-sandbox-test-{}-{nanos}", std::process::id());
	let base = Removed(sysroot.join(&name));
	let base = &base.0;
	let keystore = base.join("chains/local/keystore");
	fs::create_dir_all(&keystore).unwrap();
	let secret = keystore.join("6d756370deadbeef");
	fs::write(&secret, SECRET).unwrap();
	let inside = format!("/toolchain/{name}/chains/local/keystore/6d756370deadbeef");
	let listener = TcpListener::bind("127.0.0.1:0").unwrap();
	listener.set_nonblocking(true).unwrap();
	let build_rs = format!(
		r#"fn main() {{
	let read = std::fs::read_to_string({secret:?});
	let read_inside = std::fs::read_to_string({inside:?});
	let connected = std::net::TcpStream::connect("{address}");
	if read.is_ok() || read_inside.is_ok() || connected.is_ok() {{
		panic!("escaped: read {{read:?}} {{read_inside:?}}, connected {{connected:?}}");
	}}
}}
"#,
		address = listener.local_addr().unwrap()
	);
	let dir = tempfile::tempdir().unwrap();
	let (repo, commit) = crate_with_build_script(dir.path(), "probe", &build_rs);
	let mut builder = builder(&base.join("chains/local/mucp/builds"));
	builder.hidden = vec![base.clone()];
	let result = builder.build(&repo.url(), &commit, None);
	if let Err(error) = &result {
		assert!(!error.to_string().contains(SECRET_WORDS), "the secret leaked: {error}");
	}
	match listener.accept() {
		Err(error) if error.kind() == ErrorKind::WouldBlock => {}
		other => panic!("the build script reached the node's listener: {other:?}"),
	}
	let built = result.expect("the build runs, its script's escapes refused");
	assert_eq!(built.language, Some(Language::Rust));
	assert_eq!(fs::read_to_string(&secret).unwrap(), SECRET, "the key is there, outside");
}

#[test]
fn a_process_forked_by_a_build_script_does_not_outlive_the_time_limit() {
	let dir = tempfile::tempdir().unwrap();
	let nanos = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().subsec_nanos();
	// `sleep`'s argument marks the sleeper: no other process has it on its command line.
	let token = format!("{}.{}", 900_000 + nanos % 99_999, std::process::id());
	let build_rs = format!(
		r#"use std::{{os::unix::process::CommandExt, process::{{Command, Stdio}}}};
fn main() {{
	Command::new("sleep")
		.arg("{token}")
		.process_group(0)
		.stdin(Stdio::null())
		.stdout(Stdio::null())
		.stderr(Stdio::null())
		.spawn()
		.expect("sleep starts");
	loop {{
		std::thread::sleep(std::time::Duration::from_secs(1));
	}}
}}
"#
	);
	let (repo, commit) = crate_with_build_script(dir.path(), "forker", &build_rs);
	let mut builder = builder(&dir.path().join("builds"));
	builder.time_limit = Duration::from_secs(30);
	let url = repo.url();
	let build = std::thread::spawn(move || builder.build(&url, &commit, None));
	assert!(
		eventually(Duration::from_secs(30), || !processes_with(&token).is_empty()),
		"the build script started its sleeper"
	);
	match build.join().unwrap() {
		Err(BuildError::TimedOut(limit)) => assert_eq!(limit, Duration::from_secs(30)),
		other => panic!("{other:?}"),
	}
	let gone = eventually(Duration::from_secs(5), || processes_with(&token).is_empty());
	let survivors = processes_with(&token);
	for pid in &survivors {
		let _ = std::process::Command::new("kill").args(["-KILL", &pid.to_string()]).status();
	}
	assert!(gone, "the sleeper outlived the build: {survivors:?}");
}

#[test]
fn a_module_symlinked_out_of_the_repository_is_refused_without_its_content() {
	let dir = tempfile::tempdir().unwrap();
	let secret = dir.path().join("6d756370deadbeef");
	fs::write(&secret, SECRET).unwrap();
	let repo = Repo::new(dir.path(), "linked");
	repo.symlink("service.wat", &secret);
	let absolute = repo.commit("absolute");
	fs::remove_file(repo.path.join("service.wat")).unwrap();
	repo.symlink("service.wat", Path::new("../6d756370deadbeef"));
	let relative = repo.commit("relative");
	fs::remove_file(repo.path.join("service.wat")).unwrap();
	repo.symlink("service.wasm", &secret);
	let prebuilt = repo.commit("prebuilt");
	for commit in [absolute, relative, prebuilt] {
		match builder(&dir.path().join("builds")).build(&repo.url(), &commit, None) {
			Err(error @ BuildError::Refused(_)) => {
				let text = error.to_string();
				assert!(text.contains("symlink"), "{text}");
				assert!(!text.contains(SECRET_WORDS), "the secret leaked: {text}");
			}
			other => panic!("{other:?}"),
		}
	}
}

#[test]
fn an_invalid_text_module_is_reported_by_line_without_its_text() {
	let dir = tempfile::tempdir().unwrap();
	let repo = Repo::new(dir.path(), "bad-wat");
	repo.write("service.wat", &format!("(module\n  (func {SECRET})\n)\n"));
	let commit = repo.commit("bad");
	match builder(&dir.path().join("builds")).build(&repo.url(), &commit, None) {
		Err(BuildError::Failed(detail)) => assert_eq!(detail, "invalid WAT at line 2"),
		other => panic!("{other:?}"),
	}
}

/// Whether `detail` is the withheld error of a failed build: its category, cargo's exit
/// status and a digest, nothing of the output.
fn is_withheld_build_failure(detail: &str) -> bool {
	let prefix = "the build failed (exit status: 101): its errors are in the node's log, digest ";
	detail
		.strip_prefix(prefix)
		.is_some_and(|digest| digest.len() == 16 && digest.chars().all(|c| c.is_ascii_hexdigit()))
}

#[test]
fn a_failed_build_reports_a_category_and_digest_not_its_output() {
	let dir = tempfile::tempdir().unwrap();
	let build_rs = format!(
		"fn main() {{\n\tprintln!(\"{SECRET_WORDS}\");\n\teprintln!(\"error: {SECRET_WORDS}\");\n\
		 \tpanic!(\"{SECRET_WORDS}\");\n}}\n"
	);
	let (repo, commit) = crate_with_build_script(dir.path(), "noisy", &build_rs);
	match builder(&dir.path().join("builds")).build(&repo.url(), &commit, None) {
		Err(BuildError::Failed(detail)) => {
			assert!(is_withheld_build_failure(&detail), "{detail}");
			assert!(!detail.contains(SECRET_WORDS), "the output leaked: {detail}");
		}
		other => panic!("{other:?}"),
	}
}

#[test]
fn a_proc_macro_emitting_a_file_as_compile_error_leaks_nothing() {
	let dir = tempfile::tempdir().unwrap();
	let repo = Repo::new(dir.path(), "leaky");
	repo.write(
		"Cargo.toml",
		"[package]\nname = \"leaky\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\
		 [workspace]\nmembers = [\"leak\"]\n[lib]\ncrate-type = [\"cdylib\"]\n\
		 [dependencies]\nleak = { path = \"leak\" }\n",
	)
	.write(
		"leak/Cargo.toml",
		"[package]\nname = \"leak\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\
		 [lib]\nproc-macro = true\n",
	)
	// Any file the sandbox shows: here one of the repository's, as a stand-in.
	.write("leak/secret.txt", SECRET)
	.write(
		"leak/src/lib.rs",
		"use proc_macro::TokenStream;\n#[proc_macro]\npub fn leak(_: TokenStream) -> \
		 TokenStream {\n\tlet data = \
		 std::fs::read_to_string(\"/build/source/leak/secret.txt\").unwrap_or_default();\n\t\
		 format!(\"compile_error!({data:?});\").parse().unwrap()\n}\n",
	)
	.write(
		"src/lib.rs",
		"#![no_std]\nleak::leak!();\n#[panic_handler]\nfn panic(_: &core::panic::PanicInfo) -> ! \
		 { loop {} }\n",
	);
	let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
	let locked = std::process::Command::new(cargo)
		.current_dir(&repo.path)
		.args(["generate-lockfile", "--offline"])
		.status()
		.unwrap();
	assert!(locked.success(), "the lock file of two path crates");
	let commit = repo.commit("a leaking macro");
	match builder(&dir.path().join("builds")).build(&repo.url(), &commit, None) {
		Err(BuildError::Failed(detail)) => {
			assert!(is_withheld_build_failure(&detail), "{detail}");
			assert!(!detail.contains(SECRET_WORDS), "the secret leaked: {detail}");
		}
		other => panic!("{other:?}"),
	}
}

#[test]
fn a_movable_reference_is_refused() {
	let dir = tempfile::tempdir().unwrap();
	let repo = Repo::new(dir.path(), "tagged");
	repo.write("service.wat", WAT);
	let commit = repo.commit("wat");
	repo.git(&["tag", "v1"]);
	let branch = repo.git(&["rev-parse", "--abbrev-ref", "HEAD"]);
	for reference in ["v1", branch.as_str(), &commit[..12], "--upload-pack=touch", "HEAD"] {
		match builder(&dir.path().join("builds")).build(&repo.url(), reference, None) {
			Err(BuildError::Fetch(reason)) => {
				assert!(reason.contains("full 40-hex commit hash"), "{reference}: {reason}")
			}
			other => panic!("{reference}: {other:?}"),
		}
	}
	let built = builder(&dir.path().join("builds")).build(&repo.url(), &commit, None).unwrap();
	assert_eq!(built.wasm, wat::parse_str(WAT).unwrap());
}

#[test]
fn only_https_sources_unless_local_sources_are_allowed() {
	let dir = tempfile::tempdir().unwrap();
	let repo = Repo::new(dir.path(), "local");
	repo.write("service.wat", WAT);
	let commit = repo.commit("wat");
	let marker = dir.path().join("ext-ran");
	let strict = Builder::new(&dir.path().join("strict"));
	let refused = [
		repo.url(),
		repo.path.display().to_string(),
		format!("ext::sh -c touch% {}", marker.display()),
		"ssh://git@example.com/x.git".into(),
		"git@example.com:x.git".into(),
		"http://example.com/x.git".into(),
		"--upload-pack=touch".into(),
	];
	for url in &refused {
		match strict.build(url, &commit, None) {
			Err(BuildError::Fetch(reason)) => {
				assert!(reason.contains("https://"), "{url}: {reason}")
			}
			other => panic!("{url}: {other:?}"),
		}
	}
	assert!(!marker.exists(), "the ext:: transport ran a command");
	let local = builder(&dir.path().join("local"));
	for url in [repo.url(), repo.path.display().to_string()] {
		let built = local.build(&url, &commit, None).unwrap();
		assert_eq!(built.language, Some(Language::Wat));
	}
}

#[test]
fn a_repository_cannot_configure_cargo_or_pick_a_toolchain_by_path() {
	let dir = tempfile::tempdir().unwrap();
	let (repo, _) = crate_with_build_script(dir.path(), "configured", "fn main() {}\n");
	repo.write(".cargo/config.toml", "[build]\nrustc-wrapper = \"/bin/false\"\n");
	let commit = repo.commit("a wrapper");
	let built = builder(&dir.path().join("builds")).build(&repo.url(), &commit, None);
	assert_eq!(
		built.expect("the repository's cargo configuration is ignored").language,
		Some(Language::Rust)
	);

	repo.write("rust-toolchain.toml", "[toolchain]\nchannel = \"1.2.3\"\n");
	let commit = repo.commit("a toolchain that is not installed");
	match builder(&dir.path().join("builds")).build(&repo.url(), &commit, None) {
		Err(BuildError::Refused(why)) => assert_eq!(
			why, "the toolchain `1.2.3` the repository pins is not installed",
			"never downloaded"
		),
		other => panic!("{other:?}"),
	}

	repo.write("rust-toolchain.toml", "[toolchain]\npath = \"/tmp\"\n");
	let commit = repo.commit("a toolchain by path");
	match builder(&dir.path().join("builds")).build(&repo.url(), &commit, None) {
		Err(error @ BuildError::Refused(_)) => {
			assert!(error.to_string().contains("rust-toolchain.toml"), "{error}")
		}
		other => panic!("{other:?}"),
	}
}

#[test]
fn without_bubblewrap_a_rust_build_is_refused_naming_the_setup_script() {
	let dir = tempfile::tempdir().unwrap();
	let (repo, commit) = crate_with_build_script(dir.path(), "plain", "fn main() {}\n");
	let mut builder = builder(&dir.path().join("builds"));
	builder.isolation = Isolation::Bubblewrap("/nonexistent/bwrap".into());
	match builder.build(&repo.url(), &commit, None) {
		Err(BuildError::Refused(why)) => {
			assert!(why.contains("scripts/setup.sh") && why.contains("bubblewrap"), "{why}")
		}
		other => panic!("{other:?}"),
	}
}

#[test]
fn a_dependency_from_crates_io_is_fetched_then_built_offline() {
	let dir = tempfile::tempdir().unwrap();
	let repo = Repo::new(dir.path(), "with-deps");
	repo.write(
		"Cargo.toml",
		"[package]\nname = \"with-deps\"\nversion = \"0.1.0\"\nedition = \"2021\"\n[workspace]\n\
		 [lib]\ncrate-type = [\"cdylib\"]\n[dependencies]\nitoa = \"=1.0.15\"\n",
	)
	.write(
		"src/lib.rs",
		"#![no_std]\n#[panic_handler]\nfn panic(_: &core::panic::PanicInfo) -> ! { loop {} }\n\
		 #[no_mangle]\npub extern \"C\" fn digits(n: u32) -> usize { \
		 itoa::Buffer::new().format(n).len() }\n",
	);
	let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
	let locked = std::process::Command::new(cargo)
		.current_dir(&repo.path)
		.arg("generate-lockfile")
		.status()
		.unwrap();
	assert!(locked.success(), "the test pins its dependency");
	let commit = repo.commit("a dependency");
	let built = builder(&dir.path().join("builds")).build(&repo.url(), &commit, None).unwrap();
	assert_eq!(built.language, Some(Language::Rust));
	assert!(built.wasm.starts_with(b"\0asm"));
}

/// A build script that runs `work` and then waits (a minute at most) to be stopped.
fn build_script_then_wait(work: &str) -> String {
	format!(
		"fn main() {{\n{work}\n\tstd::thread::sleep(std::time::Duration::from_secs(60));\n\t\
		 panic!(\"not stopped\");\n}}\n"
	)
}

#[test]
fn a_build_script_filling_tmp_is_stopped() {
	let dir = tempfile::tempdir().unwrap();
	let build_rs = build_script_then_wait(
		"\tuse std::io::Write;\n\tlet mut file = std::fs::File::create(\"/tmp/big\").unwrap();\n\t\
		 for _ in 0..256 { file.write_all(&[7u8; 1 << 20]).unwrap(); }",
	);
	let (repo, commit) = crate_with_build_script(dir.path(), "filler", &build_rs);
	let mut builder = builder(&dir.path().join("builds"));
	builder.limits.target_bytes = 64 << 20;
	match builder.build(&repo.url(), &commit, None) {
		Err(BuildError::Failed(detail)) => assert_eq!(
			detail,
			"the build wrote more than 67108864 bytes (its target directory and /tmp count \
			 together)"
		),
		other => panic!("{other:?}"),
	}
	assert_eq!(fs::read_dir(&builder.scratch).unwrap().count(), 0, "the build is removed");
}

#[test]
fn a_build_script_creating_many_files_is_stopped() {
	let dir = tempfile::tempdir().unwrap();
	let build_rs = build_script_then_wait(
		"\tfor n in 0..20_000 { std::fs::write(format!(\"/tmp/{n}\"), \"\").unwrap(); }",
	);
	let (repo, commit) = crate_with_build_script(dir.path(), "inodes", &build_rs);
	let mut builder = builder(&dir.path().join("builds"));
	builder.limits.entries = 5_000;
	match builder.build(&repo.url(), &commit, None) {
		Err(BuildError::Failed(detail)) => assert_eq!(
			detail,
			"the build wrote more than 5000 files (its target directory and /tmp count together)"
		),
		other => panic!("{other:?}"),
	}
}

#[test]
fn a_directory_a_build_locked_is_removed_afterwards() {
	let dir = tempfile::tempdir().unwrap();
	let build_rs = "use std::os::unix::fs::PermissionsExt;\nfn main() {\n\tfor root in \
	                [\"/tmp\".to_owned(), std::env::var(\"OUT_DIR\").unwrap()] {\n\t\tlet \
	                locked = format!(\"{root}/locked\");\n\t\t\
	                std::fs::create_dir_all(format!(\"{locked}/inner\")).unwrap();\n\t\t\
	                std::fs::write(format!(\"{locked}/inner/file\"), \"x\").unwrap();\n\t\t\
	                std::fs::set_permissions(&locked, \
	                std::fs::Permissions::from_mode(0o000)).unwrap();\n\t}\n}\n";
	let (repo, commit) = crate_with_build_script(dir.path(), "locker", build_rs);
	let builder = builder(&dir.path().join("builds"));
	let built = builder.build(&repo.url(), &commit, None).expect("the build itself succeeds");
	assert_eq!(built.language, Some(Language::Rust));
	assert_eq!(fs::read_dir(&builder.scratch).unwrap().count(), 0, "the build is removed");
}
