//! The public testnet's genesis, built from its validators' public keys.
//!
//! `chain-specs/testnet-validators.json` lists the bootstrap validators (their session keys and
//! accounts, public keys only), the accounts funded at genesis and the bootnodes.
//! `micro-node testnet-spec` turns it into `chain-specs/testnet-raw.json`, the raw chain spec
//! (genesis storage included) that is committed and compiled into the node, so every build of
//! the node agrees on the testnet's genesis hash whatever compiler built its runtime. The rules
//! (governance, heartbeat TTL, access tiers) come from the runtime's `testnet` preset.
//!
//! The file is checked before anything is built: a development key (`//Alice` …, whose secret
//! anyone can derive) is refused as a validator key, as are repeated keys and bootnodes that
//! name no peer id.

use std::{collections::BTreeSet, path::Path};

use micro_runtime::genesis_config_presets::{ENDOWMENT, TESTNET_PRESET};
use sc_network::config::MultiaddrWithPeerId;
use serde::Deserialize;
use serde_json::{json, Value};
use sp_core::{crypto::Ss58Codec, ed25519, sr25519};
use sp_keyring::{Ed25519Keyring, Sr25519Keyring};

use crate::chain_spec::ChainSpec;

/// `chain-specs/testnet-validators.json`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TestnetValidators {
	/// The bootstrap validators, in authoring order.
	pub validators: Vec<Validator>,
	/// Accounts funded at genesis besides the validators' (SS58).
	#[serde(default)]
	pub endowed: Vec<String>,
	/// Where new nodes and browsers' light clients first connect, with peer ids.
	#[serde(default)]
	pub boot_nodes: Vec<String>,
}

/// One validator's public keys, as `scripts/testnet-validator-keys.sh` prints them.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Validator {
	/// A name for people.
	pub name: String,
	/// The operator's account, funded at genesis (SS58).
	pub account: String,
	/// The Aura block-authoring key, sr25519 (SS58).
	pub aura: String,
	/// The GRANDPA finality key, ed25519 (SS58).
	pub grandpa: String,
}

fn account(what: &str, text: &str) -> Result<sp_runtime::AccountId32, String> {
	sp_runtime::AccountId32::from_ss58check(text.trim())
		.map_err(|e| format!("{what} `{text}` is not an SS58 address: {e:?}"))
}

fn sr25519_key(what: &str, text: &str) -> Result<sr25519::Public, String> {
	let key = sr25519::Public::from_ss58check(text.trim())
		.map_err(|e| format!("{what} `{text}` is not an SS58 address: {e:?}"))?;
	if let Some(dev) = Sr25519Keyring::iter().find(|k| k.public() == key) {
		return Err(format!(
			"{what} is the development key of {dev:?}: anyone can derive its secret"
		));
	}
	Ok(key)
}

fn ed25519_key(what: &str, text: &str) -> Result<ed25519::Public, String> {
	let key = ed25519::Public::from_ss58check(text.trim())
		.map_err(|e| format!("{what} `{text}` is not an SS58 address: {e:?}"))?;
	if let Some(dev) = Ed25519Keyring::iter().find(|k| k.public() == key) {
		return Err(format!(
			"{what} is the development key of {dev:?}: anyone can derive its secret"
		));
	}
	Ok(key)
}

impl TestnetValidators {
	/// Reads and checks the file at `path`.
	pub fn read(path: &Path) -> Result<Self, String> {
		let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
		let validators: Self =
			serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
		validators.genesis_patch().map_err(|e| format!("{}: {e}", path.display()))?;
		Ok(validators)
	}

