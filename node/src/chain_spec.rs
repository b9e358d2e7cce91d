//! The chains this node knows by name: `dev`, `local` and `testnet`.

use micro_runtime::WASM_BINARY;
use sc_service::{ChainType, Properties};

/// A chain specification of the Micro runtime.
pub type ChainSpec = sc_service::GenericChainSpec;

/// Protocol id of the network, kept apart from other Substrate chains' traffic.
const PROTOCOL_ID: &str = "micro";

/// What wallets need to show balances: the token's symbol and decimals, and the address format.
pub fn properties() -> Properties {
	let mut properties = Properties::new();
	properties.insert("tokenSymbol".into(), micro_runtime::TOKEN_SYMBOL.into());
	properties.insert("tokenDecimals".into(), micro_runtime::TOKEN_DECIMALS.into());
	properties.insert("ss58Format".into(), micro_runtime::SS58_PREFIX.into());
	properties
}

fn wasm_binary() -> Result<&'static [u8], String> {
	WASM_BINARY.ok_or_else(|| {
		"the runtime's wasm was not built: this binary was compiled with SKIP_WASM_BUILD"
			.to_string()
	})
}

/// A chain spec of this runtime, with the network's protocol id and the wallet properties.
pub fn builder() -> Result<sc_chain_spec::ChainSpecBuilder<Option<()>>, String> {
	Ok(ChainSpec::builder(wasm_binary()?, None)
		.with_protocol_id(PROTOCOL_ID)
		.with_properties(properties()))
}

fn spec(name: &str, id: &str, chain_type: ChainType, preset: &str) -> Result<ChainSpec, String> {
	Ok(builder()?
		.with_name(name)
		.with_id(id)
		.with_chain_type(chain_type)
		.with_genesis_config_preset_name(preset)
		.build())
}

/// `dev`: Alice alone validates; sudo is Alice.
pub fn development_chain_spec() -> Result<ChainSpec, String> {
	spec(
		"Micro Development",
		"micro_dev",
		ChainType::Development,
		sp_genesis_builder::DEV_RUNTIME_PRESET,
	)
}

/// `local`: Alice, Bob, Charlie and Dave validate on one machine.
pub fn local_chain_spec() -> Result<ChainSpec, String> {
	spec(
		"Micro Local Testnet",
		"micro_local",
		ChainType::Local,
		sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET,
	)
}

/// The public testnet's raw chain spec, as committed: `micro-node testnet-spec` builds it from
/// `chain-specs/testnet-validators.json` ([`crate::testnet`]).
pub const TESTNET_RAW_SPEC: &[u8] = include_bytes!("../../chain-specs/testnet-raw.json");

/// `testnet`: the public test network, from its committed raw spec, so every build agrees on
/// its genesis.
pub fn testnet_chain_spec() -> Result<ChainSpec, String> {
	ChainSpec::from_json_bytes(TESTNET_RAW_SPEC)
}

#[cfg(test)]
mod tests {
	use super::*;
	use micro_runtime::{genesis_config_presets::ENDOWMENT, AccountId, Aura, Grandpa, Runtime};
	use sc_service::ChainSpec as _;
	use sp_core::crypto::Ss58Codec;
	use sp_keyring::{Ed25519Keyring, Sr25519Keyring};
	use sp_runtime::BuildStorage;

	/// Builds the chain's genesis storage with the wasm runtime and inspects it.
	fn with_genesis<R>(spec: &ChainSpec, inspect: impl FnOnce() -> R) -> R {
		let storage = spec.build_storage().expect("genesis builds");
		sp_io::TestExternalities::new(storage).execute_with(inspect)
	}

	fn free(who: &AccountId) -> micro_runtime::Balance {
		frame_system::Account::<Runtime>::get(who).data.free
	}

	fn grandpa_keys() -> Vec<sp_consensus_grandpa::AuthorityId> {
		Grandpa::grandpa_authorities()
			.into_iter()
			.map(|(key, weight)| {
				assert_eq!(weight, 1);
				key
			})
			.collect()
	}

