//! Whom the registry believes: the chain's word on which nodes exist and what runs where.
//!
//! A peer's registry hears records from strangers. It believes one only if the chain agrees:
//! the record's source (the libp2p peer id, authenticated by the connection's noise handshake
//! or by the gossip message's signature) is a node registered on-chain with that key, the
//! record is about that same node, and the chain places that service version on it. This
//! module says what the chain agrees to, through the [`Authority`] trait, and keeps the
//! [`Strikes`] of peers caught saying otherwise.
//!
//! The library stays chain-free: the node implements [`Authority`] from its chain (the node
//! key is the libp2p identity, so a registered node key *is* a peer id), tests use
//! [`Placements`], an in-memory table, and the library's own loopback tests and benchmarks,
//! which have no chain at all, use [`trust_all`]. A peer configured with neither believes
//! nobody but itself ([`trust_none`], the default).
//!
//! Which attack each rule stops:
//! - only registered nodes are heard: fake identities (free to make) cannot announce anything,
//!   nor grow any map on the honest peer;
//! - only records about their own source: a peer cannot list another node as running a
//!   service (which would send that node calls it answers 503 to, and mark it unhealthy), nor
//!   give another node's id its own addresses;
//! - only services the chain places on the source: a peer cannot answer calls (and collect
//!   callers' allowances) for a service it was never placed on;
//! - [`Strikes`]: a registered peer caught forging is ignored, and disconnected, for a while.
//!   Unregistered peers get no strikes: nothing at all is kept for them.

use std::{
	collections::{BTreeSet, HashMap},
	sync::{Arc, RwLock},
	time::{Duration, Instant},
};

use libp2p::PeerId;

/// The chain's view of who may announce what.
pub trait Authority: Send + Sync + std::fmt::Debug {
	/// Whether `node` is the key of a node registered on-chain: nothing else from it is heard.
	fn is_registered(&self, node: &PeerId) -> bool;

	/// Whether the chain places version `version` of service `service` on `node`.
	fn placed(&self, node: &PeerId, service: &str, version: &str) -> bool;
}

/// The libp2p peer id of an ed25519 node key: a node's on-chain key is its MUCP identity, so
/// a registered key names exactly one peer (whatever peer id text was registered beside it).
/// `None` if the bytes are not an ed25519 public key.
pub fn peer_id_of_node_key(key: &[u8; 32]) -> Option<PeerId> {
	let public = libp2p::identity::ed25519::PublicKey::try_from_bytes(key).ok()?;
	Some(libp2p::identity::PublicKey::from(public).to_peer_id())
}

/// Believes every peer about everything: for loopback tests and benchmarks, where there is no
/// chain. Never for a node that has one.
#[derive(Clone, Copy, Debug, Default)]
pub struct TrustAll;

impl Authority for TrustAll {
	fn is_registered(&self, _: &PeerId) -> bool {
		true
	}

	fn placed(&self, _: &PeerId, _: &str, _: &str) -> bool {
		true
	}
}

/// Believes no other peer: a peer with no chain and no [`Placements`] serves and calls its
/// own services only.
#[derive(Clone, Copy, Debug, Default)]
pub struct TrustNone;

impl Authority for TrustNone {
	fn is_registered(&self, _: &PeerId) -> bool {
		false
	}

	fn placed(&self, _: &PeerId, _: &str, _: &str) -> bool {
		false
	}
}

/// [`TrustAll`], shared: only where no chain exists.
pub fn trust_all() -> Arc<dyn Authority> {
	Arc::new(TrustAll)
}

/// [`TrustNone`], shared: the default.
pub fn trust_none() -> Arc<dyn Authority> {
	Arc::new(TrustNone)
}

/// An in-memory chain view: registered nodes and the (service, version)s placed on each.
#[derive(Debug, Default)]
pub struct Placements {
	nodes: RwLock<HashMap<PeerId, BTreeSet<(String, String)>>>,
}

impl Placements {
	/// Registers `node`, with nothing placed on it yet.
	pub fn register(&self, node: PeerId) {
		self.nodes.write().expect("not poisoned").entry(node).or_default();
	}

	/// Registers `node` if need be and places `service` at `version` on it.
	pub fn place(&self, node: PeerId, service: &str, version: &str) {
		let mut nodes = self.nodes.write().expect("not poisoned");
		nodes.entry(node).or_default().insert((service.to_owned(), version.to_owned()));
	}

	/// Takes `service` at `version` off `node`.
	pub fn unplace(&self, node: &PeerId, service: &str, version: &str) {
		if let Some(placed) = self.nodes.write().expect("not poisoned").get_mut(node) {
			placed.remove(&(service.to_owned(), version.to_owned()));
		}
	}

	/// Forgets `node`, as when it deregisters.
	pub fn deregister(&self, node: &PeerId) {
		self.nodes.write().expect("not poisoned").remove(node);
	}
}

impl Authority for Placements {
	fn is_registered(&self, node: &PeerId) -> bool {
		self.nodes.read().expect("not poisoned").contains_key(node)
	}

	fn placed(&self, node: &PeerId, service: &str, version: &str) -> bool {
		self.nodes
			.read()
			.expect("not poisoned")
			.get(node)
			.is_some_and(|placed| placed.contains(&(service.to_owned(), version.to_owned())))
	}
}

