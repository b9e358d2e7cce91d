//! What the calls do: the lifecycle applied to storage, the history and result chains, and the
//! reputation a result moves.

use alloc::vec::Vec;
use frame_support::{
	pallet_prelude::*,
	traits::{fungible::MutateHold, tokens::Precision},
};
use frame_system::pallet_prelude::BlockNumberFor;
use micro_primitives::{
	NodeDirectory, ReputationEvent, ReputationLedger, ServiceDirectory, ServiceId, Subject,
};
use sp_core::H256;
use sp_runtime::traits::{Saturating, Zero};

use crate::{
	lifecycle::{self, LifecycleError},
	Config, ContractEvent, ContractId, ContractOf, Contracts, Declarations, Deposits,
	DepositsHeldUntil, Error, Event, HeldDeposits, History, HistoryEntry, HistoryEntryOf,
	HoldReason, NextContractId, Outcome, OutcomeOf, Pallet, PendingBreach, PendingBreaches,
	ResultCount, ResultHead, ResultRecord, ResultRecordOf, Results, Status,
};

impl<T: Config> From<LifecycleError> for Error<T> {
	fn from(error: LifecycleError) -> Self {
		match error {
			LifecycleError::TooFewParties => Error::TooFewParties,
			LifecycleError::TooManyParties => Error::TooManyParties,
			LifecycleError::DuplicateParty => Error::DuplicateParty,
			LifecycleError::DeadlineInThePast => Error::DeadlineInThePast,
			LifecycleError::NotAParty => Error::NotAParty,
			LifecycleError::AlreadyApproved => Error::AlreadyApproved,
			LifecycleError::NotProposed => Error::NotProposed,
			LifecycleError::DeadlinePassed => Error::DeadlinePassed,
			LifecycleError::DeadlineNotPassed => Error::DeadlineNotPassed,
			LifecycleError::NotActive => Error::NotActive,
			LifecycleError::BreacherNotAParty => Error::BreacherNotAParty,
			LifecycleError::NotDeclarable => Error::NotDeclarable,
			LifecycleError::NotExpired => Error::NotExpired,
		}
	}
}

impl<T: Config> Pallet<T> {
	fn now() -> BlockNumberFor<T> {
		frame_system::Pallet::<T>::block_number()
	}

	fn get(id: ContractId) -> Result<ContractOf<T>, Error<T>> {
		Contracts::<T>::get(id).ok_or(Error::<T>::UnknownContract)
	}

	/// Holds the contract's deposit from `who`, an approving party, within the most deposits
	/// one account may hold.
	fn hold_deposit(id: ContractId, who: &T::AccountId) -> DispatchResult {
		let amount = Deposits::<T>::get(id).unwrap_or_default();
		if !amount.is_zero() {
			let held = HeldDeposits::<T>::get(who).unwrap_or(0);
			ensure!(held < T::MaxHeldPerParty::get(), Error::<T>::TooManyHeld);
			T::Currency::hold(&HoldReason::ContractDeposit.into(), who, amount)
				.map_err(|_| Error::<T>::CannotPayDeposit)?;
			HeldDeposits::<T>::insert(who, held.saturating_add(1));
		}
		Ok(())
	}

	/// A contract ended: its deposits stay held for the dispute window.
	fn hold_after_end(id: ContractId) {
		if !Deposits::<T>::contains_key(id) {
			return;
		}
		let until = Self::now().saturating_add(T::DisputeWindow::get());
		DepositsHeldUntil::<T>::insert(id, until);
		Self::deposit_event(Event::DepositsHeld { contract: id, until });
	}

	/// Gives every approving party of a contract its deposit back.
	fn release_deposits(id: ContractId, contract: &ContractOf<T>) {
		DepositsHeldUntil::<T>::remove(id);
		let Some(amount) = Deposits::<T>::take(id) else { return };
		for (party, approved) in contract.parties.iter().zip(contract.approvals.iter()) {
			if *approved && !amount.is_zero() {
				// Held at its approval, so all of it is there; best effort never fails.
				let _ = T::Currency::release(
					&HoldReason::ContractDeposit.into(),
					party,
					amount,
					Precision::BestEffort,
				);
				HeldDeposits::<T>::mutate_exists(party, |held| {
					*held = held.and_then(|held| held.checked_sub(1)).filter(|held| *held > 0);
				});
			}
		}
		Self::deposit_event(Event::DepositsReleased { contract: id, amount });
	}

