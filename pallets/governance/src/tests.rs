//! Tests of governance: proposing, weighted voting, quorum and threshold, enactment at the
//! right block with the right origin, and that only a passed proposal spends or changes rules.

use crate::{mock::*, *};
use frame_support::{
	assert_noop, assert_ok,
	traits::fungible::{Inspect as _, InspectHold},
	BoundedVec,
};
use sp_runtime::{DispatchError, Perbill};

fn remark(text: &[u8]) -> RuntimeCall {
	RuntimeCall::System(frame_system::Call::remark { remark: text.to_vec() })
}

fn propose(who: u64, track: Track, call: RuntimeCall) -> ProposalIndex {
	let index = ProposalCount::<Test>::get();
	assert_ok!(Governance::propose(RuntimeOrigin::signed(who), track, Box::new(call)));
	index
}

fn vote(who: u64, index: ProposalIndex, aye: bool) -> sp_runtime::DispatchResult {
	Governance::vote(RuntimeOrigin::signed(who), index, aye)
}

fn status(index: ProposalIndex) -> ProposalStatus<u64> {
	Governance::proposal(index).expect("the proposal exists").status
}

/// Whether the scheduler dispatched proposal `index`'s call, successfully, in this block.
fn enacted(index: ProposalIndex) -> bool {
	let id = functions::task_name(index);
	System::events().iter().any(|record| {
		matches!(&record.event, RuntimeEvent::Scheduler(pallet_scheduler::Event::Dispatched { id: Some(i), result: Ok(()), .. }) if *i == id)
	})
}

/// Accounts 1..=3 get weights 6, 5 and 3: 1 and 2 together reach the quorum of 10, 1 and 3
/// do not.
fn voters() {
	set_weight(1, 6);
	set_weight(2, 5);
	set_weight(3, 3);
}

mod proposing {
	use super::*;

	#[test]
	fn holds_the_deposit_and_opens_the_vote() {
		new_test_ext().execute_with(|| {
			voters();
			let index = propose(1, Track::Standard, remark(b"hello"));
			assert_eq!(status(index), ProposalStatus::Voting { ends: 11 });
			assert_eq!(Balances::total_balance_on_hold(&1), DEPOSIT);
			assert_eq!(Ending::<Test>::get(11).to_vec(), vec![index]);
			assert_eq!(ActiveCount::<Test>::get(), 1);
		});
	}

	#[test]
	fn needs_weight_rules_and_room() {
		new_test_ext().execute_with(|| {
			let call = || Box::new(remark(b"x"));
			assert_noop!(
				Governance::propose(RuntimeOrigin::signed(4), Track::Standard, call()),
				Error::<Test>::NoVotingWeight
			);
			voters();
			for _ in 0..4 {
				propose(1, Track::Standard, remark(b"x"));
			}
			assert_noop!(
				Governance::propose(RuntimeOrigin::signed(2), Track::Standard, call()),
				Error::<Test>::TooManyActive
			);
			CurrentRules::<Test>::kill();
			assert_noop!(
				Governance::propose(RuntimeOrigin::signed(2), Track::Standard, call()),
				Error::<Test>::NoRules
			);
		});
	}

	#[test]
	fn a_large_call_is_kept_as_a_preimage() {
		new_test_ext().execute_with(|| {
			voters();
			let big = vec![7u8; 1_000];
			let index = propose(1, Track::Standard, remark(&big));
			let call = Governance::proposal(index).unwrap().call;
			let frame_support::traits::Bounded::Lookup { hash, .. } = call else {
				panic!("a 1 kB call is not inline")
			};
			assert!(<Preimage as frame_support::traits::QueryPreimage>::len(&hash).is_some());
			vote(1, index, true).unwrap();
			vote(2, index, true).unwrap();
			run_to_block(14);
			assert!(enacted(index), "the preimage was fetched and dispatched");
			assert!(
				<Preimage as frame_support::traits::QueryPreimage>::len(&hash).is_none(),
				"and then let go"
			);
		});
	}
}

mod voting {
	use super::*;

	#[test]
	fn votes_count_with_the_voters_weight_once() {
		new_test_ext().execute_with(|| {
			voters();
			let index = propose(1, Track::Standard, remark(b"a"));
			assert_ok!(vote(1, index, true));
			assert_ok!(vote(3, index, false));
			assert_eq!(Votes::<Test>::get(index, 1), Some(Vote { aye: true, weight: 6 }));
			assert_noop!(vote(1, index, false), Error::<Test>::AlreadyVoted);
			assert_noop!(vote(4, index, true), Error::<Test>::NoVotingWeight);
			assert_noop!(vote(1, 99, true), Error::<Test>::UnknownProposal);
			let tally = Governance::proposal(index).unwrap().tally;
			assert_eq!(tally, Tally { ayes: 6, nays: 3, voters: 2 });
		});
	}

	#[test]
	fn the_weight_is_taken_when_the_vote_is_cast() {
		new_test_ext().execute_with(|| {
			voters();
			let index = propose(1, Track::Standard, remark(b"a"));
			assert_ok!(vote(2, index, true));
			set_weight(2, 100);
			assert_eq!(Governance::proposal(index).unwrap().tally.ayes, 5);
		});
	}

