//! Tests of every call of the services pallet: success, each error, and the events; and that
//! nobody but the NFT's holder can change, retire, move or take down a service.

use crate::{mock::*, *};
use frame_support::{
	assert_noop, assert_ok,
	traits::{fungible::InspectHold, tokens::nonfungibles_v2::Inspect},
};
use frame_support::{traits::ConstU32, BoundedVec};
use micro_primitives::{NodePlacements, ServiceDirectory, ServiceId};
use sp_core::H256;

fn bounded<S: frame_support::traits::Get<u32>>(text: &str) -> BoundedVec<u8, S> {
	text.as_bytes().to_vec().try_into().unwrap()
}

fn source(reference: &str) -> Source<Test> {
	Source {
		repository: bounded("https://github.com/micro/greeter"),
		reference: bounded(reference),
	}
}

fn field(number: u32, name: &str, kind: FieldKind) -> Field<Test> {
	Field { number, name: bounded(name), kind, repeated: false }
}

fn message(name: &str, fields: Vec<Field<Test>>) -> MessageType<Test> {
	MessageType { name: bounded(name), fields: fields.try_into().unwrap() }
}

fn endpoint(name: &str) -> Endpoint<Test> {
	Endpoint {
		name: bounded(name),
		request: message("Request", vec![field(1, "name", FieldKind::String)]),
		response: message("Response", vec![field(1, "msg", FieldKind::String)]),
	}
}

fn endpoints(names: &[&str]) -> EndpointsOf<Test> {
	names.iter().map(|n| endpoint(n)).collect::<Vec<_>>().try_into().unwrap()
}

fn code(n: u8) -> H256 {
	H256::repeat_byte(n)
}

fn register_as(who: AccountId, name: &str) -> ServiceId {
	let service = NextServiceId::<Test>::get();
	assert_ok!(MicroServices::register_service(
		RuntimeOrigin::signed(who),
		bounded(name),
		source("v1.0.0"),
		code(1),
		endpoints(&["Say.Hello"]),
		5,
	));
	service
}

fn nft_owner(service: ServiceId) -> Option<AccountId> {
	let collection = ServiceCollection::<Test>::get().unwrap();
	<Nfts as Inspect<AccountId>>::owner(&collection, &service)
}

fn versions(list: &[u32]) -> PlacedVersionsOf<Test> {
	list.to_vec().try_into().unwrap()
}

fn held(who: &AccountId) -> u64 {
	Balances::balance_on_hold(&HoldReason::ServiceDeposit.into(), who)
}

fn last_event() -> RuntimeEvent {
	System::events().pop().expect("an event").event
}

#[test]
fn genesis_creates_the_collection_owned_by_the_pallet() {
	new_test_ext().execute_with(|| {
		let collection = ServiceCollection::<Test>::get().expect("created at genesis");
		assert_eq!(
			<Nfts as Inspect<AccountId>>::collection_owner(&collection),
			Some(MicroServices::account_id())
		);
		// pallet-nfts hands out the next collection id after it.
		assert_eq!(pallet_nfts::NextCollectionId::<Test>::get(), Some(collection + 1));
	});
}

mod register_service {
	use super::*;

	#[test]
	fn mints_the_nft_and_records_version_one() {
		new_test_ext().execute_with(|| {
			let service = register_as(alice(), "greeter");
			assert_eq!(nft_owner(service), Some(alice()));
			assert_eq!(MicroServices::owner(service), Some(alice()));
			let info = Services::<Test>::get(service).unwrap();
			assert_eq!(info.name, bounded::<ConstU32<32>>("greeter"));
			assert_eq!((info.latest_version, info.live_versions, info.price_per_call), (1, 1, 5));
			assert_eq!(ServiceByName::<Test>::get(&info.name), Some(service));
			let version = Versions::<Test>::get(service, 1).unwrap();
			assert_eq!(version.code_hash, code(1));
			assert_eq!(version.endpoints, endpoints(&["Say.Hello"]));
			assert_eq!(held(&alice()), 50);
			assert_eq!(RegisteredBy::<Test>::get(alice()), 1);
			assert_eq!(MicroServices::service_by_name(b"greeter".to_vec()), Some(service));
			assert_eq!(
				last_event(),
				Event::ServiceRegistered {
					service,
					name: bounded("greeter"),
					owner: alice(),
					code_hash: code(1)
				}
				.into()
			);
		});
	}

	#[test]
	fn refuses_taken_and_malformed_names() {
		new_test_ext().execute_with(|| {
			register_as(alice(), "greeter");
			let attempt = |name: &str| {
				MicroServices::register_service(
					RuntimeOrigin::signed(bob()),
					bounded(name),
					source("v1"),
					code(1),
					endpoints(&["Say.Hello"]),
					1,
				)
			};
			assert_noop!(attempt("greeter"), Error::<Test>::NameTaken);
			for bad in ["", "Greeter", "1greeter", "greet er", "greeter-", "gr\u{e9}eter", "a_b"] {
				assert_noop!(attempt(bad), Error::<Test>::InvalidName);
			}
			assert_ok!(attempt("greeter-2"));
		});
	}

	#[test]
	fn refuses_bad_sources_and_code_hashes() {
		new_test_ext().execute_with(|| {
			let attempt = |repository: &str, reference: &str, code_hash: H256| {
				MicroServices::register_service(
					RuntimeOrigin::signed(alice()),
					bounded("greeter"),
					Source { repository: bounded(repository), reference: bounded(reference) },
					code_hash,
					endpoints(&["Say.Hello"]),
					1,
				)
			};
			for bad in ["github.com/x", "https://", "ftp://host/x", "https://host/a b"] {
				assert_noop!(attempt(bad, "v1", code(1)), Error::<Test>::InvalidSource);
			}
			assert_noop!(attempt("https://h/x", "", code(1)), Error::<Test>::InvalidSource);
			assert_noop!(attempt("https://h/x", "v 1", code(1)), Error::<Test>::InvalidSource);
			assert_noop!(
				attempt("https://h/x", "v1", H256::zero()),
				Error::<Test>::InvalidCodeHash
			);
			assert_ok!(attempt("file:///srv/greeter", "4f2a9c1", code(1)));
		});
	}

