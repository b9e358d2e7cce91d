//! The MUCP worker every node runs beside block production and import.
//!
//! - [`keys`]: the layer-0 node key, in the node's keystore under its own key type; it is the
//!   MUCP peer's libp2p identity too, so it authenticates all MUCP traffic;
//! - [`chain`]: the pallets' view functions, run against the node's own client, and authorized
//!   transactions (heartbeats, usage reports) put in the node's pool;
//! - [`deploy`]: the services the chain places here, read from its view functions and handed
//!   to the library's placement reconciler (`mucp_offchain::hosting`), which builds them,
//!   checks their code hash and serves them with the settlement meter in front;
//! - [`settle`]: heartbeats and batched usage reports, with the ledger's persisted cursor;
//! - [`rpc_token`]: the secret the RPC methods that act with the node key ask for, written to
//!   a file only the node's user can read, so web pages reaching the RPC cannot use them.
//!
//! On each new best block the worker refreshes what it knows of the chain, joins the
//! registered nodes it is not connected to (with `--peer`), reconciles its services, and
//! heartbeats and settles when due. The HTTP gateway serves the local API meanwhile.
//!
//! Faults (issue 17): a corrupt broker inbox or usage ledger is moved aside and started empty
//! (`mucp_offchain::store`), so the node keeps validating; the executor keeps service storage
//! on disk under `storage/` (`Executor::storage`); as the node stops, [`ShutdownOnExit`]
//! withdraws this node's services so other nodes stop routing to it at once.

pub mod chain;
pub mod console;
pub mod deploy;
pub mod keys;
pub mod rpc_token;
pub mod settle;

use std::{net::SocketAddr, path::PathBuf, sync::Arc, time::Duration};

use futures::StreamExt;
use mucp_offchain::{
	authority::Authority as _,
	broker::Admission,
	executor::{
		source::{Builder, Isolation},
		Executor, ExecutorConfig,
	},
	gateway::{Gateway, GatewayConfig},
	hosting::{PeerHost, Reconciler},
	peer::{Peer, PeerConfig},
	settlement::{Ledger, Meter},
};
use sc_client_api::BlockchainEvents;
use serde::Serialize;
use sp_core::{crypto::Ss58Codec, Pair as _};

use crate::client::FullClient;
use chain::{Chain, Pool};
pub use mucp_offchain::peer::Multiaddr;

/// The worker's command-line flags.
#[derive(Debug, Clone, clap::Args)]
pub struct WorkerParams {
	/// Run no MUCP worker (no services, gateway or settlement): a plain chain node.
	#[arg(long)]
	pub no_mucp: bool,

	/// Where the MUCP peer listens, as a multiaddr.
	#[arg(long, value_name = "MULTIADDR", default_value = "/ip4/0.0.0.0/tcp/30433")]
	pub mucp_listen: Multiaddr,

	/// MUCP peers to join through, each ending in `/p2p/<peer id>`.
	#[arg(long, value_name = "MULTIADDR", num_args = 1..)]
	pub mucp_bootnodes: Vec<Multiaddr>,

	/// Join the MUCP network through the nodes registered on-chain: dial every registered
	/// node this one is not connected to, at startup and as new ones register.
	#[arg(long)]
	pub peer: bool,

	/// Where the local HTTP gateway listens. It spends this node's free quota, so keep it on
	/// loopback unless a proxy in front guards it.
	#[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
	pub gateway: SocketAddr,

	/// Web origins whose pages may use the gateway from a browser besides the node's own
	/// console (`https://app.example`; `*` for any, only for a gateway meant to be public).
	/// None by default: another site's page cannot call, publish or subscribe through a
	/// visitor's browser.
	#[arg(long, value_name = "ORIGIN", num_args = 1..)]
	pub gateway_cors: Vec<String>,

	/// DNS names the gateway is reached by (`gateway.example.org`), besides IP addresses and
	/// `localhost`. Requests naming any other host are refused, so a page whose name is
	/// re-pointed at this machine (DNS rebinding) cannot use the gateway.
	#[arg(long, value_name = "NAME", num_args = 1..)]
	pub gateway_host: Vec<String>,

