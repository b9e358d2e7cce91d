//! Streams: [`MicroStream`], one end of a stream (messages both ways, each its own envelope);
//! [`Peer::stream`] opens one to a service (in memory if it runs on this node, else on a libp2p
//! substream), and [`accept`] serves those other peers open, each peer within its budget of
//! open streams.

use std::{collections::HashMap, panic::AssertUnwindSafe, sync::Arc, time::Duration};

use futures::{AsyncReadExt, AsyncWriteExt, FutureExt, StreamExt};
use libp2p::PeerId;
use prost::Message as _;
use tokio::sync::mpsc;

use crate::{
	protocol::{header, Form, Limits, Message, MicroError, PROTOCOL},
	registry,
	transport::{read_frame, write_frame, STREAM_PROTOCOL},
};

use super::{calls::Attempt, Peer, Shared};

/// What one end of a stream receives: a message, or why a frame was refused. The same
/// channel type carries both directions, so two in-memory ends join without a relay.
type Received = Result<Message, MicroError>;

/// One end of a MUCP stream: messages both ways, each its own envelope with the stream's id.
pub struct MicroStream {
	id: String,
	service: String,
	endpoint: String,
	sent: u64,
	outgoing: Option<mpsc::Sender<Received>>,
	incoming: mpsc::Receiver<Received>,
}

impl MicroStream {
	/// `Micro-Stream`: the stream's id.
	pub fn id(&self) -> &str {
		&self.id
	}

	/// Sends `body` to the other end.
	pub async fn send(&mut self, body: impl Into<Vec<u8>>) -> Result<(), MicroError> {
		self.sent += 1;
		let message = Message::stream(
			&format!("{}-{}", self.id, self.sent),
			&self.id,
			&self.service,
			&self.endpoint,
			body,
		);
		self.send_message(message).await
	}

	/// Sends `message` as it is.
	pub async fn send_message(&mut self, message: Message) -> Result<(), MicroError> {
		let closed = || MicroError::new(&self.id, 499, "the stream is closed");
		let outgoing = self.outgoing.as_ref().ok_or_else(closed)?;
		outgoing.send(Ok(message)).await.map_err(|_| closed())
	}

	/// The next message from the other end; an `Err` if it sent a `Micro-Error` or a
	/// malformed frame, `None` once it finished sending.
	pub async fn recv(&mut self) -> Option<Result<Message, MicroError>> {
		let next = self.incoming.recv().await?;
		Some(next.and_then(|message| match message.error() {
			Some(Ok(error)) | Some(Err(error)) => Err(error),
			None => Ok(message),
		}))
	}

	/// Finishes sending; the other end's [`recv`](Self::recv) then ends. Receiving goes on.
	pub fn finish(&mut self) {
		self.outgoing = None;
	}

	/// Two ends joined in memory, for a stream to a service on this same node.
	fn pair(id: &str, service: &str, endpoint: &str) -> (Self, Self) {
		let (to_server, from_client) = mpsc::channel(64);
		let (to_client, from_server) = mpsc::channel(64);
		let end = |outgoing, incoming| Self {
			id: id.to_owned(),
			service: service.to_owned(),
			endpoint: endpoint.to_owned(),
			sent: 0,
			outgoing: Some(outgoing),
			incoming,
		};
		(end(to_server, from_server), end(to_client, from_client))
	}

	/// An end over a libp2p substream: one task reads frames, one writes them.
	fn over(stream: libp2p::Stream, opening: &Message, limits: Limits) -> Self {
		let (mut reader, mut writer) = stream.split();
		let (outgoing, mut to_write) = mpsc::channel::<Received>(64);
		let (deliver, incoming) = mpsc::channel(64);
		tokio::spawn(async move {
			// `send_message` only ever sends `Ok`.
			while let Some(Ok(message)) = to_write.recv().await {
				if write_frame(&mut writer, &message.encode()).await.is_err() {
					return;
				}
			}
			let _ = writer.close().await;
		});
		tokio::spawn(async move {
			loop {
				let next = match read_frame(&mut reader, limits.max_frame).await {
					Err(_) => return,
					Ok(Err(error)) => Err(error),
					Ok(Ok(frame)) => Message::decode(&frame, &limits).map(|(message, _)| message),
				};
				if deliver.send(next).await.is_err() {
					return;
				}
			}
		});
		Self {
			id: opening.header(header::STREAM).unwrap_or_default().to_owned(),
			service: opening.header(header::SERVICE).unwrap_or_default().to_owned(),
			endpoint: opening.header(header::ENDPOINT).unwrap_or_default().to_owned(),
			sent: 0,
			outgoing: Some(outgoing),
			incoming,
		}
	}
}

impl Shared {
	/// Serves one inbound stream: reads its opening message, answers it (an empty reply, or
	/// the error), and hands the stream to its handler.
	async fn serve_stream(self: Arc<Self>, mut stream: libp2p::Stream) {
		let limits = self.config.limits;
		let opening = tokio::time::timeout(
			Duration::from_secs(10),
			read_frame(&mut stream, limits.max_frame),
		)
		.await;
		let frame = match opening {
			Ok(Ok(Ok(frame))) => frame,
			Ok(Ok(Err(error))) => {
				let reply = Message::new(Vec::new()).with(header::ERROR, &error.to_json());
				let _ = write_frame(&mut stream, &reply.encode()).await;
				return;
			}
			_ => return,
		};
		let opening = match Message::decode(&frame, &limits) {
			Ok((opening, Form::Stream { service, endpoint, .. })) => {
				match self.handler(&service, &endpoint, |s| &s.streams) {
					Ok(handler) => Ok((opening, handler)),
					Err(error) => Err((Some(opening), error)),
				}
			}
			Ok((opening, _)) => Err((
				Some(opening),
				MicroError::bad_request(PROTOCOL, "a stream opens with a `Micro-Stream` message"),
			)),
			Err(error) => Err((None, error)),
		};
		match opening {
			Ok((opening, handler)) => {
				if write_frame(&mut stream, &Message::reply_to(&opening, Vec::new()).encode())
					.await
					.is_err()
				{
					return;
				}
				let end = MicroStream::over(stream, &opening, limits);
				let _ = AssertUnwindSafe(handler(opening, end)).catch_unwind().await;
			}
			Err((opening, error)) => {
				let reply = match opening {
					Some(opening) => Message::error_reply(&opening, &error),
					None => Message::new(Vec::new()).with(header::ERROR, &error.to_json()),
				};
				let _ = write_frame(&mut stream, &reply.encode()).await;
				let _ = stream.close().await;
			}
		}
	}
}

