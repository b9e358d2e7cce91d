//! Stamps the build (git commit) and builds the web console the gateway serves at `/`
//! (`web/`, with its locked npm toolchain), embedding its files in the binary.

use std::{
	fmt::Write as _,
	path::{Path, PathBuf},
	process::Command,
};

use substrate_build_script_utils::{generate_cargo_keys, rerun_if_git_head_changed};

fn main() {
	generate_cargo_keys();
	rerun_if_git_head_changed();
	build_console();
}

/// Runs `web/build.mjs` into `$OUT_DIR/console` and writes `$OUT_DIR/console.rs`: a table of
/// the files, each `include_bytes!`, so the binary serves them with no file system or
/// network.
fn build_console() {
	// Read when the script runs, not when it was compiled: checkouts that share a target
	// directory (worktrees, CI's fresh clones) share this script's binary too.
	let manifest = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
	let web = Path::new(&manifest).join("../web");
	for input in ["src", "build.mjs", "package.json", "package-lock.json"] {
		println!("cargo:rerun-if-changed={}", web.join(input).display());
	}
	let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
	let console = out.join("console");
	// The packages the lockfile pins (by integrity hash), again whenever it changes; no
	// package's install script runs.
	let installed = web.join("node_modules/.package-lock.json");
	if modified(&installed) < modified(&web.join("package-lock.json")) {
		run(
			Command::new("npm")
				.args(["ci", "--ignore-scripts", "--no-audit", "--no-fund"])
				.current_dir(&web),
			"npm ci",
		);
	}
	run(
		Command::new("node").arg("build.mjs").arg("--out").arg(&console).current_dir(&web),
		"node build.mjs",
	);
	let mut names: Vec<String> = std::fs::read_dir(&console)
		.expect("the console was built")
		.filter_map(|entry| entry.ok()?.file_name().into_string().ok())
		.collect();
	names.sort();
	let mut table = String::from("/// The web console's files, by name.\n");
	table.push_str("pub const FILES: &[(&str, &[u8])] = &[\n");
	for name in &names {
		let path = console.join(name);
		writeln!(table, "\t({name:?}, include_bytes!({:?})),", path.display().to_string())
			.expect("writing to a String");
	}
	table.push_str("];\n");
	std::fs::write(out.join("console.rs"), table).expect("writing console.rs");
}

/// When `path` last changed (the epoch if it does not exist).
fn modified(path: &Path) -> std::time::SystemTime {
	std::fs::metadata(path)
		.and_then(|metadata| metadata.modified())
		.unwrap_or(std::time::SystemTime::UNIX_EPOCH)
}

fn run(command: &mut Command, what: &str) {
	match command.status() {
		Ok(status) if status.success() => {}
		Ok(status) => panic!("building the web console: `{what}` in web/ failed ({status})"),
		Err(error) => panic!(
			"building the web console: `{what}` did not run ({error}). It needs Node.js and npm: \
			 run ./scripts/setup.sh"
		),
	}
}
