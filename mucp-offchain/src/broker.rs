//! The broker: publish to a topic without knowing who listens.
//!
//! - Subscribers without a queue each receive every message of the topic; subscribers sharing a
//!   `Micro-Queue` form a queue group, and each message goes to one member of each group, in
//!   turn (round robin).
//! - **Inbox**: a message published while the topic has no subscriber is stored and delivered
//!   to the first one to subscribe. Stored messages are written to an embedded database (redb)
//!   and synced before [`Broker::publish`] returns, so they survive a restart. Each topic keeps
//!   at most [`BrokerConfig::inbox_limit`] of them, no older than
//!   [`BrokerConfig::inbox_max_age`]: **when the inbox is full the oldest message is dropped to
//!   make room** for the new one, and messages past the age are dropped unseen.
//! - **At least once**: every delivery must be acknowledged ([`Broker::ack`]) within
//!   [`BrokerConfig::ack_timeout`], or [`Broker::redeliver`] sends it again (to the next member
//!   of its queue group, or back to the inbox if nobody is left). An inbox message stays on disk
//!   until it is acknowledged, so one delivered but unacknowledged when the process stops is
//!   delivered again after a restart. Messages delivered live are held in memory only.
//! - **Duplicates** are dropped by `Micro-Id`: the broker remembers the last
//!   [`BrokerConfig::dedup_window`] ids of each topic (rebuilt from the inbox on restart).

use std::{
	collections::{HashMap, HashSet, VecDeque},
	path::Path,
	sync::Mutex,
	time::{Duration, SystemTime, UNIX_EPOCH},
};

use redb::{Database, ReadableTable, TableDefinition};
use tokio::sync::mpsc;

use crate::protocol::{Limits, Message, MicroError, PROTOCOL};

/// The inbox on disk: (topic, sequence) → publish time in ms since the epoch, then the envelope.
const INBOX: TableDefinition<(&str, u64), &[u8]> = TableDefinition::new("inbox");

/// The broker's bounds and timings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BrokerConfig {
	/// Most messages a topic's inbox holds.
	pub inbox_limit: usize,
	/// How long a stored message waits for a subscriber.
	pub inbox_max_age: Duration,
	/// How long a delivery may go unacknowledged before it is sent again.
	pub ack_timeout: Duration,
	/// How many recent `Micro-Id`s per topic duplicates are checked against.
	pub dedup_window: usize,
}

impl Default for BrokerConfig {
	/// 10,000 messages for a day per topic; 30 s to acknowledge; the last 10,000 ids.
	fn default() -> Self {
		Self {
			inbox_limit: 10_000,
			inbox_max_age: Duration::from_secs(24 * 60 * 60),
			ack_timeout: Duration::from_secs(30),
			dedup_window: 10_000,
		}
	}
}

/// What became of a published message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Published {
	/// Sent to this many subscribers (one per queue group, plus every subscriber without one).
	Delivered(usize),
	/// Nobody listens yet: stored in the topic's inbox, on disk.
	Stored,
	/// A message with this `Micro-Id` was published to the topic before: dropped.
	Duplicate,
}

/// Which of a node's subscribers a message goes to.
pub enum Route<'a> {
	/// Every subscriber without a queue and one member of every queue group; stored if there
	/// is nobody.
	Everyone,
	/// Every subscriber without a queue, and one member of each queue group this says yes to
	/// (the groups this node was chosen to serve for the message).
	Groups(&'a dyn Fn(&str) -> bool),
}

/// A message handed to a subscriber, to be acknowledged with [`Broker::ack`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Delivery {
	/// Identifies this delivery for [`Broker::ack`].
	pub tag: u64,
	/// The topic.
	pub topic: String,
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
	pub deliveries: mpsc::UnboundedReceiver<Delivery>,
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
}

