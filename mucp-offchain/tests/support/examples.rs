//! Builds the example services to wasm, for the executor's tests and benchmark.

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
