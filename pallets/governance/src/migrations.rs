//! Storage migrations.
//!
//! **v0 → v1** (votes per voice, quorums as shares of an electorate):
//! - [`crate::CurrentRules`] gains `min_age`, and its quorums become shares of the electorate.
//!   An absolute quorum has no share it stands for, so the migrated rules take 20% of the
//!   electorate (33% for the root track), never less than [`crate::Config::MinQuorum`], a
//!   minimum age of one voting period, and a root approval of at least
//!   [`crate::Config::MinRootApproval`].
//! - Every [`crate::Proposals`] entry gains `registered_by` (its submission block) and
//!   `electorate` (0: none was taken), and its tally counts one voice per voter.
//! - Every proposal still open is ended unvoted: `NoQuorum`, its deposit returned, its
//!   preimage let go, its [`crate::Ending`] entry removed ([`crate::Event::EndedAtUpgrade`]).
//!   Its v0 tally counted votes the v1 rules refuse (one service passed from account to
//!   account, voting from each) and v0 kept no [`crate::VoiceVotes`], so a subject that voted
//!   could vote again: the tally could be neither kept nor re-voted fairly, and removing its
//!   votes has no bound. The proposer may propose it again.
//!
//! **Bounded work.** [`crate::Proposals`] keeps every proposal ever made and [`crate::Votes`]
//! every vote, so translating them all in the upgrade block has no bound. The upgrade
//! translates only what the chain still decides with, whose size the runtime bounds:
//! - the rules (one value);
//! - the open proposals, found through [`crate::Ending`]: it holds only blocks still to come,
//!   each with at least one open proposal, so at most [`crate::Config::MaxActive`] keys and
//!   [`crate::Config::MaxActive`] proposals (`ActiveCount` never exceeds it). Their votes
//!   are left to the idle hook's cleanup, now that they are decided.
//!
//! The rest is left in its v0 encoding and handled where it is next touched, a bounded amount
//! per block:
//! - a decided proposal is translated by the idle hook's vote cleanup when it reaches it
//!   ([`translate_v0_proposal`], electorate 0: it was decided under the v0 rules); until then
//!   the `proposal` view function returns nothing for it;
//! - a v0 vote is never decoded by anything the chain does (an account's second vote is
//!   refused by the key alone), so it is not translated: the `vote_of` view function returns
//!   nothing for it, and the cleanup removes it (by key) once its proposal is decided.

use codec::{Decode, Encode};
use frame_support::{
	migrations::VersionedMigration,
	pallet_prelude::*,
	traits::{Get, UncheckedOnRuntimeUpgrade},
};
use frame_system::pallet_prelude::BlockNumberFor;
use sp_runtime::Perbill;

use crate::{
	BalanceOf, BoundedCallOf, Config, CurrentRules, Ending, Pallet, Proposal, ProposalIndex,
	ProposalOf, ProposalStatus, Proposals, Rules, Tally, Track, VoteWeight,
};

/// The v0 encodings.
pub mod v0 {
	use super::*;

	/// v0 rules: absolute quorums, no minimum age.
	#[derive(Clone, Copy, PartialEq, Eq, Encode, Decode, Debug)]
	pub struct Rules<BlockNumber> {
		pub voting_period: BlockNumber,
		pub enactment_delay: BlockNumber,
		pub quorum: VoteWeight,
		pub approval: Perbill,
		pub root_quorum: VoteWeight,
		pub root_approval: Perbill,
	}

	/// v0 tally: no voice count.
	#[derive(Clone, Copy, PartialEq, Eq, Default, Encode, Decode, Debug)]
	pub struct Tally {
		pub ayes: VoteWeight,
		pub nays: VoteWeight,
		pub voters: u32,
	}

	/// v0 vote: no voice count.
	#[derive(Clone, Copy, PartialEq, Eq, Encode, Decode, Debug)]
	pub struct Vote {
		pub aye: bool,
		pub weight: VoteWeight,
	}

	/// v0 proposal: no cut-off block and no electorate.
	#[derive(Clone, PartialEq, Eq, Encode, Decode, Debug)]
	pub struct Proposal<AccountId, Balance, BlockNumber, BoundedCall> {
		pub proposer: AccountId,
		pub track: Track,
		pub call: BoundedCall,
		pub deposit: Balance,
		pub submitted: BlockNumber,
		pub tally: Tally,
		pub status: ProposalStatus<BlockNumber>,
	}
}

