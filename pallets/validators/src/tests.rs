//! The validator set's rules, each with the attack it stops.

use crate::{mock::*, pallet::*, Candidate, Departure, SessionLength, ValidatorRules};
use frame_support::{
	assert_noop, assert_ok,
	traits::{fungible::InspectHold, Currency as _},
};
use pallet_authorship::EventHandler;
use pallet_session::{SessionManager, ShouldEndSession};
use sp_runtime::{DispatchError, DispatchResult, Perbill};
use sp_staking::offence::{OffenceDetails, OnOffenceHandler};

fn held(who: AccountId) -> u64 {
	Balances::balance_on_hold(&HoldReason::ValidatorBond.into(), &who)
}

fn set() -> Vec<AccountId> {
	ChosenSet::<Test>::get().into_inner()
}

fn last_event() -> Event<Test> {
	System::events()
		.into_iter()
		.rev()
		.find_map(|record| match record.event {
			RuntimeEvent::Validators(event) => Some(event),
			_ => None,
		})
		.expect("an event of the pallet")
}

/// Account 5 runs node 7, old and reputable enough, and has session keys.
fn eligible_five() {
	set_node(7, 5, 5, true);
	set_score(7, 100);
	set_keys(5);
}

/// Ends session `index`, in which the active validators authored `authors`' blocks.
fn end_session(index: u32, authors: &[AccountId]) {
	for who in authors {
		<Validators as EventHandler<_, _>>::note_author(*who);
	}
	<Validators as SessionManager<_>>::end_session(index);
}

#[test]
fn genesis_bonds_the_first_validators_under_the_rules() {
	new_test_ext().execute_with(|| {
		assert_eq!(set(), vec![1, 2, 3, 4]);
		for who in 1..=4 {
			assert_eq!(held(who), BOND);
			assert_eq!(Candidates::<Test>::get(who), Some(Candidate { node: None, bond: BOND }));
		}
		let rules = Rules::<Test>::get().unwrap();
		assert_eq!((rules.min_validators, rules.session_length), (3, SESSION));
		assert_eq!(
			<Validators as SessionManager<_>>::new_session_genesis(0),
			Some(vec![1, 2, 3, 4])
		);
	});
}

#[test]
fn money_alone_buys_no_candidacy() {
	new_test_ext().execute_with(|| {
		// Sybil: an account with funds but no node of its own.
		assert_noop!(
			Validators::apply(RuntimeOrigin::signed(5), 7),
			Error::<Test>::NotNodeOperator
		);
		// Someone else's node.
		set_node(7, 6, 5, true);
		assert_noop!(
			Validators::apply(RuntimeOrigin::signed(5), 7),
			Error::<Test>::NotNodeOperator
		);
		// A node registered for the occasion.
		set_node(7, 5, 4, true);
		assert_noop!(Validators::apply(RuntimeOrigin::signed(5), 7), Error::<Test>::NodeTooYoung);
		set_node(7, 5, 5, true);
		set_score(7, 99);
		assert_noop!(Validators::apply(RuntimeOrigin::signed(5), 7), Error::<Test>::ScoreTooLow);
		set_score(7, 100);
		set_node(7, 5, 5, false);
		assert_noop!(Validators::apply(RuntimeOrigin::signed(5), 7), Error::<Test>::NodeOffline);
		set_node(7, 5, 5, true);
		assert_noop!(Validators::apply(RuntimeOrigin::signed(5), 7), Error::<Test>::NoSessionKeys);
		set_keys(5);
		assert_ok!(Validators::apply(RuntimeOrigin::signed(5), 7));
		assert_eq!(held(5), BOND);
		assert_eq!(last_event(), Event::Applied { who: 5, node: 7, bond: BOND });
		assert_noop!(
			Validators::apply(RuntimeOrigin::signed(5), 7),
			Error::<Test>::AlreadyCandidate
		);
		// Standing does not make a validator.
		assert_eq!(set(), vec![1, 2, 3, 4]);
	});
}

#[test]
fn a_candidate_without_the_bond_cannot_stand() {
	new_test_ext().execute_with(|| {
		eligible_five();
		let _ = Balances::make_free_balance_be(&5, BOND - 1);
		assert!(Validators::apply(RuntimeOrigin::signed(5), 7).is_err());
		assert!(Candidates::<Test>::get(5).is_none());
	});
}

