//! Who listens where: for each topic, the other nodes with subscribers to it and, per queue
//! group, the nodes with members. The swarm's task keeps it from the gossipsub subscriptions it
//! sees (a node's topic channel and each group's marker, see
//! [`transport`](crate::transport)); a publisher reads it directly, under a short lock, so a
//! publish never waits on the swarm's task.
//!
//! It holds what nodes *say*: whether a node is believed is the publisher's
//! [`Admission`](crate::broker::Admission) check, made at each publish (a node's admission can
//! change). Bounded: the swarm's task forgets a node when its last connection closes, and keeps
//! at most `max_per_node` topics (the broker's `max_topics`) and groups per node (past it, more are ignored
//! until the next [`Interest::rebuild`]). A queue group is kept only if its name is at most
//! [`MAX_GROUP_NAME`] bytes, its node has fewer than [`MAX_GROUPS_PER_NODE`] groups on the
//! topic, and the topic has fewer than [`MAX_GROUPS_PER_TOPIC`] groups (or the group is among
//! them already); what is refused is counted ([`Interest::refused`]) and logged, so no node can
//! make a topic's groups too many or too large to publish to.

use std::collections::{hash_map::Entry, BTreeMap, HashMap};

use libp2p::{gossipsub::TopicHash, PeerId};

use crate::transport::parse_queue_marker;

/// The prefix of a topic's gossipsub channel (see [`crate::transport::topic_channel`]).
const CHANNEL_PREFIX: &str = "mucp/topic/";

/// Longest queue group name taken from another node, in bytes.
pub const MAX_GROUP_NAME: usize = 255;

/// Most queue groups of one topic one other node is taken to have members in.
pub const MAX_GROUPS_PER_NODE: usize = 64;

/// Most queue groups of one topic taken from other nodes, all together.
pub const MAX_GROUPS_PER_TOPIC: usize = 1024;

/// The other nodes that listen to one topic.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct Listeners {
	/// The nodes with subscribers to the topic (on its channel).
	pub nodes: Vec<PeerId>,
	/// For each queue group, the nodes with members.
	pub groups: BTreeMap<String, Vec<PeerId>>,
}

impl Listeners {
	fn is_empty(&self) -> bool {
		self.nodes.is_empty() && self.groups.is_empty()
	}
}

/// What one gossipsub topic a node subscribes to says about MUCP topics.
enum Said {
	/// It has subscribers to this topic.
	Listens(String),
	/// It has members of this (topic, group).
	Member(String, String),
}

fn said(hash: &TopicHash) -> Option<Said> {
	if let Some(topic) = hash.as_str().strip_prefix(CHANNEL_PREFIX) {
		return Some(Said::Listens(topic.to_owned()));
	}
	parse_queue_marker(hash).map(|(topic, group)| Said::Member(topic, group))
}

/// Who listens to which topic on the other nodes.
#[derive(Debug)]
pub(super) struct Interest {
	topics: HashMap<String, Listeners>,
	per_node: HashMap<PeerId, usize>,
	max_per_node: usize,
	refused: u64,
}

impl Interest {
	/// Empty, keeping at most `max_per_node` topics and groups of each node.
	pub fn new(max_per_node: usize) -> Self {
		Self {
			topics: HashMap::new(),
			per_node: HashMap::new(),
			max_per_node: max_per_node.max(1),
			refused: 0,
		}
	}

	/// How many queue group memberships were refused (a name too long, or too many groups).
	pub fn refused(&self) -> u64 {
		self.refused
	}

	/// Who listens to `topic` on other nodes (nobody: `None`).
	pub fn listeners(&self, topic: &str) -> Option<Listeners> {
		self.topics.get(topic).cloned()
	}

