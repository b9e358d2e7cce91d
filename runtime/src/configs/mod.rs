//! The `Config` of every pallet in the runtime.

use frame_support::{
	derive_impl,
	dispatch::DispatchClass,
	parameter_types,
	traits::{AsEnsureOriginWithArg, EqualPrivilegeOnly, FindAuthor},
	traits::{ConstBool, ConstU128, ConstU32, ConstU64, ConstU8, VariantCountOf},
	weights::{
		constants::{ParityDbWeight, WEIGHT_REF_TIME_PER_SECOND},
		IdentityFee, Weight,
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
use sp_core::crypto::ByteArray;
use sp_runtime::{
	traits::{AccountIdConversion, One, Verify},
	Perbill,
};
use sp_version::RuntimeVersion;

use super::{
	AccountId, Aura, Balance, Balances, Block, BlockNumber, Hash, MicroNodes, MicroServices,
	MicroTokens, Nonce, OriginCaller, PalletInfo, Preimage, Reputation, Runtime, RuntimeCall,
	RuntimeEvent, RuntimeFreezeReason, RuntimeHoldReason, RuntimeOrigin, RuntimeTask, Scheduler,
	Signature, System, DAYS, EXISTENTIAL_DEPOSIT, MILLI_UNIT, SLOT_DURATION, SS58_PREFIX, UNIT,
	VERSION,
};

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
	type DisabledValidators = ();
	type MaxAuthorities = ConstU32<32>;
	type AllowMultipleBlocksPerSlot = ConstBool<false>;
	type SlotDuration = pallet_aura::MinimumPeriodTimesTwo<Runtime>;
}

impl pallet_grandpa::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type WeightInfo = ();
	type MaxAuthorities = ConstU32<32>;
	type MaxNominators = ConstU32<0>;
	type MaxSetIdSessionEntries = ConstU64<0>;
	type KeyOwnerProof = sp_core::Void;
	type EquivocationReportSystem = ();
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
}

/// The author of the block being built or imported: the account of its Aura key.
pub struct AuraAuthor;
impl pallet_micro_tokens::BlockAuthor<AccountId> for AuraAuthor {
	fn author() -> Option<AccountId> {
		let digest = System::digest();
		let pre_runtime = digest.logs().iter().filter_map(|item| item.as_pre_runtime());
		let key = pallet_aura::AuraAuthorId::<Runtime>::find_author(pre_runtime)?;
		AccountId::try_from(key.as_slice()).ok()
	}
}

impl pallet_transaction_payment::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	/// Fees and tips are profit: 2.5% to charity, 2.5% to operations, the rest to the author.
	type OnChargeTransaction =
		FungibleAdapter<Balances, pallet_micro_tokens::SplitFees<Runtime, AuraAuthor>>;
	type WeightToFee = IdentityFee<Balance>;
	type LengthToFee = IdentityFee<Balance>;
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
	pub NftFeatures: PalletFeatures = PalletFeatures::all_enabled();
	pub const NftMaxDeadline: BlockNumber = 365 * DAYS;
}

/// NFT mechanics for the services' NFTs: ownership, transfer, approvals with a deadline, sales
/// and burning. Only the services pallet creates collections, and there is no force origin:
/// no account, root included, can move or take down a service's NFT.
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
	type WeightInfo = pallet_micro_reputation::weights::SubstrateWeight<Runtime>;
}

parameter_types! {
	/// The pot holding the MICRO that backs API tokens.
	pub const TokensPalletId: PalletId = PalletId(*b"mcro/tok");
	/// The charity account: 2.5% of all profit. No key controls it.
	pub CharityAccount: AccountId = PalletId(*b"mcro/cha").into_account_truncating();
	/// The network-operations account: 2.5% of all profit. No key controls it.
	pub OperationsAccount: AccountId = PalletId(*b"mcro/ops").into_account_truncating();
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
	type FreeTokenLifetime = ConstU32<DAYS>;
	type WeightInfo = pallet_micro_tokens::weights::SubstrateWeight<Runtime>;
}

/// Usage settlement: nodes report the calls they served; consumers pay in API tokens.
impl pallet_micro_settlement::Config for Runtime {
	type Signature = Signature;
	type Nodes = MicroNodes;
	type Services = MicroServices;
	type Tokens = MicroTokens;
	type Reputation = Reputation;
	type MaxRecords = ConstU32<1000>;
	type MinReportInterval = ConstU32<10>;
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

/// Preimages: the large calls of governance proposals (runtime upgrades). Proposals note them
/// without a deposit (the proposal deposit covers them); only root may note or request by hand.
impl pallet_preimage::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type WeightInfo = pallet_preimage::weights::SubstrateWeight<Runtime>;
	type Currency = Balances;
	type ManagerOrigin = EnsureRoot<AccountId>;
	type Consideration = ();
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
	type WeightInfo = pallet_micro_contracts::weights::SubstrateWeight<Runtime>;
}

/// Governance: reputation-weighted proposals, enacted by the scheduler.
impl pallet_micro_governance::Config for Runtime {
	type RuntimeCall = RuntimeCall;
	type RuntimeOrigin = RuntimeOrigin;
	type PalletsOrigin = OriginCaller;
	type Scheduler = Scheduler;
	type Preimages = Preimage;
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type VotingWeight = Reputation;
	type ProposalDeposit = ConstU128<{ 100 * UNIT }>;
	type CharityAccount = CharityAccount;
	type OperationsAccount = OperationsAccount;
	type MaxActive = ConstU32<16>;
	type MaxVoters = ConstU32<10_000>;
	type MaxPayouts = ConstU32<16>;
	type WeightInfo = pallet_micro_governance::weights::SubstrateWeight<Runtime>;
}
