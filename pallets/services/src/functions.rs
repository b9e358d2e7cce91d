//! The service registry's logic: checks, the NFT collection, versions, placements, and the
//! [`ServiceDirectory`] and [`NodePlacements`] the runtime wires to other pallets.

use alloc::{collections::BTreeSet, vec::Vec};
use frame_support::{
	pallet_prelude::*,
	traits::{
		fungible::{Mutate as _, MutateHold},
		tokens::{
			nonfungibles_v2::{Inspect, InspectEnumerable, Mutate, Transfer},
			Precision, Preservation,
		},
		Incrementable,
	},
};
use frame_system::pallet_prelude::BlockNumberFor;
use micro_primitives::{
	AccessControl, ApiTokens, NodeDirectory, NodeId, NodePlacements, ProfitShares,
	ServiceDirectory, ServiceId, VersionNumber,
};
use pallet_nfts::{CollectionConfig, CollectionSettings, ItemConfig, ItemSettings, MintSettings};
use sp_core::H256;
use sp_runtime::{
	traits::{AccountIdConversion, Zero},
	Saturating,
};

use crate::{
	AvailableUntil, BalanceOf, Config, EndpointsOf, Error, Event, HoldReason, IdentOf, MessageType,
	NextServiceId, NodeServices, Offer, Offers, Pallet, PastPlacement, PastPlacements,
	PlacedVersionsOf, Placement, Placements, RegisteredBy, RetiredAt, RetiredVersions,
	ServiceByName, ServiceCollection, ServiceInfo, ServiceNameOf, Services, Source, VersionInfo,
	VersionStatus, Versions,
};

/// URL schemes a service's repository may use.
const REPOSITORY_SCHEMES: [&[u8]; 6] =
	[b"https://", b"http://", b"git://", b"ssh://", b"file://", b"git@"];

type Nfts<T> = pallet_nfts::Pallet<T>;

impl<T: Config> Pallet<T> {
	/// This pallet's account: the owner and admin of the services' collection.
	pub fn account_id() -> T::AccountId {
		T::PalletId::get().into_account_truncating()
	}

	/// The services' collection, created (without a deposit) the first time it is needed.
	pub fn service_collection() -> Result<T::CollectionId, DispatchError> {
		if let Some(collection) = ServiceCollection::<T>::get() {
			return Ok(collection);
		}
		let collection = pallet_nfts::NextCollectionId::<T>::get()
			.or(T::CollectionId::initial_value())
			.ok_or(Error::<T>::NoCollection)?;
		let owner = Self::account_id();
		let config = CollectionConfig {
			settings: CollectionSettings::all_enabled(),
			max_supply: None,
			mint_settings: MintSettings::default(),
		};
		Nfts::<T>::do_create_collection(
			collection,
			owner.clone(),
			owner.clone(),
			config,
			Zero::zero(),
			pallet_nfts::Event::ForceCreated { collection, owner },
		)?;
		pallet_nfts::NextCollectionId::<T>::set(collection.increment());
		ServiceCollection::<T>::put(collection);
		Ok(collection)
	}

	/// Whoever holds the service's NFT.
	pub fn owner_of(service: ServiceId) -> Option<T::AccountId> {
		let collection = ServiceCollection::<T>::get()?;
		<Nfts<T> as Inspect<T::AccountId>>::owner(&collection, &service)
	}

	/// The record of `service`, if `who` holds its NFT; fails otherwise.
	pub(crate) fn ensure_owner(
		who: &T::AccountId,
		service: ServiceId,
	) -> Result<ServiceInfo<T>, DispatchError> {
		let info = Services::<T>::get(service).ok_or(Error::<T>::UnknownService)?;
		ensure!(Self::owner_of(service).as_ref() == Some(who), Error::<T>::NotOwner);
		Ok(info)
	}

	/// Whether `version` of `service` exists and is not retired.
	fn is_live(service: ServiceId, version: VersionNumber) -> bool {
		Versions::<T>::get(service, version).is_some_and(|info| info.retired_at.is_none())
	}

	fn check_name(name: &ServiceNameOf<T>) -> DispatchResult {
		let valid = name.first().is_some_and(u8::is_ascii_lowercase)
			&& name.iter().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
			&& !name.ends_with(b"-");
		ensure!(valid, Error::<T>::InvalidName);
		Ok(())
	}

