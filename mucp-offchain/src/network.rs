//! The network as one peer sees it: nodes, services, routes and the peer graph.
//!
//! Built from the registry (which node runs what), the peer announcements nodes gossip (whom
//! each is connected to, where it listens), this peer's own connections with their ping
//! round-trip times, and the selector's view of which nodes are failing.

use std::{
	collections::{BTreeMap, BTreeSet},
	time::Duration,
};

use serde::{Deserialize, Serialize};

use crate::registry::Service;

/// The metric of a route to a node this peer has no round-trip time for: one second.
pub const UNKNOWN_RTT: Duration = Duration::from_secs(1);
/// What a route to a node being avoided after failures costs on top: ten seconds.
pub const UNHEALTHY_PENALTY: Duration = Duration::from_secs(10);

/// One node of the network.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeView {
	/// Its libp2p peer id.
	pub id: String,
	/// Where it listens, as far as this peer knows.
	pub addresses: Vec<String>,
	/// The services (`name@version`) it runs.
	pub services: Vec<String>,
	/// Whether this peer holds a connection to it (always true of this peer itself).
	pub connected: bool,
	/// The last ping round trip to it, in microseconds.
	pub rtt_us: Option<u64>,
	/// Whether calls to it are succeeding (not being avoided after failures).
	pub healthy: bool,
}

/// A way to reach a service: the node, and what going there costs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RouteView {
	/// The service's name.
	pub service: String,
	/// Its version.
	pub version: String,
	/// The node running it.
	pub node: String,
	/// Estimated cost in microseconds: 0 for this peer itself, else the ping round trip
	/// ([`UNKNOWN_RTT`] if none yet), plus [`UNHEALTHY_PENALTY`] if the node is being avoided.
	/// Lower is better.
	pub metric: u64,
}

/// The whole picture.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NetworkView {
	/// This peer's id.
	pub local: String,
	/// Every node known, by id.
	pub nodes: Vec<NodeView>,
	/// Every live service version with its nodes.
	pub services: Vec<Service>,
	/// Every (service version, node) pair, cheapest first within each service.
	pub routes: Vec<RouteView>,
	/// The peer graph: one (a, b) pair, a < b, per connection either end announced.
	pub edges: Vec<(String, String)>,
}

/// What this peer knows of one other node from its gossip.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Announced {
	/// Where it listens.
	pub addresses: Vec<String>,
	/// The peers it is connected to.
	pub peers: Vec<String>,
}

/// Everything a view is built from.
pub struct Inputs<'a> {
	/// This peer's id.
	pub local: &'a str,
	/// Where this peer listens.
	pub local_addresses: Vec<String>,
	/// The registry's live services.
	pub services: Vec<Service>,
	/// Announcements heard, by node.
	pub announced: BTreeMap<String, Announced>,
	/// This peer's connections and their round trips.
	pub connected: BTreeMap<String, Option<Duration>>,
	/// Whether a node is healthy.
	pub healthy: &'a dyn Fn(&str) -> bool,
}

