//! The economy end to end on a `--dev` node, as its users drive it over RPC with subxt:
//!
//! 1. Dave registers a node (an ed25519 key, proved by a signature), Bob registers `greeter`
//!    at 3 tokens a call and Dave places it on his node;
//! 2. Charlie, a consumer, buys 1,000 API tokens and signs an allowance for Dave's node, its
//!    price capped at the service's;
//! 3. the node submits a usage report of 10 calls, signed by its key (Dave relays it);
//! 4. the test checks, to the unit: Charlie's tokens (1,000 - 30), Bob's payment (the backing of
//!    30 tokens less 2.5% + 2.5%), and the charity and operations accounts, which also take their
//!    2.5% of every transaction fee in the block.

use std::time::Duration;

use ed25519_dalek::{Signer as _, SigningKey};
use micro_tests::{
	chain::{event, free_balance, register_node, submit, view, Client},
	TestNode,
};
use subxt::{
	dynamic::{self, Value},
	ext::codec::{Compact, Encode},
	ext::scale_decode::{self, DecodeAsType},
	utils::{AccountId32, H256},
};
use subxt_signer::sr25519;

const USAGE_ALLOWANCE_CONTEXT: &[u8] = b"micro-network/allowance/v1";
const USAGE_REPORT_CONTEXT: &[u8] = b"micro-network/usage-report/v1";
/// Tokens per call of `greeter`.
const PRICE_PER_CALL: u128 = 3;
const CALLS: u64 = 10;

#[derive(Debug, DecodeAsType)]
#[decode_as_type(crate_path = "scale_decode")]
struct ServiceRegistered {
	service: u32,
}

#[derive(Debug, DecodeAsType)]
#[decode_as_type(crate_path = "scale_decode")]
struct TokensBought {
	tokens: u128,
	price: u128,
	cost: u128,
}

#[derive(Debug, DecodeAsType)]
#[decode_as_type(crate_path = "scale_decode")]
struct UsageSettled {
	node: u32,
	consumer: AccountId32,
	service: u32,
	calls: u64,
	tokens: u128,
	owner: AccountId32,
	paid: u128,
	charity: u128,
	operations: u128,
}

#[derive(Debug, DecodeAsType)]
#[decode_as_type(crate_path = "scale_decode")]
struct TransactionFeePaid {
	actual_fee: u128,
	tip: u128,
}

fn bytes(data: &[u8]) -> Value {
	Value::from_bytes(data)
}

fn greeter_endpoint() -> Value {
	let field = |name: &str| {
		Value::named_composite([
			("number", Value::u128(1)),
			("name", bytes(name.as_bytes())),
			("kind", Value::unnamed_variant("String", [])),
			("repeated", Value::bool(false)),
		])
	};
	let message = |name: &str, field_name: &str| {
		Value::named_composite([
			("name", bytes(name.as_bytes())),
			("fields", Value::unnamed_composite([field(field_name)])),
		])
	};
	Value::named_composite([
		("name", bytes(b"Say.Hello")),
		("request", message("Request", "name")),
		("response", message("Response", "msg")),
	])
}

/// `amount` split like all profit: 2.5% each to charity and operations, rounded down.
fn share(amount: u128) -> u128 {
	amount / 40
}

