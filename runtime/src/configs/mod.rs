//! The `Config` of every pallet in the runtime; sessions, the validator set, authorship and
//! offences in `validators.rs`.

use frame_support::{
	derive_impl,
	dispatch::DispatchClass,
	parameter_types,
	traits::{AsEnsureOriginWithArg, Contains, EqualPrivilegeOnly},
	traits::{ConstBool, ConstU128, ConstU32, ConstU64, ConstU8, VariantCountOf},
	weights::{
		constants::{ParityDbWeight, WEIGHT_REF_TIME_PER_SECOND},
		ConstantMultiplier, IdentityFee, Weight,
	},
	PalletId,
};
use frame_system::{
	limits::{BlockLength, BlockWeights},
	EnsureNever, EnsureRoot,
};
use pallet_nfts::PalletFeatures;
use pallet_transaction_payment::{ConstFeeMultiplier, FungibleAdapter, Multiplier};
use sp_consensus_aura::sr25519::AuthorityId as AuraId;
use sp_runtime::{
	traits::{AccountIdConversion, One, Verify},
	Perbill,
};
use sp_version::RuntimeVersion;

use super::{
	AccountId, Aura, Balance, Balances, Block, BlockNumber, Hash, MicroNodes, MicroServices,
	MicroTokens, Nonce, OriginCaller, PalletInfo, Preimage, Reputation, Runtime, RuntimeCall,
	RuntimeEvent, RuntimeFreezeReason, RuntimeHoldReason, RuntimeOrigin, RuntimeTask, Scheduler,
	Signature, System, DAYS, EXISTENTIAL_DEPOSIT, HOURS, MILLI_UNIT, MINUTES, SLOT_DURATION,
	SS58_PREFIX, UNIT, VERSION,
};

mod validators;
pub use validators::*;

/// Who changes the network's parameters: a passed governance proposal (root, on the public
/// chains, is itself only a passed root-track proposal; sudo exists on development chains only).
pub type GovernanceOrigin = pallet_micro_governance::EnsureProposalOrRoot<AccountId>;

/// Share of a block's weight and length open to normal (not operational) transactions.
const NORMAL_DISPATCH_RATIO: Perbill = Perbill::from_percent(75);
/// Largest block, in bytes.
const MAX_BLOCK_LENGTH: u32 = 5 * 1024 * 1024;

parameter_types! {
	pub const BlockHashCount: BlockNumber = 2400;
	pub const Version: RuntimeVersion = VERSION;
	/// Two seconds of compute per six-second block.
	pub RuntimeBlockWeights: BlockWeights = BlockWeights::with_sensible_defaults(
		Weight::from_parts(2u64 * WEIGHT_REF_TIME_PER_SECOND, u64::MAX),
		NORMAL_DISPATCH_RATIO,
	);
	/// 5 MiB blocks, of which normal transactions may fill `NORMAL_DISPATCH_RATIO`.
	pub RuntimeBlockLength: BlockLength = BlockLength::builder()
		.max_length(MAX_BLOCK_LENGTH)
		.modify_max_length_for_class(DispatchClass::Normal, |max| *max = NORMAL_DISPATCH_RATIO * *max)
		.build();
	pub const SS58Prefix: u16 = SS58_PREFIX;
}

#[derive_impl(frame_system::config_preludes::SolochainDefaultConfig)]
impl frame_system::Config for Runtime {
	type Block = Block;
	type BlockWeights = RuntimeBlockWeights;
	type BlockLength = RuntimeBlockLength;
	type AccountId = AccountId;
	type Nonce = Nonce;
	type Hash = Hash;
	type BlockHashCount = BlockHashCount;
	/// The node stores its state in ParityDB.
	type DbWeight = ParityDbWeight;
	type Version = Version;
	type AccountData = pallet_balances::AccountData<Balance>;
	type SS58Prefix = SS58Prefix;
	type MaxConsumers = ConstU32<16>;
}

