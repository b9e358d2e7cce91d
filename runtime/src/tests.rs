//! The runtime as the `local_testnet` preset builds it: no sudo key, and parameter changes and
//! runtime upgrades enacted only by governance.

use alloc::boxed::Box;
use frame_support::{assert_noop, assert_ok, traits::OnInitialize};
use micro_primitives::NodeKey;
use sp_core::{ed25519, Pair};
use sp_genesis_builder::PresetId;
use sp_keyring::Sr25519Keyring;
use sp_runtime::{traits::Dispatchable, DispatchError};

use crate::{
	genesis_config_presets::{get_preset, LOCAL_GOVERNANCE},
	AccountId, Governance, MicroNodes, Runtime, RuntimeCall, RuntimeGenesisConfig, RuntimeOrigin,
	Scheduler, System,
};
use pallet_micro_governance::{ProposalStatus, Track};

/// Storage built from the `local_testnet` preset, at block 1.
fn local_testnet() -> sp_io::TestExternalities {
	let mut config = serde_json::to_value(RuntimeGenesisConfig::default()).unwrap();
	let preset = get_preset(&PresetId::from(sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET))
		.expect("the local preset");
	// Merged into the full default config, as the node's chain-spec builder does.
	sc_chain_spec::json_merge(&mut config, serde_json::from_slice(&preset).unwrap());
	let mut ext = sp_io::TestExternalities::new_empty();
	ext.execute_with(|| {
		frame_support::genesis_builder_helper::build_state::<RuntimeGenesisConfig>(
			serde_json::to_vec(&config).unwrap(),
		)
		.expect("the preset builds");
		System::set_block_number(1);
	});
	ext
}

fn signed(who: Sr25519Keyring) -> RuntimeOrigin {
	RuntimeOrigin::signed(who.to_account_id())
}

/// `who` registers a node, so it has voting weight.
fn register_node(who: Sr25519Keyring, index: u8) {
	let operator: AccountId = who.to_account_id();
	let pair = ed25519::Pair::from_seed(&[index; 32]);
	let nonce = pallet_micro_nodes::ProofNonce::<Runtime>::get(&operator);
	let proof = pair.sign(&MicroNodes::key_proof_message(&operator, nonce));
	let key = NodeKey::from(pair.public());
	let peer_id = pallet_micro_nodes::peer_id::peer_id_of(&key);
	assert_ok!(MicroNodes::register_node(
		signed(who),
		key,
		proof,
		peer_id.try_into().unwrap(),
		alloc::vec![b"/ip4/127.0.0.1/tcp/30333".to_vec().try_into().unwrap()].try_into().unwrap(),
		pallet_micro_nodes::Capacity {
			cpu_millicores: 1_000,
			memory_mib: 1_024,
			storage_mib: 1_024,
			bandwidth_mbps: 10,
		},
	));
}

const VOTERS: [Sr25519Keyring; 4] =
	[Sr25519Keyring::Alice, Sr25519Keyring::Bob, Sr25519Keyring::Charlie, Sr25519Keyring::Dave];

/// Every voter registers a node, which votes on proposals made from the next block on (the
/// local preset's minimum age is one block); the chain moves to block 2.
fn register_voters() {
	for (index, voter) in VOTERS.into_iter().enumerate() {
		register_node(voter, index as u8 + 1);
	}
	run_to(2);
}

/// Alice proposes `call` on `track` and every voter votes aye; returns the proposal's index.
fn pass(track: Track, call: RuntimeCall) -> u32 {
	let index = pallet_micro_governance::ProposalCount::<Runtime>::get();
	assert_ok!(Governance::propose(signed(Sr25519Keyring::Alice), track, Box::new(call)));
	for voter in VOTERS {
		assert_ok!(Governance::vote(signed(voter), index, true, Default::default()));
	}
	index
}

/// Runs the scheduler and governance hooks of blocks up to `n`.
fn run_to(n: u32) {
	while System::block_number() < n {
		let next = System::block_number() + 1;
		System::set_block_number(next);
		Scheduler::on_initialize(next);
		Governance::on_initialize(next);
	}
}