/// How many announcements with something refused a peer may send before it is ignored.
pub const STRIKE_LIMIT: u32 = 8;
/// How long a peer is ignored once it reached the limit, and how long strikes last.
pub const STRIKE_MEMORY: Duration = Duration::from_secs(600);
/// How many peers' strikes are kept at most: past it, new offenders are only ignored.
pub const MAX_OFFENDERS: usize = 4096;

#[derive(Clone, Copy, Debug)]
struct Offence {
	count: u32,
	last: Instant,
}

/// Strikes against peers whose announcements were refused, in the manner of gossipsub's peer
/// scoring: at [`STRIKE_LIMIT`] a peer is banned (its announcements ignored, its connections
/// closed) until [`STRIKE_MEMORY`] passes without a new strike. Bounded by [`MAX_OFFENDERS`].
#[derive(Debug, Default)]
pub struct Strikes {
	offenders: HashMap<PeerId, Offence>,
}

impl Strikes {
	/// Counts one strike against `peer` at `now`; returns whether it is now banned.
	pub fn strike(&mut self, peer: PeerId, now: Instant) -> bool {
		if !self.offenders.contains_key(&peer) && self.offenders.len() >= MAX_OFFENDERS {
			self.forget(now);
			if self.offenders.len() >= MAX_OFFENDERS {
				return false;
			}
		}
		let offence = self.offenders.entry(peer).or_insert(Offence { count: 0, last: now });
		offence.count = offence.count.saturating_add(1);
		offence.last = now;
		offence.count >= STRIKE_LIMIT
	}

	/// Whether `peer` is banned at `now`.
	pub fn is_banned(&self, peer: &PeerId, now: Instant) -> bool {
		self.offenders.get(peer).is_some_and(|offence| {
			offence.count >= STRIKE_LIMIT && now < offence.last + STRIKE_MEMORY
		})
	}

	/// The peers banned at `now`.
	pub fn banned(&self, now: Instant) -> Vec<PeerId> {
		self.offenders.keys().filter(|peer| self.is_banned(peer, now)).copied().collect()
	}

	/// Forgets every peer with no strike for [`STRIKE_MEMORY`].
	pub fn forget(&mut self, now: Instant) {
		self.offenders.retain(|_, offence| now < offence.last + STRIKE_MEMORY);
	}

	/// How many peers have strikes.
	pub fn len(&self) -> usize {
		self.offenders.len()
	}

	/// Whether no peer has strikes.
	pub fn is_empty(&self) -> bool {
		self.offenders.is_empty()
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn placements_answer_for_registered_nodes_and_their_services_only() {
		let (a, b, stranger) = (PeerId::random(), PeerId::random(), PeerId::random());
		let chain = Placements::default();
		chain.place(a, "greeter", "1");
		chain.register(b);
		assert!(chain.is_registered(&a) && chain.is_registered(&b));
		assert!(!chain.is_registered(&stranger));
		assert!(chain.placed(&a, "greeter", "1"));
		assert!(!chain.placed(&a, "greeter", "2"), "another version");
		assert!(!chain.placed(&b, "greeter", "1"), "another node");
		assert!(!chain.placed(&stranger, "greeter", "1"));
		chain.unplace(&a, "greeter", "1");
		assert!(!chain.placed(&a, "greeter", "1"));
		chain.deregister(&b);
		assert!(!chain.is_registered(&b));
		assert!(TrustAll.placed(&stranger, "x", "y") && !TrustNone.is_registered(&a));
	}

	#[test]
	fn a_node_keys_peer_id_is_its_libp2p_identitys() {
		use sp_core::Pair as _;
		let seed = [7u8; 32];
		let node_key = sp_core::ed25519::Pair::from_seed(&seed).public();
		let identity = libp2p::identity::Keypair::ed25519_from_bytes(seed).unwrap();
		assert_eq!(peer_id_of_node_key(&node_key.0), Some(identity.public().to_peer_id()));
	}

	#[test]
	fn a_peer_is_banned_at_the_limit_until_its_strikes_are_forgotten() {
		let now = Instant::now();
		let mut strikes = Strikes::default();
		let peer = PeerId::random();
		for _ in 1..STRIKE_LIMIT {
			assert!(!strikes.strike(peer, now));
		}
		assert!(!strikes.is_banned(&peer, now));
		assert!(strikes.strike(peer, now), "the limit bans");
		assert!(strikes.is_banned(&peer, now));
		assert_eq!(strikes.banned(now), vec![peer]);
		let later = now + STRIKE_MEMORY;
		assert!(!strikes.is_banned(&peer, later), "a ban ends");
		strikes.forget(later);
		assert!(strikes.is_empty());
	}

	#[test]
	fn offenders_are_bounded() {
		let now = Instant::now();
		let mut strikes = Strikes::default();
		for _ in 0..MAX_OFFENDERS + 10 {
			strikes.strike(PeerId::random(), now);
		}
		assert_eq!(strikes.len(), MAX_OFFENDERS);
		// Once the old strikes are forgotten there is room again.
		let later = now + STRIKE_MEMORY;
		strikes.strike(PeerId::random(), later);
		assert_eq!(strikes.len(), 1);
	}
}