#[test]
fn the_candidates_are_bounded() {
	new_test_ext().execute_with(|| {
		// Four genesis validators; six more fill MaxCandidates (10).
		for who in 5..=9 {
			set_node(who as u32, who, 5, true);
			set_score(who as u32, 100);
			set_keys(who);
			assert_ok!(Validators::apply(RuntimeOrigin::signed(who), who as u32));
		}
		set_node(10, 10, 5, true);
		set_score(10, 100);
		set_keys(10);
		let _ = Balances::make_free_balance_be(&10, 10_000);
		assert_ok!(Validators::apply(RuntimeOrigin::signed(10), 10));
		set_node(11, 11, 5, true);
		set_score(11, 100);
		set_keys(11);
		let _ = Balances::make_free_balance_be(&11, 10_000);
		assert_noop!(
			Validators::apply(RuntimeOrigin::signed(11), 11),
			Error::<Test>::TooManyCandidates
		);
	});
}

#[test]
fn only_a_passed_proposal_adds_a_candidate_and_it_applies_at_a_session_boundary() {
	new_test_ext().execute_with(|| {
		eligible_five();
		assert_noop!(
			Validators::add_validator(RuntimeOrigin::signed(1), 5),
			DispatchError::BadOrigin
		);
		assert_noop!(
			Validators::add_validator(RuntimeOrigin::root(), 5),
			Error::<Test>::NotCandidate
		);
		assert_ok!(Validators::apply(RuntimeOrigin::signed(5), 7));
		assert_eq!(<Validators as SessionManager<_>>::new_session(2), None, "nothing changed");
		assert_ok!(Validators::add_validator(RuntimeOrigin::root(), 5));
		assert_eq!(last_event(), Event::Added { who: 5 });
		assert_noop!(
			Validators::add_validator(RuntimeOrigin::root(), 5),
			Error::<Test>::AlreadyCandidate
		);
		assert_eq!(<Validators as SessionManager<_>>::new_session(3), Some(vec![1, 2, 3, 4, 5]));
		// Once session 3 has started with it, the next plans keep the set as it is.
		set_active(&[1, 2, 3, 4, 5]);
		assert_eq!(<Validators as SessionManager<_>>::new_session(4), None, "planned once");
	});
}

#[test]
fn a_candidate_whose_node_changed_hands_is_not_added() {
	new_test_ext().execute_with(|| {
		eligible_five();
		assert_ok!(Validators::apply(RuntimeOrigin::signed(5), 7));
		set_node(7, 6, 5, true);
		assert_noop!(
			Validators::add_validator(RuntimeOrigin::root(), 5),
			Error::<Test>::NotNodeOperator
		);
	});
}

#[test]
fn a_candidate_whose_node_went_offline_before_the_vote_is_not_seated() {
	new_test_ext().execute_with(|| {
		// A seat given to a node that is not running brings the set closer to a stall.
		eligible_five();
		assert_ok!(Validators::apply(RuntimeOrigin::signed(5), 7));
		set_node(7, 5, 5, false);
		assert_noop!(
			Validators::add_validator(RuntimeOrigin::root(), 5),
			Error::<Test>::NodeOffline
		);
		set_node(7, 5, 5, true);
		assert_ok!(Validators::add_validator(RuntimeOrigin::root(), 5));
	});
}

#[test]
fn votes_and_departures_never_shrink_the_set_below_its_least_size() {
	new_test_ext().execute_with(|| {
		assert_noop!(
			Validators::remove_validator(RuntimeOrigin::signed(1), 4),
			DispatchError::BadOrigin
		);
		assert_ok!(Validators::remove_validator(RuntimeOrigin::root(), 4));
		assert_eq!(
			last_event(),
			Event::Removed { who: 4, reason: Departure::VotedOut, slashed: 0, until: 121 }
		);
		assert_eq!(set(), vec![1, 2, 3]);
		assert_noop!(
			Validators::remove_validator(RuntimeOrigin::root(), 3),
			Error::<Test>::TooFewValidators
		);
		assert_noop!(Validators::leave(RuntimeOrigin::signed(3)), Error::<Test>::TooFewValidators);
		assert_noop!(Validators::leave(RuntimeOrigin::signed(4)), Error::<Test>::NotValidator);
		assert_eq!(<Validators as SessionManager<_>>::new_session(2), Some(vec![1, 2, 3]));
	});
}