/// The v0 → v1 translation, without the version check: use [`MigrateV0ToV1`].
pub struct InnerMigrateV0ToV1<T>(core::marker::PhantomData<T>);

impl<T: Config> InnerMigrateV0ToV1<T> {
	/// The v1 rules standing for v0 `old`.
	pub fn rules(old: v0::Rules<BlockNumberFor<T>>) -> crate::RulesOf<T> {
		let quorum = Perbill::from_percent(20).max(T::MinQuorum::get());
		let root_quorum = Perbill::from_percent(33).max(quorum);
		Rules {
			voting_period: old.voting_period,
			enactment_delay: old.enactment_delay,
			min_age: old.voting_period,
			quorum,
			approval: old.approval,
			root_quorum,
			root_approval: old.root_approval.max(old.approval).max(T::MinRootApproval::get()),
		}
	}
}

impl<T: Config> UncheckedOnRuntimeUpgrade for InnerMigrateV0ToV1<T> {
	fn on_runtime_upgrade() -> Weight {
		let (mut reads, mut writes) = (1u64, 0u64);
		if CurrentRules::<T>::translate::<v0::Rules<BlockNumberFor<T>>, _>(|old| {
			old.map(Self::rules)
		})
		.is_ok()
		{
			writes += 1;
		}
		// At most `MaxActive` keys, each listing open proposals only (see the module docs).
		let ending: alloc::vec::Vec<_> = Ending::<T>::iter().collect();
		for (block, indices) in ending {
			reads += 1;
			Ending::<T>::remove(block);
			writes += 1;
			for index in indices {
				reads += 1;
				let Some(proposal) = translate_v0_proposal::<T>(index) else { continue };
				writes += 1;
				if matches!(proposal.status, ProposalStatus::Voting { .. }) {
					Pallet::<T>::end_unvoted(index, proposal);
					// The open counts (r:2 w:2), the deposit's hold (r:2 w:2), the preimage's
					// status (r:2 w:2) and the proposal (w:1).
					reads += 6;
					writes += 7;
				}
			}
		}
		T::DbWeight::get().reads_writes(reads, writes)
	}
}

/// Translates proposal `index` from its v0 encoding, if stored so (electorate 0: none was
/// taken); returns the v1 proposal written, or `None` if it is not stored so. The upgrade
/// calls it on the open proposals (then ended unvoted), the vote cleanup and the decision on
/// each proposal they cannot decode.
pub fn translate_v0_proposal<T: Config>(index: ProposalIndex) -> Option<ProposalOf<T>> {
	let key = Proposals::<T>::hashed_key_for(index);
	let old: v0::Proposal<T::AccountId, BalanceOf<T>, BlockNumberFor<T>, BoundedCallOf<T>> =
		frame_support::storage::unhashed::get(&key)?;
	let new = Proposal {
		proposer: old.proposer,
		track: old.track,
		call: old.call,
		deposit: old.deposit,
		submitted: old.submitted,
		registered_by: old.submitted,
		electorate: 0,
		tally: Tally {
			ayes: old.tally.ayes,
			nays: old.tally.nays,
			voters: old.tally.voters,
			voices: old.tally.voters,
		},
		status: old.status,
	};
	Proposals::<T>::insert(index, &new);
	Some(new)
}

/// Migrates governance storage from v0 to v1, once.
pub type MigrateV0ToV1<T> = VersionedMigration<
	0,
	1,
	InnerMigrateV0ToV1<T>,
	Pallet<T>,
	<T as frame_system::Config>::DbWeight,
>;

#[cfg(test)]
mod tests {
	use super::*;
	use crate::mock::*;
	use frame_support::{
		assert_ok,
		traits::{fungible::InspectHold, fungible::MutateHold, OnRuntimeUpgrade, StorageVersion},
		BoundedVec,
	};
	use sp_runtime::traits::Hash;

	/// A v0 proposal as stored before the upgrade: by `1`, submitted at 7, with `status`.
	fn put_v0_proposal(index: crate::ProposalIndex, status: ProposalStatus<u64>) {
		let call = <Test as frame_system::Config>::Hashing::hash_of(&index);
		let old: v0::Proposal<u64, u64, u64, crate::BoundedCallOf<Test>> = v0::Proposal {
			proposer: 1u64,
			track: Track::Root,
			call: frame_support::traits::Bounded::Lookup { hash: call, len: 1 },
			deposit: 50u64,
			submitted: 7u64,
			tally: v0::Tally { ayes: 5, nays: 1, voters: 2 },
			status,
		};
		frame_support::storage::unhashed::put_raw(
			&Proposals::<Test>::hashed_key_for(index),
			&old.encode(),
		);
		if matches!(status, ProposalStatus::Voting { .. }) {
			// An open proposal keeps its preimage requested until decided.
			<Preimage as frame_support::traits::QueryPreimage>::request(&call);
		}
		frame_support::storage::unhashed::put_raw(
			&crate::Votes::<Test>::hashed_key_for(index, 1u64),
			&v0::Vote { aye: true, weight: 5 }.encode(),
		);
	}