impl NetworkView {
	/// Builds the view.
	pub fn build(inputs: Inputs<'_>) -> Self {
		let local = inputs.local.to_owned();
		let mut nodes: BTreeMap<String, NodeView> = BTreeMap::new();
		let node = |id: &str| -> NodeView {
			NodeView {
				id: id.to_owned(),
				addresses: Vec::new(),
				services: Vec::new(),
				connected: id == local || inputs.connected.contains_key(id),
				rtt_us: inputs.connected.get(id).copied().flatten().map(micros),
				healthy: id == local || (inputs.healthy)(id),
			}
		};
		nodes.insert(local.clone(), node(&local));
		nodes.get_mut(&local).expect("inserted").addresses = inputs.local_addresses.clone();
		for (id, announced) in &inputs.announced {
			let entry = nodes.entry(id.clone()).or_insert_with(|| node(id));
			entry.addresses = announced.addresses.clone();
		}
		for id in inputs.connected.keys() {
			nodes.entry(id.clone()).or_insert_with(|| node(id));
		}
		let mut routes = Vec::new();
		for service in &inputs.services {
			let name = format!("{}@{}", service.description.name, service.description.version);
			let mut service_routes = Vec::new();
			for running in &service.nodes {
				let entry = nodes.entry(running.id.clone()).or_insert_with(|| node(&running.id));
				if entry.addresses.is_empty() {
					entry.addresses = running.addresses.clone();
				}
				entry.services.push(name.clone());
				let metric = if running.id == local {
					0
				} else {
					let rtt = entry.rtt_us.unwrap_or_else(|| micros(UNKNOWN_RTT));
					let penalty = if entry.healthy { 0 } else { micros(UNHEALTHY_PENALTY) };
					rtt.saturating_add(penalty)
				};
				service_routes.push(RouteView {
					service: service.description.name.clone(),
					version: service.description.version.clone(),
					node: running.id.clone(),
					metric,
				});
			}
			service_routes.sort_by(|a, b| a.metric.cmp(&b.metric).then(a.node.cmp(&b.node)));
			routes.extend(service_routes);
		}
		let mut edges = BTreeSet::new();
		let mut connect = |a: &str, b: &str| {
			if a != b {
				let (a, b) = if a < b { (a, b) } else { (b, a) };
				edges.insert((a.to_owned(), b.to_owned()));
			}
		};
		for peer in inputs.connected.keys() {
			connect(&local, peer);
		}
		for (id, announced) in &inputs.announced {
			for peer in &announced.peers {
				connect(id, peer);
			}
		}
		Self {
			local,
			nodes: nodes.into_values().collect(),
			services: inputs.services,
			routes,
			edges: edges.into_iter().collect(),
		}
	}

	/// The routes to `service`, cheapest first.
	pub fn routes_to<'a>(&'a self, service: &'a str) -> impl Iterator<Item = &'a RouteView> + 'a {
		self.routes.iter().filter(move |route| route.service == service)
	}
}

fn micros(duration: Duration) -> u64 {
	duration.as_micros().min(u64::MAX as u128) as u64
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::registry::{Node, ServiceDescription};

	fn running(ids: &[&str]) -> Service {
		Service {
			description: ServiceDescription {
				name: "greeter".into(),
				version: "1.0.0".into(),
				endpoints: vec![],
				metadata: Default::default(),
			},
			nodes: ids
				.iter()
				.map(|id| Node {
					id: (*id).into(),
					addresses: vec![format!("/ip4/127.0.0.1/tcp/1/p2p/{id}")],
					metadata: Default::default(),
				})
				.collect(),
		}
	}

	#[test]
	fn routes_rank_local_then_by_round_trip_and_failing_nodes_last() {
		let healthy = |id: &str| id != "d";
		let view = NetworkView::build(Inputs {
			local: "a",
			local_addresses: vec!["/ip4/127.0.0.1/tcp/1".into()],
			services: vec![running(&["a", "b", "c", "d", "e"])],
			announced: BTreeMap::from([(
				"b".to_owned(),
				Announced {
					addresses: vec!["/ip4/10.0.0.2/tcp/1".into()],
					peers: vec!["c".into()],
				},
			)]),
			connected: BTreeMap::from([
				("b".to_owned(), Some(Duration::from_micros(300))),
				("c".to_owned(), Some(Duration::from_micros(200))),
				("d".to_owned(), Some(Duration::from_micros(100))),
			]),
			healthy: &healthy,
		});
		let order: Vec<(&str, u64)> =
			view.routes_to("greeter").map(|r| (r.node.as_str(), r.metric)).collect();
		assert_eq!(
			order,
			vec![("a", 0), ("c", 200), ("b", 300), ("e", 1_000_000), ("d", 10_000_100)]
		);
		let ids: Vec<&str> = view.nodes.iter().map(|n| n.id.as_str()).collect();
		assert_eq!(ids, vec!["a", "b", "c", "d", "e"]);
		let b = &view.nodes[1];
		assert_eq!(b.addresses, vec!["/ip4/10.0.0.2/tcp/1"], "announced addresses win");
		assert_eq!(b.services, vec!["greeter@1.0.0"]);
		assert!(b.connected && b.healthy);
		assert!(!view.nodes[4].connected);
		assert!(!view.nodes[3].healthy);
		let edges: Vec<(&str, &str)> =
			view.edges.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
		assert_eq!(edges, vec![("a", "b"), ("a", "c"), ("a", "d"), ("b", "c")]);
	}
}
