//! Calls. Out: [`Peer::call_with`] sends a call to a node running the service, as the
//! selector picks it, and tries another when one fails in transport or no longer runs it (but
//! not after a timeout, when the call may have run). In: [`Shared::dispatch`] answers a call
//! that arrived (or one to this node's own service) with its service's handler, within the
//! caller's deadline; the registry's sync and the broker's deliveries are answered here too.

use std::{
	future::Future,
	panic::AssertUnwindSafe,
	sync::Arc,
	time::{Duration, Instant},
};

use futures::FutureExt;
use libp2p::PeerId;

use crate::{
	link::LinkError,
	protocol::{header, Form, Message, MicroError, PROTOCOL},
	registry,
	selector::placed_nodes,
};

use super::{
	gossip::{REGISTRY_SERVICE, REGISTRY_SYNC},
	pubsub::{BROKER_DELIVER, BROKER_SERVICE},
	CallOptions, Peer, Shared,
};

/// What one attempt on one node came to.
pub(super) enum Attempt<T> {
	/// The node answered (with a result or the service's own error): it is healthy.
	Answered(Result<T, MicroError>),
	/// Refused before the node could be judged: returned as it is.
	Refused(MicroError),
	/// The node could not serve it: avoid it and try another.
	Failed(MicroError),
	/// The node may have run it but no answer came (a timeout once the request was sent): avoid
	/// the node, and return the error rather than run the call again elsewhere, where the
	/// per-node replay cache cannot tell it is a retry and the caller would pay twice.
	Unanswered(MicroError),
}

impl Peer {
	/// The default options of a call: the configured timeout and retries.
	pub fn call_options(&self) -> CallOptions {
		CallOptions {
			timeout: self.shared.config.call_timeout,
			retries: self.shared.config.retries,
		}
	}

	/// Calls `service`'s `endpoint` with `body`, on a node the registry lists, with the
	/// configured timeout and retries.
	pub async fn call(
		&self,
		service: &str,
		endpoint: &str,
		body: impl Into<Vec<u8>>,
	) -> Result<Message, MicroError> {
		let request = Message::call(&self.shared.unique_id(), service, endpoint, body);
		self.call_with(request, self.call_options()).await
	}

	/// Sends `request` (a call message) as `options` say. A node that fails in transport,
	/// does not answer in time or no longer runs the service is avoided for a while and the
	/// call goes to another; an error the service itself answers is returned as it is.
	pub async fn call_with(
		&self,
		request: Message,
		options: CallOptions,
	) -> Result<Message, MicroError> {
		let Form::Call { service, endpoint } = request.form()? else {
			return Err(MicroError::bad_request(PROTOCOL, "not a call: it has a stream or topic"));
		};
		// The server learns how long each attempt waits, and stops (and charges nothing) past
		// it; every retry sends this frame, with the same `Micro-Id`.
		let mut request = request;
		if request.timeout().is_none_or(|wait| wait > options.timeout) {
			request.set_timeout(options.timeout);
		}
		let frame = request.encode();
		if frame.len() > self.shared.config.limits.max_frame {
			return Err(MicroError::too_large(
				PROTOCOL,
				format!(
					"request of {} bytes exceeds the limit of {}",
					frame.len(),
					self.shared.config.limits.max_frame
				),
			));
		}
		let name = format!("{service}.{endpoint}");
		let (frame, name) = (&frame, name.as_str());
		self.on_some_node(&service, name, options.retries, |node| async move {
			let outcome = if node.id == self.shared.local_id {
				Ok(self.shared.clone().dispatch(self.shared.local, Ok(frame.as_slice())).await)
			} else {
				self.remote_call(&node, frame, options.timeout, name).await
			};
			match outcome {
				Err(error) if error.code == 408 => Attempt::Unanswered(error),
				Err(error) => Attempt::Failed(error),
				Ok(reply) => match reply.error() {
					None => Attempt::Answered(Ok(reply)),
					// Not served: the service is not running there, or this caller is over its
					// budget of calls there. Safe to run elsewhere.
					Some(Ok(error))
						if (error.code == 503 && error.id == name)
							|| (error.code == 429 && error.id == PROTOCOL) =>
					{
						Attempt::Failed(error)
					}
					Some(Ok(error)) | Some(Err(error)) => Attempt::Answered(Err(error)),
				},
			}
		})
		.await
	}

