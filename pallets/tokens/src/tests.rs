//! Tests of the tokens pallet: every call and error, the books after every operation, the fee
//! split, and property tests of batches.

use crate::{
	mock::*, BatchKind, Batches, Error, Event, Holds, Owed, Params, SplitFees, TokenBatch,
	TotalBacking,
};
use frame_support::{
	assert_noop, assert_ok,
	storage::with_storage_layer,
	traits::{
		fungible::{Balanced, Inspect},
		tokens::{Fortitude, Precision, Preservation},
		OnUnbalanced,
	},
};
use micro_primitives::{AccessControl, ApiTokens, PaymentError, ProfitShares, UsagePayments};
use proptest::prelude::*;
use sp_runtime::{DispatchError, Permill};

fn balance(who: AccountId) -> u128 {
	Balances::balance(&who)
}

fn issuance() -> u128 {
	Balances::total_issuance()
}

/// The books balance: the pot holds exactly the existential deposit, the backing and what is
/// owed, and the batches agree with the totals.
fn check_books() {
	MicroTokens::do_try_state().expect("the books balance");
	let owed: u128 = Owed::<Test>::iter_values().sum();
	assert_eq!(
		balance(MicroTokens::pot()),
		ExistentialDeposit::get() + TotalBacking::<Test>::get() + owed,
		"the pot holds exactly what it owes"
	);
}

fn last_event() -> RuntimeEvent {
	System::events().pop().expect("an event").event
}

fn batches(who: AccountId) -> Vec<(ApiTokens, u128, u64, BatchKind)> {
	Batches::<Test>::get(who).iter().map(|b| (b.tokens, b.backing, b.expires_at, b.kind)).collect()
}

fn run_to(block: u64) {
	System::set_block_number(block);
}

#[test]
fn genesis_opens_the_pot_charity_and_operations_accounts() {
	new_test_ext().execute_with(|| {
		for account in [MicroTokens::pot(), CHARITY, OPERATIONS] {
			assert_eq!(balance(account), ExistentialDeposit::get());
		}
		assert_eq!(Params::<Test>::get(), test_params());
		check_books();
	});
}

#[test]
fn buying_moves_micro_into_the_pot_and_makes_a_batch() {
	new_test_ext().execute_with(|| {
		let before = issuance();
		assert_ok!(MicroTokens::buy_tokens(RuntimeOrigin::signed(ALICE), 1_000, 100));
		// Price 100 on an empty network; 1 + 100 blocks rounded up to 110.
		assert_eq!(batches(ALICE), vec![(1_000, 100_000, 110, BatchKind::Backed)]);
		assert_eq!(balance(ALICE), 10_000_000 - 100_000);
		assert_eq!(
			last_event(),
			Event::TokensBought {
				who: ALICE,
				tokens: 1_000,
				price: 100,
				cost: 100_000,
				expires_at: 110
			}
			.into()
		);
		// Bought a few blocks later, within the same rounding: the same batch.
		run_to(5);
		assert_ok!(MicroTokens::buy_tokens(RuntimeOrigin::signed(ALICE), 10, 100));
		assert_eq!(batches(ALICE), vec![(1_010, 101_000, 110, BatchKind::Backed)]);
		assert_eq!(MicroTokens::balance_of(&ALICE), (1_010, 0));
		assert_eq!(issuance(), before);
		check_books();
	});
}

#[test]
fn the_price_follows_the_network_size() {
	new_test_ext().execute_with(|| {
		assert_eq!(MicroTokens::current_price(), 100);
		for node in 0..6 {
			set_node(node, BOB, true, 0);
		}
		SERVICES.with(|s| *s.borrow_mut() = 4);
		// 10 nodes and services: halfway from 100 to 1,100.
		assert_eq!(MicroTokens::current_price(), 600);
		assert_noop!(
			MicroTokens::buy_tokens(RuntimeOrigin::signed(ALICE), 1, 599),
			Error::<Test>::PriceAboveLimit
		);
		assert_ok!(MicroTokens::buy_tokens(RuntimeOrigin::signed(ALICE), 2, 600));
		assert_eq!(batches(ALICE), vec![(2, 1_200, 110, BatchKind::Backed)]);
		check_books();
	});
}

#[test]
fn buying_refuses_bad_amounts_and_too_many_batches() {
	new_test_ext().execute_with(|| {
		let signed = RuntimeOrigin::signed;
		assert_noop!(MicroTokens::buy_tokens(signed(ALICE), 0, 100), Error::<Test>::ZeroTokens);
		assert_noop!(
			MicroTokens::buy_tokens(signed(ALICE), ApiTokens::MAX, 100),
			Error::<Test>::Overflow
		);
		assert!(MicroTokens::buy_tokens(signed(ALICE), 1_000_000, 100).is_err());
		for block in [1, 11, 21, 31] {
			run_to(block);
			assert_ok!(MicroTokens::buy_tokens(signed(ALICE), 1, 100));
		}
		run_to(41);
		assert_noop!(MicroTokens::buy_tokens(signed(ALICE), 1, 100), Error::<Test>::TooManyBatches);
		assert_eq!(Batches::<Test>::get(ALICE).len(), 4);
		check_books();
	});
}

#[test]
fn spending_takes_the_earliest_unexpired_batch_first_and_splits_the_payment() {
	new_test_ext().execute_with(|| {
		assert_ok!(MicroTokens::buy_tokens(RuntimeOrigin::signed(ALICE), 100, 100));
		run_to(20);
		assert_ok!(MicroTokens::buy_tokens(RuntimeOrigin::signed(ALICE), 100, 100));
		assert_eq!(
			batches(ALICE),
			vec![(100, 10_000, 110, BatchKind::Backed), (100, 10_000, 120, BatchKind::Backed)]
		);
		let (bob, charity, operations) = (balance(BOB), balance(CHARITY), balance(OPERATIONS));
		let shares = MicroTokens::pay_for_usage(&ALICE, 0, &BOB, 150).unwrap();
		// 150 tokens: all of the first batch, half of the second, 15,000 units of backing.
		assert_eq!(shares, ProfitShares { charity: 375, operations: 375, remainder: 14_250 });
		assert_eq!(batches(ALICE), vec![(50, 5_000, 120, BatchKind::Backed)]);
		assert_eq!(balance(BOB), bob + 14_250);
		assert_eq!(balance(CHARITY), charity + 375);
		assert_eq!(balance(OPERATIONS), operations + 375);
		check_books();

		// Expired tokens cannot be spent, and a failed payment changes nothing.
		run_to(121);
		assert_eq!(MicroTokens::balance_of(&ALICE), (0, 50));
		let before = batches(ALICE);
		assert_eq!(
			with_storage_layer(|| MicroTokens::pay_for_usage(&ALICE, 0, &BOB, 1)),
			Err(PaymentError::InsufficientTokens)
		);
		assert_eq!(batches(ALICE), before);
		check_books();
	});
}

