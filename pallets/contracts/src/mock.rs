//! A test runtime with the contracts pallet, and nodes, services and a reputation ledger the
//! tests control.

use crate as pallet_micro_contracts;
use core::cell::RefCell;
use frame_support::{
	derive_impl,
	traits::{ConstU32, ConstU64},
};
use micro_primitives::{
	ApiTokens, NodeDirectory, NodeId, NodeKey, NodeStanding, ReputationEvent, ReputationLedger,
	Score, ServiceDirectory, ServiceId, Subject, VersionNumber,
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
	pub type MicroContracts = pallet_micro_contracts;
	#[runtime::pallet_index(2)]
	pub type Balances = pallet_balances;
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
	/// Node id to operator.
	pub static NODES: RefCell<BTreeMap<NodeId, u64>> = const { RefCell::new(BTreeMap::new()) };
	/// Service id to owner.
	pub static SERVICES: RefCell<BTreeMap<ServiceId, u64>> = const { RefCell::new(BTreeMap::new()) };
	/// What was recorded against whom, in order.
	pub static LEDGER: RefCell<Vec<(Subject, ReputationEvent)>> = const { RefCell::new(Vec::new()) };
}

/// Nodes the tests control.
pub struct TestNodes;
impl NodeDirectory<u64, u64> for TestNodes {
	fn operator(node: NodeId) -> Option<u64> {
		NODES.with(|n| n.borrow().get(&node).copied())
	}
	fn node_key(_: NodeId) -> Option<NodeKey> {
		None
	}
	fn is_online(node: NodeId) -> bool {
		NODES.with(|n| n.borrow().contains_key(&node))
	}
	fn standing(_: NodeId) -> Option<NodeStanding<u64>> {
		None
	}
	fn nodes_of(operator: &u64) -> Vec<NodeId> {
		NODES.with(|n| {
			n.borrow().iter().filter(|(_, o)| *o == operator).map(|(id, _)| *id).collect()
		})
	}
	fn count() -> u32 {
		NODES.with(|n| n.borrow().len() as u32)
	}
	#[cfg(feature = "runtime-benchmarks")]
	fn register_for_benchmark(operator: &u64) -> NodeId {
		let id = NODES.with(|n| n.borrow().len() as NodeId);
		NODES.with(|n| n.borrow_mut().insert(id, *operator));
		id
	}
}

/// Services the tests control.
pub struct TestServices;
impl ServiceDirectory<u64, u64> for TestServices {
	fn owner(service: ServiceId) -> Option<u64> {
		SERVICES.with(|s| s.borrow().get(&service).copied())
	}
	fn registered_at(_: ServiceId) -> Option<u64> {
		None
	}
	fn price_per_call(_: ServiceId) -> Option<ApiTokens> {
		None
	}
	fn runs(_: NodeId, _: ServiceId, _: VersionNumber) -> bool {
		false
	}
	fn is_available(_: ServiceId) -> bool {
		false
	}
	fn services_of(owner: &u64, max: u32) -> Vec<ServiceId> {
		SERVICES.with(|s| {
			s.borrow()
				.iter()
				.filter(|(_, o)| *o == owner)
				.map(|(id, _)| *id)
				.take(max as usize)
				.collect()
		})
	}
	fn count() -> u32 {
		SERVICES.with(|s| s.borrow().len() as u32)
	}
}

/// A ledger that remembers what it was told.
pub struct TestLedger;
impl ReputationLedger for TestLedger {
	fn record(subject: Subject, event: ReputationEvent) {
		LEDGER.with(|l| l.borrow_mut().push((subject, event)));
	}
	fn score(_: Subject) -> Score {
		0
	}
}

impl pallet_micro_contracts::Config for Test {
	type Nodes = TestNodes;
	type Services = TestServices;
	type Reputation = TestLedger;
	type MaxParties = ConstU32<4>;
	type MaxSubjectsPerParty = ConstU32<2>;
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type ContractDeposit = ConstU64<DEPOSIT>;
	type DisputeWindow = ConstU64<DISPUTE_WINDOW>;
	type MaxHeldPerParty = ConstU32<MAX_HELD>;
	type MaxContractLife = ConstU64<MAX_CONTRACT_LIFE>;
	type WeightInfo = ();
}

/// The deposit each party holds on an open contract.
pub const DEPOSIT: u64 = 50;
/// Blocks the accused has to contest a breach.
pub const DISPUTE_WINDOW: u64 = 10;
/// Most deposits one account holds at once.
pub const MAX_HELD: u32 = 3;
/// Blocks after its deadline an active contract has for a result, and the furthest a
/// deadline may be.
pub const MAX_CONTRACT_LIFE: u64 = 100;
/// What every funded account starts with.
pub const ENDOWMENT: u64 = 1_000;
/// An account with nothing.
pub const PAUPER: u64 = 99;

/// Puts a node run by `operator` in the directory.
pub fn set_node(node: NodeId, operator: u64) {
	NODES.with(|n| n.borrow_mut().insert(node, operator));
}

/// Puts a service owned by `owner` in the directory.
pub fn set_service(service: ServiceId, owner: u64) {
	SERVICES.with(|s| s.borrow_mut().insert(service, owner));
}

/// What the ledger was told, in order.
pub fn ledger() -> Vec<(Subject, ReputationEvent)> {
	LEDGER.with(|l| l.borrow().clone())
}

/// Storage at block 1 with empty directories and accounts 1 to 9 funded with [`ENDOWMENT`].
pub fn new_test_ext() -> sp_io::TestExternalities {
	let mut storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	pallet_balances::GenesisConfig::<Test> {
		balances: (1..=9).map(|who| (who, ENDOWMENT)).collect(),
		..Default::default()
	}
	.assimilate_storage(&mut storage)
	.unwrap();
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.execute_with(|| {
		System::set_block_number(1);
		NODES.with(|n| n.borrow_mut().clear());
		SERVICES.with(|s| s.borrow_mut().clear());
		LEDGER.with(|l| l.borrow_mut().clear());
	});
	ext
}
