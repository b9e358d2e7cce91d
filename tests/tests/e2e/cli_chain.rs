//! The whole chain from the command line, on one `--dev` node, as a user drives it with `micro`
//! alone; after each command the chain's state is read back through view functions.
//!
//! Three people at once (each signs for themselves, so their transactions never race):
//! - Alice (the dev chain's default signer, so without `--seed`) registers and updates her
//!   node, deploys greeter on it, proposes a heartbeat TTL and votes for it (Eve, who has no
//!   voice, is refused), cuts and raises greeter's price, deploys a second version and retires
//!   the first, withdraws and evicts its placements, offers greeter to Bob (Eve may not
//!   buy it), withdraws the offer, offers it again, and Bob buys it; Alice may no longer
//!   unregister it, Bob does; her node's allowance is refused (too young); she unregisters her
//!   node; the proposal passes and the chain enacts it;
//! - Charlie and Dave make three contracts: one fulfilled, one rejected, one breached and
//!   contested; the deposits are not yet releasable, and what may not happen is refused;
//! - Ferdie buys tokens, claims his free quota, and is refused a refresh of free tokens, a
//!   reap with nothing lapsed and a claim of nothing owed.

use std::{path::Path, process::Command, time::Duration};

use micro_cli::values::{bytes, field, item, items, number, some, variant};
use micro_tests::{
	chain::{try_view, Client},
	cli::{eventually, json, micro, micro_as},
	TestNode,
};
use subxt::{dynamic::Value, ext::codec::Encode, utils::AccountId32};
use subxt_signer::sr25519::dev;

use crate::examples;

/// The TTL Alice proposes.
const NEW_TTL: u32 = 1_234;

async fn view(api: &Client, pallet: &str, function: &str, args: &[u8]) -> Value {
	try_view(api, pallet, function, args).await.unwrap_or_else(|e| panic!("{e}"))
}

/// `micro` refuses `args` (exit 1) with `error` (the pallet's error) and `words` (what it means).
async fn refused(node: &TestNode, seed: &str, args: &[&str], error: &str, words: &str) {
	let run = micro(node, seed, args).await;
	assert_eq!(run.code, 1, "micro {args:?} should be refused:\n{}\n{}", run.stdout, run.stderr);
	assert!(run.stderr.contains(error), "micro {args:?}: {}", run.stderr);
	assert!(run.stderr.contains(words), "micro {args:?}: {}", run.stderr);
}

fn account(keypair: &subxt_signer::sr25519::Keypair) -> AccountId32 {
	keypair.public_key().into()
}

fn owner_of(service: &Value) -> Option<[u8; 32]> {
	some(service)
		.and_then(|pair| item(pair, 1))
		.and_then(some)
		.and_then(|o| bytes(o).try_into().ok())
}

fn git(repo: &Path, args: &[&str]) -> String {
	let output = Command::new("git")
		.current_dir(repo)
		.args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
		.args(args)
		.output()
		.unwrap();
	assert!(output.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&output.stderr));
	String::from_utf8(output.stdout).unwrap().trim().to_owned()
}

async fn placed_nodes(api: &Client, service: u32) -> usize {
	items(&view(api, "MicroServices", "placements", &service.encode()).await).len()
}

#[tokio::test(flavor = "multi_thread")]
async fn every_call_of_the_chain_from_the_command_line() {
	let node = TestNode::start("cli-chain", &["--dev"]).await.expect("the node starts");
	node.wait_finalized(1, Duration::from_secs(120)).await.expect("blocks are finalized");
	let api = Client::from_insecure_url(node.ws_url()).await.expect("subxt connects");
	tokio::join!(alice_and_bob(&node, &api), charlie_and_dave(&node, &api), ferdie(&node, &api));
}

