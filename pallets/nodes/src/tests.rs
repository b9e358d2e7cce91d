//! Tests of every call of the nodes pallet: success, each error, and the events.

use crate::{mock::*, *};
use frame_support::{
	assert_noop, assert_ok,
	pallet_prelude::{InvalidTransaction, TransactionSource, TransactionValidityError},
	traits::{fungible::InspectHold, Authorize},
};
use frame_system::RawOrigin;
use micro_primitives::{NodeDirectory, NodeId, NodeKey, NodeSignature, ReputationEvent, Subject};
use sp_core::{ed25519, Pair};
use sp_runtime::DispatchError;

fn pair(seed: u8) -> ed25519::Pair {
	ed25519::Pair::from_seed(&[seed; 32])
}

fn proof(pair: &ed25519::Pair, operator: u64) -> NodeSignature {
	pair.sign(&MicroNodes::key_proof_message(&operator, ProofNonce::<Test>::get(operator)))
}

fn peer(text: &str) -> PeerIdOf<Test> {
	text.as_bytes().to_vec().try_into().unwrap()
}

fn addrs(list: &[&str]) -> AddressesOf<Test> {
	list.iter()
		.map(|a| a.as_bytes().to_vec().try_into().unwrap())
		.collect::<Vec<_>>()
		.try_into()
		.unwrap()
}

fn capacity() -> Capacity {
	Capacity { cpu_millicores: 2000, memory_mib: 4096, storage_mib: 10_000, bandwidth_mbps: 100 }
}

/// The libp2p peer id of `seed`'s key.
fn peer_of(seed: u8) -> String {
	String::from_utf8(peer_id::peer_id_of(&pair(seed).public())).unwrap()
}

/// Registers `seed`'s key for `operator` with its peer id.
fn register(operator: u64, seed: u8) -> NodeId {
	let key = pair(seed);
	assert_ok!(MicroNodes::register_node(
		RuntimeOrigin::signed(operator),
		key.public(),
		proof(&key, operator),
		peer(&peer_of(seed)),
		addrs(&["/ip4/127.0.0.1/tcp/30333"]),
		capacity(),
	));
	NodeByKey::<Test>::get(key.public()).unwrap()
}

/// Registers `key` for `operator` with `proof`, one address and the default capacity.
fn try_register(
	operator: u64,
	key: ed25519::Public,
	proof: NodeSignature,
	peer_id: &str,
) -> sp_runtime::DispatchResult {
	MicroNodes::register_node(
		RuntimeOrigin::signed(operator),
		key,
		proof,
		peer(peer_id),
		addrs(&["/ip4/10.0.0.1/tcp/30333"]),
		capacity(),
	)
}

fn heartbeat_signature(seed: u8, node: NodeId, at: u64) -> NodeSignature {
	pair(seed).sign(&MicroNodes::heartbeat_message(node, at))
}

/// The node most tests use: Alice's, with key 1, registered at block 1.
fn alices_node() -> NodeId {
	register(ALICE, 1)
}

/// Sends `node`'s heartbeat naming block `at`, signed by key `seed`, authorized by the signature
/// alone.
fn send_heartbeat(
	seed: u8,
	node: NodeId,
	at: u64,
) -> frame_support::dispatch::DispatchResultWithPostInfo {
	MicroNodes::heartbeat(
		RawOrigin::Authorized.into(),
		node,
		at,
		heartbeat_signature(seed, node, at),
	)
}

fn last_event() -> RuntimeEvent {
	System::events().pop().expect("an event").event
}

fn held(who: u64) -> u64 {
	Balances::balance_on_hold(&HoldReason::NodeDeposit.into(), &who)
}

mod register_node {
	use super::*;

	#[test]
	fn registers_holds_the_deposit_and_emits() {
		new_test_ext().execute_with(|| {
			let key = pair(1);
			assert_ok!(MicroNodes::register_node(
				RuntimeOrigin::signed(ALICE),
				key.public(),
				proof(&key, ALICE),
				peer(&peer_of(1)),
				addrs(&["/ip4/10.0.0.1/tcp/30333", "/dns4/a.example/tcp/30333"]),
				capacity(),
			));
			let info = MicroNodes::node(0).unwrap();
			assert_eq!(info.operator, ALICE);
			assert_eq!(info.key, key.public());
			assert_eq!(info.registered_at, 1);
			assert_eq!(info.addresses.len(), 2);
			assert_eq!(held(ALICE), 100);
			assert_eq!(NodeByPeerId::<Test>::get(peer(&peer_of(1))), Some(0));
			assert_eq!(MicroNodes::nodes_of(ALICE), vec![0]);
			assert_eq!(ProofNonce::<Test>::get(ALICE), 1);
			assert!(MicroNodes::is_online(0));
			assert_eq!(
				last_event(),
				Event::NodeRegistered { node: 0, operator: ALICE, key: key.public() }.into()
			);
		});
	}

