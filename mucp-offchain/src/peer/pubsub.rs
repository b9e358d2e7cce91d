//! Publish and subscribe: [`Peer::publish`], [`Peer::publish_core`], [`Peer::publisher`],
//! [`Peer::subscribe`] and [`Subscription`] over the node's [`Broker`](crate::broker::Broker),
//! and delivery to other nodes.
//!
//! **Two delivery modes, chosen per publish** ([`DeliveryMode`], told in the
//! [`header::DELIVERY`] header), like NATS core beside JetStream:
//!
//! - **Durable** (the default, JetStream's counterpart): at least once. A message is written to
//!   the publisher's store before the publish returns (concurrent publishes share one commit),
//!   one copy per admitted node with subscribers (its outbox), and sent to each. The receiving
//!   node writes it to its own store before it answers, and only that answer removes the
//!   publisher's copy; unanswered copies are sent again after the broker's `ack_timeout` and
//!   whenever the node reconnects, and copies whose send failed (the link closed, the node
//!   refused the batch) sooner, after a backoff from 250 ms (`Broker::outbox_failed`). So
//!   delivery across nodes is at least once through kill -9 of either node; receivers drop duplicates by `Micro-Id` per publisher (the
//!   `Micro-Publisher` header, which the receiver sets from the authenticated sender). A
//!   message nobody subscribes to anywhere waits in the publisher's inbox, and goes to the
//!   first subscriber on this node or to an admitted node when it subscribes; a receiver whose
//!   subscribers have gone keeps what arrives in its own inbox. Storing and fsync happen on the
//!   broker's writer thread; a publish awaits its commit without holding a thread.
//! - **Core** (NATS core's counterpart): at most once. The publisher hands the message to this
//!   node's live subscribers' channels in its own task and queues it for each admitted node
//!   with subscribers; nothing is stored, acknowledged or sent again. A message nobody listens
//!   to is [dropped](Published::Dropped); a subscriber whose channel is full, a node whose
//!   send queue is full or that cannot be reached loses it ([`Peer::core_dropped`] counts them).
//!   Batches go to a node at the pace it reads; one that reads nothing for a second loses its
//!   batches until it reads again, rather than holding back the publishers. A node is *slow*
//!   (NATS's slow consumer) once a batch of its waited over [`SLOW_BATCH`] with its queue half
//!   full, or could not be sent, until its queue has drained below half: a [`Publisher`] then never waits for room in its queue, and
//!   waits for the others at most [`PUBLISH_PATIENCE`] per send all together; what a slow node
//!   loses is counted ([`Peer::core_dropped_for_slow_nodes`]).
//!   A subscriber's [`Subscription::ack`] of a core delivery succeeds and does nothing.
//!
//! **Who listens where** is the [`Interest`] map: the swarm's task keeps it from the gossipsub
//! subscriptions it sees (each topic's channel and each queue group's marker), and a publish
//! reads it under a short lock: no publish waits on the swarm's task. A node is believed only
//! if this node's [`Admission`](crate::broker::Admission) check admits it
//! (`PeerConfig::admission`), checked at each publish: a stranger that subscribes gets nothing,
//! in either mode, and is never chosen for a queue group. For each queue group the publisher
//! picks one admitted node with members (in turn) and only that node delivers it, so each
//! message reaches one member of each group network-wide.
//!
//! **Pipelining**: [`Peer::publisher`] gives a [`Publisher`], async-nats's publish + flush:
//! [`Publisher::send`] returns as soon as the message is handed over (core: to the local
//! subscribers and the nodes' send queues, waiting only for room there; durable: queued for the
//! store's next commit, at most [`PUBLISHER_WINDOW`] commits outstanding) and
//! [`Publisher::flush`] waits until everything sent is out (core: sent to every node; durable:
//! on disk). A publisher's messages reach each subscriber in the order they were sent.
//!
//! **The seam to other nodes.** Every batch for another node leaves through one function and
//! every batch from another node arrives through one:
//!
//! - Durable: [`Shared::send_publications`]`(node, batch: Publications) -> Result<(),
//!   MicroError>`: `Ok` means `node` answered that it holds the whole batch durably (the
//!   acknowledgement: the driver then removes the batch from the outbox). It is a
//!   `mucp.broker` / `Broker.Deliver` request on this peer's link to `node`
//!   ([`crate::link`]), whose answer acknowledges.
//! - Core: [`Shared::send_core_batch`]`(node, records) -> Result<(), MicroError>`: the result
//!   only paces the node's send queue (one batch in flight per node, which keeps order and lets
//!   batches grow under load); an `Err` counts the batch as dropped. It is a one-way frame on
//!   the link whose payload is a compact batch (`peer/publications.rs`): each record encoded
//!   once by the publisher, shared by every node it goes to, read in place by the receiver.
//! - [`Shared::receive_publications`]`(from, bytes, mode) -> Result<(), MicroError>`: `bytes`
//!   is an encoded [`Publications`]. Durable: each is stored (one commit) before it returns
//!   `Ok`, which the caller turns into the acknowledging answer. Core: each is handed to this
//!   node's live subscribers, never stored. `Shared::dispatch` calls it for a
//!   `Broker.Deliver` request, with the mode from its `Micro-Delivery` header.
//! - [`Shared::receive_core_batch`]`(from, frame) -> Result<usize, MicroError>`: a core batch
//!   from the link's one-way handler (`peer/links.rs`), each record handed to this node's live
//!   subscribers, never stored. A record refused (on a topic the admission check refuses its
//!   sender, 403, or over the limits) is skipped and counted ([`Peer::core_refused`]); the
//!   rest of its batch is delivered.
//!
//! Either way each publication's `Micro-Publisher` is set to the authenticated sender, and
//! durable publications from a node the admission check refuses for their topic are refused
//! (403), with the rest of their batch.

use std::{
	collections::{BTreeMap, HashMap, HashSet, VecDeque},
	sync::{
		atomic::{AtomicBool, AtomicU64, Ordering},
		Arc, Mutex, Weak,
	},
	time::{Duration, SystemTime},
};

use bytes::Bytes;
use libp2p::PeerId;
use prost::Message as _;
use tokio::{
	sync::{mpsc, oneshot, watch, OwnedSemaphorePermit, Semaphore},
	time::Instant,
};

use crate::{
	broker::{BrokerError, Commit, Delivery, DeliveryMode, Plan, Published},
	protocol::{header, Form, Message, MicroError, Publication, Publications, PROTOCOL},
	transport::{parse_queue_marker, topic_channel},
};

use super::{
	driver::{Command, Driver},
	interest::{Interest, MAX_GROUPS_PER_NODE, MAX_GROUP_NAME},
	publications, Peer, Shared,
};

/// The service name of the broker's node-to-node delivery on links.
pub(super) const BROKER_SERVICE: &str = "mucp.broker";

/// The endpoint a node hands another a publication on; the answer acknowledges it.
pub(super) const BROKER_DELIVER: &str = "Broker.Deliver";

/// Most durable commits one [`Publisher`] has outstanding; its next send waits for the oldest.
pub const PUBLISHER_WINDOW: usize = 1024;
/// How long a [`Publisher`] waits for room in a live node's half-full outbox without any
/// acknowledgement coming before it takes the node as stalled (see [`OUTBOX_STALL_PAUSE`]).
pub const OUTBOX_STALL: Duration = Duration::from_secs(1);
/// How long a [`Publisher`] that found the listeners stalled publishes without waiting for
/// room in their outboxes.
pub const OUTBOX_STALL_PAUSE: Duration = Duration::from_secs(30);

/// Most core messages waiting to be sent to one node; past it (or [`NODE_QUEUE_BYTES`]) a
/// publish drops them (a [`Publisher`] waits for room).
pub const NODE_QUEUE_MESSAGES: usize = 4096;

/// Most bytes of core messages waiting to be sent to one node.
pub const NODE_QUEUE_BYTES: usize = 16 << 20;

/// Most core messages sent to a node in one batch.
const MAX_BATCH_MESSAGES: usize = 1024;

/// Most bytes of core messages sent to a node in one batch: the receiver starts on a batch
/// while the next is on its way.
const MAX_BATCH_BYTES: usize = 256 << 10;

/// How long a core batch waits for room in a node's link before the node is taken as reading
/// nothing (its batches are then dropped, without waiting, until its link has room again).
const CORE_STALL: Duration = Duration::from_secs(1);

/// Longest a [`Publisher`]'s send waits for room in the send queues of nodes that are not
/// slow, all together; a node still full then loses the message and is taken as slow.
pub const PUBLISH_PATIENCE: Duration = Duration::from_millis(250);

/// How long a [`Publisher`]'s send must have waited for one node itself before giving up on it
/// makes that node slow.
const OWN_WAIT: Duration = Duration::from_millis(50);

/// A node whose core batch waited longer than this for room in its link, with its send queue
/// half full or more, is slow: publishers drop what its queue cannot take instead of waiting.
pub const SLOW_BATCH: Duration = Duration::from_millis(250);

/// Most topics whose queue groups' turns are kept (a new one past it forgets another's).
const MAX_TURN_TOPICS: usize = 10_000;

/// Most nodes with a core send queue at once (each has a task while it has work).
const MAX_NODE_QUEUES: usize = 1024;

/// How many records of a core batch are handled before the receiving task yields.
const RECORDS_PER_POLL: usize = 1024;

/// How many bytes of a core batch are read before the receiving task yields (at the latest).
const BYTES_PER_POLL: usize = 256 * 1024;

/// How long a node's core send queue stays without messages before its task ends.
const QUEUE_IDLE: Duration = Duration::from_secs(30);

