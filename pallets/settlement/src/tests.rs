//! Tests of the settlement pallet: a report settled to the unit, every rejection of a record
//! with its own reason, every refusal of a report with its own error, and replays.

use crate::{
	mock::*, AllowanceState, Allowances, Disputes, Error, Event, HoldReason, LastReport, Receipt,
	Receipts, RecordError, RecordOf, ReportOf, Revocation, UsageRecord, UsageReport, WeightInfo,
};
use frame_support::weights::Weight;
use frame_support::{
	assert_noop, assert_ok,
	dispatch::GetDispatchInfo,
	traits::{
		fungible::{Inspect, Mutate},
		Authorize,
	},
};
use frame_system::RawOrigin;
use micro_primitives::{NodeId, ReputationEvent, Subject, UsageAllowance, UsagePayments};
use sp_core::{ed25519, sr25519, Pair};
use sp_runtime::transaction_validity::{InvalidTransaction, TransactionSource, ValidTransaction};

const NODE: NodeId = 1;
const SERVICE: u32 = 7;
/// Tokens per call.
const PRICE: u128 = 3;
/// MICRO units per token.
const TOKEN_PRICE: u128 = 1_000;

fn consumer_pair(seed: &str) -> sr25519::Pair {
	sr25519::Pair::from_string(seed, None).unwrap()
}

fn account_of(pair: &sr25519::Pair) -> AccountId {
	AccountId::from(pair.public())
}

fn owner() -> AccountId {
	account(6)
}

/// A node with key `//Node`, a service on it at version 1, and a consumer holding 100 tokens.
fn setup() -> (ed25519::Pair, sr25519::Pair) {
	let node_key = set_node(NODE, account(5), "//Node");
	set_service(SERVICE, owner(), PRICE, &[(NODE, 1)]);
	let consumer = consumer_pair("//Consumer");
	fund_tokens(&consumer, 100);
	take_ledger();
	(node_key, consumer)
}

fn fund_tokens(consumer: &sr25519::Pair, tokens: u128) {
	let who = account_of(consumer);
	Balances::set_balance(&who, 10_000_000);
	assert_ok!(MicroTokens::buy_tokens(RuntimeOrigin::signed(who), tokens, TOKEN_PRICE));
}

fn allowance(
	consumer: &sr25519::Pair,
	max_calls: u64,
	nonce: u64,
) -> UsageAllowance<AccountId, u64> {
	UsageAllowance {
		consumer: account_of(consumer),
		service: SERVICE,
		node: NODE,
		max_calls,
		max_price_per_call: PRICE,
		expires_at: 100,
		nonce,
	}
}

fn record(
	signer: &sr25519::Pair,
	allowance: UsageAllowance<AccountId, u64>,
	calls: u64,
) -> RecordOf<Test> {
	let signature = signer.sign(&Settlement::allowance_payload(&allowance)).into();
	UsageRecord { allowance, signature, version: 1, calls }
}

fn report(sequence: u64, records: Vec<RecordOf<Test>>) -> ReportOf<Test> {
	UsageReport { node: NODE, sequence, records: records.try_into().unwrap() }
}

fn sign_report(key: &ed25519::Pair, report: &ReportOf<Test>) -> ed25519::Signature {
	key.sign(&Settlement::report_payload(report))
}

fn submit(key: &ed25519::Pair, report: ReportOf<Test>) -> sp_runtime::DispatchResult {
	let signature = sign_report(key, &report);
	Settlement::submit_usage(RuntimeOrigin::signed(account(9)), report, signature)
		.map(|_| ())
		.map_err(|error| error.error)
}

fn balance(who: &AccountId) -> u128 {
	Balances::balance(who)
}

fn tokens_of(pair: &sr25519::Pair) -> u128 {
	MicroTokens::balance_of(&account_of(pair)).0
}

fn events() -> Vec<Event<Test>> {
	System::events()
		.into_iter()
		.filter_map(|r| if let RuntimeEvent::Settlement(e) = r.event { Some(e) } else { None })
		.collect()
}

/// The records rejected and why, by index (the events come one consumer at a time).
fn rejections() -> Vec<(u32, RecordError)> {
	let mut rejected: Vec<_> = events()
		.into_iter()
		.filter_map(|e| match e {
			Event::RecordRejected { index, reason, .. } => Some((index, reason)),
			_ => None,
		})
		.collect();
	rejected.sort_by_key(|(index, _)| *index);
	rejected
}

#[test]
fn a_report_charges_tokens_and_pays_the_owner_charity_and_operations_to_the_unit() {
	new_test_ext().execute_with(|| {
		let (node_key, consumer) = setup();
		let (owner_before, charity_before, operations_before) =
			(balance(&owner()), balance(&charity()), balance(&operations()));
		assert_ok!(submit(
			&node_key,
			report(1, vec![record(&consumer, allowance(&consumer, 50, 1), 10)])
		));

		// 10 calls at 3 tokens: 30 tokens backed by 30,000 units; 750 + 750 + 28,500.
		assert_eq!(tokens_of(&consumer), 70);
		assert_eq!(balance(&owner()), owner_before + 28_500);
		assert_eq!(balance(&charity()), charity_before + 750);
		assert_eq!(balance(&operations()), operations_before + 750);
		assert_eq!(
			events(),
			vec![
				Event::UsageSettled {
					node: NODE,
					consumer: account_of(&consumer),
					service: SERVICE,
					version: 1,
					calls: 10,
					tokens: 30,
					owner: owner(),
					paid: 28_500,
					charity: 750,
					operations: 750,
				},
				Event::ReportSettled { node: NODE, sequence: 1, settled: 1, rejected: 0 },
			]
		);
		let state = Allowances::<Test>::get(account_of(&consumer), NODE).unwrap();
		assert_eq!((state.nonce, state.used, state.expires_at), (1, 10, 100));
		assert_eq!(LastReport::<Test>::get(NODE), Some((1, 1)));
		assert_eq!(
			take_ledger(),
			vec![
				(
					Subject::Service(SERVICE),
					ReputationEvent::PaidUsage { calls: 10, value: 30_000 }
				),
				(Subject::Node(NODE), ReputationEvent::PaidUsage { calls: 10, value: 30_000 }),
			]
		);
		MicroTokens::do_try_state().unwrap();
	});
}

#[test]
fn a_reports_charity_and_operations_shares_are_paid_once_each_payment_split_on_its_own() {
	new_test_ext().execute_with(|| {
		let (node_key, consumer) = setup();
		let other = consumer_pair("//Other");
		fund_tokens(&other, 100);
		let (charity_before, operations_before) = (balance(&charity()), balance(&operations()));
		System::reset_events();
		assert_ok!(submit(
			&node_key,
			report(
				1,
				vec![
					record(&consumer, allowance(&consumer, 50, 1), 10),
					record(&other, allowance(&other, 50, 1), 7),
				]
			)
		));

		// 30 tokens (30,000 units): 750 each; 21 tokens (21,000 units): 525 each.
		let settled: Vec<_> = events()
			.into_iter()
			.filter_map(|e| match e {
				Event::UsageSettled { charity, operations, .. } => Some((charity, operations)),
				_ => None,
			})
			.collect();
		assert_eq!(settled, vec![(750, 750), (525, 525)]);
		assert_eq!(balance(&charity()), charity_before + 1_275);
		assert_eq!(balance(&operations()), operations_before + 1_275);
		let transfers_to = |to: AccountId| {
			System::events()
				.into_iter()
				.filter(|r| {
					matches!(
						&r.event,
						RuntimeEvent::Balances(pallet_balances::Event::Transfer { to: t, .. })
							if *t == to
					)
				})
				.count()
		};
		assert_eq!((transfers_to(charity()), transfers_to(operations())), (1, 1));
		MicroTokens::do_try_state().unwrap();
	});
}

#[test]
fn an_allowance_verified_for_a_rejected_record_is_not_verified_again_for_the_next() {
	new_test_ext().execute_with(|| {
		let (_, consumer) = setup();
		let forger = consumer_pair("//Forger");
		let terms = allowance(&consumer, 50, 1);
		// Verified, then refused: the node does not run version 2.
		let refused = UsageRecord { version: 2, ..record(&consumer, terms.clone(), 4) };
		// The same allowance under a signature that is not the consumer's: what it allows was
		// verified for the record before, so it settles, as under a known allowance.
		let settles = record(&forger, terms, 5);
		let done = Settlement::settle(report(1, vec![refused, settles]), Some(account(5)));

		assert_eq!(
			(done.records, done.consumers, done.verified, done.settled, done.rejected),
			(2, 1, 1, 1, 1)
		);
		assert_eq!(rejections(), vec![(0, RecordError::NotServing)]);
		assert_eq!(tokens_of(&consumer), 85);
		MicroTokens::do_try_state().unwrap();
	});
}

#[test]
fn the_current_nft_owner_is_paid() {
	new_test_ext().execute_with(|| {
		let (node_key, consumer) = setup();
		let new_owner = account(8);
		set_service(SERVICE, new_owner.clone(), PRICE, &[(NODE, 1)]);
		let before = balance(&new_owner);
		assert_ok!(submit(
			&node_key,
			report(1, vec![record(&consumer, allowance(&consumer, 50, 1), 1)])
		));
		assert_eq!(balance(&new_owner), before + 2_850);
	});
}

