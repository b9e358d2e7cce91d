//! A test runtime with balances and the tokens pallet, and nodes, services, scores and free
//! quotas the tests control.

use crate as pallet_micro_tokens;
use core::cell::RefCell;
use frame_support::{
	derive_impl, parameter_types,
	traits::{ConstU128, ConstU32, ConstU64},
	PalletId,
};
use frame_system::EnsureRoot;
use micro_primitives::{
	AccessControl, ApiTokens, NodeDirectory, NodeId, NodeKey, NodeStanding, ReputationEvent,
	ReputationLedger, Score, ServiceDirectory, ServiceId, Subject, VersionNumber,
};
use sp_runtime::{BuildStorage, DispatchError, DispatchResult, Permill};
use std::collections::BTreeMap;

type Block = frame_system::mocking::MockBlock<Test>;
pub type AccountId = u64;

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
	pub type MicroTokens = pallet_micro_tokens;
}

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
	type AccountData = pallet_balances::AccountData<u128>;
}

#[derive_impl(pallet_balances::config_preludes::TestDefaultConfig)]
impl pallet_balances::Config for Test {
	type AccountStore = System;
	type Balance = u128;
	type ExistentialDeposit = ExistentialDeposit;
}

/// A node the tests control.
#[derive(Clone, Copy)]
pub struct TestNode {
	pub operator: AccountId,
	pub online: bool,
	pub score: Score,
	/// The node's key; distinct per node id unless a test sets it.
	pub key: NodeKey,
	/// Blocks since registration.
	pub age: u64,
	/// Share of its life online, in parts per million.
	pub uptime: u32,
}

thread_local! {
	/// Registered nodes.
	pub static NODES: RefCell<BTreeMap<NodeId, TestNode>> = const { RefCell::new(BTreeMap::new()) };
	/// How many services are registered.
	pub static SERVICES: RefCell<u32> = const { RefCell::new(0) };
	/// Free calls each account has left; 100 for accounts the tests did not set.
	pub static FREE_CALLS: RefCell<BTreeMap<AccountId, u32>> = const { RefCell::new(BTreeMap::new()) };
}

/// Nodes the tests control.
pub struct TestNodes;
impl NodeDirectory<AccountId, u64> for TestNodes {
	fn operator(node: NodeId) -> Option<AccountId> {
		get_node(node).map(|n| n.operator)
	}
	fn node_key(node: NodeId) -> Option<NodeKey> {
		get_node(node).map(|n| n.key)
	}
	fn is_online(node: NodeId) -> bool {
		get_node(node).is_some_and(|n| n.online)
	}
	fn standing(node: NodeId) -> Option<NodeStanding<u64>> {
		let now = System::block_number();
		get_node(node).map(|n| NodeStanding {
			registered_at: now.saturating_sub(n.age),
			age: n.age,
			uptime: n.uptime,
			online: n.online,
		})
	}
	fn nodes_of(operator: &AccountId) -> Vec<NodeId> {
		NODES.with(|n| {
			n.borrow().iter().filter(|(_, v)| v.operator == *operator).map(|(k, _)| *k).collect()
		})
	}
	fn count() -> u32 {
		NODES.with(|n| n.borrow().len() as u32)
	}
	#[cfg(feature = "runtime-benchmarks")]
	fn register_for_benchmark(operator: &AccountId) -> NodeId {
		let id = Self::count();
		set_node(id, *operator, true, 500);
		set_standing(id, 0, 1_000_000);
		id
	}
	#[cfg(feature = "runtime-benchmarks")]
	fn mature_for_benchmark(node: NodeId, age: u64) {
		set_standing(node, age, 1_000_000);
	}
}

