//! The chains this node knows by name: `dev`, `local` and `testnet`.

use micro_runtime::{genesis_config_presets::TESTNET_PRESET, WASM_BINARY};
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

fn spec(name: &str, id: &str, chain_type: ChainType, preset: &str) -> Result<ChainSpec, String> {
	Ok(ChainSpec::builder(wasm_binary()?, None)
		.with_name(name)
		.with_id(id)
		.with_chain_type(chain_type)
		.with_protocol_id(PROTOCOL_ID)
		.with_genesis_config_preset_name(preset)
		.with_properties(properties())
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

/// `testnet`: the public test network.
pub fn testnet_chain_spec() -> Result<ChainSpec, String> {
	spec("Micro Testnet", "micro_testnet", ChainType::Live, TESTNET_PRESET)
}
