//! Benchmarks of the settlement pallet: a report of `n` records, each from its own consumer,
//! each settled, each spending tokens from every one of the consumer's batches.

use super::*;
use crate::Pallet as Settlement;
use alloc::vec::Vec;
use frame_benchmarking::v2::*;
use frame_support::{pallet_prelude::*, traits::Authorize};
use frame_system::RawOrigin;
use micro_primitives::{
	NodeDirectory, NodeSignature, UsageAllowance, UsagePayments, BENCHMARK_KEY_TYPE,
};
use sp_runtime::Saturating;

/// Calls in each record: at a price of one token each, the tokens every consumer holds.
const CALLS: u64 = 1_000;

/// A signed report of `n` records that all settle.
fn signed_report<T: Config>(n: u32) -> (ReportOf<T>, NodeSignature) {
	let operator: T::AccountId = account("operator", 0, 0);
	let node = T::Nodes::register_for_benchmark(&operator);
	let key = T::Nodes::node_key(node).expect("the node was just registered");
	let owner: T::AccountId = account("owner", 0, 0);
	let (service, version) = T::BenchmarkHelper::live_service(&owner, node);
	let expires_at = frame_system::Pallet::<T>::block_number().saturating_add(1_000u32.into());
	let records: Vec<RecordOf<T>> = (0..n)
		.map(|i| {
			let consumer = T::BenchmarkHelper::consumer(i);
			T::Tokens::fund_for_benchmark(&consumer, CALLS as u128);
			let allowance = UsageAllowance {
				consumer: consumer.clone(),
				service,
				node,
				max_calls: u64::MAX,
				expires_at,
				nonce: 1,
			};
			let signature = T::BenchmarkHelper::sign(
				&consumer,
				&Settlement::<T>::allowance_payload(&allowance),
			);
			UsageRecord { allowance, signature, version, calls: CALLS }
		})
		.collect();
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

#[benchmarks]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn submit_usage(n: Linear<1, { T::MaxRecords::get() }>) {
		let (report, signature) = signed_report::<T>(n);
		let node = report.node;

		#[extrinsic_call]
		_(RawOrigin::Authorized, report, signature);

		assert_eq!(LastReport::<T>::get(node).map(|(sequence, _)| sequence), Some(1));
	}

	#[benchmark]
	fn authorize_submit_usage(
		n: Linear<1, { T::MaxRecords::get() }>,
	) -> Result<(), BenchmarkError> {
		let (report, signature) = signed_report::<T>(n);
		let call = Call::<T>::submit_usage { report, signature };

		#[block]
		{
			call.authorize(TransactionSource::External)
				.ok_or("submit_usage is an authorized call")?
				.map_err(|_| "the report is valid")?;
		}

		Ok(())
	}

	impl_benchmark_test_suite!(Settlement, crate::mock::new_test_ext(), crate::mock::Test);
}