#[test]
fn an_allowance_signed_by_a_browser_wallet_settles_and_a_half_wrapped_one_does_not() {
	new_test_ext().execute_with(|| {
		let (node_key, consumer) = setup();
		let other = consumer_pair("//Other");
		fund_tokens(&other, 100);
		let (prefix, postfix) =
			(micro_primitives::WRAPPED_BYTES_PREFIX, micro_primitives::WRAPPED_BYTES_POSTFIX);
		// What the polkadot.js extension signs for raw bytes: the payload, wrapped.
		let payload = Settlement::allowance_payload(&allowance(&consumer, 50, 1));
		let mut by_wallet = record(&consumer, allowance(&consumer, 50, 1), 2);
		by_wallet.signature = consumer.sign(&[prefix, &payload[..], postfix].concat()).into();
		// Half a wrapper is neither form.
		let payload = Settlement::allowance_payload(&allowance(&other, 50, 1));
		let mut half = record(&other, allowance(&other, 50, 1), 4);
		half.signature = other.sign(&[prefix, &payload[..]].concat()).into();
		assert_ok!(submit(&node_key, report(1, vec![by_wallet, half])));
		assert_eq!(rejections(), vec![(1, RecordError::BadSignature)]);
		assert_eq!(tokens_of(&consumer), 94);
		assert_eq!(tokens_of(&other), 100);
	});
}

#[test]
fn a_bad_record_is_rejected_with_its_reason_and_the_others_settle() {
	new_test_ext().execute_with(|| {
		let (node_key, consumer) = setup();
		let other = consumer_pair("//Other");
		fund_tokens(&other, 100);
		let forger = consumer_pair("//Forger");
		assert_ok!(submit(
			&node_key,
			report(
				1,
				vec![
					record(&consumer, allowance(&consumer, 50, 1), 2),
					record(&forger, allowance(&other, 50, 1), 5),
					record(&other, allowance(&other, 50, 1), 4),
				]
			)
		));
		assert_eq!(rejections(), vec![(1, RecordError::BadSignature)]);
		assert_eq!(tokens_of(&consumer), 94);
		assert_eq!(tokens_of(&other), 88);
		assert!(events().contains(&Event::ReportSettled {
			node: NODE,
			sequence: 1,
			settled: 2,
			rejected: 1
		}));
		assert!(take_ledger().contains(&(Subject::Node(NODE), ReputationEvent::FailedSettlement)));
	});
}

#[test]
fn each_bad_record_gets_its_own_reason() {
	new_test_ext().execute_with(|| {
		let (node_key, consumer) = setup();
		let poor = consumer_pair("//Poor");
		set_service(8, owner(), PRICE, &[(NODE, 1)]);
		let expired = UsageAllowance { expires_at: 0, ..allowance(&consumer, 50, 1) };
		let other_node = UsageAllowance { node: 2, ..allowance(&consumer, 50, 1) };
		let unknown_service = UsageAllowance { service: 99, ..allowance(&consumer, 50, 1) };
		let mut wrong_version = record(&consumer, allowance(&consumer, 50, 1), 1);
		wrong_version.version = 2;
		let overflow = UsageAllowance {
			service: 8,
			max_price_per_call: u128::MAX,
			..allowance(&consumer, u64::MAX, 1)
		};
		set_service(8, owner(), u128::MAX, &[(NODE, 1)]);
		assert_ok!(submit(
			&node_key,
			report(
				1,
				vec![
					record(&consumer, allowance(&consumer, 50, 1), 0),
					record(&consumer, other_node, 1),
					record(&consumer, expired, 1),
					wrong_version,
					record(&consumer, allowance(&consumer, 5, 1), 6),
					record(&consumer, unknown_service, 1),
					record(&poor, allowance(&poor, 50, 1), 1),
					record(&consumer, overflow, 2),
				]
			)
		));
		assert_eq!(
			rejections(),
			vec![
				(0, RecordError::ZeroCalls),
				(1, RecordError::WrongNode),
				(2, RecordError::AllowanceExpired),
				(3, RecordError::NotServing),
				(4, RecordError::AllowanceExceeded),
				(5, RecordError::NotServing),
				(6, RecordError::InsufficientTokens),
				(7, RecordError::Overflow),
			]
		);
		assert_eq!(tokens_of(&consumer), 100, "nothing was charged");
		assert!(Allowances::<Test>::get(account_of(&consumer), NODE).is_none());
	});
}

/// Attack (C2/H2): a node's operator who owns a free service settles calls to it by itself:
/// no tokens change hands, yet it used to write allowance state and earn the usage points. Now
/// unpaid usage is refused, writes nothing, and is not held against the node.
#[test]
fn calls_to_a_free_service_are_refused_and_write_no_state_and_no_reputation() {
	new_test_ext().execute_with(|| {
		let (node_key, consumer) = setup();
		set_service(SERVICE, owner(), 0, &[(NODE, 1)]);
		let before = balance(&owner());
		assert_ok!(submit(
			&node_key,
			report(1, vec![record(&consumer, allowance(&consumer, 50, 1), 4)])
		));
		assert_eq!(tokens_of(&consumer), 100);
		assert_eq!(balance(&owner()), before);
		assert_eq!(rejections(), vec![(0, RecordError::Unpaid)]);
		assert!(!RecordError::Unpaid.is_nodes_fault());
		assert_eq!(Allowances::<Test>::get(account_of(&consumer), NODE), None);
		assert_eq!(take_ledger(), vec![], "no reputation, and no failure mark either");
	});
}

/// Attack (H2): calls the service's owner or the node's operator pay for themselves settle, but
/// earn no reputation; a stranger's paid calls do, by their value.
#[test]
fn only_paid_usage_by_strangers_counts_toward_reputation() {
	new_test_ext().execute_with(|| {
		let (node_key, stranger) = setup();
		let owner_pair = consumer_pair("//Owner");
		let operator_pair = consumer_pair("//Operator");
		set_node(NODE, account_of(&operator_pair), "//Node");
		set_service(SERVICE, account_of(&owner_pair), PRICE, &[(NODE, 1)]);
		fund_tokens(&owner_pair, 100);
		fund_tokens(&operator_pair, 100);
		take_ledger();
		assert_ok!(submit(
			&node_key,
			report(
				1,
				vec![
					record(&owner_pair, allowance(&owner_pair, 50, 1), 5),
					record(&operator_pair, allowance(&operator_pair, 50, 1), 6),
					record(&stranger, allowance(&stranger, 50, 1), 2),
				]
			)
		));
		assert_eq!(rejections(), vec![]);
		assert_eq!((tokens_of(&owner_pair), tokens_of(&operator_pair)), (85, 82));
		// Only the stranger's 2 calls at 3 tokens of 1,000 units each.
		assert_eq!(
			take_ledger(),
			vec![
				(Subject::Service(SERVICE), ReputationEvent::PaidUsage { calls: 2, value: 6_000 }),
				(Subject::Node(NODE), ReputationEvent::PaidUsage { calls: 2, value: 6_000 }),
			]
		);
	});
}

/// Attack (H1): the owner raises the price after the consumer signed; the node reports the
/// calls at the new price. The record is refused and the consumer keeps its tokens.
#[test]
fn a_price_raised_after_signing_is_refused_and_the_consumer_keeps_its_tokens() {
	new_test_ext().execute_with(|| {
		let (node_key, consumer) = setup();
		let signed = record(&consumer, allowance(&consumer, 50, 1), 1);
		set_service(SERVICE, owner(), 100, &[(NODE, 1)]);
		let before = balance(&owner());
		assert_ok!(submit(&node_key, report(1, vec![signed])));
		assert_eq!(rejections(), vec![(0, RecordError::PriceAboveCap)]);
		assert!(!RecordError::PriceAboveCap.is_nodes_fault());
		assert_eq!(tokens_of(&consumer), 100);
		assert_eq!(balance(&owner()), before);
		assert_eq!(Allowances::<Test>::get(account_of(&consumer), NODE), None);
		assert_eq!(take_ledger(), vec![]);

		// At or below the cap, it settles.
		System::set_block_number(10);
		set_service(SERVICE, owner(), PRICE, &[(NODE, 1)]);
		assert_ok!(submit(
			&node_key,
			report(2, vec![record(&consumer, allowance(&consumer, 50, 1), 1)])
		));
		assert_eq!(tokens_of(&consumer), 97);
	});
}

/// Attack (M3): the node settles an allowance's maximum under nonce 1, then the maximum again
/// under nonce 2. A higher nonce replaces: while nonce 1 is unexpired, its calls count toward
/// nonce 2's maximum, so the consumer pays for at most the larger maximum.
#[test]
fn a_higher_nonce_replaces_and_does_not_add_while_the_old_one_is_unexpired() {
	new_test_ext().execute_with(|| {
		let (node_key, consumer) = setup();
		assert_ok!(submit(
			&node_key,
			report(1, vec![record(&consumer, allowance(&consumer, 5, 1), 5)])
		));
		System::set_block_number(10);
		assert_ok!(submit(
			&node_key,
			report(
				2,
				vec![
					// 5 settled under nonce 1 + 5 = 10, above nonce 2's 8.
					record(&consumer, allowance(&consumer, 8, 2), 5),
					record(&consumer, allowance(&consumer, 8, 2), 3),
				]
			)
		));
		assert_eq!(rejections(), vec![(0, RecordError::AllowanceExceeded)]);
		assert_eq!(tokens_of(&consumer), 100 - 8 * 3, "8 calls in all, nonce 2's maximum");
		assert_eq!(
			Allowances::<Test>::get(account_of(&consumer), NODE),
			Some(AllowanceState {
				nonce: 2,
				terms: sp_io::hashing::blake2_256(&codec::Encode::encode(&allowance(
					&consumer, 8, 2
				))),
				used: 3,
				expires_at: 100,
				carried: 5,
				carried_until: 100,
			})
		);
	});
}