	/// Releases an ended contract's deposits once the dispute window after its end passed.
	pub(crate) fn do_release_deposit(id: ContractId) -> DispatchResult {
		let contract = Self::get(id)?;
		ensure!(Deposits::<T>::contains_key(id), Error::<T>::NoDepositHeld);
		let until = DepositsHeldUntil::<T>::get(id).ok_or(Error::<T>::DepositsStillHeld)?;
		ensure!(Self::now() > until, Error::<T>::DepositsStillHeld);
		Self::release_deposits(id, &contract);
		Ok(())
	}

	/// Appends `event` to `contract`'s history, linking it to the entry before.
	fn append(id: ContractId, contract: &mut ContractOf<T>, event: ContractEvent<T::AccountId>) {
		let previous = if contract.entries == 0 {
			lifecycle::genesis_link(id, contract)
		} else {
			contract.head
		};
		let entry =
			HistoryEntry { contract: id, seq: contract.entries, event, at: Self::now(), previous };
		contract.head = lifecycle::entry_hash(&entry);
		History::<T>::insert(id, contract.entries, entry);
		contract.entries = contract.entries.saturating_add(1);
	}

	pub(crate) fn do_propose(
		who: T::AccountId,
		parties: Vec<T::AccountId>,
		terms: H256,
		service: Option<ServiceId>,
		deadline: BlockNumberFor<T>,
	) -> DispatchResult {
		ensure!(parties.contains(&who), Error::<T>::ProposerNotAParty);
		if let Some(service) = service {
			ensure!(T::Services::owner(service).is_some(), Error::<T>::UnknownService);
		}
		let now = Self::now();
		ensure!(
			deadline <= now.saturating_add(T::MaxContractLife::get()),
			Error::<T>::DeadlineTooFar
		);
		let mut contract =
			lifecycle::propose::<_, _, _, T::MaxParties>(parties, terms, service, deadline, now)
				.map_err(Error::<T>::from)?;
		let id = NextContractId::<T>::get();
		lifecycle::approve(&mut contract, &who, &now).map_err(Error::<T>::from)?;
		Deposits::<T>::insert(id, T::ContractDeposit::get());
		Self::hold_deposit(id, &who)?;
		Self::append(id, &mut contract, ContractEvent::Proposed(who.clone()));
		let parties = contract.parties.clone();
		Contracts::<T>::insert(id, contract);
		NextContractId::<T>::put(id.saturating_add(1));
		Self::deposit_event(Event::Proposed {
			contract: id,
			proposer: who,
			parties,
			terms,
			service,
			deadline,
		});
		Ok(())
	}

	pub(crate) fn do_approve(who: T::AccountId, id: ContractId) -> DispatchResult {
		let mut contract = Self::get(id)?;
		let active =
			lifecycle::approve(&mut contract, &who, &Self::now()).map_err(Error::<T>::from)?;
		Self::hold_deposit(id, &who)?;
		Self::append(id, &mut contract, ContractEvent::Approved(who.clone()));
		Contracts::<T>::insert(id, contract);
		Self::deposit_event(Event::Approved { contract: id, party: who });
		if active {
			Self::deposit_event(Event::Activated { contract: id });
		}
		Ok(())
	}

	pub(crate) fn do_reject(who: T::AccountId, id: ContractId) -> DispatchResult {
		let mut contract = Self::get(id)?;
		lifecycle::reject(&mut contract, &who, &Self::now()).map_err(Error::<T>::from)?;
		Self::append(id, &mut contract, ContractEvent::Rejected(who.clone()));
		Self::hold_after_end(id);
		Contracts::<T>::insert(id, contract);
		Self::deposit_event(Event::Rejected { contract: id, party: who });
		Ok(())
	}

	pub(crate) fn do_lapse(id: ContractId) -> DispatchResult {
		let mut contract = Self::get(id)?;
		lifecycle::lapse(&mut contract, &Self::now()).map_err(Error::<T>::from)?;
		Self::append(id, &mut contract, ContractEvent::Lapsed);
		Self::hold_after_end(id);
		Contracts::<T>::insert(id, contract);
		Self::deposit_event(Event::Lapsed { contract: id });
		Ok(())
	}