#[test]
fn the_local_testnet_has_no_sudo_key() {
	local_testnet().execute_with(|| {
		assert_eq!(pallet_sudo::Key::<Runtime>::get(), None);
		let upgrade = RuntimeCall::System(frame_system::Call::set_code_without_checks {
			code: b"new runtime".to_vec(),
		});
		let sudo = RuntimeCall::Sudo(pallet_sudo::Call::sudo { call: Box::new(upgrade.clone()) });
		assert!(sudo.dispatch(signed(Sr25519Keyring::Alice)).is_err());
		assert_noop!(
			upgrade.dispatch(signed(Sr25519Keyring::Alice)).map_err(|e| e.error),
			DispatchError::BadOrigin
		);
	});
}

#[test]
fn a_runtime_upgrade_goes_through_a_root_proposal() {
	local_testnet().execute_with(|| {
		register_voters();
		let code = b"\0asm a new runtime's code".to_vec();
		let upgrade =
			RuntimeCall::System(frame_system::Call::set_code_without_checks { code: code.clone() });
		let index = pass(Track::Root, upgrade);
		let decided = 2 + LOCAL_GOVERNANCE.voting_period;
		let enacted = decided + LOCAL_GOVERNANCE.enactment_delay;
		run_to(decided);
		assert_eq!(
			Governance::proposal(index).unwrap().status,
			ProposalStatus::Passed { enact_at: enacted }
		);
		run_to(enacted - 1);
		assert_ne!(
			sp_io::storage::get(sp_core::storage::well_known_keys::CODE).as_deref(),
			Some(&code[..])
		);
		run_to(enacted);
		assert_eq!(
			sp_io::storage::get(sp_core::storage::well_known_keys::CODE).as_deref(),
			Some(&code[..]),
			"the chain enacted the upgrade itself"
		);
	});
}

#[test]
fn parameters_change_only_through_proposals() {
	local_testnet().execute_with(|| {
		let ttl = 77;
		let change = RuntimeCall::MicroNodes(pallet_micro_nodes::Call::set_heartbeat_ttl { ttl });
		assert!(change.clone().dispatch(signed(Sr25519Keyring::Alice)).is_err());
		assert!(change.clone().dispatch(RuntimeOrigin::none()).is_err());

		register_voters();
		pass(Track::Standard, change);
		run_to(2 + LOCAL_GOVERNANCE.voting_period + LOCAL_GOVERNANCE.enactment_delay);
		assert_eq!(pallet_micro_nodes::HeartbeatTtl::<Runtime>::get(), ttl);

		// The charity account pays out to a passed proposal only.
		let spend = pallet_micro_governance::Call::spend {
			fund: pallet_micro_governance::Fund::Charity,
			payouts: alloc::vec![(Sr25519Keyring::Eve.to_account_id(), 1)].try_into().unwrap(),
		};
		assert!(RuntimeCall::Governance(spend.clone()).dispatch(RuntimeOrigin::root()).is_err());
		assert!(RuntimeCall::Governance(spend).dispatch(signed(Sr25519Keyring::Alice)).is_err());
	});
}

/// `who` registers a service named `name`; returns its id.
fn register_service(who: Sr25519Keyring, name: &str) -> micro_primitives::ServiceId {
	use pallet_micro_services::{Endpoint, Field, FieldKind, MessageType, Source};
	let service = pallet_micro_services::NextServiceId::<Runtime>::get();
	let ident = |text: &str| text.as_bytes().to_vec().try_into().unwrap();
	let message = |name: &str| MessageType::<Runtime> {
		name: ident(name),
		fields: alloc::vec![Field {
			number: 1,
			name: ident("text"),
			kind: FieldKind::String,
			repeated: false
		}]
		.try_into()
		.unwrap(),
	};
	let endpoint = Endpoint::<Runtime> {
		name: ident("Say.Hello"),
		request: message("Request"),
		response: message("Response"),
	};
	assert_ok!(crate::MicroServices::register_service(
		signed(who),
		name.as_bytes().to_vec().try_into().unwrap(),
		Source {
			repository: b"https://github.com/micro/greeter".to_vec().try_into().unwrap(),
			reference: b"v1.0.0".to_vec().try_into().unwrap(),
		},
		sp_core::H256::repeat_byte(1),
		alloc::vec![endpoint].try_into().unwrap(),
		1,
	));
	service
}