	#[test]
	fn refuses_bad_endpoints() {
		new_test_ext().execute_with(|| {
			let attempt = |endpoints: Vec<Endpoint<Test>>| {
				MicroServices::register_service(
					RuntimeOrigin::signed(alice()),
					bounded("greeter"),
					source("v1"),
					code(1),
					endpoints.try_into().unwrap(),
					1,
				)
			};
			assert_noop!(attempt(vec![]), Error::<Test>::NoEndpoints);
			assert_noop!(attempt(vec![endpoint("Say Hello")]), Error::<Test>::InvalidEndpoint);
			assert_noop!(attempt(vec![endpoint("")]), Error::<Test>::InvalidEndpoint);
			assert_noop!(
				attempt(vec![endpoint("Say.Hello"), endpoint("Say.Hello")]),
				Error::<Test>::DuplicateEndpoint
			);
			let mut zero_field = endpoint("Say.Hello");
			zero_field.request = message("Request", vec![field(0, "name", FieldKind::String)]);
			assert_noop!(attempt(vec![zero_field]), Error::<Test>::InvalidEndpoint);
			let mut same_number = endpoint("Say.Hello");
			same_number.request = message(
				"Request",
				vec![field(1, "name", FieldKind::String), field(1, "age", FieldKind::Uint64)],
			);
			assert_noop!(attempt(vec![same_number]), Error::<Test>::DuplicateEndpoint);
			let mut same_name = endpoint("Say.Hello");
			same_name.response = message(
				"Response",
				vec![field(1, "msg", FieldKind::String), field(2, "msg", FieldKind::Bytes)],
			);
			assert_noop!(attempt(vec![same_name]), Error::<Test>::DuplicateEndpoint);
			let mut bad_message = endpoint("Say.Hello");
			bad_message.response = message("Re-sponse", vec![]);
			assert_noop!(attempt(vec![bad_message]), Error::<Test>::InvalidEndpoint);
		});
	}

	#[test]
	fn past_the_allowance_costs_the_extra_deposit() {
		new_test_ext().execute_with(|| {
			register_as(alice(), "one");
			register_as(alice(), "two");
			assert_eq!(held(&alice()), 100);
			let third = register_as(alice(), "three");
			assert_eq!(Services::<Test>::get(third).unwrap().deposit, 250);
			assert_eq!(held(&alice()), 350);
			// A higher tier lifts the allowance.
			ALLOWANCE.with(|a| *a.borrow_mut() = 10);
			let fourth = register_as(alice(), "four");
			assert_eq!(Services::<Test>::get(fourth).unwrap().deposit, 50);
		});
	}

	#[test]
	fn refuses_an_account_that_cannot_pay() {
		new_test_ext().execute_with(|| {
			let pauper = account(9);
			assert!(MicroServices::register_service(
				RuntimeOrigin::signed(pauper),
				bounded("greeter"),
				source("v1"),
				code(1),
				endpoints(&["Say.Hello"]),
				1,
			)
			.is_err());
			assert!(ServiceByName::<Test>::get(bounded::<ConstU32<32>>("greeter")).is_none());
			assert_eq!(NextServiceId::<Test>::get(), 0);
		});
	}
}

mod versions {
	use super::*;

	#[test]
	fn the_owner_publishes_and_retires_versions() {
		new_test_ext().execute_with(|| {
			let service = register_as(alice(), "greeter");
			System::set_block_number(5);
			assert_ok!(MicroServices::publish_version(
				RuntimeOrigin::signed(alice()),
				service,
				source("v2.0.0"),
				code(2),
				endpoints(&["Say.Hello", "Say.Bye"]),
			));
			assert_eq!(
				last_event(),
				Event::VersionPublished { service, version: 2, code_hash: code(2) }.into()
			);
			let info = Services::<Test>::get(service).unwrap();
			assert_eq!((info.latest_version, info.live_versions), (2, 2));
			assert_eq!(Versions::<Test>::get(service, 2).unwrap().published_at, 5);
			assert_ok!(MicroServices::retire_version(RuntimeOrigin::signed(alice()), service, 1));
			assert_eq!(last_event(), Event::VersionRetired { service, version: 1 }.into());
			assert_eq!(Services::<Test>::get(service).unwrap().live_versions, 1);
			let listed = MicroServices::versions(service);
			assert_eq!(listed.len(), 2);
			assert_eq!(listed[0].2, VersionStatus::Retired);
			assert_eq!(listed[1].2, VersionStatus::Idle);
			assert_noop!(
				MicroServices::retire_version(RuntimeOrigin::signed(alice()), service, 1),
				Error::<Test>::VersionRetired
			);
			assert_noop!(
				MicroServices::retire_version(RuntimeOrigin::signed(alice()), service, 3),
				Error::<Test>::UnknownVersion
			);
		});
	}

	#[test]
	fn publishing_checks_code_limits_and_input() {
		new_test_ext().execute_with(|| {
			let service = register_as(alice(), "greeter");
			let publish = |code_hash: H256| {
				MicroServices::publish_version(
					RuntimeOrigin::signed(alice()),
					service,
					source("next"),
					code_hash,
					endpoints(&["Say.Hello"]),
				)
			};
			assert_noop!(publish(code(1)), Error::<Test>::SameCode);
			assert_noop!(publish(H256::zero()), Error::<Test>::InvalidCodeHash);
			assert_noop!(
				MicroServices::publish_version(
					RuntimeOrigin::signed(alice()),
					service,
					source("next"),
					code(2),
					endpoints(&[]),
				),
				Error::<Test>::NoEndpoints
			);
			assert_noop!(
				MicroServices::publish_version(
					RuntimeOrigin::signed(alice()),
					7,
					source("next"),
					code(2),
					endpoints(&["Say.Hello"]),
				),
				Error::<Test>::UnknownService
			);
			for n in 2..=5 {
				assert_ok!(publish(code(n)));
			}
			assert_noop!(publish(code(6)), Error::<Test>::TooManyVersions);
		});
	}
}

mod ownership {
	use super::*;

