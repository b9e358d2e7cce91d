//! Links: requests multiplexed over one persistent stream per peer and direction.
//!
//! A call used to open a new substream, negotiate its protocol (a whole round trip before the
//! first request byte), write its length and body as separate flushed frames, and close it. A
//! link pays for the substream and the negotiation once, then carries every request to that
//! peer, each under its own id:
//!
//! ```text
//! frame = length (u32, big endian, of what follows) · kind (u8) · id (u64, big endian) · payload
//! kind  = 1 request · 2 response · 3 one-way message (no response)
//! ```
//!
//! - **One stream per direction.** The peer that sends a request opens the link, and the
//!   responses come back on it; the other peer's requests travel on a link of its own. A
//!   reader therefore never waits on its own writer for a request it originated: the client
//!   side's reader only completes waiting callers, so the known libp2p-stream/yamux deadlock
//!   (both readers waiting on full writers) cannot form.
//! - **One write per batch.** Frames are encoded straight into the link's outgoing buffer; a
//!   writer task takes everything queued at once and writes it with one `write_all` and one
//!   flush, so under load many frames share one noise frame and one `send()`. Frames that
//!   came in one read are all taken before anything is written (while the outbox is under
//!   [`OUTBOX_HIGH_WATER`]), so the answers to a burst of requests that are ready by then go
//!   out in one write too, not in one write per request. Writes still come first between two
//!   reads, so a peer's requests cannot hold its answers back.
//! - **No task per request.** A served link runs its requests' futures in its own task, at
//!   most the peer's budget at once ([`Budget`]); one past it is answered at once with the
//!   responder's refusal (a 429), without running anything.
//! - **Bounded.** A frame over the payload limit closes the link (an honest peer checks its
//!   sizes before sending). The outgoing buffer is bounded: a served link whose peer does not
//!   read its responses stops reading that peer's requests ([`OUTBOX_HIGH_WATER`]), which
//!   stalls only that peer's writer.
//!
//! [`Links`] keeps one outbound link per peer, opened on first use over `libp2p-stream` and
//! opened again after it closes; [`serve`] answers one inbound link.

use std::{
	collections::HashMap,
	io,
	sync::{
		atomic::{AtomicBool, AtomicU64, Ordering},
		Arc, Mutex,
	},
};

use bytes::{Buf, BufMut, Bytes, BytesMut};
use futures::{
	future::BoxFuture,
	io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadHalf, WriteHalf},
	stream::FuturesUnordered,
	StreamExt,
};
use libp2p::{PeerId, StreamProtocol};
use tokio::sync::{oneshot, Notify, OwnedSemaphorePermit, Semaphore};

/// The protocol links are opened with. It stays `/1` across versions of what travels on it,
/// so calls and durable deliveries keep flowing between old and new nodes: a core batch
/// carries its own version byte (`peer/publications.rs`), and a receiver refuses, and counts,
/// one of another version (a node before compact batches sent a MUCP message instead).
pub const LINK_PROTOCOL: StreamProtocol = StreamProtocol::new("/micro/mucp/link/1");

/// Bytes before a frame's payload: its length, kind and id.
const FRAME_HEADER: usize = 4 + 1 + 8;
/// Most bytes the writer takes from the outgoing buffer for one write.
const MAX_WRITE: usize = 1 << 20;
/// Outgoing bytes past which a served link stops reading requests until they are written.
pub const OUTBOX_HIGH_WATER: usize = 4 << 20;
/// How much the reader asks for at a time.
const READ_CHUNK: usize = 64 * 1024;

/// What a frame carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Kind {
	/// A request, answered by a response with the same id.
	Request = 1,
	/// The answer to the request with the same id.
	Response = 2,
	/// A message that gets no answer.
	OneWay = 3,
}

impl Kind {
	fn from_byte(byte: u8) -> Option<Self> {
		match byte {
			1 => Some(Self::Request),
			2 => Some(Self::Response),
			3 => Some(Self::OneWay),
			_ => None,
		}
	}
}

/// Why a link could not carry a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LinkError {
	/// The link is closed (the connection went down, the peer closed it, or it broke a rule);
	/// a request written before it closed may have reached the peer.
	Closed(String),
	/// The payload is over the link's limit: nothing was sent.
	TooLarge { size: usize, max: usize },
}