/// Once the replaced allowance has expired, its calls no longer count toward the new one.
#[test]
fn a_replaced_allowance_stops_counting_once_it_has_expired() {
	new_test_ext().execute_with(|| {
		let (node_key, consumer) = setup();
		let short = UsageAllowance { expires_at: 20, ..allowance(&consumer, 5, 1) };
		let long = |nonce| UsageAllowance { expires_at: 200, ..allowance(&consumer, 6, nonce) };
		assert_ok!(submit(&node_key, report(1, vec![record(&consumer, short, 5)])));
		// Replaced at block 10: nonce 1's 5 calls count until block 20.
		System::set_block_number(10);
		assert_ok!(submit(&node_key, report(2, vec![record(&consumer, long(2), 1)])));
		System::set_block_number(15);
		assert_ok!(submit(&node_key, report(3, vec![record(&consumer, long(2), 1)])));
		assert_eq!(rejections(), vec![(0, RecordError::AllowanceExceeded)]);
		// After block 20 only nonce 2's own call counts: 5 more fit its 6.
		System::set_block_number(21);
		assert_ok!(submit(&node_key, report(4, vec![record(&consumer, long(2), 5)])));
		assert_eq!(tokens_of(&consumer), 100 - 11 * 3);
		let state = Allowances::<Test>::get(account_of(&consumer), NODE).unwrap();
		assert_eq!((state.used, state.carried, state.counted_at(21)), (6, 5, 6));
	});
}

#[test]
fn an_allowance_is_used_up_across_reports_and_cannot_be_replayed() {
	new_test_ext().execute_with(|| {
		let (node_key, consumer) = setup();
		assert_ok!(submit(
			&node_key,
			report(1, vec![record(&consumer, allowance(&consumer, 5, 1), 3)])
		));
		System::set_block_number(10);
		// 3 more would make 6 of 5.
		assert_ok!(submit(
			&node_key,
			report(2, vec![record(&consumer, allowance(&consumer, 5, 1), 3)])
		));
		assert_eq!(rejections(), vec![(0, RecordError::AllowanceExceeded)]);
		System::reset_events();
		System::set_block_number(20);
		// The same nonce with other terms, and a higher nonce that replaces the allowance (the
		// 3 calls settled under nonce 1 count toward its 8).
		assert_ok!(submit(
			&node_key,
			report(
				3,
				vec![
					record(&consumer, allowance(&consumer, 500, 1), 1),
					record(&consumer, allowance(&consumer, 8, 2), 5),
					record(&consumer, allowance(&consumer, 5, 1), 1),
				]
			)
		));
		assert_eq!(
			rejections(),
			vec![(0, RecordError::AllowanceReplayed), (2, RecordError::AllowanceReplayed)]
		);
		let state = Allowances::<Test>::get(account_of(&consumer), NODE).unwrap();
		assert_eq!((state.nonce, state.used, state.carried), (2, 5, 3));
		assert_eq!(tokens_of(&consumer), 100 - 8 * 3);
	});
}

#[test]
fn a_report_that_fails_its_own_checks_is_refused_whole() {
	new_test_ext().execute_with(|| {
		let (node_key, consumer) = setup();
		let good = || report(1, vec![record(&consumer, allowance(&consumer, 50, 1), 1)]);
		let origin = || RuntimeOrigin::signed(account(9));

		// Signed by another key.
		let impostor = ed25519::Pair::from_string("//Impostor", None).unwrap();
		assert_noop!(
			Settlement::submit_usage(origin(), good(), sign_report(&impostor, &good())),
			Error::<Test>::BadReportSignature
		);
		// Signed for other records.
		let tampered = report(1, vec![record(&consumer, allowance(&consumer, 50, 1), 2)]);
		assert_noop!(
			Settlement::submit_usage(origin(), tampered, sign_report(&node_key, &good())),
			Error::<Test>::BadReportSignature
		);
		// From a node that is not registered.
		let mut unregistered = good();
		unregistered.node = 42;
		assert_noop!(
			Settlement::submit_usage(
				origin(),
				unregistered.clone(),
				sign_report(&node_key, &unregistered)
			),
			Error::<Test>::UnknownNode
		);
		// Empty.
		assert_noop!(submit(&node_key, report(1, vec![])), Error::<Test>::EmptyReport);

		assert_ok!(submit(&node_key, good()));
		System::set_block_number(100);
		// The same report again.
		assert_noop!(submit(&node_key, good()), Error::<Test>::ReportReplayed);
		// An older one.
		assert_noop!(
			submit(&node_key, report(0, vec![record(&consumer, allowance(&consumer, 50, 1), 1)])),
			Error::<Test>::ReportReplayed
		);
		System::set_block_number(2);
		assert_noop!(
			submit(&node_key, report(2, vec![record(&consumer, allowance(&consumer, 50, 1), 1)])),
			Error::<Test>::ReportTooSoon
		);
		assert_eq!(tokens_of(&consumer), 97, "only the one good report was charged");
	});
}

#[test]
fn a_node_submits_with_no_account_by_its_signature_alone() {
	new_test_ext().execute_with(|| {
		let (node_key, consumer) = setup();
		let report = report(1, vec![record(&consumer, allowance(&consumer, 50, 1), 1)]);
		let signature = sign_report(&node_key, &report);
		let call = crate::Call::<Test>::submit_usage { report: report.clone(), signature };
		assert!(call.authorize(TransactionSource::External).unwrap().is_ok());

		let forged = crate::Call::<Test>::submit_usage {
			report: report.clone(),
			signature: sign_report(
				&ed25519::Pair::from_string("//Impostor", None).unwrap(),
				&report,
			),
		};
		assert_eq!(
			forged.authorize(TransactionSource::External).unwrap().unwrap_err(),
			InvalidTransaction::BadProof.into()
		);

		assert_ok!(Settlement::submit_usage(
			RawOrigin::Authorized.into(),
			report.clone(),
			signature
		));
		assert_eq!(tokens_of(&consumer), 97);
		assert_eq!(
			call.authorize(TransactionSource::External).unwrap().unwrap_err(),
			InvalidTransaction::Stale.into()
		);
		assert_noop!(
			Settlement::submit_usage(RuntimeOrigin::none(), report, signature),
			sp_runtime::DispatchError::BadOrigin
		);
	});
}

#[test]
fn the_weight_grows_with_the_records() {
	new_test_ext().execute_with(|| {
		let (node_key, consumer) = setup();
		let call = |n: usize| {
			let records =
				(0..n).map(|_| record(&consumer, allowance(&consumer, 50, 1), 1)).collect();
			let report = report(1, records);
			let signature = sign_report(&node_key, &report);
			crate::Call::<Test>::submit_usage { report, signature }.get_dispatch_info().call_weight
		};
		// Every record may need its signature verified; all are one consumer's.
		assert_eq!(call(1), <() as WeightInfo>::submit_usage(1, 1, 1));
		assert_eq!(call(100), <() as WeightInfo>::submit_usage(100, 1, 100));
		assert!(call(100).ref_time() > call(1).ref_time());
	});
}

#[test]
fn the_allowance_state_is_kept_per_consumer_and_node() {
	new_test_ext().execute_with(|| {
		let (node_key, consumer) = setup();
		assert_ok!(submit(
			&node_key,
			report(1, vec![record(&consumer, allowance(&consumer, 50, 7), 4)])
		));
		assert_eq!(
			Settlement::allowance(account_of(&consumer), NODE),
			Some(AllowanceState {
				nonce: 7,
				terms: sp_io::hashing::blake2_256(&codec::Encode::encode(&allowance(
					&consumer, 50, 7
				))),
				used: 4,
				expires_at: 100,
				carried: 0,
				carried_until: 0,
			})
		);
		assert_eq!(Settlement::last_report(NODE), Some((1, 1)));
		assert_eq!(Settlement::allowance(account_of(&consumer), 2), None);
	});
}

/// The pool validity of an unsigned report.
fn validity(report: &ReportOf<Test>, key: &ed25519::Pair) -> ValidTransaction {
	let signature = sign_report(key, report);
	crate::Call::<Test>::submit_usage { report: report.clone(), signature }
		.authorize(TransactionSource::External)
		.unwrap()
		.unwrap()
		.0
}