async fn alice_and_bob(node: &TestNode, api: &Client) {
	let alice = account(&dev::alice());
	// A development chain signs as Alice when no seed is given.
	let run = micro_as(node, None, &["--json", "node", "register"]).await;
	assert_eq!(run.code, 0, "{}", run.stderr);
	let registered: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
	let id = registered["node"].as_u64().expect("the node's id") as u32;
	let info = view(api, "MicroNodes", "node", &id.encode()).await;
	let info = some(&info).expect("the node is registered").clone();
	assert_eq!(field(&info, "operator").map(bytes), Some(alice.0.to_vec()));
	let node_id = id.to_string();

	// node update: more CPU, the rest as it was.
	let updated = json(node, "//Alice", &["node", "update", &node_id, "--cpu", "4000"]).await;
	assert_eq!(updated["updated"], true);
	let info = view(api, "MicroNodes", "node", &id.encode()).await;
	let capacity = some(&info).and_then(|i| field(i, "capacity")).unwrap();
	let get = |name: &str| field(capacity, name).and_then(number);
	assert_eq!((get("cpu_millicores"), get("memory_mib")), (Some(4_000), Some(4_096)));

	// Greeter, deployed and placed on her node.
	let dir = tempfile::tempdir().unwrap();
	let (repo, commit) = examples::greeter_repository(dir.path());
	let repo_text = repo.to_str().unwrap().to_owned();
	let deployed =
		json(node, "//Alice", &["services", "deploy", &repo_text, &commit, "--place", &node_id])
			.await;
	let service = deployed["service"].as_u64().expect("the service") as u32;
	assert_eq!(placed_nodes(api, service).await, 1);

	// Governance: Alice has two voices (her node and greeter); Dave has none.
	let proposed = json(
		node,
		"//Alice",
		&[
			"governance",
			"propose",
			"MicroNodes.set_heartbeat_ttl",
			&format!("{{ ttl: {NEW_TTL} }}"),
		],
	)
	.await;
	let index = proposed["index"].as_u64().expect("the proposal's index") as u32;
	let index_text = index.to_string();
	refused(
		node,
		"//Eve",
		&["governance", "vote", &index_text, "aye"],
		"Governance::NoVotingWeight",
		"has no voice on this proposal",
	)
	.await;
	let voted = json(node, "//Alice", &["governance", "vote", &index_text, "aye"]).await;
	assert_eq!((voted["aye"].as_bool(), voted["voices"].as_u64()), (Some(true), Some(2)));
	let vote = view(api, "Governance", "vote_of", &(index, alice).encode()).await;
	assert!(some(&vote).is_some(), "Alice's vote is recorded");
	let listed = json(node, "//Alice", &["governance", "list"]).await;
	let mine = &listed[index as usize];
	assert_eq!(mine["status"], "Voting", "{listed}");
	assert_eq!(mine["voices"], 2, "{listed}");
	assert!(mine["call"].as_str().unwrap().contains("set_heartbeat_ttl"), "{listed}");

	// Price: a cut applies at once, a rise later.
	let price = |api: &Client| {
		let api = api.clone();
		async move { view(&api, "MicroServices", "price", &service.encode()).await }
	};
	json(node, "//Alice", &["services", "price", "greeter", "2"]).await;
	let now = price(api).await;
	assert_eq!(some(&now).and_then(|p| item(p, 0)).and_then(number), Some(2));
	let rise = json(node, "//Alice", &["services", "price", "greeter", "9"]).await;
	let from = rise["from"].as_u64().expect("a rise applies later");
	let now = price(api).await;
	let pending = some(&now).and_then(|p| item(p, 1)).and_then(some).expect("a pending rise");
	assert_eq!(
		(item(pending, 0).and_then(number), item(pending, 1).and_then(number)),
		(Some(9), Some(from.into()))
	);
	assert_eq!(some(&now).and_then(|p| item(p, 0)).and_then(number), Some(2), "still 2 now");

	// A second version, then the first retired.
	let source = repo.join("src/lib.rs");
	let code = std::fs::read_to_string(&source).unwrap();
	std::fs::write(&source, code.replace("Hello {name}", "Hello, {name}")).unwrap();
	git(&repo, &["commit", "--quiet", "-am", "a comma"]);
	let commit2 = git(&repo, &["rev-parse", "HEAD"]);
	let second = json(node, "//Alice", &["services", "deploy", &repo_text, &commit2]).await;
	assert_eq!(second["version"], 2);
	json(node, "//Alice", &["services", "retire", "greeter", "1"]).await;
	let versions = view(api, "MicroServices", "versions", &service.encode()).await;
	let status = |number_wanted: u128| {
		items(&versions)
			.into_iter()
			.find(|v| item(v, 0).and_then(number) == Some(number_wanted))
			.and_then(|v| item(v, 2))
			.and_then(variant)
			.map(str::to_owned)
	};
	assert_eq!(status(1).as_deref(), Some("Retired"));
	assert_ne!(status(2).as_deref(), Some("Retired"));

	// Withdrawn by the operator; placed again and evicted by the owner.
	json(node, "//Alice", &["services", "withdraw", "greeter", "--node", &node_id]).await;
	assert_eq!(placed_nodes(api, service).await, 0);
	micro_tests::cli::ok(
		node,
		"//Alice",
		&["services", "place", "greeter", "2", "--node", &node_id],
	)
	.await;
	assert_eq!(placed_nodes(api, service).await, 1);
	let evicted =
		json(node, "//Alice", &["services", "evict", "greeter", "--node", &node_id]).await;
	assert!(evicted["bannedUntil"].as_u64().is_some(), "{evicted}");
	assert_eq!(placed_nodes(api, service).await, 0);

	// Offered to Bob only, withdrawn, offered to anyone, bought by Bob.
	let bob = account(&dev::bob());
	json(node, "//Alice", &["nft", "offer", "greeter", "100", "--buyer", "//Bob"]).await;
	let offer = view(api, "MicroServices", "offer", &service.encode()).await;
	let offer = some(&offer).expect("an offer").clone();
	assert_eq!(field(&offer, "price").and_then(number), Some(100 * 1_000_000_000_000));
	assert_eq!(field(&offer, "buyer").and_then(some).map(bytes), Some(bob.0.to_vec()));
	refused(
		node,
		"//Eve",
		&["nft", "buy", "greeter"],
		"MicroServices::NotOfferedToYou",
		"the offer is for another buyer",
	)
	.await;
	json(node, "//Alice", &["nft", "withdraw-offer", "greeter"]).await;
	let offer = view(api, "MicroServices", "offer", &service.encode()).await;
	assert!(some(&offer).is_none(), "the offer is withdrawn");
	json(node, "//Alice", &["nft", "offer", "greeter", "100"]).await;
	let bought = json(node, "//Bob", &["nft", "buy", "greeter"]).await;
	assert_eq!(bought["price"], (100u128 * 1_000_000_000_000).to_string());
	let found = view(api, "MicroServices", "service", &service.encode()).await;
	assert_eq!(owner_of(&found), Some(bob.0));
	let shown = json(node, "//Bob", &["nft", "show", "greeter"]).await;
	assert!(shown["offer"].is_null(), "the sale ended the offer: {shown}");

	// Only its owner unregisters it.
	refused(
		node,
		"//Alice",
		&["services", "unregister", "greeter"],
		"MicroServices::NotOwner",
		"only the holder of the service's NFT may do this",
	)
	.await;
	json(node, "//Bob", &["services", "unregister", "greeter"]).await;
	let found = view(api, "MicroServices", "service", &service.encode()).await;
	assert!(some(&found).is_none(), "greeter is gone");

	// The node's allowance is for nodes a week old; then the node leaves.
	refused(
		node,
		"//Alice",
		&["tokens", "claim", "--node", &node_id],
		"MicroTokens::NodeTooYoung",
		"the node is younger than",
	)
	.await;
	let left = json(node, "//Alice", &["node", "unregister", &node_id]).await;
	assert!(left["deposit"].as_str().is_some_and(|d| d != "0"), "{left}");
	let info = view(api, "MicroNodes", "node", &id.encode()).await;
	assert!(some(&info).is_none(), "the node is unregistered");

	// The proposal passes and the chain enacts it by itself.
	eventually("the new TTL enacted", Duration::from_secs(180), || async {
		let ttl: Value = view(api, "MicroNodes", "heartbeat_ttl", &[]).await;
		number(&ttl) == Some(NEW_TTL.into())
	})
	.await;
	let listed = json(node, "//Alice", &["governance", "list"]).await;
	assert_eq!(listed[index as usize]["status"], "Passed", "{listed}");
}

