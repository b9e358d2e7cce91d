//! The host a node's services get: their calls and publishes go over MUCP through the node's
//! peer, charged to the guest call that makes them ([`CallBudget`]): no deeper than
//! [`MAX_DEPTH`], within the calling guest's deadline, and carrying its caller's allowance, so
//! a stranger's free call cannot fan out on this node's free quota.

use std::{
	sync::{Arc, Weak},
	time::{Duration, Instant},
};

use crate::{
	executor::{CallBudget, Host, DEPTH_HEADER, MAX_DEPTH},
	peer::{CallOptions, Peer},
	protocol::{Message, MicroError},
	settlement::ALLOWANCE_HEADER,
};

/// The host a node's services get: calls and publishes go over MUCP through `peer`. The
/// executor runs a call on a blocking thread, where this waits on `runtime` for the answer.
/// Once the peer is gone, calls and publishes fail with a 503.
pub struct PeerHost {
	peer: Weak<Peer>,
	runtime: tokio::runtime::Handle,
}

impl PeerHost {
	/// A host reaching the network through `peer`, waiting on `runtime`.
	pub fn new(peer: &Arc<Peer>, runtime: tokio::runtime::Handle) -> Self {
		Self { peer: Arc::downgrade(peer), runtime }
	}

	fn peer(&self) -> Result<Arc<Peer>, MicroError> {
		self.peer.upgrade().ok_or_else(|| MicroError::new("", 503, "the node is shutting down"))
	}
}

impl PeerHost {
	/// Checks a nested call against the budget of the guest call making it; returns the
	/// budget and how long the nested call may take.
	fn budget(&self, peer: &Peer, what: &str) -> Result<(CallBudget, Duration), MicroError> {
		let budget = CallBudget::current().unwrap_or(CallBudget {
			depth: 0,
			deadline: None,
			allowance: None,
			caller: None,
			id: String::new(),
		});
		if budget.depth >= MAX_DEPTH {
			return Err(MicroError::new(
				&budget.id,
				508,
				format!("{what}: nested calls go at most {MAX_DEPTH} deep"),
			));
		}
		let left = match budget.deadline {
			Some(deadline) => deadline.saturating_duration_since(Instant::now()),
			None => peer.call_options().timeout,
		};
		if left.is_zero() {
			return Err(MicroError::timeout(
				&budget.id,
				format!("{what}: the calling service's deadline passed"),
			));
		}
		Ok((budget, left))
	}
}

impl Host for PeerHost {
	fn call(&self, service: &str, endpoint: &str, body: &[u8]) -> Result<Vec<u8>, MicroError> {
		let peer = self.peer()?;
		let what = format!("calling {service}.{endpoint}");
		let (budget, left) = self.budget(&peer, &what)?;
		let own = peer.id().to_string();
		let from_operator = budget.caller.as_deref().is_none_or(|caller| caller == own);
		if budget.allowance.is_none() && !from_operator {
			return Err(MicroError::new(
				&budget.id,
				402,
				format!(
					"{what}: a service called from another node calls on only with its \
					 caller's allowance ({}); this node's free quota does not pay for it",
					ALLOWANCE_HEADER
				),
			));
		}
		let mut request = Message::call(
			&format!("{}/{}", budget.id, budget.depth + 1),
			service,
			endpoint,
			body.to_vec(),
		);
		request.set(DEPTH_HEADER, &(budget.depth + 1).to_string());
		if let Some(allowance) = &budget.allowance {
			request.set(ALLOWANCE_HEADER, allowance);
		}
		let options = CallOptions { timeout: left, ..peer.call_options() };
		let id = budget.id;
		self.runtime
			.block_on(async move {
				tokio::time::timeout(left, peer.call_with(request, options)).await.map_err(
					|_| {
						MicroError::timeout(
							&id,
							format!("{what}: not answered within the calling service's deadline"),
						)
					},
				)?
			})
			.map(|reply| reply.body)
	}