	#[test]
	fn a_stranger_cannot_change_retire_move_or_remove_a_service() {
		new_test_ext().execute_with(|| {
			let service = register_as(alice(), "greeter");
			let stranger = RuntimeOrigin::signed(bob());
			assert_noop!(
				MicroServices::publish_version(
					stranger.clone(),
					service,
					source("evil"),
					code(9),
					endpoints(&["Say.Hello"]),
				),
				Error::<Test>::NotOwner
			);
			assert_noop!(
				MicroServices::retire_version(stranger.clone(), service, 1),
				Error::<Test>::NotOwner
			);
			assert_noop!(
				MicroServices::set_price(stranger.clone(), service, 0),
				Error::<Test>::NotOwner
			);
			assert_noop!(
				MicroServices::transfer_service(stranger.clone(), service, bob()),
				Error::<Test>::NotOwner
			);
			assert_noop!(
				MicroServices::unregister_service(stranger.clone(), service),
				Error::<Test>::NotOwner
			);
			// Nor through pallet-nfts: not the holder, and root has no force origin there.
			let collection = ServiceCollection::<Test>::get().unwrap();
			assert!(Nfts::transfer(stranger.clone(), collection, service, bob()).is_err());
			assert!(Nfts::burn(stranger, collection, service).is_err());
			assert!(Nfts::force_collection_owner(RuntimeOrigin::root(), collection, bob()).is_err());
			assert!(MicroServices::unregister_service(RuntimeOrigin::root(), service).is_err());
			assert_eq!(MicroServices::owner(service), Some(alice()));
		});
	}

	#[test]
	fn burning_the_nft_directly_takes_the_service_down() {
		new_test_ext().execute_with(|| {
			let service = register_as(alice(), "greeter");
			set_node(1, bob(), true);
			assert_ok!(MicroServices::announce_placement(
				RuntimeOrigin::signed(bob()),
				1,
				service,
				versions(&[1])
			));
			let collection = ServiceCollection::<Test>::get().unwrap();
			assert_ok!(Nfts::burn(RuntimeOrigin::signed(alice()), collection, service));
			assert_eq!(MicroServices::owner(service), None);
			assert!(!MicroServices::is_available(service));
			assert_noop!(
				MicroServices::set_price(RuntimeOrigin::signed(alice()), service, 1),
				Error::<Test>::NotOwner
			);
			assert_noop!(
				MicroServices::announce_placement(
					RuntimeOrigin::signed(bob()),
					1,
					service,
					versions(&[1])
				),
				Error::<Test>::UnknownService
			);
			// Anyone may clear what is left; the deposit goes back to the creator.
			assert_ok!(MicroServices::unregister_service(
				RuntimeOrigin::signed(charlie()),
				service
			));
			assert!(Services::<Test>::get(service).is_none());
			assert!(!MicroServices::is_serving(1));
			assert_eq!(held(&alice()), 0);
		});
	}

	#[test]
	fn transfer_service_moves_the_nft_and_every_right() {
		new_test_ext().execute_with(|| {
			let service = register_as(alice(), "greeter");
			assert_noop!(
				MicroServices::transfer_service(RuntimeOrigin::signed(alice()), service, alice()),
				Error::<Test>::AlreadyOwner
			);
			assert_noop!(
				MicroServices::transfer_service(RuntimeOrigin::signed(alice()), 9, bob()),
				Error::<Test>::UnknownService
			);
			assert_ok!(MicroServices::transfer_service(
				RuntimeOrigin::signed(alice()),
				service,
				bob()
			));
			assert_eq!(
				last_event(),
				Event::ServiceTransferred { service, from: alice(), to: bob() }.into()
			);
			assert_eq!(nft_owner(service), Some(bob()));
			// Revenue goes to whoever the directory names as owner: now Bob.
			assert_eq!(<MicroServices as ServiceDirectory<_, _>>::owner(service), Some(bob()));
			assert_eq!(MicroServices::services_of(&bob(), 10), vec![service]);
			assert!(MicroServices::services_of(&alice(), 10).is_empty());
			assert_noop!(
				MicroServices::set_price(RuntimeOrigin::signed(alice()), service, 1),
				Error::<Test>::NotOwner
			);
			assert_ok!(MicroServices::set_price(RuntimeOrigin::signed(bob()), service, 4));
			assert_eq!(MicroServices::price_per_call(service), Some(4));
			assert_eq!(last_event(), Event::PriceSet { service, price_per_call: 4 }.into());
			assert_ok!(MicroServices::publish_version(
				RuntimeOrigin::signed(bob()),
				service,
				source("v2"),
				code(2),
				endpoints(&["Say.Hello"]),
			));
		});
	}

	#[test]
	fn a_plain_nft_transfer_or_approved_transfer_moves_ownership_too() {
		new_test_ext().execute_with(|| {
			let service = register_as(alice(), "greeter");
			let collection = ServiceCollection::<Test>::get().unwrap();
			assert_ok!(Nfts::transfer(RuntimeOrigin::signed(alice()), collection, service, bob()));
			assert_eq!(MicroServices::owner(service), Some(bob()));
			// Bob approves Charlie until block 10; Charlie moves it to himself.
			assert_ok!(Nfts::approve_transfer(
				RuntimeOrigin::signed(bob()),
				collection,
				service,
				charlie(),
				Some(10)
			));
			assert_ok!(Nfts::transfer(
				RuntimeOrigin::signed(charlie()),
				collection,
				service,
				charlie()
			));
			assert_eq!(MicroServices::owner(service), Some(charlie()));
			assert_noop!(
				MicroServices::retire_version(RuntimeOrigin::signed(bob()), service, 1),
				Error::<Test>::NotOwner
			);
			assert_ok!(MicroServices::retire_version(RuntimeOrigin::signed(charlie()), service, 1));
		});
	}

	#[test]
	fn unregistering_burns_the_nft_and_returns_the_deposit_to_the_creator() {
		new_test_ext().execute_with(|| {
			let service = register_as(alice(), "greeter");
			set_node(0, charlie(), true);
			assert_ok!(MicroServices::announce_placement(
				RuntimeOrigin::signed(charlie()),
				0,
				service,
				versions(&[1])
			));
			assert_ok!(MicroServices::transfer_service(
				RuntimeOrigin::signed(alice()),
				service,
				bob()
			));
			assert_noop!(
				MicroServices::unregister_service(RuntimeOrigin::signed(alice()), service),
				Error::<Test>::NotOwner
			);
			assert_ok!(MicroServices::unregister_service(RuntimeOrigin::signed(bob()), service));
			assert_eq!(
				last_event(),
				Event::ServiceUnregistered { service, name: bounded("greeter") }.into()
			);
			assert_eq!(nft_owner(service), None);
			assert!(Services::<Test>::get(service).is_none());
			assert!(Versions::<Test>::iter_prefix(service).next().is_none());
			assert!(Placements::<Test>::iter_prefix(service).next().is_none());
			assert!(!MicroServices::is_serving(0));
			assert_eq!(held(&alice()), 0);
			assert_eq!(RegisteredBy::<Test>::get(alice()), 0);
			// The name is free again.
			register_as(charlie(), "greeter");
		});
	}
}

mod placement {
	use super::*;

