//! Who listens where: for each topic, the other nodes with subscribers to it and, per queue
//! group, the nodes with members. The swarm's task keeps it from the gossipsub subscriptions it
//! sees (a node's topic channel and each group's marker, see
//! [`transport`](crate::transport)); a publisher reads it directly, under a short lock, so a
//! publish never waits on the swarm's task.
//!
//! It holds what nodes *say*: whether a node is believed is the publisher's
//! [`Admission`](crate::broker::Admission) check, made at each publish (a node's admission can
//! change). A queue group membership the check refuses is not even kept (it counts toward no
//! bound and takes no slot; the check is made again at each [`Interest::rebuild`]). Bounded:
//! the swarm's task forgets a node when its last connection closes, and keeps at most
//! `max_per_node` topics (the broker's `max_topics`) and groups per node (past it, more are
//! ignored until the next [`Interest::rebuild`]). A queue group is kept only if its name is at
//! most [`MAX_GROUP_NAME`] bytes and its node has fewer than [`MAX_GROUPS_PER_NODE`] groups on
//! the topic. A topic holds slots for [`MAX_GROUPS_PER_TOPIC`] groups, first come: a group
//! that holds one keeps it (across rebuilds too, which replay the groups holding slots first),
//! so nodes that come later never take an honest group's slot; a new group past the bound
//! waits in the topic's overflow until a slot frees. A core publish leaves overflow groups out
//! (each refusal counted in [`Interest::refused`] and logged); a durable one serves them too,
//! so no durable message is acknowledged for a group it never reached. A topic longer than
//! a header may be (no message could be published to it) is ignored.

use std::{
	collections::{hash_map::Entry, BTreeMap, HashMap, HashSet},
	hash::{BuildHasher, RandomState},
};

use libp2p::{gossipsub::TopicHash, PeerId};

use crate::{broker::Admission, transport::parse_queue_marker};

/// The prefix of a topic's gossipsub channel (see [`crate::transport::topic_channel`]).
const CHANNEL_PREFIX: &str = "mucp/topic/";

/// Longest queue group name taken from another node, in bytes.
pub const MAX_GROUP_NAME: usize = 255;

/// Most queue groups of one topic one other node is taken to have members in.
pub const MAX_GROUPS_PER_NODE: usize = 64;

/// Most queue groups of one topic with a slot (those core publications serve), all together.
pub const MAX_GROUPS_PER_TOPIC: usize = 1024;

/// Most refused memberships remembered per node (so that each is counted once); past it, a
/// node's further ones are counted again at each rebuild.
const MAX_REFUSALS_PER_NODE: usize = 1024;

/// The other nodes that listen to one topic.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct Listeners {
	/// The nodes with subscribers to the topic (on its channel).
	pub nodes: Vec<PeerId>,
	/// For each queue group with a slot, the nodes with members.
	pub groups: BTreeMap<String, Vec<PeerId>>,
	/// For each queue group that came when every slot was taken, the nodes with members: core
	/// publications leave them out, durable ones serve them too.
	pub overflow: BTreeMap<String, Vec<PeerId>>,
}

impl Listeners {
	fn is_empty(&self) -> bool {
		self.nodes.is_empty() && self.groups.is_empty() && self.overflow.is_empty()
	}

