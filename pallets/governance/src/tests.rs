//! Tests of governance: proposing, voting with voices, quorum and threshold, enactment at the
//! right block with the right origin, that only a passed proposal spends or changes rules, and
//! the capture attempts each rule stops.

use crate::{mock::*, *};
use frame_support::{
	assert_noop, assert_ok,
	traits::fungible::{Inspect as _, InspectHold},
	weights::Weight,
	BoundedVec,
};
use micro_primitives::Subject;
use sp_runtime::{DispatchError, Perbill};

fn remark(text: &[u8]) -> RuntimeCall {
	RuntimeCall::System(frame_system::Call::remark { remark: text.to_vec() })
}

fn propose(who: u64, track: Track, call: RuntimeCall) -> ProposalIndex {
	let index = ProposalCount::<Test>::get();
	assert_ok!(Governance::propose(RuntimeOrigin::signed(who), track, Box::new(call)));
	index
}

/// Votes with every voice the scan finds (no subjects named).
fn vote(who: u64, index: ProposalIndex, aye: bool) -> sp_runtime::DispatchResult {
	vote_with(who, index, aye, &[])
}

/// Votes with the voices `subjects` names.
fn vote_with(
	who: u64,
	index: ProposalIndex,
	aye: bool,
	subjects: &[Subject],
) -> sp_runtime::DispatchResult {
	let subjects = BoundedVec::try_from(subjects.to_vec()).expect("at most MAX_VOICES");
	Governance::vote(RuntimeOrigin::signed(who), index, aye, subjects)
}

fn status(index: ProposalIndex) -> ProposalStatus<u64> {
	Governance::proposal(index).expect("the proposal exists").status
}

fn tally(index: ProposalIndex) -> Tally {
	Governance::proposal(index).expect("the proposal exists").tally
}

/// Whether the scheduler dispatched proposal `index`'s call, successfully, in this block.
fn enacted(index: ProposalIndex) -> bool {
	let id = functions::task_name(index);
	System::events().iter().any(|record| {
		matches!(&record.event, RuntimeEvent::Scheduler(pallet_scheduler::Event::Dispatched { id: Some(i), result: Ok(()), .. }) if *i == id)
	})
}

