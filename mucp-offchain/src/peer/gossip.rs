//! Registry gossip: how this node tells others of its services and learns of theirs.
//!
//! **Registry records** are gossiped by the node they describe (gossipsub signs each message
//! with its source's key, and a record is taken only from its own node) every third of the
//! TTL, and two peers swap their own records directly when they connect. A record is believed
//! only as the [`authority`](crate::authority) (the chain) allows: from a registered node,
//! about itself, for a service version placed on it; anything else is dropped and counts a
//! strike against its (registered) source, which is ignored and disconnected at the limit.
//! Nothing is kept for an unregistered peer, and calls go only to the placements the chain
//! records.

use std::time::{Duration, Instant};

use libp2p::{gossipsub, multiaddr::Protocol, swarm::dial_opts::DialOpts, Multiaddr, PeerId};
use prost::Message as _;
use serde::{Deserialize, Serialize};

use crate::{
	network::Announced,
	protocol::{Message, MicroError},
	registry::{Record, RegistryError},
	transport::REGISTRY_TOPIC,
};

use super::{driver::Driver, Shared};

/// The service name of the registry's own exchange on the call protocol.
pub(super) const REGISTRY_SERVICE: &str = "mucp.registry";

/// The endpoint two peers swap their records on when they connect.
pub(super) const REGISTRY_SYNC: &str = "Registry.Sync";

/// How many addresses a node may give for itself.
const MAX_ADDRESSES: usize = 16;

/// How many connections of a node's announcement are kept for the peer graph.
const MAX_ANNOUNCED_PEERS: usize = 256;

/// What a node gossips about itself besides its records.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct Gossip {
	records: Vec<Record>,
	addresses: Vec<String>,
	peers: Vec<String>,
}

impl Shared {
	/// Refreshes this node's registrations and returns them as records to gossip.
	pub(super) fn refresh_own(&self) -> Vec<Record> {
		let now = Instant::now();
		let own = self.own.lock().expect("not poisoned");
		let mut registry = self.registry.lock().expect("not poisoned");
		own.iter()
			.filter_map(|(registration, sequence)| {
				registry
					.register(registration.clone(), self.config.registry_ttl, *sequence, now)
					.ok()
			})
			.collect()
	}

	/// Whether announcements from `source` are heard at all at `now`: it is a registered node
	/// (unregistered identities cost nothing to make) and not banned for its strikes.
	pub(super) fn heard(&self, source: &PeerId, now: Instant) -> bool {
		self.config.authority.is_registered(source)
			&& !self.strikes.lock().expect("not poisoned").is_banned(source, now)
	}

	/// Counts a strike against `source` for an announcement with something refused.
	pub(super) fn strike(&self, source: &PeerId, now: Instant) {
		if self.strikes.lock().expect("not poisoned").strike(*source, now) {
			log::info!(target: "mucp", "peer {source} sent forged registry records: ignored");
		}
	}

	/// Applies records from `source`, believing only those the authority allows: `source` is
	/// a registered node, and each record is about `source` itself (its key and body name it,
	/// and its addresses name no other peer) and, unless a removal, for a service version the
	/// chain places on it. A removal (tombstone) is applied only over an entry held already
	/// from `source`, and is otherwise ignored: tombstones for services never registered
	/// cannot fill the registry. Anything refused counts one strike against a registered
	/// `source`;
	/// nothing at all is kept for an unregistered one (identities are free to make). Returns
	/// how many records were refused.
	pub(super) fn apply_from(&self, source: &PeerId, records: Vec<Record>) -> usize {
		let now = Instant::now();
		if !self.heard(source, now) {
			return records.len();
		}
		let source_id = source.to_string();
		let authority = &self.config.authority;
		let mut refused = 0;
		let mut registry = self.registry.lock().expect("not poisoned");
		for record in records {
			// A removal of what this peer never held: nothing to remove, nothing kept. Not a
			// strike: an honest node's removal can arrive before (or instead of) its record.
			if record.registration.is_none() && !registry.holds(&record.key) {
				continue;
			}
			let believed = record.key.node == source_id
				&& record.check().is_ok()
				&& record.registration.as_ref().is_none_or(|registration| {
					let service = &registration.service;
					authority.placed(source, &service.name, &service.version)
						&& own_addresses(source, &registration.node.addresses).is_some()
				});
			if !believed {
				refused += 1;
				continue;
			}
			let ttl = Duration::from_millis(record.ttl_ms).min(self.config.registry_ttl * 2);
			let record = Record { ttl_ms: ttl.as_millis() as u64, ..record };
			match registry.apply(record, now) {
				// The registry is full of others' records: not this peer's doing.
				Ok(_) | Err(RegistryError::Full) => {}
				Err(_) => refused += 1,
			}
		}
		drop(registry);
		if refused > 0 {
			self.strike(source, now);
		}
		refused
	}

