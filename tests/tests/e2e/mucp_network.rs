//! The whole network on four validators, driven only through the `micro` command line and the
//! nodes' HTTP gateways, as people would:
//!
//! 1. each validator registers its node (its MUCP key proves itself over the node's RPC);
//! 2. Bob deploys greeter from a local git repository; Alice and Bob place it on their nodes;
//! 3. Ferdie buys API tokens and signs allowances for both nodes, then calls greeter through
//!    Charlie's gateway: the calls go to both nodes; a call paying only a node that does not
//!    run greeter is refused with a `Micro-Error`;
//! 4. topics across nodes: a message published with nobody listening waits in Dave's inbox and
//!    reaches a subscriber on Alice's node; a queue group on Alice's and Bob's nodes shares a
//!    topic's messages, each to one member, while a plain subscriber on Charlie's gets them all;
//! 5. Bob's node is killed once its calls are settled: calls keep succeeding through Alice's,
//!    before and after its registry entry expires;
//! 6. the usage is settled on-chain: Bob (greeter's owner) is paid, 2.5% goes to charity and
//!    2.5% to operations to the unit, and Ferdie's tokens are down by exactly the calls made;
//!    each node's operator paid its reports' fees, split like every transaction fee.

use crate::examples;

use std::{collections::BTreeSet, process::Stdio, time::Duration};

use micro_tests::{
	chain::{events_in, free_balance_at, view, Client},
	cli::{eventually, json, micro, ok},
	cli_binary, start_local_network_with, TestNode,
};
use serde_json::Value;
use subxt::{
	dynamic,
	ext::{
		codec::Encode,
		scale_decode::{self, DecodeAsType},
		scale_value,
	},
	utils::AccountId32,
};
use subxt_signer::sr25519::dev;
use tokio::{
	io::{AsyncBufReadExt, BufReader},
	process::{Child, Command},
};

/// API tokens a call to greeter costs (its `micro.json`).
const PRICE_PER_CALL: u128 = 3;

/// A `micro subscribe` running in the background.
struct Subscriber {
	/// The process: killed when this is dropped.
	_process: Child,
	lines: tokio::sync::mpsc::UnboundedReceiver<String>,
}

fn subscribe(node: &TestNode, topic: &str, queue: Option<&str>) -> Subscriber {
	let mut command = Command::new(cli_binary());
	command.args(["--gateway", &node.gateway_url(), "subscribe", topic]);
	if let Some(queue) = queue {
		command.args(["--queue", queue]);
	}
	let mut child =
		command.stdout(Stdio::piped()).kill_on_drop(true).spawn().expect("micro subscribe runs");
	let stdout = child.stdout.take().expect("piped");
	let (send, lines) = tokio::sync::mpsc::unbounded_channel();
	tokio::spawn(async move {
		let mut reader = BufReader::new(stdout).lines();
		while let Ok(Some(line)) = reader.next_line().await {
			if send.send(line).is_err() {
				return;
			}
		}
	});
	Subscriber { _process: child, lines }
}

impl Subscriber {
	/// The messages received within `wait`, at most `most`.
	async fn take(&mut self, most: usize, wait: Duration) -> Vec<String> {
		let deadline = tokio::time::Instant::now() + wait;
		let mut got = Vec::new();
		while got.len() < most {
			match tokio::time::timeout_at(deadline, self.lines.recv()).await {
				Ok(Some(line)) => got.push(line),
				_ => break,
			}
		}
		got
	}
}

/// How many nodes run greeter, as `node`'s registry shows it (`None` if it shows none).
async fn greeter_nodes(node: &TestNode) -> Option<usize> {
	let services = json(node, "//Alice", &["network", "services"]).await;
	services
		.as_array()
		.into_iter()
		.flatten()
		.find(|s| s["name"] == "greeter")
		.map(|s| s["nodes"].as_array().map_or(0, Vec::len))
}