async fn charlie_and_dave(node: &TestNode, api: &Client) {
	let dir = tempfile::tempdir().unwrap();
	let terms = dir.path().join("terms.txt");
	std::fs::write(&terms, "Charlie hosts Dave's service for a month.").unwrap();
	let terms = terms.to_str().unwrap().to_owned();
	let status = |id: u64| {
		let api = api.clone();
		async move {
			let found = view(&api, "MicroContracts", "contract", &id.encode()).await;
			some(&found).and_then(|c| field(c, "status")).and_then(variant).map(str::to_owned)
		}
	};
	let propose = || async {
		let proposed =
			json(node, "//Charlie", &["contracts", "propose", &terms, "--party", "//Dave"]).await;
		proposed["contract"].as_u64().expect("the contract's id")
	};

	// Fulfilled.
	let first = propose().await;
	assert_eq!(status(first).await.as_deref(), Some("Proposed"));
	let id = first.to_string();
	json(node, "//Dave", &["contracts", "approve", &id]).await;
	assert_eq!(status(first).await.as_deref(), Some("Active"));
	json(node, "//Charlie", &["contracts", "declare", &id, "fulfilled"]).await;
	json(node, "//Dave", &["contracts", "declare", &id, "fulfilled"]).await;
	assert_eq!(status(first).await.as_deref(), Some("Concluded"));
	let shown = json(node, "//Charlie", &["contracts", "show", &id]).await;
	assert_eq!(shown["historyVerified"], true, "{shown}");
	assert_eq!(
		shown["terms"],
		format!(
			"0x{}",
			hex(&sp_crypto_hashing::blake2_256(b"Charlie hosts Dave's service for a month."))
		)
	);
	let results = json(node, "//Charlie", &["contracts", "results"]).await;
	assert_eq!(results["verified"], true, "{results}");
	assert!(
		results["results"]
			.as_array()
			.unwrap()
			.iter()
			.any(|r| r["contract"] == id && r["outcome"] == "Fulfilled"),
		"{results}"
	);
	refused(
		node,
		"//Charlie",
		&["contracts", "release", &id],
		"MicroContracts::DepositsStillHeld",
		"dispute window",
	)
	.await;

	// Rejected; it cannot lapse then.
	let second = propose().await;
	let id = second.to_string();
	json(node, "//Dave", &["contracts", "reject", &id]).await;
	assert_eq!(status(second).await.as_deref(), Some("Rejected"));
	refused(
		node,
		"//Dave",
		&["contracts", "lapse", &id],
		"MicroContracts::NotProposed",
		"no longer waiting for approvals",
	)
	.await;

	// Breached, contested: disputed, nothing to confirm, nothing to expire.
	let third = propose().await;
	let id = third.to_string();
	json(node, "//Dave", &["contracts", "approve", &id]).await;
	json(node, "//Charlie", &["contracts", "declare", &id, "breached", "--by", "//Dave"]).await;
	assert_eq!(status(third).await.as_deref(), Some("BreachPending"));
	let breach = view(api, "MicroContracts", "pending_breach", &third.encode()).await;
	let dave = account(&dev::dave());
	assert_eq!(some(&breach).and_then(|b| field(b, "breacher")).map(bytes), Some(dave.0.to_vec()));
	json(node, "//Dave", &["contracts", "contest", &id]).await;
	assert_eq!(status(third).await.as_deref(), Some("Concluded"));
	refused(
		node,
		"//Charlie",
		&["contracts", "confirm", &id],
		"MicroContracts::NoPendingBreach",
		"no breach of this contract waits out a dispute window",
	)
	.await;
	refused(
		node,
		"//Charlie",
		&["contracts", "expire", &id],
		"MicroContracts::NotActive",
		"the contract is not active",
	)
	.await;
	let results = json(node, "//Charlie", &["contracts", "results"]).await;
	assert!(
		results["results"].as_array().unwrap().iter().any(|r| r["contract"] == id
			&& r["outcome"].as_str().is_some_and(|o| o.starts_with("Disputed"))),
		"{results}"
	);
}

