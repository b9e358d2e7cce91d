//! The contract lifecycle and the result hash chain, as plain logic the pallet calls.
//!
//! - A contract is `Proposed` until every party approves (it is then `Active`), a party
//!   rejects it (`Rejected`), or its deadline passes first (`Lapsed`).
//! - An active contract's result is agreed by the parties: `Fulfilled` and `Cancelled` by all
//!   of them, `Breached(p)` by every party but `p`. It is then recorded once (`Concluded`); an
//!   agreed breach first waits out a dispute window (`BreachPending`, see the pallet's docs).
//!   `Disputed(p)` is never declared: it is what a contested, uncorroborated breach records.
//!   `Expired` is never declared either: a party records it once an active contract's time for
//!   a result ran out ([`expire`]).
//! - Every result is a [`ResultRecord`] carrying the hash of the record before it, so the
//!   chain of results can be checked from its records and its head alone.

use codec::Encode;
use frame_support::pallet_prelude::Get;
use sp_core::H256;

use crate::types::{Contract, ContractId, HistoryEntry, Outcome, ResultRecord, Status};

/// The domain every result record's hash is taken in.
pub const RECORD_CONTEXT: &[u8] = b"micro-network/contract-result/v1";
/// The domain every history entry's hash is taken in.
pub const HISTORY_CONTEXT: &[u8] = b"micro-network/contract-history/v1";

/// Why a step of the lifecycle was refused.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum LifecycleError {
	/// A contract needs at least two parties.
	TooFewParties,
	/// More parties than the runtime allows.
	TooManyParties,
	/// A party is named twice.
	DuplicateParty,
	/// The deadline is already past.
	DeadlineInThePast,
	/// The account is not a party to the contract.
	NotAParty,
	/// This party already approved.
	AlreadyApproved,
	/// The contract is no longer waiting for approvals.
	NotProposed,
	/// Its deadline has passed.
	DeadlinePassed,
	/// Its deadline has not passed yet.
	DeadlineNotPassed,
	/// The contract is not active.
	NotActive,
	/// A breach must name one of the parties.
	BreacherNotAParty,
	/// This result is recorded by the chain, never declared by a party.
	NotDeclarable,
	/// Its time for a result has not run out yet.
	NotExpired,
}

/// A proposed contract, checked.
pub fn propose<AccountId, BlockNumber, ServiceId, MaxParties>(
	parties: sp_runtime::Vec<AccountId>,
	terms: H256,
	service: Option<ServiceId>,
	deadline: BlockNumber,
	now: BlockNumber,
) -> Result<Contract<AccountId, BlockNumber, ServiceId, MaxParties>, LifecycleError>
where
	AccountId: Clone + PartialEq + Eq + core::fmt::Debug,
	BlockNumber: Clone + PartialEq + Eq + PartialOrd + core::fmt::Debug,
	ServiceId: Clone + PartialEq + Eq + core::fmt::Debug,
	MaxParties: Get<u32>,
{
	if parties.len() < 2 {
		return Err(LifecycleError::TooFewParties);
	}
	for (index, party) in parties.iter().enumerate() {
		if parties[..index].contains(party) {
			return Err(LifecycleError::DuplicateParty);
		}
	}
	if deadline < now {
		return Err(LifecycleError::DeadlineInThePast);
	}
	let approvals: sp_runtime::Vec<bool> = parties.iter().map(|_| false).collect();
	Ok(Contract {
		parties: parties.try_into().map_err(|_| LifecycleError::TooManyParties)?,
		approvals: approvals.try_into().map_err(|_| LifecycleError::TooManyParties)?,
		terms,
		service,
		deadline,
		status: Status::Proposed,
		head: H256::zero(),
		entries: 0,
	})
}