	/// Gives free slots to the overflow's groups, in name order.
	fn fill_slots(&mut self) {
		while self.groups.len() < MAX_GROUPS_PER_TOPIC {
			let Some((group, members)) = self.overflow.pop_first() else { break };
			self.groups.insert(group, members);
		}
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

/// The queue group memberships refused (or left without a slot), each counted once while it
/// stands: a rebuild replays them without counting them again.
#[derive(Debug, Default)]
struct Refusals {
	/// How many, since the start.
	count: u64,
	/// For each node, its refused memberships that stand (hashes of topic and group).
	standing: HashMap<PeerId, HashSet<u64>>,
	/// During a rebuild, those that stood before it (not counted again).
	before: HashMap<PeerId, HashSet<u64>>,
	hasher: RandomState,
}

impl Refusals {
	fn key(&self, topic: &str, group: &str) -> u64 {
		self.hasher.hash_one((topic, group))
	}

	/// Counts and logs `node`'s membership of `group` on `topic` refused, for `why`, unless
	/// that refusal stands already.
	fn refuse(&mut self, node: &PeerId, topic: &str, group: &str, why: &str) {
		let key = self.key(topic, group);
		let standing = self.standing.entry(*node).or_default();
		if standing.contains(&key) {
			return;
		}
		if standing.len() < MAX_REFUSALS_PER_NODE {
			standing.insert(key);
		}
		if self.before.get(node).is_some_and(|before| before.contains(&key)) {
			return;
		}
		self.count += 1;
		log::debug!(
			target: "mucp",
			"{node}'s queue group of {} bytes on `{topic}` ignored: {why}",
			group.len()
		);
	}

	/// `node` left `group` on `topic`: a refusal of it no longer stands.
	fn withdrawn(&mut self, node: &PeerId, topic: &str, group: &str) {
		let key = self.key(topic, group);
		if let Entry::Occupied(mut standing) = self.standing.entry(*node) {
			standing.get_mut().remove(&key);
			if standing.get().is_empty() {
				standing.remove();
			}
		}
	}
}

/// Who listens to which topic on the other nodes.
#[derive(Debug)]
pub(super) struct Interest {
	topics: HashMap<String, Listeners>,
	per_node: HashMap<PeerId, usize>,
	/// For each node, how many groups of each topic it is a member of, with a slot or not.
	groups_per_node: HashMap<PeerId, HashMap<String, usize>>,
	max_per_node: usize,
	max_topic_len: usize,
	admission: Admission,
	refusals: Refusals,
}

impl Interest {
	/// Empty, keeping at most `max_per_node` topics and groups of each node, and only the queue
	/// group memberships `admission` admits.
	pub fn new(max_per_node: usize, admission: Admission) -> Self {
		Self {
			topics: HashMap::new(),
			per_node: HashMap::new(),
			groups_per_node: HashMap::new(),
			max_per_node: max_per_node.max(1),
			max_topic_len: crate::protocol::Limits::default().max_header_len,
			admission,
			refusals: Refusals::default(),
		}
	}

	/// Ignores topics longer than `max` bytes (a message's `max_header_len`: no message could
	/// be published to them).
	pub fn with_max_topic_len(mut self, max: usize) -> Self {
		self.max_topic_len = max;
		self
	}

	/// How many queue group memberships of admitted nodes were refused, or left out of core
	/// publications (a name too long, too many groups on the node, or no slot on the topic):
	/// each counted once, while it stands.
	pub fn refused(&self) -> u64 {
		self.refusals.count
	}

	/// Who listens to `topic` on other nodes (nobody: `None`).
	pub fn listeners(&self, topic: &str) -> Option<Listeners> {
		self.topics.get(topic).cloned()
	}

	/// `node` subscribed to gossipsub topic `hash`; returns the MUCP topic it listens to, if
	/// that is what it says (and, for a queue group, it is kept, with a slot or not).
	pub fn subscribed(&mut self, node: PeerId, hash: &TopicHash) -> Option<String> {
		let said = said(hash)?;
		let (Said::Listens(topic) | Said::Member(topic, _)) = &said;
		if topic.len() > self.max_topic_len {
			return None;
		}
		if self.per_node.get(&node).is_some_and(|count| *count >= self.max_per_node) {
			return None;
		}
		let (topic, list) = match said {
			Said::Listens(topic) => {
				let listeners = self.topics.entry(topic.clone()).or_default();
				(topic, &mut listeners.nodes)
			}
			Said::Member(topic, group) => {
				if !self.admission.admits(&node, &topic, Some(&group)) {
					// Not believed: it takes no slot and counts toward no bound.
					return None;
				}
				let listeners = self.topics.get(&topic);
				let joined = listeners.is_some_and(|l| {
					let member = |groups: &BTreeMap<String, Vec<PeerId>>| {
						groups.get(&group).is_some_and(|members| members.contains(&node))
					};
					member(&l.groups) || member(&l.overflow)
				});
				let groups_here = || {
					let of_node = self.groups_per_node.get(&node);
					of_node.and_then(|topics| topics.get(&topic)).copied().unwrap_or_default()
				};
				let why = if joined {
					None
				} else if group.is_empty() {
					// The empty name stands for every group in a publication's plan.
					Some("its name is empty")
				} else if group.len() > MAX_GROUP_NAME {
					Some("its name is too long")
				} else if groups_here() >= MAX_GROUPS_PER_NODE {
					Some("the node has too many groups on the topic")
				} else {
					None
				};
				if let Some(why) = why {
					self.refusals.refuse(&node, &topic, &group, why);
					return None;
				}
				if !joined {
					let topics = self.groups_per_node.entry(node).or_default();
					*topics.entry(topic.clone()).or_default() += 1;
				}
				let listeners = self.topics.entry(topic.clone()).or_default();
				let list = if listeners.groups.contains_key(&group)
					|| (!listeners.overflow.contains_key(&group)
						&& listeners.groups.len() < MAX_GROUPS_PER_TOPIC)
				{
					listeners.groups.entry(group).or_default()
				} else {
					if !joined {
						let why = "the topic has no slot left: core publications leave it out";
						self.refusals.refuse(&node, &topic, &group, why);
					}
					listeners.overflow.entry(group).or_default()
				};
				(topic, list)
			}
		};
		if !list.contains(&node) {
			list.push(node);
			*self.per_node.entry(node).or_default() += 1;
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
		if let Some(group) = &group {
			self.refusals.withdrawn(&node, &topic, group);
		}
		let Some(listeners) = self.topics.get_mut(&topic) else { return };
		let removed = match &group {
			None => remove(&mut listeners.nodes, &node),
			Some(group) => {
				let mut removed = false;
				for groups in [&mut listeners.groups, &mut listeners.overflow] {
					if let Some(members) = groups.get_mut(group) {
						removed |= remove(members, &node);
						if members.is_empty() {
							groups.remove(group);
						}
					}
				}
				listeners.fill_slots();
				if removed {
					if let Entry::Occupied(mut topics) = self.groups_per_node.entry(node) {
						if let Some(count) = topics.get_mut().get_mut(&topic) {
							*count -= 1;
							if *count == 0 {
								topics.get_mut().remove(&topic);
							}
						}
						if topics.get().is_empty() {
							topics.remove();
						}
					}
				}
				removed
			}
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
		self.refusals.standing.remove(node);
		if self.per_node.remove(node).is_none() {
			return;
		}
		self.groups_per_node.remove(node);
		self.topics.retain(|_, listeners| {
			remove(&mut listeners.nodes, node);
			for groups in [&mut listeners.groups, &mut listeners.overflow] {
				groups.retain(|_, members| {
					remove(members, node);
					!members.is_empty()
				});
			}
			listeners.fill_slots();
			!listeners.is_empty()
		});
	}

	/// Starts again from `subscriptions`: each node and the gossipsub topics it subscribes to.
	/// The queue groups that hold a slot now are replayed first, so they keep it whatever
	/// order the nodes come in; refusals that stand are not counted again.
	pub fn rebuild<'a>(
		&mut self,
		subscriptions: impl IntoIterator<Item = (&'a PeerId, Vec<&'a TopicHash>)>,
	) {
		let slotted: HashMap<String, Vec<String>> = self
			.topics
			.iter_mut()
			.map(|(topic, listeners)| {
				(topic.clone(), std::mem::take(&mut listeners.groups).into_keys().collect())
			})
			.collect();
		let holds_slot = |hash: &TopicHash| {
			parse_queue_marker(hash).is_some_and(|(topic, group)| {
				slotted.get(&topic).is_some_and(|groups| groups.binary_search(&group).is_ok())
			})
		};
		let mut refusals = std::mem::take(&mut self.refusals);
		refusals.before = std::mem::take(&mut refusals.standing);
		let admission = self.admission.clone();
		*self = Self::new(self.max_per_node, admission).with_max_topic_len(self.max_topic_len);
		self.refusals = refusals;
		let subscriptions: Vec<_> = subscriptions.into_iter().collect();
		for first in [true, false] {
			for (node, hashes) in &subscriptions {
				for hash in hashes.iter().filter(|hash| holds_slot(hash) == first) {
					self.subscribed(**node, hash);
				}
			}
		}
		self.refusals.before.clear();
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
		let mut interest = Interest::new(3, Admission::everyone());
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
		let mut interest = Interest::new(100_000, Admission::everyone());
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

	/// `nodes` nodes, each with [`MAX_GROUPS_PER_NODE`] junk groups on `news`; returns them.
	fn fill(interest: &mut Interest, nodes: usize) -> Vec<PeerId> {
		let hostile: Vec<PeerId> = (0..nodes).map(|_| PeerId::random()).collect();
		for node in &hostile {
			for n in 0..MAX_GROUPS_PER_NODE {
				interest.subscribed(*node, &queue_marker("news", &format!("j{node}-{n}")).hash());
			}
		}
		hostile
	}

	#[test]
	fn nodes_not_admitted_take_no_slot_and_an_honest_group_still_gets_one() {
		let honest = PeerId::random();
		let mut interest = Interest::new(100_000, Admission::only([honest]));
		let hostile = fill(&mut interest, 17);
		let kept = interest.listeners("news").map(|news| news.groups.len() + news.overflow.len());
		assert_eq!(kept, None, "no stranger's group is kept");
		assert_eq!(interest.refused(), 0, "nor counted against anyone");
		assert!(hostile.iter().all(|node| !interest.per_node.contains_key(node)));
		let workers = queue_marker("news", "workers").hash();
		assert_eq!(interest.subscribed(honest, &workers), Some("news".into()));
		let news = interest.listeners("news").unwrap();
		assert_eq!(news.groups, BTreeMap::from([("workers".into(), vec![honest])]));
	}

	#[test]
	fn a_group_with_a_slot_keeps_it_whatever_comes_later_and_across_rebuilds() {
		let (honest, late) = (PeerId::random(), PeerId::random());
		let mut interest = Interest::new(100_000, Admission::everyone());
		let workers = queue_marker("news", "workers").hash();
		let latecomers = queue_marker("news", "latecomers").hash();
		interest.subscribed(honest, &workers);
		let hostile = fill(&mut interest, MAX_GROUPS_PER_TOPIC / MAX_GROUPS_PER_NODE + 1);
		let news = interest.listeners("news").unwrap();
		assert_eq!(news.groups.len(), MAX_GROUPS_PER_TOPIC);
		assert_eq!(news.groups["workers"], vec![honest], "not taken by those that came later");
		assert_eq!(news.overflow.len(), MAX_GROUPS_PER_NODE + 1, "the rest wait, counted");
		assert_eq!(interest.refused(), MAX_GROUPS_PER_NODE as u64 + 1);
		// A group that comes when every slot is taken waits in the overflow, counted once.
		assert_eq!(interest.subscribed(late, &latecomers), Some("news".into()));
		assert_eq!(interest.subscribed(late, &latecomers), Some("news".into()));
		assert_eq!(interest.listeners("news").unwrap().overflow["latecomers"], vec![late]);
		assert_eq!(interest.refused(), MAX_GROUPS_PER_NODE as u64 + 2);

		// The swarm's task replays gossipsub's subscriptions in any order: the hostile nodes'
		// first, the honest node last. `workers` keeps its slot, and no refusal is counted again.
		let markers: Vec<(PeerId, Vec<TopicHash>)> = hostile
			.iter()
			.map(|node| {
				let groups = (0..MAX_GROUPS_PER_NODE).map(|n| format!("j{node}-{n}"));
				(*node, groups.map(|g| queue_marker("news", &g).hash()).collect())
			})
			.chain([(late, vec![latecomers.clone()]), (honest, vec![workers.clone()])])
			.collect();
		interest.rebuild(markers.iter().map(|(node, hashes)| (node, hashes.iter().collect())));
		let news = interest.listeners("news").unwrap();
		assert_eq!(news.groups.len(), MAX_GROUPS_PER_TOPIC);
		assert_eq!(news.groups["workers"], vec![honest], "kept across the rebuild");
		assert_eq!(news.overflow["latecomers"], vec![late]);
		assert_eq!(interest.refused(), MAX_GROUPS_PER_NODE as u64 + 2);

		// A slot freed goes to a group that waits.
		for node in &hostile {
			interest.forget(node);
		}
		let news = interest.listeners("news").unwrap();
		assert_eq!(news.groups["latecomers"], vec![late]);
		assert_eq!((news.groups.len(), news.overflow.len()), (2, 0));
	}

	#[test]
	fn a_nodes_groups_are_counted_per_topic_as_it_joins_and_leaves() {
		let node = PeerId::random();
		let mut interest = Interest::new(100_000, Admission::everyone());
		let marker = |topic: &str, group: &str| queue_marker(topic, group).hash();
		for n in 0..=MAX_GROUPS_PER_NODE {
			interest.subscribed(node, &marker("news", &format!("g{n}")));
			interest.subscribed(node, &marker("sport", &format!("g{n}")));
		}
		let count = |interest: &Interest, topic: &str| {
			interest.groups_per_node.get(&node).and_then(|topics| topics.get(topic)).copied()
		};
		assert_eq!(count(&interest, "news"), Some(MAX_GROUPS_PER_NODE));
		assert_eq!(count(&interest, "sport"), Some(MAX_GROUPS_PER_NODE), "each topic apart");
		assert_eq!(interest.subscribed(node, &marker("news", "late")), None, "one too many");
		// A group left makes room for another; one not joined changes nothing.
		interest.unsubscribed(node, &marker("news", "g0"));
		interest.unsubscribed(node, &marker("news", "never-joined"));
		assert_eq!(count(&interest, "news"), Some(MAX_GROUPS_PER_NODE - 1));
		assert_eq!(interest.subscribed(node, &marker("news", "late")), Some("news".into()));
		assert_eq!(count(&interest, "news"), Some(MAX_GROUPS_PER_NODE));
		for n in 1..MAX_GROUPS_PER_NODE {
			interest.unsubscribed(node, &marker("sport", &format!("g{n}")));
		}
		interest.unsubscribed(node, &marker("sport", "g0"));
		assert_eq!(count(&interest, "sport"), None, "no group left: no count kept");
		interest.forget(&node);
		assert!(interest.groups_per_node.is_empty());
	}

	#[test]
	fn a_refusal_is_counted_once_while_it_stands_and_a_new_one_at_a_rebuild_too() {
		let node = PeerId::random();
		let mut interest = Interest::new(100_000, Admission::everyone());
		let long = queue_marker("news", &"g".repeat(256)).hash();
		let longer = queue_marker("news", &"h".repeat(300)).hash();
		interest.subscribed(node, &long);
		interest.subscribed(node, &long);
		assert_eq!(interest.refused(), 1, "the same refusal again is not counted");
		// Gossipsub lists both at the rebuild: only the new one is counted.
		for _ in 0..3 {
			interest.rebuild([(&node, vec![&long, &longer])]);
		}
		assert_eq!(interest.refused(), 2);
		// Withdrawn, then made again: a new refusal.
		interest.unsubscribed(node, &long);
		interest.subscribed(node, &long);
		assert_eq!(interest.refused(), 3);
		// Gone at a rebuild, then back: counted again.
		interest.rebuild([(&node, vec![&longer])]);
		interest.subscribed(node, &long);
		assert_eq!(interest.refused(), 4);
		interest.forget(&node);
		assert!(interest.refusals.standing.is_empty() && interest.refusals.before.is_empty());
	}

	#[test]
	fn a_topic_longer_than_a_header_may_be_is_ignored() {
		let node = PeerId::random();
		let mut interest = Interest::new(100, Admission::everyone()).with_max_topic_len(20);
		let (fits, over) = ("t".repeat(20), "t".repeat(21));
		assert_eq!(interest.subscribed(node, &topic_channel(&over).hash()), None);
		assert_eq!(interest.subscribed(node, &queue_marker(&over, "workers").hash()), None);
		assert_eq!(interest.listeners(&over), None);
		assert!(interest.per_node.is_empty(), "it takes none of the node's share");
		assert_eq!(interest.subscribed(node, &topic_channel(&fits).hash()), Some(fits.clone()));
		assert_eq!(interest.subscribed(node, &queue_marker(&fits, "w").hash()), Some(fits));
		// Across a rebuild too; by default, the limit of a message's headers.
		let hashes = [topic_channel(&over).hash()];
		interest.rebuild([(&node, hashes.iter().collect())]);
		assert_eq!(interest.listeners(&over), None);
		let default = crate::protocol::Limits::default().max_header_len;
		let mut interest = Interest::new(100, Admission::everyone());
		let over = "t".repeat(default + 1);
		assert_eq!(interest.subscribed(node, &topic_channel(&over).hash()), None);
	}

	#[test]
	fn a_node_is_kept_to_its_bound_of_topics_until_a_rebuild() {
		let node = PeerId::random();
		let mut interest = Interest::new(2, Admission::everyone());
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