/// Attack (C2): a node floods the pool with reports under many sequences, each its own tag, at
/// a priority above every fee-paying transaction. Now a node's reports share one tag (one in
/// the pool at a time) and have the lowest priority, no higher than a signed transaction with
/// no tip.
#[test]
fn a_node_has_one_report_in_the_pool_at_normal_priority() {
	new_test_ext().execute_with(|| {
		let (node_key, consumer) = setup();
		let first = validity(
			&report(1, vec![record(&consumer, allowance(&consumer, 50, 1), 1)]),
			&node_key,
		);
		let second = validity(
			&report(2, vec![record(&consumer, allowance(&consumer, 50, 1), 2)]),
			&node_key,
		);
		assert_eq!(first.provides, second.provides, "one tag per node, whatever the sequence");
		assert_eq!(first.provides.len(), 1);
		assert_eq!((first.priority, second.priority), (0, 0));
		assert!(first.requires.is_empty());

		// Another node's report does not compete for the same slot.
		let other_key = set_node(2, account(4), "//Other");
		let mut other = report(
			1,
			vec![record(&consumer, UsageAllowance { node: 2, ..allowance(&consumer, 50, 1) }, 1)],
		);
		other.node = 2;
		assert_ne!(validity(&other, &other_key).provides, first.provides);
	});
}

/// The fee of an unsigned report of `records` records from `consumers` consumers, `verified`
/// signatures verified and `rejected` records rejected, as the mock's fee conversion prices it.
fn expected_fee(report: &ReportOf<Test>, consumers: u32, verified: u32, rejected: u128) -> u128 {
	let signature = ed25519::Signature::from_raw([0; 64]);
	let len = 2 + codec::Encode::encoded_size(report) + codec::Encode::encoded_size(&signature);
	let records = report.records.len() as u32;
	let weight = <() as WeightInfo>::submit_usage(records, consumers, verified);
	u128::from(weight.ref_time() / 1_000_000) + len as u128 + rejected * REJECTED_RECORD_FEE
}

/// Attack (C2): reports authorized by the node key alone used to pay nothing. Now the node's
/// operator pays what a signed transaction of the same weight and length would, plus a
/// surcharge per rejected record, into the fee handler.
#[test]
fn an_unsigned_report_costs_its_operator_a_fee_and_each_rejected_record_more() {
	new_test_ext().execute_with(|| {
		let (node_key, consumer) = setup();
		let operator = account(5);
		let forger = consumer_pair("//Forger");
		let report = report(
			1,
			vec![
				record(&consumer, allowance(&consumer, 50, 1), 1),
				// A new allowance (nonce 2), so its signature is checked.
				record(&forger, allowance(&consumer, 50, 2), 1),
				record(&consumer, allowance(&consumer, 50, 1), 0),
			],
		);
		// One consumer, two signatures verified (the zero-call record is refused first).
		let fee = expected_fee(&report, 1, 2, 2);
		let (operator_before, pot_before) = (balance(&operator), balance(&fee_pot()));
		let signature = sign_report(&node_key, &report);
		assert_ok!(Settlement::submit_usage(RawOrigin::Authorized.into(), report, signature));

		assert_eq!(rejections(), vec![(1, RecordError::BadSignature), (2, RecordError::ZeroCalls)]);
		assert_eq!(balance(&operator), operator_before - fee);
		assert_eq!(balance(&fee_pot()), pot_before + fee);
		assert!(events().contains(&Event::ReportFeePaid { node: NODE, operator, fee }));
		assert_eq!(tokens_of(&consumer), 97);
	});
}

#[test]
fn junk_records_make_a_report_cost_more_not_less() {
	new_test_ext().execute_with(|| {
		let (node_key, consumer) = setup();
		let operator = account(5);
		let clean = report(1, vec![record(&consumer, allowance(&consumer, 50, 1), 1)]);
		// The same clean record (of a new allowance, to be verified too), and a junk one.
		let junk = report(
			2,
			vec![
				record(&consumer, allowance(&consumer, 50, 2), 1),
				record(&consumer, allowance(&consumer, 50, 2), 0),
			],
		);
		let before = balance(&operator);
		let signature = sign_report(&node_key, &clean);
		assert_ok!(Settlement::submit_usage(
			RawOrigin::Authorized.into(),
			clean.clone(),
			signature
		));
		let clean_fee = before - balance(&operator);
		assert_eq!(clean_fee, expected_fee(&clean, 1, 1, 0));

		System::set_block_number(10);
		let before = balance(&operator);
		let signature = sign_report(&node_key, &junk);
		assert_ok!(Settlement::submit_usage(RawOrigin::Authorized.into(), junk.clone(), signature));
		// The junk record pays its weight and the surcharge on top of the clean one's.
		let junk_fee = before - balance(&operator);
		assert_eq!(junk_fee, expected_fee(&junk, 1, 1, 1));
		assert!(junk_fee >= clean_fee + REJECTED_RECORD_FEE);
	});
}

#[test]
fn a_relayed_report_charges_the_operator_nothing() {
	new_test_ext().execute_with(|| {
		let (node_key, consumer) = setup();
		let (operator_before, pot_before) = (balance(&account(5)), balance(&fee_pot()));
		assert_ok!(submit(
			&node_key,
			report(1, vec![record(&consumer, allowance(&consumer, 50, 1), 0)])
		));
		assert_eq!(balance(&account(5)), operator_before);
		assert_eq!(balance(&fee_pot()), pot_before);
	});
}

/// A node whose operator cannot pay the worst case (every record rejected) is refused at the
/// pool, and at dispatch.
#[test]
fn a_report_whose_operator_cannot_pay_the_worst_case_fee_is_refused() {
	new_test_ext().execute_with(|| {
		let (_, consumer) = setup();
		let poor = account(11);
		let node_key = set_node(NODE, poor.clone(), "//Node");
		let report = report(1, vec![record(&consumer, allowance(&consumer, 50, 1), 1)]);
		let worst = expected_fee(&report, 1, 1, 1);
		// Enough for the fee if the record settles, not if it were rejected.
		Balances::set_balance(&poor, worst - REJECTED_RECORD_FEE + 10);
		let signature = sign_report(&node_key, &report);
		let call = crate::Call::<Test>::submit_usage { report: report.clone(), signature };
		assert_eq!(
			call.authorize(TransactionSource::External).unwrap().unwrap_err(),
			InvalidTransaction::Payment.into()
		);
		assert_noop!(
			Settlement::submit_usage(RawOrigin::Authorized.into(), report.clone(), signature),
			Error::<Test>::CannotPayFee
		);

		// With the worst case covered (and the existential deposit kept), it goes through and
		// only the fee of what happened is kept.
		Balances::set_balance(&poor, worst + 10);
		assert!(call.authorize(TransactionSource::External).unwrap().is_ok());
		assert_ok!(Settlement::submit_usage(RawOrigin::Authorized.into(), report, signature));
		assert_eq!(balance(&poor), REJECTED_RECORD_FEE + 10);
	});
}

/// An allowance state the sweep can see: `nonce` 1, used once, expiring at `expires_at`.
fn put_state(who: u8, expires_at: u64, carried_until: u64) {
	Allowances::<Test>::insert(
		account(who),
		NODE,
		AllowanceState { nonce: 1, terms: [0; 32], used: 1, expires_at, carried: 1, carried_until },
	);
}

/// Attack (L2): every settled allowance used to stay in state forever. The idle sweep removes
/// the states nothing can settle against any more, and keeps the others.
#[test]
fn the_idle_sweep_removes_states_that_can_no_longer_matter() {
	use frame_support::traits::Hooks;
	new_test_ext().execute_with(|| {
		put_state(1, 10, 0);
		put_state(2, 30, 0);
		// Expired itself, but it carries calls of an allowance it replaced until block 40.
		put_state(3, 10, 40);
		System::set_block_number(20);
		let used = Settlement::on_idle(20, Weight::MAX);
		assert_eq!(
			used,
			<() as WeightInfo>::prune_allowances(3) + <() as WeightInfo>::prune_receipts(0)
		);
		assert_eq!(Allowances::<Test>::get(account(1), NODE), None);
		assert!(Allowances::<Test>::get(account(2), NODE).is_some());
		assert!(Allowances::<Test>::get(account(3), NODE).is_some());
		assert!(events().contains(&Event::AllowancesPruned { count: 1 }));
		assert_eq!(crate::PruneCursor::<Test>::get(), None, "the whole map was swept");

		Settlement::on_idle(41, Weight::MAX);
		assert_eq!(Allowances::<Test>::iter().count(), 0);
	});
}

/// The sweep uses only the weight it is given, and resumes where it stopped.
#[test]
fn the_idle_sweep_stays_within_its_weight_and_resumes() {
	use frame_support::traits::Hooks;
	new_test_ext().execute_with(|| {
		for who in 1..=5 {
			put_state(who, 10, 0);
		}
		let too_little = <() as WeightInfo>::prune_allowances(1) - Weight::from_parts(1, 0);
		let used = Settlement::on_idle(20, too_little);
		assert!(used.all_lte(too_little), "used {used:?} of {too_little:?}");
		assert_eq!(Allowances::<Test>::iter().count(), 5, "too little weight: nothing visited");

		// In an even block the allowance sweep may use half of the idle weight.
		let two = <() as WeightInfo>::prune_allowances(2);
		let idle = two.saturating_mul(2);
		let no_receipts = <() as WeightInfo>::prune_receipts(0);
		assert_eq!(Settlement::on_idle(20, idle), two + no_receipts);
		assert_eq!(Allowances::<Test>::iter().count(), 3);
		assert!(crate::PruneCursor::<Test>::get().is_some());
		assert_eq!(Settlement::on_idle(20, idle), two + no_receipts);
		assert_eq!(Allowances::<Test>::iter().count(), 1);
		Settlement::on_idle(20, idle);
		assert_eq!(Allowances::<Test>::iter().count(), 0);
		assert_eq!(crate::PruneCursor::<Test>::get(), None);
	});
}

