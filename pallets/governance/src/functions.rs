//! What the calls and the block hook do: proposing, voting, deciding, enacting and spending.

use alloc::vec::Vec;
use codec::Encode;
use frame_support::{
	pallet_prelude::*,
	traits::{
		fungible::{Inspect, Mutate, MutateHold},
		schedule::{v3::Named as ScheduleNamed, DispatchTime, HIGHEST_PRIORITY},
		tokens::{Precision, Preservation},
		Contains, QueryPreimage, StorePreimage,
	},
	weights::WeightMeter,
};
use frame_system::pallet_prelude::{BlockNumberFor, OriginFor};
use micro_primitives::{Subject, Voice, VotingWeight, MAX_VOICES};
use sp_runtime::{
	traits::{CheckedSub, Hash, One, Saturating, Zero},
	Perbill,
};

use crate::{
	ActiveCount, BalanceOf, Config, CurrentRules, ElectorateSnapshot, Ending, Error, Event, Fund,
	HoldReason, OpenProposals, Origin, Pallet, Proposal, ProposalCount, ProposalIndex, ProposalOf,
	ProposalStatus, Proposals, RulesOf, SpendBudgets, SpendRecord, Spends, Tally, Track,
	VoiceVotes, Vote, VoteCleanup, Votes, WeightInfo, MAX_CLEARED_PER_BLOCK,
};

/// The scheduler task name of a proposal's enactment.
pub fn task_name(index: ProposalIndex) -> [u8; 32] {
	sp_io::hashing::blake2_256(&(b"micro-network/governance/enact", index).encode())
}

impl<T: Config> Pallet<T> {
	/// The index of the passed proposal `origin` is, or `BadOrigin`.
	pub(crate) fn ensure_proposal(origin: OriginFor<T>) -> Result<ProposalIndex, DispatchError> {
		crate::EnsureProposal::try_origin(<T as Config>::RuntimeOrigin::from(origin))
			.map_err(|_| DispatchError::BadOrigin)
	}

	/// Checks rules before they are stored.
	pub(crate) fn check_rules(rules: &RulesOf<T>) -> DispatchResult {
		let valid = !rules.voting_period.is_zero()
			&& !rules.enactment_delay.is_zero()
			&& rules.quorum >= T::MinQuorum::get()
			&& rules.approval >= Perbill::from_percent(50)
			&& rules.root_quorum >= rules.quorum
			&& rules.root_approval >= rules.approval
			&& rules.root_approval >= T::MinRootApproval::get();
		ensure!(valid, Error::<T>::InvalidRules);
		Ok(())
	}

	/// Stores `rules`; unless `by_root`, only the standard quorum and approval may differ from
	/// the current rules.
	pub(crate) fn do_set_rules(rules: RulesOf<T>, by_root: bool) -> DispatchResult {
		Self::check_rules(&rules)?;
		if !by_root {
			let current = CurrentRules::<T>::get().ok_or(Error::<T>::NoRules)?;
			let same_for_root = rules.voting_period == current.voting_period
				&& rules.enactment_delay == current.enactment_delay
				&& rules.min_age == current.min_age
				&& rules.root_quorum == current.root_quorum
				&& rules.root_approval == current.root_approval;
			ensure!(same_for_root, Error::<T>::RootRulesNeedRootTrack);
		}
		CurrentRules::<T>::put(rules);
		Self::deposit_event(Event::RulesSet { rules });
		Ok(())
	}

	/// Takes the electorate's snapshot at the start of each period of the rules' minimum age
	/// (every block if it is under one); returns the weight used.
	pub(crate) fn snapshot_electorate(now: BlockNumberFor<T>) -> Weight {
		let db = T::DbWeight::get();
		let Some(rules) = CurrentRules::<T>::get() else { return db.reads(1) };
		if !(now % rules.min_age.max(One::one())).is_zero() {
			return db.reads(1);
		}
		ElectorateSnapshot::<T>::put(T::VotingWeight::electorate());
		db.reads_writes(3, 1)
	}

	/// The electorate a proposal made now is decided against: the count now, or the period's
	/// snapshot if smaller.
	fn electorate() -> u32 {
		let now = T::VotingWeight::electorate();
		ElectorateSnapshot::<T>::get().map_or(now, |snapshot| snapshot.min(now))
	}

