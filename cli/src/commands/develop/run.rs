//! `micro run [DIR]`: the development loop. The service is built, loaded into a local executor
//! on a MUCP peer of its own (loopback only, joining nothing), and served through a gateway;
//! when its source changes it is rebuilt and the new module replaces the old one, the old
//! one serving until then (and on if the new one does not build). Each call served is printed
//! with the lines the service logged.

use std::{
	collections::hash_map::DefaultHasher,
	hash::{Hash, Hasher},
	net::SocketAddr,
	path::{Path, PathBuf},
	sync::{
		atomic::{AtomicU64, Ordering},
		Arc,
	},
	time::{Duration, Instant, SystemTime},
};

use micro_cli::manifest::Manifest;
use mucp_offchain::{
	executor::{logs::printable, CallBudget, CodeHash, Deployment, Executor, ExecutorConfig, Host},
	gateway::{Gateway, GatewayConfig},
	hex,
	hosting::PeerHost,
	peer::{Peer, PeerConfig, Service},
	protocol::{header, Message, MicroError},
	registry::{Endpoint, FieldDescription},
};

use super::build::{build, Built};
use crate::context::{progress, refused, Failure, Outcome};

/// How often the source is looked at for changes.
const POLL: Duration = Duration::from_millis(400);
/// A version's storage, as a node gives it.
const STORAGE_LIMIT: usize = 16 << 20;

/// The service as it runs now.
struct Running {
	version: u32,
	hash: CodeHash,
	manifest: Manifest,
}

pub async fn run(dir: &Path, listen: SocketAddr) -> Outcome {
	let manifest = read_manifest(dir)?;
	let built = build(dir).await?;
	let state = tempfile::tempdir().map_err(refused)?;
	let peer = Arc::new(
		Peer::start(PeerConfig::new(state.path().join("peer.redb")))
			.await
			.map_err(|e| refused(format!("starting the local peer: {e}")))?,
	);
	let executor = Arc::new(Executor::new(ExecutorConfig::default()).map_err(refused)?);
	let host: Arc<dyn Host> = Arc::new(PeerHost::new(&peer, tokio::runtime::Handle::current()));
	let deployment =
		Arc::new(Deployment::new(&manifest.name, executor.clone(), host, STORAGE_LIMIT));
	let mut running = Running { version: 0, hash: [0; 32], manifest: manifest.clone() };
	replace(&peer, &executor, &deployment, &mut running, manifest, &built)?;
	let config = GatewayConfig { listen, ..GatewayConfig::default() };
	let gateway = Gateway::start(peer.clone(), config).await.map_err(|e| {
		Failure::BadInput(format!("the gateway cannot listen on {listen}: {e} (try --listen)"))
	})?;
	let address = gateway.address();
	println!("serving {} at http://{address}/{}/", running.manifest.name, running.manifest.name);
	for endpoint in &running.manifest.endpoints {
		let fields: Vec<&str> =
			endpoint.request.fields.iter().map(|field| field.name.as_str()).collect();
		println!(
			"  POST http://{address}/{}/{}  (JSON fields: {})",
			running.manifest.name,
			endpoint.name,
			fields.join(", ")
		);
	}
	println!("watching {} for changes; Ctrl-C stops", dir.display());

	let mut seen = fingerprint(dir);
	let mut poll = tokio::time::interval(POLL);
	let outcome = loop {
		tokio::select! {
			_ = tokio::signal::ctrl_c() => break Ok(()),
			_ = poll.tick() => {}
		}
		let now = fingerprint(dir);
		if now == seen {
			continue;
		}
		seen = now;
		progress("the source changed: rebuilding");
		let rebuilt = match read_manifest(dir) {
			Ok(manifest) => build(dir).await.map(|built| (manifest, built)),
			Err(failure) => Err(failure),
		};
		match rebuilt {
			Ok((manifest, built)) if built.hash == running.hash && manifest == running.manifest => {
				progress("the same module: nothing to replace");
			}
			Ok((manifest, built)) => {
				if let Err(failure) =
					replace(&peer, &executor, &deployment, &mut running, manifest, &built)
				{
					progress(&format!("{}; still serving the previous build", failure.message()));
				}
			}
			Err(failure) => {
				progress(&format!("{}; still serving the previous build", failure.message()))
			}
		}
	};
	gateway.shutdown().await;
	outcome
}

fn read_manifest(dir: &Path) -> Result<Manifest, Failure> {
	let path = dir.join("micro.json");
	let text = std::fs::read_to_string(&path).map_err(|e| {
		Failure::BadInput(format!("{}: {e}: is it a service project?", path.display()))
	})?;
	Manifest::parse(&text).map_err(Failure::BadInput)
}

/// Loads `built` as the next version and serves it with `manifest`'s endpoints in place of
/// the running one, which is then unloaded.
fn replace(
	peer: &Arc<Peer>,
	executor: &Arc<Executor>,
	deployment: &Arc<Deployment>,
	running: &mut Running,
	manifest: Manifest,
	built: &Built,
) -> Outcome {
	if manifest.name != running.manifest.name {
		return Err(Failure::BadInput(format!(
			"micro.json now names `{}`: restart `micro run` to serve another service",
			manifest.name
		)));
	}
	let hash = executor.load(&built.wasm, None).map_err(|e| refused(format!("the module: {e}")))?;
	let version = running.version + 1;
	deployment.start(version, hash).map_err(|e| refused(e.detail))?;
	if running.version == 0 || manifest.endpoints != running.manifest.endpoints {
		peer.withdraw(&manifest.name);
		peer.serve(service(deployment.clone(), &manifest)).map_err(|e| refused(e.detail))?;
	}
	if running.version > 0 {
		deployment.retire(running.version);
		if running.hash != hash {
			executor.unload(&running.hash);
		}
		println!("reloaded: code hash {}", hex::prefixed(&hash));
	}
	*running = Running { version, hash, manifest };
	Ok(())
}

