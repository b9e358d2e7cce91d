//! A test runtime with the reputation pallet, and nodes and services the tests control.

use crate as pallet_micro_reputation;
use core::cell::RefCell;
use frame_support::{derive_impl, traits::ConstU32};
use frame_system::EnsureRoot;
use micro_primitives::{
	ApiTokens, NodeDirectory, NodeId, NodeKey, NodeStanding, ServiceDirectory, ServiceId,
	VersionNumber,
};
use sp_runtime::BuildStorage;
use std::collections::BTreeMap;

type Block = frame_system::mocking::MockBlock<Test>;

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
	pub type Reputation = pallet_micro_reputation;
}

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
}

/// A test node: its operator, when it registered, and its uptime.
#[derive(Clone)]
pub struct TestNode {
	pub operator: u64,
	pub registered_at: u64,
	pub uptime: u32,
}

/// A test service: its owner, when it registered, and whether it is available.
#[derive(Clone)]
pub struct TestService {
	pub owner: u64,
	pub registered_at: u64,
	pub available: bool,
}

thread_local! {
	pub static NODES: RefCell<BTreeMap<NodeId, TestNode>> = const { RefCell::new(BTreeMap::new()) };
	pub static SERVICES: RefCell<BTreeMap<ServiceId, TestService>> = const { RefCell::new(BTreeMap::new()) };
}

/// Nodes the tests control.
pub struct TestNodes;
impl NodeDirectory<u64, u64> for TestNodes {
	fn operator(node: NodeId) -> Option<u64> {
		NODES.with(|n| n.borrow().get(&node).map(|n| n.operator))
	}
	fn node_key(_: NodeId) -> Option<NodeKey> {
		None
	}
	fn is_online(node: NodeId) -> bool {
		NODES.with(|n| n.borrow().contains_key(&node))
	}
	fn standing(node: NodeId) -> Option<NodeStanding<u64>> {
		let now = System::block_number();
		NODES.with(|n| {
			n.borrow().get(&node).map(|n| NodeStanding {
				registered_at: n.registered_at,
				age: now.saturating_sub(n.registered_at),
				uptime: n.uptime,
				online: true,
			})
		})
	}
	fn nodes_of(operator: &u64) -> Vec<NodeId> {
		NODES.with(|n| {
			n.borrow().iter().filter(|(_, n)| n.operator == *operator).map(|(id, _)| *id).collect()
		})
	}
	fn count() -> u32 {
		NODES.with(|n| n.borrow().len() as u32)
	}
	#[cfg(feature = "runtime-benchmarks")]
	fn register_for_benchmark(operator: &u64) -> NodeId {
		let id = NODES.with(|n| n.borrow().len() as NodeId);
		set_node(id, *operator, 0, 1_000_000);
		id
	}
}

/// Services the tests control.
pub struct TestServices;
impl ServiceDirectory<u64, u64> for TestServices {
	fn owner(service: ServiceId) -> Option<u64> {
		SERVICES.with(|s| s.borrow().get(&service).map(|s| s.owner))
	}
	fn registered_at(service: ServiceId) -> Option<u64> {
		SERVICES.with(|s| s.borrow().get(&service).map(|s| s.registered_at))
	}
	fn price_per_call(_: ServiceId) -> Option<ApiTokens> {
		None
	}
	fn runs(_: NodeId, _: ServiceId, _: VersionNumber) -> bool {
		false
	}
	fn is_available(service: ServiceId) -> bool {
		SERVICES.with(|s| s.borrow().get(&service).is_some_and(|s| s.available))
	}
	fn count() -> u32 {
		SERVICES.with(|s| s.borrow().len() as u32)
	}
	fn services_of(owner: &u64, max: u32) -> Vec<ServiceId> {
		SERVICES.with(|s| {
			s.borrow()
				.iter()
				.filter(|(_, s)| s.owner == *owner)
				.map(|(id, _)| *id)
				.take(max as usize)
				.collect()
		})
	}
}

impl pallet_micro_reputation::Config for Test {
	type Nodes = TestNodes;
	type Services = TestServices;
	type ParamsOrigin = EnsureRoot<u64>;
	type BlocksPerDay = frame_support::traits::ConstU64<10>;
	type MaxTiers = ConstU32<4>;
	type MaxServicesScanned = ConstU32<8>;
	type UsageValueUnit = frame_support::traits::ConstU128<100>;
	type MaxFreeReservations = ConstU32<3>;
	type WeightInfo = ();
}

/// Puts a node in the directory.
pub fn set_node(node: NodeId, operator: u64, registered_at: u64, uptime: u32) {
	NODES.with(|n| n.borrow_mut().insert(node, TestNode { operator, registered_at, uptime }));
}

/// Puts a service in the directory.
pub fn set_service(service: ServiceId, owner: u64, registered_at: u64, available: bool) {
	SERVICES
		.with(|s| s.borrow_mut().insert(service, TestService { owner, registered_at, available }));
}

/// Storage at block 1 with three tiers (0: 2 services and 5 free calls, 100: 10 and 50,
/// 300: 50 and 500) and a 20-block quota period. Ten blocks make a day.
pub fn new_test_ext() -> sp_io::TestExternalities {
	let mut storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	pallet_micro_reputation::GenesisConfig::<Test> {
		access_tiers: vec![(0, 2, 5), (100, 10, 50), (300, 50, 500)],
		quota_period: 20,
	}
	.assimilate_storage(&mut storage)
	.unwrap();
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.execute_with(|| {
		System::set_block_number(1);
		NODES.with(|n| n.borrow_mut().clear());
		SERVICES.with(|s| s.borrow_mut().clear());
	});
	ext
}