fn hex(bytes: &[u8]) -> String {
	bytes.iter().map(|b| format!("{b:02x}")).collect()
}

async fn ferdie(node: &TestNode, api: &Client) {
	let ferdie = account(&dev::ferdie());
	let balance = |api: &Client| {
		let api = api.clone();
		async move {
			let (spendable, _): (u128, u128) =
				try_view(&api, "MicroTokens", "balance", &ferdie.encode()).await.unwrap();
			spendable
		}
	};
	micro_tests::cli::ok(node, "//Ferdie", &["tokens", "buy", "100"]).await;
	assert_eq!(balance(api).await, 100);
	let claimed = json(node, "//Ferdie", &["tokens", "claim"]).await;
	let free: u128 = claimed["tokens"].as_str().unwrap().parse().unwrap();
	assert!(free > 0, "{claimed}");
	assert_eq!(balance(api).await, 100 + free);
	refused(
		node,
		"//Ferdie",
		&["tokens", "claim"],
		"MicroTokens::NoFreeQuota",
		"free quota is used up",
	)
	.await;
	let expires = claimed["expiresAt"].as_u64().unwrap().to_string();
	refused(
		node,
		"//Ferdie",
		&["tokens", "refresh", &expires],
		"MicroTokens::NotRefreshable",
		"free-quota tokens cannot be refreshed",
	)
	.await;
	refused(
		node,
		"//Ferdie",
		&["tokens", "reap"],
		"MicroTokens::NothingToReap",
		"none of the account's batches has lapsed",
	)
	.await;
	refused(
		node,
		"//Ferdie",
		&["tokens", "claim-owed"],
		"MicroTokens::NothingOwed",
		"nothing is owed to the account",
	)
	.await;
}
