//! `micro node`: the node's identity, its registration, what it runs.

use clap::Subcommand;
use micro_cli::{
	chain::try_view,
	table,
	values::{field, number, some},
};
use subxt::{
	dynamic::{self, Value},
	ext::codec::Encode,
};

use crate::context::{
	account_of, connect, event_field, event_number, is_loopback, micro_text, print_json, refused,
	rpc, ss58, submit_progress, Context, Failure, Outcome,
};

#[derive(Subcommand)]
pub enum NodeCommand {
	/// The node's key, peer id, addresses and on-chain id.
	Show,
	/// Register the node on-chain, operated by the signing account.
	Register {
		/// Millicores of CPU offered.
		#[arg(long, default_value_t = 2_000)]
		cpu: u32,
		/// MiB of memory offered.
		#[arg(long, default_value_t = 4_096)]
		memory: u32,
		/// MiB of storage offered.
		#[arg(long, default_value_t = 10_240)]
		storage: u32,
		/// Mbit/s of bandwidth offered.
		#[arg(long, default_value_t = 100)]
		bandwidth: u32,
		/// The node's RPC token file (the node writes `rpc.token` in its MUCP directory at
		/// every start). Unset: the file the node names, read on this machine; set it when the
		/// node runs elsewhere or as another user.
		#[arg(long, value_name = "FILE")]
		node_token_file: Option<std::path::PathBuf>,
	},
	/// What the node runs: each placed version, building, running or failed.
	Deployments,
	/// Change what NODE offers or where it is reached (the signer must operate it); what is
	/// not given stays.
	Update {
		/// The node's on-chain id.
		node: u32,
		/// Millicores of CPU offered.
		#[arg(long)]
		cpu: Option<u32>,
		/// MiB of memory offered.
		#[arg(long)]
		memory: Option<u32>,
		/// MiB of storage offered.
		#[arg(long)]
		storage: Option<u32>,
		/// Mbit/s of bandwidth offered.
		#[arg(long)]
		bandwidth: Option<u32>,
		/// A multiaddr the node is reached at, such as `/ip4/203.0.113.7/tcp/30333`;
		/// repeatable, replacing the addresses it lists.
		#[arg(long = "address")]
		addresses: Vec<String>,
	},
	/// Take NODE off the network and get its deposit back (the signer must operate it, and no
	/// service may be placed on it: `micro services withdraw` first).
	Unregister {
		/// The node's on-chain id.
		node: u32,
	},
}

/// The node's RPC token: read from `file`, or from the file the node names when it runs on
/// this machine.
///
/// The file a node names is read only when the node is reached on loopback, is called
/// `rpc.token`, is a small regular file and holds a token (64 hex digits): an RPC endpoint
/// elsewhere, or a hostile one, could otherwise name any file of the user's (a key, a seed)
/// and receive its contents as the "token".
pub(crate) async fn node_rpc_token(
	url: &str,
	file: Option<std::path::PathBuf>,
) -> Result<String, Failure> {
	let Some(file) = file else {
		if !is_loopback(url) {
			return Err(Failure::BadInput(format!(
				"{url} is not on this machine: copy the node's RPC token file (micro_rpcTokenFile 				 names it, on the node's machine) here and pass --node-token-file"
			)));
		}
		let named = rpc(url, "micro_rpcTokenFile", vec![])
			.await?
			.as_str()
			.map(std::path::PathBuf::from)
			.ok_or_else(|| refused("the node did not name its RPC token file"))?;
		return read_named_token(&named);
	};
	let token = std::fs::read_to_string(&file).map_err(|e| {
		Failure::BadInput(format!("reading the node's RPC token at {}: {e}", file.display()))
	})?;
	Ok(token.trim().to_owned())
}

