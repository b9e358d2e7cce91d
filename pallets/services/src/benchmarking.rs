//! Benchmarks of the services pallet, each at its worst case: the longest names and sources,
//! the most endpoints and fields, the most versions and placements.

use super::*;
use crate::Pallet as MicroServices;
use alloc::vec::Vec;
use frame_benchmarking::v2::*;
use frame_support::{
	pallet_prelude::*,
	traits::fungible::{Inspect, Mutate},
};
use frame_system::RawOrigin;
use micro_primitives::{NodeDirectory, NodeId, ServiceId, VersionNumber};
use sp_core::H256;
use sp_runtime::{traits::Bounded, Saturating};

fn funded<T: Config>(name: &'static str, index: u32) -> T::AccountId {
	let who: T::AccountId = account(name, index, 0);
	T::NativeBalance::set_balance(&who, BalanceOf::<T>::max_value() / 1_000_000u32.into());
	who
}

/// `prefix` and the decimal digits of `index`, padded with `pad` to `len` bytes.
fn padded(prefix: u8, index: u32, pad: u8, len: u32) -> Vec<u8> {
	let mut bytes = alloc::vec![prefix];
	let mut digits = Vec::new();
	let mut rest = index;
	loop {
		digits.push(b'0' + (rest % 10) as u8);
		rest /= 10;
		if rest == 0 {
			break;
		}
	}
	bytes.extend(digits.into_iter().rev());
	bytes.resize(len as usize, pad);
	bytes
}

fn name<T: Config>(index: u32) -> ServiceNameOf<T> {
	padded(b's', index, b'x', T::MaxNameLen::get()).try_into().expect("sized to the bound")
}

fn ident<T: Config>(index: u32) -> IdentOf<T> {
	padded(b'e', index, b'a', T::MaxIdentLen::get()).try_into().expect("sized to the bound")
}

fn source<T: Config>() -> Source<T> {
	let mut repository = b"https://example.org/".to_vec();
	repository.resize(T::MaxUrlLen::get() as usize, b'r');
	let mut reference = b"v".to_vec();
	reference.resize(T::MaxRefLen::get() as usize, b'1');
	Source {
		repository: repository.try_into().expect("sized to the bound"),
		reference: reference.try_into().expect("sized to the bound"),
	}
}

fn message<T: Config>() -> MessageType<T> {
	let fields: Vec<Field<T>> = (0..T::MaxFields::get())
		.map(|i| Field {
			number: i + 1,
			name: ident::<T>(i),
			kind: FieldKind::Json,
			repeated: true,
		})
		.collect();
	MessageType { name: ident::<T>(0), fields: fields.try_into().expect("sized to the bound") }
}

fn endpoints<T: Config>() -> EndpointsOf<T> {
	let endpoints: Vec<Endpoint<T>> = (0..T::MaxEndpoints::get())
		.map(|i| Endpoint {
			name: ident::<T>(i),
			request: message::<T>(),
			response: message::<T>(),
		})
		.collect();
	endpoints.try_into().expect("sized to the bound")
}

fn code(n: u32) -> H256 {
	let mut bytes = [0u8; 32];
	bytes[28..].copy_from_slice(&(n + 1).to_be_bytes());
	H256(bytes)
}

/// Registers a service for `owner` at the worst case.
fn register<T: Config>(owner: &T::AccountId, index: u32) -> ServiceId {
	MicroServices::<T>::do_register(
		owner.clone(),
		name::<T>(index),
		source::<T>(),
		code(0),
		endpoints::<T>(),
		10,
	)
	.expect("a fresh service registers")
}

/// Publishes versions until `service` has `count`.
fn publish_up_to<T: Config>(owner: &T::AccountId, service: ServiceId, count: VersionNumber) {
	for v in 2..=count {
		MicroServices::<T>::do_publish(owner, service, source::<T>(), code(v), endpoints::<T>())
			.expect("the owner publishes");
	}
}

/// Every version from 1 to the most one placement may name, up to `count`.
fn placed_versions<T: Config>(count: VersionNumber) -> PlacedVersionsOf<T> {
	let most = T::MaxVersionsPerPlacement::get().min(count);
	(1..=most).collect::<Vec<_>>().try_into().expect("sized to the bound")
}

/// A node for `operator` already running one short of the most services a node may run.
fn busy_node<T: Config>(operator: &T::AccountId) -> NodeId {
	let node = T::Nodes::register_for_benchmark(operator);
	let filler = funded::<T>("filler", node);
	for i in 1..T::MaxServicesPerNode::get() {
		let service = register::<T>(&filler, 10_000 + node * 100 + i);
		MicroServices::<T>::do_announce(operator, node, service, placed_versions::<T>(1))
			.expect("the operator announces");
	}
	node
}

