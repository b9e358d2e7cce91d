//! `micro.json`: what a service's repository says about the service, at its root.
//!
//! ```json
//! {
//!   "name": "greeter",
//!   "price_per_call": 1,
//!   "endpoints": [{
//!     "name": "Say.Hello",
//!     "request": { "name": "Request", "fields": [{ "number": 1, "name": "name", "kind": "string" }] },
//!     "response": { "name": "Response", "fields": [{ "number": 1, "name": "msg", "kind": "string" }] }
//!   }]
//! }
//! ```
//!
//! Field kinds: `string`, `bytes`, `bool`, `int64`, `uint64`, `double`, `json`.

use std::{path::Path, process::Command};

use serde::Deserialize;
use subxt::dynamic::Value;

/// A service's manifest.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
	/// The service's unique name: lowercase letters, digits and `-`, starting with a letter.
	pub name: String,
	/// API tokens per call.
	#[serde(default)]
	pub price_per_call: u128,
	/// The endpoints.
	pub endpoints: Vec<EndpointSpec>,
}

/// One endpoint.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct EndpointSpec {
	/// Its name, such as `Say.Hello`.
	pub name: String,
	/// The request message.
	pub request: MessageSpec,
	/// The response message.
	pub response: MessageSpec,
}

/// A message type.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct MessageSpec {
	/// Its name.
	pub name: String,
	/// Its fields.
	#[serde(default)]
	pub fields: Vec<FieldSpec>,
}

/// A field.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct FieldSpec {
	/// Its protobuf number.
	pub number: u32,
	/// Its name.
	pub name: String,
	/// Its kind.
	pub kind: String,
	/// Whether it repeats.
	#[serde(default)]
	pub repeated: bool,
}

const KINDS: [(&str, &str); 7] = [
	("string", "String"),
	("bytes", "Bytes"),
	("bool", "Bool"),
	("int64", "Int64"),
	("uint64", "Uint64"),
	("double", "Double"),
	("json", "Json"),
];

impl Manifest {
	/// Reads a manifest from JSON text, checking the field kinds.
	pub fn parse(text: &str) -> Result<Self, String> {
		let manifest: Self = serde_json::from_str(text).map_err(|e| format!("micro.json: {e}"))?;
		for endpoint in &manifest.endpoints {
			for field in endpoint.request.fields.iter().chain(&endpoint.response.fields) {
				if !KINDS.iter().any(|(kind, _)| *kind == field.kind) {
					return Err(format!(
						"micro.json: {}: field `{}` has kind `{}`; kinds are {}",
						endpoint.name,
						field.name,
						field.kind,
						KINDS.map(|(k, _)| k).join(", ")
					));
				}
			}
		}
		if manifest.endpoints.is_empty() {
			return Err("micro.json: a service needs at least one endpoint".into());
		}
		Ok(manifest)
	}

	/// Reads `micro.json` from `repository` at `commit`.
	pub fn fetch(repository: &str, commit: &str) -> Result<Self, String> {
		let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
		let clone = Command::new("git")
			.args(["clone", "--quiet", "--no-checkout", "--", repository])
			.arg(dir.path().join("r"))
			.env("GIT_TERMINAL_PROMPT", "0")
			.output()
			.map_err(|e| format!("git: {e}"))?;
		if !clone.status.success() {
			return Err(format!(
				"cloning {repository}: {}",
				String::from_utf8_lossy(&clone.stderr).trim()
			));
		}
		let show = Command::new("git")
			.current_dir(dir.path().join("r"))
			.args(["show", &format!("{commit}:micro.json")])
			.output()
			.map_err(|e| format!("git: {e}"))?;
		if !show.status.success() {
			return Err(format!(
				"{repository} has no micro.json at {commit}: {}",
				String::from_utf8_lossy(&show.stderr).trim()
			));
		}
		Self::parse(&String::from_utf8_lossy(&show.stdout))
	}

	/// The endpoints as the services pallet takes them.
	pub fn endpoints_value(&self) -> Value {
		let message = |m: &MessageSpec| {
			Value::named_composite([
				("name", Value::from_bytes(m.name.as_bytes())),
				(
					"fields",
					Value::unnamed_composite(m.fields.iter().map(|f| {
						let kind = KINDS.iter().find(|(k, _)| *k == f.kind).map_or("Json", |k| k.1);
						Value::named_composite([
							("number", Value::u128(f.number.into())),
							("name", Value::from_bytes(f.name.as_bytes())),
							("kind", Value::unnamed_variant(kind, [])),
							("repeated", Value::bool(f.repeated)),
						])
					})),
				),
			])
		};
		Value::unnamed_composite(self.endpoints.iter().map(|e| {
			Value::named_composite([
				("name", Value::from_bytes(e.name.as_bytes())),
				("request", message(&e.request)),
				("response", message(&e.response)),
			])
		}))
	}
}

/// `repository` as the chain takes it: a local directory becomes a `file://` URL.
pub fn repository_url(repository: &str) -> Result<String, String> {
	let path = Path::new(repository);
	if path.is_dir() {
		let absolute = path.canonicalize().map_err(|e| format!("{repository}: {e}"))?;
		return Ok(format!("file://{}", absolute.display()));
	}
	Ok(repository.to_owned())
}