/// `node`'s unsettled calls and whether a report is in flight (`micro_usage`).
async fn usage(node: &TestNode) -> (u64, bool) {
	let usage: Value =
		node.rpc("micro_usage", jsonrpsee::rpc_params![]).await.expect("micro_usage");
	(usage["unsettledCalls"].as_u64().unwrap_or(u64::MAX), !usage["inFlight"].is_null())
}

/// Every `Settlement.UsageSettled` event from block `from` to the finalized head.
async fn usage_settled(api: &Client, node: &TestNode, from: u32) -> Vec<scale_value::Value<()>> {
	let (to, _) = node.finalized().await.expect("a finalized block");
	let mut found = Vec::new();
	for number in from..=to {
		let at = api.at_block(u64::from(number)).await.expect("the block");
		for event in at.events().fetch().await.expect("its events").iter() {
			let event = event.expect("the event decodes");
			if event.pallet_name() == "Settlement" && event.event_name() == "UsageSettled" {
				let fields = event
					.decode_fields_unchecked_as::<scale_value::Composite<()>>()
					.expect("its fields decode");
				found.push(scale_value::Value {
					value: scale_value::ValueDef::Composite(fields),
					context: (),
				});
			}
		}
	}
	found
}

#[derive(Debug, DecodeAsType)]
#[decode_as_type(crate_path = "scale_decode")]
struct ReportFeePaid {
	operator: AccountId32,
	fee: u128,
}

#[derive(Debug, DecodeAsType)]
#[decode_as_type(crate_path = "scale_decode")]
struct Slot(u64);

#[derive(Debug, DecodeAsType)]
#[decode_as_type(crate_path = "scale_decode")]
struct AuraKey([u8; 32]);

/// A usage report's fee: who paid it, how much, and the author of the block it was paid in,
/// who takes what charity and operations do not.
struct ReportFee {
	operator: AccountId32,
	fee: u128,
	author: AccountId32,
}

/// Every `Settlement.ReportFeePaid` event from block `from` to block `to`.
async fn report_fees(api: &Client, from: u32, to: u32) -> Vec<ReportFee> {
	let mut found = Vec::new();
	for number in from..=to {
		let at = api.at_block(u64::from(number)).await.expect("the block");
		for event in at.events().fetch().await.expect("its events").iter() {
			let event = event.expect("the event decodes");
			if event.pallet_name() != "Settlement" || event.event_name() != "ReportFeePaid" {
				continue;
			}
			let paid = event.decode_fields_unchecked_as::<ReportFeePaid>().expect("it decodes");
			// Aura's author is the authority whose turn the block's slot was, among the
			// authorities its parent named (a session's change applies in its first block).
			let slot = dynamic::storage::<(), Slot>("Aura", "CurrentSlot");
			let slot = at.storage().fetch(slot, ()).await.expect("the slot").decode().unwrap().0;
			let parent = api.at_block(u64::from(number - 1)).await.expect("the parent");
			let keys = dynamic::storage::<(), Vec<AuraKey>>("Aura", "Authorities");
			let keys = parent.storage().fetch(keys, ()).await.expect("authorities");
			let keys = keys.decode().unwrap();
			let author = AccountId32(keys[(slot % keys.len() as u64) as usize].0);
			found.push(ReportFee { operator: paid.operator, fee: paid.fee, author });
		}
	}
	found
}

#[derive(Debug, DecodeAsType)]
#[decode_as_type(crate_path = "scale_decode")]
struct Removed {
	slashed: u128,
}

#[derive(Debug, DecodeAsType)]
#[decode_as_type(crate_path = "scale_decode")]
struct Slashed {
	amount: u128,
}

/// What validators' bonds were slashed (to the operations account) from block `from` to `to`:
/// a validator whose node is killed (Bob's, below) loses 1% for each session it then misses.
async fn validator_slashes(api: &Client, from: u32, to: u32) -> u128 {
	let removed: Vec<Removed> = events_in(api, from, to, "Validators", "Removed").await;
	let slashed: Vec<Slashed> = events_in(api, from, to, "Validators", "Slashed").await;
	removed.iter().map(|r| r.slashed).sum::<u128>() + slashed.iter().map(|s| s.amount).sum::<u128>()
}

