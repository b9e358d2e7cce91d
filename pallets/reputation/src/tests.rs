//! Tests of the reputation pallet: the tiers call, the ledger, scores that grow and fall as
//! documented, account tiers and the free-call quota.

use crate::{mock::*, *};
use frame_support::{assert_noop, assert_ok, BoundedVec};
use micro_primitives::{AccessControl, ReputationEvent, ReputationLedger, Subject, VotingWeight};
use sp_runtime::DispatchError;

fn tiers(list: &[(u32, u32, u32)]) -> BoundedVec<AccessTier, frame_support::traits::ConstU32<4>> {
	list.iter()
		.map(|&(min_score, max_services, free_calls_per_period)| AccessTier {
			min_score,
			max_services,
			free_calls_per_period,
		})
		.collect::<Vec<_>>()
		.try_into()
		.unwrap()
}

fn total(subject: Subject) -> u32 {
	Reputation::score(subject).expect("a registered subject").total
}

fn last_event() -> RuntimeEvent {
	System::events().pop().expect("an event").event
}

mod set_access_tiers {
	use super::*;

	#[test]
	fn the_params_origin_replaces_the_tiers() {
		new_test_ext().execute_with(|| {
			let new = tiers(&[(0, 1, 1), (500, 99, 9_999)]);
			assert_ok!(Reputation::set_access_tiers(RuntimeOrigin::root(), new.clone(), 7));
			assert_eq!(AccessTiers::<Test>::get(), new);
			assert_eq!(QuotaPeriod::<Test>::get(), 7);
			assert_eq!(last_event(), Event::AccessTiersSet { tiers: new, quota_period: 7 }.into());
		});
	}

	#[test]
	fn refuses_other_origins_and_invalid_tiers() {
		new_test_ext().execute_with(|| {
			assert_noop!(
				Reputation::set_access_tiers(RuntimeOrigin::signed(1), tiers(&[(0, 1, 1)]), 7),
				DispatchError::BadOrigin
			);
			for bad in [
				tiers(&[]),
				tiers(&[(1, 1, 1)]),
				tiers(&[(0, 1, 1), (0, 2, 2)]),
				tiers(&[(0, 1, 1), (200, 2, 2), (100, 3, 3)]),
				tiers(&[(0, 1, 1), (1001, 2, 2)]),
			] {
				assert_noop!(
					Reputation::set_access_tiers(RuntimeOrigin::root(), bad, 7),
					Error::<Test>::InvalidTiers
				);
			}
			assert_noop!(
				Reputation::set_access_tiers(RuntimeOrigin::root(), tiers(&[(0, 1, 1)]), 0),
				Error::<Test>::ZeroQuotaPeriod
			);
		});
	}
}

mod scores {
	use super::*;

	#[test]
	fn unknown_subjects_have_no_score() {
		new_test_ext().execute_with(|| {
			assert!(Reputation::score(Subject::Node(1)).is_none());
			assert!(Reputation::score(Subject::Service(1)).is_none());
		});
	}

	#[test]
	fn a_node_score_grows_with_time_and_uptime() {
		new_test_ext().execute_with(|| {
			set_node(1, 7, 1, 1_000_000);
			assert_eq!(total(Subject::Node(1)), 0);
			// Ten days (100 blocks): 10 for age, 10 per day of full uptime.
			System::set_block_number(101);
			assert_eq!(total(Subject::Node(1)), 10 + 100);
			// Half the uptime, half the reliability points.
			set_node(1, 7, 1, 500_000);
			assert_eq!(total(Subject::Node(1)), 10 + 50);
			// A year on, age and reliability are at their caps.
			set_node(1, 7, 1, 1_000_000);
			System::set_block_number(3_651);
			assert_eq!(total(Subject::Node(1)), 200 + 300);
		});
	}

