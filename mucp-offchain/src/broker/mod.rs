//! The broker: publish to a topic without knowing who listens.
//!
//! - Subscribers without a queue each receive every message of the topic; subscribers sharing a
//!   `Micro-Queue` form a queue group, and each message goes to one member of each group, in
//!   turn (round robin).
//! - **Durable**: every message the broker accepts is written to an embedded database (redb)
//!   before [`Broker::publish_to`] returns, and stays there until whoever it is for has
//!   acknowledged it: a subscriber on this node ([`Broker::ack`]), or another node
//!   ([`Broker::outbox_acked`], when that node answers that it holds the message durably in
//!   turn). So a kill -9 at any point loses no acknowledged publish: after a restart the
//!   unacknowledged messages are delivered again (at least once, across nodes too).
//! - **Inbox**: a message nobody here is chosen for, with no other node to send it to, waits
//!   in the topic's inbox for the first subscriber on this node, or is handed to another node
//!   the [`Admission`] check admits when it subscribes ([`Broker::hand_inbox_to`]): a stranger
//!   that merely subscribes to the topic's gossip channel gets nothing.
//! - **Outbox**: a message for another node waits in that node's outbox until it acknowledges
//!   it; [`Broker::outbox_due`] says what to send (again) after [`BrokerConfig::ack_timeout`]
//!   or when the node reconnects.
//! - **Redelivery**: a delivery unacknowledged within [`BrokerConfig::ack_timeout`] is sent
//!   again by [`Broker::redeliver`] (to the next member of its queue group, or back to the
//!   inbox if nobody is left).
//! - **Duplicates** are dropped by `Micro-Id`, remembered per publisher (the
//!   [`header::PUBLISHER`] the node sets from the authenticated sender): the last
//!   [`BrokerConfig::dedup_window`] ids of each of the last [`BrokerConfig::dedup_publishers`]
//!   publishers of a topic. A peer that publishes someone else's ids only fills its own window,
//!   so it cannot make another publisher's messages look like duplicates.
//! - **Bounded**, like JetStream's stream limits: a topic's inbox holds at most
//!   [`BrokerConfig::inbox_limit`] messages no older than [`BrokerConfig::inbox_max_age`]
//!   (**the oldest is dropped** to make room); a node's outbox at most
//!   [`BrokerConfig::outbox_limit`] (**the oldest is dropped**, with a warning); the whole store
//!   at most [`BrokerConfig::store_limit`] messages (**a publish past it is refused** with a
//!   507 error, nothing dropped); at most [`BrokerConfig::max_topics`] topics (a new one past
//!   it is refused); and each subscriber's channel holds [`BrokerConfig::subscriber_buffer`]
//!   deliveries (a full subscriber is sent the rest again when it has room).
//! - **Off the event loop**: the store's writer ([`store`]) commits batches with one fsync
//!   each, on its own thread; the broker's lock is never held across a commit. Concurrent
//!   publishes share a commit: [`Broker::publish_later`] queues a message's rows and returns a
//!   [`Commit`] to await, so many publishes wait on the same fsync without a thread each.
//! - **Core delivery** ([`DeliveryMode::Core`], NATS core's at-most-once beside the durable
//!   default, JetStream's counterpart): [`Broker::deliver_core`] hands a message to the live
//!   subscribers' channels and forgets it: nothing is stored, acknowledged or sent again, a
//!   subscriber whose channel is full loses it ([`Broker::core_dropped`] counts them).

mod admission;
mod store;

use std::{
	collections::{BTreeMap, HashMap, HashSet, VecDeque},
	path::Path,
	sync::{
		atomic::{AtomicU64, Ordering},
		Arc, Mutex,
	},
	time::{Duration, SystemTime, UNIX_EPOCH},
};

use prost::Message as _;
use tokio::sync::mpsc;

pub use admission::Admission;
use store::{Committed, Op, Store};

use crate::protocol::{header, Limits, Message, MicroError, Publication, PROTOCOL};

#[cfg(test)]
thread_local! {
	/// How many times this thread read a topic's interest ([`Broker::interest`]): tests count
	/// what a batch costs the broker's lock.
	pub(crate) static INTEREST_READS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// How soon an outbox batch whose send failed is sent again the first time
/// ([`Broker::outbox_failed`]).
pub const OUTBOX_RETRY_FIRST: Duration = Duration::from_millis(250);

/// The broker's bounds and timings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BrokerConfig {
	/// Most messages a topic's inbox holds; the oldest is dropped to make room.
	pub inbox_limit: usize,
	/// How long a stored message waits for a subscriber (or another node).
	pub inbox_max_age: Duration,
	/// How long a delivery may go unacknowledged before it is sent again.
	pub ack_timeout: Duration,
	/// How many recent `Micro-Id`s of each publisher of a topic duplicates are checked against.
	pub dedup_window: usize,
	/// How many publishers of a topic have their ids remembered (the oldest is forgotten).
	pub dedup_publishers: usize,
	/// Most messages waiting for one other node; the oldest is dropped to make room.
	pub outbox_limit: usize,
	/// Most messages the store holds in all; a publish past it is refused.
	pub store_limit: usize,
	/// Most topics; subscribing or publishing to a new one past it is refused.
	pub max_topics: usize,
	/// Most deliveries waiting in one subscriber's channel.
	pub subscriber_buffer: usize,
}

impl Default for BrokerConfig {
	/// 10,000 messages for a day per topic and per node; 100,000 in all over 10,000 topics;
	/// 30 s to acknowledge; the last 1,000 ids of the last 1,000 publishers; 256 deliveries
	/// in flight per subscriber.
	fn default() -> Self {
		Self {
			inbox_limit: 10_000,
			inbox_max_age: Duration::from_secs(24 * 60 * 60),
			ack_timeout: Duration::from_secs(30),
			dedup_window: 1_000,
			dedup_publishers: 1_000,
			outbox_limit: 10_000,
			store_limit: 100_000,
			max_topics: 10_000,
			subscriber_buffer: 256,
		}
	}
}

/// What became of a published message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Published {
	/// Sent to this many subscribers here plus other nodes (one per queue group, plus every
	/// subscriber without one); held on disk until each acknowledges it.
	Delivered(usize),
	/// Nobody listens yet: stored in the topic's inbox, on disk.
	Stored,
	/// A message with this `Micro-Id` was published to the topic by the same publisher before:
	/// dropped.
	Duplicate,
	/// A core message ([`DeliveryMode::Core`]) nobody listens to, here or on an admitted node:
	/// dropped, as NATS core drops a message without subscribers. Nothing was stored.
	Dropped,
}

/// How a message is delivered: chosen per publish, told to subscribers and other nodes in the
/// [`header::DELIVERY`] header.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum DeliveryMode {
	/// At least once (NATS JetStream's counterpart): stored before publish returns, held until
	/// acknowledged, sent again until it is, through kill -9 of either node.
	#[default]
	Durable,
	/// At most once (NATS core's counterpart): handed to the subscribers live now and
	/// forgotten. Nothing stored, no acknowledgement, no redelivery; a message nobody listens
	/// to is [dropped](Published::Dropped), and a subscriber whose channel is full loses it.
	Core,
}

impl DeliveryMode {
	/// The [`header::DELIVERY`] value naming this mode.
	pub fn as_str(self) -> &'static str {
		match self {
			Self::Durable => "durable",
			Self::Core => "core",
		}
	}

	/// The mode a [`header::DELIVERY`] value names (case-insensitive), if any.
	pub fn parse(value: &str) -> Option<Self> {
		[Self::Durable, Self::Core].into_iter().find(|m| m.as_str().eq_ignore_ascii_case(value))
	}

	/// The mode `message`'s [`header::DELIVERY`] asks for: durable if it names none (or one
	/// this node does not know).
	pub fn of(message: &Message) -> Self {
		message.header(header::DELIVERY).and_then(Self::parse).unwrap_or_default()
	}
}

/// A durable publish whose rows are queued for the store's next commit
/// ([`Broker::publish_later`]).
#[must_use = "the publish is durable only once its commit is awaited"]
pub struct Commit {
	published: Published,
	answer: Committed,
}

impl Commit {
	/// What became of the message (already decided: only the commit is awaited).
	pub fn published(&self) -> Published {
		self.published
	}

	/// Waits, without blocking a thread, until the message is on disk.
	pub async fn committed(self) -> Result<Published, BrokerError> {
		Store::committed(self.answer).await.map_err(BrokerError::Store)?;
		Ok(self.published)
	}

	/// Waits until the message is on disk, blocking the thread: never call it on the runtime.
	pub fn committed_blocking(self) -> Result<Published, BrokerError> {
		Store::wait(self.answer).map_err(BrokerError::Store)?;
		Ok(self.published)
	}
}

/// What [`Broker::deliver_core`] did with a core message.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CoreDelivered {
	/// Subscribers here whose channels took it.
	pub delivered: usize,
	/// Subscribers here it was meant for whose channels were full (or gone): lost to them.
	pub dropped: usize,
}