	/// Drops what the registry and the announcements hold that the authority no longer
	/// allows (a node deregistered, a service moved away), and forgets old strikes.
	pub(super) fn recheck(&self, now: Instant) {
		let local = self.local.to_string();
		let authority = &self.config.authority;
		self.registry.lock().expect("not poisoned").retain(now, |key| {
			key.node == local
				|| key
					.node
					.parse::<PeerId>()
					.is_ok_and(|node| authority.placed(&node, &key.service, &key.version))
		});
		self.announced
			.lock()
			.expect("not poisoned")
			.retain(|id, _| id.parse::<PeerId>().is_ok_and(|node| authority.is_registered(&node)));
		self.strikes.lock().expect("not poisoned").forget(now);
	}

	/// Answers `from`'s registry sync: takes the records it sent (as [`Shared::apply_from`]
	/// allows) and replies with this node's own.
	pub(super) fn answer_sync(&self, from: &PeerId, request: &Message) -> Message {
		match serde_json::from_slice::<Vec<Record>>(&request.body) {
			Ok(records) => {
				self.apply_from(from, records);
				let own = serde_json::to_vec(&self.refresh_own()).expect("records serialise");
				Message::reply_to(request, own)
			}
			Err(e) => Message::error_reply(
				request,
				&MicroError::bad_request(REGISTRY_SERVICE, format!("malformed records: {e}")),
			),
		}
	}
}

/// The addresses `source` gives for itself, if it may: at most [`MAX_ADDRESSES`] multiaddrs,
/// none naming another peer. `None` if any breaks the rule.
fn own_addresses(source: &PeerId, addresses: &[String]) -> Option<Vec<Multiaddr>> {
	if addresses.len() > MAX_ADDRESSES {
		return None;
	}
	addresses
		.iter()
		.map(|address| {
			let address = address.parse::<Multiaddr>().ok()?;
			let names_another =
				address.iter().any(|part| matches!(part, Protocol::P2p(peer) if peer != *source));
			(!names_another).then_some(address)
		})
		.collect()
}

impl Driver {
	/// Gossips this node's records (after `tombstones`), addresses and connections.
	pub(super) fn announce(&mut self, mut tombstones: Vec<Record>) {
		tombstones.extend(self.shared.refresh_own());
		let gossip = Gossip {
			records: tombstones,
			addresses: self.shared.node().addresses,
			peers: self.swarm.connected_peers().map(|p| p.to_string()).collect(),
		};
		let data = serde_json::to_vec(&gossip).expect("gossip serialises");
		let topic = gossipsub::IdentTopic::new(REGISTRY_TOPIC);
		let _ = self.swarm.behaviour_mut().gossip.publish(topic, data);
	}

	/// Closes the connections of peers banned for their strikes.
	pub(super) fn disconnect_banned(&mut self, now: Instant) {
		let banned = {
			let strikes = self.shared.strikes.lock().expect("not poisoned");
			if strikes.is_empty() {
				return;
			}
			strikes.banned(now)
		};
		for peer in banned {
			if self.swarm.is_connected(&peer) {
				let _ = self.swarm.disconnect_peer_id(peer);
			}
		}
	}

	/// Sends `peer`, just connected, this node's records; its answer brings its own.
	pub(super) fn sync_registry(&mut self, peer_id: PeerId) {
		let own = serde_json::to_vec(&self.shared.refresh_own()).expect("serialises");
		let sync = Message::call(&self.shared.unique_id(), REGISTRY_SERVICE, REGISTRY_SYNC, own);
		self.swarm.behaviour_mut().calls.send_request(&peer_id, Ok(sync.encode()));
	}

	/// Takes a node's announcement from the registry topic: its records (as
	/// [`Shared::apply_from`] allows), addresses and connections, if it is heard at all.
	pub(super) fn take_announcement(&mut self, message: gossipsub::Message) {
		let Some(source) = message.source else { return };
		let now = Instant::now();
		// Nothing from an unregistered or banned node is kept or dialled.
		if source == self.shared.local || !self.shared.heard(&source, now) {
			return;
		}
		let Ok(gossip) = serde_json::from_slice::<Gossip>(&message.data) else {
			self.shared.strike(&source, now);
			return;
		};
		let Some(addresses) = own_addresses(&source, &gossip.addresses) else {
			self.shared.strike(&source, now);
			return;
		};
		for address in addresses {
			self.swarm.add_peer_address(source, address);
		}
		if !self.swarm.is_connected(&source) {
			let _ = self.swarm.dial(DialOpts::peer_id(source).build());
		}
		let until = now + self.shared.config.registry_ttl;
		let peers = gossip
			.peers
			.into_iter()
			.filter(|peer| peer.parse::<PeerId>().is_ok())
			.take(MAX_ANNOUNCED_PEERS)
			.collect();
		self.shared
			.announced
			.lock()
			.expect("not poisoned")
			.insert(source.to_string(), (Announced { addresses: gossip.addresses, peers }, until));
		self.shared.apply_from(&source, gossip.records);
	}