fn amount(event: &scale_value::Value<()>, name: &str) -> u128 {
	micro_cli::values::field(event, name).and_then(micro_cli::values::number).expect(name)
}

#[tokio::test(flavor = "multi_thread")]
async fn services_are_deployed_called_published_and_settled_across_four_validators() {
	// Greeter comes from a local repository, which nodes build only when told to.
	let args = [
		"--peer",
		"--registry-ttl",
		"6",
		"--settlement-interval",
		"10",
		"--mucp-allow-local-sources",
	];
	let mut nodes = start_local_network_with(&args).await.expect("the network starts");
	nodes[0].wait_finalized(1, Duration::from_secs(180)).await.expect("blocks are finalized");
	let api = Client::from_insecure_url(nodes[0].ws_url()).await.expect("subxt connects");

	// 1. Each validator registers its node, all at once.
	let seeds = ["//Alice", "//Bob", "//Charlie", "//Dave"];
	let registered = futures::future::join_all(
		nodes.iter().zip(seeds).map(|(node, seed)| json(node, seed, &["node", "register"])),
	)
	.await;
	let ids: Vec<u32> = registered.iter().map(|r| r["node"].as_u64().unwrap() as u32).collect();
	assert_eq!(ids.iter().collect::<BTreeSet<_>>().len(), 4, "four nodes: {registered:?}");
	for (node, id) in nodes.iter().zip(&ids) {
		eventually("each worker knows its on-chain id", Duration::from_secs(60), || async {
			json(node, "//Alice", &["node", "show"]).await["nodeId"].as_u64()
				== Some(u64::from(*id))
		})
		.await;
	}

	// 2. Bob deploys greeter from a local git repository; Alice and Bob place it.
	let dir = tempfile::tempdir().unwrap();
	let (repo, commit) = examples::greeter_repository(dir.path());
	let repo = repo.to_str().unwrap().to_owned();
	let deployed = json(&nodes[1], "//Bob", &["services", "deploy", &repo, &commit]).await;
	assert_eq!(
		(deployed["name"].as_str(), deployed["version"].as_u64()),
		(Some("greeter"), Some(1))
	);
	let (alice_node, bob_node) = (ids[0].to_string(), ids[1].to_string());
	futures::future::join(
		ok(&nodes[0], "//Alice", &["services", "place", "greeter", "1", "--node", &alice_node]),
		ok(&nodes[1], "//Bob", &["services", "place", "greeter", "1", "--node", &bob_node]),
	)
	.await;
	let versions = ok(&nodes[2], "//Alice", &["services", "versions", "greeter"]).await;
	assert!(versions.contains("Live") && versions.contains(&commit), "{versions}");

	// Charlie's node learns of both over MUCP once they built and serve it.
	eventually("greeter on two nodes, seen from Charlie's", Duration::from_secs(300), || async {
		greeter_nodes(&nodes[2]).await == Some(2)
	})
	.await;
	let openapi = micro_cli::gateway::Gateway::new(&nodes[2].gateway_url())
		.get_json("/openapi.json")
		.await
		.expect("the gateway serves OpenAPI");
	assert!(openapi["paths"]["/greeter/Say.Hello"]["post"].is_object(), "{openapi}");

	// 3. Ferdie buys tokens and pays both nodes with allowances.
	ok(&nodes[2], "//Ferdie", &["tokens", "buy", "1000"]).await;
	let ferdie: AccountId32 = dev::ferdie().public_key().into();
	let bob: AccountId32 = dev::bob().public_key().into();
	let (_, charity, operations): (AccountId32, AccountId32, AccountId32) =
		view(&api, "MicroTokens", "accounts", &[]).await;
	let (first_block, _) = nodes[0].finalized().await.unwrap();
	let before = (
		free_balance_at(&api, &bob, first_block).await.unwrap(),
		free_balance_at(&api, &charity, first_block).await.unwrap(),
		free_balance_at(&api, &operations, first_block).await.unwrap(),
	);
	let allowances = ok(
		&nodes[2],
		"//Ferdie",
		&[
			"allowance",
			"sign",
			"--service",
			"greeter",
			"--node",
			&alice_node,
			"--node",
			&bob_node,
			"--calls",
			"100",
		],
	)
	.await;
	let mut calls = 0u64;
	for _ in 0..6 {
		let answer = ok(
			&nodes[2],
			"//Ferdie",
			&["call", "greeter", "Say.Hello", r#"{"name":"Ferdie"}"#, "--allowance", &allowances],
		)
		.await;
		assert_eq!(answer, r#"{"msg":"Hello Ferdie"}"#);
		calls += 1;
	}
	let (alice_served, _) = usage(&nodes[0]).await;
	let (bob_served, _) = usage(&nodes[1]).await;
	assert_eq!(alice_served + bob_served, calls, "every call was counted once");
	assert!(
		alice_served > 0 && bob_served > 0,
		"calls went to both nodes: {alice_served} {bob_served}"
	);

	let charlie_node = ids[2].to_string();
	let wrong = ok(
		&nodes[2],
		"//Ferdie",
		&["allowance", "sign", "--service", "greeter", "--node", &charlie_node, "--calls", "5"],
	)
	.await;
	let refused = micro(
		&nodes[2],
		"//Ferdie",
		&["call", "greeter", "Say.Hello", r#"{"name":"x"}"#, "--allowance", &wrong],
	)
	.await;
	assert_eq!(refused.code, 1, "refused: {}", refused.stderr);
	let error: Value = serde_json::from_str(refused.stderr.trim_start_matches("error: ")).unwrap();
	assert_eq!(error["code"], 402, "{error}");
	assert!(error["detail"].as_str().unwrap().contains("no allowance"), "{error}");

	// 4. Topics. The inbox: nobody listens when Dave publishes; Alice's subscriber gets it.
	let published = json(&nodes[3], "//Alice", &["publish", "audit", r#"{"event":"first"}"#]).await;
	assert_eq!(published["stored"], true, "{published}");
	let mut late = subscribe(&nodes[0], "audit", None);
	assert_eq!(late.take(1, Duration::from_secs(30)).await, vec![r#"{"event":"first"}"#]);

	// Queue groups: Alice's and Bob's share "jobs"; Charlie's plain subscriber sees all.
	let mut workers = [
		subscribe(&nodes[0], "jobs", Some("workers")),
		subscribe(&nodes[1], "jobs", Some("workers")),
	];
	let mut watcher = subscribe(&nodes[2], "jobs", None);
	tokio::time::sleep(Duration::from_secs(5)).await;
	let jobs: Vec<String> = (0..6).map(|i| format!(r#"{{"job":{i}}}"#)).collect();
	for job in &jobs {
		ok(&nodes[3], "//Alice", &["publish", "jobs", job]).await;
	}
	let seen = watcher.take(jobs.len(), Duration::from_secs(30)).await;
	assert_eq!(seen, jobs, "a plain subscriber gets every message, in order");
	let mut shared = Vec::new();
	for worker in &mut workers {
		shared.extend(worker.take(jobs.len(), Duration::from_secs(3)).await);
	}
	shared.sort();
	let mut expected = jobs.clone();
	expected.sort();
	assert_eq!(shared, expected, "the queue group got each message exactly once");
	drop((late, workers, watcher));

	// 5. Bob's node dies once its calls are settled; calls go on through Alice's.
	eventually("Bob's node settles its calls", Duration::from_secs(240), || async {
		usage(&nodes[1]).await == (0, false)
	})
	.await;
	let bob_node_process = nodes.remove(1);
	let bob_log = bob_node_process.log();
	drop(bob_node_process);
	assert!(bob_log.contains("usage report"), "{bob_log}");
	let call = ["call", "greeter", "Say.Hello", r#"{"name":"Ferdie"}"#, "--allowance", &allowances];
	for _ in 0..2 {
		assert_eq!(ok(&nodes[1], "//Ferdie", &call).await, r#"{"msg":"Hello Ferdie"}"#);
		calls += 1;
	}
	eventually("Bob's node drops out of Charlie's registry", Duration::from_secs(60), || async {
		greeter_nodes(&nodes[1]).await == Some(1)
	})
	.await;
	for _ in 0..2 {
		assert_eq!(ok(&nodes[1], "//Ferdie", &call).await, r#"{"msg":"Hello Ferdie"}"#);
		calls += 1;
	}

	// 6. Everything is settled on-chain.
	eventually("Alice's node settles its calls", Duration::from_secs(240), || async {
		usage(&nodes[0]).await == (0, false)
	})
	.await;
	// Balances as of the finalized head that includes the last settlement.
	tokio::time::sleep(Duration::from_secs(20)).await;
	let settled = usage_settled(&api, &nodes[0], first_block).await;
	let settled_calls: u128 = settled.iter().map(|e| amount(e, "calls")).sum();
	assert_eq!(settled_calls, u128::from(calls), "every call settled once: {settled:?}");
	let (mut paid, mut to_charity, mut to_operations) = (0u128, 0u128, 0u128);
	for event in &settled {
		let (owner_share, charity_share, operations_share) =
			(amount(event, "paid"), amount(event, "charity"), amount(event, "operations"));
		let total = owner_share + charity_share + operations_share;
		assert_eq!(charity_share, total / 40, "2.5% to charity, to the unit");
		assert_eq!(operations_share, total / 40, "2.5% to operations, to the unit");
		assert_eq!(amount(event, "tokens"), amount(event, "calls") * PRICE_PER_CALL);
		paid += owner_share;
		to_charity += charity_share;
		to_operations += operations_share;
	}
	let api = Client::from_insecure_url(nodes[0].ws_url()).await.expect("subxt reconnects");
	// Reports sent without an account cost their node's operator a fee, split like every
	// transaction fee: 2.5% each to charity and operations, the rest to the block's author.
	// Everything is read as of one finalized block.
	let (to, _) = nodes[0].finalized().await.expect("a finalized block");
	let fees = report_fees(&api, first_block, to).await;
	assert!(!fees.is_empty(), "the nodes paid for their reports");
	let slashed = validator_slashes(&api, first_block + 1, to).await;
	let fee_shares: u128 = fees.iter().map(|f| f.fee / 40).sum();
	let bob_paid_fees: i128 =
		fees.iter().filter(|f| f.operator == bob).map(|f| f.fee as i128).sum();
	let bob_authored: i128 =
		fees.iter().filter(|f| f.author == bob).map(|f| (f.fee - 2 * (f.fee / 40)) as i128).sum();
	let bob_change = free_balance_at(&api, &bob, to).await.unwrap() as i128 - before.0 as i128;
	assert_eq!(
		bob_change,
		paid as i128 - bob_paid_fees + bob_authored,
		"the owner is paid, less its node's report fees, plus its share of fees as an author"
	);
	assert_eq!(
		free_balance_at(&api, &charity, to).await.unwrap() - before.1,
		to_charity + fee_shares
	);
	assert_eq!(
		free_balance_at(&api, &operations, to).await.unwrap() - before.2,
		to_operations + fee_shares + slashed,
		"operations' 2.5% of everything, and the bonds slashed"
	);
	let (spendable, _): (u128, u128) = view(&api, "MicroTokens", "balance", &ferdie.encode()).await;
	assert_eq!(spendable, 1_000 - u128::from(calls) * PRICE_PER_CALL, "Ferdie paid for each call");
}
