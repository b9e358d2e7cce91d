//! A test runtime with balances and the nodes pallet.

use crate as pallet_micro_nodes;
use core::cell::RefCell;
use frame_support::{
	derive_impl, parameter_types,
	traits::{ConstU32, ConstU64},
};
use frame_system::EnsureRoot;
use micro_primitives::{NodeId, NodePlacements, ReputationEvent, ReputationLedger, Subject};
use sp_keystore::{testing::MemoryKeystore, KeystoreExt};
use sp_runtime::BuildStorage;

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
	pub type Balances = pallet_balances;
	#[runtime::pallet_index(2)]
	pub type MicroNodes = pallet_micro_nodes;
}

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
	type AccountData = pallet_balances::AccountData<u64>;
}

#[derive_impl(pallet_balances::config_preludes::TestDefaultConfig)]
impl pallet_balances::Config for Test {
	type AccountStore = System;
	type RuntimeHoldReason = RuntimeHoldReason;
}

thread_local! {
	/// Nodes the test says services are placed on, each once per service it runs.
	pub static SERVING: RefCell<Vec<NodeId>> = const { RefCell::new(Vec::new()) };
	/// The heartbeats the placements were told of: node and the block it is online until.
	pub static HEARD: RefCell<Vec<(NodeId, u64)>> = const { RefCell::new(Vec::new()) };
	/// What the pallet recorded in the reputation ledger.
	pub static LEDGER: RefCell<Vec<(Subject, ReputationEvent)>> = const { RefCell::new(Vec::new()) };
}

/// The most services a node may run in the tests.
pub const MAX_SERVICES_PER_NODE: u32 = 8;

/// Placements the tests control.
pub struct TestPlacements;
impl NodePlacements<u64> for TestPlacements {
	fn is_serving(node: NodeId) -> bool {
		SERVING.with(|s| s.borrow().contains(&node))
	}
	fn max_services_per_node() -> u32 {
		MAX_SERVICES_PER_NODE
	}
	/// Counts the node once per time it is listed in [`SERVING`].
	fn on_heartbeat(node: NodeId, online_until: u64) -> u32 {
		HEARD.with(|h| h.borrow_mut().push((node, online_until)));
		SERVING.with(|s| s.borrow().iter().filter(|n| **n == node).count() as u32)
	}
	#[cfg(feature = "runtime-benchmarks")]
	fn serve_for_benchmark(node: NodeId, services: u32) {
		SERVING.with(|s| s.borrow_mut().extend((0..services).map(|_| node)));
	}
}

/// A ledger that remembers what it was told.
pub struct TestLedger;
impl ReputationLedger for TestLedger {
	fn record(subject: Subject, event: ReputationEvent) {
		LEDGER.with(|l| l.borrow_mut().push((subject, event)));
	}
	fn score(_: Subject) -> micro_primitives::Score {
		0
	}
}

parameter_types! {
	pub const NodeDeposit: u64 = 100;
}

impl pallet_micro_nodes::Config for Test {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type NodeDeposit = NodeDeposit;
	type MaxNodesPerOperator = ConstU32<3>;
	type MaxAddresses = ConstU32<4>;
	type MaxAddressLen = ConstU32<64>;
	type MaxPeerIdLen = ConstU32<64>;
	type ParamsOrigin = EnsureRoot<u64>;
	type MinHeartbeatTtl = ConstU64<2>;
	type MaxHeartbeatTtl = ConstU64<1_000>;
	type Placements = TestPlacements;
	type Reputation = TestLedger;
	type WeightInfo = ();
}

/// Operators funded in every test.
pub const ALICE: u64 = 1;
pub const BOB: u64 = 2;
/// An account with nothing.
pub const PAUPER: u64 = 9;

/// Storage with Alice and Bob funded and a 100-block heartbeat TTL, at block 1.
pub fn new_test_ext() -> sp_io::TestExternalities {
	let mut storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	pallet_balances::GenesisConfig::<Test> {
		balances: vec![(ALICE, 10_000), (BOB, 10_000)],
		..Default::default()
	}
	.assimilate_storage(&mut storage)
	.unwrap();
	pallet_micro_nodes::GenesisConfig::<Test> { heartbeat_ttl: 100 }
		.assimilate_storage(&mut storage)
		.unwrap();
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.register_extension(KeystoreExt::new(MemoryKeystore::new()));
	ext.execute_with(|| {
		System::set_block_number(1);
		SERVING.with(|s| s.borrow_mut().clear());
		LEDGER.with(|l| l.borrow_mut().clear());
		HEARD.with(|h| h.borrow_mut().clear());
	});
	ext
}