/// A service of `owner`'s at a price of one token a call, whose version 1 `node` ran, in the
/// state settlement's check of that costs the most
/// ([`micro_primitives::ServiceDirectory::ran_recently`] reads all it may): the node's placement
/// ended and the version was retired, both just now (within [`Config::RetireGrace`]), the past
/// placement and the list of retired versions full.
pub(crate) fn live_service<T: Config>(
	owner: &T::AccountId,
	node: NodeId,
) -> (ServiceId, VersionNumber) {
	T::NativeBalance::set_balance(owner, BalanceOf::<T>::max_value() / 1_000_000u32.into());
	let service = MicroServices::<T>::do_register(
		owner.clone(),
		// Unique per call: settlement's benchmark asks for a service per record, on one node.
		name::<T>(1_000_000u32.saturating_add(NextServiceId::<T>::get())),
		source::<T>(),
		code(0),
		endpoints::<T>(),
		1,
	)
	.expect("a fresh service registers");
	let operator = T::Nodes::operator(node).expect("the node is registered");
	MicroServices::<T>::do_announce(&operator, node, service, placed_versions::<T>(1))
		.expect("the operator announces");
	MicroServices::<T>::do_withdraw(&operator, node, service).expect("the operator withdraws");
	MicroServices::<T>::do_retire(owner, service, 1).expect("the owner retires");
	let full: Vec<VersionNumber> = (1..=T::MaxVersionsPerPlacement::get()).collect();
	PastPlacements::<T>::mutate(service, node, |past| {
		if let Some(past) = past {
			past.versions = full.try_into().expect("sized to the bound");
		}
	});
	let retired: Vec<VersionNumber> = (2..=T::MaxVersions::get()).chain([1]).collect();
	RetiredVersions::<T>::insert(service, BoundedVec::truncate_from(retired));
	(service, 1)
}