#[test]
fn a_bond_comes_back_only_after_the_bonding_period_and_cannot_be_recycled_before() {
	new_test_ext().execute_with(|| {
		assert_ok!(Validators::leave(RuntimeOrigin::signed(4)));
		assert_eq!(held(4), BOND, "still held, still slashable");
		assert!(Candidates::<Test>::get(4).is_none());
		assert_noop!(
			Validators::withdraw_unbonded(RuntimeOrigin::signed(4)),
			Error::<Test>::StillBonded
		);
		// Standing again with the same bond while it unbonds is refused.
		set_node(8, 4, 5, true);
		set_score(8, 100);
		assert_noop!(Validators::apply(RuntimeOrigin::signed(4), 8), Error::<Test>::StillUnbonding);
		System::set_block_number(121);
		let free = Balances::free_balance(4);
		assert_ok!(Validators::withdraw_unbonded(RuntimeOrigin::signed(4)));
		assert_eq!((held(4), Balances::free_balance(4)), (0, free + BOND));
		assert_noop!(
			Validators::withdraw_unbonded(RuntimeOrigin::signed(4)),
			Error::<Test>::NothingUnbonding
		);
		assert_ok!(Validators::apply(RuntimeOrigin::signed(4), 8));
	});
}

#[test]
fn a_candidate_stops_standing_but_a_validator_must_leave_first() {
	new_test_ext().execute_with(|| {
		eligible_five();
		assert_ok!(Validators::apply(RuntimeOrigin::signed(5), 7));
		assert_ok!(Validators::withdraw_candidacy(RuntimeOrigin::signed(5)));
		assert_eq!(last_event(), Event::CandidacyWithdrawn { who: 5, until: 121 });
		assert!(NodeCandidate::<Test>::get(7).is_none(), "the node is free again");
		assert_noop!(
			Validators::withdraw_candidacy(RuntimeOrigin::signed(1)),
			Error::<Test>::IsValidator
		);
		assert_noop!(
			Validators::withdraw_candidacy(RuntimeOrigin::signed(6)),
			Error::<Test>::NotCandidate
		);
	});
}

#[test]
fn a_validator_that_authors_nothing_for_two_sessions_in_a_row_is_removed_and_slashed() {
	new_test_ext().execute_with(|| {
		let issuance = Balances::total_issuance();
		end_session(1, &[1, 2, 3, 1, 2, 3]);
		assert_eq!(set(), vec![1, 2, 3, 4], "one silent session is forgiven");
		assert_eq!(SilentStreaks::<Test>::get().into_inner(), vec![(4, 1)]);
		assert_eq!(held(4), BOND);
		end_session(2, &[1, 2, 3]);
		assert_eq!(set(), vec![1, 2, 3]);
		let slashed = Perbill::from_percent(1) * BOND;
		assert_eq!(
			last_event(),
			Event::Removed { who: 4, reason: Departure::Offline, slashed, until: 121 }
		);
		assert_eq!(held(4), BOND - slashed);
		assert_eq!(Balances::total_issuance(), issuance - slashed);
		assert_eq!(Authored::<Test>::iter().count(), 0, "the tally starts again");
		assert!(SilentStreaks::<Test>::get().is_empty(), "the streak ends with the removal");
		assert_eq!(<Validators as SessionManager<_>>::new_session(4), Some(vec![1, 2, 3]));
		// pallet-session keeps it in session 3 (queued before the removal), then drops it:
		// silent there, it is not slashed twice for one absence.
		end_session(3, &[1, 2, 3]);
		set_active(&[1, 2, 3]);
		end_session(4, &[1, 2, 3]);
		assert_eq!(held(4), BOND - slashed);
		assert!(SilentStreaks::<Test>::get().is_empty(), "gone from the set, gone from here");
	});
}

