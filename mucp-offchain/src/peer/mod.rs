//! A MUCP peer: the client and server API over the registry, broker and transport.
//!
//! A service declares its name, version and a handler per endpoint ([`Service`]) and is
//! [served](Peer::serve): the peer registers it, keeps the registration alive while it runs
//! and answers calls and streams to it. A client [calls](Peer::call) a service's endpoint by
//! name: the registry says which nodes run it, the [`Selector`] picks one (round robin,
//! preferring healthy nodes), and a call that fails in transport, times out or finds the
//! service gone is retried on another node. [`Peer::publish`] and [`Peer::subscribe`] reach
//! subscribers on every node.
//!
//! Inside, one task owns the libp2p swarm and serves commands from the API; handlers run on
//! their own tasks. [`Peer::shutdown`] deregisters this node's services, tells the network and
//! stops; dropping a [`Peer`] (or [`Peer::kill`]) stops it at once, as a crash would, and the
//! network forgets its services when their TTL runs out.
//!
//! The code, one file per concern:
//!
//! - this module: the API ([`Peer`], [`PeerConfig`], [`Service`], [`CallOptions`]), starting
//!   a peer, serving and withdrawing services, and the state the API and the swarm's task
//!   share;
//! - `driver`: the task that owns the libp2p swarm: the commands the API sends it, its event
//!   loop and housekeeping, and each peer's budget of calls served at once;
//! - `calls`: calls out (the node chosen, retried elsewhere on failure:
//!   [`Peer::call_with`]) and in (each answered by its service's handler);
//! - `streams`: [`MicroStream`], opening a stream ([`Peer::stream`]) and serving those other
//!   peers open;
//! - `pubsub`: [`Peer::publish`], [`Peer::publish_core`], [`Peer::publisher`],
//!   [`Peer::subscribe`] and [`Subscription`], and delivery across nodes (see there: durable
//!   and at least once, or core and at most once; the one function each way a batch of
//!   publications crosses between nodes through);
//! - `publications`: the compact binary frame core publications travel in between nodes;
//! - `interest`: who listens to which topic on the other nodes, kept by the swarm's task and
//!   read by publishers;
//! - `gossip`: registry records: announcements on the registry topic, the sync two peers do
//!   when they connect, and what the chain allows of them (strikes for the rest);
//! - `tests`: tests across concerns, and the helpers the others' tests share.

mod calls;
mod driver;
mod gossip;
mod ids;
mod interest;
mod links;
mod publications;
mod pubsub;
mod streams;
#[cfg(test)]
mod tests;

