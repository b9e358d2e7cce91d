//! # Settlement pallet: nodes are paid for the calls they served
//!
//! A consumer authorizes spending off-chain: it signs a [`UsageAllowance`] (service, node, most
//! calls, expiry block, nonce) with its account key, over
//! `(USAGE_ALLOWANCE_CONTEXT, genesis_hash, allowance)`. The node's MUCP worker takes it with
//! the calls and, from time to time, submits a [`UsageReport`]: a batch of records (allowance,
//! signature, version, calls), signed by the node's layer-0 key over the blake2-256 hash of
//! `(USAGE_REPORT_CONTEXT, genesis_hash, report)`.
//!
//! ## What is checked
//! The report as a whole: the node is registered, the signature is its key's, its `sequence` is
//! above the node's last one (a report is settled once), and at most one report per node every
//! [`Config::MinReportInterval`] blocks. A report failing any of these is refused whole.
//!
//! Each record on its own ([`RecordError`]): at least one call; the allowance names this node
//! and carries the consumer's valid signature; it has not expired; the node runs that live
//! version of the service; its nonce is the consumer's current one for this node (with the same
//! terms) or a higher one, which replaces it; the calls keep it within its maximum; and the
//! consumer holds enough unexpired tokens. A record that fails is reported with its reason in
//! [`Event::RecordRejected`] and changes nothing; the other records are settled regardless.
//!
//! ## What a settled record does
//! It charges `calls * price_per_call` API tokens to the consumer, pays the MICRO backing them to
//! the service's current NFT owner less 2.5% to charity and 2.5% to operations, and emits
//! [`Event::UsageSettled`]. The calls count toward the reputation of the service and the node;
//! a report with records the node should have refused costs the node a failed-settlement mark.
//!
//! Reports can be submitted with no account, authorized by the node's signature alone, or
//! relayed by any signed account. Their weight is linear in the number of records.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
mod functions;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;
pub mod types;
pub mod weights;

pub use micro_primitives::UsageAllowance;
pub use types::*;
pub use weights::WeightInfo;

/// What benchmarks need from the runtime: consumers that can sign, and a live service.
#[cfg(feature = "runtime-benchmarks")]
pub trait BenchmarkHelper<AccountId, Signature> {
	/// The `index`th consumer, with its key in the keystore.
	fn consumer(index: u32) -> AccountId;
	/// `consumer`'s signature over `message`.
	fn sign(consumer: &AccountId, message: &[u8]) -> Signature;
	/// A service owned by `owner` with a live version placed on `node`, at a price of 1.
	fn live_service(
		owner: &AccountId,
		node: micro_primitives::NodeId,
	) -> (micro_primitives::ServiceId, micro_primitives::VersionNumber);
}

/// Benchmark consumers for runtimes whose accounts are `AccountId32`s signing with
/// `MultiSignature`: sr25519 keys made in the benchmark keystore.
#[cfg(feature = "runtime-benchmarks")]
pub mod sr25519_consumers {
	use sp_runtime::{AccountId32, MultiSignature};

	/// The `index`th consumer, its key made in the keystore from a seed of its index.
	pub fn consumer(index: u32) -> AccountId32 {
		let seed = alloc::format!("//consumer{index}").into_bytes();
		let key = sp_io::crypto::sr25519_generate(micro_primitives::BENCHMARK_KEY_TYPE, Some(seed));
		AccountId32::from(key)
	}

	/// `consumer`'s signature over `message`.
	pub fn sign(consumer: &AccountId32, message: &[u8]) -> MultiSignature {
		let key = sp_core::sr25519::Public::from_raw(consumer.clone().into());
		sp_io::crypto::sr25519_sign(micro_primitives::BENCHMARK_KEY_TYPE, &key, message)
			.expect("the consumer's key is in the keystore")
			.into()
	}
}

