//! Helpers for talking to the chain: the `micro` command line's, and registering a node with a
//! key made in the test.

pub use micro_cli::chain::*;
use subxt::{
	dynamic,
	ext::codec::Encode,
	ext::scale_decode::{self, DecodeAsType},
	utils::AccountId32,
};

/// Signing context of the proof that an operator holds a node key.
pub const NODE_KEY_PROOF_CONTEXT: &[u8] = b"micro-network/node-key/v1";

#[derive(Debug, DecodeAsType)]
#[decode_as_type(crate_path = "scale_decode")]
struct NodeRegistered {
	node: u32,
}

/// `operator` registers a node whose ed25519 key is `node_key`, proving it holds the key, with
/// the key's libp2p peer id; returns the node's id.
pub async fn register_node(
	api: &Client,
	operator: &subxt_signer::sr25519::Keypair,
	node_key: &ed25519_dalek::SigningKey,
) -> Result<u32, String> {
	use ed25519_dalek::Signer as _;
	let operator_id: AccountId32 = operator.public_key().into();
	let key = node_key.verifying_key().to_bytes();
	let nonce: u32 = view(api, "MicroNodes", "proof_nonce", &operator_id.encode()).await;
	let proof = node_key
		.sign(&(NODE_KEY_PROOF_CONTEXT, api.genesis_hash(), &operator_id, nonce).encode())
		.to_bytes();
	// The libp2p peer id of the node key, derived by libp2p as the worker derives it: the only
	// one the chain accepts.
	let peer_id = mucp_offchain::peer::Keypair::ed25519_from_bytes(node_key.to_bytes())
		.map_err(|e| e.to_string())?
		.public()
		.to_peer_id()
		.to_base58()
		.into_bytes();
	let call = dynamic::transaction(
		"MicroNodes",
		"register_node",
		(
			key,
			proof,
			dynamic::Value::from_bytes(peer_id),
			dynamic::Value::unnamed_composite([dynamic::Value::from_bytes(
				b"/ip4/127.0.0.1/tcp/40333",
			)]),
			dynamic::Value::named_composite([
				("cpu_millicores", dynamic::Value::u128(2_000)),
				("memory_mib", dynamic::Value::u128(4_096)),
				("storage_mib", dynamic::Value::u128(10_240)),
				("bandwidth_mbps", dynamic::Value::u128(100)),
			]),
		),
	);
	let events = submit(api, call, operator).await?;
	Ok(event::<NodeRegistered>(&events, "MicroNodes", "NodeRegistered").node)
}

/// Every `pallet.name` event in blocks `from` to `to`, decoded as `E`.
pub async fn events_in<E: scale_decode::DecodeAsFields>(
	api: &Client,
	from: u32,
	to: u32,
	pallet: &str,
	name: &str,
) -> Vec<E> {
	let mut found = Vec::new();
	for number in from..=to {
		let at = api.at_block(number).await.expect("the block");
		for event in at.events().fetch().await.expect("its events").iter() {
			let event = event.expect("the event decodes");
			if event.pallet_name() == pallet && event.event_name() == name {
				found.push(event.decode_fields_unchecked_as::<E>().expect("its fields decode"));
			}
		}
	}
	found
}
