//! Tests of the contracts pallet: every transition and every refused one, the history and
//! result chains (tampering is found), and the reputation results move.

use crate::{mock::*, *};
use frame_support::{assert_noop, assert_ok, traits::fungible::InspectHold, BoundedVec};
use micro_primitives::{ReputationEvent, Subject};
use sp_core::H256;

const TERMS: H256 = H256::repeat_byte(0x42);

fn propose_between(
	proposer: u64,
	parties: &[u64],
	service: Option<u32>,
	deadline: u64,
) -> ContractId {
	let id = NextContractId::<Test>::get();
	let parties: BoundedVec<u64, _> = parties.to_vec().try_into().unwrap();
	assert_ok!(MicroContracts::propose(
		RuntimeOrigin::signed(proposer),
		parties,
		TERMS,
		service,
		deadline
	));
	id
}

/// An active contract between 1, 2 and 3 about service 7 (owned by 2).
fn active() -> ContractId {
	set_service(7, 2);
	let id = propose_between(1, &[1, 2, 3], Some(7), 50);
	assert_ok!(MicroContracts::approve(RuntimeOrigin::signed(2), id));
	assert_ok!(MicroContracts::approve(RuntimeOrigin::signed(3), id));
	id
}

fn status(id: ContractId) -> Status {
	MicroContracts::contract(id).expect("the contract exists").status
}

fn held(who: u64) -> u64 {
	Balances::balance_on_hold(&HoldReason::ContractDeposit.into(), &who)
}

fn declare(who: u64, id: ContractId, outcome: Outcome<u64>) -> sp_runtime::DispatchResult {
	MicroContracts::declare_result(RuntimeOrigin::signed(who), id, outcome)
}

fn events() -> Vec<Event<Test>> {
	System::events()
		.into_iter()
		.filter_map(|record| match record.event {
			RuntimeEvent::MicroContracts(event) => Some(event),
			_ => None,
		})
		.collect()
}

mod propose {
	use super::*;

	#[test]
	fn records_the_contract_with_the_proposer_approving() {
		new_test_ext().execute_with(|| {
			set_service(7, 2);
			let id = propose_between(1, &[1, 2], Some(7), 10);
			let contract = MicroContracts::contract(id).unwrap();
			assert_eq!(contract.parties.to_vec(), vec![1, 2]);
			assert_eq!(contract.approvals.to_vec(), vec![true, false]);
			assert_eq!((contract.terms, contract.service, contract.deadline), (TERMS, Some(7), 10));
			assert_eq!(contract.status, Status::Proposed);
			assert_eq!(NextContractId::<Test>::get(), 1);
			assert!(matches!(
				events().last(),
				Some(Event::Proposed { contract: 0, proposer: 1, .. })
			));
			assert_eq!(MicroContracts::history(id)[0].event, ContractEvent::Proposed(1));
		});
	}

	#[test]
	fn refuses_bad_proposals_and_stores_nothing() {
		new_test_ext().execute_with(|| {
			let bounded = |parties: Vec<u64>| -> BoundedVec<u64, _> { parties.try_into().unwrap() };
			let propose = |who: u64, parties: Vec<u64>, service, deadline| {
				MicroContracts::propose(
					RuntimeOrigin::signed(who),
					bounded(parties),
					TERMS,
					service,
					deadline,
				)
			};
			assert_noop!(propose(1, vec![1], None, 10), Error::<Test>::TooFewParties);
			assert_noop!(propose(1, vec![1, 2, 1], None, 10), Error::<Test>::DuplicateParty);
			assert_noop!(propose(3, vec![1, 2], None, 10), Error::<Test>::ProposerNotAParty);
			assert_noop!(propose(1, vec![1, 2], Some(9), 10), Error::<Test>::UnknownService);
			System::set_block_number(11);
			assert_noop!(propose(1, vec![1, 2], None, 10), Error::<Test>::DeadlineInThePast);
			assert_noop!(
				MicroContracts::propose(
					RuntimeOrigin::root(),
					bounded(vec![1, 2]),
					TERMS,
					None,
					20
				),
				sp_runtime::DispatchError::BadOrigin
			);
			assert_eq!(NextContractId::<Test>::get(), 0);
		});
	}
}

mod approval {
	use super::*;

	#[test]
	fn the_last_approval_activates() {
		new_test_ext().execute_with(|| {
			let id = propose_between(1, &[1, 2, 3], None, 50);
			assert_ok!(MicroContracts::approve(RuntimeOrigin::signed(2), id));
			assert_eq!(status(id), Status::Proposed);
			assert_ok!(MicroContracts::approve(RuntimeOrigin::signed(3), id));
			assert_eq!(status(id), Status::Active);
			let tail: Vec<_> = events().into_iter().rev().take(2).collect();
			assert_eq!(
				tail,
				vec![Event::Activated { contract: id }, Event::Approved { contract: id, party: 3 }]
			);
		});
	}

