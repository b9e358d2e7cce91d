//! Talking to the chain with subxt, as a wallet or client would: transactions, view
//! functions, balances and events.

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
		.map_err(|e| explain(&e))
}

/// Why a transaction failed, in words: for a pallet's error, `Pallet::Error: ` and what its
/// documentation says it means (`MicroServices::NotOwner: only the holder of the service's NFT
/// may do this.`); otherwise subxt's account of it.
pub fn explain(error: &subxt::error::TransactionFinalizedSuccessError) -> String {
	use subxt::error::{DispatchError, TransactionEventsError, TransactionFinalizedSuccessError};
	if let TransactionFinalizedSuccessError::SuccessError(
		TransactionEventsError::ExtrinsicFailed(DispatchError::Module(module)),
	) = error
	{
		if let Ok(details) = module.details() {
			let name = format!("{}::{}", details.pallet.name(), details.variant.name);
			let docs = details.variant.docs.iter().map(|line| line.trim()).collect::<Vec<_>>();
			let docs = docs.join(" ");
			let mut words = docs.chars();
			return match words.next() {
				Some(first) => format!("{name}: {}{}", first.to_lowercase(), words.as_str()),
				None => name,
			};
		}
	}
	match error {
		TransactionFinalizedSuccessError::SuccessError(
			TransactionEventsError::ExtrinsicFailed(dispatch),
		) => dispatch.to_string(),
		other => other.to_string(),
	}
}

/// Calls a pallet's view function with SCALE-encoded `args` and decodes what it returns.
///
/// The runtime API takes `(query_id, input: Vec<u8>)`; subxt 0.50's `view_functions().call`
/// leaves out the length prefix of `input` (and the runtime refuses the call), so this builds the
/// input and unwraps the `Result` itself.
pub async fn try_view<R: DecodeAsType>(
	api: &Client,
	pallet: &str,
	function: &str,
	args: &[u8],
) -> Result<R, String> {
	let at = api.at_current_block().await.map_err(|e| e.to_string())?;
	let metadata = at.metadata();
	let view_function = metadata
		.pallet_by_name(pallet)
		.and_then(|p| p.view_function_by_name(function))
		.ok_or_else(|| format!("the chain has no view function {pallet}.{function}"))?;
	let mut input = view_function.query_id().to_vec();
	Compact(args.len() as u32).encode_to(&mut input);
	input.extend_from_slice(args);
	let raw = at.view_functions().call_raw(Some(&input)).await.map_err(|e| e.to_string())?;
	let (ok, mut rest) = raw.split_first().ok_or("an empty answer")?;
	if *ok != 0 {
		return Err(format!("{pallet}.{function} returned an error: {raw:?}"));
	}
	let output = Vec::<u8>::decode(&mut rest).map_err(|e| e.to_string())?;
	R::decode_as_type(&mut &output[..], view_function.output_ty(), metadata.types())
		.map_err(|e| format!("{pallet}.{function}'s answer: {e}"))
}

/// [`try_view`] for tests: panics with the reason if the view function fails.
pub async fn view<R: DecodeAsType>(api: &Client, pallet: &str, function: &str, args: &[u8]) -> R {
	try_view(api, pallet, function, args).await.unwrap_or_else(|e| panic!("{e}"))
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

/// `who`'s free balance as of block `number` (0 for an account that did not exist).
pub async fn free_balance_at(
	api: &Client,
	who: &AccountId32,
	number: u32,
) -> Result<u128, subxt::Error> {
	let at = api.at_block(number).await?;
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
