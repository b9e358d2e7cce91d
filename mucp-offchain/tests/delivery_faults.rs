//! Delivery that survives faults: real nodes in their own processes, killed with SIGKILL
//! mid-burst and started again on the same store, and strangers trying to take messages.
//!
//! - a publisher killed while it holds messages for a remote subscriber: every publish it
//!   acknowledged reaches the subscriber once it is back;
//! - a queue-group member's node killed mid-burst: the group gets every message;
//! - a subscriber's node killed mid-burst: once back it gets everything it had not
//!   acknowledged;
//! - a stranger subscribing to a topic and its queue group gets nothing not meant for it, and
//!   cannot make another publisher's ids look like duplicates;
//! - a gateway event-stream client gone mid-burst resumes after its `Last-Event-ID` and gets
//!   every event it had not received, once, in order;
//! - a pipelining durable publisher much faster than its listener on another node loses
//!   nothing to the listener's outbox limit: it waits for room.
//!
//! Counts are exact: every acknowledged publish is received (at least once; duplicates are
//! allowed by at-least-once and counted apart), and nothing is received that was not
//! published.

#[path = "support/nodes.rs"]
mod nodes;

use std::{
	collections::BTreeSet,
	time::{Duration, Instant},
};

use mucp_offchain::{
	broker::{Admission, DeliveryMode, Published},
	gateway::{Gateway, GatewayConfig},
	peer::{Peer, PeerConfig, PublishOptions, Subscription},
	protocol::{header, Message},
};
use nodes::{distinct, eventually, Node, Role};
use tokio::{
	io::{AsyncReadExt, AsyncWriteExt},
	net::TcpStream,
};

/// The test the node processes run.
const CHILD: &str = "child_node";

/// Not a test: the body of the node processes the tests start (see `support/nodes.rs`).
#[test]
#[ignore = "run by the tests below in their child processes"]
fn child_node() {
	nodes::child_main();
}

fn all_ids(count: usize) -> BTreeSet<String> {
	(0..count).map(|n| format!("m-{n}")).collect()
}

/// Asserts `received` holds every id of `acknowledged` and nothing never published.
fn assert_exact(acknowledged: &BTreeSet<String>, received: &[String], count: usize) {
	let got = distinct(received);
	let missing: Vec<_> = acknowledged.difference(&got).collect();
	assert!(missing.is_empty(), "{} acknowledged publishes lost: {missing:?}", missing.len());
	let published = all_ids(count);
	let invented: Vec<_> = got.difference(&published).collect();
	assert!(invented.is_empty(), "received what was never published: {invented:?}");
}

#[test]
fn a_publisher_killed_while_holding_messages_delivers_them_all_after_a_restart() {
	let dir = tempfile::tempdir().unwrap();
	const COUNT: usize = 400;
	let subscriber = Role::new("subscriber", 2, dir.path(), "audit");
	let mut publisher = Role::new("publisher", 1, dir.path(), "audit");
	publisher.bootstrap = vec![subscriber.address()];
	publisher.count = COUNT;
	publisher.listeners = 1;
	let _b = Node::start(&subscriber, CHILD);
	let a = Node::start(&publisher, CHILD);
	eventually(
		"the publisher is mid-burst",
		|| publisher.published().len() >= 40,
		|| format!("{} published", publisher.published().len()),
	);
	a.kill();
	let acknowledged = distinct(&publisher.published());
	assert!(acknowledged.len() < COUNT, "killed before it finished");
	// Back on the same store, key and port, publishing nothing new.
	let mut again = publisher.clone();
	again.kind = "relay";
	let _a = Node::start(&again, CHILD);
	eventually(
		"the subscriber has every acknowledged publish",
		|| distinct(&subscriber.received()).is_superset(&acknowledged),
		|| format!("{} of {}", distinct(&subscriber.received()).len(), acknowledged.len()),
	);
	assert_exact(&acknowledged, &subscriber.received(), COUNT);
}

