//! Benchmarks of the contracts pallet, each at its slowest path.

use super::*;
use alloc::vec::Vec;
use frame_benchmarking::v2::*;
use frame_support::{pallet_prelude::*, traits::fungible::Mutate};
use frame_system::{pallet_prelude::BlockNumberFor, RawOrigin};
use micro_primitives::NodeDirectory;
use sp_core::H256;
use sp_runtime::{traits::Bounded, Saturating};

/// The furthest deadline a proposal made now may have.
fn furthest_deadline<T: Config>() -> BlockNumberFor<T> {
	frame_system::Pallet::<T>::block_number().saturating_add(T::MaxContractLife::get())
}

/// `count` parties, each funded for many deposits.
fn parties<T: Config>(count: u32) -> Vec<T::AccountId> {
	(0..count)
		.map(|index| {
			let who: T::AccountId = account("party", index, 0);
			T::Currency::set_balance(&who, BalanceOf::<T>::max_value() / 1_000_000u32.into());
			who
		})
		.collect()
}

/// An active contract between the most parties, each running the most nodes a result is
/// recorded against, whose last party is accused of a breach by all the others.
fn breach_pending<T: Config>() -> (ContractId, T::AccountId) {
	let (id, parties) = nearly_active::<T>(T::MaxParties::get());
	let accused = parties.last().expect("parties").clone();
	Pallet::<T>::do_approve(accused.clone(), id).expect("the last party approves");
	for party in &parties {
		for _ in 0..T::MaxSubjectsPerParty::get() {
			T::Nodes::register_for_benchmark(party);
		}
	}
	for party in &parties[..parties.len() - 1] {
		Pallet::<T>::do_declare_result(party.clone(), id, Outcome::Breached(accused.clone()))
			.expect("a party declares the breach");
	}
	assert_eq!(Contracts::<T>::get(id).map(|c| c.status), Some(Status::BreachPending));
	(id, accused)
}

/// A proposed contract between `count` parties, approved by all but the last.
fn nearly_active<T: Config>(count: u32) -> (ContractId, Vec<T::AccountId>) {
	let parties = parties::<T>(count);
	let id = NextContractId::<T>::get();
	let deadline = furthest_deadline::<T>();
	Pallet::<T>::do_propose(
		parties[0].clone(),
		parties.clone(),
		H256::repeat_byte(1),
		None,
		deadline,
	)
	.expect("a valid proposal");
	for party in &parties[1..parties.len() - 1] {
		Pallet::<T>::do_approve(party.clone(), id).expect("a party approves");
	}
	(id, parties)
}