	#[test]
	fn settled_usage_raises_and_penalties_lower_the_score() {
		new_test_ext().execute_with(|| {
			set_node(1, 7, 1, 1_000_000);
			System::set_block_number(401);
			let base = total(Subject::Node(1));
			assert_eq!(base, 40 + 300);
			// 1,000 units of 100: 150 points.
			Reputation::record(
				Subject::Node(1),
				ReputationEvent::PaidUsage { calls: 7, value: 100_000 },
			);
			assert_eq!(
				last_event(),
				Event::Recorded {
					subject: Subject::Node(1),
					event: ReputationEvent::PaidUsage { calls: 7, value: 100_000 }
				}
				.into()
			);
			assert_eq!(total(Subject::Node(1)), base + 150);
			Reputation::record(Subject::Node(1), ReputationEvent::OfflineWhileServing);
			assert_eq!(total(Subject::Node(1)), base + 150 - 20);
			Reputation::record(Subject::Node(1), ReputationEvent::Dispute);
			Reputation::record(Subject::Node(1), ReputationEvent::FailedSettlement);
			assert_eq!(total(Subject::Node(1)), base + 150 - 20 - 100 - 25);
			Reputation::record(Subject::Node(1), ReputationEvent::ContractFulfilled);
			assert_eq!(total(Subject::Node(1)), base + 150 - 20 - 100 - 25 + 10);
			for _ in 0..10 {
				Reputation::record(Subject::Node(1), ReputationEvent::ContractBreached);
			}
			assert_eq!(total(Subject::Node(1)), 0);
			let record = Reputation::record_of(Subject::Node(1));
			assert_eq!(
				(record.paid_calls, record.paid_value, record.disputes, record.failed_settlements),
				(7, 100_000, 1, 1)
			);
			assert_eq!(
				(
					record.offline_while_serving,
					record.contracts_fulfilled,
					record.contracts_breached
				),
				(1, 1, 10)
			);
		});
	}

	#[test]
	fn a_service_scores_availability() {
		new_test_ext().execute_with(|| {
			set_service(4, 7, 1, true);
			System::set_block_number(51);
			assert_eq!(total(Subject::Service(4)), 5 + 50);
			set_service(4, 7, 1, false);
			assert_eq!(total(Subject::Service(4)), 5);
		});
	}
}

mod access {
	use super::*;

	#[test]
	fn a_new_account_gets_the_base_tier() {
		new_test_ext().execute_with(|| {
			assert_eq!(Reputation::account_score(9), 0);
			assert_eq!(Reputation::access_tier(9).map(|(index, _)| index), Some(0));
			assert_eq!(Reputation::service_allowance(&9), 2);
			assert_eq!(Reputation::free_calls(9), 5);
		});
	}

	#[test]
	fn the_best_node_or_service_sets_the_account_tier() {
		new_test_ext().execute_with(|| {
			set_node(1, 7, 1, 1_000_000);
			set_node(2, 7, 301, 1_000_000);
			set_service(3, 7, 1, true);
			System::set_block_number(101);
			// Node 1: 10 + 100; node 2: not yet registered long; service 3: 10 + 100.
			assert_eq!(Reputation::account_score(7), 110);
			assert_eq!(Reputation::access_tier(7).map(|(index, _)| index), Some(1));
			assert_eq!(Reputation::service_allowance(&7), 10);
			System::set_block_number(301);
			assert_eq!(Reputation::access_tier(7).map(|(index, _)| index), Some(2));
			assert_eq!(Reputation::service_allowance(&7), 50);
			// A heavy penalty on one node does not hide the others.
			for _ in 0..5 {
				Reputation::record(Subject::Node(1), ReputationEvent::Dispute);
			}
			assert_eq!(Reputation::account_score(7), 30 + 300);
		});
	}

	#[test]
	fn free_calls_are_a_quota_per_period() {
		new_test_ext().execute_with(|| {
			assert_ok!(Reputation::use_free_calls(&9, 3));
			assert_eq!(Reputation::free_calls_left(&9), 2);
			assert_noop!(Reputation::use_free_calls(&9, 3), Error::<Test>::FreeQuotaExhausted);
			assert_ok!(Reputation::use_free_calls(&9, 2));
			assert_eq!(Reputation::free_calls_left(&9), 0);
			// The period is 20 blocks: at block 20 a new one starts.
			System::set_block_number(19);
			assert_eq!(Reputation::free_calls_left(&9), 0);
			System::set_block_number(20);
			assert_eq!(Reputation::free_calls_left(&9), 5);
			assert_ok!(Reputation::use_free_calls(&9, 5));
			assert_eq!(Reputation::free_calls_left(&9), 0);
			// A higher tier brings a bigger quota: a node 100 days old scores 400, tier 2.
			set_node(1, 9, 0, 1_000_000);
			System::set_block_number(1_000);
			assert_eq!(Reputation::account_score(9), 400);
			assert_eq!(Reputation::free_calls_left(&9), 500);
			assert_ok!(Reputation::use_free_calls(&9, 10));
			assert_eq!(Reputation::free_calls_left(&9), 490);
		});
	}
}

