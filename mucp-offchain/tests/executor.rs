//! The wasm executor: the example services built to wasm by the test itself, sandbox limits,
//! refused modules, state across calls, builds from a local git repository, and greeter served
//! over MUCP.

#[path = "support/examples.rs"]
mod examples;

use std::{
	process::Command,
	sync::{Arc, OnceLock},
	time::Duration,
};

use examples::{build_example, greeter_repository};
use mucp_offchain::{
	executor::{
		code_hash,
		source::{sdk, BuildError, Builder, Language},
		Deployment, Executor, ExecutorConfig, Isolated, LoadError, Storage, VERSION_HEADER,
	},
	hosting::{wasm_service, PeerHost},
	peer::{Peer, PeerConfig},
	protocol::{ContentType, Message},
	registry::Endpoint,
};

/// A builder that, like a development node, builds from local repositories.
/// A builder as a node has it: local sources allowed (tests), the SDK installed in its own
/// directory.
fn builder(root: &std::path::Path) -> Builder {
	let mut builder = Builder::new(root);
	builder.allow_local_sources = true;
	builder.sdk = Some(sdk::install(&root.join("sdk")).expect("the SDK installs"));
	builder
}

fn greeter() -> &'static [u8] {
	static GREETER: OnceLock<Vec<u8>> = OnceLock::new();
	GREETER.get_or_init(|| build_example("greeter"))
}

/// A module written by hand to the ABI: `Loop` spins forever, `Grow` asks for a gigabyte,
/// anything else answers `ok`.
const MISBEHAVING: &str = r#"
(module
  (import "micro" "respond" (func $respond (param i32 i32)))
  (memory (export "memory") 1)
  (global $next (mut i32) (i32.const 1024))
  (data (i32.const 16) "ok")
  (func (export "micro_abi_version") (result i32) (i32.const 1))
  (func (export "micro_alloc") (param $len i32) (result i32)
    (local $at i32)
    (local.set $at (global.get $next))
    (global.set $next (i32.add (global.get $next) (local.get $len)))
    (local.get $at))
  (func (export "micro_handle") (param $ep i32) (param $ep_len i32) (param i32 i32 i32) (result i32)
    (if (i32.eq (i32.load8_u (local.get $ep)) (i32.const 76)) ;; 'L'
      (then (loop $spin (br $spin))))
    (if (i32.eq (i32.load8_u (local.get $ep)) (i32.const 71)) ;; 'G'
      (then (if (i32.eq (memory.grow (i32.const 16384)) (i32.const -1)) (then unreachable))))
    (call $respond (i32.const 16) (i32.const 2))
    (i32.const 0)))
"#;

fn executor() -> Arc<Executor> {
	executor_with_deadline(Duration::from_millis(200))
}

fn executor_with_deadline(deadline: Duration) -> Arc<Executor> {
	let config = ExecutorConfig { memory_limit: 16 << 20, deadline, ..ExecutorConfig::default() };
	Arc::new(Executor::new(config).expect("the executor starts"))
}

fn call(
	executor: &Executor,
	hash: &[u8; 32],
	endpoint: &str,
	body: &[u8],
) -> Result<Vec<u8>, (u16, String)> {
	executor
		.call(
			hash,
			"t",
			endpoint,
			body,
			ContentType::detect(body),
			Arc::new(Isolated),
			Arc::new(Storage::new(1 << 20)),
		)
		.map_err(|e| (e.code, e.detail))
}