	/// Where browsers' light clients reach this node: a WebSocket peer-to-peer listener on the
	/// addresses the TCP one listens on, which the web console's light client syncs the chain
	/// through. Unset: 30334 if it is free. 0: none (and none without the worker).
	#[arg(long, value_name = "PORT")]
	pub light_client_port: Option<u16>,

	/// How often to submit usage reports, in blocks (the chain refuses reports from one node
	/// closer together than its minimum).
	#[arg(long, value_name = "BLOCKS", default_value_t = 10)]
	pub settlement_interval: u32,

	/// How long a service registration lives in the MUCP registry unless refreshed, in
	/// seconds: a node that dies drops out of other nodes' routes after this.
	#[arg(long, value_name = "SECONDS", default_value_t = 30)]
	pub registry_ttl: u64,

	/// Serve paid calls only against API tokens the consumer holds for this node (`micro
	/// tokens hold`), which nothing else can spend before this node's report lands. Without
	/// it, tokens the consumer could still spend elsewhere count too.
	#[arg(long)]
	pub mucp_require_hold: bool,

	/// Build services from `file://` addresses and local paths too, not only `https://`: for
	/// development and tests, never on a node that builds strangers' services.
	#[arg(long)]
	pub mucp_allow_local_sources: bool,

	/// Build Rust services WITHOUT the bubblewrap sandbox: their `build.rs` then runs as the
	/// node's user with its keystore in reach. Only for development machines without
	/// bubblewrap (`scripts/setup.sh` installs it), building one's own services.
	#[arg(long)]
	pub mucp_unsafe_unsandboxed_builds: bool,
}

/// What the RPC shows of the worker.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Identity {
	/// The node key, hex.
	pub node_key: String,
	/// The node key as an SS58 address.
	pub node_key_ss58: String,
	/// The MUCP peer id.
	pub peer_id: String,
	/// Where the MUCP peer listens.
	pub addresses: Vec<String>,
	/// Where the gateway listens.
	pub gateway: String,
	/// The node's on-chain id, once registered.
	pub node_id: Option<u32>,
}

/// The running worker, as the RPC sees it.
pub struct Worker {
	/// The MUCP peer.
	pub peer: Arc<Peer>,
	/// The chain view.
	pub chain: Arc<Chain>,
	/// The services placed here.
	pub deployer: Arc<Reconciler>,
	/// The usage meter.
	pub meter: Arc<Meter>,
	/// The node key.
	pub key: keys::NodeKeyPair,
	/// Where the gateway listens.
	pub gateway: SocketAddr,
	/// The secret the RPC methods that act with the node key ask for.
	pub rpc_token: rpc_token::RpcToken,
}

impl Worker {
	/// The node's identity and addresses.
	pub fn identity(&self) -> Identity {
		let public = self.key.public();
		Identity {
			node_key: mucp_offchain::hex::prefixed(&public.0),
			node_key_ss58: public.to_ss58check(),
			peer_id: self.peer.id().to_string(),
			addresses: self.peer.addresses().iter().map(ToString::to_string).collect(),
			gateway: self.gateway.to_string(),
			node_id: self.chain.snapshot().own,
		}
	}
}

/// Where the worker's handle appears once it has started, for the RPC.
pub type WorkerSlot = Arc<std::sync::OnceLock<Arc<Worker>>>;

/// Stops the worker's MUCP peer gracefully when dropped: it withdraws this node's services,
/// so other nodes stop routing calls here at once rather than after a registry TTL. The node
/// gives it to the task manager to keep alive; the task manager drops it as the node stops,
/// while the runtime still runs.
pub struct ShutdownOnExit {
	slot: WorkerSlot,
	runtime: Option<tokio::runtime::Handle>,
}

impl ShutdownOnExit {
	/// A guard for the worker that will appear in `slot`; made within the node's runtime.
	pub fn new(slot: WorkerSlot) -> Self {
		Self { slot, runtime: tokio::runtime::Handle::try_current().ok() }
	}
}