	#[test]
	fn voting_closes_at_the_end_of_the_period() {
		new_test_ext().execute_with(|| {
			voters();
			let index = propose(1, Track::Standard, remark(b"a"));
			run_to_block(10);
			assert_ok!(vote(1, index, true));
			run_to_block(11);
			assert_noop!(vote(2, index, true), Error::<Test>::VotingClosed);
		});
	}

	#[test]
	fn voters_are_bounded() {
		new_test_ext().execute_with(|| {
			for who in 1..=6 {
				set_weight(who, 1);
			}
			let index = propose(1, Track::Standard, remark(b"a"));
			for who in 1..=5 {
				assert_ok!(vote(who, index, true));
			}
			assert_noop!(vote(6, index, true), Error::<Test>::TooManyVoters);
		});
	}
}

mod deciding {
	use super::*;

	#[test]
	fn a_passed_proposal_is_enacted_after_the_delay_and_not_before() {
		new_test_ext().execute_with(|| {
			voters();
			let index = propose(1, Track::Standard, remark(b"enact me"));
			assert_ok!(vote(1, index, true));
			assert_ok!(vote(2, index, true));
			run_to_block(11);
			assert_eq!(status(index), ProposalStatus::Passed { enact_at: 14 });
			assert_eq!(Balances::total_balance_on_hold(&1), 0, "the deposit is released");
			assert_eq!(ActiveCount::<Test>::get(), 0);
			run_to_block(13);
			assert!(!enacted(index));
			run_to_block(14);
			assert!(enacted(index), "enacted at block 14 by the chain");
		});
	}

	#[test]
	fn too_little_weight_is_no_quorum() {
		new_test_ext().execute_with(|| {
			voters();
			let index = propose(1, Track::Standard, remark(b"quiet"));
			assert_ok!(vote(1, index, true));
			assert_ok!(vote(3, index, true));
			run_to_block(11);
			assert_eq!(status(index), ProposalStatus::NoQuorum, "9 of a quorum of 10");
			run_to_block(14);
			assert!(!enacted(index));
		});
	}

	#[test]
	fn the_ayes_must_exceed_the_approval_share() {
		new_test_ext().execute_with(|| {
			set_weight(1, 5);
			set_weight(2, 5);
			set_weight(3, 6);
			let tie = propose(1, Track::Standard, remark(b"tie"));
			assert_ok!(vote(1, tie, true));
			assert_ok!(vote(2, tie, false));
			let majority = propose(1, Track::Standard, remark(b"majority"));
			assert_ok!(vote(3, majority, true));
			assert_ok!(vote(1, majority, false));
			run_to_block(14);
			assert_eq!(status(tie), ProposalStatus::Rejected, "half is not more than half");
			assert_eq!(status(majority), ProposalStatus::Passed { enact_at: 14 });
			assert!(enacted(majority) && !enacted(tie));
		});
	}

	#[test]
	fn the_root_track_needs_more_and_enacts_as_root() {
		new_test_ext().execute_with(|| {
			voters();
			let set_storage = |value: &[u8]| {
				RuntimeCall::System(frame_system::Call::set_storage {
					items: vec![(b":governed".to_vec(), value.to_vec())],
				})
			};
			// 14 of a root quorum of 20: not enough, though every vote is aye.
			let short = propose(1, Track::Root, set_storage(b"short"));
			for who in 1..=3 {
				assert_ok!(vote(who, short, true));
			}
			run_to_block(11);
			assert_eq!(status(short), ProposalStatus::NoQuorum);

			set_weight(4, 10);
			let root = propose(1, Track::Root, set_storage(b"root"));
			for who in 1..=4 {
				assert_ok!(vote(who, root, true));
			}
			// A root-only call on the standard track passes but fails to dispatch.
			let standard = propose(1, Track::Standard, set_storage(b"standard"));
			for who in 1..=4 {
				assert_ok!(vote(who, standard, true));
			}
			run_to_block(24);
			assert_eq!(sp_io::storage::get(b":governed").as_deref(), Some(&b"root"[..]));
			assert!(System::events().iter().any(|record| matches!(
				&record.event,
				RuntimeEvent::Scheduler(pallet_scheduler::Event::Dispatched {
					result: Err(DispatchError::BadOrigin),
					..
				})
			)));
		});
	}

	#[test]
	fn proposals_ending_together_are_all_decided() {
		new_test_ext().execute_with(|| {
			voters();
			let first = propose(1, Track::Standard, remark(b"one"));
			let second = propose(2, Track::Standard, remark(b"two"));
			for index in [first, second] {
				assert_ok!(vote(1, index, true));
				assert_ok!(vote(2, index, true));
			}
			run_to_block(14);
			assert!(enacted(first) && enacted(second));
		});
	}
}

mod origins {
	use super::*;

	fn payouts(list: &[(u64, u64)]) -> BoundedVec<(u64, u64), frame_support::traits::ConstU32<3>> {
		list.to_vec().try_into().unwrap()
	}