/// The full commit hash `reference` (a commit, tag, branch or `HEAD`) names in `repository`,
/// which nodes build: a tag or branch could be moved after the version is placed, a commit
/// hash cannot. A local repository is asked with `git rev-parse`, a remote one with
/// `git ls-remote` (an annotated tag's commit, not the tag object).
pub fn resolve_commit(repository: &str, reference: &str) -> Result<String, String> {
	if reference.len() == 40 && reference.chars().all(|c| c.is_ascii_hexdigit()) {
		return Ok(reference.to_ascii_lowercase());
	}
	if reference.starts_with('-') || reference.is_empty() {
		return Err(format!("`{reference}` is not a commit, tag or branch"));
	}
	if let Some(path) = repository.strip_prefix("file://") {
		let output = git(&[
			"-C",
			path,
			"rev-parse",
			"--verify",
			"--quiet",
			&format!("{reference}^{{commit}}"),
		])?;
		let hash = String::from_utf8_lossy(&output.stdout).trim().to_owned();
		return if output.status.success() && hash.len() == 40 {
			Ok(hash)
		} else {
			Err(format!("{repository} has no commit `{reference}`"))
		};
	}
	resolve_remote(repository, reference)
}

/// `git ARGS`, never prompting.
fn git(args: &[&str]) -> Result<std::process::Output, String> {
	Command::new("git")
		.args(args)
		.env("GIT_TERMINAL_PROMPT", "0")
		.output()
		.map_err(|e| format!("git: {e}"))
}

/// The commit a tag, branch or `HEAD` of the remote `repository` names, by `git ls-remote`.
fn resolve_remote(repository: &str, reference: &str) -> Result<String, String> {
	// Exact names only (ls-remote matches patterns by their ending, so `v1` alone would also
	// match a branch `x/v1`): a tag (an annotated one's commit), else a branch, else `HEAD`.
	let wanted = if reference == "HEAD" {
		vec!["HEAD".to_owned()]
	} else {
		let name = reference.strip_prefix("refs/tags/").or(reference.strip_prefix("refs/heads/"));
		match name {
			Some(_) => vec![format!("{reference}^{{}}"), reference.to_owned()],
			None => vec![
				format!("refs/tags/{reference}^{{}}"),
				format!("refs/tags/{reference}"),
				format!("refs/heads/{reference}"),
			],
		}
	};
	let mut args = vec!["ls-remote", "--", repository];
	args.extend(wanted.iter().map(String::as_str));
	let output = git(&args)?;
	if !output.status.success() {
		return Err(format!(
			"asking {repository} for `{reference}`: {}",
			String::from_utf8_lossy(&output.stderr).trim()
		));
	}
	let listing = String::from_utf8_lossy(&output.stdout);
	let refs: Vec<(&str, &str)> =
		listing.lines().filter_map(|line| line.split_once('\t')).collect();
	wanted
		.iter()
		.find_map(|name| refs.iter().find(|(_, listed)| listed == name))
		.map(|(hash, _)| hash.to_string())
		.ok_or_else(|| {
			format!("{repository} has no tag or branch `{reference}`: give a commit hash")
		})
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn a_manifest_is_read_and_bad_kinds_are_named() {
		let text = r#"{"name":"greeter","price_per_call":2,"endpoints":[{"name":"Say.Hello",
			"request":{"name":"Request","fields":[{"number":1,"name":"name","kind":"string"}]},
			"response":{"name":"Response","fields":[{"number":1,"name":"msg","kind":"string"}]}}]}"#;
		let manifest = Manifest::parse(text).unwrap();
		assert_eq!((manifest.name.as_str(), manifest.price_per_call), ("greeter", 2));
		let bad = text.replace(r#""kind":"string"}]},"#, r#""kind":"text"}]},"#);
		assert!(Manifest::parse(&bad).unwrap_err().contains("kind `text`"));
		assert!(Manifest::parse(r#"{"name":"x","endpoints":[]}"#).is_err());
		assert!(Manifest::parse(r#"{"name":"x","endpoints":[],"extra":1}"#).is_err());
	}

	#[test]
	fn a_reference_resolves_to_its_full_commit_hash() {
		let dir = tempfile::tempdir().unwrap();
		let git = |args: &[&str]| {
			let output = Command::new("git")
				.current_dir(dir.path())
				.args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
				.args(args)
				.output()
				.unwrap();
			assert!(output.status.success(), "{args:?}");
			String::from_utf8(output.stdout).unwrap().trim().to_owned()
		};
		git(&["init", "--quiet"]);
		std::fs::write(dir.path().join("a"), "a").unwrap();
		git(&["add", "."]);
		git(&["commit", "--quiet", "-m", "a"]);
		git(&["tag", "-a", "v1", "-m", "v1"]);
		let head = git(&["rev-parse", "HEAD"]);
		let repository = repository_url(dir.path().to_str().unwrap()).unwrap();
		assert_eq!(resolve_commit(&repository, "HEAD").unwrap(), head);
		assert_eq!(resolve_commit(&repository, "v1").unwrap(), head, "a tag's commit");
		assert_eq!(resolve_commit(&repository, &head.to_uppercase()).unwrap(), head);
		assert!(resolve_commit(&repository, "nothing").unwrap_err().contains("no commit"));
		assert!(resolve_commit(&repository, "--upload-pack=x").is_err(), "never an option");
		// Asked as a remote is (ls-remote), a tag is not mistaken for a branch ending the same.
		std::fs::write(dir.path().join("a"), "b").unwrap();
		git(&["checkout", "--quiet", "-b", "x/v1"]);
		git(&["commit", "--quiet", "-am", "b"]);
		let remote = format!("file://{}", dir.path().display());
		let branch = git(&["rev-parse", "HEAD"]);
		assert_eq!(resolve_remote(&remote, "v1").unwrap(), head, "the tag, not branch x/v1");
		assert_eq!(resolve_remote(&remote, "x/v1").unwrap(), branch);
		assert!(resolve_remote(&remote, "v").unwrap_err().contains("no tag or branch"));
	}
}
