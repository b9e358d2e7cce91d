//! The README's five minutes on `--dev`, exactly as a newcomer types them, from an empty
//! directory with a fresh `micro` data directory: `micro new hello`, `cargo test`, `micro build`, `micro run`
//! answering a call and reloading an edit, `git init` and commit, a node started with `micro
//! server --dev`, `micro node register`, `micro services deploy . HEAD --place 0`, a paid call
//! through the gateway, `micro logs` and `micro status`, and the usage settled to the unit.

use std::{
	io::{BufRead, BufReader},
	path::Path,
	process::{Command, Stdio},
	sync::{Arc, Mutex},
	time::Duration,
};

use micro_cli::gateway::Gateway;
use micro_tests::{
	cli::{eventually, json, ok},
	cli_binary, free_port, TestNode,
};
use serde_json::Value;

/// `program args` in `dir`, as the newcomer's shell runs it: their own cargo target directory
/// and `micro`'s data in `data`; expects success and returns stdout.
fn shell(dir: &Path, data: &Path, program: &Path, args: &[&str]) -> String {
	let output = command(dir, data, program)
		.args(args)
		.output()
		.unwrap_or_else(|e| panic!("{} runs: {e}", program.display()));
	assert!(
		output.status.success(),
		"{} {args:?} failed:\n{}\n{}",
		program.display(),
		String::from_utf8_lossy(&output.stdout),
		String::from_utf8_lossy(&output.stderr)
	);
	String::from_utf8_lossy(&output.stdout).into_owned()
}

fn command(dir: &Path, data: &Path, program: &Path) -> Command {
	let mut command = Command::new(program);
	command
		.current_dir(dir)
		.env("XDG_DATA_HOME", data)
		.env_remove("CARGO_TARGET_DIR")
		.env_remove("MICRO_SEED")
		.env("GIT_AUTHOR_NAME", "Ada")
		.env("GIT_AUTHOR_EMAIL", "ada@example.com")
		.env("GIT_COMMITTER_NAME", "Ada")
		.env("GIT_COMMITTER_EMAIL", "ada@example.com")
		.stdin(Stdio::null());
	command
}

