//! The task that owns the libp2p swarm: it serves the [`Command`]s the API sends, handles the
//! swarm's events (connections, calls and answers, gossip, discovery, pings) and keeps house
//! (expiry, redelivery, outboxes, the authority's recheck and this node's announcement).
//! Everything slow (handlers, the broker's store) runs on other tasks and threads; each peer
//! has a budget of calls served at once, past which its calls get a 429.

use std::{
	collections::{BTreeMap, HashMap, HashSet},
	sync::{atomic::Ordering, Arc},
	time::{Duration, Instant, SystemTime},
};

use futures::StreamExt;
use libp2p::{
	gossipsub, identify, kad, ping, request_response,
	swarm::{dial_opts::DialOpts, SwarmEvent},
	Multiaddr, PeerId, Swarm,
};
use tokio::sync::{mpsc, oneshot};

use crate::{
	protocol::{Message, MicroError},
	registry::Record,
	transport::{queue_marker, topic_channel, Behaviour, BehaviourEvent, REGISTRY_TOPIC},
};

use super::Shared;

/// What the API asks of the swarm's task.
pub(super) enum Command {
	/// Send the messages due in the outboxes.
	SendOutbox,
	/// A batch of `node`'s outbox went out: `acked` if it answered that it holds it.
	OutboxSent {
		node: String,
		sequences: Vec<u64>,
		acked: bool,
	},
	Listen {
		topic: String,
		queue: Option<String>,
	},
	Unlisten {
		topic: String,
		queue: Option<String>,
	},
	/// Gossip this node's announcement now, with these records (tombstones) besides its own.
	Announce(Vec<Record>),
	/// Connect to a peer at this address (ending in `/p2p/<peer id>`) unless connected.
	Dial(Multiaddr),
	Connectivity {
		reply: oneshot::Sender<BTreeMap<String, Option<Duration>>>,
	},
	Shutdown {
		reply: oneshot::Sender<()>,
	},
}

/// The task that owns the swarm.
pub(super) struct Driver {
	pub(super) swarm: Swarm<Behaviour>,
	pub(super) shared: Arc<Shared>,
	/// The nodes with a batch of their outbox on its way, awaiting their acknowledgement (one
	/// batch per node at a time, so they arrive in order).
	pub(super) sending: HashSet<String>,
	/// How many batches in a row each node's outbox failed to deliver, for the backoff before
	/// the next ([`crate::broker::Broker::outbox_failed`]); forgotten once one is
	/// acknowledged.
	outbox_failures: HashMap<String, u32>,
	responses: (
		mpsc::UnboundedSender<(request_response::ResponseChannel<Vec<u8>>, Message)>,
		mpsc::UnboundedReceiver<(request_response::ResponseChannel<Vec<u8>>, Message)>,
	),
	rtts: HashMap<PeerId, Duration>,
	bootstrapped: bool,
}

impl Driver {
	/// The task's state around `swarm`, for the peer `shared` describes; [`run`](Self::run)
	/// drives it.
	pub(super) fn new(swarm: Swarm<Behaviour>, shared: Arc<Shared>) -> Self {
		Self {
			swarm,
			shared,
			sending: HashSet::new(),
			outbox_failures: HashMap::new(),
			responses: mpsc::unbounded_channel(),
			rtts: HashMap::new(),
			bootstrapped: false,
		}
	}

	pub(super) async fn run(mut self, mut commands: mpsc::UnboundedReceiver<Command>) {
		let mut housekeeping = tokio::time::interval(Duration::from_millis(250));
		let mut refresh = tokio::time::interval(self.shared.config.registry_ttl / 3);
		loop {
			tokio::select! {
				command = commands.recv() => match command {
					Some(Command::Shutdown { reply }) => {
						self.announce(Vec::new());
						let flush = tokio::time::sleep(Duration::from_millis(300));
						tokio::pin!(flush);
						loop {
							tokio::select! {
								_ = self.swarm.select_next_some() => {}
								_ = &mut flush => break,
							}
						}
						let _ = reply.send(());
						return;
					}
					Some(command) => self.command(command),
					None => return,
				},
				event = self.swarm.select_next_some() => self.event(event),
				Some((channel, reply)) = self.responses.1.recv() => {
					let _ = self.swarm.behaviour_mut().calls.send_response(channel, reply.encode());
				}
				_ = housekeeping.tick() => {
					let now = Instant::now();
					self.shared.registry.lock().expect("not poisoned").expire(now);
					self.shared.announced.lock().expect("not poisoned").retain(|_, (_, until)| *until > now);
					self.shared.broker.redeliver(SystemTime::now());
					self.disconnect_banned(now);
					self.hand_waiting_inboxes();
					self.send_outbox(None);
				}
				_ = refresh.tick() => {
					// Who listens where, afresh (the bound per node may have cut some).
					let gossip = &self.swarm.behaviour().gossip;
					self.shared.pubsub.interest.lock().expect("not poisoned").rebuild(gossip.all_peers());
					self.shared.recheck(Instant::now());
					self.announce(Vec::new());
				}
			}
		}
	}