	#[test]
	fn operators_announce_and_withdraw_what_their_nodes_run() {
		new_test_ext().execute_with(|| {
			let service = register_as(alice(), "greeter");
			assert_ok!(MicroServices::publish_version(
				RuntimeOrigin::signed(alice()),
				service,
				source("v2"),
				code(2),
				endpoints(&["Say.Hello"]),
			));
			set_node(7, bob(), true);
			assert_ok!(MicroServices::announce_placement(
				RuntimeOrigin::signed(bob()),
				7,
				service,
				versions(&[2, 1])
			));
			assert_eq!(
				last_event(),
				Event::PlacementAnnounced { service, node: 7, versions: versions(&[1, 2]) }.into()
			);
			assert!(MicroServices::runs(7, service, 1));
			// Only the node's next heartbeat makes the new placement count as available.
			assert!(!MicroServices::is_available(service));
			assert_eq!(MicroServices::on_heartbeat(7, 1 + TTL), 1);
			assert!(MicroServices::is_available(service));
			assert!(MicroServices::is_serving(7));
			assert_eq!(MicroServices::placements(service), vec![(7, versions(&[1, 2]), true)]);
			assert_eq!(MicroServices::services_on(7), vec![service]);
			assert_eq!(MicroServices::versions(service)[0].2, VersionStatus::Live);

			// Retiring a version stops it counting as run, even where placed.
			assert_ok!(MicroServices::retire_version(RuntimeOrigin::signed(alice()), service, 1));
			assert!(!MicroServices::runs(7, service, 1));
			assert!(MicroServices::runs(7, service, 2));

			// A re-announcement replaces the versions without counting the node twice.
			assert_ok!(MicroServices::announce_placement(
				RuntimeOrigin::signed(bob()),
				7,
				service,
				versions(&[2])
			));
			assert_eq!(Services::<Test>::get(service).unwrap().placements, 1);

			// An offline node no longer makes the service available once its last heartbeat's
			// TTL is over: the heartbeat at block 1 stamped it available until 1 + TTL.
			set_node(7, bob(), false);
			assert_eq!(MicroServices::versions(service)[1].2, VersionStatus::Idle);
			assert_eq!(MicroServices::availability(service), (true, Some(1 + TTL)));
			System::set_block_number(2 + TTL);
			assert!(!MicroServices::is_available(service));

			assert_ok!(MicroServices::withdraw_placement(RuntimeOrigin::signed(bob()), 7, service));
			assert_eq!(last_event(), Event::PlacementWithdrawn { service, node: 7 }.into());
			assert!(!MicroServices::is_serving(7));
			assert_eq!(Services::<Test>::get(service).unwrap().placements, 0);
			assert_noop!(
				MicroServices::withdraw_placement(RuntimeOrigin::signed(bob()), 7, service),
				Error::<Test>::NotPlaced
			);
		});
	}

	#[test]
	fn refuses_bad_announcements() {
		new_test_ext().execute_with(|| {
			let service = register_as(alice(), "greeter");
			set_node(1, bob(), true);
			set_node(2, bob(), false);
			let announce = |who: AccountId, node, service, list: &[u32]| {
				MicroServices::announce_placement(
					RuntimeOrigin::signed(who),
					node,
					service,
					versions(list),
				)
			};
			assert_noop!(announce(bob(), 9, service, &[1]), Error::<Test>::UnknownNode);
			assert_noop!(announce(alice(), 1, service, &[1]), Error::<Test>::NotNodeOperator);
			assert_noop!(announce(bob(), 2, service, &[1]), Error::<Test>::NodeOffline);
			assert_noop!(announce(bob(), 1, 5, &[1]), Error::<Test>::UnknownService);
			assert_noop!(announce(bob(), 1, service, &[]), Error::<Test>::InvalidVersions);
			assert_noop!(announce(bob(), 1, service, &[1, 1]), Error::<Test>::InvalidVersions);
			assert_noop!(announce(bob(), 1, service, &[3]), Error::<Test>::UnknownVersion);
			assert_ok!(MicroServices::publish_version(
				RuntimeOrigin::signed(alice()),
				service,
				source("v2"),
				code(2),
				endpoints(&["Say.Hello"]),
			));
			assert_ok!(MicroServices::retire_version(RuntimeOrigin::signed(alice()), service, 1));
			assert_noop!(announce(bob(), 1, service, &[1, 2]), Error::<Test>::VersionRetired);
			assert_noop!(
				MicroServices::withdraw_placement(RuntimeOrigin::signed(alice()), 1, service),
				Error::<Test>::NotNodeOperator
			);
		});
	}

	#[test]
	fn placements_are_bounded_per_node_and_per_service() {
		new_test_ext().execute_with(|| {
			let first = register_as(alice(), "one");
			let second = register_as(alice(), "two");
			let third = register_as(bob(), "three");
			set_node(1, charlie(), true);
			for service in [first, second] {
				assert_ok!(MicroServices::announce_placement(
					RuntimeOrigin::signed(charlie()),
					1,
					service,
					versions(&[1])
				));
			}
			assert_noop!(
				MicroServices::announce_placement(
					RuntimeOrigin::signed(charlie()),
					1,
					third,
					versions(&[1])
				),
				Error::<Test>::TooManyServicesOnNode
			);
			for node in 2..=3 {
				set_node(node, charlie(), true);
				assert_ok!(MicroServices::announce_placement(
					RuntimeOrigin::signed(charlie()),
					node,
					first,
					versions(&[1])
				));
			}
			set_node(4, charlie(), true);
			assert_noop!(
				MicroServices::announce_placement(
					RuntimeOrigin::signed(charlie()),
					4,
					first,
					versions(&[1])
				),
				Error::<Test>::TooManyNodesForService
			);
		});
	}
}

mod selling {
	use super::*;
	use frame_support::traits::fungible::Inspect as _;

	fn free(who: &AccountId) -> u64 {
		Balances::balance(who)
	}

