//! A test runtime with balances, the tokens pallet and the settlement pallet, and nodes,
//! services and a reputation ledger the tests control.

use crate as pallet_micro_settlement;
use core::cell::RefCell;
use frame_support::{
	derive_impl, parameter_types,
	traits::{ConstU32, ConstU64},
	PalletId,
};
use frame_system::EnsureRoot;
use micro_primitives::{
	AccessControl, ApiTokens, NodeDirectory, NodeId, NodeKey, NodeStanding, ReputationEvent,
	ReputationLedger, Score, ServiceDirectory, ServiceId, Subject, VersionNumber,
};
use sp_core::Pair;
use sp_keystore::{testing::MemoryKeystore, KeystoreExt};
use sp_runtime::{
	traits::{IdentifyAccount, IdentityLookup, Verify},
	AccountId32, BuildStorage, DispatchResult, MultiSignature, Permill,
};
use std::collections::{BTreeMap, BTreeSet};

type Block = frame_system::mocking::MockBlock<Test>;
pub type Signature = MultiSignature;
pub type AccountId = <<Signature as Verify>::Signer as IdentifyAccount>::AccountId;

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
	#[runtime::pallet_index(3)]
	pub type Settlement = pallet_micro_settlement;
}

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
	type AccountId = AccountId;
	type Lookup = IdentityLookup<AccountId>;
	type AccountData = pallet_balances::AccountData<u128>;
}

#[derive_impl(pallet_balances::config_preludes::TestDefaultConfig)]
impl pallet_balances::Config for Test {
	type AccountStore = System;
	type Balance = u128;
	type ExistentialDeposit = ConstU128<10>;
}

use frame_support::traits::{
	fungible::{Balanced, Credit},
	ConstU128, OnUnbalanced,
};
use frame_support::weights::Weight;
use sp_runtime::traits::Convert;

/// Blocks a revoked allowance still settles for.
pub const REVOKE_NOTICE: u64 = 20;
/// Blocks a settlement may be disputed for, and a dispute refunded.
pub const DISPUTE_WINDOW: u64 = 50;
/// What a dispute holds.
pub const DISPUTE_DEPOSIT: u128 = 1_000;
/// Blocks ahead a hold must end at least.
pub const HOLD_NOTICE: u64 = 10;
/// A hold ends at most this many blocks ahead: 30 days of 100 blocks.
pub const MAX_HOLD_PERIOD: u64 = 3_000;

/// The fee of each rejected record of an unsigned report.
pub const REJECTED_RECORD_FEE: u128 = 500;

/// Blocks a (node, version) pair still counts for after it stopped running, as the services
/// pallet's `RetireGrace`.
pub const RETIRE_GRACE: u64 = 30;

/// A test service: owner, price, the (node, version) pairs it runs on, and the block each pair
/// that stopped (its version retired or its placement ended) stopped in.
#[derive(Clone)]
pub struct TestService {
	pub owner: AccountId,
	pub price: ApiTokens,
	pub runs: BTreeSet<(NodeId, VersionNumber)>,
	pub stopped: BTreeMap<(NodeId, VersionNumber), u64>,
}

thread_local! {
	pub static NODES: RefCell<BTreeMap<NodeId, (AccountId, NodeKey)>> = const { RefCell::new(BTreeMap::new()) };
	pub static SERVICES: RefCell<BTreeMap<ServiceId, TestService>> = const { RefCell::new(BTreeMap::new()) };
	pub static LEDGER: RefCell<Vec<(Subject, ReputationEvent)>> = const { RefCell::new(Vec::new()) };
}

/// Nodes the tests control.
pub struct TestNodes;
impl NodeDirectory<AccountId, u64> for TestNodes {
	fn operator(node: NodeId) -> Option<AccountId> {
		NODES.with(|n| n.borrow().get(&node).map(|n| n.0.clone()))
	}
	fn node_key(node: NodeId) -> Option<NodeKey> {
		NODES.with(|n| n.borrow().get(&node).map(|n| n.1))
	}
	fn is_online(node: NodeId) -> bool {
		NODES.with(|n| n.borrow().contains_key(&node))
	}
	fn standing(_: NodeId) -> Option<NodeStanding<u64>> {
		None
	}
	fn nodes_of(_: &AccountId) -> Vec<NodeId> {
		Vec::new()
	}
	fn count() -> u32 {
		NODES.with(|n| n.borrow().len() as u32)
	}
	#[cfg(feature = "runtime-benchmarks")]
	fn register_for_benchmark(operator: &AccountId) -> NodeId {
		let key = sp_io::crypto::ed25519_generate(micro_primitives::BENCHMARK_KEY_TYPE, None);
		let id = Self::count() + 100;
		NODES.with(|n| n.borrow_mut().insert(id, (operator.clone(), key)));
		id
	}
}