	fn command(&mut self, command: Command) {
		match command {
			Command::SendOutbox => {
				self.shared.pubsub.outbox_asked.store(false, Ordering::Release);
				self.send_outbox(None);
			}
			Command::OutboxSent { node, sequences, acked } => {
				self.sending.remove(&node);
				// Acknowledged only by an answer without an error; otherwise sent again later.
				if acked {
					self.outbox_failures.remove(&node);
					for sequence in sequences {
						self.shared.broker.outbox_acked(&node, sequence);
					}
					// The next batch for that node, if any waits.
					self.send_outbox(None);
				} else {
					if self.outbox_failures.len() >= 4096
						&& !self.outbox_failures.contains_key(&node)
					{
						let waiting = self.shared.broker.outbox_nodes();
						self.outbox_failures.retain(|node, _| waiting.contains(node));
					}
					let failures = self.outbox_failures.entry(node.clone()).or_default();
					*failures = failures.saturating_add(1);
					self.shared.broker.outbox_failed(
						&node,
						&sequences,
						*failures,
						SystemTime::now(),
					);
				}
			}
			Command::Listen { topic, queue } => {
				let gossip = &mut self.swarm.behaviour_mut().gossip;
				if let Some(queue) = &queue {
					let _ = gossip.subscribe(&queue_marker(&topic, queue));
				}
				let _ = gossip.subscribe(&topic_channel(&topic));
			}
			Command::Unlisten { topic, queue } => {
				let (listening, groups) = self.shared.broker.interest(&topic);
				let gossip = &mut self.swarm.behaviour_mut().gossip;
				if let Some(queue) = queue.filter(|q| !groups.contains(q)) {
					let _ = gossip.unsubscribe(&queue_marker(&topic, &queue));
				}
				if !listening {
					let _ = gossip.unsubscribe(&topic_channel(&topic));
				}
			}
			Command::Announce(tombstones) => self.announce(tombstones),
			Command::Dial(address) => {
				let Some(libp2p::multiaddr::Protocol::P2p(peer)) = address.iter().last() else {
					return;
				};
				if peer == self.shared.local || self.swarm.is_connected(&peer) {
					return;
				}
				self.swarm.behaviour_mut().kad.add_address(&peer, address.clone());
				self.swarm.add_peer_address(peer, address.clone());
				if let Err(error) = self.swarm.dial(address.clone()) {
					log::debug!(target: "mucp", "dial {address}: {error}");
				}
			}
			Command::Connectivity { reply } => {
				let connected = self
					.swarm
					.connected_peers()
					.map(|peer| (peer.to_string(), self.rtts.get(peer).copied()))
					.collect();
				let _ = reply.send(connected);
			}
			Command::Shutdown { .. } => unreachable!("handled by the loop"),
		}
	}