	#[test]
	fn refuses_a_key_not_held() {
		new_test_ext().execute_with(|| {
			let key = pair(1);
			let impostor = pair(2);
			assert_noop!(
				try_register(ALICE, key.public(), proof(&impostor, ALICE), &peer_of(1)),
				Error::<Test>::InvalidProof
			);
		});
	}

	#[test]
	fn refuses_a_proof_made_for_another_operator_or_used_before() {
		new_test_ext().execute_with(|| {
			let key = pair(1);
			let for_bob = proof(&key, BOB);
			assert_noop!(
				try_register(ALICE, key.public(), for_bob, &peer_of(1)),
				Error::<Test>::InvalidProof
			);
			// A proof for Alice's nonce 0 stops working once that nonce is used.
			let old = proof(&pair(2), ALICE);
			alices_node();
			assert_noop!(
				try_register(ALICE, pair(2).public(), old, &peer_of(2)),
				Error::<Test>::InvalidProof
			);
		});
	}

	#[test]
	fn refuses_a_key_in_use() {
		new_test_ext().execute_with(|| {
			let key = pair(1);
			assert_ok!(try_register(ALICE, key.public(), proof(&key, ALICE), &peer_of(1)));
			assert_noop!(
				try_register(BOB, key.public(), proof(&key, BOB), &peer_of(1)),
				Error::<Test>::KeyInUse
			);
		});
	}

	/// M6: Bob front-runs Alice's registration with her node's peer id and his own key, to
	/// block her and have workers map her peer to his node. The peer id is not his key's.
	#[test]
	fn refuses_a_peer_id_not_derived_from_the_key() {
		new_test_ext().execute_with(|| {
			let (victim, squatter) = (pair(1), pair(2));
			assert_noop!(
				try_register(BOB, squatter.public(), proof(&squatter, BOB), &peer_of(1)),
				Error::<Test>::PeerIdNotOfKey
			);
			// A well-formed peer id of no key is refused too.
			assert_noop!(
				try_register(BOB, squatter.public(), proof(&squatter, BOB), "12D3KooWAAAAAAAAAAAA"),
				Error::<Test>::PeerIdNotOfKey
			);
			assert_ok!(try_register(ALICE, victim.public(), proof(&victim, ALICE), &peer_of(1)));
			assert_eq!(NodeByPeerId::<Test>::get(peer(&peer_of(1))), Some(0));
			assert_eq!(MicroNodes::node(0).unwrap().peer_id, peer(&peer_of(1)));
		});
	}

	#[test]
	fn refuses_malformed_claims() {
		new_test_ext().execute_with(|| {
			let key = pair(1);
			let attempt = |peer_id: &str, addresses: &[&str], capacity: Capacity| {
				MicroNodes::register_node(
					RuntimeOrigin::signed(ALICE),
					key.public(),
					proof(&key, ALICE),
					peer(peer_id),
					addrs(addresses),
					capacity,
				)
			};
			let good = ["/ip4/10.0.0.1/tcp/30333"];
			assert_noop!(attempt("12D3KooW0OIl", &good, capacity()), Error::<Test>::InvalidPeerId);
			assert_noop!(attempt("short", &good, capacity()), Error::<Test>::InvalidPeerId);
			assert_noop!(attempt(&peer_of(1), &[], capacity()), Error::<Test>::NoAddresses);
			for bad in ["ip4/10.0.0.1", "/", "/ip4/10.0.0.1 /tcp/1", "/ip4//tcp/1", "/ip4/\u{e9}"] {
				assert_noop!(
					attempt(&peer_of(1), &[bad], capacity()),
					Error::<Test>::InvalidAddress
				);
			}
			assert_noop!(
				attempt(&peer_of(1), &good, Capacity::default()),
				Error::<Test>::NoCapacity
			);
		});
	}

