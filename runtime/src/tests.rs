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
	let peer_id = alloc::format!("12D3KooWGovernanceTestNodePeerHash11111111111111{index}");
	assert_ok!(MicroNodes::register_node(
		signed(who),
		NodeKey::from(pair.public()),
		proof,
		peer_id.into_bytes().try_into().unwrap(),
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

/// Every voter registers a node, Alice proposes `call` on `track`, all vote aye; returns the
/// proposal's index.
fn pass(track: Track, call: RuntimeCall) -> u32 {
	let index = pallet_micro_governance::ProposalCount::<Runtime>::get();
	assert_ok!(Governance::propose(signed(Sr25519Keyring::Alice), track, Box::new(call)));
	for voter in VOTERS {
		assert_ok!(Governance::vote(signed(voter), index, true));
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
		for (index, voter) in VOTERS.into_iter().enumerate() {
			register_node(voter, index as u8 + 1);
		}
		let code = b"\0asm a new runtime's code".to_vec();
		let upgrade =
			RuntimeCall::System(frame_system::Call::set_code_without_checks { code: code.clone() });
		let index = pass(Track::Root, upgrade);
		let decided = 1 + LOCAL_GOVERNANCE.voting_period;
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

		for (index, voter) in VOTERS.into_iter().enumerate() {
			register_node(voter, index as u8 + 1);
		}
		pass(Track::Standard, change);
		run_to(1 + LOCAL_GOVERNANCE.voting_period + LOCAL_GOVERNANCE.enactment_delay);
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
