//! MUCP's side: two peers in this process, an echo service (unpaid, and paid behind the
//! settlement meter), and the publish runs.

use std::{
	sync::{
		atomic::{AtomicU64, Ordering},
		Arc,
	},
	time::Duration,
};

use micro_primitives::NodeId;
use mucp_offchain::{
	broker::DeliveryMode,
	peer::{Multiaddr, Peer, PeerConfig, PublishOptions, Service, Subscription},
	protocol::Message,
	registry::Endpoint,
	settlement::{
		AccountId, Allowance, BlockNumber, ChainView, Ledger, Meter, Priced, SignedAllowance,
		ALLOWANCE_HEADER,
	},
};
use sp_core::{crypto::Pair as _, sr25519};

use crate::{
	measure_calls, measure_flow,
	probe::Probe,
	report::{Figure, Results, System},
	Counts, Tally, FAN_OUT, GROUP_SIZE, QUEUE_GROUP, SIZES,
};

const GENESIS: [u8; 32] = [7; 32];
/// The serving node's on-chain id, as the bench's chain view says.
const NODE: NodeId = 1;

/// The chain as the bench gives it: in memory, every consumer rich, nothing revoked.
struct BenchChain;

impl ChainView for BenchChain {
	fn genesis(&self) -> [u8; 32] {
		GENESIS
	}
	fn best_block(&self) -> BlockNumber {
		10
	}
	fn node_id(&self) -> Option<NodeId> {
		Some(NODE)
	}
	fn tokens_of(&self, _: &AccountId) -> u128 {
		u128::MAX / 2
	}
	fn held_for(&self, _: &AccountId, _: NodeId) -> (u128, BlockNumber) {
		(0, 0)
	}
	fn revoked_up_to(&self, _: &AccountId, _: NodeId) -> Result<Option<u64>, String> {
		Ok(None)
	}
	fn operator_of_peer(&self, _: &str) -> Option<AccountId> {
		None
	}
	fn free_calls_reserved(&self, _: &AccountId, _: NodeId) -> (u32, u64) {
		(0, 0)
	}
}

const PRICED: Priced = Priced { service: 0, price_per_call: 1, price_rise: None };

/// An allowance for the echo signed by the dev key `//Charlie`, as its header text.
fn allowance_header() -> String {
	let consumer = sr25519::Pair::from_string("//Charlie", None).expect("a dev key");
	let allowance = Allowance {
		consumer: consumer.public().into(),
		service: PRICED.service,
		node: NODE,
		max_calls: u64::MAX,
		max_price_per_call: 1,
		expires_at: 1_000_000,
		nonce: 1,
	};
	SignedAllowance::sign(&GENESIS, allowance, &consumer).to_text()
}

async fn peer(dir: &tempfile::TempDir, name: &str, bootstrap: Vec<Multiaddr>) -> Peer {
	let mut config = PeerConfig::new(dir.path().join(format!("{name}.redb")));
	config.bootstrap = bootstrap;
	config.call_timeout = Duration::from_secs(30);
	// No chain here: the two peers believe each other.
	config.authority = mucp_offchain::authority::trust_all();
	// As deep as async-nats's subscription buffer (65,536), so neither drops a core message
	// for a subscriber that is merely behind.
	config.broker.subscriber_buffer = 65_536;
	Peer::start(config).await.expect("the peer starts")
}

/// Waits until `peer` lists `service`.
async fn until_listed(peer: &Peer, service: &str) {
	while peer.service(service).is_empty() {
		tokio::time::sleep(Duration::from_millis(20)).await;
	}
}

/// Waits until `publisher` knows another node listens to `topic` (in `queue`, if given).
async fn until_heard(publisher: &Peer, topic: &str, queue: Option<&str>) {
	loop {
		let listeners = publisher.listeners(topic).await;
		let heard = match queue {
			None => !listeners.is_empty(),
			Some(queue) => listeners.iter().any(|(_, queues)| queues.iter().any(|q| q == queue)),
		};
		if heard {
			return;
		}
		tokio::time::sleep(Duration::from_millis(20)).await;
	}
}