#[benchmarks]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn register_service() {
		let owner = funded::<T>("owner", 0);

		#[extrinsic_call]
		_(
			RawOrigin::Signed(owner.clone()),
			name::<T>(0),
			source::<T>(),
			code(0),
			endpoints::<T>(),
			10,
		);

		assert_eq!(MicroServices::<T>::owner_of(0), Some(owner));
	}

	#[benchmark]
	fn publish_version() {
		let owner = funded::<T>("owner", 0);
		let service = register::<T>(&owner, 0);
		let last = T::MaxVersions::get();
		publish_up_to::<T>(&owner, service, last - 1);

		#[extrinsic_call]
		_(RawOrigin::Signed(owner), service, source::<T>(), code(last), endpoints::<T>());

		assert!(Versions::<T>::contains_key(service, last));
	}

	/// The worst case adds the last version to a full list of retired versions.
	#[benchmark]
	fn retire_version() {
		let owner = funded::<T>("owner", 0);
		let service = register::<T>(&owner, 0);
		publish_up_to::<T>(&owner, service, T::MaxVersions::get());
		for version in 2..=T::MaxVersions::get() {
			MicroServices::<T>::do_retire(&owner, service, version).expect("the owner retires");
		}

		#[extrinsic_call]
		_(RawOrigin::Signed(owner), service, 1);

		assert!(Versions::<T>::get(service, 1).is_some_and(|v| v.retired_at.is_some()));
	}

	/// The worst case is a rise replacing a pending rise.
	#[benchmark]
	fn set_price() {
		let owner = funded::<T>("owner", 0);
		let service = register::<T>(&owner, 0);
		MicroServices::<T>::do_set_price(&owner, service, 50).expect("the owner raises");

		#[extrinsic_call]
		_(RawOrigin::Signed(owner), service, 99);

		let from =
			frame_system::Pallet::<T>::block_number().saturating_add(T::PriceRiseNotice::get());
		assert_eq!(Services::<T>::get(service).and_then(|s| s.price_rise), Some((99, from)));
	}

	/// The worst case ends a standing offer, letting the NFT move through `pallet-nfts` again.
	#[benchmark]
	fn transfer_service() {
		let owner = funded::<T>("owner", 0);
		let buyer = funded::<T>("buyer", 0);
		let service = register::<T>(&owner, 0);
		MicroServices::<T>::do_offer(owner.clone(), service, 1_000_000u32.into(), None)
			.expect("the owner offers");

		#[extrinsic_call]
		_(RawOrigin::Signed(owner), service, buyer.clone());

		assert_eq!(MicroServices::<T>::owner_of(service), Some(buyer));
	}

	#[benchmark]
	fn unregister_service() {
		let owner = funded::<T>("owner", 0);
		let service = register::<T>(&owner, 0);
		publish_up_to::<T>(&owner, service, T::MaxVersions::get());
		// Placed on as many nodes as allowed. (How many other services those nodes run does not
		// change the work: each node's list is read and written once either way.)
		for i in 0..T::MaxNodesPerService::get() {
			let operator = funded::<T>("operator", i);
			let node = T::Nodes::register_for_benchmark(&operator);
			MicroServices::<T>::do_announce(
				&operator,
				node,
				service,
				placed_versions::<T>(T::MaxVersions::get()),
			)
			.expect("the operator announces");
		}
		MicroServices::<T>::do_offer(owner.clone(), service, 1_000_000u32.into(), None)
			.expect("the owner offers");

		#[extrinsic_call]
		_(RawOrigin::Signed(owner), service);

		assert!(Services::<T>::get(service).is_none());
	}

	/// The worst case also removes a past placement of the node's that no longer matters.
	#[benchmark]
	fn announce_placement() {
		let owner = funded::<T>("owner", 0);
		let service = register::<T>(&owner, 0);
		let count = T::MaxVersionsPerPlacement::get();
		publish_up_to::<T>(&owner, service, count);
		// Long enough after the past placement below ended that neither its grace nor its ban
		// holds.
		let later = frame_system::Pallet::<T>::block_number()
			.saturating_add(T::RetireGrace::get())
			.saturating_add(T::EvictionBan::get())
			.saturating_add(1u32.into());
		frame_system::Pallet::<T>::set_block_number(later);
		let operator = funded::<T>("operator", 0);
		let node = busy_node::<T>(&operator);
		let versions = placed_versions::<T>(count);
		PastPlacements::<T>::insert(
			service,
			node,
			PastPlacement { versions: versions.clone(), ended_at: 0u32.into(), evicted: true },
		);

		#[extrinsic_call]
		_(RawOrigin::Signed(operator), node, service, versions);

		assert!(Placements::<T>::contains_key(service, node));
		assert!(!PastPlacements::<T>::contains_key(service, node));
	}

	#[benchmark]
	fn withdraw_placement() {
		let owner = funded::<T>("owner", 0);
		let service = register::<T>(&owner, 0);
		let operator = funded::<T>("operator", 0);
		let node = busy_node::<T>(&operator);
		MicroServices::<T>::do_announce(&operator, node, service, placed_versions::<T>(1))
			.expect("the operator announces");

		#[extrinsic_call]
		_(RawOrigin::Signed(operator), node, service);

		assert!(!Placements::<T>::contains_key(service, node));
	}

	/// The worst case: a stranger evicts the placement of an offline node (the owner check
	/// fails, then the node's status is read) that runs as many services as a node may, with as
	/// many versions as a placement may name, over an earlier past placement.
	#[benchmark]
	fn evict_placement() {
		let owner = funded::<T>("owner", 0);
		let service = register::<T>(&owner, 0);
		let count = T::MaxVersionsPerPlacement::get();
		publish_up_to::<T>(&owner, service, count);
		let operator = funded::<T>("operator", 0);
		let node = busy_node::<T>(&operator);
		MicroServices::<T>::do_announce(&operator, node, service, placed_versions::<T>(1))
			.expect("the operator announces");
		MicroServices::<T>::do_withdraw(&operator, node, service).expect("the operator withdraws");
		MicroServices::<T>::do_announce(&operator, node, service, placed_versions::<T>(count))
			.expect("the operator announces again");
		// Long past any heartbeat's TTL: the node is offline.
		let later = frame_system::Pallet::<T>::block_number().saturating_add(10_000_000u32.into());
		frame_system::Pallet::<T>::set_block_number(later);
		assert!(!T::Nodes::is_online(node));
		let stranger = funded::<T>("stranger", 0);

		#[extrinsic_call]
		_(RawOrigin::Signed(stranger), service, node);

		assert!(!Placements::<T>::contains_key(service, node));
		assert!(PastPlacements::<T>::get(service, node).is_some_and(|past| !past.evicted));
	}

	#[benchmark]
	fn offer_service() {
		let owner = funded::<T>("owner", 0);
		let service = register::<T>(&owner, 0);
		let buyer = funded::<T>("buyer", 0);
		let price: BalanceOf<T> = 1_000_000u32.into();

		#[extrinsic_call]
		_(RawOrigin::Signed(owner), service, price, Some(buyer));

		assert!(Offers::<T>::contains_key(service));
	}

	#[benchmark]
	fn withdraw_offer() {
		let owner = funded::<T>("owner", 0);
		let service = register::<T>(&owner, 0);
		MicroServices::<T>::do_offer(owner.clone(), service, 1_000_000u32.into(), None)
			.expect("the owner offers");

		#[extrinsic_call]
		_(RawOrigin::Signed(owner), service);

		assert!(!Offers::<T>::contains_key(service));
	}

	/// The worst case pays all three parts, each to an account that exists, and moves the NFT.
	#[benchmark]
	fn buy_service() {
		let owner = funded::<T>("owner", 0);
		let service = register::<T>(&owner, 0);
		let buyer = funded::<T>("buyer", 0);
		for account in [T::CharityAccount::get(), T::OperationsAccount::get()] {
			T::NativeBalance::set_balance(&account, T::NativeBalance::minimum_balance());
		}
		let price: BalanceOf<T> =
			T::NativeBalance::minimum_balance().saturating_mul(1_000u32.into());
		MicroServices::<T>::do_offer(owner.clone(), service, price, Some(buyer.clone()))
			.expect("the owner offers");

		#[extrinsic_call]
		_(RawOrigin::Signed(buyer.clone()), service, price);

		assert_eq!(MicroServices::<T>::owner_of(service), Some(buyer));
		assert!(!Offers::<T>::contains_key(service));
	}

	impl_benchmark_test_suite!(MicroServices, crate::mock::new_test_ext(), crate::mock::Test);
}
