//! The web console the gateway serves at `/`: built from `web/` by the build script and
//! embedded in the binary, so a node serves it with no internet and no files beside it.

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
}

/// The console, with `settings` at `/_/site.json`.
pub fn site(settings: &ConsoleSettings) -> Arc<Site> {
	Arc::new(Site::new(FILES.iter().copied()).with_settings(json!({
		"rpcPort": settings.rpc_port,
		"chain": settings.chain,
		"chainId": settings.chain_id,
		"development": settings.development,
	})))
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