/// Accounts 1..=3 get one node each, of weights 6, 5 and 3; the electorate is three, so two
/// voices make the standard quorum and three the root one.
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
			let proposal = Governance::proposal(index).unwrap();
			assert_eq!(proposal.status, ProposalStatus::Voting { ends: 20 });
			assert_eq!((proposal.registered_by, proposal.electorate), (5, 3));
			assert_eq!(Balances::total_balance_on_hold(&1), DEPOSIT);
			assert_eq!(Ending::<Test>::get(20).to_vec(), vec![index]);
			assert_eq!(ActiveCount::<Test>::get(), 1);
		});
	}

	#[test]
	fn needs_an_old_enough_voice_rules_and_room() {
		new_test_ext().execute_with(|| {
			let call = || Box::new(remark(b"x"));
			assert_noop!(
				Governance::propose(RuntimeOrigin::signed(4), Track::Standard, call()),
				Error::<Test>::NoVotingWeight
			);
			// A node registered three blocks ago is too young to propose with.
			set_voices(4, &[(Subject::Node(4), 7, 1)]);
			assert_noop!(
				Governance::propose(RuntimeOrigin::signed(4), Track::Standard, call()),
				Error::<Test>::NoVotingWeight
			);
			voters();
			for who in [1, 1, 2, 2] {
				propose(who, Track::Standard, remark(b"x"));
			}
			assert_noop!(
				Governance::propose(RuntimeOrigin::signed(3), Track::Standard, call()),
				Error::<Test>::TooManyActive
			);
			CurrentRules::<Test>::kill();
			assert_noop!(
				Governance::propose(RuntimeOrigin::signed(2), Track::Standard, call()),
				Error::<Test>::NoRules
			);
		});
	}

	/// The attack: one account holds every proposal slot with junk, re-proposing as its
	/// proposals are decided, to shut honest proposals out for the price of fees.
	#[test]
	fn one_account_holds_few_slots_and_junk_forfeits_its_deposit() {
		new_test_ext().execute_with(|| {
			voters();
			set_idle_electorate(10);
			propose(1, Track::Standard, remark(b"junk"));
			propose(1, Track::Standard, remark(b"junk"));
			assert_noop!(
				Governance::propose(
					RuntimeOrigin::signed(1),
					Track::Standard,
					Box::new(remark(b"x"))
				),
				Error::<Test>::TooManyByProposer
			);
			assert_eq!(Balances::total_balance_on_hold(&1), 2 * DEPOSIT);
			run_to_block(20);
			// Nobody voted: both missed their quorum, and both deposits went to the funds.
			assert_eq!(Balances::total_balance_on_hold(&1), 0);
			assert_eq!(Balances::balance(&1), 1_000 - 2 * DEPOSIT);
			assert_eq!(Balances::balance(&CHARITY), 10_000 + 2 * (DEPOSIT / 40));
			assert_eq!(Balances::balance(&OPERATIONS), 5_000 + 2 * (DEPOSIT - DEPOSIT / 40));
			assert_eq!(OpenProposals::<Test>::get(1), None);
			propose(1, Track::Standard, remark(b"again"));
		});
	}

	#[test]
	fn calls_the_filter_refuses_cannot_be_proposed() {
		new_test_ext().execute_with(|| {
			voters();
			let schedule =
				RuntimeCall::Scheduler(pallet_scheduler::Call::cancel { when: 1, index: 0 });
			assert_noop!(
				Governance::propose(RuntimeOrigin::signed(1), Track::Root, Box::new(schedule)),
				Error::<Test>::CallNotAllowed
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
			run_to_block(23);
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
	fn votes_count_each_voice_once_with_its_weight() {
		new_test_ext().execute_with(|| {
			voters();
			set_voices(
				3,
				&[
					(Subject::Node(3), 0, 3),
					(Subject::Service(30), 0, 4),
					(Subject::Node(31), 0, 2),
				],
			);
			let index = propose(1, Track::Standard, remark(b"a"));
			assert_ok!(vote(1, index, true));
			assert_ok!(vote(3, index, false));
			assert_eq!(
				Votes::<Test>::get(index, 1),
				Some(Vote { aye: true, weight: 6, voices: 1 })
			);
			assert_eq!(
				Votes::<Test>::get(index, 3),
				Some(Vote { aye: false, weight: 9, voices: 3 })
			);
			assert_eq!(Governance::voice_vote(index, Subject::Service(30)), Some(3));
			assert_noop!(vote(1, index, false), Error::<Test>::AlreadyVoted);
			assert_noop!(vote(4, index, true), Error::<Test>::NoVotingWeight);
			assert_noop!(vote(1, 99, true), Error::<Test>::UnknownProposal);
			assert_eq!(tally(index), Tally { ayes: 6, nays: 9, voters: 2, voices: 4 });
		});
	}

	#[test]
	fn the_weight_is_taken_when_the_vote_is_cast() {
		new_test_ext().execute_with(|| {
			voters();
			let index = propose(1, Track::Standard, remark(b"a"));
			assert_ok!(vote(2, index, true));
			set_weight(2, 100);
			assert_eq!(tally(index).ayes, 5);
		});
	}

	#[test]
	fn voting_closes_at_the_end_of_the_period() {
		new_test_ext().execute_with(|| {
			voters();
			let index = propose(1, Track::Standard, remark(b"a"));
			run_to_block(19);
			assert_ok!(vote(1, index, true));
			run_to_block(20);
			assert_noop!(vote(2, index, true), Error::<Test>::VotingClosed);
		});
	}

	/// The attack: one service NFT passed from account to account votes again from each.
	#[test]
	fn a_service_passed_to_another_account_does_not_vote_again() {
		new_test_ext().execute_with(|| {
			voters();
			let service = Subject::Service(77);
			set_voices(5, &[(service, 0, 500)]);
			let index = propose(1, Track::Standard, remark(b"capture"));
			assert_ok!(vote(5, index, true));
			// The NFT moves to account 6, which votes with it again.
			set_voices(5, &[]);
			set_voices(6, &[(service, 0, 500)]);
			assert_noop!(vote(6, index, true), Error::<Test>::VoicesAlreadyUsed);
			// An account holding it and another voice votes with the other one only.
			set_voices(6, &[(service, 0, 500), (Subject::Node(60), 0, 2)]);
			assert_ok!(vote(6, index, true));
			assert_eq!(tally(index), Tally { ayes: 502, nays: 0, voters: 2, voices: 2 });
		});
	}

	/// The attack: a refundable node deposit recycled into a new node, or a node bought once
	/// the proposal is known, to vote with.
	#[test]
	fn nodes_registered_after_the_cut_off_have_no_voice() {
		new_test_ext().execute_with(|| {
			voters();
			let index = propose(1, Track::Standard, remark(b"capture"));
			assert_ok!(vote(1, index, true));
			// Account 1's node is deregistered; the deposit becomes account 7's new node.
			set_voices(7, &[(Subject::Node(70), 10, 1)]);
			assert_noop!(vote(7, index, true), Error::<Test>::NoVotingWeight);
			// Registered 6 blocks before the proposal: old enough.
			set_voices(8, &[(Subject::Node(80), 4, 1)]);
			assert_ok!(vote(8, index, true));
		});
	}

	/// The attack: filling a fixed number of voter slots with Sybil ayes to lock honest nays
	/// out. There are no slots: every voice votes.
	#[test]
	fn many_voters_never_lock_out_another() {
		new_test_ext().execute_with(|| {
			for who in 1..=40 {
				set_weight(who, 1);
			}
			let index = propose(1, Track::Standard, remark(b"a"));
			for who in 1..=39 {
				assert_ok!(vote(who, index, true));
			}
			assert_ok!(vote(40, index, false));
			assert_eq!(tally(index), Tally { ayes: 39, nays: 1, voters: 40, voices: 40 });
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
			run_to_block(20);
			assert_eq!(status(index), ProposalStatus::Passed { enact_at: 23 });
			assert_eq!(Balances::total_balance_on_hold(&1), 0, "the deposit is released");
			assert_eq!(ActiveCount::<Test>::get(), 0);
			run_to_block(22);
			assert!(!enacted(index));
			run_to_block(23);
			assert!(enacted(index), "enacted at block 23 by the chain");
		});
	}

	/// The attack: one account with a farmed score meets a tiny absolute quorum on its own.
	/// The quorum is a share of the electorate, whatever the weight.
	#[test]
	fn a_heavy_voice_alone_is_no_quorum() {
		new_test_ext().execute_with(|| {
			voters();
			set_weight(1, 1_000);
			set_idle_electorate(5);
			let index = propose(1, Track::Standard, remark(b"quiet"));
			assert_eq!(Governance::proposal(index).unwrap().electorate, 8);
			assert_ok!(vote(1, index, true));
			assert_ok!(vote(2, index, true));
			assert_ok!(vote(3, index, true));
			run_to_block(20);
			assert_eq!(status(index), ProposalStatus::NoQuorum, "3 voices of 4 needed");
			run_to_block(23);
			assert!(!enacted(index));
		});
	}

	/// The attack: seeing a proposal coming, register many subjects (deposits refunded the
	/// next block) so the electorate it is decided against grows and its quorum is out of
	/// reach. The electorate is the period's snapshot when that is smaller.
	#[test]
	fn subjects_registered_to_inflate_the_electorate_do_not_count() {
		new_test_ext().execute_with(|| {
			voters();
			run_to_block(15);
			assert_eq!(ElectorateSnapshot::<Test>::get(), Some(3), "taken every 5 blocks");
			set_idle_electorate(100);
			let index = propose(1, Track::Standard, remark(b"blocked?"));
			assert_eq!(Governance::proposal(index).unwrap().electorate, 3);
			assert_ok!(vote(1, index, true));
			assert_ok!(vote(2, index, true));
			run_to_block(25);
			assert!(matches!(status(index), ProposalStatus::Passed { .. }));
			// Kept registered past the next snapshot, they count (and could vote).
			assert_eq!(ElectorateSnapshot::<Test>::get(), Some(103));
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
			run_to_block(23);
			assert_eq!(status(tie), ProposalStatus::Rejected, "half is not more than half");
			assert_eq!(status(majority), ProposalStatus::Passed { enact_at: 23 });
			assert!(enacted(majority) && !enacted(tie));
		});
	}

	#[test]
	fn the_root_track_needs_more_and_enacts_as_root() {
		new_test_ext().execute_with(|| {
			voters();
			set_weight(4, 10);
			let set_storage = |value: &[u8]| {
				RuntimeCall::System(frame_system::Call::set_storage {
					items: vec![(b":governed".to_vec(), value.to_vec())],
				})
			};
			// Two voices of four: the standard quorum, not the root one (three).
			let short = propose(1, Track::Root, set_storage(b"short"));
			for who in 1..=2 {
				assert_ok!(vote(who, short, true));
			}
			run_to_block(20);
			assert_eq!(status(short), ProposalStatus::NoQuorum);

			let root = propose(1, Track::Root, set_storage(b"root"));
			for who in 1..=3 {
				assert_ok!(vote(who, root, true));
			}
			// A root-only call on the standard track passes but fails to dispatch.
			let standard = propose(1, Track::Standard, set_storage(b"standard"));
			for who in 1..=4 {
				assert_ok!(vote(who, standard, true));
			}
			run_to_block(33);
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
			run_to_block(23);
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
			run_to_block(23);
			assert_eq!(Balances::balance(&CHARITY), 10_000 - 350);
			assert_eq!(Balances::balance(&7), 1_100);
			assert_eq!(Balances::balance(&8), 1_250);
			let record = Governance::spend_of(index).expect("recorded with its proposal");
			assert_eq!(
				(record.fund, record.payouts.to_vec(), record.at),
				(Fund::Charity, vec![(7, 100), (8, 250)], 23)
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
				Governance::spend(origin(), Fund::Operations, payouts(&[(7, 3_000), (8, 2_000)])),
				Error::<Test>::InsufficientFunds
			);
			assert_ok!(Governance::spend(origin(), Fund::Operations, payouts(&[(7, 1_000)])));
			assert_eq!(Balances::balance(&OPERATIONS), 4_000);
			assert_noop!(
				Governance::spend(origin(), Fund::Operations, payouts(&[(7, 1)])),
				Error::<Test>::AlreadySpent
			);
		});
	}

	/// The attack: one standard proposal (or several at once) empties a fund. Spends are
	/// limited to half a fund per period in this mock, and never reap its account.
	#[test]
	fn spends_stay_within_the_period_budget() {
		new_test_ext().execute_with(|| {
			let origin = |index| RuntimeOrigin::from(Origin::Proposal(index));
			// The whole charity fund, less its existential deposit, is over budget.
			assert_noop!(
				Governance::spend(origin(0), Fund::Charity, payouts(&[(7, 9_999)])),
				Error::<Test>::OverSpendBudget
			);
			// Half of 9,999 reducible is 4,999 in all this period, however many proposals.
			assert_ok!(Governance::spend(origin(1), Fund::Charity, payouts(&[(7, 3_000)])));
			assert_noop!(
				Governance::spend(origin(2), Fund::Charity, payouts(&[(7, 2_000)])),
				Error::<Test>::OverSpendBudget
			);
			assert_ok!(Governance::spend(origin(3), Fund::Charity, payouts(&[(7, 1_999)])));
			// The operations fund has its own budget.
			assert_ok!(Governance::spend(origin(4), Fund::Operations, payouts(&[(8, 2_000)])));
			// The next period has a new budget, half of what is left.
			System::set_block_number(100);
			assert_noop!(
				Governance::spend(origin(5), Fund::Charity, payouts(&[(7, 2_501)])),
				Error::<Test>::OverSpendBudget
			);
			assert_ok!(Governance::spend(origin(6), Fund::Charity, payouts(&[(7, 2_500)])));
			assert_eq!(Balances::balance(&CHARITY), 10_000 - 3_000 - 1_999 - 2_500);
		});
	}

	#[test]
	fn a_passed_proposal_changes_the_standard_rules() {
		new_test_ext().execute_with(|| {
			voters();
			let mut rules = test_rules();
			rules.quorum = Perbill::from_percent(60);
			assert_noop!(
				Governance::set_rules(RuntimeOrigin::signed(1), rules),
				DispatchError::BadOrigin
			);
			let index =
				propose(1, Track::Standard, RuntimeCall::Governance(Call::set_rules { rules }));
			assert_ok!(vote(1, index, true));
			assert_ok!(vote(2, index, true));
			run_to_block(22);
			assert_eq!(Governance::rules(), Some(test_rules()));
			run_to_block(23);
			assert_eq!(Governance::rules(), Some(rules), "enacted at 20 + 3");
		});
	}

	/// The attack: a standard proposal lowers the root track's thresholds (or shortens the
	/// voting period both tracks share) to its own, so the next root proposal passes as easily.
	#[test]
	fn only_the_root_track_changes_what_binds_the_root_track() {
		new_test_ext().execute_with(|| {
			let standard = || RuntimeOrigin::from(Origin::Proposal(0));
			let with = |change: fn(&mut RulesOf<Test>)| {
				let mut rules = test_rules();
				change(&mut rules);
				rules
			};
			for change in [
				with(|r| r.root_quorum = Perbill::from_percent(50)),
				with(|r| r.root_approval = Perbill::from_percent(60)),
				with(|r| r.voting_period = 1),
				with(|r| r.enactment_delay = 1),
				with(|r| r.min_age = 0),
			] {
				assert_noop!(
					Governance::set_rules(standard(), change),
					Error::<Test>::RootRulesNeedRootTrack
				);
				assert_ok!(Governance::set_rules(RuntimeOrigin::root(), change));
				assert_ok!(Governance::set_rules(RuntimeOrigin::root(), test_rules()));
			}
		});
	}

	#[test]
	fn rules_are_checked() {
		new_test_ext().execute_with(|| {
			let origin = || RuntimeOrigin::root();
			let with = |change: fn(&mut RulesOf<Test>)| {
				let mut rules = test_rules();
				change(&mut rules);
				rules
			};
			for bad in [
				with(|r| r.voting_period = 0),
				with(|r| r.enactment_delay = 0),
				with(|r| r.quorum = Perbill::from_percent(9)),
				with(|r| r.approval = Perbill::from_percent(49)),
				with(|r| r.root_quorum = Perbill::from_percent(40)),
				with(|r| {
					r.approval = Perbill::from_percent(50);
					r.root_approval = Perbill::from_percent(55)
				}),
				with(|r| {
					r.approval = Perbill::from_percent(70);
					r.root_approval = Perbill::from_percent(66)
				}),
			] {
				assert_noop!(Governance::set_rules(origin(), bad), Error::<Test>::InvalidRules);
			}
			assert_ok!(Governance::set_rules(
				origin(),
				with(|r| r.quorum = Perbill::from_percent(10))
			));
		});
	}
}

#[test]
fn the_tally_rule() {
	let tally = |ayes, nays, voices| Tally { ayes, nays, voters: voices, voices };
	let half = Perbill::from_percent(50);
	assert!(tally(6, 4, 2).passes(half, half, 4));
	assert!(!tally(5, 5, 2).passes(half, half, 4));
	assert!(!tally(6, 3, 2).passes(half, half, 5), "2 voices of 3 needed");
	assert!(!tally(0, 0, 0).passes(Perbill::zero(), half, 0));
	assert!(tally(67, 33, 1).passes(Perbill::zero(), Perbill::from_percent(66), 10));
	assert!(!tally(66, 34, 1).passes(Perbill::zero(), Perbill::from_percent(66), 10));
}

mod pushed_nfts {
	use super::*;

	/// Account 5 holds `SCANNED` fresh services others sent it, ahead of its own aged service
	/// 500 (weight 400) in the order the scan reads them.
	fn crowded_voter() -> Subject {
		let own = Subject::Service(500);
		let mut held: Vec<(Subject, u64, u64)> =
			(0..SCANNED as u32).map(|i| (Subject::Service(1_000 + i), 9, 1)).collect();
		held.push((own, 0, 400));
		set_voices(5, &held);
		own
	}

	/// The attack: anyone may send a voter service NFTs (transfers need no consent); enough
	/// fresh ones fill the voices scan and the voter's own aged service is no longer found, so
	/// it cannot vote with it. Naming the subject checks it alone, past the scan.
	#[test]
	fn services_pushed_onto_a_voter_do_not_silence_its_own() {
		new_test_ext().execute_with(|| {
			voters();
			let own = crowded_voter();
			let index = propose(1, Track::Standard, remark(b"silence"));
			assert_noop!(vote(5, index, true), Error::<Test>::NoVotingWeight);
			assert_ok!(vote_with(5, index, true, &[own]));
			assert_eq!(
				Votes::<Test>::get(index, 5),
				Some(Vote { aye: true, weight: 400, voices: 1 })
			);
			assert_eq!(Governance::voice_vote(index, own), Some(5));
			assert_eq!(tally(index), Tally { ayes: 400, nays: 0, voters: 1, voices: 1 });
			assert_eq!(
				System::events().last().map(|record| record.event.clone()),
				Some(RuntimeEvent::Governance(Event::Voted {
					index,
					voter: 5,
					aye: true,
					weight: 400,
					voices: 1
				}))
			);
		});
	}

	/// Every subject named must be the voter's voice on the proposal, named once, not voted.
	#[test]
	fn named_subjects_are_each_checked() {
		new_test_ext().execute_with(|| {
			voters();
			let own = crowded_voter();
			let index = propose(1, Track::Standard, remark(b"named"));
			assert_noop!(vote_with(5, index, true, &[own, own]), Error::<Test>::DuplicateSubject);
			// Account 1's node is not account 5's.
			assert_noop!(
				vote_with(5, index, true, &[own, Subject::Node(1)]),
				Error::<Test>::NotAVoice
			);
			// A pushed service registered after the cut-off has no voice on it.
			assert_noop!(
				vote_with(5, index, true, &[Subject::Service(1_000)]),
				Error::<Test>::NotAVoice
			);
			// The service voted through account 6 first: a voice votes once.
			set_voices(6, &[(own, 0, 400)]);
			assert_ok!(vote_with(6, index, false, &[own]));
			assert_noop!(vote_with(5, index, true, &[own]), Error::<Test>::SubjectAlreadyVoted);
			assert_eq!(tally(index), Tally { ayes: 0, nays: 400, voters: 1, voices: 1 });
		});
	}

	/// A vote naming subjects is charged per subject, and one naming none for the most the
	/// scan finds; both include the scan's bound on reads (finding H4).
	#[test]
	fn the_vote_weight_grows_with_the_subjects_named() {
		use frame_support::dispatch::GetDispatchInfo;
		let weight = |subjects: Vec<Subject>| {
			let subjects = BoundedVec::try_from(subjects).unwrap();
			crate::Call::<Test>::vote { index: 0, aye: true, subjects }
				.get_dispatch_info()
				.call_weight
		};
		let one = weight(vec![Subject::Node(1)]);
		let two = weight(vec![Subject::Node(1), Subject::Node(2)]);
		let none = weight(vec![]);
		assert!(two.all_gt(one));
		let scan = micro_primitives::account_score_weight(
			<<Test as frame_system::Config>::DbWeight as frame_support::traits::Get<
				frame_support::weights::RuntimeDbWeight,
			>>::get()
			.reads(1),
		);
		assert_eq!(none, <() as WeightInfo>::vote(micro_primitives::MAX_VOICES) + scan);
		assert_eq!(one, <() as WeightInfo>::vote(1) + scan);
		assert!(one.proof_size() >= micro_primitives::ACCOUNT_SCORE_PROOF_SIZE);
	}
}

/// Votes of decided proposals are removed when blocks have weight to spare.
mod cleanup {
	use super::*;
	use frame_support::traits::Hooks;

	/// The weight of reading `proposals` proposals and removing `items` entries.
	fn cost(proposals: u32, items: u32) -> Weight {
		<() as WeightInfo>::clear_votes(proposals, items)
	}

	/// The idle hook's cleanup with room for `proposals` proposals and `items` entries.
	fn clear(proposals: u32, items: u32) -> Weight {
		Governance::clear_votes_within(cost(proposals, items))
	}

	/// State written without a deposit: every vote leaves a `Votes` and a `VoiceVotes` entry
	/// per voice. Once the proposal is decided they are removed, a bounded number a block.
	#[test]
	fn votes_of_decided_proposals_are_removed_when_idle() {
		new_test_ext().execute_with(|| {
			for who in 1..=6 {
				set_weight(who, 1);
			}
			let index = propose(1, Track::Standard, remark(b"a"));
			let open = propose(2, Track::Standard, remark(b"b"));
			for who in 1..=6 {
				assert_ok!(vote(who, index, true));
			}
			assert_ok!(vote(1, open, true));
			// Nothing is removed while it is open.
			assert_eq!(clear(1, 1), cost(1, 0));
			assert_eq!(Votes::<Test>::iter_prefix(index).count(), 6);
			run_to_block(20);
			assert_eq!(status(index), ProposalStatus::Passed { enact_at: 23 });
			// Room for the proposal and 4 of its 12 entries.
			assert_eq!(Governance::on_idle(20, cost(1, 4)), cost(1, 4));
			let left = || {
				Votes::<Test>::iter_prefix(index).count()
					+ VoiceVotes::<Test>::iter_prefix(index).count()
			};
			assert_eq!(left(), 8);
			assert_eq!(VoteCleanup::<Test>::get(), index);
			assert_eq!(Governance::on_idle(20, Weight::zero()), Weight::zero());
			assert_eq!(left(), 8);
			Governance::on_idle(21, Weight::MAX);
			assert_eq!(left(), 0);
			assert_eq!(tally(index), Tally { ayes: 6, nays: 0, voters: 6, voices: 6 });
			// Proposal `open` was decided at block 20 too; its vote goes as well, and the
			// cleanup waits for the next proposal.
			assert_eq!(VoiceVotes::<Test>::iter_prefix(open).count(), 0);
			assert_eq!(Votes::<Test>::get(open, 1), None);
			assert_eq!(VoteCleanup::<Test>::get(), open + 1);
			assert_eq!(clear(100, 100), cost(0, 0));
		});
	}

	/// Issue 6: with idle weight for one proposal and one entry only, each block used to spend
	/// it all re-reading the cursor's proposal and never removed anything. Now a block with
	/// a full step removes an entry, and one with less does nothing.
	#[test]
	fn one_step_of_idle_weight_always_makes_progress() {
		new_test_ext().execute_with(|| {
			for who in 1..=3 {
				set_weight(who, 1);
			}
			let index = propose(1, Track::Standard, remark(b"a"));
			for who in 1..=3 {
				assert_ok!(vote(who, index, true));
			}
			run_to_block(20);
			let left = || {
				Votes::<Test>::iter_prefix(index).count()
					+ VoiceVotes::<Test>::iter_prefix(index).count()
			};
			assert_eq!(left(), 6);
			let below = cost(1, 1) - Weight::from_parts(1, 0);
			assert_eq!(Governance::on_idle(20, below), Weight::zero());
			assert_eq!(left(), 6);
			for removed in 1..=6 {
				assert_eq!(Governance::on_idle(20, cost(1, 1)), cost(1, 1));
				assert_eq!(left(), 6 - removed);
				assert_eq!(VoteCleanup::<Test>::get(), index);
			}
			// The proposal is found clean: the cursor moves on.
			assert_eq!(Governance::on_idle(20, cost(1, 1)), cost(1, 0));
			assert_eq!(VoteCleanup::<Test>::get(), index + 1);
		});
	}

	/// Issue 6: a proposal whose vote ended but which was never decided (its `Ending` entry
	/// lost) is still `Voting`; the cursor used to stop at it for good. No vote can be cast on
	/// it any more, so it counts as decided and the cursor moves past it.
	#[test]
	fn a_proposal_never_decided_does_not_stop_the_cursor() {
		new_test_ext().execute_with(|| {
			set_weight(1, 1);
			set_weight(2, 1);
			let stuck = propose(1, Track::Standard, remark(b"a"));
			let later = propose(2, Track::Standard, remark(b"b"));
			assert_ok!(vote(1, stuck, true));
			assert_ok!(vote(2, later, true));
			Ending::<Test>::remove(20);
			Ending::<Test>::insert(25, BoundedVec::truncate_from(vec![later]));
			Proposals::<Test>::mutate(later, |p| {
				if let Some(p) = p {
					p.status = ProposalStatus::Voting { ends: 25 };
				}
			});
			run_to_block(20);
			assert_eq!(status(stuck), ProposalStatus::Voting { ends: 20 });
			assert_noop!(vote(3, stuck, true), Error::<Test>::VotingClosed);
			assert_eq!(clear(10, 10), cost(2, 2), "past the stuck one, up to the open one");
			assert_eq!(Votes::<Test>::get(stuck, 1), None);
			assert_eq!(Votes::<Test>::iter_prefix(later).count(), 1);
			assert_eq!(VoteCleanup::<Test>::get(), later);
		});
	}
}