/// Where a message goes besides this node's subscribers: the publisher's decision, or the one
/// that came with a message from another node.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Plan {
	/// This node's id, as `queue_nodes` names it.
	pub local: String,
	/// The other nodes to send the message to (each holds it until it acknowledges it).
	pub nodes: Vec<String>,
	/// For each queue group, the node whose members receive the message. A group not named
	/// here is served by the node named for the empty group `""` if there is one (a message
	/// handed over from an inbox goes to every group of the node it is handed to), else on
	/// this node if `unnamed_groups_here`.
	pub queue_nodes: HashMap<String, String>,
	/// Whether this node's members of a group `queue_nodes` does not name receive the message
	/// (yes for this node's own publishes; no for messages from other nodes, so a group only
	/// receives what the publisher chose it for).
	pub unnamed_groups_here: bool,
}

impl Plan {
	/// Only this node's subscribers.
	pub fn here() -> Self {
		Self { unnamed_groups_here: true, ..Self::default() }
	}

	/// What of `queue_nodes` another node, `node`, is sent: the groups chosen for it (there, a
	/// group not named is not served, as one named for another node). All of it if the empty
	/// group names `node`, so the groups chosen elsewhere stay named there.
	pub fn queue_nodes_for(&self, node: &str) -> HashMap<String, String> {
		let every_group_there = self.queue_nodes.get(EVERY_GROUP).is_some_and(|n| n == node);
		self.queue_nodes
			.iter()
			.filter(|(_, chosen)| every_group_there || *chosen == node)
			.map(|(group, chosen)| (group.clone(), chosen.clone()))
			.collect()
	}

	fn serves(&self, group: &str) -> bool {
		match self.queue_nodes.get(group).or_else(|| self.queue_nodes.get(EVERY_GROUP)) {
			Some(node) => *node == self.local,
			None => self.unnamed_groups_here,
		}
	}
}

/// The queue group name in [`Plan::queue_nodes`] that stands for every group not named.
pub const EVERY_GROUP: &str = "";

/// A message handed to a subscriber, to be acknowledged with [`Broker::ack`] (a
/// [core](DeliveryMode::Core) delivery needs none).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Delivery {
	/// Identifies this delivery for [`Broker::ack`] (0 for a core delivery).
	pub tag: u64,
	/// Whether it is held until acknowledged ([`DeliveryMode::Durable`]) or not.
	pub mode: DeliveryMode,
	/// The topic, shared by every delivery of the message.
	pub topic: Arc<str>,
	/// The message.
	pub message: Message,
	/// Whether it was delivered before and not acknowledged.
	pub redelivered: bool,
}

/// A subscription: deliveries arrive on `deliveries`. Unsubscribe with
/// [`Broker::unsubscribe`]; its unacknowledged deliveries then go to others.
pub struct Subscription {
	/// The subscriber's id.
	pub id: u64,
	/// Where its deliveries arrive.
	pub deliveries: mpsc::Receiver<Delivery>,
}

/// Why the broker refused something.
#[derive(Debug)]
pub enum BrokerError {
	/// The message itself is wrong.
	Message(MicroError),
	/// The store failed.
	Store(String),
	/// No delivery has that tag (already acknowledged, or never made).
	UnknownDelivery(u64),
	/// A limit of [`BrokerConfig`] is reached.
	Full(String),
}

impl std::fmt::Display for BrokerError {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		match self {
			Self::Message(error) => write!(f, "{error}"),
			Self::Store(error) => write!(f, "the broker's store failed: {error}"),
			Self::UnknownDelivery(tag) => write!(f, "no unacknowledged delivery {tag}"),
			Self::Full(what) => write!(f, "the broker is full: {what}"),
		}
	}
}

impl std::error::Error for BrokerError {}

/// A message held on disk (inbox table) for a subscriber here.
#[derive(Clone, Debug)]
struct Stored {
	sequence: u64,
	published_at: SystemTime,
	message: Message,
}

/// A delivery not acknowledged yet.
struct Pending {
	topic: String,
	subscriber: u64,
	queue: Option<String>,
	deadline: SystemTime,
	stored: Stored,
}

struct Subscriber {
	id: u64,
	queue: Option<String>,
	sender: mpsc::Sender<Delivery>,
}

/// The `Micro-Id`s recently seen from one publisher.
#[derive(Default)]
struct Window {
	order: VecDeque<String>,
	ids: HashSet<String>,
}

#[derive(Default)]
struct Topic {
	/// The topic's name, shared by its core deliveries (made at the first).
	name: Option<Arc<str>>,
	subscribers: Vec<Subscriber>,
	turns: HashMap<String, usize>,
	inbox: VecDeque<Stored>,
	seen: HashMap<String, Window>,
	publishers: VecDeque<String>,
}

impl Topic {
	fn is_unused(&self) -> bool {
		self.subscribers.is_empty() && self.inbox.is_empty()
	}
}

/// A message held on disk (outbox table) for another node.
struct Outgoing {
	topic: String,
	published_at: SystemTime,
	publication: Vec<u8>,
	due: SystemTime,
}

#[derive(Default)]
struct State {
	topics: HashMap<String, Topic>,
	pending: HashMap<u64, Pending>,
	outbox: BTreeMap<(String, u64), Outgoing>,
	/// How many messages `outbox` holds for each node, so a publish does not count them.
	outbox_held: HashMap<String, usize>,
	stored: usize,
	next_subscriber: u64,
	next_tag: u64,
	next_sequence: u64,
}

impl State {
	/// Holds `outgoing` in `node`'s outbox as `sequence`.
	fn outbox_insert(&mut self, node: String, sequence: u64, outgoing: Outgoing) {
		if self.outbox.insert((node.clone(), sequence), outgoing).is_none() {
			*self.outbox_held.entry(node).or_default() += 1;
		}
	}

	/// Takes `sequence` out of `node`'s outbox.
	fn outbox_remove(&mut self, node: &str, sequence: u64) -> Option<Outgoing> {
		let removed = self.outbox.remove(&(node.to_owned(), sequence))?;
		if let Some(held) = self.outbox_held.get_mut(node) {
			*held = held.saturating_sub(1);
			if *held == 0 {
				self.outbox_held.remove(node);
			}
		}
		Some(removed)
	}
}

/// The broker of one node.
pub struct Broker {
	config: BrokerConfig,
	state: Mutex<State>,
	store: Store,
	core_dropped: AtomicU64,
	/// Signalled when messages leave an outbox (acknowledged), for a publisher waiting for room.
	outbox_room: tokio::sync::Notify,
}

fn millis(time: SystemTime) -> u64 {
	time.duration_since(UNIX_EPOCH).unwrap_or_default().as_millis() as u64
}

/// A row: publish time in ms since the epoch, then the bytes.
fn row(at: SystemTime, bytes: &[u8]) -> Vec<u8> {
	let mut row = millis(at).to_le_bytes().to_vec();
	row.extend_from_slice(bytes);
	row
}

fn split_row(row: &[u8]) -> Option<(SystemTime, &[u8])> {
	let (at, rest) = row.split_first_chunk::<8>()?;
	Some((UNIX_EPOCH + Duration::from_millis(u64::from_le_bytes(*at)), rest))
}

fn expired(config: &BrokerConfig, published_at: SystemTime, now: SystemTime) -> bool {
	now.duration_since(published_at).unwrap_or_default() >= config.inbox_max_age
}

impl Broker {
	/// Opens (or creates) the broker whose store is at `path`, loading what it held: every
	/// message not acknowledged before the process stopped is in its inbox or outbox again.
	pub fn open(path: &Path, config: BrokerConfig) -> Result<Self, BrokerError> {
		let (store, loaded) = Store::open(path).map_err(BrokerError::Store)?;
		let mut state = State::default();
		let limits = Limits::default();
		for (topic, sequence, bytes) in loaded.inbox {
			state.next_sequence = state.next_sequence.max(sequence + 1);
			let Some((published_at, envelope)) = split_row(&bytes) else { continue };
			let Ok((message, _)) = Message::decode(envelope, &limits) else { continue };
			let topic_state = state.topics.entry(topic).or_default();
			if let Some(id) = message.id() {
				remember(topic_state, publisher(&message), id, &config);
			}
			topic_state.inbox.push_back(Stored { sequence, published_at, message });
			state.stored += 1;
		}
		for (node, sequence, bytes) in loaded.outbox {
			state.next_sequence = state.next_sequence.max(sequence + 1);
			let Some((published_at, publication)) = split_row(&bytes) else { continue };
			let Some(topic) = Publication::decode(publication)
				.ok()
				.and_then(|p| p.message)
				.and_then(|m| Message::from_envelope(m, &limits).ok())
				.and_then(|m| m.header(header::TOPIC).map(str::to_owned))
			else {
				continue;
			};
			let outgoing = Outgoing {
				topic,
				published_at,
				publication: publication.to_vec(),
				due: UNIX_EPOCH,
			};
			state.outbox_insert(node, sequence, outgoing);
			state.stored += 1;
		}
		for topic in state.topics.values_mut() {
			topic.inbox.make_contiguous().sort_by_key(|s| s.sequence);
		}
		Ok(Self {
			config,
			state: Mutex::new(state),
			store,
			core_dropped: AtomicU64::new(0),
			outbox_room: tokio::sync::Notify::new(),
		})
	}