	#[test]
	fn refuses_past_the_operator_limit_or_without_the_deposit() {
		new_test_ext().execute_with(|| {
			for seed in 1..=3 {
				register(ALICE, seed);
			}
			let key = pair(4);
			assert_noop!(
				try_register(ALICE, key.public(), proof(&key, ALICE), &peer_of(4)),
				Error::<Test>::TooManyNodes
			);
			assert!(try_register(PAUPER, key.public(), proof(&key, PAUPER), &peer_of(4)).is_err());
			assert!(NodeByKey::<Test>::get(key.public()).is_none());
		});
	}

	#[test]
	fn needs_a_signed_origin() {
		new_test_ext().execute_with(|| {
			let key = pair(1);
			assert_noop!(
				MicroNodes::register_node(
					RuntimeOrigin::root(),
					key.public(),
					proof(&key, ALICE),
					peer(&peer_of(1)),
					addrs(&["/ip4/10.0.0.1/tcp/30333"]),
					capacity(),
				),
				DispatchError::BadOrigin
			);
		});
	}
}

mod update_node {
	use super::*;

	#[test]
	fn updates_addresses_and_capacity() {
		new_test_ext().execute_with(|| {
			let node = alices_node();
			let bigger = Capacity { cpu_millicores: 8000, ..capacity() };
			assert_ok!(MicroNodes::update_node(
				RuntimeOrigin::signed(ALICE),
				node,
				Some(addrs(&["/ip6/::1/tcp/4001"])),
				Some(bigger),
			));
			let info = MicroNodes::node(node).unwrap();
			assert_eq!(info.capacity, bigger);
			assert_eq!(info.addresses, addrs(&["/ip6/::1/tcp/4001"]));
			assert_eq!(last_event(), Event::NodeUpdated { node }.into());
		});
	}

	#[test]
	fn refuses_strangers_nothing_and_bad_values() {
		new_test_ext().execute_with(|| {
			let node = alices_node();
			assert_noop!(
				MicroNodes::update_node(RuntimeOrigin::signed(BOB), node, None, Some(capacity())),
				Error::<Test>::NotOperator
			);
			assert_noop!(
				MicroNodes::update_node(RuntimeOrigin::signed(ALICE), 7, None, Some(capacity())),
				Error::<Test>::UnknownNode
			);
			assert_noop!(
				MicroNodes::update_node(RuntimeOrigin::signed(ALICE), node, None, None),
				Error::<Test>::NothingToUpdate
			);
			assert_noop!(
				MicroNodes::update_node(RuntimeOrigin::signed(ALICE), node, Some(addrs(&[])), None),
				Error::<Test>::NoAddresses
			);
			assert_noop!(
				MicroNodes::update_node(
					RuntimeOrigin::signed(ALICE),
					node,
					Some(addrs(&["nope"])),
					None
				),
				Error::<Test>::InvalidAddress
			);
			assert_noop!(
				MicroNodes::update_node(
					RuntimeOrigin::signed(ALICE),
					node,
					None,
					Some(Capacity::default())
				),
				Error::<Test>::NoCapacity
			);
		});
	}
}

mod rotate_key {
	use super::*;

	#[test]
	fn moves_the_node_to_the_new_key() {
		new_test_ext().execute_with(|| {
			let node = alices_node();
			let new = pair(2);
			assert_ok!(MicroNodes::rotate_key(
				RuntimeOrigin::signed(ALICE),
				node,
				new.public(),
				proof(&new, ALICE)
			));
			assert_eq!(MicroNodes::node_key(node), Some(new.public()));
			assert_eq!(NodeByKey::<Test>::get(new.public()), Some(node));
			assert!(NodeByKey::<Test>::get(pair(1).public()).is_none());
			// The peer id follows the key.
			assert_eq!(MicroNodes::node(node).unwrap().peer_id, peer(&peer_of(2)));
			assert_eq!(NodeByPeerId::<Test>::get(peer(&peer_of(2))), Some(node));
			assert_eq!(NodeByPeerId::<Test>::get(peer(&peer_of(1))), None);
			assert_eq!(KeyNodeIds::<Test>::get(new.public()), Some(node));
			assert_eq!(KeyNodeIds::<Test>::get(pair(1).public()), Some(node));
			assert_eq!(
				last_event(),
				Event::NodeKeyRotated { node, old_key: pair(1).public(), new_key: new.public() }
					.into()
			);
			// The old key's heartbeats no longer count; the new key's do.
			System::set_block_number(50);
			assert_noop!(
				MicroNodes::heartbeat(
					RawOrigin::Authorized.into(),
					node,
					50,
					heartbeat_signature(1, node, 50)
				),
				Error::<Test>::InvalidHeartbeatSignature
			);
			assert_ok!(send_heartbeat(2, node, 50));
		});
	}

