//! Choosing a node for a call: round robin over the nodes the registry lists for a service,
//! preferring healthy ones.
//!
//! A node that fails a call is unhealthy for that service for a backoff that doubles with each
//! failure in a row (from [`SelectorConfig::base_backoff`] up to
//! [`SelectorConfig::max_backoff`]); a success makes it healthy again. Health is kept per
//! (node, service): a node that cannot serve one service (say, still building it) is still
//! called for the others. Healthy nodes are taken in turn; only when none is healthy is the
//! one whose backoff ends first tried, so a service whose every node stumbled still gets calls.
//!
//! Only placements the chain records are candidates ([`placed_nodes`]): a node that answers
//! for a service it was never placed on gets no calls, whatever the registry heard. Health is
//! what this peer observed of its own calls, never what another peer reports about a node.

use std::{
	collections::HashMap,
	time::{Duration, Instant},
};

use libp2p::PeerId;

use crate::{authority::Authority, registry::Node};

/// The nodes a call to `service` may go to, among `running` (each node with the version it
/// runs): this peer itself (`local`, its id in base58), and the nodes the `authority` places
/// that version on; each once, by id. `parse` reads a node's id (a cache: base58 is slow); a
/// node id that is not a peer id is left out.
pub fn placed_nodes(
	service: &str,
	running: Vec<(String, Node)>,
	local: &str,
	parse: impl Fn(&str) -> Option<PeerId>,
	authority: &dyn Authority,
) -> Vec<Node> {
	let mut nodes: Vec<Node> = running
		.into_iter()
		.filter(|(version, node)| {
			node.id == local
				|| parse(&node.id).is_some_and(|peer| authority.placed(&peer, service, version))
		})
		.map(|(_, node)| node)
		.collect();
	nodes.sort_by(|a, b| a.id.cmp(&b.id));
	nodes.dedup_by(|a, b| a.id == b.id);
	nodes
}

/// How long failing nodes are avoided.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SelectorConfig {
	/// Avoided for this long after one failure.
	pub base_backoff: Duration,
	/// And never longer than this, however many failures in a row.
	pub max_backoff: Duration,
}

impl Default for SelectorConfig {
	/// 1 s, doubling up to a minute.
	fn default() -> Self {
		Self { base_backoff: Duration::from_secs(1), max_backoff: Duration::from_secs(60) }
	}
}

#[derive(Clone, Copy, Debug, Default)]
struct Health {
	failures: u32,
	avoid_until: Option<Instant>,
}

/// How many (node, service) health entries are kept before recovered ones are swept.
const MAX_HEALTH_ENTRIES: usize = 4096;

/// Round-robin node selection with health, shared by every call a client makes.
#[derive(Debug, Default)]
pub struct Selector {
	config: SelectorConfig,
	turns: HashMap<String, usize>,
	/// By (node, service).
	health: HashMap<(String, String), Health>,
}

impl Selector {
	/// A selector that avoids failing nodes as `config` says.
	pub fn new(config: SelectorConfig) -> Self {
		Self { config, turns: HashMap::new(), health: HashMap::new() }
	}

	/// Whether `node` is not being avoided at `now` for any service.
	pub fn is_healthy(&self, node: &str, now: Instant) -> bool {
		self.health
			.iter()
			.filter(|((id, _), _)| id == node)
			.all(|(_, health)| health.avoid_until.is_none_or(|until| until <= now))
	}

	/// Whether `node` is not being avoided at `now` for `service`.
	pub fn is_healthy_for(&self, node: &str, service: &str, now: Instant) -> bool {
		self.avoided_until(node, service).is_none_or(|until| until <= now)
	}

	fn avoided_until(&self, node: &str, service: &str) -> Option<Instant> {
		self.health.get(&(node.to_owned(), service.to_owned())).and_then(|h| h.avoid_until)
	}