	pub(crate) fn do_propose(
		who: T::AccountId,
		track: Track,
		call: <T as Config>::RuntimeCall,
	) -> DispatchResult {
		let rules = CurrentRules::<T>::get().ok_or(Error::<T>::NoRules)?;
		ensure!(T::ProposalFilter::contains(&call), Error::<T>::CallNotAllowed);
		let now = frame_system::Pallet::<T>::block_number();
		let registered_by = now.saturating_sub(rules.min_age);
		ensure!(
			!T::VotingWeight::voices(&who, registered_by).is_empty(),
			Error::<T>::NoVotingWeight
		);
		let active = ActiveCount::<T>::get();
		ensure!(active < T::MaxActive::get(), Error::<T>::TooManyActive);
		let open = OpenProposals::<T>::get(&who).unwrap_or(0);
		ensure!(open < T::MaxActivePerProposer::get(), Error::<T>::TooManyByProposer);
		let ends = now.saturating_add(rules.voting_period);
		let index = ProposalCount::<T>::get();
		Ending::<T>::try_mutate(ends, |ending| ending.try_push(index))
			.map_err(|_| Error::<T>::TooManyActive)?;
		let deposit = T::ProposalDeposit::get();
		T::Currency::hold(&HoldReason::ProposalDeposit.into(), &who, deposit)?;
		let call_hash = T::Hashing::hash_of(&call);
		let call = T::Preimages::bound(call)?;
		Proposals::<T>::insert(
			index,
			Proposal {
				proposer: who.clone(),
				track,
				call,
				deposit,
				submitted: now,
				registered_by,
				electorate: Self::electorate(),
				tally: Tally::default(),
				status: ProposalStatus::Voting { ends },
			},
		);
		ProposalCount::<T>::put(index.saturating_add(1));
		ActiveCount::<T>::put(active.saturating_add(1));
		OpenProposals::<T>::insert(&who, open.saturating_add(1));
		Self::deposit_event(Event::Proposed { index, proposer: who, track, call_hash, ends });
		Ok(())
	}

	/// How many voices a vote naming `named` subjects is weighed for: an empty list votes with
	/// every voice the scan finds, at most [`MAX_VOICES`].
	pub(crate) fn subjects_weighed(named: usize) -> u32 {
		if named == 0 {
			MAX_VOICES
		} else {
			(named as u32).min(MAX_VOICES)
		}
	}

	/// Casts `who`'s vote on proposal `index` with the voices `subjects` names, each checked to
	/// be `who`'s and not yet voted; with no subjects, with every voice the scan finds that has
	/// not voted on it yet, through any account.
	pub(crate) fn do_vote(
		who: T::AccountId,
		index: ProposalIndex,
		aye: bool,
		subjects: &[Subject],
	) -> DispatchResult {
		let mut proposal = Proposals::<T>::get(index).ok_or(Error::<T>::UnknownProposal)?;
		let now = frame_system::Pallet::<T>::block_number();
		match proposal.status {
			ProposalStatus::Voting { ends } if now < ends => {}
			_ => return Err(Error::<T>::VotingClosed.into()),
		}
		ensure!(!Votes::<T>::contains_key(index, &who), Error::<T>::AlreadyVoted);
		let voices = if subjects.is_empty() {
			Self::unused_scanned_voices(&who, index, proposal.registered_by)?
		} else {
			Self::named_voices(&who, index, proposal.registered_by, subjects)?
		};
		let (mut weight, mut count) = (0u64, 0u32);
		for voice in voices {
			VoiceVotes::<T>::insert(index, voice.subject, &who);
			weight = weight.saturating_add(voice.weight);
			count.saturating_inc();
		}
		let tally = &mut proposal.tally;
		if aye {
			tally.ayes = tally.ayes.saturating_add(weight);
		} else {
			tally.nays = tally.nays.saturating_add(weight);
		}
		tally.voters.saturating_inc();
		tally.voices.saturating_accrue(count);
		Votes::<T>::insert(index, &who, Vote { aye, weight, voices: count });
		Proposals::<T>::insert(index, proposal);
		Self::deposit_event(Event::Voted { index, voter: who, aye, weight, voices: count });
		Ok(())
	}