impl Drop for ShutdownOnExit {
	fn drop(&mut self) {
		let (Some(worker), Some(runtime)) = (self.slot.get(), &self.runtime) else { return };
		let peer = worker.peer.clone();
		let close = async move {
			if tokio::time::timeout(Duration::from_secs(5), peer.close()).await.is_err() {
				log::warn!(target: "mucp", "the MUCP peer did not stop within 5 s");
			}
		};
		if tokio::runtime::Handle::try_current().is_ok() {
			// Dropped on a runtime thread (not how the node stops): close beside it.
			runtime.spawn(close);
		} else {
			runtime.block_on(close);
			log::info!(target: "mucp", "the MUCP peer withdrew its services and stopped");
		}
	}
}

/// The least time between two reads of the chain's nodes and placements.
const REFRESH_EVERY: Duration = Duration::from_secs(2);

/// Everything the worker needs from the node.
pub struct WorkerDeps {
	/// The client.
	pub client: Arc<FullClient>,
	/// The pool.
	pub pool: Arc<Pool>,
	/// The keystore.
	pub keystore: Arc<sc_keystore::LocalKeystore>,
	/// The dev seed the node was started with (`--alice`), if any.
	pub dev_seed: Option<String>,
	/// Where the worker keeps its state: the broker's inbox, the usage ledger, builds.
	pub base: PathBuf,
	/// What the web console is told about this node.
	pub console: console::ConsoleSettings,
}