/// Pruning does not reopen a settled allowance: once its state goes, it has expired.
#[test]
fn a_pruned_allowance_cannot_be_settled_again() {
	use frame_support::traits::Hooks;
	new_test_ext().execute_with(|| {
		let (node_key, consumer) = setup();
		let short = UsageAllowance { expires_at: 20, ..allowance(&consumer, 5, 1) };
		assert_ok!(submit(&node_key, report(1, vec![record(&consumer, short.clone(), 5)])));
		System::set_block_number(21);
		Settlement::on_idle(21, Weight::MAX);
		assert_eq!(Allowances::<Test>::get(account_of(&consumer), NODE), None);
		assert_ok!(submit(&node_key, report(2, vec![record(&consumer, short, 5)])));
		assert_eq!(rejections(), vec![(0, RecordError::AllowanceExpired)]);
		assert_eq!(tokens_of(&consumer), 85);
	});
}

// Holds (M2): a served node is paid.

/// Attack (M2): a consumer served by node 1 spends the same tokens through node 2's report
/// before node 1 reports. The tokens it holds for node 1 pay node 1 only.
#[test]
fn served_consumer_cannot_spend_held_tokens_elsewhere() {
	new_test_ext().execute_with(|| {
		let (node_key, consumer) = setup();
		let other_key = set_node(2, account(4), "//Other");
		set_service(SERVICE, owner(), PRICE, &[(NODE, 1), (2, 1)]);
		let who = account_of(&consumer);
		assert_ok!(MicroTokens::hold_for_node(RuntimeOrigin::signed(who.clone()), NODE, 30, 50));

		// Node 2 reports 24 calls (72 tokens): only 70 are not held for node 1.
		let at_other = |calls| {
			let allowance = UsageAllowance { node: 2, ..allowance(&consumer, 50, 1) };
			let mut report = report(1, vec![record(&consumer, allowance, calls)]);
			report.node = 2;
			report
		};
		let spend_elsewhere = at_other(24);
		let signature = sign_report(&other_key, &spend_elsewhere);
		assert_ok!(Settlement::submit_usage(
			RuntimeOrigin::signed(account(9)),
			spend_elsewhere,
			signature
		));
		assert_eq!(rejections(), vec![(0, RecordError::InsufficientTokens)]);
		assert_eq!(MicroTokens::held_for_node(who.clone(), NODE), (30, 50));

		// Node 1's 10 calls are paid from the hold.
		let before = balance(&owner());
		assert_ok!(submit(
			&node_key,
			report(1, vec![record(&consumer, allowance(&consumer, 50, 1), 10)])
		));
		assert_eq!(balance(&owner()), before + 28_500);
		assert_eq!(MicroTokens::held_for_node(who, NODE), (0, 0));
		assert_eq!(tokens_of(&consumer), 70);
		MicroTokens::do_try_state().unwrap();
	});
}

// Revocation (M3).

fn revoke(consumer: &sr25519::Pair, nonce: u64) -> sp_runtime::DispatchResult {
	Settlement::revoke_allowance(RuntimeOrigin::signed(account_of(consumer)), NODE, nonce)
}

/// Attack (M3): a consumer could not withdraw an allowance it signed. A revocation stops the
/// allowances at or below its nonce from settling once its notice is over; it is not held
/// against the node, and a higher nonce signed later settles.
#[test]
fn revoked_allowance_stops_settling_after_notice() {
	new_test_ext().execute_with(|| {
		let (node_key, consumer) = setup();
		assert_ok!(submit(
			&node_key,
			report(1, vec![record(&consumer, allowance(&consumer, 50, 1), 1)])
		));
		// Nonce 0 asks for the current one: 1.
		assert_ok!(revoke(&consumer, 0));
		assert!(events().contains(&Event::AllowanceRevoked {
			consumer: account_of(&consumer),
			node: NODE,
			nonce: 1,
			effective_at: 1 + REVOKE_NOTICE,
		}));
		take_ledger();
		System::reset_events();

		System::set_block_number(2 + REVOKE_NOTICE);
		assert_ok!(submit(
			&node_key,
			report(
				2,
				vec![
					record(&consumer, allowance(&consumer, 50, 1), 1),
					record(&consumer, allowance(&consumer, 50, 2), 2),
				]
			)
		));
		assert_eq!(rejections(), vec![(0, RecordError::Revoked)]);
		assert!(!RecordError::Revoked.is_nodes_fault());
		assert!(!take_ledger().contains(&(Subject::Node(NODE), ReputationEvent::FailedSettlement)));
		assert_eq!(tokens_of(&consumer), 100 - 3 - 6);
	});
}

/// An honest node reports what it served before the revocation within the notice.
#[test]
fn report_within_revoke_notice_still_settles() {
	new_test_ext().execute_with(|| {
		let (node_key, consumer) = setup();
		// An allowance the chain has not seen settle yet can be revoked by its nonce.
		assert_ok!(revoke(&consumer, 1));
		System::set_block_number(1 + REVOKE_NOTICE);
		assert_ok!(submit(
			&node_key,
			report(1, vec![record(&consumer, allowance(&consumer, 50, 1), 4)])
		));
		assert_eq!(rejections(), vec![]);
		assert_eq!(tokens_of(&consumer), 88);
	});
}

/// A revocation keeps the tokens held for the node until it takes effect, so the node is paid
/// for what it reports within the notice; revocations only grow.
#[test]
fn a_revocation_keeps_the_hold_until_it_takes_effect() {
	new_test_ext().execute_with(|| {
		let (node_key, consumer) = setup();
		let who = account_of(&consumer);
		assert_ok!(MicroTokens::hold_for_node(
			RuntimeOrigin::signed(who.clone()),
			NODE,
			30,
			1 + HOLD_NOTICE
		));
		System::set_block_number(5);
		assert_ok!(revoke(&consumer, 3));
		assert_eq!(MicroTokens::hold_until(&who, NODE), Some(5 + REVOKE_NOTICE));
		System::set_block_number(2 + HOLD_NOTICE);
		assert_noop!(
			MicroTokens::release_hold(RuntimeOrigin::signed(who.clone()), who.clone(), NODE),
			pallet_micro_tokens::Error::<Test>::HoldNotOver
		);
		assert_noop!(revoke(&consumer, 9), Error::<Test>::RevocationPending);
		// The node reports within the notice, and is paid from the hold.
		System::set_block_number(5 + REVOKE_NOTICE);
		assert_ok!(submit(
			&node_key,
			report(1, vec![record(&consumer, allowance(&consumer, 50, 3), 10)])
		));
		assert_eq!(MicroTokens::held_for_node(who.clone(), NODE).0, 0);

		System::set_block_number(6 + REVOKE_NOTICE);
		assert_noop!(revoke(&consumer, 2), Error::<Test>::AlreadyRevoked);
		assert_ok!(revoke(&consumer, 4));
		assert_eq!(
			Settlement::revocation(who, NODE),
			Some(Revocation { nonce: 4, effective_at: 6 + 2 * REVOKE_NOTICE, in_effect: Some(3) })
		);
		// Nonce 3 stays revoked while nonce 4's notice runs.
		System::set_block_number(11 + REVOKE_NOTICE);
		assert_ok!(submit(
			&node_key,
			report(2, vec![record(&consumer, allowance(&consumer, 50, 3), 1)])
		));
		assert_eq!(rejections(), vec![(0, RecordError::Revoked)]);
	});
}

// Disputes.

fn stranger_settles(node_key: &ed25519::Pair, consumer: &sr25519::Pair, calls: u64) {
	assert_ok!(submit(
		node_key,
		report(1, vec![record(consumer, allowance(consumer, 50, 1), calls)])
	));
}

fn dispute(consumer: &sr25519::Pair) -> sp_runtime::DispatchResult {
	Settlement::dispute_usage(RuntimeOrigin::signed(account_of(consumer)), NODE)
}

fn on_hold(who: &AccountId) -> u128 {
	use frame_support::traits::fungible::InspectHold;
	Balances::balance_on_hold(&HoldReason::DisputeDeposit.into(), who)
}

