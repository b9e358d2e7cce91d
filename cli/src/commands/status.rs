//! `micro status`: the health of a node at a glance: who it is, the chain as it sees it, the
//! peers it has, and each service version placed on it.

use clap::Args;
use micro_cli::table;
use mucp_offchain::executor::logs::printable;
use serde_json::{json, Value};

use crate::context::{print_json, rpc, Context, Failure, Outcome};

/// `micro status`.
#[derive(Args)]
pub struct StatusArgs {}

fn block_number(header: &Value) -> Option<u64> {
	u64::from_str_radix(header["number"].as_str()?.trim_start_matches("0x"), 16).ok()
}

/// Asks the node at `url` everything `micro status` shows, as one JSON value. Only an
/// unreachable node fails it: a node without the MUCP worker has no identity or deployments,
/// and says why in `worker`.
pub async fn gather(url: &str) -> Result<Value, Failure> {
	let best = rpc(url, "chain_getHeader", vec![]).await?;
	let finalized_hash = rpc(url, "chain_getFinalizedHead", vec![]).await?;
	let finalized = rpc(url, "chain_getHeader", vec![finalized_hash]).await?;
	let health = rpc(url, "system_health", vec![]).await?;
	let chain = json!({
		"best": block_number(&best),
		"finalized": block_number(&finalized),
		"peers": health["peers"],
		"syncing": health["isSyncing"],
	});
	let worker = async {
		let identity = rpc(url, "micro_identity", vec![]).await?;
		let nodes = rpc(url, "micro_networkNodes", vec![]).await?;
		let deployments = rpc(url, "micro_deployments", vec![]).await?;
		Ok::<_, Failure>((identity, nodes, deployments))
	};
	Ok(match worker.await {
		Ok((identity, nodes, deployments)) => {
			let nodes = nodes.as_array().cloned().unwrap_or_default();
			let own = identity["peerId"].as_str().unwrap_or_default();
			let others = nodes.iter().filter(|n| n["id"].as_str() != Some(own));
			let connected = others.clone().filter(|n| n["connected"] == true).count();
			json!({
				"identity": identity,
				"chain": chain,
				"network": { "nodes": others.count(), "connected": connected },
				"deployments": deployments,
			})
		}
		Err(Failure::Unreachable(message)) => return Err(Failure::Unreachable(message)),
		Err(failure) => json!({ "chain": chain, "worker": failure.message() }),
	})
}

fn text(value: &Value) -> String {
	match value {
		Value::Null => "-".into(),
		// The node's, or a repository's (a build's detail quotes its file names): escaped.
		Value::String(s) => printable(s).into_owned(),
		other => other.to_string(),
	}
}

/// `status` as text: the node, the chain, its peers, then a table of its deployments.
pub fn render(status: &Value) -> String {
	let chain = &status["chain"];
	let syncing = if chain["syncing"] == true { ", syncing" } else { "" };
	let mut out = vec![];
	match status.get("worker") {
		Some(why) => out.push(format!("node        no MUCP worker: {}", text(why))),
		None => {
			let identity = &status["identity"];
			let registered = match identity["nodeId"].as_u64() {
				Some(id) => format!("on-chain node {id}"),
				None => "not registered on-chain (`micro node register`)".into(),
			};
			out.push(format!("node        {}, {registered}", text(&identity["peerId"])));
			out.push(format!("node key    {}", text(&identity["nodeKeySs58"])));
			out.push(format!("gateway     http://{}", text(&identity["gateway"])));
		}
	}
	out.push(format!(
		"chain       best #{}, finalized #{}, {} peers{syncing}",
		text(&chain["best"]),
		text(&chain["finalized"]),
		text(&chain["peers"])
	));
	if status.get("worker").is_some() {
		return out.join("\n");
	}
	let network = &status["network"];
	out.push(format!(
		"mucp        {} other nodes known, {} connected",
		text(&network["nodes"]),
		text(&network["connected"])
	));
	let deployments = status["deployments"].as_array().cloned().unwrap_or_default();
	if deployments.is_empty() {
		out.push("services    none placed here".into());
		return out.join("\n");
	}
	let rows: Vec<Vec<String>> = deployments
		.iter()
		.map(|d| {
			vec![
				text(&d["service"]),
				text(&d["version"]),
				text(&d["state"]),
				text(&d["calls"]),
				text(&d["failedCalls"]),
				text(&d["logLines"]),
				printable(d["detail"].as_str().unwrap_or("")).into_owned(),
			]
		})
		.collect();
	out.push(String::new());
	out.push(table::render(
		&["SERVICE", "VERSION", "STATE", "CALLS", "FAILED", "LOG LINES", "DETAIL"],
		&rows,
	));
	out.join("\n")
}

