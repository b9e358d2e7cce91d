//! The web console the gateway serves at `/`: built from `web/` by the build script and
//! embedded in the binary, so a node serves it with no internet and no files beside it.
//!
//! For working on the console itself, `MICRO_CONSOLE_DIR=web/dist` makes the node serve the
//! files of that directory instead (read once at start: rebuild with `npm run build` in `web/`
//! and restart the node), with no rebuild of the node.

use std::sync::Arc;

use mucp_offchain::gateway::Site;
use serde_json::json;

include!(concat!(env!("OUT_DIR"), "/console.rs"));

/// What the page is told about its node.
#[derive(Clone, Debug)]
pub struct ConsoleSettings {
	/// The port of the node's JSON-RPC server, if it runs one.
	pub rpc_port: Option<u16>,
	/// The chain's name.
	pub chain: String,
	/// The chain spec's id (`dev`, `local`, ...).
	pub chain_id: String,
	/// Whether it is a development chain, whose dev accounts the page may offer.
	pub development: bool,
	/// Where browsers' light clients reach this node, if they can.
	pub light_client: Option<LightClient>,
	/// The raw chain spec (genesis state included) a light client starts from.
	pub chain_spec: Option<String>,
}

/// This node as a light client's bootnode: the page makes its multiaddr
/// `/ip4|dns/<the page's host>/tcp/<port>/ws/p2p/<peer id>`.
#[derive(Clone, Debug)]
pub struct LightClient {
	/// The WebSocket peer-to-peer port.
	pub port: u16,
	/// The node's peer id on the chain's network.
	pub peer_id: String,
}

/// The console, with `settings` at `/_/site.json`: the embedded one, or that of
/// `MICRO_CONSOLE_DIR`.
pub fn site(settings: &ConsoleSettings) -> Result<Arc<Site>, String> {
	let site = match std::env::var_os("MICRO_CONSOLE_DIR") {
		None => Site::new(FILES.iter().copied()),
		Some(dir) => {
			let files = files_in(std::path::Path::new(&dir))?;
			log::warn!(
				target: "mucp",
				"the web console comes from {} (MICRO_CONSOLE_DIR), not the binary",
				std::path::Path::new(&dir).display()
			);
			Site::new(files.into_iter().map(|(name, body)| (&*name.leak(), &*body.leak())))
		}
	};
	let ports = settings.rpc_port.into_iter().chain(settings.light_client.as_ref().map(|l| l.port));
	let site = site.with_connect_ports(ports);
	let site = match &settings.chain_spec {
		Some(spec) => site.with_file("chain-spec.json", spec.clone().into_bytes().into()),
		None => site,
	};
	Ok(Arc::new(site.with_settings(json!({
		"rpcPort": settings.rpc_port,
		"chain": settings.chain,
		"chainId": settings.chain_id,
		"development": settings.development,
		"lightClient": settings.light_client.as_ref().map(|light| json!({
			"port": light.port,
			"peerId": light.peer_id,
			"chainSpec": settings.chain_spec.as_ref().map(|_| "/_/app/chain-spec.json"),
		})),
	}))))
}

/// The files directly in `dir` (a built console is flat), read once for the node's life.
fn files_in(dir: &std::path::Path) -> Result<Vec<(String, Vec<u8>)>, String> {
	let entries =
		std::fs::read_dir(dir).map_err(|e| format!("MICRO_CONSOLE_DIR {}: {e}", dir.display()))?;
	let mut files = Vec::new();
	for entry in entries.flatten() {
		let path = entry.path();
		let Some(name) = entry.file_name().to_str().map(str::to_owned) else { continue };
		if path.is_file() {
			let body = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
			files.push((name, body));
		}
	}
	if !files.iter().any(|(name, _)| name == "index.html") {
		return Err(format!("MICRO_CONSOLE_DIR {} has no index.html", dir.display()));
	}
	Ok(files)
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn the_console_is_embedded_whole() {
		let names: Vec<&str> = FILES.iter().map(|(name, _)| *name).collect();
		for needed in ["index.html", "main.js", "main.css"] {
			assert!(names.contains(&needed), "{needed} in {names:?}");
		}
		let index = FILES.iter().find(|(name, _)| *name == "index.html").unwrap().1;
		let index = std::str::from_utf8(index).unwrap();
		assert!(index.contains("/_/app/main.js") && index.contains("/_/app/main.css"), "{index}");
	}
}