	fn publish(&self, topic: &str, body: &[u8]) -> Result<(), MicroError> {
		let peer = self.peer()?;
		let what = format!("publishing to {topic}");
		let (budget, left) = self.budget(&peer, &what)?;
		self.runtime
			.block_on(async move {
				tokio::time::timeout(left, peer.publish(topic, body.to_vec())).await.map_err(
					|_| {
						MicroError::timeout(
							&budget.id,
							format!("{what}: not done within the calling service's deadline"),
						)
					},
				)?
			})
			.map(|_| ())
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::{
		executor::{tests::executor, tests::guest, Deployment},
		hosting::wasm_service,
	};

	/// Calls `loop`'s `Loop.Go` (itself, when served as `loop`) and answers what it answered, or
	/// fails with its error.
	fn recursive() -> Vec<u8> {
		guest(
			r#"(local.set $len (call $call (i32.const 0) (i32.const 4) (i32.const 16) (i32.const 7)
			     (i32.const 32) (i32.const 2)))
			   (if (i32.lt_s (local.get $len) (i32.const 0))
			     (then
			       (call $take (i32.const 2000))
			       (call $fail (i32.sub (i32.const 0) (local.get $len)) (i32.const 2000)
			         (i32.const 200))
			       (return (i32.const 1))))"#,
		)
	}

	async fn peer_serving(dir: &tempfile::TempDir, wasm: &[u8]) -> (Arc<Peer>, Arc<PeerHost>) {
		use crate::{peer::Service, registry::Endpoint};
		let peer =
			crate::peer::Peer::start(crate::peer::PeerConfig::new(dir.path().join("b.redb")))
				.await
				.unwrap();
		let peer = Arc::new(peer);
		let host = Arc::new(PeerHost::new(&peer, tokio::runtime::Handle::current()));
		let executor = Arc::new(executor(None));
		let hash = executor.load(wasm, None).unwrap();
		let deployment = Arc::new(Deployment::new("loop", executor, host.clone(), 1 << 10));
		deployment.start(1, hash).unwrap();
		let endpoint = |name: &str| Endpoint::new(name, "Request", "Response");
		peer.serve(wasm_service(deployment, "1", vec![endpoint("Loop.Go")])).unwrap();
		let headers = Service::new("headers", "1")
			.call(endpoint("Headers.Show"), |request: crate::protocol::Message| async move {
				let shown = [DEPTH_HEADER, crate::settlement::ALLOWANCE_HEADER]
					.map(|name| request.header(name).unwrap_or("-").to_owned());
				Ok(shown.join(" ").into_bytes())
			})
			.call(endpoint("Headers.Slow"), |_| async move {
				tokio::time::sleep(Duration::from_secs(30)).await;
				Ok(Vec::new())
			});
		peer.serve(headers).unwrap();
		(peer, host)
	}

	#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
	async fn a_guest_calling_itself_stops_at_the_depth_limit() {
		let dir = tempfile::tempdir().unwrap();
		let (peer, _host) = peer_serving(&dir, &recursive()).await;
		let error = peer.call("loop", "Loop.Go", b"{}".to_vec()).await.unwrap_err();
		assert_eq!(error.code, 508, "{error:?}");
		assert!(
			error.detail.starts_with("calling loop.Loop.Go: nested calls go at most 4 deep"),
			"{}",
			error.detail
		);
		// A call claiming to be deeper than the limit is refused before any guest runs.
		let deep = crate::protocol::Message::call("deep", "loop", "Loop.Go", b"{}".to_vec())
			.with(DEPTH_HEADER, "5");
		let error = peer.call_with(deep, peer.call_options()).await.unwrap_err();
		assert_eq!(
			(error.code, error.detail.as_str()),
			(508, "nested calls go at most 4 deep; this one is 5 deep")
		);
	}

	#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
	async fn nested_calls_are_charged_to_the_calling_guest() {
		let dir = tempfile::tempdir().unwrap();
		let (peer, host) = peer_serving(&dir, &guest("")).await;
		let budget = |caller: &str, allowance: Option<&str>, left: Duration| CallBudget {
			depth: 1,
			deadline: Some(Instant::now() + left),
			allowance: allowance.map(str::to_owned),
			caller: Some(caller.to_owned()),
			id: "outer".into(),
		};
		let stranger = libp2p::identity::Keypair::generate_ed25519().public().to_peer_id();
		let own = peer.id().to_string();
		let nested = move |budget: CallBudget, endpoint: &'static str| {
			let host = host.clone();
			tokio::task::spawn_blocking(move || {
				let started = Instant::now();
				let outcome = budget.enter(|| host.call("headers", endpoint, b"{}"));
				(outcome, started.elapsed())
			})
		};
		// The caller's allowance travels with the nested call, one level deeper.
		let (shown, _) = nested(
			budget(&stranger.to_string(), Some("sig"), Duration::from_secs(5)),
			"Headers.Show",
		)
		.await
		.unwrap();
		assert_eq!(shown.unwrap(), b"2 sig");
		// A stranger's free call does not spend this node's free quota on nested calls.
		let (refused, _) =
			nested(budget(&stranger.to_string(), None, Duration::from_secs(5)), "Headers.Show")
				.await
				.unwrap();
		let refused = refused.unwrap_err();
		assert_eq!(refused.code, 402, "{refused:?}");
		// The operator's own call may.
		let (own_call, _) =
			nested(budget(&own, None, Duration::from_secs(5)), "Headers.Show").await.unwrap();
		assert_eq!(own_call.unwrap(), b"2 -");
		// A nested call waits no longer than the calling guest's own deadline.
		let (slow, waited) =
			nested(budget(&own, None, Duration::from_millis(300)), "Headers.Slow").await.unwrap();
		assert_eq!(slow.unwrap_err().code, 408);
		assert!(waited < Duration::from_secs(3), "waited {waited:?}");
	}
}