impl pallet_aura::Config for Runtime {
	type AuthorityId = AuraId;
	/// pallet-session's disabled validators (none: its disabling strategy is `()`, and the
	/// validators pallet removes offenders at session boundaries instead).
	type DisabledValidators = super::Session;
	type MaxAuthorities = ConstU32<32>;
	type AllowMultipleBlocksPerSlot = ConstBool<false>;
	type SlotDuration = pallet_aura::MinimumPeriodTimesTwo<Runtime>;
}

/// GRANDPA, whose authorities pallet-session sets each session. An equivocation (two votes in
/// one round) is reported as an unsigned transaction with a key-ownership proof against the
/// keys the validators pallet recorded for that session, and handed to pallet-offences, which
/// the validators pallet answers by slashing and removing the offender.
impl pallet_grandpa::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type WeightInfo = ();
	type MaxAuthorities = ConstU32<32>;
	type MaxNominators = ConstU32<0>;
	/// A set id is kept for as many sessions as their roots are.
	type MaxSetIdSessionEntries = ConstU64<{ KEPT_SESSIONS as u64 }>;
	type KeyOwnerProof = sp_session::MembershipProof;
	type EquivocationReportSystem = pallet_grandpa::EquivocationReportSystem<
		Self,
		super::Offences,
		super::Validators,
		EquivocationReportLongevity,
	>;
}

impl pallet_timestamp::Config for Runtime {
	/// Milliseconds since the Unix epoch.
	type Moment = u64;
	type OnTimestampSet = Aura;
	type MinimumPeriod = ConstU64<{ SLOT_DURATION / 2 }>;
	type WeightInfo = ();
}

impl pallet_balances::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type RuntimeHoldReason = RuntimeHoldReason;
	type RuntimeFreezeReason = RuntimeFreezeReason;
	type WeightInfo = pallet_balances::weights::SubstrateWeight<Runtime>;
	type Balance = Balance;
	type DustRemoval = ();
	type ExistentialDeposit = ConstU128<EXISTENTIAL_DEPOSIT>;
	type AccountStore = System;
	type ReserveIdentifier = [u8; 8];
	type FreezeIdentifier = RuntimeFreezeReason;
	type MaxLocks = ConstU32<50>;
	type MaxReserves = ConstU32<50>;
	type MaxFreezes = VariantCountOf<RuntimeFreezeReason>;
	type DoneSlashHandler = ();
}

parameter_types! {
	pub FeeMultiplier: Multiplier = Multiplier::one();
	/// What each byte of a transaction costs: 0.00001 MICRO, so 1 MiB is about 10 MICRO. At one
	/// planck a byte (the old `IdentityFee`), filling every block with remarks cost about 25
	/// MICRO a day for 54 GB of history every full node keeps (finding M12).
	pub const TransactionByteFee: Balance = MILLI_UNIT / 100;
}

/// The author of the block being built or imported: the account of the session's validator
/// whose Aura slot it is (pallet-authorship through pallet-session), not the account of its
/// Aura key, which a validator may rotate at will.
pub struct AuraAuthor;
impl pallet_micro_tokens::BlockAuthor<AccountId> for AuraAuthor {
	fn author() -> Option<AccountId> {
		pallet_authorship::Pallet::<Runtime>::author()
	}
}

impl pallet_transaction_payment::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	/// Fees and tips are profit: 2.5% to charity, 2.5% to operations, the rest to the author.
	type OnChargeTransaction =
		FungibleAdapter<Balances, pallet_micro_tokens::SplitFees<Runtime, AuraAuthor>>;
	type WeightToFee = IdentityFee<Balance>;
	type LengthToFee = ConstantMultiplier<Balance, TransactionByteFee>;
	type FeeMultiplierUpdate = ConstFeeMultiplier<FeeMultiplier>;
	type OperationalFeeMultiplier = ConstU8<5>;
	type WeightInfo = pallet_transaction_payment::weights::SubstrateWeight<Runtime>;
}

impl pallet_sudo::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type RuntimeCall = RuntimeCall;
	type WeightInfo = pallet_sudo::weights::SubstrateWeight<Runtime>;
}