/// Accepts the streams other peers open to this one, serving each on its own task.
pub(super) async fn accept(shared: Arc<Shared>, mut incoming: libp2p_stream::IncomingStreams) {
	// Each peer may hold a bounded number of streams open here; one past it is
	// closed at once. Peers with none open are forgotten as the map grows.
	let budget = shared.config.max_inbound_streams_per_peer;
	let mut open: HashMap<PeerId, Arc<tokio::sync::Semaphore>> = HashMap::new();
	while let Some((from, mut stream)) = incoming.next().await {
		if open.len() >= 1024 {
			open.retain(|_, streams| streams.available_permits() < budget);
		}
		let streams =
			open.entry(from).or_insert_with(|| Arc::new(tokio::sync::Semaphore::new(budget)));
		let Ok(permit) = streams.clone().try_acquire_owned() else {
			tokio::spawn(async move { refuse_stream(&mut stream, budget).await });
			continue;
		};
		let serving = shared.clone().serve_stream(stream);
		tokio::spawn(async move {
			serving.await;
			drop(permit);
		});
	}
}

/// Answers a stream past its peer's budget with a 429 and closes it.
async fn refuse_stream(stream: &mut libp2p::Stream, budget: usize) {
	let error = MicroError::new(
		PROTOCOL,
		429,
		format!("too many streams open from this peer: at most {budget} at once"),
	);
	let reply = Message::new(Vec::new()).with(header::ERROR, &error.to_json());
	let _ =
		tokio::time::timeout(Duration::from_secs(1), write_frame(stream, &reply.encode())).await;
	let _ = stream.close().await;
}

impl Peer {
	/// Opens a stream to `service`'s `endpoint` on a node the registry lists, trying other
	/// nodes if one cannot be reached.
	pub async fn stream(&self, service: &str, endpoint: &str) -> Result<MicroStream, MicroError> {
		let name = format!("{service}.{endpoint}");
		let stream_id = self.shared.unique_id();
		let opening =
			Message::stream(&format!("{stream_id}-0"), &stream_id, service, endpoint, Vec::new());
		let (opening, name) = (&opening, name.as_str());
		let retries = self.shared.config.retries;
		self.on_some_node(service, name, retries, |node| async move {
			let outcome = if node.id == self.shared.local.to_string() {
				self.local_stream(opening, service, endpoint)
			} else {
				self.remote_stream(&node, opening, name).await
			};
			match outcome {
				Ok(stream) => Attempt::Answered(Ok(stream)),
				Err(error) if error.code == 503 || error.code == 408 => Attempt::Failed(error),
				Err(error) => Attempt::Refused(error),
			}
		})
		.await
	}

	fn local_stream(
		&self,
		opening: &Message,
		service: &str,
		endpoint: &str,
	) -> Result<MicroStream, MicroError> {
		let handler = self.shared.handler(service, endpoint, |s| &s.streams)?;
		let stream_id = opening.header(header::STREAM).unwrap_or_default();
		let (client, server) = MicroStream::pair(stream_id, service, endpoint);
		let opening = opening.clone();
		tokio::spawn(async move {
			let _ = AssertUnwindSafe(handler(opening, server)).catch_unwind().await;
		});
		Ok(client)
	}

	async fn remote_stream(
		&self,
		node: &registry::Node,
		opening: &Message,
		name: &str,
	) -> Result<MicroStream, MicroError> {
		let unreachable = |detail: String| MicroError::new(name, 503, detail);
		let peer = self.shared.peer_of(node, name)?;
		let timeout = self.shared.config.call_timeout;
		let mut control = self.control.clone();
		let limits = self.shared.config.limits;
		let open = async {
			let mut stream = control
				.open_stream(peer, STREAM_PROTOCOL)
				.await
				.map_err(|e| unreachable(format!("node {peer}: {e}")))?;
			write_frame(&mut stream, &opening.encode())
				.await
				.map_err(|e| unreachable(format!("node {peer}: {e}")))?;
			let answer = read_frame(&mut stream, limits.max_frame)
				.await
				.map_err(|e| unreachable(format!("node {peer}: {e}")))??;
			let envelope = crate::protocol::Envelope::decode(answer.as_slice())
				.map_err(|e| unreachable(format!("node {peer} sent a malformed answer: {e}")))?;
			let answer = Message::from_envelope(envelope, &limits)?;
			match answer.error() {
				Some(Ok(error)) | Some(Err(error)) => Err(error),
				None => Ok(stream),
			}
		};
		let stream = tokio::time::timeout(timeout, open).await.map_err(|_| {
			MicroError::timeout(name, format!("node {peer} did not open the stream in {timeout:?}"))
		})??;
		Ok(MicroStream::over(stream, opening, limits))
	}
}