mod voting_weight {
	use super::*;
	use micro_primitives::Voice;

	fn voices(who: u64, registered_by: u64) -> Vec<Voice> {
		<Reputation as VotingWeight<u64, u64>>::voices(&who, registered_by)
	}

	#[test]
	fn each_node_and_service_is_a_voice_that_grows_with_its_score() {
		new_test_ext().execute_with(|| {
			assert!(voices(1, 1).is_empty(), "no node, no say");
			set_node(0, 1, 1, 1_000_000);
			set_service(5, 1, 1, true);
			assert_eq!(
				voices(1, 1),
				vec![
					Voice { subject: Subject::Node(0), weight: 1 },
					Voice { subject: Subject::Service(5), weight: 1 },
				],
				"a new node and a new service: 0 + 1 each"
			);
			// Twenty days on (ten blocks a day), the node's score has grown and so has its voice.
			System::set_block_number(201);
			let score = Reputation::score_of(Subject::Node(0)).unwrap().total;
			assert!(score > 0);
			assert_eq!(
				voices(1, 1)[0],
				Voice { subject: Subject::Node(0), weight: score as u64 + 1 }
			);
			assert_eq!(<Reputation as VotingWeight<u64, u64>>::electorate(), 2);
		});
	}

	#[test]
	fn subjects_registered_after_the_cut_off_have_no_voice() {
		new_test_ext().execute_with(|| {
			System::set_block_number(50);
			set_node(0, 1, 10, 1_000_000);
			// A deposit recycled into a new node, and a service registered after the cut-off.
			set_node(1, 1, 40, 1_000_000);
			set_service(5, 1, 41, true);
			let subjects: Vec<Subject> = voices(1, 30).into_iter().map(|v| v.subject).collect();
			assert_eq!(subjects, vec![Subject::Node(0)]);
		});
	}
}

/// Finding H4 ("weights lie at the worst case"): reading an account's score must cost at most
/// what the calls reading it charge, [`micro_primitives::ACCOUNT_SCORE_READS`] and
/// [`micro_primitives::ACCOUNT_SCORE_PROOF_SIZE`], however many nodes its services are placed on
/// and however many versions those run.
mod score_walk {
	use crate::mock_chain::*;
	use codec::Encode;
	use frame_support::{assert_ok, traits::Get, BoundedVec};
	use micro_primitives::{
		NodeId, ReputationEvent, ReputationLedger, Subject, ACCOUNT_SCORE_PROOF_SIZE,
		ACCOUNT_SCORE_READS,
	};
	use pallet_micro_nodes::{Capacity, NodeInfo, Nodes, OperatorNodes, Uptime};
	use pallet_micro_services::{Endpoint, Field, FieldKind, MessageType, Source};
	use sp_core::{ed25519, H256};
	use sp_runtime::traits::BlakeTwo256;
	use sp_state_machine::{create_proof_check_backend, Backend};

	type NodesConfig = <Chain as pallet_micro_nodes::Config>::MaxNodesPerOperator;
	type ServicesScanned = <Chain as crate::Config>::MaxServicesScanned;
	type NodesPerService = <Chain as pallet_micro_services::Config>::MaxNodesPerService;
	type VersionsPerPlacement = <Chain as pallet_micro_services::Config>::MaxVersionsPerPlacement;

	fn filled<S: Get<u32>>(byte: u8) -> BoundedVec<u8, S> {
		vec![byte; S::get() as usize].try_into().unwrap()
	}

	/// Registers `node`, run by `operator`, online now, with the largest record a node has.
	fn add_node(node: NodeId, operator: &AccountId) {
		let address = {
			let mut address = vec![b'/'];
			address.resize(128, b'a');
			address
		};
		let info = NodeInfo::<Chain> {
			operator: operator.clone(),
			key: ed25519::Public::from_raw([node as u8; 32]),
			peer_id: filled(b'1'),
			addresses: vec![address.try_into().unwrap(); 8].try_into().unwrap(),
			capacity: Capacity {
				cpu_millicores: 1,
				memory_mib: 1,
				storage_mib: 1,
				bandwidth_mbps: 1,
			},
			deposit: 10,
			registered_at: 1,
			last_heartbeat: System::block_number(),
			uptime: Uptime::default(),
		};
		Nodes::<Chain>::insert(node, info);
		let _ = OperatorNodes::<Chain>::try_mutate(operator, |nodes| nodes.try_push(node));
	}