	#[test]
	fn refuses_bad_rotations() {
		new_test_ext().execute_with(|| {
			let node = alices_node();
			let other = register(BOB, 3);
			let new = pair(2);
			assert_noop!(
				MicroNodes::rotate_key(
					RuntimeOrigin::signed(BOB),
					node,
					new.public(),
					proof(&new, BOB)
				),
				Error::<Test>::NotOperator
			);
			assert_noop!(
				MicroNodes::rotate_key(
					RuntimeOrigin::signed(ALICE),
					node,
					pair(1).public(),
					proof(&pair(1), ALICE)
				),
				Error::<Test>::SameKey
			);
			assert_noop!(
				MicroNodes::rotate_key(
					RuntimeOrigin::signed(ALICE),
					node,
					pair(3).public(),
					proof(&pair(3), ALICE)
				),
				Error::<Test>::KeyInUse
			);
			assert_noop!(
				MicroNodes::rotate_key(
					RuntimeOrigin::signed(ALICE),
					node,
					new.public(),
					proof(&pair(9), ALICE)
				),
				Error::<Test>::InvalidProof
			);
			assert_noop!(
				MicroNodes::rotate_key(
					RuntimeOrigin::signed(ALICE),
					42,
					new.public(),
					proof(&new, ALICE)
				),
				Error::<Test>::UnknownNode
			);
			assert_eq!(MicroNodes::node_key(other), Some(pair(3).public()));
		});
	}

	/// H2: a key a node rotated away from stays that node's: it cannot register a fresh node
	/// nor be rotated into another, which would let a penalised key start again elsewhere.
	#[test]
	fn a_key_rotated_away_from_stays_with_its_node() {
		new_test_ext().execute_with(|| {
			let node = alices_node();
			let other = register(BOB, 3);
			assert_ok!(MicroNodes::rotate_key(
				RuntimeOrigin::signed(ALICE),
				node,
				pair(2).public(),
				proof(&pair(2), ALICE)
			));
			let old = pair(1);
			assert_noop!(
				try_register(BOB, old.public(), proof(&old, BOB), &peer_of(1)),
				Error::<Test>::KeyRetired
			);
			assert_noop!(
				MicroNodes::rotate_key(
					RuntimeOrigin::signed(BOB),
					other,
					old.public(),
					proof(&old, BOB)
				),
				Error::<Test>::KeyRetired
			);
			// Its own node may take it back, peer id and all.
			assert_ok!(MicroNodes::rotate_key(
				RuntimeOrigin::signed(ALICE),
				node,
				old.public(),
				proof(&old, ALICE)
			));
			assert_eq!(NodeByPeerId::<Test>::get(peer(&peer_of(1))), Some(node));
			assert_eq!(NodeByPeerId::<Test>::get(peer(&peer_of(2))), None);
			// Once the node is gone, either of its keys brings its id back.
			assert_ok!(MicroNodes::deregister_node(RuntimeOrigin::signed(ALICE), node));
			assert_eq!(register(BOB, 2), node);
		});
	}
}

mod heartbeat {
	use super::*;

	#[test]
	fn keeps_a_node_online_and_counts_uptime() {
		new_test_ext().execute_with(|| {
			let node = alices_node();
			System::set_block_number(60);
			assert_ok!(send_heartbeat(1, node, 59));
			assert_eq!(last_event(), Event::Heartbeat { node, at: 59 }.into());
			let info = MicroNodes::node(node).unwrap();
			assert_eq!(info.last_heartbeat, 60);
			assert_eq!(
				info.uptime,
				Uptime { online_blocks: 59, offline_blocks: 0, heartbeats: 1, outages: 0 }
			);
			// A relayer with an account may submit it too.
			System::set_block_number(100);
			assert_ok!(MicroNodes::heartbeat(
				RuntimeOrigin::signed(BOB),
				node,
				100,
				heartbeat_signature(1, node, 100)
			));
			assert!(MicroNodes::is_online(node));
			// Each heartbeat told the services when the node goes offline unless heard again.
			assert_eq!(HEARD.with(|h| h.borrow().clone()), vec![(node, 160), (node, 200)]);
			assert_eq!(MicroNodes::online_until(node), Some(200));
			assert_eq!(MicroNodes::online_until(node + 1), None);
		});
	}