	#[test]
	fn refused_approvals_change_nothing() {
		new_test_ext().execute_with(|| {
			let id = propose_between(1, &[1, 2, 3], None, 50);
			assert_noop!(
				MicroContracts::approve(RuntimeOrigin::signed(1), id),
				Error::<Test>::AlreadyApproved
			);
			assert_noop!(
				MicroContracts::approve(RuntimeOrigin::signed(9), id),
				Error::<Test>::NotAParty
			);
			assert_noop!(
				MicroContracts::approve(RuntimeOrigin::signed(2), 99),
				Error::<Test>::UnknownContract
			);
			System::set_block_number(51);
			assert_noop!(
				MicroContracts::approve(RuntimeOrigin::signed(2), id),
				Error::<Test>::DeadlinePassed
			);
			System::set_block_number(50);
			assert_ok!(MicroContracts::approve(RuntimeOrigin::signed(2), id));
			assert_ok!(MicroContracts::approve(RuntimeOrigin::signed(3), id));
			assert_noop!(
				MicroContracts::approve(RuntimeOrigin::signed(3), id),
				Error::<Test>::NotProposed
			);
		});
	}

	#[test]
	fn a_party_rejects_before_activation_only() {
		new_test_ext().execute_with(|| {
			let id = propose_between(1, &[1, 2, 3], None, 50);
			assert_noop!(
				MicroContracts::reject(RuntimeOrigin::signed(9), id),
				Error::<Test>::NotAParty
			);
			assert_ok!(MicroContracts::reject(RuntimeOrigin::signed(3), id));
			assert_eq!(status(id), Status::Rejected);
			assert_noop!(
				MicroContracts::approve(RuntimeOrigin::signed(2), id),
				Error::<Test>::NotProposed
			);
			assert_noop!(
				MicroContracts::reject(RuntimeOrigin::signed(2), id),
				Error::<Test>::NotProposed
			);

			let active = active();
			assert_noop!(
				MicroContracts::reject(RuntimeOrigin::signed(2), active),
				Error::<Test>::NotProposed
			);
		});
	}

	#[test]
	fn anyone_lapses_a_proposal_after_its_deadline() {
		new_test_ext().execute_with(|| {
			let id = propose_between(1, &[1, 2], None, 50);
			System::set_block_number(50);
			assert_noop!(
				MicroContracts::lapse(RuntimeOrigin::signed(9), id),
				Error::<Test>::DeadlineNotPassed
			);
			System::set_block_number(51);
			assert_noop!(
				MicroContracts::reject(RuntimeOrigin::signed(2), id),
				Error::<Test>::DeadlinePassed
			);
			assert_ok!(MicroContracts::lapse(RuntimeOrigin::signed(9), id));
			assert_eq!(status(id), Status::Lapsed);
			assert_noop!(
				MicroContracts::lapse(RuntimeOrigin::signed(9), id),
				Error::<Test>::NotProposed
			);
			assert_eq!(events().last(), Some(&Event::Lapsed { contract: id }));
		});
	}
}

mod results {
	use super::*;

	#[test]
	fn a_result_needs_every_party_and_is_recorded_once() {
		new_test_ext().execute_with(|| {
			let id = active();
			assert_ok!(declare(1, id, Outcome::Fulfilled));
			assert_ok!(declare(2, id, Outcome::Fulfilled));
			assert_eq!(ResultCount::<Test>::get(), 0, "party 3 has not declared");
			assert_noop!(declare(2, id, Outcome::Fulfilled), Error::<Test>::AlreadyDeclared);
			assert_ok!(declare(3, id, Outcome::Fulfilled));
			assert_eq!(status(id), Status::Concluded);
			assert_eq!(ResultCount::<Test>::get(), 1);
			let record = Results::<Test>::get(0).unwrap();
			assert_eq!(
				(record.index, record.contract, record.outcome.clone()),
				(0, id, Outcome::Fulfilled)
			);
			assert_eq!(ResultHead::<Test>::get(), lifecycle::record_hash(&record));
			assert!(Declarations::<Test>::get(id).is_none());
			// Recorded once: nothing changes it again.
			for outcome in [Outcome::Fulfilled, Outcome::Cancelled, Outcome::Breached(2)] {
				assert_noop!(declare(1, id, outcome), Error::<Test>::NotActive);
			}
			assert_noop!(
				MicroContracts::reject(RuntimeOrigin::signed(1), id),
				Error::<Test>::NotProposed
			);
		});
	}

