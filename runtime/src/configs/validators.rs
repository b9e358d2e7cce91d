//! Sessions, the validator set the network chooses, block authorship and offences.

use alloc::vec::Vec;
use frame_support::{
	parameter_types,
	traits::{tokens::imbalance::ResolveTo, ConstU128, ConstU32},
};
use sp_runtime::{
	traits::{ConvertInto, OpaqueKeys},
	KeyTypeId, Perbill,
};

use super::{GovernanceOrigin, OperationsAccount};
use crate::{
	opaque::SessionKeys, AccountId, Aura, Balances, BlockNumber, MicroNodes, Offences, Reputation,
	Runtime, RuntimeCall, RuntimeEvent, RuntimeHoldReason, Session, UncheckedExtrinsic, Validators,
	DAYS, HOURS, UNIT,
};

/// Sessions whose keys are kept, so offences in them can be proven: a week of the public
/// chains' hour-long sessions.
pub const KEPT_SESSIONS: u32 = 168;
/// Blocks a bond stays held after its owner stops validating: a week, so every offence that
/// can still be proven ([`KEPT_SESSIONS`] sessions of at most an hour) finds it.
pub const BONDING_DURATION: BlockNumber = 7 * DAYS;

parameter_types! {
	/// An unsigned equivocation report stays in the transaction pool for an hour.
	pub const EquivocationReportLongevity: u64 = HOURS as u64;
	/// A validator found offline loses 1% of its bond.
	pub const OfflineSlash: Perbill = Perbill::from_percent(1);
	/// Two judged sessions in a row without a block (two hours on the testnet): one session's
	/// stall of an honest node (a restart, an overloaded machine) costs nothing.
	pub const OfflineSessions: u32 = 2;
	/// An equivocating validator loses at least 10% of its bond.
	pub const EquivocationSlash: Perbill = Perbill::from_percent(10);
	/// Bonds, after the bonding period.
	pub const BondingDuration: BlockNumber = BONDING_DURATION;
}

/// Authors are the accounts of the session's validators, found from Aura's slot author.
impl pallet_authorship::Config for Runtime {
	type FindAuthor = pallet_session::FindAccountFromAuthorIndex<Self, Aura>;
	type EventHandler = Validators;
}

/// Session keys (Aura and GRANDPA) are set by each validator's account
/// (`author_rotateKeys`, then `session.setKeys` with the proof the node returns), holding a
/// MICRO against filling the chain with keys. The set comes from the validators pallet, whose
/// rules also say how long a session lasts.
impl pallet_session::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type ValidatorId = AccountId;
	type ValidatorIdOf = ConvertInto;
	type ShouldEndSession = pallet_micro_validators::SessionLength<Runtime>;
	type NextSessionRotation = pallet_micro_validators::SessionLength<Runtime>;
	type SessionManager = Validators;
	type SessionHandler = <SessionKeys as OpaqueKeys>::KeyTypeIdProviders;
	type Keys = SessionKeys;
	type DisablingStrategy = ();
	type WeightInfo = pallet_session::weights::SubstrateWeight<Runtime>;
	type Currency = Balances;
	type KeyDeposit = ConstU128<UNIT>;
}

impl pallet_offences::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	/// An offender is identified by its account alone: its bond is read from the validators
	/// pallet when the offence is handled.
	type IdentificationTuple = (AccountId, ());
	type OnOffenceHandler = Validators;
}

/// The validator set: candidates with a registered node, a bond and a reputation, voted in and
/// out by governance; offline validators removed by code; offences slashed. Slashes go to the
/// operations account, spent only by governance.
impl pallet_micro_validators::Config for Runtime {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Slashed = ResolveTo<OperationsAccount, Balances>;
	type Nodes = MicroNodes;
	type Reputation = Reputation;
	type KeysRegistered = Session;
	type ActiveValidators = Session;
	type SessionKeys = SessionKeysOfAccount;
	type AuraId = sp_consensus_aura::sr25519::AuthorityId;
	type ReportOffence = Offences;
	type ReportLongevity = EquivocationReportLongevity;
	type GovernanceOrigin = GovernanceOrigin;
	/// As many as Aura and GRANDPA take.
	type MaxValidators = ConstU32<32>;
	type MaxCandidates = ConstU32<128>;
	type OfflineSlash = OfflineSlash;
	type OfflineSessions = OfflineSessions;
	type EquivocationSlash = EquivocationSlash;
	type BondingDuration = BondingDuration;
	type KeptSessions = ConstU32<KEPT_SESSIONS>;
	type WeightInfo = pallet_micro_validators::weights::SubstrateWeight<Runtime>;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = ValidatorsBenchmarkHelper;
}

/// Benchmark candidates get session keys derived from their account, written as
/// `session.setKeys` would.
#[cfg(feature = "runtime-benchmarks")]
pub struct ValidatorsBenchmarkHelper;
#[cfg(feature = "runtime-benchmarks")]
impl pallet_micro_validators::benchmarking::BenchmarkHelper<AccountId>
	for ValidatorsBenchmarkHelper
{
	fn set_keys(who: &AccountId) {
		use codec::Encode;
		let raw = sp_io::hashing::blake2_256(&who.encode());
		let keys = SessionKeys {
			aura: sp_core::sr25519::Public::from_raw(raw).into(),
			grandpa: sp_core::ed25519::Public::from_raw(raw).into(),
		};
		pallet_session::NextKeys::<Runtime>::insert(who, keys);
	}
}

/// The session keys an account set (pallet-session's next keys), as the validators pallet
/// records them for each session.
pub struct SessionKeysOfAccount;
impl pallet_micro_validators::SessionKeysOf<AccountId> for SessionKeysOfAccount {
	fn session_keys(who: &AccountId) -> Option<Vec<(KeyTypeId, Vec<u8>)>> {
		let keys = pallet_session::NextKeys::<Runtime>::get(who)?;
		Some(SessionKeys::key_ids().iter().map(|id| (*id, keys.get_raw(*id).to_vec())).collect())
	}
}

/// Unsigned transactions the runtime builds itself: GRANDPA's equivocation reports.
impl<C> frame_system::offchain::CreateTransactionBase<C> for Runtime
where
	RuntimeCall: From<C>,
{
	type Extrinsic = UncheckedExtrinsic;
	type RuntimeCall = RuntimeCall;
}

impl<C> frame_system::offchain::CreateBare<C> for Runtime
where
	RuntimeCall: From<C>,
{
	fn create_bare(call: RuntimeCall) -> UncheckedExtrinsic {
		UncheckedExtrinsic::new_bare(call)
	}
}