	/// Attack: heartbeats are free, authorized and at priority 0, yet each was charged (and
	/// took block space) at the weight of a node running `MaxServicesPerNode` services, about 17
	/// times what a node running nothing needs. A heartbeat declares that worst case but is
	/// charged for the services its node really runs.
	#[test]
	fn a_heartbeat_is_charged_for_the_services_its_node_runs() {
		use frame_support::dispatch::GetDispatchInfo;
		new_test_ext().execute_with(|| {
			let idle = alices_node();
			let busy = register(BOB, 2);
			for _ in 0..3 {
				SERVING.with(|s| s.borrow_mut().push(busy));
			}
			let weight = <() as WeightInfo>::heartbeat;
			let declared = Call::<Test>::heartbeat {
				node: idle,
				at: 60,
				signature: heartbeat_signature(1, idle, 60),
			}
			.get_dispatch_info()
			.call_weight;
			assert_eq!(declared, weight(MAX_SERVICES_PER_NODE));
			assert!(weight(0).all_lt(declared));

			System::set_block_number(60);
			let post = send_heartbeat(1, idle, 60).unwrap();
			assert_eq!(post.actual_weight, Some(weight(0)));
			let post = send_heartbeat(2, busy, 60).unwrap();
			assert_eq!(post.actual_weight, Some(weight(3)));
			assert_eq!(
				post.calc_actual_weight(
					&Call::<Test>::heartbeat {
						node: busy,
						at: 60,
						signature: heartbeat_signature(2, busy, 60),
					}
					.get_dispatch_info()
				),
				weight(3)
			);
		});
	}

	/// The heartbeat's declared worst case (the placements' `max_services_per_node`) fits in a
	/// block: the integrity test holds in the mock, whose block weights are the defaults.
	#[test]
	fn the_heartbeat_worst_case_fits_a_block() {
		use frame_support::traits::{Get, Hooks};
		new_test_ext().execute_with(|| {
			<MicroNodes as Hooks<u64>>::integrity_test();
			let weights: frame_system::limits::BlockWeights =
				<Test as frame_system::Config>::BlockWeights::get();
			let max =
				weights.get(frame_support::dispatch::DispatchClass::Normal).max_extrinsic.unwrap();
			assert!(<() as WeightInfo>::heartbeat(MAX_SERVICES_PER_NODE).all_lte(max));
		});
	}

	#[test]
	fn an_expired_heartbeat_takes_the_node_offline() {
		new_test_ext().execute_with(|| {
			let node = alices_node();
			System::set_block_number(101);
			assert!(MicroNodes::is_online(node));
			assert_eq!(MicroNodes::online_nodes(), vec![node]);
			System::set_block_number(102);
			assert!(!MicroNodes::is_online(node));
			assert!(MicroNodes::online_nodes().is_empty());
			assert_eq!(MicroNodes::nodes(), vec![(node, false)]);
			let standing = MicroNodes::standing(node).unwrap();
			assert!(!standing.online);
			assert_eq!(standing.age, 101);
			// 100 of 101 blocks online.
			assert_eq!(standing.uptime, 990_099);
		});
	}

	#[test]
	fn coming_back_records_the_outage() {
		new_test_ext().execute_with(|| {
			let node = alices_node();
			System::set_block_number(301);
			assert_ok!(send_heartbeat(1, node, 300));
			let info = MicroNodes::node(node).unwrap();
			assert_eq!(info.uptime.online_blocks, 100);
			assert_eq!(info.uptime.offline_blocks, 200);
			assert_eq!(info.uptime.outages, 1);
			assert!(System::events()
				.iter()
				.any(|r| r.event == Event::NodeBackOnline { node, offline_blocks: 200 }.into()));
			// Nothing was placed on it, so no penalty.
			assert!(LEDGER.with(|l| l.borrow().is_empty()));
			assert!(MicroNodes::is_online(node));
		});
	}