impl std::fmt::Display for LinkError {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		match self {
			Self::Closed(why) => write!(f, "the link closed: {why}"),
			Self::TooLarge { size, max } => {
				write!(f, "a payload of {size} bytes is over the link's limit of {max}")
			}
		}
	}
}

/// One frame as read.
#[derive(Debug)]
struct Frame {
	kind: Kind,
	id: u64,
	payload: Bytes,
}

/// Reads frames, as many as one read brings, from a buffer filled in large reads.
struct FrameReader<R> {
	io: R,
	/// Bytes read and not yet parsed are `buffer[..filled]`; the rest is room to read into,
	/// zeroed once when the buffer grows rather than before every read.
	buffer: BytesMut,
	filled: usize,
	max_payload: usize,
}

impl<R: AsyncRead + Unpin> FrameReader<R> {
	fn new(io: R, max_payload: usize) -> Self {
		Self { io, buffer: BytesMut::new(), filled: 0, max_payload }
	}

	/// The next whole frame, `None` at a clean end of the stream. Cancel-safe: `filled`
	/// moves only once a read has returned.
	async fn next(&mut self) -> io::Result<Option<Frame>> {
		loop {
			if let Some(frame) = self.parse()? {
				return Ok(Some(frame));
			}
			if self.buffer.len() < self.filled + READ_CHUNK {
				self.buffer.resize(self.filled + READ_CHUNK, 0);
			}
			let read = self.io.read(&mut self.buffer[self.filled..]).await?;
			if read == 0 {
				return if self.filled == 0 {
					Ok(None)
				} else {
					Err(io::Error::new(io::ErrorKind::UnexpectedEof, "the link ended mid-frame"))
				};
			}
			self.filled += read;
		}
	}

	fn parse(&mut self) -> io::Result<Option<Frame>> {
		if self.filled < 4 {
			return Ok(None);
		}
		let length = u32::from_be_bytes(self.buffer[..4].try_into().expect("four bytes")) as usize;
		if length < FRAME_HEADER - 4 || length - (FRAME_HEADER - 4) > self.max_payload {
			return Err(io::Error::new(
				io::ErrorKind::InvalidData,
				format!(
					"a frame of {length} bytes (the limit is {} bytes of payload)",
					self.max_payload
				),
			));
		}
		if self.filled < 4 + length {
			// Room for the rest of a large frame, grown as its bytes arrive.
			if self.buffer.len() < 4 + length {
				self.buffer.resize((4 + length).min(self.filled + 16 * READ_CHUNK), 0);
			}
			return Ok(None);
		}
		// Checked before the frame is taken: a malformed frame stays where it is, so reading
		// it again gives the same error (see [`Wire::next`]).
		let kind = Kind::from_byte(self.buffer[4]).ok_or_else(|| {
			io::Error::new(io::ErrorKind::InvalidData, "a frame of an unknown kind")
		})?;
		let mut frame = self.buffer.split_to(4 + length);
		self.filled -= 4 + length;
		frame.advance(4 + 1);
		let id = frame.get_u64();
		Ok(Some(Frame { kind, id, payload: frame.freeze() }))
	}
}

/// A link's outgoing bytes: frames are encoded into it by whoever sends, and taken in one
/// piece by the writer task.
struct Outbox {
	state: Mutex<OutboxState>,
	/// Wakes the writer when bytes are queued or the link closes.
	queued: Notify,
	/// Wakes senders waiting for room ([`Link::room`]) when the writer takes bytes.
	taken: Notify,
	max_payload: usize,
}

struct OutboxState {
	buffer: BytesMut,
	closed: Option<String>,
}

impl Outbox {
	fn new(max_payload: usize) -> Arc<Self> {
		Arc::new(Self {
			state: Mutex::new(OutboxState { buffer: BytesMut::new(), closed: None }),
			queued: Notify::new(),
			taken: Notify::new(),
			max_payload,
		})
	}