	fn check_source(source: &Source<T>, code_hash: &H256) -> DispatchResult {
		let repository = &source.repository[..];
		let scheme = REPOSITORY_SCHEMES.iter().find(|scheme| repository.starts_with(scheme));
		let valid = scheme.is_some_and(|scheme| repository.len() > scheme.len())
			&& repository.iter().all(u8::is_ascii_graphic)
			&& !source.reference.is_empty()
			&& source.reference.iter().all(u8::is_ascii_graphic);
		ensure!(valid, Error::<T>::InvalidSource);
		ensure!(!code_hash.is_zero(), Error::<T>::InvalidCodeHash);
		Ok(())
	}

	fn check_ident(ident: &IdentOf<T>) -> DispatchResult {
		let valid = !ident.is_empty()
			&& ident.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'_' || *b == b'.');
		ensure!(valid, Error::<T>::InvalidEndpoint);
		Ok(())
	}

	fn check_message(message: &MessageType<T>) -> DispatchResult {
		Self::check_ident(&message.name)?;
		let mut names = BTreeSet::new();
		let mut numbers = BTreeSet::new();
		for field in &message.fields {
			Self::check_ident(&field.name)?;
			ensure!(field.number > 0, Error::<T>::InvalidEndpoint);
			ensure!(
				names.insert(&field.name[..]) && numbers.insert(field.number),
				Error::<T>::DuplicateEndpoint
			);
		}
		Ok(())
	}

	fn check_endpoints(endpoints: &EndpointsOf<T>) -> DispatchResult {
		ensure!(!endpoints.is_empty(), Error::<T>::NoEndpoints);
		let mut names = BTreeSet::new();
		for endpoint in endpoints {
			Self::check_ident(&endpoint.name)?;
			Self::check_message(&endpoint.request)?;
			Self::check_message(&endpoint.response)?;
			ensure!(names.insert(&endpoint.name[..]), Error::<T>::DuplicateEndpoint);
		}
		Ok(())
	}

	/// Registers a service for `who`, mints its NFT to them and publishes version 1.
	pub(crate) fn do_register(
		who: T::AccountId,
		name: ServiceNameOf<T>,
		source: Source<T>,
		code_hash: H256,
		endpoints: EndpointsOf<T>,
		price_per_call: ApiTokens,
	) -> Result<ServiceId, DispatchError> {
		Self::check_name(&name)?;
		ensure!(!ServiceByName::<T>::contains_key(&name), Error::<T>::NameTaken);
		Self::check_source(&source, &code_hash)?;
		Self::check_endpoints(&endpoints)?;

		let collection = Self::service_collection()?;
		let service = NextServiceId::<T>::get();
		let next = service.checked_add(1).ok_or(Error::<T>::ServiceIdOverflow)?;
		let registered = RegisteredBy::<T>::get(&who);
		let mut deposit = T::ServiceDeposit::get();
		if registered >= T::Access::service_allowance(&who) {
			deposit = deposit.saturating_add(T::ExtraServiceDeposit::get());
		}
		T::NativeBalance::hold(&HoldReason::ServiceDeposit.into(), &who, deposit)?;
		<Nfts<T> as Mutate<T::AccountId, ItemConfig>>::mint_into(
			&collection,
			&service,
			&who,
			&ItemConfig { settings: ItemSettings::all_enabled() },
			false,
		)?;

		let now = frame_system::Pallet::<T>::block_number();
		NextServiceId::<T>::put(next);
		RegisteredBy::<T>::insert(&who, registered.saturating_add(1));
		ServiceByName::<T>::insert(&name, service);
		Versions::<T>::insert(
			service,
			1,
			VersionInfo { source, code_hash, endpoints, published_at: now, retired_at: None },
		);
		Services::<T>::insert(
			service,
			ServiceInfo {
				name: name.clone(),
				creator: who.clone(),
				deposit,
				price_per_call,
				registered_at: now,
				latest_version: 1,
				live_versions: 1,
				placements: 0,
				price_rise: None,
			},
		);
		Self::deposit_event(Event::ServiceRegistered { service, name, owner: who, code_hash });
		Ok(service)
	}

	/// Adds a version to `service`, which `who` must own.
	pub(crate) fn do_publish(
		who: &T::AccountId,
		service: ServiceId,
		source: Source<T>,
		code_hash: H256,
		endpoints: EndpointsOf<T>,
	) -> Result<VersionNumber, DispatchError> {
		let mut info = Self::ensure_owner(who, service)?;
		Self::check_source(&source, &code_hash)?;
		Self::check_endpoints(&endpoints)?;
		ensure!(info.latest_version < T::MaxVersions::get(), Error::<T>::TooManyVersions);
		let latest = Versions::<T>::get(service, info.latest_version);
		ensure!(latest.is_none_or(|latest| latest.code_hash != code_hash), Error::<T>::SameCode);
		let version = info.latest_version.saturating_add(1);
		let now = frame_system::Pallet::<T>::block_number();
		Versions::<T>::insert(
			service,
			version,
			VersionInfo { source, code_hash, endpoints, published_at: now, retired_at: None },
		);
		info.latest_version = version;
		info.live_versions.saturating_inc();
		Services::<T>::insert(service, info);
		Self::deposit_event(Event::VersionPublished { service, version, code_hash });
		Ok(version)
	}

	/// Retires `version` of `service`, which `who` must own.
	pub(crate) fn do_retire(
		who: &T::AccountId,
		service: ServiceId,
		version: VersionNumber,
	) -> DispatchResult {
		let mut info = Self::ensure_owner(who, service)?;
		let now = frame_system::Pallet::<T>::block_number();
		Versions::<T>::try_mutate(service, version, |maybe| {
			let info = maybe.as_mut().ok_or(Error::<T>::UnknownVersion)?;
			ensure!(info.retired_at.is_none(), Error::<T>::VersionRetired);
			info.retired_at = Some(now);
			Ok::<_, Error<T>>(())
		})?;
		RetiredAt::<T>::insert(service, version, now);
		info.live_versions.saturating_dec();
		Services::<T>::insert(service, info);
		// At most `MaxVersions` versions exist, each retired once: the list has room.
		RetiredVersions::<T>::try_mutate(service, |retired| retired.try_push(version))
			.map_err(|_| Error::<T>::TooManyVersions)?;
		Self::deposit_event(Event::VersionRetired { service, version });
		Ok(())
	}

	/// Sets the price per call of `service`, which `who` must own: a cut at once, a rise after
	/// [`Config::PriceRiseNotice`] blocks.
	pub(crate) fn do_set_price(
		who: &T::AccountId,
		service: ServiceId,
		price_per_call: ApiTokens,
	) -> DispatchResult {
		let mut info = Self::ensure_owner(who, service)?;
		let now = frame_system::Pallet::<T>::block_number();
		info.apply_due_rise(now);
		if price_per_call <= info.price_per_call {
			info.price_per_call = price_per_call;
			info.price_rise = None;
			Services::<T>::insert(service, info);
			Self::deposit_event(Event::PriceSet { service, price_per_call });
		} else {
			let from = now.saturating_add(T::PriceRiseNotice::get());
			info.price_rise = Some((price_per_call, from));
			Services::<T>::insert(service, info);
			Self::deposit_event(Event::PriceRiseAnnounced { service, price_per_call, from });
		}
		Ok(())
	}

	/// Moves `service`'s NFT from `who`, its owner, to `to`.
	pub(crate) fn do_transfer(
		who: T::AccountId,
		service: ServiceId,
		to: T::AccountId,
	) -> DispatchResult {
		Self::ensure_owner(&who, service)?;
		ensure!(who != to, Error::<T>::AlreadyOwner);
		Self::move_nft(service, &to)?;
		Self::deposit_event(Event::ServiceTransferred { service, from: who, to });
		Ok(())
	}

	/// Moves `service`'s NFT to `to`, ending any offer to sell it.
	fn move_nft(service: ServiceId, to: &T::AccountId) -> DispatchResult {
		Self::end_offer(service)?;
		let collection = Self::service_collection()?;
		<Nfts<T> as Transfer<T::AccountId>>::transfer(&collection, &service, to)?;
		Ok(())
	}

	/// Ends the offer to sell `service`, if there is one, and lets its NFT move through
	/// `pallet-nfts` again. Returns whether there was one.
	fn end_offer(service: ServiceId) -> Result<bool, DispatchError> {
		if Offers::<T>::take(service).is_none() {
			return Ok(false);
		}
		if Self::owner_of(service).is_some() {
			let collection = Self::service_collection()?;
			// Fails only if the transfers were never disabled (nothing to undo): an offer must
			// never get stuck, or it would pin the NFT to its holder.
			let _ = <Nfts<T> as Transfer<T::AccountId>>::enable_transfer(&collection, &service);
		}
		Ok(true)
	}

	/// The offer to sell `service`, if its seller still holds the NFT.
	pub fn live_offer(service: ServiceId) -> Option<Offer<T>> {
		let offer = Offers::<T>::get(service)?;
		(Self::owner_of(service).as_ref() == Some(&offer.seller)).then_some(offer)
	}

	/// Offers `service`, which `who` must own, for `price`, to `buyer` only if given.
	pub(crate) fn do_offer(
		who: T::AccountId,
		service: ServiceId,
		price: BalanceOf<T>,
		buyer: Option<T::AccountId>,
	) -> DispatchResult {
		Self::ensure_owner(&who, service)?;
		ensure!(!price.is_zero(), Error::<T>::ZeroPrice);
		ensure!(buyer.as_ref() != Some(&who), Error::<T>::AlreadyOwner);
		// While the offer stands the NFT cannot leave through `pallet-nfts`, so the offer cannot
		// outlive a transfer and come back with the NFT.
		if !Offers::<T>::contains_key(service) {
			let collection = Self::service_collection()?;
			<Nfts<T> as Transfer<T::AccountId>>::disable_transfer(&collection, &service)?;
		}
		Offers::<T>::insert(service, Offer { seller: who.clone(), price, buyer: buyer.clone() });
		Self::deposit_event(Event::ServiceOffered { service, seller: who, price, buyer });
		Ok(())
	}

	/// Ends the offer to sell `service`; `who` must be its seller or the service's owner.
	pub(crate) fn do_withdraw_offer(who: &T::AccountId, service: ServiceId) -> DispatchResult {
		let offer = Offers::<T>::get(service).ok_or(Error::<T>::NotForSale)?;
		let owner = Self::owner_of(service);
		ensure!(&offer.seller == who || owner.as_ref() == Some(who), Error::<T>::NotSeller);
		Self::end_offer(service)?;
		Self::deposit_event(Event::OfferWithdrawn { service });
		Ok(())
	}

	/// `who` buys the offered `service` for at most `max_price`: the price is split with
	/// [`ProfitShares::of`] between the charity and operations accounts and the seller, and the
	/// NFT moves to `who`.
	pub(crate) fn do_buy(
		who: T::AccountId,
		service: ServiceId,
		max_price: BalanceOf<T>,
	) -> DispatchResult {
		ensure!(Services::<T>::contains_key(service), Error::<T>::UnknownService);
		let offer = Self::live_offer(service).ok_or(Error::<T>::NotForSale)?;
		ensure!(offer.seller != who, Error::<T>::AlreadyOwner);
		ensure!(offer.buyer.as_ref().is_none_or(|b| b == &who), Error::<T>::NotOfferedToYou);
		ensure!(offer.price <= max_price, Error::<T>::PriceAboveLimit);
		let shares = ProfitShares::of(offer.price);
		for (to, amount) in [
			(T::CharityAccount::get(), shares.charity),
			(T::OperationsAccount::get(), shares.operations),
			(offer.seller.clone(), shares.remainder),
		] {
			if !amount.is_zero() {
				T::NativeBalance::transfer(&who, &to, amount, Preservation::Preserve)?;
			}
		}
		Self::move_nft(service, &who)?;
		Self::deposit_event(Event::ServiceSold {
			service,
			seller: offer.seller,
			buyer: who,
			price: offer.price,
			charity: shares.charity,
			operations: shares.operations,
		});
		Ok(())
	}

	/// Removes `service`, which `who` must own, and burns its NFT. If its holder already burned
	/// the NFT through `pallet-nfts`, anyone may clear what is left.
	pub(crate) fn do_unregister(who: &T::AccountId, service: ServiceId) -> DispatchResult {
		ensure!(Services::<T>::contains_key(service), Error::<T>::UnknownService);
		let owner = Self::owner_of(service);
		ensure!(owner.is_none() || owner.as_ref() == Some(who), Error::<T>::NotOwner);
		let info = Services::<T>::take(service).ok_or(Error::<T>::UnknownService)?;
		Self::end_offer(service)?;
		AvailableUntil::<T>::remove(service);
		RetiredVersions::<T>::remove(service);
		for (node, _) in Placements::<T>::drain_prefix(service) {
			Self::forget_on_node(node, service);
		}
		let _ = Versions::<T>::clear_prefix(service, T::MaxVersions::get(), None);
		let _ = RetiredAt::<T>::clear_prefix(service, T::MaxVersions::get(), None);
		// Past placements beyond this many stay behind, keyed by an id never used again: they
		// can count for nothing, the service being gone.
		let _ = PastPlacements::<T>::clear_prefix(service, T::MaxNodesPerService::get(), None);
		ServiceByName::<T>::remove(&info.name);
		RegisteredBy::<T>::mutate_exists(&info.creator, |count| {
			*count = count.and_then(|c| c.checked_sub(1)).filter(|c| *c > 0);
		});
		T::NativeBalance::release(
			&HoldReason::ServiceDeposit.into(),
			&info.creator,
			info.deposit,
			Precision::BestEffort,
		)?;
		if owner.is_some() {
			let collection = Self::service_collection()?;
			<Nfts<T> as Mutate<T::AccountId, ItemConfig>>::burn(&collection, &service, Some(who))?;
		}
		Self::deposit_event(Event::ServiceUnregistered { service, name: info.name });
		Ok(())
	}

	/// Fails unless `who` operates `node`.
	fn ensure_operator(who: &T::AccountId, node: NodeId) -> DispatchResult {
		let operator = T::Nodes::operator(node).ok_or(Error::<T>::UnknownNode)?;
		ensure!(&operator == who, Error::<T>::NotNodeOperator);
		Ok(())
	}

	/// Records that `node`, operated by `who`, runs `versions` of `service`.
	pub(crate) fn do_announce(
		who: &T::AccountId,
		node: NodeId,
		service: ServiceId,
		mut versions: PlacedVersionsOf<T>,
	) -> DispatchResult {
		Self::ensure_operator(who, node)?;
		ensure!(T::Nodes::is_online(node), Error::<T>::NodeOffline);
		let mut info = Services::<T>::get(service).ok_or(Error::<T>::UnknownService)?;
		ensure!(Self::owner_of(service).is_some(), Error::<T>::UnknownService);
		versions.sort_by(|a, b| a.cmp(b));
		let unique = versions.windows(2).all(|pair| pair[0] != pair[1]);
		ensure!(!versions.is_empty() && unique, Error::<T>::InvalidVersions);
		for version in versions.iter() {
			let version_info =
				Versions::<T>::get(service, version).ok_or(Error::<T>::UnknownVersion)?;
			ensure!(version_info.retired_at.is_none(), Error::<T>::VersionRetired);
		}
		let since = frame_system::Pallet::<T>::block_number();
		if let Some(past) = PastPlacements::<T>::get(service, node) {
			ensure!(
				past.banned_until().is_none_or(|until| since >= until),
				Error::<T>::NodeEvicted
			);
			if !past.matters_at(since) {
				PastPlacements::<T>::remove(service, node);
			}
		}
		if !Placements::<T>::contains_key(service, node) {
			ensure!(
				info.placements < T::MaxNodesPerService::get(),
				Error::<T>::TooManyNodesForService
			);
			NodeServices::<T>::try_mutate(node, |services| services.try_push(service))
				.map_err(|_| Error::<T>::TooManyServicesOnNode)?;
			info.placements.saturating_inc();
			Services::<T>::insert(service, info);
		}
		// No availability stamp here: only a heartbeat stamps, for the placements standing at
		// it, so a placement announced and withdrawn between two heartbeats never counts.
		Placements::<T>::insert(service, node, Placement { versions: versions.clone(), since });
		Self::deposit_event(Event::PlacementAnnounced { service, node, versions });
		Ok(())
	}

	/// Records that `node`, operated by `who`, no longer runs `service`.
	pub(crate) fn do_withdraw(
		who: &T::AccountId,
		node: NodeId,
		service: ServiceId,
	) -> DispatchResult {
		Self::ensure_operator(who, node)?;
		Self::unplace(service, node, false)?;
		Self::deposit_event(Event::PlacementWithdrawn { service, node });
		Ok(())
	}

	/// `who` evicts `node`'s placement of `service`: the service's owner any (barring the node
	/// for [`Config::EvictionBan`] blocks), anyone that of an offline node.
	pub(crate) fn do_evict(who: T::AccountId, service: ServiceId, node: NodeId) -> DispatchResult {
		ensure!(Placements::<T>::contains_key(service, node), Error::<T>::NotPlaced);
		let by_owner = Self::owner_of(service).as_ref() == Some(&who);
		ensure!(by_owner || !T::Nodes::is_online(node), Error::<T>::NodeOnline);
		let past = Self::unplace(service, node, by_owner)?;
		Self::deposit_event(Event::PlacementEvicted {
			service,
			node,
			by: who,
			banned_until: past.banned_until(),
		});
		Ok(())
	}

	/// Ends `node`'s placement of `service`, keeping it as a [`PastPlacement`] so the versions
	/// it ran still count for [`Config::RetireGrace`] blocks. Returns that record.
	fn unplace(
		service: ServiceId,
		node: NodeId,
		evicted: bool,
	) -> Result<PastPlacement<T>, DispatchError> {
		let placement = Placements::<T>::take(service, node).ok_or(Error::<T>::NotPlaced)?;
		Self::forget_on_node(node, service);
		Services::<T>::mutate(service, |info| {
			if let Some(info) = info {
				info.placements.saturating_dec();
			}
		});
		let past = PastPlacement {
			versions: placement.versions,
			ended_at: frame_system::Pallet::<T>::block_number(),
			evicted,
		};
		PastPlacements::<T>::insert(service, node, past.clone());
		Ok(past)
	}

	/// Takes `service` off `node`'s list of services.
	fn forget_on_node(node: NodeId, service: ServiceId) {
		NodeServices::<T>::mutate_exists(node, |services| {
			if let Some(list) = services {
				list.retain(|s| *s != service);
				if list.is_empty() {
					*services = None;
				}
			}
		});
	}

	/// Marks `service` available until block `until`, unless it already is for longer.
	fn stamp_available(service: ServiceId, until: BlockNumberFor<T>) {
		AvailableUntil::<T>::mutate(service, |stamp| {
			if stamp.is_none_or(|stamp| stamp < until) {
				*stamp = Some(until);
			}
		});
	}

	/// Whether `version` of `service` can be called now.
	pub fn version_status(
		service: ServiceId,
		version: VersionNumber,
		info: &VersionInfo<T>,
	) -> VersionStatus {
		if info.retired_at.is_some() {
			return VersionStatus::Retired;
		}
		let running = Placements::<T>::iter_prefix(service).any(|(node, placement)| {
			placement.versions.contains(&version) && T::Nodes::is_online(node)
		});
		if running {
			VersionStatus::Live
		} else {
			VersionStatus::Idle
		}
	}
}