	fn lock(&self) -> std::sync::MutexGuard<'_, State> {
		self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
	}

	/// Publishes `message` to `topic` at `now` for this node's subscribers only (see
	/// [`Broker::publish_to`]).
	pub fn publish(
		&self,
		topic: &str,
		message: Message,
		now: SystemTime,
	) -> Result<Published, BrokerError> {
		self.publish_to(topic, message, now, &Plan::here())
	}

	/// Publishes `message` (which needs a `Micro-Id`) to `topic` at `now`: to this node's
	/// subscribers `plan` serves and to the other nodes it names (each with only the queue
	/// groups chosen for it, [`Plan::queue_nodes_for`]), or into the inbox if there is nobody. Returns once the message is on disk. Blocks on the store: call it off the event
	/// loop (on it, [`Broker::publish_later`] and await the commit).
	pub fn publish_to(
		&self,
		topic: &str,
		message: Message,
		now: SystemTime,
		plan: &Plan,
	) -> Result<Published, BrokerError> {
		self.publish_later(topic, message, now, plan)?.committed_blocking()
	}

	/// [`Broker::publish_to`] without the wait: decides where `message` goes, hands it to this
	/// node's subscribers and queues its rows for the store's next commit, and returns the
	/// [`Commit`] to await. Never blocks; the message is durable once the commit is awaited,
	/// and concurrent publishes share one commit (one fsync).
	pub fn publish_later(
		&self,
		topic: &str,
		message: Message,
		now: SystemTime,
		plan: &Plan,
	) -> Result<Commit, BrokerError> {
		let id = message
			.id()
			.filter(|id| !id.is_empty())
			.ok_or_else(|| {
				BrokerError::Message(MicroError::bad_request(PROTOCOL, "missing header `Micro-Id`"))
			})?
			.to_owned();
		if topic.is_empty() {
			return Err(BrokerError::Message(MicroError::bad_request(PROTOCOL, "empty topic")));
		}
		let committed = {
			let mut state = self.lock();
			let state = &mut *state;
			self.topic_room(state, topic)?;
			let topic_state = state.topics.entry(topic.to_owned()).or_default();
			let from = publisher(&message).to_owned();
			if topic_state.seen.get(&from).is_some_and(|w| w.ids.contains(&id)) {
				return Ok(self.decided(Published::Duplicate));
			}
			let targets = targets(topic_state, plan);
			let nobody = targets.is_empty() && plan.nodes.is_empty();
			if nobody && !topic_state.subscribers.is_empty() {
				// Subscribers here, but the publisher chose other nodes for their groups.
				remember(topic_state, &from, &id, &self.config);
				return Ok(self.decided(Published::Delivered(0)));
			}
			let rows = if nobody { 1 } else { targets.len() + plan.nodes.len() };
			if state.stored + rows > self.config.store_limit {
				return Err(BrokerError::Full(format!(
					"the store holds {} messages, its limit",
					self.config.store_limit
				)));
			}
			let topic_state = state.topics.get_mut(topic).expect("created above");
			remember(topic_state, &from, &id, &self.config);
			let mut ops = Vec::new();
			if nobody {
				self.store(state, topic, message, now, &mut ops);
				(self.store.submit(ops), Published::Stored)
			} else {
				let count = targets.len() + plan.nodes.len();
				for (subscriber, queue) in targets {
					let stored = self.new_stored(state, topic, message.clone(), now, &mut ops);
					self.deliver(state, topic, subscriber, queue, stored, false, now);
				}
				if !plan.nodes.is_empty() {
					// The message is encoded once; each node's row adds only its own queue
					// groups (protobuf merges the two encodings): other nodes' groups, however
					// many, never reach it nor its outbox.
					let envelope = Publication {
						message: Some(message.to_envelope()),
						queue_nodes: HashMap::new(),
					}
					.encode_to_vec();
					for node in &plan.nodes {
						let mut publication = envelope.clone();
						let queue_nodes = plan.queue_nodes_for(node);
						if !queue_nodes.is_empty() {
							let groups = Publication { message: None, queue_nodes };
							publication.extend_from_slice(&groups.encode_to_vec());
						}
						self.send_to(state, node, topic, publication, now, &mut ops);
					}
				}
				(self.store.submit(ops), Published::Delivered(count))
			}
		};
		// The caller waits for the commit with the lock released, so publishes commit together.
		let (answer, published) = committed;
		Ok(Commit { published, answer })
	}

	/// A [`Commit`] with nothing to write.
	fn decided(&self, published: Published) -> Commit {
		Commit { published, answer: self.store.submit(Vec::new()) }
	}

	/// Hands core message `message` to this node's live subscribers of `topic` that `plan`
	/// serves (every plain subscriber, the next member of each group it serves) and forgets
	/// it: nothing is stored, acknowledged or sent again. A subscriber whose channel is full
	/// loses it (counted in [`Broker::core_dropped`]). Never blocks.
	pub fn deliver_core(&self, topic: &str, message: Message, plan: &Plan) -> CoreDelivered {
		let mut state = self.lock();
		let Some(topic_state) = state.topics.get_mut(topic) else {
			return CoreDelivered::default();
		};
		let name = topic_state.name.get_or_insert_with(|| topic.into()).clone();
		let outcome = if topic_state.subscribers.iter().all(|s| s.queue.is_none()) {
			// No queue group: every subscriber, without working out turns.
			hand_out(topic_state.subscribers.iter().map(|s| &s.sender), message, name)
		} else {
			hand_out(core_targets(topic_state, plan).into_iter(), message, name)
		};
		self.count_core_dropped(outcome.dropped);
		outcome
	}

	/// Counts `n` core messages lost (a full subscriber's, or one that could not be sent).
	pub fn count_core_dropped(&self, n: usize) {
		if n > 0 {
			self.core_dropped.fetch_add(n as u64, Ordering::Relaxed);
		}
	}

	/// How many core messages were lost since the broker opened: meant for a subscriber whose
	/// channel was full, or for another node they could not be sent to.
	pub fn core_dropped(&self) -> u64 {
		self.core_dropped.load(Ordering::Relaxed)
	}

	/// Refuses a new topic past [`BrokerConfig::max_topics`].
	fn topic_room(&self, state: &State, topic: &str) -> Result<(), BrokerError> {
		if !state.topics.contains_key(topic) && state.topics.len() >= self.config.max_topics {
			return Err(BrokerError::Full(format!(
				"{} topics, the limit: `{topic}` is refused",
				self.config.max_topics
			)));
		}
		Ok(())
	}

	/// A new row on disk for `message` on `topic` (written with `ops`).
	fn new_stored(
		&self,
		state: &mut State,
		topic: &str,
		message: Message,
		now: SystemTime,
		ops: &mut Vec<Op>,
	) -> Stored {
		let sequence = state.next_sequence;
		state.next_sequence += 1;
		state.stored += 1;
		ops.push(Op::PutInbox {
			topic: topic.to_owned(),
			sequence,
			row: row(now, &message.encode()),
		});
		Stored { sequence, published_at: now, message }
	}

	/// Puts `message` into `topic`'s inbox, dropping expired messages and, if it is full, the
	/// oldest.
	fn store(
		&self,
		state: &mut State,
		topic: &str,
		message: Message,
		now: SystemTime,
		ops: &mut Vec<Op>,
	) {
		let stored = self.new_stored(state, topic, message, now, ops);
		self.keep_in_inbox(state, topic, stored, now, ops);
	}

	/// Puts an already stored message back into `topic`'s inbox, in order, within its limits.
	fn keep_in_inbox(
		&self,
		state: &mut State,
		topic: &str,
		stored: Stored,
		now: SystemTime,
		ops: &mut Vec<Op>,
	) {
		let topic_state = state.topics.entry(topic.to_owned()).or_default();
		let at = topic_state.inbox.partition_point(|s| s.sequence < stored.sequence);
		topic_state.inbox.insert(at, stored);
		let mut dropped = 0;
		while let Some(oldest) = topic_state.inbox.front() {
			let full = topic_state.inbox.len() > self.config.inbox_limit.max(1);
			if !full && !expired(&self.config, oldest.published_at, now) {
				break;
			}
			let oldest = topic_state.inbox.pop_front().expect("front exists");
			ops.push(Op::RemoveInbox { topic: topic.to_owned(), sequence: oldest.sequence });
			dropped += 1;
		}
		state.stored = state.stored.saturating_sub(dropped);
	}

	/// Holds `publication` for `node` in its outbox, due at once, dropping its oldest past
	/// [`BrokerConfig::outbox_limit`].
	fn send_to(
		&self,
		state: &mut State,
		node: &str,
		topic: &str,
		publication: Vec<u8>,
		now: SystemTime,
		ops: &mut Vec<Op>,
	) {
		let held = state.outbox_held.get(node).copied().unwrap_or_default();
		let excess = (held + 1).saturating_sub(self.config.outbox_limit.max(1));
		let oldest: Vec<u64> = state
			.outbox
			.range((node.to_owned(), 0)..=(node.to_owned(), u64::MAX))
			.take(excess)
			.map(|((_, sequence), _)| *sequence)
			.collect();
		for sequence in oldest {
			log::warn!(target: "mucp", "the outbox for {node} is full: its oldest message is dropped");
			state.outbox_remove(node, sequence);
			state.stored = state.stored.saturating_sub(1);
			ops.push(Op::RemoveOutbox { node: node.to_owned(), sequence });
		}
		let sequence = state.next_sequence;
		state.next_sequence += 1;
		state.stored += 1;
		ops.push(Op::PutOutbox { node: node.to_owned(), sequence, row: row(now, &publication) });
		let outgoing =
			Outgoing { topic: topic.to_owned(), published_at: now, publication, due: now };
		state.outbox_insert(node.to_owned(), sequence, outgoing);
	}

	/// Whether `topic` has a subscriber here.
	pub fn listens(&self, topic: &str) -> bool {
		self.lock().topics.get(topic).is_some_and(|topic| !topic.subscribers.is_empty())
	}

	/// Whether `topic` has a subscriber here, and the queue groups its subscribers here form.
	pub fn interest(&self, topic: &str) -> (bool, Vec<String>) {
		#[cfg(test)]
		INTEREST_READS.with(|reads| reads.set(reads.get() + 1));
		let state = self.lock();
		let Some(topic) = state.topics.get(topic) else { return (false, Vec::new()) };
		let mut groups: Vec<String> =
			topic.subscribers.iter().filter_map(|s| s.queue.clone()).collect();
		groups.sort();
		groups.dedup();
		(!topic.subscribers.is_empty(), groups)
	}

	/// Moves every message waiting in `topic`'s inbox to `node`'s outbox (for its subscribers
	/// and one member of each of its queue groups), oldest first: for a node the caller
	/// admitted. Returns how many; they are due at once. Does not wait for the store.
	pub fn hand_inbox_to(&self, node: &str, topic: &str, now: SystemTime) -> usize {
		let mut state = self.lock();
		let state = &mut *state;
		let Some(topic_state) = state.topics.get_mut(topic) else { return 0 };
		let waiting: Vec<Stored> = topic_state.inbox.drain(..).collect();
		let queue_nodes: HashMap<String, String> =
			[(EVERY_GROUP.to_owned(), node.to_owned())].into();
		let mut ops = Vec::new();
		let mut handed = 0;
		for stored in waiting {
			ops.push(Op::RemoveInbox { topic: topic.to_owned(), sequence: stored.sequence });
			state.stored = state.stored.saturating_sub(1);
			if expired(&self.config, stored.published_at, now) {
				continue;
			}
			let publication = Publication {
				message: Some(stored.message.to_envelope()),
				queue_nodes: queue_nodes.clone(),
			}
			.encode_to_vec();
			// Keeps its publish time, so it still expires when it would have.
			self.send_to(state, node, topic, publication, stored.published_at, &mut ops);
			handed += 1;
		}
		self.store.write_later(ops);
		handed
	}

	/// The messages for other nodes due to be sent (again) at `now` (all of `reconnected`'s,
	/// as it just came back), for each node not `busy` the oldest first, in batches of at
	/// most `max_bytes` of publications: (node, [(sequence, encoded publication)]). Each is
	/// then due again after [`BrokerConfig::ack_timeout`] unless acknowledged. Expired ones are
	/// dropped.
	pub fn outbox_due(
		&self,
		reconnected: Option<&str>,
		busy: &dyn Fn(&str) -> bool,
		max_bytes: usize,
		now: SystemTime,
	) -> Vec<(String, Vec<(u64, Vec<u8>)>)> {
		let mut state = self.lock();
		let state = &mut *state;
		let mut due: Vec<(String, Vec<(u64, Vec<u8>)>)> = Vec::new();
		let mut size = 0;
		let mut gone = Vec::new();
		// Whether the node of the entries being read is busy: asked once per node.
		let mut node_busy: Option<(&str, bool)> = None;
		for ((node, sequence), outgoing) in state.outbox.iter_mut() {
			if expired(&self.config, outgoing.published_at, now) {
				gone.push((node.clone(), *sequence));
				continue;
			}
			let is_busy = match node_busy {
				Some((last, is_busy)) if last == node => is_busy,
				_ => {
					let is_busy = busy(node);
					node_busy = Some((node, is_busy));
					is_busy
				}
			};
			if is_busy || (outgoing.due > now && reconnected != Some(node.as_str())) {
				continue;
			}
			if due.last().is_none_or(|(last, _)| last != node) {
				due.push((node.clone(), Vec::new()));
				size = 0;
			}
			let batch = &mut due.last_mut().expect("pushed above").1;
			if !batch.is_empty() && size + outgoing.publication.len() > max_bytes {
				continue;
			}
			size += outgoing.publication.len();
			outgoing.due = now + self.config.ack_timeout;
			batch.push((*sequence, outgoing.publication.clone()));
		}
		let mut ops = Vec::new();
		for (node, sequence) in gone {
			state.outbox_remove(&node, sequence);
			state.stored = state.stored.saturating_sub(1);
			ops.push(Op::RemoveOutbox { node, sequence });
		}
		self.store.write_later(ops);
		due
	}

	/// `node` acknowledged the message `sequence` of its outbox: it leaves the disk.
	pub fn outbox_acked(&self, node: &str, sequence: u64) {
		let mut state = self.lock();
		if state.outbox_remove(node, sequence).is_some() {
			state.stored = state.stored.saturating_sub(1);
			self.store.write_later(vec![Op::RemoveOutbox { node: node.to_owned(), sequence }]);
			drop(state);
			self.outbox_room.notify_waiters();
		}
	}

	/// A batch of `node`'s outbox was not acknowledged (its send failed: the link closed, the
	/// node answered with an error, or no answer came in [`BrokerConfig::ack_timeout`]), for
	/// the `failures`th time in a row: its messages `sequences` are due again after
	/// [`OUTBOX_RETRY_FIRST`], doubled for each failure before, at most `ack_timeout`, rather
	/// than a whole `ack_timeout` after they were sent. A node refused for a moment (a busy
	/// link, a 429) gets them within a second; one that keeps failing is not sent more than
	/// one batch per `ack_timeout`.
	pub fn outbox_failed(&self, node: &str, sequences: &[u64], failures: u32, now: SystemTime) {
		let backoff = OUTBOX_RETRY_FIRST
			.saturating_mul(1u32 << failures.saturating_sub(1).min(16))
			.min(self.config.ack_timeout);
		let mut state = self.lock();
		for sequence in sequences {
			if let Some(outgoing) = state.outbox.get_mut(&(node.to_owned(), *sequence)) {
				outgoing.due = outgoing.due.min(now + backoff);
			}
		}
	}

	/// How long a batch sent from an outbox waits for its acknowledgement.
	pub fn ack_timeout(&self) -> Duration {
		self.config.ack_timeout
	}

	/// Whether `node`'s outbox is at least half full: a pipelining publisher waits for room
	/// then, while the node is reachable, rather than make the outbox drop its oldest.
	pub fn outbox_filling(&self, node: &str) -> bool {
		self.outbox_len(node) >= self.config.outbox_limit.max(2) / 2
	}

	/// Resolves when messages next leave an outbox (enable it before checking, so no
	/// acknowledgement in between is missed).
	pub fn outbox_room(&self) -> tokio::sync::futures::Notified<'_> {
		self.outbox_room.notified()
	}

	/// The nodes with messages waiting for them.
	pub fn outbox_nodes(&self) -> Vec<String> {
		let state = self.lock();
		let mut nodes: Vec<String> = state.outbox_held.keys().cloned().collect();
		nodes.sort();
		nodes
	}

	/// How many messages wait for `node`.
	pub fn outbox_len(&self, node: &str) -> usize {
		self.lock().outbox_held.get(node).copied().unwrap_or_default()
	}

	/// The topics with messages waiting for `node`.
	pub fn outbox_topics(&self, node: &str) -> Vec<String> {
		let state = self.lock();
		let mut topics: Vec<String> = state
			.outbox
			.range((node.to_owned(), 0)..=(node.to_owned(), u64::MAX))
			.map(|(_, o)| o.topic.clone())
			.collect();
		topics.dedup();
		topics
	}

	/// Hands `stored` to `subscriber`; returns whether its channel took it (if full, it is due
	/// again at once).
	#[allow(clippy::too_many_arguments)]
	fn deliver(
		&self,
		state: &mut State,
		topic: &str,
		subscriber: u64,
		queue: Option<String>,
		stored: Stored,
		redelivered: bool,
		now: SystemTime,
	) -> bool {
		let tag = state.next_tag;
		state.next_tag += 1;
		let sender = state
			.topics
			.get(topic)
			.and_then(|t| t.subscribers.iter().find(|s| s.id == subscriber))
			.map(|s| s.sender.clone());
		let delivery = Delivery {
			tag,
			mode: DeliveryMode::Durable,
			topic: topic.into(),
			message: stored.message.clone(),
			redelivered,
		};
		let mut pending = Pending {
			topic: topic.to_owned(),
			subscriber,
			queue,
			deadline: now + self.config.ack_timeout,
			stored,
		};
		let sent = match sender.map(|s| s.try_send(delivery)) {
			Some(Ok(())) => true,
			Some(Err(mpsc::error::TrySendError::Full(_))) => {
				pending.deadline = now;
				false
			}
			Some(Err(mpsc::error::TrySendError::Closed(_))) | None => {
				// A subscriber whose receiver is gone is dropped; `redeliver` hands its
				// delivery to someone else.
				if let Some(topic_state) = state.topics.get_mut(topic) {
					topic_state.subscribers.retain(|s| s.id != subscriber);
				}
				pending.deadline = now;
				false
			}
		};
		state.pending.insert(tag, pending);
		sent
	}

	/// Subscribes to `topic`, in queue group `queue` if given, and hands the new subscriber
	/// the messages waiting in the topic's inbox (as many as its channel holds; the rest
	/// follow as it acknowledges).
	pub fn subscribe(
		&self,
		topic: &str,
		queue: Option<&str>,
		now: SystemTime,
	) -> Result<Subscription, BrokerError> {
		if topic.is_empty() {
			return Err(BrokerError::Message(MicroError::bad_request(PROTOCOL, "empty topic")));
		}
		if queue == Some("") {
			// The empty name stands for every group in a publication's plan.
			return Err(BrokerError::Message(MicroError::bad_request(
				PROTOCOL,
				"an empty queue group name",
			)));
		}
		let (sender, deliveries) = mpsc::channel(self.config.subscriber_buffer.max(1));
		let mut state = self.lock();
		let state = &mut *state;
		self.topic_room(state, topic)?;
		let id = state.next_subscriber;
		state.next_subscriber += 1;
		let topic_state = state.topics.entry(topic.to_owned()).or_default();
		topic_state.subscribers.push(Subscriber { id, queue: queue.map(str::to_owned), sender });
		let mut ops = Vec::new();
		self.pump(state, topic, now, &mut ops);
		self.store.write_later(ops);
		Ok(Subscription { id, deliveries })
	}

	/// Hands messages waiting in `topic`'s inbox to its subscribers while their channels have
	/// room.
	fn pump(&self, state: &mut State, topic: &str, now: SystemTime, ops: &mut Vec<Op>) {
		loop {
			let Some(topic_state) = state.topics.get_mut(topic) else { return };
			let Some(front) = topic_state.inbox.front() else { return };
			if expired(&self.config, front.published_at, now) {
				let old = topic_state.inbox.pop_front().expect("front exists");
				ops.push(Op::RemoveInbox { topic: topic.to_owned(), sequence: old.sequence });
				state.stored = state.stored.saturating_sub(1);
				continue;
			}
			let Some((subscriber, queue)) = topic_state
				.subscribers
				.iter()
				.find(|s| s.sender.capacity() > 0)
				.map(|s| (s.id, s.queue.clone()))
			else {
				return;
			};
			let stored = topic_state.inbox.pop_front().expect("front exists");
			if !self.deliver(state, topic, subscriber, queue, stored, false, now) {
				return;
			}
		}
	}

	/// Ends subscription `id`; its unacknowledged deliveries go to other subscribers at once
	/// (or back to the inbox).
	pub fn unsubscribe(&self, id: u64, now: SystemTime) {
		let mut state = self.lock();
		let state = &mut *state;
		for topic in state.topics.values_mut() {
			topic.subscribers.retain(|s| s.id != id);
		}
		let orphaned: Vec<u64> =
			state.pending.iter().filter(|(_, p)| p.subscriber == id).map(|(tag, _)| *tag).collect();
		let mut ops = Vec::new();
		for tag in orphaned {
			if let Some(pending) = state.pending.remove(&tag) {
				self.reroute(state, pending, now, &mut ops);
			}
		}
		self.prune(state);
		self.store.write_later(ops);
	}

	/// Forgets topics nobody uses (their dedup windows too), so topics do not pile up.
	fn prune(&self, state: &mut State) {
		let busy: HashSet<&str> = state.pending.values().map(|p| p.topic.as_str()).collect();
		let unused: Vec<String> = state
			.topics
			.iter()
			.filter(|(name, topic)| topic.is_unused() && !busy.contains(name.as_str()))
			.map(|(name, _)| name.clone())
			.collect();
		for name in unused {
			state.topics.remove(&name);
		}
	}

	/// Acknowledges delivery `tag`: it will not be sent again, and leaves the disk (without
	/// waiting: a lost removal only means one more delivery after a crash).
	pub fn ack(&self, tag: u64) -> Result<(), BrokerError> {
		let mut state = self.lock();
		let state = &mut *state;
		let pending = state.pending.remove(&tag).ok_or(BrokerError::UnknownDelivery(tag))?;
		state.stored = state.stored.saturating_sub(1);
		let mut ops = vec![Op::RemoveInbox {
			topic: pending.topic.clone(),
			sequence: pending.stored.sequence,
		}];
		self.pump(state, &pending.topic, SystemTime::now(), &mut ops);
		self.store.write_later(ops);
		Ok(())
	}

	/// Sends again every delivery unacknowledged past its deadline at `now`, and hands waiting
	/// inbox messages to subscribers with room; returns how many were sent again.
	pub fn redeliver(&self, now: SystemTime) -> usize {
		let mut state = self.lock();
		let state = &mut *state;
		let overdue: Vec<u64> =
			state.pending.iter().filter(|(_, p)| p.deadline <= now).map(|(tag, _)| *tag).collect();
		let mut ops = Vec::new();
		for tag in &overdue {
			if let Some(pending) = state.pending.remove(tag) {
				self.reroute(state, pending, now, &mut ops);
			}
		}
		let waiting: Vec<String> = state
			.topics
			.iter()
			.filter(|(_, t)| !t.inbox.is_empty() && !t.subscribers.is_empty())
			.map(|(name, _)| name.clone())
			.collect();
		for topic in waiting {
			self.pump(state, &topic, now, &mut ops);
		}
		self.store.write_later(ops);
		overdue.len()
	}

	/// Sends an unacknowledged delivery again: to the next member of its queue group, to the
	/// same subscriber if it has no group and is still there, or else back to the inbox.
	fn reroute(&self, state: &mut State, pending: Pending, now: SystemTime, ops: &mut Vec<Op>) {
		let topic = pending.topic.clone();
		let target = state.topics.get_mut(&topic).and_then(|topic_state| match &pending.queue {
			Some(queue) => next_in_queue(topic_state, queue),
			None => topic_state
				.subscribers
				.iter()
				.any(|s| s.id == pending.subscriber)
				.then_some(pending.subscriber),
		});
		match target {
			Some(subscriber) => {
				self.deliver(state, &topic, subscriber, pending.queue, pending.stored, true, now);
			}
			None => self.keep_in_inbox(state, &topic, pending.stored, now, ops),
		}
	}

	/// How many messages wait in `topic`'s inbox.
	pub fn inbox_len(&self, topic: &str) -> usize {
		self.lock().topics.get(topic).map_or(0, |t| t.inbox.len())
	}

	/// The topics with messages waiting in their inbox.
	pub fn inbox_topics(&self) -> Vec<String> {
		let state = self.lock();
		state.topics.iter().filter(|(_, t)| !t.inbox.is_empty()).map(|(n, _)| n.clone()).collect()
	}

	/// How many messages the store holds in all (inboxes, unacknowledged deliveries, outboxes).
	pub fn stored_len(&self) -> usize {
		self.lock().stored
	}
}

