//! Validators chosen by the network, on the four-validator `local` network and a fifth node, as
//! operators do it with `micro`:
//!
//! 1. Eve runs a node with `--validator` and no keys, registers it, makes session keys on it
//!    (`micro validator keys`: `author_rotateKeysWithOwner` and `session.setKeys`) and stands as
//!    a candidate (`micro validator apply`), bonding 10,000 MICRO.
//! 2. Alice proposes adding Eve and Bob proposes removing Dave; Alice, Bob and Charlie vote both
//!    through. From the session after the change is planned, Eve is an Aura and GRANDPA
//!    authority and authors blocks; Dave is neither and his bond is unbonding, unslashed.
//! 3. Charlie's node is killed with SIGKILL. After two sessions in a row without a block of
//!    his, the chain removes him by itself and slashes 1% of his bond.
//! 4. Finality continues throughout: with Charlie dead, three of the four GRANDPA voters
//!    (Alice, Bob and Eve) are needed, so Eve votes; and once Charlie's removal applies, the set
//!    of three goes on finalizing.
//!
//! And on a network of its own, a validator whose key seals two blocks for one slot (Dave, run
//! twice) is reported by the others' nodes, slashed and removed.

use std::time::Duration;

use ed25519_dalek::SigningKey;
use futures::future::join_all;
use jsonrpsee::rpc_params;
use micro_tests::{
	chain::{events_in, register_node, view, Client},
	cli, start_local_network, TestNode,
};
use subxt::{
	dynamic,
	ext::codec::Encode,
	ext::scale_decode::{self, DecodeAsType},
	utils::AccountId32,
};
use subxt_signer::sr25519;

/// One MICRO in plancks (12 decimals).
const UNIT: u128 = 1_000_000_000_000;
/// The `local` preset's validator bond.
const BOND: u128 = 10_000 * UNIT;

#[derive(Debug, DecodeAsType)]
#[decode_as_type(crate_path = "scale_decode")]
struct Unbonding {
	amount: u128,
	until: u32,
}

#[derive(Debug, DecodeAsType)]
#[decode_as_type(crate_path = "scale_decode")]
struct Candidate {
	bond: u128,
}

fn account(keypair: &sr25519::Keypair) -> AccountId32 {
	keypair.public_key().into()
}

fn ss58(account: &AccountId32) -> String {
	account.to_string()
}

/// The validators the network chose (they apply at session boundaries).
async fn chosen(api: &Client) -> Vec<AccountId32> {
	view(api, "Validators", "validators", &[]).await
}

/// The validators of the current session: the Aura and GRANDPA authorities.
async fn session_validators(api: &Client) -> Vec<AccountId32> {
	let at = api.at_current_block().await.expect("a block");
	let address = dynamic::storage::<(), Vec<AccountId32>>("Session", "Validators");
	at.storage().fetch(address, ()).await.expect("the session has validators").decode().unwrap()
}

/// Blocks `who` authored in the current session.
async fn authored(api: &Client, who: &AccountId32) -> u32 {
	let at = api.at_current_block().await.expect("a block");
	let address = dynamic::storage::<([u8; 32],), u32>("Validators", "Authored");
	match at.storage().try_fetch(address, (who.0,)).await.expect("storage reads") {
		Some(value) => value.decode().expect("a count"),
		None => 0,
	}
}

/// The number of GRANDPA authorities at the best block.
async fn grandpa_authorities(node: &TestNode) -> usize {
	let result: String = node
		.rpc("state_call", rpc_params!["GrandpaApi_grandpa_authorities", "0x"])
		.await
		.expect("the runtime answers");
	let bytes = mucp_offchain::hex::decode(result.trim_start_matches("0x")).expect("hex");
	// A SCALE vector of (32-byte key, u64 weight): its compact length comes first.
	let count =
		<subxt::ext::codec::Compact<u32> as subxt::ext::codec::Decode>::decode(&mut &bytes[..])
			.expect("a vector");
	count.0 as usize
}

/// Passes `call` (`Pallet.call` with `args`) proposed by `proposer`, the three voters voting
/// aye; returns the proposal's index.
async fn propose(node: &TestNode, proposer: &str, call: &str, args: &str) -> u64 {
	let proposed = cli::json(node, proposer, &["governance", "propose", call, args]).await;
	proposed["index"].as_u64().expect("an index")
}

