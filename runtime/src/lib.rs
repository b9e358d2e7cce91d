//! The Micro Network runtime.
//!
//! A FRAME runtime for a solochain with Aura block production and GRANDPA finality. Its native
//! token is `MICRO` with 12 decimals. Layout:
//!
//! - `configs`: the `Config` of every pallet in the runtime;
//! - `apis`: the runtime APIs node, wallets (polkadot.js) and clients (subxt) call;
//! - `genesis_config_presets`: the `development`, `local_testnet` and `testnet` genesis presets.

#![cfg_attr(not(feature = "std"), no_std)]

#[cfg(feature = "std")]
include!(concat!(env!("OUT_DIR"), "/wasm_binary.rs"));

pub mod apis;
#[cfg(feature = "runtime-benchmarks")]
mod benchmarks;
pub mod configs;
pub mod genesis_config_presets;
#[cfg(test)]
mod tests;

extern crate alloc;

use alloc::vec::Vec;

use sp_runtime::{
	generic, impl_opaque_keys,
	traits::{BlakeTwo256, IdentifyAccount, Verify},
	MultiAddress, MultiSignature,
};
use sp_version::{runtime_version, RuntimeVersion};

pub use frame_system::Call as SystemCall;
pub use pallet_balances::Call as BalancesCall;
pub use pallet_timestamp::Call as TimestampCall;
#[cfg(any(feature = "std", test))]
pub use sp_runtime::BuildStorage;

/// Opaque types the node uses without knowing the runtime's extrinsic format, so it keeps
/// syncing across runtime upgrades that change it.
pub mod opaque {
	use super::*;
	pub use sp_runtime::OpaqueExtrinsic as UncheckedExtrinsic;

	/// Opaque block header type.
	pub type Header = generic::Header<BlockNumber, BlakeTwo256>;
	/// Opaque block type.
	pub type Block = generic::Block<Header, UncheckedExtrinsic>;
	/// Opaque block identifier type.
	pub type BlockId = generic::BlockId<Block>;

	impl_opaque_keys! {
		/// The session keys of a validator: Aura for authoring, GRANDPA for finality.
		pub struct SessionKeys {
			/// Aura block-authoring key.
			pub aura: Aura,
			/// GRANDPA finality key.
			pub grandpa: Grandpa,
		}
	}
}

/// The runtime's version. Bump `spec_version` on every change to runtime logic.
#[runtime_version]
pub const VERSION: RuntimeVersion = RuntimeVersion {
	spec_name: alloc::borrow::Cow::Borrowed("micro-runtime"),
	impl_name: alloc::borrow::Cow::Borrowed("micro-runtime"),
	authoring_version: 1,
	spec_version: 111,
	impl_version: 1,
	apis: apis::RUNTIME_API_VERSIONS,
	transaction_version: 2,
	system_version: 1,
};

/// Target block time. Aura's slot duration is twice timestamp's minimum period, which is this.
pub const MILLI_SECS_PER_BLOCK: u64 = 6000;
/// Aura slot duration. It cannot change once the chain has started.
pub const SLOT_DURATION: u64 = MILLI_SECS_PER_BLOCK;
/// Blocks per minute.
pub const MINUTES: BlockNumber = 60_000 / (MILLI_SECS_PER_BLOCK as BlockNumber);
/// Blocks per hour.
pub const HOURS: BlockNumber = MINUTES * 60;
/// Blocks per day.
pub const DAYS: BlockNumber = HOURS * 24;

/// Symbol of the native token, as wallets display it.
pub const TOKEN_SYMBOL: &str = "MICRO";
/// Decimals of the native token.
pub const TOKEN_DECIMALS: u8 = 12;
/// SS58 address prefix: 42, the generic Substrate prefix, until the network registers its own.
pub const SS58_PREFIX: u16 = 42;

/// One `MICRO`, in its smallest unit.
pub const UNIT: Balance = 1_000_000_000_000;
/// One thousandth of a `MICRO`.
pub const MILLI_UNIT: Balance = 1_000_000_000;
/// One millionth of a `MICRO`.
pub const MICRO_UNIT: Balance = 1_000_000;
/// The least balance an account must hold to exist: 0.001 `MICRO`.
pub const EXISTENTIAL_DEPOSIT: Balance = MILLI_UNIT;

/// Block number type.
pub type BlockNumber = u32;
/// Transaction signature type: sr25519, ed25519 or ecdsa.
pub type Signature = MultiSignature;
/// Account identifier: the public key of the signing scheme.
pub type AccountId = <<Signature as Verify>::Signer as IdentifyAccount>::AccountId;
/// Balance of an account.
pub type Balance = u128;
/// Transaction index of an account.
pub type Nonce = u32;
/// Hash type of blocks and tries.
pub type Hash = sp_core::H256;
/// The address format for describing accounts.
pub type Address = MultiAddress<AccountId, ()>;
/// Block header type.
pub type Header = generic::Header<BlockNumber, BlakeTwo256>;
/// Block type.
pub type Block = generic::Block<Header, UncheckedExtrinsic>;
/// Signed block type, with justifications.
pub type SignedBlock = generic::SignedBlock<Block>;
/// Block identifier type.
pub type BlockId = generic::BlockId<Block>;