/// Hands core `message` on topic `name` to each of `senders` (the last takes the message
/// itself, the others a copy) without waiting: a full channel loses it.
fn hand_out<'a>(
	senders: impl ExactSizeIterator<Item = &'a mpsc::Sender<Delivery>>,
	message: Message,
	name: Arc<str>,
) -> CoreDelivered {
	let mut outcome = CoreDelivered::default();
	let mut message = Some(message);
	let last = senders.len().saturating_sub(1);
	for (n, sender) in senders.enumerate() {
		let message = if n == last { message.take() } else { message.clone() }.unwrap_or_default();
		let delivery = Delivery {
			tag: 0,
			mode: DeliveryMode::Core,
			topic: name.clone(),
			message,
			redelivered: false,
		};
		match sender.try_send(delivery) {
			Ok(()) => outcome.delivered += 1,
			Err(_) => outcome.dropped += 1,
		}
	}
	outcome
}

/// Who published `message`, as the node set it ([`header::PUBLISHER`]); empty if unset.
fn publisher(message: &Message) -> &str {
	message.header(header::PUBLISHER).unwrap_or_default()
}

/// Remembers `id` as seen from `publisher` on the topic, forgetting the oldest ids beyond the
/// window and the oldest publishers beyond their bound.
fn remember(topic: &mut Topic, publisher: &str, id: &str, config: &BrokerConfig) {
	if !topic.seen.contains_key(publisher) {
		topic.publishers.push_back(publisher.to_owned());
		while topic.publishers.len() > config.dedup_publishers.max(1) {
			if let Some(old) = topic.publishers.pop_front() {
				topic.seen.remove(&old);
			}
		}
	}
	let window = topic.seen.entry(publisher.to_owned()).or_default();
	if window.ids.insert(id.to_owned()) {
		window.order.push_back(id.to_owned());
	}
	while window.order.len() > config.dedup_window.max(1) {
		if let Some(old) = window.order.pop_front() {
			window.ids.remove(&old);
		}
	}
}

