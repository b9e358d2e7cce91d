//! Checking reports and settling their records.

use alloc::{collections::BTreeMap, vec::Vec};
use codec::Encode;
use frame_support::{
	pallet_prelude::*,
	storage::with_storage_layer,
	traits::{
		fungible::{Balanced, Inspect, Mutate, MutateHold},
		tokens::{Fortitude, Precision, Preservation},
		Imbalance, OnUnbalanced,
	},
};
use frame_system::pallet_prelude::BlockNumberFor;
use micro_primitives::{
	NodeDirectory, NodeId, NodeSignature, PaymentError, ReputationEvent, ReputationLedger,
	ServiceDirectory, ServiceId, Subject, UsagePayments, USAGE_ALLOWANCE_CONTEXT,
	USAGE_REPORT_CONTEXT,
};
use sp_runtime::{
	traits::{Convert, Saturating, UniqueSaturatedInto, Verify, Zero},
	DispatchError, DispatchResult,
};

use crate::{
	AllowanceOf, AllowanceState, Allowances, BalanceOf, Config, Dispute, Disputes, Error, Event,
	HoldReason, LastReport, Pallet, PruneCursor, Receipt, ReceiptCursor, Receipts, RecordError,
	RecordOf, ReportOf, Revocation, Revocations, WeightInfo,
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

	/// The length the fee of a report is computed on: its call's encoding.
	pub(crate) fn report_len(report: &ReportOf<T>, signature: &NodeSignature) -> u32 {
		// The pallet and call indices, then the arguments.
		(2 + report.encoded_size() + signature.encoded_size()) as u32
	}

	/// The fee of an unsigned report of `records` records, `rejected` of them rejected: what a
	/// signed transaction of the same weight and length would pay, plus the surcharge for each
	/// rejected record.
	pub fn report_fee(records: u32, rejected: u32, len: u32) -> BalanceOf<T> {
		let weight = T::WeightInfo::submit_usage(records);
		let surcharge = T::RejectedRecordFee::get().saturating_mul(rejected.into());
		T::ReportFee::convert((weight, len)).saturating_add(surcharge)
	}

	/// Whether the node's operator can pay the fee of `report` if every record were rejected.
	pub(crate) fn can_pay_fee(report: &ReportOf<T>, signature: &NodeSignature) -> bool {
		let Some(operator) = T::Nodes::operator(report.node) else { return false };
		let records = report.records.len() as u32;
		let worst = Self::report_fee(records, records, Self::report_len(report, signature));
		T::Currency::reducible_balance(&operator, Preservation::Preserve, Fortitude::Polite)
			>= worst
	}

	/// Settles a checked report submitted without an account: takes the worst-case fee from
	/// the node's operator first, settles, then keeps the fee for what was rejected and gives
	/// the rest back.
	pub(crate) fn settle_paying_fee(
		report: ReportOf<T>,
		signature: &NodeSignature,
	) -> DispatchResult {
		let node = report.node;
		let operator = T::Nodes::operator(node).ok_or(Error::<T>::UnknownNode)?;
		let records = report.records.len() as u32;
		let len = Self::report_len(&report, signature);
		let held = T::Currency::withdraw(
			&operator,
			Self::report_fee(records, records, len),
			Precision::Exact,
			Preservation::Preserve,
			Fortitude::Polite,
		)
		.map_err(|_| Error::<T>::CannotPayFee)?;
		let (_, rejected) = Self::settle(report);
		let fee = Self::report_fee(records, rejected, len);
		let (due, refund) = held.split(fee);
		if let Err(unplaced) = T::Currency::resolve(&operator, refund) {
			// The operator's account cannot take it back (it cannot happen: it was preserved):
			// it goes with the fee rather than vanish.
			T::OnReportFee::on_unbalanced(unplaced);
		}
		let fee = due.peek();
		T::OnReportFee::on_unbalanced(due);
		Self::deposit_event(Event::ReportFeePaid { node, operator, fee });
		Ok(())
	}

	/// Settles every record of a checked report: returns how many records were settled and
	/// how many rejected.
	pub(crate) fn settle(report: ReportOf<T>) -> (u32, u32) {
		let now = frame_system::Pallet::<T>::block_number();
		let genesis = Self::genesis_hash();
		let node = report.node;
		let operator = T::Nodes::operator(node);
		let (mut settled, mut rejected, mut nodes_fault) = (0u32, 0u32, false);
		// Paid calls by strangers, and their value, per service.
		let mut paid_by_service: BTreeMap<ServiceId, (u64, u128)> = BTreeMap::new();
		for (index, record) in report.records.into_iter().enumerate() {
			let consumer = record.allowance.consumer.clone();
			match with_storage_layer(|| Self::settle_record(node, &record, now, genesis)) {
				Ok(settlement) => {
					settled += 1;
					let by_stranger = consumer != settlement.owner
						&& operator.as_ref().is_none_or(|operator| consumer != *operator);
					if by_stranger && settlement.value > 0 {
						let (calls, value) =
							paid_by_service.entry(record.allowance.service).or_default();
						calls.saturating_accrue(record.calls);
						value.saturating_accrue(settlement.value);
						Self::note_receipt(
							node,
							&consumer,
							now,
							record.allowance.service,
							record.calls,
							settlement.tokens,
							settlement.value,
						);
					}
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
		let (mut node_calls, mut node_value) = (0u64, 0u128);
		for (service, (calls, value)) in paid_by_service {
			T::Reputation::record(
				Subject::Service(service),
				ReputationEvent::PaidUsage { calls, value },
			);
			node_calls.saturating_accrue(calls);
			node_value.saturating_accrue(value);
		}
		if node_value > 0 {
			T::Reputation::record(
				Subject::Node(node),
				ReputationEvent::PaidUsage { calls: node_calls, value: node_value },
			);
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
		(settled, rejected)
	}

	/// Checks one record and, if it passes, charges and pays for it.
	fn settle_record(
		node: NodeId,
		record: &RecordOf<T>,
		now: BlockNumberFor<T>,
		genesis: T::Hash,
	) -> Result<Settlement<T::AccountId>, SettleError> {
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
			!Revocations::<T>::get(consumer, node)
				.is_some_and(|revocation| revocation.revokes(allowance.nonce, now)),
			RecordError::Revoked
		);
		ensure!(
			T::Services::ran_recently(node, allowance.service, record.version),
			RecordError::NotServing
		);
		let terms = sp_io::hashing::blake2_256(&allowance.encode());
		let mut state = match Allowances::<T>::get(consumer, node) {
			Some(state) if state.nonce > allowance.nonce => {
				return Err(RecordError::AllowanceReplayed.into())
			}
			Some(state) if state.nonce == allowance.nonce => {
				ensure!(state.terms == terms, RecordError::AllowanceReplayed);
				state
			}
			// A higher nonce replaces: what still counts of the replaced one carries over.
			replaced => {
				let (carried, carried_until) =
					replaced.and_then(|state| state.carry_over(now)).unwrap_or((0, Zero::zero()));
				AllowanceState {
					nonce: allowance.nonce,
					terms,
					used: 0,
					expires_at: allowance.expires_at,
					carried,
					carried_until,
				}
			}
		};
		state
			.counted_at(now)
			.checked_add(record.calls)
			.filter(|counted| *counted <= allowance.max_calls)
			.ok_or(RecordError::AllowanceExceeded)?;
		state.used.saturating_accrue(record.calls);
		let price =
			T::Services::price_per_call(allowance.service).ok_or(RecordError::UnknownService)?;
		ensure!(price <= allowance.max_price_per_call, RecordError::PriceAboveCap);
		ensure!(price > 0, RecordError::Unpaid);
		let owner = T::Services::owner(allowance.service).ok_or(RecordError::UnknownService)?;
		let tokens = (record.calls as u128).checked_mul(price).ok_or(RecordError::Overflow)?;
		let shares =
			T::Tokens::pay_for_usage(consumer, node, &owner, tokens).map_err(
				|error| match error {
					PaymentError::InsufficientTokens => RecordError::InsufficientTokens,
					PaymentError::Failed(_) => RecordError::PaymentFailed,
				},
			)?;
		Allowances::<T>::insert(consumer, node, state);
		Self::deposit_event(Event::UsageSettled {
			node,
			consumer: consumer.clone(),
			service: allowance.service,
			version: record.version,
			calls: record.calls,
			tokens,
			owner: owner.clone(),
			paid: shares.remainder,
			charity: shares.charity,
			operations: shares.operations,
		});
		let value = [shares.charity, shares.operations, shares.remainder]
			.into_iter()
			.fold(0u128, |total, part| total.saturating_add(part.unique_saturated_into()));
		Ok(Settlement { owner, tokens, value })
	}

	/// Adds paid usage a stranger settled to its receipt from `node`: to the receipt whose
	/// first usage was settled at most [`Config::DisputeWindow`] blocks ago, or else to a new
	/// receipt, which replaces the old one (its usage can no longer be disputed).
	fn note_receipt(
		node: NodeId,
		consumer: &T::AccountId,
		now: BlockNumberFor<T>,
		service: ServiceId,
		calls: u64,
		tokens: u128,
		value: u128,
	) {
		Receipts::<T>::mutate(node, consumer, |receipt| match receipt {
			Some(receipt) if receipt.takes(now, T::DisputeWindow::get()) => {
				receipt.add(now, service, calls, tokens, value)
			}
			_ => {
				*receipt = Some(Receipt {
					since: now,
					settled_at: now,
					service: Some(service),
					calls,
					tokens,
					value,
				})
			}
		});
	}

	/// Revokes `consumer`'s allowances for `node` with a nonce at or below `nonce` (or its
	/// current one), from [`Config::RevokeNotice`] blocks on.
	pub(crate) fn do_revoke(consumer: T::AccountId, node: NodeId, nonce: u64) -> DispatchResult {
		let now = frame_system::Pallet::<T>::block_number();
		let current = Allowances::<T>::get(&consumer, node).map_or(0, |state| state.nonce);
		let nonce = nonce.max(current);
		let in_effect = match Revocations::<T>::get(&consumer, node) {
			Some(earlier) => {
				ensure!(now > earlier.effective_at, Error::<T>::RevocationPending);
				ensure!(nonce > earlier.nonce, Error::<T>::AlreadyRevoked);
				Some(earlier.nonce)
			}
			None => None,
		};
		let effective_at = now.saturating_add(T::RevokeNotice::get());
		Revocations::<T>::insert(&consumer, node, Revocation { nonce, effective_at, in_effect });
		// The tokens held for the node stay held while it may still report.
		T::Tokens::keep_held_until(&consumer, node, effective_at);
		Self::deposit_event(Event::AllowanceRevoked { consumer, node, nonce, effective_at });
		Ok(())
	}

	/// Opens `consumer`'s dispute of its receipt from `node`, holding the deposit.
	pub(crate) fn do_dispute(consumer: T::AccountId, node: NodeId) -> DispatchResult {
		let receipt = Receipts::<T>::get(node, &consumer).ok_or(Error::<T>::NothingToDispute)?;
		let now = frame_system::Pallet::<T>::block_number();
		ensure!(
			now <= receipt.settled_at.saturating_add(T::DisputeWindow::get()),
			Error::<T>::DisputeWindowOver
		);
		ensure!(!Disputes::<T>::contains_key(node, &consumer), Error::<T>::DisputeOpen);
		ensure!(T::Nodes::operator(node).as_ref() != Some(&consumer), Error::<T>::OwnUsage);
		if let Some(service) = receipt.service {
			ensure!(T::Services::owner(service).as_ref() != Some(&consumer), Error::<T>::OwnUsage);
		}
		let deposit = T::DisputeDeposit::get();
		T::Currency::hold(&HoldReason::DisputeDeposit.into(), &consumer, deposit)
			.map_err(|_| Error::<T>::CannotPayDeposit)?;
		Receipts::<T>::remove(node, &consumer);
		Self::deposit_event(Event::UsageDisputed {
			node,
			consumer: consumer.clone(),
			calls: receipt.calls,
			tokens: receipt.tokens,
			value: receipt.value,
			deposit,
		});
		Disputes::<T>::insert(node, consumer, Dispute { receipt, opened_at: now, deposit });
		Ok(())
	}

	/// `by` pays `consumer` back the value of the usage it disputed, closing the dispute: the
	/// node's operator, or the service's current owner if the receipt is one service's.
	pub(crate) fn do_refund(
		by: T::AccountId,
		node: NodeId,
		consumer: T::AccountId,
	) -> DispatchResult {
		let dispute = Disputes::<T>::get(node, &consumer).ok_or(Error::<T>::NoDispute)?;
		let may_refund = T::Nodes::operator(node).as_ref() == Some(&by)
			|| dispute
				.receipt
				.service
				.is_some_and(|service| T::Services::owner(service).as_ref() == Some(&by));
		ensure!(may_refund, Error::<T>::CannotRefundThis);
		let now = frame_system::Pallet::<T>::block_number();
		ensure!(
			now <= dispute.opened_at.saturating_add(T::DisputeWindow::get()),
			Error::<T>::DisputeWindowOver
		);
		let refund: BalanceOf<T> = dispute.receipt.value.unique_saturated_into();
		T::Currency::transfer(&by, &consumer, refund, Preservation::Preserve)
			.map_err(|_| Error::<T>::CannotRefund)?;
		Self::release_deposit(&consumer, dispute.deposit)?;
		Disputes::<T>::remove(node, &consumer);
		Self::deposit_event(Event::UsageRefunded { node, consumer, by, refund });
		Ok(())
	}

	/// Closes a dispute nobody refunded in time: records it against the node alone (the
	/// service's owner may not have chosen the node: placement needs no owner's consent).
	pub(crate) fn do_close(node: NodeId, consumer: T::AccountId) -> DispatchResult {
		let dispute = Disputes::<T>::get(node, &consumer).ok_or(Error::<T>::NoDispute)?;
		let now = frame_system::Pallet::<T>::block_number();
		ensure!(
			now > dispute.opened_at.saturating_add(T::DisputeWindow::get()),
			Error::<T>::DisputeNotOver
		);
		T::Reputation::record(Subject::Node(node), ReputationEvent::Dispute);
		Self::release_deposit(&consumer, dispute.deposit)?;
		Disputes::<T>::remove(node, &consumer);
		Self::deposit_event(Event::DisputeRecorded { node, consumer });
		Ok(())
	}

	/// Returns a dispute deposit to `consumer`.
	fn release_deposit(consumer: &T::AccountId, deposit: BalanceOf<T>) -> DispatchResult {
		T::Currency::release(
			&HoldReason::DisputeDeposit.into(),
			consumer,
			deposit,
			Precision::BestEffort,
		)?;
		Ok(())
	}
}

impl<T: Config> Pallet<T> {
	/// Removes allowance states that can no longer matter at block `now` (the allowance and
	/// every one it replaced have expired), visiting as many as `limit` allows and at most
	/// [`MAX_PRUNE_VISITS`], from where the last sweep stopped. Returns the weight used.
	pub fn prune_expired(now: BlockNumberFor<T>, limit: Weight) -> Weight {
		let base = T::WeightInfo::prune_allowances(0);
		let per_visit = T::WeightInfo::prune_allowances(1).saturating_sub(base);
		let visits = limit
			.checked_sub(&base)
			.and_then(|left| left.checked_div_per_component(&per_visit))
			.unwrap_or(0)
			.min(u64::from(MAX_PRUNE_VISITS)) as u32;
		if visits == 0 {
			return Weight::zero();
		}
		let mut states = match PruneCursor::<T>::take() {
			Some(cursor) => Allowances::<T>::iter_from(cursor.into_inner()),
			None => Allowances::<T>::iter(),
		};
		let (mut visited, mut pruned, mut finished) = (0u32, 0u32, false);
		while visited < visits {
			let Some((consumer, node, state)) = states.next() else {
				finished = true;
				break;
			};
			visited += 1;
			if now > state.last_relevant_block() {
				Allowances::<T>::remove(&consumer, node);
				pruned += 1;
			}
		}
		if !finished {
			// A key too long for the cursor restarts the sweep from the beginning.
			if let Ok(cursor) = states.last_raw_key().to_vec().try_into() {
				PruneCursor::<T>::put::<BoundedVec<u8, ConstU32<256>>>(cursor);
			}
		}
		if pruned > 0 {
			Self::deposit_event(Event::AllowancesPruned { count: pruned });
		}
		T::WeightInfo::prune_allowances(visited)
	}
}

impl<T: Config> Pallet<T> {
	/// Removes receipts past their dispute window at block `now`, visiting as many as `limit`
	/// allows and at most [`MAX_PRUNE_VISITS`], from where the last sweep stopped. Returns the
	/// weight used.
	pub fn prune_receipts(now: BlockNumberFor<T>, limit: Weight) -> Weight {
		let base = T::WeightInfo::prune_receipts(0);
		let per_visit = T::WeightInfo::prune_receipts(1).saturating_sub(base);
		let visits = limit
			.checked_sub(&base)
			.and_then(|left| left.checked_div_per_component(&per_visit))
			.unwrap_or(0)
			.min(u64::from(MAX_PRUNE_VISITS)) as u32;
		if visits == 0 {
			return Weight::zero();
		}
		let mut receipts = match ReceiptCursor::<T>::take() {
			Some(cursor) => Receipts::<T>::iter_from(cursor.into_inner()),
			None => Receipts::<T>::iter(),
		};
		let window = T::DisputeWindow::get();
		let (mut visited, mut pruned, mut finished) = (0u32, 0u32, false);
		while visited < visits {
			let Some((node, consumer, receipt)) = receipts.next() else {
				finished = true;
				break;
			};
			visited += 1;
			if now > receipt.settled_at.saturating_add(window) {
				Receipts::<T>::remove(node, &consumer);
				pruned += 1;
			}
		}
		if !finished {
			if let Ok(cursor) = receipts.last_raw_key().to_vec().try_into() {
				ReceiptCursor::<T>::put::<BoundedVec<u8, ConstU32<256>>>(cursor);
			}
		}
		if pruned > 0 {
			Self::deposit_event(Event::ReceiptsPruned { count: pruned });
		}
		T::WeightInfo::prune_receipts(visited)
	}
}

/// Most allowance states (or receipts) one sweep visits.
pub const MAX_PRUNE_VISITS: u32 = 512;

/// What a settled record paid: to whom, the tokens, and the MICRO they released.
pub(crate) struct Settlement<AccountId> {
	/// The service's owner, who was paid.
	owner: AccountId,
	/// The API tokens charged.
	tokens: u128,
	/// The MICRO the consumer's tokens released, in its smallest unit.
	value: u128,
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