	/// Queues one frame whose payload `write` puts in the buffer (at most `max_payload`
	/// bytes; more undoes the frame).
	fn push(
		&self,
		kind: Kind,
		id: u64,
		write: impl FnOnce(&mut BytesMut),
	) -> Result<(), LinkError> {
		let mut state = self.state.lock().expect("not poisoned");
		if let Some(why) = &state.closed {
			return Err(LinkError::Closed(why.clone()));
		}
		let start = state.buffer.len();
		state.buffer.put_u32(0);
		state.buffer.put_u8(kind as u8);
		state.buffer.put_u64(id);
		write(&mut state.buffer);
		let payload = state.buffer.len() - start - FRAME_HEADER;
		if payload > self.max_payload {
			state.buffer.truncate(start);
			return Err(LinkError::TooLarge { size: payload, max: self.max_payload });
		}
		let length = (payload + FRAME_HEADER - 4) as u32;
		state.buffer[start..start + 4].copy_from_slice(&length.to_be_bytes());
		let first = start == 0;
		drop(state);
		if first {
			self.queued.notify_one();
		}
		Ok(())
	}

	/// Whether [`OUTBOX_HIGH_WATER`] bytes or more wait to be written.
	fn is_full(&self) -> bool {
		self.holds(OUTBOX_HIGH_WATER)
	}

	/// Whether `bytes` or more wait to be written (never once the link is closed).
	fn holds(&self, bytes: usize) -> bool {
		let state = self.state.lock().expect("not poisoned");
		state.buffer.len() >= bytes && state.closed.is_none()
	}

	fn close(&self, why: &str) {
		let mut state = self.state.lock().expect("not poisoned");
		if state.closed.is_none() {
			state.closed = Some(why.to_owned());
		}
		drop(state);
		self.queued.notify_one();
		self.taken.notify_waiters();
	}

	/// Puts up to [`MAX_WRITE`] queued bytes in `batch` (empty, written); `false` once the
	/// link is closed and nothing is left to write. The written batch's buffer takes the next
	/// frames, so a busy link allocates (and faults in) no new buffer per write.
	fn take(&self, batch: &mut BytesMut) -> bool {
		let mut state = self.state.lock().expect("not poisoned");
		if state.buffer.is_empty() {
			return state.closed.is_none();
		}
		if state.buffer.len() <= MAX_WRITE {
			std::mem::swap(&mut state.buffer, batch);
			if state.buffer.capacity() > 2 * MAX_WRITE {
				state.buffer = BytesMut::new();
			}
		} else {
			*batch = state.buffer.split_to(MAX_WRITE);
		}
		drop(state);
		self.taken.notify_waiters();
		true
	}
}

/// Writes some of `batch` past its first `written` bytes (one `poll_write`), or flushes if it
/// is empty. Once all of it is written it is emptied, keeping its buffer.
async fn write_or_flush<W: AsyncWrite + Unpin>(
	writer: &mut W,
	batch: &mut BytesMut,
	written: &mut usize,
	unflushed: &mut bool,
) -> io::Result<()> {
	if batch.is_empty() {
		writer.flush().await?;
		*unflushed = false;
		return Ok(());
	}
	match writer.write(&batch[*written..]).await? {
		0 => Err(io::ErrorKind::WriteZero.into()),
		n => {
			*written += n;
			if *written >= batch.len() {
				batch.clear();
				*written = 0;
			}
			*unflushed = true;
			Ok(())
		}
	}
}

/// What a link's stream brought.
enum Event {
	/// A whole frame.
	Frame(Frame),
	/// The outbox has room again (only when reading was paused for it).
	Room,
	/// The peer closed its side of the stream: nothing more will be read. Frames queued are
	/// still written.
	Ended,
	/// The link is closed and everything queued is written: the stream is closed.
	Done,
}

/// A link's stream, read and written from ONE task. yamux streams polled from two tasks (a
/// reader and a writer, after `split`) can lose a wake-up and stall for good
/// (libp2p/rust-yamux#232, libp2p/rust-libp2p#5410): one task means one waker.
struct Wire<S> {
	reader: FrameReader<ReadHalf<S>>,
	writer: WriteHalf<S>,
	outbox: Arc<Outbox>,
	/// Bytes taken from the outbox, the first `written` of them written.
	batch: BytesMut,
	written: usize,
	/// Whether bytes were written since the last flush.
	unflushed: bool,
	/// Whether the peer has closed its side: nothing more is read.
	ended: bool,
}

