//! The four-validator `local` network (Alice, Bob, Charlie, Dave) on one machine finalizes, and
//! all four nodes agree on the finalized chain.

use std::time::Duration;

use jsonrpsee::rpc_params;
use micro_tests::TestNode;

#[tokio::test(flavor = "multi_thread")]
async fn four_validators_finalize_the_same_blocks() {
	let alice = TestNode::start("alice", &["--chain", "local", "--alice", "--validator"])
		.await
		.expect("alice starts");
	let peer_id: String = alice.rpc("system_localPeerId", rpc_params![]).await.unwrap();
	let bootnode = format!("/ip4/127.0.0.1/tcp/{}/p2p/{peer_id}", alice.p2p_port);

	let mut nodes = vec![alice];
	for name in ["bob", "charlie", "dave"] {
		let flag = format!("--{name}");
		let node = TestNode::start(
			name,
			&["--chain", "local", &flag, "--validator", "--bootnodes", &bootnode],
		)
		.await
		.unwrap_or_else(|e| panic!("{name} starts: {e}"));
		nodes.push(node);
	}

	// GRANDPA needs more than two thirds of the four voters; finality past a few blocks shows
	// the network formed and votes flow.
	let target = 3;
	let mut finalized = Vec::new();
	for node in &nodes {
		finalized.push(node.wait_finalized(target, Duration::from_secs(240)).await.unwrap());
	}

	// Every node holds the same block at each finalized height they share.
	let common = *finalized.iter().min().unwrap();
	for number in 1..=common {
		let mut hashes = Vec::new();
		for node in &nodes {
			hashes.push(node.block_hash(number).await.unwrap().expect("finalized block known"));
		}
		assert!(
			hashes.windows(2).all(|w| w[0] == w[1]),
			"nodes disagree on finalized block #{number}: {hashes:?}"
		);
	}

	// The network meshes: each node finds the three others (through Alice and Kademlia).
	for node in &nodes {
		node.wait_for("three peers", Duration::from_secs(60), || async {
			let health: serde_json::Value = node.rpc("system_health", rpc_params![]).await.ok()?;
			(health["peers"] == 3).then_some(())
		})
		.await
		.unwrap();
	}
}