impl std::fmt::Display for BrokerError {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		match self {
			Self::Message(error) => write!(f, "{error}"),
			Self::Store(error) => write!(f, "the broker's store failed: {error}"),
			Self::UnknownDelivery(tag) => write!(f, "no unacknowledged delivery {tag}"),
		}
	}
}

impl std::error::Error for BrokerError {}

fn store_error(error: impl std::fmt::Display) -> BrokerError {
	BrokerError::Store(error.to_string())
}

/// A message waiting in an inbox.
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
	stored: Option<Stored>,
	message: Message,
}

struct Subscriber {
	id: u64,
	queue: Option<String>,
	sender: mpsc::UnboundedSender<Delivery>,
}

#[derive(Default)]
struct Topic {
	subscribers: Vec<Subscriber>,
	turns: HashMap<String, usize>,
	inbox: VecDeque<Stored>,
	seen: VecDeque<String>,
	seen_set: HashSet<String>,
}

#[derive(Default)]
struct State {
	topics: HashMap<String, Topic>,
	pending: HashMap<u64, Pending>,
	next_subscriber: u64,
	next_tag: u64,
	next_sequence: u64,
}

/// The broker of one node.
pub struct Broker {
	config: BrokerConfig,
	db: Database,
	state: Mutex<State>,
}

fn millis(time: SystemTime) -> u64 {
	time.duration_since(UNIX_EPOCH).unwrap_or_default().as_millis() as u64
}

impl Broker {
	/// Opens (or creates) the broker whose inbox is stored at `path`, loading what it held.
	pub fn open(path: &Path, config: BrokerConfig) -> Result<Self, BrokerError> {
		let db = crate::store::open(path).map_err(store_error)?;
		let write = db.begin_write().map_err(store_error)?;
		write.open_table(INBOX).map_err(store_error)?;
		write.commit().map_err(store_error)?;
		let mut state = State::default();
		{
			let read = db.begin_read().map_err(store_error)?;
			let table = read.open_table(INBOX).map_err(store_error)?;
			for row in table.iter().map_err(store_error)? {
				let (key, value) = row.map_err(store_error)?;
				let (topic, sequence) = key.value();
				let bytes = value.value();
				let Some((at, envelope)) = bytes.split_first_chunk::<8>() else { continue };
				let Ok((message, _)) = Message::decode(envelope, &Limits::default()) else {
					continue;
				};
				let published_at = UNIX_EPOCH + Duration::from_millis(u64::from_le_bytes(*at));
				state.next_sequence = state.next_sequence.max(sequence + 1);
				let topic_state = state.topics.entry(topic.to_owned()).or_default();
				if let Some(id) = message.id() {
					remember(topic_state, id, config.dedup_window);
				}
				topic_state.inbox.push_back(Stored { sequence, published_at, message });
			}
		}
		Ok(Self { config, db, state: Mutex::new(state) })
	}

	/// Publishes `message` to `topic` at `now`: delivers it to the topic's subscribers, or
	/// stores it (synced to disk) if there are none. The message needs a `Micro-Id`.
	pub fn publish(
		&self,
		topic: &str,
		message: Message,
		now: SystemTime,
	) -> Result<Published, BrokerError> {
		self.publish_routed(topic, message, now, Route::Everyone)
	}

