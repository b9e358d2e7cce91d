//! Storage migrations of the services pallet.
//!
//! ## V0 to V1 runs in one block, and where that stops working
//! [`MigrateV0ToV1`] walks `Services`, the `Versions` of services with a retired version,
//! `Placements` and `Offers` in the upgrade's block. The only chains running this runtime are
//! fresh dev, local and test chains, so it stays single-block, with its bound written down:
//! it returns (and the block is charged) `reads · R + writes · W` for
//! - each service: 1 read, 1 write (its record, re-encoded);
//! - each service with a retired version (`latest_version > live_versions`): 1 read per version
//!   (each up to ~17 KB) and 1 write for its `RetiredVersions` list, plus 1 write per retired
//!   version (`RetiredAt`); services with no retired version read none of their versions (a
//!   value read whole is decoded whole: `retired_at` is its last field, after the endpoints);
//! - each placement: 4 reads (placement, `RetiredVersions`, the node, the stamp), 1 write;
//! - each offer: 3 reads, 1 write.
//!
//! With the runtime's ParityDB weights (R = 8 µs, W = 50 µs) and its 2 s blocks, that is about
//! `58·S + 82·P + 74·O + 8·V + 50·(S_r + X)` µs for S services, P placements, O offers, and V
//! versions and X retired versions of the S_r services with one: it stops fitting a block at
//! roughly 14,000 services each placed once (2 s / 140 µs), or 34,000 services alone; decoding
//! the versions read adds CPU time the DB weights do not count. A chain near that size needs a
//! multi-block migration instead.
//!
//! Nothing is dropped silently: a `Services` record that does not decode as version 0 is
//! removed (it could never be read again) and counted, as are `Versions` and `Placements`
//! values that do not decode (kept as they are); any count above zero is logged as a warning.
//! With `try-runtime`, `pre_upgrade` and `post_upgrade` check that every service, version and
//! placement is still there and readable, and that the retirements were all listed.

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

/// The log target of this pallet's migrations.
const LOG_TARGET: &str = "runtime::micro-services";

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

/// What the version 0 to 1 migration could not carry over.
#[derive(Clone, Copy, Default, PartialEq, Eq, Debug)]
pub struct Unreadable {
	/// `Services` records that did not decode as version 0: removed.
	pub services: u32,
	/// `Versions` values that did not decode: kept, their retirement (if any) not listed.
	pub versions: u32,
	/// `Placements` values that did not decode: kept, their service not stamped.
	pub placements: u32,
}

impl Unreadable {
	fn any(&self) -> bool {
		*self != Self::default()
	}
}

/// What the version 0 to 1 migration did.
#[derive(Clone, Copy, Default, PartialEq, Eq, Debug)]
pub struct Report {
	/// Storage reads it made (its weight counts them).
	pub reads: u64,
	/// Storage writes it made.
	pub writes: u64,
	/// What it could not read.
	pub unreadable: Unreadable,
}

/// Version 0 to 1:
/// - every [`ServiceInfo`] gains `price_rise: None` (price rises now wait out a notice);
/// - [`RetiredVersions`] lists the versions already retired, and [`RetiredAt`] the block each
///   was retired in;
/// - [`AvailableUntil`] stamps each service with the latest `online_until` of the registered
///   nodes that run a live version of it, so services stay available through the upgrade;
/// - each offer whose seller still holds the NFT disables the NFT's `pallet-nfts` transfers;
///   offers whose seller no longer holds it are removed.
///
/// Single-block; see the [module docs](self) for its bound.
pub struct InnerMigrateV0ToV1<T>(core::marker::PhantomData<T>);

