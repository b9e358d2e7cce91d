//! Peer-to-peer transport over rust-libp2p: what travels between MUCP peers, and how.
//!
//! Connections are TCP, secured with noise and multiplexed with yamux. On them run:
//!
//! - [`LINK_PROTOCOL`](crate::link::LINK_PROTOCOL): one persistent stream per peer and
//!   direction carrying every call and every publication to that peer, multiplexed by request
//!   id (see [`crate::link`]);
//! - [`CALL_PROTOCOL`], request-response: one envelope out, one back, for control traffic only:
//!   the registry snapshot two peers swap when they connect;
//! - [`STREAM_PROTOCOL`] (`libp2p-stream`): a long-lived bidirectional substream carrying
//!   length-prefixed envelopes, for MUCP streams;
//! - gossipsub: registry records and peer announcements on [`REGISTRY_TOPIC`]; a node says it
//!   subscribes to a MUCP topic by subscribing to its channel ([`topic_channel`]) and to a
//!   marker topic per queue group ([`queue_marker`]) (the messages themselves travel on links:
//!   see the broker and `peer/pubsub.rs`);
//! - identify, kademlia (peer discovery) and ping (the round-trip time routes are ranked by);
//! - an [`AddressBook`] holding the addresses the registry gives for each node, so a call or
//!   stream to a node not yet connected can dial it.
//!
//! Every frame is a 4-byte big-endian length followed by a prost-encoded
//! [`Envelope`](crate::protocol::Envelope).
//!
//! Limits against strangers (issue 17, finding H6): [`ConnectionCaps`] bounds connections in
//! total, per peer and pending (libp2p's `connection_limits`), so a flood of dials or
//! identities cannot exhaust the node's file descriptors or memory, and the concurrent
//! request-response streams on each connection; idle connections close after the peer's
//! `idle_timeout` (60 s by default); a frame's buffer grows as its bytes arrive, so a peer that
//! declares a large frame and sends nothing costs nothing. Unregistered peers share a small
//! part of the inbound connections ([`StrangerGate`]), so they cannot crowd out registered
//! nodes.

use std::{
	io,
	num::NonZeroUsize,
	sync::Arc,
	task::{Context, Poll},
	time::Duration,
};

use futures::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use libp2p::{
	connection_limits,
	core::{transport::PortUse, Endpoint},
	gossipsub, identify, kad, noise, ping, request_response,
	swarm::{
		behaviour::PeerAddresses, dummy, ConnectionDenied, ConnectionId, FromSwarm,
		NetworkBehaviour, THandler, THandlerInEvent, THandlerOutEvent, ToSwarm,
	},
	tcp, yamux, Multiaddr, PeerId, StreamProtocol, Swarm, SwarmBuilder,
};

use crate::{
	authority::Authority,
	protocol::{Limits, MicroError, PROTOCOL},
	strangers::{StrangerCaps, StrangerGate},
};

/// The request-response protocol calls travel on.
pub const CALL_PROTOCOL: StreamProtocol = StreamProtocol::new("/micro/mucp/call/1");
/// The substream protocol MUCP streams travel on.
pub const STREAM_PROTOCOL: StreamProtocol = StreamProtocol::new("/micro/mucp/stream/1");
/// The kademlia protocol MUCP peers find each other with.
pub const KAD_PROTOCOL: StreamProtocol = StreamProtocol::new("/micro/kad/1");
/// The gossipsub topic registry records and peer announcements travel on.
pub const REGISTRY_TOPIC: &str = "mucp/registry/1";
/// What identify announces.
pub const AGENT: &str = concat!("micro-network-mucp/", env!("CARGO_PKG_VERSION"));

/// The gossipsub topic a node subscribes to when it has subscribers to MUCP topic `topic`.
pub fn topic_channel(topic: &str) -> gossipsub::IdentTopic {
	gossipsub::IdentTopic::new(format!("mucp/topic/{topic}"))
}

/// The gossipsub topic a node subscribes to (and never publishes on) to say it has members of
/// queue group `queue` on MUCP topic `topic`.
pub fn queue_marker(topic: &str, queue: &str) -> gossipsub::IdentTopic {
	let key = serde_json::to_string(&(topic, queue)).expect("strings serialise");
	gossipsub::IdentTopic::new(format!("mucp/queue/{key}"))
}