	/// `node` subscribed to gossipsub topic `hash`; returns the MUCP topic it listens to, if
	/// that is what it says.
	pub fn subscribed(&mut self, node: PeerId, hash: &TopicHash) -> Option<String> {
		let said = said(hash)?;
		let count = self.per_node.entry(node).or_default();
		if *count >= self.max_per_node {
			return None;
		}
		let (topic, list) = match said {
			Said::Listens(topic) => {
				let listeners = self.topics.entry(topic.clone()).or_default();
				(topic, &mut listeners.nodes)
			}
			Said::Member(topic, group) => {
				let listeners = self.topics.get(&topic);
				let groups = listeners.map(|l| &l.groups);
				let known = groups.is_some_and(|groups| groups.contains_key(&group));
				let why = if group.len() > MAX_GROUP_NAME {
					Some("its name is too long")
				} else if !known && groups.is_some_and(|g| g.len() >= MAX_GROUPS_PER_TOPIC) {
					Some("the topic has too many groups")
				} else if groups.is_some_and(|groups| {
					!groups.get(&group).is_some_and(|members| members.contains(&node))
						&& groups.values().filter(|members| members.contains(&node)).count()
							>= MAX_GROUPS_PER_NODE
				}) {
					Some("the node has too many groups on the topic")
				} else {
					None
				};
				if let Some(why) = why {
					self.refused += 1;
					log::debug!(
						target: "mucp",
						"{node}'s queue group of {} bytes on `{topic}` ignored: {why}",
						group.len()
					);
					return None;
				}
				let listeners = self.topics.entry(topic.clone()).or_default();
				(topic, listeners.groups.entry(group).or_default())
			}
		};
		if !list.contains(&node) {
			list.push(node);
			*count += 1;
		}
		Some(topic)
	}

	/// `node` unsubscribed from gossipsub topic `hash`.
	pub fn unsubscribed(&mut self, node: PeerId, hash: &TopicHash) {
		let Some(said) = said(hash) else { return };
		let (topic, group) = match said {
			Said::Listens(topic) => (topic, None),
			Said::Member(topic, group) => (topic, Some(group)),
		};
		let Some(listeners) = self.topics.get_mut(&topic) else { return };
		let removed = match &group {
			None => remove(&mut listeners.nodes, &node),
			Some(group) => match listeners.groups.get_mut(group) {
				Some(members) => {
					let removed = remove(members, &node);
					if members.is_empty() {
						listeners.groups.remove(group);
					}
					removed
				}
				None => false,
			},
		};
		if listeners.is_empty() {
			self.topics.remove(&topic);
		}
		if removed {
			if let Entry::Occupied(mut count) = self.per_node.entry(node) {
				*count.get_mut() -= 1;
				if *count.get() == 0 {
					count.remove();
				}
			}
		}
	}

	/// `node` is gone (its last connection closed): it listens to nothing.
	pub fn forget(&mut self, node: &PeerId) {
		if self.per_node.remove(node).is_none() {
			return;
		}
		self.topics.retain(|_, listeners| {
			remove(&mut listeners.nodes, node);
			listeners.groups.retain(|_, members| {
				remove(members, node);
				!members.is_empty()
			});
			!listeners.is_empty()
		});
	}

	/// Starts again from `subscriptions`: each node and the gossipsub topics it subscribes to.
	pub fn rebuild<'a>(
		&mut self,
		subscriptions: impl IntoIterator<Item = (&'a PeerId, Vec<&'a TopicHash>)>,
	) {
		let refused = self.refused;
		*self = Self::new(self.max_per_node);
		self.refused = refused;
		for (node, hashes) in subscriptions {
			for hash in hashes {
				self.subscribed(*node, hash);
			}
		}
	}
}