impl<T: Config> ServiceDirectory<T::AccountId, BlockNumberFor<T>> for Pallet<T> {
	fn owner(service: ServiceId) -> Option<T::AccountId> {
		Services::<T>::contains_key(service).then(|| Self::owner_of(service)).flatten()
	}

	fn registered_at(service: ServiceId) -> Option<BlockNumberFor<T>> {
		Services::<T>::get(service).map(|info| info.registered_at)
	}

	fn creator(service: ServiceId) -> Option<T::AccountId> {
		Services::<T>::get(service).map(|info| info.creator)
	}

	fn price_per_call(service: ServiceId) -> Option<ApiTokens> {
		let now = frame_system::Pallet::<T>::block_number();
		Services::<T>::get(service).map(|info| info.price_at(now))
	}

	fn runs(node: NodeId, service: ServiceId, version: VersionNumber) -> bool {
		let placed = Placements::<T>::get(service, node)
			.is_some_and(|placement| placement.versions.contains(&version));
		placed && Self::is_live(service, version)
	}

	/// A version counts while placed on `node` and live, and for [`Config::RetireGrace`] blocks
	/// after the owner retired it or the placement ended (whichever came first). At most four
	/// small reads: the placement, the past placement, the retired versions and the block the
	/// version was retired in; never the version's record.
	fn ran_recently(node: NodeId, service: ServiceId, version: VersionNumber) -> bool {
		let now = frame_system::Pallet::<T>::block_number();
		let within_grace = |at: BlockNumberFor<T>| now <= at.saturating_add(T::RetireGrace::get());
		let placed = Placements::<T>::get(service, node)
			.is_some_and(|placement| placement.versions.contains(&version));
		if !placed {
			let ended_recently = PastPlacements::<T>::get(service, node).is_some_and(|past| {
				past.versions.contains(&version) && within_grace(past.ended_at)
			});
			if !ended_recently {
				return false;
			}
		}
		// A placed version exists (announcements name only published versions, and they go
		// only with the service), so it is live unless retired.
		!RetiredVersions::<T>::get(service).contains(&version)
			|| RetiredAt::<T>::get(service, version).is_some_and(within_grace)
	}