/// The transaction extensions every signed transaction carries, in order.
pub type TxExtension = (
	frame_system::AuthorizeCall<Runtime>,
	frame_system::CheckNonZeroSender<Runtime>,
	frame_system::CheckSpecVersion<Runtime>,
	frame_system::CheckTxVersion<Runtime>,
	frame_system::CheckGenesis<Runtime>,
	frame_system::CheckEra<Runtime>,
	frame_system::CheckNonce<Runtime>,
	frame_system::CheckWeight<Runtime>,
	pallet_transaction_payment::ChargeTransactionPayment<Runtime>,
	frame_metadata_hash_extension::CheckMetadataHash<Runtime>,
	frame_system::WeightReclaim<Runtime>,
);

/// Unchecked extrinsic type.
pub type UncheckedExtrinsic =
	generic::UncheckedExtrinsic<Address, RuntimeCall, Signature, TxExtension>;
/// The payload a transaction's signer signs.
pub type SignedPayload = generic::SignedPayload<RuntimeCall, TxExtension>;

/// Storage migrations run on runtime upgrade, besides the pallets' own. Each is versioned: it
/// runs once, when the pallet's on-chain storage version is the one it migrates from.
pub type Migrations = (
	pallet_micro_governance::migrations::MigrateV0ToV1<Runtime>,
	pallet_micro_nodes::migrations::MigrateV0ToV1<Runtime>,
	pallet_micro_tokens::migrations::MigrateV0ToV1<Runtime>,
	pallet_micro_settlement::migrations::MigrateV0ToV1<Runtime>,
	pallet_micro_reputation::migrations::MigrateV0ToV1<Runtime>,
	pallet_micro_services::migrations::MigrateV0ToV1<Runtime>,
	pallet_micro_contracts::migrations::MigrateV0ToV1<Runtime>,
);

/// Dispatches extrinsics to the pallets.
pub type Executive = frame_executive::Executive<
	Runtime,
	Block,
	frame_system::ChainContext<Runtime>,
	Runtime,
	AllPalletsWithSystem,
	Migrations,
>;

#[frame_support::runtime]
mod runtime {
	/// The runtime: the pallets below, composed.
	#[runtime::runtime]
	#[runtime::derive(
		RuntimeCall,
		RuntimeEvent,
		RuntimeError,
		RuntimeOrigin,
		RuntimeFreezeReason,
		RuntimeHoldReason,
		RuntimeSlashReason,
		RuntimeLockId,
		RuntimeTask,
		RuntimeViewFunction
	)]
	pub struct Runtime;

	#[runtime::pallet_index(0)]
	pub type System = frame_system;

	#[runtime::pallet_index(1)]
	pub type Timestamp = pallet_timestamp;

	#[runtime::pallet_index(2)]
	pub type Aura = pallet_aura;

	#[runtime::pallet_index(3)]
	pub type Grandpa = pallet_grandpa;

	#[runtime::pallet_index(4)]
	pub type Balances = pallet_balances;

	#[runtime::pallet_index(5)]
	pub type TransactionPayment = pallet_transaction_payment;

	#[runtime::pallet_index(6)]
	pub type Sudo = pallet_sudo;

	#[runtime::pallet_index(7)]
	pub type Nfts = pallet_nfts;

	#[runtime::pallet_index(8)]
	pub type MicroNodes = pallet_micro_nodes;

	#[runtime::pallet_index(9)]
	pub type MicroServices = pallet_micro_services;

	#[runtime::pallet_index(10)]
	pub type Reputation = pallet_micro_reputation;

	#[runtime::pallet_index(11)]
	pub type MicroTokens = pallet_micro_tokens;

	#[runtime::pallet_index(12)]
	pub type Settlement = pallet_micro_settlement;

	#[runtime::pallet_index(13)]
	pub type Preimage = pallet_preimage;

	#[runtime::pallet_index(14)]
	pub type Scheduler = pallet_scheduler;

	#[runtime::pallet_index(15)]
	pub type MicroContracts = pallet_micro_contracts;

	#[runtime::pallet_index(16)]
	pub type Governance = pallet_micro_governance;

	#[runtime::pallet_index(17)]
	pub type Authorship = pallet_authorship;

	#[runtime::pallet_index(18)]
	pub type Offences = pallet_offences;

	// Before `Session`: its genesis gives pallet-session the first set.
	#[runtime::pallet_index(20)]
	pub type Validators = pallet_micro_validators;

	#[runtime::pallet_index(21)]
	pub type Session = pallet_session;
}