/// The deployment served with `manifest`'s endpoints, printing each call and the lines it
/// logged.
fn service(deployment: Arc<Deployment>, manifest: &Manifest) -> Service {
	let printed = Arc::new(AtomicU64::new(0));
	let mut service = Service::new(&manifest.name, "dev");
	for spec in &manifest.endpoints {
		let mut endpoint = Endpoint::new(&spec.name, &spec.request.name, &spec.response.name);
		let fields = |fields: &[micro_cli::manifest::FieldSpec]| {
			fields
				.iter()
				.map(|f| FieldDescription {
					number: f.number,
					name: f.name.clone(),
					kind: f.kind.clone(),
					repeated: f.repeated,
				})
				.collect()
		};
		endpoint.request.fields = fields(&spec.request.fields);
		endpoint.response.fields = fields(&spec.response.fields);
		let name = spec.name.clone();
		let (deployment, printed) = (deployment.clone(), printed.clone());
		service = service.call(endpoint, move |request: Message| {
			let (deployment, name, printed) = (deployment.clone(), name.clone(), printed.clone());
			async move {
				let started = Instant::now();
				let id = request.header(header::ID).unwrap_or_default().to_owned();
				let content_type = request.content_type()?;
				let budget = CallBudget::of(&request)?;
				let (endpoint, body, failed) = (name.clone(), request.body.clone(), id.clone());
				let run = deployment.clone();
				let result = tokio::task::spawn_blocking(move || {
					budget.enter(|| run.call(&id, None, &endpoint, &body, content_type))
				})
				.await
				.map_err(|e| MicroError::internal(failed, format!("the executor failed: {e}")))
				.and_then(|result| result);
				println!("{}", call_line(&name, started.elapsed(), &result));
				let since = printed.load(Ordering::Relaxed);
				if let Some(page) = deployment.logs().read(None, Some(since)) {
					printed.fetch_max(page.next, Ordering::Relaxed);
					for line in page.lines.iter().filter(|line| line.seq > since) {
						println!("  log {}: {}", line.level, printable(&line.text));
					}
				}
				result
			}
		});
	}
	service
}

/// How a served call is printed.
fn call_line(endpoint: &str, took: Duration, result: &Result<Vec<u8>, MicroError>) -> String {
	let took = format!("{:.1} ms", took.as_secs_f64() * 1000.0);
	match result {
		Ok(body) => format!("call {}: 200, {} bytes in {took}", printable(endpoint), body.len()),
		Err(error) => format!(
			"call {}: {} {} in {took}",
			printable(endpoint),
			error.code,
			printable(&error.detail)
		),
	}
}

/// What the project's source looks like now: every file's path, size and modification time,
/// outside `target/`, `.git/` and `.cargo/`.
fn fingerprint(dir: &Path) -> u64 {
	let mut files: Vec<(PathBuf, u64, Option<SystemTime>)> = Vec::new();
	let mut stack = vec![dir.to_path_buf()];
	while let Some(at) = stack.pop() {
		let Ok(entries) = std::fs::read_dir(&at) else { continue };
		for entry in entries.filter_map(Result::ok) {
			let path = entry.path();
			let Ok(meta) = entry.metadata() else { continue };
			if meta.is_dir() {
				let skipped = at == dir
					&& ["target", ".git", ".cargo"].iter().any(|name| entry.file_name() == *name);
				if !skipped {
					stack.push(path);
				}
			} else {
				files.push((path, meta.len(), meta.modified().ok()));
			}
		}
	}
	files.sort();
	let mut hasher = DefaultHasher::new();
	files.hash(&mut hasher);
	hasher.finish()
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn a_change_to_the_source_changes_the_fingerprint_and_the_build_output_does_not() {
		let dir = tempfile::tempdir().unwrap();
		std::fs::create_dir_all(dir.path().join("src")).unwrap();
		std::fs::create_dir_all(dir.path().join("target/release")).unwrap();
		std::fs::write(dir.path().join("src/lib.rs"), "a").unwrap();
		let before = fingerprint(dir.path());
		std::fs::write(dir.path().join("target/release/x.wasm"), "built").unwrap();
		assert_eq!(fingerprint(dir.path()), before, "build output is not a change");
		std::fs::write(dir.path().join("src/lib.rs"), "ab").unwrap();
		assert_ne!(fingerprint(dir.path()), before);
	}

	#[test]
	fn calls_are_printed_with_their_status() {
		let ok: Result<Vec<u8>, MicroError> = Ok(b"{}".to_vec());
		assert_eq!(
			call_line("Say.Hello", Duration::from_micros(1500), &ok),
			"call Say.Hello: 200, 2 bytes in 1.5 ms"
		);
		let failed = Err(MicroError::bad_request("", "name must not be empty"));
		assert_eq!(
			call_line("Say.Hello", Duration::ZERO, &failed),
			"call Say.Hello: 400 name must not be empty in 0.0 ms"
		);
		let forged = Err(MicroError::bad_request("", "bad\n\u{1b}[2J\u{202e}"));
		let line = call_line("Say\u{1b}", Duration::ZERO, &forged);
		assert_eq!(line, "call Say\\u{1b}: 400 bad\\n\\u{1b}[2J\\u{202e} in 0.0 ms");
	}
}
