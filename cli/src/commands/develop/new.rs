//! `micro new NAME`: a service project from the template in `cli/template/`.

use std::{
	fs,
	path::{Path, PathBuf},
	process::Command,
};

use mucp_offchain::executor::source::sdk;

use crate::context::{progress, refused, Context, Failure, Outcome};

/// The template's files: where each goes in the project, and its text with `{{name}}`,
/// `{{crate_name}}` and `{{sdk_requirement}}` to fill in.
const TEMPLATE: &[(&str, &str)] = &[
	("Cargo.toml", include_str!("../../../template/Cargo.toml.template")),
	("src/lib.rs", include_str!("../../../template/src/lib.rs.template")),
	("micro.json", include_str!("../../../template/micro.json.template")),
	("README.md", include_str!("../../../template/README.md.template")),
	(".gitignore", include_str!("../../../template/gitignore.template")),
];

/// Names cargo refuses for a package, or that would shadow the SDK.
const RESERVED: &[&str] = &["core", "std", "alloc", "test", "proc-macro", "micro-service"];

/// Longest service name the chain takes.
const MAX_NAME: usize = 64;

/// Checks a service name as the chain and cargo take it.
pub fn check_name(name: &str) -> Result<(), String> {
	let well_formed = name.len() <= MAX_NAME
		&& name.starts_with(|c: char| c.is_ascii_lowercase())
		&& name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
		&& !name.ends_with('-');
	if !well_formed {
		return Err(format!(
			"`{name}` is not a service name: lowercase letters, digits and `-`, starting with a \
			 letter and not ending with `-`, at most {MAX_NAME} characters"
		));
	}
	if RESERVED.contains(&name) {
		return Err(format!("`{name}` is taken by Rust or the SDK: choose another name"));
	}
	Ok(())
}

/// The version requirement a project states for the SDK: compatible with this one.
fn sdk_requirement(version: &str) -> String {
	let mut parts = version.split('.');
	match (parts.next(), parts.next()) {
		(Some("0"), Some(minor)) => format!("0.{minor}"),
		(Some(major), _) => major.to_owned(),
		_ => version.to_owned(),
	}
}

/// The template's files for service `name`.
pub fn files(name: &str) -> Vec<(&'static str, String)> {
	let requirement = sdk_requirement(sdk::version());
	TEMPLATE
		.iter()
		.map(|(path, text)| {
			let text = text
				.replace("{{name}}", name)
				.replace("{{crate_name}}", &name.replace('-', "_"))
				.replace("{{sdk_requirement}}", &requirement);
			(*path, text)
		})
		.collect()
}

/// Writes the SDK's `.cargo/config.toml` into `project`, unless one is there. Never through a
/// symlink: a cloned project whose `.cargo` points elsewhere (`~/.cargo`, say) must not make
/// `micro` write a file there.
pub fn configure(project: &Path, sdk: &Path) -> Result<(), Failure> {
	let dot_cargo = project.join(".cargo");
	let config = dot_cargo.join("config.toml");
	let not_ours = |path: &Path| {
		Failure::BadInput(format!(
			"{} is a symlink: `micro` writes the SDK's configuration only into the project",
			path.display()
		))
	};
	match fs::symlink_metadata(&dot_cargo) {
		Ok(meta) if meta.file_type().is_symlink() => return Err(not_ours(&dot_cargo)),
		Ok(_) => {}
		Err(_) => fs::create_dir(&dot_cargo)
			.map_err(|e| refused(format!("creating {}: {e}", dot_cargo.display())))?,
	}
	match fs::symlink_metadata(&config) {
		Ok(meta) if meta.file_type().is_symlink() => Err(not_ours(&config)),
		Ok(_) => Ok(()),
		// `create_new` fails on anything there, a dangling symlink included.
		Err(_) => fs::OpenOptions::new()
			.write(true)
			.create_new(true)
			.open(&config)
			.and_then(|mut file| {
				std::io::Write::write_all(&mut file, sdk::project_config(sdk).as_bytes())
			})
			.map_err(|e| refused(format!("writing {}: {e}", config.display()))),
	}
}