#[test]
fn greeter_answers_json_and_protobuf_and_errors_precisely() {
	let executor = executor();
	let hash = executor.load(greeter(), Some(code_hash(greeter()))).expect("greeter loads");
	let reply = call(&executor, &hash, "Say.Hello", br#"{"name":"Alice"}"#).unwrap();
	assert_eq!(reply, br#"{"msg":"Hello Alice"}"#);
	// Protobuf: field 1 holds the name.
	let reply = call(&executor, &hash, "Say.Hello", b"\x0a\x03Bob").unwrap();
	assert_eq!(reply, b"\x0a\x09Hello Bob");
	let (code, detail) = call(&executor, &hash, "Say.Goodbye", b"{}").unwrap_err();
	assert_eq!((code, detail.as_str()), (404, "no endpoint Say.Goodbye"));
	let (code, detail) = call(&executor, &hash, "Say.Hello", br#"{"nom":"x"}"#).unwrap_err();
	assert_eq!((code, detail.as_str()), (400, "missing string field `name`"));
}

#[test]
fn a_runaway_loop_is_stopped_and_the_next_call_succeeds() {
	let executor = executor();
	let wasm = wat::parse_str(MISBEHAVING).unwrap();
	let hash = executor.load(&wasm, None).expect("the module loads");
	let started = std::time::Instant::now();
	let (code, detail) = call(&executor, &hash, "Loop", b"{}").unwrap_err();
	assert_eq!(code, 408, "{detail}");
	assert!(detail.contains("deadline"), "{detail}");
	assert!(started.elapsed() < Duration::from_secs(5), "stopped near its deadline");
	assert_eq!(call(&executor, &hash, "Ok", b"{}").unwrap(), b"ok");
}

#[test]
fn memory_past_the_limit_fails_that_call_only() {
	let executor = executor();
	let hash = executor.load(&wat::parse_str(MISBEHAVING).unwrap(), None).unwrap();
	let (code, detail) = call(&executor, &hash, "Grow", b"{}").unwrap_err();
	assert_eq!(code, 500, "{detail}");
	assert_eq!(call(&executor, &hash, "Ok", b"{}").unwrap(), b"ok");
}

#[test]
fn bad_modules_are_refused_with_a_reason() {
	let executor = executor();
	match executor.load(b"\0asm but not really", None) {
		Err(LoadError::Invalid(reason)) => assert!(!reason.is_empty()),
		other => panic!("{other:?}"),
	}
	let wrong = [7u8; 32];
	match executor.load(greeter(), Some(wrong)) {
		Err(error @ LoadError::HashMismatch { .. }) => {
			assert!(error.to_string().contains("not the 0x0707"), "{error}")
		}
		other => panic!("{other:?}"),
	}
	// No files, no sockets: nothing outside `micro` is linked.
	for (import, signature) in [
		("wasi_snapshot_preview1\" \"fd_read", "(param i32 i32 i32 i32) (result i32)"),
		("wasi_snapshot_preview1\" \"sock_open", "(param i32 i32 i32) (result i32)"),
		("env\" \"open", "(param i32) (result i32)"),
		("micro\" \"exec", "(param i32) (result i32)"),
	] {
		let text = format!(
			r#"(module (import "{import}" (func {signature})) (memory (export "memory") 1)
			   (func (export "micro_abi_version") (result i32) (i32.const 1))
			   (func (export "micro_alloc") (param i32) (result i32) (i32.const 0))
			   (func (export "micro_handle") (param i32 i32 i32 i32 i32) (result i32) (i32.const 0)))"#
		);
		match executor.load(&wat::parse_str(&text).unwrap(), None) {
			Err(error @ LoadError::ForbiddenImport(_)) => {
				assert!(error.to_string().contains("does not grant"), "{error}")
			}
			other => panic!("{import}: {other:?}"),
		}
	}
	let no_handle = r#"(module (memory (export "memory") 1))"#;
	assert!(matches!(
		executor.load(&wat::parse_str(no_handle).unwrap(), None),
		Err(LoadError::Abi(_))
	));
}

#[test]
fn the_counter_keeps_its_state_across_calls_of_a_version() {
	let executor = executor();
	let counter = build_example("counter");
	let hash = executor.load(&counter, None).unwrap();
	let (v1, v2) = (Arc::new(Storage::new(1 << 20)), Arc::new(Storage::new(1 << 20)));
	let run = |storage: &Arc<Storage>, endpoint: &str| {
		let body = br#"{"name":"visits"}"#;
		executor
			.call(
				&hash,
				"t",
				endpoint,
				body,
				ContentType::Json,
				Arc::new(Isolated),
				storage.clone(),
			)
			.unwrap()
	};
	assert_eq!(run(&v1, "Counter.Increment"), br#"{"count":1}"#);
	assert_eq!(run(&v1, "Counter.Increment"), br#"{"count":2}"#);
	assert_eq!(run(&v1, "Counter.Get"), br#"{"count":2}"#);
	assert_eq!(run(&v2, "Counter.Get"), br#"{"count":0}"#, "another version starts afresh");
	assert_eq!(run(&v1, "Counter.Reset"), br#"{"count":0}"#);
	assert_eq!(run(&v1, "Counter.Increment"), br#"{"count":1}"#);
}

#[test]
fn greeter_builds_from_source_reproducibly_and_is_checked_against_its_hash() {
	let dir = tempfile::tempdir().unwrap();
	let (repo, commit) = greeter_repository(dir.path());
	let url = format!("file://{}", repo.display());
	let first = builder(&dir.path().join("node-a")).build(&url, &commit, None).expect("builds");
	assert_eq!(first.language, Some(Language::Rust));
	assert!(
		first.toolchain.as_deref().is_some_and(|t| t.starts_with("rustc ")),
		"{:?}",
		first.toolchain
	);
	let second = builder(&dir.path().join("node-b"))
		.build(&url, &commit, Some(first.hash))
		.expect("builds the same");
	assert_eq!(second.hash, first.hash, "two builds in different directories agree");
	let executor = executor();
	let hash = executor.load(&second.wasm, Some(first.hash)).unwrap();
	assert_eq!(
		call(&executor, &hash, "Say.Hello", br#"{"name":"source"}"#).unwrap(),
		br#"{"msg":"Hello source"}"#
	);

	// The cache answers without building.
	let cached =
		builder(&dir.path().join("node-a")).build(&url, &commit, Some(first.hash)).unwrap();
	assert_eq!((cached.hash, cached.language), (first.hash, None));

	match builder(&dir.path().join("node-c")).build(&url, &commit, Some([1; 32])) {
		Err(error @ BuildError::HashMismatch { .. }) => {
			assert!(error.to_string().contains("0x0101"))
		}
		other => panic!("{other:?}"),
	}
	match builder(&dir.path().join("node-c")).build(&url, "0123456789abcdef", None) {
		Err(BuildError::Fetch(reason)) => assert!(!reason.is_empty()),
		other => panic!("{other:?}"),
	}
}

#[test]
fn a_service_depending_on_the_sdk_by_version_builds_alike_on_every_node() {
	let dir = tempfile::tempdir().unwrap();
	let (repo, _) = greeter_repository(dir.path());
	// As `micro new` makes it: the SDK by version, not vendored, locked as builds resolve it.
	std::fs::remove_dir_all(repo.join("sdk")).unwrap();
	let manifest = std::fs::read_to_string(repo.join("Cargo.toml")).unwrap();
	let by_version =
		manifest.replace(r#"micro-service = { path = "sdk" }"#, r#"micro-service = "0.1""#);
	assert_ne!(by_version, manifest);
	std::fs::write(repo.join("Cargo.toml"), by_version).unwrap();
	let installed = sdk::install(&dir.path().join("developer")).unwrap();
	let locked = Command::new(std::env::var_os("CARGO").unwrap_or("cargo".into()))
		.current_dir(&repo)
		.args(["generate-lockfile", "--offline", "--config", &sdk::patch_argument(&installed)])
		.status()
		.unwrap();
	assert!(locked.success());
	let lock = std::fs::read_to_string(repo.join("Cargo.lock")).unwrap();
	assert!(lock.contains("name = \"micro-service\"") && !lock.contains("source"), "{lock}");
	let git = |args: &[&str]| {
		let out = Command::new("git")
			.current_dir(&repo)
			.args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
			.args(args)
			.output()
			.unwrap();
		assert!(out.status.success(), "{args:?}");
		String::from_utf8(out.stdout).unwrap().trim().to_owned()
	};
	git(&["add", "-A"]);
	git(&["commit", "--quiet", "-m", "the SDK by version"]);
	let commit = git(&["rev-parse", "HEAD"]);
	let url = format!("file://{}", repo.display());

	// Two nodes with the SDK installed in different places build the same bytes.
	let first = builder(&dir.path().join("node-a")).build(&url, &commit, None).expect("builds");
	let second = builder(&dir.path().join("other/node-b"))
		.build(&url, &commit, Some(first.hash))
		.expect("builds the same");
	assert_eq!(second.hash, first.hash);
	let executor = executor();
	let hash = executor.load(&first.wasm, None).unwrap();
	assert_eq!(
		call(&executor, &hash, "Say.Hello", br#"{"name":"version"}"#).unwrap(),
		br#"{"msg":"Hello version"}"#
	);

	// Without an SDK to resolve it to, the crate is looked for on crates.io, where it is not
	// (a fetch failure), rather than built from whatever holds the name there.
	let mut without = builder(&dir.path().join("node-c"));
	without.sdk = None;
	assert!(without.build(&url, &commit, None).is_err());
}

#[test]
fn a_failing_build_and_unknown_sources_are_refused_with_the_reason() {
	let dir = tempfile::tempdir().unwrap();
	let (repo, _) = greeter_repository(dir.path());
	std::fs::write(repo.join("src/lib.rs"), "this is not rust").unwrap();
	let commit_all = |message: &str| {
		for args in [vec!["add", "-A"], vec!["commit", "--quiet", "-m", message]] {
			let status = Command::new("git")
				.current_dir(&repo)
				.args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
				.args(&args)
				.status()
				.unwrap();
			assert!(status.success());
		}
		let out =
			Command::new("git").current_dir(&repo).args(["rev-parse", "HEAD"]).output().unwrap();
		String::from_utf8(out.stdout).unwrap().trim().to_owned()
	};
	let broken = commit_all("broken");
	let url = format!("file://{}", repo.display());
	match builder(&dir.path().join("b")).build(&url, &broken, None) {
		Err(BuildError::Failed(log)) => assert!(log.contains("error"), "{log}"),
		other => panic!("{other:?}"),
	}

	// A text module and a prebuilt one are detected and taken as they are.
	for entry in std::fs::read_dir(&repo).unwrap().filter_map(Result::ok) {
		if entry.file_name() != ".git" {
			let path = entry.path();
			if path.is_dir() {
				std::fs::remove_dir_all(path).unwrap()
			} else {
				std::fs::remove_file(path).unwrap()
			}
		}
	}
	std::fs::write(repo.join("service.wat"), MISBEHAVING).unwrap();
	let wat_commit = commit_all("wat");
	let built = builder(&dir.path().join("b")).build(&url, &wat_commit, None).unwrap();
	assert_eq!(built.language, Some(Language::Wat));
	assert_eq!(built.wasm, wat::parse_str(MISBEHAVING).unwrap());
	std::fs::remove_file(repo.join("service.wat")).unwrap();
	std::fs::write(repo.join("greeter.wasm"), greeter()).unwrap();
	let wasm_commit = commit_all("prebuilt");
	let built = builder(&dir.path().join("b"))
		.build(&url, &wasm_commit, Some(code_hash(greeter())))
		.unwrap();
	assert_eq!(built.language, Some(Language::Wasm));
	std::fs::remove_file(repo.join("greeter.wasm")).unwrap();
	std::fs::write(repo.join("README"), "nothing to build").unwrap();
	let nothing = commit_all("nothing");
	match builder(&dir.path().join("b")).build(&url, &nothing, None) {
		Err(error @ BuildError::UnknownLanguage(_)) => {
			assert!(error.to_string().contains("supported"), "{error}")
		}
		other => panic!("{other:?}"),
	}
}

/// A module that answers `v2` to everything.
const V2: &str = r#"
(module
  (import "micro" "respond" (func $respond (param i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "v2")
  (func (export "micro_abi_version") (result i32) (i32.const 1))
  (func (export "micro_alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "micro_handle") (param i32 i32 i32 i32 i32) (result i32)
    (call $respond (i32.const 16) (i32.const 2))
    (i32.const 0)))
"#;

/// A module that traps on every call.
const BROKEN: &str = r#"
(module
  (memory (export "memory") 1)
  (func (export "micro_abi_version") (result i32) (i32.const 1))
  (func (export "micro_alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "micro_handle") (param i32 i32 i32 i32 i32) (result i32) unreachable))
"#;

#[test]
fn calls_go_to_the_newest_healthy_version_unless_one_is_named() {
	let executor = executor();
	let v1 = executor.load(greeter(), None).unwrap();
	let v2 = executor.load(&wat::parse_str(V2).unwrap(), None).unwrap();
	let v3 = executor.load(&wat::parse_str(BROKEN).unwrap(), None).unwrap();
	let deployment = Deployment::new("greeter", executor, Arc::new(Isolated), 1 << 20);
	let hello = |version: Option<u32>| {
		deployment.call("t", version, "Say.Hello", br#"{"name":"v"}"#, ContentType::Json)
	};
	deployment.start(1, v1).unwrap();
	assert_eq!(hello(None).unwrap(), br#"{"msg":"Hello v"}"#);
	deployment.start(2, v2).unwrap();
	assert_eq!(hello(None).unwrap(), b"v2", "the new version takes the calls");
	assert_eq!(hello(Some(1)).unwrap(), br#"{"msg":"Hello v"}"#, "the old one still serves");
	assert_eq!(hello(Some(7)).unwrap_err().code, 404);
	assert!(deployment.start(2, v1).is_err(), "a version's code never changes");

	// A broken version 3 fails its calls until it is judged unhealthy; then calls go to 2.
	deployment.start(3, v3).unwrap();
	for _ in 0..3 {
		assert_eq!(hello(None).unwrap_err().code, 500);
	}
	assert_eq!(hello(None).unwrap(), b"v2");
	assert_eq!(hello(Some(3)).unwrap_err().code, 500, "named, it is still tried");
	let healthy: Vec<(u32, bool)> =
		deployment.versions().iter().map(|v| (v.version, v.healthy)).collect();
	assert_eq!(healthy, vec![(1, true), (2, true), (3, false)]);
	assert!(deployment.retire(2));
	assert_eq!(hello(None).unwrap(), br#"{"msg":"Hello v"}"#, "after 2 retires, 1 answers");
}

#[tokio::test(flavor = "multi_thread")]
async fn greeter_answers_over_mucp() {
	let dir = tempfile::tempdir().unwrap();
	let peer = Peer::start(PeerConfig::new(dir.path().join("broker.redb"))).await.unwrap();
	let executor = executor();
	let v1 = executor.load(greeter(), None).unwrap();
	let v2 = executor.load(&wat::parse_str(V2).unwrap(), None).unwrap();
	let deployment = Arc::new(Deployment::new("greeter", executor, Arc::new(Isolated), 1 << 20));
	deployment.start(1, v1).unwrap();
	let endpoints = vec![Endpoint::new("Say.Hello", "Request", "Response")];
	peer.serve(wasm_service(deployment.clone(), "1", endpoints.clone())).unwrap();
	let reply = peer.call("greeter", "Say.Hello", br#"{"name":"MUCP"}"#.to_vec()).await.unwrap();
	assert_eq!(reply.body, br#"{"msg":"Hello MUCP"}"#);
	let error = peer.call("greeter", "Say.Hello", br#"{}"#.to_vec()).await.unwrap_err();
	assert_eq!(error.code, 400);

	// Version 2 starts beside 1: calls go to it unless they name 1.
	deployment.start(2, v2).unwrap();
	peer.serve(wasm_service(deployment, "2", endpoints)).unwrap();
	let reply = peer.call("greeter", "Say.Hello", br#"{"name":"MUCP"}"#.to_vec()).await.unwrap();
	assert_eq!(reply.body, b"v2");
	let named = Message::call("named", "greeter", "Say.Hello", br#"{"name":"one"}"#.to_vec())
		.with(VERSION_HEADER, "1");
	let reply = peer.call_with(named, peer.call_options()).await.unwrap();
	assert_eq!(reply.body, br#"{"msg":"Hello one"}"#);
	peer.shutdown().await;
}

/// A module that calls greeter over MUCP, publishes the answer to `events`, and returns it.
const RELAY: &str = r#"
(module
  (import "micro" "call" (func $call (param i32 i32 i32 i32 i32 i32) (result i32)))
  (import "micro" "take_result" (func $take (param i32)))
  (import "micro" "publish" (func $publish (param i32 i32 i32 i32) (result i32)))
  (import "micro" "respond" (func $respond (param i32 i32)))
  (import "micro" "fail" (func $fail (param i32 i32 i32)))
  (import "micro" "result_len" (func $result_len (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "greeter")
  (data (i32.const 96) "publishing failed")
  (data (i32.const 16) "Say.Hello")
  (data (i32.const 32) "{\"name\":\"relay\"}")
  (data (i32.const 64) "events")
  (func (export "micro_abi_version") (result i32) (i32.const 1))
  (func (export "micro_alloc") (param i32) (result i32) (i32.const 4096))
  (func (export "micro_handle") (param i32 i32 i32 i32 i32) (result i32)
    (local $len i32)
    (local $code i32)
    (local.set $len
      (call $call (i32.const 0) (i32.const 7) (i32.const 16) (i32.const 9) (i32.const 32) (i32.const 16)))
    (if (i32.lt_s (local.get $len) (i32.const 0))
      (then
        (call $take (i32.const 8192))
        (call $fail (i32.sub (i32.const 0) (local.get $len)) (i32.const 8192) (call $result_len))
        (return (i32.const 0))))
    (call $take (i32.const 8192))
    (local.set $code (call $publish (i32.const 64) (i32.const 6) (i32.const 8192) (local.get $len)))
    (if (local.get $code)
      (then
        (call $fail (local.get $code) (i32.const 96) (i32.const 17))
        (return (i32.const 0))))
    (call $respond (i32.const 8192) (local.get $len))
    (i32.const 0)))
"#;

#[tokio::test(flavor = "multi_thread")]
async fn a_service_calls_another_and_publishes_over_mucp() {
	let dir = tempfile::tempdir().unwrap();
	let peer =
		Arc::new(Peer::start(PeerConfig::new(dir.path().join("broker.redb"))).await.unwrap());
	// The relay's deadline covers a nested call and a durable publish (an fsync), which a
	// loaded two-core CI machine can take longer than the 200 ms the other tests allow.
	let executor = executor_with_deadline(Duration::from_secs(5));
	let host: Arc<PeerHost> = Arc::new(PeerHost::new(&peer, tokio::runtime::Handle::current()));
	let endpoint = |name: &str| vec![Endpoint::new(name, "Request", "Response")];
	for (name, wasm, endpoints) in [
		("greeter", greeter().to_vec(), endpoint("Say.Hello")),
		("relay", wat::parse_str(RELAY).unwrap(), endpoint("Relay.Hello")),
	] {
		let hash = executor.load(&wasm, None).unwrap();
		let deployment = Arc::new(Deployment::new(name, executor.clone(), host.clone(), 1 << 20));
		deployment.start(1, hash).unwrap();
		peer.serve(wasm_service(deployment, "1", endpoints)).unwrap();
	}
	let mut events = peer.subscribe("events", None).unwrap();
	let reply = peer.call("relay", "Relay.Hello", b"{}".to_vec()).await.unwrap();
	assert_eq!(reply.body, br#"{"msg":"Hello relay"}"#);
	let delivery = tokio::time::timeout(Duration::from_secs(10), events.next())
		.await
		.expect("the publication arrives")
		.expect("a delivery");
	assert_eq!(delivery.message.body, br#"{"msg":"Hello relay"}"#);
	drop(events);
	drop(host);
	Arc::try_unwrap(peer).ok().expect("the only reference").shutdown().await;
}