	/// Publishes `message` to `topic` as `route` says which of this node's subscribers get it.
	/// [`Route::Everyone`] stores it when nobody here subscribes; the other routes are for a
	/// message other nodes may serve too, and store nothing.
	pub fn publish_routed(
		&self,
		topic: &str,
		message: Message,
		now: SystemTime,
		route: Route<'_>,
	) -> Result<Published, BrokerError> {
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
		let mut state = self.state.lock().expect("the broker's lock is never poisoned");
		let state = &mut *state;
		let topic_state = state.topics.entry(topic.to_owned()).or_default();
		if topic_state.seen_set.contains(&id) {
			return Ok(Published::Duplicate);
		}
		if topic_state.subscribers.is_empty() && matches!(route, Route::Everyone) {
			self.store(state, topic, message, now)?;
			let topic_state = state.topics.get_mut(topic).expect("created above");
			remember(topic_state, &id, self.config.dedup_window);
			return Ok(Published::Stored);
		}
		remember(topic_state, &id, self.config.dedup_window);
		let targets: Vec<_> = targets(topic_state)
			.into_iter()
			.filter(|(_, queue)| match (&route, queue) {
				(_, None) | (Route::Everyone, _) => true,
				(Route::Groups(serves), Some(queue)) => serves(queue),
			})
			.collect();
		let count = targets.len();
		for (subscriber, queue) in targets {
			self.deliver(state, topic, subscriber, queue, message.clone(), None, false, now);
		}
		Ok(Published::Delivered(count))
	}

	/// Whether `topic` has a subscriber here, and the queue groups its subscribers here form.
	pub fn interest(&self, topic: &str) -> (bool, Vec<String>) {
		let state = self.state.lock().expect("the broker's lock is never poisoned");
		let Some(topic) = state.topics.get(topic) else { return (false, Vec::new()) };
		let mut groups: Vec<String> =
			topic.subscribers.iter().filter_map(|s| s.queue.clone()).collect();
		groups.sort();
		groups.dedup();
		(!topic.subscribers.is_empty(), groups)
	}

	/// Takes every message waiting in `topic`'s inbox out of it, on disk too, oldest first: for
	/// a subscriber on another node. Messages past their age are dropped.
	pub fn drain_inbox(&self, topic: &str, now: SystemTime) -> Result<Vec<Message>, BrokerError> {
		let mut state = self.state.lock().expect("the broker's lock is never poisoned");
		let Some(topic_state) = state.topics.get_mut(topic) else { return Ok(Vec::new()) };
		if topic_state.inbox.is_empty() {
			return Ok(Vec::new());
		}
		let write = self.db.begin_write().map_err(store_error)?;
		{
			let mut table = write.open_table(INBOX).map_err(store_error)?;
			for stored in &topic_state.inbox {
				table.remove((topic, stored.sequence)).map_err(store_error)?;
			}
		}
		write.commit().map_err(store_error)?;
		let max_age = self.config.inbox_max_age;
		Ok(topic_state
			.inbox
			.drain(..)
			.filter(|stored| now.duration_since(stored.published_at).unwrap_or_default() < max_age)
			.map(|stored| stored.message)
			.collect())
	}

	/// Writes `message` to `topic`'s inbox, dropping expired messages and, if it is full, the
	/// oldest.
	fn store(
		&self,
		state: &mut State,
		topic: &str,
		message: Message,
		now: SystemTime,
	) -> Result<(), BrokerError> {
		let sequence = state.next_sequence;
		let topic_state = state.topics.entry(topic.to_owned()).or_default();
		let mut dropped = Vec::new();
		while let Some(oldest) = topic_state.inbox.front() {
			let expired = now.duration_since(oldest.published_at).unwrap_or_default()
				>= self.config.inbox_max_age;
			if expired || topic_state.inbox.len() >= self.config.inbox_limit.max(1) {
				dropped.push(topic_state.inbox.pop_front().expect("front exists").sequence);
			} else {
				break;
			}
		}
		let mut row = millis(now).to_le_bytes().to_vec();
		row.extend(message.encode());
		let write = self.db.begin_write().map_err(store_error)?;
		{
			let mut table = write.open_table(INBOX).map_err(store_error)?;
			for old in &dropped {
				table.remove((topic, *old)).map_err(store_error)?;
			}
			table.insert((topic, sequence), row.as_slice()).map_err(store_error)?;
		}
		write.commit().map_err(store_error)?;
		state.next_sequence += 1;
		let topic_state = state.topics.get_mut(topic).expect("created above");
		topic_state.inbox.push_back(Stored { sequence, published_at: now, message });
		Ok(())
	}

