//! Helpers for talking to the chain with subxt, as a wallet or client would.

use subxt::{
	dynamic,
	ext::codec::{Compact, Decode, Encode},
	ext::scale_decode::{self, DecodeAsType},
	extrinsics::ExtrinsicEvents,
	tx::Signer,
	utils::AccountId32,
	OnlineClient, PolkadotConfig,
};

/// A subxt client for the Micro Network.
pub type Client = OnlineClient<PolkadotConfig>;

/// Signs `call` with `signer`, waits until it is finalized, and returns its events, or the
/// dispatch error as text.
pub async fn submit<S: Signer<PolkadotConfig>>(
	api: &Client,
	call: impl subxt::transactions::Payload,
	signer: &S,
) -> Result<ExtrinsicEvents<PolkadotConfig>, String> {
	let at = api.at_current_block().await.map_err(|e| e.to_string())?;
	let signed = at
		.transactions()
		.create_signed(&call, signer, Default::default())
		.await
		.map_err(|e| e.to_string())?;
	signed
		.submit_and_watch()
		.await
		.map_err(|e| e.to_string())?
		.wait_for_finalized_success()
		.await
		.map_err(|e| e.to_string())
}

/// Calls a pallet's view function with SCALE-encoded `args` and decodes what it returns.
///
/// The runtime API takes `(query_id, input: Vec<u8>)`; subxt 0.50's `view_functions().call`
/// leaves out the length prefix of `input` (and the runtime refuses the call), so this builds the
/// input and unwraps the `Result` itself.
pub async fn view<R: DecodeAsType>(api: &Client, pallet: &str, function: &str, args: &[u8]) -> R {
	let at = api.at_current_block().await.unwrap();
	let metadata = at.metadata();
	let view_function = metadata
		.pallet_by_name(pallet)
		.and_then(|p| p.view_function_by_name(function))
		.unwrap_or_else(|| panic!("{pallet}.{function} is a view function"));
	let mut input = view_function.query_id().to_vec();
	Compact(args.len() as u32).encode_to(&mut input);
	input.extend_from_slice(args);
	let raw = at.view_functions().call_raw(Some(&input)).await.expect("the view function runs");
	let (ok, mut rest) = raw.split_first().expect("a Result");
	assert_eq!(*ok, 0, "{pallet}.{function} returned an error: {raw:?}");
	let output = Vec::<u8>::decode(&mut rest).expect("the output bytes");
	R::decode_as_type(&mut &output[..], view_function.output_ty(), metadata.types())
		.expect("the output decodes")
}

#[derive(Debug, DecodeAsType)]
#[decode_as_type(crate_path = "scale_decode")]
struct AccountInfo {
	data: AccountData,
}

#[derive(Debug, DecodeAsType)]
#[decode_as_type(crate_path = "scale_decode")]
struct AccountData {
	free: u128,
}

/// `who`'s free balance now (0 for an account that does not exist).
pub async fn free_balance(api: &Client, who: &AccountId32) -> Result<u128, subxt::Error> {
	let at = api.at_current_block().await?;
	let address = dynamic::storage::<([u8; 32],), AccountInfo>("System", "Account");
	let value = at.storage().fetch(address, (who.0,)).await?;
	Ok(value.decode()?.data.free)
}

/// The first event `pallet.name` among `events`, decoded as `E`.
pub fn event<E: scale_decode::DecodeAsFields>(
	events: &ExtrinsicEvents<PolkadotConfig>,
	pallet: &str,
	name: &str,
) -> E {
	events
		.iter()
		.filter_map(Result::ok)
		.find(|e| e.pallet_name() == pallet && e.event_name() == name)
		.unwrap_or_else(|| panic!("a {pallet}.{name} event"))
		.decode_fields_unchecked_as::<E>()
		.expect("the event decodes")
}

/// Signing context of the proof that an operator holds a node key.
pub const NODE_KEY_PROOF_CONTEXT: &[u8] = b"micro-network/node-key/v1";

#[derive(Debug, DecodeAsType)]
#[decode_as_type(crate_path = "scale_decode")]
struct NodeRegistered {
	node: u32,
}

/// `operator` registers a node whose ed25519 key is `node_key`, proving it holds the key, with
/// a peer id of base58 text derived from the key; returns the node's id.
pub async fn register_node(
	api: &Client,
	operator: &subxt_signer::sr25519::Keypair,
	node_key: &ed25519_dalek::SigningKey,
) -> Result<u32, String> {
	use ed25519_dalek::Signer as _;
	const BASE58: &[u8] = b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
	let operator_id: AccountId32 = operator.public_key().into();
	let key = node_key.verifying_key().to_bytes();
	let nonce: u32 = view(api, "MicroNodes", "proof_nonce", &operator_id.encode()).await;
	let proof = node_key
		.sign(&(NODE_KEY_PROOF_CONTEXT, api.genesis_hash(), &operator_id, nonce).encode())
		.to_bytes();
	let peer_id: Vec<u8> = b"12D3KooW"
		.iter()
		.copied()
		.chain(key.iter().map(|byte| BASE58[usize::from(*byte) % BASE58.len()]))
		.collect();
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