/// The next member of `queue` on the topic, in turn.
fn next_in_queue(topic: &mut Topic, queue: &str) -> Option<u64> {
	let members: Vec<u64> = topic
		.subscribers
		.iter()
		.filter(|s| s.queue.as_deref() == Some(queue))
		.map(|s| s.id)
		.collect();
	if members.is_empty() {
		return None;
	}
	let turn = topic.turns.entry(queue.to_owned()).or_default();
	let member = members[*turn % members.len()];
	*turn = turn.wrapping_add(1);
	Some(member)
}

/// Who gets a core message on the topic: every subscriber without a queue, and the next member
/// of each queue group `plan` serves here, as [`targets`] has them (a group's turn moves on
/// only for a message served here), without a new string per message.
fn core_targets<'a>(topic: &'a mut Topic, plan: &Plan) -> Vec<&'a mpsc::Sender<Delivery>> {
	let Topic { subscribers, turns, .. } = topic;
	let subscribers: &'a [Subscriber] = subscribers;
	let mut chosen: Vec<_> =
		subscribers.iter().filter(|s| s.queue.is_none()).map(|s| &s.sender).collect();
	let mut groups: Vec<&str> = subscribers.iter().filter_map(|s| s.queue.as_deref()).collect();
	groups.sort_unstable();
	groups.dedup();
	for group in groups.into_iter().filter(|group| plan.serves(group)) {
		let members = || subscribers.iter().filter(move |s| s.queue.as_deref() == Some(group));
		if !turns.contains_key(group) {
			turns.insert(group.to_owned(), 0);
		}
		let Some(turn) = turns.get_mut(group) else { continue };
		let member = members().nth(*turn % members().count().max(1));
		*turn = turn.wrapping_add(1);
		if let Some(member) = member {
			chosen.push(&member.sender);
		}
	}
	chosen
}

