//! Three MUCP peers on loopback in one process, talking over real libp2p connections: calls,
//! streams, publish with and without queue groups, the inbox, a broker restart, and registry
//! expiry after a node is killed.

use std::{
	collections::BTreeSet,
	future::Future,
	time::{Duration, Instant},
};

use mucp_offchain::{
	broker::Published,
	peer::{Keypair, Peer, PeerConfig, Service, Subscription},
	protocol::MicroError,
	registry::Endpoint,
};
use tempfile::TempDir;

/// How long registrations live in these tests.
const TTL: Duration = Duration::from_secs(3);
/// How long anything that should happen is waited for.
const PATIENCE: Duration = Duration::from_secs(20);

fn config(dir: &TempDir, name: &str, bootstrap: &[&Peer]) -> PeerConfig {
	let mut config = PeerConfig::new(dir.path().join(format!("{name}.redb")));
	config.registry_ttl = TTL;
	config.call_timeout = Duration::from_secs(2);
	config.bootstrap = bootstrap.iter().flat_map(|peer| peer.addresses()).collect();
	// No chain here: every peer is believed.
	config.authority = mucp_offchain::authority::trust_all();
	config
}

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

struct Net {
	dir: TempDir,
	a: Peer,
	b: Peer,
	c: Peer,
}

/// A, then B and C joining through A; returns once each is connected to the other two
/// (B and C find each other through kademlia and gossip).
async fn three_peers() -> Net {
	let dir = tempfile::tempdir().unwrap();
	let a = Peer::start(config(&dir, "a", &[])).await.unwrap();
	let b = Peer::start(config(&dir, "b", &[&a])).await.unwrap();
	let c = Peer::start(config(&dir, "c", &[&a])).await.unwrap();
	for peer in [&a, &b, &c] {
		eventually("every peer is connected to the other two", || async {
			peer.network().await.nodes.iter().filter(|n| n.connected).count() == 3
		})
		.await;
	}
	Net { dir, a, b, c }
}

