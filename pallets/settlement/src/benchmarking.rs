//! Benchmarks of the settlement pallet. A report's weight has three components, each measured
//! at its worst case, submitted unsigned so the operator pays the fee:
//! - `c` consumers: each its own consumer, to its own service with its own owner (so each pays a
//!   different owner and moves a different service's reputation), under an allowance the chain
//!   has settled under before (no signature to verify), spending tokens from every one of the
//!   consumer's batches and hold pieces, with a revocation to read and a receipt to add to;
//! - `s` signatures: allowances new to the chain, each replacing the last (higher nonces of one
//!   consumer), each to its own service with its own owner, so each is verified, looked up and
//!   paid for apart; each signed as a browser wallet signs, over the wrapped bytes, so each
//!   costs both verifications `verify_raw_or_wrapped` may make;
//! - `r` more records, under an allowance already checked in the report, each naming a version
//!   of the service not seen before (looked up, then rejected: dearer than one that settles).

use super::*;
use crate::Pallet as Settlement;
use alloc::vec::Vec;
use frame_benchmarking::v2::*;
use frame_support::traits::fungible::InspectHold;
use frame_support::traits::fungible::{Inspect, Mutate};
use frame_support::{pallet_prelude::*, traits::Authorize};
use frame_system::RawOrigin;
use micro_primitives::{
	NodeDirectory, NodeId, NodeSignature, ServiceDirectory, UsageAllowance, UsagePayments,
	BENCHMARK_KEY_TYPE, WRAPPED_BYTES_POSTFIX, WRAPPED_BYTES_PREFIX,
};
use sp_runtime::{
	traits::{UniqueSaturatedInto, Zero},
	Saturating,
};

/// Calls in each record: at the service's price, the tokens every consumer holds.
const CALLS: u64 = 1_000;

/// A signed report of `c` consumers' records under allowances the chain knows, then `s`
/// records under new allowances of the first consumer, each replacing the last, then `r`
/// records under the last of them naming versions the node never ran (see the module's doc).
fn signed_report<T: Config>(c: u32, s: u32, r: u32) -> (ReportOf<T>, NodeSignature) {
	let operator: T::AccountId = account("operator", 0, 0);
	let node = T::Nodes::register_for_benchmark(&operator);
	let key = T::Nodes::node_key(node).expect("the node was just registered");
	let len = ReportOf::<T>::max_encoded_len().saturating_add(66) as u32;
	let n = c.saturating_add(s).saturating_add(r);
	let fee = Settlement::<T>::report_fee(T::WeightInfo::submit_usage(n, n, n), n, len);
	let funds = T::Currency::minimum_balance().saturating_add(fee).saturating_add(fee);
	T::Currency::set_balance(&operator, funds);
	let now = frame_system::Pallet::<T>::block_number();
	let expires_at = now.saturating_add(1_000u32.into());
	let allowance_of = |consumer: &T::AccountId, service, price, nonce| UsageAllowance {
		consumer: consumer.clone(),
		service,
		node,
		max_calls: u64::MAX,
		max_price_per_call: price,
		expires_at,
		nonce,
	};
	// Signed as browser wallets sign: the first verification, over the bare payload, fails,
	// and the second, over the wrapped one, passes.
	let sign = |allowance: &AllowanceOf<T>| {
		let wrapped = [
			WRAPPED_BYTES_PREFIX,
			&Settlement::<T>::allowance_payload(allowance)[..],
			WRAPPED_BYTES_POSTFIX,
		]
		.concat();
		T::BenchmarkHelper::sign(&allowance.consumer, &wrapped)
	};
	let mut records: Vec<RecordOf<T>> = Vec::new();
	for i in 0..c {
		let owner: T::AccountId = account("owner", i, 0);
		let (service, version) = T::BenchmarkHelper::live_service(&owner, node);
		let price = T::Services::price_per_call(service).unwrap_or(1);
		let consumer = T::BenchmarkHelper::consumer(i);
		// The first consumer pays for the new allowances' records too.
		let paid_records = if i == 0 { 1 + u128::from(s) } else { 1 };
		T::Tokens::fund_for_benchmark(
			&consumer,
			node,
			u128::from(CALLS).saturating_mul(price).saturating_mul(paid_records),
		);
		// A revocation not yet in effect, to read; a receipt in its window, to add to.
		Revocations::<T>::insert(
			&consumer,
			node,
			Revocation { nonce: 1, effective_at: expires_at, in_effect: Some(0) },
		);
		Receipts::<T>::insert(
			node,
			&consumer,
			Receipt {
				since: now,
				settled_at: now,
				service: Some(service),
				calls: 1,
				tokens: 1,
				value: 1,
			},
		);
		let allowance = allowance_of(&consumer, service, price, 1);
		// Settled under before: its signature was verified then.
		Allowances::<T>::insert(
			&consumer,
			node,
			AllowanceState {
				nonce: 1,
				terms: sp_io::hashing::blake2_256(&allowance.encode()),
				used: 0,
				expires_at,
				carried: 0,
				carried_until: Zero::zero(),
			},
		);
		let signature = sign(&allowance);
		records.push(UsageRecord { allowance, signature, version, calls: CALLS });
	}
	let first = T::BenchmarkHelper::consumer(0);
	for j in 0..s {
		let owner: T::AccountId = account("owner", c.saturating_add(j), 0);
		let (service, version) = T::BenchmarkHelper::live_service(&owner, node);
		let price = T::Services::price_per_call(service).unwrap_or(1);
		let allowance = allowance_of(&first, service, price, u64::from(j) + 2);
		let signature = sign(&allowance);
		records.push(UsageRecord { allowance, signature, version, calls: CALLS });
	}
	let last = records.last().cloned().expect("c is at least 1");
	for k in 0..r {
		let version = last.version.saturating_add(1_000).saturating_add(k);
		records.push(UsageRecord { version, calls: 1, ..last.clone() });
	}
	let report =
		UsageReport { node, sequence: 1, records: records.try_into().expect("n is within bounds") };
	let signature = sp_io::crypto::ed25519_sign(
		BENCHMARK_KEY_TYPE,
		&key,
		&Settlement::<T>::report_payload(&report),
	)
	.expect("the node's key is in the keystore");
	(report, signature)
}