/// The deployments in `status` that failed, as `service version N`.
pub fn failed(status: &Value) -> Vec<String> {
	status["deployments"]
		.as_array()
		.into_iter()
		.flatten()
		.filter(|d| d["state"] == "failed")
		.map(|d| format!("{} version {}", text(&d["service"]), text(&d["version"])))
		.collect()
}

pub async fn run(ctx: &Context, _: &StatusArgs) -> Outcome {
	let status = gather(&ctx.url).await?;
	if ctx.json {
		print_json(&status);
	} else {
		println!("{}", render(&status));
	}
	match failed(&status).as_slice() {
		[] => Ok(()),
		failed => Err(Failure::Refused(format!(
			"{} failed to deploy (the reason is in DETAIL): {}",
			if failed.len() == 1 { "a version" } else { "versions" },
			failed.join(", ")
		))),
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	/// A node answering with canned values: `with_worker` false is a node without the MUCP
	/// worker.
	async fn fake_node(with_worker: bool) -> (String, jsonrpsee::server::ServerHandle) {
		let mut module = jsonrpsee::RpcModule::new(());
		module
			.register_method("chain_getHeader", |params, _, _| {
				let hash: Option<String> = params.sequence().optional_next().unwrap_or_default();
				json!({ "number": if hash.is_some() { "0x76" } else { "0x78" } })
			})
			.unwrap();
		module.register_method("chain_getFinalizedHead", |_, _, _| "0xfeed").unwrap();
		module
			.register_method(
				"system_health",
				|_, _, _| json!({ "peers": 2, "isSyncing": false, "shouldHavePeers": true }),
			)
			.unwrap();
		let unavailable = || {
			jsonrpsee::types::ErrorObjectOwned::owned(
				-32010,
				"the MUCP worker is not running on this node",
				None::<()>,
			)
		};
		module
			.register_method("micro_identity", move |_, _, _| match with_worker {
				true => Ok(json!({
					"nodeKey": "0x01", "nodeKeySs58": "5Node", "peerId": "12D3Own",
					"addresses": [], "gateway": "127.0.0.1:8080", "nodeId": 3,
				})),
				false => Err(unavailable()),
			})
			.unwrap();
		module
			.register_method("micro_networkNodes", |_, _, _| {
				json!([
					{ "id": "12D3Own", "connected": true },
					{ "id": "12D3Bob", "connected": true },
					{ "id": "12D3Eve", "connected": false },
				])
			})
			.unwrap();
		module
			.register_method("micro_deployments", |_, _, _| {
				json!([
					{ "service": "echo", "version": 2, "state": "failed", "detail": "no such commit",
					  "codeHash": "0x00", "calls": 0, "failedCalls": 0, "logLines": 0, "logsDropped": 0 },
					{ "service": "greeter", "version": 1, "state": "running", "detail": null,
					  "codeHash": "0x00", "calls": 12, "failedCalls": 1, "logLines": 3, "logsDropped": 0 },
				])
			})
			.unwrap();
		let server = jsonrpsee::server::Server::builder().build("127.0.0.1:0").await.unwrap();
		let url = format!("ws://{}", server.local_addr().unwrap());
		(url, server.start(module))
	}

	#[tokio::test]
	async fn the_status_of_a_node_with_a_failed_deployment() {
		let (url, _server) = fake_node(true).await;
		let status = gather(&url).await.ok().unwrap();
		assert_eq!(
			status["chain"],
			json!({ "best": 120, "finalized": 118, "peers": 2, "syncing": false })
		);
		assert_eq!(status["network"], json!({ "nodes": 2, "connected": 1 }));
		assert_eq!(
			render(&status),
			"node        12D3Own, on-chain node 3\n\
			 node key    5Node\n\
			 gateway     http://127.0.0.1:8080\n\
			 chain       best #120, finalized #118, 2 peers\n\
			 mucp        2 other nodes known, 1 connected\n\
			 \n\
			 SERVICE  VERSION  STATE    CALLS  FAILED  LOG LINES  DETAIL\n\
			 -------  -------  -------  -----  ------  ---------  --------------\n\
			 echo     2        failed   0      0       0          no such commit\n\
			 greeter  1        running  12     1       3"
		);
		assert_eq!(failed(&status), ["echo version 2"]);
	}

	#[tokio::test]
	async fn the_status_of_a_node_without_the_worker() {
		let (url, _server) = fake_node(false).await;
		let status = gather(&url).await.ok().unwrap();
		assert_eq!(
			render(&status),
			"node        no MUCP worker: micro_identity: the MUCP worker is not running on this \
			 node\n\
			 chain       best #120, finalized #118, 2 peers"
		);
		assert_eq!(failed(&status), Vec::<String>::new());
	}

	#[test]
	fn an_unregistered_node_with_nothing_placed() {
		let status = json!({
			"identity": { "peerId": "12D3Own", "nodeKeySs58": "5Node", "gateway": "127.0.0.1:8080", "nodeId": null },
			"chain": { "best": 5, "finalized": 3, "peers": 0, "syncing": true },
			"network": { "nodes": 0, "connected": 0 },
			"deployments": [],
		});
		let text = render(&status);
		assert!(
			text.starts_with(
				"node        12D3Own, not registered on-chain (`micro node register`)\n"
			),
			"{text}"
		);
		assert!(text.contains("chain       best #5, finalized #3, 0 peers, syncing\n"), "{text}");
		assert!(text.ends_with("services    none placed here"), "{text}");
	}

	#[test]
	fn what_the_node_and_repositories_say_cannot_drive_the_terminal() {
		let status = json!({
			"identity": { "peerId": "12D3\u{1b}]0;x\u{7}", "nodeKeySs58": "5Node", "gateway": "g", "nodeId": 1 },
			"chain": { "best": 5, "finalized": 3, "peers": 0, "syncing": false },
			"network": { "nodes": 0, "connected": 0 },
			"deployments": [
				{ "service": "e\u{202e}cho", "version": 1, "state": "fail\u{1b}[0med",
				  "detail": "`\u{1b}]0;pwned\u{7}\u{1b}[2J` is a symlink\nforged", "calls": 0 },
			],
		});
		let text = render(&status);
		for c in ['\u{1b}', '\u{7}', '\u{202e}'] {
			assert!(!text.contains(c), "{c:?} in {text}");
		}
		assert!(text.contains("`\\u{1b}]0;pwned\\u{7}\\u{1b}[2J` is a symlink\\nforged"), "{text}");
		assert!(text.contains("e\\u{202e}cho"), "{text}");
		assert_eq!(text.lines().count(), 9, "no line forged: {text}");
		let worker = json!({ "chain": {}, "worker": "down\u{1b}[2J" });
		assert!(!render(&worker).contains('\u{1b}'));
	}

	#[tokio::test]
	async fn an_unreachable_node_fails_with_exit_code_3() {
		let failure = gather("ws://127.0.0.1:1").await.unwrap_err();
		assert_eq!(failure.exit_code(), 3);
	}
}
