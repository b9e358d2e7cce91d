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
//! **Across nodes**, a node learns who subscribes to a topic from the topic's gossipsub
//! channel (and each queue group's marker), but believes it only for the nodes its
//! [`Admission`] check admits (`PeerConfig::admission`): a stranger that subscribes gets
//! nothing and is never chosen for a queue group. A published message is written to the
//! publisher's store, one copy per admitted node with subscribers (its outbox), and sent to
//! each directly on the call protocol (`mucp.broker` / `Broker.Deliver`). The receiving node
//! writes it to its own store before it answers, and only that answer removes the
//! publisher's copy; unanswered copies are sent again after the broker's `ack_timeout` and
//! whenever the node reconnects. So delivery across nodes is at least once through kill -9 of
//! either node; receivers drop duplicates by `Micro-Id` per publisher (the
//! `Micro-Publisher` header, which the receiver sets from the authenticated sender). Each
//! node hands a message to its own subscribers without a queue; for each queue group, the
//! publisher picks one admitted node with members (in turn) and only that node delivers it,
//! so each message reaches one member of each group network-wide. A message nobody
//! subscribes to anywhere waits in the publisher's inbox, and goes to the first subscriber
//! on this node or to an admitted node when it subscribes; a receiver whose subscribers have
//! gone keeps what arrives in its own inbox. Storing and fsync happen on the broker's writer
//! thread, never on the swarm's task.
//!
//! **Registry records** are gossiped by the node they describe (gossipsub signs each message
//! with its source's key, and a record is taken only from its own node) every third of the
//! TTL, and two peers swap their own records directly when they connect. A record is believed
//! only as the [`authority`](crate::authority) (the chain) allows: from a registered node,
//! about itself, for a service version placed on it; anything else is dropped and counts a
//! strike against its (registered) source, which is ignored and disconnected at the limit.
//! Nothing is kept for an unregistered peer, and calls go only to the placements the chain
//! records.

