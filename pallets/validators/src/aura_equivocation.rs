//! Aura equivocations: a validator that seals two different blocks for one slot.
//!
//! FRAME has no Aura offence (BABE and GRANDPA have theirs). A report carries the two headers
//! and a key-ownership proof for the session they were sealed in; the chain checks that both
//! headers claim the same slot, differ, are sealed by the offender's Aura key and build on
//! blocks of this chain (not another chain where the same key seals blocks), and that the key
//! was a validator's, then reports the offence to pallet-offences, which hands it back to
//! this pallet's offence handler (a slash and removal, as for GRANDPA). Nodes find such pairs
//! among the blocks they import, ask the runtime for the key-ownership proof
//! (`AuraEquivocationApi`) and put the report in their own pool.

use codec::Codec;
use frame_support::traits::KeyOwnerProofSystem;
use frame_support::{pallet_prelude::TransactionValidityWithRefund, traits::Get, weights::Weight};
use sp_consensus_aura::digests::CompatibleDigestItem;
use sp_consensus_slots::{EquivocationProof, Slot};
use sp_runtime::traits::Saturating;
use sp_runtime::{
	traits::{Header as HeaderT, One, Zero},
	transaction_validity::{
		InvalidTransaction, TransactionPriority, TransactionSource, ValidTransaction,
	},
	DispatchError, Perbill, RuntimeAppPublic,
};
use sp_session::MembershipProof;
use sp_staking::{
	offence::{Kind, Offence, ReportOffence},
	SessionIndex,
};

use crate::pallet::*;

/// A report's proof: the offender's Aura key, the slot, and the two headers it sealed for it.
pub type AuraEquivocationProof<T> =
	EquivocationProof<frame_system::pallet_prelude::HeaderFor<T>, <T as Config>::AuraId>;

/// The offence: sealing two blocks for one slot.
pub struct AuraEquivocationOffence<Offender> {
	/// The slot both blocks claim.
	pub slot: Slot,
	/// The session whose key-ownership proof names the offender.
	pub session_index: SessionIndex,
	/// How many validators that session had.
	pub validator_set_count: u32,
	/// Who sealed both.
	pub offender: Offender,
}

impl<Offender: Clone> Offence<Offender> for AuraEquivocationOffence<Offender> {
	const ID: Kind = *b"aura:equivocatio";
	type Slot = Slot;

	fn offenders(&self) -> alloc::vec::Vec<Offender> {
		alloc::vec![self.offender.clone()]
	}

	fn session_index(&self) -> SessionIndex {
		self.session_index
	}

	fn validator_set_count(&self) -> u32 {
		self.validator_set_count
	}

	fn slot(&self) -> Slot {
		self.slot
	}

	/// As for GRANDPA's and BABE's equivocations: `min((3k / n)², 1)` for `k` offenders of `n`
	/// validators, so a lone mistake costs little and a coordinated attack everything.
	fn slash_fraction(&self, offenders_count: u32) -> Perbill {
		Perbill::from_rational(3 * offenders_count, self.validator_set_count.max(1)).square()
	}
}

/// The hash `header` was sealed over, if its seal is `offender`'s signature over it and its
/// pre-digest claims `slot`.
fn sealed_pre_hash<H, Id>(header: &H, slot: Slot, offender: &Id) -> Option<H::Hash>
where
	H: HeaderT,
	Id: RuntimeAppPublic,
	Id::Signature: Codec,
{
	let mut header = header.clone();
	let seal = header.digest_mut().pop()?;
	let signature =
		<sp_runtime::DigestItem as CompatibleDigestItem<Id::Signature>>::as_aura_seal(&seal)?;
	let mut claims = header.digest().logs().iter().filter_map(|item| {
		<sp_runtime::DigestItem as CompatibleDigestItem<Id::Signature>>::as_aura_pre_digest(item)
	});
	let claimed = claims.next()?;
	if claimed != slot || claims.next().is_some() {
		return None;
	}
	let pre_hash = header.hash();
	offender.verify(&pre_hash.as_ref(), &signature).then_some(pre_hash)
}