#[tokio::test(flavor = "multi_thread")]
async fn tokens_are_bought_spent_on_calls_and_the_payment_split_to_the_unit() {
	let node = TestNode::start("usage-settlement", &["--dev"]).await.expect("dev node starts");
	node.wait_finalized(1, Duration::from_secs(120)).await.expect("dev node finalizes");
	let api = Client::from_insecure_url(node.ws_url()).await.expect("subxt connects");
	let genesis: H256 = api.genesis_hash();
	let (bob, charlie, dave) = (sr25519::dev::bob(), sr25519::dev::charlie(), sr25519::dev::dave());
	let bob_id: AccountId32 = bob.public_key().into();
	let charlie_id: AccountId32 = charlie.public_key().into();

	// Dave registers his node, proving he holds its ed25519 key.
	let node_key = SigningKey::from_bytes(&sp_crypto_hashing::blake2_256(b"usage-settlement node"));
	let node_id = register_node(&api, &dave, &node_key).await.expect("the node registers");

	// Bob registers greeter at 3 tokens a call; Dave places version 1 on his node.
	let register_service = dynamic::transaction(
		"MicroServices",
		"register_service",
		(
			bytes(b"greeter"),
			Value::named_composite([
				("repository", bytes(b"https://github.com/micro/greeter")),
				("reference", bytes(b"v1.0.0")),
			]),
			[7u8; 32],
			Value::unnamed_composite([greeter_endpoint()]),
			PRICE_PER_CALL,
		),
	);
	let events = submit(&api, register_service, &bob).await.expect("greeter registers");
	let service = event::<ServiceRegistered>(&events, "MicroServices", "ServiceRegistered").service;
	let announce = dynamic::transaction(
		"MicroServices",
		"announce_placement",
		(node_id, service, Value::unnamed_composite([Value::u128(1)])),
	);
	submit(&api, announce, &dave).await.expect("the placement is announced");

	// Charlie buys 1,000 tokens at the price the chain quotes.
	let price: u128 = view(&api, "MicroTokens", "price", &[]).await;
	assert!(price > 0);
	let buy = dynamic::transaction("MicroTokens", "buy_tokens", (1_000u128, price));
	let events = submit(&api, buy, &charlie).await.expect("Charlie buys tokens");
	let bought = event::<TokensBought>(&events, "MicroTokens", "TokensBought");
	assert_eq!((bought.tokens, bought.price, bought.cost), (1_000, price, 1_000 * price));
	let (spendable, _): (u128, u128) =
		view(&api, "MicroTokens", "balance", &charlie_id.encode()).await;
	assert_eq!(spendable, 1_000);

	// Charlie holds 100 of them for Dave's node: only its reports can spend them now, so the
	// node knows it will be paid for what it serves.
	let best = node.best_number().await.expect("a best block");
	let hold =
		dynamic::transaction("MicroTokens", "hold_for_node", (node_id, 100u128, best + 1_000));
	submit(&api, hold, &charlie).await.expect("Charlie holds tokens for the node");
	let held_for_node = (charlie_id, node_id).encode();
	let (held, until): (u128, u32) =
		view(&api, "MicroTokens", "held_for_node", &held_for_node).await;
	assert_eq!((held, until), (100, best + 1_000));
	let (spendable, _): (u128, u128) =
		view(&api, "MicroTokens", "balance", &charlie_id.encode()).await;
	assert_eq!(spendable, 900, "held tokens are not spendable elsewhere");

	// Charlie signs an allowance for Dave's node: at most 100 calls at most at the service's
	// price, valid 1,000 blocks.
	let allowance = (charlie_id, service, node_id, 100u64, PRICE_PER_CALL, best + 1_000, 1u64);
	let allowance_signature =
		charlie.sign(&(USAGE_ALLOWANCE_CONTEXT, genesis, &allowance).encode()).0;

	// The node reports 10 calls, signed by its key; Dave relays the report.
	let sequence = 1u64;
	// SCALE of `UsageReport`: node, sequence, then the records, each allowance, signature
	// (`MultiSignature::Sr25519` is variant 1), version, calls.
	let mut report = (node_id, sequence, Compact(1u32)).encode();
	allowance.encode_to(&mut report);
	1u8.encode_to(&mut report);
	allowance_signature.encode_to(&mut report);
	(1u32, CALLS).encode_to(&mut report);
	let mut payload = (USAGE_REPORT_CONTEXT, genesis).encode();
	payload.extend_from_slice(&report);
	let report_signature = node_key.sign(&sp_crypto_hashing::blake2_256(&payload)).to_bytes();
	let report_value = Value::named_composite([
		("node", Value::u128(node_id.into())),
		("sequence", Value::u128(sequence.into())),
		(
			"records",
			Value::unnamed_composite([Value::named_composite([
				(
					"allowance",
					Value::named_composite([
						("consumer", Value::from_bytes(charlie_id.0)),
						("service", Value::u128(service.into())),
						("node", Value::u128(node_id.into())),
						("max_calls", Value::u128(100)),
						("max_price_per_call", Value::u128(PRICE_PER_CALL)),
						("expires_at", Value::u128((best + 1_000).into())),
						("nonce", Value::u128(1)),
					]),
				),
				(
					"signature",
					Value::unnamed_variant("Sr25519", [Value::from_bytes(allowance_signature)]),
				),
				("version", Value::u128(1)),
				("calls", Value::u128(CALLS.into())),
			])]),
		),
	]);

	let (_, charity, operations): (AccountId32, AccountId32, AccountId32) =
		view(&api, "MicroTokens", "accounts", &[]).await;
	let owner_before = free_balance(&api, &bob_id).await.unwrap();
	let charity_before = free_balance(&api, &charity).await.unwrap();
	let operations_before = free_balance(&api, &operations).await.unwrap();
	let submit_usage = dynamic::transaction(
		"Settlement",
		"submit_usage",
		(report_value.clone(), Value::from_bytes(report_signature)),
	);
	let events = submit(&api, submit_usage, &dave).await.expect("the report is settled");

	// What the chain says it did.
	let settled = event::<UsageSettled>(&events, "Settlement", "UsageSettled");
	let tokens = CALLS as u128 * PRICE_PER_CALL;
	let backing = tokens * price;
	assert_eq!(
		(settled.node, settled.service, settled.calls, settled.tokens),
		(node_id, service, CALLS, tokens)
	);
	assert_eq!((settled.consumer, settled.owner), (charlie_id, bob_id));
	assert_eq!(settled.charity, share(backing));
	assert_eq!(settled.operations, share(backing));
	assert_eq!(settled.paid, backing - 2 * share(backing));

	// What the balances say, to the unit. Every fee in the block was split too.
	let fee_shares: u128 = events
		.all_events_in_block()
		.iter()
		.filter_map(Result::ok)
		.filter(|e| {
			e.pallet_name() == "TransactionPayment" && e.event_name() == "TransactionFeePaid"
		})
		.map(|e| {
			let fee =
				e.decode_fields_unchecked_as::<TransactionFeePaid>().expect("the fee decodes");
			share(fee.actual_fee + fee.tip)
		})
		.sum();
	assert!(fee_shares > 0, "the relayed report paid a fee");
	assert_eq!(
		free_balance(&api, &bob_id).await.unwrap(),
		owner_before + backing - 2 * share(backing)
	);
	assert_eq!(
		free_balance(&api, &charity).await.unwrap(),
		charity_before + share(backing) + fee_shares
	);
	assert_eq!(
		free_balance(&api, &operations).await.unwrap(),
		operations_before + share(backing) + fee_shares
	);
	let (spendable, _): (u128, u128) =
		view(&api, "MicroTokens", "balance", &charlie_id.encode()).await;
	assert_eq!(spendable, 900, "the calls were paid from the hold");
	let (held, _): (u128, u32) = view(&api, "MicroTokens", "held_for_node", &held_for_node).await;
	assert_eq!(held, 100 - tokens);

	// The same report again is refused whole, and charges nothing.
	let replay = dynamic::transaction(
		"Settlement",
		"submit_usage",
		(report_value, Value::from_bytes(report_signature)),
	);
	let refused = submit(&api, replay, &dave).await.expect_err("a replayed report is refused");
	assert!(refused.contains("ReportReplayed"), "refused with {refused}");
	let (held, _): (u128, u32) = view(&api, "MicroTokens", "held_for_node", &held_for_node).await;
	assert_eq!(held, 100 - tokens);

	// Charlie disputes the usage; Dave, the node's operator, refunds its MICRO value, which
	// closes the dispute with nothing recorded against his node.
	let dispute = dynamic::transaction("Settlement", "dispute_usage", (node_id,));
	let events = submit(&api, dispute, &charlie).await.expect("Charlie disputes");
	assert!(events.iter().filter_map(Result::ok).any(|e| e.event_name() == "UsageDisputed"));
	let refund = dynamic::transaction("Settlement", "refund_usage", (node_id, charlie_id));
	let events = submit(&api, refund, &dave).await.expect("Dave refunds");
	assert!(events.iter().filter_map(Result::ok).any(|e| e.event_name() == "UsageRefunded"));
	let dispute: Option<Value> =
		view(&api, "Settlement", "dispute", &(node_id, charlie_id).encode()).await;
	assert!(dispute.is_none(), "the refund closed the dispute");
}