	#[test]
	fn a_sale_splits_the_price_to_the_unit_and_moves_the_nft() {
		new_test_ext().execute_with(|| {
			let service = register_as(alice(), "greeter");
			assert_ok!(MicroServices::offer_service(
				RuntimeOrigin::signed(alice()),
				service,
				1_000,
				None
			));
			assert_eq!(
				last_event(),
				Event::ServiceOffered { service, seller: alice(), price: 1_000, buyer: None }
					.into()
			);
			let (alice_before, bob_before) = (free(&alice()), free(&bob()));
			assert_noop!(
				MicroServices::buy_service(RuntimeOrigin::signed(bob()), service, 999),
				Error::<Test>::PriceAboveLimit
			);
			assert_ok!(MicroServices::buy_service(RuntimeOrigin::signed(bob()), service, 1_000));
			// 2.5% of 1,000 to charity and to operations, 950 to the seller.
			assert_eq!(free(&charity()), 25);
			assert_eq!(free(&operations()), 25);
			assert_eq!(free(&alice()), alice_before + 950);
			assert_eq!(free(&bob()), bob_before - 1_000);
			assert_eq!(nft_owner(service), Some(bob()));
			assert_eq!(Offers::<Test>::get(service), None);
			assert_eq!(
				last_event(),
				Event::ServiceSold {
					service,
					seller: alice(),
					buyer: bob(),
					price: 1_000,
					charity: 25,
					operations: 25
				}
				.into()
			);
			// The offer ended with the sale: nobody buys it again at that price.
			assert_noop!(
				MicroServices::buy_service(RuntimeOrigin::signed(charlie()), service, 1_000),
				Error::<Test>::NotForSale
			);
		});
	}

	#[test]
	fn an_odd_price_splits_exactly() {
		new_test_ext().execute_with(|| {
			let service = register_as(alice(), "greeter");
			assert_ok!(MicroServices::offer_service(
				RuntimeOrigin::signed(alice()),
				service,
				1_079,
				Some(bob())
			));
			let alice_before = free(&alice());
			assert_noop!(
				MicroServices::buy_service(RuntimeOrigin::signed(charlie()), service, 2_000),
				Error::<Test>::NotOfferedToYou
			);
			assert_ok!(MicroServices::buy_service(RuntimeOrigin::signed(bob()), service, 2_000));
			// 1,079 / 40 = 26 each; the seller keeps 1,027, the rounding included.
			assert_eq!(free(&charity()), 26);
			assert_eq!(free(&operations()), 26);
			assert_eq!(free(&alice()), alice_before + 1_027);
		});
	}

	#[test]
	fn only_the_owner_offers_and_only_seller_or_owner_withdraws() {
		new_test_ext().execute_with(|| {
			let service = register_as(alice(), "greeter");
			assert_noop!(
				MicroServices::offer_service(RuntimeOrigin::signed(bob()), service, 10, None),
				Error::<Test>::NotOwner
			);
			assert_noop!(
				MicroServices::offer_service(RuntimeOrigin::signed(alice()), service, 0, None),
				Error::<Test>::ZeroPrice
			);
			assert_noop!(
				MicroServices::offer_service(
					RuntimeOrigin::signed(alice()),
					service,
					10,
					Some(alice())
				),
				Error::<Test>::AlreadyOwner
			);
			assert_noop!(
				MicroServices::offer_service(RuntimeOrigin::signed(alice()), 9, 10, None),
				Error::<Test>::UnknownService
			);
			assert_noop!(
				MicroServices::withdraw_offer(RuntimeOrigin::signed(alice()), service),
				Error::<Test>::NotForSale
			);
			assert_ok!(MicroServices::offer_service(
				RuntimeOrigin::signed(alice()),
				service,
				10,
				None
			));
			assert_noop!(
				MicroServices::buy_service(RuntimeOrigin::signed(alice()), service, 10),
				Error::<Test>::AlreadyOwner
			);
			assert_noop!(
				MicroServices::withdraw_offer(RuntimeOrigin::signed(bob()), service),
				Error::<Test>::NotSeller
			);
			assert_ok!(MicroServices::withdraw_offer(RuntimeOrigin::signed(alice()), service));
			assert_eq!(last_event(), Event::OfferWithdrawn { service }.into());
			assert_noop!(
				MicroServices::buy_service(RuntimeOrigin::signed(bob()), service, 10),
				Error::<Test>::NotForSale
			);
		});
	}

	#[test]
	fn any_transfer_ends_the_offer() {
		new_test_ext().execute_with(|| {
			let service = register_as(alice(), "greeter");
			let offer = |who: AccountId| {
				assert_ok!(MicroServices::offer_service(
					RuntimeOrigin::signed(who),
					service,
					100,
					None
				));
			};
			// Through this pallet: the offer is removed.
			offer(alice());
			assert_ok!(MicroServices::transfer_service(
				RuntimeOrigin::signed(alice()),
				service,
				bob()
			));
			assert_eq!(Offers::<Test>::get(service), None);
			// Through pallet-nfts: refused while the offer stands; once withdrawn, the NFT moves.
			offer(bob());
			let collection = ServiceCollection::<Test>::get().unwrap();
			assert_noop!(
				Nfts::transfer(RuntimeOrigin::signed(bob()), collection, service, charlie()),
				pallet_nfts::Error::<Test>::ItemLocked
			);
			assert_noop!(
				Nfts::burn(RuntimeOrigin::signed(bob()), collection, service),
				pallet_nfts::Error::<Test>::ItemLocked
			);
			assert_ok!(MicroServices::withdraw_offer(RuntimeOrigin::signed(bob()), service));
			assert_ok!(Nfts::transfer(
				RuntimeOrigin::signed(bob()),
				collection,
				service,
				charlie()
			));
			assert_eq!(nft_owner(service), Some(charlie()));
			assert_noop!(
				MicroServices::buy_service(RuntimeOrigin::signed(alice()), service, 100),
				Error::<Test>::NotForSale
			);
			// Unregistering removes it too.
			offer(charlie());
			assert_ok!(MicroServices::unregister_service(
				RuntimeOrigin::signed(charlie()),
				service
			));
			assert_eq!(Offers::<Test>::get(service), None);
		});
	}

	#[test]
	fn a_buyer_who_cannot_pay_buys_nothing() {
		new_test_ext().execute_with(|| {
			let service = register_as(alice(), "greeter");
			assert_ok!(MicroServices::offer_service(
				RuntimeOrigin::signed(alice()),
				service,
				1_000_000,
				None
			));
			assert!(MicroServices::buy_service(RuntimeOrigin::signed(bob()), service, 1_000_000)
				.is_err());
			assert_eq!(nft_owner(service), Some(alice()));
			assert_eq!(free(&charity()), 0);
		});
	}
}

mod attacks {
	use super::*;

	/// Blocks a price rise waits before it applies in the mock.
	const PRICE_RISE_NOTICE: u64 = 10;