	pub(crate) fn do_declare_result(
		who: T::AccountId,
		id: ContractId,
		outcome: OutcomeOf<T>,
	) -> DispatchResult {
		let mut contract = Self::get(id)?;
		let needed = lifecycle::must_agree(&contract, &outcome, &who).map_err(Error::<T>::from)?;
		ensure!(needed, Error::<T>::BreacherCannotDeclare);
		let position =
			contract.parties.iter().position(|party| *party == who).ok_or(Error::<T>::NotAParty)?;
		let mut declared = Declarations::<T>::get(id).unwrap_or_else(|| {
			contract.parties.iter().map(|_| None).collect::<Vec<_>>().try_into().unwrap_or_default()
		});
		let slot = declared.get_mut(position).ok_or(Error::<T>::NotAParty)?;
		ensure!(slot.as_ref() != Some(&outcome), Error::<T>::AlreadyDeclared);
		*slot = Some(outcome.clone());
		Self::deposit_event(Event::ResultDeclared {
			contract: id,
			party: who,
			outcome: outcome.clone(),
		});

		let agreed = contract.parties.iter().zip(declared.iter()).all(|(party, declared)| {
			!matches!(lifecycle::must_agree(&contract, &outcome, party), Ok(true))
				|| declared.as_ref() == Some(&outcome)
		});
		if !agreed {
			Declarations::<T>::insert(id, declared);
			return Ok(());
		}
		Declarations::<T>::remove(id);
		match outcome {
			Outcome::Breached(breacher) => Self::open_dispute_window(id, &mut contract, breacher),
			outcome => {
				Self::record_result(id, &mut contract, outcome);
				Self::hold_after_end(id);
			}
		}
		Ok(())
	}

	/// The last block of an active contract's time for a result: its deadline plus
	/// [`Config::MaxContractLife`]. After it any party may end it as `Expired`.
	pub fn expires_at(contract: &ContractOf<T>) -> BlockNumberFor<T> {
		contract.deadline.saturating_add(T::MaxContractLife::get())
	}

	/// A party ends an active contract whose time for a result ran out: `Expired` is recorded
	/// (nothing against anyone), the declarations so far are dropped, and the deposits are held
	/// for the dispute window like after any other end.
	pub(crate) fn do_expire(who: T::AccountId, id: ContractId) -> DispatchResult {
		let mut contract = Self::get(id)?;
		lifecycle::expire(&contract, &who, &Self::now(), &Self::expires_at(&contract))
			.map_err(Error::<T>::from)?;
		Declarations::<T>::remove(id);
		Self::record_result(id, &mut contract, Outcome::Expired);
		Self::hold_after_end(id);
		Ok(())
	}

	/// An agreed breach waits [`Config::DisputeWindow`] blocks for its breacher to contest it.
	fn open_dispute_window(id: ContractId, contract: &mut ContractOf<T>, breacher: T::AccountId) {
		let ends = Self::now().saturating_add(T::DisputeWindow::get());
		contract.status = Status::BreachPending;
		Self::append(id, contract, ContractEvent::BreachPending(breacher.clone()));
		Contracts::<T>::insert(id, &*contract);
		PendingBreaches::<T>::insert(id, PendingBreach { breacher: breacher.clone(), ends });
		Self::deposit_event(Event::BreachPending { contract: id, breacher, ends });
	}

	/// The accused contests a pending breach: it loses the dispute if two or more parties
	/// agreed the breach, and otherwise the contract ends `Disputed` with nothing recorded.
	pub(crate) fn do_contest_breach(who: T::AccountId, id: ContractId) -> DispatchResult {
		let mut contract = Self::get(id)?;
		let pending = PendingBreaches::<T>::get(id).ok_or(Error::<T>::NoPendingBreach)?;
		ensure!(who == pending.breacher, Error::<T>::NotTheAccused);
		ensure!(Self::now() <= pending.ends, Error::<T>::DisputeWindowClosed);
		PendingBreaches::<T>::remove(id);
		Self::append(id, &mut contract, ContractEvent::Contested(who.clone()));
		Self::deposit_event(Event::BreachContested { contract: id, breacher: who.clone() });
		let accusers = contract.parties.len().saturating_sub(1);
		if accusers >= 2 {
			Self::record_result(id, &mut contract, Outcome::Breached(who.clone()));
			for subject in Self::subjects_of(&who, contract.service) {
				T::Reputation::record(subject, ReputationEvent::Dispute);
			}
		} else {
			Self::record_result(id, &mut contract, Outcome::Disputed(who));
		}
		// The dispute is resolved: nothing is left to contest.
		Self::release_deposits(id, &contract);
		Ok(())
	}