	fn source(reference: u32) -> Source<Chain> {
		Source {
			repository: b"https://github.com/micro/greeter".to_vec().try_into().unwrap(),
			reference: reference.to_string().into_bytes().try_into().unwrap(),
		}
	}

	fn endpoints() -> pallet_micro_services::EndpointsOf<Chain> {
		let message = |name: &[u8]| MessageType::<Chain> {
			name: name.to_vec().try_into().unwrap(),
			fields: vec![Field {
				number: 1,
				name: b"text".to_vec().try_into().unwrap(),
				kind: FieldKind::String,
				repeated: false,
			}]
			.try_into()
			.unwrap(),
		};
		vec![Endpoint::<Chain> {
			name: b"Say.Hello".to_vec().try_into().unwrap(),
			request: message(b"Request"),
			response: message(b"Response"),
		}]
		.try_into()
		.unwrap()
	}

	/// The worst case of an account's score: `owner` runs the most nodes an operator may and
	/// owns as many services as are scanned, each placed on the most nodes a service may be,
	/// each node running the most versions a placement may hold, all of them since retired (so
	/// no placement makes the service available and a walk over placements visits them all).
	/// Every subject has a reputation record.
	fn worst_case(owner: &AccountId, host: &AccountId) -> sp_io::TestExternalities {
		let mut ext = chain_ext(&[owner.clone(), host.clone()]);
		ext.execute_with(|| {
			let nodes: u32 = NodesConfig::get();
			for node in 0..nodes {
				add_node(node, owner);
				Reputation::record(Subject::Node(node), ReputationEvent::ContractFulfilled);
			}
			let hosts: Vec<NodeId> =
				(nodes..nodes + <NodesPerService as Get<u32>>::get()).collect();
			for node in &hosts {
				add_node(*node, host);
			}
			let versions: u32 = VersionsPerPlacement::get();
			for index in 0..<ServicesScanned as Get<u32>>::get() {
				let mut name = format!("service-{index}-").into_bytes();
				name.resize(64, b'x');
				let service = pallet_micro_services::NextServiceId::<Chain>::get();
				assert_ok!(MicroServices::register_service(
					RuntimeOrigin::signed(owner.clone()),
					name.try_into().unwrap(),
					source(1),
					H256::repeat_byte(1),
					endpoints(),
					1,
				));
				for version in 2..=versions {
					assert_ok!(MicroServices::publish_version(
						RuntimeOrigin::signed(owner.clone()),
						service,
						source(version),
						H256::repeat_byte(version as u8),
						endpoints(),
					));
				}
				let placed: BoundedVec<u32, VersionsPerPlacement> =
					(1..=versions).collect::<Vec<_>>().try_into().unwrap();
				for node in &hosts {
					assert_ok!(MicroServices::announce_placement(
						RuntimeOrigin::signed(host.clone()),
						*node,
						service,
						placed.clone(),
					));
				}
				for version in 1..=versions {
					assert_ok!(MicroServices::retire_version(
						RuntimeOrigin::signed(owner.clone()),
						service,
						version,
					));
				}
				Reputation::record(Subject::Service(service), ReputationEvent::ContractFulfilled);
			}
			System::reset_events();
		});
		ext.commit_all().unwrap();
		ext
	}

	#[test]
	fn the_worst_case_account_score_reads_what_its_callers_charge() {
		let (owner, host) = (account(1), account(2));
		let mut ext = worst_case(&owner, &host);
		let (score, proof) = ext.execute_and_prove(|| Reputation::account_score_of(&owner));
		assert_eq!(score, 10, "a contract fulfilled, no age and no availability");

		// Every key whose value the proof alone proves: an upper bound on the keys the walk read
		// that exist (the worst case gives every subject a record, so few reads miss).
		let backend = ext.as_backend();
		let root = *backend.root();
		let check = create_proof_check_backend::<BlakeTwo256>(root, proof.clone()).unwrap();
		let keys: Vec<Vec<u8>> =
			backend.keys(Default::default()).unwrap().map(|key| key.unwrap()).collect();
		let read = keys.iter().filter(|key| matches!(check.storage(key), Ok(Some(_)))).count();
		let size = proof.encode().len();
		println!(
			"account score walk: {read} keys proven of {}, {} trie nodes, {size} bytes of proof",
			keys.len(),
			proof.len()
		);
		assert!(
			read as u64 <= ACCOUNT_SCORE_READS,
			"the walk read {read} keys, more than the {ACCOUNT_SCORE_READS} charged"
		);
		assert!(
			size as u64 <= ACCOUNT_SCORE_PROOF_SIZE,
			"the walk's proof is {size} bytes, more than the {ACCOUNT_SCORE_PROOF_SIZE} charged"
		);
	}
}