	#[test]
	fn offline_while_serving_is_penalised() {
		new_test_ext().execute_with(|| {
			let node = alices_node();
			SERVING.with(|s| s.borrow_mut().push(node));
			System::set_block_number(250);
			assert_ok!(send_heartbeat(1, node, 250));
			assert_eq!(
				LEDGER.with(|l| l.borrow().clone()),
				vec![(Subject::Node(node), ReputationEvent::OfflineWhileServing)]
			);
		});
	}

	#[test]
	fn refuses_bad_heartbeats() {
		new_test_ext().execute_with(|| {
			let node = alices_node();
			System::set_block_number(200);
			let beat = |at: u64, signature| {
				MicroNodes::heartbeat(RawOrigin::Authorized.into(), node, at, signature)
			};
			assert_noop!(
				beat(201, heartbeat_signature(1, node, 201)),
				Error::<Test>::HeartbeatFromFuture
			);
			assert_noop!(beat(99, heartbeat_signature(1, node, 99)), Error::<Test>::StaleHeartbeat);
			assert_noop!(
				beat(200, heartbeat_signature(2, node, 200)),
				Error::<Test>::InvalidHeartbeatSignature
			);
			assert_noop!(
				beat(199, heartbeat_signature(1, node, 200)),
				Error::<Test>::InvalidHeartbeatSignature
			);
			assert_noop!(
				MicroNodes::heartbeat(
					RawOrigin::Authorized.into(),
					5,
					200,
					heartbeat_signature(1, 5, 200)
				),
				Error::<Test>::UnknownNode
			);
			assert_noop!(
				MicroNodes::heartbeat(
					RawOrigin::Root.into(),
					node,
					200,
					heartbeat_signature(1, node, 200)
				),
				DispatchError::BadOrigin
			);
			let signature = heartbeat_signature(1, node, 200);
			assert_ok!(beat(200, signature));
			// The same heartbeat again is a replay, now or later; a fresh one within TTL / 8 blocks
			// is too soon.
			assert_noop!(beat(200, signature), Error::<Test>::HeartbeatReplayed);
			System::set_block_number(211);
			assert_noop!(
				beat(211, heartbeat_signature(1, node, 211)),
				Error::<Test>::HeartbeatTooSoon
			);
			System::set_block_number(212);
			assert_noop!(beat(200, signature), Error::<Test>::HeartbeatReplayed);
			assert_ok!(beat(212, heartbeat_signature(1, node, 212)));
		});
	}

	#[test]
	fn authorization_checks_the_heartbeat_before_the_pool() {
		new_test_ext().execute_with(|| {
			let node = alices_node();
			System::set_block_number(40);
			let valid = Call::<Test>::heartbeat {
				node,
				at: 40,
				signature: heartbeat_signature(1, node, 40),
			};
			let (validity, _) = valid.authorize(TransactionSource::External).unwrap().unwrap();
			assert_eq!(validity.longevity, 100);
			// L1: no priority above fee-paying transactions.
			assert_eq!(validity.priority, 0);
			assert!(!validity.provides.is_empty());
			let forged = Call::<Test>::heartbeat {
				node,
				at: 40,
				signature: heartbeat_signature(2, node, 40),
			};
			assert_eq!(
				forged.authorize(TransactionSource::External).unwrap().unwrap_err(),
				TransactionValidityError::Invalid(InvalidTransaction::BadProof)
			);
			let stale = Call::<Test>::heartbeat {
				node,
				at: 40,
				signature: heartbeat_signature(1, node, 40),
			};
			System::set_block_number(141);
			assert_eq!(
				stale.authorize(TransactionSource::External).unwrap().unwrap_err(),
				TransactionValidityError::Invalid(InvalidTransaction::Stale)
			);
		});
	}
}

mod deregister_node {
	use super::*;