/// The (topic, queue) a [`queue_marker`] topic stands for, if it is one.
pub fn parse_queue_marker(hash: &gossipsub::TopicHash) -> Option<(String, String)> {
	serde_json::from_str(hash.as_str().strip_prefix("mucp/queue/")?).ok()
}

/// Reads one length-prefixed frame of at most `max` bytes. A larger frame is read and thrown
/// away (up to 16 times `max`, beyond which the substream is closed) and answered with the
/// `Micro-Error` it deserves, so the peer learns why.
pub async fn read_frame<T: AsyncRead + Unpin>(
	io: &mut T,
	max: usize,
) -> io::Result<Result<Vec<u8>, MicroError>> {
	let mut length = [0u8; 4];
	io.read_exact(&mut length).await?;
	let length = u32::from_be_bytes(length) as usize;
	if length > max {
		if length > max.saturating_mul(16) {
			return Err(io::Error::new(io::ErrorKind::InvalidData, "frame far over the limit"));
		}
		futures::io::copy(io.take(length as u64), &mut futures::io::sink()).await?;
		return Ok(Err(MicroError::too_large(
			PROTOCOL,
			format!("frame of {length} bytes exceeds the limit of {max}"),
		)));
	}
	// Grown as the bytes arrive: a declared length costs nothing until it is sent.
	let mut frame = Vec::with_capacity(length.min(64 * 1024));
	io.take(length as u64).read_to_end(&mut frame).await?;
	if frame.len() < length {
		return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "the frame ended early"));
	}
	Ok(Ok(frame))
}

/// Writes one length-prefixed frame and flushes it.
pub async fn write_frame<T: AsyncWrite + Unpin>(io: &mut T, frame: &[u8]) -> io::Result<()> {
	let length = u32::try_from(frame.len())
		.map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "frame over 4 GiB"))?;
	io.write_all(&length.to_be_bytes()).await?;
	io.write_all(frame).await?;
	io.flush().await
}

/// The request-response codec of [`CALL_PROTOCOL`]: length-prefixed encoded envelopes. A
/// request over the limit arrives as its `Micro-Error`, to be answered with it.
#[derive(Clone, Debug)]
pub struct EnvelopeCodec {
	max_frame: usize,
}

#[async_trait::async_trait]
impl request_response::Codec for EnvelopeCodec {
	type Protocol = StreamProtocol;
	type Request = Result<Vec<u8>, MicroError>;
	type Response = Vec<u8>;

	async fn read_request<T>(&mut self, _: &StreamProtocol, io: &mut T) -> io::Result<Self::Request>
	where
		T: AsyncRead + Unpin + Send,
	{
		read_frame(io, self.max_frame).await
	}

	async fn read_response<T>(
		&mut self,
		_: &StreamProtocol,
		io: &mut T,
	) -> io::Result<Self::Response>
	where
		T: AsyncRead + Unpin + Send,
	{
		read_frame(io, self.max_frame)
			.await?
			.map_err(|error| io::Error::new(io::ErrorKind::InvalidData, error.to_string()))
	}

	async fn write_request<T>(
		&mut self,
		_: &StreamProtocol,
		io: &mut T,
		request: Self::Request,
	) -> io::Result<()>
	where
		T: AsyncWrite + Unpin + Send,
	{
		let frame = request
			.map_err(|error| io::Error::new(io::ErrorKind::InvalidInput, error.to_string()))?;
		write_frame(io, &frame).await
	}

	async fn write_response<T>(
		&mut self,
		_: &StreamProtocol,
		io: &mut T,
		response: Self::Response,
	) -> io::Result<()>
	where
		T: AsyncWrite + Unpin + Send,
	{
		write_frame(io, &response).await
	}
}

/// The addresses known for each peer (from the registry, identify and kademlia), offered to
/// every dial by peer id.
pub struct AddressBook(PeerAddresses);

impl AddressBook {
	fn new() -> Self {
		Self(PeerAddresses::new(NonZeroUsize::new(4096).expect("not zero")))
	}
}

impl NetworkBehaviour for AddressBook {
	type ConnectionHandler = dummy::ConnectionHandler;
	type ToSwarm = std::convert::Infallible;

	fn handle_established_inbound_connection(
		&mut self,
		_: ConnectionId,
		_: PeerId,
		_: &Multiaddr,
		_: &Multiaddr,
	) -> Result<THandler<Self>, ConnectionDenied> {
		Ok(dummy::ConnectionHandler)
	}

