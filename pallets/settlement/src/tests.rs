//! Tests of the settlement pallet: a report settled to the unit, every rejection of a record
//! with its own reason, every refusal of a report with its own error, and replays.

use crate::{
	mock::*, AllowanceState, Allowances, Error, Event, LastReport, RecordError, RecordOf, ReportOf,
	UsageRecord, UsageReport, WeightInfo,
};
use frame_support::{
	assert_noop, assert_ok,
	dispatch::GetDispatchInfo,
	traits::{
		fungible::{Inspect, Mutate},
		Authorize,
	},
};
use frame_system::RawOrigin;
use micro_primitives::{NodeId, ReputationEvent, Subject, UsageAllowance};
use sp_core::{ed25519, sr25519, Pair};
use sp_runtime::transaction_validity::{InvalidTransaction, TransactionSource};

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

fn rejections() -> Vec<(u32, RecordError)> {
	events()
		.into_iter()
		.filter_map(|e| match e {
			Event::RecordRejected { index, reason, .. } => Some((index, reason)),
			_ => None,
		})
		.collect()
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
				(Subject::Service(SERVICE), ReputationEvent::SettledCalls(10)),
				(Subject::Node(NODE), ReputationEvent::SettledCalls(10)),
			]
		);
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
		let overflow = UsageAllowance { service: 8, ..allowance(&consumer, u64::MAX, 1) };
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

#[test]
fn calls_to_a_free_service_settle_for_no_tokens_and_still_count() {
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
		assert_eq!(rejections(), vec![]);
		assert!(
			take_ledger().contains(&(Subject::Service(SERVICE), ReputationEvent::SettledCalls(4)))
		);
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
		// The same nonce with other terms, and a higher nonce that replaces the allowance.
		assert_ok!(submit(
			&node_key,
			report(
				3,
				vec![
					record(&consumer, allowance(&consumer, 500, 1), 1),
					record(&consumer, allowance(&consumer, 5, 2), 5),
					record(&consumer, allowance(&consumer, 5, 1), 1),
				]
			)
		));
		assert_eq!(
			rejections(),
			vec![(0, RecordError::AllowanceReplayed), (2, RecordError::AllowanceReplayed)]
		);
		let state = Allowances::<Test>::get(account_of(&consumer), NODE).unwrap();
		assert_eq!((state.nonce, state.used), (2, 5));
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
		assert_eq!(call(1), <() as WeightInfo>::submit_usage(1));
		assert_eq!(call(100), <() as WeightInfo>::submit_usage(100));
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
			})
		);
		assert_eq!(Settlement::last_report(NODE), Some((1, 1)));
		assert_eq!(Settlement::allowance(account_of(&consumer), 2), None);
	});
}
