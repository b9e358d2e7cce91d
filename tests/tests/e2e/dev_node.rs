//! A `--dev` node produces and finalizes blocks, serves the RPC set wallets and clients need,
//! and settles a signed transfer with the fee it announced.

use std::time::Duration;

use jsonrpsee::rpc_params;
use micro_tests::{chain::free_balance, TestNode};
use serde_json::Value;
use subxt::{
	dynamic,
	ext::scale_decode::{self, DecodeAsType},
	utils::AccountId32,
	OnlineClient, PolkadotConfig,
};
use subxt_signer::{sr25519, SecretUri};

/// One MICRO in plancks (12 decimals).
const UNIT: u128 = 1_000_000_000_000;

#[derive(Debug, DecodeAsType)]
#[decode_as_type(crate_path = "scale_decode")]
struct TransactionFeePaid {
	who: AccountId32,
	actual_fee: u128,
	tip: u128,
}

#[tokio::test(flavor = "multi_thread")]
async fn dev_node_produces_finalizes_and_settles_a_transfer() {
	let node = TestNode::start("dev", &["--dev"]).await.expect("dev node starts");

	// Blocks are produced and finalized.
	node.wait_finalized(2, Duration::from_secs(120)).await.expect("dev node finalizes");
	assert!(node.best_number().await.unwrap() >= 2);

	// The RPC set: legacy, the new JSON-RPC spec, and the node's own methods.
	let methods: Value = node.rpc("rpc_methods", rpc_params![]).await.unwrap();
	let methods: Vec<&str> =
		methods["methods"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
	for method in [
		"chain_getBlock",
		"state_getStorage",
		"author_submitExtrinsic",
		"chainHead_v1_follow",
		"transaction_v1_broadcast",
		"transactionWatch_v1_submitAndWatch",
		"chainSpec_v1_properties",
		"system_accountNextIndex",
		"payment_queryInfo",
		"payment_queryFeeDetails",
	] {
		assert!(methods.contains(&method), "RPC method {method} missing from {methods:?}");
	}

	// Wallets learn the token from the chain's properties.
	let properties: Value = node.rpc("system_properties", rpc_params![]).await.unwrap();
	assert_eq!(properties["tokenSymbol"], "MICRO");
	assert_eq!(properties["tokenDecimals"], 12);
	assert_eq!(properties["ss58Format"], 42);

	// A signed transfer from Alice to a fresh account, through subxt.
	let api = OnlineClient::<PolkadotConfig>::from_insecure_url(node.ws_url())
		.await
		.expect("subxt connects");
	// Bob sends; Alice, the only `--dev` validator, authors the block and earns the fee.
	let alice_id: AccountId32 = sr25519::dev::alice().public_key().into();
	let bob = sr25519::dev::bob();
	let bob_id: AccountId32 = bob.public_key().into();
	let nanos =
		std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
	let uri: SecretUri = format!("//Alice//fresh-{nanos}").parse().unwrap();
	let fresh = sr25519::Keypair::from_uri(&uri).unwrap();
	let fresh_id: AccountId32 = fresh.public_key().into();

	let alice_before = free_balance(&api, &alice_id).await.unwrap();
	let bob_before = free_balance(&api, &bob_id).await.unwrap();
	assert_eq!(free_balance(&api, &fresh_id).await.unwrap(), 0, "the account is fresh");
	let nonce_before: u64 =
		node.rpc("system_accountNextIndex", rpc_params![bob_id.to_string()]).await.unwrap();

	let amount = 5 * UNIT;
	let call = dynamic::transaction(
		"Balances",
		"transfer_keep_alive",
		(fresh.public_key().to_address::<()>(), amount),
	);
	let at = api.at_current_block().await.unwrap();
	let signed = at
		.transactions()
		.create_signed(&call, &bob, Default::default())
		.await
		.expect("transaction signs");

	// The fee the node quotes before submission.
	let info: Value = node
		.rpc("payment_queryInfo", rpc_params![mucp_offchain::hex::prefixed(signed.encoded())])
		.await
		.unwrap();
	let quoted_fee: u128 = info["partialFee"]
		.as_str()
		.and_then(|fee| fee.parse().ok())
		.unwrap_or_else(|| panic!("partialFee in {info}"));
	assert!(quoted_fee > 0, "a transfer costs a fee");

	let events = signed
		.submit_and_watch()
		.await
		.expect("submits")
		.wait_for_finalized_success()
		.await
		.expect("transfer is finalized and succeeds");

	let fee_paid = events
		.iter()
		.filter_map(Result::ok)
		.find(|e| e.pallet_name() == "TransactionPayment" && e.event_name() == "TransactionFeePaid")
		.expect("a TransactionFeePaid event")
		.decode_fields_unchecked_as::<TransactionFeePaid>()
		.expect("decodes");
	assert_eq!(fee_paid.who, bob_id);
	assert_eq!(fee_paid.tip, 0);
	assert!(fee_paid.actual_fee > 0);
	assert!(
		fee_paid.actual_fee <= quoted_fee,
		"charged {} but quoted {quoted_fee}",
		fee_paid.actual_fee
	);

	assert_eq!(free_balance(&api, &fresh_id).await.unwrap(), amount);
	assert_eq!(
		free_balance(&api, &bob_id).await.unwrap(),
		bob_before - amount - fee_paid.actual_fee,
		"Bob pays exactly the amount and the fee"
	);
	// The fee is profit: 2.5% to charity and 2.5% to operations, rounded down; the rest to the
	// block's author.
	let shares = fee_paid.actual_fee / 40;
	assert_eq!(
		free_balance(&api, &alice_id).await.unwrap(),
		alice_before + fee_paid.actual_fee - 2 * shares,
		"Alice, the author, earns the fee less the charity and operations shares"
	);
	let nonce_after: u64 =
		node.rpc("system_accountNextIndex", rpc_params![bob_id.to_string()]).await.unwrap();
	assert_eq!(nonce_after, nonce_before + 1);
}
