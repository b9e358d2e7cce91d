//! A test runtime with governance, the scheduler, preimages and balances, and voting weights
//! the tests set.

use crate as pallet_micro_governance;
use core::cell::RefCell;
use frame_support::{
	derive_impl, parameter_types,
	traits::{ConstU32, ConstU64, EqualPrivilegeOnly},
	weights::Weight,
};
use frame_system::EnsureRoot;
use micro_primitives::VotingWeight;
use sp_runtime::{BuildStorage, Perbill};
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
	pub type Balances = pallet_balances;
	#[runtime::pallet_index(2)]
	pub type Preimage = pallet_preimage;
	#[runtime::pallet_index(3)]
	pub type Scheduler = pallet_scheduler;
	#[runtime::pallet_index(4)]
	pub type Governance = pallet_micro_governance;
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

impl pallet_preimage::Config for Test {
	type RuntimeEvent = RuntimeEvent;
	type WeightInfo = ();
	type Currency = Balances;
	type ManagerOrigin = EnsureRoot<u64>;
	type Consideration = ();
}

parameter_types! {
	pub MaximumSchedulerWeight: Weight = Weight::from_parts(2_000_000_000_000, u64::MAX);
}

impl pallet_scheduler::Config for Test {
	type RuntimeEvent = RuntimeEvent;
	type RuntimeOrigin = RuntimeOrigin;
	type PalletsOrigin = OriginCaller;
	type RuntimeCall = RuntimeCall;
	type MaximumWeight = MaximumSchedulerWeight;
	type ScheduleOrigin = EnsureRoot<u64>;
	type OriginPrivilegeCmp = EqualPrivilegeOnly;
	type MaxScheduledPerBlock = ConstU32<10>;
	type WeightInfo = ();
	type Preimages = Preimage;
	type BlockNumberProvider = System;
}

thread_local! {
	pub static WEIGHTS: RefCell<BTreeMap<u64, u64>> = const { RefCell::new(BTreeMap::new()) };
}

/// Voting weights the tests set.
pub struct TestWeights;
impl VotingWeight<u64> for TestWeights {
	fn voting_weight(who: &u64) -> u64 {
		WEIGHTS.with(|w| w.borrow().get(who).copied().unwrap_or(0))
	}
	#[cfg(feature = "runtime-benchmarks")]
	fn give_weight_for_benchmark(who: &u64) {
		set_weight(*who, 1);
	}
}

/// Gives `who` voting weight `weight`.
pub fn set_weight(who: u64, weight: u64) {
	WEIGHTS.with(|w| w.borrow_mut().insert(who, weight));
}

/// The charity account.
pub const CHARITY: u64 = 1000;
/// The operations account.
pub const OPERATIONS: u64 = 1001;
/// The proposal deposit.
pub const DEPOSIT: u64 = 50;

parameter_types! {
	pub const Charity: u64 = CHARITY;
	pub const Operations: u64 = OPERATIONS;
}

impl pallet_micro_governance::Config for Test {
	type RuntimeCall = RuntimeCall;
	type RuntimeOrigin = RuntimeOrigin;
	type PalletsOrigin = OriginCaller;
	type Scheduler = Scheduler;
	type Preimages = Preimage;
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type VotingWeight = TestWeights;
	type ProposalDeposit = ConstU64<DEPOSIT>;
	type CharityAccount = Charity;
	type OperationsAccount = Operations;
	type MaxActive = ConstU32<4>;
	type MaxVoters = ConstU32<5>;
	type MaxPayouts = ConstU32<3>;
	type WeightInfo = ();
}

/// The rules the tests start with: 10 blocks of voting, enactment 3 blocks later, a quorum of
/// 10 and more than half the ayes; root proposals need 20 and more than two thirds.
pub fn test_rules() -> crate::RulesOf<Test> {
	crate::Rules {
		voting_period: 10,
		enactment_delay: 3,
		quorum: 10,
		approval: Perbill::from_percent(50),
		root_quorum: 20,
		root_approval: Perbill::from_percent(66),
	}
}

/// Storage at block 1: accounts 1 to 9 hold 1,000 each, charity 10,000, operations 5,000;
/// the test rules are set and nobody has voting weight.
pub fn new_test_ext() -> sp_io::TestExternalities {
	let mut storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	let mut balances: Vec<(u64, u64)> = (1..=9).map(|who| (who, 1_000)).collect();
	balances.extend([(CHARITY, 10_000), (OPERATIONS, 5_000)]);
	pallet_balances::GenesisConfig::<Test> { balances, ..Default::default() }
		.assimilate_storage(&mut storage)
		.unwrap();
	pallet_micro_governance::GenesisConfig::<Test> {
		voting_period: 10,
		enactment_delay: 3,
		quorum: 10,
		approval_percent: 50,
		root_quorum: 20,
		root_approval_percent: 66,
	}
	.assimilate_storage(&mut storage)
	.unwrap();
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.execute_with(|| {
		System::set_block_number(1);
		WEIGHTS.with(|w| w.borrow_mut().clear());
	});
	ext
}

/// Runs blocks up to and including `n`, with every pallet's hooks.
pub fn run_to_block(n: u64) {
	System::run_to_block::<AllPalletsWithSystem>(n);
}