#[tokio::test(flavor = "multi_thread")]
async fn the_network_votes_validators_in_and_out_and_removes_a_silent_one() {
	let mut nodes = start_local_network().await.expect("the four validators start");
	nodes[0].wait_finalized(1, Duration::from_secs(240)).await.expect("the network finalizes");
	let peer_id: String = nodes[0].rpc("system_localPeerId", rpc_params![]).await.unwrap();
	let bootnode = format!("/ip4/127.0.0.1/tcp/{}/p2p/{peer_id}", nodes[0].p2p_port);
	// Eve's node: a validator's node without keys yet.
	let eve_node =
		TestNode::start("eve", &["--chain", "local", "--validator", "--bootnodes", &bootnode])
			.await
			.expect("Eve's node starts");
	let api = Client::from_insecure_url(nodes[0].ws_url()).await.expect("subxt connects");
	let (alice, bob, charlie, dave, eve) = (
		sr25519::dev::alice(),
		sr25519::dev::bob(),
		sr25519::dev::charlie(),
		sr25519::dev::dave(),
		sr25519::dev::eve(),
	);
	let genesis_set = [&alice, &bob, &charlie, &dave].map(account).to_vec();
	assert_eq!(chosen(&api).await, genesis_set);
	assert_eq!(session_validators(&api).await, genesis_set);

	// The voters and Eve register nodes (Eve's is the one she stands with).
	let registrations = [&alice, &bob, &charlie, &eve].into_iter().enumerate().map(|(i, who)| {
		let api = api.clone();
		let key = SigningKey::from_bytes(&sp_crypto_hashing::blake2_256(&[i as u8 + 40; 4]));
		async move { register_node(&api, who, &key).await }
	});
	let ids: Vec<u32> = join_all(registrations)
		.await
		.into_iter()
		.map(|id| id.expect("the node registers"))
		.collect();
	let eve_node_id = ids[3].to_string();

	// Without session keys, Eve cannot stand.
	let refused = cli::micro(&eve_node, "//Eve", &["validator", "apply", &eve_node_id]).await;
	assert_ne!(refused.code, 0);
	assert!(refused.stderr.contains("NoSessionKeys"), "{}", refused.stderr);
	let keys = cli::json(&eve_node, "//Eve", &["validator", "keys"]).await;
	let keys = keys["keys"].as_str().expect("the keys").to_owned();
	assert_eq!(keys.len(), 2 + 2 * 64, "Aura's and GRANDPA's public keys: {keys}");
	let applied = cli::json(&eve_node, "//Eve", &["validator", "apply", &eve_node_id]).await;
	assert_eq!(applied["bond"].as_str(), Some(BOND.to_string().as_str()));
	let candidate: Option<Candidate> =
		view(&api, "Validators", "candidate", &account(&eve).encode()).await;
	assert_eq!(candidate.expect("Eve stands").bond, BOND);

	// Eve in, Dave out, by two proposals voted together.
	let add = propose(
		&nodes[0],
		"//Alice",
		"Validators.add_validator",
		&format!("({})", ss58(&account(&eve))),
	)
	.await;
	let remove = propose(
		&nodes[1],
		"//Bob",
		"Validators.remove_validator",
		&format!("({})", ss58(&account(&dave))),
	)
	.await;
	// Each voter votes on both, one after the other (one account's transactions take turns
	// for their nonces); the three vote side by side.
	let votes = ["//Alice", "//Bob", "//Charlie"].map(|voter| {
		let node = &nodes[0];
		async move {
			for index in [add, remove] {
				cli::ok(node, voter, &["governance", "vote", &index.to_string(), "aye"]).await;
			}
		}
	});
	join_all(votes).await;
	let with_eve = [&alice, &bob, &charlie, &eve].map(account).to_vec();
	nodes[0]
		.wait_for("the votes to be enacted", Duration::from_secs(240), || async {
			(chosen(&api).await == with_eve).then_some(())
		})
		.await
		.expect("Eve is in and Dave out");
	let dave_back: Option<Unbonding> =
		view(&api, "Validators", "unbonding", &account(&dave).encode()).await;
	assert_eq!(dave_back.expect("Dave's bond is unbonding").amount, BOND, "voted out, unslashed");

	// From the session after next, the authorities are the new set, and Eve authors.
	nodes[0]
		.wait_for("the new set to take its seats", Duration::from_secs(240), || async {
			(session_validators(&api).await == with_eve).then_some(())
		})
		.await
		.expect("the session's validators change");
	assert_eq!(grandpa_authorities(&nodes[0]).await, 4);
	nodes[0]
		.wait_for("a block of Eve's", Duration::from_secs(120), || async {
			(authored(&api, &account(&eve)).await > 0).then_some(())
		})
		.await
		.expect("Eve authors");
	let (with_eve_finalized, _) = nodes[0].finalized().await.unwrap();

	// Charlie's node dies. Finality needs three of Alice, Bob, Charlie and Eve: Eve votes.
	let charlie_node = nodes.remove(2);
	drop(charlie_node);
	nodes[0]
		.wait_finalized(with_eve_finalized + 3, Duration::from_secs(180))
		.await
		.expect("finality continues with Eve voting and Charlie gone");
	// Two sessions in a row without a block of Charlie's: the chain removes and slashes him.
	let without_charlie = [&alice, &bob, &eve].map(account).to_vec();
	nodes[0]
		.wait_for("Charlie's removal", Duration::from_secs(300), || async {
			(chosen(&api).await == without_charlie).then_some(())
		})
		.await
		.expect("the silent validator is removed by code");
	let charlie_back: Option<Unbonding> =
		view(&api, "Validators", "unbonding", &account(&charlie).encode()).await;
	let charlie_back = charlie_back.expect("Charlie's bond is unbonding");
	assert_eq!(charlie_back.amount, BOND - BOND / 100, "1% of the bond slashed");
	assert!(charlie_back.until > 0);

	// The set of three takes its seats and goes on finalizing.
	nodes[0]
		.wait_for("the set of three", Duration::from_secs(240), || async {
			(session_validators(&api).await == without_charlie).then_some(())
		})
		.await
		.expect("Charlie's removal applies");
	let (finalized, _) = nodes[0].finalized().await.unwrap();
	nodes[0]
		.wait_finalized(finalized + 3, Duration::from_secs(120))
		.await
		.expect("finality continues with three validators");
	for node in nodes.iter().chain([&eve_node]) {
		let (number, _) = node.finalized().await.expect("the node answers");
		assert!(number >= finalized, "{} is behind: #{number} < #{finalized}", node.name);
	}
	let status = cli::json(&eve_node, "//Eve", &["validator", "status"]).await;
	assert_eq!(status["you"]["standing"], "a validator", "{status}");
	assert_eq!(status["validators"].as_array().map(Vec::len), Some(3), "{status}");
}