	fn handle_pending_outbound_connection(
		&mut self,
		_: ConnectionId,
		peer: Option<PeerId>,
		_: &[Multiaddr],
		_: Endpoint,
	) -> Result<Vec<Multiaddr>, ConnectionDenied> {
		Ok(peer.map(|peer| self.0.get(&peer).collect()).unwrap_or_default())
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
		self.0.on_swarm_event(&event);
	}

	fn on_connection_handler_event(
		&mut self,
		_: PeerId,
		_: ConnectionId,
		event: THandlerOutEvent<Self>,
	) {
		match event {}
	}

	fn poll(&mut self, _: &mut Context<'_>) -> Poll<ToSwarm<Self::ToSwarm, THandlerInEvent<Self>>> {
		Poll::Pending
	}
}

/// Everything a MUCP peer runs on its connections.
#[derive(NetworkBehaviour)]
pub struct Behaviour {
	/// Connection caps, checked before any other behaviour sees a connection.
	pub limits: connection_limits::Behaviour,
	/// Strangers' share of the connections (see [`crate::strangers`]).
	pub strangers: StrangerGate,
	/// Calls and registry sync.
	pub calls: request_response::Behaviour<EnvelopeCodec>,
	/// MUCP streams.
	pub streams: libp2p_stream::Behaviour,
	/// Registry gossip and cross-node publish.
	pub gossip: gossipsub::Behaviour,
	/// What a peer is and where it listens.
	pub identify: identify::Behaviour,
	/// Peer discovery.
	pub kad: kad::Behaviour<kad::store::MemoryStore>,
	/// Round-trip times.
	pub ping: ping::Behaviour,
	/// Where known peers listen.
	pub addresses: AddressBook,
}

/// How many connections and call streams a peer accepts.
#[derive(Clone, Copy, Debug)]
pub struct ConnectionCaps {
	/// Most connections established at once, in total.
	pub max_established: u32,
	/// Most connections established with one peer.
	pub max_established_per_peer: u32,
	/// Most inbound connections still being set up (noise, yamux) at once.
	pub max_pending_incoming: u32,
	/// Most outbound dials under way at once.
	pub max_pending_outgoing: u32,
	/// Most request-response streams (calls) open at once on one connection.
	pub max_call_streams: usize,
	/// The share of inbound connections unregistered peers may hold.
	pub strangers: StrangerCaps,
}

impl Default for ConnectionCaps {
	fn default() -> Self {
		Self {
			max_established: 256,
			max_established_per_peer: 2,
			max_pending_incoming: 64,
			max_pending_outgoing: 64,
			max_call_streams: 64,
			strangers: StrangerCaps::default(),
		}
	}
}

impl ConnectionCaps {
	fn limits(&self) -> connection_limits::ConnectionLimits {
		connection_limits::ConnectionLimits::default()
			.with_max_established(Some(self.max_established))
			.with_max_established_per_peer(Some(self.max_established_per_peer))
			.with_max_pending_incoming(Some(self.max_pending_incoming))
			.with_max_pending_outgoing(Some(self.max_pending_outgoing))
	}
}

/// How the transport is tuned.
#[derive(Clone, Copy, Debug)]
pub struct TransportConfig {
	/// Connection and stream caps.
	pub connections: ConnectionCaps,
	/// Message size limits; frames and gossip are bounded by them.
	pub limits: Limits,
	/// How long a call may wait for its response on the wire.
	pub request_timeout: Duration,
	/// How long an idle connection stays open.
	pub idle_timeout: Duration,
	/// Gossipsub's heartbeat.
	pub heartbeat: Duration,
}

/// Builds the swarm of a peer with `keypair` that counts every peer as registered: for test
/// swarms with no chain (see [`build_guarded_swarm`]).
pub fn build_swarm(
	keypair: libp2p::identity::Keypair,
	config: TransportConfig,
) -> Result<Swarm<Behaviour>, String> {
	build_guarded_swarm(keypair, config, crate::authority::trust_all())
}

