//! Genesis presets: `development` (one validator, Alice), `local_testnet` (Alice, Bob, Charlie
//! and Dave on one machine) and `testnet` (the public test network's rules; its validators and
//! funded accounts are added from public keys by `micro-node testnet-spec`).
//!
//! The first validators are the validators pallet's genesis set, with their session keys in
//! pallet-session's genesis (which hands them to Aura and GRANDPA); from then on the set
//! changes only by the validators pallet's rules.
//!
//! Only `development` has a sudo key. On `local_testnet` and `testnet` nothing is done by hand:
//! parameters and runtime upgrades change through governance proposals alone.
//!
//! Every key here derives from a well-known development seed (`//Alice`, ...): neither chain
//! that uses them holds value, and no secret key is committed anywhere.

use alloc::{vec, vec::Vec};
use frame_support::build_struct_json_patch;
use serde_json::Value;
use sp_consensus_aura::sr25519::AuthorityId as AuraId;
use sp_consensus_grandpa::AuthorityId as GrandpaId;
use sp_genesis_builder::{self, PresetId};
use sp_keyring::{Ed25519Keyring, Sr25519Keyring};

use crate::{
	opaque::SessionKeys, AccountId, Balance, BalancesConfig, BlockNumber, GovernanceConfig,
	MicroNodesConfig, ReputationConfig, RuntimeGenesisConfig, SessionConfig, SudoConfig,
	ValidatorsConfig, DAYS, HOURS, MINUTES, UNIT,
};

/// Identifier of the public test network's preset.
pub const TESTNET_PRESET: &str = "testnet";

/// What every funded account receives at genesis: one million `MICRO`.
pub const ENDOWMENT: crate::Balance = 1_000_000 * UNIT;
const _: () = assert!(ENDOWMENT > crate::EXISTENTIAL_DEPOSIT, "endowed accounts must exist");

/// Blocks after its last heartbeat that a node counts as online on the public chains: an hour.
pub const HEARTBEAT_TTL: BlockNumber = 60 * MINUTES;
/// The heartbeat TTL of a development chain: ten minutes.
pub const DEV_HEARTBEAT_TTL: BlockNumber = 10 * MINUTES;

/// The access tiers every chain starts with, as `(min_score, max_services, free_calls_per_day)`:
/// base access for every new account, more for proven nodes and services.
pub const ACCESS_TIERS: [(u32, u32, u32); 3] =
	[(0, 3, 1_000), (250, 20, 100_000), (600, 200, 10_000_000)];

/// Development and local chains decide in a minute (ten blocks) and enact two blocks later; a
/// node or service registered a block before a proposal votes on it. Half the electorate (the
/// registered nodes and services) must vote, two thirds for a runtime upgrade; approvals are in
/// percent of the weight voted.
pub const LOCAL_GOVERNANCE: GovernanceConfig = GovernanceConfig {
	voting_period: 10,
	enactment_delay: 2,
	min_age: 1,
	quorum_percent: 50,
	approval_percent: 50,
	root_quorum_percent: 66,
	root_approval_percent: 66,
};

/// The public testnet votes for two days and enacts a day later; only nodes and services
/// registered a week before a proposal vote on it; a fifth of the electorate must vote, a third
/// for a runtime upgrade.
pub const TESTNET_GOVERNANCE: GovernanceConfig = GovernanceConfig {
	voting_period: 2 * DAYS,
	enactment_delay: DAYS,
	min_age: 7 * DAYS,
	quorum_percent: 20,
	approval_percent: 50,
	root_quorum_percent: 33,
	root_approval_percent: 66,
};
const _: () = assert!(TESTNET_GOVERNANCE.enactment_delay >= HOURS);

/// What a validator bonds on the development and local chains, and on the testnet: 10,000
/// MICRO.
pub const VALIDATOR_BOND: Balance = 10_000 * UNIT;

/// The validator rules of a chain, as the genesis config of the validators pallet (without its
/// validators).
#[derive(Clone, Copy)]
pub struct ValidatorRules {
	/// The bond a candidate holds (the genesis validators' too, where their accounts are
	/// funded).
	pub bond: Balance,
	/// The least reputation score of a candidate's node.
	pub min_score: u32,
	/// The least age of a candidate's node, in blocks.
	pub min_node_age: BlockNumber,
	/// No vote, departure or offline removal shrinks the set below this.
	pub min_validators: u32,
	/// Blocks a session lasts.
	pub session_length: BlockNumber,
}