/// Services the tests count.
pub struct TestServices;
impl ServiceDirectory<AccountId, u64> for TestServices {
	fn owner(_: ServiceId) -> Option<AccountId> {
		None
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
	fn services_of(_: &AccountId, _: u32) -> Vec<ServiceId> {
		Vec::new()
	}
	fn count() -> u32 {
		SERVICES.with(|s| *s.borrow())
	}
}

/// Scores the tests set on nodes.
pub struct TestReputation;
impl ReputationLedger for TestReputation {
	fn record(_: Subject, _: ReputationEvent) {}
	fn score(subject: Subject) -> Score {
		match subject {
			Subject::Node(node) => get_node(node).map_or(0, |n| n.score),
			Subject::Service(_) => 0,
		}
	}
}

/// Free quotas the tests set.
pub struct TestAccess;
impl AccessControl<AccountId> for TestAccess {
	fn service_allowance(_: &AccountId) -> u32 {
		0
	}
	fn free_calls_left(who: &AccountId) -> u32 {
		FREE_CALLS.with(|f| f.borrow().get(who).copied().unwrap_or(100))
	}
	fn use_free_calls(who: &AccountId, calls: u32) -> DispatchResult {
		FREE_CALLS.with(|f| {
			let mut f = f.borrow_mut();
			let left = f.entry(*who).or_insert(100);
			*left = left.checked_sub(calls).ok_or(DispatchError::Other("quota"))?;
			Ok(())
		})
	}
}

pub const CHARITY: AccountId = 9001;
pub const OPERATIONS: AccountId = 9002;
pub const AUTHOR: AccountId = 9003;

/// Nodes earn from 7 periods (of 100 blocks) old.
pub const MIN_NODE_AGE: u64 = 700;
/// A hold ends at least this many blocks ahead.
pub const HOLD_NOTICE: u64 = 10;
/// A hold ends at most this many blocks ahead: 30 days of 100 blocks.
pub const MAX_HOLD_PERIOD: u64 = 3_000;
/// The MICRO units all allowances may mint in one period.
pub const ALLOWANCE_BUDGET: u128 = 200_000;

parameter_types! {
	pub const MinUptime: Permill = Permill::from_percent(90);
	pub static ExistentialDeposit: u128 = 10;
	pub const TokensPalletId: PalletId = PalletId(*b"mcro/tok");
	pub const Charity: AccountId = CHARITY;
	pub const Operations: AccountId = OPERATIONS;
}

impl pallet_micro_tokens::Config for Test {
	type Currency = Balances;
	type Nodes = TestNodes;
	type Services = TestServices;
	type Reputation = TestReputation;
	type Access = TestAccess;
	type PalletId = TokensPalletId;
	type CharityAccount = Charity;
	type OperationsAccount = Operations;
	type ParamsOrigin = EnsureRoot<AccountId>;
	type MaxBatches = ConstU32<4>;
	type AllowancePeriod = ConstU64<100>;
	type MinNodeAge = ConstU64<MIN_NODE_AGE>;
	type MinUptime = MinUptime;
	type AllowanceBudget = ConstU128<ALLOWANCE_BUDGET>;
	type BlocksPerDay = ConstU64<100>;
	type FreeTokenLifetime = ConstU64<50>;
	type HoldNotice = ConstU64<HOLD_NOTICE>;
	type MaxHoldPeriod = ConstU64<MAX_HOLD_PERIOD>;
	type WeightInfo = ();
}

/// The test parameters: a token costs 100 to 1,100 units, halfway at 10 nodes and services;
/// batches live 100 blocks rounded up to 10, can be refreshed for 20 blocks after for 10%.
pub fn test_params() -> crate::TokenParams<u64> {
	crate::TokenParams {
		price: crate::PriceCurve { floor: 100, ceiling: 1_100, midpoint: 10 },
		lifetime: 100,
		granularity: 10,
		refresh_grace: 20,
		refresh_fee: Permill::from_percent(10),
		allowance_base: 50,
		allowance_per_point: 2,
	}
}

pub const ALICE: AccountId = 1;
pub const BOB: AccountId = 2;
pub const CHARLIE: AccountId = 3;

/// The key a test node has unless a test sets another.
pub fn node_key(node: NodeId) -> NodeKey {
	let mut key = [0xAB; 32];
	key[..4].copy_from_slice(&node.to_le_bytes());
	NodeKey::from_raw(key)
}

/// A node the tests registered.
pub fn get_node(node: NodeId) -> Option<TestNode> {
	NODES.with(|n| n.borrow().get(&node).copied())
}

/// Registers (or updates) a node the tests control. A new node has its own key, the age to earn
/// an allowance and full uptime.
pub fn set_node(node: NodeId, operator: AccountId, online: bool, score: Score) {
	NODES.with(|n| {
		let mut nodes = n.borrow_mut();
		let entry = nodes.entry(node).or_insert(TestNode {
			operator,
			online,
			score,
			key: node_key(node),
			age: MIN_NODE_AGE,
			uptime: 1_000_000,
		});
		entry.operator = operator;
		entry.online = online;
		entry.score = score;
	});
}

/// Sets a node's age and uptime (in parts per million).
pub fn set_standing(node: NodeId, age: u64, uptime: u32) {
	NODES.with(|n| {
		if let Some(entry) = n.borrow_mut().get_mut(&node) {
			entry.age = age;
			entry.uptime = uptime;
		}
	});
}

/// Gives a node another key.
pub fn set_key(node: NodeId, key: NodeKey) {
	NODES.with(|n| {
		if let Some(entry) = n.borrow_mut().get_mut(&node) {
			entry.key = key;
		}
	});
}

/// Takes a node off the register.
pub fn remove_node(node: NodeId) {
	NODES.with(|n| n.borrow_mut().remove(&node));
}

/// Sets how many free calls `who` has left.
pub fn set_free_calls(who: AccountId, calls: u32) {
	FREE_CALLS.with(|f| f.borrow_mut().insert(who, calls));
}

/// Storage at block 1 with funded accounts and the pot, charity and operations accounts open.
pub fn new_test_ext() -> sp_io::TestExternalities {
	let mut storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	pallet_balances::GenesisConfig::<Test> {
		balances: vec![(ALICE, 10_000_000), (BOB, 10_000_000), (CHARLIE, 10_000_000), (AUTHOR, 10)],
		..Default::default()
	}
	.assimilate_storage(&mut storage)
	.unwrap();
	pallet_micro_tokens::GenesisConfig::<Test> { params: Some(test_params()) }
		.assimilate_storage(&mut storage)
		.unwrap();
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.execute_with(|| {
		System::set_block_number(1);
		NODES.with(|n| n.borrow_mut().clear());
		SERVICES.with(|s| *s.borrow_mut() = 0);
		FREE_CALLS.with(|f| f.borrow_mut().clear());
	});
	ext
}
