//! A hostile peer among honest ones. Mallory is a raw libp2p swarm written here, built with the
//! same behaviour as a MUCP peer (`transport::build_swarm`), so it speaks the registry's gossip
//! and `Registry.Sync` exchange exactly, but says whatever it likes: records for services about
//! other nodes, for services the chain never placed on it, and floods of fresh identities. The
//! honest nodes (real [`Peer`]s) take the chain's word from an in-memory [`Placements`]: none of
//! the forgeries is believed or kept, and calls reach only the honest placement.

use std::{
	collections::HashMap,
	future::Future,
	sync::atomic::{AtomicBool, Ordering},
	time::{Duration, Instant},
};

use bytes::Bytes;
use futures::future::BoxFuture;

use futures::StreamExt;
use libp2p::{gossipsub, request_response, swarm::SwarmEvent, Swarm};
use mucp_offchain::{
	authority::Placements,
	link::{self, Budget, Responder, LINK_PROTOCOL},
	peer::{Keypair, Multiaddr, Peer, PeerConfig, PeerId, Service, MAX_LINKS_PER_PEER},
	protocol::{Limits, Message},
	registry::{Endpoint, Key, Node, Record, Registration, ServiceDescription},
	transport::{build_swarm, Behaviour, BehaviourEvent, TransportConfig, REGISTRY_TOPIC},
};
use std::sync::Arc;
use tempfile::TempDir;
use tokio::sync::{mpsc, oneshot};

/// How long anything that should happen is waited for.
const PATIENCE: Duration = Duration::from_secs(20);
/// What Mallory answers every call with.
const FORGED: &str = r#"{"greeting":"forged by mallory"}"#;

/// Waits until `check` holds, polling; panics with `what` after [`PATIENCE`].
async fn eventually<F, Fut>(what: &str, mut check: F)
where
	F: FnMut() -> Fut,
	Fut: Future<Output = bool>,
{
	let deadline = Instant::now() + PATIENCE;
	while !check().await {
		assert!(Instant::now() < deadline, "timed out waiting until {what}");
		tokio::time::sleep(Duration::from_millis(50)).await;
	}
}

fn description(name: &str, version: &str) -> ServiceDescription {
	ServiceDescription {
		name: name.into(),
		version: version.into(),
		endpoints: vec![Endpoint::new("Say.Hello", "HelloRequest", "HelloReply")],
		metadata: Default::default(),
	}
}

/// A record under `key` whose body says `service` runs on node `node` at `addresses`.
fn record(
	key: (&str, &str, PeerId),
	service: (&str, &str),
	node: PeerId,
	addresses: &[Multiaddr],
) -> Record {
	Record {
		key: Key { service: key.0.into(), version: key.1.into(), node: key.2.to_string() },
		sequence: u64::MAX / 2,
		ttl_ms: 60_000,
		registration: Some(Registration {
			service: description(service.0, service.1),
			node: Node {
				id: node.to_string(),
				addresses: addresses.iter().map(ToString::to_string).collect(),
				metadata: Default::default(),
			},
		}),
	}
}