	/// The voices the scan finds for `who` on proposal `index` that have not voted on it yet.
	fn unused_scanned_voices(
		who: &T::AccountId,
		index: ProposalIndex,
		registered_by: BlockNumberFor<T>,
	) -> Result<Vec<Voice>, DispatchError> {
		let voices = T::VotingWeight::voices(who, registered_by);
		ensure!(!voices.is_empty(), Error::<T>::NoVotingWeight);
		let unused: Vec<Voice> = voices
			.into_iter()
			.filter(|voice| !VoiceVotes::<T>::contains_key(index, voice.subject))
			.collect();
		ensure!(!unused.is_empty(), Error::<T>::VoicesAlreadyUsed);
		Ok(unused)
	}

	/// The voices `subjects` names, each checked to be one of `who`'s on proposal `index` (so
	/// services others pushed onto `who` cannot crowd its own out of the scan), named once and
	/// not yet voted.
	fn named_voices(
		who: &T::AccountId,
		index: ProposalIndex,
		registered_by: BlockNumberFor<T>,
		subjects: &[Subject],
	) -> Result<Vec<Voice>, DispatchError> {
		let mut voices = Vec::with_capacity(subjects.len());
		for (position, subject) in subjects.iter().enumerate() {
			ensure!(!subjects[..position].contains(subject), Error::<T>::DuplicateSubject);
			let voice = T::VotingWeight::voice(who, *subject, registered_by)
				.ok_or(Error::<T>::NotAVoice)?;
			ensure!(
				!VoiceVotes::<T>::contains_key(index, voice.subject),
				Error::<T>::SubjectAlreadyVoted
			);
			voices.push(voice);
		}
		Ok(voices)
	}

	/// Removes the votes of decided proposals within `remaining` weight; returns the weight
	/// used. Below one full step (the base, the cursor's proposal and one entry) it does
	/// nothing, so every block it runs in makes progress: an entry removed or the cursor moved.
	pub(crate) fn clear_votes_within(remaining: Weight) -> Weight {
		let base = T::WeightInfo::clear_votes(0, 0);
		let per_proposal = T::WeightInfo::clear_votes(1, 0).saturating_sub(base);
		let per_item = T::WeightInfo::clear_votes(0, 1).saturating_sub(base);
		let step = base.saturating_add(per_proposal).saturating_add(per_item);
		if !remaining.all_gte(step) {
			return Weight::zero();
		}
		let mut meter = WeightMeter::with_limit(remaining.saturating_sub(base));
		let (proposals, items) = Self::clear_votes(&mut meter, per_proposal, per_item);
		T::WeightInfo::clear_votes(proposals, items)
	}

	/// Removes the votes of decided proposals, oldest proposal first from [`VoteCleanup`],
	/// charging `meter` `per_proposal` for each proposal it reads (its entry, its translation
	/// from v0, the first key of each vote map) and `per_item` for each vote or voice entry it
	/// removes. It reads a proposal only when it can also remove one entry, stops at the first
	/// proposal still open (a proposal whose vote ended but is still `Voting`, which nothing
	/// decides any more, counts as decided), and takes at most [`MAX_CLEARED_PER_BLOCK`]
	/// proposals and entries together. Returns the proposals read and the entries removed.
	pub(crate) fn clear_votes(
		meter: &mut WeightMeter,
		per_proposal: Weight,
		per_item: Weight,
	) -> (u32, u32) {
		let now = frame_system::Pallet::<T>::block_number();
		let count = ProposalCount::<T>::get();
		let mut index = VoteCleanup::<T>::get();
		let (mut proposals, mut items) = (0u32, 0u32);
		let fits = |weight: Weight| {
			let per = |have: u64, per: u64| have.checked_div(per).unwrap_or(u64::MAX);
			per(weight.ref_time(), per_item.ref_time())
				.min(per(weight.proof_size(), per_item.proof_size()))
		};
		while index < count
			&& proposals.saturating_add(items).saturating_add(2) <= MAX_CLEARED_PER_BLOCK
			&& meter.can_consume(per_proposal.saturating_add(per_item))
		{
			meter.consume(per_proposal);
			proposals.saturating_inc();
			let proposal = match Proposals::<T>::get(index) {
				Some(proposal) => Some(proposal),
				// A decided proposal the v0 → v1 migration left in the old encoding.
				None => crate::migrations::translate_v0_proposal::<T>(index),
			};
			// Votes are cast while `now < ends` only.
			let open = matches!(
				proposal.map(|p| p.status),
				Some(ProposalStatus::Voting { ends }) if now < ends
			);
			if open {
				break;
			}
			let left = MAX_CLEARED_PER_BLOCK.saturating_sub(proposals.saturating_add(items));
			// At least 1: the loop's condition left room for one entry.
			let budget = fits(meter.remaining()).min(left.into()) as usize;
			let votes: Vec<T::AccountId> =
				Votes::<T>::iter_key_prefix(index).take(budget).collect();
			let voices_budget = budget.saturating_sub(votes.len());
			let voices: Vec<Subject> =
				VoiceVotes::<T>::iter_key_prefix(index).take(voices_budget).collect();
			// Both maps had fewer entries left than the budget: the proposal is clean.
			let done = votes.len() < budget && voices.len() < voices_budget;
			let removed = votes.len().saturating_add(voices.len()) as u32;
			items.saturating_accrue(removed);
			meter.consume(per_item.saturating_mul(removed.into()));
			for who in votes {
				Votes::<T>::remove(index, who);
			}
			for subject in voices {
				VoiceVotes::<T>::remove(index, subject);
			}
			if !done {
				break;
			}
			index.saturating_inc();
		}
		VoteCleanup::<T>::put(index);
		(proposals, items)
	}