	/// The node to call `service` on next, among `nodes`, leaving out those in `exclude` (the
	/// ones this call already tried). `None` if no node is left.
	pub fn next<'a>(
		&mut self,
		service: &str,
		nodes: &'a [Node],
		exclude: &[String],
		now: Instant,
	) -> Option<&'a Node> {
		let candidates: Vec<&Node> = nodes.iter().filter(|n| !exclude.contains(&n.id)).collect();
		if candidates.is_empty() {
			return None;
		}
		let healthy: Vec<&Node> = candidates
			.iter()
			.copied()
			.filter(|n| self.is_healthy_for(&n.id, service, now))
			.collect();
		if healthy.is_empty() {
			return candidates
				.into_iter()
				.min_by_key(|n| self.avoided_until(&n.id, service).unwrap_or(now));
		}
		let turn = self.turns.entry(service.to_owned()).or_default();
		let node = healthy[*turn % healthy.len()];
		*turn = turn.wrapping_add(1);
		Some(node)
	}

	/// `node` answered a call to `service`: it is healthy for it again.
	pub fn succeeded(&mut self, node: &str, service: &str) {
		self.health.remove(&(node.to_owned(), service.to_owned()));
	}

	/// `node` failed a call to `service` at `now`: avoid it for that service for a backoff that
	/// doubles with each failure in a row.
	pub fn failed(&mut self, node: &str, service: &str, now: Instant) {
		if self.health.len() >= MAX_HEALTH_ENTRIES {
			self.health.retain(|_, health| health.avoid_until.is_some_and(|until| until > now));
		}
		let health = self.health.entry((node.to_owned(), service.to_owned())).or_default();
		health.failures = health.failures.saturating_add(1);
		let factor = 1u32 << (health.failures - 1).min(16);
		let backoff = self.config.base_backoff.saturating_mul(factor).min(self.config.max_backoff);
		health.avoid_until = Some(now + backoff);
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	fn nodes(ids: &[&str]) -> Vec<Node> {
		ids.iter()
			.map(|id| Node { id: (*id).into(), addresses: vec![], metadata: Default::default() })
			.collect()
	}

	fn picks(selector: &mut Selector, nodes: &[Node], count: usize, now: Instant) -> Vec<String> {
		(0..count).map(|_| selector.next("greeter", nodes, &[], now).unwrap().id.clone()).collect()
	}

	#[test]
	fn healthy_nodes_are_taken_in_turn() {
		let now = Instant::now();
		let mut selector = Selector::default();
		let all = nodes(&["a", "b", "c"]);
		assert_eq!(picks(&mut selector, &all, 6, now), vec!["a", "b", "c", "a", "b", "c"]);
		assert!(selector.next("greeter", &[], &[], now).is_none());
	}

	#[test]
	fn a_failing_node_is_avoided_for_a_doubling_backoff() {
		let now = Instant::now();
		let mut selector = Selector::default();
		let all = nodes(&["a", "b"]);
		selector.failed("a", "greeter", now);
		assert_eq!(picks(&mut selector, &all, 3, now), vec!["b", "b", "b"]);
		let after_one = now + Duration::from_secs(1);
		assert!(selector.is_healthy("a", after_one));
		selector.failed("a", "greeter", after_one);
		assert!(!selector.is_healthy("a", after_one + Duration::from_millis(1999)));
		assert!(selector.is_healthy("a", after_one + Duration::from_secs(2)));
		for _ in 0..20 {
			selector.failed("a", "greeter", now);
		}
		assert!(selector.is_healthy("a", now + Duration::from_secs(60)), "capped at a minute");
		selector.succeeded("a", "greeter");
		assert!(selector.is_healthy("a", now));
	}

	#[test]
	fn a_node_failing_one_service_is_still_called_for_others() {
		let now = Instant::now();
		let mut selector = Selector::default();
		let all = nodes(&["a", "b"]);
		selector.failed("a", "greeter", now);
		assert!(!selector.is_healthy_for("a", "greeter", now));
		assert!(selector.is_healthy_for("a", "other", now));
		assert!(!selector.is_healthy("a", now), "the node shows a service being avoided");
		let other: Vec<String> =
			(0..2).map(|_| selector.next("other", &all, &[], now).unwrap().id.clone()).collect();
		assert_eq!(other, vec!["a", "b"]);
		assert_eq!(picks(&mut selector, &all, 2, now), vec!["b", "b"]);
	}

	#[test]
	fn health_entries_are_bounded() {
		let now = Instant::now();
		let mut selector = Selector::default();
		for n in 0..MAX_HEALTH_ENTRIES + 10 {
			selector.failed(&format!("node-{n}"), "greeter", now);
		}
		assert_eq!(selector.health.len(), MAX_HEALTH_ENTRIES + 10, "nodes still avoided stay");
		let later = now + Duration::from_secs(2);
		selector.failed("late", "greeter", later);
		assert_eq!(selector.health.len(), 1, "recovered entries are swept when full");
	}

	#[test]
	fn when_every_node_fails_the_one_recovering_first_is_tried() {
		let now = Instant::now();
		let mut selector = Selector::default();
		let all = nodes(&["a", "b"]);
		selector.failed("a", "greeter", now);
		selector.failed("a", "greeter", now);
		selector.failed("b", "greeter", now);
		assert_eq!(selector.next("greeter", &all, &[], now).unwrap().id, "b");
	}

	#[test]
	fn only_the_chains_placements_and_this_node_are_candidates() {
		let (local, placed, unplaced) = (PeerId::random(), PeerId::random(), PeerId::random());
		let chain = crate::authority::Placements::default();
		chain.place(placed, "greeter", "1");
		chain.place(unplaced, "greeter", "2");
		let node = |id: String| Node { id, addresses: vec![], metadata: Default::default() };
		let running = vec![
			("1".to_owned(), node(placed.to_string())),
			("2".to_owned(), node(placed.to_string())),
			("1".to_owned(), node(unplaced.to_string())),
			("1".to_owned(), node(local.to_string())),
			("1".to_owned(), node("not a peer id".into())),
		];
		let chosen: Vec<String> =
			placed_nodes("greeter", running, &local.to_string(), |id| id.parse().ok(), &chain)
				.into_iter()
				.map(|n| n.id)
				.collect();
		let mut expected = vec![placed.to_string(), local.to_string()];
		expected.sort();
		assert_eq!(chosen, expected, "the unplaced version and the malformed id are left out");
	}

	#[test]
	fn a_retry_goes_to_another_node() {
		let now = Instant::now();
		let mut selector = Selector::default();
		let all = nodes(&["a", "b"]);
		let first = selector.next("greeter", &all, &[], now).unwrap().id.clone();
		let retry = selector.next("greeter", &all, &[first.clone()], now).unwrap().id.clone();
		assert_ne!(first, retry);
		assert!(selector.next("greeter", &all, &[first, retry], now).is_none());
	}
}