/// Development and local chains: a node a block old with any score may stand; sessions of a
/// minute (ten blocks), so a new validator authors within two minutes of its vote.
pub const LOCAL_VALIDATOR_RULES: ValidatorRules = ValidatorRules {
	bond: VALIDATOR_BOND,
	min_score: 0,
	min_node_age: 1,
	min_validators: 3,
	session_length: MINUTES,
};

/// The public testnet: a node a week old with the second access tier's score (250) may
/// stand; sessions of an hour; at least three validators.
pub const TESTNET_VALIDATOR_RULES: ValidatorRules = ValidatorRules {
	bond: VALIDATOR_BOND,
	min_score: ACCESS_TIERS[1].0,
	min_node_age: 7 * DAYS,
	min_validators: 3,
	session_length: HOURS,
};

/// A validator's account and consensus keys.
#[derive(Clone)]
pub struct Authority {
	/// The account that bonds, sets the keys and is the validator's id.
	pub account: AccountId,
	/// Aura block-authoring key.
	pub aura: AuraId,
	/// GRANDPA finality key.
	pub grandpa: GrandpaId,
}

impl Authority {
	/// The development authority of a well-known account (`Alice`, `Bob`, ...).
	pub fn dev(sr: Sr25519Keyring, ed: Ed25519Keyring) -> Self {
		Self { account: sr.to_account_id(), aura: sr.public().into(), grandpa: ed.public().into() }
	}

	/// The session keys it sets at genesis.
	pub fn session_keys(&self) -> SessionKeys {
		SessionKeys { aura: self.aura.clone(), grandpa: self.grandpa.clone() }
	}
}

/// The genesis configuration of a chain: its validators (each bonded from its funded account),
/// funded accounts and sudo key.
fn genesis(
	authorities: Vec<Authority>,
	endowed_accounts: Vec<AccountId>,
	sudo: Option<AccountId>,
	heartbeat_ttl: BlockNumber,
	rules: GovernanceConfig,
	validator_rules: ValidatorRules,
) -> Value {
	// A chain of fewer validators (development's one) keeps them all; the testnet preset,
	// whose validators `micro-node testnet-spec` adds, keeps the rules' least size.
	let min_validators = match authorities.len() as u32 {
		0 => validator_rules.min_validators,
		count => validator_rules.min_validators.min(count),
	};
	build_struct_json_patch!(RuntimeGenesisConfig {
		balances: BalancesConfig {
			balances: endowed_accounts.iter().cloned().map(|k| (k, ENDOWMENT)).collect::<Vec<_>>(),
		},
		validators: ValidatorsConfig {
			bond: validator_rules.bond,
			min_score: validator_rules.min_score,
			min_node_age: validator_rules.min_node_age,
			min_validators,
			session_length: validator_rules.session_length,
			validators: authorities
				.iter()
				.map(|a| (a.account.clone(), validator_rules.bond))
				.collect::<Vec<_>>(),
		},
		session: SessionConfig {
			keys: authorities
				.iter()
				.map(|a| (a.account.clone(), a.account.clone(), a.session_keys()))
				.collect::<Vec<_>>(),
		},
		sudo: SudoConfig { key: sudo },
		micro_nodes: MicroNodesConfig { heartbeat_ttl },
		reputation: ReputationConfig { access_tiers: ACCESS_TIERS.to_vec(), quota_period: DAYS },
		governance: rules,
	})
}

fn dev_accounts() -> Vec<AccountId> {
	Sr25519Keyring::well_known().map(|k| k.to_account_id()).collect()
}

/// `development`: Alice alone produces and finalizes blocks; she holds the sudo key.
pub fn development_config_genesis() -> Value {
	genesis(
		vec![Authority::dev(Sr25519Keyring::Alice, Ed25519Keyring::Alice)],
		dev_accounts(),
		Some(Sr25519Keyring::Alice.to_account_id()),
		DEV_HEARTBEAT_TTL,
		LOCAL_GOVERNANCE,
		LOCAL_VALIDATOR_RULES,
	)
}

/// The four validators of the `local_testnet` preset.
pub fn local_testnet_authorities() -> Vec<Authority> {
	vec![
		Authority::dev(Sr25519Keyring::Alice, Ed25519Keyring::Alice),
		Authority::dev(Sr25519Keyring::Bob, Ed25519Keyring::Bob),
		Authority::dev(Sr25519Keyring::Charlie, Ed25519Keyring::Charlie),
		Authority::dev(Sr25519Keyring::Dave, Ed25519Keyring::Dave),
	]
}