#[test]
fn a_queue_group_gets_every_message_when_a_members_node_is_killed_mid_burst() {
	let dir = tempfile::tempdir().unwrap();
	const COUNT: usize = 400;
	let mut publisher = Role::new("publisher", 1, dir.path(), "orders");
	publisher.count = COUNT;
	publisher.listeners = 2;
	let mut b = Role::new("subscriber", 2, dir.path(), "orders");
	let mut c = Role::new("subscriber", 3, dir.path(), "orders");
	for member in [&mut b, &mut c] {
		member.queue = Some("workers".into());
		member.bootstrap = vec![publisher.address()];
	}
	let _a = Node::start(&publisher, CHILD);
	let _b = Node::start(&b, CHILD);
	let c_node = Node::start(&c, CHILD);
	let both = || [b.received(), c.received()].concat();
	eventually(
		"the members are mid-burst",
		|| c.received().len() >= 20,
		|| format!("b {} c {}", b.received().len(), c.received().len()),
	);
	c_node.kill();
	let _c = Node::start(&c, CHILD);
	eventually(
		"every message is published",
		|| publisher.published().len() == COUNT,
		|| format!("{} published", publisher.published().len()),
	);
	let acknowledged = distinct(&publisher.published());
	eventually(
		"the group has every message",
		|| distinct(&both()).is_superset(&acknowledged),
		|| format!("{} of {}", distinct(&both()).len(), acknowledged.len()),
	);
	assert_exact(&acknowledged, &both(), COUNT);
}

#[test]
fn a_subscriber_killed_mid_burst_gets_everything_it_had_not_acknowledged_once_back() {
	let dir = tempfile::tempdir().unwrap();
	const COUNT: usize = 400;
	let mut publisher = Role::new("publisher", 1, dir.path(), "feed");
	publisher.count = COUNT;
	publisher.listeners = 1;
	let mut subscriber = Role::new("subscriber", 2, dir.path(), "feed");
	subscriber.bootstrap = vec![publisher.address()];
	let _a = Node::start(&publisher, CHILD);
	let b = Node::start(&subscriber, CHILD);
	eventually(
		"the subscriber is mid-burst",
		|| subscriber.received().len() >= 40,
		|| format!("{} received", subscriber.received().len()),
	);
	b.kill();
	let before = subscriber.received().len();
	assert!(before < COUNT, "killed before the end of the burst");
	let _b = Node::start(&subscriber, CHILD);
	eventually(
		"every message is published",
		|| publisher.published().len() == COUNT,
		|| format!("{} published", publisher.published().len()),
	);
	let acknowledged = distinct(&publisher.published());
	eventually(
		"the subscriber has every message",
		|| distinct(&subscriber.received()).is_superset(&acknowledged),
		|| format!("{} of {}", distinct(&subscriber.received()).len(), acknowledged.len()),
	);
	assert_exact(&acknowledged, &subscriber.received(), COUNT);
}

/// In-process peers (nothing is killed here).
async fn start(dir: &tempfile::TempDir, name: &str, bootstrap: &[&Peer], admit: Admission) -> Peer {
	let mut config = PeerConfig::new(dir.path().join(format!("{name}.redb")));
	config.bootstrap = bootstrap.iter().flat_map(|peer| peer.addresses()).collect();
	config.call_timeout = Duration::from_secs(3);
	config.admission = admit;
	Peer::start(config).await.unwrap()
}

async fn poll_until(what: &str, mut check: impl AsyncFnMut() -> bool) {
	let deadline = Instant::now() + Duration::from_secs(30);
	while !check().await {
		assert!(Instant::now() < deadline, "timed out waiting until {what}");
		tokio::time::sleep(Duration::from_millis(50)).await;
	}
}

