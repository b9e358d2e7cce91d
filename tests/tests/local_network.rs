//! The four-validator `local` network (Alice, Bob, Charlie, Dave) on one machine finalizes, and
//! all four nodes agree on the finalized chain.

use std::time::Duration;

use jsonrpsee::rpc_params;
use micro_tests::start_local_network;

#[tokio::test(flavor = "multi_thread")]
async fn four_validators_finalize_the_same_blocks() {
	let nodes = start_local_network().await.expect("the four validators start");

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
