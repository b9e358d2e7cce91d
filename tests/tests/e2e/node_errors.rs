//! A node given bad input exits with a clear one-line reason, never a panic trace.

use std::net::TcpListener;

use micro_tests::{free_port, run_node_command};

fn assert_clean_failure(output: &std::process::Output, expected: &[&str]) {
	let stderr = String::from_utf8_lossy(&output.stderr);
	let stdout = String::from_utf8_lossy(&output.stdout);
	let all = format!("{stdout}{stderr}");
	assert!(!output.status.success(), "the node should fail:\n{all}");
	assert!(!all.contains("panicked"), "a panic instead of an error:\n{all}");
	assert!(!all.contains("RUST_BACKTRACE"), "a panic trace instead of an error:\n{all}");
	assert!(stderr.contains("Error:"), "no error line on stderr:\n{all}");
	for needle in expected {
		assert!(all.contains(needle), "`{needle}` missing from the error:\n{all}");
	}
}

/// Runs a `--dev` node on the given RPC and p2p ports, its worker on free ones, quiet
/// otherwise, until it exits.
fn run_dev_node(rpc_port: &str, p2p_port: &str, extra: &[&str]) -> std::process::Output {
	run_dev_node_with_gateway(rpc_port, p2p_port, &format!("127.0.0.1:{}", free_port()), extra)
}

/// [`run_dev_node`] with its gateway on `gateway`.
fn run_dev_node_with_gateway(
	rpc_port: &str,
	p2p_port: &str,
	gateway: &str,
	extra: &[&str],
) -> std::process::Output {
	let mucp = format!("/ip4/127.0.0.1/tcp/{}", free_port());
	let mut args = vec![
		"--dev",
		"--rpc-port",
		rpc_port,
		"--port",
		p2p_port,
		"--no-prometheus",
		"--no-telemetry",
		"--no-mdns",
		"--gateway",
		gateway,
		"--mucp-listen",
		&mucp,
	];
	args.extend_from_slice(extra);
	run_node_command(&args)
}

fn scratch(name: &str) -> tempfile::TempDir {
	tempfile::Builder::new().prefix(&format!("micro-node-{name}-")).tempdir().unwrap()
}

#[test]
fn bad_chain_spec_path_is_a_clear_error() {
	let output = run_node_command(&["--chain", "/nonexistent/spec.json", "--tmp"]);
	assert_clean_failure(&output, &["/nonexistent/spec.json"]);
}

#[test]
fn malformed_chain_spec_is_a_clear_error() {
	let dir = scratch("bad-spec");
	let spec = dir.path().join("spec.json");
	std::fs::write(&spec, "{ this is not json").unwrap();
	let output = run_node_command(&["--chain", spec.to_str().unwrap(), "--tmp"]);
	assert_clean_failure(&output, &["spec.json"]);
}

#[test]
fn taken_rpc_port_is_a_clear_error() {
	let listener = TcpListener::bind("127.0.0.1:0").unwrap();
	let port = listener.local_addr().unwrap().port().to_string();
	let output = run_dev_node(&port, &free_port().to_string(), &["--tmp"]);
	assert_clean_failure(&output, &[&port, "already in use", "--rpc-port"]);
	drop(listener);
}

#[test]
fn taken_p2p_port_is_a_clear_error() {
	let listener = TcpListener::bind("0.0.0.0:0").unwrap();
	let port = listener.local_addr().unwrap().port().to_string();
	let output = run_dev_node(&free_port().to_string(), &port, &["--tmp"]);
	assert_clean_failure(&output, &[&format!(":{port}"), "already in use", "--port"]);
	drop(listener);
}

#[test]
fn taken_gateway_port_is_a_clear_error() {
	let listener = TcpListener::bind("127.0.0.1:0").unwrap();
	let port = listener.local_addr().unwrap().port().to_string();
	let gateway = format!("127.0.0.1:{port}");
	let output = run_dev_node_with_gateway(
		&free_port().to_string(),
		&free_port().to_string(),
		&gateway,
		&["--tmp"],
	);
	assert_clean_failure(&output, &[&port, "already in use", "--gateway"]);
	drop(listener);
}

#[test]
fn corrupt_database_is_a_clear_error() {
	let dir = scratch("corrupt-db");
	let db = dir.path().join("chains").join("micro_dev").join("paritydb").join("full");
	std::fs::create_dir_all(&db).unwrap();
	// ParityDB keeps its layout in `metadata`; garbage there is a corrupt database.
	std::fs::write(db.join("metadata"), b"\x00\xffnot a parity-db metadata file\x07").unwrap();
	for table in ["index_00_16", "table_00_00"] {
		std::fs::write(db.join(table), vec![0xa5; 4096]).unwrap();
	}
	let output = run_dev_node(
		&free_port().to_string(),
		&free_port().to_string(),
		&["--base-path", dir.path().to_str().unwrap()],
	);
	assert_clean_failure(&output, &["cannot open the database", "purge-chain"]);
}

#[test]
fn taken_light_client_port_is_a_clear_error() {
	let listener = TcpListener::bind("0.0.0.0:0").unwrap();
	let port = listener.local_addr().unwrap().port().to_string();
	let output = run_dev_node(
		&free_port().to_string(),
		&free_port().to_string(),
		&["--tmp", "--light-client-port", &port],
	);
	assert_clean_failure(&output, &[&format!(":{port}"), "already in use", "--light-client-port"]);
	drop(listener);
}