#[benchmarks]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn propose(p: Linear<2, { T::MaxParties::get() }>) {
		let parties = parties::<T>(p);
		let bounded: BoundedVec<_, T::MaxParties> = parties.clone().try_into().expect("bounded");
		let deadline = furthest_deadline::<T>();

		#[extrinsic_call]
		_(RawOrigin::Signed(parties[0].clone()), bounded, H256::repeat_byte(1), None, deadline);

		assert!(Contracts::<T>::contains_key(0));
	}

	#[benchmark]
	fn approve() {
		let (id, parties) = nearly_active::<T>(T::MaxParties::get());
		let last = parties.last().expect("parties").clone();

		#[extrinsic_call]
		_(RawOrigin::Signed(last), id);

		assert_eq!(Contracts::<T>::get(id).map(|c| c.status), Some(Status::Active));
	}

	#[benchmark]
	fn reject() {
		let (id, parties) = nearly_active::<T>(T::MaxParties::get());
		let last = parties.last().expect("parties").clone();

		#[extrinsic_call]
		_(RawOrigin::Signed(last), id);

		assert_eq!(Contracts::<T>::get(id).map(|c| c.status), Some(Status::Rejected));
	}

	#[benchmark]
	fn lapse() {
		let (id, parties) = nearly_active::<T>(T::MaxParties::get());
		frame_system::Pallet::<T>::set_block_number(
			furthest_deadline::<T>().saturating_add(1u32.into()),
		);

		#[extrinsic_call]
		_(RawOrigin::Signed(parties[0].clone()), id);

		assert_eq!(Contracts::<T>::get(id).map(|c| c.status), Some(Status::Lapsed));
	}

	/// The last declaration of a fulfilled contract between the most parties, each running the
	/// most nodes a result is recorded against.
	#[benchmark]
	fn declare_result() {
		let (id, parties) = nearly_active::<T>(T::MaxParties::get());
		let last = parties.last().expect("parties").clone();
		Pallet::<T>::do_approve(last.clone(), id).expect("the last party approves");
		for party in &parties {
			for _ in 0..T::MaxSubjectsPerParty::get() {
				T::Nodes::register_for_benchmark(party);
			}
		}
		for party in &parties[..parties.len() - 1] {
			Pallet::<T>::do_declare_result(party.clone(), id, Outcome::Fulfilled)
				.expect("a party declares");
		}

		#[extrinsic_call]
		_(RawOrigin::Signed(last), id, Outcome::Fulfilled);

		assert_eq!(ResultCount::<T>::get(), 1);
	}

	/// A contest the accused loses (the breach is corroborated), with every deposit released.
	#[benchmark]
	fn contest_breach() {
		let (id, accused) = breach_pending::<T>();

		#[extrinsic_call]
		_(RawOrigin::Signed(accused), id);

		assert_eq!(ResultCount::<T>::get(), 1);
	}

	#[benchmark]
	fn confirm_breach() {
		let (id, accused) = breach_pending::<T>();
		let after = frame_system::Pallet::<T>::block_number()
			.saturating_add(T::DisputeWindow::get())
			.saturating_add(1u32.into());
		frame_system::Pallet::<T>::set_block_number(after);

		#[extrinsic_call]
		_(RawOrigin::Signed(accused), id);

		assert_eq!(ResultCount::<T>::get(), 1);
	}

	/// The release of every party's deposit of a fulfilled contract between the most parties,
	/// the dispute window after its end passed.
	#[benchmark]
	fn release_deposit() {
		let (id, parties) = nearly_active::<T>(T::MaxParties::get());
		let last = parties.last().expect("parties").clone();
		Pallet::<T>::do_approve(last, id).expect("the last party approves");
		for party in &parties {
			Pallet::<T>::do_declare_result(party.clone(), id, Outcome::Fulfilled)
				.expect("a party declares");
		}
		let until = DepositsHeldUntil::<T>::get(id).expect("held after the end");
		frame_system::Pallet::<T>::set_block_number(until.saturating_add(1u32.into()));

		#[extrinsic_call]
		_(RawOrigin::Signed(parties[0].clone()), id);

		assert!(!Deposits::<T>::contains_key(id));
	}

	/// A party ends an expired contract between the most parties, each of which but the last
	/// declared a result (the declarations are dropped).
	#[benchmark]
	fn expire() {
		let (id, parties) = nearly_active::<T>(T::MaxParties::get());
		let last = parties.last().expect("parties").clone();
		Pallet::<T>::do_approve(last.clone(), id).expect("the last party approves");
		for party in &parties[..parties.len() - 1] {
			Pallet::<T>::do_declare_result(party.clone(), id, Outcome::Fulfilled)
				.expect("a party declares");
		}
		let contract = Contracts::<T>::get(id).expect("the contract");
		let after = Pallet::<T>::expires_at(&contract).saturating_add(1u32.into());
		frame_system::Pallet::<T>::set_block_number(after);

		#[extrinsic_call]
		_(RawOrigin::Signed(last), id);

		assert_eq!(Contracts::<T>::get(id).map(|c| c.status), Some(Status::Concluded));
		assert!(DepositsHeldUntil::<T>::contains_key(id));
	}

	impl_benchmark_test_suite!(Pallet, crate::mock::new_test_ext(), crate::mock::Test);
}