#[test]
fn shares_kept_in_the_pot_are_paid_together_each_payment_split_on_its_own() {
	new_test_ext().execute_with(|| {
		assert_ok!(MicroTokens::buy_tokens(RuntimeOrigin::signed(ALICE), 100, 100));
		let (bob, charity, operations) = (balance(BOB), balance(CHARITY), balance(OPERATIONS));
		// 39 tokens (3,900 units): 97 + 97 + 3,706; 41 tokens (4,100 units): 102 + 102 + 3,896.
		let first = MicroTokens::pay_for_usage_keeping_shares(&ALICE, 0, &BOB, 39).unwrap();
		let second = MicroTokens::pay_for_usage_keeping_shares(&ALICE, 0, &BOB, 41).unwrap();
		assert_eq!(first, ProfitShares { charity: 97, operations: 97, remainder: 3_706 });
		assert_eq!(second, ProfitShares { charity: 102, operations: 102, remainder: 3_896 });
		assert_eq!(balance(BOB), bob + 3_706 + 3_896);
		assert_eq!((balance(CHARITY), balance(OPERATIONS)), (charity, operations));
		MicroTokens::pay_shares(&[first, second]);
		assert_eq!(balance(CHARITY), charity + 199);
		assert_eq!(balance(OPERATIONS), operations + 199);
		// Nothing was owed, so nothing is: no entry written for the payee.
		assert!(!Owed::<Test>::contains_key(BOB));
		check_books();
	});
}

#[test]
fn a_payment_an_empty_account_cannot_take_is_owed_until_it_can() {
	new_test_ext().execute_with(|| {
		let nobody: AccountId = 777;
		// Tokens at 1 unit each: a call of 5 tokens pays 5 units, under the existential
		// deposit of 10 an empty account needs.
		let mut params = test_params();
		params.price = crate::PriceCurve { floor: 1, ceiling: 1, midpoint: 1 };
		assert_ok!(MicroTokens::set_params(RuntimeOrigin::root(), params));
		assert_ok!(MicroTokens::buy_tokens(RuntimeOrigin::signed(ALICE), 1_000, 1));
		MicroTokens::pay_for_usage(&ALICE, 0, &nobody, 5).unwrap();
		assert_eq!(balance(nobody), 0);
		assert_eq!(Owed::<Test>::get(nobody), 5);
		assert_eq!(last_event(), Event::PaymentOwed { who: nobody, owed: 5 }.into());
		check_books();
		MicroTokens::pay_for_usage(&ALICE, 0, &nobody, 6).unwrap();
		assert_eq!(balance(nobody), 11);
		assert_eq!(Owed::<Test>::get(nobody), 0);
		check_books();
	});
}

#[test]
fn refreshing_extends_a_batch_for_a_fee_that_is_split() {
	new_test_ext().execute_with(|| {
		assert_ok!(MicroTokens::buy_tokens(RuntimeOrigin::signed(ALICE), 1_000, 100));
		assert_noop!(
			MicroTokens::refresh_batch(RuntimeOrigin::signed(ALICE), 110),
			Error::<Test>::StillFresh
		);
		assert_noop!(
			MicroTokens::refresh_batch(RuntimeOrigin::signed(ALICE), 111),
			Error::<Test>::NoSuchBatch
		);
		run_to(115);
		assert_eq!(MicroTokens::balance_of(&ALICE), (0, 1_000));
		let (alice, charity, operations) = (balance(ALICE), balance(CHARITY), balance(OPERATIONS));
		assert_ok!(MicroTokens::refresh_batch(RuntimeOrigin::signed(ALICE), 110));
		// 10% of 100,000 backing: 250 to charity, the rest to operations.
		assert_eq!(balance(ALICE), alice - 10_000);
		assert_eq!(balance(CHARITY), charity + 250);
		assert_eq!(balance(OPERATIONS), operations + 9_750);
		assert_eq!(batches(ALICE), vec![(1_000, 100_000, 220, BatchKind::Backed)]);
		assert_eq!(
			last_event(),
			Event::BatchRefreshed {
				who: ALICE,
				tokens: 1_000,
				old_expiry: 110,
				new_expiry: 220,
				fee: 10_000,
				charity: 250,
				operations: 9_750,
			}
			.into()
		);
		assert_eq!(MicroTokens::balance_of(&ALICE), (1_000, 0));
		check_books();
	});
}

#[test]
fn a_batch_past_its_grace_lapses_to_charity_and_operations() {
	new_test_ext().execute_with(|| {
		assert_ok!(MicroTokens::buy_tokens(RuntimeOrigin::signed(ALICE), 1_000, 100));
		assert_noop!(
			MicroTokens::reap_expired(RuntimeOrigin::signed(BOB), ALICE),
			Error::<Test>::NothingToReap
		);
		// Expires after 110, refreshable through 130.
		run_to(130);
		assert_noop!(
			MicroTokens::reap_expired(RuntimeOrigin::signed(BOB), ALICE),
			Error::<Test>::NothingToReap
		);
		run_to(131);
		let (charity, operations, before) = (balance(CHARITY), balance(OPERATIONS), issuance());
		assert_ok!(MicroTokens::reap_expired(RuntimeOrigin::signed(BOB), ALICE));
		// Lapsed backing is profit, split like all profit: 2.5% of 100,000 to charity.
		assert_eq!(balance(CHARITY), charity + 2_500);
		assert_eq!(balance(OPERATIONS), operations + 97_500);
		assert!(!Batches::<Test>::contains_key(ALICE));
		assert_eq!(
			last_event(),
			Event::TokensLapsed {
				who: ALICE,
				tokens: 1_000,
				backing: 100_000,
				charity: 2_500,
				operations: 97_500
			}
			.into()
		);
		assert_eq!(issuance(), before);
		assert_noop!(
			MicroTokens::refresh_batch(RuntimeOrigin::signed(ALICE), 110),
			Error::<Test>::NoSuchBatch
		);
		check_books();
	});
}