parameter_types! {
	/// Trading (`set_price`, `buy_item`) and swaps are off: they would pay a service's seller in
	/// full. Services are sold through `MicroServices::buy_service`, which splits the price like
	/// all profit (finding M9).
	pub NftFeatures: PalletFeatures = PalletFeatures::from_disabled(
		pallet_nfts::PalletFeature::Trading | pallet_nfts::PalletFeature::Swaps,
	);
	pub const NftMaxDeadline: BlockNumber = 365 * DAYS;
}

/// NFT mechanics for the services' NFTs: ownership, transfer, approvals with a deadline and
/// burning; no sales or swaps (see `NftFeatures`). Only the services pallet creates collections,
/// and there is no force origin: no account, root included, can move or take down a service's
/// NFT.
impl pallet_nfts::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type CollectionId = u32;
	type ItemId = micro_primitives::ServiceId;
	type Currency = Balances;
	type ForceOrigin = EnsureNever<()>;
	type CreateOrigin = AsEnsureOriginWithArg<EnsureNever<AccountId>>;
	type Locker = ();
	type CollectionDeposit = ConstU128<{ 100 * UNIT }>;
	type ItemDeposit = ConstU128<{ UNIT / 100 }>;
	type MetadataDepositBase = ConstU128<{ UNIT / 100 }>;
	type AttributeDepositBase = ConstU128<{ UNIT / 100 }>;
	type DepositPerByte = ConstU128<{ MILLI_UNIT / 10 }>;
	type StringLimit = ConstU32<256>;
	type KeyLimit = ConstU32<64>;
	type ValueLimit = ConstU32<256>;
	type ApprovalsLimit = ConstU32<20>;
	type ItemAttributesApprovalsLimit = ConstU32<20>;
	type MaxTips = ConstU32<10>;
	type MaxDeadlineDuration = NftMaxDeadline;
	type MaxAttributesPerCall = ConstU32<10>;
	type Features = NftFeatures;
	type OffchainSignature = Signature;
	type OffchainPublic = <Signature as Verify>::Signer;
	type WeightInfo = pallet_nfts::weights::SubstrateWeight<Runtime>;
	#[cfg(feature = "runtime-benchmarks")]
	type Helper = ();
	type BlockNumberProvider = System;
}

/// Layer 0: nodes. Parameters change through governance.
impl pallet_micro_nodes::Config for Runtime {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type NodeDeposit = ConstU128<{ 10 * UNIT }>;
	type MaxNodesPerOperator = ConstU32<16>;
	type MaxAddresses = ConstU32<8>;
	type MaxAddressLen = ConstU32<128>;
	type MaxPeerIdLen = ConstU32<64>;
	type ParamsOrigin = GovernanceOrigin;
	/// A minute (six blocks would put a node offline between two of its heartbeats).
	type MinHeartbeatTtl = ConstU32<{ MINUTES }>;
	/// A day.
	type MaxHeartbeatTtl = ConstU32<DAYS>;
	type Placements = MicroServices;
	type Reputation = Reputation;
	type WeightInfo = pallet_micro_nodes::weights::SubstrateWeight<Runtime>;
}

parameter_types! {
	pub const ServicesPalletId: PalletId = PalletId(*b"mcro/svc");
}

/// Layer 1: services, each an NFT.
impl pallet_micro_services::Config for Runtime {
	type NativeBalance = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Nodes = MicroNodes;
	type Access = Reputation;
	type PalletId = ServicesPalletId;
	type ServiceDeposit = ConstU128<{ 10 * UNIT }>;
	type ExtraServiceDeposit = ConstU128<{ 100 * UNIT }>;
	type MaxNameLen = ConstU32<64>;
	type MaxUrlLen = ConstU32<256>;
	type MaxRefLen = ConstU32<64>;
	type MaxIdentLen = ConstU32<32>;
	type MaxEndpoints = ConstU32<16>;
	type MaxFields = ConstU32<12>;
	type MaxVersions = ConstU32<64>;
	type MaxVersionsPerPlacement = ConstU32<8>;
	type MaxServicesPerNode = ConstU32<64>;
	type MaxNodesPerService = ConstU32<128>;
	type CharityAccount = CharityAccount;
	type OperationsAccount = OperationsAccount;
	/// A price rise applies a day after it is announced: longer than the allowances `micro`
	/// signs (1,000 blocks by default), so a consumer's signed terms are not repriced under it.
	type PriceRiseNotice = ConstU32<DAYS>;
	/// Calls served by a version retired (or a placement ended) within the last hour still
	/// settle: the owner cannot fail the nodes that served them.
	type RetireGrace = ConstU32<HOURS>;
	/// A node its service's owner evicted may not place that service again for a day.
	type EvictionBan = ConstU32<DAYS>;
	type WeightInfo = pallet_micro_services::weights::SubstrateWeight<Runtime>;
}

