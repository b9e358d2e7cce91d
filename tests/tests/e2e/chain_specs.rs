//! The chain specs committed in `chain-specs/` are what the node knows.
//!
//! The local chain's plain spec is compared with the node's export except the runtime's wasm
//! (`genesis.runtimeGenesis.code`): its bytes depend on the compiler that built it, so it is
//! checked to be present, not to be equal. `./scripts/export-chain-specs.sh` refreshes it. The
//! testnet's raw spec is the chain itself: the node carries it as committed.

use jsonrpsee::rpc_params;
use micro_tests::{run_node_command, workspace_root, TestNode};
use serde_json::Value;

fn without_code(mut spec: Value) -> (Value, Option<String>) {
	let code = spec
		.pointer_mut("/genesis/runtimeGenesis")
		.and_then(Value::as_object_mut)
		.and_then(|genesis| genesis.remove("code"))
		.and_then(|code| code.as_str().map(str::to_owned));
	(spec, code)
}

fn check(chain: &str, file: &str) {
	let output = run_node_command(&["export-chain-spec", "--chain", chain]);
	assert!(output.status.success(), "export failed: {}", String::from_utf8_lossy(&output.stderr));
	let exported: Value = serde_json::from_slice(&output.stdout).expect("exported spec is JSON");

	let path = workspace_root().join("chain-specs").join(file);
	let committed: Value = serde_json::from_str(
		&std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())),
	)
	.unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()));

	let (exported, exported_code) = without_code(exported);
	let (committed, committed_code) = without_code(committed);
	assert!(exported_code.is_some_and(|c| c.starts_with("0x") && c.len() > 2));
	assert!(
		committed_code.is_some_and(|c| c.starts_with("0x") && c.len() > 2),
		"{} carries no runtime code",
		path.display()
	);
	assert_eq!(
		committed,
		exported,
		"{} is out of date: run ./scripts/export-chain-specs.sh",
		path.display()
	);
}

#[test]
fn local_spec_matches_the_node() {
	check("local", "local.json");
}

/// The testnet is its committed raw spec: the node exports it unchanged, and a node started
/// on it has the genesis hash docs/chain.md publishes, whatever compiler built this node.
#[tokio::test(flavor = "multi_thread")]
async fn the_testnet_is_its_committed_raw_spec_with_its_published_genesis() {
	let output = run_node_command(&["export-chain-spec", "--chain", "testnet", "--raw"]);
	assert!(output.status.success(), "export failed: {}", String::from_utf8_lossy(&output.stderr));
	let exported: Value = serde_json::from_slice(&output.stdout).expect("exported spec is JSON");
	let path = workspace_root().join("chain-specs/testnet-raw.json");
	let committed: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
	assert_eq!(exported, committed, "the node's testnet is not {}", path.display());

	let node = TestNode::start("testnet", &["--chain", "testnet"]).await.expect("the node starts");
	let genesis: String = node.rpc("chain_getBlockHash", rpc_params![0]).await.unwrap();
	assert_eq!(genesis, TESTNET_GENESIS, "docs/chain.md's testnet genesis hash is out of date");
}

/// The testnet's genesis hash, as docs/chain.md ("The testnet") publishes it.
const TESTNET_GENESIS: &str = "0x0aca7a3a2c66702486e3929ddecb8e1dea63dbfdadc5c9fc53189c5c240746a0";

#[test]
fn committed_specs_carry_the_wallet_properties() {
	for file in ["local.json", "testnet-raw.json"] {
		let spec: Value = serde_json::from_str(
			&std::fs::read_to_string(workspace_root().join("chain-specs").join(file)).unwrap(),
		)
		.unwrap();
		assert_eq!(spec["properties"]["tokenSymbol"], "MICRO", "{file}");
		assert_eq!(spec["properties"]["tokenDecimals"], 12, "{file}");
		assert_eq!(spec["properties"]["ss58Format"], 42, "{file}");
	}
}