#[test]
fn using_tokens_reaps_lapsed_batches_on_the_way() {
	new_test_ext().execute_with(|| {
		assert_ok!(MicroTokens::buy_tokens(RuntimeOrigin::signed(ALICE), 1_000, 100));
		run_to(140);
		let (charity, operations) = (balance(CHARITY), balance(OPERATIONS));
		assert_ok!(MicroTokens::buy_tokens(RuntimeOrigin::signed(ALICE), 5, 100));
		assert_eq!(batches(ALICE), vec![(5, 500, 240, BatchKind::Backed)]);
		assert_eq!(balance(CHARITY), charity + 2_500);
		assert_eq!(balance(OPERATIONS), operations + 97_500);
		check_books();
	});
}

#[test]
fn the_free_quota_becomes_unbacked_tokens() {
	new_test_ext().execute_with(|| {
		set_free_calls(ALICE, 0);
		assert_noop!(
			MicroTokens::claim_free_tokens(RuntimeOrigin::signed(ALICE)),
			Error::<Test>::NoFreeQuota
		);
		set_free_calls(ALICE, 30);
		assert_ok!(MicroTokens::claim_free_tokens(RuntimeOrigin::signed(ALICE)));
		assert_eq!(batches(ALICE), vec![(30, 0, 51, BatchKind::Free)]);
		assert_eq!(TestAccess::free_calls_left(&ALICE), 0);
		assert_noop!(
			MicroTokens::claim_free_tokens(RuntimeOrigin::signed(ALICE)),
			Error::<Test>::NoFreeQuota
		);
		run_to(30);
		assert_noop!(
			MicroTokens::refresh_batch(RuntimeOrigin::signed(ALICE), 51),
			Error::<Test>::NotRefreshable
		);
		// Free tokens lapse as soon as they expire, with nothing to pay anyone.
		run_to(52);
		let operations = balance(OPERATIONS);
		assert_ok!(MicroTokens::reap_expired(RuntimeOrigin::signed(BOB), ALICE));
		assert_eq!(balance(OPERATIONS), operations);
		check_books();
	});
}

#[test]
fn free_tokens_are_spent_first_when_they_expire_first_and_pay_nothing() {
	new_test_ext().execute_with(|| {
		set_free_calls(ALICE, 10);
		assert_ok!(MicroTokens::claim_free_tokens(RuntimeOrigin::signed(ALICE)));
		assert_ok!(MicroTokens::buy_tokens(RuntimeOrigin::signed(ALICE), 10, 100));
		let bob = balance(BOB);
		assert_eq!(
			MicroTokens::pay_for_usage(&ALICE, 0, &BOB, 10).unwrap(),
			ProfitShares::default()
		);
		assert_eq!(balance(BOB), bob);
		assert_eq!(batches(ALICE), vec![(10, 1_000, 110, BatchKind::Backed)]);
		check_books();
	});
}

#[test]
fn a_node_earns_an_allowance_that_grows_with_its_score() {
	new_test_ext().execute_with(|| {
		assert_noop!(
			MicroTokens::claim_node_allowance(RuntimeOrigin::signed(BOB), 7),
			Error::<Test>::UnknownNode
		);
		set_node(7, BOB, false, 100);
		assert_noop!(
			MicroTokens::claim_node_allowance(RuntimeOrigin::signed(ALICE), 7),
			Error::<Test>::NotOperator
		);
		assert_noop!(
			MicroTokens::claim_node_allowance(RuntimeOrigin::signed(BOB), 7),
			Error::<Test>::NodeOffline
		);
		set_node(7, BOB, true, 100);
		let before = issuance();
		// One node: price 100 + 1000 * 1 / 11 = 190. 50 + 2 * 100 = 250 tokens.
		assert_ok!(MicroTokens::claim_node_allowance(RuntimeOrigin::signed(BOB), 7));
		assert_eq!(batches(BOB), vec![(250, 47_500, 110, BatchKind::Backed)]);
		assert_eq!(issuance(), before + 47_500, "the backing is minted, nothing else");
		assert_eq!(
			last_event(),
			Event::AllowanceClaimed {
				node: 7,
				operator: BOB,
				tokens: 250,
				minted: 47_500,
				expires_at: 110
			}
			.into()
		);
		assert_noop!(
			MicroTokens::claim_node_allowance(RuntimeOrigin::signed(BOB), 7),
			Error::<Test>::AlreadyClaimed
		);
		run_to(100);
		assert_ok!(MicroTokens::claim_node_allowance(RuntimeOrigin::signed(BOB), 7));
		assert_eq!(issuance(), before + 95_000);
		check_books();
	});
}

#[test]
fn only_governance_sets_valid_parameters() {
	new_test_ext().execute_with(|| {
		let mut params = test_params();
		params.refresh_fee = Permill::from_percent(5);
		assert_noop!(
			MicroTokens::set_params(RuntimeOrigin::signed(ALICE), params),
			DispatchError::BadOrigin
		);
		assert_ok!(MicroTokens::set_params(RuntimeOrigin::root(), params));
		assert_eq!(Params::<Test>::get(), params);
		assert_eq!(last_event(), Event::ParamsSet { params }.into());
		for broken in [
			crate::TokenParams { lifetime: 0, ..params },
			crate::TokenParams { granularity: 0, ..params },
			crate::TokenParams { granularity: 101, ..params },
			crate::TokenParams { price: crate::PriceCurve { floor: 0, ..params.price }, ..params },
			crate::TokenParams {
				price: crate::PriceCurve { ceiling: 99, ..params.price },
				..params
			},
			crate::TokenParams {
				price: crate::PriceCurve { midpoint: 0, ..params.price },
				..params
			},
		] {
			assert_noop!(
				MicroTokens::set_params(RuntimeOrigin::root(), broken),
				Error::<Test>::InvalidParams
			);
		}
	});
}