	/// Finding H1 and issue 16: an owner who raises the price after a consumer signed cannot
	/// charge the new price before the notice ends.
	#[test]
	fn price_rise_does_not_apply_before_notice() {
		new_test_ext().execute_with(|| {
			// The consumer signs an allowance while the price is 5 a call.
			let service = register_as(alice(), "greeter");
			assert_eq!(MicroServices::price_per_call(service), Some(5));
			// The owner raises it tenfold at block 1.
			assert_ok!(MicroServices::set_price(RuntimeOrigin::signed(alice()), service, 50));
			// Within the notice, settlement still charges 5 a call.
			assert_eq!(MicroServices::price_per_call(service), Some(5));
			System::set_block_number(1 + PRICE_RISE_NOTICE - 1);
			assert_eq!(MicroServices::price_per_call(service), Some(5));
			// From the end of the notice on, the new price applies.
			System::set_block_number(1 + PRICE_RISE_NOTICE);
			assert_eq!(MicroServices::price_per_call(service), Some(50));
		});
	}

	/// Review finding: an offer must not come back to life when the NFT leaves its seller
	/// through `pallet-nfts` and returns; the buyer would buy at a price the seller gave up.
	#[test]
	fn an_offer_does_not_revive_after_an_nft_round_trip() {
		new_test_ext().execute_with(|| {
			let service = register_as(alice(), "greeter");
			assert_ok!(MicroServices::offer_service(
				RuntimeOrigin::signed(alice()),
				service,
				100,
				Some(bob())
			));
			let collection = ServiceCollection::<Test>::get().unwrap();
			// Alice moves the NFT away through pallet-nfts and gets it back. Either the move is
			// refused while the offer stands, or the offer does not survive it.
			let away =
				Nfts::transfer(RuntimeOrigin::signed(alice()), collection, service, charlie());
			if away.is_ok() {
				assert_ok!(Nfts::transfer(
					RuntimeOrigin::signed(charlie()),
					collection,
					service,
					alice()
				));
			} else {
				assert_noop!(
					Nfts::transfer(RuntimeOrigin::signed(alice()), collection, service, charlie()),
					pallet_nfts::Error::<Test>::ItemLocked
				);
				assert_ok!(MicroServices::withdraw_offer(RuntimeOrigin::signed(alice()), service));
				assert_ok!(Nfts::transfer(
					RuntimeOrigin::signed(alice()),
					collection,
					service,
					charlie()
				));
				assert_ok!(Nfts::transfer(
					RuntimeOrigin::signed(charlie()),
					collection,
					service,
					alice()
				));
			}
			assert_eq!(nft_owner(service), Some(alice()));
			// Bob cannot buy at the old offer.
			assert_eq!(MicroServices::offer(service), None);
			assert_noop!(
				MicroServices::buy_service(RuntimeOrigin::signed(bob()), service, 100),
				Error::<Test>::NotForSale
			);
			assert_eq!(nft_owner(service), Some(alice()));
		});
	}
}

mod pricing {
	use super::*;

	#[test]
	fn a_rise_waits_for_the_notice_and_a_cut_applies_at_once() {
		new_test_ext().execute_with(|| {
			let service = register_as(alice(), "greeter");
			assert_ok!(MicroServices::set_price(RuntimeOrigin::signed(alice()), service, 50));
			let from = 1 + PRICE_RISE_NOTICE;
			assert_eq!(
				last_event(),
				Event::PriceRiseAnnounced { service, price_per_call: 50, from }.into()
			);
			assert_eq!(MicroServices::price(service), Some((5, Some((50, from)))));
			assert_eq!(MicroServices::service(service).unwrap().0.price_at(from), 50);

			// A second rise replaces the first and starts the notice again.
			System::set_block_number(5);
			assert_ok!(MicroServices::set_price(RuntimeOrigin::signed(alice()), service, 40));
			assert_eq!(MicroServices::price(service), Some((5, Some((40, 5 + PRICE_RISE_NOTICE)))));
			System::set_block_number(from);
			assert_eq!(MicroServices::price_per_call(service), Some(5));

			// A cut applies at once and drops the pending rise.
			assert_ok!(MicroServices::set_price(RuntimeOrigin::signed(alice()), service, 3));
			assert_eq!(last_event(), Event::PriceSet { service, price_per_call: 3 }.into());
			assert_eq!(MicroServices::price(service), Some((3, None)));
			System::set_block_number(100);
			assert_eq!(MicroServices::price_per_call(service), Some(3));
		});
	}

	#[test]
	fn a_rise_that_applied_is_what_later_changes_compare_with() {
		new_test_ext().execute_with(|| {
			let service = register_as(alice(), "greeter");
			assert_ok!(MicroServices::set_price(RuntimeOrigin::signed(alice()), service, 50));
			System::set_block_number(1 + PRICE_RISE_NOTICE);
			// The view shows the price in force, with nothing pending.
			let (info, owner) = MicroServices::service(service).unwrap();
			assert_eq!((info.price_per_call, info.price_rise, owner), (50, None, Some(alice())));
			// 20 is a cut from the 50 in force: at once.
			assert_ok!(MicroServices::set_price(RuntimeOrigin::signed(alice()), service, 20));
			assert_eq!(MicroServices::price_per_call(service), Some(20));
			assert_eq!(Services::<Test>::get(service).unwrap().price_rise, None);
		});
	}
}

mod availability {
	use super::*;

	/// A service with versions 1 and 2, both placed on node 7 (Bob's, online), and a heartbeat
	/// of the node, at block 1.
	fn placed() -> ServiceId {
		let service = register_as(alice(), "greeter");
		assert_ok!(MicroServices::publish_version(
			RuntimeOrigin::signed(alice()),
			service,
			source("v2"),
			code(2),
			endpoints(&["Say.Hello"]),
		));
		set_node(7, bob(), true);
		assert_ok!(MicroServices::announce_placement(
			RuntimeOrigin::signed(bob()),
			7,
			service,
			versions(&[1, 2])
		));
		assert_eq!(MicroServices::on_heartbeat(7, 1 + TTL), 1);
		service
	}