	fn event(&mut self, event: SwarmEvent<BehaviourEvent>) {
		match event {
			SwarmEvent::NewListenAddr { address, .. } => {
				let mut addresses = self.shared.addresses.lock().expect("not poisoned");
				if !addresses.contains(&address) {
					addresses.push(address);
				}
			}
			SwarmEvent::ConnectionEstablished { peer_id, num_established, .. } => {
				if self
					.shared
					.strikes
					.lock()
					.expect("not poisoned")
					.is_banned(&peer_id, Instant::now())
				{
					let _ = self.swarm.disconnect_peer_id(peer_id);
					return;
				}
				if num_established.get() == 1 {
					self.sync_registry(peer_id);
				}
				if !self.bootstrapped {
					self.bootstrapped = true;
					let _ = self.swarm.behaviour_mut().kad.bootstrap();
				}
				if num_established.get() == 1 {
					self.send_outbox(Some(peer_id));
				}
			}
			SwarmEvent::ConnectionClosed { peer_id, num_established: 0, .. } => {
				self.rtts.remove(&peer_id);
				self.shared.disconnected(&peer_id);
				self.shared.pubsub.interest.lock().expect("not poisoned").forget(&peer_id);
			}
			SwarmEvent::Behaviour(BehaviourEvent::Calls(event)) => self.call_event(event),
			SwarmEvent::Behaviour(BehaviourEvent::Gossip(gossipsub::Event::Message {
				message,
				..
			})) => {
				let topic = message.topic.as_str().to_owned();
				if topic == REGISTRY_TOPIC {
					self.take_announcement(message);
				}
				// Publications travel on links (durable ones acknowledged): whatever arrives
				// on a topic's gossip channel is ignored.
			}
			SwarmEvent::Behaviour(BehaviourEvent::Gossip(gossipsub::Event::Subscribed {
				peer_id,
				topic,
			})) => {
				self.shared
					.pubsub
					.interest
					.lock()
					.expect("not poisoned")
					.subscribed(peer_id, &topic);
				if let Some(topic) = topic.as_str().strip_prefix("mucp/topic/") {
					let topic = topic.to_owned();
					self.hand_inbox_to(peer_id, &topic);
				}
			}
			SwarmEvent::Behaviour(BehaviourEvent::Gossip(gossipsub::Event::Unsubscribed {
				peer_id,
				topic,
			})) => {
				self.shared
					.pubsub
					.interest
					.lock()
					.expect("not poisoned")
					.unsubscribed(peer_id, &topic);
			}
			SwarmEvent::Behaviour(BehaviourEvent::Identify(identify::Event::Received {
				peer_id,
				info,
				..
			})) => {
				for address in info.listen_addrs {
					self.swarm.behaviour_mut().kad.add_address(&peer_id, address.clone());
					self.swarm.add_peer_address(peer_id, address);
				}
			}
			// Only registered nodes are dialled: a flood of identities makes no connections.
			SwarmEvent::Behaviour(BehaviourEvent::Kad(kad::Event::RoutingUpdated {
				peer, ..
			})) if peer != self.shared.local
				&& !self.swarm.is_connected(&peer)
				&& self.shared.config.authority.is_registered(&peer) =>
			{
				let _ = self.swarm.dial(DialOpts::peer_id(peer).build());
			}
			SwarmEvent::Behaviour(BehaviourEvent::Ping(ping::Event {
				peer,
				result: Ok(rtt),
				..
			})) => {
				self.rtts.insert(peer, rtt);
			}
			_ => {}
		}
	}

	fn call_event(&mut self, event: request_response::Event<Result<Vec<u8>, MicroError>, Vec<u8>>) {
		use request_response::{Event as E, Message as M};
		match event {
			E::Message { peer, message: M::Request { request, channel, .. } } => {
				self.swarm.behaviour_mut().strangers.active(&peer);
				// Each peer has a budget of calls served at once, shared with its links: past
				// it a call is refused at once, so one peer cannot run up tasks (and handlers)
				// without bound.
				let budget = self.shared.budget_of(&peer);
				let Some(permit) = budget.take() else {
					let reply = super::links::too_many_calls(budget.size());
					let _ = self.swarm.behaviour_mut().calls.send_response(channel, reply.encode());
					return;
				};
				let shared = self.shared.clone();
				let responses = self.responses.0.clone();
				tokio::spawn(async move {
					let reply = shared.dispatch(peer, request).await;
					drop(permit);
					let _ = responses.send((channel, reply));
				});
			}
			E::Message { peer, message: M::Response { response, .. } } => {
				// Calls and deliveries go on links: any other answer is to this node's registry
				// sync.
				self.take_sync_answer(&peer, &response);
			}
			E::OutboundFailure { .. } => {}
			E::InboundFailure { .. } | E::ResponseSent { .. } => {}
		}
	}
}