impl<T: Config> InnerMigrateV0ToV1<T> {
	/// Runs the migration: what it read, wrote and could not read.
	pub fn migrate() -> Report {
		let (mut reads, mut writes) = (0u64, 0u64);
		let mut unreadable = Unreadable::default();

		let services: Vec<ServiceId> = Services::<T>::iter_keys().collect();
		for service in services {
			reads.saturating_inc();
			writes.saturating_inc();
			let key = Services::<T>::hashed_key_for(service);
			let old = frame_support::storage::unhashed::get_raw(&key)
				.and_then(|raw| v0::ServiceInfoOf::<T>::decode(&mut &raw[..]).ok());
			let Some(old) = old else {
				Services::<T>::remove(service);
				unreadable.services.saturating_inc();
				continue;
			};
			// Versions are numbered 1..=latest and only retiring takes one out of
			// `live_versions`: a service with none retired needs none of its versions read.
			if old.live_versions < old.latest_version {
				let mut retired = Vec::new();
				for version in 1..=old.latest_version {
					reads.saturating_inc();
					match Versions::<T>::try_get(service, version) {
						Ok(info) => {
							if let Some(at) = info.retired_at {
								retired.push(version);
								RetiredAt::<T>::insert(service, version, at);
								writes.saturating_inc();
							}
						}
						Err(()) if Versions::<T>::contains_key(service, version) => {
							unreadable.versions.saturating_inc();
						}
						Err(()) => {}
					}
				}
				if !retired.is_empty() {
					RetiredVersions::<T>::insert(service, BoundedVec::truncate_from(retired));
					writes.saturating_inc();
				}
			}
			let new = ServiceInfo::<T> {
				name: old.name,
				creator: old.creator,
				deposit: old.deposit,
				price_per_call: old.price_per_call,
				registered_at: old.registered_at,
				latest_version: old.latest_version,
				live_versions: old.live_versions,
				placements: old.placements,
				price_rise: None,
			};
			// The key exists: a raw write keeps the map's counter right.
			frame_support::storage::unhashed::put(&key, &new);
		}

		let now = frame_system::Pallet::<T>::block_number();
		let placements: Vec<(ServiceId, micro_primitives::NodeId)> =
			Placements::<T>::iter_keys().collect();
		for (service, node) in placements {
			reads = reads.saturating_add(4);
			let Ok(placement) = Placements::<T>::try_get(service, node) else {
				unreadable.placements.saturating_inc();
				continue;
			};
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

		if unreadable.any() {
			let message = alloc::format!(
				"services v0 to v1: {} service records unreadable and removed; {} versions and \
				 {} placements unreadable, kept",
				unreadable.services,
				unreadable.versions,
				unreadable.placements,
			);
			sp_io::logging::log(
				sp_core::RuntimeInterfaceLogLevel::Warn,
				LOG_TARGET,
				message.as_bytes(),
			);
		}
		Report { reads, writes, unreadable }
	}
}

impl<T: Config> UncheckedOnRuntimeUpgrade for InnerMigrateV0ToV1<T> {
	fn on_runtime_upgrade() -> Weight {
		let Report { reads, writes, .. } = Self::migrate();
		T::DbWeight::get().reads_writes(reads, writes)
	}

	/// Counts the services, versions, placements and offers before the migration.
	#[cfg(feature = "try-runtime")]
	fn pre_upgrade() -> Result<Vec<u8>, sp_runtime::TryRuntimeError> {
		let counts: (u32, u32, u32, u32) = (
			Services::<T>::iter_keys().count() as u32,
			Versions::<T>::iter_keys().count() as u32,
			Placements::<T>::iter_keys().count() as u32,
			Offers::<T>::iter_keys().count() as u32,
		);
		Ok(counts.encode())
	}

