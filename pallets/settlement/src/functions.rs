//! Checking reports and settling their records.

use alloc::{
	collections::{BTreeMap, BTreeSet},
	vec::Vec,
};
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
	NodeDirectory, NodeId, NodeSignature, ProfitShares, ReputationEvent, ReputationLedger,
	ServiceDirectory, ServiceId, Subject, UsagePayments, VersionNumber, USAGE_ALLOWANCE_CONTEXT,
	USAGE_REPORT_CONTEXT,
};
use sp_runtime::{
	traits::{Convert, Saturating, UniqueSaturatedInto, Zero},
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

	/// The fee of an unsigned report of `weight`, with `rejected` records rejected: what a
	/// signed transaction of the same weight and length would pay, plus the surcharge for each
	/// rejected record.
	pub fn report_fee(weight: Weight, rejected: u32, len: u32) -> BalanceOf<T> {
		let surcharge = T::RejectedRecordFee::get().saturating_mul(rejected.into());
		T::ReportFee::convert((weight, len)).saturating_add(surcharge)
	}

	/// The weight `report` may take, before it is settled: each record, each of its distinct
	/// consumers, and a signature to verify for every record (none may have been verified
	/// before). [`Pallet::submit_usage`] returns what it really took.
	pub fn report_weight(report: &ReportOf<T>) -> Weight {
		let records = report.records.len() as u32;
		let consumers = report
			.records
			.iter()
			.map(|record| &record.allowance.consumer)
			.collect::<BTreeSet<_>>()
			.len() as u32;
		T::WeightInfo::submit_usage(records, consumers, records)
	}

	/// Whether the node's operator can pay the fee of `report` if every record were rejected.
	pub(crate) fn can_pay_fee(report: &ReportOf<T>, signature: &NodeSignature) -> bool {
		let Some(operator) = T::Nodes::operator(report.node) else { return false };
		let records = report.records.len() as u32;
		let worst = Self::report_fee(
			Self::report_weight(report),
			records,
			Self::report_len(report, signature),
		);
		T::Currency::reducible_balance(&operator, Preservation::Preserve, Fortitude::Polite)
			>= worst
	}

	/// Settles a checked report submitted without an account: takes the worst-case fee from
	/// the node's operator first, settles, then keeps the fee for the weight the report really
	/// took and what was rejected, and gives the rest back. Returns that weight.
	pub(crate) fn settle_paying_fee(
		report: ReportOf<T>,
		signature: &NodeSignature,
	) -> Result<Weight, DispatchError> {
		let node = report.node;
		let operator = T::Nodes::operator(node).ok_or(Error::<T>::UnknownNode)?;
		let records = report.records.len() as u32;
		let len = Self::report_len(&report, signature);
		let held = T::Currency::withdraw(
			&operator,
			Self::report_fee(Self::report_weight(&report), records, len),
			Precision::Exact,
			Preservation::Preserve,
			Fortitude::Polite,
		)
		.map_err(|_| Error::<T>::CannotPayFee)?;
		let settled = Self::settle(report, Some(operator.clone()));
		let weight = settled.weight::<T>();
		let fee = Self::report_fee(weight, settled.rejected, len);
		let (due, refund) = held.split(fee);
		if let Err(unplaced) = T::Currency::resolve(&operator, refund) {
			// The operator's account cannot take it back (it cannot happen: it was preserved):
			// it goes with the fee rather than vanish.
			T::OnReportFee::on_unbalanced(unplaced);
		}
		let fee = due.peek();
		T::OnReportFee::on_unbalanced(due);
		Self::deposit_event(Event::ReportFeePaid { node, operator, fee });
		Ok(weight)
	}

	/// Settles every record of a checked report, one consumer at a time (its records in the
	/// report's order, the consumers in the order they first appear: every record is settled
	/// or rejected, none dropped). `operator` is the node's operator, read once by the caller.
	/// Returns what was done: the actual weight's components.
	pub(crate) fn settle(report: ReportOf<T>, operator: Option<T::AccountId>) -> Settled {
		let now = frame_system::Pallet::<T>::block_number();
		let genesis = Self::genesis_hash();
		let node = report.node;
		let mut done = Settled { records: report.records.len() as u32, ..Default::default() };
		// Each consumer's records, by their index in the report.
		let mut consumers: Vec<(&T::AccountId, Vec<u32>)> = Vec::new();
		let mut position: BTreeMap<&T::AccountId, usize> = BTreeMap::new();
		for (index, record) in report.records.iter().enumerate() {
			let consumer = &record.allowance.consumer;
			let at = *position.entry(consumer).or_insert_with(|| {
				consumers.push((consumer, Vec::new()));
				consumers.len() - 1
			});
			consumers[at].1.push(index as u32);
		}
		let mut report_state = ReportState::<T> {
			node,
			now,
			genesis,
			operator,
			services: BTreeMap::new(),
			serving: BTreeMap::new(),
			paid_by_service: BTreeMap::new(),
			shares: Vec::new(),
			nodes_fault: false,
		};
		done.consumers = consumers.len() as u32;
		for (consumer, indices) in &consumers {
			Self::settle_consumer(&mut report_state, &mut done, consumer, &report.records, indices);
		}
		// The charity's and operations' shares of every payment, paid together.
		T::Tokens::pay_shares(&report_state.shares);
		let (mut node_calls, mut node_value) = (0u64, 0u128);
		for (service, (calls, value)) in report_state.paid_by_service {
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
		if report_state.nodes_fault {
			T::Reputation::record(Subject::Node(node), ReputationEvent::FailedSettlement);
		}
		LastReport::<T>::insert(node, (report.sequence, now));
		Self::deposit_event(Event::ReportSettled {
			node,
			sequence: report.sequence,
			settled: done.settled,
			rejected: done.rejected,
		});
		done
	}

	/// Settles one consumer's records: reads its allowance state, revocation and spendable
	/// tokens once, checks each record against them, then pays for the records that passed
	/// together, one payment (and one [`Event::UsageSettled`]) per service. If a payment
	/// fails, none of its records is settled.
	fn settle_consumer(
		report: &mut ReportState<T>,
		done: &mut Settled,
		consumer: &T::AccountId,
		records: &[RecordOf<T>],
		indices: &[u32],
	) {
		let node = report.node;
		let mut consumer_state = ConsumerState {
			revocation: Revocations::<T>::get(consumer, node),
			allowance: Allowances::<T>::get(consumer, node),
			spendable: T::Tokens::spendable(consumer, node),
			last_allowance: None,
		};
		let stored = consumer_state.allowance.clone();
		let mut payments: Vec<Payment<T::AccountId>> = Vec::new();
		let mut accepted: Vec<u32> = Vec::new();
		for &index in indices {
			let record = &records[index as usize];
			match Self::check_record(report, &mut consumer_state, &mut done.verified, record) {
				Ok((owner, tokens)) => {
					accepted.push(index);
					let service = record.allowance.service;
					match payments.iter_mut().find(|payment| payment.service == service) {
						Some(payment) => {
							payment.version = record.version;
							payment.calls.saturating_accrue(record.calls);
							payment.tokens.saturating_accrue(tokens);
						}
						None => payments.push(Payment {
							service,
							version: record.version,
							owner,
							calls: record.calls,
							tokens,
						}),
					}
				}
				Err(reason) => Self::reject(report, done, index, consumer, reason),
			}
		}
		if payments.is_empty() {
			return;
		}
		let paid = with_storage_layer(|| {
			payments
				.iter()
				.map(|payment| {
					T::Tokens::pay_for_usage_keeping_shares(
						consumer,
						node,
						&payment.owner,
						payment.tokens,
					)
					.map_err(|_| DispatchError::Other("the payment failed"))
				})
				.collect::<Result<Vec<_>, DispatchError>>()
		});
		let Ok(shares) = paid else {
			for index in accepted {
				Self::reject(report, done, index, consumer, RecordError::PaymentFailed);
			}
			return;
		};
		done.settled.saturating_accrue(accepted.len() as u32);
		report.shares.extend_from_slice(&shares);
		if consumer_state.allowance != stored {
			if let Some(state) = consumer_state.allowance {
				Allowances::<T>::insert(consumer, node, state);
			}
		}
		for (payment, shares) in payments.into_iter().zip(shares) {
			Self::deposit_event(Event::UsageSettled {
				node,
				consumer: consumer.clone(),
				service: payment.service,
				version: payment.version,
				calls: payment.calls,
				tokens: payment.tokens,
				owner: payment.owner.clone(),
				paid: shares.remainder,
				charity: shares.charity,
				operations: shares.operations,
			});
			let value = [shares.charity, shares.operations, shares.remainder]
				.into_iter()
				.fold(0u128, |total, part| total.saturating_add(part.unique_saturated_into()));
			let by_stranger = *consumer != payment.owner
				&& report.operator.as_ref().is_none_or(|operator| consumer != operator);
			if by_stranger && value > 0 {
				let (calls, total) = report.paid_by_service.entry(payment.service).or_default();
				calls.saturating_accrue(payment.calls);
				total.saturating_accrue(value);
				Self::note_receipt(
					node,
					consumer,
					report.now,
					payment.service,
					payment.calls,
					payment.tokens,
					value,
				);
			}
		}
	}

	/// Records that record `index` was rejected for `reason`.
	fn reject(
		report: &mut ReportState<T>,
		done: &mut Settled,
		index: u32,
		consumer: &T::AccountId,
		reason: RecordError,
	) {
		done.rejected += 1;
		report.nodes_fault |= reason.is_nodes_fault();
		Self::deposit_event(Event::RecordRejected {
			node: report.node,
			index,
			consumer: consumer.clone(),
			reason,
		});
	}

	/// Checks one record against its consumer's state and, if it passes, counts its calls
	/// against the allowance and its tokens against what the consumer can spend. Returns the
	/// service's owner and the tokens to pay.
	///
	/// The consumer's signature is verified only for an allowance the chain has not settled
	/// under yet: one whose nonce and terms hash (blake2-256 of its whole encoding) are the
	/// consumer's current allowance state's was verified when that state was stored, so the
	/// record's signature need not be checked again (it adds nothing the consumer did not sign).
	/// Likewise an allowance equal to the one the consumer's previous record carried, if that
	/// one's signature was verified in this report; and its terms hash is not computed again.
	fn check_record(
		report: &mut ReportState<T>,
		consumer_state: &mut ConsumerState<T>,
		verified: &mut u32,
		record: &RecordOf<T>,
	) -> Result<(T::AccountId, u128), RecordError> {
		let (node, now) = (report.node, report.now);
		let allowance = &record.allowance;
		let consumer = &allowance.consumer;
		ensure!(record.calls > 0, RecordError::ZeroCalls);
		ensure!(allowance.node == node, RecordError::WrongNode);
		let last = match &mut consumer_state.last_allowance {
			Some(last) if last.allowance == *allowance => last,
			slot => slot.insert(LastAllowance {
				terms: sp_io::hashing::blake2_256(&allowance.encode()),
				allowance: allowance.clone(),
				verified: false,
			}),
		};
		let terms = last.terms;
		let known = last.verified
			|| consumer_state
				.allowance
				.as_ref()
				.is_some_and(|state| state.nonce == allowance.nonce && state.terms == terms);
		if !known {
			verified.saturating_inc();
			let payload = Self::allowance_payload_on(report.genesis, allowance);
			ensure!(
				micro_primitives::verify_raw_or_wrapped(&record.signature, &payload[..], consumer),
				RecordError::BadSignature
			);
			last.verified = true;
		}
		ensure!(now <= allowance.expires_at, RecordError::AllowanceExpired);
		ensure!(
			!consumer_state
				.revocation
				.as_ref()
				.is_some_and(|revocation| revocation.revokes(allowance.nonce, now)),
			RecordError::Revoked
		);
		let serving = *report
			.serving
			.entry((allowance.service, record.version))
			.or_insert_with(|| T::Services::ran_recently(node, allowance.service, record.version));
		ensure!(serving, RecordError::NotServing);
		let mut state = match &consumer_state.allowance {
			Some(state) if state.nonce > allowance.nonce => {
				return Err(RecordError::AllowanceReplayed)
			}
			Some(state) if state.nonce == allowance.nonce => {
				ensure!(state.terms == terms, RecordError::AllowanceReplayed);
				state.clone()
			}
			// A higher nonce replaces: what still counts of the replaced one carries over.
			replaced => {
				let (carried, carried_until) = replaced
					.as_ref()
					.and_then(|state| state.carry_over(now))
					.unwrap_or((0, Zero::zero()));
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
		let service = report
			.services
			.entry(allowance.service)
			.or_insert_with(|| ServiceTerms { price: None, owner: None });
		let price = *service
			.price
			.get_or_insert_with(|| T::Services::price_per_call(allowance.service))
			.as_ref()
			.ok_or(RecordError::UnknownService)?;
		ensure!(price <= allowance.max_price_per_call, RecordError::PriceAboveCap);
		ensure!(price > 0, RecordError::Unpaid);
		let owner = service
			.owner
			.get_or_insert_with(|| T::Services::owner(allowance.service))
			.clone()
			.ok_or(RecordError::UnknownService)?;
		let tokens = (record.calls as u128).checked_mul(price).ok_or(RecordError::Overflow)?;
		ensure!(tokens <= consumer_state.spendable, RecordError::InsufficientTokens);
		consumer_state.spendable -= tokens;
		consumer_state.allowance = Some(state);
		Ok((owner, tokens))
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

/// What settling a report did: the components of the weight it took.
#[derive(Default, Clone, Copy, PartialEq, Eq, Debug)]
pub struct Settled {
	/// The report's records.
	pub records: u32,
	/// Its distinct consumers.
	pub consumers: u32,
	/// The consumers' signatures verified: the records whose allowance was not the consumer's
	/// current one already.
	pub verified: u32,
	/// The records settled.
	pub settled: u32,
	/// The records rejected.
	pub rejected: u32,
}

impl Settled {
	/// The weight of what was done.
	pub fn weight<T: Config>(&self) -> Weight {
		T::WeightInfo::submit_usage(self.records, self.consumers, self.verified)
	}
}

/// The balance the consumers' tokens release.
type TokenBalanceOf<T> = <<T as Config>::Tokens as UsagePayments<
	<T as frame_system::Config>::AccountId,
	BlockNumberFor<T>,
>>::Balance;

/// What one report's settlement remembers across its consumers.
struct ReportState<T: Config> {
	node: NodeId,
	now: BlockNumberFor<T>,
	genesis: T::Hash,
	operator: Option<T::AccountId>,
	/// Each service's price and owner, read once.
	services: BTreeMap<ServiceId, ServiceTerms<T::AccountId>>,
	/// Whether the node ran each version of each service lately, read once.
	serving: BTreeMap<(ServiceId, VersionNumber), bool>,
	/// Paid calls by strangers, and their value, per service.
	paid_by_service: BTreeMap<ServiceId, (u64, u128)>,
	/// The shares of the payments made, whose charity and operations parts are paid at the
	/// end of the report, together.
	shares: Vec<ProfitShares<TokenBalanceOf<T>>>,
	/// Whether a record the node should have refused was reported.
	nodes_fault: bool,
}

/// A service's price and owner, each read when first needed.
struct ServiceTerms<AccountId> {
	price: Option<Option<u128>>,
	owner: Option<Option<AccountId>>,
}

/// What one consumer's records are checked against, read once per report.
struct ConsumerState<T: Config> {
	revocation: Option<Revocation<BlockNumberFor<T>>>,
	/// The current allowance state, with the records checked so far counted.
	allowance: Option<AllowanceState<BlockNumberFor<T>>>,
	/// Tokens the consumer can still spend on this report.
	spendable: u128,
	/// The allowance of the consumer's previous record, so a run of records under one
	/// allowance hashes (and verifies) it once.
	last_allowance: Option<LastAllowance<T>>,
}

/// An allowance checked for the previous record, with its terms hash.
struct LastAllowance<T: Config> {
	allowance: AllowanceOf<T>,
	terms: [u8; 32],
	/// Whether its signature was verified (and valid) in this report.
	verified: bool,
}

/// One payment of a consumer's records of one service.
struct Payment<AccountId> {
	service: ServiceId,
	/// The version of the last of its records.
	version: VersionNumber,
	owner: AccountId,
	calls: u64,
	tokens: u128,
}