#[test]
fn lapsed_backing_is_split_to_the_unit() {
	new_test_ext().execute_with(|| {
		// 1,001 tokens at 100 and 3 at 100: 100,100 + 300 = 100,400 lapse together.
		assert_ok!(MicroTokens::buy_tokens(RuntimeOrigin::signed(ALICE), 1_001, 100));
		assert_ok!(MicroTokens::buy_tokens(RuntimeOrigin::signed(ALICE), 3, 100));
		run_to(131);
		let (charity, operations, before) = (balance(CHARITY), balance(OPERATIONS), issuance());
		assert_ok!(MicroTokens::reap_expired(RuntimeOrigin::signed(BOB), ALICE));
		// 100,400 / 40 = 2,510 to charity; operations gets its 2,510 and the remainder 95,380.
		assert_eq!(balance(CHARITY), charity + 2_510);
		assert_eq!(balance(OPERATIONS), operations + 97_890);
		assert_eq!(2_510 + 97_890, 100_400);
		assert_eq!(issuance(), before);
		check_books();
	});
}

/// Claims `node`'s allowance for `who`.
fn claim(who: AccountId, node: u32) -> sp_runtime::DispatchResult {
	MicroTokens::claim_node_allowance(RuntimeOrigin::signed(who), node)
}

#[test]
fn register_claim_deregister_register_claims_once_a_period() {
	new_test_ext().execute_with(|| {
		// The attack of finding H3: register a node, claim, deregister (getting the deposit
		// back), register again under a new node id, claim again, and so on.
		set_node(1, BOB, true, 0);
		let before = issuance();
		assert_ok!(claim(BOB, 1));
		let minted = issuance() - before;
		assert!(minted > 0);
		remove_node(1);
		// A new registration is a new node id, too young to earn.
		set_node(2, BOB, true, 0);
		set_standing(2, 0, 1_000_000);
		assert_noop!(claim(BOB, 2), Error::<Test>::NodeTooYoung);
		// Even a node old enough earns nothing more for the same operator this period.
		set_node(3, BOB, true, 0);
		assert_noop!(claim(BOB, 3), Error::<Test>::AlreadyClaimed);
		// Nor does the same key under another operator.
		set_node(4, CHARLIE, true, 0);
		set_key(4, node_key(1));
		assert_noop!(claim(CHARLIE, 4), Error::<Test>::KeyAlreadyClaimed);
		assert_eq!(issuance(), before + minted, "one claim minted, once");
		// Next period the operator earns again, once.
		run_to(100);
		assert_ok!(claim(BOB, 3));
		assert_noop!(claim(BOB, 3), Error::<Test>::AlreadyClaimed);
		set_standing(2, MIN_NODE_AGE, 1_000_000);
		assert_noop!(claim(BOB, 2), Error::<Test>::AlreadyClaimed);
		check_books();
	});
}

#[test]
fn a_fresh_or_unreliable_node_cannot_claim() {
	new_test_ext().execute_with(|| {
		set_node(1, BOB, true, 0);
		set_standing(1, 0, 1_000_000);
		assert_noop!(claim(BOB, 1), Error::<Test>::NodeTooYoung);
		set_standing(1, MIN_NODE_AGE - 1, 1_000_000);
		assert_noop!(claim(BOB, 1), Error::<Test>::NodeTooYoung);
		set_standing(1, MIN_NODE_AGE, 899_999);
		assert_noop!(claim(BOB, 1), Error::<Test>::UptimeTooLow);
		set_node(1, BOB, false, 0);
		set_standing(1, MIN_NODE_AGE, 900_000);
		assert_noop!(claim(BOB, 1), Error::<Test>::NodeOffline);
		set_node(1, BOB, true, 0);
		assert_ok!(claim(BOB, 1));
		check_books();
	});
}

#[test]
fn sybil_nodes_mint_at_most_the_budget() {
	new_test_ext().execute_with(|| {
		// Twenty operators, each with a node old and reliable enough, all claim in one period.
		let operators: Vec<AccountId> = (100..120).collect();
		for (index, operator) in operators.iter().enumerate() {
			set_node(100 + index as u32, *operator, true, 0);
		}
		let before = issuance();
		// 20 nodes: price 100 + 1000 * 20 / 30 = 766; each claim is 50 tokens, 38,300 minted.
		// Five fit in the budget of 200,000 (191,500), a sixth does not.
		let mut paid = 0;
		for (index, operator) in operators.iter().enumerate() {
			match claim(*operator, 100 + index as u32) {
				Ok(()) => paid += 1,
				Err(error) => {
					assert_eq!(error, Error::<Test>::AllowanceBudgetExhausted.into())
				}
			}
		}
		assert_eq!(paid, 5);
		assert_eq!(issuance() - before, 191_500);
		assert!(issuance() - before <= ALLOWANCE_BUDGET);
		assert_eq!(MicroTokens::minted_this_period(), 191_500);
		// The next period has a budget of its own.
		run_to(100);
		assert_eq!(MicroTokens::minted_this_period(), 0);
		assert_ok!(claim(operators[19], 119));
		assert_eq!(MicroTokens::minted_this_period(), 38_300);
		check_books();
	});
}

#[test]
fn parameters_beyond_the_bounds_in_code_are_refused() {
	new_test_ext().execute_with(|| {
		// The attack of finding C1: a standard-track proposal sets a huge allowance, and every
		// claim mints without limit.
		let params = test_params();
		let at_the_bounds = crate::TokenParams {
			price: crate::PriceCurve { floor: 1, ceiling: crate::MAX_TOKEN_PRICE, midpoint: 1 },
			lifetime: 365 * 100,
			granularity: 1,
			refresh_grace: 365 * 100,
			refresh_fee: crate::MAX_REFRESH_FEE,
			allowance_base: crate::MAX_ALLOWANCE_BASE,
			allowance_per_point: crate::MAX_ALLOWANCE_PER_POINT,
		};
		assert_ok!(MicroTokens::set_params(RuntimeOrigin::root(), at_the_bounds));
		for broken in [
			crate::TokenParams { allowance_base: u128::MAX, ..params },
			crate::TokenParams { allowance_base: crate::MAX_ALLOWANCE_BASE + 1, ..params },
			crate::TokenParams {
				allowance_per_point: crate::MAX_ALLOWANCE_PER_POINT + 1,
				..params
			},
			crate::TokenParams {
				price: crate::PriceCurve { ceiling: crate::MAX_TOKEN_PRICE + 1, ..params.price },
				..params
			},
			crate::TokenParams { refresh_fee: Permill::from_percent(11), ..params },
			// Shorter than a day (100 blocks in the mock), longer than a year.
			crate::TokenParams { lifetime: 99, granularity: 9, ..params },
			crate::TokenParams { lifetime: 365 * 100 + 1, ..params },
			crate::TokenParams { refresh_grace: 365 * 100 + 1, ..params },
		] {
			assert_noop!(
				MicroTokens::set_params(RuntimeOrigin::root(), broken),
				Error::<Test>::InvalidParams
			);
		}
		assert_eq!(Params::<Test>::get(), at_the_bounds);
	});
}