/// `Dispute` was never recorded by anything. A dispute nobody refunds within the window is
/// recorded against the node when it closes.
#[test]
fn dispute_unrefunded_records_dispute() {
	new_test_ext().execute_with(|| {
		let (node_key, consumer) = setup();
		let who = account_of(&consumer);
		stranger_settles(&node_key, &consumer, 10);
		assert_eq!(
			Settlement::receipt(NODE, who.clone()),
			Some(Receipt {
				since: 1,
				settled_at: 1,
				service: Some(SERVICE),
				calls: 10,
				tokens: 30,
				value: 30_000
			})
		);
		take_ledger();
		System::set_block_number(10);
		assert_ok!(dispute(&consumer));
		assert!(events().contains(&Event::UsageDisputed {
			node: NODE,
			consumer: who.clone(),
			calls: 10,
			tokens: 30,
			value: 30_000,
			deposit: DISPUTE_DEPOSIT,
		}));
		assert_eq!(on_hold(&who), DISPUTE_DEPOSIT);
		assert_eq!(Receipts::<Test>::get(NODE, &who), None);
		// Once per receipt.
		assert_noop!(dispute(&consumer), Error::<Test>::NothingToDispute);

		System::set_block_number(10 + DISPUTE_WINDOW);
		assert_noop!(
			Settlement::close_dispute(RuntimeOrigin::signed(account(9)), NODE, who.clone()),
			Error::<Test>::DisputeNotOver
		);
		System::set_block_number(11 + DISPUTE_WINDOW);
		assert_ok!(Settlement::close_dispute(RuntimeOrigin::signed(account(9)), NODE, who.clone()));
		assert_eq!(take_ledger(), vec![(Subject::Node(NODE), ReputationEvent::Dispute)]);
		assert!(events().contains(&Event::DisputeRecorded { node: NODE, consumer: who.clone() }));
		assert_eq!(Disputes::<Test>::get(NODE, &who), None);
		assert_eq!(on_hold(&who), 0);
	});
}

/// The operator may answer a dispute by paying the consumer back the MICRO value: the dispute
/// closes with no mark and the deposit returns.
#[test]
fn refund_closes_dispute_without_mark() {
	new_test_ext().execute_with(|| {
		let (node_key, consumer) = setup();
		let who = account_of(&consumer);
		let operator = account(5);
		stranger_settles(&node_key, &consumer, 10);
		take_ledger();
		assert_ok!(dispute(&consumer));
		let (consumer_before, operator_before) = (balance(&who), balance(&operator));
		assert_noop!(
			Settlement::refund_usage(RuntimeOrigin::signed(account(9)), NODE, who.clone()),
			Error::<Test>::CannotRefundThis
		);
		assert_noop!(
			Settlement::refund_usage(RuntimeOrigin::signed(operator.clone()), NODE, owner()),
			Error::<Test>::NoDispute
		);
		assert_ok!(Settlement::refund_usage(
			RuntimeOrigin::signed(operator.clone()),
			NODE,
			who.clone()
		));
		assert_eq!(balance(&who), consumer_before + 30_000 + DISPUTE_DEPOSIT);
		assert_eq!(balance(&operator), operator_before - 30_000);
		assert_eq!(on_hold(&who), 0);
		assert!(events().contains(&Event::UsageRefunded {
			node: NODE,
			consumer: who.clone(),
			by: operator,
			refund: 30_000
		}));
		assert_eq!(Disputes::<Test>::get(NODE, &who), None);
		System::set_block_number(2 + DISPUTE_WINDOW);
		assert_noop!(
			Settlement::close_dispute(RuntimeOrigin::signed(account(9)), NODE, who),
			Error::<Test>::NoDispute
		);
		assert_eq!(take_ledger(), vec![]);
	});
}

#[test]
fn dispute_after_window_refused() {
	new_test_ext().execute_with(|| {
		let (node_key, consumer) = setup();
		assert_noop!(dispute(&consumer), Error::<Test>::NothingToDispute);
		stranger_settles(&node_key, &consumer, 1);
		System::set_block_number(2 + DISPUTE_WINDOW);
		assert_noop!(dispute(&consumer), Error::<Test>::DisputeWindowOver);

		// And a refund after the dispute's window is too late.
		System::set_block_number(100);
		assert_ok!(submit(
			&node_key,
			report(2, vec![record(&consumer, allowance(&consumer, 50, 1), 1)])
		));
		assert_ok!(dispute(&consumer));
		System::set_block_number(101 + DISPUTE_WINDOW);
		assert_noop!(
			Settlement::refund_usage(
				RuntimeOrigin::signed(account(5)),
				NODE,
				account_of(&consumer)
			),
			Error::<Test>::DisputeWindowOver
		);
	});
}

/// The service's owner and the node's operator cannot dispute their own usage: it leaves no
/// receipt, and a receipt whose service the consumer has come to own cannot be disputed.
#[test]
fn owner_cannot_dispute_own_service() {
	new_test_ext().execute_with(|| {
		let (node_key, stranger) = setup();
		let owner_pair = consumer_pair("//Owner");
		let operator_pair = consumer_pair("//Operator");
		set_node(NODE, account_of(&operator_pair), "//Node");
		set_service(SERVICE, account_of(&owner_pair), PRICE, &[(NODE, 1)]);
		fund_tokens(&owner_pair, 100);
		fund_tokens(&operator_pair, 100);
		assert_ok!(submit(
			&node_key,
			report(
				1,
				vec![
					record(&owner_pair, allowance(&owner_pair, 50, 1), 5),
					record(&operator_pair, allowance(&operator_pair, 50, 1), 6),
					record(&stranger, allowance(&stranger, 50, 1), 2),
				]
			)
		));
		assert_noop!(dispute(&owner_pair), Error::<Test>::NothingToDispute);
		assert_noop!(dispute(&operator_pair), Error::<Test>::NothingToDispute);
		// The stranger buys the service's NFT: its usage is now its own.
		set_service(SERVICE, account_of(&stranger), PRICE, &[(NODE, 1)]);
		assert_noop!(dispute(&stranger), Error::<Test>::OwnUsage);
		set_node(NODE, account_of(&stranger), "//Node");
		set_service(SERVICE, account_of(&owner_pair), PRICE, &[(NODE, 1)]);
		assert_noop!(dispute(&stranger), Error::<Test>::OwnUsage);
	});
}

/// The deposit is held while the dispute is open and returned to the unit when it closes,
/// whichever way; a consumer who cannot place it cannot dispute.
#[test]
fn dispute_deposit_returned() {
	new_test_ext().execute_with(|| {
		let (node_key, consumer) = setup();
		let who = account_of(&consumer);
		stranger_settles(&node_key, &consumer, 1);
		let before = balance(&who);
		assert_ok!(dispute(&consumer));
		assert_eq!(balance(&who), before - DISPUTE_DEPOSIT);
		// New usage settles into a new receipt, which waits for the open dispute.
		System::set_block_number(10);
		assert_ok!(submit(
			&node_key,
			report(2, vec![record(&consumer, allowance(&consumer, 50, 1), 1)])
		));
		assert_noop!(dispute(&consumer), Error::<Test>::DisputeOpen);
		System::set_block_number(2 + DISPUTE_WINDOW);
		assert_ok!(Settlement::close_dispute(RuntimeOrigin::signed(account(9)), NODE, who.clone()));
		assert_eq!(balance(&who), before);
		assert_eq!(on_hold(&who), 0);

		// Too poor to place the deposit.
		Balances::set_balance(&who, DISPUTE_DEPOSIT / 2);
		assert_noop!(dispute(&consumer), Error::<Test>::CannotPayDeposit);
	});
}

/// Usage settled within the window adds to the receipt; usage of several services is disputed
/// against the node alone; the sweep removes receipts past their window.
#[test]
fn receipts_add_up_within_the_window_and_are_swept_after_it() {
	use frame_support::traits::Hooks;
	new_test_ext().execute_with(|| {
		let (node_key, consumer) = setup();
		let who = account_of(&consumer);
		set_service(8, owner(), 1, &[(NODE, 1)]);
		stranger_settles(&node_key, &consumer, 2);
		System::set_block_number(10);
		let other =
			UsageAllowance { service: 8, max_price_per_call: 1, ..allowance(&consumer, 50, 1) };
		let other = UsageAllowance { nonce: 2, ..other };
		assert_ok!(submit(&node_key, report(2, vec![record(&consumer, other, 4)])));
		assert_eq!(
			Settlement::receipt(NODE, who.clone()),
			Some(Receipt {
				since: 1,
				settled_at: 10,
				service: None,
				calls: 6,
				tokens: 10,
				value: 10_000
			})
		);
		assert_ok!(dispute(&consumer));
		System::set_block_number(11 + DISPUTE_WINDOW);
		take_ledger();
		assert_ok!(Settlement::close_dispute(RuntimeOrigin::signed(account(9)), NODE, who.clone()));
		assert_eq!(take_ledger(), vec![(Subject::Node(NODE), ReputationEvent::Dispute)]);

		// A receipt nobody disputes goes once its window is over.
		System::set_block_number(100);
		let third = UsageAllowance { nonce: 3, ..allowance(&consumer, 50, 3) };
		assert_ok!(submit(&node_key, report(3, vec![record(&consumer, third, 1)])));
		Settlement::on_idle(100 + DISPUTE_WINDOW, Weight::MAX);
		assert!(Receipts::<Test>::get(NODE, &who).is_some());
		Settlement::on_idle(101 + DISPUTE_WINDOW, Weight::MAX);
		assert_eq!(Receipts::<Test>::get(NODE, &who), None);
		assert!(events().contains(&Event::ReceiptsPruned { count: 1 }));
	});
}

