//! Aura equivocations, found and reported by the node.
//!
//! Every block the node imports (forks included) is noted by slot and author. When one author
//! has sealed two different blocks for one slot, a validator's node asks the runtime for a
//! proof that the author's key was a validator's (`AuraEquivocationApi`) at the first block's
//! parent and puts `Validators.report_aura_equivocation` in its own pool, to include when it
//! authors. (GRANDPA's double votes are reported by the GRANDPA voter itself.) The chain checks
//! both seals and the proof, records the offence once, slashes and removes the offender.

use std::{
	collections::{BTreeMap, BTreeSet},
	sync::Arc,
};

use codec::Decode;
use futures::StreamExt;
use micro_runtime::{opaque::Block, Header, RuntimeCall};
use pallet_micro_validators::runtime_api::AuraEquivocationApi;
use sc_client_api::{BlockchainEvents, HeaderBackend};
use sc_transaction_pool_api::{TransactionPool, TransactionSource};
use sp_api::ProvideRuntimeApi;
use sp_consensus_aura::{
	sr25519::{AuthorityId as AuraId, AuthorityPair, AuthoritySignature},
	AuraApi, Slot,
};
use sp_consensus_slots::EquivocationProof;
use sp_runtime::traits::{Hash as _, Header as _};

use crate::client::{FullClient, FullPool};

/// Slots remembered behind the newest one seen: over an hour and a half of six-second slots,
/// far longer than blocks of one slot take to reach every node.
const KEPT_SLOTS: u64 = 1_024;
/// Blocks remembered per slot: an honest slot has one; a few more are enough to catch any
/// author who sealed two, however many strangers' invalid headers share the slot.
const HEADERS_PER_SLOT: usize = 4;

/// The blocks seen for recent slots, and the equivocations already found.
#[derive(Default)]
pub struct SlotWitness {
	seen: BTreeMap<Slot, Vec<(AuraId, Header)>>,
	found: BTreeSet<(Slot, AuraId)>,
	newest: Slot,
}

/// The hash `header` was sealed over: its hash without its last digest item, the seal.
fn pre_hash(header: &Header) -> sp_core::H256 {
	let mut header = header.clone();
	header.digest_mut().pop();
	<Header as sp_runtime::traits::Header>::Hashing::hash_of(&header)
}

impl SlotWitness {
	/// Notes `header`, sealed by `author` for `slot`. If `author` already sealed a different
	/// block for `slot`, returns the proof (once per author and slot).
	pub fn note(
		&mut self,
		slot: Slot,
		author: AuraId,
		header: Header,
	) -> Option<EquivocationProof<Header, AuraId>> {
		self.newest = self.newest.max(slot);
		let oldest = Slot::from(u64::from(self.newest).saturating_sub(KEPT_SLOTS));
		if slot < oldest {
			// From before what is kept.
			return None;
		}
		self.seen = self.seen.split_off(&oldest);
		self.found.retain(|(seen, _)| *seen >= oldest);
		let sealed = self.seen.entry(slot).or_default();
		let new = pre_hash(&header);
		let earlier = sealed
			.iter()
			.find(|(by, other)| *by == author && pre_hash(other) != new)
			.map(|(_, other)| other.clone());
		match earlier {
			Some(first) if self.found.insert((slot, author.clone())) => Some(EquivocationProof {
				offender: author,
				slot,
				first_header: first,
				second_header: header,
			}),
			Some(_) => None,
			None => {
				if sealed.len() < HEADERS_PER_SLOT && !sealed.iter().any(|(by, _)| *by == author) {
					sealed.push((author, header));
				}
				None
			}
		}
	}
}

/// The slot and author of `header`, by its pre-digest and the authorities at its parent.
fn slot_and_author(client: &FullClient, header: &Header) -> Option<(Slot, AuraId)> {
	let slot =
		sc_consensus_aura::standalone::find_pre_digest::<Block, AuthoritySignature>(header).ok()?;
	let authorities = client.runtime_api().authorities(*header.parent_hash()).ok()?;
	let author =
		sc_consensus_aura::standalone::slot_author::<AuthorityPair>(slot, &authorities)?.clone();
	Some((slot, author))
}