/// `local_testnet`: Alice, Bob, Charlie and Dave validate on one machine. No sudo.
pub fn local_config_genesis() -> Value {
	genesis(
		local_testnet_authorities(),
		dev_accounts(),
		None,
		HEARTBEAT_TTL,
		LOCAL_GOVERNANCE,
		LOCAL_VALIDATOR_RULES,
	)
}

/// `testnet`: the public test network's rules, with no validators and no funded accounts:
/// `micro-node testnet-spec` adds those from the validators' public keys
/// (`chain-specs/testnet-validators.json`), never development keys; each validator's account is
/// funded and bonds like any candidate. No sudo.
pub fn testnet_config_genesis() -> Value {
	genesis(vec![], vec![], None, HEARTBEAT_TTL, TESTNET_GOVERNANCE, TESTNET_VALIDATOR_RULES)
}

/// The preset with the given id, as JSON.
pub fn get_preset(id: &PresetId) -> Option<Vec<u8>> {
	let patch = match id.as_ref() {
		sp_genesis_builder::DEV_RUNTIME_PRESET => development_config_genesis(),
		sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET => local_config_genesis(),
		TESTNET_PRESET => testnet_config_genesis(),
		_ => return None,
	};
	Some(
		serde_json::to_string(&patch)
			.expect("serialization to json is expected to work. qed.")
			.into_bytes(),
	)
}

/// The ids of all presets.
pub fn preset_names() -> Vec<PresetId> {
	vec![
		PresetId::from(sp_genesis_builder::DEV_RUNTIME_PRESET),
		PresetId::from(sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET),
		PresetId::from(TESTNET_PRESET),
	]
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn every_listed_preset_resolves_to_json() {
		for name in preset_names() {
			let json = get_preset(&name).unwrap_or_else(|| panic!("preset {name:?} missing"));
			let value: Value = serde_json::from_slice(&json).expect("preset is JSON");
			assert!(value.get("validators").is_some() && value.get("session").is_some(), "{value}");
		}
	}

	#[test]
	fn only_development_has_sudo_and_every_preset_has_voting_rules() {
		for (name, sudo) in [
			(sp_genesis_builder::DEV_RUNTIME_PRESET, true),
			(sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET, false),
			(TESTNET_PRESET, false),
		] {
			let value: Value =
				serde_json::from_slice(&get_preset(&PresetId::from(name)).unwrap()).unwrap();
			assert_eq!(value["sudo"]["key"].is_string(), sudo, "{name}: {}", value["sudo"]);
			assert!(value["governance"]["votingPeriod"].as_u64().is_some_and(|p| p > 0), "{name}");
		}
	}

	#[test]
	fn unknown_preset_is_none() {
		assert!(get_preset(&PresetId::from("mainnet")).is_none());
	}

	#[test]
	fn development_preset_funds_every_dev_account() {
		let json = get_preset(&PresetId::from(sp_genesis_builder::DEV_RUNTIME_PRESET)).unwrap();
		let value: Value = serde_json::from_slice(&json).unwrap();
		let balances = value["balances"]["balances"].as_array().unwrap();
		assert_eq!(balances.len(), Sr25519Keyring::well_known().count());
		let endowment = u64::try_from(ENDOWMENT).expect("the endowment fits a JSON number");
		for entry in balances {
			assert_eq!(entry[1].as_u64(), Some(endowment), "{entry}");
		}
	}

	#[test]
	fn presets_set_the_heartbeat_ttl_and_access_tiers() {
		for (name, ttl) in [
			(sp_genesis_builder::DEV_RUNTIME_PRESET, DEV_HEARTBEAT_TTL),
			(sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET, HEARTBEAT_TTL),
			(TESTNET_PRESET, HEARTBEAT_TTL),
		] {
			let value: Value =
				serde_json::from_slice(&get_preset(&PresetId::from(name)).unwrap()).unwrap();
			assert_eq!(
				value["microNodes"]["heartbeatTtl"].as_u64(),
				Some(u64::from(ttl)),
				"{name}"
			);
			let tiers = value["reputation"]["accessTiers"].as_array().unwrap();
			assert_eq!(tiers.len(), ACCESS_TIERS.len(), "{name}");
			assert_eq!(tiers[0][0].as_u64(), Some(0), "the base tier starts at score 0");
			assert_eq!(value["reputation"]["quotaPeriod"].as_u64(), Some(u64::from(DAYS)));
		}
	}
}