fn free(who: &AccountId) -> crate::Balance {
	pallet_balances::Pallet::<Runtime>::free_balance(who)
}

#[test]
fn a_service_sale_splits_the_price_to_the_unit() {
	use crate::{configs::CharityAccount, configs::OperationsAccount, MicroServices, UNIT};
	local_testnet().execute_with(|| {
		let service = register_service(Sr25519Keyring::Alice, "greeter");
		let (alice, bob) =
			(Sr25519Keyring::Alice.to_account_id(), Sr25519Keyring::Bob.to_account_id());
		let (charity, operations) = (CharityAccount::get(), OperationsAccount::get());
		let before = (free(&alice), free(&bob), free(&charity), free(&operations));
		assert_ok!(MicroServices::offer_service(
			signed(Sr25519Keyring::Alice),
			service,
			1_000 * UNIT,
			None
		));
		assert_ok!(MicroServices::buy_service(signed(Sr25519Keyring::Bob), service, 1_000 * UNIT));
		assert_eq!(MicroServices::owner_of(service), Some(bob.clone()));
		assert_eq!(free(&charity), before.2 + 25 * UNIT);
		assert_eq!(free(&operations), before.3 + 25 * UNIT);
		assert_eq!(free(&alice), before.0 + 950 * UNIT);
		assert_eq!(free(&bob), before.1 - 1_000 * UNIT);
	});
}

#[test]
fn pallet_nfts_sales_and_swaps_are_refused() {
	local_testnet().execute_with(|| {
		let service = register_service(Sr25519Keyring::Alice, "greeter");
		let collection = pallet_micro_services::ServiceCollection::<Runtime>::get().unwrap();
		let disabled: DispatchError = pallet_nfts::Error::<Runtime>::MethodDisabled.into();
		let set_price = RuntimeCall::Nfts(pallet_nfts::Call::set_price {
			collection,
			item: service,
			price: Some(crate::UNIT),
			whitelisted_buyer: None,
		});
		assert_eq!(
			set_price.dispatch(signed(Sr25519Keyring::Alice)).map_err(|e| e.error),
			Err(disabled)
		);
		let buy = RuntimeCall::Nfts(pallet_nfts::Call::buy_item {
			collection,
			item: service,
			bid_price: crate::UNIT,
		});
		assert_eq!(buy.dispatch(signed(Sr25519Keyring::Bob)).map_err(|e| e.error), Err(disabled));
		let swap = RuntimeCall::Nfts(pallet_nfts::Call::create_swap {
			offered_collection: collection,
			offered_item: service,
			desired_collection: collection,
			maybe_desired_item: None,
			maybe_price: None,
			duration: 10,
		});
		assert_eq!(
			swap.dispatch(signed(Sr25519Keyring::Alice)).map_err(|e| e.error),
			Err(disabled)
		);
		assert_eq!(
			crate::MicroServices::owner_of(service),
			Some(Sr25519Keyring::Alice.to_account_id())
		);
	});
}

#[test]
fn a_preimage_noted_by_hand_holds_a_deposit_until_unnoted() {
	use frame_support::traits::fungible::InspectHold;
	local_testnet().execute_with(|| {
		let eve = Sr25519Keyring::Eve.to_account_id();
		let reason = crate::RuntimeHoldReason::Preimage(pallet_preimage::HoldReason::Preimage);
		let held = || pallet_balances::Pallet::<Runtime>::balance_on_hold(&reason, &eve);
		let bytes = alloc::vec![7u8; 64 * 1024];
		let hash = sp_core::H256::from(sp_io::hashing::blake2_256(&bytes));
		assert_ok!(crate::Preimage::note_preimage(signed(Sr25519Keyring::Eve), bytes));
		// 1 MICRO plus 65,536 bytes at 100 millionths of a MICRO.
		assert_eq!(held(), crate::UNIT + 65_536 * (crate::UNIT / 10_000));
		assert_eq!(held(), 7_553_600_000_000);
		assert_ok!(crate::Preimage::unnote_preimage(signed(Sr25519Keyring::Eve), hash));
		assert_eq!(held(), 0);
	});
}

