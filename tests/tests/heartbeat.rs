//! A registered node's worker keeps it online by itself: it heartbeats on-chain, signed by its
//! node key, with no account paying, every quarter of the heartbeat TTL.

use std::time::Duration;

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

#[tokio::test(flavor = "multi_thread")]
async fn the_worker_heartbeats_with_its_node_key() {
	let node = TestNode::start("heartbeat", &["--dev"]).await.expect("dev node starts");
	node.wait_finalized(1, Duration::from_secs(120)).await.expect("dev node finalizes");
	let api = Client::from_insecure_url(node.ws_url()).await.expect("subxt connects");

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