	/// Decides every proposal whose vote ends at `now`; returns the weight used. A proposal
	/// still in its v0 encoding (open at the upgrade, which the migration should have ended)
	/// is translated and ended unvoted rather than skipped, so it never stays open for good.
	pub(crate) fn decide_ending(now: BlockNumberFor<T>) -> Weight {
		let ending = Ending::<T>::take(now);
		if ending.is_empty() {
			return T::WeightInfo::on_initialize_idle();
		}
		let rules = CurrentRules::<T>::get();
		for index in ending.iter().copied() {
			match Proposals::<T>::get(index) {
				Some(proposal) if matches!(proposal.status, ProposalStatus::Voting { .. }) => {
					Self::decide(index, proposal, now, rules)
				}
				Some(_) => {}
				None => {
					if let Some(proposal) = crate::migrations::translate_v0_proposal::<T>(index) {
						if matches!(proposal.status, ProposalStatus::Voting { .. }) {
							Self::end_unvoted(index, proposal);
						}
					}
				}
			}
		}
		T::WeightInfo::on_initialize_decide(ending.len() as u32)
	}

	/// Ends a proposal open at the v0 → v1 upgrade without deciding it: its v0 tally counted
	/// votes the v1 rules refuse (one service passed from account to account, each voting
	/// with it) and v0 kept no [`VoiceVotes`], so it could not be re-voted fairly. It ends
	/// `NoQuorum` with its deposit returned, its tally kept as v0 counted it.
	pub(crate) fn end_unvoted(index: ProposalIndex, mut proposal: ProposalOf<T>) {
		ActiveCount::<T>::mutate(|active| *active = active.saturating_sub(1));
		OpenProposals::<T>::mutate_exists(&proposal.proposer, |open| {
			*open = open.and_then(|open| open.checked_sub(1)).filter(|open| *open > 0);
		});
		let _ = T::Currency::release(
			&HoldReason::ProposalDeposit.into(),
			&proposal.proposer,
			proposal.deposit,
			Precision::BestEffort,
		);
		T::Preimages::drop(&proposal.call);
		proposal.status = ProposalStatus::NoQuorum;
		Self::deposit_event(Event::EndedAtUpgrade { index, tally: proposal.tally });
		Proposals::<T>::insert(index, proposal);
	}