	#[test]
	fn a_changed_declaration_replaces_the_earlier_one() {
		new_test_ext().execute_with(|| {
			let id = active();
			assert_ok!(declare(1, id, Outcome::Cancelled));
			assert_ok!(declare(2, id, Outcome::Cancelled));
			assert_ok!(declare(1, id, Outcome::Fulfilled));
			assert_ok!(declare(3, id, Outcome::Cancelled));
			assert_eq!(status(id), Status::Active, "party 1 no longer wants to cancel");
			assert_ok!(declare(1, id, Outcome::Cancelled));
			assert_eq!(Results::<Test>::get(0).unwrap().outcome, Outcome::Cancelled);
			assert!(ledger().is_empty(), "a cancellation moves no reputation");
		});
	}

	#[test]
	fn a_breach_is_agreed_by_everyone_but_the_breacher() {
		new_test_ext().execute_with(|| {
			let id = active();
			assert_noop!(
				declare(2, id, Outcome::Breached(2)),
				Error::<Test>::BreacherCannotDeclare
			);
			assert_noop!(declare(1, id, Outcome::Breached(9)), Error::<Test>::BreacherNotAParty);
			assert_noop!(declare(9, id, Outcome::Fulfilled), Error::<Test>::NotAParty);
			assert_ok!(declare(1, id, Outcome::Breached(2)));
			assert_ok!(declare(3, id, Outcome::Breached(2)));
			assert_eq!(status(id), Status::BreachPending, "it waits out the dispute window");
			System::set_block_number(1 + DISPUTE_WINDOW + 1);
			assert_ok!(MicroContracts::confirm_breach(RuntimeOrigin::signed(9), id));
			assert_eq!(Results::<Test>::get(0).unwrap().outcome, Outcome::Breached(2));
		});
	}

	#[test]
	fn only_active_contracts_take_results() {
		new_test_ext().execute_with(|| {
			let id = propose_between(1, &[1, 2], None, 50);
			assert_noop!(declare(1, id, Outcome::Fulfilled), Error::<Test>::NotActive);
			assert_noop!(declare(1, 77, Outcome::Fulfilled), Error::<Test>::UnknownContract);
		});
	}

	#[test]
	fn results_feed_reputation() {
		new_test_ext().execute_with(|| {
			set_node(10, 1);
			set_node(20, 2);
			set_node(21, 2);
			set_node(22, 2);
			let fulfilled = active();
			for party in [1, 2, 3] {
				assert_ok!(declare(party, fulfilled, Outcome::Fulfilled));
			}
			// Party 2's first two nodes (the bound) and the service it owns; party 3 has none.
			let raised = vec![
				(Subject::Node(10), ReputationEvent::ContractFulfilled),
				(Subject::Node(20), ReputationEvent::ContractFulfilled),
				(Subject::Node(21), ReputationEvent::ContractFulfilled),
				(Subject::Service(7), ReputationEvent::ContractFulfilled),
			];
			assert_eq!(ledger(), raised);

			let breached = active();
			assert_ok!(declare(1, breached, Outcome::Breached(2)));
			assert_ok!(declare(3, breached, Outcome::Breached(2)));
			assert_eq!(ledger().len(), raised.len(), "not before the dispute window closes");
			System::set_block_number(1 + DISPUTE_WINDOW + 1);
			assert_ok!(MicroContracts::confirm_breach(RuntimeOrigin::signed(1), breached));
			let lowered = vec![
				(Subject::Node(20), ReputationEvent::ContractBreached),
				(Subject::Node(21), ReputationEvent::ContractBreached),
				(Subject::Service(7), ReputationEvent::ContractBreached),
			];
			assert_eq!(ledger()[raised.len()..].to_vec(), lowered, "only the breacher loses");
		});
	}
}

mod chains {
	use super::*;

	/// Three concluded contracts and one rejected.
	fn some_history() -> Vec<ContractId> {
		let mut ids = Vec::new();
		for outcome in [Outcome::Fulfilled, Outcome::Cancelled, Outcome::Breached(3)] {
			let id = active();
			for party in [1, 2, 3] {
				if Outcome::Breached(party) != outcome {
					assert_ok!(MicroContracts::declare_result(
						RuntimeOrigin::signed(party),
						id,
						outcome.clone()
					));
				}
			}
			if let Outcome::Breached(_) = outcome {
				System::set_block_number(System::block_number() + DISPUTE_WINDOW + 1);
				assert_ok!(MicroContracts::confirm_breach(RuntimeOrigin::signed(9), id));
			}
			ids.push(id);
		}
		let rejected = propose_between(2, &[1, 2], None, 90);
		assert_ok!(MicroContracts::reject(RuntimeOrigin::signed(1), rejected));
		ids.push(rejected);
		ids
	}

