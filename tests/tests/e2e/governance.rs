//! Governance on the four-validator `local` network, which has no sudo key: Alice, Bob and
//! Charlie register nodes (which gives them voting weight), Alice proposes a new heartbeat TTL,
//! the three vote for it over RPC, and the chain enacts it by itself after the voting period
//! and the enactment delay. Nobody holds a privileged key at any point.
//!
//! Then, on the same network, the capture attempts an attacker with a few accounts would make,
//! each refused: a proposal installing a sudo key, a service NFT passed to another account to
//! vote again, a node registered after the proposal, and a standard-track proposal lowering
//! the root track's quorum. Then the service changes hands for MICRO through the services
//! pallet's sale, whose price is split like all profit, to the unit. Last, the four validators
//! hold the same block at every finalized height and each is connected to the three others.

use std::time::Duration;

use ed25519_dalek::SigningKey;
use futures::future::join_all;
use jsonrpsee::rpc_params;
use micro_tests::{
	chain::{event, free_balance, register_node, submit, view, Client},
	start_local_network, TestNode,
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
	voices: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, DecodeAsType)]
#[decode_as_type(crate_path = "scale_decode")]
struct Perbill(u32);

#[derive(Debug, Clone, Copy, PartialEq, DecodeAsType)]
#[decode_as_type(crate_path = "scale_decode")]
struct Rules {
	voting_period: u32,
	enactment_delay: u32,
	min_age: u32,
	quorum: Perbill,
	approval: Perbill,
	root_quorum: Perbill,
	root_approval: Perbill,
}

impl Rules {
	fn to_value(self) -> Value {
		let perbill = |p: Perbill| Value::unnamed_composite([Value::u128(p.0.into())]);
		Value::named_composite([
			("voting_period", Value::u128(self.voting_period.into())),
			("enactment_delay", Value::u128(self.enactment_delay.into())),
			("min_age", Value::u128(self.min_age.into())),
			("quorum", perbill(self.quorum)),
			("approval", perbill(self.approval)),
			("root_quorum", perbill(self.root_quorum)),
			("root_approval", perbill(self.root_approval)),
		])
	}
}

#[derive(Debug, DecodeAsType)]
#[decode_as_type(crate_path = "scale_decode")]
enum ProposalStatus {
	Voting { ends: u32 },
	Passed { enact_at: u32 },
	NoQuorum,
	Rejected,
	EnactmentFailed,
}

#[derive(Debug, DecodeAsType)]
#[decode_as_type(crate_path = "scale_decode")]
struct ProposalView {
	electorate: u32,
	status: ProposalStatus,
}

#[derive(Debug, DecodeAsType)]
#[decode_as_type(crate_path = "scale_decode")]
struct ServiceRegistered {
	service: u32,
}

#[derive(Debug, DecodeAsType)]
#[decode_as_type(crate_path = "scale_decode")]
struct ServiceSold {
	price: u128,
	charity: u128,
	operations: u128,
}

#[derive(Debug, DecodeAsType)]
#[decode_as_type(crate_path = "scale_decode")]
struct TransactionFeePaid {
	actual_fee: u128,
}

/// One MICRO in plancks (12 decimals).
const UNIT: u128 = 1_000_000_000_000;

/// One endpoint, `Capture.Take`, taking and returning a string.
fn endpoint() -> Value {
	let message = |name: &str| {
		Value::named_composite([
			("name", Value::from_bytes(name)),
			(
				"fields",
				Value::unnamed_composite([Value::named_composite([
					("number", Value::u128(1)),
					("name", Value::from_bytes("text")),
					("kind", Value::unnamed_variant("String", [])),
					("repeated", Value::bool(false)),
				])]),
			),
		])
	};
	Value::named_composite([
		("name", Value::from_bytes("Capture.Take")),
		("request", message("Request")),
		("response", message("Response")),
	])
}

fn propose(track: &str, call: Value) -> subxt::transactions::DynamicPayload<(Value, Value)> {
	dynamic::transaction("Governance", "propose", (Value::unnamed_variant(track, []), call))
}

