//! Governance on the four-validator `local` network, which has no sudo key: Alice, Bob and
//! Charlie register nodes (which gives them voting weight), Alice proposes a new heartbeat TTL,
//! the three vote for it over RPC, and the chain enacts it by itself after the voting period
//! and the enactment delay. Nobody holds a privileged key at any point.

use std::time::Duration;

use ed25519_dalek::SigningKey;
use futures::future::join_all;
use micro_tests::{
	chain::{event, register_node, submit, view, Client},
	start_local_network,
};
use subxt::{
	dynamic::{self, Value},
	ext::codec::Encode,
	ext::scale_decode::{self, DecodeAsType},
	utils::AccountId32,
};
use subxt_signer::sr25519;

/// The TTL the proposal sets (the preset's is an hour, 600 blocks).
const NEW_TTL: u32 = 1_234;

#[derive(Debug, DecodeAsType)]
#[decode_as_type(crate_path = "scale_decode")]
struct Proposed {
	index: u32,
	ends: u32,
}

#[derive(Debug, DecodeAsType)]
#[decode_as_type(crate_path = "scale_decode")]
struct Voted {
	weight: u64,
}

async fn heartbeat_ttl(api: &Client) -> u32 {
	let at = api.at_current_block().await.expect("a block");
	let address = dynamic::storage::<(), u32>("MicroNodes", "HeartbeatTtl");
	at.storage().fetch(address, ()).await.expect("the TTL is set").decode().expect("a u32")
}

#[tokio::test(flavor = "multi_thread")]
async fn a_parameter_change_is_voted_by_reputation_and_enacted_by_the_chain() {
	let nodes = start_local_network().await.expect("the four validators start");
	nodes[0].wait_finalized(1, Duration::from_secs(240)).await.expect("the network finalizes");
	let api = Client::from_insecure_url(nodes[0].ws_url()).await.expect("subxt connects");

	// No sudo key on this chain.
	let at = api.at_current_block().await.unwrap();
	let sudo_key = at
		.storage()
		.try_fetch(dynamic::storage::<(), AccountId32>("Sudo", "Key"), ())
		.await
		.expect("storage reads");
	assert!(sudo_key.is_none(), "the local testnet has no sudo key");
	let before = heartbeat_ttl(&api).await;
	assert_ne!(before, NEW_TTL);

	// Alice, Bob and Charlie each register a node: a score of 0 plus one, weight 1 each.
	let voters = [sr25519::dev::alice(), sr25519::dev::bob(), sr25519::dev::charlie()];
	let registrations = voters.iter().enumerate().map(|(index, voter)| {
		let api = api.clone();
		let key = SigningKey::from_bytes(&sp_crypto_hashing::blake2_256(&[index as u8; 4]));
		async move { register_node(&api, voter, &key).await }
	});
	for result in join_all(registrations).await {
		result.expect("the node registers");
	}
	let dave: AccountId32 = sr25519::dev::dave().public_key().into();
	let dave_weight: u64 = view(&api, "Governance", "voting_weight", &dave.encode()).await;
	assert_eq!(dave_weight, 0, "no node, no vote");

	// Alice proposes the change on the standard track.
	let change = Value::unnamed_variant(
		"MicroNodes",
		[Value::named_variant("set_heartbeat_ttl", [("ttl", Value::u128(NEW_TTL.into()))])],
	);
	let propose = dynamic::transaction(
		"Governance",
		"propose",
		(Value::unnamed_variant("Standard", []), change),
	);
	let events = submit(&api, propose, &voters[0]).await.expect("Alice proposes");
	let proposed = event::<Proposed>(&events, "Governance", "Proposed");

	// Dave, who has no weight, cannot vote; the three others do, once each.
	let vote = |aye: bool| dynamic::transaction("Governance", "vote", (proposed.index, aye));
	let refused = submit(&api, vote(true), &sr25519::dev::dave()).await;
	assert!(refused.unwrap_err().contains("NoVotingWeight"), "Dave has no weight");
	let votes = voters.iter().map(|voter| {
		let api = api.clone();
		async move { submit(&api, vote(true), voter).await }
	});
	for events in join_all(votes).await {
		let voted = event::<Voted>(&events.expect("the vote counts"), "Governance", "Voted");
		assert_eq!(voted.weight, 1);
	}
	let again = submit(&api, vote(false), &voters[1]).await;
	assert!(again.unwrap_err().contains("AlreadyVoted"), "a second vote is refused");

	// The chain decides at `ends` and enacts two blocks later, by itself.
	let enact_at = proposed.ends + 2;
	nodes[0]
		.wait_for("the change to be enacted", Duration::from_secs(240), || async {
			(heartbeat_ttl(&api).await == NEW_TTL).then_some(())
		})
		.await
		.expect("the new TTL is enacted");
	let best = nodes[0].best_number().await.unwrap();
	assert!(best >= enact_at, "enacted at block {enact_at} or later, now {best}");
	for node in &nodes[1..] {
		let api = Client::from_insecure_url(node.ws_url()).await.expect("subxt connects");
		node.wait_for("every validator to see it", Duration::from_secs(60), || async {
			(heartbeat_ttl(&api).await == NEW_TTL).then_some(())
		})
		.await
		.expect("every validator agrees");
	}
}