	/// One read of the stamp (and two of the NFT's owner), never a walk over placements.
	fn is_available(service: ServiceId) -> bool {
		let now = frame_system::Pallet::<T>::block_number();
		AvailableUntil::<T>::get(service).is_some_and(|until| now <= until)
			&& Self::owner_of(service).is_some()
	}

	fn count() -> u32 {
		Services::<T>::count()
	}

	fn services_of(owner: &T::AccountId, max: u32) -> Vec<ServiceId> {
		let Some(collection) = ServiceCollection::<T>::get() else { return Vec::new() };
		<Nfts<T> as InspectEnumerable<T::AccountId>>::owned_in_collection(&collection, owner)
			.take(max as usize)
			.collect()
	}
}

impl<T: Config> NodePlacements<BlockNumberFor<T>> for Pallet<T> {
	fn is_serving(node: NodeId) -> bool {
		!NodeServices::<T>::get(node).is_empty()
	}

	fn max_services_per_node() -> u32 {
		T::MaxServicesPerNode::get()
	}

	/// Refreshes the availability stamp of every service `node` runs a live version of: per
	/// service, its placement, its retired versions and its stamp. Returns how many services
	/// the node runs (each visited, whether or not its stamp moved).
	fn on_heartbeat(node: NodeId, online_until: BlockNumberFor<T>) -> u32 {
		let services = NodeServices::<T>::get(node);
		for service in services.iter().copied() {
			let Some(placement) = Placements::<T>::get(service, node) else { continue };
			let retired = RetiredVersions::<T>::get(service);
			if placement.versions.iter().any(|version| !retired.contains(version)) {
				Self::stamp_available(service, online_until);
			}
		}
		services.len() as u32
	}