	/// Issue 4: a proposal open at the upgrade. Its v0 tally (5 ayes from 2 voters) may
	/// count one service passed from account to account, and v0 kept no `VoiceVotes`, so that
	/// service could vote on it again under v1. The upgrade ends it unvoted, `NoQuorum`, with
	/// its deposit returned; its `Ending` entry goes, so nothing decides it again.
	#[test]
	fn v0_rules_migrate_and_open_proposals_end_unvoted_with_their_deposit_back() {
		new_test_ext().execute_with(|| {
			StorageVersion::new(0).put::<Pallet<Test>>();
			let old_rules = v0::Rules::<u64> {
				voting_period: 10,
				enactment_delay: 3,
				quorum: 3,
				approval: Perbill::from_percent(50),
				root_quorum: 4,
				root_approval: Perbill::from_percent(60),
			};
			frame_support::storage::unhashed::put_raw(
				&CurrentRules::<Test>::hashed_key(),
				&old_rules.encode(),
			);
			put_v0_proposal(0, ProposalStatus::Voting { ends: 17 });
			Ending::<Test>::insert(17, BoundedVec::truncate_from(vec![0]));
			crate::ProposalCount::<Test>::put(1);
			crate::ActiveCount::<Test>::put(1);
			crate::OpenProposals::<Test>::insert(1, 1);
			let reason = crate::HoldReason::ProposalDeposit.into();
			assert_ok!(Balances::hold(&reason, &1, 50));
			set_voices(1, &[(micro_primitives::Subject::Node(0), 0, 1)]);

			let weight: Weight = MigrateV0ToV1::<Test>::on_runtime_upgrade();

			assert_eq!(StorageVersion::get::<Pallet<Test>>(), 1);
			let rules = CurrentRules::<Test>::get().expect("the rules migrate");
			assert_eq!(rules.min_age, 10);
			assert_eq!(rules.quorum, Perbill::from_percent(20).max(MinQuorum::get()));
			assert_eq!(rules.root_quorum, Perbill::from_percent(33));
			assert_eq!(rules.root_approval, Perbill::from_percent(60).max(MinRootApproval::get()));
			let proposal = Proposals::<Test>::get(0).expect("the proposal migrates");
			assert_eq!(proposal.status, ProposalStatus::NoQuorum);
			assert_eq!((proposal.registered_by, proposal.electorate), (7, 0));
			let tally = Tally { ayes: 5, nays: 1, voters: 2, voices: 2 };
			assert_eq!(proposal.tally, tally, "kept as v0 counted it, for the record");
			assert_eq!(Balances::balance_on_hold(&reason, &1), 0);
			assert_eq!(Balances::free_balance(1), 1_000, "the deposit is back");
			assert_eq!(crate::ActiveCount::<Test>::get(), 0);
			assert_eq!(crate::OpenProposals::<Test>::get(1), None);
			assert_eq!(Ending::<Test>::iter().count(), 0);
			System::assert_last_event(crate::Event::EndedAtUpgrade { index: 0, tally }.into());
			// No one votes on it any more, whatever it counted; its decision block decides
			// nothing, and the idle hook removes its v0 vote.
			assert_eq!(
				crate::Pallet::<Test>::do_vote(2, 0, true, &[]),
				Err(crate::Error::<Test>::VotingClosed.into())
			);
			run_to_block(17);
			assert_eq!(Balances::free_balance(1), 1_000);
			assert_eq!(crate::ActiveCount::<Test>::get(), 0);
			crate::Pallet::<Test>::clear_votes_within(Weight::MAX);
			assert!(!crate::Votes::<Test>::contains_key(0, 1u64));

			let db: frame_support::weights::RuntimeDbWeight =
				<<Test as frame_system::Config>::DbWeight as Get<_>>::get();
			// The rules (r:1 w:1), one `Ending` key (r:1 w:1), the proposal (r:1 w:1), ending
			// it (r:6 w:7), and the version (r:1 w:1).
			assert_eq!(weight, db.reads_writes(1 + 1 + 1 + 6 + 1, 1 + 1 + 1 + 7 + 1));
			// A second run changes nothing.
			let weight: Weight = MigrateV0ToV1::<Test>::on_runtime_upgrade();
			assert_eq!(weight, db.reads(1));
		});
	}