fn greeter() -> Service {
	Service::new("greeter", "1.0.0")
		.call(Endpoint::new("Say.Hello", "HelloRequest", "HelloReply"), |_| async move {
			Ok(br#"{"greeting":"hello from honest"}"#.to_vec())
		})
}

/// What the test asks of a hostile swarm's task.
enum Order {
	/// Send `records` to `to` as a `Registry.Sync` call; done once it answered.
	Sync { to: PeerId, records: Vec<Record>, done: oneshot::Sender<Result<(), String>> },
	/// Gossip `data` on the registry topic.
	Gossip { data: Vec<u8>, done: oneshot::Sender<Result<(), String>> },
	/// Answer registry syncs with these records from now on.
	Answer(Vec<Record>),
	/// Take calls other than registry syncs from now on, and never answer them.
	Silent,
}

/// A hostile swarm: a fresh identity speaking the MUCP protocol, driven by its own task. It
/// answers every call with [`FORGED`], and registry syncs with what it is told to.
struct Hostile {
	id: PeerId,
	addresses: Vec<Multiaddr>,
	orders: mpsc::UnboundedSender<Order>,
	/// Whether calls are taken and never answered.
	silent: Arc<AtomicBool>,
	/// Opens streams to other peers, as many as Mallory likes.
	streams: libp2p_stream::Control,
	task: tokio::task::JoinHandle<()>,
	linking: tokio::task::JoinHandle<()>,
}

impl Drop for Hostile {
	fn drop(&mut self) {
		self.task.abort();
		self.linking.abort();
	}
}

/// Mallory's answers to the calls that come on links: [`FORGED`], or none at all.
struct Forger {
	silent: Arc<AtomicBool>,
}

impl Responder for Forger {
	fn respond(&self, _: PeerId, request: Bytes) -> BoxFuture<'static, Bytes> {
		let silent = self.silent.load(Ordering::SeqCst);
		Box::pin(async move {
			if silent {
				futures::future::pending::<()>().await;
			}
			let (request, _) = Message::decode(&request, &Limits::default()).unwrap();
			Bytes::from(Message::reply_to(&request, FORGED.as_bytes().to_vec()).encode())
		})
	}

	fn refuse(&self, _: PeerId, _: &Bytes, _: usize) -> Bytes {
		Bytes::new()
	}

	fn receive(&self, _: PeerId, _: Bytes) -> BoxFuture<'static, ()> {
		Box::pin(async {})
	}
}

impl Hostile {
	async fn start(keypair: Keypair, dial: &[Multiaddr]) -> Self {
		let config = TransportConfig {
			limits: Limits::default(),
			request_timeout: Duration::from_secs(5),
			idle_timeout: Duration::from_secs(60),
			heartbeat: Duration::from_millis(100),
			connections: Default::default(),
		};
		let mut swarm = build_swarm(keypair, config).unwrap();
		swarm.listen_on("/ip4/127.0.0.1/tcp/0".parse().unwrap()).unwrap();
		let id = *swarm.local_peer_id();
		let address = loop {
			if let SwarmEvent::NewListenAddr { address, .. } = swarm.select_next_some().await {
				break address.with(libp2p::multiaddr::Protocol::P2p(id));
			}
		};
		swarm
			.behaviour_mut()
			.gossip
			.subscribe(&gossipsub::IdentTopic::new(REGISTRY_TOPIC))
			.unwrap();
		for target in dial {
			if let Some(libp2p::multiaddr::Protocol::P2p(peer)) = target.iter().last() {
				swarm.add_peer_address(peer, target.clone());
			}
			swarm.dial(target.clone()).unwrap();
		}
		let streams = swarm.behaviour().streams.new_control();
		let mut incoming = swarm.behaviour().streams.new_control().accept(LINK_PROTOCOL).unwrap();
		let silent = Arc::new(AtomicBool::new(false));
		let forger: Arc<dyn Responder> = Arc::new(Forger { silent: silent.clone() });
		let linking = tokio::spawn(async move {
			while let Some((from, stream)) = incoming.next().await {
				let serving = link::serve(
					stream,
					from,
					forger.clone(),
					Budget::new(64),
					1 << 22,
					futures::future::pending(),
				);
				tokio::spawn(serving);
			}
		});
		let (orders, receiver) = mpsc::unbounded_channel();
		let task = tokio::spawn(drive(swarm, receiver));
		Self { id, addresses: vec![address], orders, silent, streams, task, linking }
	}

	/// Opens a link of its own to `to`, beside any others.
	async fn open_link(&self, to: PeerId) -> link::Link {
		let stream = self.streams.clone().open_stream(to, LINK_PROTOCOL).await.unwrap();
		link::Link::open(stream, 1 << 22)
	}

	/// Answers registry syncs with `records` from now on.
	fn answer_syncs_with(&self, records: Vec<Record>) {
		self.orders.send(Order::Answer(records)).unwrap();
	}

	/// Takes calls (other than registry syncs) from now on and never answers them.
	fn go_silent(&self) {
		self.silent.store(true, Ordering::SeqCst);
		self.orders.send(Order::Silent).unwrap();
	}