/// Puts the report of `proof` in the pool.
async fn report(
	client: &FullClient,
	pool: &FullPool,
	proof: EquivocationProof<Header, AuraId>,
) -> Result<(), String> {
	let at = *proof.first_header.parent_hash();
	let ownership = client
		.runtime_api()
		.generate_aura_key_ownership_proof(at, proof.offender.clone())
		.map_err(|e| format!("the runtime: {e}"))?
		.ok_or("the key was no validator's at that block")?;
	let key_owner_proof = sp_session::MembershipProof::decode(&mut &ownership[..])
		.map_err(|e| format!("the key-ownership proof: {e}"))?;
	let call = RuntimeCall::Validators(pallet_micro_validators::Call::report_aura_equivocation {
		equivocation_proof: Box::new(proof),
		key_owner_proof,
	});
	let extrinsic = crate::authorized::extrinsic(call)?;
	pool.submit_one(client.info().best_hash, TransactionSource::Local, extrinsic)
		.await
		.map(drop)
		.map_err(|e| format!("the pool: {e}"))
}

/// Watches imported blocks for Aura equivocations and reports them, until the client stops.
pub async fn run(client: Arc<FullClient>, pool: Arc<FullPool>) {
	let mut imported = client.import_notification_stream();
	let mut witness = SlotWitness::default();
	while let Some(block) = imported.next().await {
		if block.header.number == 0 {
			continue;
		}
		let Some((slot, author)) = slot_and_author(&client, &block.header) else { continue };
		let Some(proof) = witness.note(slot, author.clone(), block.header) else { continue };
		log::warn!(
			target: "aura",
			"{author} sealed two blocks for slot {slot}: reporting the equivocation"
		);
		if let Err(error) = report(&client, &pool, proof).await {
			log::warn!(target: "aura", "the equivocation of {author} at slot {slot} was not reported: {error}");
		}
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use sp_consensus_aura::digests::CompatibleDigestItem;
	use sp_core::crypto::Pair;
	use sp_runtime::{generic::Digest, DigestItem};

	fn pair(seed: &str) -> AuthorityPair {
		AuthorityPair::from_string(seed, None).unwrap()
	}

	/// Block 1 for `slot` with content `content`, sealed by `author`.
	fn sealed(author: &AuthorityPair, slot: u64, content: u8) -> Header {
		let mut header =
			Header::new(1, Default::default(), Default::default(), [content; 32].into(), {
				let mut digest = Digest::default();
				digest.push(
					<DigestItem as CompatibleDigestItem<AuthoritySignature>>::aura_pre_digest(
						slot.into(),
					),
				);
				digest
			});
		let signature = author.sign(header.hash().as_ref());
		header
			.digest_mut()
			.push(<DigestItem as CompatibleDigestItem<AuthoritySignature>>::aura_seal(signature));
		header
	}

	#[test]
	fn two_blocks_of_one_author_for_one_slot_are_an_equivocation_found_once() {
		let (alice, bob) = (pair("//Alice"), pair("//Bob"));
		let mut witness = SlotWitness::default();
		assert!(witness.note(5.into(), alice.public(), sealed(&alice, 5, 1)).is_none());
		// The same block again (imported twice, or resealed) is no equivocation.
		assert!(witness.note(5.into(), alice.public(), sealed(&alice, 5, 1)).is_none());
		// Another author's block for the slot is not Alice's.
		assert!(witness.note(5.into(), bob.public(), sealed(&bob, 5, 2)).is_none());
		// Alice's block for another slot is none either.
		assert!(witness.note(6.into(), alice.public(), sealed(&alice, 6, 2)).is_none());
		let proof = witness.note(5.into(), alice.public(), sealed(&alice, 5, 3)).expect("found");
		assert_eq!((&proof.offender, proof.slot), (&alice.public(), 5.into()));
		assert!(pallet_micro_validators::aura_equivocation::check_equivocation_proof(&proof));
		assert!(witness.note(5.into(), alice.public(), sealed(&alice, 5, 4)).is_none(), "once");
	}

	#[test]
	fn the_witness_forgets_old_slots_and_bounds_each_slot() {
		let alice = pair("//Alice");
		let mut witness = SlotWitness::default();
		witness.note(1.into(), alice.public(), sealed(&alice, 1, 1));
		witness.note((2 + KEPT_SLOTS).into(), alice.public(), sealed(&alice, 2 + KEPT_SLOTS, 1));
		assert!(!witness.seen.contains_key(&Slot::from(1)), "slot 1 is forgotten");
		assert!(
			witness.note(1.into(), alice.public(), sealed(&alice, 1, 2)).is_none(),
			"a block of a forgotten slot is not judged"
		);
		for index in 0..10u8 {
			let stranger = pair(&format!("//stranger{index}"));
			witness.note(7.into(), stranger.public(), sealed(&stranger, 7, index));
		}
		assert_eq!(witness.seen[&Slot::from(7)].len(), HEADERS_PER_SLOT);
	}
}
