//! Peer ids in base58, remembered both ways: encoding or decoding one costs microseconds
//! (base58 is quadratic), and a call needed several. Bounded: past [`MAX_REMEMBERED`] ids the
//! cache starts over.

use std::{collections::HashMap, sync::Arc, sync::Mutex};

use libp2p::PeerId;

/// Most ids remembered each way.
pub const MAX_REMEMBERED: usize = 4096;

/// The cache.
#[derive(Default)]
pub(super) struct PeerIds {
	names: Mutex<HashMap<PeerId, Arc<str>>>,
	ids: Mutex<HashMap<Arc<str>, PeerId>>,
}

impl PeerIds {
	/// `peer` in base58.
	pub(super) fn name(&self, peer: &PeerId) -> Arc<str> {
		let mut names = self.names.lock().expect("not poisoned");
		if let Some(name) = names.get(peer) {
			return name.clone();
		}
		if names.len() >= MAX_REMEMBERED {
			names.clear();
		}
		let name: Arc<str> = peer.to_string().into();
		names.insert(*peer, name.clone());
		name
	}

	/// The peer id `name` spells, if it is one.
	pub(super) fn parse(&self, name: &str) -> Option<PeerId> {
		let mut ids = self.ids.lock().expect("not poisoned");
		if let Some(id) = ids.get(name) {
			return Some(*id);
		}
		let id: PeerId = name.parse().ok()?;
		if ids.len() >= MAX_REMEMBERED {
			ids.clear();
		}
		ids.insert(name.into(), id);
		Some(id)
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn ids_round_trip_and_the_cache_stays_bounded() {
		let ids = PeerIds::default();
		let peer = PeerId::random();
		assert_eq!(&*ids.name(&peer), peer.to_string());
		assert_eq!(ids.parse(&peer.to_string()), Some(peer));
		assert_eq!(ids.parse("not a peer id"), None);
		for _ in 0..MAX_REMEMBERED + 10 {
			let other = PeerId::random();
			assert_eq!(ids.parse(&ids.name(&other)), Some(other));
		}
		assert!(ids.names.lock().unwrap().len() <= MAX_REMEMBERED);
		assert!(ids.ids.lock().unwrap().len() <= MAX_REMEMBERED);
	}
}
