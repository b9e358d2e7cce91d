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
use micro_primitives::{Subject, Voice, VotingWeight};
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
	/// Each account's voices: the subject, the block it was registered in, and its weight.
	pub static VOICES: RefCell<BTreeMap<u64, Vec<(Subject, u64, u64)>>> =
		const { RefCell::new(BTreeMap::new()) };
	/// Registered nodes and services that belong to no account the tests set voices for.
	pub static IDLE_ELECTORATE: RefCell<u32> = const { RefCell::new(0) };
}

/// How many of an account's subjects the voices scan reads, as the reputation pallet reads
/// only the first services an account holds (in pallet-nfts' order, which anyone sending it
/// NFTs can fill).
pub const SCANNED: usize = 16;

/// Voices the tests set.
pub struct TestWeights;
impl VotingWeight<u64, u64> for TestWeights {
	fn voices(who: &u64, registered_by: u64) -> Vec<Voice> {
		VOICES.with(|v| {
			v.borrow()
				.get(who)
				.into_iter()
				.flatten()
				.take(SCANNED)
				.filter(|(_, registered_at, _)| *registered_at <= registered_by)
				.map(|&(subject, _, weight)| Voice { subject, weight })
				.collect()
		})
	}

	fn voice(who: &u64, subject: Subject, registered_by: u64) -> Option<Voice> {
		VOICES.with(|v| {
			v.borrow()
				.get(who)
				.into_iter()
				.flatten()
				.find(|(held, registered_at, _)| {
					*held == subject && *registered_at <= registered_by
				})
				.map(|&(subject, _, weight)| Voice { subject, weight })
		})
	}

	fn electorate() -> u32 {
		let voices =
			VOICES.with(|v| v.borrow().values().map(|list| list.len() as u32).sum::<u32>());
		voices + IDLE_ELECTORATE.with(|idle| *idle.borrow())
	}

	#[cfg(feature = "runtime-benchmarks")]
	fn give_weight_for_benchmark(who: &u64) {
		let voices = (0..micro_primitives::MAX_VOICES)
			.map(|i| (Subject::Node((*who as u32).wrapping_mul(100).wrapping_add(i)), 0, 1))
			.collect::<Vec<_>>();
		set_voices(*who, &voices);
	}
}

/// Gives `who` exactly `voices`: (subject, registered at, weight).
pub fn set_voices(who: u64, voices: &[(Subject, u64, u64)]) {
	VOICES.with(|v| v.borrow_mut().insert(who, voices.to_vec()));
}

/// Gives `who` one node, its own (node id `who`), registered at genesis, of weight `weight`.
pub fn set_weight(who: u64, weight: u64) {
	set_voices(who, &[(Subject::Node(who as u32), 0, weight)]);
}

/// Adds `count` registered nodes and services that never vote to the electorate.
pub fn set_idle_electorate(count: u32) {
	IDLE_ELECTORATE.with(|idle| *idle.borrow_mut() = count);
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
	pub const MinQuorum: Perbill = Perbill::from_percent(10);
	pub const MinRootApproval: Perbill = Perbill::from_percent(60);
	pub const MaxSpendPerPeriod: Perbill = Perbill::from_percent(50);
}

/// Proposals may not schedule calls by hand.
pub struct NoScheduling;
impl frame_support::traits::Contains<RuntimeCall> for NoScheduling {
	fn contains(call: &RuntimeCall) -> bool {
		!matches!(call, RuntimeCall::Scheduler(_))
	}
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
	type ProposalFilter = NoScheduling;
	type ProposalDeposit = ConstU64<DEPOSIT>;
	type CharityAccount = Charity;
	type OperationsAccount = Operations;
	type MaxActive = ConstU32<4>;
	type MaxActivePerProposer = ConstU32<2>;
	type MinQuorum = MinQuorum;
	type MinRootApproval = MinRootApproval;
	type SpendPeriod = ConstU64<100>;
	type MaxSpendPerPeriod = MaxSpendPerPeriod;
	type MaxPayouts = ConstU32<3>;
	type WeightInfo = ();
}

/// The rules the tests start with: 10 blocks of voting, enactment 3 blocks later, voices
/// registered 5 blocks before a proposal count; half the electorate must vote on a standard
/// proposal and the ayes exceed half the weight; a root proposal needs three quarters and more
/// than two thirds.
pub fn test_rules() -> crate::RulesOf<Test> {
	crate::Rules {
		voting_period: 10,
		enactment_delay: 3,
		min_age: 5,
		quorum: Perbill::from_percent(50),
		approval: Perbill::from_percent(50),
		root_quorum: Perbill::from_percent(75),
		root_approval: Perbill::from_percent(66),
	}
}

/// Storage at block 10: accounts 1 to 9 hold 1,000 each, charity 10,000, operations 5,000;
/// the test rules are set and nobody has a voice.
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
		min_age: 5,
		quorum_percent: 50,
		approval_percent: 50,
		root_quorum_percent: 75,
		root_approval_percent: 66,
	}
	.assimilate_storage(&mut storage)
	.unwrap();
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.execute_with(|| {
		System::set_block_number(10);
		VOICES.with(|v| v.borrow_mut().clear());
		set_idle_electorate(0);
	});
	ext
}

/// Runs blocks up to and including `n`, with every pallet's hooks.
pub fn run_to_block(n: u64) {
	System::run_to_block::<AllPalletsWithSystem>(n);
}