/// Layer 2: reputation and access tiers.
impl pallet_micro_reputation::Config for Runtime {
	type Nodes = MicroNodes;
	type Services = MicroServices;
	type ParamsOrigin = GovernanceOrigin;
	type BlocksPerDay = ConstU32<DAYS>;
	type MaxTiers = ConstU32<8>;
	type MaxServicesScanned = ConstU32<16>;
	/// A hundredth of a MICRO of paid usage is one unit of the score's usage part.
	type UsageValueUnit = ConstU128<{ UNIT / 100 }>;
	/// An account reserves free calls for at most 16 nodes per quota period.
	type MaxFreeReservations = ConstU32<16>;
	type WeightInfo = pallet_micro_reputation::weights::SubstrateWeight<Runtime>;
}

parameter_types! {
	/// The pot holding the MICRO that backs API tokens.
	pub const TokensPalletId: PalletId = PalletId(*b"mcro/tok");
	/// The charity account: 2.5% of all profit. No key controls it.
	pub CharityAccount: AccountId = PalletId(*b"mcro/cha").into_account_truncating();
	/// The network-operations account: 2.5% of all profit. No key controls it.
	pub OperationsAccount: AccountId = PalletId(*b"mcro/ops").into_account_truncating();
	/// A node earns an allowance once online at least 90% of its life.
	pub const AllowanceMinUptime: sp_runtime::Permill = sp_runtime::Permill::from_percent(90);
}

/// API tokens: bought, earned, spent on calls; and the accounts the profit split pays.
impl pallet_micro_tokens::Config for Runtime {
	type Currency = Balances;
	type Nodes = MicroNodes;
	type Services = MicroServices;
	type Reputation = Reputation;
	type Access = Reputation;
	type PalletId = TokensPalletId;
	type CharityAccount = CharityAccount;
	type OperationsAccount = OperationsAccount;
	type ParamsOrigin = GovernanceOrigin;
	type MaxBatches = ConstU32<32>;
	type AllowancePeriod = ConstU32<DAYS>;
	/// A node earns from a week after its registration, its deposit locked all that time.
	type MinNodeAge = ConstU32<{ 7 * DAYS }>;
	type MinUptime = AllowanceMinUptime;
	/// All allowances together mint at most 1,000 MICRO a day: some 10,000 claims at the
	/// highest default allowance (11,000 tokens at 10 millionths of a MICRO).
	type AllowanceBudget = ConstU128<{ 1_000 * UNIT }>;
	type BlocksPerDay = ConstU32<DAYS>;
	type FreeTokenLifetime = ConstU32<DAYS>;
	/// Tokens held for a node stay held at least an hour: the node has that long to report.
	type HoldNotice = ConstU32<HOURS>;
	/// A hold ends at most 30 days ahead, so held tokens cannot escape lapsing for ever.
	type MaxHoldPeriod = ConstU32<{ 30 * DAYS }>;
	type WeightInfo = pallet_micro_tokens::weights::SubstrateWeight<Runtime>;
}

/// What a signed transaction of a report's weight and length would pay with no tip: the fee a
/// node's operator pays for a usage report submitted without an account.
pub struct SettlementReportFee;
impl sp_runtime::traits::Convert<(Weight, u32), Balance> for SettlementReportFee {
	fn convert((weight, len): (Weight, u32)) -> Balance {
		let info =
			frame_support::dispatch::DispatchInfo { call_weight: weight, ..Default::default() };
		pallet_transaction_payment::Pallet::<Runtime>::compute_fee(len, &info, 0)
	}
}

