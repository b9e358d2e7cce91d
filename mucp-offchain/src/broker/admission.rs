//! Who may receive a topic's messages from this node.
//!
//! A node sends a topic's messages only to the nodes its [`Admission`] check admits: as a
//! plain subscriber (`group` is `None`) or as a member of a queue group (`Some(group)`). Any
//! peer can subscribe to a topic's gossip channel or a group's marker, so that alone is never
//! believed: without this check a stranger could drain a topic's inbox or take a share of a
//! queue group. The default admits every node (an open network, as before); a node on the
//! Micro Network wires it to "registered on-chain" (and, for groups, to the nodes it knows
//! run the group's service).

use std::sync::Arc;

use libp2p::PeerId;

type Check = dyn Fn(&PeerId, &str, Option<&str>) -> bool + Send + Sync;

/// Decides whether a node may receive a topic's messages, as a plain subscriber or a queue
/// group's member.
#[derive(Clone)]
pub struct Admission(Arc<Check>);

impl Admission {
	/// Admits a node to `topic` (and `group`) when `check` says yes.
	pub fn new(
		check: impl Fn(&PeerId, &str, Option<&str>) -> bool + Send + Sync + 'static,
	) -> Self {
		Self(Arc::new(check))
	}

	/// Admits every node.
	pub fn everyone() -> Self {
		Self::new(|_, _, _| true)
	}

	/// Admits only `nodes`.
	pub fn only(nodes: impl IntoIterator<Item = PeerId>) -> Self {
		let nodes: std::collections::HashSet<PeerId> = nodes.into_iter().collect();
		Self::new(move |node, _, _| nodes.contains(node))
	}

	/// Whether `node` may receive `topic`'s messages (for `group`, if given).
	pub fn admits(&self, node: &PeerId, topic: &str, group: Option<&str>) -> bool {
		(self.0)(node, topic, group)
	}
}

impl Default for Admission {
	fn default() -> Self {
		Self::everyone()
	}
}

impl std::fmt::Debug for Admission {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		f.write_str("Admission(..)")
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn only_the_listed_nodes_are_admitted() {
		let (friend, stranger) = (PeerId::random(), PeerId::random());
		let admission = Admission::only([friend]);
		assert!(admission.admits(&friend, "t", None));
		assert!(admission.admits(&friend, "t", Some("g")));
		assert!(!admission.admits(&stranger, "t", None));
		assert!(!admission.admits(&stranger, "t", Some("g")));
		assert!(Admission::default().admits(&stranger, "t", None));
	}
}