/// How one message is published.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PublishOptions {
	/// Durable (the default: stored, acknowledged, sent again) or core (at most once).
	pub delivery: DeliveryMode,
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

	/// Acknowledges `delivery`: it will not come again. A core delivery needs none: `Ok`.
	pub fn ack(&self, delivery: &Delivery) -> Result<(), MicroError> {
		if delivery.mode == DeliveryMode::Core {
			return Ok(());
		}
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

/// Publishes many messages to one topic without waiting for each: see [`Peer::publisher`].
pub struct Publisher {
	shared: Arc<Shared>,
	topic: String,
	mode: DeliveryMode,
	/// Durable: the commits not awaited yet, oldest first, and whether each went to other
	/// nodes.
	commits: VecDeque<(Commit, bool)>,
	/// Core: the nodes sent to since the last flush.
	nodes: HashSet<PeerId>,
	/// Durable: until when it publishes without waiting for room in outboxes, having found
	/// their nodes stalled.
	stalled_until: Option<tokio::time::Instant>,
}

impl Publisher {
	/// The topic it publishes to.
	pub fn topic(&self) -> &str {
		&self.topic
	}

	/// Publishes `body` under a new `Micro-Id` and returns what becomes of it without waiting
	/// for the message to be out: core, once it is handed to this node's subscribers and queued
	/// for the other nodes (waiting for room in their queues); durable, once it is queued for the
	/// store's next commit (waiting for the oldest commit when [`PUBLISHER_WINDOW`] are
	/// outstanding; a failed commit is returned by the send or flush that waits for it).
	pub async fn send(&mut self, body: impl Into<Vec<u8>>) -> Result<Published, MicroError> {
		let mut message = Message::publish(&self.shared.unique_id(), &self.topic, body);
		match self.mode {
			DeliveryMode::Core => {
				// What `prepare` checks holds by construction: a new id, a detected content
				// type, the publisher's topic (never empty).
				message.set(header::PUBLISHER, &self.shared.pubsub.local);
				let until = Instant::now() + PUBLISH_PATIENCE;
				let room = Room::Wait(&mut self.nodes, until);
				self.shared.publish_core(&self.topic, message, room).await
			}
			DeliveryMode::Durable => {
				if self.commits.len() >= PUBLISHER_WINDOW {
					if let Some((commit, to_others)) = self.commits.pop_front() {
						self.shared.committed(commit, to_others).await?;
					}
				}
				let message = self.shared.prepare(message, DeliveryMode::Durable)?.1;
				let now = tokio::time::Instant::now();
				if self.stalled_until.is_none_or(|until| until <= now)
					&& !self.shared.room_in_outboxes(&self.topic).await
				{
					self.stalled_until = Some(now + OUTBOX_STALL_PAUSE);
				}
				let (commit, to_others) = self.shared.publish_durable(&self.topic, message)?;
				let published = commit.published();
				if to_others {
					// Its copies for other nodes are held (in memory now, on disk with the
					// commit): they may go before the commit is awaited.
					self.shared.ask_for_outbox();
				}
				self.commits.push_back((commit, to_others));
				Ok(published)
			}
		}
	}

	/// Waits until everything sent is out: core, sent to every node it was queued for (this
	/// node's subscribers had theirs at once); durable, on disk (and on its way to the other
	/// nodes, which acknowledge it in turn). Returns the first failure since the last flush.
	pub async fn flush(&mut self) -> Result<(), MicroError> {
		let mut first_error = None;
		while let Some((commit, to_others)) = self.commits.pop_front() {
			if let Err(error) = self.shared.committed(commit, to_others).await {
				first_error.get_or_insert(error);
			}
		}
		let flushes = std::mem::take(&mut self.nodes)
			.into_iter()
			.map(|node| self.shared.flush_node_queue(node));
		futures::future::join_all(flushes).await;
		first_error.map_or(Ok(()), Err)
	}
}

impl Peer {
	/// Publishes `body` to `topic` under a new `Micro-Id`, durably (see
	/// [`Peer::publish_message`]).
	pub async fn publish(
		&self,
		topic: &str,
		body: impl Into<Vec<u8>>,
	) -> Result<Published, MicroError> {
		self.publish_message(Message::publish(&self.shared.unique_id(), topic, body)).await
	}

	/// Publishes `body` to `topic` under a new `Micro-Id`, at most once: to the subscribers
	/// listening now, here and on admitted nodes, storing nothing. `Dropped` if nobody listens.
	/// Never waits for room: a message a node's full send queue cannot take is dropped
	/// (counted; a [`Publisher`] waits instead).
	pub async fn publish_core(
		&self,
		topic: &str,
		body: impl Into<Vec<u8>>,
	) -> Result<Published, MicroError> {
		let message = Message::publish(&self.shared.unique_id(), topic, body);
		let options = PublishOptions { delivery: DeliveryMode::Core };
		self.publish_with(message, options).await
	}

	/// Publishes `message` (with its `Micro-Topic` and `Micro-Id`) to subscribers on every
	/// node, in the mode its `Micro-Delivery` header names (durable if none; see
	/// [`Peer::publish_with`]).
	pub async fn publish_message(&self, message: Message) -> Result<Published, MicroError> {
		let delivery = DeliveryMode::of(&message);
		self.publish_with(message, PublishOptions { delivery }).await
	}

	/// Publishes `message` (with its `Micro-Topic` and `Micro-Id`) to subscribers on every
	/// node, as `options` say. Durable: returns once the message is on disk;
	/// `Delivered(n)` counts this node's subscribers it reached plus the other nodes with
	/// subscribers it went to, `Stored` means nobody subscribes anywhere yet and it waits in
	/// this node's inbox, `Duplicate` means this node already published that id. Core: returns
	/// once it is handed over; `Delivered(n)` counts the subscribers here whose channels took it
	/// plus the nodes it was queued for, `Dropped` means nobody listens.
	///
	/// Concurrent calls are safe and do not wait for each other (durable ones share a
	/// commit): `futures::future::join_all` over many publishes pipelines them, though only a
	/// [`Publisher`] keeps their order.
	pub async fn publish_with(
		&self,
		message: Message,
		options: PublishOptions,
	) -> Result<Published, MicroError> {
		let (topic, message) = self.shared.prepare(message, options.delivery)?;
		match options.delivery {
			DeliveryMode::Core => self.shared.publish_core(&topic, message, Room::Drop).await,
			DeliveryMode::Durable => {
				let (commit, to_others) = self.shared.publish_durable(&topic, message)?;
				self.shared.committed(commit, to_others).await
			}
		}
	}

	/// A [`Publisher`] to `topic`, for many messages in flight at once (async-nats's publish
	/// and flush): `send` each, then `flush`.
	pub fn publisher(&self, topic: &str, options: PublishOptions) -> Result<Publisher, MicroError> {
		if topic.is_empty() {
			return Err(MicroError::bad_request(PROTOCOL, "empty topic"));
		}
		Ok(Publisher {
			shared: self.shared.clone(),
			topic: topic.to_owned(),
			mode: options.delivery,
			commits: VecDeque::new(),
			nodes: HashSet::new(),
			stalled_until: None,
		})
	}

	/// Subscribes to `topic`, in queue group `queue` if given. Messages waiting in this node's
	/// inbox come at once; those waiting on other nodes follow as they hear of it. Refuses
	/// (413) a group other nodes would not take (see `peer/interest.rs`): a name over
	/// [`MAX_GROUP_NAME`] bytes, or more than [`MAX_GROUPS_PER_NODE`] groups on one topic.
	pub fn subscribe(&self, topic: &str, queue: Option<&str>) -> Result<Subscription, MicroError> {
		if topic.is_empty() {
			return Err(MicroError::bad_request(PROTOCOL, "empty topic"));
		}
		let max_topic = self.shared.config.limits.max_header_len;
		if topic.len() > max_topic {
			// Other nodes ignore such a subscription: it would silently get nothing from them.
			let detail =
				format!("a topic of {} bytes: nodes take at most {max_topic}", topic.len());
			return Err(MicroError::too_large(PROTOCOL, detail));
		}
		if let Some(queue) = queue {
			if queue.is_empty() {
				// The empty name stands for every group in a publication's plan.
				return Err(MicroError::bad_request(PROTOCOL, "an empty queue group name"));
			}
			if queue.len() > MAX_GROUP_NAME {
				let detail = format!(
					"queue group name of {} bytes: other nodes take at most {MAX_GROUP_NAME}",
					queue.len()
				);
				return Err(MicroError::too_large(PROTOCOL, detail));
			}
			let (_, groups) = self.shared.broker.interest(topic);
			if !groups.iter().any(|group| group == queue) && groups.len() >= MAX_GROUPS_PER_NODE {
				let detail = format!(
					"`{topic}` has {} queue groups on this node: other nodes take at most \
					 {MAX_GROUPS_PER_NODE} of a node's groups on a topic",
					groups.len()
				);
				return Err(MicroError::too_large(PROTOCOL, detail));
			}
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
	/// each with the queue groups it has members in: what a publish reads (admitted or not).
	pub async fn listeners(&self, topic: &str) -> Vec<(PeerId, Vec<String>)> {
		let interest = self.shared.pubsub.interest.lock().expect("not poisoned");
		let Some(listeners) = interest.listeners(topic) else { return Vec::new() };
		listeners
			.nodes
			.iter()
			.map(|node| {
				let member_of = listeners
					.groups
					.iter()
					.filter(|(_, members)| members.contains(node))
					.map(|(group, _)| group.clone())
					.collect();
				(*node, member_of)
			})
			.collect()
	}

	/// How many messages wait in this node's inbox for `topic`.
	pub fn inbox_len(&self, topic: &str) -> usize {
		self.shared.broker.inbox_len(topic)
	}

	/// How many messages this node holds for `node` until it acknowledges them.
	pub fn outbox_len(&self, node: &PeerId) -> usize {
		self.shared.broker.outbox_len(&node.to_string())
	}

	/// How many core messages were lost since the peer started: meant for a subscriber here
	/// whose channel was full, or for another node whose send queue was full or that could not
	/// be reached (as received from other nodes too).
	pub fn core_dropped(&self) -> u64 {
		self.shared.broker.core_dropped()
	}

	/// How many of [`Peer::core_dropped`] were meant for a slow node (one whose batches wait
	/// long for room, or cannot be sent) whose send queue was full, or became so.
	pub fn core_dropped_for_slow_nodes(&self) -> u64 {
		self.shared.pubsub.slow_dropped.load(Ordering::Relaxed)
	}

	/// How many queue group memberships admitted nodes advertised were ignored (a name over
	/// 255 bytes, or too many groups of one node on a topic), or are left out of core
	/// publications (no slot left on their topic): see `peer/interest.rs`.
	pub fn queue_groups_refused(&self) -> u64 {
		self.shared.pubsub.interest.lock().expect("not poisoned").refused()
	}

	/// How many core publications from other nodes were refused (each skipped, the rest of its
	/// batch delivered): from a node not admitted on their topic, or over this node's limits;
	/// and whole core batches refused as unreadable (of another version: from an older node).
	pub fn core_refused(&self) -> u64 {
		self.shared.pubsub.refused.load(Ordering::Relaxed)
	}

	/// How many durable publications from other nodes were refused (each skipped and the rest
	/// of its batch taken and acknowledged): from a node not admitted on their topic, over this
	/// node's limits, or without a topic.
	pub fn publications_refused(&self) -> u64 {
		self.shared.pubsub.publications_refused.load(Ordering::Relaxed)
	}
}

/// What a core batch's receiver knows of one of its topics, read once per batch.
struct TopicHere {
	/// Whether the sender is admitted on it.
	admitted: bool,
	/// Whether anyone listens to it here.
	listened: bool,
	/// This node's queue groups on it, sorted (read at its first record naming groups).
	groups: Option<Vec<String>>,
}

/// The publish side's state in [`Shared`].
pub(super) struct Pubsub {
	/// This node's id, as plans and `Micro-Publisher` name it.
	local: String,
	/// Who listens where on other nodes (kept by the swarm's task).
	pub(super) interest: Mutex<Interest>,
	/// Each node's core send queue.
	queues: Mutex<HashMap<PeerId, NodeQueue>>,
	next_queue: AtomicU64,
	/// Whether a `SendOutbox` is on its way to the swarm's task (so publishes ask once).
	pub(super) outbox_asked: AtomicBool,
	commands: mpsc::WeakUnboundedSender<Command>,
	/// Core messages lost because their node was slow.
	slow_dropped: AtomicU64,
	/// Core publications from other nodes refused.
	refused: AtomicU64,
	/// Durable publications from other nodes refused (each skipped, the rest of its batch taken).
	publications_refused: AtomicU64,
}

impl Pubsub {
	/// The state of node `local`, which sends the swarm's task `commands`; it keeps at most
	/// `max_topics` topics and groups per other node in its interest map, none longer than
	/// `max_topic_len` bytes, and only the queue group memberships `admission` admits.
	pub(super) fn new(
		local: PeerId,
		max_topics: usize,
		max_topic_len: usize,
		admission: crate::broker::Admission,
		commands: mpsc::WeakUnboundedSender<Command>,
	) -> Self {
		let interest = Interest::new(max_topics, admission).with_max_topic_len(max_topic_len);
		Self {
			local: local.to_string(),
			interest: Mutex::new(interest),
			queues: Mutex::new(HashMap::new()),
			next_queue: AtomicU64::new(0),
			outbox_asked: AtomicBool::new(false),
			commands,
			slow_dropped: AtomicU64::new(0),
			refused: AtomicU64::new(0),
			publications_refused: AtomicU64::new(0),
		}
	}

	fn command(&self, command: Command) -> Result<(), MicroError> {
		self.commands.upgrade().and_then(|commands| commands.send(command).ok()).ok_or_else(stopped)
	}
}

/// One node's core send queue: drained by one task, one batch in flight at a time.
struct NodeQueue {
	id: u64,
	sender: mpsc::Sender<Outgoing>,
	room: Arc<Semaphore>,
	/// Whether the node is slow (set and cleared by its queue's task; set by a publisher that
	/// gave up waiting for room).
	slow: Arc<watch::Sender<bool>>,
}

/// A node's core send queue as a publisher uses it.
#[derive(Clone)]
struct QueueHandle {
	sender: mpsc::Sender<Outgoing>,
	room: Arc<Semaphore>,
	slow: Arc<watch::Sender<bool>>,
}

/// What waits in a node's core send queue.
enum Outgoing {
	/// A message as a record of a core batch (`peer/publications.rs`) and the queue groups
	/// the node serves for it, holding its bytes of the queue's room until it is sent.
	Publication(Bytes, Bytes, OwnedSemaphorePermit),
	/// Answered once everything queued before it is sent.
	Flushed(oneshot::Sender<()>),
}

/// Whether a core publish waits for room in a node's send queue.
enum Room<'a> {
	/// It drops the message if the queue is full.
	Drop,
	/// It waits until the deadline at most for nodes that are not slow (none for slow ones),
	/// and notes the nodes it queued for (to flush them).
	Wait(&'a mut HashSet<PeerId>, Instant),
}

fn stopped() -> MicroError {
	MicroError::new(BROKER_SERVICE, 503, "the peer has stopped")
}

impl Shared {
	/// Checks `message` is a publication and marks it as this node's: its topic and itself.
	fn prepare(
		&self,
		mut message: Message,
		mode: DeliveryMode,
	) -> Result<(String, Message), MicroError> {
		let Form::Publish { topic, .. } = message.form()? else {
			return Err(MicroError::bad_request(PROTOCOL, "not a publication: it has no topic"));
		};
		message.set(header::PUBLISHER, &self.pubsub.local);
		if message.header(header::DELIVERY).is_some() {
			message.set(header::DELIVERY, mode.as_str());
		}
		// What a receiver within this node's limits would refuse is refused here, durable too:
		// a stored message no node takes would otherwise head its outbox row for a day.
		publications::check_message(&message, &topic, &self.config.limits)?;
		Ok((topic, message))
	}

	/// Waits while the outbox of a node that listens to `topic` now (the interest map holds
	/// only connected nodes' subscriptions) is half full or more, as long as acknowledgements keep coming: a fast publisher is
	/// held back by the slowest live listener, as a JetStream publisher is by its
	/// acknowledgements, instead of making that node's outbox drop its oldest messages. When
	/// none comes for [`OUTBOX_STALL`], it returns `false`: the listeners are stalled, the
	/// publisher stops waiting for a while, and a stalled outbox keeps its newest
	/// [`crate::broker::BrokerConfig::outbox_limit`] messages. A node that went away is no
	/// longer a listener, and gets no wait at all.
	async fn room_in_outboxes(&self, topic: &str) -> bool {
		loop {
			let room = self.broker.outbox_room();
			tokio::pin!(room);
			room.as_mut().enable();
			let full = {
				let remote = self.pubsub.interest.lock().expect("not poisoned").listeners(topic);
				remote.is_some_and(|remote| {
					remote.nodes.iter().any(|node| self.broker.outbox_filling(&self.ids.name(node)))
				})
			};
			if !full {
				return true;
			}
			if tokio::time::timeout(OUTBOX_STALL, room).await.is_err() {
				return false;
			}
		}
	}

	/// Queues durable `message` for the store's next commit, with its rows for the admitted
	/// nodes that listen; returns the commit and whether it goes to other nodes.
	fn publish_durable(&self, topic: &str, message: Message) -> Result<(Commit, bool), MicroError> {
		let (mut plan, listeners) = self.plan(topic, true);
		plan.nodes = listeners.iter().map(|peer| self.ids.name(peer).to_string()).collect();
		let to_others = !plan.nodes.is_empty();
		let commit = self
			.broker
			.publish_later(topic, message, SystemTime::now(), &plan)
			.map_err(broker_error)?;
		Ok((commit, to_others))
	}

	/// Waits for `commit`, then has the swarm's task send the outboxes if it went to others.
	async fn committed(&self, commit: Commit, to_others: bool) -> Result<Published, MicroError> {
		let published = commit.committed().await.map_err(broker_error)?;
		if to_others && matches!(published, Published::Delivered(_)) {
			self.ask_for_outbox();
		}
		Ok(published)
	}

	/// Has the swarm's task send the outboxes, unless it was asked and has not yet done so.
	fn ask_for_outbox(&self) {
		if !self.pubsub.outbox_asked.swap(true, Ordering::AcqRel) {
			let _ = self.pubsub.command(Command::SendOutbox);
		}
	}

	/// Hands core `message` to this node's subscribers and queues it for each admitted node
	/// that listens, with the queue groups that node serves for it (only its own: another
	/// node's many groups never reach it). Refuses (400, 413, 415) a message a receiver would
	/// refuse, before it goes anywhere.
	async fn publish_core(
		self: &Arc<Self>,
		topic: &str,
		message: Message,
		mut room: Room<'_>,
	) -> Result<Published, MicroError> {
		publications::check_message(&message, topic, &self.config.limits)?;
		let (plan, nodes) = self.plan(topic, false);
		let record = match nodes.is_empty() {
			true => None,
			false => Some(publications::encode_record(&message, topic, &self.config.limits)?),
		};
		let here = self.broker.deliver_core(topic, message, &plan);
		let Some(record) = record else {
			if here.delivered + here.dropped == 0 {
				return Ok(Published::Dropped);
			}
			return Ok(Published::Delivered(here.delivered));
		};
		let mut served: HashMap<&str, Vec<&str>> = HashMap::new();
		for (group, node) in &plan.queue_nodes {
			if *node != plan.local {
				served.entry(node.as_str()).or_default().push(group.as_str());
			}
		}
		let mut queued = 0;
		for node in nodes {
			let groups = match served.is_empty() {
				true => publications::NO_GROUPS,
				false => {
					let name = self.ids.name(&node);
					let groups = served.get(&*name).into_iter().flatten().copied();
					let (groups, left_out) = publications::encode_groups(groups);
					if left_out > 0 {
						log::debug!(target: "mucp", "{left_out} queue groups of {node} on `{topic}` left out");
					}
					groups
				}
			};
			if self.queue_core(node, record.clone(), groups, &mut room).await {
				queued += 1;
			} else {
				self.broker.count_core_dropped(1);
			}
		}
		Ok(Published::Delivered(here.delivered + queued))
	}

	/// Where a message published to `topic` now goes (see the module's documentation): the
	/// admitted nodes that listen (returned beside the plan, whose `nodes` a durable publish
	/// fills in), and for each queue group the node whose members get it. Reads the interest
	/// map; never waits on the swarm's task. A `durable` publish serves the groups without a
	/// slot too (see `peer/interest.rs`): none of its messages is acknowledged for a group it
	/// never reached.
	fn plan(&self, topic: &str, durable: bool) -> (Plan, Vec<PeerId>) {
		let admission = &self.config.admission;
		let remote = self.pubsub.interest.lock().expect("not poisoned").listeners(topic);
		let Some(remote) = remote else {
			// Nobody elsewhere: every group here is served here, as in turn among this
			// node alone (the broker takes each group's members in turn).
			return (Plan::here(), Vec::new());
		};
		let (_, local_groups) = self.broker.interest(topic);
		let mut remote_groups = remote.groups;
		if durable {
			remote_groups.extend(remote.overflow);
		}
		for (group, peers) in remote_groups.iter_mut() {
			peers.retain(|peer| admission.admits(peer, topic, Some(group)));
		}
		let listeners: Vec<PeerId> = remote
			.nodes
			.into_iter()
			.filter(|peer| {
				admission.admits(peer, topic, None)
					|| remote_groups.values().any(|peers| peers.contains(peer))
			})
			.collect();
		let queue_nodes = self.choose_queue_nodes(topic, &listeners, &remote_groups, &local_groups);
		let local = self.pubsub.local.clone();
		(Plan { local, nodes: Vec::new(), queue_nodes, unnamed_groups_here: true }, listeners)
	}

	/// The node each of `topic`'s queue groups gets the next message on, in turn among the
	/// nodes with members (`local_groups` are this node's).
	fn choose_queue_nodes(
		&self,
		topic: &str,
		listeners: &[PeerId],
		remote_groups: &BTreeMap<String, Vec<PeerId>>,
		local_groups: &[String],
	) -> HashMap<String, String> {
		if local_groups.is_empty() && remote_groups.is_empty() {
			let mut turns = self.queue_turns.lock().expect("not poisoned");
			if !turns.is_empty() {
				turns.remove(topic);
			}
			return HashMap::new();
		}
		let names: Vec<(&str, Vec<Arc<str>>)> = remote_groups
			.iter()
			.map(|(group, peers)| {
				let listening = peers.iter().filter(|p| listeners.contains(p));
				(group.as_str(), listening.map(|p| self.ids.name(p)).collect())
			})
			.collect();
		let mut candidates: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
		for group in local_groups {
			candidates.entry(group).or_default().push(&self.pubsub.local);
		}
		for (group, nodes) in &names {
			candidates.entry(group).or_default().extend(nodes.iter().map(|n| &**n));
		}
		let mut all_turns = self.queue_turns.lock().expect("not poisoned");
		if !all_turns.contains_key(topic) {
			if all_turns.len() >= MAX_TURN_TOPICS {
				let forgotten = all_turns.keys().next().cloned();
				forgotten.map(|topic| all_turns.remove(&topic));
			}
			all_turns.insert(topic.to_owned(), HashMap::new());
		}
		let Some(turns) = all_turns.get_mut(topic) else { return HashMap::new() };
		// Groups gone since (their nodes left or unsubscribed) are forgotten.
		if !turns.is_empty() {
			turns.retain(|group, _| candidates.get(group.as_str()).is_some_and(|n| !n.is_empty()));
		}
		let mut chosen = HashMap::new();
		for (group, mut nodes) in candidates {
			if nodes.is_empty() {
				continue;
			}
			nodes.sort_unstable();
			if !turns.contains_key(group) {
				turns.insert(group.to_owned(), 0);
			}
			let Some(turn) = turns.get_mut(group) else { continue };
			chosen.insert(group.to_owned(), nodes[*turn % nodes.len()].to_owned());
			*turn = turn.wrapping_add(1);
		}
		if turns.is_empty() {
			all_turns.remove(topic);
		}
		chosen
	}

	/// Queues core `record` (a record of a core batch) and the queue `groups` `node` serves
	/// for it; returns whether its queue took it. Never waits for a slow node, nor past a
	/// [`Room::Wait`]'s deadline (the node is then slow: it held the publisher back).
	async fn queue_core(
		self: &Arc<Self>,
		node: PeerId,
		record: Bytes,
		groups: Bytes,
		room: &mut Room<'_>,
	) -> bool {
		let Some(queue) = self.node_queue(node) else { return false };
		let want = (record.len() + groups.len()).clamp(1, NODE_QUEUE_BYTES) as u32;
		let try_now = |queue: &QueueHandle, record, groups| {
			let Ok(permit) = queue.room.clone().try_acquire_many_owned(want) else { return false };
			queue.sender.try_send(Outgoing::Publication(record, groups, permit)).is_ok()
		};
		match room {
			Room::Drop => try_now(&queue, record, groups),
			Room::Wait(nodes, until) => {
				nodes.insert(node);
				if *queue.slow.borrow() {
					let queued = try_now(&queue, record, groups);
					if !queued {
						self.pubsub.slow_dropped.fetch_add(1, Ordering::Relaxed);
					}
					return queued;
				}
				let wait = async {
					let permit = queue.room.clone().acquire_many_owned(want).await.ok()?;
					let outgoing = Outgoing::Publication(record, groups, permit);
					queue.sender.send(outgoing).await.ok()
				};
				let waiting_since = Instant::now();
				match tokio::time::timeout_at(*until, wait).await {
					Ok(queued) => queued.is_some(),
					// Slow only if it held the send back itself: a node whose turn came when
					// others had spent the deadline just loses this message.
					Err(_) if waiting_since.elapsed() < OWN_WAIT => false,
					Err(_) => {
						queue.slow.send_replace(true);
						self.pubsub.slow_dropped.fetch_add(1, Ordering::Relaxed);
						false
					}
				}
			}
		}
	}

	/// `node`'s core send queue (and its room in bytes), started if it has none; `None` if
	/// there are [`MAX_NODE_QUEUES`] already.
	fn node_queue(self: &Arc<Self>, node: PeerId) -> Option<QueueHandle> {
		let mut queues = self.pubsub.queues.lock().expect("not poisoned");
		if let Some(queue) = queues.get(&node).filter(|q| !q.sender.is_closed()) {
			let (sender, room, slow) =
				(queue.sender.clone(), queue.room.clone(), queue.slow.clone());
			return Some(QueueHandle { sender, room, slow });
		}
		if queues.len() >= MAX_NODE_QUEUES {
			queues.retain(|_, queue| !queue.sender.is_closed());
			if queues.len() >= MAX_NODE_QUEUES {
				return None;
			}
		}
		let (sender, receiver) = mpsc::channel(NODE_QUEUE_MESSAGES);
		let room = Arc::new(Semaphore::new(NODE_QUEUE_BYTES));
		let slow = Arc::new(watch::Sender::new(false));
		let id = self.pubsub.next_queue.fetch_add(1, Ordering::Relaxed);
		let queue = QueueHandle { sender, room, slow };
		let (sender, room, slow) = (queue.sender.clone(), queue.room.clone(), queue.slow.clone());
		queues.insert(node, NodeQueue { id, sender, room, slow });
		tokio::spawn(drain_node_queue(Arc::downgrade(self), node, id, receiver, queue.clone()));
		Some(queue)
	}

	/// Waits until everything queued for `node` so far is sent, or until `node` is slow (what
	/// waits for it then goes at its pace, or is dropped).
	async fn flush_node_queue(&self, node: PeerId) {
		let queue = {
			let queues = self.pubsub.queues.lock().expect("not poisoned");
			queues.get(&node).map(|queue| (queue.sender.clone(), queue.slow.subscribe()))
		};
		let Some((sender, mut slow)) = queue else { return };
		let flushed = async {
			let (flushed, done) = oneshot::channel();
			if sender.send(Outgoing::Flushed(flushed)).await.is_ok() {
				let _ = done.await;
			}
		};
		tokio::select! {
			() = flushed => {}
			_ = slow.wait_for(|slow| *slow) => {}
		}
	}

	/// **The seam out**, durable: sends `batch` to `node` (see the module's documentation);
	/// `Ok` once `node` answered that it holds the whole batch durably.
	pub(super) async fn send_publications(
		&self,
		node: PeerId,
		batch: Publications,
	) -> Result<(), MicroError> {
		let request =
			Message::call(&self.unique_id(), BROKER_SERVICE, BROKER_DELIVER, batch.encode_to_vec());
		let unreachable = |detail: String| MicroError::new(BROKER_SERVICE, 503, detail);
		let link =
			self.links.to(node).await.map_err(|e| unreachable(format!("node {node}: {e}")))?;
		let frame = link
			.request(|buffer| request.encode_into(buffer))
			.await
			.map_err(|e| unreachable(format!("node {node}: {e}")))?;
		let reply = Message::decode_message(&frame, &self.config.limits).map_err(|e| {
			unreachable(format!("node {node} sent a malformed answer: {}", e.detail))
		})?;
		match reply.error() {
			Some(error) => Err(error.unwrap_or_else(|malformed| malformed)),
			None => Ok(()),
		}
	}

	/// **The seam out**, core: sends `records` (each from
	/// [`publications::encode_record`], with the node's groups) to `node` as one batch, one
	/// way: `Ok` once its link took it (nothing answers a core batch, and the link's writer
	/// batches what queues behind it); the caller counts an `Err` as the batch dropped. Opening
	/// the link and waiting for room in it take at most `patience` together: a node that reads
	/// nothing, or never answers the link's opening, loses what is meant for it instead of
	/// holding back its queue for long.
	pub(super) async fn send_core_batch(
		&self,
		node: PeerId,
		records: &[(Bytes, Bytes)],
		patience: Duration,
	) -> Result<(), MicroError> {
		let unreachable = |detail: String| MicroError::new(BROKER_SERVICE, 503, detail);
		let ready = async {
			// Without patience, only a link already open: an opening is never started (nor
			// waited for) per batch.
			let link = match patience.is_zero() {
				true => self.links.ready(&node).ok_or_else(|| {
					unreachable(format!("node {node}: no link open, none opened now"))
				})?,
				false => self
					.links
					.to(node)
					.await
					.map_err(|e| unreachable(format!("node {node}: {e}")))?,
			};
			// At the pace `node` reads: the link's buffer stays bounded (one batch waits while
			// another is written).
			link.room(MAX_BATCH_BYTES).await;
			Ok(link)
		};
		let link = tokio::time::timeout(patience, ready).await.map_err(|_| {
			unreachable(format!("node {node} took over {patience:?} to open its link or read"))
		})??;
		link.send(|buffer| publications::put_batch(buffer, records))
			.map_err(|e| unreachable(format!("node {node}: {e}")))
	}

	/// **The seam in**, core: hands each publication of the core batch `frame` from `from` to
	/// this node's live subscribers (never stored), its `Micro-Publisher` set to `from`, and its
	/// queue groups' members here if it names their groups; returns how many. A record refused
	/// (over the limits, or on a topic the admission check refuses `from`, 403) is skipped and
	/// counted, the rest delivered, and the first refusal returned; a malformed frame ends
	/// there (those before it were delivered). Records on a topic nobody here subscribes to
	/// cost no more than reading them; a record's groups are only scanned for this node's
	/// own. It yields every [`RECORDS_PER_POLL`] records or [`BYTES_PER_POLL`] bytes.
	pub(super) async fn receive_core_batch(
		&self,
		from: PeerId,
		frame: &[u8],
	) -> Result<usize, MicroError> {
		// A batch of another version (an older node's format) is refused whole, and counted.
		let mut batch =
			publications::Batch::read(frame, &self.config.limits).inspect_err(|_| {
				self.pubsub.refused.fetch_add(1, Ordering::Relaxed);
			})?;
		let sender = self.ids.name(&from);
		let mut plan = Plan {
			local: self.pubsub.local.clone(),
			nodes: Vec::new(),
			queue_nodes: HashMap::new(),
			unnamed_groups_here: false,
		};
		// Per topic of this batch: whether `from` is admitted on it, whether anyone listens
		// here, and this node's queue groups on it (sorted, read at its first record with
		// groups). Read once per topic, however the batch alternates its topics: a sender
		// switching topic at every record cannot make each record take the broker's lock.
		let mut topics: HashMap<String, TopicHere> = HashMap::new();
		let (mut delivered, mut refused, mut read) = (0, 0, 0usize);
		let mut unread_at_poll = batch.unread();
		let mut first_refusal = None;
		while let Some(record) = batch.next_record() {
			read += 1;
			if read % RECORDS_PER_POLL == 0 || unread_at_poll - batch.unread() >= BYTES_PER_POLL {
				unread_at_poll = batch.unread();
				tokio::task::yield_now().await;
			}
			let record = match record {
				Ok(record) => record,
				Err(refusal) => {
					refused += 1;
					first_refusal.get_or_insert(refusal.into_error());
					continue;
				}
			};
			if !topics.contains_key(record.topic) {
				let here = TopicHere {
					// As for durable ones: a stranger cannot fill its subscribers' channels.
					admitted: self.config.admission.admits(&from, record.topic, None),
					listened: self.broker.listens(record.topic),
					groups: None,
				};
				topics.insert(record.topic.to_owned(), here);
			}
			let topic = topics.get_mut(record.topic).expect("inserted above");
			if !topic.admitted {
				refused += 1;
				first_refusal.get_or_insert_with(|| {
					let detail = format!(
						"this node does not take publications on `{}` from {from}",
						record.topic
					);
					MicroError::new(BROKER_SERVICE, 403, detail)
				});
				continue;
			}
			if !topic.listened {
				continue;
			}
			let mut message = record.message();
			message.set(header::PUBLISHER, &sender);
			plan.queue_nodes.clear();
			if record.group_count() > 0 {
				let here = topic.groups.get_or_insert_with(|| self.broker.interest(record.topic).1);
				for group in record.groups() {
					if here.binary_search_by(|local| local.as_str().cmp(group)).is_ok() {
						plan.queue_nodes.insert(group.to_owned(), plan.local.clone());
					}
				}
			}
			self.broker.deliver_core(record.topic, message, &plan);
			delivered += 1;
		}
		if refused > 0 {
			self.pubsub.refused.fetch_add(refused as u64, Ordering::Relaxed);
		}
		first_refusal.map_or(Ok(delivered), Err)
	}

	/// A publication from `from` as this node takes it: a message within its limits, with a
	/// topic, on which `from` is admitted (a stranger cannot fill its store until honest
	/// publishes get a 507, nor its subscribers' channels).
	fn take_publication(
		&self,
		from: &PeerId,
		envelope: Option<crate::protocol::Envelope>,
	) -> Result<(String, Message), MicroError> {
		let envelope = envelope.ok_or_else(|| {
			MicroError::bad_request(BROKER_SERVICE, "a publication without a message")
		})?;
		let message = Message::from_envelope(envelope, &self.config.limits)?;
		let Form::Publish { topic, .. } = message.form()? else {
			return Err(MicroError::bad_request(
				BROKER_SERVICE,
				"not a publication: it has no topic",
			));
		};
		if !self.config.admission.admits(from, &topic, None) {
			return Err(MicroError::new(
				BROKER_SERVICE,
				403,
				format!("this node does not take publications on `{topic}` from {from}"),
			));
		}
		Ok((topic, message))
	}

	/// **The seam in**: takes the publications another node sent (`bytes`, an encoded
	/// [`Publications`]). Durable: stores them (one commit) for this node's subscribers, or in
	/// the inbox if there are none, before it returns `Ok`, which acknowledges them. Core: hands
	/// them to this node's live subscribers and forgets them. Each one's `Micro-Publisher` is
	/// set to the sender, so duplicates are judged per publisher; a node the admission check
	/// refuses for a topic gets a 403 and nothing of its batch is taken from there on.
	pub(super) async fn receive_publications(
		self: &Arc<Self>,
		from: PeerId,
		bytes: &[u8],
		mode: DeliveryMode,
	) -> Result<(), MicroError> {
		let refused = |what: &str| MicroError::bad_request(BROKER_SERVICE, what);
		let batch = Publications::decode(bytes)
			.map_err(|e| refused(&format!("malformed publications: {e}")))?;
		let sender = self.ids.name(&from);
		let mut commits = Vec::new();
		for publication in batch.publications {
			// A publication this node does not take is skipped and counted, and the rest of the
			// batch taken and acknowledged: refusing the batch would leave it at the head of
			// the sender's outbox, holding back everything behind it, for a day.
			let (topic, mut message) = match self.take_publication(&from, publication.message) {
				Ok(taken) => taken,
				Err(why) => {
					self.pubsub.publications_refused.fetch_add(1, Ordering::Relaxed);
					log::debug!(target: "mucp", "a publication from {from} refused: {}", why.detail);
					continue;
				}
			};
			message.set(header::PUBLISHER, &sender);
			let plan = Plan {
				local: self.pubsub.local.clone(),
				nodes: Vec::new(),
				queue_nodes: publication.queue_nodes,
				unnamed_groups_here: false,
			};
			match mode {
				DeliveryMode::Durable => commits.push(
					self.broker
						.publish_later(&topic, message, SystemTime::now(), &plan)
						.map_err(broker_error)?,
				),
				DeliveryMode::Core => {
					self.broker.deliver_core(&topic, message, &plan);
				}
			}
		}
		for commit in commits {
			commit.committed().await.map_err(broker_error)?;
		}
		Ok(())
	}
}

impl Driver {
	/// Who on other nodes subscribes to `topic`, as gossipsub has it now: the peers on its
	/// channel, and for each queue group the peers with members.
	pub(super) fn remote_interest(
		&self,
		topic: &str,
	) -> (Vec<PeerId>, BTreeMap<String, Vec<PeerId>>) {
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

	/// Sends the outbox messages due now (all of `reconnected`'s, as it just came back) to
	/// their nodes if connected, each batch through [`Shared::send_publications`]; each stays
	/// on disk until its node answers (`Command::OutboxSent`).
	pub(super) fn send_outbox(&mut self, reconnected: Option<PeerId>) {
		let reconnected = reconnected.map(|p| p.to_string());
		let busy: HashSet<String> = self
			.sending
			.iter()
			.cloned()
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
			self.sending.insert(node.clone());
			let shared = self.shared.clone();
			tokio::spawn(async move {
				// An answer that does not come in the acknowledgement's time counts as a
				// failure: the node's outbox is not held back behind it for good.
				let sent = shared.send_publications(peer, publications);
				let patience = shared.broker.ack_timeout();
				let acked = matches!(tokio::time::timeout(patience, sent).await, Ok(Ok(())));
				let _ = shared.pubsub.command(Command::OutboxSent { node, sequences, acked });
			});
		}
	}

	/// Messages that went into an inbox while a remote subscriber was arriving go to the first
	/// admitted node that listens (a publish may store a message just after the node's
	/// subscription was heard of).
	pub(super) fn hand_waiting_inboxes(&mut self) {
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
	pub(super) fn hand_inbox_to(&mut self, peer: PeerId, topic: &str) {
		let admission = &self.shared.config.admission;
		if self.shared.broker.inbox_len(topic) == 0 || !admission.admits(&peer, topic, None) {
			return;
		}
		let node = peer.to_string();
		if self.shared.broker.hand_inbox_to(&node, topic, SystemTime::now()) > 0 {
			self.send_outbox(Some(peer));
		}
	}
}

/// The task that drains `node`'s core send queue: it takes everything waiting (up to a batch's
/// size) and sends it as one batch, one batch in flight at a time, so messages keep their order
/// and batches grow when publishes come faster than sends. It ends when the peer is gone, or
/// after [`QUEUE_IDLE`] without messages (sending what came meanwhile first).
///
/// It tells whether the node is slow (`handle.slow`): after a batch that could not be sent, or
/// waited over [`SLOW_BATCH`] with the queue half full or more; no longer once a batch goes
/// without such a wait *and* the queue has drained below half (see [`still_slow`]). A batch that could not be sent within [`CORE_STALL`] makes the next
/// ones not wait at all for a while (they go if the link has room, else are dropped), so a
/// node that reads nothing loses what is meant for it at once.
async fn drain_node_queue(
	shared: Weak<Shared>,
	node: PeerId,
	id: u64,
	mut queue: mpsc::Receiver<Outgoing>,
	handle: QueueHandle,
) {
	let mut closing = false;
	// Until when batches do not wait, the node having read nothing for `CORE_STALL`.
	let mut stalled_until: Option<Instant> = None;
	let mut carried: Option<Outgoing> = None;
	loop {
		let first = match carried.take() {
			Some(item) => Some(item),
			None if closing => queue.recv().await,
			None => match tokio::time::timeout(QUEUE_IDLE, queue.recv()).await {
				Ok(item) => item,
				Err(_) => {
					let Some(shared) = shared.upgrade() else { return };
					let mut queues = shared.pubsub.queues.lock().expect("not poisoned");
					if queues.get(&node).is_some_and(|q| q.id == id) {
						queues.remove(&node);
					}
					drop(queues);
					queue.close();
					closing = true;
					continue;
				}
			},
		};
		let Some(first) = first else { return };
		let Some(shared) = shared.upgrade() else { return };
		let max_bytes = MAX_BATCH_BYTES.min(shared.config.limits.max_frame);
		let (mut records, mut permits, mut flushed, mut size) =
			(Vec::new(), Vec::new(), Vec::new(), publications::BATCH_HEADER);
		let mut item = Some(first);
		while let Some(next) = item.take() {
			match next {
				Outgoing::Publication(record, groups, permit) => {
					let len = record.len() + groups.len();
					if !records.is_empty()
						&& (size + len > max_bytes || records.len() >= MAX_BATCH_MESSAGES)
					{
						carried = Some(Outgoing::Publication(record, groups, permit));
						break;
					}
					size += len;
					records.push((record, groups));
					permits.push(permit);
				}
				Outgoing::Flushed(done) => flushed.push(done),
			}
			item = queue.try_recv().ok();
		}
		if !records.is_empty() {
			let count = records.len();
			let started = Instant::now();
			let patience = match stalled_until {
				Some(until) if started < until => Duration::ZERO,
				_ => CORE_STALL,
			};
			let sent = shared.send_core_batch(node, &records, patience).await;
			let half_full = handle.room.available_permits() < NODE_QUEUE_BYTES / 2
				|| handle.sender.capacity() < NODE_QUEUE_MESSAGES / 2;
			let was = *handle.slow.borrow();
			let slow = still_slow(was, sent.is_ok(), started.elapsed(), half_full);
			handle.slow.send_if_modified(|was| std::mem::replace(was, slow) != slow);
			if let Err(error) = sent {
				log::debug!(target: "mucp", "{count} core messages for {node} dropped: {error}");
				shared.broker.count_core_dropped(count);
				shared.pubsub.slow_dropped.fetch_add(count as u64, Ordering::Relaxed);
				if patience > Duration::ZERO {
					stalled_until = Some(Instant::now() + CORE_STALL);
				}
			} else {
				stalled_until = None;
			}
		}
		drop(permits);
		for done in flushed {
			let _ = done.send(());
		}
	}
}

/// Whether a node is slow after one of its batches: it is if the batch could not be sent, or
/// waited over [`SLOW_BATCH`] (`took`) with its queue `half_full` or more. A node that `was`
/// slow stays so until its queue has drained below half: one fast batch (a reader that stalls
/// and then reads a little at once) does not make publishers wait for it again while its queue
/// is still full.
fn still_slow(was: bool, sent: bool, took: Duration, half_full: bool) -> bool {
	!sent || (half_full && (was || took > SLOW_BATCH))
}

/// The [`MicroError`] a broker error is told to callers as.
pub(super) fn broker_error(error: BrokerError) -> MicroError {
	match error {
		BrokerError::Message(error) => error,
		BrokerError::Full(what) => MicroError::new("mucp.broker", 507, what),
		other => MicroError::internal("mucp.broker", other.to_string()),
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::peer::tests::lone_peer;

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

	async fn peer_with(dir: &tempfile::TempDir, subscriber_buffer: usize) -> Peer {
		let mut config = super::super::PeerConfig::new(dir.path().join("broker.redb"));
		config.broker.subscriber_buffer = subscriber_buffer;
		Peer::start(config).await.unwrap()
	}

	fn ids(deliveries: &[Delivery]) -> Vec<String> {
		deliveries.iter().map(|d| d.message.id().unwrap_or_default().to_owned()).collect()
	}

	/// Everything already in `subscription`.
	fn drain(subscription: &mut Subscription) -> Vec<Delivery> {
		std::iter::from_fn(|| subscription.deliveries.try_recv().ok()).collect()
	}

	#[tokio::test]
	async fn a_core_publish_reaches_a_local_subscriber_without_touching_the_store() {
		let dir = tempfile::tempdir().unwrap();
		let peer = lone_peer(&dir).await;
		let mut subscription = peer.subscribe("news", None).unwrap();
		assert_eq!(peer.publish_core("news", "{}").await.unwrap(), Published::Delivered(1));
		let delivery = subscription.next().await.unwrap();
		assert_eq!((delivery.mode, delivery.tag), (DeliveryMode::Core, 0));
		assert_eq!(
			delivery.message.header(header::PUBLISHER),
			Some(peer.id().to_string().as_str())
		);
		subscription.ack(&delivery).unwrap();
		subscription.ack(&delivery).unwrap();
		assert_eq!(peer.shared.broker.stored_len(), 0, "nothing was stored");
		// The mode also comes from the message's own header.
		let tagged = Message::publish("m-1", "news", "{}").with(header::DELIVERY, "core");
		assert_eq!(peer.publish_message(tagged).await.unwrap(), Published::Delivered(1));
		assert_eq!(subscription.next().await.unwrap().mode, DeliveryMode::Core);
		assert_eq!(peer.shared.broker.stored_len(), 0);
		assert_eq!(peer.core_dropped(), 0);
	}

	#[tokio::test]
	async fn a_core_message_nobody_listens_to_is_dropped_and_says_so() {
		let dir = tempfile::tempdir().unwrap();
		let peer = lone_peer(&dir).await;
		assert_eq!(peer.publish_core("void", "{}").await.unwrap(), Published::Dropped);
		assert_eq!((peer.inbox_len("void"), peer.shared.broker.stored_len()), (0, 0));
		let subscription = peer.subscribe("void", None).unwrap();
		drop(subscription);
		assert_eq!(peer.publish_core("void", "{}").await.unwrap(), Published::Dropped);
		// A durable publish still waits for a subscriber.
		assert_eq!(peer.publish("void", "{}").await.unwrap(), Published::Stored);
		assert_eq!(peer.shared.broker.stored_len(), 1);
	}

	#[tokio::test]
	async fn a_slow_subscriber_loses_core_messages_and_they_are_counted() {
		let dir = tempfile::tempdir().unwrap();
		let peer = peer_with(&dir, 2).await;
		let mut subscription = peer.subscribe("news", None).unwrap();
		let mut outcomes = Vec::new();
		for _ in 0..4 {
			outcomes.push(peer.publish_core("news", "{}").await.unwrap());
		}
		let expected = [1, 1, 0, 0].map(Published::Delivered);
		assert_eq!(outcomes, expected, "its channel holds two");
		assert_eq!(peer.core_dropped(), 2);
		assert_eq!(drain(&mut subscription).len(), 2);
		assert_eq!(peer.shared.broker.stored_len(), 0, "nothing waits to be sent again");
	}

	#[tokio::test]
	async fn a_queue_group_other_nodes_would_not_take_is_refused_at_subscribe() {
		let dir = tempfile::tempdir().unwrap();
		let peer = lone_peer(&dir).await;
		let error = peer.subscribe("news", Some(&"g".repeat(MAX_GROUP_NAME + 1))).err().unwrap();
		assert_eq!(error.code, 413, "{}", error.detail);
		let mut kept = vec![peer.subscribe("news", Some(&"g".repeat(MAX_GROUP_NAME))).unwrap()];
		for n in 1..MAX_GROUPS_PER_NODE {
			kept.push(peer.subscribe("news", Some(&format!("g{n}"))).unwrap());
		}
		let error = peer.subscribe("news", Some("one-too-many")).err().unwrap();
		assert_eq!(error.code, 413, "{}", error.detail);
		assert!(error.detail.contains("at most 64"), "{}", error.detail);
		// Another member of a group it has, a plain subscriber, or another topic: taken.
		assert!(peer.subscribe("news", Some("g1")).is_ok());
		assert!(peer.subscribe("news", None).is_ok());
		assert!(peer.subscribe("other", Some("one-too-many")).is_ok());
		assert_eq!(peer.shared.broker.interest("news").1.len(), MAX_GROUPS_PER_NODE);
	}

	#[tokio::test]
	async fn a_queue_group_gets_each_core_message_once() {
		let dir = tempfile::tempdir().unwrap();
		let peer = lone_peer(&dir).await;
		let mut first = peer.subscribe("jobs", Some("workers")).unwrap();
		let mut second = peer.subscribe("jobs", Some("workers")).unwrap();
		let mut auditor = peer.subscribe("jobs", None).unwrap();
		for n in 0..10 {
			let message = Message::publish(&format!("m-{n}"), "jobs", "{}");
			let options = PublishOptions { delivery: DeliveryMode::Core };
			assert_eq!(peer.publish_with(message, options).await.unwrap(), Published::Delivered(2));
		}
		let (first, second) = (ids(&drain(&mut first)), ids(&drain(&mut second)));
		assert_eq!((first.len(), second.len()), (5, 5), "in turn");
		let mut group: Vec<String> = first.into_iter().chain(second).collect();
		group.sort_by_key(|id| id[2..].parse::<u32>().unwrap());
		let all: Vec<String> = (0..10).map(|n| format!("m-{n}")).collect();
		assert_eq!(group, all, "each once");
		assert_eq!(ids(&drain(&mut auditor)), all, "a plain subscriber gets every one");
	}

	#[tokio::test]
	async fn pipelined_publishes_arrive_in_order_in_both_modes() {
		let dir = tempfile::tempdir().unwrap();
		let peer = peer_with(&dir, 1024).await;
		let mut subscription = peer.subscribe("feed", None).unwrap();
		for delivery in [DeliveryMode::Core, DeliveryMode::Durable] {
			let mut publisher = peer.publisher("feed", PublishOptions { delivery }).unwrap();
			let bodies: Vec<String> = (0..500).map(|n| format!(r#"{{"n":{n}}}"#)).collect();
			for body in &bodies {
				assert_eq!(publisher.send(body.clone()).await.unwrap(), Published::Delivered(1));
			}
			publisher.flush().await.unwrap();
			let got = drain(&mut subscription);
			let got_bodies: Vec<String> =
				got.iter().map(|d| String::from_utf8_lossy(&d.message.body).into_owned()).collect();
			assert_eq!(got_bodies, bodies, "{delivery:?}: all of them, in order");
			assert!(got.iter().all(|d| d.mode == delivery));
			let stored = peer.shared.broker.stored_len();
			assert_eq!(stored, if delivery == DeliveryMode::Core { 0 } else { 500 });
			for delivery in &got {
				subscription.ack(delivery).unwrap();
			}
			assert_eq!(peer.shared.broker.stored_len(), 0);
		}
		assert!(peer.publisher("", PublishOptions::default()).is_err());
	}

	#[tokio::test]
	async fn core_messages_for_an_unreachable_node_or_past_its_queue_are_dropped_and_counted() {
		let dir = tempfile::tempdir().unwrap();
		let peer = lone_peer(&dir).await;
		// A node this peer believes listens, but cannot reach (no address, no connection).
		let gone = PeerId::random();
		let channel = crate::transport::topic_channel("news").hash();
		peer.shared.pubsub.interest.lock().unwrap().subscribed(gone, &channel);
		assert_eq!(peer.listeners("news").await, vec![(gone, Vec::new())]);
		let count = NODE_QUEUE_MESSAGES + 500;
		let mut queued = 0;
		for _ in 0..count {
			match peer.publish_core("news", "{}").await.unwrap() {
				Published::Delivered(1) => queued += 1,
				other => assert_eq!(other, Published::Delivered(0), "past the queue's bound"),
			}
		}
		assert!(queued >= NODE_QUEUE_MESSAGES.min(count), "{queued} queued");
		let deadline = std::time::Instant::now() + Duration::from_secs(30);
		while peer.core_dropped() < count as u64 {
			assert!(std::time::Instant::now() < deadline, "{} counted", peer.core_dropped());
			tokio::time::sleep(Duration::from_millis(20)).await;
		}
		assert_eq!(peer.core_dropped(), count as u64, "each counted once");
		assert_eq!(peer.shared.broker.stored_len(), 0);
		assert!(peer.shared.pubsub.queues.lock().unwrap().len() <= 1);
	}

	#[tokio::test]
	async fn a_core_batch_reaches_subscribers_from_its_sender_and_a_bad_one_is_refused() {
		let dir = tempfile::tempdir().unwrap();
		let (friend, stranger) = (PeerId::random(), PeerId::random());
		let mut config = super::super::PeerConfig::new(dir.path().join("broker.redb"));
		config.admission = crate::broker::Admission::only([friend]);
		let peer = Peer::start(config).await.unwrap();
		let mut subscription = peer.subscribe("news", None).unwrap();
		let record = |id: &str| {
			let message = Message::publish(id, "news", "{}").with(header::PUBLISHER, "forged");
			let limits = crate::protocol::Limits::default();
			(
				publications::encode_record(&message, "news", &limits).unwrap(),
				publications::NO_GROUPS,
			)
		};
		let mut frame = bytes::BytesMut::new();
		publications::put_batch(&mut frame, &[record("m-1"), record("m-2")]);
		assert_eq!(peer.shared.receive_core_batch(friend, &frame).await.unwrap(), 2);
		let got = drain(&mut subscription);
		assert_eq!(ids(&got), ["m-1", "m-2"]);
		for delivery in &got {
			assert_eq!((delivery.mode, &*delivery.topic), (DeliveryMode::Core, "news"));
			let publisher = delivery.message.header(header::PUBLISHER);
			assert_eq!(publisher, Some(friend.to_string().as_str()), "the sender, not the forgery");
			assert_eq!(delivery.message.header(header::CONTENT_TYPE), Some("application/json"));
		}
		// A stranger's batch is refused; a friend's broken one from where it breaks.
		assert_eq!(peer.shared.receive_core_batch(stranger, &frame).await.unwrap_err().code, 403);
		let broken = peer.shared.receive_core_batch(friend, &frame[..frame.len() - 1]).await;
		assert_eq!(broken.unwrap_err().code, 400);
		assert_eq!(ids(&drain(&mut subscription)), ["m-1"], "only the record before the break");
		assert_eq!((peer.shared.broker.stored_len(), peer.core_dropped()), (0, 0));
	}

	#[tokio::test]
	async fn a_node_is_taken_as_slow_only_for_its_own_wait() {
		let dir = tempfile::tempdir().unwrap();
		let peer = lone_peer(&dir).await;
		let node = PeerId::random();
		let _received = far_node(&peer, node, "news");
		let queue = peer.shared.node_queue(node).unwrap();
		// Its queue is full for a moment (the publisher outran its link).
		let held = queue.room.clone().try_acquire_many_owned(NODE_QUEUE_BYTES as u32).unwrap();
		let message = Message::publish("m-1", "news", "{}");
		let limits = crate::protocol::Limits::default();
		let record = publications::encode_record(&message, "news", &limits).unwrap();
		let mut nodes = HashSet::new();
		// Another node spent the send's deadline: this one loses the message, not its standing.
		let mut spent = Room::Wait(&mut nodes, Instant::now());
		let groups = publications::NO_GROUPS;
		assert!(!peer.shared.queue_core(node, record.clone(), groups.clone(), &mut spent).await);
		assert!(!*queue.slow.borrow(), "not slow: it held nobody back");
		assert_eq!(peer.core_dropped_for_slow_nodes(), 0);
		// It held the send back itself for the whole patience: slow.
		let mut waited = Room::Wait(&mut nodes, Instant::now() + PUBLISH_PATIENCE);
		assert!(!peer.shared.queue_core(node, record, groups, &mut waited).await);
		assert!(*queue.slow.borrow());
		assert_eq!(peer.core_dropped_for_slow_nodes(), 1);
		drop(held);
	}

	#[test]
	fn a_slow_node_stays_slow_until_its_queue_drains_below_half() {
		let (fast, long) = (Duration::from_millis(1), SLOW_BATCH + Duration::from_millis(1));
		assert!(still_slow(false, false, fast, false), "a batch not sent");
		assert!(still_slow(false, true, long, true), "a long wait with the queue half full");
		assert!(!still_slow(false, true, long, false), "a long wait, the queue nearly empty");
		assert!(!still_slow(false, true, fast, true), "a fast batch: the publisher outruns it");
		// Slow, then one fast batch while its queue is still half full: still slow.
		assert!(still_slow(true, true, fast, true));
		// Its queue drained below half: no longer.
		assert!(!still_slow(true, true, fast, false));
	}

	#[tokio::test]
	async fn an_older_nodes_core_publications_are_refused_and_counted() {
		let dir = tempfile::tempdir().unwrap();
		let peer = lone_peer(&dir).await;
		let mut subscription = peer.subscribe("news", None).unwrap();
		// What a node before compact batches sent on the same link: a MUCP message.
		let publications = Publications {
			publications: vec![Publication {
				message: Some(Message::publish("m-1", "news", "{}").to_envelope()),
				queue_nodes: HashMap::new(),
			}],
		};
		let old =
			Message::call("c-1", BROKER_SERVICE, BROKER_DELIVER, publications.encode_to_vec())
				.with(header::DELIVERY, DeliveryMode::Core.as_str());
		let error = peer.shared.receive_core_batch(PeerId::random(), &old.encode()).await;
		let error = error.unwrap_err();
		assert_eq!(error.code, 400);
		assert!(error.detail.contains("this node reads 2"), "{}", error.detail);
		assert_eq!(peer.core_refused(), 1);
		assert!(drain(&mut subscription).is_empty());
	}

	/// What a node at the far end of a link receives: each core batch's records, as (topic,
	/// id, groups).
	type Received = Arc<Mutex<Vec<(String, String, Vec<String>)>>>;

	struct FarNode(Received);

	impl crate::link::Responder for FarNode {
		fn respond(&self, _: PeerId, _: Bytes) -> futures::future::BoxFuture<'static, Bytes> {
			Box::pin(async { Bytes::new() })
		}
		fn refuse(&self, _: PeerId, _: &Bytes, _: usize) -> Bytes {
			Bytes::new()
		}
		fn receive(&self, _: PeerId, frame: Bytes) -> futures::future::BoxFuture<'static, ()> {
			let limits = crate::protocol::Limits::default();
			let mut batch = publications::Batch::read(&frame, &limits).unwrap();
			let mut received = self.0.lock().unwrap();
			while let Some(record) = batch.next_record() {
				let record = record.unwrap();
				let groups = record.groups().map(str::to_owned).collect();
				received.push((record.topic.to_owned(), record.id.to_owned(), groups));
			}
			Box::pin(async {})
		}
	}

	/// `node`, listening to `topic`, reached from `peer` over an in-memory link that it reads
	/// as fast as it comes.
	fn far_node(peer: &Peer, node: PeerId, topic: &str) -> Received {
		let max_frame = peer.shared.config.limits.max_frame;
		let (near, far, _) = crate::link::tests::pipe(64 << 10);
		peer.shared.links.insert(node, Arc::new(crate::link::Link::open(near, max_frame)));
		let received = Received::default();
		let responder = Arc::new(FarNode(received.clone()));
		let budget = crate::link::Budget::new(1 << 16);
		let pending = futures::future::pending();
		tokio::spawn(crate::link::serve(far, peer.id(), responder, budget, max_frame, pending));
		let channel = crate::transport::topic_channel(topic).hash();
		peer.shared.pubsub.interest.lock().unwrap().subscribed(node, &channel);
		received
	}

	/// `node`, listening to `topic`, reached from `peer` over an in-memory link whose far end
	/// reads `chunk` bytes every `every` (never, if `None`).
	fn slow_node(peer: &Peer, node: PeerId, topic: &str, chunk: usize, every: Option<Duration>) {
		let max_frame = peer.shared.config.limits.max_frame;
		let (near, mut far, _) = crate::link::tests::pipe(64 << 10);
		peer.shared.links.insert(node, Arc::new(crate::link::Link::open(near, max_frame)));
		tokio::spawn(async move {
			use futures::AsyncReadExt;
			let mut buffer = vec![0; chunk];
			loop {
				match every {
					Some(every) => tokio::time::sleep(every).await,
					None => futures::future::pending().await,
				}
				if far.read(&mut buffer).await.unwrap_or(0) == 0 {
					return;
				}
			}
		});
		let channel = crate::transport::topic_channel(topic).hash();
		peer.shared.pubsub.interest.lock().unwrap().subscribed(node, &channel);
	}

	/// Polls until `received` holds `count` records.
	async fn wait_for(received: &Received, count: usize) {
		let deadline = std::time::Instant::now() + Duration::from_secs(30);
		while received.lock().unwrap().len() < count {
			let got = received.lock().unwrap().len();
			assert!(std::time::Instant::now() < deadline, "{got} of {count} received");
			tokio::time::sleep(Duration::from_millis(10)).await;
		}
	}

	#[tokio::test]
	async fn a_strangers_many_or_huge_queue_groups_stop_no_core_message_to_others() {
		let dir = tempfile::tempdir().unwrap();
		let peer = peer_with(&dir, 16).await;
		let (honest, hostile) = (PeerId::random(), PeerId::random());
		let honest_received = far_node(&peer, honest, "news");
		let hostile_received = far_node(&peer, hostile, "news");
		{
			let mut interest = peer.shared.pubsub.interest.lock().unwrap();
			let marker = |group: &str| crate::transport::queue_marker("news", group).hash();
			interest.subscribed(hostile, &marker(&"g".repeat(70_000)));
			for n in 0..=publications::MAX_GROUPS {
				interest.subscribed(hostile, &marker(&format!("g{n}")));
			}
		}
		let refused =
			1 + publications::MAX_GROUPS + 1 - super::super::interest::MAX_GROUPS_PER_NODE;
		assert_eq!(peer.queue_groups_refused(), refused as u64);
		let options = PublishOptions { delivery: DeliveryMode::Core };
		let message = Message::publish("m-1", "news", "{}");
		assert_eq!(peer.publish_with(message, options).await.unwrap(), Published::Delivered(2));
		wait_for(&honest_received, 1).await;
		wait_for(&hostile_received, 1).await;
		let honest_got = honest_received.lock().unwrap().clone();
		assert_eq!(honest_got, [("news".into(), "m-1".into(), Vec::new())], "no group of another");
		let hostile_got = hostile_received.lock().unwrap().clone();
		assert_eq!(hostile_got[0].2.len(), super::super::interest::MAX_GROUPS_PER_NODE);
		assert_eq!(peer.core_dropped(), 0);
	}

	#[tokio::test]
	async fn a_durable_message_reaches_a_queue_group_that_came_when_its_topic_was_full() {
		use super::super::interest::{MAX_GROUPS_PER_NODE, MAX_GROUPS_PER_TOPIC};
		let dir = tempfile::tempdir().unwrap();
		let peer = peer_with(&dir, 16).await;
		let honest = PeerId::random();
		let honest_received = far_node(&peer, honest, "news");
		let hostile: Vec<PeerId> =
			(0..MAX_GROUPS_PER_TOPIC / MAX_GROUPS_PER_NODE).map(|_| PeerId::random()).collect();
		// Other nodes took every slot on `news` before the honest node's group came. (Made
		// again right before each publish, with no wait between: the swarm's task rebuilds the
		// map from gossipsub, which knows none of them, when it first runs.)
		let subscribe = || {
			let mut interest = peer.shared.pubsub.interest.lock().unwrap();
			let marker = |group: &str| crate::transport::queue_marker("news", group).hash();
			for node in &hostile {
				for n in 0..MAX_GROUPS_PER_NODE {
					interest.subscribed(*node, &marker(&format!("j{node}-{n}")));
				}
			}
			interest.subscribed(honest, &crate::transport::topic_channel("news").hash());
			interest.subscribed(honest, &marker("workers"));
			let news = interest.listeners("news").unwrap();
			assert_eq!(news.overflow["workers"], vec![honest], "no slot left for it");
		};
		// A durable message names the honest node for `workers`: its members get it there, so
		// its acknowledgement is true.
		subscribe();
		let durable = PublishOptions { delivery: DeliveryMode::Durable };
		let message = Message::publish("m-1", "news", "{}");
		assert_eq!(peer.publish_with(message, durable).await.unwrap(), Published::Delivered(1));
		// A core one leaves it out (at most once), counted.
		subscribe();
		assert!(peer.queue_groups_refused() >= 1);
		let core = PublishOptions { delivery: DeliveryMode::Core };
		let message = Message::publish("m-2", "news", "{}");
		assert_eq!(peer.publish_with(message, core).await.unwrap(), Published::Delivered(1));
		wait_for(&honest_received, 1).await;
		let got = honest_received.lock().unwrap().clone();
		assert_eq!(got, [("news".into(), "m-2".into(), Vec::new())], "core: left out");
		let due = peer.shared.broker.outbox_due(None, &|_| false, usize::MAX, SystemTime::now());
		let name = honest.to_string();
		let rows = &due.iter().find(|(node, _)| *node == name).expect("a row for the node").1;
		assert_eq!(rows.len(), 1);
		let publication = Publication::decode(rows[0].1.as_slice()).unwrap();
		assert_eq!(publication.queue_nodes.get("workers"), Some(&name));
	}

	#[tokio::test]
	async fn a_durable_publication_carries_to_each_node_only_its_own_queue_groups() {
		use super::super::interest::MAX_GROUPS_PER_NODE;
		let dir = tempfile::tempdir().unwrap();
		let peer = peer_with(&dir, 16).await;
		let (honest, hostile) = (PeerId::random(), PeerId::random());
		let _honest_received = far_node(&peer, honest, "news");
		let _hostile_received = far_node(&peer, hostile, "news");
		let marker = |group: &str| crate::transport::queue_marker("news", group).hash();
		{
			let mut interest = peer.shared.pubsub.interest.lock().unwrap();
			for n in 0..MAX_GROUPS_PER_NODE {
				interest.subscribed(hostile, &marker(&format!("{}-{n}", "g".repeat(250))));
			}
			interest.subscribed(honest, &marker("workers"));
		}
		let durable = PublishOptions { delivery: DeliveryMode::Durable };
		let message = Message::publish("m-1", "news", "{}");
		assert_eq!(peer.publish_with(message, durable).await.unwrap(), Published::Delivered(2));
		let due = peer.shared.broker.outbox_due(None, &|_| false, usize::MAX, SystemTime::now());
		let row = |node: PeerId| {
			let name = node.to_string();
			let rows = &due.iter().find(|(n, _)| *n == name).expect("a row for the node").1;
			assert_eq!(rows.len(), 1);
			Publication::decode(rows[0].1.as_slice()).unwrap()
		};
		let (honest_row, hostile_row) = (row(honest), row(hostile));
		let honest_name = honest.to_string();
		let only_workers = HashMap::from([("workers".to_owned(), honest_name)]);
		assert_eq!(honest_row.queue_nodes, only_workers, "none of the hostile node's groups");
		assert!(honest_row.message.is_some());
		// Each group is named once in all, for the one node chosen for it.
		assert_eq!(hostile_row.queue_nodes.len(), MAX_GROUPS_PER_NODE);
		assert!(hostile_row.queue_nodes.values().all(|node| *node == hostile.to_string()));
	}

	#[tokio::test]
	async fn a_durable_publication_no_node_would_take_is_refused_at_publish() {
		let dir = tempfile::tempdir().unwrap();
		let peer = peer_with(&dir, 16).await;
		let durable = PublishOptions { delivery: DeliveryMode::Durable };
		let long_id = "i".repeat(5000);
		let message = Message::publish(&long_id, "news", "{}");
		let error = peer.publish_with(message, durable).await.unwrap_err();
		assert_eq!(error.code, 413, "{}", error.detail);
		let long_topic = "t".repeat(5000);
		let message = Message::publish("m-1", &long_topic, "{}");
		assert_eq!(peer.publish_with(message, durable).await.unwrap_err().code, 413);
		let stored = peer.shared.broker.outbox_due(None, &|_| false, usize::MAX, SystemTime::now());
		assert!(stored.is_empty(), "nothing was stored to head an outbox");
	}

	#[tokio::test]
	async fn a_durable_batch_takes_its_good_publications_and_skips_the_bad_one() {
		let dir = tempfile::tempdir().unwrap();
		let peer = peer_with(&dir, 16).await;
		let mut subscription = peer.subscribe("news", None).unwrap();
		let publication = |message: Option<Message>| Publication {
			message: message.map(|message| message.to_envelope()),
			queue_nodes: HashMap::new(),
		};
		let over = Message::publish(&"i".repeat(5000), "news", "{}");
		let batch = Publications {
			publications: vec![
				publication(Some(Message::publish("m-1", "news", "{}"))),
				publication(Some(over)),
				publication(None),
				publication(Some(Message::publish("m-2", "news", "{}"))),
			],
		};
		let from = PeerId::random();
		peer.shared
			.receive_publications(from, &batch.encode_to_vec(), DeliveryMode::Durable)
			.await
			.expect("the batch is taken, so its sender's outbox moves on");
		assert_eq!(peer.publications_refused(), 2);
		for id in ["m-1", "m-2"] {
			let delivery = tokio::time::timeout(Duration::from_secs(5), subscription.next())
				.await
				.unwrap()
				.unwrap();
			assert_eq!(delivery.message.id(), Some(id));
		}
	}

	#[tokio::test]
	async fn an_empty_queue_group_or_an_overlong_topic_is_refused_at_subscribe() {
		let dir = tempfile::tempdir().unwrap();
		let peer = peer_with(&dir, 16).await;
		let code = |result: Result<Subscription, MicroError>| result.err().map(|e| e.code);
		assert_eq!(code(peer.subscribe("news", Some(""))), Some(400));
		assert_eq!(code(peer.subscribe(&"t".repeat(5000), None)), Some(413));
		let far = PeerId::random();
		let marker = crate::transport::queue_marker("news", "").hash();
		let taken = peer.shared.pubsub.interest.lock().unwrap().subscribed(far, &marker);
		assert!(taken.is_none(), "another node's empty group is not taken either");
	}

	#[tokio::test]
	async fn a_refused_record_is_skipped_and_the_rest_of_its_batch_delivered() {
		let dir = tempfile::tempdir().unwrap();
		let friend = PeerId::random();
		let mut config = super::super::PeerConfig::new(dir.path().join("broker.redb"));
		config.admission = crate::broker::Admission::new(|_, topic, _| topic != "secret");
		let peer = Peer::start(config).await.unwrap();
		let mut subscription = peer.subscribe("news", None).unwrap();
		let _secret = peer.subscribe("secret", None).unwrap();
		let limits = crate::protocol::Limits::default();
		let record = |topic: &str, id: &str| {
			let message = Message::publish(id, topic, "{}").with("Bad-Name", "x");
			let record = publications::encode_record(&message, topic, &limits).unwrap();
			(record, publications::NO_GROUPS)
		};
		let mut bad = record("news", "m-2").0.to_vec();
		let at = bad.windows(8).position(|w| w == b"Bad-Name").unwrap();
		bad[at + 3] = b' ';
		let records = [
			record("secret", "s-1"),
			record("news", "m-1"),
			(Bytes::from(bad), publications::NO_GROUPS),
			record("news", "m-3"),
		];
		let mut frame = bytes::BytesMut::new();
		publications::put_batch(&mut frame, &records);
		let error = peer.shared.receive_core_batch(friend, &frame).await.unwrap_err();
		assert_eq!(error.code, 403, "the first refusal: {}", error.detail);
		assert_eq!(ids(&drain(&mut subscription)), ["m-1", "m-3"], "the rest delivered");
		assert_eq!(peer.core_refused(), 2);
		assert_eq!(peer.core_dropped(), 0);
	}

	#[tokio::test]
	async fn a_record_naming_more_groups_than_a_node_may_have_is_refused_alone() {
		let dir = tempfile::tempdir().unwrap();
		let peer = peer_with(&dir, 16).await;
		let mut workers = peer.subscribe("news", Some("workers")).unwrap();
		let limits = crate::protocol::Limits::default();
		let record = |id: &str, groups: &[String]| {
			let message = Message::publish(id, "news", "{}");
			let record = publications::encode_record(&message, "news", &limits).unwrap();
			let (groups, left_out) = publications::encode_groups(groups.iter().map(|g| &**g));
			assert_eq!(left_out, 0);
			(record, groups)
		};
		let own = ["workers".to_owned()];
		let mut too_many: Vec<String> = (0..64).map(|n| format!("g{n}")).collect();
		too_many.push("workers".into());
		let (forged, _) = record("m-2", &own);
		let mut groups = (too_many.len() as u16).to_be_bytes().to_vec();
		for group in &too_many {
			groups.extend_from_slice(&(group.len() as u16).to_be_bytes());
			groups.extend_from_slice(group.as_bytes());
		}
		let records = [record("m-1", &own), (forged, Bytes::from(groups)), record("m-3", &own)];
		let mut frame = bytes::BytesMut::new();
		publications::put_batch(&mut frame, &records);
		let error = peer.shared.receive_core_batch(PeerId::random(), &frame).await.unwrap_err();
		assert_eq!(error.code, 413, "{}", error.detail);
		assert_eq!(ids(&drain(&mut workers)), ["m-1", "m-3"], "the records after it delivered");
		assert_eq!(peer.core_refused(), 1);
	}

	#[tokio::test]
	async fn a_batch_alternating_its_topics_reads_each_topics_groups_once() {
		let dir = tempfile::tempdir().unwrap();
		let peer = peer_with(&dir, 1024).await;
		let mut a = peer.subscribe("a", Some("workers")).unwrap();
		let mut b = peer.subscribe("b", Some("workers")).unwrap();
		let limits = crate::protocol::Limits::default();
		let own = ["workers".to_owned()];
		let records: Vec<(Bytes, Bytes)> = (0..1000)
			.map(|n| {
				let topic = if n % 2 == 0 { "a" } else { "b" };
				let message = Message::publish(&format!("m-{n}"), topic, "{}");
				let record = publications::encode_record(&message, topic, &limits).unwrap();
				(record, publications::encode_groups(own.iter().map(|g| &**g)).0)
			})
			.collect();
		let mut frame = bytes::BytesMut::new();
		publications::put_batch(&mut frame, &records);
		let before = crate::broker::INTEREST_READS.with(|reads| reads.get());
		let taken = peer.shared.receive_core_batch(PeerId::random(), &frame).await.unwrap();
		let reads = crate::broker::INTEREST_READS.with(|reads| reads.get()) - before;
		assert_eq!(taken, 1000);
		assert_eq!(reads, 2, "one read of each topic's groups, not one per record");
		assert_eq!((drain(&mut a).len(), drain(&mut b).len()), (500, 500));
	}

	#[tokio::test]
	async fn a_core_batch_of_few_large_records_lets_other_tasks_run_while_read() {
		let dir = tempfile::tempdir().unwrap();
		let peer = peer_with(&dir, 16).await;
		let mut subscription = peer.subscribe("news", None).unwrap();
		let limits = crate::protocol::Limits::default();
		let records: Vec<(Bytes, Bytes)> = (0..4)
			.map(|n| {
				let message = Message::publish(&format!("m-{n}"), "news", vec![b'x'; 100 << 10]);
				let record = publications::encode_record(&message, "news", &limits).unwrap();
				(record, publications::NO_GROUPS)
			})
			.collect();
		let mut frame = bytes::BytesMut::new();
		publications::put_batch(&mut frame, &records);
		// One thread: the other task runs only if the reading task yields.
		let ran = Arc::new(std::sync::atomic::AtomicBool::new(false));
		let other = ran.clone();
		tokio::spawn(async move { other.store(true, Ordering::Relaxed) });
		assert_eq!(peer.shared.receive_core_batch(PeerId::random(), &frame).await.unwrap(), 4);
		assert!(ran.load(Ordering::Relaxed), "it yielded within the 400 KiB of 4 records");
		assert_eq!(drain(&mut subscription).len(), 4);
	}

	#[tokio::test]
	async fn queue_turns_forget_groups_that_went_away() {
		let dir = tempfile::tempdir().unwrap();
		let peer = lone_peer(&dir).await;
		let channel = crate::transport::topic_channel("news").hash();
		let turns = |peer: &Peer| {
			let turns = peer.shared.queue_turns.lock().unwrap();
			turns.get("news").map_or(0, HashMap::len)
		};
		for round in 0..100 {
			let node = PeerId::random();
			{
				let mut interest = peer.shared.pubsub.interest.lock().unwrap();
				interest.subscribed(node, &channel);
				for n in 0..100 {
					let marker = crate::transport::queue_marker("news", &format!("{round}-{n}"));
					interest.subscribed(node, &marker.hash());
				}
			}
			peer.publish_core("news", "{}").await.unwrap();
			assert!(turns(&peer) <= super::super::interest::MAX_GROUPS_PER_NODE, "round {round}");
			peer.shared.pubsub.interest.lock().unwrap().forget(&node);
		}
		// A listener without groups: the topic's turns go.
		peer.shared.pubsub.interest.lock().unwrap().subscribed(PeerId::random(), &channel);
		peer.publish_core("news", "{}").await.unwrap();
		assert!(!peer.shared.queue_turns.lock().unwrap().contains_key("news"));
	}

	#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
	async fn a_slow_or_silent_node_holds_back_no_publisher_nor_the_other_nodes() {
		let dir = tempfile::tempdir().unwrap();
		let peer = peer_with(&dir, 16).await;
		let nodes = [PeerId::random(), PeerId::random(), PeerId::random()];
		let fast = far_node(&peer, nodes[0], "news");
		// Reads a batch's worth in well under a second (never stalled), slower than published.
		slow_node(&peer, nodes[1], "news", 64 << 10, Some(Duration::from_millis(100)));
		slow_node(&peer, nodes[2], "news", 0, None);
		// The swarm's task rebuilds the interest map from gossipsub now and then: they stay.
		let channel = crate::transport::topic_channel("news").hash();
		let listen = || {
			let mut interest = peer.shared.pubsub.interest.lock().unwrap();
			nodes.iter().for_each(|node| drop(interest.subscribed(*node, &channel)));
		};
		let options = PublishOptions { delivery: DeliveryMode::Core };
		let mut publisher = peer.publisher("news", options).unwrap();
		let count = 20_000;
		let body = vec![b'7'; 1024];
		let publishing = async {
			let mut forgotten = 0;
			for _ in 0..count {
				loop {
					listen();
					// Delivered to the nodes whose queues took it, which the slow ones' may not.
					match publisher.send(body.clone()).await {
						Ok(Published::Delivered(_)) => break,
						// The swarm's task rebuilt the map between `listen` and the send: it
						// went nowhere, so it goes again.
						Ok(Published::Dropped) if forgotten < 10 => forgotten += 1,
						sent => panic!("{sent:?}"),
					}
				}
			}
			publisher.flush().await.unwrap();
		};
		// At the slow node's pace this takes over half a minute.
		let held = tokio::time::timeout(Duration::from_secs(20), publishing).await;
		assert!(held.is_ok(), "the publisher was held back");
		wait_for(&fast, count).await;
		assert_eq!(fast.lock().unwrap().len(), count, "the fast node gets every one");
		assert!(peer.core_dropped_for_slow_nodes() > 0);
		assert!(peer.core_dropped() >= peer.core_dropped_for_slow_nodes());
	}

	#[tokio::test]
	async fn concurrent_durable_publishes_share_commits_and_all_arrive() {
		let dir = tempfile::tempdir().unwrap();
		let peer = peer_with(&dir, 1024).await;
		let mut subscription = peer.subscribe("burst", None).unwrap();
		let publishes = (0..200).map(|n| peer.publish("burst", format!(r#"{{"n":{n}}}"#)));
		let outcomes = futures::future::join_all(publishes).await;
		assert!(outcomes.iter().all(|o| o.as_ref().unwrap() == &Published::Delivered(1)));
		assert_eq!(drain(&mut subscription).len(), 200);
		assert_eq!(peer.shared.broker.stored_len(), 200, "each on disk until acknowledged");
	}
}