/// A consumer with a receipt from a node of a funded operator, for a service of another funded
/// owner, funded to place the dispute deposit: the consumer, the node and the service's owner.
fn disputable<T: Config>() -> (T::AccountId, NodeId, T::AccountId) {
	let operator: T::AccountId = account("operator", 0, 0);
	let node = T::Nodes::register_for_benchmark(&operator);
	let owner: T::AccountId = account("owner", 0, 0);
	let (service, _) = T::BenchmarkHelper::live_service(&owner, node);
	let consumer = T::BenchmarkHelper::consumer(0);
	let value = T::Currency::minimum_balance().saturating_mul(10u32.into());
	let funds = T::Currency::minimum_balance()
		.saturating_add(T::DisputeDeposit::get())
		.saturating_add(value)
		.saturating_add(value);
	T::Currency::set_balance(&consumer, funds);
	T::Currency::set_balance(&operator, funds);
	T::Currency::set_balance(&owner, funds);
	let now = frame_system::Pallet::<T>::block_number();
	Receipts::<T>::insert(
		node,
		&consumer,
		Receipt {
			since: now,
			settled_at: now,
			service: Some(service),
			calls: 1,
			tokens: 1,
			value: value.unique_saturated_into(),
		},
	);
	(consumer, node, owner)
}

#[benchmarks]
mod benchmarks {
	use super::*;

	/// A report of `c` consumers' records, `s` signatures to verify and `r` more records (see
	/// the module's doc). The weight is charged per record, consumer and signature, and a
	/// record is charged `r` even where it is also a consumer or a signature.
	#[benchmark]
	fn submit_usage(
		r: Linear<0, { T::MaxRecords::get() / 2 }>,
		c: Linear<1, { T::MaxRecords::get() / 4 }>,
		s: Linear<0, { T::MaxRecords::get() / 4 }>,
	) {
		let (report, signature) = signed_report::<T>(c, s, r);
		let node = report.node;
		let first = report.records[0].allowance.consumer.clone();

		#[extrinsic_call]
		_(RawOrigin::Authorized, report, signature);

		assert_eq!(LastReport::<T>::get(node).map(|(sequence, _)| sequence), Some(1));
		assert_eq!(Allowances::<T>::iter().count() as u32, c, "each consumer's state");
		assert_eq!(
			Allowances::<T>::get(&first, node).map(|state| state.nonce),
			Some(u64::from(s) + 1),
			"every new allowance settled"
		);
	}