#[test]
fn governance_notes_a_large_call_without_a_deposit() {
	use frame_support::traits::{Bounded, QueryPreimage, StorePreimage};
	local_testnet().execute_with(|| {
		// Far over the 128 bytes a call may take inline: bounding it, as governance does for a
		// proposal's call (`T::Preimages::bound`), notes it as a preimage with no depositor.
		let mut code = b"\0asm a large new runtime".to_vec();
		code.resize(8 * 1024, 0xAA);
		let upgrade = RuntimeCall::System(frame_system::Call::set_code_without_checks { code });
		let issuance = pallet_balances::Pallet::<Runtime>::total_issuance();
		let bounded = <crate::Preimage as StorePreimage>::bound(upgrade.clone()).unwrap();
		assert!(matches!(bounded, Bounded::Lookup { .. }));
		assert!(<crate::Preimage as QueryPreimage>::is_requested(&bounded.hash()));
		let (call, _) = <crate::Preimage as QueryPreimage>::peek::<RuntimeCall>(&bounded).unwrap();
		assert_eq!(call, upgrade);
		assert!(matches!(
			pallet_preimage::RequestStatusFor::<Runtime>::get(bounded.hash()),
			Some(pallet_preimage::RequestStatus::Requested { maybe_ticket: None, count: 1, .. })
		));
		assert_eq!(pallet_balances::Pallet::<Runtime>::total_issuance(), issuance);
		// Dropping it, as governance does once a proposal is decided, removes it.
		<crate::Preimage as QueryPreimage>::drop(&bounded);
		assert!(<crate::Preimage as QueryPreimage>::peek::<RuntimeCall>(&bounded).is_err());
	});
}

/// The attack: a root-track vote installs a human key (`sudo.set_key`), or schedules a call by
/// hand to dispatch one past the proposal filter. Neither can be proposed on a chain without a
/// sudo key.
#[test]
fn no_proposal_installs_a_sudo_key_outside_the_development_chain() {
	local_testnet().execute_with(|| {
		register_voters();
		let eve = sp_runtime::MultiAddress::Id(Sr25519Keyring::Eve.to_account_id());
		let set_key = RuntimeCall::Sudo(pallet_sudo::Call::set_key { new: eve });
		let propose = |call: RuntimeCall| {
			Governance::propose(signed(Sr25519Keyring::Alice), Track::Root, Box::new(call))
		};
		assert_noop!(propose(set_key), pallet_micro_governance::Error::<Runtime>::CallNotAllowed);
		let write_key = RuntimeCall::System(frame_system::Call::set_storage {
			items: alloc::vec![(
				pallet_sudo::Key::<Runtime>::hashed_key().to_vec(),
				alloc::vec![7; 32],
			)],
		});
		assert_noop!(propose(write_key), pallet_micro_governance::Error::<Runtime>::CallNotAllowed);
		let schedule = RuntimeCall::Scheduler(pallet_scheduler::Call::cancel_named { id: [0; 32] });
		assert_noop!(propose(schedule), pallet_micro_governance::Error::<Runtime>::CallNotAllowed);
		// Ordinary calls are proposed as before.
		assert_ok!(propose(RuntimeCall::System(frame_system::Call::remark {
			remark: alloc::vec![]
		})));
	});
}

/// A new chain starts at every pallet's code storage version, so the runtime's migrations
/// (each versioned) change nothing on it.
#[test]
fn migrations_leave_a_new_chain_as_it_is() {
	use frame_support::traits::{GetStorageVersion, OnRuntimeUpgrade};
	local_testnet().execute_with(|| {
		let rules = pallet_micro_governance::CurrentRules::<Runtime>::get();
		crate::Migrations::on_runtime_upgrade();
		assert_eq!(Governance::on_chain_storage_version(), Governance::in_code_storage_version());
		assert_eq!(MicroNodes::on_chain_storage_version(), MicroNodes::in_code_storage_version());
		assert_eq!(
			crate::MicroTokens::on_chain_storage_version(),
			crate::MicroTokens::in_code_storage_version()
		);
		assert_eq!(pallet_micro_governance::CurrentRules::<Runtime>::get(), rules);
	});
}