	/// Takes the records in `peer`'s answer to this node's registry sync.
	pub(super) fn take_sync_answer(&self, peer: &PeerId, response: &[u8]) {
		let Ok(envelope) = crate::protocol::Envelope::decode(response) else {
			return;
		};
		if let Ok(records) = serde_json::from_slice::<Vec<Record>>(&envelope.body) {
			self.shared.apply_from(peer, records);
		}
	}
}

#[cfg(test)]
mod tests {
	use std::sync::Arc;

	use super::*;
	use crate::peer::{Peer, PeerConfig, Service};
	use crate::registry::{self, Registration};

	#[tokio::test]
	async fn records_from_strangers_or_naming_other_peers_are_refused_and_struck() {
		let dir = tempfile::tempdir().unwrap();
		let chain = Arc::new(crate::authority::Placements::default());
		let mut config = PeerConfig::new(dir.path().join("broker.redb"));
		config.authority = chain.clone();
		let peer = Peer::start(config).await.unwrap();
		let (node, stranger) = (PeerId::random(), PeerId::random());
		chain.place(node, "greeter", "1");
		let record = |about: PeerId, addresses: Vec<String>| Record {
			key: registry::Key {
				service: "greeter".into(),
				version: "1".into(),
				node: about.to_string(),
			},
			sequence: 1,
			ttl_ms: 30_000,
			registration: Some(Registration {
				service: Service::new("greeter", "1").description,
				node: registry::Node {
					id: about.to_string(),
					addresses,
					metadata: Default::default(),
				},
			}),
		};
		let shared = &peer.shared;
		assert_eq!(shared.apply_from(&stranger, vec![record(stranger, vec![])]), 1);
		assert_eq!(peer.registry_len(), 0, "nothing kept for an unregistered peer");
		let elsewhere = format!("/ip4/127.0.0.1/tcp/1/p2p/{stranger}");
		assert_eq!(shared.apply_from(&node, vec![record(node, vec![elsewhere])]), 1);
		assert_eq!(shared.apply_from(&node, vec![record(node, vec!["not an address".into()])]), 1);
		assert_eq!(peer.registry_len(), 0, "another peer's address, or none");
		let own = format!("/ip4/127.0.0.1/tcp/1/p2p/{node}");
		assert_eq!(shared.apply_from(&node, vec![record(node, vec![own])]), 0);
		assert_eq!(peer.service("greeter")[0].nodes[0].id, node.to_string());
		assert_eq!(shared.strikes.lock().unwrap().len(), 1, "the node's; none kept for strangers");
		chain.unplace(&node, "greeter", "1");
		shared.recheck(Instant::now());
		assert!(peer.service("greeter").is_empty(), "moved off on chain: dropped");
	}

	#[tokio::test]
	async fn tombstones_only_remove_what_their_node_registered() {
		let dir = tempfile::tempdir().unwrap();
		let chain = Arc::new(crate::authority::Placements::default());
		let mut config = PeerConfig::new(dir.path().join("broker.redb"));
		config.authority = chain.clone();
		let peer = Peer::start(config).await.unwrap();
		let node = PeerId::random();
		chain.place(node, "greeter", "1");
		let tombstone = |service: &str| Record {
			key: registry::Key {
				service: service.into(),
				version: "1".into(),
				node: node.to_string(),
			},
			sequence: 2,
			ttl_ms: 30_000,
			registration: None,
		};
		let shared = &peer.shared;
		// 256 removals of services the node never registered here: none is kept.
		let junk: Vec<Record> = (0..256).map(|n| tombstone(&format!("junk-{n}"))).collect();
		assert_eq!(shared.apply_from(&node, junk), 0);
		assert_eq!(peer.registry_len(), 0, "no tombstone kept for what was never held");
		let too_long = tombstone(&"x".repeat(registry::MAX_NAME_LEN + 1));
		let own = format!("/ip4/127.0.0.1/tcp/1/p2p/{node}");
		let registered = Record {
			sequence: 1,
			registration: Some(Registration {
				service: Service::new("greeter", "1").description,
				node: registry::Node {
					id: node.to_string(),
					addresses: vec![own],
					metadata: Default::default(),
				},
			}),
			..tombstone("greeter")
		};
		assert_eq!(shared.apply_from(&node, vec![registered]), 0);
		assert_eq!(peer.service("greeter").len(), 1);
		assert_eq!(shared.apply_from(&node, vec![tombstone("greeter"), too_long]), 0);
		assert!(peer.service("greeter").is_empty(), "its own registration is removed");
		assert_eq!(shared.strikes.lock().unwrap().len(), 0, "nothing refused");
	}
}