/// Whether `proof` shows its offender sealing two different blocks for its slot.
pub fn check_equivocation_proof<H, Id>(proof: &EquivocationProof<H, Id>) -> bool
where
	H: HeaderT,
	Id: RuntimeAppPublic,
	Id::Signature: Codec,
{
	let first = sealed_pre_hash(&proof.first_header, proof.slot, &proof.offender);
	let second = sealed_pre_hash(&proof.second_header, proof.slot, &proof.offender);
	matches!((first, second), (Some(first), Some(second)) if first != second)
}

impl<T: Config> Pallet<T> {
	/// The offender of a checked report, as the key-ownership proof names it.
	fn offender_of(
		proof: &AuraEquivocationProof<T>,
		key_owner_proof: MembershipProof,
	) -> Result<(T::AccountId, ()), Error<T>> {
		if !check_equivocation_proof(proof)
			|| !Self::builds_on_this_chain(&proof.first_header)
			|| !Self::builds_on_this_chain(&proof.second_header)
		{
			return Err(Error::<T>::InvalidEquivocationProof);
		}
		// The proof must be for the session both blocks were sealed in (its validator count
		// sets the slash), not one the reporter picks.
		for header in [&proof.first_header, &proof.second_header] {
			let parent = header.number().saturating_sub(One::one());
			if Self::session_after(parent) != Some(key_owner_proof.session) {
				return Err(Error::<T>::InvalidKeyOwnershipProof);
			}
		}
		let key = (<T::AuraId as RuntimeAppPublic>::ID, proof.offender.to_raw_vec());
		<Self as KeyOwnerProofSystem<_>>::check_proof(key, key_owner_proof)
			.ok_or(Error::<T>::InvalidKeyOwnershipProof)
	}

	/// Whether `header`'s parent is a block of this chain (one of its last `BlockHashCount`).
	/// A header sealed by the same key on another chain (development keys are the same on
	/// every development chain; an operator may reuse a key) is no equivocation here, and
	/// would otherwise frame its owner.
	fn builds_on_this_chain(header: &frame_system::pallet_prelude::HeaderFor<T>) -> bool {
		let number = *header.number();
		!number.is_zero()
			&& frame_system::Pallet::<T>::block_hash(number - One::one()) == *header.parent_hash()
	}

	/// Checks a report and hands its offence to pallet-offences.
	pub(crate) fn process_aura_equivocation(
		proof: AuraEquivocationProof<T>,
		key_owner_proof: MembershipProof,
	) -> Result<(), DispatchError> {
		let session_index = key_owner_proof.session;
		let validator_set_count = key_owner_proof.validator_count;
		let offender = Self::offender_of(&proof, key_owner_proof)?;
		let offence = AuraEquivocationOffence {
			slot: proof.slot,
			session_index,
			validator_set_count,
			offender,
		};
		T::ReportOffence::report_offence(alloc::vec::Vec::new(), offence)
			.map_err(|_| Error::<T>::DuplicateOffenceReport.into())
	}

	/// A report is taken only from this node's own pool or a block (an author includes what
	/// its node found: reports are not gossiped, so nobody floods the pools with them), only if
	/// it checks out and its offence is new; one per offender and slot.
	pub(crate) fn authorize_aura_report(
		source: TransactionSource,
		proof: &alloc::boxed::Box<AuraEquivocationProof<T>>,
		key_owner_proof: &MembershipProof,
	) -> TransactionValidityWithRefund {
		if !matches!(source, TransactionSource::Local | TransactionSource::InBlock) {
			return Err(InvalidTransaction::Call.into());
		}
		let offender = Self::offender_of(proof, key_owner_proof.clone())
			.map_err(|_| InvalidTransaction::BadProof)?;
		if T::ReportOffence::is_known_offence(&[offender], &proof.slot) {
			return Err(InvalidTransaction::Stale.into());
		}
		let validity = ValidTransaction::with_tag_prefix("AuraEquivocation")
			.priority(TransactionPriority::MAX)
			.and_provides((proof.offender.clone(), proof.slot))
			.longevity(T::ReportLongevity::get())
			.propagate(false)
			.into();
		Ok((validity, Weight::zero()))
	}
}