/// The token in the file a node named, if it is one: `rpc.token`, a small regular file (not a
/// symlink), holding 64 hex digits.
fn read_named_token(file: &std::path::Path) -> Result<String, Failure> {
	let refused_file = |why: &str| {
		Failure::Refused(format!(
			"the node named {} as its RPC token file, which {why}; pass --node-token-file",
			file.display()
		))
	};
	if file.file_name().is_none_or(|name| name != "rpc.token") {
		return Err(refused_file("is not called rpc.token"));
	}
	let meta = std::fs::symlink_metadata(file).map_err(|e| {
		Failure::BadInput(format!(
			"reading the node's RPC token at {}: {e}; if the node runs as another user, copy 			 that file and pass --node-token-file",
			file.display()
		))
	})?;
	if !meta.is_file() || meta.len() > 128 {
		return Err(refused_file("is not a small regular file"));
	}
	let token = std::fs::read_to_string(file)
		.map_err(|e| Failure::BadInput(format!("reading {}: {e}", file.display())))?;
	let token = token.trim();
	if token.len() != 64 || !token.chars().all(|c| c.is_ascii_hexdigit()) {
		return Err(refused_file("does not hold a token"));
	}
	Ok(token.to_owned())
}

pub async fn run(ctx: &Context, command: &NodeCommand) -> Outcome {
	match command {
		NodeCommand::Show => {
			let identity = rpc(&ctx.url, "micro_identity", vec![]).await?;
			print_json(&identity);
			Ok(())
		}
		NodeCommand::Update { node, cpu, memory, storage, bandwidth, addresses } => {
			let (keypair, _) = ctx.signer().await?;
			let api = connect(&ctx.url).await?;
			let capacity = if [cpu, memory, storage, bandwidth].iter().any(|v| v.is_some()) {
				let found: Value =
					try_view(&api, "MicroNodes", "node", &node.encode()).await.map_err(refused)?;
				let info = some(&found).ok_or_else(|| refused(format!("no node {node}")))?;
				let now = |name: &str| {
					field(info, "capacity").and_then(|c| field(c, name)).and_then(number)
				};
				let pick = |given: &Option<u32>, name: &str| {
					Value::u128(given.map(u128::from).or_else(|| now(name)).unwrap_or_default())
				};
				Value::unnamed_variant(
					"Some",
					[Value::named_composite([
						("cpu_millicores", pick(cpu, "cpu_millicores")),
						("memory_mib", pick(memory, "memory_mib")),
						("storage_mib", pick(storage, "storage_mib")),
						("bandwidth_mbps", pick(bandwidth, "bandwidth_mbps")),
					])],
				)
			} else {
				Value::unnamed_variant("None", [])
			};
			let address_value = if addresses.is_empty() {
				Value::unnamed_variant("None", [])
			} else {
				Value::unnamed_variant(
					"Some",
					[Value::unnamed_composite(
						addresses.iter().map(|a| Value::from_bytes(a.as_bytes())),
					)],
				)
			};
			let call =
				dynamic::transaction("MicroNodes", "update_node", (*node, address_value, capacity));
			submit_progress(&api, "update_node", call, &keypair).await?;
			ctx.report(
				serde_json::json!({ "node": node, "updated": true }),
				format!("node {node} updated"),
			);
			Ok(())
		}
		NodeCommand::Unregister { node } => {
			let (keypair, _) = ctx.signer().await?;
			let api = connect(&ctx.url).await?;
			let call = dynamic::transaction("MicroNodes", "deregister_node", (*node,));
			let events = submit_progress(&api, "deregister_node", call, &keypair).await?;
			let deposit =
				event_number(&event_field(&events, "MicroNodes", "NodeDeregistered"), "deposit");
			ctx.report(
				serde_json::json!({ "node": node, "deposit": deposit.to_string() }),
				format!(
					"node {node} unregistered: its deposit of {} MICRO is back",
					micro_text(deposit)
				),
			);
			Ok(())
		}
		NodeCommand::Deployments => {
			let states = rpc(&ctx.url, "micro_deployments", vec![]).await?;
			if ctx.json {
				print_json(&states);
				return Ok(());
			}
			let rows: Vec<Vec<String>> = states
				.as_array()
				.into_iter()
				.flatten()
				.map(|v| {
					vec![
						v["service"].as_str().unwrap_or_default().to_owned(),
						v["version"].to_string(),
						v["state"].as_str().unwrap_or_default().to_owned(),
						v["detail"].as_str().unwrap_or("").to_owned(),
					]
				})
				.collect();
			println!("{}", table::render(&["SERVICE", "VERSION", "STATE", "DETAIL"], &rows));
			Ok(())
		}
		NodeCommand::Register { cpu, memory, storage, bandwidth, node_token_file } => {
			let (keypair, _) = ctx.signer().await?;
			let api = connect(&ctx.url).await?;
			let operator = account_of(&keypair);
			let nonce: u32 = try_view(&api, "MicroNodes", "proof_nonce", &operator.encode())
				.await
				.map_err(refused)?;
			let token = node_rpc_token(&ctx.url, node_token_file.clone()).await?;
			let proof = rpc(
				&ctx.url,
				"micro_nodeKeyProof",
				vec![ss58(&operator).into(), nonce.into(), token.into()],
			)
			.await?;
			let hex_bytes = |name: &str| -> Result<Vec<u8>, Failure> {
				let text = proof[name].as_str().unwrap_or_default();
				mucp_offchain::hex::decode(text.trim_start_matches("0x"))
					.ok_or_else(|| refused(format!("the node sent a malformed {name}")))
			};
			let key: [u8; 32] =
				hex_bytes("nodeKey")?.try_into().map_err(|_| refused("a node key is 32 bytes"))?;
			let signature: [u8; 64] =
				hex_bytes("proof")?.try_into().map_err(|_| refused("a proof is 64 bytes"))?;
			let peer_id = proof["peerId"].as_str().unwrap_or_default().to_owned();
			let addresses: Vec<Value> = proof["addresses"]
				.as_array()
				.into_iter()
				.flatten()
				.filter_map(|a| a.as_str())
				.map(|a| a.split("/p2p/").next().unwrap_or(a).to_owned())
				.map(|a| Value::from_bytes(a.into_bytes()))
				.collect();
			let call = dynamic::transaction(
				"MicroNodes",
				"register_node",
				(
					key,
					signature,
					Value::from_bytes(peer_id.clone().into_bytes()),
					Value::unnamed_composite(addresses),
					Value::named_composite([
						("cpu_millicores", Value::u128((*cpu).into())),
						("memory_mib", Value::u128((*memory).into())),
						("storage_mib", Value::u128((*storage).into())),
						("bandwidth_mbps", Value::u128((*bandwidth).into())),
					]),
				),
			);
			let events = submit_progress(&api, "register_node", call, &keypair).await?;
			let id = event_field(&events, "MicroNodes", "NodeRegistered")
				.and_then(|e| field(&e, "node").and_then(number))
				.ok_or_else(|| refused("no NodeRegistered event"))?;
			if ctx.json {
				print_json(
					&serde_json::json!({ "node": id, "peerId": peer_id, "operator": ss58(&operator) }),
				);
			} else {
				println!("node {id} registered: peer {peer_id}, operated by {}", ss58(&operator));
			}
			Ok(())
		}
	}
}

#[cfg(test)]
mod token_tests {
	use super::*;

	#[test]
	fn a_named_file_that_is_not_a_token_is_never_read_out() {
		let dir = tempfile::tempdir().unwrap();
		let secret = dir.path().join("id_ed25519");
		std::fs::write(&secret, "SECRET").unwrap();
		let refused = |path: &std::path::Path| match read_named_token(path) {
			Err(Failure::Refused(why)) => why,
			Err(other) => panic!("{}", other.message()),
			Ok(token) => panic!("read {token}"),
		};
		assert!(refused(&secret).contains("not called rpc.token"));
		let named = dir.path().join("rpc.token");
		std::os::unix::fs::symlink(&secret, &named).unwrap();
		assert!(refused(&named).contains("not a small regular file"), "a symlink is not followed");
		std::fs::remove_file(&named).unwrap();
		std::fs::write(&named, "SECRET").unwrap();
		assert!(refused(&named).contains("does not hold a token"));
		let token = "ab".repeat(32);
		std::fs::write(&named, format!("{token}\n")).unwrap();
		assert_eq!(read_named_token(&named).ok(), Some(token));
	}
}