	fn deliver(
		&self,
		state: &mut State,
		topic: &str,
		subscriber: u64,
		queue: Option<String>,
		message: Message,
		stored: Option<Stored>,
		redelivered: bool,
		now: SystemTime,
	) {
		let tag = state.next_tag;
		state.next_tag += 1;
		let sender = state
			.topics
			.get(topic)
			.and_then(|t| t.subscribers.iter().find(|s| s.id == subscriber))
			.map(|s| s.sender.clone());
		let delivery =
			Delivery { tag, topic: topic.to_owned(), message: message.clone(), redelivered };
		state.pending.insert(
			tag,
			Pending {
				topic: topic.to_owned(),
				subscriber,
				queue,
				deadline: now + self.config.ack_timeout,
				stored,
				message,
			},
		);
		// A subscriber whose receiver is gone is dropped; `redeliver` hands its delivery to
		// someone else when the deadline passes.
		if let Some(sender) = sender {
			if sender.send(delivery).is_err() {
				if let Some(topic_state) = state.topics.get_mut(topic) {
					topic_state.subscribers.retain(|s| s.id != subscriber);
				}
			}
		}
	}

	/// Subscribes to `topic`, in queue group `queue` if given, and hands the new subscriber
	/// every message waiting in the topic's inbox.
	pub fn subscribe(&self, topic: &str, queue: Option<&str>, now: SystemTime) -> Subscription {
		let (sender, deliveries) = mpsc::unbounded_channel();
		let mut state = self.state.lock().expect("the broker's lock is never poisoned");
		let state = &mut *state;
		let id = state.next_subscriber;
		state.next_subscriber += 1;
		let topic_state = state.topics.entry(topic.to_owned()).or_default();
		topic_state.subscribers.push(Subscriber { id, queue: queue.map(str::to_owned), sender });
		let waiting: Vec<Stored> = topic_state.inbox.drain(..).collect();
		for stored in waiting {
			if now.duration_since(stored.published_at).unwrap_or_default()
				>= self.config.inbox_max_age
			{
				let _ = self.remove_stored(topic, stored.sequence);
				continue;
			}
			let message = stored.message.clone();
			self.deliver(
				state,
				topic,
				id,
				queue.map(str::to_owned),
				message,
				Some(stored),
				false,
				now,
			);
		}
		Subscription { id, deliveries }
	}

	/// Ends subscription `id`; its unacknowledged deliveries go to other subscribers at once
	/// (or back to the inbox).
	pub fn unsubscribe(&self, id: u64, now: SystemTime) {
		let mut state = self.state.lock().expect("the broker's lock is never poisoned");
		for topic in state.topics.values_mut() {
			topic.subscribers.retain(|s| s.id != id);
		}
		let orphaned: Vec<u64> =
			state.pending.iter().filter(|(_, p)| p.subscriber == id).map(|(tag, _)| *tag).collect();
		for tag in orphaned {
			if let Some(pending) = state.pending.remove(&tag) {
				self.reroute(&mut state, pending, now);
			}
		}
	}

	/// Acknowledges delivery `tag`: it will not be sent again.
	pub fn ack(&self, tag: u64) -> Result<(), BrokerError> {
		let pending = self
			.state
			.lock()
			.expect("the broker's lock is never poisoned")
			.pending
			.remove(&tag)
			.ok_or(BrokerError::UnknownDelivery(tag))?;
		if let Some(stored) = pending.stored {
			self.remove_stored(&pending.topic, stored.sequence)?;
		}
		Ok(())
	}

	fn remove_stored(&self, topic: &str, sequence: u64) -> Result<(), BrokerError> {
		let write = self.db.begin_write().map_err(store_error)?;
		write
			.open_table(INBOX)
			.map_err(store_error)?
			.remove((topic, sequence))
			.map_err(store_error)?;
		write.commit().map_err(store_error)
	}