/// What a contract's first history entry links to: a hash of what never changes after it is
/// proposed (its id, parties, terms, service and deadline).
pub fn genesis_link<AccountId, BlockNumber, ServiceId, MaxParties>(
	id: ContractId,
	contract: &Contract<AccountId, BlockNumber, ServiceId, MaxParties>,
) -> H256
where
	AccountId: Clone + PartialEq + Eq + core::fmt::Debug + Encode,
	BlockNumber: Clone + PartialEq + Eq + core::fmt::Debug + Encode,
	ServiceId: Clone + PartialEq + Eq + core::fmt::Debug + Encode,
	MaxParties: Get<u32>,
{
	let fixed = (
		HISTORY_CONTEXT,
		id,
		&contract.parties,
		contract.terms,
		&contract.service,
		&contract.deadline,
	);
	H256(sp_io::hashing::blake2_256(&fixed.encode()))
}

/// The hash of a history entry: what the next entry links to.
pub fn entry_hash<AccountId: Encode, BlockNumber: Encode>(
	entry: &HistoryEntry<AccountId, BlockNumber>,
) -> H256 {
	H256(sp_io::hashing::blake2_256(&(HISTORY_CONTEXT, entry).encode()))
}

/// Checks a contract's history, oldest first: each entry must belong to `id`, sit at its
/// position and link to the one before (the first to `genesis`), and the last must hash to
/// `head`. Returns the position of the first entry that does not fit.
pub fn verify_history<AccountId: Encode, BlockNumber: Encode>(
	id: ContractId,
	entries: &[HistoryEntry<AccountId, BlockNumber>],
	genesis: H256,
	head: H256,
) -> Result<(), u32> {
	let mut previous = genesis;
	for (position, entry) in entries.iter().enumerate() {
		if entry.contract != id || entry.seq != position as u32 || entry.previous != previous {
			return Err(position as u32);
		}
		previous = entry_hash(entry);
	}
	if previous == head && !entries.is_empty() {
		Ok(())
	} else {
		Err(entries.len().saturating_sub(1) as u32)
	}
}

fn party_index<AccountId, BlockNumber, ServiceId, MaxParties>(
	contract: &Contract<AccountId, BlockNumber, ServiceId, MaxParties>,
	who: &AccountId,
) -> Result<usize, LifecycleError>
where
	AccountId: Clone + PartialEq + Eq + core::fmt::Debug,
	BlockNumber: Clone + PartialEq + Eq + core::fmt::Debug,
	ServiceId: Clone + PartialEq + Eq + core::fmt::Debug,
	MaxParties: Get<u32>,
{
	contract.parties.iter().position(|p| p == who).ok_or(LifecycleError::NotAParty)
}

fn open_for_approval<AccountId, BlockNumber, ServiceId, MaxParties>(
	contract: &Contract<AccountId, BlockNumber, ServiceId, MaxParties>,
	now: &BlockNumber,
) -> Result<(), LifecycleError>
where
	AccountId: Clone + PartialEq + Eq + core::fmt::Debug,
	BlockNumber: Clone + PartialEq + Eq + PartialOrd + core::fmt::Debug,
	ServiceId: Clone + PartialEq + Eq + core::fmt::Debug,
	MaxParties: Get<u32>,
{
	if contract.status != Status::Proposed {
		return Err(LifecycleError::NotProposed);
	}
	if *now > contract.deadline {
		return Err(LifecycleError::DeadlinePassed);
	}
	Ok(())
}

/// `who` approves; returns whether the contract became active with it.
pub fn approve<AccountId, BlockNumber, ServiceId, MaxParties>(
	contract: &mut Contract<AccountId, BlockNumber, ServiceId, MaxParties>,
	who: &AccountId,
	now: &BlockNumber,
) -> Result<bool, LifecycleError>
where
	AccountId: Clone + PartialEq + Eq + core::fmt::Debug,
	BlockNumber: Clone + PartialEq + Eq + PartialOrd + core::fmt::Debug,
	ServiceId: Clone + PartialEq + Eq + core::fmt::Debug,
	MaxParties: Get<u32>,
{
	open_for_approval(contract, now)?;
	let index = party_index(contract, who)?;
	if contract.approvals[index] {
		return Err(LifecycleError::AlreadyApproved);
	}
	contract.approvals[index] = true;
	let active = contract.approvals.iter().all(|approved| *approved);
	if active {
		contract.status = Status::Active;
	}
	Ok(active)
}