use std::{
	collections::{BTreeMap, HashMap},
	future::Future,
	panic::AssertUnwindSafe,
	path::PathBuf,
	sync::{
		atomic::{AtomicU64, Ordering},
		Arc, Mutex, RwLock,
	},
	time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use futures::{future::BoxFuture, AsyncReadExt, AsyncWriteExt, FutureExt, StreamExt};
use libp2p::{
	gossipsub, identify, kad, ping, request_response,
	swarm::{dial_opts::DialOpts, SwarmEvent},
	Swarm,
};
pub use libp2p::{identity::Keypair, multiaddr::Protocol, Multiaddr, PeerId};
use prost::Message as _;
use serde::{Deserialize, Serialize};
use tokio::{
	sync::{broadcast, mpsc, oneshot},
	task::JoinHandle,
};

use crate::{
	authority::{Authority, Strikes},
	broker::{Admission, Broker, BrokerConfig, BrokerError, Delivery, Plan, Published},
	network::{Announced, Inputs, NetworkView},
	protocol::{header, Form, Limits, Message, MicroError, Publication, Publications, PROTOCOL},
	registry::{
		self, Endpoint, Event, Record, Registration, Registry, RegistryError, ServiceDescription,
	},
	selector::{placed_nodes, Selector, SelectorConfig},
	transport::{
		build_guarded_swarm, parse_queue_marker, queue_marker, read_frame, topic_channel,
		write_frame, Behaviour, BehaviourEvent, ConnectionCaps, TransportConfig, REGISTRY_TOPIC,
		STREAM_PROTOCOL,
	},
};

/// The service name of the registry's own exchange on the call protocol.
const REGISTRY_SERVICE: &str = "mucp.registry";
/// The endpoint two peers swap their records on when they connect.
const REGISTRY_SYNC: &str = "Registry.Sync";
/// How many addresses a node may give for itself.
const MAX_ADDRESSES: usize = 16;
/// How many connections of a node's announcement are kept for the peer graph.
const MAX_ANNOUNCED_PEERS: usize = 256;
/// The service name of the broker's node-to-node delivery on the call protocol.
const BROKER_SERVICE: &str = "mucp.broker";
/// The endpoint a node hands another a publication on; the answer acknowledges it.
const BROKER_DELIVER: &str = "Broker.Deliver";

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

/// What one end of a stream receives: a message, or why a frame was refused. The same
/// channel type carries both directions, so two in-memory ends join without a relay.
type Received = Result<Message, MicroError>;

/// One end of a MUCP stream: messages both ways, each its own envelope with the stream's id.
pub struct MicroStream {
	id: String,
	service: String,
	endpoint: String,
	sent: u64,
	outgoing: Option<mpsc::Sender<Received>>,
	incoming: mpsc::Receiver<Received>,
}

impl MicroStream {
	/// `Micro-Stream`: the stream's id.
	pub fn id(&self) -> &str {
		&self.id
	}

	/// Sends `body` to the other end.
	pub async fn send(&mut self, body: impl Into<Vec<u8>>) -> Result<(), MicroError> {
		self.sent += 1;
		let message = Message::stream(
			&format!("{}-{}", self.id, self.sent),
			&self.id,
			&self.service,
			&self.endpoint,
			body,
		);
		self.send_message(message).await
	}

	/// Sends `message` as it is.
	pub async fn send_message(&mut self, message: Message) -> Result<(), MicroError> {
		let closed = || MicroError::new(&self.id, 499, "the stream is closed");
		let outgoing = self.outgoing.as_ref().ok_or_else(closed)?;
		outgoing.send(Ok(message)).await.map_err(|_| closed())
	}

	/// The next message from the other end; an `Err` if it sent a `Micro-Error` or a
	/// malformed frame, `None` once it finished sending.
	pub async fn recv(&mut self) -> Option<Result<Message, MicroError>> {
		let next = self.incoming.recv().await?;
		Some(next.and_then(|message| match message.error() {
			Some(Ok(error)) | Some(Err(error)) => Err(error),
			None => Ok(message),
		}))
	}

	/// Finishes sending; the other end's [`recv`](Self::recv) then ends. Receiving goes on.
	pub fn finish(&mut self) {
		self.outgoing = None;
	}

	/// Two ends joined in memory, for a stream to a service on this same node.
	fn pair(id: &str, service: &str, endpoint: &str) -> (Self, Self) {
		let (to_server, from_client) = mpsc::channel(64);
		let (to_client, from_server) = mpsc::channel(64);
		let end = |outgoing, incoming| Self {
			id: id.to_owned(),
			service: service.to_owned(),
			endpoint: endpoint.to_owned(),
			sent: 0,
			outgoing: Some(outgoing),
			incoming,
		};
		(end(to_server, from_server), end(to_client, from_client))
	}

	/// An end over a libp2p substream: one task reads frames, one writes them.
	fn over(stream: libp2p::Stream, opening: &Message, limits: Limits) -> Self {
		let (mut reader, mut writer) = stream.split();
		let (outgoing, mut to_write) = mpsc::channel::<Received>(64);
		let (deliver, incoming) = mpsc::channel(64);
		tokio::spawn(async move {
			// `send_message` only ever sends `Ok`.
			while let Some(Ok(message)) = to_write.recv().await {
				if write_frame(&mut writer, &message.encode()).await.is_err() {
					return;
				}
			}
			let _ = writer.close().await;
		});
		tokio::spawn(async move {
			loop {
				let next = match read_frame(&mut reader, limits.max_frame).await {
					Err(_) => return,
					Ok(Err(error)) => Err(error),
					Ok(Ok(frame)) => Message::decode(&frame, &limits).map(|(message, _)| message),
				};
				if deliver.send(next).await.is_err() {
					return;
				}
			}
		});
		Self {
			id: opening.header(header::STREAM).unwrap_or_default().to_owned(),
			service: opening.header(header::SERVICE).unwrap_or_default().to_owned(),
			endpoint: opening.header(header::ENDPOINT).unwrap_or_default().to_owned(),
			sent: 0,
			outgoing: Some(outgoing),
			incoming,
		}
	}
}

/// A subscription to a topic: deliveries from every node, each to be acknowledged.
/// Dropping it unsubscribes.
pub struct Subscription {
	id: u64,
	topic: String,
	queue: Option<String>,
	deliveries: mpsc::Receiver<Delivery>,
	shared: Arc<Shared>,
	commands: mpsc::UnboundedSender<Command>,
}

impl Subscription {
	/// The next delivery; `None` once the peer stops.
	pub async fn next(&mut self) -> Option<Delivery> {
		self.deliveries.recv().await
	}

	/// Acknowledges `delivery`: it will not come again.
	pub fn ack(&self, delivery: &Delivery) -> Result<(), MicroError> {
		self.shared.broker.ack(delivery.tag).map_err(broker_error)
	}
}

impl Drop for Subscription {
	fn drop(&mut self) {
		self.shared.broker.unsubscribe(self.id, SystemTime::now());
		let _ = self
			.commands
			.send(Command::Unlisten { topic: self.topic.clone(), queue: self.queue.take() });
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

/// What one attempt on one node came to.
enum Attempt<T> {
	/// The node answered (with a result or the service's own error): it is healthy.
	Answered(Result<T, MicroError>),
	/// Refused before the node could be judged: returned as it is.
	Refused(MicroError),
	/// The node could not serve it: avoid it and try another.
	Failed(MicroError),
	/// The node may have run it but no answer came (a timeout once the request was sent): avoid
	/// the node, and return the error rather than run the call again elsewhere, where the
	/// per-node replay cache cannot tell it is a retry and the caller would pay twice.
	Unanswered(MicroError),
}

/// What a node gossips about itself besides its records.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct Gossip {
	records: Vec<Record>,
	addresses: Vec<String>,
	peers: Vec<String>,
}

/// What the API asks of the swarm's task.
enum Command {
	Call {
		node: PeerId,
		frame: Vec<u8>,
		reply: oneshot::Sender<Result<Vec<u8>, request_response::OutboundFailure>>,
	},
	/// Where a message to `topic` goes: the admitted nodes and the queue groups' nodes.
	Plan {
		topic: String,
		reply: oneshot::Sender<Plan>,
	},
	/// Send the messages due in the outboxes.
	SendOutbox,
	Listen {
		topic: String,
		queue: Option<String>,
	},
	Unlisten {
		topic: String,
		queue: Option<String>,
	},
	/// Gossip this node's announcement now, with these records (tombstones) besides its own.
	Announce(Vec<Record>),
	/// Connect to a peer at this address (ending in `/p2p/<peer id>`) unless connected.
	Dial(Multiaddr),
	Connectivity {
		reply: oneshot::Sender<BTreeMap<String, Option<Duration>>>,
	},
	Listeners {
		topic: String,
		reply: oneshot::Sender<Vec<(PeerId, Vec<String>)>>,
	},
	Shutdown {
		reply: oneshot::Sender<()>,
	},
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
	queue_turns: Mutex<HashMap<(String, String), usize>>,
}

impl Shared {
	fn unique_id(&self) -> String {
		format!("{}-{}", self.local, self.next_id.fetch_add(1, Ordering::Relaxed))
	}

	fn node(&self) -> registry::Node {
		let addresses = self.addresses.lock().expect("not poisoned");
		registry::Node {
			id: self.local.to_string(),
			addresses: addresses.iter().map(|a| format!("{a}/p2p/{}", self.local)).collect(),
			metadata: Default::default(),
		}
	}

	/// Refreshes this node's registrations and returns them as records to gossip.
	fn refresh_own(&self) -> Vec<Record> {
		let now = Instant::now();
		let own = self.own.lock().expect("not poisoned");
		let mut registry = self.registry.lock().expect("not poisoned");
		own.iter()
			.filter_map(|(registration, sequence)| {
				registry
					.register(registration.clone(), self.config.registry_ttl, *sequence, now)
					.ok()
			})
			.collect()
	}

	/// Whether announcements from `source` are heard at all at `now`: it is a registered node
	/// (unregistered identities cost nothing to make) and not banned for its strikes.
	fn heard(&self, source: &PeerId, now: Instant) -> bool {
		self.config.authority.is_registered(source)
			&& !self.strikes.lock().expect("not poisoned").is_banned(source, now)
	}

	/// Counts a strike against `source` for an announcement with something refused.
	fn strike(&self, source: &PeerId, now: Instant) {
		if self.strikes.lock().expect("not poisoned").strike(*source, now) {
			log::info!(target: "mucp", "peer {source} sent forged registry records: ignored");
		}
	}

	/// Applies records from `source`, believing only those the authority allows: `source` is
	/// a registered node, and each record is about `source` itself (its key and body name it,
	/// and its addresses name no other peer) and, unless a removal, for a service version the
	/// chain places on it. A removal (tombstone) is applied only over an entry held already
	/// from `source`, and is otherwise ignored: tombstones for services never registered
	/// cannot fill the registry. Anything refused counts one strike against a registered
	/// `source`;
	/// nothing at all is kept for an unregistered one (identities are free to make). Returns
	/// how many records were refused.
	fn apply_from(&self, source: &PeerId, records: Vec<Record>) -> usize {
		let now = Instant::now();
		if !self.heard(source, now) {
			return records.len();
		}
		let source_id = source.to_string();
		let authority = &self.config.authority;
		let mut refused = 0;
		let mut registry = self.registry.lock().expect("not poisoned");
		for record in records {
			// A removal of what this peer never held: nothing to remove, nothing kept. Not a
			// strike: an honest node's removal can arrive before (or instead of) its record.
			if record.registration.is_none() && !registry.holds(&record.key) {
				continue;
			}
			let believed = record.key.node == source_id
				&& record.check().is_ok()
				&& record.registration.as_ref().is_none_or(|registration| {
					let service = &registration.service;
					authority.placed(source, &service.name, &service.version)
						&& own_addresses(source, &registration.node.addresses).is_some()
				});
			if !believed {
				refused += 1;
				continue;
			}
			let ttl = Duration::from_millis(record.ttl_ms).min(self.config.registry_ttl * 2);
			let record = Record { ttl_ms: ttl.as_millis() as u64, ..record };
			match registry.apply(record, now) {
				// The registry is full of others' records: not this peer's doing.
				Ok(_) | Err(RegistryError::Full) => {}
				Err(_) => refused += 1,
			}
		}
		drop(registry);
		if refused > 0 {
			self.strike(source, now);
		}
		refused
	}

	/// Drops what the registry and the announcements hold that the authority no longer
	/// allows (a node deregistered, a service moved away), and forgets old strikes.
	fn recheck(&self, now: Instant) {
		let local = self.local.to_string();
		let authority = &self.config.authority;
		self.registry.lock().expect("not poisoned").retain(now, |key| {
			key.node == local
				|| key
					.node
					.parse::<PeerId>()
					.is_ok_and(|node| authority.placed(&node, &key.service, &key.version))
		});
		self.announced
			.lock()
			.expect("not poisoned")
			.retain(|id, _| id.parse::<PeerId>().is_ok_and(|node| authority.is_registered(&node)));
		self.strikes.lock().expect("not poisoned").forget(now);
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

	/// Answers a call that arrived from `from` (or from this node).
	async fn dispatch(
		self: Arc<Self>,
		from: PeerId,
		request: Result<Vec<u8>, MicroError>,
	) -> Message {
		let limits = self.config.limits;
		let bare_error =
			|error: &MicroError| Message::new(Vec::new()).with(header::ERROR, &error.to_json());
		let request = match request.and_then(|frame| Message::decode(&frame, &limits)) {
			Ok((request, Form::Call { .. })) => request,
			Ok((request, _)) => {
				let error = MicroError::bad_request(
					PROTOCOL,
					"only calls travel on the call protocol: streams open a stream, publish \
					 goes to a topic",
				);
				return Message::error_reply(&request, &error);
			}
			Err(error) => return bare_error(&error),
		};
		let service = request.header(header::SERVICE).unwrap_or_default().to_owned();
		let endpoint = request.header(header::ENDPOINT).unwrap_or_default().to_owned();
		if service == REGISTRY_SERVICE && endpoint == REGISTRY_SYNC {
			return match serde_json::from_slice::<Vec<Record>>(&request.body) {
				Ok(records) => {
					self.apply_from(&from, records);
					let own = serde_json::to_vec(&self.refresh_own()).expect("records serialise");
					Message::reply_to(&request, own)
				}
				Err(e) => Message::error_reply(
					&request,
					&MicroError::bad_request(REGISTRY_SERVICE, format!("malformed records: {e}")),
				),
			};
		}
		if service == BROKER_SERVICE && endpoint == BROKER_DELIVER {
			return match self.clone().accept_publication(from, &request.body).await {
				Ok(_) => Message::reply_to(&request, b"{}".to_vec()),
				Err(error) => Message::error_reply(&request, &error),
			};
		}
		let name = format!("{service}.{endpoint}");
		let handler = self.handler(&service, &endpoint, |s| &s.calls);
		let handler = match handler {
			Ok(handler) => handler,
			Err(error) => return Message::error_reply(&request, &error),
		};
		// The handler learns which node the call came from, as the transport authenticated
		// it: whatever the caller wrote there is overwritten.
		let mut request = request;
		request.set(crate::settlement::CALLER_HEADER, &from.to_string());
		// The handler runs no longer than its caller waits: it learns its budget in
		// `Micro-Timeout`, and is stopped when it is spent.
		let budget =
			crate::protocol::handler_budget(request.timeout(), self.config.handler_timeout);
		request.set_timeout(budget);
		let run = AssertUnwindSafe(handler(request.clone())).catch_unwind();
		match tokio::time::timeout(budget, run).await {
			Ok(Ok(Ok(body))) => Message::reply_to(&request, body),
			Ok(Ok(Err(error))) => Message::error_reply(&request, &error),
			Ok(Err(_)) => {
				Message::error_reply(&request, &MicroError::internal(&name, "the handler panicked"))
			}
			Err(_) => Message::error_reply(
				&request,
				&MicroError::timeout(&name, "the handler did not finish in time"),
			),
		}
	}

	/// Takes a publication another node sent: stores it durably for this node's subscribers
	/// (or in the inbox if there are none) before the caller's answer acknowledges it. Its
	/// `Micro-Publisher` is set to the sender, so duplicates are judged per publisher.
	async fn accept_publication(
		self: Arc<Self>,
		from: PeerId,
		body: &[u8],
	) -> Result<(), MicroError> {
		let refused = |what: &str| MicroError::bad_request(BROKER_SERVICE, what);
		let batch = Publications::decode(body)
			.map_err(|e| refused(&format!("malformed publications: {e}")))?;
		let mut accepted = Vec::new();
		for publication in batch.publications {
			let envelope =
				publication.message.ok_or_else(|| refused("a publication without a message"))?;
			let mut message = Message::from_envelope(envelope, &self.config.limits)?;
			let Form::Publish { topic, .. } = message.form()? else {
				return Err(refused("not a publication: it has no topic"));
			};
			// Only admitted nodes publish into this node's store: a stranger cannot fill it
			// (up to its limit) until honest publishes get a 507.
			if !self.config.admission.admits(&from, &topic, None) {
				return Err(MicroError::new(
					BROKER_SERVICE,
					403,
					format!("this node does not take publications on `{topic}` from {from}"),
				));
			}
			message.set(header::PUBLISHER, &from.to_string());
			let plan = Plan {
				local: self.local.to_string(),
				nodes: Vec::new(),
				queue_nodes: publication.queue_nodes,
				unnamed_groups_here: false,
			};
			accepted.push((topic, message, plan));
		}
		let shared = self.clone();
		tokio::task::spawn_blocking(move || {
			accepted.into_iter().try_for_each(|(topic, message, plan)| {
				shared.broker.publish_to(&topic, message, SystemTime::now(), &plan).map(drop)
			})
		})
		.await
		.map_err(|_| MicroError::internal(BROKER_SERVICE, "the store task failed"))?
		.map_err(broker_error)
	}

	/// Serves one inbound stream: reads its opening message, answers it (an empty reply, or
	/// the error), and hands the stream to its handler.
	async fn serve_stream(self: Arc<Self>, mut stream: libp2p::Stream) {
		let limits = self.config.limits;
		let opening = tokio::time::timeout(
			Duration::from_secs(10),
			read_frame(&mut stream, limits.max_frame),
		)
		.await;
		let frame = match opening {
			Ok(Ok(Ok(frame))) => frame,
			Ok(Ok(Err(error))) => {
				let reply = Message::new(Vec::new()).with(header::ERROR, &error.to_json());
				let _ = write_frame(&mut stream, &reply.encode()).await;
				return;
			}
			_ => return,
		};
		let opening = match Message::decode(&frame, &limits) {
			Ok((opening, Form::Stream { service, endpoint, .. })) => {
				match self.handler(&service, &endpoint, |s| &s.streams) {
					Ok(handler) => Ok((opening, handler)),
					Err(error) => Err((Some(opening), error)),
				}
			}
			Ok((opening, _)) => Err((
				Some(opening),
				MicroError::bad_request(PROTOCOL, "a stream opens with a `Micro-Stream` message"),
			)),
			Err(error) => Err((None, error)),
		};
		match opening {
			Ok((opening, handler)) => {
				if write_frame(&mut stream, &Message::reply_to(&opening, Vec::new()).encode())
					.await
					.is_err()
				{
					return;
				}
				let end = MicroStream::over(stream, &opening, limits);
				let _ = AssertUnwindSafe(handler(opening, end)).catch_unwind().await;
			}
			Err((opening, error)) => {
				let reply = match opening {
					Some(opening) => Message::error_reply(&opening, &error),
					None => Message::new(Vec::new()).with(header::ERROR, &error.to_json()),
				};
				let _ = write_frame(&mut stream, &reply.encode()).await;
				let _ = stream.close().await;
			}
		}
	}
}

/// The addresses `source` gives for itself, if it may: at most [`MAX_ADDRESSES`] multiaddrs,
/// none naming another peer. `None` if any breaks the rule.
fn own_addresses(source: &PeerId, addresses: &[String]) -> Option<Vec<Multiaddr>> {
	if addresses.len() > MAX_ADDRESSES {
		return None;
	}
	addresses
		.iter()
		.map(|address| {
			let address = address.parse::<Multiaddr>().ok()?;
			let names_another =
				address.iter().any(|part| matches!(part, Protocol::P2p(peer) if peer != *source));
			(!names_another).then_some(address)
		})
		.collect()
}

/// Answers a stream past its peer's budget with a 429 and closes it.
async fn refuse_stream(stream: &mut libp2p::Stream, budget: usize) {
	let error = MicroError::new(
		PROTOCOL,
		429,
		format!("too many streams open from this peer: at most {budget} at once"),
	);
	let reply = Message::new(Vec::new()).with(header::ERROR, &error.to_json());
	let _ =
		tokio::time::timeout(Duration::from_secs(1), write_frame(stream, &reply.encode())).await;
	let _ = stream.close().await;
}

/// The peer id of registry node `node`, or the 503 a call to `name` on it gets.
fn peer_of(node: &registry::Node, name: &str) -> Result<PeerId, MicroError> {
	node.id
		.parse()
		.map_err(|_| MicroError::new(name, 503, format!("node `{}` has a malformed id", node.id)))
}

fn broker_error(error: BrokerError) -> MicroError {
	match error {
		BrokerError::Message(error) => error,
		BrokerError::Full(what) => MicroError::new("mucp.broker", 507, what),
		other => MicroError::internal("mucp.broker", other.to_string()),
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
		});
		let (commands, receiver) = mpsc::unbounded_channel();
		let driver = Driver {
			swarm,
			shared: shared.clone(),
			calls: HashMap::new(),
			sending: HashMap::new(),
			responses: mpsc::unbounded_channel(),
			rtts: HashMap::new(),
			bootstrapped: false,
			inbound: HashMap::new(),
		};
		let accepting = {
			let shared = shared.clone();
			let mut incoming = incoming;
			tokio::spawn(async move {
				// Each peer may hold a bounded number of streams open here; one past it is
				// closed at once. Peers with none open are forgotten as the map grows.
				let budget = shared.config.max_inbound_streams_per_peer;
				let mut open: HashMap<PeerId, Arc<tokio::sync::Semaphore>> = HashMap::new();
				while let Some((from, mut stream)) = incoming.next().await {
					if open.len() >= 1024 {
						open.retain(|_, streams| streams.available_permits() < budget);
					}
					let streams = open
						.entry(from)
						.or_insert_with(|| Arc::new(tokio::sync::Semaphore::new(budget)));
					let Ok(permit) = streams.clone().try_acquire_owned() else {
						tokio::spawn(async move { refuse_stream(&mut stream, budget).await });
						continue;
					};
					let serving = shared.clone().serve_stream(stream);
					tokio::spawn(async move {
						serving.await;
						drop(permit);
					});
				}
			})
		};
		let driving = tokio::spawn(driver.run(receiver));
		Ok(Self { shared, commands, control, tasks: vec![driving, accepting] })
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

	/// The default options of a call: the configured timeout and retries.
	pub fn call_options(&self) -> CallOptions {
		CallOptions {
			timeout: self.shared.config.call_timeout,
			retries: self.shared.config.retries,
		}
	}

	/// Calls `service`'s `endpoint` with `body`, on a node the registry lists, with the
	/// configured timeout and retries.
	pub async fn call(
		&self,
		service: &str,
		endpoint: &str,
		body: impl Into<Vec<u8>>,
	) -> Result<Message, MicroError> {
		let request = Message::call(&self.shared.unique_id(), service, endpoint, body);
		self.call_with(request, self.call_options()).await
	}

	/// Sends `request` (a call message) as `options` say. A node that fails in transport,
	/// does not answer in time or no longer runs the service is avoided for a while and the
	/// call goes to another; an error the service itself answers is returned as it is.
	pub async fn call_with(
		&self,
		request: Message,
		options: CallOptions,
	) -> Result<Message, MicroError> {
		let Form::Call { service, endpoint } = request.form()? else {
			return Err(MicroError::bad_request(PROTOCOL, "not a call: it has a stream or topic"));
		};
		// The server learns how long each attempt waits, and stops (and charges nothing) past
		// it; every retry sends this frame, with the same `Micro-Id`.
		let mut request = request;
		if request.timeout().is_none_or(|wait| wait > options.timeout) {
			request.set_timeout(options.timeout);
		}
		let frame = request.encode();
		if frame.len() > self.shared.config.limits.max_frame {
			return Err(MicroError::too_large(
				PROTOCOL,
				format!(
					"request of {} bytes exceeds the limit of {}",
					frame.len(),
					self.shared.config.limits.max_frame
				),
			));
		}
		let name = format!("{service}.{endpoint}");
		let (frame, name) = (&frame, name.as_str());
		self.on_some_node(&service, name, options.retries, |node| async move {
			let outcome = if node.id == self.shared.local.to_string() {
				Ok(self.shared.clone().dispatch(self.shared.local, Ok(frame.clone())).await)
			} else {
				self.remote_call(&node, frame.clone(), options.timeout, name).await
			};
			match outcome {
				Err(error) if error.code == 408 => Attempt::Unanswered(error),
				Err(error) => Attempt::Failed(error),
				Ok(reply) => match reply.error() {
					None => Attempt::Answered(Ok(reply)),
					// Not served: the service is not running there, or this caller is over its
					// budget of calls there. Safe to run elsewhere.
					Some(Ok(error))
						if (error.code == 503 && error.id == name)
							|| (error.code == 429 && error.id == PROTOCOL) =>
					{
						Attempt::Failed(error)
					}
					Some(Ok(error)) | Some(Err(error)) => Attempt::Answered(Err(error)),
				},
			}
		})
		.await
	}

	/// Tries `attempt` on the nodes running `service` (`name` is `service.endpoint`), one
	/// after another as the selector picks them, until one answers or `retries` more have
	/// failed. The selector learns from each attempt.
	async fn on_some_node<T, F, Fut>(
		&self,
		service: &str,
		name: &str,
		retries: usize,
		mut attempt: F,
	) -> Result<T, MicroError>
	where
		F: FnMut(registry::Node) -> Fut,
		Fut: Future<Output = Attempt<T>>,
	{
		let nodes = self.nodes_running(service);
		if nodes.is_empty() {
			return Err(MicroError::not_found(name, format!("no node runs service `{service}`")));
		}
		let mut tried = Vec::new();
		let mut last_error = None;
		for _ in 0..=retries {
			let Some(node) = self.pick(service, &nodes, &tried) else { break };
			tried.push(node.id.clone());
			let id = node.id.clone();
			match attempt(node).await {
				Attempt::Answered(result) => {
					self.shared.selector.lock().expect("not poisoned").succeeded(&id, service);
					return result;
				}
				Attempt::Refused(error) => return Err(error),
				Attempt::Unanswered(error) => {
					let mut selector = self.shared.selector.lock().expect("not poisoned");
					selector.failed(&id, service, Instant::now());
					return Err(error);
				}
				Attempt::Failed(error) => {
					let mut selector = self.shared.selector.lock().expect("not poisoned");
					selector.failed(&id, service, Instant::now());
					last_error = Some(error);
				}
			}
		}
		Err(last_error.unwrap_or_else(|| {
			MicroError::new(name, 503, format!("no node of `{service}` is left to try"))
		}))
	}

	/// The nodes running any live version of `service` that the chain places it on (and this
	/// node, if it runs it), each once.
	fn nodes_running(&self, service: &str) -> Vec<registry::Node> {
		let running =
			self.shared.registry.lock().expect("not poisoned").nodes_of(service, Instant::now());
		placed_nodes(service, running, &self.shared.local, self.shared.config.authority.as_ref())
	}

	fn pick(
		&self,
		service: &str,
		nodes: &[registry::Node],
		tried: &[String],
	) -> Option<registry::Node> {
		let mut selector = self.shared.selector.lock().expect("not poisoned");
		selector.next(service, nodes, tried, Instant::now()).cloned()
	}

	async fn remote_call(
		&self,
		node: &registry::Node,
		frame: Vec<u8>,
		timeout: Duration,
		name: &str,
	) -> Result<Message, MicroError> {
		let unreachable = |detail: String| MicroError::new(name, 503, detail);
		let peer = peer_of(node, name)?;
		let (reply, answer) = oneshot::channel();
		self.commands
			.send(Command::Call { node: peer, frame, reply })
			.map_err(|_| unreachable("the peer has stopped".into()))?;
		// Once the request may have reached the node, no answer is a 408 the caller gets back:
		// the call is not run again elsewhere, so it is never paid twice.
		let unanswered = |detail: String| {
			MicroError::timeout(
				name,
				format!("{detail}; the call may have run there, so it was not retried elsewhere"),
			)
		};
		let frame = match tokio::time::timeout(timeout, answer).await {
			Err(_) => return Err(unanswered(format!("node {peer} did not answer in {timeout:?}"))),
			Ok(Err(_)) => return Err(unreachable("the peer has stopped".into())),
			// The node took the request and let the wire's timeout pass: it may still run it.
			Ok(Ok(Err(error @ request_response::OutboundFailure::Timeout))) => {
				return Err(unanswered(format!("node {peer}: {error}")))
			}
			// Not reached, or the connection went down (the node died or dropped this one): an
			// honest node charges only what it answered, so the call moves on.
			Ok(Ok(Err(error))) => return Err(unreachable(format!("node {peer}: {error}"))),
			Ok(Ok(Ok(frame))) => frame,
		};
		let envelope = crate::protocol::Envelope::decode(frame.as_slice())
			.map_err(|e| unreachable(format!("node {peer} sent a malformed reply: {e}")))?;
		Message::from_envelope(envelope, &self.shared.config.limits)
	}

	/// Opens a stream to `service`'s `endpoint` on a node the registry lists, trying other
	/// nodes if one cannot be reached.
	pub async fn stream(&self, service: &str, endpoint: &str) -> Result<MicroStream, MicroError> {
		let name = format!("{service}.{endpoint}");
		let stream_id = self.shared.unique_id();
		let opening =
			Message::stream(&format!("{stream_id}-0"), &stream_id, service, endpoint, Vec::new());
		let (opening, name) = (&opening, name.as_str());
		let retries = self.shared.config.retries;
		self.on_some_node(service, name, retries, |node| async move {
			let outcome = if node.id == self.shared.local.to_string() {
				self.local_stream(opening, service, endpoint)
			} else {
				self.remote_stream(&node, opening, name).await
			};
			match outcome {
				Ok(stream) => Attempt::Answered(Ok(stream)),
				Err(error) if error.code == 503 || error.code == 408 => Attempt::Failed(error),
				Err(error) => Attempt::Refused(error),
			}
		})
		.await
	}

	fn local_stream(
		&self,
		opening: &Message,
		service: &str,
		endpoint: &str,
	) -> Result<MicroStream, MicroError> {
		let handler = self.shared.handler(service, endpoint, |s| &s.streams)?;
		let stream_id = opening.header(header::STREAM).unwrap_or_default();
		let (client, server) = MicroStream::pair(stream_id, service, endpoint);
		let opening = opening.clone();
		tokio::spawn(async move {
			let _ = AssertUnwindSafe(handler(opening, server)).catch_unwind().await;
		});
		Ok(client)
	}

	async fn remote_stream(
		&self,
		node: &registry::Node,
		opening: &Message,
		name: &str,
	) -> Result<MicroStream, MicroError> {
		let unreachable = |detail: String| MicroError::new(name, 503, detail);
		let peer = peer_of(node, name)?;
		let timeout = self.shared.config.call_timeout;
		let mut control = self.control.clone();
		let limits = self.shared.config.limits;
		let open = async {
			let mut stream = control
				.open_stream(peer, STREAM_PROTOCOL)
				.await
				.map_err(|e| unreachable(format!("node {peer}: {e}")))?;
			write_frame(&mut stream, &opening.encode())
				.await
				.map_err(|e| unreachable(format!("node {peer}: {e}")))?;
			let answer = read_frame(&mut stream, limits.max_frame)
				.await
				.map_err(|e| unreachable(format!("node {peer}: {e}")))??;
			let envelope = crate::protocol::Envelope::decode(answer.as_slice())
				.map_err(|e| unreachable(format!("node {peer} sent a malformed answer: {e}")))?;
			let answer = Message::from_envelope(envelope, &limits)?;
			match answer.error() {
				Some(Ok(error)) | Some(Err(error)) => Err(error),
				None => Ok(stream),
			}
		};
		let stream = tokio::time::timeout(timeout, open).await.map_err(|_| {
			MicroError::timeout(name, format!("node {peer} did not open the stream in {timeout:?}"))
		})??;
		Ok(MicroStream::over(stream, opening, limits))
	}

	/// Publishes `body` to `topic` under a new `Micro-Id`.
	pub async fn publish(
		&self,
		topic: &str,
		body: impl Into<Vec<u8>>,
	) -> Result<Published, MicroError> {
		self.publish_message(Message::publish(&self.shared.unique_id(), topic, body)).await
	}

	/// Publishes `message` (with its `Micro-Topic` and `Micro-Id`) to subscribers on every
	/// node. `Delivered(n)` counts this node's subscribers it reached plus the other nodes with
	/// subscribers it went to; `Stored` means nobody subscribes anywhere yet, and it waits in
	/// this node's inbox, on disk; `Duplicate` means this node already published that id.
	pub async fn publish_message(&self, message: Message) -> Result<Published, MicroError> {
		let Form::Publish { topic, .. } = message.form()? else {
			return Err(MicroError::bad_request(PROTOCOL, "not a publication: it has no topic"));
		};
		let stopped = || MicroError::new("mucp.broker", 503, "the peer has stopped");
		let (reply, answer) = oneshot::channel();
		self.commands.send(Command::Plan { topic: topic.clone(), reply }).map_err(|_| stopped())?;
		let plan = answer.await.map_err(|_| stopped())?;
		let mut message = message;
		message.set(header::PUBLISHER, &self.shared.local.to_string());
		let shared = self.shared.clone();
		let to_others = !plan.nodes.is_empty();
		// Stored (and synced, with other publishes in one batch) off the swarm's task.
		let published = tokio::task::spawn_blocking(move || {
			shared.broker.publish_to(&topic, message, SystemTime::now(), &plan)
		})
		.await
		.map_err(|_| stopped())?
		.map_err(broker_error)?;
		if to_others && matches!(published, Published::Delivered(_)) {
			let _ = self.commands.send(Command::SendOutbox);
		}
		Ok(published)
	}

	/// Subscribes to `topic`, in queue group `queue` if given. Messages waiting in this node's
	/// inbox come at once; those waiting on other nodes follow as they hear of it.
	pub fn subscribe(&self, topic: &str, queue: Option<&str>) -> Result<Subscription, MicroError> {
		if topic.is_empty() {
			return Err(MicroError::bad_request(PROTOCOL, "empty topic"));
		}
		let subscription =
			self.shared.broker.subscribe(topic, queue, SystemTime::now()).map_err(broker_error)?;
		let _ = self
			.commands
			.send(Command::Listen { topic: topic.to_owned(), queue: queue.map(str::to_owned) });
		Ok(Subscription {
			id: subscription.id,
			topic: topic.to_owned(),
			queue: queue.map(str::to_owned),
			deliveries: subscription.deliveries,
			shared: self.shared.clone(),
			commands: self.commands.clone(),
		})
	}

	/// The other nodes this peer knows to subscribe to `topic` (those it is connected to),
	/// each with the queue groups it has members in.
	pub async fn listeners(&self, topic: &str) -> Vec<(PeerId, Vec<String>)> {
		let (reply, answer) = oneshot::channel();
		let _ = self.commands.send(Command::Listeners { topic: topic.to_owned(), reply });
		answer.await.unwrap_or_default()
	}

	/// How many messages wait in this node's inbox for `topic`.
	pub fn inbox_len(&self, topic: &str) -> usize {
		self.shared.broker.inbox_len(topic)
	}

	/// How many messages this node holds for `node` until it acknowledges them.
	pub fn outbox_len(&self, node: &PeerId) -> usize {
		self.shared.broker.outbox_len(&node.to_string())
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
	}

	/// Stops at once without telling anyone, as a crash would.
	pub fn kill(self) {
		drop(self)
	}
}

/// The task that owns the swarm.
struct Driver {
	swarm: Swarm<Behaviour>,
	shared: Arc<Shared>,
	calls: HashMap<
		request_response::OutboundRequestId,
		oneshot::Sender<Result<Vec<u8>, request_response::OutboundFailure>>,
	>,
	/// Batches of publications sent to other nodes, awaiting their acknowledgement (one batch
	/// per node at a time, so they arrive in order): node, sequences.
	sending: HashMap<request_response::OutboundRequestId, (String, Vec<u64>)>,
	responses: (
		mpsc::UnboundedSender<(request_response::ResponseChannel<Vec<u8>>, Message)>,
		mpsc::UnboundedReceiver<(request_response::ResponseChannel<Vec<u8>>, Message)>,
	),
	rtts: HashMap<PeerId, Duration>,
	bootstrapped: bool,
	/// The calls each connected peer may still have served at once (its inbound budget).
	inbound: HashMap<PeerId, Arc<tokio::sync::Semaphore>>,
}

impl Driver {
	async fn run(mut self, mut commands: mpsc::UnboundedReceiver<Command>) {
		let mut housekeeping = tokio::time::interval(Duration::from_millis(250));
		let mut refresh = tokio::time::interval(self.shared.config.registry_ttl / 3);
		loop {
			tokio::select! {
				command = commands.recv() => match command {
					Some(Command::Shutdown { reply }) => {
						self.announce(Vec::new());
						let flush = tokio::time::sleep(Duration::from_millis(300));
						tokio::pin!(flush);
						loop {
							tokio::select! {
								_ = self.swarm.select_next_some() => {}
								_ = &mut flush => break,
							}
						}
						let _ = reply.send(());
						return;
					}
					Some(command) => self.command(command),
					None => return,
				},
				event = self.swarm.select_next_some() => self.event(event),
				Some((channel, reply)) = self.responses.1.recv() => {
					let _ = self.swarm.behaviour_mut().calls.send_response(channel, reply.encode());
				}
				_ = housekeeping.tick() => {
					let now = Instant::now();
					self.shared.registry.lock().expect("not poisoned").expire(now);
					self.shared.announced.lock().expect("not poisoned").retain(|_, (_, until)| *until > now);
					self.shared.broker.redeliver(SystemTime::now());
					self.disconnect_banned(now);
					self.hand_waiting_inboxes();
					self.send_outbox(None);
				}
				_ = refresh.tick() => {
					self.shared.recheck(Instant::now());
					self.announce(Vec::new());
				}
			}
		}
	}

	/// Closes the connections of peers banned for their strikes.
	fn disconnect_banned(&mut self, now: Instant) {
		let banned = {
			let strikes = self.shared.strikes.lock().expect("not poisoned");
			if strikes.is_empty() {
				return;
			}
			strikes.banned(now)
		};
		for peer in banned {
			if self.swarm.is_connected(&peer) {
				let _ = self.swarm.disconnect_peer_id(peer);
			}
		}
	}

	/// Gossips this node's records (after `tombstones`), addresses and connections.
	fn announce(&mut self, mut tombstones: Vec<Record>) {
		tombstones.extend(self.shared.refresh_own());
		let gossip = Gossip {
			records: tombstones,
			addresses: self.shared.node().addresses,
			peers: self.swarm.connected_peers().map(|p| p.to_string()).collect(),
		};
		let data = serde_json::to_vec(&gossip).expect("gossip serialises");
		let topic = gossipsub::IdentTopic::new(REGISTRY_TOPIC);
		let _ = self.swarm.behaviour_mut().gossip.publish(topic, data);
	}

	fn command(&mut self, command: Command) {
		match command {
			Command::Call { node, frame, reply } => {
				let id = self.swarm.behaviour_mut().calls.send_request(&node, Ok(frame));
				self.calls.insert(id, reply);
			}
			Command::Plan { topic, reply } => {
				let _ = reply.send(self.plan(&topic));
			}
			Command::SendOutbox => self.send_outbox(None),
			Command::Listen { topic, queue } => {
				let gossip = &mut self.swarm.behaviour_mut().gossip;
				if let Some(queue) = &queue {
					let _ = gossip.subscribe(&queue_marker(&topic, queue));
				}
				let _ = gossip.subscribe(&topic_channel(&topic));
			}
			Command::Unlisten { topic, queue } => {
				let (listening, groups) = self.shared.broker.interest(&topic);
				let gossip = &mut self.swarm.behaviour_mut().gossip;
				if let Some(queue) = queue.filter(|q| !groups.contains(q)) {
					let _ = gossip.unsubscribe(&queue_marker(&topic, &queue));
				}
				if !listening {
					let _ = gossip.unsubscribe(&topic_channel(&topic));
				}
			}
			Command::Announce(tombstones) => self.announce(tombstones),
			Command::Dial(address) => {
				let Some(libp2p::multiaddr::Protocol::P2p(peer)) = address.iter().last() else {
					return;
				};
				if peer == self.shared.local || self.swarm.is_connected(&peer) {
					return;
				}
				self.swarm.behaviour_mut().kad.add_address(&peer, address.clone());
				self.swarm.add_peer_address(peer, address.clone());
				if let Err(error) = self.swarm.dial(address.clone()) {
					log::debug!(target: "mucp", "dial {address}: {error}");
				}
			}
			Command::Connectivity { reply } => {
				let connected = self
					.swarm
					.connected_peers()
					.map(|peer| (peer.to_string(), self.rtts.get(peer).copied()))
					.collect();
				let _ = reply.send(connected);
			}
			Command::Listeners { topic, reply } => {
				let (listeners, groups) = self.remote_interest(&topic);
				let answer = listeners
					.into_iter()
					.map(|peer| {
						let member_of = groups
							.iter()
							.filter(|(_, peers)| peers.contains(&peer))
							.map(|(group, _)| group.clone())
							.collect();
						(peer, member_of)
					})
					.collect();
				let _ = reply.send(answer);
			}
			Command::Shutdown { .. } => unreachable!("handled by the loop"),
		}
	}

	/// Who on other nodes subscribes to `topic`: the peers on its channel, and for each
	/// queue group the peers with members.
	fn remote_interest(&self, topic: &str) -> (Vec<PeerId>, BTreeMap<String, Vec<PeerId>>) {
		let channel = topic_channel(topic).hash();
		let mut listeners = Vec::new();
		let mut groups: BTreeMap<String, Vec<PeerId>> = BTreeMap::new();
		for (peer, topics) in self.swarm.behaviour().gossip.all_peers() {
			if topics.contains(&&channel) {
				listeners.push(*peer);
			}
			for hash in topics {
				if let Some((marked, queue)) = parse_queue_marker(hash) {
					if marked == topic {
						groups.entry(queue).or_default().push(*peer);
					}
				}
			}
		}
		(listeners, groups)
	}

	/// Where a message published to `topic` now goes (see the module's documentation): the
	/// admitted nodes that subscribe, and for each queue group the node whose members get it.
	fn plan(&self, topic: &str) -> Plan {
		let admission = &self.shared.config.admission;
		let (listeners, mut remote_groups) = self.remote_interest(topic);
		for (group, peers) in remote_groups.iter_mut() {
			peers.retain(|peer| admission.admits(peer, topic, Some(group)));
		}
		let listeners: Vec<PeerId> = listeners
			.into_iter()
			.filter(|peer| {
				admission.admits(peer, topic, None)
					|| remote_groups.values().any(|peers| peers.contains(peer))
			})
			.collect();
		let (_, local_groups) = self.shared.broker.interest(topic);
		let queue_nodes = self.choose_queue_nodes(topic, &listeners, remote_groups, &local_groups);
		Plan {
			local: self.shared.local.to_string(),
			nodes: listeners.iter().map(PeerId::to_string).collect(),
			queue_nodes,
			unnamed_groups_here: true,
		}
	}

	/// Sends the outbox messages due now (all of `reconnected`'s, as it just came back) to
	/// their nodes if connected; each stays on disk until its node answers.
	fn send_outbox(&mut self, reconnected: Option<PeerId>) {
		let reconnected = reconnected.map(|p| p.to_string());
		let busy: std::collections::HashSet<String> = self
			.sending
			.values()
			.map(|(node, _)| node.clone())
			.chain(
				self.shared
					.broker
					.outbox_nodes()
					.into_iter()
					.filter(|node| node.parse().is_ok_and(|p| !self.swarm.is_connected(&p))),
			)
			.collect();
		// Room for the envelope around the batch.
		let max_bytes = self.shared.config.limits.max_body.saturating_sub(64 * 1024).max(1);
		let due = self.shared.broker.outbox_due(
			reconnected.as_deref(),
			&|node| busy.contains(node),
			max_bytes,
			SystemTime::now(),
		);
		for (node, batch) in due {
			let Ok(peer) = node.parse::<PeerId>() else { continue };
			let (sequences, publications): (Vec<u64>, Vec<Vec<u8>>) = batch.into_iter().unzip();
			let publications = Publications {
				publications: publications
					.iter()
					.filter_map(|p| Publication::decode(p.as_slice()).ok())
					.collect(),
			};
			let request = Message::call(
				&self.shared.unique_id(),
				BROKER_SERVICE,
				BROKER_DELIVER,
				publications.encode_to_vec(),
			);
			let id = self.swarm.behaviour_mut().calls.send_request(&peer, Ok(request.encode()));
			self.sending.insert(id, (node, sequences));
		}
	}

	/// Messages that went into an inbox while a remote subscriber was arriving go to the first
	/// admitted node that listens (a publish may store a message just after the node's
	/// subscription was heard of).
	fn hand_waiting_inboxes(&mut self) {
		for topic in self.shared.broker.inbox_topics() {
			let (listeners, _) = self.remote_interest(&topic);
			let admission = &self.shared.config.admission;
			if let Some(peer) = listeners.into_iter().find(|p| admission.admits(p, &topic, None)) {
				self.hand_inbox_to(peer, &topic);
			}
		}
	}

	/// `peer` subscribed to `topic`: if admitted, the messages waiting here for `topic` go to
	/// it (its subscribers and one member of each of its queue groups), and leave this node
	/// only when it acknowledges them.
	fn hand_inbox_to(&mut self, peer: PeerId, topic: &str) {
		let admission = &self.shared.config.admission;
		if self.shared.broker.inbox_len(topic) == 0 || !admission.admits(&peer, topic, None) {
			return;
		}
		let node = peer.to_string();
		if self.shared.broker.hand_inbox_to(&node, topic, SystemTime::now()) > 0 {
			self.send_outbox(Some(peer));
		}
	}

	/// The node each of `topic`'s queue groups gets the next message on, in turn among the
	/// nodes with members (`local_groups` are this node's).
	fn choose_queue_nodes(
		&self,
		topic: &str,
		listeners: &[PeerId],
		remote_groups: BTreeMap<String, Vec<PeerId>>,
		local_groups: &[String],
	) -> HashMap<String, String> {
		let local = self.shared.local.to_string();
		let mut candidates: BTreeMap<String, Vec<String>> = BTreeMap::new();
		for group in local_groups {
			candidates.entry(group.clone()).or_default().push(local.clone());
		}
		for (group, peers) in remote_groups {
			let entry = candidates.entry(group).or_default();
			entry.extend(peers.iter().filter(|p| listeners.contains(p)).map(|p| p.to_string()));
		}
		let mut turns = self.shared.queue_turns.lock().expect("not poisoned");
		let mut chosen = HashMap::new();
		for (group, mut nodes) in candidates {
			if nodes.is_empty() {
				continue;
			}
			nodes.sort();
			let turn = turns.entry((topic.to_owned(), group.clone())).or_default();
			chosen.insert(group, nodes[*turn % nodes.len()].clone());
			*turn = turn.wrapping_add(1);
		}
		chosen
	}

	fn event(&mut self, event: SwarmEvent<BehaviourEvent>) {
		match event {
			SwarmEvent::NewListenAddr { address, .. } => {
				let mut addresses = self.shared.addresses.lock().expect("not poisoned");
				if !addresses.contains(&address) {
					addresses.push(address);
				}
			}
			SwarmEvent::ConnectionEstablished { peer_id, num_established, .. } => {
				if self
					.shared
					.strikes
					.lock()
					.expect("not poisoned")
					.is_banned(&peer_id, Instant::now())
				{
					let _ = self.swarm.disconnect_peer_id(peer_id);
					return;
				}
				if num_established.get() == 1 {
					let own = serde_json::to_vec(&self.shared.refresh_own()).expect("serialises");
					let sync = Message::call(
						&self.shared.unique_id(),
						REGISTRY_SERVICE,
						REGISTRY_SYNC,
						own,
					);
					self.swarm.behaviour_mut().calls.send_request(&peer_id, Ok(sync.encode()));
				}
				if !self.bootstrapped {
					self.bootstrapped = true;
					let _ = self.swarm.behaviour_mut().kad.bootstrap();
				}
				if num_established.get() == 1 {
					self.send_outbox(Some(peer_id));
				}
			}
			SwarmEvent::ConnectionClosed { peer_id, num_established: 0, .. } => {
				self.rtts.remove(&peer_id);
				self.inbound.remove(&peer_id);
			}
			SwarmEvent::Behaviour(BehaviourEvent::Calls(event)) => self.call_event(event),
			SwarmEvent::Behaviour(BehaviourEvent::Gossip(gossipsub::Event::Message {
				message,
				..
			})) => {
				let topic = message.topic.as_str().to_owned();
				if topic == REGISTRY_TOPIC {
					let Some(source) = message.source else { return };
					let now = Instant::now();
					// Nothing from an unregistered or banned node is kept or dialled.
					if source == self.shared.local || !self.shared.heard(&source, now) {
						return;
					}
					let Ok(gossip) = serde_json::from_slice::<Gossip>(&message.data) else {
						self.shared.strike(&source, now);
						return;
					};
					let Some(addresses) = own_addresses(&source, &gossip.addresses) else {
						self.shared.strike(&source, now);
						return;
					};
					for address in addresses {
						self.swarm.add_peer_address(source, address);
					}
					if !self.swarm.is_connected(&source) {
						let _ = self.swarm.dial(DialOpts::peer_id(source).build());
					}
					let until = now + self.shared.config.registry_ttl;
					let peers = gossip
						.peers
						.into_iter()
						.filter(|peer| peer.parse::<PeerId>().is_ok())
						.take(MAX_ANNOUNCED_PEERS)
						.collect();
					self.shared.announced.lock().expect("not poisoned").insert(
						source.to_string(),
						(Announced { addresses: gossip.addresses, peers }, until),
					);
					self.shared.apply_from(&source, gossip.records);
				}
				// Publications travel on the call protocol, acknowledged: whatever arrives on
				// a topic's gossip channel is ignored.
			}
			SwarmEvent::Behaviour(BehaviourEvent::Gossip(gossipsub::Event::Subscribed {
				peer_id,
				topic,
			})) => {
				if let Some(topic) = topic.as_str().strip_prefix("mucp/topic/") {
					let topic = topic.to_owned();
					self.hand_inbox_to(peer_id, &topic);
				}
			}
			SwarmEvent::Behaviour(BehaviourEvent::Identify(identify::Event::Received {
				peer_id,
				info,
				..
			})) => {
				for address in info.listen_addrs {
					self.swarm.behaviour_mut().kad.add_address(&peer_id, address.clone());
					self.swarm.add_peer_address(peer_id, address);
				}
			}
			// Only registered nodes are dialled: a flood of identities makes no connections.
			SwarmEvent::Behaviour(BehaviourEvent::Kad(kad::Event::RoutingUpdated {
				peer, ..
			})) if peer != self.shared.local
				&& !self.swarm.is_connected(&peer)
				&& self.shared.config.authority.is_registered(&peer) =>
			{
				let _ = self.swarm.dial(DialOpts::peer_id(peer).build());
			}
			SwarmEvent::Behaviour(BehaviourEvent::Ping(ping::Event {
				peer,
				result: Ok(rtt),
				..
			})) => {
				self.rtts.insert(peer, rtt);
			}
			_ => {}
		}
	}

	fn call_event(&mut self, event: request_response::Event<Result<Vec<u8>, MicroError>, Vec<u8>>) {
		use request_response::{Event as E, Message as M};
		match event {
			E::Message { peer, message: M::Request { request, channel, .. } } => {
				self.swarm.behaviour_mut().strangers.active(&peer);
				// Each peer has a budget of calls served at once: past it a call is refused at
				// once, so one peer cannot run up tasks (and handlers) without bound.
				let budget = self.shared.config.max_inbound_per_peer;
				let permit = self
					.inbound
					.entry(peer)
					.or_insert_with(|| Arc::new(tokio::sync::Semaphore::new(budget)))
					.clone()
					.try_acquire_owned();
				let Ok(permit) = permit else {
					let error = MicroError::new(
						PROTOCOL,
						429,
						format!(
							"too many calls in flight from this peer: at most {budget} at once"
						),
					);
					let reply = Message::new(Vec::new()).with(header::ERROR, &error.to_json());
					let _ = self.swarm.behaviour_mut().calls.send_response(channel, reply.encode());
					return;
				};
				let shared = self.shared.clone();
				let responses = self.responses.0.clone();
				tokio::spawn(async move {
					let reply = shared.dispatch(peer, request).await;
					drop(permit);
					let _ = responses.send((channel, reply));
				});
			}
			E::Message { peer, message: M::Response { request_id, response } } => {
				if let Some((node, sequences)) = self.sending.remove(&request_id) {
					// Acknowledged only by a reply without an error; otherwise sent again later.
					let limits = self.shared.config.limits;
					let reply = crate::protocol::Envelope::decode(response.as_slice())
						.ok()
						.and_then(|envelope| Message::from_envelope(envelope, &limits).ok());
					if reply.is_some_and(|m| m.header(header::ERROR).is_none()) {
						for sequence in sequences {
							self.shared.broker.outbox_acked(&node, sequence);
						}
						// The next batch for that node, if any waits.
						self.send_outbox(None);
					}
					return;
				}
				match self.calls.remove(&request_id) {
					Some(reply) => {
						let _ = reply.send(Ok(response));
					}
					None => {
						// The answer to this node's registry sync.
						let Ok(envelope) = crate::protocol::Envelope::decode(response.as_slice())
						else {
							return;
						};
						if let Ok(records) = serde_json::from_slice::<Vec<Record>>(&envelope.body) {
							self.shared.apply_from(&peer, records);
						}
					}
				}
			}
			E::OutboundFailure { request_id, error, .. } => {
				self.sending.remove(&request_id);
				if let Some(reply) = self.calls.remove(&request_id) {
					let _ = reply.send(Err(error));
				}
			}
			E::InboundFailure { .. } | E::ResponseSent { .. } => {}
		}
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	async fn lone_peer(dir: &tempfile::TempDir) -> Peer {
		let mut config = PeerConfig::new(dir.path().join("broker.redb"));
		config.limits.max_body = 1024;
		config.limits.max_frame = 2048;
		Peer::start(config).await.unwrap()
	}

	fn echo() -> Service {
		Service::new("echo", "1.0.0")
			.call(Endpoint::new("Echo.Call", "Bytes", "Bytes"), |request| async move {
				Ok(request.body)
			})
			.call(Endpoint::new("Echo.Panic", "Bytes", "Bytes"), |_| async move {
				panic!("a handler's bug")
			})
			.stream(Endpoint::new("Echo.Stream", "Bytes", "Bytes"), |_, mut stream| async move {
				while let Some(Ok(message)) = stream.recv().await {
					let _ = stream.send(message.body).await;
				}
			})
	}

	#[tokio::test]
	async fn a_service_on_this_node_is_called_and_streamed_without_the_network() {
		let dir = tempfile::tempdir().unwrap();
		let peer = lone_peer(&dir).await;
		peer.serve(echo()).unwrap();
		let described = &peer.service("echo")[0].description;
		let endpoints: Vec<&str> = described.endpoints.iter().map(|e| e.name.as_str()).collect();
		assert_eq!(endpoints, vec!["Echo.Call", "Echo.Panic", "Echo.Stream"]);
		assert_eq!(described.endpoints[2].metadata.get("stream").map(String::as_str), Some("true"));

		let reply = peer.call("echo", "Echo.Call", br#"{"a":1}"#.to_vec()).await.unwrap();
		assert_eq!(reply.body, br#"{"a":1}"#);
		let panicked = peer.call("echo", "Echo.Panic", Vec::new()).await.unwrap_err();
		assert_eq!((panicked.code, panicked.detail.as_str()), (500, "the handler panicked"));
		let mut stream = peer.stream("echo", "Echo.Stream").await.unwrap();
		stream.send(b"\x0a\x01x".to_vec()).await.unwrap();
		assert_eq!(stream.recv().await.unwrap().unwrap().body, b"\x0a\x01x");
		stream.finish();
		assert!(stream.recv().await.is_none());
	}

	#[tokio::test]
	async fn bad_requests_get_precise_errors_and_nothing_else_breaks() {
		let dir = tempfile::tempdir().unwrap();
		let peer = lone_peer(&dir).await;
		peer.serve(echo()).unwrap();
		let too_big = peer.call("echo", "Echo.Call", vec![0x0a; 4096]).await.unwrap_err();
		assert_eq!(too_big.code, 413);
		let shared = peer.shared.clone();
		let local = peer.id();
		let garbage = shared.clone().dispatch(local, Ok(vec![0xff, 0xff, 0xff])).await;
		let error = garbage.error().unwrap().unwrap();
		assert_eq!(error.code, 400);
		assert!(error.detail.starts_with("malformed envelope"), "{error:?}");
		let stream_message = Message::stream("1", "s", "echo", "Echo.Call", Vec::new());
		let refused = shared.clone().dispatch(local, Ok(stream_message.encode())).await;
		assert_eq!(refused.error().unwrap().unwrap().code, 400);
		assert_eq!(refused.id(), Some("1"), "the error answers its request");
		let elsewhere = Message::call("2", "other", "Any.Thing", Vec::new());
		let not_here = shared.clone().dispatch(local, Ok(elsewhere.encode())).await;
		let error = not_here.error().unwrap().unwrap();
		assert_eq!((error.code, error.id.as_str()), (503, "other.Any.Thing"));
		let not_json = Message::call("3", "echo", "Echo.Call", b"\x0a".to_vec())
			.with(header::CONTENT_TYPE, "text/plain");
		let unsupported = shared.dispatch(local, Ok(not_json.encode())).await;
		assert_eq!(unsupported.error().unwrap().unwrap().code, 415);
		let reply = peer.call("echo", "Echo.Call", b"\x0a\x00".to_vec()).await.unwrap();
		assert_eq!(reply.body, b"\x0a\x00", "the peer still serves");
	}

	#[tokio::test]
	async fn records_from_strangers_or_naming_other_peers_are_refused_and_struck() {
		let dir = tempfile::tempdir().unwrap();
		let chain = Arc::new(crate::authority::Placements::default());
		let mut config = PeerConfig::new(dir.path().join("broker.redb"));
		config.authority = chain.clone();
		let peer = Peer::start(config).await.unwrap();
		let (node, stranger) = (PeerId::random(), PeerId::random());
		chain.place(node, "greeter", "1");
		let record = |about: PeerId, addresses: Vec<String>| Record {
			key: registry::Key {
				service: "greeter".into(),
				version: "1".into(),
				node: about.to_string(),
			},
			sequence: 1,
			ttl_ms: 30_000,
			registration: Some(Registration {
				service: Service::new("greeter", "1").description,
				node: registry::Node {
					id: about.to_string(),
					addresses,
					metadata: Default::default(),
				},
			}),
		};
		let shared = &peer.shared;
		assert_eq!(shared.apply_from(&stranger, vec![record(stranger, vec![])]), 1);
		assert_eq!(peer.registry_len(), 0, "nothing kept for an unregistered peer");
		let elsewhere = format!("/ip4/127.0.0.1/tcp/1/p2p/{stranger}");
		assert_eq!(shared.apply_from(&node, vec![record(node, vec![elsewhere])]), 1);
		assert_eq!(shared.apply_from(&node, vec![record(node, vec!["not an address".into()])]), 1);
		assert_eq!(peer.registry_len(), 0, "another peer's address, or none");
		let own = format!("/ip4/127.0.0.1/tcp/1/p2p/{node}");
		assert_eq!(shared.apply_from(&node, vec![record(node, vec![own])]), 0);
		assert_eq!(peer.service("greeter")[0].nodes[0].id, node.to_string());
		assert_eq!(shared.strikes.lock().unwrap().len(), 1, "the node's; none kept for strangers");
		chain.unplace(&node, "greeter", "1");
		shared.recheck(Instant::now());
		assert!(peer.service("greeter").is_empty(), "moved off on chain: dropped");
	}

	#[tokio::test]
	async fn tombstones_only_remove_what_their_node_registered() {
		let dir = tempfile::tempdir().unwrap();
		let chain = Arc::new(crate::authority::Placements::default());
		let mut config = PeerConfig::new(dir.path().join("broker.redb"));
		config.authority = chain.clone();
		let peer = Peer::start(config).await.unwrap();
		let node = PeerId::random();
		chain.place(node, "greeter", "1");
		let tombstone = |service: &str| Record {
			key: registry::Key {
				service: service.into(),
				version: "1".into(),
				node: node.to_string(),
			},
			sequence: 2,
			ttl_ms: 30_000,
			registration: None,
		};
		let shared = &peer.shared;
		// 256 removals of services the node never registered here: none is kept.
		let junk: Vec<Record> = (0..256).map(|n| tombstone(&format!("junk-{n}"))).collect();
		assert_eq!(shared.apply_from(&node, junk), 0);
		assert_eq!(peer.registry_len(), 0, "no tombstone kept for what was never held");
		let too_long = tombstone(&"x".repeat(registry::MAX_NAME_LEN + 1));
		let own = format!("/ip4/127.0.0.1/tcp/1/p2p/{node}");
		let registered = Record {
			sequence: 1,
			registration: Some(Registration {
				service: Service::new("greeter", "1").description,
				node: registry::Node {
					id: node.to_string(),
					addresses: vec![own],
					metadata: Default::default(),
				},
			}),
			..tombstone("greeter")
		};
		assert_eq!(shared.apply_from(&node, vec![registered]), 0);
		assert_eq!(peer.service("greeter").len(), 1);
		assert_eq!(shared.apply_from(&node, vec![tombstone("greeter"), too_long]), 0);
		assert!(peer.service("greeter").is_empty(), "its own registration is removed");
		assert_eq!(shared.strikes.lock().unwrap().len(), 0, "nothing refused");
	}

	#[tokio::test]
	async fn publishing_with_nobody_listening_stores_and_a_local_subscriber_drains() {
		let dir = tempfile::tempdir().unwrap();
		let peer = lone_peer(&dir).await;
		assert_eq!(peer.publish("news", "{}").await.unwrap(), Published::Stored);
		let mut subscription = peer.subscribe("news", None).unwrap();
		let delivery = subscription.next().await.unwrap();
		subscription.ack(&delivery).unwrap();
		assert_eq!(peer.publish("news", "{}").await.unwrap(), Published::Delivered(1));
		assert!(peer.subscribe("", None).is_err());
		let call = Message::call("9", "echo", "Echo.Call", Vec::new());
		assert_eq!(peer.publish_message(call).await.unwrap_err().code, 400);
	}

	#[tokio::test]
	async fn a_shared_peer_closes_gracefully_withdrawing_its_services() {
		let dir = tempfile::tempdir().unwrap();
		let peer = Arc::new(lone_peer(&dir).await);
		peer.serve(echo()).unwrap();
		assert_eq!(peer.service("echo").len(), 1);
		let closing = peer.clone();
		tokio::spawn(async move { closing.close().await }).await.unwrap();
		assert!(peer.service("echo").is_empty(), "withdrawn");
		assert_eq!(
			peer.call("echo", "Echo.Call", Vec::new()).await.unwrap_err().code,
			404,
			"no node runs it"
		);
	}
}