	/// Sends again every delivery unacknowledged past its deadline at `now`; returns how many.
	pub fn redeliver(&self, now: SystemTime) -> usize {
		let mut state = self.state.lock().expect("the broker's lock is never poisoned");
		let overdue: Vec<u64> =
			state.pending.iter().filter(|(_, p)| p.deadline <= now).map(|(tag, _)| *tag).collect();
		for tag in &overdue {
			if let Some(pending) = state.pending.remove(tag) {
				self.reroute(&mut state, pending, now);
			}
		}
		overdue.len()
	}

	/// Sends an unacknowledged delivery again: to the next member of its queue group, to the
	/// same subscriber if it has no group and is still there, or else back to the inbox.
	fn reroute(&self, state: &mut State, pending: Pending, now: SystemTime) {
		let topic = pending.topic.clone();
		let target = {
			let Some(topic_state) = state.topics.get_mut(&topic) else { return };
			match &pending.queue {
				Some(queue) => next_in_queue(topic_state, queue),
				None => topic_state
					.subscribers
					.iter()
					.any(|s| s.id == pending.subscriber)
					.then_some(pending.subscriber),
			}
		};
		match (target, pending.stored) {
			(Some(subscriber), stored) => self.deliver(
				state,
				&topic,
				subscriber,
				pending.queue,
				pending.message,
				stored,
				true,
				now,
			),
			(None, Some(stored)) => {
				if let Some(topic_state) = state.topics.get_mut(&topic) {
					topic_state.inbox.push_front(stored);
				}
			}
			(None, None) => {
				// Storing can only fail if the disk does; the message is then lost, as a live
				// delivery would be if the process stopped.
				let _ = self.store(state, &topic, pending.message, now);
			}
		}
	}

	/// How many messages wait in `topic`'s inbox.
	pub fn inbox_len(&self, topic: &str) -> usize {
		let state = self.state.lock().expect("the broker's lock is never poisoned");
		state.topics.get(topic).map_or(0, |t| t.inbox.len())
	}
}