#[test]
fn the_default_parameters_are_within_the_bounds() {
	let defaults = crate::TokenParams::<u32>::default();
	assert!(defaults.is_valid(14_400), "valid for six-second blocks");
	assert!(!crate::TokenParams { allowance_base: 100_001, ..defaults }.is_valid(14_400));
}

#[test]
fn anyone_may_pay_out_what_is_owed_once_the_account_can_take_it() {
	new_test_ext().execute_with(|| {
		let nobody: AccountId = 777;
		let mut params = test_params();
		params.price = crate::PriceCurve { floor: 1, ceiling: 1, midpoint: 1 };
		assert_ok!(MicroTokens::set_params(RuntimeOrigin::root(), params));
		assert_ok!(MicroTokens::buy_tokens(RuntimeOrigin::signed(ALICE), 1_000, 1));
		MicroTokens::pay_for_usage(&ALICE, 0, &nobody, 5).unwrap();
		assert_eq!(Owed::<Test>::get(nobody), 5);
		assert_noop!(
			MicroTokens::claim_owed(RuntimeOrigin::signed(BOB), ALICE),
			Error::<Test>::NothingOwed
		);
		// Still below the existential deposit of an empty account.
		assert!(MicroTokens::claim_owed(RuntimeOrigin::signed(BOB), nobody).is_err());
		assert_ok!(<Balances as frame_support::traits::fungible::Mutate<_>>::transfer(
			&ALICE,
			&nobody,
			10,
			Preservation::Preserve
		));
		assert_ok!(MicroTokens::claim_owed(RuntimeOrigin::signed(BOB), nobody));
		assert_eq!(balance(nobody), 15);
		assert_eq!(Owed::<Test>::get(nobody), 0);
		assert_eq!(last_event(), Event::OwedPaid { who: nobody, amount: 5 }.into());
		check_books();
	});
}

/// Node 5, run by BOB, that consumers hold tokens for; node 6, run by CHARLIE, another one.
fn nodes_to_hold_for() {
	set_node(5, BOB, true, 0);
	set_node(6, CHARLIE, true, 0);
}

fn hold(who: AccountId, node: u32, tokens: ApiTokens, until: u64) -> sp_runtime::DispatchResult {
	MicroTokens::hold_for_node(RuntimeOrigin::signed(who), node, tokens, until)
}

fn held(who: AccountId, node: u32) -> Vec<(ApiTokens, u128, u64, BatchKind)> {
	Holds::<Test>::get(who, node)
		.map(|hold| {
			hold.batches.iter().map(|b| (b.tokens, b.backing, b.expires_at, b.kind)).collect()
		})
		.unwrap_or_default()
}

/// Attack (M2): a consumer is served by node 5, then spends the same tokens through node 6's
/// report before node 5 reports. Tokens held for node 5 pay node 5 only.
#[test]
fn served_consumer_cannot_spend_held_tokens_elsewhere() {
	new_test_ext().execute_with(|| {
		assert_ok!(MicroTokens::buy_tokens(RuntimeOrigin::signed(ALICE), 100, 100));
		nodes_to_hold_for();
		assert_ok!(hold(ALICE, 5, 60, 1 + HOLD_NOTICE));
		assert_eq!(
			last_event(),
			Event::TokensHeld { consumer: ALICE, node: 5, tokens: 60, backing: 6_000, until: 11 }
				.into()
		);
		assert_eq!(batches(ALICE), vec![(40, 4_000, 110, BatchKind::Backed)]);
		assert_eq!(held(ALICE, 5), vec![(60, 6_000, 110, BatchKind::Backed)]);
		assert_eq!(MicroTokens::held_for_node(ALICE, 5), (60, 11));
		assert_eq!(MicroTokens::balance_of(&ALICE), (40, 0));
		check_books();

		// Node 6's report cannot take the tokens held for node 5.
		assert_eq!(
			with_storage_layer(|| MicroTokens::pay_for_usage(&ALICE, 6, &CHARLIE, 50)),
			Err(PaymentError::InsufficientTokens)
		);
		assert_eq!(held(ALICE, 5), vec![(60, 6_000, 110, BatchKind::Backed)]);
		assert_ok!(MicroTokens::pay_for_usage(&ALICE, 6, &CHARLIE, 40));
		assert_eq!(batches(ALICE), vec![]);
		// Nor can the consumer take them back before the hold ends.
		assert_noop!(
			MicroTokens::release_hold(RuntimeOrigin::signed(ALICE), ALICE, 5),
			Error::<Test>::HoldNotOver
		);

		// Node 5's report is paid from the hold: 6,000 units less 2.5% + 2.5%.
		let bob = balance(BOB);
		assert_eq!(
			MicroTokens::pay_for_usage(&ALICE, 5, &BOB, 60),
			Ok(ProfitShares { charity: 150, operations: 150, remainder: 5_700 })
		);
		assert_eq!(balance(BOB), bob + 5_700);
		assert!(!Holds::<Test>::contains_key(ALICE, 5), "an emptied hold is removed");
		assert_eq!(MicroTokens::held_for_node(ALICE, 5), (0, 0));
		check_books();
	});
}