#[derive(Debug, DecodeAsType)]
#[decode_as_type(crate_path = "scale_decode")]
struct Offence {
	kind: [u8; 16],
}

/// The kinds of the offences reported in blocks `from` to `to`.
async fn offences_reported(api: &Client, from: u32, to: u32) -> Vec<String> {
	let offences: Vec<Offence> = events_in(api, from, to, "Offences", "Offence").await;
	offences.iter().map(|o| String::from_utf8_lossy(&o.kind).into_owned()).collect()
}

/// A second node runs with Dave's keys, so each of Dave's slots gets two blocks sealed by his
/// key (and his GRANDPA votes may differ too). The other validators' nodes notice the pair,
/// report it with a key-ownership proof, and the chain slashes and removes Dave, below the
/// set's least size of three if need be; the three others go on finalizing.
#[tokio::test(flavor = "multi_thread")]
async fn a_validator_that_seals_two_blocks_for_a_slot_is_reported_slashed_and_removed() {
	let mut nodes = start_local_network().await.expect("the four validators start");
	nodes[0].wait_finalized(1, Duration::from_secs(240)).await.expect("the network finalizes");
	let peer_id: String = nodes[0].rpc("system_localPeerId", rpc_params![]).await.unwrap();
	let bootnode = format!("/ip4/127.0.0.1/tcp/{}/p2p/{peer_id}", nodes[0].p2p_port);
	let api = Client::from_insecure_url(nodes[0].ws_url()).await.expect("subxt connects");
	let from = nodes[0].best_number().await.unwrap();
	let twin_args = ["--chain", "local", "--dave", "--validator", "--bootnodes", &bootnode];
	let twin = TestNode::start("dave-twin", &twin_args).await.expect("Dave's twin starts");

	let (alice, bob, charlie, dave) =
		(sr25519::dev::alice(), sr25519::dev::bob(), sr25519::dev::charlie(), sr25519::dev::dave());
	let honest = [&alice, &bob, &charlie].map(account).to_vec();
	nodes[0]
		.wait_for("Dave's removal", Duration::from_secs(300), || async {
			(chosen(&api).await == honest).then_some(())
		})
		.await
		.expect("the equivocating validator is removed");
	let to = nodes[0].best_number().await.unwrap();
	let kinds = offences_reported(&api, from, to).await;
	assert!(kinds.iter().any(|k| k == "aura:equivocatio"), "an Aura report: {kinds:?}");
	let back: Option<Unbonding> =
		view(&api, "Validators", "unbonding", &account(&dave).encode()).await;
	let back = back.expect("Dave's bond is unbonding");
	assert!(back.amount <= BOND - BOND / 10, "at least 10% slashed: {} left", back.amount);

	// Dave's two nodes stop; the three honest validators take their seats and finalize.
	drop(twin);
	drop(nodes.remove(3));
	nodes[0]
		.wait_for("the set of three", Duration::from_secs(240), || async {
			(session_validators(&api).await == honest).then_some(())
		})
		.await
		.expect("Dave's removal applies");
	let (finalized, _) = nodes[0].finalized().await.unwrap();
	nodes[0]
		.wait_finalized(finalized + 3, Duration::from_secs(120))
		.await
		.expect("the three honest validators finalize");
}