	fn decide(
		index: ProposalIndex,
		mut proposal: ProposalOf<T>,
		now: BlockNumberFor<T>,
		rules: Option<RulesOf<T>>,
	) {
		ActiveCount::<T>::mutate(|active| *active = active.saturating_sub(1));
		OpenProposals::<T>::mutate_exists(&proposal.proposer, |open| {
			*open = open.and_then(|open| open.checked_sub(1)).filter(|open| *open > 0);
		});
		let tally = proposal.tally;
		// Without rules nothing passes: every voice would have to vote, all of them aye.
		let (quorum, approval) =
			rules.map_or((Perbill::one(), Perbill::one()), |rules| rules.of(proposal.track));
		// A proposal the network did not care to vote on forfeits its deposit, split like all
		// profit, so holding the proposal slots with junk costs the deposits; every other
		// decided proposal gets it back.
		if tally.has_quorum(quorum, proposal.electorate) {
			let _ = T::Currency::release(
				&HoldReason::ProposalDeposit.into(),
				&proposal.proposer,
				proposal.deposit,
				Precision::BestEffort,
			);
		} else {
			Self::forfeit_deposit(&proposal.proposer, proposal.deposit);
		}
		proposal.status = if !tally.has_quorum(quorum, proposal.electorate) {
			Self::deposit_event(Event::NoQuorum { index, tally });
			ProposalStatus::NoQuorum
		} else if !tally.passes(quorum, approval, proposal.electorate) {
			Self::deposit_event(Event::Rejected { index, tally });
			ProposalStatus::Rejected
		} else {
			let delay = rules.map_or(One::one(), |rules| rules.enactment_delay);
			let enact_at = now.saturating_add(delay);
			let origin: T::PalletsOrigin = match proposal.track {
				Track::Standard => Origin::Proposal(index).into(),
				Track::Root => frame_system::RawOrigin::Root.into(),
			};
			match T::Scheduler::schedule_named(
				task_name(index),
				DispatchTime::At(enact_at),
				None,
				HIGHEST_PRIORITY,
				origin,
				proposal.call.clone(),
			) {
				Ok(_) => {
					Self::deposit_event(Event::Passed { index, tally, enact_at });
					ProposalStatus::Passed { enact_at }
				}
				Err(error) => {
					Self::deposit_event(Event::EnactmentFailed { index, error });
					ProposalStatus::EnactmentFailed
				}
			}
		};
		// The proposal's hold on its preimage ends here whatever the outcome: a scheduled
		// enactment took a hold of its own, which the scheduler lets go once dispatched.
		T::Preimages::drop(&proposal.call);
		Proposals::<T>::insert(index, proposal);
	}

	/// Moves `who`'s held proposal `deposit` to the charity (2.5%) and operations (the rest)
	/// accounts.
	fn forfeit_deposit(who: &T::AccountId, deposit: BalanceOf<T>) {
		let reason = HoldReason::ProposalDeposit.into();
		// The network's profit split, with the earner's part going to operations too.
		let shares = micro_primitives::ProfitShares::of(deposit);
		let operations = shares.operations.saturating_add(shares.remainder);
		for (to, amount) in
			[(T::CharityAccount::get(), shares.charity), (T::OperationsAccount::get(), operations)]
		{
			if amount.is_zero() {
				continue;
			}
			let _ = T::Currency::transfer_on_hold(
				&reason,
				who,
				&to,
				amount,
				Precision::BestEffort,
				frame_support::traits::tokens::Restriction::Free,
				frame_support::traits::tokens::Fortitude::Force,
			);
		}
	}

	pub(crate) fn do_spend(
		index: ProposalIndex,
		fund: Fund,
		payouts: BoundedVec<(T::AccountId, BalanceOf<T>), T::MaxPayouts>,
	) -> DispatchResult {
		ensure!(!Spends::<T>::contains_key(index), Error::<T>::AlreadySpent);
		ensure!(
			!payouts.is_empty() && payouts.iter().all(|(_, amount)| !amount.is_zero()),
			Error::<T>::EmptySpend
		);
		let source = match fund {
			Fund::Charity => T::CharityAccount::get(),
			Fund::Operations => T::OperationsAccount::get(),
		};
		let total = payouts
			.iter()
			.fold(BalanceOf::<T>::zero(), |sum, (_, amount)| sum.saturating_add(*amount));
		// The fund is never reaped: settlement pays its shares into it with `Preserve`.
		let available = T::Currency::reducible_balance(
			&source,
			Preservation::Preserve,
			frame_support::traits::tokens::Fortitude::Polite,
		);
		ensure!(total <= available, Error::<T>::InsufficientFunds);
		let now = frame_system::Pallet::<T>::block_number();
		let period = now / T::SpendPeriod::get().max(One::one());
		let left = match SpendBudgets::<T>::get(fund) {
			Some((budget_period, left)) if budget_period == period => left,
			_ => T::MaxSpendPerPeriod::get().mul_floor(available),
		};
		let left = left.checked_sub(&total).ok_or(Error::<T>::OverSpendBudget)?;
		SpendBudgets::<T>::insert(fund, (period, left));
		for (recipient, amount) in payouts.iter() {
			T::Currency::transfer(&source, recipient, *amount, Preservation::Preserve)?;
			Self::deposit_event(Event::Spent {
				index,
				fund,
				recipient: recipient.clone(),
				amount: *amount,
			});
		}
		Spends::<T>::insert(index, SpendRecord { fund, payouts, at: now });
		Ok(())
	}
}