	/// Tries `attempt` on the nodes running `service` (`name` is `service.endpoint`), one
	/// after another as the selector picks them, until one answers or `retries` more have
	/// failed. The selector learns from each attempt.
	pub(super) async fn on_some_node<T, F, Fut>(
		&self,
		service: &str,
		name: &str,
		retries: usize,
		mut attempt: F,
	) -> Result<T, MicroError>
	where
		F: FnMut(registry::Node) -> Fut,
		Fut: Future<Output = Attempt<T>>,
	{
		let nodes = self.nodes_running(service);
		if nodes.is_empty() {
			return Err(MicroError::not_found(name, format!("no node runs service `{service}`")));
		}
		let mut tried = Vec::new();
		let mut last_error = None;
		for _ in 0..=retries {
			let Some(node) = self.pick(service, &nodes, &tried) else { break };
			tried.push(node.id.clone());
			let id = node.id.clone();
			match attempt(node).await {
				Attempt::Answered(result) => {
					self.shared.selector.lock().expect("not poisoned").succeeded(&id, service);
					return result;
				}
				Attempt::Refused(error) => return Err(error),
				Attempt::Unanswered(error) => {
					let mut selector = self.shared.selector.lock().expect("not poisoned");
					selector.failed(&id, service, Instant::now());
					return Err(error);
				}
				Attempt::Failed(error) => {
					let mut selector = self.shared.selector.lock().expect("not poisoned");
					selector.failed(&id, service, Instant::now());
					last_error = Some(error);
				}
			}
		}
		Err(last_error.unwrap_or_else(|| {
			MicroError::new(name, 503, format!("no node of `{service}` is left to try"))
		}))
	}

	/// The nodes running any live version of `service` that the chain places it on (and this
	/// node, if it runs it), each once.
	fn nodes_running(&self, service: &str) -> Vec<registry::Node> {
		let running =
			self.shared.registry.lock().expect("not poisoned").nodes_of(service, Instant::now());
		let local = self.shared.ids.name(&self.shared.local);
		placed_nodes(
			service,
			running,
			&local,
			|id| self.shared.ids.parse(id),
			self.shared.config.authority.as_ref(),
		)
	}

	fn pick(
		&self,
		service: &str,
		nodes: &[registry::Node],
		tried: &[String],
	) -> Option<registry::Node> {
		let mut selector = self.shared.selector.lock().expect("not poisoned");
		selector.next(service, nodes, tried, Instant::now()).cloned()
	}

	/// Sends `frame` to `node` on this peer's link to it (opened now if there is none) and
	/// waits up to `timeout` for the answer.
	async fn remote_call(
		&self,
		node: &registry::Node,
		frame: &[u8],
		timeout: Duration,
		name: &str,
	) -> Result<Message, MicroError> {
		let unreachable = |detail: String| MicroError::new(name, 503, detail);
		let peer = self.shared.peer_of(node, name)?;
		let started = Instant::now();
		// Not reached in time: the request was never sent, so the call may go elsewhere.
		let link = tokio::time::timeout(timeout, self.shared.links.to(peer))
			.await
			.map_err(|_| unreachable(format!("node {peer} could not be reached in {timeout:?}")))?
			.map_err(|e| unreachable(format!("node {peer}: {e}")))?;
		// Once the request may have reached the node, no answer is a 408 the caller gets back:
		// the call is not run again elsewhere, so it is never paid twice.
		let left = timeout.saturating_sub(started.elapsed());
		let answer = tokio::time::timeout(left, link.request(|b| b.extend_from_slice(frame)))
			.await
			.map_err(|_| {
				MicroError::timeout(
					name,
					format!(
						"node {peer} did not answer in {timeout:?}; the call may have run there, \
						 so it was not retried elsewhere"
					),
				)
			})?;
		let frame = match answer {
			Ok(frame) => frame,
			Err(LinkError::TooLarge { size, max }) => {
				return Err(MicroError::too_large(
					PROTOCOL,
					format!("request of {size} bytes exceeds the limit of {max}"),
				))
			}
			// The connection went down (the node died or dropped this one): an honest node
			// charges only what it answered, so the call moves on.
			Err(LinkError::Closed(why)) => return Err(unreachable(format!("node {peer}: {why}"))),
		};
		Message::decode_message(&frame, &self.shared.config.limits)
			.map_err(|e| unreachable(format!("node {peer} sent a malformed reply: {}", e.detail)))
	}
}