#[test]
fn leaving_and_switching_off_at_once_costs_the_same_as_vanishing() {
	new_test_ext().execute_with(|| {
		// Left during session 1, still active in sessions 1 and 2 (the change is queued), and
		// silent in both: 1% of its unbonding bond.
		assert_ok!(Validators::leave(RuntimeOrigin::signed(4)));
		end_session(1, &[1, 2, 3]);
		assert_eq!(held(4), BOND);
		end_session(2, &[1, 2, 3]);
		let slashed = Perbill::from_percent(1) * BOND;
		assert_eq!(held(4), BOND - slashed);
		assert_eq!(last_event(), Event::Slashed { who: 4, amount: slashed, session: 2 });
		assert_eq!(Unbonding::<Test>::get(4).map(|u| u.amount), Some(BOND - slashed));
		set_active(&[1, 2, 3]);
		end_session(3, &[1, 2, 3]);
		assert_eq!(held(4), BOND - slashed, "once");
	});
}

#[test]
fn a_block_between_silent_sessions_ends_the_streak() {
	new_test_ext().execute_with(|| {
		// An overloaded node misses every slot of a session, then catches up: never two in a
		// row, never removed.
		end_session(1, &[1, 2, 3]);
		end_session(2, &[1, 2, 3, 4]);
		assert!(SilentStreaks::<Test>::get().is_empty());
		end_session(3, &[1, 2, 3]);
		end_session(4, &[4, 1, 2, 3]);
		assert_eq!(set(), vec![1, 2, 3, 4]);
		assert_eq!(held(4), BOND);
		// A session too short to judge does not lengthen a streak...
		end_session(5, &[1, 2, 3]);
		set_active(&[1, 2, 3, 4, 5, 6]);
		end_session(6, &[1, 2, 3]);
		assert_eq!(SilentStreaks::<Test>::get().into_inner(), vec![(4, 1)]);
		// ...but a block in one still ends it.
		end_session(7, &[4]);
		assert!(SilentStreaks::<Test>::get().is_empty());
		set_active(&[1, 2, 3, 4]);
		end_session(8, &[1, 2, 3]);
		assert_eq!(set(), vec![1, 2, 3, 4]);
		end_session(9, &[1, 2, 3]);
		assert_eq!(set(), vec![1, 2, 3]);
	});
}

#[test]
fn several_silent_validators_go_together_down_to_the_least_size() {
	new_test_ext().execute_with(|| {
		end_session(1, &[1, 2]);
		end_session(2, &[1, 2]);
		// 3 and 4 both reach the limit; removing both would leave two of the least three, so
		// the first judged goes and the other stays.
		assert_eq!(set(), vec![1, 2, 4]);
		assert_eq!(last_event(), Event::OfflineKept { who: 4, session: 2 });
		assert_eq!(held(3), BOND - Perbill::from_percent(1) * BOND);
		assert_eq!(held(4), BOND);
	});
}

#[test]
fn offline_validators_stay_when_the_set_is_at_its_least_size() {
	new_test_ext().execute_with(|| {
		set_active(&[1, 2, 3]);
		assert_ok!(Validators::remove_validator(RuntimeOrigin::root(), 4));
		end_session(1, &[1, 2]);
		end_session(2, &[1, 2]);
		assert_eq!(set(), vec![1, 2, 3]);
		assert_eq!(last_event(), Event::OfflineKept { who: 3, session: 2 });
		assert_eq!(held(3), BOND, "not slashed either");
		// Its streak starts again: judged again after as many silent sessions.
		assert!(SilentStreaks::<Test>::get().is_empty());
		end_session(3, &[1, 2]);
		assert_eq!(SilentStreaks::<Test>::get().into_inner(), vec![(3, 1)]);
		end_session(4, &[1, 2]);
		assert_eq!(last_event(), Event::OfflineKept { who: 3, session: 4 });
	});
}

#[test]
fn a_validator_that_drops_its_session_keys_counts_as_offline() {
	new_test_ext().execute_with(|| {
		// Without keys pallet-session leaves it out of every session: it would keep its seat
		// (and the least size) without ever being judged by its blocks.
		KEYS.with(|k| k.borrow_mut().remove(&4));
		set_active(&[1, 2, 3]);
		end_session(1, &[1, 2, 3]);
		assert_eq!(set(), vec![1, 2, 3]);
		assert_eq!(held(4), BOND - Perbill::from_percent(1) * BOND);
	});
}

#[test]
fn the_first_session_and_sessions_too_short_to_give_every_validator_two_slots_are_not_judged() {
	new_test_ext().execute_with(|| {
		end_session(0, &[1]);
		assert!(SilentStreaks::<Test>::get().is_empty(), "operators are still starting nodes");
		// Ten blocks for six validators: one could miss its only slot while online.
		set_active(&[1, 2, 3, 4, 5, 6]);
		end_session(1, &[1]);
		end_session(2, &[1]);
		assert!(SilentStreaks::<Test>::get().is_empty());
		assert_eq!(set(), vec![1, 2, 3, 4]);
	});
}