/// Attack (M2): a consumer is served, then lets the batch lapse before the node reports.
/// Held tokens do not lapse while held: they pay the node after their batch's expiry, and lapse
/// only once released.
#[test]
fn held_tokens_do_not_lapse_before_release() {
	new_test_ext().execute_with(|| {
		assert_ok!(MicroTokens::buy_tokens(RuntimeOrigin::signed(ALICE), 100, 100));
		nodes_to_hold_for();
		assert_ok!(hold(ALICE, 5, 100, 200));
		assert_eq!(batches(ALICE), vec![]);

		// Past the batch's expiry (110) and grace (130).
		run_to(150);
		assert_noop!(
			MicroTokens::reap_expired(RuntimeOrigin::signed(CHARLIE), ALICE),
			Error::<Test>::NothingToReap
		);
		let bob = balance(BOB);
		assert_ok!(MicroTokens::pay_for_usage(&ALICE, 5, &BOB, 10));
		assert_eq!(balance(BOB), bob + 950);
		assert_eq!(held(ALICE, 5), vec![(90, 9_000, 110, BatchKind::Backed)]);
		check_books();

		run_to(200);
		assert_noop!(
			MicroTokens::release_hold(RuntimeOrigin::signed(CHARLIE), ALICE, 5),
			Error::<Test>::HoldNotOver
		);
		// After `until` anyone may release it; the piece has lapsed and lapses now.
		run_to(201);
		let (charity, operations) = (balance(CHARITY), balance(OPERATIONS));
		assert_ok!(MicroTokens::release_hold(RuntimeOrigin::signed(CHARLIE), ALICE, 5));
		let events: Vec<RuntimeEvent> = System::events().into_iter().map(|r| r.event).collect();
		assert!(events.contains(
			&Event::TokensLapsed {
				who: ALICE,
				tokens: 90,
				backing: 9_000,
				charity: 225,
				operations: 8_775
			}
			.into()
		));
		assert_eq!(
			last_event(),
			Event::HoldReleased { consumer: ALICE, node: 5, tokens: 90, backing: 9_000 }.into()
		);
		assert_eq!(balance(CHARITY), charity + 225);
		assert_eq!(balance(OPERATIONS), operations + 8_775);
		assert_eq!(batches(ALICE), vec![]);
		assert!(!Holds::<Test>::contains_key(ALICE, 5));
		check_books();
	});
}

#[test]
fn a_hold_is_topped_up_only_later_and_returns_to_the_batches_when_it_ends() {
	new_test_ext().execute_with(|| {
		assert_ok!(MicroTokens::buy_tokens(RuntimeOrigin::signed(ALICE), 100, 100));
		set_free_calls(ALICE, 10);
		assert_ok!(MicroTokens::claim_free_tokens(RuntimeOrigin::signed(ALICE)));
		nodes_to_hold_for();
		assert_noop!(hold(ALICE, 5, 0, 20), Error::<Test>::ZeroTokens);
		assert_noop!(hold(ALICE, 9, 10, 20), Error::<Test>::UnknownNode);
		assert_noop!(hold(ALICE, 5, 10, HOLD_NOTICE), Error::<Test>::HoldTooShort);
		// 110 spendable, but only the 100 backed ones can be held.
		assert_noop!(hold(ALICE, 5, 101, 20), Error::<Test>::InsufficientTokens);

		assert_ok!(hold(ALICE, 5, 30, 20));
		assert_noop!(hold(ALICE, 5, 20, 15), Error::<Test>::HoldShortened);
		assert_ok!(hold(ALICE, 5, 20, 25));
		assert_eq!(
			last_event(),
			Event::HoldToppedUp { consumer: ALICE, node: 5, tokens: 20, held: 50, until: 25 }
				.into()
		);
		// Nothing more, only later.
		assert_ok!(hold(ALICE, 5, 0, 30));
		assert_eq!(MicroTokens::held_for_node(ALICE, 5), (50, 30));
		assert_eq!(held(ALICE, 5), vec![(50, 5_000, 110, BatchKind::Backed)]);
		assert_eq!(
			batches(ALICE),
			vec![(10, 0, 51, BatchKind::Free), (50, 5_000, 110, BatchKind::Backed)]
		);
		check_books();

		run_to(31);
		assert_ok!(MicroTokens::release_hold(RuntimeOrigin::signed(ALICE), ALICE, 5));
		assert_eq!(
			last_event(),
			Event::HoldReleased { consumer: ALICE, node: 5, tokens: 50, backing: 5_000 }.into()
		);
		assert_eq!(
			batches(ALICE),
			vec![(10, 0, 51, BatchKind::Free), (100, 10_000, 110, BatchKind::Backed)]
		);
		assert_noop!(
			MicroTokens::release_hold(RuntimeOrigin::signed(ALICE), ALICE, 5),
			Error::<Test>::NoHold
		);
		check_books();
	});
}

#[test]
fn a_node_is_paid_from_the_hold_first_then_from_the_batches() {
	new_test_ext().execute_with(|| {
		assert_ok!(MicroTokens::buy_tokens(RuntimeOrigin::signed(ALICE), 100, 100));
		run_to(20);
		assert_ok!(MicroTokens::buy_tokens(RuntimeOrigin::signed(ALICE), 100, 100));
		nodes_to_hold_for();
		assert_ok!(hold(ALICE, 5, 30, 40));
		// 30 held from the batch expiring first; the node's 50 tokens take those, then 20 of
		// what is left of it.
		assert_ok!(MicroTokens::pay_for_usage(&ALICE, 5, &BOB, 50));
		assert_eq!(held(ALICE, 5), vec![]);
		assert_eq!(
			batches(ALICE),
			vec![(50, 5_000, 110, BatchKind::Backed), (100, 10_000, 120, BatchKind::Backed)]
		);
		check_books();
	});
}

/// If the batch list cannot take the pieces of a hold that ends, the release fails and the
/// tokens stay held (and keep paying the node) until a slot frees up: none are lost.
#[test]
fn a_release_the_batches_cannot_take_keeps_the_tokens_held() {
	new_test_ext().execute_with(|| {
		assert_ok!(MicroTokens::buy_tokens(RuntimeOrigin::signed(ALICE), 10, 100));
		nodes_to_hold_for();
		assert_ok!(hold(ALICE, 5, 10, 11));
		// Two nodes: a token costs 266 now.
		for block in [11, 21, 31, 41] {
			run_to(block);
			assert_ok!(MicroTokens::buy_tokens(RuntimeOrigin::signed(ALICE), 1, 266));
		}
		run_to(42);
		assert_noop!(
			MicroTokens::release_hold(RuntimeOrigin::signed(BOB), ALICE, 5),
			Error::<Test>::TooManyBatches
		);
		assert_eq!(MicroTokens::held_for_node(ALICE, 5), (10, 11));
		// A batch spent frees a slot.
		assert_ok!(MicroTokens::pay_for_usage(&ALICE, 6, &CHARLIE, 1));
		assert_ok!(MicroTokens::release_hold(RuntimeOrigin::signed(BOB), ALICE, 5));
		assert_eq!(
			batches(ALICE),
			vec![
				(10, 1_000, 110, BatchKind::Backed),
				(1, 266, 130, BatchKind::Backed),
				(1, 266, 140, BatchKind::Backed),
				(1, 266, 150, BatchKind::Backed),
			]
		);
		check_books();
	});
}