/// Who gets a message published to the topic: every subscriber without a queue, and the next
/// member of each queue group `plan` serves here (a group's turn moves on only then).
fn targets(topic: &mut Topic, plan: &Plan) -> Vec<(u64, Option<String>)> {
	let mut targets: Vec<(u64, Option<String>)> =
		topic.subscribers.iter().filter(|s| s.queue.is_none()).map(|s| (s.id, None)).collect();
	let mut queues: Vec<String> =
		topic.subscribers.iter().filter_map(|s| s.queue.clone()).collect();
	queues.sort();
	queues.dedup();
	for queue in queues.into_iter().filter(|queue| plan.serves(queue)) {
		if let Some(member) = next_in_queue(topic, &queue) {
			targets.push((member, Some(queue)));
		}
	}
	targets
}

#[cfg(test)]
mod tests {
	use super::*;

	fn now() -> SystemTime {
		UNIX_EPOCH + Duration::from_secs(1_800_000_000)
	}

	fn event(id: &str) -> Message {
		Message::publish(id, "events", format!(r#"{{"id":"{id}"}}"#).into_bytes())
	}

	fn open(dir: &tempfile::TempDir, config: BrokerConfig) -> Broker {
		Broker::open(&dir.path().join("broker.redb"), config).expect("the broker opens")
	}

	fn received(subscription: &mut Subscription) -> Vec<Delivery> {
		std::iter::from_fn(|| subscription.deliveries.try_recv().ok()).collect()
	}

	fn ids(deliveries: &[Delivery]) -> Vec<String> {
		deliveries.iter().map(|d| d.message.id().unwrap_or_default().to_owned()).collect()
	}

	#[test]
	fn every_plain_subscriber_gets_every_message() {
		let dir = tempfile::tempdir().unwrap();
		let broker = open(&dir, BrokerConfig::default());
		let mut a = broker.subscribe("events", None, now()).unwrap();
		let mut b = broker.subscribe("events", None, now()).unwrap();
		assert_eq!(broker.publish("events", event("1"), now()).unwrap(), Published::Delivered(2));
		assert_eq!(ids(&received(&mut a)), vec!["1"]);
		assert_eq!(ids(&received(&mut b)), vec!["1"]);
		assert_eq!(broker.inbox_len("events"), 0);
	}

	#[test]
	fn a_queue_group_shares_the_messages_one_member_each() {
		let dir = tempfile::tempdir().unwrap();
		let broker = open(&dir, BrokerConfig::default());
		let mut members: Vec<Subscription> =
			(0..3).map(|_| broker.subscribe("events", Some("workers"), now()).unwrap()).collect();
		let mut auditor = broker.subscribe("events", None, now()).unwrap();
		for i in 0..6 {
			assert_eq!(
				broker.publish("events", event(&i.to_string()), now()).unwrap(),
				Published::Delivered(2)
			);
		}
		let mut all: Vec<String> = Vec::new();
		for member in &mut members {
			let got = ids(&received(member));
			assert_eq!(got.len(), 2, "round robin gives each member two");
			all.extend(got);
		}
		all.sort();
		assert_eq!(all, (0..6).map(|i| i.to_string()).collect::<Vec<_>>(), "each exactly once");
		assert_eq!(received(&mut auditor).len(), 6);
	}

	#[test]
	fn the_inbox_holds_messages_until_a_subscriber_comes() {
		let dir = tempfile::tempdir().unwrap();
		let broker = open(&dir, BrokerConfig::default());
		assert_eq!(broker.publish("events", event("1"), now()).unwrap(), Published::Stored);
		assert_eq!(broker.publish("events", event("2"), now()).unwrap(), Published::Stored);
		assert_eq!(broker.inbox_len("events"), 2);
		let mut late = broker.subscribe("events", None, now()).unwrap();
		let got = received(&mut late);
		assert_eq!(ids(&got), vec!["1", "2"]);
		assert_eq!(broker.inbox_len("events"), 0);
		for delivery in &got {
			broker.ack(delivery.tag).unwrap();
		}
		drop(broker);
		let reopened = open(&dir, BrokerConfig::default());
		assert_eq!(reopened.inbox_len("events"), 0, "acknowledged messages leave the disk");
	}

	#[test]
	fn stored_messages_survive_a_restart() {
		let dir = tempfile::tempdir().unwrap();
		{
			let broker = open(&dir, BrokerConfig::default());
			broker.publish("events", event("kept"), now()).unwrap();
		}
		let broker = open(&dir, BrokerConfig::default());
		assert_eq!(broker.inbox_len("events"), 1);
		let mut late = broker.subscribe("events", None, now()).unwrap();
		let got = received(&mut late);
		assert_eq!(ids(&got), vec!["kept"]);
		assert_eq!(got[0].message, event("kept"));
		// Its id is remembered across the restart.
		assert_eq!(broker.publish("events", event("kept"), now()).unwrap(), Published::Duplicate);
	}

	#[test]
	fn an_unacknowledged_inbox_message_comes_back_after_a_restart() {
		let dir = tempfile::tempdir().unwrap();
		{
			let broker = open(&dir, BrokerConfig::default());
			broker.publish("events", event("1"), now()).unwrap();
			let mut sub = broker.subscribe("events", None, now()).unwrap();
			assert_eq!(received(&mut sub).len(), 1);
			// Stops before acknowledging.
		}
		let broker = open(&dir, BrokerConfig::default());
		let mut sub = broker.subscribe("events", None, now()).unwrap();
		assert_eq!(ids(&received(&mut sub)), vec!["1"]);
	}

	#[test]
	fn a_full_inbox_drops_its_oldest_and_old_messages_expire() {
		let dir = tempfile::tempdir().unwrap();
		let config = BrokerConfig {
			inbox_limit: 3,
			inbox_max_age: Duration::from_secs(60),
			..BrokerConfig::default()
		};
		let broker = open(&dir, config);
		for i in 1..=5 {
			broker.publish("events", event(&i.to_string()), now()).unwrap();
		}
		assert_eq!(broker.inbox_len("events"), 3);
		drop(broker);
		let broker = open(&dir, config);
		assert_eq!(broker.inbox_len("events"), 3, "the dropped ones are gone from disk too");
		let mut sub = broker.subscribe("events", None, now()).unwrap();
		assert_eq!(ids(&received(&mut sub)), vec!["3", "4", "5"]);
		broker.unsubscribe(sub.id, now());

		// Another topic: a message older than a minute is never delivered.
		broker.publish("old", Message::publish("x", "old", b"{}".to_vec()), now()).unwrap();
		let mut late = broker.subscribe("old", None, now() + Duration::from_secs(61)).unwrap();
		assert!(received(&mut late).is_empty());
	}

	#[test]
	fn duplicates_are_dropped_by_micro_id() {
		let dir = tempfile::tempdir().unwrap();
		let broker = open(&dir, BrokerConfig { dedup_window: 2, ..BrokerConfig::default() });
		let mut sub = broker.subscribe("events", None, now()).unwrap();
		assert_eq!(broker.publish("events", event("1"), now()).unwrap(), Published::Delivered(1));
		assert_eq!(broker.publish("events", event("1"), now()).unwrap(), Published::Duplicate);
		broker.publish("events", event("2"), now()).unwrap();
		broker.publish("events", event("3"), now()).unwrap();
		// The window holds two ids: "1" is forgotten.
		assert_eq!(broker.publish("events", event("1"), now()).unwrap(), Published::Delivered(1));
		assert_eq!(ids(&received(&mut sub)), vec!["1", "2", "3", "1"]);
		// Ids are per topic.
		assert_eq!(
			broker.publish("other", Message::publish("2", "other", vec![]), now()).unwrap(),
			Published::Stored
		);
	}

	#[test]
	fn an_unacknowledged_delivery_goes_to_the_next_member() {
		let dir = tempfile::tempdir().unwrap();
		let config = BrokerConfig { ack_timeout: Duration::from_secs(5), ..Default::default() };
		let broker = open(&dir, config);
		let mut first = broker.subscribe("events", Some("q"), now()).unwrap();
		let mut second = broker.subscribe("events", Some("q"), now()).unwrap();
		broker.publish("events", event("1"), now()).unwrap();
		let delivered = received(&mut first);
		assert_eq!(ids(&delivered), vec!["1"]);
		assert_eq!(broker.redeliver(now() + Duration::from_secs(4)), 0, "not overdue yet");
		assert_eq!(broker.redeliver(now() + Duration::from_secs(5)), 1);
		let again = received(&mut second);
		assert_eq!(ids(&again), vec!["1"]);
		assert!(again[0].redelivered);
		assert!(matches!(broker.ack(delivered[0].tag), Err(BrokerError::UnknownDelivery(_))));
		broker.ack(again[0].tag).unwrap();
		assert_eq!(broker.redeliver(now() + Duration::from_secs(60)), 0);
	}

	#[test]
	fn leaving_hands_unacknowledged_messages_on_or_back_to_the_inbox() {
		let dir = tempfile::tempdir().unwrap();
		let broker = open(&dir, BrokerConfig::default());
		let leaver = broker.subscribe("events", Some("q"), now()).unwrap();
		let mut stayer = broker.subscribe("events", Some("q"), now()).unwrap();
		broker.publish("events", event("1"), now()).unwrap();
		broker.unsubscribe(leaver.id, now());
		assert_eq!(ids(&received(&mut stayer)), vec!["1"]);
		broker.unsubscribe(stayer.id, now());
		assert_eq!(broker.inbox_len("events"), 1, "with nobody left it waits in the inbox");
		drop(broker);
		let broker = open(&dir, BrokerConfig::default());
		assert_eq!(broker.inbox_len("events"), 1, "and on disk");
	}

	#[test]
	fn a_dropped_subscriber_is_forgotten_and_its_delivery_moves_on() {
		let dir = tempfile::tempdir().unwrap();
		let config = BrokerConfig { ack_timeout: Duration::from_secs(5), ..Default::default() };
		let broker = open(&dir, config);
		let gone = broker.subscribe("events", None, now()).unwrap();
		drop(gone);
		broker.publish("events", event("1"), now()).unwrap();
		assert_eq!(broker.redeliver(now() + Duration::from_secs(5)), 1);
		assert_eq!(broker.inbox_len("events"), 1, "nobody is left: the inbox keeps it");
		let mut next = broker.subscribe("events", None, now() + Duration::from_secs(6)).unwrap();
		assert_eq!(ids(&received(&mut next)), vec!["1"]);
	}

	#[test]
	fn a_message_without_an_id_is_refused() {
		let dir = tempfile::tempdir().unwrap();
		let broker = open(&dir, BrokerConfig::default());
		let error = broker.publish("events", Message::new(b"{}".to_vec()), now()).unwrap_err();
		assert_eq!(error.to_string(), "400 Bad Request (mucp.protocol): missing header `Micro-Id`");
		assert!(broker.publish("", event("1"), now()).is_err());
	}

	fn from_node(node: &str, id: &str) -> Message {
		event(id).with(header::PUBLISHER, node)
	}

	fn routed(local: &str, queue_nodes: &[(&str, &str)]) -> Plan {
		Plan {
			local: local.into(),
			nodes: Vec::new(),
			queue_nodes: queue_nodes.iter().map(|(g, n)| (g.to_string(), n.to_string())).collect(),
			unnamed_groups_here: false,
		}
	}

	#[test]
	fn a_message_from_another_node_reaches_only_the_groups_it_names_here() {
		let dir = tempfile::tempdir().unwrap();
		let broker = open(&dir, BrokerConfig::default());
		let mut plain = broker.subscribe("events", None, now()).unwrap();
		let mut workers = broker.subscribe("events", Some("workers"), now()).unwrap();
		let mut auditors = broker.subscribe("events", Some("auditors"), now()).unwrap();
		let mut strangers = broker.subscribe("events", Some("unnamed"), now()).unwrap();
		assert_eq!(
			broker.interest("events"),
			(true, vec!["auditors".into(), "unnamed".into(), "workers".into()])
		);
		assert_eq!(broker.interest("other"), (false, vec![]));
		let plan = routed("me", &[("workers", "me"), ("auditors", "them")]);
		let published = broker.publish_to("events", from_node("a", "1"), now(), &plan).unwrap();
		assert_eq!(published, Published::Delivered(2));
		assert_eq!(ids(&received(&mut plain)), vec!["1"]);
		assert_eq!(ids(&received(&mut workers)), vec!["1"]);
		assert!(received(&mut auditors).is_empty());
		assert!(received(&mut strangers).is_empty(), "a group the publisher did not name");
		let again = broker.publish_to("events", from_node("a", "1"), now(), &plan).unwrap();
		assert_eq!(again, Published::Duplicate);
	}

	#[test]
	fn a_group_takes_its_turn_only_for_messages_served_here() {
		let dir = tempfile::tempdir().unwrap();
		let broker = open(&dir, BrokerConfig::default());
		let mut first = broker.subscribe("events", Some("workers"), now()).unwrap();
		let mut second = broker.subscribe("events", Some("workers"), now()).unwrap();
		// A publisher alternating the group between this node and another: each member here
		// gets half of what is served here (the other node's turns are not this node's).
		let plans = [routed("me", &[("workers", "me")]), routed("me", &[("workers", "them")])];
		for n in 0..8 {
			broker.deliver_core("events", from_node("a", &format!("c{n}")), &plans[n % 2]);
		}
		assert_eq!(ids(&received(&mut first)), vec!["c0", "c4"]);
		assert_eq!(ids(&received(&mut second)), vec!["c2", "c6"]);
		for n in 0..8 {
			let message = from_node("a", &format!("d{n}"));
			broker.publish_to("events", message, now(), &plans[n % 2]).unwrap();
		}
		assert_eq!(ids(&received(&mut first)), vec!["d0", "d4"], "durable too");
		assert_eq!(ids(&received(&mut second)), vec!["d2", "d6"]);
	}

	#[test]
	fn a_message_from_another_node_with_nobody_here_is_kept_in_the_inbox() {
		let dir = tempfile::tempdir().unwrap();
		let broker = open(&dir, BrokerConfig::default());
		let plan = routed("me", &[]);
		let published = broker.publish_to("events", from_node("a", "1"), now(), &plan).unwrap();
		assert_eq!(published, Published::Stored);
		drop(broker);
		let broker = open(&dir, BrokerConfig::default());
		let mut late = broker.subscribe("events", None, now()).unwrap();
		let got = received(&mut late);
		assert_eq!(ids(&got), vec!["1"]);
		assert_eq!(got[0].message.header(header::PUBLISHER), Some("a"));
	}

	#[test]
	fn a_live_delivery_not_acknowledged_before_a_crash_comes_back() {
		let dir = tempfile::tempdir().unwrap();
		{
			let broker = open(&dir, BrokerConfig::default());
			let mut sub = broker.subscribe("events", None, now()).unwrap();
			assert_eq!(
				broker.publish("events", event("1"), now()).unwrap(),
				Published::Delivered(1)
			);
			assert_eq!(
				broker.publish("events", event("2"), now()).unwrap(),
				Published::Delivered(1)
			);
			let got = received(&mut sub);
			broker.ack(got[0].tag).unwrap();
			// Stops with "2" delivered but not acknowledged.
		}
		let broker = open(&dir, BrokerConfig::default());
		assert_eq!(broker.inbox_len("events"), 1);
		let mut sub = broker.subscribe("events", None, now()).unwrap();
		assert_eq!(ids(&received(&mut sub)), vec!["2"]);
	}

	#[test]
	fn one_publisher_cannot_make_anothers_ids_duplicates() {
		let dir = tempfile::tempdir().unwrap();
		let broker = open(&dir, BrokerConfig { dedup_publishers: 2, ..Default::default() });
		let mut sub = broker.subscribe("events", None, now()).unwrap();
		let plan = routed("me", &[]);
		// An attacker publishes the id it expects an honest node to use next.
		assert_eq!(
			broker.publish_to("events", from_node("evil", "x"), now(), &plan).unwrap(),
			Published::Delivered(1)
		);
		assert_eq!(
			broker.publish_to("events", from_node("honest", "x"), now(), &plan).unwrap(),
			Published::Delivered(1),
			"the honest publisher's message is not a duplicate"
		);
		assert_eq!(
			broker.publish_to("events", from_node("honest", "x"), now(), &plan).unwrap(),
			Published::Duplicate
		);
		// Flooding with new publisher ids only pushes out the oldest windows, never fills memory.
		for n in 0..10 {
			let node = format!("sybil-{n}");
			broker.publish_to("events", from_node(&node, "y"), now(), &plan).unwrap();
		}
		let topics = broker.lock();
		assert_eq!(topics.topics["events"].seen.len(), 2);
		drop(topics);
		assert_eq!(received(&mut sub).len(), 12);
	}

	#[test]
	fn a_message_for_another_node_stays_until_it_acknowledges_even_across_a_restart() {
		let dir = tempfile::tempdir().unwrap();
		let config = BrokerConfig { ack_timeout: Duration::from_secs(5), ..Default::default() };
		let plan = Plan { nodes: vec!["b".into()], ..Plan::here() };
		{
			let broker = open(&dir, config);
			assert_eq!(
				broker.publish_to("events", event("1"), now(), &plan).unwrap(),
				Published::Delivered(1)
			);
			assert_eq!(broker.outbox_len("b"), 1);
			let due = |reconnected, at| broker.outbox_due(reconnected, &|_| false, 1 << 20, at);
			assert_eq!(due(None, now()).len(), 1);
			assert!(due(None, now() + Duration::from_secs(4)).is_empty());
			assert_eq!(due(None, now() + Duration::from_secs(5)).len(), 1);
			assert_eq!(due(Some("b"), now() + Duration::from_secs(6)).len(), 1);
			assert!(
				broker
					.outbox_due(None, &|n| n == "b", 1 << 20, now() + Duration::from_secs(60))
					.is_empty(),
				"b is busy"
			);
			// Stops before b acknowledges.
		}
		let broker = open(&dir, config);
		assert_eq!(broker.outbox_topics("b"), vec!["events"]);
		let due = broker.outbox_due(None, &|_| false, 1 << 20, now());
		assert_eq!(due.len(), 1, "due again at once after a restart");
		let (node, batch) = &due[0];
		let (sequence, publication) = &batch[0];
		let publication = Publication::decode(publication.as_slice()).unwrap();
		let message = Message::from_envelope(publication.message.unwrap(), &Limits::default());
		assert_eq!(message.unwrap().id(), Some("1"));
		broker.outbox_acked(node, *sequence);
		assert_eq!(broker.outbox_len("b"), 0);
		drop(broker);
		let broker = open(&dir, config);
		assert_eq!(broker.stored_len(), 0, "acknowledged: gone from disk");
	}

	/// A batch refused for a moment is sent again within a second, not a whole
	/// `ack_timeout` later; a node that keeps refusing backs off to one batch per
	/// `ack_timeout`.
	#[test]
	fn a_failed_batch_is_sent_again_after_a_growing_backoff() {
		let dir = tempfile::tempdir().unwrap();
		let config = BrokerConfig { ack_timeout: Duration::from_secs(5), ..Default::default() };
		let plan = Plan { nodes: vec!["b".into()], ..Plan::here() };
		let broker = open(&dir, config);
		broker.publish_to("events", event("1"), now(), &plan).unwrap();
		let due = |at| broker.outbox_due(None, &|_| false, 1 << 20, at);
		let start = now();
		let sequences: Vec<u64> = due(start)[0].1.iter().map(|(sequence, _)| *sequence).collect();
		let ms = Duration::from_millis;
		for (failures, backoff) in [(1, ms(250)), (2, ms(500)), (3, ms(1000)), (6, ms(5000))] {
			let sent = start + ms(100_000 * u64::from(failures));
			assert_eq!(due(sent).len(), 1, "due at {failures}");
			broker.outbox_failed("b", &sequences, failures, sent);
			assert!(due(sent + backoff - ms(1)).is_empty(), "not before {backoff:?}");
			assert_eq!(due(sent + backoff).len(), 1, "again after {backoff:?}");
		}
		broker.outbox_failed("b", &sequences, u32::MAX, start);
		assert_eq!(due(start + ms(5000)).len(), 1, "capped at ack_timeout, whatever the count");
		broker.outbox_acked("b", sequences[0]);
		broker.outbox_failed("b", &sequences, 1, start);
		assert!(due(start + ms(1000)).is_empty(), "an acknowledged message is not sent again");
	}

	#[test]
	fn each_node_is_sent_only_the_queue_groups_chosen_for_it() {
		let dir = tempfile::tempdir().unwrap();
		let broker = open(&dir, BrokerConfig::default());
		let many: Vec<(String, &str)> = (0..64).map(|n| (format!("g{n}"), "h")).collect();
		let mut chosen: Vec<(&str, &str)> = many.iter().map(|(g, n)| (g.as_str(), *n)).collect();
		chosen.push(("workers", "b"));
		let plan = Plan { nodes: vec!["b".into(), "h".into(), "c".into()], ..routed("a", &chosen) };
		broker.publish_to("events", event("1"), now(), &plan).unwrap();
		// The empty group naming a node: it is sent every choice, so it serves no group
		// chosen for another.
		let mut every = routed("a", &[("", "c"), ("workers", "b")]);
		every.nodes = vec!["c".into()];
		broker.publish_to("events", event("2"), now(), &every).unwrap();
		let due = broker.outbox_due(None, &|_| false, 1 << 20, now());
		let sent: HashMap<&str, Vec<HashMap<String, String>>> = due
			.iter()
			.map(|(node, rows)| {
				let decoded = rows.iter().map(|(_, p)| {
					let publication = Publication::decode(p.as_slice()).unwrap();
					assert!(publication.message.is_some(), "the message itself, once");
					publication.queue_nodes
				});
				(node.as_str(), decoded.collect())
			})
			.collect();
		let named = |pairs: &[(&str, &str)]| -> HashMap<String, String> {
			pairs.iter().map(|(g, n)| (g.to_string(), n.to_string())).collect()
		};
		assert_eq!(sent["b"], [named(&[("workers", "b")])]);
		assert_eq!(sent["h"], [named(&chosen[..64])]);
		assert_eq!(sent["c"], [named(&[]), named(&[("", "c"), ("workers", "b")])]);
	}

	#[test]
	fn the_inbox_goes_only_to_the_node_it_is_handed_to() {
		let dir = tempfile::tempdir().unwrap();
		let config = BrokerConfig { inbox_max_age: Duration::from_secs(60), ..Default::default() };
		{
			let broker = open(&dir, config);
			broker.publish("events", event("old"), now()).unwrap();
			let later = now() + Duration::from_secs(30);
			broker.publish("events", event("1"), later).unwrap();
			broker.publish("events", event("2"), later).unwrap();
			let handed = broker.hand_inbox_to("b", "events", now() + Duration::from_secs(61));
			assert_eq!(handed, 2, "the expired one dropped");
			assert_eq!(broker.inbox_len("events"), 0);
			assert_eq!(broker.hand_inbox_to("c", "events", now()), 0, "nothing left for c");
			assert_eq!(broker.hand_inbox_to("c", "nothing", now()), 0);
		}
		let broker = open(&dir, config);
		assert_eq!(broker.inbox_len("events"), 0);
		assert_eq!(broker.outbox_len("b"), 2);
		assert_eq!(broker.outbox_len("c"), 0);
		let due = broker.outbox_due(None, &|_| false, 1 << 20, now() + Duration::from_secs(62));
		assert_eq!(due.len(), 1);
		let ids: Vec<String> = due[0]
			.1
			.iter()
			.map(|(_, p)| {
				let publication = Publication::decode(p.as_slice()).unwrap();
				assert_eq!(publication.queue_nodes.get(EVERY_GROUP).map(String::as_str), Some("b"));
				let envelope = publication.message.unwrap();
				Message::from_envelope(envelope, &Limits::default())
					.unwrap()
					.id()
					.unwrap()
					.to_owned()
			})
			.collect();
		assert_eq!(ids, vec!["1", "2"], "oldest first");
	}

	#[test]
	fn the_store_topics_outboxes_and_channels_are_bounded() {
		let dir = tempfile::tempdir().unwrap();
		let config = BrokerConfig {
			store_limit: 3,
			max_topics: 2,
			outbox_limit: 2,
			subscriber_buffer: 2,
			..Default::default()
		};
		let broker = open(&dir, config);
		let to_b = Plan { nodes: vec!["b".into()], ..Plan::here() };
		for id in ["1", "2", "3"] {
			broker.publish_to("events", event(id), now(), &to_b).unwrap();
		}
		assert_eq!(broker.outbox_len("b"), 2, "the oldest for b was dropped");
		broker.publish("events", event("4"), now()).unwrap();
		let refused = broker.publish("events", event("5"), now()).unwrap_err();
		assert!(matches!(refused, BrokerError::Full(_)), "{refused}");
		assert_eq!(broker.stored_len(), 3);
		let other = broker.publish("other", Message::publish("x", "other", b"{}".to_vec()), now());
		assert!(matches!(other, Err(BrokerError::Full(_))), "the store is full for every topic");
		assert!(broker.subscribe("other", None, now()).is_ok(), "a second topic");
		assert!(matches!(broker.subscribe("third", None, now()), Err(BrokerError::Full(_))));

		// A subscriber's channel holds two; the rest follows as it acknowledges.
		let dir = tempfile::tempdir().unwrap();
		let broker = open(&dir, BrokerConfig { subscriber_buffer: 2, ..Default::default() });
		for id in ["1", "2", "3"] {
			broker.publish("events", event(id), now()).unwrap();
		}
		let mut sub = broker.subscribe("events", None, now()).unwrap();
		let first = received(&mut sub);
		assert_eq!(ids(&first), vec!["1", "2"]);
		broker.ack(first[0].tag).unwrap();
		assert_eq!(ids(&received(&mut sub)), vec!["3"]);
	}
}