	#[test]
	fn histories_and_the_result_chain_verify() {
		new_test_ext().execute_with(|| {
			let ids = some_history();
			for id in &ids {
				assert!(MicroContracts::verify_history(*id), "contract {id}");
			}
			let events: Vec<_> =
				MicroContracts::history(ids[0]).into_iter().map(|e| e.event).collect();
			assert_eq!(
				events,
				vec![
					ContractEvent::Proposed(1),
					ContractEvent::Approved(2),
					ContractEvent::Approved(3),
					ContractEvent::Concluded(0),
				]
			);
			assert_eq!(MicroContracts::result_head().0, 3);
			assert_eq!(MicroContracts::verify_results(0, 10), Ok(()));
			assert_eq!(MicroContracts::verify_results(1, 1), Ok(()), "a run in the middle");
			assert_eq!(MicroContracts::results(1, 5).len(), 2);
			let record = &MicroContracts::results(2, 1)[0];
			assert_eq!(record.contract_head, {
				let history = MicroContracts::history(ids[2]);
				lifecycle::entry_hash(&history[history.len() - 2])
			});
			assert!(!MicroContracts::verify_history(99));
		});
	}

	#[test]
	fn tampering_with_stored_records_is_found() {
		new_test_ext().execute_with(|| {
			let ids = some_history();
			Results::<Test>::mutate(1, |record| {
				record.as_mut().unwrap().outcome = Outcome::Fulfilled;
			});
			assert_eq!(MicroContracts::verify_results(0, 10), Err(2));

			History::<Test>::mutate(ids[0], 1, |entry| {
				entry.as_mut().unwrap().event = ContractEvent::Approved(9);
			});
			assert!(!MicroContracts::verify_history(ids[0]));

			// Changing the terms breaks the link of the first entry.
			let mut contract = MicroContracts::contract(ids[1]).unwrap();
			contract.terms = H256::zero();
			crate::Contracts::<Test>::insert(ids[1], contract);
			assert!(!MicroContracts::verify_history(ids[1]));

			History::<Test>::remove(ids[2], 1);
			assert!(!MicroContracts::verify_history(ids[2]));
			assert!(MicroContracts::verify_history(ids[3]), "the untouched one still verifies");
		});
	}
}

mod deposits {
	use super::*;

	fn release(id: ContractId) -> sp_runtime::DispatchResult {
		MicroContracts::release_deposit(RuntimeOrigin::signed(9), id)
	}

	#[test]
	fn every_party_holds_the_deposit_until_a_window_after_the_end() {
		new_test_ext().execute_with(|| {
			let id = active();
			assert_eq!((held(1), held(2), held(3)), (DEPOSIT, DEPOSIT, DEPOSIT));
			assert_eq!(Balances::free_balance(1), ENDOWMENT - DEPOSIT);
			assert_eq!(HeldDeposits::<Test>::get(2), Some(1));
			assert_noop!(release(id), Error::<Test>::DepositsStillHeld);
			for party in [1, 2, 3] {
				assert_ok!(declare(party, id, Outcome::Fulfilled));
			}
			let until = 1 + DISPUTE_WINDOW;
			assert_eq!(events().last(), Some(&Event::DepositsHeld { contract: id, until }));
			assert_eq!(DepositsHeldUntil::<Test>::get(id), Some(until));
			System::set_block_number(until);
			assert_noop!(release(id), Error::<Test>::DepositsStillHeld);
			assert_eq!((held(1), held(2), held(3)), (DEPOSIT, DEPOSIT, DEPOSIT));

			System::set_block_number(until + 1);
			assert_ok!(release(id));
			assert_eq!((held(1), held(2), held(3)), (0, 0, 0));
			assert_eq!(Balances::free_balance(2), ENDOWMENT);
			assert!(Deposits::<Test>::get(id).is_none());
			assert!(DepositsHeldUntil::<Test>::get(id).is_none());
			assert_eq!(HeldDeposits::<Test>::get(2), None);
			assert_eq!(
				events().last(),
				Some(&Event::DepositsReleased { contract: id, amount: DEPOSIT })
			);
			assert_noop!(release(id), Error::<Test>::NoDepositHeld);
			assert_noop!(release(77), Error::<Test>::UnknownContract);
		});
	}

