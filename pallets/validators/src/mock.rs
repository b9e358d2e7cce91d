//! A test runtime with balances and the validators pallet; nodes, scores, session keys and the
//! active set are what the tests say.

use crate as pallet_micro_validators;
use core::cell::RefCell;
use frame_support::{
	derive_impl, parameter_types,
	traits::{ConstU32, ConstU64, ValidatorRegistration, ValidatorSet},
};
use frame_system::EnsureRoot;
use micro_primitives::{
	NodeDirectory, NodeId, NodeKey, NodeStanding, ReputationEvent, ReputationLedger, Score, Subject,
};
use sp_consensus_slots::Slot;
use sp_runtime::{testing::UintAuthorityId, BuildStorage, KeyTypeId, Perbill};
use sp_staking::{
	offence::{Offence, OffenceDetails, OffenceError, OnOffenceHandler, ReportOffence},
	SessionIndex,
};
use std::collections::{BTreeMap, BTreeSet};

pub use sp_session::MembershipProof;

pub type AccountId = u64;
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
	pub type Validators = pallet_micro_validators;
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

/// A registered node as the tests set it.
#[derive(Clone, Copy)]
pub struct TestNode {
	pub operator: AccountId,
	pub age: u64,
	pub online: bool,
}

thread_local! {
	pub static NODES: RefCell<BTreeMap<NodeId, TestNode>> = const { RefCell::new(BTreeMap::new()) };
	pub static SCORES: RefCell<BTreeMap<NodeId, Score>> = const { RefCell::new(BTreeMap::new()) };
	/// Each account's session key, by the number of its `UintAuthorityId`.
	pub static KEYS: RefCell<BTreeMap<AccountId, u64>> = const { RefCell::new(BTreeMap::new()) };
	/// The current session's index.
	pub static CURRENT_SESSION: RefCell<SessionIndex> = const { RefCell::new(0) };
	pub static ACTIVE: RefCell<Vec<AccountId>> = const { RefCell::new(Vec::new()) };
	/// The offences reported, by offender and slot.
	pub static OFFENCES: RefCell<BTreeSet<(AccountId, Slot)>> = const { RefCell::new(BTreeSet::new()) };
}

/// Registers `node`, run by `operator`, `age` blocks old and online.
pub fn set_node(node: NodeId, operator: AccountId, age: u64, online: bool) {
	NODES.with(|n| n.borrow_mut().insert(node, TestNode { operator, age, online }));
}

pub fn set_score(node: NodeId, score: Score) {
	SCORES.with(|s| s.borrow_mut().insert(node, score));
}

/// Gives `who` session keys (`UintAuthorityId(who)`).
pub fn set_keys(who: AccountId) {
	rotate_keys(who, who);
}

/// Sets `who`'s session key to `UintAuthorityId(key)`.
pub fn rotate_keys(who: AccountId, key: u64) {
	KEYS.with(|k| k.borrow_mut().insert(who, key));
}

/// Starts session `index` (after planning it), as pallet-session would.
pub fn start_session(index: SessionIndex) {
	CURRENT_SESSION.with(|s| *s.borrow_mut() = index);
	<Validators as pallet_session::SessionManager<_>>::start_session(index);
}

/// Sets the current session's validators.
pub fn set_active(set: &[AccountId]) {
	ACTIVE.with(|a| *a.borrow_mut() = set.to_vec());
}

