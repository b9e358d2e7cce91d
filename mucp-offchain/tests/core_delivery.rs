//! Core (at-most-once) publishing across nodes, in-process peers on loopback:
//!
//! - a core message reaches a subscriber on another node, and nothing is stored on either;
//! - a queue group spread over two nodes gets each core message once;
//! - a stranger subscribing (plainly and in the group) gets no core message either;
//! - a `Publisher`'s pipelined core messages reach a subscriber on another node all, in order;
//! - the gateway's publish route publishes at most once with `Micro-Delivery: core`.

use std::{
	collections::BTreeSet,
	time::{Duration, Instant},
};

use mucp_offchain::{
	broker::{Admission, DeliveryMode, Published},
	peer::{Peer, PeerConfig, PublishOptions, Subscription},
	protocol::{header, Message},
};

const CORE: PublishOptions = PublishOptions { delivery: DeliveryMode::Core };

async fn start(dir: &tempfile::TempDir, name: &str, bootstrap: &[&Peer], admit: Admission) -> Peer {
	let mut config = PeerConfig::new(dir.path().join(format!("{name}.redb")));
	config.bootstrap = bootstrap.iter().flat_map(|peer| peer.addresses()).collect();
	config.call_timeout = Duration::from_secs(3);
	config.admission = admit;
	config.broker.subscriber_buffer = 4096;
	Peer::start(config).await.unwrap()
}

async fn poll_until(what: &str, mut check: impl AsyncFnMut() -> bool) {
	let deadline = Instant::now() + Duration::from_secs(30);
	while !check().await {
		assert!(Instant::now() < deadline, "timed out waiting until {what}");
		tokio::time::sleep(Duration::from_millis(20)).await;
	}
}

/// Everything already in `subscription`, as (publisher, id); each is a core delivery.
fn take(subscription: &mut Subscription, into: &mut Vec<(String, String)>) {
	while let Some(Some(delivery)) = futures::FutureExt::now_or_never(subscription.next()) {
		assert_eq!(delivery.mode, DeliveryMode::Core);
		let message = &delivery.message;
		into.push((
			message.header(header::PUBLISHER).unwrap_or_default().to_owned(),
			message.id().unwrap_or_default().to_owned(),
		));
		subscription.ack(&delivery).unwrap();
	}
}

fn ids(got: &[(String, String)]) -> Vec<String> {
	got.iter().map(|(_, id)| id.clone()).collect()
}

fn all_ids(count: usize) -> Vec<String> {
	(0..count).map(|n| format!("m-{n}")).collect()
}