	#[test]
	fn a_rejected_or_lapsed_contract_releases_what_was_held_after_the_window() {
		new_test_ext().execute_with(|| {
			let rejected = propose_between(1, &[1, 2, 3], None, 50);
			assert_ok!(MicroContracts::approve(RuntimeOrigin::signed(2), rejected));
			assert_eq!((held(1), held(2), held(3)), (DEPOSIT, DEPOSIT, 0));
			assert_ok!(MicroContracts::reject(RuntimeOrigin::signed(3), rejected));
			assert_eq!((held(1), held(2), held(3)), (DEPOSIT, DEPOSIT, 0));
			System::set_block_number(2 + DISPUTE_WINDOW);
			assert_ok!(release(rejected));
			assert_eq!((held(1), held(2), held(3)), (0, 0, 0));
			assert_eq!(Balances::free_balance(3), ENDOWMENT);

			let lapsed = propose_between(4, &[4, 5], None, 50);
			assert_eq!(held(4), DEPOSIT);
			System::set_block_number(51);
			assert_ok!(MicroContracts::lapse(RuntimeOrigin::signed(9), lapsed));
			assert_noop!(release(lapsed), Error::<Test>::DepositsStillHeld);
			System::set_block_number(52 + DISPUTE_WINDOW);
			assert_ok!(release(lapsed));
			assert_eq!((held(4), held(5)), (0, 0));
			assert_eq!(Balances::free_balance(4), ENDOWMENT);
		});
	}

	/// State without a deposit: a contract, its history and its result stay for good. One
	/// account holds at most `MaxHeldPerParty` deposits, each held until a window after its
	/// contract ends, so it enters at most that many contracts per window.
	#[test]
	fn one_account_holds_few_deposits_at_once() {
		new_test_ext().execute_with(|| {
			let ids: Vec<ContractId> =
				(0..MAX_HELD).map(|_| propose_between(1, &[1, 2], None, 50)).collect();
			assert_eq!(HeldDeposits::<Test>::get(1), Some(MAX_HELD));
			let parties: BoundedVec<u64, _> = vec![1, 3].try_into().unwrap();
			assert_noop!(
				MicroContracts::propose(RuntimeOrigin::signed(1), parties, TERMS, None, 50),
				Error::<Test>::TooManyHeld
			);
			// Nor can account 1 approve a contract another proposed.
			let other = propose_between(3, &[3, 1], None, 50);
			assert_noop!(
				MicroContracts::approve(RuntimeOrigin::signed(1), other),
				Error::<Test>::TooManyHeld
			);
			// Ending a contract does not free its slot; the release after the window does.
			assert_ok!(MicroContracts::reject(RuntimeOrigin::signed(2), ids[0]));
			assert_noop!(
				MicroContracts::approve(RuntimeOrigin::signed(1), other),
				Error::<Test>::TooManyHeld
			);
			System::set_block_number(2 + DISPUTE_WINDOW);
			assert_ok!(release(ids[0]));
			assert_eq!(HeldDeposits::<Test>::get(1), Some(MAX_HELD - 1));
			assert_ok!(MicroContracts::approve(RuntimeOrigin::signed(1), other));
			assert_eq!(held(1), MAX_HELD as u64 * DEPOSIT);
		});
	}

	/// A contract's history is bounded: proposed, the other parties' approvals, then a
	/// pending breach, its contest and the conclusion: `MaxParties + 3` entries at most.
	#[test]
	fn a_contract_history_holds_at_most_max_parties_and_three_entries() {
		new_test_ext().execute_with(|| {
			let id = propose_between(1, &[1, 2, 3, 4], None, 50);
			for party in [2, 3, 4] {
				assert_ok!(MicroContracts::approve(RuntimeOrigin::signed(party), id));
			}
			for party in [1, 2, 3] {
				assert_ok!(declare(party, id, Outcome::Breached(4)));
			}
			assert_ok!(MicroContracts::contest_breach(RuntimeOrigin::signed(4), id));
			let max_parties =
				<<Test as Config>::MaxParties as frame_support::traits::Get<u32>>::get();
			assert_eq!(MicroContracts::history(id).len() as u32, max_parties + 3);
			assert_eq!(status(id), Status::Concluded);
			assert!(MicroContracts::verify_history(id));
		});
	}