pub struct TestNodes;
impl NodeDirectory<AccountId, u64> for TestNodes {
	fn operator(node: NodeId) -> Option<AccountId> {
		NODES.with(|n| n.borrow().get(&node).map(|n| n.operator))
	}
	fn node_key(_: NodeId) -> Option<NodeKey> {
		None
	}
	fn is_online(node: NodeId) -> bool {
		NODES.with(|n| n.borrow().get(&node).is_some_and(|n| n.online))
	}
	fn standing(node: NodeId) -> Option<NodeStanding<u64>> {
		let now = System::block_number();
		NODES.with(|n| {
			n.borrow().get(&node).map(|n| NodeStanding {
				registered_at: now.saturating_sub(n.age),
				age: n.age,
				uptime: 1_000_000,
				online: n.online,
			})
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
		set_node(id, *operator, 1_000, true);
		id
	}
}

pub struct TestReputation;
impl ReputationLedger for TestReputation {
	fn record(_: Subject, _: ReputationEvent) {}
	fn score(subject: Subject) -> Score {
		match subject {
			Subject::Node(node) => SCORES.with(|s| s.borrow().get(&node).copied().unwrap_or(0)),
			_ => 0,
		}
	}
}

pub struct TestKeys;
impl ValidatorRegistration<AccountId> for TestKeys {
	fn is_registered(who: &AccountId) -> bool {
		KEYS.with(|k| k.borrow().contains_key(who))
	}
}

pub struct TestSession;
impl ValidatorSet<AccountId> for TestSession {
	type ValidatorId = AccountId;
	type ValidatorIdOf = sp_runtime::traits::ConvertInto;
	fn session_index() -> SessionIndex {
		CURRENT_SESSION.with(|s| *s.borrow())
	}
	fn validators() -> Vec<AccountId> {
		ACTIVE.with(|a| a.borrow().clone())
	}
}

/// Each account's session key: a `UintAuthorityId`, account `n`'s being `n` unless a test
/// rotates it.
pub struct TestSessionKeys;
impl crate::SessionKeysOf<AccountId> for TestSessionKeys {
	fn session_keys(who: &AccountId) -> Option<Vec<(KeyTypeId, Vec<u8>)>> {
		use sp_runtime::RuntimeAppPublic;
		KEYS.with(|k| k.borrow().get(who).copied())
			.map(|key| vec![(UintAuthorityId::ID, key.to_le_bytes().to_vec())])
	}
}

/// pallet-offences as far as the pallet sees it: each offence once, handed to the pallet.
pub struct TestOffences;
impl ReportOffence<AccountId, (AccountId, ()), crate::AuraEquivocationOffence<(AccountId, ())>>
	for TestOffences
{
	fn report_offence(
		_: Vec<AccountId>,
		offence: crate::AuraEquivocationOffence<(AccountId, ())>,
	) -> Result<(), OffenceError> {
		let key = (offence.offender.0, offence.slot);
		if !OFFENCES.with(|o| o.borrow_mut().insert(key)) {
			return Err(OffenceError::DuplicateReport);
		}
		<Validators as OnOffenceHandler<_, _, frame_support::weights::Weight>>::on_offence(
			&[OffenceDetails { offender: offence.offender, reporters: Vec::new() }],
			&[offence.slash_fraction(1)],
			offence.session_index,
		);
		Ok(())
	}
	fn is_known_offence(offenders: &[(AccountId, ())], slot: &Slot) -> bool {
		offenders.iter().any(|(who, _)| OFFENCES.with(|o| o.borrow().contains(&(*who, *slot))))
	}
}

parameter_types! {
	pub const OfflineSlash: Perbill = Perbill::from_percent(1);
	pub const EquivocationSlash: Perbill = Perbill::from_percent(10);
}

impl pallet_micro_validators::Config for Test {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Slashed = ();
	type Nodes = TestNodes;
	type Reputation = TestReputation;
	type KeysRegistered = TestKeys;
	type ActiveValidators = TestSession;
	type SessionKeys = TestSessionKeys;
	type AuraId = UintAuthorityId;
	type ReportOffence = TestOffences;
	type ReportLongevity = ConstU64<100>;
	type GovernanceOrigin = EnsureRoot<AccountId>;
	type MaxValidators = ConstU32<8>;
	type MaxCandidates = ConstU32<10>;
	type OfflineSlash = OfflineSlash;
	type OfflineSessions = ConstU32<2>;
	type EquivocationSlash = EquivocationSlash;
	type BondingDuration = ConstU64<100>;
	type KeptSessions = ConstU32<5>;
	type WeightInfo = ();
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = TestKeys;
}

#[cfg(feature = "runtime-benchmarks")]
impl crate::benchmarking::BenchmarkHelper<AccountId> for TestKeys {
	fn set_keys(who: &AccountId) {
		set_keys(*who);
	}
}

/// The bond of the test chain.
pub const BOND: u64 = 1_000;
/// Sessions last ten blocks.
pub const SESSION: u64 = 10;

/// Accounts 1 to 4 validate, each bonded; accounts 1 to 9 hold 10,000; the set keeps at least
/// three; a candidate's node must be 5 blocks old with a score of 100.
pub fn new_test_ext() -> sp_io::TestExternalities {
	NODES.with(|n| n.borrow_mut().clear());
	SCORES.with(|s| s.borrow_mut().clear());
	KEYS.with(|k| *k.borrow_mut() = (1..=4).map(|who| (who, who)).collect());
	CURRENT_SESSION.with(|s| *s.borrow_mut() = 0);
	ACTIVE.with(|a| *a.borrow_mut() = vec![1, 2, 3, 4]);
	OFFENCES.with(|o| o.borrow_mut().clear());
	let mut storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	pallet_balances::GenesisConfig::<Test> {
		balances: (1..=9).map(|who| (who, 10_000)).collect(),
		..Default::default()
	}
	.assimilate_storage(&mut storage)
	.unwrap();
	pallet_micro_validators::GenesisConfig::<Test> {
		bond: BOND,
		min_score: 100,
		min_node_age: 5,
		min_validators: 3,
		session_length: SESSION,
		validators: (1..=4).map(|who| (who, BOND)).collect(),
	}
	.assimilate_storage(&mut storage)
	.unwrap();
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.execute_with(|| {
		// pallet-session's genesis: sessions 0 and 1 planned, 0 started.
		<Validators as pallet_session::SessionManager<_>>::new_session_genesis(0);
		<Validators as pallet_session::SessionManager<_>>::new_session_genesis(1);
		start_session(0);
		System::set_block_number(1);
	});
	ext
}