use std::{
	collections::HashMap,
	future::Future,
	path::PathBuf,
	sync::{
		atomic::{AtomicU64, Ordering},
		Arc, Mutex, RwLock,
	},
	time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use futures::{future::BoxFuture, FutureExt, StreamExt};
use libp2p::{gossipsub, swarm::SwarmEvent};
pub use libp2p::{identity::Keypair, multiaddr::Protocol, Multiaddr, PeerId};
use tokio::{
	sync::{broadcast, mpsc, oneshot},
	task::JoinHandle,
};

use crate::{
	authority::{Authority, Strikes},
	broker::{Admission, Broker, BrokerConfig},
	link::{Budget, Links, LINK_PROTOCOL},
	network::{Announced, Inputs, NetworkView},
	protocol::{Limits, Message, MicroError},
	registry::{self, Endpoint, Event, Registration, Registry, ServiceDescription},
	selector::{Selector, SelectorConfig},
	transport::{
		build_guarded_swarm, ConnectionCaps, TransportConfig, REGISTRY_TOPIC, STREAM_PROTOCOL,
	},
};

use driver::{Command, Driver};
pub use links::MAX_LINKS_PER_PEER;
use pubsub::broker_error;
pub use pubsub::{
	PublishOptions, Publisher, Subscription, NODE_QUEUE_BYTES, NODE_QUEUE_MESSAGES,
	PUBLISHER_WINDOW,
};
pub use streams::MicroStream;

/// How a peer runs.
#[derive(Clone, Debug)]
pub struct PeerConfig {
	/// The peer's identity; its peer id names the node in the registry.
	pub keypair: Keypair,
	/// Where to listen. Default: loopback, a free TCP port.
	pub listen: Vec<Multiaddr>,
	/// Peers to join through, each address ending in `/p2p/<peer id>`.
	pub bootstrap: Vec<Multiaddr>,
	/// Where the broker keeps its inbox.
	pub broker_path: PathBuf,
	/// The broker's bounds.
	pub broker: BrokerConfig,
	/// Which nodes may receive a topic's messages from this one (default: every node).
	pub admission: Admission,
	/// Message size limits.
	pub limits: Limits,
	/// How long a registration lives unless refreshed; refreshed every third of it.
	pub registry_ttl: Duration,
	/// How long a call waits for each node's answer.
	pub call_timeout: Duration,
	/// How many other nodes a failed call is retried on.
	pub retries: usize,
	/// How long failing nodes are avoided.
	pub selector: SelectorConfig,
	/// How long a handler may run before the caller is told it timed out; less if the caller
	/// waits less (`Micro-Timeout`).
	pub handler_timeout: Duration,
	/// How long an idle connection stays open.
	pub idle_timeout: Duration,
	/// Gossipsub's heartbeat.
	pub heartbeat: Duration,
	/// Whom the registry believes (see [`authority`](crate::authority)): the node's chain.
	/// Default: nobody but this peer.
	pub authority: Arc<dyn Authority>,
	/// Connection and stream caps.
	pub connections: ConnectionCaps,
	/// Most calls from one peer served at once; more are refused with a 429 until one ends.
	pub max_inbound_per_peer: usize,
	/// Most streams one peer may hold open here at once; more are refused with a 429.
	pub max_inbound_streams_per_peer: usize,
}

impl PeerConfig {
	/// A new identity on loopback with the broker's inbox at `broker_path`: registrations live
	/// 30 s, calls wait 10 s and retry on 2 other nodes, handlers run up to 10 s.
	pub fn new(broker_path: impl Into<PathBuf>) -> Self {
		Self {
			keypair: Keypair::generate_ed25519(),
			listen: vec!["/ip4/127.0.0.1/tcp/0".parse().expect("a valid multiaddr")],
			bootstrap: Vec::new(),
			broker_path: broker_path.into(),
			broker: BrokerConfig::default(),
			admission: Admission::default(),
			limits: Limits::default(),
			registry_ttl: Duration::from_secs(30),
			call_timeout: Duration::from_secs(10),
			retries: 2,
			selector: SelectorConfig::default(),
			handler_timeout: Duration::from_secs(10),
			idle_timeout: Duration::from_secs(60),
			heartbeat: Duration::from_millis(500),
			authority: crate::authority::trust_none(),
			connections: ConnectionCaps::default(),
			max_inbound_per_peer: 32,
			max_inbound_streams_per_peer: 16,
		}
	}
}

/// Answers a call: the request in, the response body out (protobuf, or JSON starting `{`).
pub type CallHandler =
	Arc<dyn Fn(Message) -> BoxFuture<'static, Result<Vec<u8>, MicroError>> + Send + Sync>;
/// Serves a stream: the opening message, and the stream to talk on.
pub type StreamHandler = Arc<dyn Fn(Message, MicroStream) -> BoxFuture<'static, ()> + Send + Sync>;

/// A service: its description and a handler per endpoint.
#[derive(Clone)]
pub struct Service {
	description: ServiceDescription,
	calls: HashMap<String, CallHandler>,
	streams: HashMap<String, StreamHandler>,
}

impl Service {
	/// Service `name` at `version`, with no endpoints yet.
	pub fn new(name: &str, version: &str) -> Self {
		Self {
			description: ServiceDescription {
				name: name.to_owned(),
				version: version.to_owned(),
				endpoints: Vec::new(),
				metadata: Default::default(),
			},
			calls: HashMap::new(),
			streams: HashMap::new(),
		}
	}

	/// Adds metadata to the description.
	pub fn metadata(mut self, key: &str, value: &str) -> Self {
		self.description.metadata.insert(key.to_owned(), value.to_owned());
		self
	}

	/// Adds a call endpoint, answered by `handler`.
	pub fn call<F, Fut>(mut self, endpoint: Endpoint, handler: F) -> Self
	where
		F: Fn(Message) -> Fut + Send + Sync + 'static,
		Fut: Future<Output = Result<Vec<u8>, MicroError>> + Send + 'static,
	{
		self.calls.insert(endpoint.name.clone(), Arc::new(move |request| handler(request).boxed()));
		self.description.endpoints.push(endpoint);
		self
	}

	/// Adds a stream endpoint, served by `handler` (its description gains `stream: true`).
	pub fn stream<F, Fut>(mut self, mut endpoint: Endpoint, handler: F) -> Self
	where
		F: Fn(Message, MicroStream) -> Fut + Send + Sync + 'static,
		Fut: Future<Output = ()> + Send + 'static,
	{
		endpoint.metadata.insert("stream".into(), "true".into());
		self.streams.insert(
			endpoint.name.clone(),
			Arc::new(move |opening, stream| handler(opening, stream).boxed()),
		);
		self.description.endpoints.push(endpoint);
		self
	}

	/// The description the registry holds.
	pub fn description(&self) -> &ServiceDescription {
		&self.description
	}
}

/// How one call is made.
#[derive(Clone, Copy, Debug)]
pub struct CallOptions {
	/// How long to wait for each node.
	pub timeout: Duration,
	/// How many other nodes to try after a failure.
	pub retries: usize,
}

/// State the API and the swarm's task share.
struct Shared {
	local: PeerId,
	config: PeerConfig,
	registry: Mutex<Registry>,
	broker: Broker,
	selector: Mutex<Selector>,
	services: RwLock<HashMap<String, Service>>,
	own: Mutex<Vec<(Registration, u64)>>,
	sequence: AtomicU64,
	next_id: AtomicU64,
	announced: Mutex<HashMap<String, (Announced, Instant)>>,
	strikes: Mutex<Strikes>,
	addresses: Mutex<Vec<Multiaddr>>,
	/// Whose turn it is in each queue group, by topic and group.
	queue_turns: Mutex<HashMap<String, HashMap<String, usize>>>,
	/// `local` in base58, made once.
	local_id: String,
	/// The links this peer's calls go out on, one per peer.
	links: Links,
	/// How many calls each peer may have handled here at once.
	budgets: Mutex<HashMap<PeerId, Budget>>,
	/// Peer ids in base58, both ways.
	ids: ids::PeerIds,
	pubsub: pubsub::Pubsub,
}

impl Shared {
	fn unique_id(&self) -> String {
		let n = self.next_id.fetch_add(1, Ordering::Relaxed);
		let mut id = String::with_capacity(self.local_id.len() + 12);
		id.push_str(&self.local_id);
		id.push('-');
		id.push_str(itoa(n, &mut [0u8; 20]));
		id
	}

	fn node(&self) -> registry::Node {
		let addresses = self.addresses.lock().expect("not poisoned");
		registry::Node {
			id: self.local.to_string(),
			addresses: addresses.iter().map(|a| format!("{a}/p2p/{}", self.local)).collect(),
			metadata: Default::default(),
		}
	}

	/// The handler of `service`'s `endpoint` among those `kind` picks (calls or streams):
	/// 503 if the service does not run here (another node may), 404 if it has no such
	/// endpoint.
	fn handler<H: Clone>(
		&self,
		service: &str,
		endpoint: &str,
		kind: impl Fn(&Service) -> &HashMap<String, H>,
	) -> Result<H, MicroError> {
		let name = format!("{service}.{endpoint}");
		let services = self.services.read().expect("not poisoned");
		let found = services.get(service).ok_or_else(|| {
			MicroError::new(&name, 503, format!("service `{service}` does not run on this node"))
		})?;
		kind(found).get(endpoint).cloned().ok_or_else(|| {
			MicroError::not_found(
				&name,
				format!("service `{service}` has no endpoint `{endpoint}` of this kind"),
			)
		})
	}
}

/// `n` in decimal, written into `buffer`.
fn itoa(mut n: u64, buffer: &mut [u8; 20]) -> &str {
	let mut at = buffer.len();
	loop {
		at -= 1;
		buffer[at] = b'0' + (n % 10) as u8;
		n /= 10;
		if n == 0 {
			break;
		}
	}
	std::str::from_utf8(&buffer[at..]).expect("ASCII digits")
}

impl Shared {
	/// The peer id of registry node `node`, or the 503 a call to `name` on it gets.
	fn peer_of(&self, node: &registry::Node, name: &str) -> Result<PeerId, MicroError> {
		self.ids.parse(&node.id).ok_or_else(|| {
			MicroError::new(name, 503, format!("node `{}` has a malformed id", node.id))
		})
	}
}

/// A running MUCP peer.
pub struct Peer {
	shared: Arc<Shared>,
	commands: mpsc::UnboundedSender<Command>,
	control: libp2p_stream::Control,
	tasks: Vec<JoinHandle<()>>,
}

impl Drop for Peer {
	fn drop(&mut self) {
		for task in &self.tasks {
			task.abort();
		}
	}
}

impl Peer {
	/// Starts a peer: opens its broker, listens, and joins the network through
	/// `config.bootstrap`. Returns once it listens.
	pub async fn start(config: PeerConfig) -> Result<Self, MicroError> {
		let failed = |what: String| MicroError::internal("mucp.peer", what);
		let broker = Broker::open(&config.broker_path, config.broker).map_err(broker_error)?;
		let local = config.keypair.public().to_peer_id();
		let mut swarm = build_guarded_swarm(
			config.keypair.clone(),
			TransportConfig {
				connections: config.connections,
				limits: config.limits,
				request_timeout: config.call_timeout,
				idle_timeout: config.idle_timeout,
				heartbeat: config.heartbeat,
			},
			config.authority.clone(),
		)
		.map_err(failed)?;
		for address in &config.listen {
			swarm
				.listen_on(address.clone())
				.map_err(|e| failed(format!("listen on {address}: {e}")))?;
		}
		let mut addresses = Vec::new();
		let deadline = tokio::time::sleep(Duration::from_secs(10));
		tokio::pin!(deadline);
		while addresses.len() < config.listen.len() {
			tokio::select! {
				event = swarm.select_next_some() => match event {
					SwarmEvent::NewListenAddr { address, .. } => addresses.push(address),
					SwarmEvent::ListenerError { error, .. } => return Err(failed(format!("listening: {error}"))),
					SwarmEvent::ListenerClosed { reason: Err(error), .. } => return Err(failed(format!("listening: {error}"))),
					_ => {}
				},
				_ = &mut deadline => return Err(failed("no listen address within 10 s".into())),
			}
		}
		swarm
			.behaviour_mut()
			.gossip
			.subscribe(&gossipsub::IdentTopic::new(REGISTRY_TOPIC))
			.map_err(|e| failed(format!("gossip: {e}")))?;
		for address in &config.bootstrap {
			if let Some(libp2p::multiaddr::Protocol::P2p(peer)) = address.iter().last() {
				swarm.behaviour_mut().kad.add_address(&peer, address.clone());
				swarm.add_peer_address(peer, address.clone());
			}
			swarm.dial(address.clone()).map_err(|e| failed(format!("dial {address}: {e}")))?;
		}
		let mut control = swarm.behaviour().streams.new_control();
		let incoming = control
			.accept(STREAM_PROTOCOL)
			.map_err(|_| failed("the stream protocol is taken".into()))?;
		let incoming_links = control
			.accept(LINK_PROTOCOL)
			.map_err(|_| failed("the link protocol is taken".into()))?;
		let activity = swarm.behaviour().strangers.activity();
		let links = Links::new(control.clone(), config.limits.max_frame);
		let (commands, receiver) = mpsc::unbounded_channel();
		let pubsub = pubsub::Pubsub::new(
			local,
			config.broker.max_topics,
			config.limits.max_header_len,
			config.admission.clone(),
			commands.downgrade(),
		);
		let shared = Arc::new(Shared {
			local,
			selector: Mutex::new(Selector::new(config.selector)),
			config,
			registry: Mutex::new(Registry::new()),
			broker,
			services: RwLock::new(HashMap::new()),
			own: Mutex::new(Vec::new()),
			sequence: AtomicU64::new(
				SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default().as_micros() as u64,
			),
			next_id: AtomicU64::new(0),
			announced: Mutex::new(HashMap::new()),
			strikes: Mutex::new(Strikes::default()),
			addresses: Mutex::new(addresses),
			queue_turns: Mutex::new(HashMap::new()),
			local_id: local.to_string(),
			links,
			budgets: Mutex::new(HashMap::new()),
			ids: ids::PeerIds::default(),
			pubsub,
		});
		let driver = Driver::new(swarm, shared.clone());
		let accepting = tokio::spawn(streams::accept(shared.clone(), incoming));
		let linking = tokio::spawn(links::accept(shared.clone(), activity, incoming_links));
		let driving = tokio::spawn(driver.run(receiver));
		Ok(Self { shared, commands, control, tasks: vec![driving, accepting, linking] })
	}

	/// This peer's id: its node id in the registry.
	pub fn id(&self) -> PeerId {
		self.shared.local
	}

	/// Where this peer listens, each address ending in `/p2p/<peer id>` (ready for another
	/// peer's `bootstrap`).
	pub fn addresses(&self) -> Vec<Multiaddr> {
		self.shared.node().addresses.iter().filter_map(|a| a.parse().ok()).collect()
	}

	/// Connects to the peer at `address` (ending in `/p2p/<peer id>`) unless it is this peer
	/// or already connected: how a node joins peers it learns of after starting.
	pub fn dial(&self, address: Multiaddr) {
		let _ = self.commands.send(Command::Dial(address));
	}

	/// The peers this peer is connected to now.
	pub async fn connected(&self) -> Vec<PeerId> {
		let (reply, answer) = oneshot::channel();
		if self.commands.send(Command::Connectivity { reply }).is_err() {
			return Vec::new();
		}
		answer.await.unwrap_or_default().keys().filter_map(|p| p.parse().ok()).collect()
	}

	/// Serves `service` on this node: registers it (and keeps it registered) and answers its
	/// endpoints. Serving a name again replaces the earlier version here.
	pub fn serve(&self, service: Service) -> Result<(), MicroError> {
		let registration =
			Registration { service: service.description.clone(), node: self.shared.node() };
		let sequence = self.shared.sequence.fetch_add(1, Ordering::Relaxed);
		let now = Instant::now();
		let mut tombstones = Vec::new();
		{
			// Always `own` before `registry`, as the swarm's task takes them.
			let mut own = self.shared.own.lock().expect("not poisoned");
			let mut registry = self.shared.registry.lock().expect("not poisoned");
			registry
				.register(registration.clone(), self.shared.config.registry_ttl, sequence, now)
				.map_err(|e| MicroError::bad_request("mucp.registry", e.to_string()))?;
			let name = &service.description.name;
			for (old, _) in own.iter().filter(|(r, _)| &r.service.name == name) {
				if old.service.version != service.description.version {
					let tombstone = self.shared.sequence.fetch_add(1, Ordering::Relaxed);
					tombstones.push(registry.deregister(
						old.key(),
						self.shared.config.registry_ttl,
						tombstone,
						now,
					));
				}
			}
			own.retain(|(r, _)| &r.service.name != name);
			own.push((registration, sequence));
		}
		self.shared
			.services
			.write()
			.expect("not poisoned")
			.insert(service.description.name.clone(), service);
		let _ = self.commands.send(Command::Announce(tombstones));
		Ok(())
	}

	/// Stops serving service `name` here and tells the network.
	pub fn withdraw(&self, name: &str) {
		self.shared.services.write().expect("not poisoned").remove(name);
		let mut own = self.shared.own.lock().expect("not poisoned");
		let mut registry = self.shared.registry.lock().expect("not poisoned");
		let tombstones = own
			.iter()
			.filter(|(r, _)| r.service.name == name)
			.map(|(registration, _)| {
				let sequence = self.shared.sequence.fetch_add(1, Ordering::Relaxed);
				registry.deregister(
					registration.key(),
					self.shared.config.registry_ttl,
					sequence,
					Instant::now(),
				)
			})
			.collect();
		own.retain(|(r, _)| r.service.name != name);
		let _ = self.commands.send(Command::Announce(tombstones));
	}

	/// Every live service version, with its nodes.
	pub fn services(&self) -> Vec<registry::Service> {
		self.shared.registry.lock().expect("not poisoned").list(Instant::now())
	}

	/// The live versions of service `name`.
	pub fn service(&self, name: &str) -> Vec<registry::Service> {
		self.shared.registry.lock().expect("not poisoned").get(name, Instant::now())
	}

	/// How many entries the registry holds (tombstones included): bounded per node and in
	/// total.
	pub fn registry_len(&self) -> usize {
		self.shared.registry.lock().expect("not poisoned").len()
	}

	/// Registry changes from now on.
	pub fn watch(&self) -> broadcast::Receiver<Event> {
		self.shared.registry.lock().expect("not poisoned").watch()
	}

	/// The network as this peer sees it.
	pub async fn network(&self) -> NetworkView {
		let (reply, answer) = oneshot::channel();
		let _ = self.commands.send(Command::Connectivity { reply });
		let connected = answer.await.unwrap_or_default();
		let now = Instant::now();
		let announced = self
			.shared
			.announced
			.lock()
			.expect("not poisoned")
			.iter()
			.filter(|(_, (_, until))| *until > now)
			.map(|(id, (announced, _))| (id.clone(), announced.clone()))
			.collect();
		let selector = self.shared.selector.lock().expect("not poisoned");
		let healthy = |id: &str| selector.is_healthy(id, now);
		NetworkView::build(Inputs {
			local: &self.shared.local.to_string(),
			local_addresses: self.shared.node().addresses,
			services: self.services(),
			announced,
			connected,
			healthy: &healthy,
		})
	}

	/// Stops gracefully: withdraws this node's services (the network hears of it at once),
	/// then stops the transport.
	pub async fn shutdown(mut self) {
		self.close().await;
		// Wait for the tasks to end, so the broker's store is closed when this returns.
		for task in self.tasks.drain(..) {
			task.abort();
			let _ = task.await;
		}
	}

	/// [`Peer::shutdown`] for a peer that is shared: withdraws this node's services (the
	/// network hears of it at once, rather than after a registry TTL) and stops the transport;
	/// calls and publishes fail after it. The node calls it as it stops.
	pub async fn close(&self) {
		let names: Vec<String> =
			self.shared.services.read().expect("not poisoned").keys().cloned().collect();
		for name in names {
			self.withdraw(&name);
		}
		let (reply, done) = oneshot::channel();
		if self.commands.send(Command::Shutdown { reply }).is_ok() {
			let _ = tokio::time::timeout(Duration::from_secs(5), done).await;
		}
		self.shared.links.close_all();
	}

	/// Stops at once without telling anyone, as a crash would.
	pub fn kill(self) {
		drop(self)
	}
}