	/// H2: account 1 and its Sybil agree contracts with each other to farm `ContractFulfilled`
	/// for 1's nodes. Each party must hold the deposit, so a Sybil with nothing cannot, and
	/// every farmed contract ties up a deposit per party while it runs.
	#[test]
	fn self_dealing_costs_a_deposit_per_party() {
		new_test_ext().execute_with(|| {
			set_node(10, 1);
			let bounded = |parties: Vec<u64>| -> BoundedVec<u64, _> { parties.try_into().unwrap() };
			assert_noop!(
				MicroContracts::propose(
					RuntimeOrigin::signed(PAUPER),
					bounded(vec![PAUPER, 1]),
					TERMS,
					None,
					20
				),
				Error::<Test>::CannotPayDeposit
			);
			let free_sybil = propose_between(1, &[1, PAUPER], None, 20);
			assert_noop!(
				MicroContracts::approve(RuntimeOrigin::signed(PAUPER), free_sybil),
				Error::<Test>::CannotPayDeposit
			);
			assert_eq!(status(free_sybil), Status::Proposed, "it never becomes active");

			// A funded Sybil pays too: both deposits are held until the contract ends.
			let farmed = propose_between(1, &[1, 2], None, 20);
			assert_ok!(MicroContracts::approve(RuntimeOrigin::signed(2), farmed));
			assert_eq!(Balances::free_balance(1), ENDOWMENT - 2 * DEPOSIT);
			assert_eq!(Balances::free_balance(2), ENDOWMENT - DEPOSIT);
			assert!(ledger().is_empty());
		});
	}
}

/// Deposits are held past a contract's end, for its dispute window.
mod held_past_the_end {
	use super::*;

	/// The attack (H2): account 1 and its Sybil 2 agree a contract and at once declare it
	/// fulfilled, farming `ContractFulfilled` for 1's node; released with the result, their
	/// deposits cost them nothing, and the same deposit farms again the next block. The deposits
	/// stay held for the dispute window after the contract ends.
	#[test]
	fn a_self_dealt_fulfilment_keeps_the_deposits_held_for_the_window() {
		new_test_ext().execute_with(|| {
			set_node(10, 1);
			let id = propose_between(1, &[1, 2], None, 20);
			assert_ok!(MicroContracts::approve(RuntimeOrigin::signed(2), id));
			assert_ok!(declare(1, id, Outcome::Fulfilled));
			assert_ok!(declare(2, id, Outcome::Fulfilled));
			assert_eq!(status(id), Status::Concluded);
			assert_eq!(ledger(), vec![(Subject::Node(10), ReputationEvent::ContractFulfilled)]);
			assert_eq!((held(1), held(2)), (DEPOSIT, DEPOSIT), "still held after the end");
			// Released only after the window, by anyone.
			assert_noop!(
				MicroContracts::release_deposit(RuntimeOrigin::signed(9), id),
				Error::<Test>::DepositsStillHeld
			);
			System::set_block_number(2 + DISPUTE_WINDOW);
			assert_ok!(MicroContracts::release_deposit(RuntimeOrigin::signed(9), id));
			assert_eq!((held(1), held(2)), (0, 0));
			assert_eq!(Balances::free_balance(1), ENDOWMENT);
		});
	}

	/// A breach's deposits wait out its dispute window already; they are released when the
	/// dispute resolves.
	#[test]
	fn a_resolved_breach_releases_the_deposits() {
		new_test_ext().execute_with(|| {
			let id = propose_between(1, &[1, 2], None, 20);
			assert_ok!(MicroContracts::approve(RuntimeOrigin::signed(2), id));
			assert_ok!(declare(1, id, Outcome::Breached(2)));
			assert_eq!((held(1), held(2)), (DEPOSIT, DEPOSIT), "held while it can be contested");
			assert_ok!(MicroContracts::contest_breach(RuntimeOrigin::signed(2), id));
			assert_eq!((held(1), held(2)), (0, 0));
			assert!(events().contains(&Event::DepositsReleased { contract: id, amount: DEPOSIT }));
		});
	}
}

mod disputes {
	use super::*;

	/// A two-party contract between 1 and 2 (who runs node 20).
	fn two_party() -> ContractId {
		set_node(20, 2);
		let id = propose_between(1, &[1, 2], None, 50);
		assert_ok!(MicroContracts::approve(RuntimeOrigin::signed(2), id));
		id
	}