	/// Every service, version and placement is still there and reads as version 1; offers only
	/// went; every retirement is listed once, with its block.
	#[cfg(feature = "try-runtime")]
	fn post_upgrade(state: Vec<u8>) -> Result<(), sp_runtime::TryRuntimeError> {
		let (services, versions, placements, offers) =
			<(u32, u32, u32, u32)>::decode(&mut &state[..])
				.map_err(|_| "services v0 to v1: bad pre-upgrade state")?;
		ensure!(
			Services::<T>::iter().count() as u32 == services && Services::<T>::count() == services,
			"services v0 to v1: a service was dropped or does not decode"
		);
		ensure!(
			Versions::<T>::iter().count() as u32 == versions,
			"services v0 to v1: a version was dropped or does not decode"
		);
		ensure!(
			Placements::<T>::iter().count() as u32 == placements,
			"services v0 to v1: a placement was dropped or does not decode"
		);
		ensure!(
			Offers::<T>::iter_keys().count() as u32 <= offers,
			"services v0 to v1: offers appeared"
		);
		let retired = Versions::<T>::iter().filter(|(_, _, info)| info.retired_at.is_some());
		let mut listed = 0u32;
		for (service, version, info) in retired {
			listed.saturating_inc();
			ensure!(
				RetiredVersions::<T>::get(service).contains(&version)
					&& RetiredAt::<T>::get(service, version) == info.retired_at,
				"services v0 to v1: a retired version is not listed"
			);
		}
		ensure!(
			RetiredAt::<T>::iter_keys().count() as u32 == listed,
			"services v0 to v1: a version is listed as retired but is not"
		);
		Ok(())
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
			frame_support::storage::unhashed::put(
				&Services::<Test>::counter_storage_final_key(),
				&1u32,
			);
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

			#[cfg(feature = "try-runtime")]
			let state = InnerMigrateV0ToV1::<Test>::pre_upgrade().unwrap();
			MigrateV0ToV1::<Test>::on_runtime_upgrade();
			#[cfg(feature = "try-runtime")]
			InnerMigrateV0ToV1::<Test>::post_upgrade(state).unwrap();

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

	/// A version 0 record of a service with `latest` versions, `live` of them live.
	fn old_service(latest: VersionNumber, live: u32) -> v0::ServiceInfoOf<Test> {
		v0::ServiceInfoOf::<Test> {
			name: b"greeter".to_vec().try_into().unwrap(),
			creator: alice(),
			deposit: 50,
			price_per_call: 5,
			registered_at: 1,
			latest_version: latest,
			live_versions: live,
			placements: 0,
		}
	}

	/// `translate` removed records it could not decode without a word; they are now counted
	/// (and logged), and unreadable versions and placements are counted and kept.
	#[test]
	fn unreadable_records_are_counted_not_silently_dropped() {
		new_test_ext().execute_with(|| {
			StorageVersion::new(0).put::<Pallet<Test>>();
			let put =
				|key: Vec<u8>, value: &[u8]| frame_support::storage::unhashed::put_raw(&key, value);
			put(Services::<Test>::hashed_key_for(0), &old_service(2, 1).encode());
			put(Services::<Test>::hashed_key_for(1), &[7, 7]);
			put(Versions::<Test>::hashed_key_for(0, 1), &[7]);
			put(Placements::<Test>::hashed_key_for(0, 3), &[7]);
			// The counter the map keeps, as it was at version 0.
			frame_support::storage::unhashed::put(
				&Services::<Test>::counter_storage_final_key(),
				&2u32,
			);

			#[cfg(feature = "try-runtime")]
			let state = InnerMigrateV0ToV1::<Test>::pre_upgrade().unwrap();
			let report = InnerMigrateV0ToV1::<Test>::migrate();
			// try-runtime's checks catch the loss.
			#[cfg(feature = "try-runtime")]
			assert!(InnerMigrateV0ToV1::<Test>::post_upgrade(state).is_err());

			assert_eq!(report.unreadable, Unreadable { services: 1, versions: 1, placements: 1 });
			assert!(Services::<Test>::get(0).is_some());
			assert!(!Services::<Test>::contains_key(1));
			assert_eq!(Services::<Test>::count(), 1);
			// Kept as they were, for a later fix.
			assert!(Versions::<Test>::contains_key(0, 1));
			assert!(Placements::<Test>::contains_key(0, 3));
			assert_eq!(RetiredVersions::<Test>::get(0).into_inner(), Vec::<u32>::new());
		});
	}

	/// A service with no retired version has none of its (up to ~17 KB) versions read.
	#[test]
	fn versions_are_read_only_for_services_with_a_retired_version() {
		new_test_ext().execute_with(|| {
			StorageVersion::new(0).put::<Pallet<Test>>();
			for (service, old) in [(0, old_service(2, 2)), (1, old_service(2, 1))] {
				frame_support::storage::unhashed::put(
					&Services::<Test>::hashed_key_for(service),
					&old,
				);
			}
			let report = InnerMigrateV0ToV1::<Test>::migrate();
			// Service 0: its record (r:1 w:1). Service 1: its record and its two versions (both
			// missing here, so no retired list to write): r:3 w:1.
			assert_eq!((report.reads, report.writes), (1 + 3, 1 + 1));
			assert_eq!(report.unreadable, Unreadable::default());
			assert_eq!(Services::<Test>::get(0).map(|info| info.price_rise), Some(None));
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