fn offence(who: AccountId, fraction: u32) {
	<Validators as OnOffenceHandler<_, _, _>>::on_offence(
		&[OffenceDetails { offender: (who, ()), reporters: vec![] }],
		&[Perbill::from_percent(fraction)],
		1,
	);
}

#[test]
fn an_equivocation_slashes_and_removes_the_offender_down_to_the_least_size() {
	new_test_ext().execute_with(|| {
		// The offence's own fraction is below the least: the least, 10%, applies.
		offence(2, 0);
		assert_eq!(set(), vec![1, 3, 4]);
		assert_eq!(held(2), BOND - 100);
		assert_eq!(
			last_event(),
			Event::Removed { who: 2, reason: Departure::Equivocated, slashed: 100, until: 121 }
		);
		// At the least size the offender is slashed but stays: replayed or framed offences
		// cannot shrink the set until one party holds it.
		offence(3, 50);
		assert_eq!((set(), held(3)), (vec![1, 3, 4], BOND / 2));
		assert_eq!(last_event(), Event::Slashed { who: 3, amount: 500, session: 1 });
		// A validator that already left is still slashed from its unbonding bond, and what is
		// left comes back after the bonding period.
		offence(2, 20);
		assert_eq!(Unbonding::<Test>::get(2).unwrap().amount, BOND - 200);
		System::set_block_number(121);
		assert_ok!(Validators::withdraw_unbonded(RuntimeOrigin::signed(2)));
		assert_eq!(held(2), 0);
	});
}

#[test]
fn one_incident_of_many_offences_takes_at_most_its_highest_fraction() {
	new_test_ext().execute_with(|| {
		// Every round and slot of an incident is an offence of its own; pallet-offences also
		// hands earlier offenders of a time slot over again with each new report.
		for _ in 0..20 {
			offence(3, 10);
		}
		assert_eq!(held(3), BOND - 100, "10% once, not 20 times");
		// A graver offence takes what exceeds the earlier one: 50% in all.
		offence(3, 50);
		assert_eq!(held(3), BOND / 2);
		offence(3, 30);
		assert_eq!(held(3), BOND / 2);
		// The span remembers it until the bond is taken back (a new bond starts a new one).
		assert_eq!(SlashedFraction::<Test>::get(3), Perbill::from_percent(50));
	});
}

#[test]
fn sessions_last_the_rules_length_and_governance_changes_it_within_bounds() {
	new_test_ext().execute_with(|| {
		<Validators as SessionManager<_>>::start_session(1);
		assert!(!SessionLength::<Test>::should_end_session(1 + SESSION - 1));
		assert!(SessionLength::<Test>::should_end_session(1 + SESSION));
		let rules = Rules::<Test>::get().unwrap();
		for bad in [
			ValidatorRules { min_validators: 0, ..rules },
			ValidatorRules { min_validators: 9, ..rules },
			ValidatorRules { session_length: 4, ..rules },
			// Five kept sessions of 21 blocks outlast the 100-block bonding period.
			ValidatorRules { session_length: 21, ..rules },
		] {
			assert_noop!(
				Validators::set_rules(RuntimeOrigin::root(), bad),
				Error::<Test>::InvalidRules
			);
		}
		assert_noop!(
			Validators::set_rules(RuntimeOrigin::signed(1), rules),
			DispatchError::BadOrigin
		);
		assert_ok!(Validators::set_rules(
			RuntimeOrigin::root(),
			ValidatorRules { session_length: 20, ..rules }
		));
		assert!(!SessionLength::<Test>::should_end_session(1 + SESSION));
		assert!(SessionLength::<Test>::should_end_session(21));
	});
}

mod aura_equivocation {
	use super::*;
	use crate::aura_equivocation::check_equivocation_proof;
	use frame_support::traits::{Authorize, KeyOwnerProofSystem};
	use sp_consensus_aura::digests::CompatibleDigestItem;
	use sp_consensus_slots::EquivocationProof;
	use sp_runtime::{
		generic::Digest,
		testing::{TestSignature, UintAuthorityId},
		traits::Header as _,
		transaction_validity::{InvalidTransaction, TransactionSource},
		DigestItem, RuntimeAppPublic,
	};