	/// M10: in a two-party contract the accuser alone agrees a breach. It is not recorded
	/// until the accused had the whole window to contest it.
	#[test]
	fn a_unilateral_breach_waits_out_the_window() {
		new_test_ext().execute_with(|| {
			let id = two_party();
			assert_ok!(declare(1, id, Outcome::Breached(2)));
			let ends = 1 + DISPUTE_WINDOW;
			assert_eq!(status(id), Status::BreachPending);
			assert_eq!(
				MicroContracts::pending_breach(id),
				Some(PendingBreach { breacher: 2, ends })
			);
			assert_eq!(
				events().last(),
				Some(&Event::BreachPending { contract: id, breacher: 2, ends })
			);
			assert!(ledger().is_empty());
			assert_eq!(ResultCount::<Test>::get(), 0);
			assert_noop!(declare(1, id, Outcome::Cancelled), Error::<Test>::NotActive);
			System::set_block_number(ends);
			assert_noop!(
				MicroContracts::confirm_breach(RuntimeOrigin::signed(9), id),
				Error::<Test>::DisputeWindowOpen
			);
			assert!(ledger().is_empty());

			System::set_block_number(ends + 1);
			assert_ok!(MicroContracts::confirm_breach(RuntimeOrigin::signed(9), id));
			assert_eq!(Results::<Test>::get(0).unwrap().outcome, Outcome::Breached(2));
			assert_eq!(ledger(), vec![(Subject::Node(20), ReputationEvent::ContractBreached)]);
			assert_eq!(status(id), Status::Concluded);
			assert_eq!((held(1), held(2)), (0, 0));
			assert!(MicroContracts::verify_history(id));
		});
	}

	/// M10: the victim of a false accusation contests it: nothing is recorded against anyone.
	#[test]
	fn a_contested_unilateral_breach_costs_nothing() {
		new_test_ext().execute_with(|| {
			set_node(10, 1);
			let id = two_party();
			assert_ok!(declare(1, id, Outcome::Breached(2)));
			System::set_block_number(1 + DISPUTE_WINDOW);
			assert_ok!(MicroContracts::contest_breach(RuntimeOrigin::signed(2), id));
			assert_eq!(Results::<Test>::get(0).unwrap().outcome, Outcome::Disputed(2));
			assert!(ledger().is_empty());
			assert_eq!(status(id), Status::Concluded);
			assert!(MicroContracts::pending_breach(id).is_none());
			assert_eq!((held(1), held(2)), (0, 0));
			let history: Vec<_> =
				MicroContracts::history(id).into_iter().map(|e| e.event).collect();
			assert_eq!(
				history[2..].to_vec(),
				vec![
					ContractEvent::BreachPending(2),
					ContractEvent::Contested(2),
					ContractEvent::Concluded(0)
				]
			);
			assert!(MicroContracts::verify_history(id));
			System::set_block_number(100);
			assert_noop!(
				MicroContracts::confirm_breach(RuntimeOrigin::signed(1), id),
				Error::<Test>::NoPendingBreach
			);
		});
	}

	/// A breach two parties agreed stands against a contest: the accused loses the dispute.
	#[test]
	fn a_corroborated_breach_contested_is_a_lost_dispute() {
		new_test_ext().execute_with(|| {
			set_node(20, 2);
			let id = active();
			assert_ok!(declare(1, id, Outcome::Breached(2)));
			assert_ok!(declare(3, id, Outcome::Breached(2)));
			assert_ok!(MicroContracts::contest_breach(RuntimeOrigin::signed(2), id));
			assert_eq!(Results::<Test>::get(0).unwrap().outcome, Outcome::Breached(2));
			assert_eq!(
				ledger(),
				vec![
					(Subject::Node(20), ReputationEvent::ContractBreached),
					(Subject::Service(7), ReputationEvent::ContractBreached),
					(Subject::Node(20), ReputationEvent::Dispute),
					(Subject::Service(7), ReputationEvent::Dispute),
				]
			);
		});
	}

	#[test]
	fn only_the_accused_contests_and_only_within_the_window() {
		new_test_ext().execute_with(|| {
			let id = two_party();
			assert_noop!(
				MicroContracts::contest_breach(RuntimeOrigin::signed(2), id),
				Error::<Test>::NoPendingBreach
			);
			assert_noop!(declare(1, id, Outcome::Disputed(2)), Error::<Test>::NotDeclarable);
			assert_ok!(declare(1, id, Outcome::Breached(2)));
			assert_noop!(
				MicroContracts::contest_breach(RuntimeOrigin::signed(1), id),
				Error::<Test>::NotTheAccused
			);
			assert_noop!(
				MicroContracts::contest_breach(RuntimeOrigin::signed(2), 77),
				Error::<Test>::UnknownContract
			);
			System::set_block_number(1 + DISPUTE_WINDOW + 1);
			assert_noop!(
				MicroContracts::contest_breach(RuntimeOrigin::signed(2), id),
				Error::<Test>::DisputeWindowClosed
			);
			assert_noop!(
				MicroContracts::confirm_breach(RuntimeOrigin::root(), id),
				sp_runtime::DispatchError::BadOrigin
			);
		});
	}
}

mod expiry {
	use super::*;

	fn expire(who: u64, id: ContractId) -> sp_runtime::DispatchResult {
		MicroContracts::expire(RuntimeOrigin::signed(who), id)
	}

