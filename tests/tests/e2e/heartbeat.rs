//! A registered node's worker keeps it online by itself: it heartbeats on-chain, signed by its
//! node key, with no account paying, every quarter of the heartbeat TTL.
//!
//! Before it registers, a web page tries to register the node under its own operator through
//! the node's RPC (as any page can reach a `--dev` node's, or a rebinding page a loopback one):
//! without the node's RPC token, which lives in a file on the node's machine, it cannot.

use std::{
	io::{Read, Write},
	net::TcpStream,
	time::Duration,
};

use micro_tests::{
	chain::{submit, try_view, Client},
	cli_binary, TestNode,
};
use subxt::{dynamic::Value, ext::codec::Encode};
use subxt_signer::sr25519::dev;

/// The heartbeat TTL the test sets, in blocks: the worker then heartbeats every 4 blocks.
const TTL: u32 = 16;

/// The node's last heartbeat block, as the chain records it.
async fn last_heartbeat(api: &Client, node: u32) -> u128 {
	let info: Value = try_view(api, "MicroNodes", "node", &node.encode()).await.unwrap();
	let info = micro_cli::values::some(&info).expect("the node is registered");
	micro_cli::values::field(info, "last_heartbeat").and_then(micro_cli::values::number).unwrap()
}

/// Posts a JSON-RPC request to 127.0.0.1:`port` as a browser page at `site` sends it, by the
/// name `host` (`site` itself once its name rebound to 127.0.0.1); returns the whole answer.
fn post_from_page(
	port: u16,
	host: &str,
	site: &str,
	method: &str,
	params: serde_json::Value,
) -> String {
	let body = serde_json::json!({ "jsonrpc": "2.0", "id": 1, "method": method, "params": params })
		.to_string();
	let request = format!(
		"POST / HTTP/1.1\r\nHost: {host}:{port}\r\nOrigin: http://{site}:{port}\r\n\
		 Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
		body.len()
	);
	let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("the RPC listens");
	stream.write_all(request.as_bytes()).unwrap();
	let mut answer = String::new();
	stream.read_to_string(&mut answer).unwrap();
	answer
}

#[tokio::test(flavor = "multi_thread")]
async fn the_worker_heartbeats_with_its_node_key() {
	let node = TestNode::start("heartbeat", &["--dev"]).await.expect("dev node starts");
	node.wait_finalized(1, Duration::from_secs(120)).await.expect("dev node finalizes");
	let api = Client::from_insecure_url(node.ws_url()).await.expect("subxt connects");

	// The attack: a page asks for the node key's proof bound to its owner's account (//Eve).
	// Through a rebound name the `Host` filter refuses it, even on --dev.
	let eve = dev::eve().public_key().to_account_id().to_string();
	let params = serde_json::json!([eve, 0]);
	let answer =
		post_from_page(node.rpc_port, "evil.example", "evil.example", "micro_nodeKeyProof", params);
	assert!(answer.starts_with("HTTP/1.1 403"), "{answer}");
	// Sent to 127.0.0.1 by any page (a WebSocket is not subject to CORS), with no token or a
	// guessed one, the method refuses. The answer names the file, never its contents.
	for params in [serde_json::json!([eve, 0]), serde_json::json!([eve, 0, "00".repeat(32)])] {
		let answer = post_from_page(
			node.rpc_port,
			"127.0.0.1",
			"evil.example",
			"micro_nodeKeyProof",
			params,
		);
		assert!(answer.contains("needs this node's RPC token"), "{answer}");
		assert!(!answer.contains("\"proof\""), "{answer}");
	}
	// A token file that cannot be read is a clear error, and nothing is registered.
	let missing = tokio::process::Command::new(cli_binary())
		.args(["--url", &node.ws_url(), "--seed", "//Alice", "node", "register"])
		.args(["--node-token-file", "/nonexistent/rpc.token"])
		.output()
		.await
		.expect("micro runs");
	let stderr = String::from_utf8_lossy(&missing.stderr);
	assert!(!missing.status.success() && stderr.contains("/nonexistent/rpc.token"), "{stderr}");

	let registered = tokio::process::Command::new(cli_binary())
		.args(["--url", &node.ws_url(), "--seed", "//Alice", "--json", "node", "register"])
		.output()
		.await
		.expect("micro runs");
	assert!(registered.status.success(), "{}", String::from_utf8_lossy(&registered.stderr));
	let registered: serde_json::Value = serde_json::from_slice(&registered.stdout).unwrap();
	let id = registered["node"].as_u64().expect("the node's id") as u32;
	let at_registration = last_heartbeat(&api, id).await;

	let set_ttl = subxt::dynamic::transaction(
		"Sudo",
		"sudo",
		(Value::unnamed_variant(
			"MicroNodes",
			[Value::named_variant("set_heartbeat_ttl", [("ttl", Value::u128(TTL.into()))])],
		),),
	);
	submit(&api, set_ttl, &dev::alice()).await.expect("the TTL changes");

	// Two heartbeats at least: the worker keeps going, each one later than the last.
	let mut seen = vec![at_registration];
	let deadline = tokio::time::Instant::now() + Duration::from_secs(180);
	while seen.len() < 3 {
		assert!(tokio::time::Instant::now() < deadline, "heartbeats: {seen:?}\n{}", node.log());
		let last = last_heartbeat(&api, id).await;
		if last > *seen.last().unwrap() {
			seen.push(last);
		}
		tokio::time::sleep(Duration::from_secs(1)).await;
	}
	let nodes: Vec<(u32, bool)> = micro_tests::chain::view(&api, "MicroNodes", "nodes", &[]).await;
	let online = nodes.iter().any(|(n, online)| *n == id && *online);
	assert!(online, "the node is online by its own heartbeats");
}