/// Services the tests control.
pub struct TestServices;
impl ServiceDirectory<AccountId, u64> for TestServices {
	fn owner(service: ServiceId) -> Option<AccountId> {
		SERVICES.with(|s| s.borrow().get(&service).map(|s| s.owner.clone()))
	}
	fn registered_at(_: ServiceId) -> Option<u64> {
		None
	}
	fn price_per_call(service: ServiceId) -> Option<ApiTokens> {
		SERVICES.with(|s| s.borrow().get(&service).map(|s| s.price))
	}
	fn runs(node: NodeId, service: ServiceId, version: VersionNumber) -> bool {
		SERVICES
			.with(|s| s.borrow().get(&service).is_some_and(|s| s.runs.contains(&(node, version))))
	}
	fn ran_recently(node: NodeId, service: ServiceId, version: VersionNumber) -> bool {
		let now = System::block_number();
		Self::runs(node, service, version)
			|| SERVICES.with(|s| {
				s.borrow().get(&service).is_some_and(|s| {
					s.stopped.get(&(node, version)).is_some_and(|at| now <= at + RETIRE_GRACE)
				})
			})
	}
	fn is_available(_: ServiceId) -> bool {
		true
	}
	fn services_of(_: &AccountId, _: u32) -> Vec<ServiceId> {
		Vec::new()
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

/// No free quota.
pub struct NoFreeQuota;
impl AccessControl<AccountId> for NoFreeQuota {
	fn service_allowance(_: &AccountId) -> u32 {
		0
	}
	fn free_calls_left(_: &AccountId) -> u32 {
		0
	}
	fn use_free_calls(_: &AccountId, _: u32) -> DispatchResult {
		Ok(())
	}
}

pub fn account(n: u8) -> AccountId {
	AccountId32::new([n; 32])
}
pub fn charity() -> AccountId {
	account(201)
}
pub fn operations() -> AccountId {
	account(202)
}

parameter_types! {
	pub const TokensPalletId: PalletId = PalletId(*b"mcro/tok");
	pub Charity: AccountId = charity();
	pub Operations: AccountId = operations();
	pub const NoMinUptime: Permill = Permill::zero();
}

impl pallet_micro_tokens::Config for Test {
	type Currency = Balances;
	type Nodes = TestNodes;
	type Services = TestServices;
	type Reputation = TestLedger;
	type Access = NoFreeQuota;
	type PalletId = TokensPalletId;
	type CharityAccount = Charity;
	type OperationsAccount = Operations;
	type ParamsOrigin = EnsureRoot<AccountId>;
	type MaxBatches = ConstU32<4>;
	type AllowancePeriod = ConstU64<100>;
	type MinNodeAge = ConstU64<0>;
	type MinUptime = NoMinUptime;
	type AllowanceBudget = ConstU128<0>;
	type BlocksPerDay = ConstU64<100>;
	type FreeTokenLifetime = ConstU64<50>;
	type HoldNotice = ConstU64<HOLD_NOTICE>;
	type MaxHoldPeriod = ConstU64<MAX_HOLD_PERIOD>;
	type WeightInfo = ();
}

/// Benchmark consumers are sr25519 keys in the test keystore.
#[cfg(feature = "runtime-benchmarks")]
pub struct TestBenchmarkHelper;
#[cfg(feature = "runtime-benchmarks")]
impl crate::BenchmarkHelper<AccountId, Signature> for TestBenchmarkHelper {
	fn consumer(index: u32) -> AccountId {
		crate::sr25519_consumers::consumer(index)
	}
	fn sign(consumer: &AccountId, message: &[u8]) -> Signature {
		crate::sr25519_consumers::sign(consumer, message)
	}
	fn live_service(owner: &AccountId, node: NodeId) -> (ServiceId, VersionNumber) {
		let id = SERVICES.with(|s| s.borrow().len() as ServiceId);
		set_service(id, owner.clone(), 1, &[(node, 1)]);
		(id, 1)
	}
}

/// Where report fees go in the tests: the fee account.
pub fn fee_pot() -> AccountId {
	account(203)
}

/// Report fees are paid into [`fee_pot`].
pub struct ToFeePot;
impl OnUnbalanced<Credit<AccountId, Balances>> for ToFeePot {
	fn on_nonzero_unbalanced(amount: Credit<AccountId, Balances>) {
		let _ = <Balances as Balanced<AccountId>>::resolve(&fee_pot(), amount);
	}
}

/// A signed transaction's fee in the tests: one unit per microsecond of weight and one per byte.
pub struct TestReportFee;
impl Convert<(Weight, u32), u128> for TestReportFee {
	fn convert((weight, len): (Weight, u32)) -> u128 {
		u128::from(weight.ref_time() / 1_000_000) + u128::from(len)
	}
}

impl pallet_micro_settlement::Config for Test {
	type Signature = Signature;
	type Nodes = TestNodes;
	type Services = TestServices;
	type Tokens = MicroTokens;
	type Reputation = TestLedger;
	type Currency = Balances;
	type ReportFee = TestReportFee;
	type RejectedRecordFee = ConstU128<REJECTED_RECORD_FEE>;
	type OnReportFee = ToFeePot;
	type MaxRecords = ConstU32<100>;
	type MinReportInterval = ConstU64<5>;
	type RevokeNotice = ConstU64<REVOKE_NOTICE>;
	type DisputeWindow = ConstU64<DISPUTE_WINDOW>;
	type DisputeDeposit = ConstU128<DISPUTE_DEPOSIT>;
	type RuntimeHoldReason = RuntimeHoldReason;
	type WeightInfo = ();
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = TestBenchmarkHelper;
}

/// Token prices of 1,000 units each, lifetimes of 1,000 blocks.
pub fn token_params() -> pallet_micro_tokens::TokenParams<u64> {
	pallet_micro_tokens::TokenParams {
		price: pallet_micro_tokens::PriceCurve { floor: 1_000, ceiling: 1_000, midpoint: 1 },
		lifetime: 1_000,
		granularity: 1,
		refresh_grace: 100,
		refresh_fee: Permill::zero(),
		allowance_base: 0,
		allowance_per_point: 0,
	}
}

/// Registers a node the tests control, with the key of `seed`.
pub fn set_node(node: NodeId, operator: AccountId, seed: &str) -> sp_core::ed25519::Pair {
	let pair = sp_core::ed25519::Pair::from_string(seed, None).unwrap();
	NODES.with(|n| n.borrow_mut().insert(node, (operator, pair.public())));
	pair
}

/// Registers a service the tests control.
pub fn set_service(
	id: ServiceId,
	owner: AccountId,
	price: ApiTokens,
	runs: &[(NodeId, VersionNumber)],
) {
	SERVICES.with(|s| {
		s.borrow_mut().insert(
			id,
			TestService {
				owner,
				price,
				runs: runs.iter().copied().collect(),
				stopped: BTreeMap::new(),
			},
		)
	});
}

/// The owner retires `version` of `service` now: every node stops running it.
pub fn retire(service: ServiceId, version: VersionNumber) {
	let now = System::block_number();
	SERVICES.with(|s| {
		if let Some(s) = s.borrow_mut().get_mut(&service) {
			let stopping: Vec<_> = s.runs.iter().filter(|(_, v)| *v == version).copied().collect();
			for pair in stopping {
				s.runs.remove(&pair);
				s.stopped.insert(pair, now);
			}
		}
	});
}

/// What the ledger was told, since the last call.
pub fn take_ledger() -> Vec<(Subject, ReputationEvent)> {
	LEDGER.with(|l| core::mem::take(&mut *l.borrow_mut()))
}

/// Storage at block 1 with funded accounts, a keystore, and the token accounts open.
pub fn new_test_ext() -> sp_io::TestExternalities {
	let mut storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	pallet_balances::GenesisConfig::<Test> {
		balances: (1..=10).chain([203]).map(|n| (account(n), 100_000_000)).collect(),
		..Default::default()
	}
	.assimilate_storage(&mut storage)
	.unwrap();
	pallet_micro_tokens::GenesisConfig::<Test> { params: Some(token_params()) }
		.assimilate_storage(&mut storage)
		.unwrap();
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.register_extension(KeystoreExt::new(MemoryKeystore::new()));
	ext.execute_with(|| {
		System::set_block_number(1);
		NODES.with(|n| n.borrow_mut().clear());
		SERVICES.with(|s| s.borrow_mut().clear());
		LEDGER.with(|l| l.borrow_mut().clear());
	});
	ext
}