fn greeter(name: &'static str) -> Service {
	Service::new("greeter", "1.0.0").call(
		Endpoint::new("Say.Hello", "HelloRequest", "HelloReply"),
		move |request| async move {
			let json = request.json()?;
			let who = json["name"]
				.as_str()
				.ok_or_else(|| MicroError::bad_request("greeter.Say.Hello", "`name` is missing"))?;
			Ok(format!(r#"{{"greeting":"Hello, {who}, from {name}"}}"#).into_bytes())
		},
	)
}

async fn sees_service(peer: &Peer, service: &str, nodes: usize) -> bool {
	peer.service(service).iter().map(|s| s.nodes.len()).sum::<usize>() == nodes
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_crosses_peers_and_moves_to_another_node_when_one_dies() {
	let Net { a, b, c, dir: _dir } = three_peers().await;
	b.serve(greeter("b")).unwrap();
	eventually("A hears of greeter on B", || sees_service(&a, "greeter", 1)).await;

	let reply = a.call("greeter", "Say.Hello", br#"{"name":"Alice"}"#.to_vec()).await.unwrap();
	assert_eq!(reply.json().unwrap()["greeting"], "Hello, Alice, from b");
	assert_eq!(reply.header("Micro-Service"), Some("greeter"));
	assert_eq!(reply.header("Content-Type"), Some("application/json"));

	let refused = a.call("greeter", "Say.Hello", br#"{"nom":"Alice"}"#.to_vec()).await.unwrap_err();
	assert_eq!((refused.code, refused.detail.as_str()), (400, "`name` is missing"));
	let missing = a.call("greeter", "Say.Goodbye", br#"{}"#.to_vec()).await.unwrap_err();
	assert_eq!(missing.code, 404);
	assert_eq!(missing.detail, "service `greeter` has no endpoint `Say.Goodbye` of this kind");
	let unknown = a.call("nobody", "Say.Hello", br#"{}"#.to_vec()).await.unwrap_err();
	assert_eq!((unknown.code, unknown.detail.as_str()), (404, "no node runs service `nobody`"));

	c.serve(greeter("c")).unwrap();
	eventually("A hears of greeter on C", || sees_service(&a, "greeter", 2)).await;
	let mut answered = BTreeSet::new();
	for _ in 0..4 {
		let reply = a.call("greeter", "Say.Hello", br#"{"name":"Bob"}"#.to_vec()).await.unwrap();
		answered.insert(reply.json().unwrap()["greeting"].as_str().unwrap().to_owned());
	}
	assert_eq!(answered.len(), 2, "round robin reaches both nodes: {answered:?}");

	b.kill();
	assert!(sees_service(&a, "greeter", 2).await, "A does not know yet");
	for _ in 0..4 {
		let reply = a.call("greeter", "Say.Hello", br#"{"name":"Carol"}"#.to_vec()).await.unwrap();
		assert_eq!(reply.json().unwrap()["greeting"], "Hello, Carol, from c");
	}
	let view = a.network().await;
	let b_route = view.routes_to("greeter").last().unwrap();
	assert!(b_route.metric >= 10_000_000, "the dead node is ranked last: {view:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_carries_messages_both_ways() {
	let Net { a, c, dir: _dir, .. } = three_peers().await;
	let shouter = Service::new("shouter", "1.0.0").stream(
		Endpoint::new("Shout.Back", "Text", "Text"),
		|_opening, mut stream| async move {
			stream.send(br#"{"text":"ready"}"#.to_vec()).await.unwrap();
			while let Some(Ok(message)) = stream.recv().await {
				let text = message.json().unwrap()["text"].as_str().unwrap().to_uppercase();
				stream.send(format!(r#"{{"text":"{text}"}}"#).into_bytes()).await.unwrap();
			}
			stream.send(br#"{"text":"bye"}"#.to_vec()).await.unwrap();
		},
	);
	c.serve(shouter).unwrap();
	eventually("A hears of shouter", || sees_service(&a, "shouter", 1)).await;

	let mut stream = a.stream("shouter", "Shout.Back").await.unwrap();
	let stream_id = stream.id().to_owned();
	let text = |message: mucp_offchain::protocol::Message| {
		assert_eq!(message.header("Micro-Stream"), Some(stream_id.as_str()), "the stream's id");
		message.json().unwrap()["text"].as_str().unwrap().to_owned()
	};
	assert_eq!(text(stream.recv().await.unwrap().unwrap()), "ready");
	for word in ["one", "two", "three"] {
		stream.send(format!(r#"{{"text":"{word}"}}"#).into_bytes()).await.unwrap();
		assert_eq!(text(stream.recv().await.unwrap().unwrap()), word.to_uppercase());
	}
	stream.finish();
	assert_eq!(text(stream.recv().await.unwrap().unwrap()), "bye");
	assert!(stream.recv().await.is_none(), "the server finished too");

	let missing = a.stream("shouter", "Shout.Louder").await.err().unwrap();
	assert_eq!(missing.code, 404);
}

/// Every delivery waiting on `subscription` now, acknowledged, as message ids.
async fn drain(subscription: &mut Subscription, quiet: Duration) -> Vec<String> {
	let mut ids = Vec::new();
	while let Ok(Some(delivery)) = tokio::time::timeout(quiet, subscription.next()).await {
		subscription.ack(&delivery).unwrap();
		ids.push(delivery.message.id().unwrap().to_owned());
	}
	ids
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queue_groups_share_messages_and_plain_subscribers_get_them_all() {
	let Net { a, b, c, dir: _dir } = three_peers().await;
	let mut worker_b = b.subscribe("orders", Some("workers")).unwrap();
	let mut worker_c = c.subscribe("orders", Some("workers")).unwrap();
	let mut watcher_b = b.subscribe("orders", None).unwrap();
	let mut watcher_c = c.subscribe("orders", None).unwrap();
	eventually("A knows both nodes' subscriptions", || async {
		let listeners = a.listeners("orders").await;
		listeners.len() == 2 && listeners.iter().all(|(_, groups)| groups == &["workers"])
	})
	.await;

	let mut published = BTreeSet::new();
	for n in 0..20 {
		let id = format!("order-{n}");
		let message =
			mucp_offchain::protocol::Message::publish(&id, "orders", format!(r#"{{"n":{n}}}"#));
		assert_eq!(a.publish_message(message).await.unwrap(), Published::Delivered(2));
		published.insert(id);
	}
	let quiet = Duration::from_millis(1500);
	let (by_b, by_c) = (drain(&mut worker_b, quiet).await, drain(&mut worker_c, quiet).await);
	assert_eq!(by_b.len(), 10, "the group takes turns: {by_b:?}");
	assert_eq!(by_c.len(), 10, "the group takes turns: {by_c:?}");
	let shared: BTreeSet<String> = by_b.iter().chain(&by_c).cloned().collect();
	assert_eq!(shared, published, "each message to exactly one member");
	for watcher in [&mut watcher_b, &mut watcher_c] {
		let seen: BTreeSet<String> = drain(watcher, quiet).await.into_iter().collect();
		assert_eq!(seen, published, "a subscriber without a queue gets every message");
	}

	let again = mucp_offchain::protocol::Message::publish("order-0", "orders", "{}");
	assert_eq!(a.publish_message(again).await.unwrap(), Published::Duplicate);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_inbox_waits_for_a_late_subscriber_on_another_node() {
	let Net { a, c, dir: _dir, .. } = three_peers().await;
	for n in 0..3 {
		assert_eq!(a.publish("late", format!(r#"{{"n":{n}}}"#)).await.unwrap(), Published::Stored);
	}
	assert_eq!(a.inbox_len("late"), 3);

	let mut late = c.subscribe("late", None).unwrap();
	let mut bodies = Vec::new();
	for _ in 0..3 {
		let delivery = tokio::time::timeout(PATIENCE, late.next()).await.unwrap().unwrap();
		late.ack(&delivery).unwrap();
		bodies.push(String::from_utf8(delivery.message.body).unwrap());
	}
	assert_eq!(bodies, vec![r#"{"n":0}"#, r#"{"n":1}"#, r#"{"n":2}"#], "in order");
	assert_eq!(a.inbox_len("late"), 0, "the inbox was emptied");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stored_message_survives_a_broker_restart() {
	let dir = tempfile::tempdir().unwrap();
	let keypair = Keypair::generate_ed25519();
	let mut first = config(&dir, "restarting", &[]);
	first.keypair = keypair.clone();
	let peer = Peer::start(first).await.unwrap();
	assert_eq!(peer.publish("audit", r#"{"entry":1}"#).await.unwrap(), Published::Stored);
	peer.shutdown().await;

	let mut again = config(&dir, "restarting", &[]);
	again.keypair = keypair;
	let peer = Peer::start(again).await.unwrap();
	assert_eq!(peer.inbox_len("audit"), 1, "the inbox came back from disk");
	let joiner = Peer::start(config(&dir, "joiner", &[&peer])).await.unwrap();
	let mut subscription = joiner.subscribe("audit", None).unwrap();
	let delivery = tokio::time::timeout(PATIENCE, subscription.next()).await.unwrap().unwrap();
	assert_eq!(delivery.message.body, br#"{"entry":1}"#);
	subscription.ack(&delivery).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_nodes_registrations_expire_on_every_peer() {
	let Net { a, b, c, dir: _dir } = three_peers().await;
	c.serve(greeter("c")).unwrap();
	b.serve(Service::new("polite", "1.0.0")).unwrap();
	for peer in [&a, &b] {
		eventually("greeter on C is known everywhere", || sees_service(peer, "greeter", 1)).await;
	}
	eventually("polite on B is known to A", || sees_service(&a, "polite", 1)).await;

	let killed = Instant::now();
	c.kill();
	tokio::time::sleep(TTL / 2).await;
	assert!(sees_service(&a, "greeter", 1).await, "not before its TTL");
	for peer in [&a, &b] {
		eventually("greeter expires", || async { peer.service("greeter").is_empty() }).await;
	}
	let gone_after = killed.elapsed();
	assert!(gone_after <= TTL + Duration::from_secs(2), "expired on time: {gone_after:?}");

	let upgraded = Instant::now();
	b.serve(Service::new("polite", "2.0.0")).unwrap();
	eventually("a new version replaces the old one everywhere", || async {
		let versions: Vec<String> =
			a.service("polite").into_iter().map(|s| s.description.version).collect();
		versions == ["2.0.0"]
	})
	.await;
	assert!(upgraded.elapsed() < TTL, "the old version's tombstone was gossiped");

	let left = Instant::now();
	b.shutdown().await;
	eventually("a graceful leave is heard at once", || async { a.service("polite").is_empty() })
		.await;
	assert!(left.elapsed() < TTL, "before the TTL would have run out");
}
