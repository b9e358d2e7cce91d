//! The runtime API nodes prove an Aura equivocation's key ownership through.

// `decl_runtime_apis!` repeats the trait's generic bounds on the functions it generates.
#![allow(clippy::multiple_bound_locations)]

use alloc::vec::Vec;

sp_api::decl_runtime_apis! {
	/// Reporting a validator that sealed two blocks for one slot.
	pub trait AuraEquivocationApi<AuraId: codec::Codec> {
		/// A proof, SCALE-encoded, that `authority` is the Aura key of a validator of the
		/// session at the block the API is called at; `None` if it is not.
		fn generate_aura_key_ownership_proof(authority: AuraId) -> Option<Vec<u8>>;

	}
}