	type Header = frame_system::pallet_prelude::HeaderFor<Test>;

	/// A header of block 1 on this chain claiming `slot`, differing by `content`, sealed by
	/// `author`.
	fn sealed(author: AccountId, slot: u64, content: u8) -> Header {
		sealed_on(System::block_hash(0), author, slot, content)
	}

	/// [`sealed`], building on `parent`.
	fn sealed_on(parent: sp_core::H256, author: AccountId, slot: u64, content: u8) -> Header {
		let mut header =
			Header::new(1, [content; 32].into(), Default::default(), parent, Digest::default());
		let pre_digest =
			<DigestItem as CompatibleDigestItem<TestSignature>>::aura_pre_digest(slot.into());
		header.digest_mut().push(pre_digest);
		let signature = UintAuthorityId(author).sign(&header.hash().as_ref()).unwrap();
		header
			.digest_mut()
			.push(<DigestItem as CompatibleDigestItem<TestSignature>>::aura_seal(signature));
		header
	}

	fn proof(
		offender: AccountId,
		slot: u64,
		first: Header,
		second: Header,
	) -> EquivocationProof<Header, UintAuthorityId> {
		EquivocationProof {
			offender: UintAuthorityId(offender),
			slot: slot.into(),
			first_header: first,
			second_header: second,
		}
	}

	/// The proof that key `key` is a validator's in the current session.
	fn ownership(key: u64) -> Option<MembershipProof> {
		<Validators as KeyOwnerProofSystem<_>>::prove((UintAuthorityId::ID, UintAuthorityId(key)))
	}

	fn report(proof: EquivocationProof<Header, UintAuthorityId>) -> DispatchResult {
		let ownership = ownership(proof.offender.0).expect("a validator's key");
		Validators::report_aura_equivocation(
			frame_system::RawOrigin::Authorized.into(),
			Box::new(proof),
			ownership,
		)
		.map(|_| ())
		.map_err(|e| e.error)
	}

	#[test]
	fn two_blocks_sealed_for_one_slot_slash_and_remove_their_author_once() {
		new_test_ext().execute_with(|| {
			let double = proof(2, 7, sealed(2, 7, 1), sealed(2, 7, 2));
			assert!(check_equivocation_proof(&double));
			assert_noop!(
				Validators::report_aura_equivocation(
					RuntimeOrigin::signed(1),
					Box::new(double.clone()),
					ownership(2).unwrap(),
				),
				DispatchError::BadOrigin
			);
			assert_ok!(report(double.clone()));
			// One of four: (3 × 1/4)² of the bond, more than the least 10%.
			let slashed = Perbill::from_rational(3u32, 4).square().mul_ceil(BOND);
			assert_eq!(held(2), BOND - slashed);
			assert_eq!(set(), vec![1, 3, 4]);
			assert_eq!(
				last_event(),
				Event::Removed { who: 2, reason: Departure::Equivocated, slashed, until: 121 }
			);
			assert_noop!(report(double), Error::<Test>::DuplicateOffenceReport);
			assert_eq!(held(2), BOND - slashed, "punished once");
		});
	}

	#[test]
	fn a_report_that_does_not_prove_a_double_seal_is_refused() {
		new_test_ext().execute_with(|| {
			// The same block twice.
			let same = proof(2, 7, sealed(2, 7, 1), sealed(2, 7, 1));
			// Two slots.
			let slots = proof(2, 7, sealed(2, 7, 1), sealed(2, 8, 2));
			// One of the seals is another validator's.
			let framed = proof(2, 7, sealed(2, 7, 1), sealed(3, 7, 2));
			// A header with its seal stripped.
			let mut unsealed = sealed(2, 7, 2);
			unsealed.digest_mut().pop();
			let unsealed = proof(2, 7, sealed(2, 7, 1), unsealed);
			for bad in [same, slots, framed, unsealed] {
				assert!(!check_equivocation_proof(&bad));
				assert_noop!(report(bad), Error::<Test>::InvalidEquivocationProof);
			}
			// Two blocks the same key sealed for slot 7 of another chain (development keys
			// seal blocks on every development chain): a double seal, but not on this chain.
			let elsewhere = [7u8; 32].into();
			let other_chain =
				proof(2, 7, sealed_on(elsewhere, 2, 7, 1), sealed_on(elsewhere, 2, 7, 2));
			assert!(check_equivocation_proof(&other_chain));
			assert_noop!(report(other_chain), Error::<Test>::InvalidEquivocationProof);
			// A key no validator held.
			let stranger = proof(9, 7, sealed(9, 7, 1), sealed(9, 7, 2));
			assert!(ownership(9).is_none());
			let ownership = ownership(2).unwrap();
			assert_noop!(
				Validators::report_aura_equivocation(
					frame_system::RawOrigin::Authorized.into(),
					Box::new(stranger),
					ownership,
				),
				Error::<Test>::InvalidKeyOwnershipProof
			);
			assert_eq!(set(), vec![1, 2, 3, 4]);
		});
	}