	/// The worst case of a heartbeat for `services` services: `node` runs that many (at most
	/// as many as a node may), each with as many versions as a placement may hold, the last of
	/// them live and all the others retired (so every check runs to the end), and every stamp
	/// moves.
	#[cfg(feature = "runtime-benchmarks")]
	fn serve_for_benchmark(node: NodeId, services: u32) {
		let per_placement = T::MaxVersionsPerPlacement::get();
		let versions: Vec<VersionNumber> = (1..=per_placement).collect();
		let retired: Vec<VersionNumber> =
			(1..T::MaxVersions::get()).filter(|v| *v != per_placement).collect();
		let since = frame_system::Pallet::<T>::block_number();
		for index in 0..services.min(T::MaxServicesPerNode::get()) {
			let service = ServiceId::MAX - index;
			let pushed = NodeServices::<T>::mutate(node, |services| services.try_push(service));
			if pushed.is_err() {
				break;
			}
			Placements::<T>::insert(
				service,
				node,
				Placement { versions: versions.clone().try_into().unwrap_or_default(), since },
			);
			RetiredVersions::<T>::insert(service, BoundedVec::truncate_from(retired.clone()));
		}
	}
}

impl<T: Config> Pallet<T> {
	/// Benchmarks only: a service of `owner`'s at one token a call, version 1 placed on `node`.
	#[cfg(feature = "runtime-benchmarks")]
	pub fn live_service_for_benchmark(
		owner: &T::AccountId,
		node: NodeId,
	) -> (ServiceId, VersionNumber) {
		crate::benchmarking::live_service::<T>(owner, node)
	}

	/// The versions `node` runs of `service`, if it runs any.
	pub fn placement(service: ServiceId, node: NodeId) -> Option<PlacedVersionsOf<T>> {
		Placements::<T>::get(service, node).map(|placement| placement.versions)
	}
}
