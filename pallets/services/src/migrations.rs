//! Storage migrations of the services pallet.

use alloc::vec::Vec;
use frame_support::{
	migrations::VersionedMigration,
	pallet_prelude::*,
	traits::{tokens::nonfungibles_v2::Transfer, UncheckedOnRuntimeUpgrade},
};
use frame_system::pallet_prelude::BlockNumberFor;
use micro_primitives::{ApiTokens, NodeDirectory, ServiceId, VersionNumber};
use sp_runtime::Saturating;

use crate::{
	AvailableUntil, BalanceOf, Config, Offers, Pallet, Placements, RetiredAt, RetiredVersions,
	ServiceCollection, ServiceInfo, ServiceNameOf, Services, Versions,
};

/// The records of storage version 0.
pub mod v0 {
	use super::*;

	/// A registered service before version 1: no pending price rise.
	#[derive(Encode, Decode)]
	pub struct ServiceInfo<AccountId, Balance, BlockNumber, Name> {
		pub name: Name,
		pub creator: AccountId,
		pub deposit: Balance,
		pub price_per_call: ApiTokens,
		pub registered_at: BlockNumber,
		pub latest_version: VersionNumber,
		pub live_versions: u32,
		pub placements: u32,
	}

	/// A service record of version 0 for `T`.
	pub type ServiceInfoOf<T> = ServiceInfo<
		<T as frame_system::Config>::AccountId,
		BalanceOf<T>,
		BlockNumberFor<T>,
		ServiceNameOf<T>,
	>;
}

/// Version 0 to 1:
/// - every [`ServiceInfo`] gains `price_rise: None` (price rises now wait out a notice);
/// - [`RetiredVersions`] lists the versions already retired, and [`RetiredAt`] the block each
///   was retired in;
/// - [`AvailableUntil`] stamps each service with the latest `online_until` of the registered
///   nodes that run a live version of it, so services stay available through the upgrade;
/// - each offer whose seller still holds the NFT disables the NFT's `pallet-nfts` transfers;
///   offers whose seller no longer holds it are removed.
pub struct InnerMigrateV0ToV1<T>(core::marker::PhantomData<T>);

impl<T: Config> UncheckedOnRuntimeUpgrade for InnerMigrateV0ToV1<T> {
	fn on_runtime_upgrade() -> Weight {
		let (mut reads, mut writes) = (0u64, 0u64);
		Services::<T>::translate::<v0::ServiceInfoOf<T>, _>(|_, old| {
			reads.saturating_inc();
			writes.saturating_inc();
			Some(ServiceInfo {
				name: old.name,
				creator: old.creator,
				deposit: old.deposit,
				price_per_call: old.price_per_call,
				registered_at: old.registered_at,
				latest_version: old.latest_version,
				live_versions: old.live_versions,
				placements: old.placements,
				price_rise: None,
			})
		});

		for (service, version, info) in Versions::<T>::iter() {
			reads.saturating_inc();
			if let Some(at) = info.retired_at {
				let _ = RetiredVersions::<T>::try_mutate(service, |list| list.try_push(version));
				RetiredAt::<T>::insert(service, version, at);
				writes = writes.saturating_add(2);
			}
		}

		let now = frame_system::Pallet::<T>::block_number();
		for (service, node, placement) in Placements::<T>::iter() {
			reads = reads.saturating_add(3);
			let retired = RetiredVersions::<T>::get(service);
			let live = placement.versions.iter().any(|version| !retired.contains(version));
			let until = T::Nodes::online_until(node).filter(|until| *until >= now);
			if let (true, Some(until)) = (live, until) {
				AvailableUntil::<T>::mutate(service, |stamp| {
					*stamp = Some(stamp.map_or(until, |stamp| stamp.max(until)));
				});
				writes.saturating_inc();
			}
		}

		let collection = ServiceCollection::<T>::get();
		let offers: Vec<(ServiceId, T::AccountId)> =
			Offers::<T>::iter().map(|(service, offer)| (service, offer.seller)).collect();
		for (service, seller) in offers {
			reads = reads.saturating_add(3);
			writes.saturating_inc();
			let locked = collection.is_some_and(|collection| {
				Pallet::<T>::owner_of(service).as_ref() == Some(&seller)
					&& <pallet_nfts::Pallet<T> as Transfer<T::AccountId>>::disable_transfer(
						&collection,
						&service,
					)
					.is_ok()
			});
			if !locked {
				Offers::<T>::remove(service);
			}
		}
		T::DbWeight::get().reads_writes(reads, writes)
	}
}