	/// Records a pending breach nobody contested within its window.
	pub(crate) fn do_confirm_breach(id: ContractId) -> DispatchResult {
		let mut contract = Self::get(id)?;
		let pending = PendingBreaches::<T>::get(id).ok_or(Error::<T>::NoPendingBreach)?;
		ensure!(Self::now() > pending.ends, Error::<T>::DisputeWindowOpen);
		PendingBreaches::<T>::remove(id);
		Self::record_result(id, &mut contract, Outcome::Breached(pending.breacher));
		// The window ran without a contest: nothing is left to contest.
		Self::release_deposits(id, &contract);
		Ok(())
	}

	/// Writes the result into the global chain and the contract's history, concludes the
	/// contract and moves the parties' reputation.
	fn record_result(id: ContractId, contract: &mut ContractOf<T>, outcome: OutcomeOf<T>) {
		let index = ResultCount::<T>::get();
		let record = ResultRecord {
			index,
			contract: id,
			outcome: outcome.clone(),
			recorded_at: Self::now(),
			contract_head: contract.head,
			previous: ResultHead::<T>::get(),
		};
		let hash = lifecycle::record_hash(&record);
		Results::<T>::insert(index, record);
		ResultHead::<T>::put(hash);
		ResultCount::<T>::put(index.saturating_add(1));
		contract.status = Status::Concluded;
		Self::append(id, contract, ContractEvent::Concluded(index));
		Contracts::<T>::insert(id, &*contract);
		Self::feed_reputation(contract, &outcome);
		Self::deposit_event(Event::ResultRecorded { contract: id, index, outcome, hash });
	}

	/// The nodes and service a party's contract reputation is recorded against.
	pub fn subjects_of(party: &T::AccountId, service: Option<ServiceId>) -> Vec<Subject> {
		let mut subjects: Vec<Subject> = T::Nodes::nodes_of(party)
			.into_iter()
			.take(T::MaxSubjectsPerParty::get() as usize)
			.map(Subject::Node)
			.collect();
		if let Some(service) = service {
			if T::Services::owner(service).as_ref() == Some(party) {
				subjects.push(Subject::Service(service));
			}
		}
		subjects
	}

	fn feed_reputation(contract: &ContractOf<T>, outcome: &OutcomeOf<T>) {
		let (parties, event): (Vec<&T::AccountId>, _) = match outcome {
			Outcome::Fulfilled => {
				(contract.parties.iter().collect(), ReputationEvent::ContractFulfilled)
			}
			Outcome::Breached(breacher) => {
				(alloc::vec![breacher], ReputationEvent::ContractBreached)
			}
			Outcome::Cancelled | Outcome::Disputed(_) | Outcome::Expired => return,
		};
		for party in parties {
			for subject in Self::subjects_of(party, contract.service) {
				T::Reputation::record(subject, event);
			}
		}
	}

	/// A contract's history, oldest first.
	pub fn history_of(id: ContractId) -> Vec<HistoryEntryOf<T>> {
		let entries = Contracts::<T>::get(id).map_or(0, |contract| contract.entries);
		(0..entries).filter_map(|seq| History::<T>::get(id, seq)).collect()
	}

	/// Whether a contract's stored history links up from its terms to its head.
	pub fn history_verifies(id: ContractId) -> bool {
		let Some(contract) = Contracts::<T>::get(id) else { return false };
		let entries = Self::history_of(id);
		entries.len() == contract.entries as usize
			&& lifecycle::verify_history(
				id,
				&entries,
				lifecycle::genesis_link(id, &contract),
				contract.head,
			)
			.is_ok()
	}

	/// Up to `max` recorded results from index `from`.
	pub fn results_from(from: u64, max: u32) -> Vec<ResultRecordOf<T>> {
		let end = ResultCount::<T>::get().min(from.saturating_add(max.into()));
		(from..end).filter_map(Results::<T>::get).collect()
	}

	/// Checks up to `max` stored results from `from` (see the `verify_results` view function).
	pub fn results_verify(from: u64, max: u32) -> Result<(), u64> {
		let count = ResultCount::<T>::get();
		let end = count.min(from.saturating_add(max.into()));
		let mut records = Vec::new();
		for index in from..end {
			records.push(Results::<T>::get(index).ok_or(index)?);
		}
		let previous = match from.checked_sub(1) {
			None => H256::zero(),
			Some(before) => lifecycle::record_hash(&Results::<T>::get(before).ok_or(before)?),
		};
		let head = if end == count {
			ResultHead::<T>::get()
		} else {
			Results::<T>::get(end).ok_or(end)?.previous
		};
		lifecycle::verify_chain(from, &records, previous, head)
	}
}