impl Shared {
	/// Answers a call that arrived from `from` (or from this node).
	pub(super) async fn dispatch(
		self: Arc<Self>,
		from: PeerId,
		request: Result<impl AsRef<[u8]>, MicroError>,
	) -> Message {
		let limits = self.config.limits;
		let bare_error =
			|error: &MicroError| Message::new(Vec::new()).with(header::ERROR, &error.to_json());
		let request = match request.and_then(|frame| Message::decode(frame.as_ref(), &limits)) {
			Ok((request, Form::Call { .. })) => request,
			Ok((request, _)) => {
				let error = MicroError::bad_request(
					PROTOCOL,
					"only calls travel on the call protocol: streams open a stream, publish \
					 goes to a topic",
				);
				return Message::error_reply(&request, &error);
			}
			Err(error) => return bare_error(&error),
		};
		let service = request.header(header::SERVICE).unwrap_or_default().to_owned();
		let endpoint = request.header(header::ENDPOINT).unwrap_or_default().to_owned();
		if service == REGISTRY_SERVICE && endpoint == REGISTRY_SYNC {
			return self.answer_sync(&from, &request);
		}
		if service == BROKER_SERVICE && endpoint == BROKER_DELIVER {
			let mode = crate::broker::DeliveryMode::of(&request);
			return match self.receive_publications(from, &request.body, mode).await {
				Ok(_) => Message::reply_to(&request, b"{}".to_vec()),
				Err(error) => Message::error_reply(&request, &error),
			};
		}
		let name = format!("{service}.{endpoint}");
		let handler = self.handler(&service, &endpoint, |s| &s.calls);
		let handler = match handler {
			Ok(handler) => handler,
			Err(error) => return Message::error_reply(&request, &error),
		};
		// The handler learns which node the call came from, as the transport authenticated
		// it: whatever the caller wrote there is overwritten.
		let mut request = request;
		request.set(crate::settlement::CALLER_HEADER, &self.ids.name(&from));
		// The handler runs no longer than its caller waits: it learns its budget in
		// `Micro-Timeout`, and is stopped when it is spent.
		let budget =
			crate::protocol::handler_budget(request.timeout(), self.config.handler_timeout);
		request.set_timeout(budget);
		// The handler takes the body; the reply is made from the headers kept here.
		let body = std::mem::take(&mut request.body);
		let mut given = request.clone();
		given.body = body;
		let run = AssertUnwindSafe(handler(given)).catch_unwind();
		match tokio::time::timeout(budget, run).await {
			Ok(Ok(Ok(body))) => Message::reply_to(&request, body),
			Ok(Ok(Err(error))) => Message::error_reply(&request, &error),
			Ok(Err(_)) => {
				Message::error_reply(&request, &MicroError::internal(&name, "the handler panicked"))
			}
			Err(_) => Message::error_reply(
				&request,
				&MicroError::timeout(&name, "the handler did not finish in time"),
			),
		}
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::peer::tests::{echo, lone_peer};

	#[tokio::test]
	async fn bad_requests_get_precise_errors_and_nothing_else_breaks() {
		let dir = tempfile::tempdir().unwrap();
		let peer = lone_peer(&dir).await;
		peer.serve(echo()).unwrap();
		let too_big = peer.call("echo", "Echo.Call", vec![0x0a; 4096]).await.unwrap_err();
		assert_eq!(too_big.code, 413);
		let shared = peer.shared.clone();
		let local = peer.id();
		let garbage = shared.clone().dispatch(local, Ok(vec![0xff, 0xff, 0xff])).await;
		let error = garbage.error().unwrap().unwrap();
		assert_eq!(error.code, 400);
		assert!(error.detail.starts_with("malformed envelope"), "{error:?}");
		let stream_message = Message::stream("1", "s", "echo", "Echo.Call", Vec::new());
		let refused = shared.clone().dispatch(local, Ok(stream_message.encode())).await;
		assert_eq!(refused.error().unwrap().unwrap().code, 400);
		assert_eq!(refused.id(), Some("1"), "the error answers its request");
		let elsewhere = Message::call("2", "other", "Any.Thing", Vec::new());
		let not_here = shared.clone().dispatch(local, Ok(elsewhere.encode())).await;
		let error = not_here.error().unwrap().unwrap();
		assert_eq!((error.code, error.id.as_str()), (503, "other.Any.Thing"));
		let not_json = Message::call("3", "echo", "Echo.Call", b"\x0a".to_vec())
			.with(header::CONTENT_TYPE, "text/plain");
		let unsupported = shared.dispatch(local, Ok(not_json.encode())).await;
		assert_eq!(unsupported.error().unwrap().unwrap().code, 415);
		let reply = peer.call("echo", "Echo.Call", b"\x0a\x00".to_vec()).await.unwrap();
		assert_eq!(reply.body, b"\x0a\x00", "the peer still serves");
	}
}