/// Attack: a hold until the last block (`u32::MAX`) kept its tokens from lapsing, and from
/// anyone's `release_hold`, for good, in one transaction. A hold, or a top-up, ends at most
/// `MaxHoldPeriod` ahead of the call; only a revocation's notice may keep it longer.
#[test]
fn a_hold_cannot_outlast_the_longest_hold_period() {
	new_test_ext().execute_with(|| {
		assert_ok!(MicroTokens::buy_tokens(RuntimeOrigin::signed(ALICE), 100, 100));
		nodes_to_hold_for();
		assert_noop!(hold(ALICE, 5, 10, u64::MAX), Error::<Test>::HoldTooLong);
		assert_noop!(hold(ALICE, 5, 10, 2 + MAX_HOLD_PERIOD), Error::<Test>::HoldTooLong);
		assert_ok!(hold(ALICE, 5, 10, 1 + MAX_HOLD_PERIOD));
		assert_eq!(MicroTokens::held_for_node(ALICE, 5), (10, 1 + MAX_HOLD_PERIOD));
		// A top-up cannot push the end past the bound either, nor later ones.
		assert_noop!(hold(ALICE, 5, 10, 2 + MAX_HOLD_PERIOD), Error::<Test>::HoldTooLong);
		run_to(100);
		assert_noop!(hold(ALICE, 5, 0, 101 + MAX_HOLD_PERIOD), Error::<Test>::HoldTooLong);
		assert_ok!(hold(ALICE, 5, 0, 100 + MAX_HOLD_PERIOD));
		assert_eq!(MicroTokens::held_for_node(ALICE, 5), (10, 100 + MAX_HOLD_PERIOD));
		// A revocation's notice keeps the hold as long as it must, past the bound.
		MicroTokens::keep_held_until(&ALICE, 5, 120 + MAX_HOLD_PERIOD);
		assert_eq!(MicroTokens::hold_until(&ALICE, 5), Some(120 + MAX_HOLD_PERIOD));
		// It ends: after it anyone may release the tokens.
		run_to(121 + MAX_HOLD_PERIOD);
		assert_ok!(MicroTokens::release_hold(RuntimeOrigin::signed(BOB), ALICE, 5));
		assert_eq!(MicroTokens::held_for_node(ALICE, 5), (0, 0));
		check_books();
	});
}

/// A revocation in the settlement pallet keeps the hold until it takes effect; it never
/// shortens one.
#[test]
fn a_hold_can_be_kept_longer_but_never_shortened() {
	new_test_ext().execute_with(|| {
		assert_ok!(MicroTokens::buy_tokens(RuntimeOrigin::signed(ALICE), 100, 100));
		nodes_to_hold_for();
		assert_ok!(hold(ALICE, 5, 10, 20));
		MicroTokens::keep_held_until(&ALICE, 5, 15);
		assert_eq!(MicroTokens::hold_until(&ALICE, 5), Some(20));
		MicroTokens::keep_held_until(&ALICE, 5, 40);
		assert_eq!(MicroTokens::hold_until(&ALICE, 5), Some(40));
		assert_eq!(
			last_event(),
			Event::HoldExtended { consumer: ALICE, node: 5, until: 40 }.into()
		);
		MicroTokens::keep_held_until(&BOB, 5, 40);
		assert_eq!(MicroTokens::hold_until(&BOB, 5), None);
		run_to(40);
		assert_noop!(
			MicroTokens::release_hold(RuntimeOrigin::signed(ALICE), ALICE, 5),
			Error::<Test>::HoldNotOver
		);
		check_books();
	});
}

/// Finding H4: `claim_free_tokens` reads the caller's account score; its weight charges the
/// bounded worst case of that walk.
#[test]
fn claiming_free_tokens_is_charged_the_account_score_walk() {
	use crate::WeightInfo;
	use frame_support::dispatch::GetDispatchInfo;
	let weight = crate::Call::<Test>::claim_free_tokens {}.get_dispatch_info().call_weight;
	let one_read = <<Test as frame_system::Config>::DbWeight as frame_support::traits::Get<
		frame_support::weights::RuntimeDbWeight,
	>>::get()
	.reads(1);
	let walk = micro_primitives::account_score_weight(one_read);
	assert_eq!(weight, <() as WeightInfo>::claim_free_tokens() + walk);
	assert_eq!(walk.ref_time(), one_read.ref_time() * micro_primitives::ACCOUNT_SCORE_READS);
	assert!(weight.proof_size() > micro_primitives::ACCOUNT_SCORE_PROOF_SIZE);
}

/// A block author for the fee tests.
pub struct TestAuthor;
impl crate::BlockAuthor<AccountId> for TestAuthor {
	fn author() -> Option<AccountId> {
		Some(AUTHOR)
	}
}

fn withdraw(
	who: AccountId,
	amount: u128,
) -> frame_support::traits::fungible::Credit<AccountId, Balances> {
	Balances::withdraw(&who, amount, Precision::Exact, Preservation::Preserve, Fortitude::Polite)
		.unwrap()
}

#[test]
fn fees_and_tips_are_split_and_the_rest_goes_to_the_author() {
	new_test_ext().execute_with(|| {
		let before = issuance();
		let (charity, operations, author) =
			(balance(CHARITY), balance(OPERATIONS), balance(AUTHOR));
		SplitFees::<Test, TestAuthor>::on_unbalanceds(
			[withdraw(ALICE, 1_000), withdraw(ALICE, 39)].into_iter(),
		);
		// 1,039: 25 each to charity and operations, 989 to the author.
		assert_eq!(balance(CHARITY), charity + 25);
		assert_eq!(balance(OPERATIONS), operations + 25);
		assert_eq!(balance(AUTHOR), author + 989);
		assert_eq!(issuance(), before, "fees are moved, not burned");
	});
}

