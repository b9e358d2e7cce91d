//! `micro` signs as `//Alice` by default only on a development chain: on a `--chain local` node
//! (a `Local` chain), a command that signs without `--seed` is refused with the reason, and goes
//! through with one.

use micro_tests::{
	cli::{micro_as, ok},
	TestNode,
};

#[tokio::test(flavor = "multi_thread")]
async fn a_chain_that_is_not_for_development_needs_a_seed() {
	let node = TestNode::start("local-seed", &["--chain", "local", "--alice"])
		.await
		.expect("the node starts");
	let chain_type: serde_json::Value =
		node.rpc("system_chainType", jsonrpsee::rpc_params![]).await.expect("the chain type");
	assert_eq!(chain_type, "Local");

	// Signing with no seed: refused as bad input, saying why, before anything is sent.
	for args in [
		&["tokens", "buy", "10"][..],
		&["allowance", "sign", "--service", "1", "--node", "0", "--calls", "5"],
	] {
		let run = micro_as(&node, None, args).await;
		assert_eq!(run.code, 2, "micro {args:?}: {}\n{}", run.stdout, run.stderr);
		assert!(run.stderr.contains("--seed is required"), "{}", run.stderr);
		assert!(run.stderr.contains("Local chain"), "{}", run.stderr);
	}
	// With a seed it goes on: Bob's balance, the signer's, is read.
	let balance = ok(&node, "//Bob", &["tokens", "balance"]).await;
	assert!(balance.starts_with("5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty"), "{balance}");
	// Reading what needs no signer needs no seed.
	let run = micro_as(&node, None, &["tokens", "balance", "//Charlie"]).await;
	assert_eq!(run.code, 0, "{}", run.stderr);
}