	/// Sends `records` to `to` in a `Registry.Sync` and waits for its answer: once it came,
	/// `to` has applied (or refused) them.
	/// Retried while the connection is still being made.
	async fn sync(&self, to: PeerId, records: Vec<Record>) {
		let deadline = Instant::now() + PATIENCE;
		loop {
			let (done, answer) = oneshot::channel();
			let records = records.clone();
			self.orders.send(Order::Sync { to, records, done }).unwrap();
			match answer.await.unwrap() {
				Ok(()) => return,
				Err(error) => assert!(Instant::now() < deadline, "the sync never went: {error}"),
			}
			tokio::time::sleep(Duration::from_millis(50)).await;
		}
	}

	/// Sends `records` to `to` in one `Registry.Sync`; its outcome.
	async fn sync_once(&self, to: PeerId, records: Vec<Record>) -> Result<(), String> {
		let (done, answer) = oneshot::channel();
		self.orders.send(Order::Sync { to, records, done }).unwrap();
		answer.await.unwrap()
	}

	/// Gossips `data` on the registry topic once a subscriber is known.
	async fn gossip(&self, data: Vec<u8>) {
		let deadline = Instant::now() + PATIENCE;
		loop {
			let (done, answer) = oneshot::channel();
			self.orders.send(Order::Gossip { data: data.clone(), done }).unwrap();
			match answer.await.unwrap() {
				Ok(()) => return,
				Err(error) => assert!(Instant::now() < deadline, "gossip never went out: {error}"),
			}
			tokio::time::sleep(Duration::from_millis(50)).await;
		}
	}
}

async fn drive(mut swarm: Swarm<Behaviour>, mut orders: mpsc::UnboundedReceiver<Order>) {
	let mut forged_records = Vec::new();
	let limits = Limits::default();
	let mut pending = HashMap::new();
	let mut next = 0u64;
	let (mut silent, mut unanswered) = (false, Vec::new());
	loop {
		tokio::select! {
			order = orders.recv() => match order {
				None => return,
				Some(Order::Sync { to, records, done }) => {
					next += 1;
					let body = serde_json::to_vec(&records).unwrap();
					let call = Message::call(&format!("sync-{next}"), "mucp.registry", "Registry.Sync", body);
					let id = swarm.behaviour_mut().calls.send_request(&to, Ok(call.encode()));
					pending.insert(id, done);
				}
				Some(Order::Answer(records)) => forged_records = records,
				Some(Order::Silent) => silent = true,
				Some(Order::Gossip { data, done }) => {
					let topic = gossipsub::IdentTopic::new(REGISTRY_TOPIC);
					let sent = swarm.behaviour_mut().gossip.publish(topic, data);
					let _ = done.send(sent.map(drop).map_err(|e| e.to_string()));
				}
			},
			event = swarm.select_next_some() => {
				use request_response::{Event as E, Message as M};
				let SwarmEvent::Behaviour(BehaviourEvent::Calls(event)) = event else { continue };
				match event {
					E::Message { message: M::Request { request, channel, .. }, .. } => {
						let Ok(Ok((request, _))) = request.map(|frame| Message::decode(&frame, &limits)) else { continue };
						let body = if request.header("Micro-Service") == Some("mucp.registry") {
							serde_json::to_vec(&forged_records).unwrap()
						} else if silent {
							unanswered.push(channel);
							continue;
						} else {
							FORGED.as_bytes().to_vec()
						};
						let reply = Message::reply_to(&request, body);
						let _ = swarm.behaviour_mut().calls.send_response(channel, reply.encode());
					}
					E::Message { message: M::Response { request_id, .. }, .. } => {
						if let Some(done) = pending.remove(&request_id) {
							let _ = done.send(Ok(()));
						}
					}
					E::OutboundFailure { request_id, error, .. } => {
						if let Some(done) = pending.remove(&request_id) {
							let _ = done.send(Err(error.to_string()));
						}
					}
					_ => {}
				}
			}
		}
	}
}