	#[benchmark]
	fn authorize_submit_usage(
		n: Linear<1, { T::MaxRecords::get() }>,
	) -> Result<(), BenchmarkError> {
		let (report, signature) = signed_report::<T>(n, 0, 0);
		let call = Call::<T>::submit_usage { report, signature };

		#[block]
		{
			call.authorize(TransactionSource::External)
				.ok_or("submit_usage is an authorized call")?
				.map_err(|_| "the report is valid")?;
		}

		Ok(())
	}

	/// The idle sweep visiting `n` states, every one expired and removed.
	#[benchmark]
	fn prune_allowances(n: Linear<0, { crate::functions::MAX_PRUNE_VISITS }>) {
		let now = frame_system::Pallet::<T>::block_number().saturating_add(10u32.into());
		for i in 0..n {
			let consumer: T::AccountId = account("consumer", i, 0);
			Allowances::<T>::insert(
				consumer,
				i,
				AllowanceState {
					nonce: 1,
					terms: [0; 32],
					used: 1,
					expires_at: now.saturating_sub(1u32.into()),
					carried: 1,
					carried_until: now.saturating_sub(1u32.into()),
				},
			);
		}

		#[block]
		{
			Settlement::<T>::prune_expired(now, T::WeightInfo::prune_allowances(n));
		}

		assert_eq!(Allowances::<T>::iter().count(), 0);
	}

	/// A revocation replacing one in effect, and a hold to keep longer.
	#[benchmark]
	fn revoke_allowance() {
		let (consumer, node, _) = disputable::<T>();
		T::Tokens::fund_for_benchmark(&consumer, node, 1_000);
		let now = frame_system::Pallet::<T>::block_number();
		Revocations::<T>::insert(
			&consumer,
			node,
			Revocation { nonce: 1, effective_at: now, in_effect: None },
		);
		frame_system::Pallet::<T>::set_block_number(now.saturating_add(1u32.into()));

		#[extrinsic_call]
		_(RawOrigin::Signed(consumer.clone()), node, 2);

		assert_eq!(Revocations::<T>::get(&consumer, node).map(|r| r.in_effect), Some(Some(1)));
	}

	#[benchmark]
	fn dispute_usage() {
		let (consumer, node, _) = disputable::<T>();

		#[extrinsic_call]
		_(RawOrigin::Signed(consumer.clone()), node);

		assert!(Disputes::<T>::contains_key(node, &consumer));
	}

	/// The worst case: the service's owner refunds, read after the node's operator.
	#[benchmark]
	fn refund_usage() {
		let (consumer, node, owner) = disputable::<T>();
		Settlement::<T>::do_dispute(consumer.clone(), node).expect("the receipt is disputable");

		#[extrinsic_call]
		_(RawOrigin::Signed(owner), node, consumer.clone());

		assert!(!Disputes::<T>::contains_key(node, &consumer));
	}

	#[benchmark]
	fn close_dispute() {
		let (consumer, node, _) = disputable::<T>();
		Settlement::<T>::do_dispute(consumer.clone(), node).expect("the receipt is disputable");
		let after = frame_system::Pallet::<T>::block_number()
			.saturating_add(T::DisputeWindow::get())
			.saturating_add(1u32.into());
		frame_system::Pallet::<T>::set_block_number(after);
		let caller: T::AccountId = account("caller", 0, 0);

		#[extrinsic_call]
		_(RawOrigin::Signed(caller), node, consumer.clone());

		assert!(!Disputes::<T>::contains_key(node, &consumer));
		assert_eq!(
			T::Currency::balance_on_hold(&HoldReason::DisputeDeposit.into(), &consumer),
			Zero::zero()
		);
	}

	/// The idle sweep visiting `n` receipts, every one past its window and removed.
	#[benchmark]
	fn prune_receipts(n: Linear<0, { crate::functions::MAX_PRUNE_VISITS }>) {
		let now = frame_system::Pallet::<T>::block_number()
			.saturating_add(T::DisputeWindow::get())
			.saturating_add(10u32.into());
		for i in 0..n {
			let consumer: T::AccountId = account("consumer", i, 0);
			Receipts::<T>::insert(
				i,
				consumer,
				Receipt {
					since: Zero::zero(),
					settled_at: Zero::zero(),
					service: Some(i),
					calls: 1,
					tokens: 1,
					value: 1,
				},
			);
		}

		#[block]
		{
			Settlement::<T>::prune_receipts(now, T::WeightInfo::prune_receipts(n));
		}

		assert_eq!(Receipts::<T>::iter().count(), 0);
	}

	impl_benchmark_test_suite!(Settlement, crate::mock::new_test_ext(), crate::mock::Test);
}