/// Usage settlement: nodes report the calls they served; consumers pay in API tokens. A report
/// without an account costs its node's operator a signed transaction's fee, plus one
/// thousandth of a MICRO per rejected record, split like every fee. A full report (128 records
/// at the worst case) takes under a tenth of a block's normal weight.
impl pallet_micro_settlement::Config for Runtime {
	type Signature = Signature;
	type Nodes = MicroNodes;
	type Services = MicroServices;
	type Tokens = MicroTokens;
	type Reputation = Reputation;
	type Currency = Balances;
	type ReportFee = SettlementReportFee;
	type RejectedRecordFee = ConstU128<MILLI_UNIT>;
	type OnReportFee = pallet_micro_tokens::SplitFees<Runtime, AuraAuthor>;
	type MaxRecords = ConstU32<128>;
	type MinReportInterval = ConstU32<10>;
	type RuntimeHoldReason = RuntimeHoldReason;
	/// A revoked allowance still settles for an hour: the node reports what it served before.
	type RevokeNotice = ConstU32<HOURS>;
	/// A consumer disputes usage within a day of its settlement; the operator answers within a
	/// day of the dispute.
	type DisputeWindow = ConstU32<DAYS>;
	type DisputeDeposit = ConstU128<UNIT>;
	type WeightInfo = pallet_micro_settlement::weights::SubstrateWeight<Runtime>;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = SettlementBenchmarkHelper;
}

/// Benchmark consumers are sr25519 keys in the benchmark's keystore.
#[cfg(feature = "runtime-benchmarks")]
pub struct SettlementBenchmarkHelper;
#[cfg(feature = "runtime-benchmarks")]
impl pallet_micro_settlement::BenchmarkHelper<AccountId, Signature> for SettlementBenchmarkHelper {
	fn consumer(index: u32) -> AccountId {
		pallet_micro_settlement::sr25519_consumers::consumer(index)
	}

	fn sign(consumer: &AccountId, message: &[u8]) -> Signature {
		pallet_micro_settlement::sr25519_consumers::sign(consumer, message)
	}

	fn live_service(
		owner: &AccountId,
		node: micro_primitives::NodeId,
	) -> (micro_primitives::ServiceId, micro_primitives::VersionNumber) {
		MicroServices::live_service_for_benchmark(owner, node)
	}
}

parameter_types! {
	/// Scheduled enactments may use up to 80% of a block.
	pub MaximumSchedulerWeight: Weight = Perbill::from_percent(80) *
		RuntimeBlockWeights::get().max_block;
}

parameter_types! {
	/// Why a preimage's deposit is held.
	pub const PreimageHoldReason: RuntimeHoldReason =
		RuntimeHoldReason::Preimage(pallet_preimage::HoldReason::Preimage);
	/// Held for any preimage noted by hand: 1 MICRO...
	pub const PreimageBaseDeposit: Balance = UNIT;
	/// ...plus 100 millionths of a MICRO a byte: about 420 MICRO for the largest, 4 MiB.
	pub const PreimageByteDeposit: Balance = UNIT / 10_000;
}

/// Preimages: the large calls of governance proposals (runtime upgrades). Proposals note them
/// without a deposit (the proposal deposit covers them). Anyone else who notes a preimage by hand
/// has a deposit held for its size until it is unnoted (finding H5: without one, 4 MiB of state
/// cost about 0.01 MICRO); only root may request one.
impl pallet_preimage::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type WeightInfo = pallet_preimage::weights::SubstrateWeight<Runtime>;
	type Currency = Balances;
	type ManagerOrigin = EnsureRoot<AccountId>;
	type Consideration = frame_support::traits::fungible::HoldConsideration<
		AccountId,
		Balances,
		PreimageHoldReason,
		frame_support::traits::LinearStoragePrice<
			PreimageBaseDeposit,
			PreimageByteDeposit,
			Balance,
		>,
	>;
}

