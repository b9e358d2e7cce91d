//! Checking reports and settling their records.

use alloc::{collections::BTreeMap, vec::Vec};
use codec::Encode;
use frame_support::{pallet_prelude::*, storage::with_storage_layer};
use frame_system::pallet_prelude::BlockNumberFor;
use micro_primitives::{
	NodeDirectory, NodeId, NodeSignature, PaymentError, ReputationEvent, ReputationLedger,
	ServiceDirectory, Subject, UsagePayments, USAGE_ALLOWANCE_CONTEXT, USAGE_REPORT_CONTEXT,
};
use sp_runtime::{
	traits::{Saturating, Verify, Zero},
	DispatchError,
};

use crate::{
	AllowanceOf, AllowanceState, Allowances, Config, Error, Event, LastReport, Pallet, RecordError,
	RecordOf, ReportOf,
};

impl<T: Config> Pallet<T> {
	/// The chain's genesis hash, which every signed message names.
	pub fn genesis_hash() -> T::Hash {
		frame_system::Pallet::<T>::block_hash(BlockNumberFor::<T>::zero())
	}

	/// The bytes a consumer signs for `allowance`.
	pub fn allowance_payload(allowance: &AllowanceOf<T>) -> Vec<u8> {
		Self::allowance_payload_on(Self::genesis_hash(), allowance)
	}

	/// The bytes a consumer signs for `allowance` on the chain with `genesis`.
	fn allowance_payload_on(genesis: T::Hash, allowance: &AllowanceOf<T>) -> Vec<u8> {
		(USAGE_ALLOWANCE_CONTEXT, genesis, allowance).encode()
	}

	/// The hash a node signs for `report`.
	pub fn report_payload(report: &ReportOf<T>) -> [u8; 32] {
		sp_io::hashing::blake2_256(&(USAGE_REPORT_CONTEXT, Self::genesis_hash(), report).encode())
	}

	/// The checks on a report as a whole.
	pub(crate) fn check_report(
		report: &ReportOf<T>,
		signature: &NodeSignature,
	) -> Result<(), Error<T>> {
		ensure!(!report.records.is_empty(), Error::<T>::EmptyReport);
		let key = T::Nodes::node_key(report.node).ok_or(Error::<T>::UnknownNode)?;
		let now = frame_system::Pallet::<T>::block_number();
		if let Some((sequence, at)) = LastReport::<T>::get(report.node) {
			ensure!(report.sequence > sequence, Error::<T>::ReportReplayed);
			ensure!(
				now.saturating_sub(at) >= T::MinReportInterval::get(),
				Error::<T>::ReportTooSoon
			);
		}
		ensure!(
			sp_io::crypto::ed25519_verify(signature, &Self::report_payload(report), &key),
			Error::<T>::BadReportSignature
		);
		Ok(())
	}

	/// Settles every record of a checked report.
	pub(crate) fn settle(report: ReportOf<T>) {
		let now = frame_system::Pallet::<T>::block_number();
		let genesis = Self::genesis_hash();
		let node = report.node;
		let (mut settled, mut rejected, mut nodes_fault) = (0u32, 0u32, false);
		let mut calls_by_service: BTreeMap<u32, u64> = BTreeMap::new();
		for (index, record) in report.records.into_iter().enumerate() {
			let consumer = record.allowance.consumer.clone();
			match with_storage_layer(|| Self::settle_record(node, &record, now, genesis)) {
				Ok(()) => {
					settled += 1;
					let calls = calls_by_service.entry(record.allowance.service).or_default();
					calls.saturating_accrue(record.calls);
				}
				Err(SettleError(reason)) => {
					rejected += 1;
					nodes_fault |= reason.is_nodes_fault();
					Self::deposit_event(Event::RecordRejected {
						node,
						index: index as u32,
						consumer,
						reason,
					});
				}
			}
		}
		let mut node_calls = 0u64;
		for (service, calls) in calls_by_service {
			T::Reputation::record(Subject::Service(service), ReputationEvent::SettledCalls(calls));
			node_calls.saturating_accrue(calls);
		}
		if node_calls > 0 {
			T::Reputation::record(Subject::Node(node), ReputationEvent::SettledCalls(node_calls));
		}
		if nodes_fault {
			T::Reputation::record(Subject::Node(node), ReputationEvent::FailedSettlement);
		}
		LastReport::<T>::insert(node, (report.sequence, now));
		Self::deposit_event(Event::ReportSettled {
			node,
			sequence: report.sequence,
			settled,
			rejected,
		});
	}

	/// Checks one record and, if it passes, charges and pays for it.
	fn settle_record(
		node: NodeId,
		record: &RecordOf<T>,
		now: BlockNumberFor<T>,
		genesis: T::Hash,
	) -> Result<(), SettleError> {
		let allowance = &record.allowance;
		let consumer = &allowance.consumer;
		ensure!(record.calls > 0, RecordError::ZeroCalls);
		ensure!(allowance.node == node, RecordError::WrongNode);
		ensure!(
			record.signature.verify(&Self::allowance_payload_on(genesis, allowance)[..], consumer),
			RecordError::BadSignature
		);
		ensure!(now <= allowance.expires_at, RecordError::AllowanceExpired);
		ensure!(
			T::Services::runs(node, allowance.service, record.version),
			RecordError::NotServing
		);
		let terms = sp_io::hashing::blake2_256(&allowance.encode());
		let used_before = match Allowances::<T>::get(consumer, node) {
			Some(state) if state.nonce > allowance.nonce => {
				return Err(RecordError::AllowanceReplayed.into())
			}
			Some(state) if state.nonce == allowance.nonce => {
				ensure!(state.terms == terms, RecordError::AllowanceReplayed);
				state.used
			}
			_ => 0,
		};
		let used = used_before
			.checked_add(record.calls)
			.filter(|used| *used <= allowance.max_calls)
			.ok_or(RecordError::AllowanceExceeded)?;
		let price =
			T::Services::price_per_call(allowance.service).ok_or(RecordError::UnknownService)?;
		let owner = T::Services::owner(allowance.service).ok_or(RecordError::UnknownService)?;
		let tokens = (record.calls as u128).checked_mul(price).ok_or(RecordError::Overflow)?;
		let shares =
			T::Tokens::pay_for_usage(consumer, &owner, tokens).map_err(|error| match error {
				PaymentError::InsufficientTokens => RecordError::InsufficientTokens,
				PaymentError::Failed(_) => RecordError::PaymentFailed,
			})?;
		Allowances::<T>::insert(
			consumer,
			node,
			AllowanceState {
				nonce: allowance.nonce,
				terms,
				used,
				expires_at: allowance.expires_at,
			},
		);
		Self::deposit_event(Event::UsageSettled {
			node,
			consumer: consumer.clone(),
			service: allowance.service,
			version: record.version,
			calls: record.calls,
			tokens,
			owner,
			paid: shares.remainder,
			charity: shares.charity,
			operations: shares.operations,
		});
		Ok(())
	}
}

/// A record's rejection, as the error `with_storage_layer` rolls back on.
pub(crate) struct SettleError(RecordError);

impl From<RecordError> for SettleError {
	fn from(reason: RecordError) -> Self {
		Self(reason)
	}
}

impl From<DispatchError> for SettleError {
	fn from(_: DispatchError) -> Self {
		Self(RecordError::PaymentFailed)
	}
}
