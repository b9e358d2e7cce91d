//! Benchmarks of the governance pallet, each at its slowest path.

use super::*;
use alloc::{boxed::Box, vec, vec::Vec};
use frame_benchmarking::v2::*;
use frame_support::{
	pallet_prelude::*,
	traits::fungible::{Inspect, Mutate},
};
use frame_system::{pallet_prelude::BlockNumberFor, RawOrigin};
use micro_primitives::{Subject, VotingWeight, MAX_VOICES};
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

	/// A vote naming `s` subjects, each checked on its own, none of them used yet; a vote
	/// naming none is charged as `MAX_VOICES` named. `give_weight_for_benchmark` (the
	/// reputation pallet's) gives an account `MAX_VOICES / 2` nodes and no services, and this
	/// pallet creates neither, so `s` is measured up to `MAX_VOICES / 2` only: the weight is
	/// linear in `s` and its slope is extrapolated to `MAX_VOICES` (a service's check reads
	/// about as much as a node's). The benchmark fails if the helper gives fewer voices.
	#[benchmark]
	fn vote(s: Linear<1, { MAX_VOICES / 2 }>) -> Result<(), BenchmarkError> {
		easy_rules::<T>();
		let proposer = participant::<T>("proposer", 0);
		Pallet::<T>::do_propose(proposer, Track::Standard, large_call::<T>())?;
		for index in 0..10 {
			Pallet::<T>::do_vote(participant::<T>("voter", index), 0, index % 2 == 0, &[])?;
		}
		let last = participant::<T>("last", 0);
		let voices = T::VotingWeight::voices(&last, frame_system::Pallet::<T>::block_number());
		let subjects: Vec<Subject> =
			voices.iter().map(|voice| voice.subject).take(s as usize).collect();
		let named = subjects.len();
		if named != s as usize {
			return Err(BenchmarkError::Stop("the benchmark helper gives too few voices"));
		}
		let subjects: BoundedVec<Subject, ConstU32<MAX_VOICES>> =
			subjects.try_into().map_err(|_| BenchmarkError::Stop("too many voices"))?;

		#[extrinsic_call]
		_(RawOrigin::Signed(last.clone()), 0, true, subjects);

		let tally = Proposals::<T>::get(0).map(|p| p.tally).unwrap_or_default();
		assert_eq!(tally.voters, 11);
		assert_eq!(Votes::<T>::get(0, &last).map(|cast| cast.voices), Some(named as u32));
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
			Pallet::<T>::do_vote(voter.clone(), index, true, &[])?;
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

	/// The vote cleanup reading `p` decided proposals, each still in its v0 encoding (so
	/// translated: the slowest read), and removing `n` entries from the last, half from
	/// `Votes` and half from `VoiceVotes`.
	#[benchmark]
	fn clear_votes(
		p: Linear<1, { MAX_CLEARED_PER_BLOCK / 2 - 1 }>,
		n: Linear<0, { MAX_CLEARED_PER_BLOCK / 2 }>,
	) -> Result<(), BenchmarkError> {
		easy_rules::<T>();
		let proposer = participant::<T>("proposer", 0);
		Pallet::<T>::do_propose(proposer, Track::Standard, large_call::<T>())?;
		let proposal = Proposals::<T>::get(0).ok_or(BenchmarkError::Stop("no proposal"))?;
		let old = crate::migrations::v0::Proposal {
			proposer: proposal.proposer,
			track: proposal.track,
			call: proposal.call,
			deposit: proposal.deposit,
			submitted: proposal.submitted,
			tally: crate::migrations::v0::Tally { ayes: 1, nays: 0, voters: 1 },
			status: ProposalStatus::<BlockNumberFor<T>>::NoQuorum,
		};
		for index in 0..p {
			frame_support::storage::unhashed::put(&Proposals::<T>::hashed_key_for(index), &old);
		}
		ProposalCount::<T>::put(p);
		let last = p - 1;
		for item in 0..n {
			if item % 2 == 0 {
				let cast = Vote { aye: true, weight: 1, voices: 1 };
				Votes::<T>::insert(last, account::<T::AccountId>("voter", item, 0), cast);
			} else {
				let voter = account::<T::AccountId>("voter", item, 0);
				VoiceVotes::<T>::insert(last, Subject::Node(item), voter);
			}
		}

		#[block]
		{
			Pallet::<T>::clear_votes_within(Weight::MAX);
		}

		assert_eq!(VoteCleanup::<T>::get(), p);
		assert_eq!(Votes::<T>::iter_prefix(last).count(), 0);
		assert_eq!(VoiceVotes::<T>::iter_prefix(last).count(), 0);
		assert!(Proposals::<T>::get(last).is_some(), "translated");
		Ok(())
	}

	impl_benchmark_test_suite!(Pallet, crate::mock::new_test_ext(), crate::mock::Test);
}