	#[test]
	fn development_has_alice_as_only_validator_and_sudo() {
		let spec = development_chain_spec().unwrap();
		assert_eq!(spec.id(), "micro_dev");
		assert_eq!(spec.chain_type(), ChainType::Development);
		with_genesis(&spec, || {
			assert_eq!(
				pallet_aura::Authorities::<Runtime>::get().into_inner(),
				vec![Sr25519Keyring::Alice.public().into()]
			);
			assert_eq!(grandpa_keys(), vec![Ed25519Keyring::Alice.public().into()]);
			assert_eq!(
				pallet_sudo::Key::<Runtime>::get(),
				Some(Sr25519Keyring::Alice.to_account_id())
			);
			// Alice's validator bond is held from her endowment.
			let bond = micro_runtime::genesis_config_presets::VALIDATOR_BOND;
			for account in Sr25519Keyring::well_known() {
				let expected =
					if account == Sr25519Keyring::Alice { ENDOWMENT - bond } else { ENDOWMENT };
				assert_eq!(free(&account.to_account_id()), expected, "{account:?}");
			}
		});
	}

	#[test]
	fn local_has_four_validators() {
		let spec = local_chain_spec().unwrap();
		assert_eq!(spec.id(), "micro_local");
		let names = [
			(Sr25519Keyring::Alice, Ed25519Keyring::Alice),
			(Sr25519Keyring::Bob, Ed25519Keyring::Bob),
			(Sr25519Keyring::Charlie, Ed25519Keyring::Charlie),
			(Sr25519Keyring::Dave, Ed25519Keyring::Dave),
		];
		with_genesis(&spec, || {
			assert_eq!(Aura::authorities_len(), 4);
			assert_eq!(
				pallet_aura::Authorities::<Runtime>::get().into_inner(),
				names.iter().map(|(sr, _)| sr.public().into()).collect::<Vec<_>>()
			);
			assert_eq!(
				grandpa_keys(),
				names.iter().map(|(_, ed)| ed.public().into()).collect::<Vec<_>>()
			);
		});
	}

	#[test]
	fn testnet_is_the_committed_raw_spec_of_its_validators_file_without_dev_keys() {
		let spec = testnet_chain_spec().unwrap();
		assert_eq!(spec.id(), "micro_testnet");
		assert_eq!(spec.chain_type(), ChainType::Live);
		assert_eq!(spec.protocol_id(), Some(PROTOCOL_ID));
		let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
			.join("../chain-specs/testnet-validators.json");
		let validators = crate::testnet::TestnetValidators::read(&file).unwrap();
		// Light clients in browsers need a WebSocket address among the bootnodes.
		assert!(spec.boot_nodes().iter().any(|a| a.to_string().contains("/ws/")));
		assert_eq!(spec.boot_nodes().len(), validators.boot_nodes.len());
		with_genesis(&spec, || {
			let aura: Vec<String> = pallet_aura::Authorities::<Runtime>::get()
				.into_iter()
				.map(|k| sp_core::sr25519::Public::from(k).to_ss58check())
				.collect();
			let expected: Vec<String> =
				validators.validators.iter().map(|v| v.aura.clone()).collect();
			assert_eq!(aura, expected, "run micro-node testnet-spec");
			assert_eq!(grandpa_keys().len(), expected.len());
			for key in grandpa_keys() {
				assert!(Ed25519Keyring::iter()
					.all(|dev| sp_core::ed25519::Public::from(key.clone()) != dev.public()));
			}
			for key in pallet_aura::Authorities::<Runtime>::get() {
				assert!(Sr25519Keyring::iter()
					.all(|dev| sp_core::sr25519::Public::from(key.clone()) != dev.public()));
			}
			assert!(pallet_sudo::Key::<Runtime>::get().is_none());
		});
	}

	#[test]
	fn every_chain_carries_the_wallet_properties() {
		for spec in [development_chain_spec(), local_chain_spec(), testnet_chain_spec()] {
			let properties = spec.unwrap().properties();
			assert_eq!(properties["tokenSymbol"], "MICRO");
			assert_eq!(properties["tokenDecimals"], 12);
			assert_eq!(properties["ss58Format"], 42);
		}
	}
}