async fn rules(api: &Client) -> Rules {
	let rules: Option<Rules> = view(api, "Governance", "rules", &[]).await;
	rules.expect("the chain has rules")
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
	let events =
		submit(&api, propose("Standard", change), &voters[0]).await.expect("Alice proposes");
	let proposed = event::<Proposed>(&events, "Governance", "Proposed");

	// Dave, who has no weight, cannot vote; the three others do, once each.
	let vote = |aye: bool| {
		dynamic::transaction(
			"Governance",
			"vote",
			(proposed.index, aye, Value::unnamed_composite(Vec::<Value>::new())),
		)
	};
	// All within the ten-block voting period, so side by side: blocks that start a session
	// carry no transactions, and a loaded machine makes the rest slow.
	let dave = sr25519::dev::dave();
	let votes = voters.iter().map(|voter| {
		let api = api.clone();
		async move { submit(&api, vote(true), voter).await }
	});
	let (refused, votes) = futures::join!(submit(&api, vote(true), &dave), join_all(votes));
	assert!(refused.unwrap_err().contains("NoVotingWeight"), "Dave has no weight");
	for events in votes {
		let voted = event::<Voted>(&events.expect("the vote counts"), "Governance", "Voted");
		assert_eq!((voted.weight, voted.voices), (1, 1), "one new node: weight 0 + 1");
	}
	// A second vote is refused by the chain. On a loaded machine the transaction itself may
	// be lost on the way (dropped from a pool or retracted with a fork) before the chain says
	// anything: that is retried, a vote the chain takes is not.
	let mut attempts = Vec::new();
	for _ in 0..3 {
		let again = submit(&api, vote(false), &voters[1]).await.expect_err("a second vote");
		if again.contains("AlreadyVoted") {
			break;
		}
		attempts.push(again);
	}
	assert!(attempts.len() < 3, "a second vote is refused with AlreadyVoted: {attempts:?}");

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

	let service = capture_attempts(&api, &nodes[0], &voters).await;
	a_sale_splits_like_all_profit(&api, service, &sr25519::dev::eve(), &voters[1]).await;
	the_validators_hold_one_finalized_chain_and_mesh(&nodes).await;
}

/// After all of the above, the four validators hold the same block at every finalized height
/// they share, and each is connected to the three others (found through Alice and Kademlia).
async fn the_validators_hold_one_finalized_chain_and_mesh(nodes: &[TestNode]) {
	let mut finalized = Vec::new();
	for node in nodes {
		finalized.push(node.finalized().await.expect("the node answers").0);
	}
	let common = *finalized.iter().min().expect("four nodes");
	assert!(common >= 3, "finality moved: {finalized:?}");
	for number in 1..=common {
		let mut hashes = Vec::new();
		for node in nodes {
			hashes.push(node.block_hash(number).await.unwrap().expect("finalized block known"));
		}
		assert!(
			hashes.windows(2).all(|w| w[0] == w[1]),
			"nodes disagree on finalized block #{number}: {hashes:?}"
		);
	}
	for node in nodes {
		node.wait_for("three peers", Duration::from_secs(60), || async {
			let health: serde_json::Value = node.rpc("system_health", rpc_params![]).await.ok()?;
			(health["peers"] == 3).then_some(())
		})
		.await
		.unwrap();
	}
}

/// `seller` offers `service` for 1,000 MICRO and `buyer` buys it: the seller gets 950, charity
/// and operations 25 each (and their shares of the buyer's transaction fee), to the unit.
async fn a_sale_splits_like_all_profit(
	api: &Client,
	service: u32,
	seller: &sr25519::Keypair,
	buyer: &sr25519::Keypair,
) {
	const PRICE: u128 = 1_000 * UNIT;
	let seller_id: AccountId32 = seller.public_key().into();
	let buyer_id: AccountId32 = buyer.public_key().into();
	let offer = dynamic::transaction(
		"MicroServices",
		"offer_service",
		(service, PRICE, Value::unnamed_variant("None", [])),
	);
	submit(api, offer, seller).await.expect("the owner offers the service");
	let (_, charity, operations): (AccountId32, AccountId32, AccountId32) =
		view(api, "MicroTokens", "accounts", &[]).await;
	let balances = || async {
		(
			free_balance(api, &seller_id).await.unwrap(),
			free_balance(api, &charity).await.unwrap(),
			free_balance(api, &operations).await.unwrap(),
		)
	};
	let before = balances().await;
	let buy = dynamic::transaction("MicroServices", "buy_service", (service, PRICE));
	let events = submit(api, buy, buyer).await.expect("the buyer buys it");
	let sold = event::<ServiceSold>(&events, "MicroServices", "ServiceSold");
	assert_eq!((sold.price, sold.charity, sold.operations), (PRICE, 25 * UNIT, 25 * UNIT));
	let fee = event::<TransactionFeePaid>(&events, "TransactionPayment", "TransactionFeePaid");
	let after = balances().await;
	assert_eq!(after.0 - before.0, 950 * UNIT, "the seller gets the price less 5%");
	assert_eq!(after.1 - before.1, 25 * UNIT + fee.actual_fee / 40, "charity's 2.5%");
	assert_eq!(after.2 - before.2, 25 * UNIT + fee.actual_fee / 40, "operations' 2.5%");
	let owner: Option<(subxt::ext::scale_value::Value, Option<AccountId32>)> =
		view(api, "MicroServices", "service", &service.encode()).await;
	assert_eq!(owner.and_then(|(_, owner)| owner), Some(buyer_id), "the buyer owns it");
}