/// Everything already in `subscription` (acknowledged), as (publisher, id).
fn take(subscription: &mut Subscription, into: &mut Vec<(String, String)>) {
	while let Some(Some(delivery)) = futures::FutureExt::now_or_never(subscription.next()) {
		let message = &delivery.message;
		into.push((
			message.header(header::PUBLISHER).unwrap_or_default().to_owned(),
			message.id().unwrap_or_default().to_owned(),
		));
		subscription.ack(&delivery).unwrap();
	}
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stranger_gets_nothing_not_meant_for_it_and_cannot_poison_ids() {
	let dir = tempfile::tempdir().unwrap();
	// B and the stranger S first, so A can name B as the only node it admits.
	let b = start(&dir, "b", &[], Admission::default()).await;
	let s = start(&dir, "s", &[&b], Admission::default()).await;
	let a = start(&dir, "a", &[&b], Admission::only([b.id()])).await;
	poll_until("A knows both", async || {
		a.network().await.nodes.iter().filter(|n| n.connected).count() == 3
	})
	.await;
	// Stored at A while nobody listens anywhere.
	for n in 0..10 {
		let message = Message::publish(&format!("m-{n}"), "secret", format!(r#"{{"n":{n}}}"#));
		assert_eq!(a.publish_message(message).await.unwrap(), Published::Stored);
	}
	// The stranger subscribes first, plainly and in the queue group.
	let mut s_plain = s.subscribe("secret", None).unwrap();
	let mut s_worker = s.subscribe("secret", Some("workers")).unwrap();
	poll_until("A sees the stranger listen", async || !a.listeners("secret").await.is_empty())
		.await;
	assert_eq!(a.inbox_len("secret"), 10, "the inbox is not handed to a stranger");
	assert_eq!(a.outbox_len(&s.id()), 0);
	// The stranger publishes the ids it expects A to use, to B's topic.
	let mut b_plain = b.subscribe("secret", None).unwrap();
	let mut b_worker = b.subscribe("secret", Some("workers")).unwrap();
	poll_until("the inbox goes to B", async || a.inbox_len("secret") == 0).await;
	for n in 10..20 {
		let poison = Message::publish(&format!("m-{n}"), "secret", r#"{"poison":true}"#);
		s.publish_message(poison).await.unwrap();
	}
	poll_until("A sees B listen", async || a.listeners("secret").await.len() == 2).await;
	for n in 10..20 {
		let message = Message::publish(&format!("m-{n}"), "secret", format!(r#"{{"n":{n}}}"#));
		assert!(matches!(a.publish_message(message).await.unwrap(), Published::Delivered(_)));
	}
	let a_id = a.id().to_string();
	let (mut plain, mut workers) = (Vec::new(), Vec::new());
	let by = |publisher: &str, got: &[(String, String)]| -> BTreeSet<String> {
		got.iter().filter(|(p, _)| p == publisher).map(|(_, id)| id.clone()).collect()
	};
	let from_a = |got: &[(String, String)]| by(&a_id, got);
	// The ten from A's inbox go to the listeners B has when they arrive there, and B's two
	// subscribe one after the other: if this thread is descheduled between them (as under
	// load), the inbox reaches B before its group member and only its plain subscriber gets
	// those ten. Every later message reaches both.
	let live: BTreeSet<String> = (10..20).map(|n| format!("m-{n}")).collect();
	let s_id = s.id().to_string();
	let from_s = |got: &[(String, String)]| by(&s_id, got);
	let deadline = Instant::now() + Duration::from_secs(30);
	loop {
		take(&mut b_plain, &mut plain);
		take(&mut b_worker, &mut workers);
		// S's ten travel on their own, as durably: waited for too.
		if from_a(&plain).len() == 20
			&& from_a(&workers).is_superset(&live)
			&& from_s(&plain).len() == live.len()
		{
			break;
		}
		// A failure says what is missing and where it waits, so a rare one can be read.
		assert!(
			Instant::now() < deadline,
			"timed out waiting until B has every message of A and S: plainly missing {:?} of \
			 A's and {:?} of S's, in the group missing {:?}; A's outbox to B holds {}, its \
			 inbox {}",
			all_ids(20).difference(&from_a(&plain)).collect::<Vec<_>>(),
			live.difference(&from_s(&plain)).collect::<Vec<_>>(),
			live.difference(&from_a(&workers)).collect::<Vec<_>>(),
			a.outbox_len(&b.id()),
			a.inbox_len("secret"),
		);
		tokio::time::sleep(Duration::from_millis(50)).await;
	}
	assert_eq!(from_a(&plain), all_ids(20));
	assert!(from_a(&workers).is_subset(&all_ids(20)), "B is the group's only admitted member");
	assert_eq!(from_s(&plain), live, "S's own, marked as S's");
	poll_until("A hears B acknowledge everything", async || a.outbox_len(&b.id()) == 0).await;
	let (mut stolen, mut stolen_shares) = (Vec::new(), Vec::new());
	take(&mut s_plain, &mut stolen);
	take(&mut s_worker, &mut stolen_shares);
	assert!(stolen.iter().all(|(p, _)| *p == s.id().to_string()), "the stranger got {stolen:?}");
	assert!(stolen_shares.iter().all(|(p, _)| *p == s.id().to_string()));
	assert_eq!(a.outbox_len(&s.id()), 0, "nothing was ever meant for the stranger");
}

/// Opens `GET /_/subscribe/{topic}` on the gateway at `address`, resuming after `last`.
async fn open_events(address: std::net::SocketAddr, topic: &str, last: Option<&str>) -> TcpStream {
	let mut stream = TcpStream::connect(address).await.unwrap();
	let resume = last.map(|id| format!("Last-Event-ID: {id}\r\n")).unwrap_or_default();
	let request = format!("GET /_/subscribe/{topic} HTTP/1.1\r\nHost: 127.0.0.1\r\n{resume}\r\n");
	stream.write_all(request.as_bytes()).await.unwrap();
	stream
}

/// The ids of the events read from `stream` until at least `count` complete ones came.
async fn read_events(stream: &mut TcpStream, read: &mut Vec<u8>, count: usize) -> Vec<String> {
	let deadline = Instant::now() + Duration::from_secs(30);
	loop {
		let text = String::from_utf8_lossy(read).into_owned();
		let complete = text.rfind('\n').map_or("", |end| &text[..end]);
		let ids: Vec<String> =
			complete.lines().filter_map(|l| l.strip_prefix("id: ")).map(str::to_owned).collect();
		if ids.len() >= count {
			return ids;
		}
		let mut buffer = [0u8; 4096];
		let left = deadline.saturating_duration_since(Instant::now());
		let n = tokio::time::timeout(left, stream.read(&mut buffer))
			.await
			.unwrap_or_else(|_| panic!("{} of {count} events came", ids.len()))
			.unwrap();
		assert!(n > 0, "the gateway closed the stream");
		read.extend_from_slice(&buffer[..n]);
	}
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_stream_client_gone_mid_burst_resumes_after_its_last_event_id() {
	let dir = tempfile::tempdir().unwrap();
	let peer = std::sync::Arc::new(start(&dir, "g", &[], Admission::default()).await);
	let config = GatewayConfig {
		listen: "127.0.0.1:0".parse().unwrap(),
		keep_alive: Duration::from_millis(100),
		..GatewayConfig::default()
	};
	let gateway = Gateway::start(peer.clone(), config).await.unwrap();
	let publish = async |n: usize| {
		let message = Message::publish(&format!("m-{n}"), "burst", format!(r#"{{"n":{n}}}"#));
		peer.publish_message(message).await.unwrap()
	};
	let mut first = open_events(gateway.address(), "burst", None).await;
	let mut read = Vec::new();
	while !String::from_utf8_lossy(&read).contains(": subscribed to burst") {
		let mut buffer = [0u8; 1024];
		let n = tokio::time::timeout(Duration::from_secs(30), first.read(&mut buffer));
		let n = n.await.expect("the stream opens").unwrap();
		assert!(n > 0, "the gateway closed the stream");
		read.extend_from_slice(&buffer[..n]);
	}
	for n in 0..100 {
		assert_eq!(publish(n).await, Published::Delivered(1));
	}
	let got = read_events(&mut first, &mut read, 30).await;
	assert_eq!(got, (0..got.len()).map(|n| format!("m-{n}")).collect::<Vec<_>>(), "in order");
	// The client vanishes mid-burst (as a kill -9 would), with events in flight.
	drop(first);
	for n in 100..150 {
		publish(n).await;
	}
	poll_until("the gateway notices and every event waits in the inbox again", async || {
		peer.inbox_len("burst") == 150
	})
	.await;
	let last = got.last().unwrap().clone();
	let mut second = open_events(gateway.address(), "burst", Some(&last)).await;
	let expected: Vec<String> = (got.len()..150).map(|n| format!("m-{n}")).collect();
	let mut read = Vec::new();
	let resumed = read_events(&mut second, &mut read, expected.len()).await;
	assert_eq!(resumed, expected, "everything after the last event it had, once, in order");
	poll_until("the events it had are acknowledged", async || peer.inbox_len("burst") == 0).await;
	drop(second);
	gateway.shutdown().await;
}

/// A durable `Publisher` sends ten times the outbox limit to a live subscriber on another node
/// as fast as it can: the publisher waits for room in that node's outbox (as the node
/// acknowledges), so none is dropped as the oldest of a full outbox.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fast_durable_publisher_loses_nothing_to_a_live_nodes_outbox_limit() {
	const LIMIT: usize = 64;
	const COUNT: usize = LIMIT * 10;
	let dir = tempfile::tempdir().unwrap();
	let mut config = PeerConfig::new(dir.path().join("a.redb"));
	config.broker.outbox_limit = LIMIT;
	let a = Peer::start(config).await.unwrap();
	let b = start(&dir, "b", &[&a], Admission::default()).await;
	let mut subscription = b.subscribe("burst", None).unwrap();
	poll_until("A hears B listen", async || a.listeners("burst").await.len() == 1).await;
	let mut publisher =
		a.publisher("burst", PublishOptions { delivery: DeliveryMode::Durable }).unwrap();
	for n in 0..COUNT {
		publisher.send(format!("m-{n}")).await.unwrap();
	}
	publisher.flush().await.unwrap();
	let mut got = Vec::new();
	poll_until("B has every message", async || {
		while let Some(Some(delivery)) = futures::FutureExt::now_or_never(subscription.next()) {
			got.push(String::from_utf8_lossy(&delivery.message.body).into_owned());
			subscription.ack(&delivery).unwrap();
		}
		distinct(&got).len() >= COUNT
	})
	.await;
	assert_exact(&all_ids(COUNT), &got, COUNT);
}