impl<S: AsyncRead + AsyncWrite + Unpin> Wire<S> {
	fn new(io: S, outbox: Arc<Outbox>, max_payload: usize) -> Self {
		let (reader, writer) = io.split();
		Self {
			reader: FrameReader::new(reader, max_payload),
			writer,
			outbox,
			batch: BytesMut::new(),
			written: 0,
			unflushed: false,
			ended: false,
		}
	}

	/// Writes what is queued while waiting for the next frame. With `pause_when_full`,
	/// nothing is read while the outbox holds [`OUTBOX_HIGH_WATER`] bytes or more (it then
	/// returns [`Event::Room`] once it holds less). Cancel-safe: a write is one `poll_write`,
	/// and bytes read stay in the reader's buffer.
	async fn next(&mut self, pause_when_full: bool) -> io::Result<Event> {
		let paused = self.ended || (pause_when_full && self.outbox.is_full());
		loop {
			// Frames already read go before anything is taken to write: a burst of requests
			// that came in one read is answered in one write, not one write each. A malformed
			// frame is left for the read below, which meets it again once what is queued
			// (the answers to the requests before it) is written.
			if !paused {
				if let Ok(Some(frame)) = self.reader.parse() {
					return Ok(Event::Frame(frame));
				}
			}
			if self.batch.is_empty() && !self.outbox.take(&mut self.batch) {
				self.writer.flush().await?;
				self.writer.close().await?;
				return Ok(Event::Done);
			}
			if paused && !self.ended && !self.outbox.is_full() {
				return Ok(Event::Room);
			}
			let Self { reader, writer, outbox, batch, written, unflushed, ended } = self;
			let (writing, flushing) = (!batch.is_empty(), batch.is_empty() && *unflushed);
			tokio::select! {
				biased;
				// One write of what is queued, or, once nothing is, one flush: a burst goes
				// out in full frames.
				done = write_or_flush(writer, batch, written, unflushed), if writing || flushing => done?,
				frame = reader.next(), if !paused => {
					return Ok(match frame? {
						Some(frame) => Event::Frame(frame),
						None => {
							*ended = true;
							Event::Ended
						}
					});
				}
				_ = outbox.queued.notified(), if !writing && !flushing => {}
			}
		}
	}
}

/// Callers waiting for responses, by request id.
struct Waiting {
	callers: HashMap<u64, oneshot::Sender<Bytes>>,
	closed: Option<String>,
}

/// An outbound link: sends requests and one-way messages to one peer, and hands each response
/// to the caller waiting for it.
pub struct Link {
	outbox: Arc<Outbox>,
	waiting: Arc<Mutex<Waiting>>,
	next_id: AtomicU64,
	closed: Arc<AtomicBool>,
}

impl Link {
	/// Starts a link over `io` (a newly opened stream), taking responses of at most
	/// `max_payload` bytes. Its reader and writer run as tasks until the stream ends.
	pub fn open<S>(io: S, max_payload: usize) -> Self
	where
		S: AsyncRead + AsyncWrite + Send + Unpin + 'static,
	{
		let outbox = Outbox::new(max_payload);
		let waiting = Arc::new(Mutex::new(Waiting { callers: HashMap::new(), closed: None }));
		let closed = Arc::new(AtomicBool::new(false));
		let mut wire = Wire::new(io, outbox.clone(), max_payload);
		let (reading, closing) = (waiting.clone(), closed.clone());
		tokio::spawn(async move {
			let why = loop {
				// Responses are always read: completing a caller never waits on anything.
				match wire.next(false).await {
					Ok(Event::Frame(Frame { kind: Kind::Response, id, payload })) => {
						let caller = reading.lock().expect("not poisoned").callers.remove(&id);
						// A response nobody waits for any more (the caller gave up) is dropped.
						if let Some(caller) = caller {
							let _ = caller.send(payload);
						}
					}
					Ok(Event::Frame(_)) => {
						break "the peer sent a request on a link it did not open".into()
					}
					Ok(Event::Room) => {}
					Ok(Event::Ended) => break "the peer closed it".to_owned(),
					Ok(Event::Done) => break "closed by this peer".to_owned(),
					Err(error) => break error.to_string(),
				}
			};
			closing.store(true, Ordering::Release);
			wire.outbox.close(&why);
			{
				let mut waiting = reading.lock().expect("not poisoned");
				waiting.closed = Some(why);
				// Dropping the senders tells every waiting caller the link closed.
				waiting.callers.clear();
			}
			let _ = wire.writer.close().await;
		});
		Self { outbox, waiting, next_id: AtomicU64::new(1), closed }
	}