/// The scheduler: enacts passed proposals after their delay. Only root schedules by hand.
impl pallet_scheduler::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type RuntimeOrigin = RuntimeOrigin;
	type PalletsOrigin = OriginCaller;
	type RuntimeCall = RuntimeCall;
	type MaximumWeight = MaximumSchedulerWeight;
	type ScheduleOrigin = EnsureRoot<AccountId>;
	type OriginPrivilegeCmp = EqualPrivilegeOnly;
	type MaxScheduledPerBlock = ConstU32<50>;
	type WeightInfo = pallet_scheduler::weights::SubstrateWeight<Runtime>;
	type Preimages = Preimage;
	type BlockNumberProvider = System;
}

/// Recorded contracts; their results feed reputation.
impl pallet_micro_contracts::Config for Runtime {
	type Nodes = MicroNodes;
	type Services = MicroServices;
	type Reputation = Reputation;
	type MaxParties = ConstU32<16>;
	type MaxSubjectsPerParty = ConstU32<4>;
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type ContractDeposit = ConstU128<{ 10 * UNIT }>;
	type DisputeWindow = ConstU32<DAYS>;
	type MaxHeldPerParty = ConstU32<64>;
	/// A contract with no result after 30 days may be ended by any party.
	type MaxContractLife = ConstU32<{ 30 * DAYS }>;
	type WeightInfo = pallet_micro_contracts::weights::SubstrateWeight<Runtime>;
}

parameter_types! {
	/// No rules may let less than a tenth of the electorate decide.
	pub const MinGovernanceQuorum: Perbill = Perbill::from_percent(10);
	/// A root-track proposal (a runtime upgrade) always needs more than 60% of the weight voted.
	pub const MinRootApproval: Perbill = Perbill::from_percent(60);
	/// Spends from each fund are at most a tenth of it every thirty days.
	pub const MaxSpendPerPeriod: Perbill = Perbill::from_percent(10);
}

/// The calls governance proposals may make. A proposal may not make a sudo call on a chain
/// without a sudo key, nor write raw storage (which could set `Sudo::Key`): no vote installs a
/// human key outside the development chain (root could otherwise call `sudo.set_key`). Nor may
/// it schedule calls by hand, which would dispatch them as root past this filter; the
/// governance pallet schedules its own enactments. A runtime upgrade (`set_code`) can of course
/// change anything: it is the root track's purpose, voted with its stricter rules.
pub struct ProposableCalls;
impl Contains<RuntimeCall> for ProposableCalls {
	fn contains(call: &RuntimeCall) -> bool {
		let has_sudo_key = || pallet_sudo::Key::<Runtime>::get().is_some();
		match call {
			RuntimeCall::Sudo(_) => has_sudo_key(),
			RuntimeCall::System(
				frame_system::Call::set_storage { .. }
				| frame_system::Call::kill_storage { .. }
				| frame_system::Call::kill_prefix { .. },
			) => has_sudo_key(),
			RuntimeCall::Scheduler(_) => false,
			_ => true,
		}
	}
}

/// Governance: proposals voted by the network's nodes and services, weighted by reputation,
/// enacted by the scheduler.
impl pallet_micro_governance::Config for Runtime {
	type RuntimeCall = RuntimeCall;
	type RuntimeOrigin = RuntimeOrigin;
	type PalletsOrigin = OriginCaller;
	type Scheduler = Scheduler;
	type Preimages = Preimage;
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type VotingWeight = Reputation;
	type ProposalFilter = ProposableCalls;
	type ProposalDeposit = ConstU128<{ 100 * UNIT }>;
	type CharityAccount = CharityAccount;
	type OperationsAccount = OperationsAccount;
	type MaxActive = ConstU32<16>;
	type MaxActivePerProposer = ConstU32<1>;
	type MinQuorum = MinGovernanceQuorum;
	type MinRootApproval = MinRootApproval;
	type SpendPeriod = ConstU32<{ 30 * DAYS }>;
	type MaxSpendPerPeriod = MaxSpendPerPeriod;
	type MaxPayouts = ConstU32<16>;
	type WeightInfo = pallet_micro_governance::weights::SubstrateWeight<Runtime>;
}