	#[test]
	fn heartbeats_keep_a_service_available_while_a_live_version_runs() {
		new_test_ext().execute_with(|| {
			let service = placed();
			assert_eq!(AvailableUntil::<Test>::get(service), Some(1 + TTL));
			System::set_block_number(50);
			MicroServices::on_heartbeat(7, 50 + TTL);
			assert_eq!(AvailableUntil::<Test>::get(service), Some(50 + TTL));
			// An older heartbeat's TTL never shortens the stamp.
			MicroServices::on_heartbeat(7, 40);
			assert_eq!(AvailableUntil::<Test>::get(service), Some(50 + TTL));

			// With one version retired, the other still counts.
			assert_ok!(MicroServices::retire_version(RuntimeOrigin::signed(alice()), service, 1));
			assert_eq!(RetiredVersions::<Test>::get(service).into_inner(), vec![1]);
			System::set_block_number(60);
			MicroServices::on_heartbeat(7, 60 + TTL);
			assert_eq!(AvailableUntil::<Test>::get(service), Some(60 + TTL));

			// With both retired, heartbeats stop refreshing it: available until the last stamp.
			assert_ok!(MicroServices::retire_version(RuntimeOrigin::signed(alice()), service, 2));
			System::set_block_number(70);
			MicroServices::on_heartbeat(7, 70 + TTL);
			assert_eq!(AvailableUntil::<Test>::get(service), Some(60 + TTL));
			assert!(MicroServices::is_available(service));
			System::set_block_number(61 + TTL);
			assert!(!MicroServices::is_available(service));
		});
	}

	#[test]
	fn a_withdrawn_placement_or_an_unregistered_service_is_not_refreshed() {
		new_test_ext().execute_with(|| {
			let service = placed();
			assert_ok!(MicroServices::withdraw_placement(RuntimeOrigin::signed(bob()), 7, service));
			System::set_block_number(50);
			MicroServices::on_heartbeat(7, 50 + TTL);
			assert_eq!(AvailableUntil::<Test>::get(service), Some(1 + TTL));

			assert_ok!(MicroServices::unregister_service(RuntimeOrigin::signed(alice()), service));
			assert_eq!(AvailableUntil::<Test>::get(service), None);
			assert!(!MicroServices::is_available(service));
		});
	}

	/// Attack: one online node announces a placement of each service in turn and withdraws it
	/// at once (in a batch), so it holds no placement, yet every service it touched, its
	/// owner's or not, was stamped available for the node's whole TTL. Only heartbeats stamp,
	/// for the placements standing at them.
	#[test]
	fn announcing_and_withdrawing_does_not_stamp_a_service() {
		new_test_ext().execute_with(|| {
			let first = register_as(alice(), "greeter");
			let second = register_as(charlie(), "echo");
			set_node(7, bob(), true);
			for service in [first, second] {
				assert_ok!(MicroServices::announce_placement(
					RuntimeOrigin::signed(bob()),
					7,
					service,
					versions(&[1])
				));
				assert_ok!(MicroServices::withdraw_placement(
					RuntimeOrigin::signed(bob()),
					7,
					service
				));
			}
			for service in [first, second] {
				assert_eq!(AvailableUntil::<Test>::get(service), None);
				assert!(!MicroServices::is_available(service));
			}
			// The node's next heartbeat finds nothing placed: it visits and stamps nothing.
			assert_eq!(MicroServices::on_heartbeat(7, 1 + TTL), 0);
			assert_eq!(AvailableUntil::<Test>::get(first), None);
			assert_eq!(AvailableUntil::<Test>::get(second), None);

			// A placement standing at a heartbeat counts, from that heartbeat.
			assert_ok!(MicroServices::announce_placement(
				RuntimeOrigin::signed(bob()),
				7,
				first,
				versions(&[1])
			));
			assert!(!MicroServices::is_available(first));
			System::set_block_number(5);
			assert_eq!(MicroServices::on_heartbeat(7, 5 + TTL), 1);
			assert_eq!(AvailableUntil::<Test>::get(first), Some(5 + TTL));
			assert!(MicroServices::is_available(first));
			assert_eq!(AvailableUntil::<Test>::get(second), None);
		});
	}

	#[test]
	fn a_service_never_placed_is_not_available() {
		new_test_ext().execute_with(|| {
			let service = register_as(alice(), "greeter");
			assert!(!MicroServices::is_available(service));
			assert_eq!(MicroServices::availability(service), (false, None));
		});
	}
}

/// The benchmarks' worst case of a heartbeat really is one: every service the node may run, each
/// checked to its last version, and every stamp moved.
#[cfg(feature = "runtime-benchmarks")]
#[test]
fn the_heartbeat_worst_case_stamps_every_service() {
	new_test_ext().execute_with(|| {
		let max = MicroServices::max_services_per_node();
		MicroServices::serve_for_benchmark(7, max + 1);
		let services = NodeServices::<Test>::get(7);
		assert_eq!(services.len() as u32, max);
		for service in services.iter() {
			assert_eq!(RetiredVersions::<Test>::get(service).into_inner(), vec![1, 2, 4]);
		}
		assert_eq!(MicroServices::on_heartbeat(7, 50), max);
		for service in services {
			assert_eq!(AvailableUntil::<Test>::get(service), Some(50));
		}
	});
}

mod grace_and_eviction {
	use super::*;
	use micro_primitives::{NodeDirectory, NodeId};
	use sp_runtime::DispatchResult;

	fn announce(node: NodeId, service: ServiceId, list: &[u32]) -> DispatchResult {
		let operator = <TestNodes as NodeDirectory<_, _>>::operator(node).unwrap();
		MicroServices::announce_placement(
			RuntimeOrigin::signed(operator),
			node,
			service,
			versions(list),
		)
	}

	fn evict(who: AccountId, service: ServiceId, node: NodeId) -> DispatchResult {
		MicroServices::evict_placement(RuntimeOrigin::signed(who), service, node)
	}

	fn publish_v2(service: ServiceId) {
		assert_ok!(MicroServices::publish_version(
			RuntimeOrigin::signed(alice()),
			service,
			source("v2"),
			code(2),
			endpoints(&["Say.Hello"]),
		));
	}

	/// Attack (M4): the owner retires a version while nodes still hold unreported calls to it.
	/// The version counts for settlement for `RetireGrace` blocks after it was retired, then
	/// no longer.
	#[test]
	fn retiring_a_version_does_not_fail_records_served_before() {
		new_test_ext().execute_with(|| {
			let service = register_as(alice(), "greeter");
			publish_v2(service);
			set_node(7, bob(), true);
			assert_ok!(announce(7, service, &[1, 2]));
			System::set_block_number(5);
			assert_ok!(MicroServices::retire_version(RuntimeOrigin::signed(alice()), service, 1));
			assert_eq!(RetiredAt::<Test>::get(service, 1), Some(5));

			System::set_block_number(5 + RETIRE_GRACE);
			assert!(!MicroServices::runs(7, service, 1));
			assert!(MicroServices::ran_recently(7, service, 1));
			assert!(MicroServices::ran_recently(7, service, 2));
			// Only a node that ran the version is covered.
			set_node(8, bob(), true);
			assert!(!MicroServices::ran_recently(8, service, 1));

			System::set_block_number(6 + RETIRE_GRACE);
			assert!(!MicroServices::ran_recently(7, service, 1));
			assert!(MicroServices::ran_recently(7, service, 2));
		});
	}