	/// Whether the link has closed: a new one must be opened.
	pub fn is_closed(&self) -> bool {
		self.closed.load(Ordering::Acquire)
	}

	/// Sends a request whose payload `write` encodes, and waits for its response. Dropping
	/// the future forgets the request: its response, if one comes, is thrown away.
	pub async fn request(&self, write: impl FnOnce(&mut BytesMut)) -> Result<Bytes, LinkError> {
		let id = self.next_id.fetch_add(1, Ordering::Relaxed);
		let (sender, response) = oneshot::channel();
		{
			let mut waiting = self.waiting.lock().expect("not poisoned");
			if let Some(why) = &waiting.closed {
				return Err(LinkError::Closed(why.clone()));
			}
			waiting.callers.insert(id, sender);
		}
		let forget = Forget { waiting: &self.waiting, id };
		self.outbox.push(Kind::Request, id, write)?;
		let answer = response.await;
		drop(forget);
		answer.map_err(|_| {
			let why = self.waiting.lock().expect("not poisoned").closed.clone();
			LinkError::Closed(why.unwrap_or_else(|| "the link closed".into()))
		})
	}

	/// Sends a request of `payload` and waits for its response.
	pub async fn request_bytes(&self, payload: &[u8]) -> Result<Bytes, LinkError> {
		self.request(|buffer| buffer.extend_from_slice(payload)).await
	}

	/// Waits while `queued` bytes or more wait to be written (returns at once once the link is
	/// closed): a sender that waits before each [`Link::send`] keeps the link's buffer
	/// bounded, at the pace the peer reads (with `queued` under a write's 1 MiB, the writer
	/// then takes the buffer whole and hands back the one it wrote: nothing is allocated).
	pub async fn room(&self, queued: usize) {
		loop {
			let taken = self.outbox.taken.notified();
			tokio::pin!(taken);
			taken.as_mut().enable();
			if !self.outbox.holds(queued) {
				return;
			}
			taken.await;
		}
	}

	/// Queues a one-way message whose payload `write` encodes.
	pub fn send(&self, write: impl FnOnce(&mut BytesMut)) -> Result<(), LinkError> {
		self.outbox.push(Kind::OneWay, 0, write)
	}

	/// Closes the link: callers still waiting get [`LinkError::Closed`].
	pub fn close(&self) {
		self.outbox.close("closed by this peer");
	}
}

impl Drop for Link {
	fn drop(&mut self) {
		self.close();
	}
}

/// Removes a caller from the waiting list when its request future ends either way.
struct Forget<'a> {
	waiting: &'a Mutex<Waiting>,
	id: u64,
}

impl Drop for Forget<'_> {
	fn drop(&mut self) {
		self.waiting.lock().expect("not poisoned").callers.remove(&self.id);
	}
}

/// What a served link does with what its peer sends.
pub trait Responder: Send + Sync + 'static {
	/// Answers a request from `from`.
	fn respond(&self, from: PeerId, request: Bytes) -> BoxFuture<'static, Bytes>;
	/// The answer to a request from `from` refused because `budget` of its requests (and
	/// one-way messages) are being handled already.
	fn refuse(&self, from: PeerId, request: &Bytes, budget: usize) -> Bytes;
	/// Handles a one-way message from `from`; dropped unanswered if over the budget.
	fn receive(&self, from: PeerId, message: Bytes) -> BoxFuture<'static, ()>;
}

/// How many of one peer's requests (and one-way messages) are handled at once, across all its
/// links.
#[derive(Clone, Debug)]
pub struct Budget {
	permits: Arc<Semaphore>,
	size: usize,
}

impl Budget {
	/// A budget of `size` at once.
	pub fn new(size: usize) -> Self {
		Self { permits: Arc::new(Semaphore::new(size)), size }
	}

	/// Whether none of it is in use.
	pub fn is_unused(&self) -> bool {
		self.permits.available_permits() == self.size
	}

	/// How many at once.
	pub fn size(&self) -> usize {
		self.size
	}