/// Honest H serving greeter, caller C, and what the chain says: H runs greeter 1.0.0, Mallory
/// is a registered node the chain placed `evil` 1.0.0 and 2.0.0 on, C runs nothing.
struct Honest {
	_dir: TempDir,
	placements: Arc<Placements>,
	server: Peer,
	caller: Peer,
}

async fn honest(mallory: PeerId) -> Honest {
	let dir = tempfile::tempdir().unwrap();
	let placements = Arc::new(Placements::default());
	let (server_key, caller_key) = (Keypair::generate_ed25519(), Keypair::generate_ed25519());
	let (server_id, caller_id) =
		(server_key.public().to_peer_id(), caller_key.public().to_peer_id());
	placements.place(server_id, "greeter", "1.0.0");
	placements.register(caller_id);
	placements.place(mallory, "evil", "1.0.0");
	placements.place(mallory, "evil", "2.0.0");
	let config = |name: &str, keypair: Keypair, bootstrap: Vec<Multiaddr>| {
		let mut config = PeerConfig::new(dir.path().join(format!("{name}.redb")));
		config.keypair = keypair;
		config.bootstrap = bootstrap;
		config.call_timeout = Duration::from_secs(2);
		config.authority = placements.clone();
		config
	};
	let server = Peer::start(config("server", server_key, vec![])).await.unwrap();
	server.serve(greeter()).unwrap();
	let caller = Peer::start(config("caller", caller_key, server.addresses())).await.unwrap();
	eventually("the caller hears of greeter on the server", || async {
		caller.service("greeter").iter().map(|s| s.nodes.len()).sum::<usize>() == 1
	})
	.await;
	Honest { _dir: dir, placements, server, caller }
}

/// Every (service, version, node) the registry of `peer` lists.
fn believed(peer: &Peer) -> Vec<(String, String, String)> {
	let mut all: Vec<(String, String, String)> = peer
		.services()
		.into_iter()
		.flat_map(|service| {
			let (name, version) = (service.description.name, service.description.version);
			service.nodes.into_iter().map(move |node| (name.clone(), version.clone(), node.id))
		})
		.collect();
	all.sort();
	all
}

/// Forgeries from `mallory` (at `mallory_at`) about itself and about `victim` (at
/// `victim_at`), and one honest record: `evil` 1.0.0 on Mallory, which the chain did place
/// there.
fn forgeries(
	mallory: PeerId,
	mallory_at: &[Multiaddr],
	victim: PeerId,
	victim_at: &[Multiaddr],
) -> Vec<Record> {
	vec![
		// A service the chain never placed on Mallory.
		record(("greeter", "1.0.0", mallory), ("greeter", "1.0.0"), mallory, mallory_at),
		// A record about another node: the victim "runs" greeter 2.0.0 at Mallory's address.
		record(("greeter", "2.0.0", mallory), ("greeter", "2.0.0"), victim, mallory_at),
		// Keyed for the victim outright.
		record(("greeter", "1.0.0", victim), ("greeter", "1.0.0"), victim, mallory_at),
		// A body that disagrees with its key: listed under greeter, keyed as evil 3.0.0.
		record(("evil", "3.0.0", mallory), ("greeter", "1.0.0"), mallory, mallory_at),
		// A version placed on Mallory, but at the victim's addresses.
		record(("evil", "2.0.0", mallory), ("evil", "2.0.0"), mallory, victim_at),
		// Mallory's one true record.
		record(("evil", "1.0.0", mallory), ("evil", "1.0.0"), mallory, mallory_at),
	]
}

fn honest_view(net: &Honest, mallory: PeerId) -> Vec<(String, String, String)> {
	let mut expected = vec![
		("evil".to_owned(), "1.0.0".to_owned(), mallory.to_string()),
		("greeter".to_owned(), "1.0.0".to_owned(), net.server.id().to_string()),
	];
	expected.sort();
	expected
}