	/// Issue 6: a v0 proposal listed in `Ending` that the upgrade did not reach is not
	/// skipped (it would stay `Voting`, its slot and deposit held for good): its decision
	/// block translates it and ends it unvoted.
	#[test]
	fn a_v0_proposal_the_upgrade_missed_is_ended_when_its_vote_ends() {
		new_test_ext().execute_with(|| {
			put_v0_proposal(0, ProposalStatus::Voting { ends: 17 });
			Ending::<Test>::insert(17, BoundedVec::truncate_from(vec![0]));
			crate::ProposalCount::<Test>::put(1);
			crate::ActiveCount::<Test>::put(1);
			crate::OpenProposals::<Test>::insert(1, 1);
			let reason = crate::HoldReason::ProposalDeposit.into();
			assert_ok!(Balances::hold(&reason, &1, 50));

			run_to_block(17);

			assert_eq!(Proposals::<Test>::get(0).map(|p| p.status), Some(ProposalStatus::NoQuorum));
			assert_eq!(Balances::free_balance(1), 1_000);
			assert_eq!(crate::ActiveCount::<Test>::get(), 0);
			assert_eq!(crate::OpenProposals::<Test>::get(1), None);
		});
	}

	/// The upgrade reads the rules and the open proposals through `Ending` only (at most
	/// `MaxActive` keys and proposals), however many decided proposals and votes are stored:
	/// those are translated and removed by the idle hook, a bounded amount a block.
	#[test]
	fn the_upgrade_reads_only_the_open_proposals_and_the_rest_follows_when_idle() {
		new_test_ext().execute_with(|| {
			StorageVersion::new(0).put::<Pallet<Test>>();
			CurrentRules::<Test>::kill();
			for index in 0..20 {
				put_v0_proposal(index, ProposalStatus::Rejected);
			}
			put_v0_proposal(20, ProposalStatus::Voting { ends: 17 });
			Ending::<Test>::insert(17, BoundedVec::truncate_from(vec![20]));
			crate::ProposalCount::<Test>::put(21);

			let weight: Weight = MigrateV0ToV1::<Test>::on_runtime_upgrade();

			// The rules (r:1), one `Ending` key (r:1 w:1), one proposal (r:1 w:1), ending it
			// (r:6 w:7), and the version (r:1 w:1): nothing of the 20 decided proposals.
			let db: frame_support::weights::RuntimeDbWeight =
				<<Test as frame_system::Config>::DbWeight as Get<_>>::get();
			assert_eq!(weight, db.reads_writes(1 + 1 + 1 + 6 + 1, 1 + 1 + 7 + 1));
			assert_eq!(
				Proposals::<Test>::get(20).map(|p| p.status),
				Some(ProposalStatus::NoQuorum)
			);
			assert_eq!(Proposals::<Test>::get(0), None, "still in the v0 encoding");

			// Each block's idle hook translates a bounded run of decided proposals and
			// removes their votes, each proposal read and each vote removed charged on its
			// own. Room for 10 proposals and 10 votes removes the votes of 10, though the
			// last is not known to be clean (its one entry took the last of the room), so it
			// is read again next time.
			let clear = |proposals, items| {
				crate::Pallet::<Test>::clear_votes_within(<() as crate::WeightInfo>::clear_votes(
					proposals, items,
				))
			};
			assert_eq!(clear(10, 10), <() as crate::WeightInfo>::clear_votes(10, 10));
			assert_eq!(crate::VoteCleanup::<Test>::get(), 9);
			assert_eq!(Proposals::<Test>::get(9).map(|p| p.status), Some(ProposalStatus::Rejected));
			assert!(!crate::Votes::<Test>::contains_key(9, 1u64));
			assert_eq!(Proposals::<Test>::get(10), None);
			assert_eq!(clear(30, 30), <() as crate::WeightInfo>::clear_votes(12, 11));
			assert_eq!(crate::VoteCleanup::<Test>::get(), 21, "the ended one too");
			let decided = Proposals::<Test>::get(19).expect("translated");
			assert_eq!((decided.registered_by, decided.electorate), (7, 0));
			assert_eq!(crate::Votes::<Test>::iter_keys().count(), 0);
		});
	}
}
