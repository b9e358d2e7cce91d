//! Storage migrations of the nodes pallet.

use frame_support::{
	migrations::VersionedMigration, pallet_prelude::*, traits::UncheckedOnRuntimeUpgrade,
};

use crate::{Config, KeyNodeIds, NodeByPeerId, Nodes, Pallet};

/// Version 0 to 1: every node's peer id becomes the one derived from its key, and
/// [`KeyNodeIds`] learns the key of every registered node. (Keys of nodes deregistered before
/// the upgrade are not known, so they start with a fresh id if they come back.)
pub struct InnerMigrateV0ToV1<T>(core::marker::PhantomData<T>);

impl<T: Config> UncheckedOnRuntimeUpgrade for InnerMigrateV0ToV1<T> {
	fn on_runtime_upgrade() -> Weight {
		let nodes: alloc::vec::Vec<_> = Nodes::<T>::iter().collect();
		let mut reads = nodes.len() as u64;
		let mut writes = 0u64;
		// Peer ids given before were not checked: forget every claim, then map the derived ones.
		let cleared = NodeByPeerId::<T>::clear(u32::MAX, None);
		reads = reads.saturating_add(u64::from(cleared.loops));
		writes = writes.saturating_add(u64::from(cleared.unique));
		for (node, mut info) in nodes {
			KeyNodeIds::<T>::insert(info.key, node);
			match Pallet::<T>::derived_peer_id(&info.key) {
				Ok(peer_id) => {
					if info.peer_id != peer_id {
						info.peer_id = peer_id;
						Nodes::<T>::insert(node, &info);
						writes = writes.saturating_add(1);
					}
					NodeByPeerId::<T>::insert(&info.peer_id, node);
				}
				// Only with a `MaxPeerIdLen` the integrity test refuses.
				Err(_) => log::warn!("node {node}: its derived peer id does not fit MaxPeerIdLen"),
			}
			writes = writes.saturating_add(2);
		}
		T::DbWeight::get().reads_writes(reads, writes)
	}
}

/// Takes the nodes pallet from storage version 0 to 1 (see [`InnerMigrateV0ToV1`]).
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
	use crate::{mock::*, Capacity, NodeInfo, Uptime};
	use frame_support::traits::OnRuntimeUpgrade;
	use sp_core::{ed25519, Pair};

	#[test]
	fn derives_every_peer_id_and_remembers_every_key() {
		new_test_ext().execute_with(|| {
			StorageVersion::new(0).put::<Pallet<Test>>();
			let key = ed25519::Pair::from_seed(&[1; 32]).public();
			let squatted: crate::PeerIdOf<Test> = b"12D3KooWSquatted".to_vec().try_into().unwrap();
			// Version 0: a peer id nobody checked.
			Nodes::<Test>::insert(
				4,
				NodeInfo {
					operator: ALICE,
					key,
					peer_id: squatted.clone(),
					addresses: Default::default(),
					capacity: Capacity { cpu_millicores: 1, ..Default::default() },
					deposit: 100,
					registered_at: 1,
					last_heartbeat: 1,
					uptime: Uptime::default(),
				},
			);
			NodeByPeerId::<Test>::insert(&squatted, 4);

			MigrateV0ToV1::<Test>::on_runtime_upgrade();

			let derived: crate::PeerIdOf<Test> =
				b"12D3KooWK99VoVxNE7XzyBwXEzW7xhK7Gpv85r9F3V3fyKSUKPH5"
					.to_vec()
					.try_into()
					.unwrap();
			assert_eq!(Nodes::<Test>::get(4).unwrap().peer_id, derived);
			assert_eq!(NodeByPeerId::<Test>::get(&derived), Some(4));
			assert_eq!(NodeByPeerId::<Test>::get(&squatted), None);
			assert_eq!(KeyNodeIds::<Test>::get(key), Some(4));
			assert_eq!(Nodes::<Test>::count(), 1);
			assert_eq!(StorageVersion::get::<Pallet<Test>>(), 1);
		});
	}
}