	/// The runtime's `testnet` preset with these validators and funded accounts.
	pub fn genesis_patch(&self) -> Result<Value, String> {
		if self.validators.is_empty() {
			return Err("a testnet needs at least one validator".into());
		}
		let mut seen = BTreeSet::new();
		let mut validators = Vec::new();
		let mut session_keys = Vec::new();
		let mut endowed = Vec::new();
		for validator in &self.validators {
			let name = &validator.name;
			let account = account(&format!("{name}'s account"), &validator.account)?;
			let aura_key = sr25519_key(&format!("{name}'s aura key"), &validator.aura)?;
			let grandpa_key = ed25519_key(&format!("{name}'s grandpa key"), &validator.grandpa)?;
			if !seen.insert(aura_key.0) || !seen.insert(grandpa_key.0) {
				return Err(format!("{name}'s keys repeat another validator's"));
			}
			let account = account.to_ss58check();
			validators.push(account.clone());
			session_keys.push(json!([
				account,
				account,
				{ "aura": aura_key.to_ss58check(), "grandpa": grandpa_key.to_ss58check() }
			]));
			endowed.push(account);
		}
		for (index, account) in self.endowed.iter().enumerate() {
			endowed
				.push(self::account(&format!("endowed account {index}"), account)?.to_ss58check());
		}
		if endowed.iter().collect::<BTreeSet<_>>().len() != endowed.len() {
			return Err("an account is funded twice".into());
		}
		self.parsed_boot_nodes()?;
		let preset = micro_runtime::genesis_config_presets::get_preset(&TESTNET_PRESET.into())
			.ok_or("the runtime has no testnet preset")?;
		let mut patch: Value = serde_json::from_slice(&preset).map_err(|e| e.to_string())?;
		let least = patch["validators"]["minValidators"].as_u64().unwrap_or(1);
		if (validators.len() as u64) < least {
			return Err(format!("the testnet's rules keep at least {least} validators"));
		}
		// Each validator bonds from its funded account, as a candidate would.
		let bond = patch["validators"]["bond"].clone();
		patch["validators"]["validators"] =
			validators.into_iter().map(|account| json!([account, bond])).collect();
		patch["session"]["keys"] = Value::Array(session_keys);
		patch["balances"]["balances"] =
			endowed.into_iter().map(|account| json!([account, ENDOWMENT])).collect();
		Ok(patch)
	}

	/// The bootnodes, each checked to name its peer id.
	fn parsed_boot_nodes(&self) -> Result<Vec<MultiaddrWithPeerId>, String> {
		self.boot_nodes
			.iter()
			.map(|address| {
				address.parse::<MultiaddrWithPeerId>().map_err(|e| {
					format!("bootnode `{address}`: {e} (a multiaddress ending in /p2p/<peer id>)")
				})
			})
			.collect()
	}

	/// The testnet's chain spec.
	pub fn chain_spec(&self) -> Result<ChainSpec, String> {
		let boot_nodes = self.parsed_boot_nodes()?;
		Ok(crate::chain_spec::builder()?
			.with_name("Micro Testnet")
			.with_id("micro_testnet")
			.with_chain_type(sc_service::ChainType::Live)
			.with_boot_nodes(boot_nodes)
			.with_genesis_config_patch(self.genesis_patch()?)
			.build())
	}
}

/// `micro-node testnet-spec`: writes the testnet's raw chain spec from its validators file.
#[derive(Debug, clap::Parser)]
pub struct TestnetSpecCmd {
	/// The validators file: public keys, funded accounts and bootnodes.
	#[arg(long, value_name = "FILE", default_value = "chain-specs/testnet-validators.json")]
	pub validators: std::path::PathBuf,

	/// Where to write the raw chain spec.
	#[arg(long, value_name = "FILE", default_value = "chain-specs/testnet-raw.json")]
	pub output: std::path::PathBuf,
}