	#[test]
	fn only_this_nodes_own_reports_enter_its_pool_and_a_known_offence_is_stale() {
		new_test_ext().execute_with(|| {
			let double = proof(2, 7, sealed(2, 7, 1), sealed(2, 7, 2));
			let ownership = ownership(2).unwrap();
			let call = RuntimeCall::Validators(Call::<Test>::report_aura_equivocation {
				equivocation_proof: Box::new(double.clone()),
				key_owner_proof: ownership,
			});
			assert_eq!(
				call.authorize(TransactionSource::External).unwrap().unwrap_err(),
				InvalidTransaction::Call.into(),
				"a report gossiped by a stranger is not taken"
			);
			let (valid, _) = call.authorize(TransactionSource::Local).unwrap().unwrap();
			assert!(!valid.propagate, "nor passed on");
			assert_ok!(report(double));
			assert_eq!(
				call.authorize(TransactionSource::InBlock).unwrap().unwrap_err(),
				InvalidTransaction::Stale.into(),
				"a known offence"
			);
		});
	}

	#[test]
	fn an_offence_is_proven_against_the_keys_its_session_used_whatever_was_set_since() {
		new_test_ext().execute_with(|| {
			// Session 1 was planned with validator 2's key 2. It rotates to key 22 before
			// session 2 is planned, and session 1 starts.
			rotate_keys(2, 22);
			<Validators as SessionManager<_>>::new_session(2);
			start_session(1);
			let old_key = ownership(2).expect("the key session 1 signs with");
			assert_eq!(old_key.session, 1);
			assert!(ownership(22).is_none(), "not session 1's");
			// Session 2 signs with key 22; key 2 is still proven to be 2's in session 1.
			start_session(2);
			assert!(ownership(22).is_some() && ownership(2).is_none());
			let check = |key: u64, proof: MembershipProof| {
				<Validators as KeyOwnerProofSystem<_>>::check_proof(
					(UintAuthorityId::ID, UintAuthorityId(key)),
					proof,
				)
			};
			assert_eq!(check(2, old_key.clone()), Some((2, ())));
			// The proof's validator count is the session's, not one the reporter picks.
			let lying = MembershipProof { validator_count: 3, ..old_key.clone() };
			assert_eq!(check(2, lying), None);
			// Records older than the kept sessions (5) are forgotten.
			for index in 3..=7 {
				<Validators as SessionManager<_>>::new_session(index);
			}
			assert_eq!(check(2, old_key), None);
		});
	}

	#[test]
	fn an_aura_report_must_prove_the_session_its_blocks_were_sealed_in() {
		new_test_ext().execute_with(|| {
			// Block 1 (after block 0) is session 0's; session 1 (planned at genesis, with the
			// same validators) starts in block 1. A reporter may not pick session 1's proof
			// for them (its validator count would set the slash).
			let double = proof(2, 7, sealed(2, 7, 1), sealed(2, 7, 2));
			let session_0 = ownership(2).unwrap();
			start_session(1);
			let session_1 = ownership(2).unwrap();
			assert_eq!((session_0.session, session_1.session), (0, 1));
			assert_noop!(
				Validators::report_aura_equivocation(
					frame_system::RawOrigin::Authorized.into(),
					Box::new(double.clone()),
					session_1,
				),
				Error::<Test>::InvalidKeyOwnershipProof
			);
			assert_ok!(Validators::report_aura_equivocation(
				frame_system::RawOrigin::Authorized.into(),
				Box::new(double),
				session_0,
			));
		});
	}
}