fn remove(nodes: &mut Vec<PeerId>, node: &PeerId) -> bool {
	let before = nodes.len();
	nodes.retain(|n| n != node);
	nodes.len() != before
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::transport::{queue_marker, topic_channel};

	#[test]
	fn subscriptions_and_markers_say_who_listens_and_departures_forget_them() {
		let (a, b) = (PeerId::random(), PeerId::random());
		let mut interest = Interest::new(3);
		let channel = topic_channel("news").hash();
		let workers = queue_marker("news", "workers").hash();
		assert_eq!(interest.subscribed(a, &channel), Some("news".into()));
		assert_eq!(interest.subscribed(a, &channel), Some("news".into()), "counted once");
		interest.subscribed(b, &channel);
		interest.subscribed(b, &workers);
		assert_eq!(interest.subscribed(a, &TopicHash::from_raw("mucp/registry/1")), None);
		let news = interest.listeners("news").unwrap();
		assert_eq!(news.nodes, vec![a, b]);
		assert_eq!(news.groups, BTreeMap::from([("workers".into(), vec![b])]));

		interest.unsubscribed(b, &workers);
		assert!(interest.listeners("news").unwrap().groups.is_empty());
		interest.forget(&a);
		assert_eq!(interest.listeners("news").unwrap().nodes, vec![b]);
		interest.unsubscribed(b, &channel);
		assert_eq!(interest.listeners("news"), None, "nobody left: the topic is forgotten");
		assert!(interest.per_node.is_empty());
	}

	#[test]
	fn queue_groups_are_bounded_per_node_per_topic_and_in_name_length() {
		let (hostile, honest) = (PeerId::random(), PeerId::random());
		let mut interest = Interest::new(100_000);
		let marker = |group: &str| queue_marker("news", group).hash();
		assert_eq!(interest.subscribed(hostile, &marker(&"g".repeat(256))), None);
		assert_eq!(interest.subscribed(hostile, &marker(&"g".repeat(255))), Some("news".into()));
		for n in 0..5000 {
			interest.subscribed(hostile, &marker(&format!("g{n}")));
		}
		let groups = |interest: &Interest| interest.listeners("news").unwrap().groups;
		assert_eq!(groups(&interest).len(), MAX_GROUPS_PER_NODE, "one node's share");
		assert_eq!(interest.refused(), 1 + 5001 - MAX_GROUPS_PER_NODE as u64);
		assert_eq!(interest.subscribed(hostile, &marker("g0")), Some("news".into()), "known");
		// An honest node still joins a group, known or new.
		assert_eq!(interest.subscribed(honest, &marker("g0")), Some("news".into()));
		assert_eq!(interest.subscribed(honest, &marker("workers")), Some("news".into()));
		assert_eq!(groups(&interest)["g0"], vec![hostile, honest]);
		assert_eq!(groups(&interest)["workers"], vec![honest]);
		// Many nodes together fill a topic only to its bound.
		for _ in 0..MAX_GROUPS_PER_TOPIC / MAX_GROUPS_PER_NODE + 1 {
			let node = PeerId::random();
			for n in 0..MAX_GROUPS_PER_NODE {
				interest.subscribed(node, &marker(&format!("{node}-{n}")));
			}
		}
		assert_eq!(groups(&interest).len(), MAX_GROUPS_PER_TOPIC);
		assert_eq!(interest.subscribed(honest, &marker("workers")), Some("news".into()));
	}

	#[test]
	fn a_node_is_kept_to_its_bound_of_topics_until_a_rebuild() {
		let node = PeerId::random();
		let mut interest = Interest::new(2);
		let hashes: Vec<TopicHash> =
			(0..5).map(|n| topic_channel(&format!("t{n}")).hash()).collect();
		for hash in &hashes {
			interest.subscribed(node, hash);
		}
		assert_eq!(interest.topics.len(), 2, "a node cannot fill the map");
		interest.unsubscribed(node, &hashes[0]);
		interest.rebuild([(&node, hashes.iter().skip(3).collect())]);
		let kept: Vec<bool> =
			(0..5).map(|n| interest.listeners(&format!("t{n}")).is_some()).collect();
		assert_eq!(kept, vec![false, false, false, true, true]);
	}
}