/// The attack: an aged service is lent (or sold) to another account for a vote and handed
/// back. A service is a voice only while its creator holds it.
#[test]
fn a_service_is_a_voice_only_in_its_creators_hands() {
	use micro_primitives::{Subject, VotingWeight};
	local_testnet().execute_with(|| {
		let service = register_service(Sr25519Keyring::Alice, "lent");
		let (alice, bob) =
			(Sr25519Keyring::Alice.to_account_id(), Sr25519Keyring::Bob.to_account_id());
		let voices = |who: &AccountId| {
			<crate::Reputation as VotingWeight<AccountId, u32>>::voices(who, System::block_number())
				.into_iter()
				.map(|voice| voice.subject)
				.collect::<alloc::vec::Vec<_>>()
		};
		assert_eq!(voices(&alice), alloc::vec![Subject::Service(service)]);
		assert_ok!(crate::MicroServices::transfer_service(
			signed(Sr25519Keyring::Alice),
			service,
			bob.clone()
		));
		assert!(voices(&bob).is_empty(), "the borrower gets no voice");
		assert!(voices(&alice).is_empty(), "nor does the creator while it is lent");
	});
}

/// The attack (M12): blockspace bought by the byte at one planck a byte, so filling every block
/// with remarks costs next to nothing while every full node keeps the history. A mebibyte now
/// costs about 10 MICRO in length fee alone.
#[test]
fn blockspace_is_priced_by_the_byte() {
	local_testnet().execute_with(|| {
		let mebibyte = 1024 * 1024u32;
		let call = RuntimeCall::System(frame_system::Call::remark {
			remark: alloc::vec![0u8; mebibyte as usize],
		});
		let info = frame_support::dispatch::GetDispatchInfo::get_dispatch_info(&call);
		let fee = pallet_transaction_payment::Pallet::<Runtime>::compute_fee(mebibyte, &info, 0);
		let length_fee = pallet_transaction_payment::Pallet::<Runtime>::length_to_fee(mebibyte);
		assert_eq!(length_fee, crate::Balance::from(mebibyte) * crate::MILLI_UNIT / 100);
		assert!(fee >= 10 * crate::UNIT, "a MiB of remark costs {fee}, under 10 MICRO");
	});
}

/// The transaction extensions a node's worker puts on a report it submits with no account
/// (`node/src/worker/chain.rs`): the report's own node signature authorizes it.
fn authorized(call: RuntimeCall) -> crate::UncheckedExtrinsic {
	let extension: crate::TxExtension = (
		frame_system::AuthorizeCall::<Runtime>::new(),
		frame_system::CheckNonZeroSender::<Runtime>::new(),
		frame_system::CheckSpecVersion::<Runtime>::new(),
		frame_system::CheckTxVersion::<Runtime>::new(),
		frame_system::CheckGenesis::<Runtime>::new(),
		frame_system::CheckEra::<Runtime>::from(sp_runtime::generic::Era::Immortal),
		frame_system::CheckNonce::<Runtime>::from(0),
		frame_system::CheckWeight::<Runtime>::new(),
		pallet_transaction_payment::ChargeTransactionPayment::<Runtime>::from(0),
		frame_metadata_hash_extension::CheckMetadataHash::<Runtime>::new(false),
		frame_system::WeightReclaim::<Runtime>::new(),
	);
	crate::UncheckedExtrinsic::new_transaction(call, extension)
}

