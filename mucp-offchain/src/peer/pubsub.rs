//! Publish and subscribe: [`Peer::publish`], [`Peer::subscribe`] and [`Subscription`] over the
//! node's [`Broker`](crate::broker::Broker), and delivery to other nodes through their
//! outboxes.
//!
//! **Across nodes**, a node learns who subscribes to a topic from the topic's gossipsub channel
//! (and each queue group's marker), but believes it only for the nodes its
//! [`Admission`](crate::broker::Admission) check admits (`PeerConfig::admission`): a stranger that
//! subscribes gets nothing and is never chosen for a queue group. A published message is written to
//! the publisher's store, one copy per admitted node with subscribers (its outbox), and sent to
//! each directly on the call protocol (`mucp.broker` / `Broker.Deliver`). The receiving node writes
//! it to its own store before it answers, and only that answer removes the publisher's copy;
//! unanswered copies are sent again after the broker's `ack_timeout` and whenever the node
//! reconnects. So delivery across nodes is at least once through kill -9 of either node; receivers
//! drop duplicates by `Micro-Id` per publisher (the `Micro-Publisher` header, which the receiver
//! sets from the authenticated sender). Each node hands a message to its own subscribers without a
//! queue; for each queue group, the publisher picks one admitted node with members (in turn) and
//! only that node delivers it, so each message reaches one member of each group network-wide. A
//! message nobody subscribes to anywhere waits in the publisher's inbox, and goes to the first
//! subscriber on this node or to an admitted node when it subscribes; a receiver whose subscribers
//! have gone keeps what arrives in its own inbox. Storing and fsync happen on the broker's writer
//! thread, never on the swarm's task.

use std::{
	collections::{BTreeMap, HashMap},
	sync::Arc,
	time::SystemTime,
};

use libp2p::PeerId;
use prost::Message as _;
use tokio::sync::{mpsc, oneshot};

use crate::{
	broker::{BrokerError, Delivery, Plan, Published},
	protocol::{header, Form, Message, MicroError, Publication, Publications, PROTOCOL},
	transport::{parse_queue_marker, topic_channel},
};

use super::{driver::Driver, Command, Peer, Shared};

/// The service name of the broker's node-to-node delivery on the call protocol.
pub(super) const BROKER_SERVICE: &str = "mucp.broker";

/// The endpoint a node hands another a publication on; the answer acknowledges it.
pub(super) const BROKER_DELIVER: &str = "Broker.Deliver";

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

impl Peer {
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
}

impl Shared {
	/// Takes a publication another node sent: stores it durably for this node's subscribers
	/// (or in the inbox if there are none) before the caller's answer acknowledges it. Its
	/// `Micro-Publisher` is set to the sender, so duplicates are judged per publisher.
	pub(super) async fn accept_publication(
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
}

impl Driver {
	/// Who on other nodes subscribes to `topic`: the peers on its channel, and for each
	/// queue group the peers with members.
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

	/// Where a message published to `topic` now goes (see the module's documentation): the
	/// admitted nodes that subscribe, and for each queue group the node whose members get it.
	pub(super) fn plan(&self, topic: &str) -> Plan {
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
	pub(super) fn send_outbox(&mut self, reconnected: Option<PeerId>) {
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
}