/// `who` rejects the contract before it becomes active.
pub fn reject<AccountId, BlockNumber, ServiceId, MaxParties>(
	contract: &mut Contract<AccountId, BlockNumber, ServiceId, MaxParties>,
	who: &AccountId,
	now: &BlockNumber,
) -> Result<(), LifecycleError>
where
	AccountId: Clone + PartialEq + Eq + core::fmt::Debug,
	BlockNumber: Clone + PartialEq + Eq + PartialOrd + core::fmt::Debug,
	ServiceId: Clone + PartialEq + Eq + core::fmt::Debug,
	MaxParties: Get<u32>,
{
	open_for_approval(contract, now)?;
	party_index(contract, who)?;
	contract.status = Status::Rejected;
	Ok(())
}

/// Marks a contract whose deadline passed before every approval as lapsed.
pub fn lapse<AccountId, BlockNumber, ServiceId, MaxParties>(
	contract: &mut Contract<AccountId, BlockNumber, ServiceId, MaxParties>,
	now: &BlockNumber,
) -> Result<(), LifecycleError>
where
	AccountId: Clone + PartialEq + Eq + core::fmt::Debug,
	BlockNumber: Clone + PartialEq + Eq + PartialOrd + core::fmt::Debug,
	ServiceId: Clone + PartialEq + Eq + core::fmt::Debug,
	MaxParties: Get<u32>,
{
	if contract.status != Status::Proposed {
		return Err(LifecycleError::NotProposed);
	}
	if *now <= contract.deadline {
		return Err(LifecycleError::DeadlineNotPassed);
	}
	contract.status = Status::Lapsed;
	Ok(())
}

/// Whether `who` is one of the parties whose agreement `outcome` needs: all parties for
/// `Fulfilled` and `Cancelled`, all but the breaching one for `Breached`. `Disputed` is never
/// declared.
pub fn must_agree<AccountId, BlockNumber, ServiceId, MaxParties>(
	contract: &Contract<AccountId, BlockNumber, ServiceId, MaxParties>,
	outcome: &Outcome<AccountId>,
	who: &AccountId,
) -> Result<bool, LifecycleError>
where
	AccountId: Clone + PartialEq + Eq + core::fmt::Debug,
	BlockNumber: Clone + PartialEq + Eq + core::fmt::Debug,
	ServiceId: Clone + PartialEq + Eq + core::fmt::Debug,
	MaxParties: Get<u32>,
{
	if contract.status != Status::Active {
		return Err(LifecycleError::NotActive);
	}
	party_index(contract, who)?;
	match outcome {
		Outcome::Breached(breacher) => {
			party_index(contract, breacher).map_err(|_| LifecycleError::BreacherNotAParty)?;
			Ok(breacher != who)
		}
		Outcome::Fulfilled | Outcome::Cancelled => Ok(true),
		Outcome::Disputed(_) | Outcome::Expired => Err(LifecycleError::NotDeclarable),
	}
}

/// Whether party `who` may end `contract` as `Expired` at `now`: it is active and `expires_at`
/// (its deadline plus the runtime's contract life) has passed.
pub fn expire<AccountId, BlockNumber, ServiceId, MaxParties>(
	contract: &Contract<AccountId, BlockNumber, ServiceId, MaxParties>,
	who: &AccountId,
	now: &BlockNumber,
	expires_at: &BlockNumber,
) -> Result<(), LifecycleError>
where
	AccountId: Clone + PartialEq + Eq + core::fmt::Debug,
	BlockNumber: Clone + PartialEq + Eq + PartialOrd + core::fmt::Debug,
	ServiceId: Clone + PartialEq + Eq + core::fmt::Debug,
	MaxParties: Get<u32>,
{
	if contract.status != Status::Active {
		return Err(LifecycleError::NotActive);
	}
	party_index(contract, who)?;
	if *now <= *expires_at {
		return Err(LifecycleError::NotExpired);
	}
	Ok(())
}