	/// One of it, if any is left; given back when dropped.
	pub fn take(&self) -> Option<OwnedSemaphorePermit> {
		self.permits.clone().try_acquire_owned().ok()
	}
}

/// Serves one inbound link from `from`: runs each request through `responder` (at most
/// `budget`'s permits at once, the rest refused) and writes the answers back, until the peer
/// closes the link, breaks a rule, or `shutdown` fires.
pub async fn serve<S>(
	io: S,
	from: PeerId,
	responder: Arc<dyn Responder>,
	budget: Budget,
	max_payload: usize,
	shutdown: impl std::future::Future<Output = ()>,
) where
	S: AsyncRead + AsyncWrite + Send + Unpin + 'static,
{
	let outbox = Outbox::new(max_payload);
	let mut wire = Wire::new(io, outbox.clone(), max_payload);
	let mut running: FuturesUnordered<BoxFuture<'static, Option<(u64, Bytes)>>> =
		FuturesUnordered::new();
	let run = |kind: Kind, id: u64, payload: Bytes, permit: OwnedSemaphorePermit| {
		let responder = responder.clone();
		let work: BoxFuture<'static, Option<(u64, Bytes)>> = match kind {
			Kind::Request => Box::pin(async move {
				let answer = responder.respond(from, payload).await;
				drop(permit);
				Some((id, answer))
			}),
			_ => Box::pin(async move {
				responder.receive(from, payload).await;
				drop(permit);
				None
			}),
		};
		work
	};
	let answer = |outbox: &Outbox, id: u64, answer: &[u8]| {
		outbox.push(Kind::Response, id, |b| b.extend_from_slice(answer)).is_ok()
	};
	tokio::pin!(shutdown);
	// Until the peer closes its side, breaks a rule, or the node stops: requests are read
	// (unless the peer does not read its answers) and answered as they finish.
	let mut reading = true;
	while reading {
		tokio::select! {
			biased;
			_ = &mut shutdown => reading = false,
			Some(done) = running.next(), if !running.is_empty() => {
				if let Some((id, done)) = done {
					if !answer(&outbox, id, &done) {
						break;
					}
				}
			}
			event = wire.next(true) => match event {
				Ok(Event::Frame(Frame { kind: Kind::Response, .. })) => {
					log::debug!(target: "mucp", "link from {from} closed: a response on a served link");
					outbox.close("the peer broke the protocol");
					running.clear();
					reading = false;
				}
				Ok(Event::Frame(Frame { kind, id, payload })) => match budget.take() {
					Some(permit) => running.push(run(kind, id, payload, permit)),
					None if kind == Kind::Request => {
						let refusal = responder.refuse(from, &payload, budget.size);
						if !answer(&outbox, id, &refusal) {
							break;
						}
					}
					None => {}
				},
				Ok(Event::Room) => {}
				Ok(Event::Ended) => reading = false,
				Ok(Event::Done) => break,
				// The stream failed: nothing more can be read or written.
				Err(error) => {
					log::debug!(target: "mucp", "link from {from} closed: {error}");
					outbox.close(&error.to_string());
					let _ = wire.writer.close().await;
					return;
				}
			},
		}
	}
	// Requests still running finish and are answered, then the link closes (at once if none
	// runs: the outbox must close before the wire is waited on, or nothing would ever end it
	// and the link's task, and its place among the peer's links, would be held for good).
	loop {
		if running.is_empty() {
			outbox.close("served link ended");
		}
		tokio::select! {
			biased;
			Some(done) = running.next(), if !running.is_empty() => {
				if let Some((id, done)) = done {
					answer(&outbox, id, &done);
				}
			}
			event = wire.next(false) => match event {
				Ok(Event::Done) | Err(_) => break,
				Ok(_) => {}
			},
		}
	}
}

/// How long after a failed opening a link to the same peer is not opened again (callers get
/// the failure at once).
pub const OPEN_BACKOFF: std::time::Duration = std::time::Duration::from_secs(1);

/// Opens a link to a peer.
type Opener = dyn Fn(PeerId) -> BoxFuture<'static, Result<Arc<Link>, LinkError>> + Send + Sync;

/// A link's opening as every caller shares it: the link, or the failure and when it came.
type Opening =
	futures::future::Shared<BoxFuture<'static, Result<Arc<Link>, (LinkError, std::time::Instant)>>>;