	/// A placement that ended (withdrawn, or evicted) keeps the versions it named counting for
	/// the grace, even if the node announces other versions since; a version retired before
	/// the placement ended counts only for the grace after its retirement.
	#[test]
	fn a_placement_that_ended_counts_for_the_grace() {
		new_test_ext().execute_with(|| {
			let service = register_as(alice(), "greeter");
			publish_v2(service);
			set_node(7, bob(), true);
			assert_ok!(announce(7, service, &[1, 2]));
			assert_ok!(MicroServices::retire_version(RuntimeOrigin::signed(alice()), service, 1));
			System::set_block_number(10);
			assert_ok!(MicroServices::withdraw_placement(RuntimeOrigin::signed(bob()), 7, service));
			assert_eq!(
				PastPlacements::<Test>::get(service, 7),
				Some(PastPlacement { versions: versions(&[1, 2]), ended_at: 10, evicted: false })
			);
			assert!(!MicroServices::runs(7, service, 2));
			assert!(MicroServices::ran_recently(7, service, 2));

			System::set_block_number(2 + RETIRE_GRACE);
			// Version 1 was retired at block 1: its grace is over.
			assert!(!MicroServices::ran_recently(7, service, 1));
			assert!(MicroServices::ran_recently(7, service, 2));

			System::set_block_number(10 + RETIRE_GRACE);
			assert!(MicroServices::ran_recently(7, service, 2));
			System::set_block_number(11 + RETIRE_GRACE);
			assert!(!MicroServices::ran_recently(7, service, 2));
			// A later announcement drops the past placement once it no longer matters.
			assert_ok!(announce(7, service, &[2]));
			assert!(!PastPlacements::<Test>::contains_key(service, 7));
			assert!(MicroServices::ran_recently(7, service, 2));
		});
	}

	/// Attack (M5): squatters take every placement of a service; an honest node is locked
	/// out. The owner evicts a squatter, who may not take the slot back during its ban, and the
	/// honest node places.
	#[test]
	fn squatters_filling_every_placement_are_evicted_by_the_owner() {
		new_test_ext().execute_with(|| {
			let service = register_as(alice(), "greeter");
			for node in 1..=3 {
				set_node(node, charlie(), true);
				assert_ok!(announce(node, service, &[1]));
			}
			set_node(10, bob(), true);
			assert_noop!(announce(10, service, &[1]), Error::<Test>::TooManyNodesForService);

			assert_ok!(evict(alice(), service, 1));
			assert_eq!(
				last_event(),
				Event::PlacementEvicted {
					service,
					node: 1,
					by: alice(),
					banned_until: Some(1 + EVICTION_BAN),
				}
				.into()
			);
			assert!(!Placements::<Test>::contains_key(service, 1));
			assert_eq!(Services::<Test>::get(service).unwrap().placements, 2);
			assert!(!MicroServices::is_serving(1));
			// Calls the squatter served before count for the grace (M4).
			assert!(MicroServices::ran_recently(1, service, 1));
			// The evicted node cannot take the slot back.
			assert_noop!(announce(1, service, &[1]), Error::<Test>::NodeEvicted);

			assert_ok!(announce(10, service, &[1]));
			assert_eq!(Services::<Test>::get(service).unwrap().placements, 3);
			assert!(MicroServices::runs(10, service, 1));

			// After the ban the node may place the service again (if there is room).
			assert_ok!(evict(alice(), service, 2));
			System::set_block_number(1 + EVICTION_BAN - 1);
			assert_noop!(announce(1, service, &[1]), Error::<Test>::NodeEvicted);
			System::set_block_number(1 + EVICTION_BAN);
			assert_ok!(announce(1, service, &[1]));
			assert!(!PastPlacements::<Test>::contains_key(service, 1));
		});
	}

	/// Only the owner evicts a node that is online; anyone evicts the placement of a node that
	/// is offline, which bars nothing.
	#[test]
	fn only_the_owner_evicts_an_online_node() {
		new_test_ext().execute_with(|| {
			let service = register_as(alice(), "greeter");
			set_node(7, bob(), true);
			assert_ok!(announce(7, service, &[1]));
			assert_noop!(evict(charlie(), service, 7), Error::<Test>::NodeOnline);
			// Not even the node's operator: it withdraws instead.
			assert_noop!(evict(bob(), service, 7), Error::<Test>::NodeOnline);
			assert_noop!(evict(alice(), service, 8), Error::<Test>::NotPlaced);

			set_node(7, bob(), false);
			assert_ok!(evict(charlie(), service, 7));
			assert_eq!(
				last_event(),
				Event::PlacementEvicted { service, node: 7, by: charlie(), banned_until: None }
					.into()
			);
			assert_eq!(Services::<Test>::get(service).unwrap().placements, 0);
			assert_eq!(
				PastPlacements::<Test>::get(service, 7),
				Some(PastPlacement { versions: versions(&[1]), ended_at: 1, evicted: false })
			);
			assert_noop!(evict(charlie(), service, 7), Error::<Test>::NotPlaced);

			// Back online, the node places the service again at once.
			set_node(7, bob(), true);
			assert_ok!(announce(7, service, &[1]));
		});
	}

	/// Unregistering a service removes what the grace and the bans keep.
	#[test]
	fn unregistering_removes_retirements_and_past_placements() {
		new_test_ext().execute_with(|| {
			let service = register_as(alice(), "greeter");
			publish_v2(service);
			set_node(7, bob(), true);
			assert_ok!(announce(7, service, &[1]));
			assert_ok!(evict(alice(), service, 7));
			assert_ok!(MicroServices::retire_version(RuntimeOrigin::signed(alice()), service, 1));
			assert!(RetiredAt::<Test>::contains_key(service, 1));
			assert_ok!(MicroServices::unregister_service(RuntimeOrigin::signed(alice()), service));
			assert!(!RetiredAt::<Test>::contains_key(service, 1));
			assert!(!PastPlacements::<Test>::contains_key(service, 7));
			assert!(!MicroServices::ran_recently(7, service, 1));
		});
	}
}
