//! Transactions without a signer: a general transaction whose call's own
//! `#[pallet::authorize]` check admits it (a node's usage report, signed by its node key; an
//! equivocation report, proven by the headers and a key-ownership proof).

use codec::Encode;
use micro_runtime::{Runtime, RuntimeCall};
use sp_runtime::OpaqueExtrinsic;

/// `call` as a general transaction with no signer, ready for the pool.
pub fn extrinsic(call: RuntimeCall) -> Result<OpaqueExtrinsic, String> {
	let extension: micro_runtime::TxExtension = (
		frame_system::AuthorizeCall::<Runtime>::new(),
		frame_system::CheckNonZeroSender::<Runtime>::new(),
		frame_system::CheckSpecVersion::<Runtime>::new(),
		frame_system::CheckTxVersion::<Runtime>::new(),
		frame_system::CheckGenesis::<Runtime>::new(),
		frame_system::CheckEra::<Runtime>::from(sp_runtime::generic::Era::Immortal),
		frame_system::CheckNonce::<Runtime>::from(0),
		frame_system::CheckWeight::<Runtime>::new(),
		pallet_transaction_payment::ChargeTransactionPayment::<Runtime>::from(0),
		frame_metadata_hash_extension::CheckMetadataHash::<Runtime>::new(false),
		frame_system::WeightReclaim::<Runtime>::new(),
	);
	let extrinsic = micro_runtime::UncheckedExtrinsic::new_transaction(call, extension);
	OpaqueExtrinsic::try_from_encoded_extrinsic(&extrinsic.encode())
		.map_err(|e| format!("encoding the transaction: {e}"))
}
