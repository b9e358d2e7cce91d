//! Benchmarks of the validators pallet, each at its slowest path: every check passing, the set
//! as full as the call allows.

use super::*;
use frame_benchmarking::v2::*;
use frame_support::traits::fungible::Inspect;
use frame_support::{pallet_prelude::*, traits::fungible::Mutate};
use frame_system::RawOrigin;
use micro_primitives::NodeDirectory;
use sp_runtime::traits::{Saturating, Zero};

/// Benchmarks only: what the runtime does that the pallet cannot, such as giving an account
/// session keys.
pub trait BenchmarkHelper<AccountId> {
	/// Give `who` session keys, as `session.setKeys` would.
	fn set_keys(who: &AccountId);
}

/// Rules anyone with a registered node meets, with the largest least set size `validators`
/// allows.
fn open_rules<T: Config>(min_validators: u32) {
	let mut rules = Rules::<T>::get().expect("the benchmark chain has rules");
	rules.min_score = 0;
	rules.min_node_age = Zero::zero();
	rules.min_validators = min_validators.max(1);
	Rules::<T>::put(rules);
}

/// An account with plenty of funds, a registered node and session keys.
fn operator<T: Config>(index: u32) -> (T::AccountId, micro_primitives::NodeId) {
	let who: T::AccountId = account("operator", index, 0);
	let bond = Rules::<T>::get().map(|rules| rules.bond).unwrap_or_default();
	let plenty = bond
		.saturating_mul(10u32.into())
		.saturating_add(T::Currency::minimum_balance().saturating_mul(1_000u32.into()));
	T::Currency::set_balance(&who, plenty);
	let node = T::Nodes::register_for_benchmark(&who);
	T::Nodes::mature_for_benchmark(node, 1_000u32.into());
	T::BenchmarkHelper::set_keys(&who);
	(who, node)
}

/// A candidate, standing.
fn candidate<T: Config>(index: u32) -> T::AccountId {
	let (who, node) = operator::<T>(index);
	Pallet::<T>::do_apply(who.clone(), node).expect("the candidate applies");
	who
}

/// Fills the set to `size` validators (the genesis ones first).
fn fill_set<T: Config>(size: u32) {
	let mut index = 1_000;
	while (ChosenSet::<T>::get().len() as u32) < size {
		let who = candidate::<T>(index);
		Pallet::<T>::do_add(who).expect("the set has room");
		index += 1;
	}
}

#[benchmarks]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn apply() {
		open_rules::<T>(1);
		let (who, node) = operator::<T>(0);

		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()), node);

		assert!(Candidates::<T>::contains_key(&who));
	}

	#[benchmark]
	fn withdraw_candidacy() {
		open_rules::<T>(1);
		let who = candidate::<T>(0);

		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()));

		assert!(Unbonding::<T>::contains_key(&who));
	}

	#[benchmark]
	fn add_validator(v: Linear<1, { T::MaxValidators::get() - 1 }>) -> Result<(), BenchmarkError> {
		open_rules::<T>(1);
		fill_set::<T>(v);
		let who = candidate::<T>(0);
		let origin =
			T::GovernanceOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, who.clone());

		assert!(ChosenSet::<T>::get().contains(&who));
		Ok(())
	}

	#[benchmark]
	fn remove_validator(v: Linear<2, { T::MaxValidators::get() }>) -> Result<(), BenchmarkError> {
		open_rules::<T>(1);
		fill_set::<T>(v);
		// The last one: the search through the set is the longest.
		let who = ChosenSet::<T>::get().last().cloned().expect("a full set");
		let origin =
			T::GovernanceOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, who.clone());

		assert!(!ChosenSet::<T>::get().contains(&who));
		Ok(())
	}

	#[benchmark]
	fn withdraw_unbonded() {
		open_rules::<T>(1);
		let who = candidate::<T>(0);
		Pallet::<T>::do_withdraw_candidacy(who.clone()).expect("it stands");
		let until = Unbonding::<T>::get(&who).expect("unbonding").until;
		frame_system::Pallet::<T>::set_block_number(until.saturating_add(1u32.into()));

		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()));

		assert!(!Unbonding::<T>::contains_key(&who));
	}

	#[benchmark]
	fn set_rules() -> Result<(), BenchmarkError> {
		let rules = Rules::<T>::get().expect("rules");
		let origin =
			T::GovernanceOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, rules);

		assert_eq!(Rules::<T>::get(), Some(rules));
		Ok(())
	}

	impl_benchmark_test_suite!(Pallet, crate::mock::new_test_ext(), crate::mock::Test);
}