/// What an attacker with a few accounts tries against the network's governance, each refused;
/// returns the service registered on the way, which Eve then holds.
async fn capture_attempts(
	api: &Client,
	node: &micro_tests::TestNode,
	voters: &[sr25519::Keypair],
) -> u32 {
	let [alice, bob, charlie] = voters else { panic!("three voters") };
	let (dave, eve) = (sr25519::dev::dave(), sr25519::dev::eve());
	let eve_id: AccountId32 = eve.public_key().into();

	// A root-track proposal installing a sudo key on a chain without one is refused outright.
	let set_key = Value::unnamed_variant(
		"Sudo",
		[Value::named_variant(
			"set_key",
			[("new", Value::unnamed_variant("Id", [Value::from_bytes(eve_id.0)]))],
		)],
	);
	let refused = submit(api, propose("Root", set_key), alice).await.expect_err("no sudo key");
	assert!(refused.contains("CallNotAllowed"), "refused with {refused}");

	// Alice owns a service, registered before the proposal, so it is a second voice of hers.
	let register = dynamic::transaction(
		"MicroServices",
		"register_service",
		(
			Value::from_bytes("capture"),
			Value::named_composite([
				("repository", Value::from_bytes("https://github.com/micro/capture")),
				("reference", Value::from_bytes("0123456789abcdef0123456789abcdef01234567")),
			]),
			[9u8; 32],
			Value::unnamed_composite([endpoint()]),
			1u128,
		),
	);
	let events = submit(api, register, alice).await.expect("Alice registers a service");
	let service = event::<ServiceRegistered>(&events, "MicroServices", "ServiceRegistered").service;

	// She passes the service NFT to Eve, to vote with it from a second account: a service is a
	// voice only in its creator's hands, so neither Alice nor Eve votes with it now.
	let transfer = dynamic::transaction("MicroServices", "transfer_service", (service, eve_id));
	submit(api, transfer, alice).await.expect("the service moves to Eve");

	// A standard-track proposal lowering the root track's quorum to the standard one.
	let before = rules(api).await;
	let lowered = Rules { root_quorum: before.quorum, ..before };
	let set_rules = Value::unnamed_variant(
		"Governance",
		[Value::named_variant("set_rules", [("rules", lowered.to_value())])],
	);
	let events = submit(api, propose("Standard", set_rules), alice).await.expect("proposed");
	let proposed = event::<Proposed>(&events, "Governance", "Proposed");
	let vote = |aye: bool| {
		dynamic::transaction(
			"Governance",
			"vote",
			(proposed.index, aye, Value::unnamed_composite(Vec::<Value>::new())),
		)
	};

	// All within the ten-block voting period, so at once: Eve's vote with the service she was
	// handed is refused; a node Dave registers once the proposal is known (a recycled deposit,
	// say) has no voice; Alice votes with her node alone, and Bob and Charlie vote aye too.
	let eve_votes = async {
		let refused = submit(api, vote(true), &eve).await.expect_err("the service gives no say");
		assert!(refused.contains("NoVotingWeight"), "refused with {refused}");
	};
	let dave_votes = async {
		let key = SigningKey::from_bytes(&sp_crypto_hashing::blake2_256(b"dave's late node"));
		register_node(api, &dave, &key).await.expect("Dave registers a node");
		let refused = submit(api, vote(true), &dave).await.expect_err("too late to vote");
		assert!(refused.contains("NoVotingWeight"), "refused with {refused}");
	};
	let ayes = join_all([alice, bob, charlie].map(|voter| async move {
		let events = submit(api, vote(true), voter).await.expect("the vote counts");
		event::<Voted>(&events, "Governance", "Voted").voices
	}));
	let ((), (), voices) = futures::join!(eve_votes, dave_votes, ayes);
	assert_eq!(voices, vec![1, 1, 1], "each votes with its node; Alice's service is Eve's now");

	// The proposal passes, but the standard track may not change what binds the root track,
	// so its enactment fails and the rules stay.
	let proposal: Option<ProposalView> =
		view(api, "Governance", "proposal", &proposed.index.encode()).await;
	assert_eq!(proposal.expect("the proposal exists").electorate, 4, "three nodes, one service");
	let enact_at = node
		.wait_for("the proposal to be decided", Duration::from_secs(240), || async {
			let proposal: Option<ProposalView> =
				view(api, "Governance", "proposal", &proposed.index.encode()).await;
			match proposal.map(|p| p.status) {
				Some(ProposalStatus::Voting { ends }) => {
					assert_eq!(ends, proposed.ends, "decided when announced");
					None
				}
				None => None,
				Some(ProposalStatus::Passed { enact_at }) => Some(enact_at),
				Some(other) => panic!("the proposal should pass its vote, but is {other:?}"),
			}
		})
		.await
		.expect("the proposal passes");
	node.wait_for("the enactment block", Duration::from_secs(120), || async {
		(node.best_number().await.ok()? > enact_at).then_some(())
	})
	.await
	.expect("the chain moves past the enactment");
	assert_eq!(rules(api).await, before, "the root quorum is unchanged");
	service
}