	fn spend_call(fund: Fund, list: &[(u64, u64)]) -> RuntimeCall {
		RuntimeCall::Governance(Call::spend { fund, payouts: payouts(list) })
	}

	#[test]
	fn only_a_passed_proposal_spends_and_the_spend_is_recorded() {
		new_test_ext().execute_with(|| {
			voters();
			let spend = |origin| Governance::spend(origin, Fund::Charity, payouts(&[(7, 100)]));
			assert_noop!(spend(RuntimeOrigin::signed(1)), DispatchError::BadOrigin);
			assert_noop!(spend(RuntimeOrigin::root()), DispatchError::BadOrigin);
			assert_noop!(spend(RuntimeOrigin::none()), DispatchError::BadOrigin);

			let index =
				propose(1, Track::Standard, spend_call(Fund::Charity, &[(7, 100), (8, 250)]));
			assert_ok!(vote(1, index, true));
			assert_ok!(vote(2, index, true));
			run_to_block(14);
			assert_eq!(Balances::balance(&CHARITY), 10_000 - 350);
			assert_eq!(Balances::balance(&7), 1_100);
			assert_eq!(Balances::balance(&8), 1_250);
			let record = Governance::spend_of(index).expect("recorded with its proposal");
			assert_eq!(
				(record.fund, record.payouts.to_vec(), record.at),
				(Fund::Charity, vec![(7, 100), (8, 250)], 14)
			);
			assert!(System::events().iter().any(|r| r.event
				== Event::Spent { index, fund: Fund::Charity, recipient: 8, amount: 250 }.into()));
		});
	}

	#[test]
	fn a_spend_is_checked_and_made_once() {
		new_test_ext().execute_with(|| {
			let origin = || RuntimeOrigin::from(Origin::Proposal(3));
			assert_noop!(
				Governance::spend(origin(), Fund::Operations, payouts(&[])),
				Error::<Test>::EmptySpend
			);
			assert_noop!(
				Governance::spend(origin(), Fund::Operations, payouts(&[(7, 0)])),
				Error::<Test>::EmptySpend
			);
			assert_noop!(
				Governance::spend(origin(), Fund::Operations, payouts(&[(7, 3_000), (8, 2_001)])),
				Error::<Test>::InsufficientFunds
			);
			assert_ok!(Governance::spend(origin(), Fund::Operations, payouts(&[(7, 3_000)])));
			assert_eq!(Balances::balance(&OPERATIONS), 2_000);
			assert_noop!(
				Governance::spend(origin(), Fund::Operations, payouts(&[(7, 1)])),
				Error::<Test>::AlreadySpent
			);
		});
	}

	#[test]
	fn only_a_passed_proposal_or_root_changes_the_rules() {
		new_test_ext().execute_with(|| {
			voters();
			let mut rules = test_rules();
			rules.voting_period = 5;
			assert_noop!(
				Governance::set_rules(RuntimeOrigin::signed(1), rules),
				DispatchError::BadOrigin
			);
			let index =
				propose(1, Track::Standard, RuntimeCall::Governance(Call::set_rules { rules }));
			assert_ok!(vote(1, index, true));
			assert_ok!(vote(2, index, true));
			run_to_block(13);
			assert_eq!(Governance::rules(), Some(test_rules()));
			run_to_block(14);
			assert_eq!(Governance::rules(), Some(rules), "enacted at 11 + 3");
			// The new period applies to the next proposal.
			let next = propose(1, Track::Standard, remark(b"b"));
			assert_eq!(status(next), ProposalStatus::Voting { ends: 19 });
		});
	}

	#[test]
	fn rules_are_checked() {
		new_test_ext().execute_with(|| {
			let origin = || RuntimeOrigin::from(Origin::Proposal(0));
			let with = |change: fn(&mut RulesOf<Test>)| {
				let mut rules = test_rules();
				change(&mut rules);
				rules
			};
			for bad in [
				with(|r| r.voting_period = 0),
				with(|r| r.enactment_delay = 0),
				with(|r| r.quorum = 0),
				with(|r| r.approval = Perbill::from_percent(49)),
				with(|r| r.root_quorum = 9),
				with(|r| r.root_approval = Perbill::from_percent(40)),
			] {
				assert_noop!(Governance::set_rules(origin(), bad), Error::<Test>::InvalidRules);
			}
			assert_ok!(Governance::set_rules(origin(), with(|r| r.quorum = 1)));
		});
	}
}

#[test]
fn the_tally_rule() {
	let tally = |ayes, nays| Tally { ayes, nays, voters: 2 };
	let half = Perbill::from_percent(50);
	assert!(tally(6, 4).passes(10, half));
	assert!(!tally(5, 5).passes(10, half));
	assert!(!tally(6, 3).passes(10, half), "9 of a quorum of 10");
	assert!(!tally(0, 0).passes(0, half));
	assert!(tally(67, 33).passes(1, Perbill::from_percent(66)));
	assert!(!tally(66, 34).passes(1, Perbill::from_percent(66)));
}