/// The outbound links of one peer, one per remote peer, opened on first use.
///
/// At most one opening per remote peer is in flight: it runs in its own task, and callers
/// only wait for it, so a caller that gives up (a timeout) never cancels it, nor makes the
/// next caller start another (each opening holds a request in the connection's queue until
/// the remote peer answers or the stream's negotiation times out). A failed opening is kept
/// for [`OPEN_BACKOFF`]: callers meanwhile get its failure without a new opening.
pub struct Links {
	opener: Arc<Opener>,
	links: Mutex<HashMap<PeerId, Opening>>,
}

impl Links {
	/// Links opened through `control`, taking responses of at most `max_payload` bytes.
	pub fn new(control: libp2p_stream::Control, max_payload: usize) -> Self {
		Self::with_opener(Arc::new(move |peer| {
			let mut control = control.clone();
			Box::pin(async move {
				let stream = control
					.open_stream(peer, LINK_PROTOCOL)
					.await
					.map_err(|e| LinkError::Closed(format!("opening a link to {peer}: {e}")))?;
				Ok(Arc::new(Link::open(stream, max_payload)))
			})
		}))
	}

	/// Links opened by `opener`.
	pub(crate) fn with_opener(opener: Arc<Opener>) -> Self {
		Self { opener, links: Mutex::new(HashMap::new()) }
	}

	/// The open link to `peer`, opened now if there is none (or the last one closed), unless
	/// the last opening failed less than [`OPEN_BACKOFF`] ago. Concurrent callers share one
	/// opening, which goes on if they stop waiting.
	pub async fn to(&self, peer: PeerId) -> Result<Arc<Link>, LinkError> {
		let opening = {
			let mut links = self.links.lock().expect("not poisoned");
			let reusable = links.get(&peer).filter(|opening| match opening.peek() {
				None => true,
				Some(Ok(link)) => !link.is_closed(),
				Some(Err((_, failed))) => failed.elapsed() < OPEN_BACKOFF,
			});
			match reusable {
				Some(opening) => opening.clone(),
				None => {
					let opened = (self.opener)(peer);
					let opened = tokio::spawn(async move {
						opened.await.map_err(|error| (error, std::time::Instant::now()))
					});
					let opening: BoxFuture<'static, _> = Box::pin(async move {
						opened.await.unwrap_or_else(|e| {
							let error = format!("opening a link to {peer}: {e}");
							Err((LinkError::Closed(error), std::time::Instant::now()))
						})
					});
					let opening = futures::FutureExt::shared(opening);
					links.insert(peer, opening.clone());
					opening
				}
			}
		};
		opening.await.map_err(|(error, _)| error)
	}

	/// The open link to `peer` if there is one now: never opens one, nor waits.
	pub fn ready(&self, peer: &PeerId) -> Option<Arc<Link>> {
		let links = self.links.lock().expect("not poisoned");
		match links.get(peer)?.peek() {
			Some(Ok(link)) if !link.is_closed() => Some(link.clone()),
			_ => None,
		}
	}

	/// Takes `link` as the open link to `peer` (a test's link over an in-memory pipe).
	#[cfg(test)]
	pub(crate) fn insert(&self, peer: PeerId, link: Arc<Link>) {
		let opening: BoxFuture<'static, _> = Box::pin(futures::future::ready(Ok(link)));
		let opening = futures::FutureExt::shared(opening);
		// Polled once, so that `peek` sees it.
		let _ = futures::FutureExt::now_or_never(opening.clone());
		self.links.lock().expect("not poisoned").insert(peer, opening);
	}

	/// Closes and forgets the link to `peer`, if any (it disconnected).
	pub fn forget(&self, peer: &PeerId) {
		if let Some(opening) = self.links.lock().expect("not poisoned").remove(peer) {
			if let Some(Ok(link)) = opening.peek() {
				link.close();
			}
		}
	}

	/// Closes every link.
	pub fn close_all(&self) {
		for (_, opening) in self.links.lock().expect("not poisoned").drain() {
			if let Some(Ok(link)) = opening.peek() {
				link.close();
			}
		}
	}
}

#[cfg(test)]
pub(crate) mod tests;