/// Remembers `id` as seen on the topic, forgetting the oldest beyond `window`.
fn remember(topic: &mut Topic, id: &str, window: usize) {
	if topic.seen_set.insert(id.to_owned()) {
		topic.seen.push_back(id.to_owned());
	}
	while topic.seen.len() > window.max(1) {
		if let Some(old) = topic.seen.pop_front() {
			topic.seen_set.remove(&old);
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

/// Who gets a message published to the topic: every subscriber without a queue, and the next
/// member of each queue group.
fn targets(topic: &mut Topic) -> Vec<(u64, Option<String>)> {
	let mut targets: Vec<(u64, Option<String>)> =
		topic.subscribers.iter().filter(|s| s.queue.is_none()).map(|s| (s.id, None)).collect();
	let mut queues: Vec<String> =
		topic.subscribers.iter().filter_map(|s| s.queue.clone()).collect();
	queues.sort();
	queues.dedup();
	for queue in queues {
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
		let mut a = broker.subscribe("events", None, now());
		let mut b = broker.subscribe("events", None, now());
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
			(0..3).map(|_| broker.subscribe("events", Some("workers"), now())).collect();
		let mut auditor = broker.subscribe("events", None, now());
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
		let mut late = broker.subscribe("events", None, now());
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
		let mut late = broker.subscribe("events", None, now());
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
			let mut sub = broker.subscribe("events", None, now());
			assert_eq!(received(&mut sub).len(), 1);
			// Stops before acknowledging.
		}
		let broker = open(&dir, BrokerConfig::default());
		let mut sub = broker.subscribe("events", None, now());
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
		let mut sub = broker.subscribe("events", None, now());
		assert_eq!(ids(&received(&mut sub)), vec!["3", "4", "5"]);
		broker.unsubscribe(sub.id, now());

		// Another topic: a message older than a minute is never delivered.
		broker.publish("old", Message::publish("x", "old", b"{}".to_vec()), now()).unwrap();
		let mut late = broker.subscribe("old", None, now() + Duration::from_secs(61));
		assert!(received(&mut late).is_empty());
	}

	#[test]
	fn duplicates_are_dropped_by_micro_id() {
		let dir = tempfile::tempdir().unwrap();
		let broker = open(&dir, BrokerConfig { dedup_window: 2, ..BrokerConfig::default() });
		let mut sub = broker.subscribe("events", None, now());
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
		let mut first = broker.subscribe("events", Some("q"), now());
		let mut second = broker.subscribe("events", Some("q"), now());
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
		let leaver = broker.subscribe("events", Some("q"), now());
		let mut stayer = broker.subscribe("events", Some("q"), now());
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
		let gone = broker.subscribe("events", None, now());
		drop(gone);
		broker.publish("events", event("1"), now()).unwrap();
		assert_eq!(broker.redeliver(now() + Duration::from_secs(5)), 1);
		assert_eq!(broker.inbox_len("events"), 1, "nobody is left: the inbox keeps it");
		let mut next = broker.subscribe("events", None, now() + Duration::from_secs(6));
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

	#[test]
	fn a_routed_message_reaches_only_the_groups_this_node_serves() {
		let dir = tempfile::tempdir().unwrap();
		let broker = open(&dir, BrokerConfig::default());
		let mut plain = broker.subscribe("events", None, now());
		let mut workers = broker.subscribe("events", Some("workers"), now());
		let mut auditors = broker.subscribe("events", Some("auditors"), now());
		assert_eq!(broker.interest("events"), (true, vec!["auditors".into(), "workers".into()]));
		assert_eq!(broker.interest("other"), (false, vec![]));
		let serves_workers = |group: &str| group == "workers";
		let published = broker
			.publish_routed("events", event("1"), now(), Route::Groups(&serves_workers))
			.unwrap();
		assert_eq!(published, Published::Delivered(2));
		assert_eq!(ids(&received(&mut plain)), vec!["1"]);
		assert_eq!(ids(&received(&mut workers)), vec!["1"]);
		assert!(received(&mut auditors).is_empty());
		let serves_none = |_: &str| false;
		let routed =
			broker.publish_routed("events", event("1"), now(), Route::Groups(&serves_none));
		assert_eq!(routed.unwrap(), Published::Duplicate);
	}

	#[test]
	fn a_routed_message_with_nobody_here_is_not_stored() {
		let dir = tempfile::tempdir().unwrap();
		let broker = open(&dir, BrokerConfig::default());
		let serves_all = |_: &str| true;
		let published =
			broker.publish_routed("events", event("1"), now(), Route::Groups(&serves_all)).unwrap();
		assert_eq!(published, Published::Delivered(0));
		assert_eq!(broker.inbox_len("events"), 0);
	}

	#[test]
	fn draining_the_inbox_empties_it_on_disk_too() {
		let dir = tempfile::tempdir().unwrap();
		let config = BrokerConfig { inbox_max_age: Duration::from_secs(60), ..Default::default() };
		{
			let broker = open(&dir, config);
			broker.publish("events", event("old"), now()).unwrap();
			let later = now() + Duration::from_secs(30);
			broker.publish("events", event("1"), later).unwrap();
			broker.publish("events", event("2"), later).unwrap();
			let drained = broker.drain_inbox("events", now() + Duration::from_secs(61)).unwrap();
			let drained: Vec<_> = drained.iter().map(|m| m.id().unwrap().to_owned()).collect();
			assert_eq!(drained, vec!["1", "2"], "oldest first, the expired one dropped");
			assert_eq!(broker.inbox_len("events"), 0);
			assert!(broker.drain_inbox("nothing", now()).unwrap().is_empty());
		}
		let reopened = open(&dir, config);
		assert_eq!(reopened.inbox_len("events"), 0);
	}
}