/// A report of node 1 (key seed `[1; 32]`) with one record the chain rejects (a consumer's
/// signature over something else), signed by the node's key.
fn report_with_a_bad_record(node: micro_primitives::NodeId, sequence: u64) -> RuntimeCall {
	use codec::Encode;
	use pallet_micro_settlement::{UsageRecord, UsageReport};
	let consumer = Sr25519Keyring::Ferdie;
	let allowance = micro_primitives::UsageAllowance {
		consumer: consumer.to_account_id(),
		service: 0,
		node,
		max_calls: 10,
		max_price_per_call: 1,
		expires_at: 1_000,
		nonce: 1,
	};
	let record = UsageRecord {
		allowance,
		signature: consumer.sign(b"not the allowance").into(),
		version: 1,
		calls: 1,
	};
	let report: pallet_micro_settlement::ReportOf<Runtime> =
		UsageReport { node, sequence, records: alloc::vec![record].try_into().unwrap() };
	let payload = sp_io::hashing::blake2_256(
		&(micro_primitives::USAGE_REPORT_CONTEXT, crate::Settlement::genesis_hash(), &report)
			.encode(),
	);
	let signature = ed25519::Pair::from_seed(&[1; 32]).sign(&payload);
	RuntimeCall::Settlement(pallet_micro_settlement::Call::submit_usage { report, signature })
}

/// The attack (C2): reports as free, top-priority blockspace. Through the runtime's real
/// transaction pipeline (`Executive`, every extension), a report with no account is admitted at
/// priority 0 under one pool tag per node, and its node's operator pays a signed transaction's
/// fee for it plus the surcharge for the rejected record, split like every fee; an operator who
/// cannot pay has the report refused from the pool.
#[test]
fn an_authorized_report_costs_its_operator_a_fee_through_the_runtime() {
	use crate::{configs::CharityAccount, Executive};
	use codec::Encode;
	use sp_runtime::{
		traits::{Convert, Hash as _},
		transaction_validity::{InvalidTransaction, TransactionSource, TransactionValidityError},
	};
	local_testnet().execute_with(|| {
		register_node(Sr25519Keyring::Alice, 1);
		let node = pallet_micro_nodes::OperatorNodes::<Runtime>::get(
			Sr25519Keyring::Alice.to_account_id(),
		)[0];
		run_to(2);
		let xt = authorized(report_with_a_bad_record(node, 1));
		let len = xt.encoded_size() as u32;

		let validity = frame_support::storage::with_transaction(|| {
			sp_runtime::TransactionOutcome::Rollback(Ok::<_, DispatchError>(
				Executive::validate_transaction(
					TransactionSource::External,
					xt.clone(),
					System::parent_hash(),
				),
			))
		})
		.unwrap()
		.expect("the report is valid");
		assert_eq!(validity.priority, 0, "no higher than a signed transaction with no tip");
		let tag = ("MicroUsageReport", node).encode();
		assert_eq!(validity.provides, alloc::vec![tag.clone()]);
		// A second report of the same node, any sequence, competes for the same slot.
		let next = authorized(report_with_a_bad_record(node, 7));
		let next_validity = frame_support::storage::with_transaction(|| {
			sp_runtime::TransactionOutcome::Rollback(Ok::<_, DispatchError>(
				Executive::validate_transaction(
					TransactionSource::External,
					next,
					System::parent_hash(),
				),
			))
		})
		.unwrap()
		.expect("valid on its own");
		assert_eq!(next_validity.provides, alloc::vec![tag]);

		let alice = Sr25519Keyring::Alice.to_account_id();
		let charity = CharityAccount::get();
		let (alice_before, charity_before) = (free(&alice), free(&charity));
		let header = <crate::Header as sp_runtime::traits::Header>::new(
			System::block_number() + 1,
			Default::default(),
			Default::default(),
			System::parent_hash(),
			Default::default(),
		);
		Executive::initialize_block(&header);
		let hash = <Runtime as frame_system::Config>::Hashing::hash_of(&xt);
		assert_ok!(Executive::apply_extrinsic(xt).expect("applied"));
		let weight = <<Runtime as pallet_micro_settlement::Config>::WeightInfo as
			pallet_micro_settlement::WeightInfo>::submit_usage(1, 1, 1);
		let report_len = match report_with_a_bad_record(node, 1) {
			RuntimeCall::Settlement(pallet_micro_settlement::Call::submit_usage {
				report,
				signature,
			}) => (2 + report.encoded_size() + signature.encoded_size()) as u32,
			_ => unreachable!(),
		};
		let expected =
			crate::configs::SettlementReportFee::convert((weight, report_len)) + crate::MILLI_UNIT;
		assert!(len >= report_len, "the call is inside the extrinsic ({hash:?})");
		let paid = System::events()
			.into_iter()
			.find_map(|record| match record.event {
				crate::RuntimeEvent::Settlement(
					pallet_micro_settlement::Event::ReportFeePaid { fee, operator, .. },
				) => Some((fee, operator)),
				_ => None,
			})
			.expect("ReportFeePaid");
		assert_eq!(paid, (expected, alice.clone()));
		assert_eq!(free(&alice), alice_before - expected, "the operator paid exactly the fee");
		assert_eq!(free(&charity), charity_before + expected / 40, "2.5% to charity");

		// An operator with nothing to pay with has its next report refused from the pool.
		assert_ok!(pallet_balances::Pallet::<Runtime>::transfer_all(
			signed(Sr25519Keyring::Alice),
			Sr25519Keyring::Eve.to_account_id().into(),
			true,
		));
		run_to(System::block_number() + 20);
		let broke = authorized(report_with_a_bad_record(node, 2));
		assert_eq!(
			Executive::validate_transaction(
				TransactionSource::External,
				broke,
				System::parent_hash()
			),
			Err(TransactionValidityError::Invalid(InvalidTransaction::Payment))
		);
	});
}