/// The hash of a result record: what the next record links to.
pub fn record_hash<AccountId: Encode, BlockNumber: Encode>(
	record: &ResultRecord<AccountId, BlockNumber>,
) -> H256 {
	H256(sp_io::hashing::blake2_256(&(RECORD_CONTEXT, record).encode()))
}

/// Checks a run of consecutive records of the global chain, oldest first, starting at index
/// `first` whose predecessor hashes to `previous` (zero before the first record ever): each
/// must sit at its index and link to the one before, and the last must hash to `head` (pass
/// the chain's head when the run reaches its end, or the hash of the record after it links to).
/// Returns the index of the first record that does not fit.
pub fn verify_chain<AccountId: Encode, BlockNumber: Encode>(
	first: u64,
	records: &[ResultRecord<AccountId, BlockNumber>],
	previous: H256,
	head: H256,
) -> Result<(), u64> {
	let mut previous = previous;
	for (position, record) in records.iter().enumerate() {
		let index = first.saturating_add(position as u64);
		if record.index != index || record.previous != previous {
			return Err(index);
		}
		previous = record_hash(record);
	}
	if previous == head {
		Ok(())
	} else {
		Err(first.saturating_add(records.len().saturating_sub(1) as u64))
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use frame_support::traits::ConstU32;

	type TestContract = Contract<u64, u32, u32, ConstU32<4>>;

	fn proposed() -> TestContract {
		propose(vec![1, 2, 3], H256::repeat_byte(7), Some(9), 100, 10).unwrap()
	}

	#[test]
	fn a_proposal_needs_distinct_parties_within_bounds_and_a_future_deadline() {
		let propose = |parties: Vec<u64>, deadline| {
			propose::<u64, u32, u32, ConstU32<4>>(parties, H256::zero(), None, deadline, 10)
				.map(|_| ())
		};
		assert_eq!(propose(vec![1], 100), Err(LifecycleError::TooFewParties));
		assert_eq!(propose(vec![1, 2, 1], 100), Err(LifecycleError::DuplicateParty));
		assert_eq!(propose(vec![1, 2, 3, 4, 5], 100), Err(LifecycleError::TooManyParties));
		assert_eq!(propose(vec![1, 2], 9), Err(LifecycleError::DeadlineInThePast));
		assert_eq!(propose(vec![1, 2, 3, 4], 10), Ok(()));
	}

	#[test]
	fn every_approval_makes_it_active_and_refused_steps_change_nothing() {
		let mut contract = proposed();
		assert_eq!(approve(&mut contract, &1, &10), Ok(false));
		assert_eq!(approve(&mut contract, &1, &11), Err(LifecycleError::AlreadyApproved));
		assert_eq!(approve(&mut contract, &4, &11), Err(LifecycleError::NotAParty));
		let before = contract.clone();
		assert_eq!(lapse(&mut contract, &100), Err(LifecycleError::DeadlineNotPassed));
		assert_eq!(contract, before);
		assert_eq!(approve(&mut contract, &2, &50), Ok(false));
		assert_eq!(approve(&mut contract, &3, &100), Ok(true), "the deadline block still counts");
		assert_eq!(contract.status, Status::Active);
		assert_eq!(reject(&mut contract, &1, &100), Err(LifecycleError::NotProposed));
		assert_eq!(lapse(&mut contract, &101), Err(LifecycleError::NotProposed));
	}

	#[test]
	fn a_rejection_or_the_deadline_ends_a_proposal() {
		let mut rejected = proposed();
		assert_eq!(reject(&mut rejected, &4, &20), Err(LifecycleError::NotAParty));
		assert_eq!(reject(&mut rejected, &2, &20), Ok(()));
		assert_eq!(rejected.status, Status::Rejected);
		assert_eq!(approve(&mut rejected, &1, &20), Err(LifecycleError::NotProposed));

		let mut late = proposed();
		approve(&mut late, &1, &20).unwrap();
		assert_eq!(approve(&mut late, &2, &101), Err(LifecycleError::DeadlinePassed));
		assert_eq!(reject(&mut late, &2, &101), Err(LifecycleError::DeadlinePassed));
		assert_eq!(lapse(&mut late, &101), Ok(()));
		assert_eq!(late.status, Status::Lapsed);
	}

	#[test]
	fn a_breach_is_agreed_by_everyone_but_the_breacher() {
		let mut contract = proposed();
		assert_eq!(must_agree(&contract, &Outcome::Fulfilled, &1), Err(LifecycleError::NotActive));
		for party in [1, 2, 3] {
			approve(&mut contract, &party, &20).unwrap();
		}
		assert_eq!(must_agree(&contract, &Outcome::Fulfilled, &3), Ok(true));
		assert_eq!(must_agree(&contract, &Outcome::Cancelled, &1), Ok(true));
		assert_eq!(must_agree(&contract, &Outcome::Breached(2), &1), Ok(true));
		assert_eq!(must_agree(&contract, &Outcome::Breached(2), &2), Ok(false));
		assert_eq!(
			must_agree(&contract, &Outcome::Breached(9), &1),
			Err(LifecycleError::BreacherNotAParty)
		);
		assert_eq!(must_agree(&contract, &Outcome::Fulfilled, &9), Err(LifecycleError::NotAParty));
		assert_eq!(
			must_agree(&contract, &Outcome::Disputed(2), &1),
			Err(LifecycleError::NotDeclarable)
		);
		assert_eq!(
			must_agree(&contract, &Outcome::Expired, &1),
			Err(LifecycleError::NotDeclarable)
		);
	}

	#[test]
	fn only_a_party_ends_an_active_contract_once_its_time_ran_out() {
		let mut contract = proposed();
		assert_eq!(expire(&contract, &1, &500, &200), Err(LifecycleError::NotActive));
		for party in [1, 2, 3] {
			approve(&mut contract, &party, &20).unwrap();
		}
		assert_eq!(expire(&contract, &1, &200, &200), Err(LifecycleError::NotExpired));
		assert_eq!(expire(&contract, &9, &201, &200), Err(LifecycleError::NotAParty));
		assert_eq!(expire(&contract, &3, &201, &200), Ok(()));
	}

	fn chain(length: u64) -> (Vec<ResultRecord<u64, u32>>, H256) {
		let mut records = Vec::new();
		let mut head = H256::zero();
		for index in 0..length {
			let outcome =
				if index % 2 == 0 { Outcome::Fulfilled } else { Outcome::Breached(index) };
			let record = ResultRecord {
				index,
				contract: index * 3,
				outcome,
				recorded_at: 5,
				contract_head: H256::repeat_byte(index as u8),
				previous: head,
			};
			head = record_hash(&record);
			records.push(record);
		}
		(records, head)
	}

	#[test]
	fn the_result_chain_verifies_and_any_tampering_is_found() {
		let (records, head) = chain(5);
		let verify =
			|records: &[ResultRecord<u64, u32>]| verify_chain(0, records, H256::zero(), head);
		assert_eq!(verify(&records), Ok(()));
		assert_eq!(verify_chain::<u64, u32>(0, &[], H256::zero(), H256::zero()), Ok(()));
		let after_first = record_hash(&records[0]);
		assert_eq!(verify_chain(1, &records[1..], after_first, head), Ok(()), "a run from 1");

		let mut changed = records.clone();
		changed[2].outcome = Outcome::Cancelled;
		assert_eq!(verify(&changed), Err(3), "the next link no longer fits");
		let mut last_changed = records.clone();
		last_changed[4].recorded_at = 6;
		assert_eq!(verify(&last_changed), Err(4), "the head no longer fits");
		let mut relinked = records.clone();
		relinked[1].contract_head = H256::zero();
		assert_eq!(verify(&relinked), Err(2), "the contract's head is part of the record");
		let mut removed = records.clone();
		removed.remove(1);
		assert_eq!(verify(&removed), Err(1));
		let mut swapped = records.clone();
		swapped.swap(1, 2);
		assert_eq!(verify(&swapped), Err(1));
		assert_eq!(verify(&records[..4]), Err(3), "a cut chain misses the head");
	}
}