/// `VotingWeight::voice` answers for one named subject without the scan, so service NFTs pushed
/// onto a voter (transfers need no consent) cannot hide its own services from governance.
mod named_voice {
	use crate::mock_chain::*;
	use frame_support::assert_ok;
	use micro_primitives::{Subject, Voice, VotingWeight, MAX_VOICES};
	use pallet_micro_services::{Endpoint, Field, FieldKind, MessageType, Source};
	use sp_core::H256;

	fn register(owner: &AccountId, name: &str) -> micro_primitives::ServiceId {
		let message = |name: &[u8]| MessageType::<Chain> {
			name: name.to_vec().try_into().unwrap(),
			fields: vec![Field {
				number: 1,
				name: b"text".to_vec().try_into().unwrap(),
				kind: FieldKind::String,
				repeated: false,
			}]
			.try_into()
			.unwrap(),
		};
		let endpoints = vec![Endpoint::<Chain> {
			name: b"Say.Hello".to_vec().try_into().unwrap(),
			request: message(b"Request"),
			response: message(b"Response"),
		}]
		.try_into()
		.unwrap();
		let service = pallet_micro_services::NextServiceId::<Chain>::get();
		assert_ok!(MicroServices::register_service(
			RuntimeOrigin::signed(owner.clone()),
			name.as_bytes().to_vec().try_into().unwrap(),
			Source {
				repository: b"https://github.com/micro/greeter".to_vec().try_into().unwrap(),
				reference: b"v1".to_vec().try_into().unwrap(),
			},
			H256::repeat_byte(1),
			endpoints,
			1,
		));
		service
	}

	#[test]
	fn a_voters_own_service_is_a_voice_whatever_is_pushed_onto_it() {
		let (voter, attacker) = (account(1), account(2));
		chain_ext(&[voter.clone(), attacker.clone()]).execute_with(|| {
			let own = register(&voter, "own");
			let pushed: Vec<_> = (0..MAX_VOICES)
				.map(|index| register(&attacker, &format!("pushed-{index}")))
				.collect();
			for service in &pushed {
				assert_ok!(MicroServices::transfer_service(
					RuntimeOrigin::signed(attacker.clone()),
					*service,
					voter.clone()
				));
			}
			let now = System::block_number();
			let weight = Reputation::score_of(Subject::Service(own)).unwrap().total as u64 + 1;
			assert_eq!(
				<Reputation as VotingWeight<AccountId, u64>>::voice(
					&voter,
					Subject::Service(own),
					now
				),
				Some(Voice { subject: Subject::Service(own), weight })
			);
			// A pushed service is the voter's NFT but not its creation: no voice for anyone.
			for who in [&voter, &attacker] {
				assert_eq!(
					<Reputation as VotingWeight<AccountId, u64>>::voice(
						who,
						Subject::Service(pushed[0]),
						now
					),
					None
				);
			}
			// Nor is a subject registered after the cutoff, or someone else's.
			assert_eq!(
				<Reputation as VotingWeight<AccountId, u64>>::voice(
					&voter,
					Subject::Service(own),
					now - 1
				),
				None
			);
			assert_eq!(
				<Reputation as VotingWeight<AccountId, u64>>::voice(
					&attacker,
					Subject::Service(own),
					now
				),
				None
			);
		});
	}
}

/// Free calls reserved for one node (issue 17): the quota is spent once, network-wide.
mod reserve_free_calls {
	use super::*;
	use micro_primitives::NodeId;

	fn reserve(who: u64, node: NodeId, calls: u32) -> sp_runtime::DispatchResult {
		Reputation::reserve_free_calls(RuntimeOrigin::signed(who), node, calls)
	}

