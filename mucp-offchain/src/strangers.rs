//! Room kept for registered nodes: strangers (peers the [`Authority`] does not know as
//! registered nodes) share a small part of the node's connections.
//!
//! Attack stopped (issue 17): [`ConnectionCaps`](crate::transport::ConnectionCaps) caps
//! connections in total and per peer, so without this gate 128 free identities holding two
//! connections each fill every slot and cut the node off from the registered nodes it serves
//! and calls. [`StrangerGate`] admits at most [`StrangerCaps::max_inbound`] inbound connections
//! from strangers at once (a stranger over the share is refused as it connects) and closes a
//! stranger's connection once it has made no call for [`StrangerCaps::idle`]. Registered nodes
//! and this node's own dials are never counted, so strangers can never refuse them.

use std::{
	collections::HashMap,
	sync::Arc,
	task::{Context, Poll},
	time::{Duration, Instant},
};

use libp2p::{
	core::{transport::PortUse, Endpoint},
	swarm::{
		dummy, CloseConnection, ConnectionClosed, ConnectionDenied, ConnectionId, FromSwarm,
		NetworkBehaviour, THandler, THandlerInEvent, THandlerOutEvent, ToSwarm,
	},
	Multiaddr, PeerId,
};

use crate::authority::Authority;

/// How much room strangers get.
#[derive(Clone, Copy, Debug)]
pub struct StrangerCaps {
	/// Most inbound connections from strangers established at once, all strangers together.
	pub max_inbound: usize,
	/// How long a stranger's connection stays open without a call from it.
	pub idle: Duration,
}

impl Default for StrangerCaps {
	fn default() -> Self {
		Self { max_inbound: 32, idle: Duration::from_secs(30) }
	}
}

/// Why a stranger's connection was refused.
#[derive(Debug)]
pub struct StrangersFull {
	/// The share that was full.
	pub max_inbound: usize,
}

impl std::fmt::Display for StrangersFull {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		write!(
			f,
			"unregistered peers already hold {} connections, their whole share",
			self.max_inbound
		)
	}
}

impl std::error::Error for StrangersFull {}

/// The network behaviour that keeps strangers to their share (see the module docs).
pub struct StrangerGate {
	authority: Arc<dyn Authority>,
	caps: StrangerCaps,
	/// Strangers' inbound connections: whose, and when it last made a call (or connected).
	strangers: HashMap<ConnectionId, (PeerId, Instant)>,
	/// Connections to close, found idle.
	closing: Vec<(PeerId, ConnectionId)>,
	/// When idle connections are looked for.
	sweep: tokio::time::Interval,
	/// Calls made outside the swarm's task (on links) count as activity too.
	activity: Activity,
}

/// When peers last made a call on a link, shared with the [`StrangerGate`]: calls on links
/// do not pass through the swarm's task, and a stranger making them is not idle.
#[derive(Clone, Debug, Default)]
pub struct Activity(Arc<std::sync::Mutex<HashMap<PeerId, Instant>>>);

impl Activity {
	/// Notes that `peer` made a call now.
	pub fn touch(&self, peer: &PeerId) {
		self.0.lock().expect("not poisoned").insert(*peer, Instant::now());
	}
}

impl StrangerGate {
	/// A gate believing `authority` about who is registered.
	pub fn new(authority: Arc<dyn Authority>, caps: StrangerCaps) -> Self {
		let period = (caps.idle / 4).max(Duration::from_millis(100));
		let mut sweep = tokio::time::interval(period);
		sweep.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
		Self {
			authority,
			caps,
			strangers: HashMap::new(),
			closing: Vec::new(),
			sweep,
			activity: Activity::default(),
		}
	}

	/// The handle calls on links note their activity through.
	pub fn activity(&self) -> Activity {
		self.activity.clone()
	}

	/// Notes that `peer` made a call: its connections are not idle.
	pub fn active(&mut self, peer: &PeerId) {
		let now = Instant::now();
		for (owner, last) in self.strangers.values_mut() {
			if owner == peer {
				*last = now;
			}
		}
	}