impl TestnetSpecCmd {
	/// Builds and writes the spec; returns what to tell the user.
	pub fn run(&self) -> Result<String, String> {
		let validators = TestnetValidators::read(&self.validators)?;
		let spec = validators.chain_spec()?;
		let raw = sc_service::ChainSpec::as_json(&spec, true)?;
		std::fs::write(&self.output, raw + "\n")
			.map_err(|e| format!("{}: {e}", self.output.display()))?;
		Ok(format!(
			"wrote {} ({} validators, {} bootnodes)",
			self.output.display(),
			validators.validators.len(),
			validators.boot_nodes.len()
		))
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use micro_runtime::{AccountId, Aura, Runtime};
	use sp_core::Pair;

	fn sr(seed: &str) -> String {
		sr25519::Pair::from_string(seed, None).unwrap().public().to_ss58check()
	}
	fn ed(seed: &str) -> String {
		ed25519::Pair::from_string(seed, None).unwrap().public().to_ss58check()
	}
	fn validator(name: &str) -> Validator {
		Validator {
			name: name.into(),
			account: sr(&format!("//{name}-test-account")),
			aura: sr(&format!("//{name}-test-aura")),
			grandpa: ed(&format!("//{name}-test-grandpa")),
		}
	}
	fn file(validators: Vec<Validator>) -> TestnetValidators {
		TestnetValidators { validators, endowed: vec![], boot_nodes: vec![] }
	}

	#[test]
	fn the_spec_has_the_files_validators_and_accounts_and_the_presets_rules() {
		let error = file(vec![validator("one"), validator("two")]).genesis_patch().unwrap_err();
		assert!(error.contains("at least 3 validators"), "{error}");
		let mut testnet = file(vec![validator("one"), validator("two"), validator("three")]);
		testnet.endowed = vec![sr("//faucet-test")];
		testnet.boot_nodes =
			vec!["/dns/one.example/tcp/30334/ws/p2p/12D3KooWEyoppNCUx8Yx66oV9fJnriXwCcXwDDUA2kj6vnc6iDEp".into()];
		let spec = testnet.chain_spec().unwrap();
		assert_eq!(sc_service::ChainSpec::id(&spec), "micro_testnet");
		assert_eq!(sc_service::ChainSpec::boot_nodes(&spec).len(), 1);
		let storage = sp_runtime::BuildStorage::build_storage(&spec).unwrap();
		sp_io::TestExternalities::new(storage).execute_with(|| {
			let aura: Vec<String> = pallet_aura::Authorities::<Runtime>::get()
				.into_iter()
				.map(|k| sr25519::Public::from(k).to_ss58check())
				.collect();
			let keys: Vec<String> = testnet.validators.iter().map(|v| v.aura.clone()).collect();
			assert_eq!(aura, keys, "the first session's authorities are the file's keys");
			assert_eq!(Aura::authorities_len(), 3);
			let bond = micro_runtime::genesis_config_presets::TESTNET_VALIDATOR_RULES.bond;
			let validator = AccountId::from_ss58check(&testnet.validators[0].account).unwrap();
			let data = frame_system::Account::<Runtime>::get(&validator).data;
			assert_eq!((data.free, data.reserved), (ENDOWMENT - bond, bond), "bonded");
			assert!(micro_runtime::Validators::validators().contains(&validator));
			let faucet = AccountId::from_ss58check(&testnet.endowed[0]).unwrap();
			assert_eq!(frame_system::Account::<Runtime>::get(&faucet).data.free, ENDOWMENT);
			assert!(pallet_sudo::Key::<Runtime>::get().is_none(), "no sudo on the testnet");
		});
	}

	#[test]
	fn development_keys_repeated_keys_and_bad_bootnodes_are_refused() {
		let mut alice = validator("one");
		alice.aura = Sr25519Keyring::Alice.public().to_ss58check();
		let error = file(vec![alice]).genesis_patch().unwrap_err();
		assert!(error.contains("development key of Alice"), "{error}");

		let mut bob = validator("one");
		bob.grandpa = Ed25519Keyring::Bob.public().to_ss58check();
		let error = file(vec![bob]).genesis_patch().unwrap_err();
		assert!(error.contains("development key of Bob"), "{error}");

		let error = file(vec![validator("one"), validator("one")]).genesis_patch().unwrap_err();
		assert!(error.contains("repeat"), "{error}");

		let error = file(vec![]).genesis_patch().unwrap_err();
		assert!(error.contains("at least one validator"), "{error}");

		let mut garbled = validator("one");
		garbled.aura = "not-a-key".into();
		let error = file(vec![garbled]).genesis_patch().unwrap_err();
		assert!(error.contains("not an SS58 address"), "{error}");

		let mut no_peer = file(vec![validator("one")]);
		no_peer.boot_nodes = vec!["/dns/one.example/tcp/30333".into()];
		let error = no_peer.genesis_patch().unwrap_err();
		assert!(error.contains("/p2p/<peer id>"), "{error}");
	}
}
