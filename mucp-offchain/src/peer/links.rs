//! Calls on links: the server side of [`crate::link`] for a peer. Each other peer opens one
//! link here (a persistent stream) and sends all its calls on it; [`accept`] serves those
//! links, each peer within its budgets:
//!
//! - at most [`MAX_LINKS_PER_PEER`] links open from one peer at once (an honest one needs
//!   one; a link past the cap is closed at once);
//! - at most `PeerConfig::max_inbound_per_peer` of its calls handled at once, across its
//!   links and the control protocol, the rest answered with a 429 at once
//!   ([`Shared::budget_of`]);
//! - a call counts as activity of a stranger's connection ([`Activity`]), as it did when calls
//!   went through the swarm's task.
//!
//! Core publications arrive on the same links as one-way frames, each a compact batch
//! (`peer/publications.rs`), within the same budget.
//!
//! The answer to a call is the same [`Shared::dispatch`] gives on any path: a peer learns
//! nothing new from the transport it uses.

use std::{collections::HashMap, sync::Arc};

use bytes::Bytes;
use futures::{future::BoxFuture, StreamExt};
use libp2p::PeerId;

use crate::{
	link::{self, Budget, Responder},
	protocol::{header, Message, MicroError, PROTOCOL},
	strangers::Activity,
};

use super::Shared;

/// Most links one peer may hold open here at once.
pub const MAX_LINKS_PER_PEER: usize = 4;

/// Answers the calls that arrive on links.
struct Calls {
	shared: Arc<Shared>,
	activity: Activity,
}

impl Responder for Calls {
	fn respond(&self, from: PeerId, request: Bytes) -> BoxFuture<'static, Bytes> {
		self.activity.touch(&from);
		let shared = self.shared.clone();
		Box::pin(async move { Bytes::from(shared.dispatch(from, Ok(request)).await.encode()) })
	}

	fn refuse(&self, _: PeerId, _: &Bytes, budget: usize) -> Bytes {
		Bytes::from(too_many_calls(budget).encode())
	}

	fn receive(&self, from: PeerId, message: Bytes) -> BoxFuture<'static, ()> {
		self.activity.touch(&from);
		let shared = self.shared.clone();
		Box::pin(async move { shared.receive_one_way(from, &message).await })
	}
}

/// The answer to a call past its peer's budget of `budget` calls at once.
pub(super) fn too_many_calls(budget: usize) -> Message {
	let error = MicroError::new(
		PROTOCOL,
		429,
		format!("too many calls in flight from this peer: at most {budget} at once"),
	);
	Message::new(Vec::new()).with(header::ERROR, &error.to_json())
}

/// Serves the links other peers open here until the peer stops.
pub(super) async fn accept(
	shared: Arc<Shared>,
	activity: Activity,
	mut incoming: libp2p_stream::IncomingStreams,
) {
	let responder: Arc<dyn Responder> = Arc::new(Calls { shared: shared.clone(), activity });
	let max_payload = shared.config.limits.max_frame;
	let mut open: HashMap<PeerId, Arc<tokio::sync::Semaphore>> = HashMap::new();
	while let Some((from, stream)) = incoming.next().await {
		if open.len() >= 1024 {
			open.retain(|_, links| links.available_permits() < MAX_LINKS_PER_PEER);
		}
		let links = open
			.entry(from)
			.or_insert_with(|| Arc::new(tokio::sync::Semaphore::new(MAX_LINKS_PER_PEER)));
		let Ok(permit) = links.clone().try_acquire_owned() else {
			log::debug!(target: "mucp", "peer {from} opened too many links: one closed");
			drop(stream);
			continue;
		};
		let serving = link::serve(
			stream,
			from,
			responder.clone(),
			shared.budget_of(&from),
			max_payload,
			futures::future::pending(),
		);
		tokio::spawn(async move {
			serving.await;
			drop(permit);
		});
	}
}

impl Shared {
	/// Takes a one-way message from `from`: only core publications travel so, as a compact
	/// batch (`peer/publications.rs`); a record refused is skipped, a malformed batch dropped
	/// from where it breaks (nothing answers a one-way message), and the link stays open.
	async fn receive_one_way(self: &Arc<Self>, from: PeerId, frame: &[u8]) {
		if let Err(error) = self.receive_core_batch(from, frame).await {
			log::debug!(target: "mucp", "core publications from {from} refused: {}", error.detail);
		}
	}

	/// The budget of calls `peer` may have handled here at once, on every path.
	pub(super) fn budget_of(&self, peer: &PeerId) -> Budget {
		let mut budgets = self.budgets.lock().expect("not poisoned");
		if budgets.len() >= 1024 && !budgets.contains_key(peer) {
			budgets.retain(|_, budget| !budget.is_unused());
		}
		budgets
			.entry(*peer)
			.or_insert_with(|| Budget::new(self.config.max_inbound_per_peer))
			.clone()
	}

	/// Forgets what is kept for `peer` once it has disconnected: its link, and its budget
	/// unless calls of its are still running.
	pub(super) fn disconnected(&self, peer: &PeerId) {
		self.links.forget(peer);
		let mut budgets = self.budgets.lock().expect("not poisoned");
		if budgets.get(peer).is_some_and(Budget::is_unused) {
			budgets.remove(peer);
		}
	}
}

#[cfg(test)]
mod tests {
	use std::time::{Duration, Instant};

	use super::super::{tests::echo, Multiaddr, Peer, PeerConfig};

	/// Far more bytes in flight on one link than yamux's windows hold, both ways at once:
	/// with the stream read and written from two tasks this stalled for good (a lost
	/// wake-up in yamux); one task per link drives it.
	#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
	async fn many_large_calls_in_flight_on_one_link_are_all_answered() {
		let dir = tempfile::tempdir().unwrap();
		let config = |name: &str, bootstrap: Vec<Multiaddr>| {
			let mut config = PeerConfig::new(dir.path().join(name));
			config.authority = crate::authority::trust_all();
			config.bootstrap = bootstrap;
			config.max_inbound_per_peer = 256;
			config
		};
		let server = Peer::start(config("server.redb", Vec::new())).await.unwrap();
		server.serve(echo()).unwrap();
		let client = Peer::start(config("client.redb", server.addresses())).await.unwrap();
		let deadline = Instant::now() + Duration::from_secs(20);
		while client.service("echo").is_empty() {
			assert!(Instant::now() < deadline, "the client never heard of echo");
			tokio::time::sleep(Duration::from_millis(20)).await;
		}
		let body = vec![7u8; 64 * 1024];
		let calls = (0..128).map(|_| client.call("echo", "Echo.Call", body.clone()));
		for reply in futures::future::join_all(calls).await {
			assert!(reply.unwrap().body == body);
		}
	}
}