/// Ten calls of greeter from the caller: every one must reach the honest server.
async fn calls_reach_only_the_honest_server(caller: &Peer) {
	for _ in 0..10 {
		let reply = caller.call("greeter", "Say.Hello", br#"{"name":"x"}"#.to_vec()).await.unwrap();
		assert_eq!(
			reply.json().unwrap()["greeting"],
			"hello from honest",
			"a call went to a node the chain never placed greeter on"
		);
	}
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_records_in_a_registry_sync_are_not_believed() {
	let mallory_key = Keypair::generate_ed25519();
	let net = honest(mallory_key.public().to_peer_id()).await;
	let targets: Vec<Multiaddr> =
		net.server.addresses().into_iter().chain(net.caller.addresses()).collect();
	let mallory = Hostile::start(mallory_key, &targets).await;
	let forged =
		forgeries(mallory.id, &mallory.addresses, net.server.id(), &net.server.addresses());
	// Mallory answers the honest nodes' own syncs with the forgeries too.
	mallory.answer_syncs_with(forged.clone());
	mallory.sync(net.server.id(), forged.clone()).await;
	mallory.sync(net.caller.id(), forged).await;
	for peer in [&net.server, &net.caller] {
		assert_eq!(believed(peer), honest_view(&net, mallory.id), "only the chain's placements");
	}
	calls_reach_only_the_honest_server(&net.caller).await;
	// Evil is believed as the chain placed it; once the chain moves it off Mallory, no call
	// goes there even before the record is dropped.
	let evil = net.caller.call("evil", "Say.Hello", br#"{}"#.to_vec()).await.unwrap();
	assert_eq!(evil.json().unwrap()["greeting"], "forged by mallory");
	net.placements.unplace(&mallory.id, "evil", "1.0.0");
	let gone = net.caller.call("evil", "Say.Hello", br#"{}"#.to_vec()).await.unwrap_err();
	assert_eq!((gone.code, gone.detail.as_str()), (404, "no node runs service `evil`"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_records_in_registry_gossip_are_not_believed() {
	let mallory_key = Keypair::generate_ed25519();
	let net = honest(mallory_key.public().to_peer_id()).await;
	let targets: Vec<Multiaddr> =
		net.server.addresses().into_iter().chain(net.caller.addresses()).collect();
	let mallory = Hostile::start(mallory_key, &targets).await;
	let forged =
		forgeries(mallory.id, &mallory.addresses, net.server.id(), &net.server.addresses());
	let gossip = serde_json::json!({
		"records": forged,
		"addresses": mallory.addresses.iter().map(ToString::to_string).collect::<Vec<_>>(),
		"peers": [],
	});
	mallory.gossip(serde_json::to_vec(&gossip).unwrap()).await;
	for peer in [&net.server, &net.caller] {
		// Mallory's one true record arrived in the same message as the forgeries.
		eventually("the gossip arrived", || async {
			peer.service("evil").iter().any(|s| !s.nodes.is_empty())
		})
		.await;
		assert_eq!(believed(peer), honest_view(&net, mallory.id), "only the chain's placements");
	}
	calls_reach_only_the_honest_server(&net.caller).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_identities_and_records_is_not_kept() {
	let mallory_key = Keypair::generate_ed25519();
	let net = honest(mallory_key.public().to_peer_id()).await;
	let server = net.server.id();
	let held_before = net.server.registry_len();
	// Fresh identities the chain never registered, each claiming greeter and 40 more services.
	for _ in 0..24 {
		let sybil = Hostile::start(Keypair::generate_ed25519(), &net.server.addresses()).await;
		let at = sybil.addresses.clone();
		let mut records =
			vec![record(("greeter", "1.0.0", sybil.id), ("greeter", "1.0.0"), sybil.id, &at)];
		for n in 0..40 {
			let name = format!("junk-{n}");
			records.push(record((&name, "1.0.0", sybil.id), (&name, "1.0.0"), sybil.id, &at));
		}
		sybil.sync(server, records).await;
	}
	// A registered node claiming 500 services the chain never placed on it.
	let mallory = Hostile::start(mallory_key, &net.server.addresses()).await;
	let at = mallory.addresses.clone();
	let mut records: Vec<Record> = (0..500)
		.map(|n| {
			let name = format!("junk-{n}");
			record((&name, "1.0.0", mallory.id), (&name, "1.0.0"), mallory.id, &at)
		})
		.collect();
	records.push(record(("evil", "1.0.0", mallory.id), ("evil", "1.0.0"), mallory.id, &at));
	mallory.sync(server, records).await;
	assert_eq!(believed(&net.server), honest_view(&net, mallory.id), "only the chain's placements");
	assert_eq!(net.server.registry_len(), held_before + 1, "nothing else is held");
	calls_reach_only_the_honest_server(&net.caller).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_registered_node_that_keeps_forging_is_ignored_and_disconnected() {
	let mallory_key = Keypair::generate_ed25519();
	let net = honest(mallory_key.public().to_peer_id()).await;
	let server = net.server.id();
	let mallory = Hostile::start(mallory_key, &net.server.addresses()).await;
	let at = mallory.addresses.clone();
	let forged = record(("greeter", "1.0.0", mallory.id), ("greeter", "1.0.0"), mallory.id, &at);
	for _ in 0..mucp_offchain::authority::STRIKE_LIMIT {
		mallory.sync(server, vec![forged.clone()]).await;
	}
	// Banned now: even its one true record is not heard, and its connection is closed.
	let honest_record = record(("evil", "1.0.0", mallory.id), ("evil", "1.0.0"), mallory.id, &at);
	let answered = tokio::time::timeout(
		Duration::from_secs(5),
		mallory.sync_once(server, vec![honest_record]),
	)
	.await;
	assert!(net.server.service("evil").is_empty(), "a banned node is not heard: {answered:?}");
	eventually("the server closes its connection to Mallory", || async {
		!net.server.connected().await.contains(&mallory.id)
	})
	.await;
	assert_eq!(
		believed(&net.server),
		vec![("greeter".to_owned(), "1.0.0".to_owned(), server.to_string())]
	);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn strangers_cannot_hold_the_connections_registered_nodes_need() {
	let dir = tempfile::tempdir().unwrap();
	let placements = Arc::new(Placements::default());
	let (server_key, caller_key) = (Keypair::generate_ed25519(), Keypair::generate_ed25519());
	placements.place(server_key.public().to_peer_id(), "greeter", "1.0.0");
	placements.register(caller_key.public().to_peer_id());
	let mut config = PeerConfig::new(dir.path().join("server.redb"));
	config.keypair = server_key;
	config.authority = placements.clone();
	// Room for 12 connections, 4 of them for strangers.
	config.connections.max_established = 12;
	config.connections.strangers.max_inbound = 4;
	let server = Peer::start(config).await.unwrap();
	server.serve(greeter()).unwrap();
	// Twelve identities the chain never registered dial the server, enough to fill every slot.
	let mut sybils = Vec::new();
	for _ in 0..12 {
		sybils.push(Hostile::start(Keypair::generate_ed25519(), &server.addresses()).await);
	}
	eventually("the server has met the strangers it admits", || async {
		server.connected().await.len() >= 4
	})
	.await;
	let mut config = PeerConfig::new(dir.path().join("caller.redb"));
	config.keypair = caller_key;
	config.bootstrap = server.addresses();
	config.call_timeout = Duration::from_secs(2);
	config.authority = placements.clone();
	let caller = Peer::start(config).await.unwrap();
	eventually("the registered caller connects and hears of greeter", || async {
		caller.service("greeter").iter().map(|s| s.nodes.len()).sum::<usize>() == 1
	})
	.await;
	calls_reach_only_the_honest_server(&caller).await;
	let strangers = server.connected().await.into_iter().filter(|p| *p != caller.id()).count();
	assert!(strangers <= 4, "{strangers} strangers connected");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_a_node_took_and_never_answered_is_not_run_again_elsewhere() {
	use std::sync::atomic::{AtomicUsize, Ordering};
	let mallory_key = Keypair::generate_ed25519();
	let net = honest(mallory_key.public().to_peer_id()).await;
	// The chain places greeter on Mallory too; Mallory takes calls and never answers them.
	net.placements.place(mallory_key.public().to_peer_id(), "greeter", "1.0.0");
	let runs = Arc::new(AtomicUsize::new(0));
	let counted = runs.clone();
	net.server
		.serve(Service::new("greeter", "1.0.0").call(
			Endpoint::new("Say.Hello", "HelloRequest", "HelloReply"),
			move |_| {
				let counted = counted.clone();
				async move {
					counted.fetch_add(1, Ordering::SeqCst);
					Ok(br#"{"greeting":"hello from honest"}"#.to_vec())
				}
			},
		))
		.unwrap();
	let mallory = Hostile::start(mallory_key, &net.caller.addresses()).await;
	mallory.go_silent();
	let at = mallory.addresses.clone();
	let own = record(("greeter", "1.0.0", mallory.id), ("greeter", "1.0.0"), mallory.id, &at);
	mallory.sync(net.caller.id(), vec![own]).await;
	eventually("the caller hears of greeter on both nodes", || async {
		net.caller.service("greeter").iter().map(|s| s.nodes.len()).sum::<usize>() == 2
	})
	.await;
	let (mut served, mut unanswered) = (0, Vec::new());
	for n in 0..4 {
		let options =
			mucp_offchain::peer::CallOptions { timeout: Duration::from_millis(700), retries: 2 };
		let request = Message::call(&format!("hello-{n}"), "greeter", "Say.Hello", b"{}".to_vec());
		match net.caller.call_with(request, options).await {
			Ok(reply) => {
				assert_eq!(reply.json().unwrap()["greeting"], "hello from honest");
				served += 1;
			}
			Err(error) => unanswered.push((error.code, error.detail)),
		}
	}
	assert!(!unanswered.is_empty(), "some call went to Mallory first");
	for (code, detail) in &unanswered {
		assert_eq!(*code, 408, "{detail}");
		assert!(detail.ends_with("so it was not retried elsewhere"), "{detail}");
	}
	assert_eq!(served + unanswered.len(), 4);
	assert_eq!(
		runs.load(Ordering::SeqCst),
		served,
		"the honest server ran only the calls it answered"
	);
}

/// A peer holds at most [`MAX_LINKS_PER_PEER`] links to a node at once (each is a task and
/// buffers there): the links past it are closed at once, those it holds keep being served, and
/// once it closes one it may open another.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_cannot_open_more_links_than_its_share() {
	let mallory_key = Keypair::generate_ed25519();
	let net = honest(mallory_key.public().to_peer_id()).await;
	let mallory = Hostile::start(mallory_key, &net.server.addresses()).await;
	let server = net.server.id();
	let hello = |n: usize| Message::call(&format!("m{n}"), "greeter", "Say.Hello", b"{}".to_vec());
	let answered = |reply: Bytes| {
		let (reply, _) = Message::decode(&reply, &Limits::default()).unwrap();
		assert_eq!(reply.body, br#"{"greeting":"hello from honest"}"#);
	};
	let mut held = Vec::new();
	for n in 0..MAX_LINKS_PER_PEER {
		let link = mallory.open_link(server).await;
		answered(link.request_bytes(&hello(n).encode()).await.unwrap());
		held.push(link);
	}
	for n in 0..3 {
		let extra = mallory.open_link(server).await;
		let refused = extra.request_bytes(&hello(100 + n).encode()).await;
		assert!(refused.is_err(), "a link past the share was served: {refused:?}");
	}
	for (n, link) in held.iter().enumerate() {
		answered(link.request_bytes(&hello(200 + n).encode()).await.unwrap());
	}
	held.pop().unwrap().close();
	let deadline = Instant::now() + PATIENCE;
	loop {
		let link = mallory.open_link(server).await;
		if link.request_bytes(&hello(300).encode()).await.is_ok() {
			break;
		}
		assert!(Instant::now() < deadline, "a link closed never made room for another");
		tokio::time::sleep(Duration::from_millis(50)).await;
	}
}
