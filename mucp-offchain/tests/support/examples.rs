#![allow(dead_code)] // Each includer uses its part.
//! Builds the example services to wasm, and puts greeter in a git repository of its own, for
//! the executor's tests, its benchmark and the end-to-end tests.

use std::{
	path::{Path, PathBuf},
	process::Command,
};

/// The workspace's root.
pub fn workspace() -> PathBuf {
	Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("the workspace root").to_path_buf()
}

/// Builds `examples/<name>` to wasm32v1-none (incrementally, in the shared target dir) and
/// returns the module.
pub fn build_example(name: &str) -> Vec<u8> {
	let target = std::env::var_os("CARGO_TARGET_DIR")
		.map_or_else(|| workspace().join("target"), PathBuf::from)
		.join("examples");
	let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
	let status = Command::new(cargo)
		.current_dir(workspace().join("examples").join(name))
		.args(["build", "--quiet", "--release", "--offline", "--target", "wasm32v1-none"])
		.env("CARGO_TARGET_DIR", &target)
		.env_remove("RUSTFLAGS")
		.status()
		.expect("cargo runs");
	assert!(status.success(), "examples/{name} builds to wasm");
	std::fs::read(target.join(format!("wasm32v1-none/release/{name}.wasm"))).expect("the module")
}

/// A git repository holding `examples/greeter` at its root, the SDK vendored beside it;
/// returns its path and the commit.
pub fn greeter_repository(dir: &Path) -> (PathBuf, String) {
	let repo = dir.join("greeter-repo");
	let copy = |from: &Path, to: &Path| {
		let status = Command::new("cp").arg("-r").arg(from).arg(to).status().unwrap();
		assert!(status.success());
	};
	copy(&workspace().join("examples/greeter"), &repo);
	copy(&workspace().join("sdk"), &repo.join("sdk"));
	let manifest = std::fs::read_to_string(repo.join("Cargo.toml")).unwrap();
	std::fs::write(repo.join("Cargo.toml"), manifest.replace("../../sdk", "sdk")).unwrap();
	// Pin the toolchain that runs these tests, by its rustup name, as a repository would.
	let active = Command::new("rustup").args(["show", "active-toolchain"]).output();
	if let Some(name) = active
		.ok()
		.filter(|output| output.status.success())
		.and_then(|output| String::from_utf8(output.stdout).ok())
		.and_then(|text| text.split_whitespace().next().map(str::to_owned))
	{
		let pin = format!("[toolchain]\nchannel = \"{name}\"\n");
		std::fs::write(repo.join("rust-toolchain.toml"), pin).unwrap();
	}
	let git = |args: &[&str]| {
		let output = Command::new("git")
			.current_dir(&repo)
			.args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
			.args(args)
			.output()
			.unwrap();
		assert!(
			output.status.success(),
			"git {args:?}: {}",
			String::from_utf8_lossy(&output.stderr)
		);
		String::from_utf8(output.stdout).unwrap().trim().to_owned()
	};
	git(&["init", "--quiet"]);
	git(&["add", "."]);
	git(&["commit", "--quiet", "-m", "greeter"]);
	let commit = git(&["rev-parse", "HEAD"]);
	(repo, commit)
}