/// Attack: placement needs no owner's consent, so an attacker places a victim's service on its
/// own node, pays for one call from a second account, disputes it and never refunds. The lost
/// dispute used to be recorded against the service too, costing the victim's service a mark
/// per consumer account; it is recorded against the node alone.
#[test]
fn a_lost_dispute_marks_the_node_not_the_service() {
	new_test_ext().execute_with(|| {
		// The attacker's node runs the victim's (the owner's) service; its second account pays.
		let (attackers_node, attackers_consumer) = setup();
		let who = account_of(&attackers_consumer);
		stranger_settles(&attackers_node, &attackers_consumer, 1);
		assert_ok!(dispute(&attackers_consumer));
		take_ledger();
		System::set_block_number(2 + DISPUTE_WINDOW);
		assert_ok!(Settlement::close_dispute(RuntimeOrigin::signed(account(9)), NODE, who.clone()));
		assert_eq!(take_ledger(), vec![(Subject::Node(NODE), ReputationEvent::Dispute)]);
		assert_eq!(
			events().last(),
			Some(&Event::DisputeRecorded { node: NODE, consumer: who.clone() })
		);
		assert_eq!(on_hold(&who), 0);
	});
}

/// Attack: a receipt kept growing while each settlement came within a window of the last, so
/// one dispute could put months of usage at stake. A receipt covers at most one window of
/// usage from its first settlement; usage settled after that starts a new receipt, which
/// replaces the old one. The dispute window still runs from the receipt's last settlement.
#[test]
fn a_receipt_covers_one_window_of_usage() {
	new_test_ext().execute_with(|| {
		let (node_key, consumer) = setup();
		let who = account_of(&consumer);
		let terms = allowance(&consumer, 50, 1);
		stranger_settles(&node_key, &consumer, 2);
		System::set_block_number(DISPUTE_WINDOW - 10);
		assert_ok!(submit(&node_key, report(2, vec![record(&consumer, terms.clone(), 1)])));
		assert_eq!(
			Settlement::receipt(NODE, who.clone()),
			Some(Receipt {
				since: 1,
				settled_at: DISPUTE_WINDOW - 10,
				service: Some(SERVICE),
				calls: 3,
				tokens: 9,
				value: 9_000
			})
		);
		// One block past the first usage's window, within the last settlement's.
		System::set_block_number(2 + DISPUTE_WINDOW);
		assert_ok!(submit(&node_key, report(3, vec![record(&consumer, terms, 4)])));
		assert_eq!(
			Settlement::receipt(NODE, who.clone()),
			Some(Receipt {
				since: 2 + DISPUTE_WINDOW,
				settled_at: 2 + DISPUTE_WINDOW,
				service: Some(SERVICE),
				calls: 4,
				tokens: 12,
				value: 12_000
			})
		);
		// Disputable until a window after its last settlement, and then only its own usage.
		System::set_block_number(2 + 2 * DISPUTE_WINDOW);
		assert_ok!(dispute(&consumer));
		assert_eq!(
			events().last(),
			Some(&Event::UsageDisputed {
				node: NODE,
				consumer: who.clone(),
				calls: 4,
				tokens: 12,
				value: 12_000,
				deposit: DISPUTE_DEPOSIT,
			})
		);
	});
}

/// Attack: only the node's operator could refund, though the service's owner was paid 95% of
/// the usage and the operator nothing on chain. The owner of a one-service receipt may refund
/// it; a receipt spanning services only the operator; nobody else.
#[test]
fn the_owner_may_refund_a_dispute() {
	new_test_ext().execute_with(|| {
		let (node_key, consumer) = setup();
		let who = account_of(&consumer);
		stranger_settles(&node_key, &consumer, 10);
		Balances::set_balance(&owner(), 100_000);
		assert_ok!(dispute(&consumer));
		take_ledger();
		let before = balance(&who);
		assert_noop!(
			Settlement::refund_usage(RuntimeOrigin::signed(account(9)), NODE, who.clone()),
			Error::<Test>::CannotRefundThis
		);
		assert_ok!(Settlement::refund_usage(RuntimeOrigin::signed(owner()), NODE, who.clone()));
		assert_eq!(balance(&who), before + 30_000 + DISPUTE_DEPOSIT);
		assert_eq!(balance(&owner()), 100_000 - 30_000);
		assert_eq!(on_hold(&who), 0);
		assert_eq!(
			events().last(),
			Some(&Event::UsageRefunded {
				node: NODE,
				consumer: who.clone(),
				by: owner(),
				refund: 30_000
			})
		);
		assert_eq!(Disputes::<Test>::get(NODE, &who), None);

		// A receipt spanning two services: their owners cannot refund it, the operator can.
		set_service(8, account(7), 1, &[(NODE, 1)]);
		Balances::set_balance(&account(7), 100_000);
		System::set_block_number(10);
		let other = UsageAllowance {
			service: 8,
			max_price_per_call: 1,
			nonce: 2,
			..allowance(&consumer, 50, 2)
		};
		assert_ok!(submit(&node_key, report(2, vec![record(&consumer, other, 4)])));
		System::set_block_number(20);
		let third = UsageAllowance { nonce: 3, ..allowance(&consumer, 50, 3) };
		assert_ok!(submit(&node_key, report(3, vec![record(&consumer, third, 1)])));
		assert_eq!(Settlement::receipt(NODE, who.clone()).map(|r| r.service), Some(None));
		assert_ok!(dispute(&consumer));
		for owner in [owner(), account(7)] {
			assert_noop!(
				Settlement::refund_usage(RuntimeOrigin::signed(owner), NODE, who.clone()),
				Error::<Test>::CannotRefundThis
			);
		}
		let operator = account(5);
		Balances::set_balance(&operator, 100_000);
		take_ledger();
		assert_ok!(Settlement::refund_usage(
			RuntimeOrigin::signed(operator.clone()),
			NODE,
			who.clone()
		));
		assert_eq!(balance(&operator), 100_000 - 7_000);
		assert_eq!(take_ledger(), vec![]);
	});
}

/// Attack: the allowance sweep took the idle weight first (up to 512 visits), so under steady
/// load the receipt sweep got nothing. Each sweep may use half the idle weight, the one capped
/// alternating with the block's parity, so both make progress in every block.
#[test]
fn neither_idle_sweep_starves_the_other() {
	use frame_support::traits::Hooks;
	new_test_ext().execute_with(|| {
		for who in 1..=10 {
			put_state(who, 10, 0);
		}
		for who in 1..=3u8 {
			Receipts::<Test>::insert(
				NODE,
				account(who),
				Receipt { since: 0, settled_at: 0, service: None, calls: 1, tokens: 1, value: 1 },
			);
		}
		let now = 2 * DISPUTE_WINDOW;
		let allowances = <() as WeightInfo>::prune_allowances;
		let receipts = <() as WeightInfo>::prune_receipts;
		// Half of it is two visits of either sweep (whichever visit is dearer, as measured).
		let idle = allowances(2).max(receipts(2)).saturating_mul(2);
		let used = Settlement::on_idle(now, idle);
		assert!(used.all_lte(idle));
		assert_eq!(Allowances::<Test>::iter().count(), 8);
		assert_eq!(Receipts::<Test>::iter().count(), 1);
		// In an odd block the receipt sweep goes first, the allowance sweep takes the rest:
		// here the last receipt, then three allowance states.
		Settlement::on_idle(now + 1, receipts(1).saturating_add(allowances(3)));
		assert_eq!(Receipts::<Test>::iter().count(), 0);
		assert_eq!(Allowances::<Test>::iter().count(), 5);
	});
}

/// Attack (M4): the owner retires the version after the node served calls to it, before the
/// node reported them. The version used to be checked only at settlement, so the records failed
/// as `NotServing`, unpaid, and cost the node a failed-settlement mark. A report within the
/// grace settles in full and costs the node nothing.
#[test]
fn retiring_a_version_does_not_fail_records_served_before() {
	new_test_ext().execute_with(|| {
		let (node_key, consumer) = setup();
		let owner_before = balance(&owner());
		// Served at block 1, then the owner retires version 1.
		retire(SERVICE, 1);
		System::set_block_number(1 + RETIRE_GRACE);
		assert_ok!(submit(
			&node_key,
			report(1, vec![record(&consumer, allowance(&consumer, 50, 1), 4)])
		));
		assert_eq!(rejections(), vec![]);
		assert_eq!(tokens_of(&consumer), 100 - 4 * PRICE);
		// 12 tokens at 1,000 units: 95% to the owner.
		assert_eq!(balance(&owner()), owner_before + 11_400);
		assert!(events().contains(&Event::ReportSettled {
			node: NODE,
			sequence: 1,
			settled: 1,
			rejected: 0
		}));
		assert!(!take_ledger().contains(&(Subject::Node(NODE), ReputationEvent::FailedSettlement)));
	});
}

/// The grace is bounded: a record reported after it is refused as `NotServing`, and that is
/// the node's fault (it should have reported in time, or stopped serving).
#[test]
fn a_record_after_the_grace_is_refused_as_not_serving() {
	new_test_ext().execute_with(|| {
		let (node_key, consumer) = setup();
		retire(SERVICE, 1);
		System::set_block_number(2 + RETIRE_GRACE);
		assert_ok!(submit(
			&node_key,
			report(1, vec![record(&consumer, allowance(&consumer, 50, 1), 4)])
		));
		assert_eq!(rejections(), vec![(0, RecordError::NotServing)]);
		assert_eq!(tokens_of(&consumer), 100);
		assert!(RecordError::NotServing.is_nodes_fault());
		assert!(take_ledger().contains(&(Subject::Node(NODE), ReputationEvent::FailedSettlement)));
	});
}