async fn publish_core(peer: &Peer, topic: &str, n: usize) -> Published {
	let message = Message::publish(&format!("m-{n}"), topic, format!(r#"{{"n":{n}}}"#));
	peer.publish_with(message, CORE).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_core_message_reaches_another_node_and_nothing_is_stored() {
	let dir = tempfile::tempdir().unwrap();
	let a = start(&dir, "a", &[], Admission::default()).await;
	let b = start(&dir, "b", &[&a], Admission::default()).await;
	assert_eq!(publish_core(&a, "news", 0).await, Published::Dropped, "nobody listens yet");
	let mut subscription = b.subscribe("news", None).unwrap();
	poll_until("A sees B listen", async || a.listeners("news").await.len() == 1).await;
	for n in 0..20 {
		assert_eq!(publish_core(&a, "news", n).await, Published::Delivered(1));
	}
	let mut got = Vec::new();
	poll_until("B has them all", async || {
		take(&mut subscription, &mut got);
		got.len() >= 20
	})
	.await;
	assert_eq!(ids(&got), all_ids(20), "each once, in order");
	assert!(got.iter().all(|(publisher, _)| *publisher == a.id().to_string()));
	assert_eq!((a.outbox_len(&b.id()), a.inbox_len("news"), b.inbox_len("news")), (0, 0, 0));
	assert_eq!((a.core_dropped(), b.core_dropped()), (0, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_queue_group_over_two_nodes_gets_each_core_message_once() {
	let dir = tempfile::tempdir().unwrap();
	let a = start(&dir, "a", &[], Admission::default()).await;
	let b = start(&dir, "b", &[&a], Admission::default()).await;
	let c = start(&dir, "c", &[&a], Admission::default()).await;
	let mut worker_a = a.subscribe("jobs", Some("workers")).unwrap();
	let mut worker_b = b.subscribe("jobs", Some("workers")).unwrap();
	let mut worker_c = c.subscribe("jobs", Some("workers")).unwrap();
	poll_until("A sees B and C in the group", async || {
		let listeners = a.listeners("jobs").await;
		listeners.len() == 2 && listeners.iter().all(|(_, groups)| groups == &["workers"])
	})
	.await;
	for n in 0..30 {
		assert!(matches!(publish_core(&a, "jobs", n).await, Published::Delivered(_)));
	}
	let (mut by_a, mut by_b, mut by_c) = (Vec::new(), Vec::new(), Vec::new());
	poll_until("the group has all thirty", async || {
		take(&mut worker_a, &mut by_a);
		take(&mut worker_b, &mut by_b);
		take(&mut worker_c, &mut by_c);
		by_a.len() + by_b.len() + by_c.len() >= 30
	})
	.await;
	assert_eq!((by_a.len(), by_b.len(), by_c.len()), (10, 10, 10), "the nodes take turns");
	let shared: BTreeSet<String> =
		ids(&by_a).into_iter().chain(ids(&by_b)).chain(ids(&by_c)).collect();
	assert_eq!(shared, all_ids(30).into_iter().collect(), "each to exactly one member");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stranger_gets_no_core_message() {
	let dir = tempfile::tempdir().unwrap();
	let b = start(&dir, "b", &[], Admission::default()).await;
	let s = start(&dir, "s", &[&b], Admission::default()).await;
	let a = start(&dir, "a", &[&b], Admission::only([b.id()])).await;
	poll_until("A knows both", async || {
		a.network().await.nodes.iter().filter(|n| n.connected).count() == 3
	})
	.await;
	let mut s_plain = s.subscribe("secret", None).unwrap();
	let mut s_worker = s.subscribe("secret", Some("workers")).unwrap();
	poll_until("A sees the stranger listen", async || a.listeners("secret").await.len() == 1).await;
	assert_eq!(publish_core(&a, "secret", 0).await, Published::Dropped, "nobody admitted listens");
	let mut b_plain = b.subscribe("secret", None).unwrap();
	let mut b_worker = b.subscribe("secret", Some("workers")).unwrap();
	poll_until("A sees B listen, in the group too", async || {
		let listeners = a.listeners("secret").await;
		listeners.len() == 2
			&& listeners.iter().any(|(n, groups)| *n == b.id() && groups == &["workers"])
	})
	.await;
	for n in 1..=20 {
		assert_eq!(publish_core(&a, "secret", n).await, Published::Delivered(1), "B only");
	}
	let (mut plain, mut workers) = (Vec::new(), Vec::new());
	poll_until("B has every message, plainly and in the group", async || {
		take(&mut b_plain, &mut plain);
		take(&mut b_worker, &mut workers);
		plain.len() >= 20 && workers.len() >= 20
	})
	.await;
	let expected: Vec<String> = (1..=20).map(|n| format!("m-{n}")).collect();
	assert_eq!(ids(&plain), expected);
	assert_eq!(ids(&workers), expected, "B is the group's only admitted member");
	let (mut stolen, mut stolen_shares) = (Vec::new(), Vec::new());
	take(&mut s_plain, &mut stolen);
	take(&mut s_worker, &mut stolen_shares);
	assert_eq!((stolen.len(), stolen_shares.len()), (0, 0), "the stranger got {stolen:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pipelined_core_publishes_reach_another_node_all_in_order() {
	const COUNT: usize = 2_000;
	let dir = tempfile::tempdir().unwrap();
	let a = start(&dir, "a", &[], Admission::default()).await;
	let b = start(&dir, "b", &[&a], Admission::default()).await;
	let mut subscription = b.subscribe("feed", None).unwrap();
	poll_until("A sees B listen", async || a.listeners("feed").await.len() == 1).await;
	let mut publisher = a.publisher("feed", CORE).unwrap();
	let bodies: Vec<String> = (0..COUNT).map(|n| format!(r#"{{"n":{n}}}"#)).collect();
	for body in &bodies {
		assert_eq!(publisher.send(body.clone()).await.unwrap(), Published::Delivered(1));
	}
	publisher.flush().await.unwrap();
	let mut got = Vec::new();
	poll_until("B has them all", async || {
		while let Some(Some(delivery)) = futures::FutureExt::now_or_never(subscription.next()) {
			got.push(String::from_utf8_lossy(&delivery.message.body).into_owned());
		}
		got.len() >= COUNT
	})
	.await;
	assert_eq!(got, bodies, "all of them, in the order sent");
	assert_eq!((a.core_dropped(), b.core_dropped()), (0, 0));
}

/// `POST /_/publish/{topic}` with a JSON body and the header line `delivery` (if any) on the gateway
/// at `address`: the answer's status line and body.
async fn post_publish(address: std::net::SocketAddr, topic: &str, delivery: &str) -> String {
	use tokio::io::{AsyncReadExt, AsyncWriteExt};
	let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
	let body = r#"{"a":1}"#;
	let request = format!(
		"POST /_/publish/{topic} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n{delivery}\
		 Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
		body.len()
	);
	stream.write_all(request.as_bytes()).await.unwrap();
	let mut answer = Vec::new();
	tokio::time::timeout(Duration::from_secs(30), stream.read_to_end(&mut answer))
		.await
		.expect("the gateway answers")
		.unwrap();
	String::from_utf8_lossy(&answer).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_gateway_publishes_at_most_once_when_asked() {
	use mucp_offchain::gateway::{Gateway, GatewayConfig};
	let dir = tempfile::tempdir().unwrap();
	let peer = std::sync::Arc::new(start(&dir, "g", &[], Admission::default()).await);
	let config =
		GatewayConfig { listen: "127.0.0.1:0".parse().unwrap(), ..GatewayConfig::default() };
	let gateway = Gateway::start(peer.clone(), config).await.unwrap();
	let core = "Micro-Delivery: core\r\n";
	let dropped = post_publish(gateway.address(), "news", core).await;
	assert!(dropped.starts_with("HTTP/1.1 202"), "{dropped}");
	assert!(dropped.contains(r#""dropped":true"#), "{dropped}");
	assert_eq!(peer.inbox_len("news"), 0, "nothing stored");
	let mut subscription = peer.subscribe("news", None).unwrap();
	let delivered = post_publish(gateway.address(), "news", core).await;
	assert!(delivered.contains(r#""delivered":1"#), "{delivered}");
	let delivery = subscription.next().await.unwrap();
	assert_eq!(
		(delivery.mode, delivery.message.body.as_slice()),
		(DeliveryMode::Core, &br#"{"a":1}"#[..])
	);
	let refused = post_publish(gateway.address(), "news", "Micro-Delivery: maybe\r\n").await;
	assert!(refused.starts_with("HTTP/1.1 400"), "{refused}");
	// Without the header it is durable, as before.
	drop(subscription);
	let stored = post_publish(gateway.address(), "news", "").await;
	assert!(stored.contains(r#""stored":true"#), "{stored}");
	assert_eq!(peer.inbox_len("news"), 1);
}
