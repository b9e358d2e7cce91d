//! The web console every node serves at `/`, in a real headless Chromium against a `--dev`
//! node, as people would use it (`web/tests/console.mjs` drives the browser):
//!
//! 1. Alice registers her node, deploys greeter and places it; Ferdie buys API tokens and
//!    signs an allowance for Alice's node (with `micro`);
//! 2. the network page lists the node, its chain, its peer graph, its on-chain record (online,
//!    capacity, score) and greeter running on it;
//! 3. greeter's form, generated from its fields, is filled and submitted: unpaid, the refusal
//!    says in words what to do; with the allowance, the answer is shown;
//! 4. the wallet: //Ferdie buys API tokens and signs an allowance in the page, and a paid call
//!    of greeter from the Services page uses it; //Alice sees her greeter NFT and her voice;
//!    an account of a (fake) polkadot.js extension buys tokens;
//! 5. a message that waited in the inbox reaches a page that subscribes later, and two pages
//!    (two people's browsers) chat on a topic; topics come back paused after a reload;
//! 6. the page's light client (smoldot, syncing from the node's WebSocket p2p address)
//!    verifies the finalized head and greeter's owner (Alice) with proofs, and still shows
//!    Alice when the node's RPC is made to lie, flagging the RPC's answer; its genesis is the
//!    chain's, and a pinned foreign genesis is reported as another chain;
//! 7. a phone-sized screen scrolls no page sideways, and nothing is fetched from beyond the
//!    node.
//!
//! Screenshots of each page land in `$CARGO_TARGET_DIR/web-console-screenshots`, or in
//! `docs/screenshots` (the README's and docs/operations.md's) with `MICRO_UPDATE_SCREENSHOTS=1`.

use crate::examples;

use std::{path::PathBuf, time::Duration};

use micro_tests::{
	cli::{eventually, json, ok},
	workspace_root, TestNode,
};
use serde_json::Value;
use tokio::process::Command;

/// Where the test run puts its screenshots.
fn screenshots() -> PathBuf {
	if std::env::var_os("MICRO_UPDATE_SCREENSHOTS").is_some() {
		return workspace_root().join("docs/screenshots");
	}
	std::env::var_os("CARGO_TARGET_DIR")
		.map_or_else(|| workspace_root().join("target"), PathBuf::from)
		.join("web-console-screenshots")
}

#[tokio::test(flavor = "multi_thread")]
async fn the_console_shows_the_network_calls_a_service_and_chats_in_a_browser() {
	let node = TestNode::start("console", &["--dev", "--mucp-allow-local-sources"])
		.await
		.expect("the dev node starts");
	node.wait_finalized(1, Duration::from_secs(180)).await.expect("blocks are finalized");

	// 1. Alice's node runs greeter; Ferdie can pay for it.
	let registered = json(&node, "//Alice", &["node", "register"]).await;
	let id = registered["node"].as_u64().expect("a node id");
	eventually("the worker knows its on-chain id", Duration::from_secs(60), || async {
		json(&node, "//Alice", &["node", "show"]).await["nodeId"].as_u64() == Some(id)
	})
	.await;
	let dir = tempfile::tempdir().unwrap();
	let (repo, commit) = examples::greeter_repository(dir.path());
	json(&node, "//Alice", &["services", "deploy", repo.to_str().unwrap(), &commit]).await;
	ok(&node, "//Alice", &["services", "place", "greeter", "1", "--node", &id.to_string()]).await;
	eventually("greeter runs on the node", Duration::from_secs(300), || async {
		let services: Value =
			node.rpc("micro_networkServices", jsonrpsee::rpc_params![]).await.unwrap();
		services.as_array().is_some_and(|all| all.iter().any(|s| s["name"] == "greeter"))
	})
	.await;
	ok(&node, "//Ferdie", &["tokens", "buy", "100"]).await;
	let allowance = ok(
		&node,
		"//Ferdie",
		&["allowance", "sign", "--service", "greeter", "--node", &id.to_string(), "--calls", "10"],
	)
	.await;
	let identity: Value = node.rpc("micro_identity", jsonrpsee::rpc_params![]).await.unwrap();
	let genesis = node.block_hash(0).await.unwrap().expect("a genesis block");

	// 2-7. The browser.
	let output = Command::new("node")
		.arg(workspace_root().join("web/tests/console.mjs"))
		.env("CONSOLE_URL", node.gateway_url())
		.env("PEER_ID", identity["peerId"].as_str().unwrap())
		.env("ALLOWANCE", &allowance)
		.env("SCREENSHOTS", screenshots())
		.env("GENESIS", &genesis)
		.output()
		.await
		.expect("node runs web/tests/console.mjs (./scripts/setup.sh installs Node.js)");
	let stdout = String::from_utf8_lossy(&output.stdout);
	let stderr = String::from_utf8_lossy(&output.stderr);
	assert!(
		output.status.success(),
		"the console test failed:\n{stdout}\n{stderr}\nthe node's log ends:\n{}",
		node.log()
	);
	assert!(stdout.contains("console test: all passed"), "{stdout}");
}