/// Takes the services pallet from storage version 0 to 1 (see [`InnerMigrateV0ToV1`]).
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
	use crate::{mock::*, Offer, Placement};
	use frame_support::{assert_noop, traits::OnRuntimeUpgrade};

	#[test]
	fn adds_price_rises_retired_versions_stamps_and_offer_locks() {
		new_test_ext().execute_with(|| {
			StorageVersion::new(0).put::<Pallet<Test>>();
			let name: ServiceNameOf<Test> = b"greeter".to_vec().try_into().unwrap();
			// Version 0: a service with versions 1 (retired) and 2, placed on node 7 (online
			// until block 1 + the mock's TTL), offered by its holder; and an offer by a former
			// holder of service 1.
			let old = v0::ServiceInfoOf::<Test> {
				name: name.clone(),
				creator: alice(),
				deposit: 50,
				price_per_call: 5,
				registered_at: 1,
				latest_version: 2,
				live_versions: 1,
				placements: 1,
			};
			frame_support::storage::unhashed::put(&Services::<Test>::hashed_key_for(0), &old);
			let collection = ServiceCollection::<Test>::get().unwrap();
			for (item, owner) in [(0, alice()), (1, bob())] {
				assert_ok_mint(collection, item, owner);
			}
			let version = |retired_at| crate::VersionInfo::<Test> {
				source: crate::Source {
					repository: b"https://github.com/micro/greeter".to_vec().try_into().unwrap(),
					reference: b"v1".to_vec().try_into().unwrap(),
				},
				code_hash: sp_core::H256::repeat_byte(1),
				endpoints: Default::default(),
				published_at: 1,
				retired_at,
			};
			Versions::<Test>::insert(0, 1, version(Some(3)));
			Versions::<Test>::insert(0, 2, version(None));
			set_node(7, bob(), true);
			Placements::<Test>::insert(
				0,
				7,
				Placement { versions: vec![1, 2].try_into().unwrap(), since: 1 },
			);
			Offers::<Test>::insert(0, Offer { seller: alice(), price: 10, buyer: None });
			Offers::<Test>::insert(1, Offer { seller: alice(), price: 10, buyer: None });

			MigrateV0ToV1::<Test>::on_runtime_upgrade();

			let info = Services::<Test>::get(0).unwrap();
			assert_eq!(
				(info.name, info.creator, info.deposit, info.price_per_call, info.registered_at),
				(name, alice(), 50, 5, 1)
			);
			assert_eq!((info.latest_version, info.live_versions, info.placements), (2, 1, 1));
			assert_eq!(info.price_rise, None);
			assert_eq!(RetiredVersions::<Test>::get(0).into_inner(), vec![1]);
			assert_eq!(RetiredAt::<Test>::get(0, 1), Some(3));
			assert_eq!(RetiredAt::<Test>::get(0, 2), None);
			assert_eq!(AvailableUntil::<Test>::get(0), Some(1 + TTL));
			// The live offer stands and its NFT cannot move through pallet-nfts; the stale one
			// is gone.
			assert!(Offers::<Test>::contains_key(0));
			assert_noop!(
				Nfts::transfer(RuntimeOrigin::signed(alice()), collection, 0, charlie()),
				pallet_nfts::Error::<Test>::ItemLocked
			);
			assert!(!Offers::<Test>::contains_key(1));
			assert_eq!(StorageVersion::get::<Pallet<Test>>(), 1);
		});
	}

	fn assert_ok_mint(collection: u32, item: ServiceId, owner: AccountId) {
		use frame_support::traits::tokens::nonfungibles_v2::Mutate;
		use pallet_nfts::{ItemConfig, ItemSettings};
		<Nfts as Mutate<AccountId, ItemConfig>>::mint_into(
			&collection,
			&item,
			&owner,
			&ItemConfig { settings: ItemSettings::all_enabled() },
			false,
		)
		.unwrap();
	}
}
