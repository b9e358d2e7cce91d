//! Benchmarks of the governance pallet, each at its slowest path.

use super::*;
use alloc::{boxed::Box, vec, vec::Vec};
use frame_benchmarking::v2::*;
use frame_support::{
	pallet_prelude::*,
	traits::fungible::{Inspect, Mutate},
};
use frame_system::{pallet_prelude::BlockNumberFor, RawOrigin};
use micro_primitives::VotingWeight;
use sp_runtime::{traits::Saturating, Perbill};

/// An account with the most voices an account can have and enough to pay deposits.
fn participant<T: Config>(name: &'static str, index: u32) -> T::AccountId {
	let who: T::AccountId = account(name, index, 0);
	T::VotingWeight::give_weight_for_benchmark(&who);
	let plenty = T::ProposalDeposit::get()
		.saturating_mul(1_000u32.into())
		.saturating_add(T::Currency::minimum_balance().saturating_mul(1_000u32.into()));
	T::Currency::set_balance(&who, plenty);
	who
}

/// Rules under which one aye passes a proposal, decided ten blocks after it is made, and any
/// voice registered by then counts.
fn easy_rules<T: Config>() {
	CurrentRules::<T>::put(Rules {
		voting_period: 10u32.into(),
		enactment_delay: 1u32.into(),
		min_age: 0u32.into(),
		quorum: Perbill::zero(),
		approval: Perbill::from_percent(50),
		root_quorum: Perbill::zero(),
		root_approval: Perbill::from_percent(50),
	});
}

/// A call too large to keep inline, so the proposal keeps it as a preimage.
fn large_call<T: Config>() -> <T as Config>::RuntimeCall {
	frame_system::Call::<T>::remark { remark: vec![1u8; 200] }.into()
}

#[benchmarks]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn propose(b: Linear<0, { 3 * 1024 * 1024 }>) {
		easy_rules::<T>();
		let proposer = participant::<T>("proposer", 0);
		let call: <T as Config>::RuntimeCall =
			frame_system::Call::<T>::remark { remark: vec![0u8; b as usize] }.into();

		#[extrinsic_call]
		_(RawOrigin::Signed(proposer), Track::Root, Box::new(call));

		assert_eq!(ProposalCount::<T>::get(), 1);
	}

	/// A vote with the most voices an account can have, none of them used yet.
	#[benchmark]
	fn vote() -> Result<(), BenchmarkError> {
		easy_rules::<T>();
		let proposer = participant::<T>("proposer", 0);
		Pallet::<T>::do_propose(proposer, Track::Standard, large_call::<T>())?;
		for index in 0..10 {
			Pallet::<T>::do_vote(participant::<T>("voter", index), 0, index % 2 == 0)?;
		}
		let last = participant::<T>("last", 0);
		let voices = T::VotingWeight::voices(&last, frame_system::Pallet::<T>::block_number());

		#[extrinsic_call]
		_(RawOrigin::Signed(last), 0, true);

		let tally = Proposals::<T>::get(0).map(|p| p.tally).unwrap_or_default();
		assert_eq!(tally.voters, 11);
		assert!(!voices.is_empty() && VoiceVotes::<T>::contains_key(0, voices[0].subject));
		Ok(())
	}

	#[benchmark]
	fn spend(p: Linear<1, { T::MaxPayouts::get() }>) -> Result<(), BenchmarkError> {
		let charity = T::CharityAccount::get();
		let amount = T::Currency::minimum_balance().saturating_mul(10u32.into());
		T::Currency::set_balance(&charity, amount.saturating_mul(1_000u32.into()));
		let payouts: Vec<_> =
			(0..p).map(|index| (account::<T::AccountId>("recipient", index, 0), amount)).collect();
		let payouts: BoundedVec<_, T::MaxPayouts> = payouts.try_into().expect("within bounds");

		#[block]
		{
			Pallet::<T>::do_spend(0, Fund::Charity, payouts)?;
		}

		assert!(Spends::<T>::contains_key(0));
		Ok(())
	}

	#[benchmark]
	fn set_rules() {
		let rules = Rules {
			voting_period: 100u32.into(),
			enactment_delay: 10u32.into(),
			min_age: 100u32.into(),
			quorum: Perbill::from_percent(50).max(T::MinQuorum::get()),
			approval: Perbill::from_percent(60),
			root_quorum: Perbill::one(),
			root_approval: Perbill::from_percent(75).max(T::MinRootApproval::get()),
		};

		#[extrinsic_call]
		_(RawOrigin::Root, rules);

		assert_eq!(CurrentRules::<T>::get(), Some(rules));
	}

	#[benchmark]
	fn on_initialize_idle() {
		let now = frame_system::Pallet::<T>::block_number();

		#[block]
		{
			Pallet::<T>::decide_ending(now);
		}
	}

	/// `n` proposals end in one block, each passing and scheduled with its call as a preimage.
	#[benchmark]
	fn on_initialize_decide(n: Linear<1, { T::MaxActive::get() }>) -> Result<(), BenchmarkError> {
		easy_rules::<T>();
		let voter = participant::<T>("voter", 0);
		for index in 0..n {
			let proposer = participant::<T>("proposer", index);
			Pallet::<T>::do_propose(proposer, Track::Standard, large_call::<T>())?;
			Pallet::<T>::do_vote(voter.clone(), index, true)?;
		}
		let ends: BlockNumberFor<T> =
			frame_system::Pallet::<T>::block_number().saturating_add(10u32.into());

		#[block]
		{
			Pallet::<T>::decide_ending(ends);
		}

		for index in 0..n {
			let passed = matches!(
				Proposals::<T>::get(index).map(|p| p.status),
				Some(ProposalStatus::Passed { .. })
			);
			assert!(passed, "proposal {index} passed");
		}
		Ok(())
	}

	impl_benchmark_test_suite!(Pallet, crate::mock::new_test_ext(), crate::mock::Test);
}
