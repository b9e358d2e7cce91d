//! Choosing a node for a call: round robin over the nodes the registry lists for a service,
//! preferring healthy ones.
//!
//! A node that fails a call is unhealthy for a backoff that doubles with each failure in a row
//! (from [`SelectorConfig::base_backoff`] up to [`SelectorConfig::max_backoff`]); a success
//! makes it healthy again. Healthy nodes are taken in turn; only when none is healthy is the
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
/// runs): this peer itself (`local`), and the nodes the `authority` places that version on;
/// each once, by id. A node id that is not a peer id is left out.
pub fn placed_nodes(
	service: &str,
	running: Vec<(String, Node)>,
	local: &PeerId,
	authority: &dyn Authority,
) -> Vec<Node> {
	let local = local.to_string();
	let mut nodes: Vec<Node> = running
		.into_iter()
		.filter(|(version, node)| {
			node.id == local
				|| node
					.id
					.parse::<PeerId>()
					.is_ok_and(|peer| authority.placed(&peer, service, version))
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

/// Round-robin node selection with health, shared by every call a client makes.
#[derive(Debug, Default)]
pub struct Selector {
	config: SelectorConfig,
	turns: HashMap<String, usize>,
	health: HashMap<String, Health>,
}

impl Selector {
	/// A selector that avoids failing nodes as `config` says.
	pub fn new(config: SelectorConfig) -> Self {
		Self { config, turns: HashMap::new(), health: HashMap::new() }
	}

	/// Whether `node` is not being avoided at `now`.
	pub fn is_healthy(&self, node: &str, now: Instant) -> bool {
		self.health.get(node).and_then(|h| h.avoid_until).is_none_or(|until| until <= now)
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
		let healthy: Vec<&Node> =
			candidates.iter().copied().filter(|n| self.is_healthy(&n.id, now)).collect();
		if healthy.is_empty() {
			return candidates
				.into_iter()
				.min_by_key(|n| self.health.get(&n.id).and_then(|h| h.avoid_until).unwrap_or(now));
		}
		let turn = self.turns.entry(service.to_owned()).or_default();
		let node = healthy[*turn % healthy.len()];
		*turn = turn.wrapping_add(1);
		Some(node)
	}

	/// `node` answered: it is healthy again.
	pub fn succeeded(&mut self, node: &str) {
		self.health.remove(node);
	}

	/// `node` failed a call at `now`: avoid it for a backoff that doubles with each failure in
	/// a row.
	pub fn failed(&mut self, node: &str, now: Instant) {
		let health = self.health.entry(node.to_owned()).or_default();
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
		selector.failed("a", now);
		assert_eq!(picks(&mut selector, &all, 3, now), vec!["b", "b", "b"]);
		let after_one = now + Duration::from_secs(1);
		assert!(selector.is_healthy("a", after_one));
		selector.failed("a", after_one);
		assert!(!selector.is_healthy("a", after_one + Duration::from_millis(1999)));
		assert!(selector.is_healthy("a", after_one + Duration::from_secs(2)));
		for _ in 0..20 {
			selector.failed("a", now);
		}
		assert!(selector.is_healthy("a", now + Duration::from_secs(60)), "capped at a minute");
		selector.succeeded("a");
		assert!(selector.is_healthy("a", now));
	}

	#[test]
	fn when_every_node_fails_the_one_recovering_first_is_tried() {
		let now = Instant::now();
		let mut selector = Selector::default();
		let all = nodes(&["a", "b"]);
		selector.failed("a", now);
		selector.failed("a", now);
		selector.failed("b", now);
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
			placed_nodes("greeter", running, &local, &chain).into_iter().map(|n| n.id).collect();
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
