//! `micro build [DIR]`: the project built to wasm, as nodes build it but on this machine.

use std::{
	path::{Path, PathBuf},
	process::Stdio,
};

use mucp_offchain::{
	executor::{code_hash, source::sdk, CodeHash},
	hex,
};
use tokio::io::{AsyncBufReadExt, BufReader};

use super::new::{cargo, configure};
use crate::context::{print_json, refused, Context, Failure};

/// The wasm target services are built for.
pub const TARGET: &str = "wasm32v1-none";

/// A module built from a project.
pub struct Built {
	/// Where cargo wrote it.
	pub path: PathBuf,
	/// Its bytes.
	pub wasm: Vec<u8>,
	/// Its code hash.
	pub hash: CodeHash,
}

impl Built {
	/// Prints where the module is, its size and code hash.
	pub fn report(&self, ctx: &Context) {
		if ctx.json {
			print_json(&serde_json::json!({
				"path": self.path,
				"bytes": self.wasm.len(),
				"code_hash": hex::prefixed(&self.hash),
			}));
		} else {
			println!(
				"built {} ({} bytes, code hash {})",
				self.path.display(),
				self.wasm.len(),
				hex::prefixed(&self.hash)
			);
		}
	}
}

/// Builds the project in `dir` to wasm (release, [`TARGET`]) with cargo, whose progress and
/// errors go to stderr; its SDK resolves to the one `micro` carries.
///
/// The code hash is this machine's build; the one nodes record comes from building the
/// committed source in the sandbox (`micro services deploy` does that).
pub async fn build(dir: &Path) -> Result<Built, Failure> {
	if !dir.join("Cargo.toml").is_file() {
		return Err(Failure::BadInput(format!(
			"{} has no Cargo.toml: is it a service project (`micro new NAME`)?",
			dir.display()
		)));
	}
	let sdk = crate::context::sdk()?;
	configure(dir, &sdk)?;
	let mut child = tokio::process::Command::new(cargo())
		.current_dir(dir)
		.args([
			"build",
			"--release",
			"--target",
			TARGET,
			"--message-format",
			"json-render-diagnostics",
		])
		.arg("--config")
		.arg(sdk::patch_argument(&sdk))
		.stdout(Stdio::piped())
		.stderr(Stdio::inherit())
		.kill_on_drop(true)
		.spawn()
		.map_err(|e| refused(format!("cargo did not run ({e}): install Rust with rustup")))?;
	let mut lines = BufReader::new(child.stdout.take().expect("piped")).lines();
	let mut modules = Vec::new();
	while let Ok(Some(line)) = lines.next_line().await {
		modules.extend(wasm_artifacts(&line));
	}
	let status = child.wait().await.map_err(|e| refused(format!("cargo: {e}")))?;
	if !status.success() {
		let hint = if installed_targets().is_some_and(|targets| !targets.contains(TARGET)) {
			format!(" (the {TARGET} target is missing: `rustup target add {TARGET}`)")
		} else {
			String::new()
		};
		return Err(refused(format!("the build failed{hint}: cargo's errors are above")));
	}
	let path =
		match modules.as_slice() {
			[module] => module.clone(),
			[] => return Err(refused(
				"the crate built no .wasm: is it a `cdylib` (`[lib] crate-type = [\"cdylib\"]`)?",
			)),
			_ => return Err(refused("the crate built more than one .wasm")),
		};
	let wasm = std::fs::read(&path).map_err(|e| refused(format!("{}: {e}", path.display())))?;
	Ok(Built { path, hash: code_hash(&wasm), wasm })
}

/// The `.wasm` files a line of cargo's JSON messages says it wrote.
fn wasm_artifacts(line: &str) -> Vec<PathBuf> {
	let Ok(message) = serde_json::from_str::<serde_json::Value>(line) else { return Vec::new() };
	if message["reason"] != "compiler-artifact" {
		return Vec::new();
	}
	message["filenames"]
		.as_array()
		.into_iter()
		.flatten()
		.filter_map(|name| name.as_str())
		.filter(|name| name.ends_with(".wasm"))
		.map(PathBuf::from)
		.collect()
}

/// The targets rustup has installed for the active toolchain, if rustup answers.
fn installed_targets() -> Option<String> {
	let output = std::process::Command::new("rustup")
		.args(["target", "list", "--installed"])
		.output()
		.ok()?;
	output.status.success().then(|| String::from_utf8_lossy(&output.stdout).into_owned())
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn the_module_is_found_in_cargos_messages() {
		let artifact = r#"{"reason":"compiler-artifact","target":{"kind":["cdylib"]},"filenames":["/t/wasm32v1-none/release/hello.wasm"]}"#;
		assert_eq!(
			wasm_artifacts(artifact),
			[PathBuf::from("/t/wasm32v1-none/release/hello.wasm")]
		);
		let rlib = r#"{"reason":"compiler-artifact","filenames":["/t/libmicro_service.rlib"]}"#;
		assert!(wasm_artifacts(rlib).is_empty());
		assert!(wasm_artifacts(r#"{"reason":"build-finished","success":true}"#).is_empty());
		assert!(wasm_artifacts("Compiling hello").is_empty());
	}
}
