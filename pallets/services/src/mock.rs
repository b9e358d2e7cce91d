//! A test runtime with balances, `pallet-nfts` and the services pallet, and nodes and access
//! tiers the tests control.

use crate as pallet_micro_services;
use core::cell::RefCell;
use frame_support::{
	derive_impl, parameter_types,
	traits::{AsEnsureOriginWithArg, ConstU32, ConstU64},
	PalletId,
};
use frame_system::{EnsureNever, EnsureSigned};
use micro_primitives::{AccessControl, NodeDirectory, NodeId, NodeKey, NodeStanding};
use pallet_nfts::PalletFeatures;
use sp_runtime::{
	traits::{IdentifyAccount, IdentityLookup, Verify},
	AccountId32, BuildStorage, DispatchResult, MultiSignature,
};
use std::collections::BTreeMap;

type Block = frame_system::mocking::MockBlock<Test>;
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
	pub struct Test;

	#[runtime::pallet_index(0)]
	pub type System = frame_system;
	#[runtime::pallet_index(1)]
	pub type Balances = pallet_balances;
	#[runtime::pallet_index(2)]
	pub type Nfts = pallet_nfts;
	#[runtime::pallet_index(3)]
	pub type MicroServices = pallet_micro_services;
}

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
	type AccountId = AccountId;
	type Lookup = IdentityLookup<AccountId>;
	type AccountData = pallet_balances::AccountData<u64>;
}

#[derive_impl(pallet_balances::config_preludes::TestDefaultConfig)]
impl pallet_balances::Config for Test {
	type AccountStore = System;
	type RuntimeHoldReason = RuntimeHoldReason;
}

parameter_types! {
	pub storage Features: PalletFeatures = PalletFeatures::all_enabled();
}

impl pallet_nfts::Config for Test {
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

thread_local! {
	/// Registered nodes: operator and whether online.
	pub static NODES: RefCell<BTreeMap<NodeId, (AccountId, bool)>> = const { RefCell::new(BTreeMap::new()) };
	/// How many services each account may register before the extra deposit.
	pub static ALLOWANCE: RefCell<u32> = const { RefCell::new(2) };
}

/// Nodes the tests control.
pub struct TestNodes;
impl NodeDirectory<AccountId, u64> for TestNodes {
	fn operator(node: NodeId) -> Option<AccountId> {
		NODES.with(|n| n.borrow().get(&node).map(|(operator, _)| operator.clone()))
	}
	fn node_key(_: NodeId) -> Option<NodeKey> {
		None
	}
	fn is_online(node: NodeId) -> bool {
		System::block_number() < ALL_OFFLINE_FROM
			&& NODES.with(|n| n.borrow().get(&node).is_some_and(|(_, online)| *online))
	}
	/// An online node heard from now; an offline one last online the block before.
	fn online_until(node: NodeId) -> Option<u64> {
		let now = System::block_number();
		NODES.with(|n| {
			n.borrow()
				.get(&node)
				.map(|(_, online)| if *online { now + TTL } else { now.saturating_sub(1) })
		})
	}
	fn standing(_: NodeId) -> Option<NodeStanding<u64>> {
		None
	}
	fn nodes_of(operator: &AccountId) -> Vec<NodeId> {
		NODES.with(|n| {
			n.borrow().iter().filter(|(_, (o, _))| o == operator).map(|(id, _)| *id).collect()
		})
	}
	fn count() -> u32 {
		NODES.with(|n| n.borrow().len() as u32)
	}
	#[cfg(feature = "runtime-benchmarks")]
	fn register_for_benchmark(operator: &AccountId) -> NodeId {
		let id = NODES.with(|n| n.borrow().len() as NodeId);
		set_node(id, operator.clone(), true);
		id
	}
}

/// An allowance the tests set.
pub struct TestAccess;
impl AccessControl<AccountId> for TestAccess {
	fn service_allowance(_: &AccountId) -> u32 {
		ALLOWANCE.with(|a| *a.borrow())
	}
	fn free_calls_left(_: &AccountId) -> u32 {
		0
	}
	fn use_free_calls(_: &AccountId, _: u32) -> DispatchResult {
		Ok(())
	}
}

parameter_types! {
	pub const ServicesPalletId: PalletId = PalletId(*b"mcro/svc");
	pub Charity: AccountId = charity();
	pub Operations: AccountId = operations();
}

impl pallet_micro_services::Config for Test {
	type NativeBalance = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Nodes = TestNodes;
	type Access = TestAccess;
	type PalletId = ServicesPalletId;
	type ServiceDeposit = ConstU64<50>;
	type ExtraServiceDeposit = ConstU64<200>;
	type MaxNameLen = ConstU32<32>;
	type MaxUrlLen = ConstU32<128>;
	type MaxRefLen = ConstU32<64>;
	type MaxIdentLen = ConstU32<32>;
	type MaxEndpoints = ConstU32<4>;
	type MaxFields = ConstU32<4>;
	type MaxVersions = ConstU32<5>;
	type MaxVersionsPerPlacement = ConstU32<3>;
	type MaxServicesPerNode = ConstU32<2>;
	type MaxNodesPerService = ConstU32<3>;
	type PriceRiseNotice = ConstU64<PRICE_RISE_NOTICE>;
	type RetireGrace = ConstU64<RETIRE_GRACE>;
	type EvictionBan = ConstU64<EVICTION_BAN>;
	type CharityAccount = Charity;
	type OperationsAccount = Operations;
	type WeightInfo = ();
}

/// The nodes' heartbeat TTL the tests assume.
pub const TTL: u64 = 100;
/// Blocks a price rise waits.
pub const PRICE_RISE_NOTICE: u64 = 10;
/// Blocks a version counts for after its retirement or the end of its placement.
pub const RETIRE_GRACE: u64 = 20;
/// Blocks a node the owner evicted may not place the service again.
pub const EVICTION_BAN: u64 = 40;
/// From this block on every node is offline (as a node is, long after its last heartbeat).
pub const ALL_OFFLINE_FROM: u64 = 1_000_000;

/// The test's accounts.
pub fn account(n: u8) -> AccountId {
	AccountId32::new([n; 32])
}
pub fn alice() -> AccountId {
	account(1)
}
pub fn bob() -> AccountId {
	account(2)
}
pub fn charlie() -> AccountId {
	account(3)
}
/// The account charity's part of a sale goes to.
pub fn charity() -> AccountId {
	account(201)
}
/// The account operations' part of a sale goes to.
pub fn operations() -> AccountId {
	account(202)
}

/// Registers (or updates) a node the tests control.
pub fn set_node(node: NodeId, operator: AccountId, online: bool) {
	NODES.with(|n| n.borrow_mut().insert(node, (operator, online)));
}

/// Storage at block 1 with funded accounts and the services collection created.
pub fn new_test_ext() -> sp_io::TestExternalities {
	let mut storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	pallet_balances::GenesisConfig::<Test> {
		balances: vec![(alice(), 10_000), (bob(), 10_000), (charlie(), 10_000)],
		..Default::default()
	}
	.assimilate_storage(&mut storage)
	.unwrap();
	pallet_micro_services::GenesisConfig::<Test>::default()
		.assimilate_storage(&mut storage)
		.unwrap();
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.execute_with(|| {
		System::set_block_number(1);
		NODES.with(|n| n.borrow_mut().clear());
		ALLOWANCE.with(|a| *a.borrow_mut() = 2);
	});
	ext
}