	/// How many inbound connections strangers hold.
	pub fn strangers(&self) -> usize {
		self.strangers.len()
	}

	fn admit(&mut self, connection: ConnectionId, peer: PeerId) -> Result<(), ConnectionDenied> {
		if self.authority.is_registered(&peer) {
			return Ok(());
		}
		if self.strangers.len() >= self.caps.max_inbound {
			return Err(ConnectionDenied::new(StrangersFull {
				max_inbound: self.caps.max_inbound,
			}));
		}
		self.strangers.insert(connection, (peer, Instant::now()));
		Ok(())
	}
}

impl NetworkBehaviour for StrangerGate {
	type ConnectionHandler = dummy::ConnectionHandler;
	type ToSwarm = std::convert::Infallible;

	fn handle_established_inbound_connection(
		&mut self,
		connection: ConnectionId,
		peer: PeerId,
		_: &Multiaddr,
		_: &Multiaddr,
	) -> Result<THandler<Self>, ConnectionDenied> {
		self.admit(connection, peer)?;
		Ok(dummy::ConnectionHandler)
	}

	fn handle_established_outbound_connection(
		&mut self,
		_: ConnectionId,
		_: PeerId,
		_: &Multiaddr,
		_: Endpoint,
		_: PortUse,
	) -> Result<THandler<Self>, ConnectionDenied> {
		Ok(dummy::ConnectionHandler)
	}

	fn on_swarm_event(&mut self, event: FromSwarm) {
		if let FromSwarm::ConnectionClosed(ConnectionClosed { connection_id, .. }) = event {
			self.strangers.remove(&connection_id);
		}
	}

	fn on_connection_handler_event(
		&mut self,
		_: PeerId,
		_: ConnectionId,
		event: THandlerOutEvent<Self>,
	) {
		match event {}
	}

	fn poll(
		&mut self,
		cx: &mut Context<'_>,
	) -> Poll<ToSwarm<Self::ToSwarm, THandlerInEvent<Self>>> {
		while self.sweep.poll_tick(cx).is_ready() {
			let now = Instant::now();
			let idle = self.caps.idle;
			{
				// Calls on links since the last sweep; only strangers' are kept.
				let mut recent = self.activity.0.lock().expect("not poisoned");
				for (peer, last) in self.strangers.values_mut() {
					if let Some(called) = recent.get(peer) {
						*last = (*last).max(*called);
					}
				}
				recent.clear();
			}
			self.closing.extend(
				self.strangers
					.iter()
					.filter(|(_, (_, last))| now.duration_since(*last) >= idle)
					.map(|(connection, (peer, _))| (*peer, *connection)),
			);
		}
		if let Some((peer_id, connection)) = self.closing.pop() {
			// Forgotten at once, so a closing connection does not hold a slot.
			self.strangers.remove(&connection);
			return Poll::Ready(ToSwarm::CloseConnection {
				peer_id,
				connection: CloseConnection::One(connection),
			});
		}
		Poll::Pending
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::authority::Placements;

	fn gate(chain: Arc<Placements>, max_inbound: usize) -> StrangerGate {
		StrangerGate::new(chain, StrangerCaps { max_inbound, idle: Duration::from_secs(30) })
	}

	#[tokio::test]
	async fn strangers_fill_only_their_share_and_registered_nodes_still_connect() {
		let chain = Arc::new(Placements::default());
		let node = PeerId::random();
		chain.register(node);
		let mut gate = gate(chain, 4);
		for id in 0..4 {
			assert!(gate.admit(ConnectionId::new_unchecked(id), PeerId::random()).is_ok());
		}
		let refused = gate.admit(ConnectionId::new_unchecked(4), PeerId::random()).unwrap_err();
		assert_eq!(
			refused.downcast::<StrangersFull>().unwrap().to_string(),
			"unregistered peers already hold 4 connections, their whole share"
		);
		assert_eq!(gate.strangers(), 4);
		for id in 5..300 {
			assert!(gate.admit(ConnectionId::new_unchecked(id), node).is_ok(), "registered");
		}
		assert_eq!(gate.strangers(), 4, "registered nodes are not counted");
	}
}
