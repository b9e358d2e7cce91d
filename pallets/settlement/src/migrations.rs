//! Storage migrations of the settlement pallet.

use crate::{AllowanceState, Allowances, Config, Pallet};
use codec::{Decode, Encode};
use frame_support::{
	migrations::VersionedMigration,
	traits::{Get, UncheckedOnRuntimeUpgrade},
	weights::Weight,
};
use frame_system::pallet_prelude::BlockNumberFor;
use sp_runtime::traits::Zero;

/// The encodings before version 1.
pub mod v0 {
	use super::*;

	/// What the chain remembered of an allowance before version 1: no carried calls.
	#[derive(Encode, Decode)]
	pub struct AllowanceState<BlockNumber> {
		/// The allowance's nonce.
		pub nonce: u64,
		/// blake2-256 of the allowance's encoding.
		pub terms: [u8; 32],
		/// Calls settled against it.
		pub used: u64,
		/// The last block it can be settled in.
		pub expires_at: BlockNumber,
	}
}

/// Adds the carried calls (none) to every allowance state.
pub struct InnerMigrateV0ToV1<T>(core::marker::PhantomData<T>);

impl<T: Config> UncheckedOnRuntimeUpgrade for InnerMigrateV0ToV1<T> {
	fn on_runtime_upgrade() -> Weight {
		let mut translated = 0u64;
		Allowances::<T>::translate::<v0::AllowanceState<BlockNumberFor<T>>, _>(|_, _, old| {
			translated += 1;
			Some(AllowanceState {
				nonce: old.nonce,
				terms: old.terms,
				used: old.used,
				expires_at: old.expires_at,
				carried: 0,
				carried_until: Zero::zero(),
			})
		});
		T::DbWeight::get().reads_writes(translated, translated)
	}
}

/// Version 0 to 1: allowance states remember the calls carried over from replaced allowances.
pub type MigrateV0ToV1<T> = VersionedMigration<
	0,
	1,
	InnerMigrateV0ToV1<T>,
	Pallet<T>,
	<T as frame_system::Config>::DbWeight,
>;

#[cfg(test)]
mod tests {
	use super::*;
	use crate::mock::{account, new_test_ext, Test};
	use frame_support::traits::{GetStorageVersion, OnRuntimeUpgrade, StorageVersion};

	#[test]
	fn old_allowance_states_gain_no_carried_calls() {
		new_test_ext().execute_with(|| {
			StorageVersion::new(0).put::<Pallet<Test>>();
			let old =
				v0::AllowanceState::<u64> { nonce: 4, terms: [9; 32], used: 17, expires_at: 300 };
			let key = Allowances::<Test>::hashed_key_for(account(1), 2u32);
			frame_support::storage::unhashed::put_raw(&key, &old.encode());

			MigrateV0ToV1::<Test>::on_runtime_upgrade();

			assert_eq!(
				Allowances::<Test>::get(account(1), 2),
				Some(AllowanceState {
					nonce: 4,
					terms: [9; 32],
					used: 17,
					expires_at: 300,
					carried: 0,
					carried_until: 0,
				})
			);
			assert_eq!(Pallet::<Test>::on_chain_storage_version(), 1);
		});
	}
}