/// Attack (M4): the owner sets a price so high that `calls * price` overflows. Only the owner
/// chose the price, so the rejection is not held against the node.
#[test]
fn an_overflowing_price_is_not_the_nodes_fault() {
	new_test_ext().execute_with(|| {
		let (node_key, consumer) = setup();
		set_service(SERVICE, owner(), u128::MAX, &[(NODE, 1)]);
		let greedy =
			UsageAllowance { max_price_per_call: u128::MAX, ..allowance(&consumer, 50, 1) };
		assert_ok!(submit(&node_key, report(1, vec![record(&consumer, greedy, 2)])));
		assert_eq!(rejections(), vec![(0, RecordError::Overflow)]);
		assert!(!RecordError::Overflow.is_nodes_fault());
		assert_eq!(tokens_of(&consumer), 100);
		assert!(Allowances::<Test>::get(account_of(&consumer), NODE).is_none());
		assert!(!take_ledger().contains(&(Subject::Node(NODE), ReputationEvent::FailedSettlement)));
	});
}

/// Submits `report` relayed by a signed account; returns the weight it says it took.
fn submit_for_weight(key: &ed25519::Pair, report: ReportOf<Test>) -> Weight {
	let signature = sign_report(key, &report);
	let info = Settlement::submit_usage(RuntimeOrigin::signed(account(9)), report, signature)
		.expect("the report is settled");
	info.actual_weight.expect("the report returns its weight")
}

/// A record under an allowance the chain has settled under (same nonce, same terms hash) is
/// not verified again: the consumer signed those terms, the record's signature adds nothing.
/// The report returns the weight it took, below what it was charged before dispatch.
#[test]
fn a_record_under_a_verified_allowance_is_not_verified_again() {
	new_test_ext().execute_with(|| {
		let (node_key, consumer) = setup();
		let first = report(1, vec![record(&consumer, allowance(&consumer, 50, 1), 1)]);
		let charged = Settlement::report_weight(&first);
		assert_eq!(charged, <() as WeightInfo>::submit_usage(1, 1, 1));
		assert_eq!(submit_for_weight(&node_key, first), charged, "its signature was verified");

		// The same allowance later, with a signature nobody made: the terms are known.
		System::set_block_number(10);
		let forger = consumer_pair("//Forger");
		let again = report(2, vec![record(&forger, allowance(&consumer, 50, 1), 2)]);
		let charged = Settlement::report_weight(&again);
		let took = submit_for_weight(&node_key, again);
		assert_eq!(took, <() as WeightInfo>::submit_usage(1, 1, 0));
		assert!(took.ref_time() < charged.ref_time());
		assert!(rejections().is_empty());
		assert_eq!(Settlement::allowance(account_of(&consumer), NODE).map(|s| s.used), Some(3));
		assert_eq!(tokens_of(&consumer), 100 - 3 * PRICE);
	});
}

/// Attack: reuse a verified allowance's nonce with other terms (more calls, a higher price),
/// hoping the cache lets it through unsigned. Its terms hash differs, so its signature is
/// verified (refused if forged) and then, signed or not, it is refused as a replay.
#[test]
fn an_allowance_with_known_nonce_and_other_terms_is_verified_again_and_refused() {
	new_test_ext().execute_with(|| {
		let (node_key, consumer) = setup();
		assert_ok!(submit(
			&node_key,
			report(1, vec![record(&consumer, allowance(&consumer, 5, 1), 5)])
		));
		System::set_block_number(10);
		let forger = consumer_pair("//Forger");
		let bigger = allowance(&consumer, 50, 1);
		let took = submit_for_weight(
			&node_key,
			report(2, vec![record(&forger, bigger.clone(), 1), record(&consumer, bigger, 1)]),
		);
		assert_eq!(took, <() as WeightInfo>::submit_usage(2, 1, 2), "both were verified");
		assert_eq!(
			rejections(),
			vec![(0, RecordError::BadSignature), (1, RecordError::AllowanceReplayed)]
		);
		assert_eq!(Settlement::allowance(account_of(&consumer), NODE).map(|s| s.used), Some(5));
		assert_eq!(tokens_of(&consumer), 100 - 5 * PRICE);
	});
}

/// The verification kept is the consumer's one allowance state per node: a replacement
/// overwrites it (verified once, then known), an expired one is swept, and after that the
/// allowance's signature is checked again; a revocation still refuses a known allowance.
#[test]
fn the_kept_verification_is_one_per_consumer_and_node_and_goes_with_the_allowance() {
	use frame_support::traits::Hooks;
	new_test_ext().execute_with(|| {
		let (node_key, consumer) = setup();
		let who = account_of(&consumer);
		for (sequence, nonce) in [(1u64, 1u64), (2, 2), (3, 3)] {
			System::set_block_number(1 + (sequence - 1) * 10);
			let records = vec![
				record(&consumer, allowance(&consumer, 50, nonce), 1),
				record(&consumer, allowance(&consumer, 50, nonce), 1),
			];
			let took = submit_for_weight(&node_key, report(sequence, records));
			// The first record verifies the new allowance; the second finds it known.
			assert_eq!(took, <() as WeightInfo>::submit_usage(2, 1, 1));
		}
		assert_eq!(Allowances::<Test>::iter().count(), 1);
		assert_eq!(Settlement::allowance(who.clone(), NODE).map(|s| s.nonce), Some(3));

		// Revoked: the known allowance is refused once the notice is over.
		assert_ok!(Settlement::revoke_allowance(RuntimeOrigin::signed(who.clone()), NODE, 3));
		System::set_block_number(21 + REVOKE_NOTICE + 1);
		assert_ok!(submit(
			&node_key,
			report(4, vec![record(&consumer, allowance(&consumer, 50, 3), 1)])
		));
		assert_eq!(rejections(), vec![(0, RecordError::Revoked)]);

		// Expired (at 100, and what it carried too): swept, and the kept terms with it.
		Settlement::on_idle(200, Weight::MAX);
		assert_eq!(Allowances::<Test>::iter().count(), 0);
	});
}

/// A consumer's records are checked against one read of its state and tokens and paid for
/// together: one payment and one `UsageSettled` per service, with every call counted.
#[test]
fn a_consumers_records_are_paid_together_once_per_service() {
	new_test_ext().execute_with(|| {
		let (node_key, consumer) = setup();
		let records = (1..=4).map(|calls| record(&consumer, allowance(&consumer, 50, 1), calls));
		assert_ok!(submit(&node_key, report(1, records.collect())));
		let settled: Vec<_> = events()
			.into_iter()
			.filter_map(|e| match e {
				Event::UsageSettled { calls, tokens, .. } => Some((calls, tokens)),
				_ => None,
			})
			.collect();
		assert_eq!(settled, vec![(10, 10 * PRICE)]);
		assert_eq!(tokens_of(&consumer), 100 - 10 * PRICE);
		assert!(events().contains(&Event::ReportSettled {
			node: NODE,
			sequence: 1,
			settled: 4,
			rejected: 0
		}));
	});
}

/// The tokens a consumer can spend are counted across its records as each would have paid
/// alone: the records that fit settle, a record that does not is refused, and a smaller one
/// after it still settles.
#[test]
fn a_consumers_tokens_run_out_record_by_record() {
	new_test_ext().execute_with(|| {
		let (node_key, consumer) = setup();
		// 100 tokens at 3 a call: 30 calls, then 5 do not fit (99 > 100 - 90), then 3 do.
		let records = [30u64, 5, 3]
			.into_iter()
			.map(|calls| record(&consumer, allowance(&consumer, 50, 1), calls))
			.collect();
		assert_ok!(submit(&node_key, report(1, records)));
		assert_eq!(rejections(), vec![(1, RecordError::InsufficientTokens)]);
		assert_eq!(tokens_of(&consumer), 100 - 33 * PRICE);
	});
}

/// No consumer is starved by where its account sorts: records of consumers in any order,
/// interleaved, all settle, and each rejection names its record's index in the report.
#[test]
fn every_consumer_of_a_report_is_settled_whatever_its_order() {
	new_test_ext().execute_with(|| {
		let (node_key, consumer) = setup();
		let others: Vec<_> = (0..3).map(|i| consumer_pair(&format!("//Other{i}"))).collect();
		for other in &others {
			fund_tokens(other, 100);
		}
		let mut records = Vec::new();
		for round in 0..2 {
			for pair in others.iter().rev().chain([&consumer]) {
				records.push(record(pair, allowance(pair, 50, 1), 1 + round));
			}
		}
		records.push(record(&others[0], allowance(&others[0], 50, 1), 0));
		let took = submit_for_weight(&node_key, report(1, records));
		assert_eq!(took, <() as WeightInfo>::submit_usage(9, 4, 4));
		assert_eq!(rejections(), vec![(8, RecordError::ZeroCalls)]);
		for pair in others.iter().chain([&consumer]) {
			assert_eq!(tokens_of(pair), 100 - 3 * PRICE);
		}
	});
}