pub fn run(_ctx: &Context, name: &str, path: Option<&Path>) -> Outcome {
	check_name(name).map_err(Failure::BadInput)?;
	let project = path.map_or_else(|| PathBuf::from(name), Path::to_path_buf);
	if project.exists() {
		return Err(Failure::BadInput(format!(
			"{} exists already: choose another name or --path",
			project.display()
		)));
	}
	let sdk = crate::context::sdk()?;
	for (file, text) in files(name) {
		let at = project.join(file);
		if let Some(parent) = at.parent() {
			fs::create_dir_all(parent)
				.map_err(|e| refused(format!("{}: {e}", parent.display())))?;
		}
		fs::write(&at, text).map_err(|e| refused(format!("{}: {e}", at.display())))?;
	}
	configure(&project, &sdk)?;
	// Nodes fetch dependencies `--locked`: the lock file is part of the service's source.
	let lock = Command::new(cargo())
		.current_dir(&project)
		.args(["generate-lockfile", "--offline", "--quiet"])
		.status();
	match lock {
		Ok(status) if status.success() => {}
		Ok(_) => progress("cargo could not write Cargo.lock: `micro build` will"),
		Err(e) => progress(&format!("cargo did not run ({e}): install Rust with rustup")),
	}
	let shown = project.display();
	println!("made {name} in {shown}:");
	for (file, _) in files(name).iter().chain([&("Cargo.lock", String::new())]) {
		println!("  {shown}/{file}");
	}
	println!();
	println!("next:");
	println!("  cd {shown}");
	println!("  cargo test      # its unit tests");
	println!("  micro run       # serve it at http://127.0.0.1:8081/{name}/Say.Hello");
	Ok(())
}

/// The cargo to run: `$CARGO` when `micro` runs under cargo, else the one on `PATH`.
pub fn cargo() -> std::ffi::OsString {
	std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into())
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn names_are_checked_as_the_chain_and_cargo_take_them() {
		for good in ["hello", "hello-world", "a1"] {
			assert_eq!(check_name(good), Ok(()), "{good}");
		}
		for bad in ["Hello", "1hello", "hello_world", "hello-", "", "héllo", &"a".repeat(65)] {
			assert!(check_name(bad).unwrap_err().contains("not a service name"), "{bad}");
		}
		assert!(check_name("core").unwrap_err().contains("taken"));
	}

	#[test]
	fn the_template_is_filled_in_and_depends_on_the_sdk_by_version() {
		let files = files("hello-world");
		let text = |path: &str| &files.iter().find(|(p, _)| *p == path).unwrap().1;
		assert!(text("Cargo.toml").contains("name = \"hello-world\""));
		assert!(text("Cargo.toml").contains("micro-service = \"0.1\""));
		assert!(text("micro.json").contains("\"name\": \"hello-world\""));
		micro_cli::manifest::Manifest::parse(text("micro.json")).unwrap();
		assert!(text(".gitignore").contains("/.cargo/"), "the machine's SDK path is not committed");
		// A placeholder is `{{` and a lowercase name and `}}` (Rust's `{{` in format strings is not).
		let placeholder = |text: &str| {
			text.match_indices("{{").any(|(at, _)| {
				let rest = &text[at + 2..];
				let name = rest.find("}}").map(|end| &rest[..end]);
				name.is_some_and(|name| {
					!name.is_empty() && name.chars().all(|c| c.is_ascii_lowercase() || c == '_')
				})
			})
		};
		assert!(placeholder("x {{name}} y"));
		assert!(files.iter().all(|(_, text)| !placeholder(text)), "every placeholder is filled");
	}

	#[test]
	fn the_sdks_configuration_is_never_written_through_a_symlink() {
		let (project, elsewhere) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
		let sdk = Path::new("/sdk");
		std::os::unix::fs::symlink(elsewhere.path(), project.path().join(".cargo")).unwrap();
		assert!(configure(project.path(), sdk).is_err());
		assert!(!elsewhere.path().join("config.toml").exists(), "nothing written elsewhere");
		fs::remove_file(project.path().join(".cargo")).unwrap();
		fs::create_dir(project.path().join(".cargo")).unwrap();
		let target = elsewhere.path().join("made.toml");
		std::os::unix::fs::symlink(&target, project.path().join(".cargo/config.toml")).unwrap();
		assert!(configure(project.path(), sdk).is_err());
		assert!(!target.exists(), "a dangling symlink is not followed");
		fs::remove_file(project.path().join(".cargo/config.toml")).unwrap();
		assert!(configure(project.path(), sdk).is_ok());
		let written = fs::read_to_string(project.path().join(".cargo/config.toml")).unwrap();
		assert!(written.contains(r#"micro-service = { path = "/sdk" }"#), "{written}");
		assert!(configure(project.path(), Path::new("/other")).is_ok());
		let kept = fs::read_to_string(project.path().join(".cargo/config.toml")).unwrap();
		assert_eq!(kept, written, "an existing configuration is the project's own");
	}

	#[test]
	fn the_sdk_requirement_is_compatible_with_this_version() {
		assert_eq!(sdk_requirement("0.1.0"), "0.1");
		assert_eq!(sdk_requirement("1.2.3"), "1");
	}
}