/// Starts the worker and runs it until the node stops.
pub async fn run(params: WorkerParams, deps: WorkerDeps, slot: WorkerSlot) -> Result<(), String> {
	let key = keys::node_key(&deps.keystore, deps.dev_seed.as_deref())?;
	std::fs::create_dir_all(&deps.base).map_err(|e| format!("{}: {e}", deps.base.display()))?;
	let rpc_token = rpc_token::RpcToken::create(&deps.base)?;
	let chain = Arc::new(Chain::new(deps.client.clone(), deps.pool.clone(), key.public()));
	// A chain that cannot be read now is read again on the next block: the node validates
	// meanwhile.
	let snapshot = chain.refresh().unwrap_or_else(|error| {
		log::warn!(target: "mucp", "reading the chain at start: {error}");
		Default::default()
	});

	let mut config = PeerConfig::new(deps.base.join("broker.redb"));
	config.keypair = keys::libp2p_keypair(&key);
	config.listen = vec![params.mucp_listen.clone()];
	config.bootstrap = params.mucp_bootnodes.clone();
	config.registry_ttl = Duration::from_secs(params.registry_ttl.max(3));
	// The registry believes the chain: registered nodes, about the services placed on them.
	config.authority = chain.clone();
	// Messages travel only between nodes registered on-chain: a stranger can neither take a
	// share of a topic's inbox or a queue group, nor publish into this node's store.
	let registered = chain.clone();
	config.admission = Admission::new(move |peer, _topic, _group| registered.is_registered(peer));
	let peer = Arc::new(Peer::start(config).await.map_err(|e| format!("the MUCP peer: {e}"))?);
	log::info!(
		target: "mucp",
		"MUCP peer {} listening on {:?}; node key {}",
		peer.id(),
		peer.addresses(),
		key.public().to_ss58check()
	);

	// A ledger whose entries do not decode is set aside (for the operator to inspect) rather
	// than stopping the node, validator included.
	let ledger = mucp_offchain::store::open_or_set_aside(
		&deps.base.join("usage.redb"),
		"the usage ledger",
		Ledger::open,
		|error| error.contains("corrupt"),
	)
	.map_err(|e| format!("the usage ledger: {e}"))?;
	let margin = params.settlement_interval.saturating_mul(3).max(10);
	let meter = Arc::new(
		Meter::new(ledger, chain.clone(), margin).requiring_hold(params.mucp_require_hold),
	);
	let executor = Arc::new(Executor::new(ExecutorConfig {
		storage_dir: Some(deps.base.join("storage")),
		..ExecutorConfig::default()
	})?);
	let host = Arc::new(PeerHost::new(&peer, tokio::runtime::Handle::current()));
	let mut builder = Builder::new(&deps.base.join("builds"));
	builder.allow_local_sources = params.mucp_allow_local_sources;
	if params.mucp_unsafe_unsandboxed_builds {
		log::warn!(target: "mucp", "builds run UNSANDBOXED: build scripts can read this node's keys");
		builder.isolation = Isolation::UnsandboxedUnsafe;
	}
	// The chain's directory: its keystore, database and the worker's state.
	builder.hidden = vec![deps.base.parent().unwrap_or(&deps.base).to_path_buf()];
	// `micro-service` resolves to the SDK of this node's version, mounted read-only.
	builder.sdk = Some(
		mucp_offchain::executor::source::sdk::install(&deps.base.join("sdk"))
			.map_err(|e| format!("installing the service SDK: {e}"))?,
	);
	// Builds a kill -9 left behind.
	let _ = std::fs::remove_dir_all(&builder.scratch);
	let deployer =
		Arc::new(Reconciler::new(executor, Arc::new(builder), host).metered(meter.clone()));
	let gateway = Gateway::start(
		peer.clone(),
		GatewayConfig {
			listen: params.gateway,
			cors: params.gateway_cors.clone(),
			hosts: params.gateway_host.clone(),
			site: Some(console::site(&deps.console)?),
			..GatewayConfig::default()
		},
	)
	.await
	.map_err(|e| format!("the gateway on {}: {e}", params.gateway))?;
	log::info!(target: "mucp", "HTTP gateway on http://{}", gateway.address());

	let worker = Arc::new(Worker {
		peer: peer.clone(),
		chain: chain.clone(),
		deployer: deployer.clone(),
		meter: meter.clone(),
		key,
		gateway: gateway.address(),
		rpc_token,
	});
	let _ = slot.set(worker);

	let mut settler =
		settle::Settler::new(chain.clone(), meter.clone(), key, params.settlement_interval);
	let mut blocks = deps.client.import_notification_stream();
	let mut last_synced = None;
	let mut last_refresh = None;
	join_registered(&peer, &params, &snapshot);
	while let Some(notification) = blocks.next().await {
		if !notification.is_new_best {
			continue;
		}
		// While the node imports blocks in a burst (syncing), read the chain at most every
		// `REFRESH_EVERY`: each read walks the registered nodes and their placements.
		if last_refresh.is_some_and(|at: std::time::Instant| at.elapsed() < REFRESH_EVERY) {
			continue;
		}
		last_refresh = Some(std::time::Instant::now());
		// The views run the runtime: off the async threads.
		let reading = chain.clone();
		let read = tokio::task::spawn_blocking(move || reading.refresh()).await;
		let snapshot = match read.map_err(|e| e.to_string()).and_then(|read| read) {
			Ok(snapshot) => snapshot,
			Err(error) => {
				log::warn!(target: "mucp", "reading the chain: {error}");
				continue;
			}
		};
		if last_synced == Some(snapshot.best) {
			continue;
		}
		last_synced = Some(snapshot.best);
		join_registered(&peer, &params, &snapshot);
		if let Some(node) = snapshot.own {
			match deploy::placed_on(&chain, node) {
				Ok(placed) => {
					let (deployer, peer) = (deployer.clone(), peer.clone());
					// Builds can take minutes: they run beside the block loop.
					tokio::spawn(async move { deployer.reconcile(&peer, placed).await });
				}
				Err(error) => log::warn!(target: "mucp", "reading placements: {error}"),
			}
			settler.on_block(node, snapshot.best).await;
		}
	}
	gateway.shutdown().await;
	Ok(())
}

/// With `--peer`, dials every registered node this one is not connected to.
fn join_registered(peer: &Peer, params: &WorkerParams, snapshot: &chain::NodesSnapshot) {
	if !params.peer {
		return;
	}
	let own = peer.id().to_string();
	for (peer_id, addresses) in &snapshot.addresses {
		if *peer_id == own {
			continue;
		}
		for address in addresses {
			match format!("{address}/p2p/{peer_id}").parse::<Multiaddr>() {
				Ok(address) => peer.dial(address),
				Err(error) => log::debug!(target: "mucp", "{address}/p2p/{peer_id}: {error}"),
			}
		}
	}
}
