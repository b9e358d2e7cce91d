//! Storage migrations of the tokens pallet.

use frame_support::{
	migrations::VersionedMigration, pallet_prelude::*, traits::UncheckedOnRuntimeUpgrade,
};
use frame_system::pallet_prelude::BlockNumberFor;
use micro_primitives::{NodeDirectory, NodeId};

use crate::{Config, KeyClaimed, OperatorClaimed, Pallet};

/// Version 0's storage.
pub mod v0 {
	use super::*;

	/// The last period each node's allowance was claimed in, by node id.
	#[frame_support::storage_alias]
	pub type AllowanceClaimed<T: Config> =
		StorageMap<Pallet<T>, Twox64Concat, NodeId, BlockNumberFor<T>>;
}

/// Moves version 0's per-node allowance claims to the operator and the node key, keeping the
/// latest period of each, so nobody claims twice in the period of the upgrade. Claims of nodes
/// no longer registered are dropped.
pub struct InnerMigrateV0ToV1<T>(core::marker::PhantomData<T>);

impl<T: Config> UncheckedOnRuntimeUpgrade for InnerMigrateV0ToV1<T> {
	fn on_runtime_upgrade() -> Weight {
		let (mut reads, mut writes) = (0u64, 0u64);
		for (node, period) in v0::AllowanceClaimed::<T>::drain() {
			reads = reads.saturating_add(3);
			writes = writes.saturating_add(1);
			if let Some(operator) = T::Nodes::operator(node) {
				OperatorClaimed::<T>::mutate(&operator, |last| {
					*last = Some(last.map_or(period, |last| last.max(period)));
				});
				reads = reads.saturating_add(1);
				writes = writes.saturating_add(1);
			}
			if let Some(key) = T::Nodes::node_key(node) {
				KeyClaimed::<T>::mutate(key, |last| {
					*last = Some(last.map_or(period, |last| last.max(period)));
				});
				reads = reads.saturating_add(1);
				writes = writes.saturating_add(1);
			}
		}
		T::DbWeight::get().reads_writes(reads.saturating_add(1), writes)
	}
}

/// The migration from version 0 to 1, for the runtime's list of migrations.
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
	use crate::mock::*;
	use frame_support::traits::{GetStorageVersion, OnRuntimeUpgrade, StorageVersion};

	#[test]
	fn claims_by_node_move_to_operators_and_keys() {
		new_test_ext().execute_with(|| {
			StorageVersion::new(0).put::<MicroTokens>();
			set_node(1, ALICE, true, 0);
			set_node(2, ALICE, true, 0);
			set_node(3, BOB, true, 0);
			v0::AllowanceClaimed::<Test>::insert(1, 4);
			v0::AllowanceClaimed::<Test>::insert(2, 5);
			v0::AllowanceClaimed::<Test>::insert(3, 3);
			// A node since deregistered.
			v0::AllowanceClaimed::<Test>::insert(9, 5);

			MigrateV0ToV1::<Test>::on_runtime_upgrade();

			assert_eq!(MicroTokens::on_chain_storage_version(), StorageVersion::new(1));
			assert_eq!(v0::AllowanceClaimed::<Test>::iter().count(), 0);
			assert_eq!(OperatorClaimed::<Test>::get(ALICE), Some(5));
			assert_eq!(OperatorClaimed::<Test>::get(BOB), Some(3));
			assert_eq!(KeyClaimed::<Test>::get(node_key(1)), Some(4));
			assert_eq!(KeyClaimed::<Test>::get(node_key(2)), Some(5));
			assert_eq!(KeyClaimed::<Test>::get(node_key(3)), Some(3));
			assert_eq!(KeyClaimed::<Test>::iter().count(), 3);

			// Run again, it does nothing.
			v0::AllowanceClaimed::<Test>::insert(1, 9);
			MigrateV0ToV1::<Test>::on_runtime_upgrade();
			assert_eq!(v0::AllowanceClaimed::<Test>::get(1), Some(9));
			assert_eq!(OperatorClaimed::<Test>::get(ALICE), Some(5));
		});
	}
}
