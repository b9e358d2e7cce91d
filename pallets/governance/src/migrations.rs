//! Storage migrations.
//!
//! **v0 → v1** (votes per voice, quorums as shares of an electorate):
//! - [`crate::CurrentRules`] gains `min_age`, and its quorums become shares of the electorate.
//!   An absolute quorum has no share it stands for, so the migrated rules take 20% of the
//!   electorate (33% for the root track), never less than [`crate::Config::MinQuorum`], a
//!   minimum age of one voting period, and a root approval of at least
//!   [`crate::Config::MinRootApproval`].
//! - Every [`crate::Proposals`] entry gains `registered_by` (its submission block: proposals
//!   made before the upgrade keep today's eligibility) and `electorate` (the nodes and services
//!   registered at the upgrade), and its tally counts one voice per voter so far.
//! - Every [`crate::Votes`] entry counts one voice.

use codec::{Decode, Encode};
use frame_support::{
	migrations::VersionedMigration,
	pallet_prelude::*,
	traits::{Get, UncheckedOnRuntimeUpgrade},
};
use frame_system::pallet_prelude::BlockNumberFor;
use micro_primitives::VotingWeight;
use sp_runtime::Perbill;

use crate::{
	BalanceOf, BoundedCallOf, Config, CurrentRules, Pallet, Proposal, ProposalStatus, Proposals,
	Rules, Tally, Track, Vote, VoteWeight, Votes,
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
		let electorate = T::VotingWeight::electorate();
		reads += 2;
		Proposals::<T>::translate::<
			v0::Proposal<T::AccountId, BalanceOf<T>, BlockNumberFor<T>, BoundedCallOf<T>>,
			_,
		>(|_, old| {
			reads += 1;
			writes += 1;
			Some(Proposal {
				proposer: old.proposer,
				track: old.track,
				call: old.call,
				deposit: old.deposit,
				submitted: old.submitted,
				registered_by: old.submitted,
				electorate,
				tally: Tally {
					ayes: old.tally.ayes,
					nays: old.tally.nays,
					voters: old.tally.voters,
					voices: old.tally.voters,
				},
				status: old.status,
			})
		});
		Votes::<T>::translate::<v0::Vote, _>(|_, _, old| {
			reads += 1;
			writes += 1;
			Some(Vote { aye: old.aye, weight: old.weight, voices: 1 })
		});
		T::DbWeight::get().reads_writes(reads, writes)
	}
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
	use frame_support::traits::{OnRuntimeUpgrade, StorageVersion};
	use sp_runtime::traits::Hash;

	#[test]
	fn v0_rules_proposals_and_votes_become_v1() {
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
			let call = <Test as frame_system::Config>::Hashing::hash_of(&1u8);
			let old_proposal: v0::Proposal<u64, u64, u64, crate::BoundedCallOf<Test>> =
				v0::Proposal {
					proposer: 1u64,
					track: Track::Root,
					call: frame_support::traits::Bounded::Lookup { hash: call, len: 1 },
					deposit: 50u64,
					submitted: 7u64,
					tally: v0::Tally { ayes: 5, nays: 1, voters: 2 },
					status: ProposalStatus::Voting { ends: 17 },
				};
			frame_support::storage::unhashed::put_raw(
				&Proposals::<Test>::hashed_key_for(0),
				&old_proposal.encode(),
			);
			frame_support::storage::unhashed::put_raw(
				&Votes::<Test>::hashed_key_for(0, 1u64),
				&v0::Vote { aye: true, weight: 5 }.encode(),
			);
			set_voices(1, &[(micro_primitives::Subject::Node(0), 0, 1)]);

			MigrateV0ToV1::<Test>::on_runtime_upgrade();

			assert_eq!(StorageVersion::get::<Pallet<Test>>(), 1);
			let rules = CurrentRules::<Test>::get().expect("the rules migrate");
			assert_eq!(rules.min_age, 10);
			assert_eq!(rules.quorum, Perbill::from_percent(20).max(MinQuorum::get()));
			assert_eq!(rules.root_quorum, Perbill::from_percent(33));
			assert_eq!(rules.root_approval, Perbill::from_percent(60).max(MinRootApproval::get()));
			let proposal = Proposals::<Test>::get(0).expect("the proposal migrates");
			assert_eq!(proposal.registered_by, 7);
			assert_eq!(proposal.electorate, 1);
			assert_eq!(proposal.tally, Tally { ayes: 5, nays: 1, voters: 2, voices: 2 });
			assert_eq!(Votes::<Test>::get(0, 1u64), Some(Vote { aye: true, weight: 5, voices: 1 }));
			// A second run changes nothing.
			let weight: Weight = MigrateV0ToV1::<Test>::on_runtime_upgrade();
			let db: frame_support::weights::RuntimeDbWeight =
				<<Test as frame_system::Config>::DbWeight as Get<_>>::get();
			let one_read = db.reads(1);
			assert_eq!(weight, one_read);
		});
	}
}