	/// Issue 2: attackers 1 and 2 propose {1, 2, 3}; victim 3 approves (its deposit held and a
	/// slot used); 1 and 2 never declare. `Fulfilled` and `Cancelled` need everyone and a
	/// breach by 1 needs 2, so 3 alone could never end it; `MAX_HELD` of these shut it out of
	/// contracts for good. Once the contract's time for a result runs out, 3 ends it as
	/// `Expired` (nothing recorded against anyone) and gets its deposit and slot back a
	/// dispute window later.
	#[test]
	fn a_victim_ends_a_contract_the_others_stall_once_its_time_ran_out() {
		new_test_ext().execute_with(|| {
			let stalled: Vec<ContractId> = (0..MAX_HELD)
				.map(|_| {
					let id = propose_between(1, &[1, 2, 3], None, 50);
					assert_ok!(MicroContracts::approve(RuntimeOrigin::signed(2), id));
					assert_ok!(MicroContracts::approve(RuntimeOrigin::signed(3), id));
					id
				})
				.collect();
			assert_eq!(held(3), MAX_HELD as u64 * DEPOSIT);
			let other = propose_between(4, &[4, 3], None, 50);
			assert_noop!(
				MicroContracts::approve(RuntimeOrigin::signed(3), other),
				Error::<Test>::TooManyHeld
			);
			// 3 declares what it can; alone it records nothing.
			assert_ok!(declare(3, stalled[0], Outcome::Breached(1)));
			assert_eq!(status(stalled[0]), Status::Active);
			let expires_at = 50 + MAX_CONTRACT_LIFE;
			System::set_block_number(expires_at);
			assert_noop!(expire(3, stalled[0]), Error::<Test>::NotExpired);

			System::set_block_number(expires_at + 1);
			assert_noop!(expire(9, stalled[0]), Error::<Test>::NotAParty);
			assert_noop!(expire(3, other), Error::<Test>::NotActive);
			for id in &stalled {
				assert_ok!(expire(3, *id));
				assert_eq!(status(*id), Status::Concluded);
			}
			let record = Results::<Test>::get(0).expect("recorded");
			assert_eq!((record.contract, record.outcome), (stalled[0], Outcome::Expired));
			assert_eq!(ResultCount::<Test>::get(), MAX_HELD as u64);
			assert!(ledger().is_empty(), "nothing is recorded against anyone");
			assert!(Declarations::<Test>::get(stalled[0]).is_none());
			let until = expires_at + 1 + DISPUTE_WINDOW;
			assert_eq!(
				events().last(),
				Some(&Event::DepositsHeld { contract: stalled[MAX_HELD as usize - 1], until })
			);
			assert!(MicroContracts::verify_history(stalled[0]));
			assert_eq!(MicroContracts::verify_results(0, 10), Ok(()));
			assert_noop!(expire(3, stalled[0]), Error::<Test>::NotActive);
			assert_noop!(declare(3, stalled[0], Outcome::Expired), Error::<Test>::NotActive);

			// The deposits follow the dispute window like after any other end.
			System::set_block_number(until + 1);
			for id in &stalled {
				assert_ok!(MicroContracts::release_deposit(RuntimeOrigin::signed(9), *id));
			}
			assert_eq!((held(1), held(2), held(3)), (0, 0, 0));
			assert_eq!(Balances::free_balance(3), ENDOWMENT);
			assert_eq!(HeldDeposits::<Test>::get(3), None);
		});
	}

	/// Without a bound on the deadline, a contract proposed with a deadline far away would
	/// keep its approvers' deposits until long after it: a deadline is at most
	/// `MaxContractLife` blocks away.
	#[test]
	fn a_deadline_is_at_most_a_contract_life_away() {
		new_test_ext().execute_with(|| {
			let parties: BoundedVec<u64, _> = vec![1, 2].try_into().unwrap();
			assert_noop!(
				MicroContracts::propose(
					RuntimeOrigin::signed(1),
					parties,
					TERMS,
					None,
					1 + MAX_CONTRACT_LIFE + 1
				),
				Error::<Test>::DeadlineTooFar
			);
			let id = propose_between(1, &[1, 2], None, 1 + MAX_CONTRACT_LIFE);
			assert_eq!(
				MicroContracts::contract(id).map(|c| c.deadline),
				Some(1 + MAX_CONTRACT_LIFE)
			);
		});
	}

	/// A declared-but-not-agreed `Expired` is refused: only `expire` records it.
	#[test]
	fn expired_is_never_declared() {
		new_test_ext().execute_with(|| {
			let id = active();
			assert_noop!(declare(1, id, Outcome::Expired), Error::<Test>::NotDeclarable);
		});
	}
}