/// Calls `Say.Hello` through the gateway at `gateway` with `allowances`.
async fn hello(gateway: &str, allowances: &[String]) -> Result<Value, String> {
	let answer = Gateway::new(gateway)
		.call("hello", "Say.Hello", r#"{"name":"Ada"}"#, allowances, None)
		.await
		.map_err(|e| e.to_string())?;
	serde_json::from_slice(&answer).map_err(|e| e.to_string())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_newcomer_goes_from_nothing_to_a_paid_call_of_their_own_service() {
	let home = tempfile::tempdir().unwrap();
	let (work, data) = (home.path().join("work"), home.path().join("data"));
	std::fs::create_dir_all(&work).unwrap();
	let (micro, cargo) = (cli_binary(), std::env::var_os("CARGO").unwrap_or("cargo".into()));
	let project = work.join("hello");

	// micro new hello && cd hello && cargo test
	let made = shell(&work, &data, &micro, &["new", "hello"]);
	assert!(made.contains("hello/src/lib.rs"), "{made}");
	for file in ["Cargo.toml", "Cargo.lock", "micro.json", "README.md", ".gitignore"] {
		assert!(project.join(file).is_file(), "micro new wrote {file}");
	}
	let tested = command(&project, &data, Path::new(&cargo)).arg("test").output().unwrap();
	let report = String::from_utf8_lossy(&tested.stdout);
	assert!(tested.status.success() && report.contains("3 passed"), "cargo test: {report}");

	// micro build: the module, its size and code hash.
	let built = shell(&project, &data, &micro, &["build"]);
	assert!(
		built.starts_with("built ")
			&& built.contains("hello.wasm (")
			&& built.contains("code hash 0x"),
		"{built}"
	);
	assert!(project.join("target/wasm32v1-none/release/hello.wasm").is_file(), "{built}");

	// micro run: answers a call, prints it and the line the service logged, reloads an edit.
	let port = free_port();
	let mut run = command(&project, &data, &micro)
		.args(["run", "--listen", &format!("127.0.0.1:{port}")])
		.stdout(Stdio::piped())
		.stderr(Stdio::null())
		.spawn()
		.unwrap();
	let printed = Arc::new(Mutex::new(String::new()));
	let reader = {
		let (stdout, printed) = (run.stdout.take().unwrap(), printed.clone());
		std::thread::spawn(move || {
			for line in BufReader::new(stdout).lines().map_while(Result::ok) {
				printed.lock().unwrap().push_str(&(line + "\n"));
			}
		})
	};
	let local = format!("http://127.0.0.1:{port}");
	eventually("micro run serves hello", Duration::from_secs(180), || async {
		hello(&local, &[]).await.is_ok()
	})
	.await;
	assert_eq!(hello(&local, &[]).await.unwrap()["msg"], "Hello Ada");
	let lib = project.join("src/lib.rs");
	let source = std::fs::read_to_string(&lib).unwrap();
	std::fs::write(&lib, source.replace(r#"{{"msg":"Hello {name}"}}"#, r#"{{"msg":"Hi {name}"}}"#))
		.unwrap();
	eventually("micro run reloads the edit", Duration::from_secs(120), || async {
		hello(&local, &[]).await.is_ok_and(|answer| answer["msg"] == "Hi Ada")
	})
	.await;
	std::fs::write(&lib, &source).unwrap();
	let _ = Command::new("kill").args(["-INT", &run.id().to_string()]).status();
	let status = run.wait().unwrap();
	reader.join().unwrap();
	let printed = printed.lock().unwrap().clone();
	assert!(status.success(), "micro run stops cleanly on Ctrl-C: {status:?}\n{printed}");
	assert!(printed.contains(&format!("serving hello at {local}/hello/")), "{printed}");
	assert!(printed.contains("call Say.Hello: 200"), "{printed}");
	assert!(printed.contains("log info: saying hello to Ada"), "{printed}");
	assert!(printed.contains("reloaded: code hash 0x"), "{printed}");

	// git init -q && git add . && git commit -qm hello
	let git = Path::new("git");
	shell(&project, &data, git, &["init", "-q"]);
	shell(&project, &data, git, &["add", "."]);
	shell(&project, &data, git, &["commit", "-qm", "hello"]);
	let tracked = shell(&project, &data, git, &["ls-files"]);
	assert!(tracked.contains("Cargo.lock") && !tracked.contains(".cargo"), "{tracked}");

	// micro server --dev: the node, with settlement every 3 blocks rather than 10.
	let node = TestNode::start_by(
		"walk-through",
		&micro,
		&["server", "--dev", "--"],
		&["--settlement-interval", "3"],
	)
	.await
	.unwrap();
	let in_project = |args: &[&str]| {
		let mut all =
			vec!["--url".to_owned(), node.ws_url(), "--gateway".into(), node.gateway_url()];
		all.extend(args.iter().map(|arg| arg.to_string()));
		let all: Vec<&str> = all.iter().map(String::as_str).collect();
		shell(&project, &data, &micro, &all)
	};

	// micro node register; micro services deploy . HEAD --place 0
	in_project(&["node", "register"]);
	let deployed = in_project(&["services", "deploy", ".", "HEAD", "--place", "0"]);
	assert!(
		deployed.starts_with("hello: service ") && deployed.contains(", version 1, placed on [0]"),
		"{deployed}"
	);
	eventually(
		"the node builds hello from its commit and runs it",
		Duration::from_secs(300),
		|| async {
			let states = json(&node, "//Alice", &["node", "deployments"]).await;
			let state = states.as_array().and_then(|states| {
				states.iter().find(|s| s["service"] == "hello").map(|s| s["state"].clone())
			});
			assert_ne!(state, Some(Value::from("failed")), "{states}");
			state == Some(Value::from("running"))
		},
	)
	.await;

	// micro tokens buy 100; an allowance; a call with micro and one as curl makes it.
	in_project(&["tokens", "buy", "100"]);
	let spendable = || async {
		let balance = json(&node, "//Alice", &["tokens", "balance"]).await;
		balance["spendable"].as_str().and_then(|n| n.parse::<u128>().ok()).expect("a balance")
	};
	let bought = spendable().await;
	assert!(bought >= 100, "{bought}");
	let allowance =
		in_project(&["allowance", "sign", "--service", "hello", "--node", "0", "--calls", "10"]);
	let allowance = allowance.trim().to_owned();
	let called =
		in_project(&["call", "hello", "Say.Hello", r#"{"name":"Ada"}"#, "--allowance", &allowance]);
	assert!(called.contains("Hello Ada"), "{called}");
	let answer = hello(&node.gateway_url(), &[allowance.clone()]).await.unwrap();
	assert_eq!(answer["msg"], "Hello Ada");

	// micro logs hello; micro status
	let logs = in_project(&["logs", "hello"]);
	assert_eq!(logs.matches("saying hello to Ada").count(), 2, "{logs}");
	let status = in_project(&["status"]);
	assert!(status.contains("hello") && status.contains("running"), "{status}");

	// micro tokens balance: two calls at hello's price of 1, settled on-chain, to the unit.
	eventually("the two calls settle", Duration::from_secs(180), || async {
		spendable().await < bought
	})
	.await;
	assert_eq!(spendable().await, bought - 2);
	let balance = ok(&node, "//Alice", &["tokens", "balance"]).await;
	assert!(balance.contains(&format!("{} spendable", bought - 2)), "{balance}");
}