	#[test]
	fn returns_the_deposit_and_forgets_the_node() {
		new_test_ext().execute_with(|| {
			let node = alices_node();
			let key = pair(1).public();
			assert_ok!(MicroNodes::deregister_node(RuntimeOrigin::signed(ALICE), node));
			assert_eq!(held(ALICE), 0);
			assert!(MicroNodes::node(node).is_none());
			assert!(NodeByKey::<Test>::get(key).is_none());
			assert!(MicroNodes::nodes_of(ALICE).is_empty());
			assert_eq!(
				last_event(),
				Event::NodeDeregistered { node, operator: ALICE, deposit: 100 }.into()
			);
			// The key and peer id are free again; the key gets its old id back.
			assert_eq!(register(BOB, 1), node);
			assert_eq!(MicroNodes::node(node).unwrap().operator, BOB);
		});
	}

	/// H2: a node penalised while serving deregisters and registers its key again, to start
	/// clean under a fresh id. It gets its old id back, so the penalty (kept by id) follows the
	/// key; only its age starts again.
	#[test]
	fn a_returning_key_gets_its_old_id_back() {
		new_test_ext().execute_with(|| {
			let node = alices_node();
			let second = register(ALICE, 2);
			SERVING.with(|s| s.borrow_mut().push(node));
			System::set_block_number(250);
			assert_ok!(send_heartbeat(1, node, 250));
			assert_eq!(
				LEDGER.with(|l| l.borrow().clone()),
				vec![(Subject::Node(node), ReputationEvent::OfflineWhileServing)]
			);
			SERVING.with(|s| s.borrow_mut().clear());
			assert_ok!(MicroNodes::deregister_node(RuntimeOrigin::signed(ALICE), node));

			System::set_block_number(300);
			assert_eq!(register(ALICE, 1), node, "the penalised id, not a clean one");
			assert_eq!(NextNodeId::<Test>::get(), second + 1, "no id used up");
			let info = MicroNodes::node(node).unwrap();
			assert_eq!(info.registered_at, 300, "no age kept");
			assert_eq!(info.uptime, Uptime::default());
			assert_eq!(MicroNodes::standing(node).unwrap().age, 0);
			assert_eq!(held(ALICE), 200);
			assert_eq!(MicroNodes::nodes_of(ALICE), vec![second, node]);
			// A new key is a new node.
			assert_eq!(register(ALICE, 3), second + 1);
		});
	}

	#[test]
	fn refuses_strangers_and_serving_nodes() {
		new_test_ext().execute_with(|| {
			let node = alices_node();
			assert_noop!(
				MicroNodes::deregister_node(RuntimeOrigin::signed(BOB), node),
				Error::<Test>::NotOperator
			);
			assert_noop!(
				MicroNodes::deregister_node(RuntimeOrigin::signed(ALICE), 9),
				Error::<Test>::UnknownNode
			);
			SERVING.with(|s| s.borrow_mut().push(node));
			assert_noop!(
				MicroNodes::deregister_node(RuntimeOrigin::signed(ALICE), node),
				Error::<Test>::NodeStillServing
			);
		});
	}
}

mod set_heartbeat_ttl {
	use super::*;

	#[test]
	fn only_the_params_origin_sets_a_nonzero_ttl() {
		new_test_ext().execute_with(|| {
			assert_eq!(MicroNodes::heartbeat_ttl(), 100);
			assert_noop!(
				MicroNodes::set_heartbeat_ttl(RuntimeOrigin::signed(ALICE), 5),
				DispatchError::BadOrigin
			);
			assert_noop!(
				MicroNodes::set_heartbeat_ttl(RuntimeOrigin::root(), 0),
				Error::<Test>::ZeroTtl
			);
			assert_ok!(MicroNodes::set_heartbeat_ttl(RuntimeOrigin::root(), 5));
			assert_eq!(last_event(), Event::HeartbeatTtlSet { ttl: 5 }.into());
			// The attack: a TTL so long that silent nodes count online at full uptime (or so
			// short that every honest node is offline) is refused.
			for ttl in [1, 1_001, u64::MAX] {
				assert_noop!(
					MicroNodes::set_heartbeat_ttl(RuntimeOrigin::root(), ttl),
					Error::<Test>::TtlOutOfBounds
				);
			}
			let node = alices_node();
			System::set_block_number(7);
			assert!(!MicroNodes::is_online(node));
		});
	}
}

#[test]
fn keys_registered_are_the_ones_signing() {
	new_test_ext().execute_with(|| {
		let node = alices_node();
		let key: NodeKey = MicroNodes::node_key(node).unwrap();
		assert_eq!(key, pair(1).public());
		assert_eq!(MicroNodes::operator(node), Some(ALICE));
	});
}