#[test]
fn without_an_author_the_rest_of_a_fee_goes_to_operations() {
	new_test_ext().execute_with(|| {
		let before = issuance();
		let (charity, operations) = (balance(CHARITY), balance(OPERATIONS));
		SplitFees::<Test, ()>::on_unbalanced(withdraw(ALICE, 80));
		assert_eq!(balance(CHARITY), charity + 2);
		assert_eq!(balance(OPERATIONS), operations + 78);
		assert_eq!(issuance(), before);
	});
}

/// One step of a random history.
#[derive(Clone, Debug)]
enum Step {
	Buy(u64, ApiTokens),
	Spend(u64, ApiTokens),
	Refresh(u64, usize),
	Wait(u64),
	Reap(u64),
	Hold(u64, ApiTokens, u64),
	Release(u64),
	SpendHeld(u64, ApiTokens),
}

fn step() -> impl Strategy<Value = Step> {
	let who = 1u64..=3;
	prop_oneof![
		(who.clone(), 1u128..500).prop_map(|(w, t)| Step::Buy(w, t)),
		(who.clone(), 1u128..800).prop_map(|(w, t)| Step::Spend(w, t)),
		(who.clone(), 0usize..4).prop_map(|(w, i)| Step::Refresh(w, i)),
		(1u64..60).prop_map(Step::Wait),
		who.clone().prop_map(Step::Reap),
		(who.clone(), 0u128..300, 10u64..60).prop_map(|(w, t, u)| Step::Hold(w, t, u)),
		who.clone().prop_map(Step::Release),
		(who, 1u128..300).prop_map(|(w, t)| Step::SpendHeld(w, t)),
	]
}

/// The tokens `batches` would give for `tokens`, earliest expiry first, as the reference.
fn reference_spend(
	batches: &[TokenBatch<u64>],
	tokens: ApiTokens,
	now: u64,
) -> Option<Vec<ApiTokens>> {
	let spendable: ApiTokens =
		batches.iter().filter(|b| now <= b.expires_at).map(|b| b.tokens).sum();
	if spendable < tokens {
		return None;
	}
	let mut left = tokens;
	Some(
		batches
			.iter()
			.map(|b| {
				if now > b.expires_at {
					return b.tokens;
				}
				let take = left.min(b.tokens);
				left -= take;
				b.tokens - take
			})
			.filter(|t| *t > 0)
			.collect(),
	)
}

proptest! {
	#![proptest_config(ProptestConfig::with_cases(128))]

	/// Any history of buying, spending, refreshing, waiting and reaping keeps the books: the pot
	/// holds exactly the backing, no MICRO is created or destroyed, tokens are spent earliest
	/// expiry first and only while unexpired, and every lapsed batch's backing reaches the
	/// charity and operations accounts.
	#[test]
	fn any_history_keeps_the_books(steps in proptest::collection::vec(step(), 1..40)) {
		new_test_ext().execute_with(|| {
			// The node tokens are held for; the curve's price with one node is 190.
			set_node(1, CHARLIE, true, 0);
			let issued = issuance();
			for step in steps {
				let now = System::block_number();
				match step {
					Step::Buy(who, tokens) => {
						let _ = MicroTokens::buy_tokens(RuntimeOrigin::signed(who), tokens, 190);
					},
					Step::Spend(who, tokens) => {
						let mut live = Batches::<Test>::get(who).into_inner();
						let grace = test_params().refresh_grace;
						live.retain(|b| now <= b.expires_at + grace);
						let expected = reference_spend(&live, tokens, now);
						let result = with_storage_layer(|| MicroTokens::pay_for_usage(&who, 0, &CHARLIE, tokens));
						match expected {
							Some(left) => {
								prop_assert!(result.is_ok());
								let after: Vec<ApiTokens> = Batches::<Test>::get(who).iter().map(|b| b.tokens).collect();
								prop_assert_eq!(after, left);
							},
							None => prop_assert!(result.is_err()),
						}
					},
					Step::Refresh(who, index) => {
						if let Some(batch) = Batches::<Test>::get(who).get(index) {
							let _ = MicroTokens::refresh_batch(RuntimeOrigin::signed(who), batch.expires_at);
						}
					},
					Step::Wait(blocks) => run_to(now + blocks),
					Step::Reap(who) => {
						let _ = MicroTokens::reap_expired(RuntimeOrigin::signed(CHARLIE), who);
					},
					Step::Hold(who, tokens, ahead) => {
						let _ = MicroTokens::hold_for_node(RuntimeOrigin::signed(who), 1, tokens, now + ahead);
					},
					Step::Release(who) => {
						let _ = MicroTokens::release_hold(RuntimeOrigin::signed(CHARLIE), who, 1);
					},
					Step::SpendHeld(who, tokens) => {
						let held = MicroTokens::held_for_node(who, 1).0;
						let result = with_storage_layer(|| MicroTokens::pay_for_usage(&who, 1, &CHARLIE, tokens));
						if tokens <= held {
							prop_assert!(result.is_ok());
							prop_assert_eq!(MicroTokens::held_for_node(who, 1).0, held - tokens);
						}
					},
				}
				check_books();
				prop_assert_eq!(issuance(), issued);
				for who in 1u64..=3 {
					let batches = Batches::<Test>::get(who);
					prop_assert!(batches.windows(2).all(|w| w[0].expires_at <= w[1].expires_at));
				}
			}
			Ok(())
		})?;
	}

	/// Spending any split of a batch in any number of pieces releases exactly its backing.
	#[test]
	fn pieces_of_a_batch_release_exactly_its_backing(
		tokens in 1u128..1_000_000,
		backing in 0u128..u128::MAX / 2,
		pieces in proptest::collection::vec(1u128..1_000_000, 1..20),
	) {
		let mut batch = TokenBatch { tokens, backing, expires_at: 1u64, kind: BatchKind::Backed };
		let mut released = 0u128;
		for piece in pieces {
			released += batch.take(piece).1;
		}
		released += batch.take(ApiTokens::MAX).1;
		prop_assert_eq!(released, backing);
		prop_assert_eq!((batch.tokens, batch.backing), (0, 0));
	}
}