/// Runs each subscription on its own task, acknowledging and counting into `tally`.
fn drain(subscriptions: Vec<Subscription>, tally: &Tally) -> Vec<tokio::task::JoinHandle<()>> {
	subscriptions
		.into_iter()
		.map(|mut subscription| {
			let tally = tally.clone();
			tokio::spawn(async move {
				while let Some(delivery) = subscription.next().await {
					subscription.ack(&delivery).expect("acknowledged");
					tally.add();
				}
			})
		})
		.collect()
}

/// Publishes `messages` from `publisher` to `topic` in `mode`, pipelined through one
/// [`mucp_offchain::peer::Publisher`] (as async-nats publishes: handed over, not awaited one
/// by one), while `subscriptions` receive `total`.
#[allow(clippy::too_many_arguments)]
async fn flow(
	probe: &Probe,
	publisher: &Peer,
	topic: &str,
	mode: DeliveryMode,
	size: usize,
	messages: usize,
	subscriptions: Vec<Subscription>,
	total: usize,
) -> Figure {
	eprintln!("MUCP: {topic}, {} delivery, {size} B", mode.as_str());
	let tally = Tally::new(total);
	let tasks = drain(subscriptions, &tally);
	let payload = vec![0x0a_u8; size];
	let sender = publisher
		.publisher(topic, PublishOptions { delivery: mode })
		.expect("a publisher for the topic");
	let sender = Arc::new(tokio::sync::Mutex::new(sender));
	let (rate, usage) = measure_flow(probe, messages, &tally, || {
		let (payload, sender) = (payload.clone(), sender.clone());
		async move {
			sender.lock().await.send(payload).await.expect("published");
		}
	})
	.await;
	for task in tasks {
		task.abort();
	}
	Figure { value: rate, usage }
}

/// Which of MUCP's phases run.
pub struct Phases {
	pub calls: bool,
	/// Whether the unpaid and the paid calls run (with `calls`): both, unless one is profiled.
	pub unpaid: bool,
	pub paid: bool,
	pub publish: bool,
	/// Whether the durable publish rows run (with `publish`).
	pub durable: bool,
}