#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use frame_support::pallet_prelude::*;
	use frame_system::pallet_prelude::*;
	use micro_primitives::{
		NodeDirectory, NodeId, NodeSignature, ReputationLedger, ServiceDirectory, ServiceId,
		UsagePayments, VersionNumber,
	};
	use sp_runtime::{
		traits::{IdentifyAccount, Verify},
		transaction_validity::TransactionValidityWithRefund,
	};

	#[pallet::pallet]
	pub struct Pallet<T>(_);

	#[pallet::config]
	pub trait Config: frame_system::Config<RuntimeEvent: From<Event<Self>>> {
		/// The signature consumers sign allowances with: the runtime's account signature.
		type Signature: Verify<Signer: IdentifyAccount<AccountId = Self::AccountId>>
			+ Parameter
			+ MaxEncodedLen;
		/// The registered nodes and their keys.
		type Nodes: NodeDirectory<Self::AccountId, BlockNumberFor<Self>>;
		/// The registered services: owners, prices and placements.
		type Services: ServiceDirectory<Self::AccountId, BlockNumberFor<Self>>;
		/// The API tokens consumers pay in.
		type Tokens: UsagePayments<Self::AccountId>;
		/// Where settled calls and failed settlements are recorded.
		type Reputation: ReputationLedger;
		/// Most records in one report.
		#[pallet::constant]
		type MaxRecords: Get<u32>;
		/// Fewest blocks between two reports of one node.
		#[pallet::constant]
		type MinReportInterval: Get<BlockNumberFor<Self>>;
		/// Weights of this pallet's calls.
		type WeightInfo: WeightInfo;
		/// Consumers and services for the benchmarks.
		#[cfg(feature = "runtime-benchmarks")]
		type BenchmarkHelper: BenchmarkHelper<Self::AccountId, Self::Signature>;
	}

	/// Each node's last settled report: its sequence and block.
	#[pallet::storage]
	pub type LastReport<T: Config> = StorageMap<_, Twox64Concat, NodeId, (u64, BlockNumberFor<T>)>;

	/// Each consumer's current allowance for each node.
	#[pallet::storage]
	pub type Allowances<T: Config> = StorageDoubleMap<
		_,
		Blake2_128Concat,
		T::AccountId,
		Twox64Concat,
		NodeId,
		AllowanceState<BlockNumberFor<T>>,
	>;

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// Calls were settled: `tokens` charged to the consumer, `paid` MICRO to the owner and
		/// the charity and operations shares to theirs.
		UsageSettled {
			node: NodeId,
			consumer: T::AccountId,
			service: ServiceId,
			version: VersionNumber,
			calls: u64,
			tokens: u128,
			owner: T::AccountId,
			paid: <T::Tokens as UsagePayments<T::AccountId>>::Balance,
			charity: <T::Tokens as UsagePayments<T::AccountId>>::Balance,
			operations: <T::Tokens as UsagePayments<T::AccountId>>::Balance,
		},
		/// Record `index` of a report was not settled, for `reason`.
		RecordRejected { node: NodeId, index: u32, consumer: T::AccountId, reason: RecordError },
		/// A report was processed.
		ReportSettled { node: NodeId, sequence: u64, settled: u32, rejected: u32 },
	}

	#[pallet::error]
	pub enum Error<T> {
		/// No node is registered under this id.
		UnknownNode,
		/// The report's signature is not by the node's key.
		BadReportSignature,
		/// The report's sequence is not above the node's last: a replay.
		ReportReplayed,
		/// The node's last report was less than `MinReportInterval` blocks ago.
		ReportTooSoon,
		/// A report must carry at least one record.
		EmptyReport,
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Settle a node's usage report, signed by the node's key.
		///
		/// Authorized by that signature alone (no account needed), or relayed by any signed
		/// account.
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::submit_usage(report.records.len() as u32))]
		#[pallet::authorize(Pallet::<T>::authorize_report)]
		#[pallet::weight_of_authorize(T::WeightInfo::authorize_submit_usage(report.records.len() as u32))]
		pub fn submit_usage(
			origin: OriginFor<T>,
			report: ReportOf<T>,
			signature: NodeSignature,
		) -> DispatchResult {
			ensure_authorized(origin.clone()).or_else(|_| ensure_signed(origin).map(drop))?;
			Self::check_report(&report, &signature)?;
			Self::settle(report);
			Ok(())
		}
	}

	impl<T: Config> Pallet<T> {
		/// Checks a report before it enters the pool or a block: the same checks as dispatch.
		fn authorize_report(
			_source: TransactionSource,
			report: &ReportOf<T>,
			signature: &NodeSignature,
		) -> TransactionValidityWithRefund {
			Self::check_report(report, signature).map_err(|error| {
				let code = match error {
					Error::<T>::BadReportSignature => InvalidTransaction::BadProof,
					Error::<T>::ReportReplayed => InvalidTransaction::Stale,
					Error::<T>::ReportTooSoon => InvalidTransaction::Future,
					_ => InvalidTransaction::Call,
				};
				TransactionValidityError::Invalid(code)
			})?;
			let validity = ValidTransaction::with_tag_prefix("MicroUsageReport")
				.priority(TransactionPriority::MAX / 4)
				.and_provides((report.node, report.sequence))
				.longevity(64)
				.propagate(true)
				.into();
			Ok((validity, Weight::zero()))
		}
	}

	#[pallet::view_functions]
	impl<T: Config> Pallet<T> {
		/// `consumer`'s current allowance for `node`, as far as settled.
		pub fn allowance(
			consumer: T::AccountId,
			node: NodeId,
		) -> Option<AllowanceState<BlockNumberFor<T>>> {
			Allowances::<T>::get(consumer, node)
		}

		/// `node`'s last settled report: its sequence and block.
		pub fn last_report(node: NodeId) -> Option<(u64, BlockNumberFor<T>)> {
			LastReport::<T>::get(node)
		}
	}
}
