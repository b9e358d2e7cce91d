//! A test runtime with the real nodes, services and reputation pallets wired as the runtime wires
//! them, with the runtime's bounds, for measuring what reading an account's score costs
//! (finding H4).

use crate as pallet_micro_reputation;
use frame_support::{
	derive_impl, parameter_types,
	traits::{AsEnsureOriginWithArg, ConstU128, ConstU32, ConstU64},
	PalletId,
};
use frame_system::{EnsureNever, EnsureRoot, EnsureSigned};
use pallet_nfts::PalletFeatures;
use sp_runtime::{
	traits::{IdentifyAccount, IdentityLookup, Verify},
	AccountId32, BuildStorage, MultiSignature,
};

type Block = frame_system::mocking::MockBlock<Chain>;
type Signature = MultiSignature;
type AccountPublic = <Signature as Verify>::Signer;
pub type AccountId = <AccountPublic as IdentifyAccount>::AccountId;

#[frame_support::runtime]
mod runtime {
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
	pub struct Chain;

	#[runtime::pallet_index(0)]
	pub type System = frame_system;
	#[runtime::pallet_index(1)]
	pub type Balances = pallet_balances;
	#[runtime::pallet_index(2)]
	pub type Nfts = pallet_nfts;
	#[runtime::pallet_index(3)]
	pub type MicroNodes = pallet_micro_nodes;
	#[runtime::pallet_index(4)]
	pub type MicroServices = pallet_micro_services;
	#[runtime::pallet_index(5)]
	pub type Reputation = pallet_micro_reputation;
}

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Chain {
	type Block = Block;
	type AccountId = AccountId;
	type Lookup = IdentityLookup<AccountId>;
	type AccountData = pallet_balances::AccountData<u64>;
}

#[derive_impl(pallet_balances::config_preludes::TestDefaultConfig)]
impl pallet_balances::Config for Chain {
	type AccountStore = System;
	type RuntimeHoldReason = RuntimeHoldReason;
}

parameter_types! {
	pub storage Features: PalletFeatures = PalletFeatures::all_enabled();
	pub const ServicesPalletId: PalletId = PalletId(*b"mcro/svc");
	pub Charity: AccountId = AccountId32::new([201; 32]);
	pub Operations: AccountId = AccountId32::new([202; 32]);
}

impl pallet_nfts::Config for Chain {
	type RuntimeEvent = RuntimeEvent;
	type CollectionId = u32;
	type ItemId = u32;
	type Currency = Balances;
	type CreateOrigin = AsEnsureOriginWithArg<EnsureSigned<AccountId>>;
	type ForceOrigin = EnsureNever<()>;
	type Locker = ();
	type CollectionDeposit = ConstU64<2>;
	type ItemDeposit = ConstU64<1>;
	type MetadataDepositBase = ConstU64<1>;
	type AttributeDepositBase = ConstU64<1>;
	type DepositPerByte = ConstU64<1>;
	type StringLimit = ConstU32<50>;
	type KeyLimit = ConstU32<50>;
	type ValueLimit = ConstU32<50>;
	type ApprovalsLimit = ConstU32<10>;
	type ItemAttributesApprovalsLimit = ConstU32<2>;
	type MaxTips = ConstU32<10>;
	type MaxDeadlineDuration = ConstU64<10000>;
	type MaxAttributesPerCall = ConstU32<2>;
	type Features = Features;
	type OffchainSignature = Signature;
	type OffchainPublic = AccountPublic;
	type WeightInfo = ();
	#[cfg(feature = "runtime-benchmarks")]
	type Helper = ();
	type BlockNumberProvider = System;
}

/// The runtime's bounds on nodes.
impl pallet_micro_nodes::Config for Chain {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type NodeDeposit = ConstU64<10>;
	type MaxNodesPerOperator = ConstU32<16>;
	type MaxAddresses = ConstU32<8>;
	type MaxAddressLen = ConstU32<128>;
	type MaxPeerIdLen = ConstU32<64>;
	type ParamsOrigin = EnsureRoot<AccountId>;
	type MinHeartbeatTtl = ConstU64<10>;
	type MaxHeartbeatTtl = ConstU64<14_400>;
	type Placements = MicroServices;
	type Reputation = Reputation;
	type WeightInfo = ();
}

/// The runtime's bounds on services, placements and versions.
impl pallet_micro_services::Config for Chain {
	type NativeBalance = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Nodes = MicroNodes;
	type Access = Reputation;
	type PalletId = ServicesPalletId;
	type ServiceDeposit = ConstU64<10>;
	type ExtraServiceDeposit = ConstU64<10>;
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
	type RetireGrace = ConstU64<600>;
	type EvictionBan = ConstU64<14_400>;
	type PriceRiseNotice = ConstU64<14_400>;
	type CharityAccount = Charity;
	type OperationsAccount = Operations;
	type WeightInfo = ();
}

/// The runtime's bound on services scanned.
impl pallet_micro_reputation::Config for Chain {
	type Nodes = MicroNodes;
	type Services = MicroServices;
	type ParamsOrigin = EnsureRoot<AccountId>;
	type BlocksPerDay = ConstU64<14_400>;
	type MaxTiers = ConstU32<8>;
	type MaxServicesScanned = ConstU32<16>;
	type UsageValueUnit = ConstU128<100>;
	type MaxFreeReservations = ConstU32<16>;
	type WeightInfo = ();
}

/// The test's accounts.
pub fn account(n: u8) -> AccountId {
	AccountId32::new([n; 32])
}

/// Storage at block 1 with `funded` accounts funded, the services collection created and one
/// access tier.
pub fn chain_ext(funded: &[AccountId]) -> sp_io::TestExternalities {
	let mut storage = frame_system::GenesisConfig::<Chain>::default().build_storage().unwrap();
	pallet_balances::GenesisConfig::<Chain> {
		balances: funded.iter().map(|who| (who.clone(), 1_000_000_000)).collect(),
		..Default::default()
	}
	.assimilate_storage(&mut storage)
	.unwrap();
	pallet_micro_services::GenesisConfig::<Chain>::default()
		.assimilate_storage(&mut storage)
		.unwrap();
	pallet_micro_nodes::GenesisConfig::<Chain> { heartbeat_ttl: 600 }
		.assimilate_storage(&mut storage)
		.unwrap();
	pallet_micro_reputation::GenesisConfig::<Chain> {
		access_tiers: vec![(0, 1_000, 5)],
		quota_period: 14_400,
	}
	.assimilate_storage(&mut storage)
	.unwrap();
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.execute_with(|| System::set_block_number(1));
	ext
}