/// Runs MUCP's side: the `phases` asked for.
pub async fn run(counts: &Counts, phases: Phases, results: &mut Results) {
	let probe = Probe::new(None);
	let dir = tempfile::tempdir().expect("a temporary directory");
	let server = peer(&dir, "server", Vec::new()).await;
	let client = Arc::new(peer(&dir, "client", server.addresses()).await);
	server
		.serve(
			Service::new("echo", "1.0.0")
				.call(Endpoint::new("Echo.Call", "Bytes", "Bytes"), |request| async move {
					Ok(request.body)
				}),
		)
		.expect("echo is served");
	let ledger = Ledger::open(&dir.path().join("usage.redb")).expect("the ledger opens");
	let meter = Arc::new(Meter::new(ledger, Arc::new(BenchChain), 20));
	server
		.serve(Service::new("paid-echo", "1.0.0").call(
			Endpoint::new("Echo.Call", "Bytes", "Bytes"),
			move |request: Message| {
				let meter = meter.clone();
				async move {
					let body = request.body.clone();
					meter.serve(&request, PRICED, 1, async move { Ok(body) }).await
				}
			},
		))
		.expect("the paid echo is served");
	until_listed(&client, "echo").await;
	until_listed(&client, "paid-echo").await;
	let header = Arc::new(allowance_header());
	let ids = Arc::new(AtomicU64::new(0));

	for size in SIZES.into_iter().filter(|_| phases.calls) {
		let body = vec![0x0a_u8; size];
		let caller = client.clone();
		let unpaid = if phases.unpaid {
			let body = body.clone();
			let call = move || {
				let (caller, body) = (caller.clone(), body.clone());
				async move {
					let reply = caller.call("echo", "Echo.Call", body).await.expect("echo");
					assert_eq!(reply.body.len(), size);
				}
			};
			let unpaid = measure_calls(&probe, call, counts).await;
			results.add_calls(System::Mucp, size, &unpaid);
			Some(unpaid)
		} else {
			None
		};
		if !phases.paid {
			continue;
		}
		let (caller, header, ids) = (client.clone(), header.clone(), ids.clone());
		let paid = measure_calls(
			&probe,
			move || {
				let (caller, body) = (caller.clone(), body.clone());
				let id = format!("paid-{}", ids.fetch_add(1, Ordering::Relaxed));
				let mut request = Message::call(&id, "paid-echo", "Echo.Call", body);
				request.set(ALLOWANCE_HEADER, &header);
				async move {
					let options = caller.call_options();
					let reply = caller.call_with(request, options).await.expect("paid echo");
					assert_eq!(
						reply.body.len(),
						size,
						"{:?}",
						String::from_utf8_lossy(&reply.body)
					);
				}
			},
			counts,
		)
		.await;
		match &unpaid {
			Some(unpaid) => results.add_paid(size, unpaid, &paid),
			// Profiled alone: its figures in the calls' rows.
			None => results.add_calls(System::Mucp, size, &paid),
		}
	}
	if !phases.publish {
		client.close().await;
		server.close().await;
		return;
	}

	// The link between the peers is open before anything is published (core messages sent
	// while it opens may be dropped, as core delivery allows).
	client.call("echo", "Echo.Call", b"warm".to_vec()).await.expect("echo");

	// Core (at most once) is NATS core's counterpart and fills the rows NATS has; durable
	// (stored before it is handed on, acknowledged across nodes: JetStream's counterpart) gets
	// rows of its own.
	let modes = [(DeliveryMode::Core, ""), (DeliveryMode::Durable, "durable ")];
	for (mode, label) in
		modes.into_iter().filter(|(m, _)| phases.durable || *m == DeliveryMode::Core)
	{
		for size in SIZES {
			let topic = format!("same-{}{size}", mode.as_str());
			let subscription = client.subscribe(&topic, None).expect("subscribed");
			let messages = counts.messages;
			let figure =
				flow(&probe, &client, &topic, mode, size, messages, vec![subscription], messages)
					.await;
			let row = format!("{label}publish msg/s, same node, {size} B");
			results.add(&row, false, System::Mucp, figure);

			let topic = format!("other-{}{size}", mode.as_str());
			let subscription = server.subscribe(&topic, None).expect("subscribed");
			until_heard(&client, &topic, None).await;
			let figure =
				flow(&probe, &client, &topic, mode, size, messages, vec![subscription], messages)
					.await;
			let row = format!("{label}publish msg/s, other node, {size} B");
			results.add(&row, false, System::Mucp, figure);
		}
	}

	let topic = "fan-out";
	let subscriptions: Vec<_> =
		(0..FAN_OUT).map(|_| server.subscribe(topic, None).expect("subscribed")).collect();
	until_heard(&client, topic, None).await;
	let messages = counts.messages / FAN_OUT;
	let figure = flow(
		&probe,
		&client,
		topic,
		DeliveryMode::Core,
		GROUP_SIZE,
		messages,
		subscriptions,
		messages * FAN_OUT,
	)
	.await;
	results.add(&fan_out_row(), false, System::Mucp, figure);

	let topic = "queue-group";
	let subscriptions: Vec<_> = (0..QUEUE_GROUP)
		.map(|_| server.subscribe(topic, Some("workers")).expect("subscribed"))
		.collect();
	until_heard(&client, topic, Some("workers")).await;
	let messages = counts.messages;
	let figure = flow(
		&probe,
		&client,
		topic,
		DeliveryMode::Core,
		GROUP_SIZE,
		messages,
		subscriptions,
		messages,
	)
	.await;
	results.add(&queue_row(), false, System::Mucp, figure);

	client.close().await;
	server.close().await;
}

/// The fan-out row's name: published messages per second, each to every subscriber.
pub fn fan_out_row() -> String {
	format!("fan-out to {FAN_OUT}, msg/s, {GROUP_SIZE} B")
}

/// The queue group's row name.
pub fn queue_row() -> String {
	format!("queue group of {QUEUE_GROUP}, msg/s, {GROUP_SIZE} B")
}