/// The attack: service NFTs pushed onto a voter (transfers need no consent) fill the 16 places
/// of the voices scan, so its own aged service would not be found. A vote names its subjects,
/// each checked on its own in the real runtime's reputation pallet.
#[test]
fn a_voter_votes_with_its_own_service_whatever_is_pushed_onto_it() {
	use micro_primitives::{Subject, MAX_VOICES};
	local_testnet().execute_with(|| {
		let own = register_service(Sr25519Keyring::Alice, "own");
		let alice = Sr25519Keyring::Alice.to_account_id();
		for index in 0..=MAX_VOICES / 2 {
			let pushed = register_service(Sr25519Keyring::Bob, &alloc::format!("pushed-{index}"));
			assert_ok!(crate::MicroServices::transfer_service(
				signed(Sr25519Keyring::Bob),
				pushed,
				alice.clone()
			));
		}
		run_to(2);
		let index = pallet_micro_governance::ProposalCount::<Runtime>::get();
		let remark = RuntimeCall::System(frame_system::Call::remark { remark: alloc::vec![1] });
		register_node(Sr25519Keyring::Charlie, 3);
		run_to(3);
		assert_ok!(Governance::propose(
			signed(Sr25519Keyring::Charlie),
			Track::Standard,
			Box::new(remark)
		));
		assert_ok!(Governance::vote(
			signed(Sr25519Keyring::Alice),
			index,
			true,
			alloc::vec![Subject::Service(own)].try_into().unwrap()
		));
		assert_eq!(
			pallet_micro_governance::VoiceVotes::<Runtime>::get(index, Subject::Service(own)),
			Some(alice.clone())
		);
		// A pushed service is Alice's NFT but not her creation: it carries no voice.
		assert!(Governance::vote(
			signed(Sr25519Keyring::Alice),
			index,
			true,
			alloc::vec![Subject::Service(own + 1)].try_into().unwrap()
		)
		.is_err());
	});
}

/// What `who` holds as its validator bond.
fn bonded(who: &AccountId) -> crate::Balance {
	use frame_support::traits::fungible::InspectHold;
	crate::Balances::balance_on_hold(
		&crate::RuntimeHoldReason::Validators(pallet_micro_validators::HoldReason::ValidatorBond),
		who,
	)
}