	/// The attack: each node checked only the quota left on chain, which the free calls it
	/// served never touched, so an account spent its whole quota once on every node. Now a
	/// node serves only what was reserved for it, and reservations share the one quota.
	#[test]
	fn an_account_reserves_at_most_its_quota_across_all_nodes() {
		new_test_ext().execute_with(|| {
			set_node(1, 50, 0, 1_000_000);
			set_node(2, 51, 0, 1_000_000);
			// Account 9 scores 0: tier 0, 5 free calls per period of 20 blocks.
			assert_ok!(reserve(9, 1, 3));
			assert_noop!(reserve(9, 2, 3), Error::<Test>::FreeQuotaExhausted);
			assert_ok!(reserve(9, 2, 2));
			assert_noop!(reserve(9, 1, 1), Error::<Test>::FreeQuotaExhausted);
			assert_noop!(reserve(9, 2, 1), Error::<Test>::FreeQuotaExhausted);
			assert_eq!(Reputation::free_calls_reserved(9, 1), (3, 0));
			assert_eq!(Reputation::free_calls_reserved(9, 2), (2, 0));
			assert_eq!(Reputation::free_calls_reserved(9, 3), (0, 0));
			assert_eq!(Reputation::free_calls_left(&9), 0);
			assert_eq!(
				last_event(),
				RuntimeEvent::Reputation(Event::FreeCallsReserved {
					who: 9,
					node: 2,
					calls: 2,
					total: 2,
					period: 0
				})
			);
		});
	}

	#[test]
	fn a_reservation_from_a_past_period_is_not_usable() {
		new_test_ext().execute_with(|| {
			set_node(1, 50, 0, 1_000_000);
			set_node(2, 51, 0, 1_000_000);
			assert_ok!(reserve(9, 1, 5));
			System::set_block_number(19);
			assert_eq!(Reputation::free_calls_reserved(9, 1), (5, 0));
			// The period is 20 blocks: at block 20 the reservation is worth nothing.
			System::set_block_number(20);
			assert_eq!(Reputation::free_calls_reserved(9, 1), (0, 20));
			assert_eq!(Reputation::free_calls_left(&9), 5);
			// The next reservation forgets the old period's list.
			assert_ok!(reserve(9, 2, 1));
			assert_eq!(FreeCallsReserved::<Test>::get(9), (20, vec![(2, 1)].try_into().unwrap()));
			assert_eq!(Reputation::free_calls_reserved(9, 1), (0, 20));
		});
	}

	#[test]
	fn claiming_free_tokens_after_reserving_sees_fewer_left() {
		new_test_ext().execute_with(|| {
			set_node(1, 50, 0, 1_000_000);
			assert_ok!(reserve(9, 1, 4));
			// `claim_free_tokens` claims `free_calls_left` through `use_free_calls`.
			assert_eq!(Reputation::free_calls_left(&9), 1);
			assert_eq!(Reputation::free_calls(9), 1);
			assert_noop!(Reputation::use_free_calls(&9, 2), Error::<Test>::FreeQuotaExhausted);
			assert_ok!(Reputation::use_free_calls(&9, 1));
			assert_noop!(reserve(9, 1, 1), Error::<Test>::FreeQuotaExhausted);
			assert_eq!(Reputation::free_calls_reserved(9, 1), (4, 0));
		});
	}

	#[test]
	fn bad_reservations_are_refused_and_change_nothing() {
		new_test_ext().execute_with(|| {
			for node in 1..=4 {
				set_node(node, 50 + u64::from(node), 0, 1_000_000);
			}
			assert_noop!(reserve(9, 1, 0), Error::<Test>::ZeroFreeCalls);
			assert_noop!(reserve(9, 7, 1), Error::<Test>::UnknownNode);
			assert_noop!(
				Reputation::reserve_free_calls(RuntimeOrigin::none(), 1, 1),
				DispatchError::BadOrigin
			);
			// At most `MaxFreeReservations` (3 in the mock) nodes per period; more calls for a
			// node already reserved for take no new slot.
			for node in 1..=3 {
				assert_ok!(reserve(9, node, 1));
			}
			assert_noop!(reserve(9, 4, 1), Error::<Test>::TooManyFreeReservations);
			assert_ok!(reserve(9, 1, 1));
			assert_eq!(Reputation::free_calls_reserved(9, 1), (2, 0));
			assert_eq!(Reputation::free_calls_left(&9), 1);
		});
	}
}