/// Builds the swarm of a peer with `keypair`, keeping peers `authority` does not know as
/// registered nodes to their share of the connections ([`ConnectionCaps::strangers`]).
pub fn build_guarded_swarm(
	keypair: libp2p::identity::Keypair,
	config: TransportConfig,
	authority: Arc<dyn Authority>,
) -> Result<Swarm<Behaviour>, String> {
	let max_frame = config.limits.max_frame;
	let swarm = SwarmBuilder::with_existing_identity(keypair)
		.with_tokio()
		.with_tcp(tcp::Config::default().nodelay(true), noise::Config::new, yamux::Config::default)
		.map_err(|e| format!("the TCP transport: {e}"))?
		.with_behaviour(|key| {
			let peer = key.public().to_peer_id();
			let gossip_config = gossipsub::ConfigBuilder::default()
				.heartbeat_interval(config.heartbeat)
				.validation_mode(gossipsub::ValidationMode::Strict)
				.max_transmit_size(max_frame + 64 * 1024)
				.flood_publish(true)
				.build()
				.map_err(|e| format!("gossipsub's configuration: {e}"))?;
			let gossip = gossipsub::Behaviour::new(
				gossipsub::MessageAuthenticity::Signed(key.clone()),
				gossip_config,
			)?;
			let mut kad_config = kad::Config::new(KAD_PROTOCOL);
			kad_config.set_periodic_bootstrap_interval(Some(Duration::from_secs(60)));
			let mut kad =
				kad::Behaviour::with_config(peer, kad::store::MemoryStore::new(peer), kad_config);
			kad.set_mode(Some(kad::Mode::Server));
			Ok(Behaviour {
				limits: connection_limits::Behaviour::new(config.connections.limits()),
				strangers: StrangerGate::new(authority.clone(), config.connections.strangers),
				calls: request_response::Behaviour::with_codec(
					EnvelopeCodec { max_frame },
					[(CALL_PROTOCOL, request_response::ProtocolSupport::Full)],
					request_response::Config::default()
						.with_request_timeout(config.request_timeout)
						.with_max_concurrent_streams(config.connections.max_call_streams),
				),
				streams: libp2p_stream::Behaviour::new(),
				gossip,
				identify: identify::Behaviour::new(
					identify::Config::new("/micro/mucp/1".into(), key.public())
						.with_agent_version(AGENT.into()),
				),
				kad,
				ping: ping::Behaviour::new(
					ping::Config::new().with_interval(Duration::from_secs(5)),
				),
				addresses: AddressBook::new(),
			})
		})
		.map_err(|e| format!("the behaviour: {e}"))?
		.with_swarm_config(|c| c.with_idle_connection_timeout(config.idle_timeout))
		.build();
	Ok(swarm)
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn frames_round_trip_and_oversized_ones_get_their_error() {
		futures::executor::block_on(async {
			let mut wire = Vec::new();
			write_frame(&mut wire, b"hello").await.unwrap();
			write_frame(&mut wire, &[7u8; 100]).await.unwrap();
			write_frame(&mut wire, b"after").await.unwrap();
			let mut reader = futures::io::Cursor::new(wire);
			assert_eq!(read_frame(&mut reader, 64).await.unwrap().unwrap(), b"hello");
			let error = read_frame(&mut reader, 64).await.unwrap().unwrap_err();
			assert_eq!(error.code, 413);
			assert_eq!(error.detail, "frame of 100 bytes exceeds the limit of 64");
			assert_eq!(
				read_frame(&mut reader, 64).await.unwrap().unwrap(),
				b"after",
				"the oversized frame was skipped, not the stream"
			);
			assert!(read_frame(&mut reader, 64).await.is_err(), "end of stream");
		});
	}

	#[test]
	fn a_declared_frame_that_never_arrives_allocates_nothing_up_front() {
		futures::executor::block_on(async {
			// Declares 1 MiB, sends 3 bytes, ends.
			let mut wire = (1u32 << 20).to_be_bytes().to_vec();
			wire.extend_from_slice(b"abc");
			let mut reader = futures::io::Cursor::new(wire);
			let error = read_frame(&mut reader, 2 << 20).await.unwrap_err();
			assert_eq!(error.kind(), io::ErrorKind::UnexpectedEof);
		});
	}

	#[test]
	fn a_frame_far_over_the_limit_closes_the_substream() {
		futures::executor::block_on(async {
			let mut reader = futures::io::Cursor::new(u32::MAX.to_be_bytes().to_vec());
			let error = read_frame(&mut reader, 64).await.unwrap_err();
			assert_eq!(error.kind(), io::ErrorKind::InvalidData);
		});
	}

	#[test]
	fn queue_markers_name_their_topic_and_group() {
		let marker = queue_marker("orders/new", "workers");
		assert_eq!(
			parse_queue_marker(&marker.hash()),
			Some(("orders/new".to_owned(), "workers".to_owned()))
		);
		assert_eq!(parse_queue_marker(&topic_channel("orders").hash()), None);
	}
}