/// Two prevotes by `offender` for different blocks in one round of set `set_id`.
fn double_prevote(
	set_id: sp_consensus_grandpa::SetId,
	offender: sp_keyring::Ed25519Keyring,
) -> sp_consensus_grandpa::EquivocationProof<crate::Hash, crate::BlockNumber> {
	let round = 1;
	let prevote = |target: u8| {
		let prevote = finality_grandpa::Prevote {
			target_hash: crate::Hash::repeat_byte(target),
			target_number: 1,
		};
		let message = finality_grandpa::Message::Prevote(prevote.clone());
		let payload = sp_consensus_grandpa::localized_payload(round, set_id, &message);
		(prevote, offender.sign(&payload).into())
	};
	sp_consensus_grandpa::EquivocationProof::new(
		set_id,
		sp_consensus_grandpa::Equivocation::Prevote(finality_grandpa::Equivocation {
			round_number: round,
			identity: offender.public().into(),
			first: prevote(1),
			second: prevote(2),
		}),
	)
}

#[test]
fn the_local_testnet_starts_with_its_four_bonded_validators_as_authorities() {
	local_testnet().execute_with(|| {
		let accounts: alloc::vec::Vec<AccountId> =
			VOTERS.iter().map(|v| v.to_account_id()).collect();
		assert_eq!(crate::Validators::validators(), accounts);
		assert_eq!(pallet_session::Validators::<Runtime>::get(), accounts);
		assert_eq!(pallet_aura::Authorities::<Runtime>::get().len(), 4);
		assert_eq!(crate::Grandpa::grandpa_authorities().len(), 4);
		for who in &accounts {
			assert_eq!(bonded(who), crate::genesis_config_presets::VALIDATOR_BOND);
		}
	});
}

/// A GRANDPA equivocation, reported with a key-ownership proof against the keys the session
/// used, slashes the offender through pallet-offences (by GRANDPA's own fraction,
/// being above the least) and removes it from the set; the same report a second time is
/// refused.
#[test]
fn a_reported_double_grandpa_vote_slashes_the_offender_and_removes_it() {
	use frame_support::traits::KeyOwnerProofSystem;
	use sp_keyring::Ed25519Keyring;

	local_testnet().execute_with(|| {
		let bob: AccountId = Sr25519Keyring::Bob.to_account_id();
		let set_id = crate::Grandpa::current_set_id();
		let proof = double_prevote(set_id, Ed25519Keyring::Bob);
		let bob_key: sp_consensus_grandpa::AuthorityId = Ed25519Keyring::Bob.public().into();
		let key = (sp_consensus_grandpa::KEY_TYPE, bob_key);
		let ownership = crate::Validators::prove(key).expect("Bob's key is in the session");
		let operations = free(&crate::configs::OperationsAccount::get());

		// A proof with another validator count (which sets the slash) or for another session
		// than the vote's set is refused.
		for wrong in [
			sp_session::MembershipProof { validator_count: 3, ..ownership.clone() },
			sp_session::MembershipProof { session: 1, ..ownership.clone() },
		] {
			assert!(crate::Grandpa::report_equivocation_unsigned(
				RuntimeOrigin::none(),
				Box::new(proof.clone()),
				wrong,
			)
			.is_err());
		}

		assert_ok!(crate::Grandpa::report_equivocation_unsigned(
			RuntimeOrigin::none(),
			Box::new(proof.clone()),
			ownership.clone(),
		));
		let bond = crate::genesis_config_presets::VALIDATOR_BOND;
		// GRANDPA's fraction for one offender of four, (3 × 1/4)², is above the least 10%.
		let fraction = sp_runtime::Perbill::from_rational(3u32, 4).square();
		assert!(fraction > crate::configs::EquivocationSlash::get());
		let slashed = fraction.mul_ceil(bond);
		assert_eq!(bonded(&bob), bond - slashed, "56% of the bond is gone");
		assert_eq!(free(&crate::configs::OperationsAccount::get()), operations + slashed);
		assert!(!crate::Validators::validators().contains(&bob), "removed from the set");
		assert!(pallet_micro_validators::Candidates::<Runtime>::get(&bob).is_none());

		// The same offence is punished once.
		assert!(crate::Grandpa::report_equivocation_unsigned(
			RuntimeOrigin::none(),
			Box::new(proof),
			ownership,
		)
		.is_err());
		assert_eq!(bonded(&bob), bond - slashed);
	});
}
