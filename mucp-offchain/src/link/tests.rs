use std::{
	collections::VecDeque,
	pin::Pin,
	sync::atomic::AtomicUsize,
	task::{Context, Poll, Waker},
	time::Duration,
};

use super::*;

/// One direction of an in-memory pipe holding at most `capacity` bytes.
struct Half {
	bytes: VecDeque<u8>,
	capacity: usize,
	closed: bool,
	reader: Option<Waker>,
	writer: Option<Waker>,
	writes: Arc<AtomicUsize>,
}

/// One end of an in-memory duplex stream: reads from one half, writes to the other.
pub(crate) struct End {
	incoming: Arc<Mutex<Half>>,
	outgoing: Arc<Mutex<Half>>,
}

/// A duplex pipe; the counter counts `poll_write`s that wrote from the first end.
pub(crate) fn pipe(capacity: usize) -> (End, End, Arc<AtomicUsize>) {
	let writes = Arc::new(AtomicUsize::new(0));
	let half = |writes: Arc<AtomicUsize>| {
		Arc::new(Mutex::new(Half {
			bytes: VecDeque::new(),
			capacity,
			closed: false,
			reader: None,
			writer: None,
			writes,
		}))
	};
	let (a_to_b, b_to_a) = (half(writes.clone()), half(Arc::new(AtomicUsize::new(0))));
	(
		End { incoming: b_to_a.clone(), outgoing: a_to_b.clone() },
		End { incoming: a_to_b, outgoing: b_to_a },
		writes,
	)
}

impl AsyncRead for End {
	fn poll_read(
		self: Pin<&mut Self>,
		cx: &mut Context<'_>,
		buf: &mut [u8],
	) -> Poll<io::Result<usize>> {
		let mut half = self.incoming.lock().unwrap();
		if half.bytes.is_empty() {
			if half.closed {
				return Poll::Ready(Ok(0));
			}
			half.reader = Some(cx.waker().clone());
			return Poll::Pending;
		}
		let n = buf.len().min(half.bytes.len());
		for (slot, byte) in buf.iter_mut().zip(half.bytes.drain(..n)) {
			*slot = byte;
		}
		if let Some(writer) = half.writer.take() {
			writer.wake();
		}
		Poll::Ready(Ok(n))
	}
}

impl AsyncWrite for End {
	fn poll_write(
		self: Pin<&mut Self>,
		cx: &mut Context<'_>,
		buf: &[u8],
	) -> Poll<io::Result<usize>> {
		let mut half = self.outgoing.lock().unwrap();
		if half.closed {
			return Poll::Ready(Err(io::ErrorKind::BrokenPipe.into()));
		}
		let room = half.capacity - half.bytes.len();
		if room == 0 {
			half.writer = Some(cx.waker().clone());
			return Poll::Pending;
		}
		let n = buf.len().min(room);
		half.bytes.extend(&buf[..n]);
		half.writes.fetch_add(1, Ordering::Relaxed);
		if let Some(reader) = half.reader.take() {
			reader.wake();
		}
		Poll::Ready(Ok(n))
	}

	fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
		Poll::Ready(Ok(()))
	}

	fn poll_close(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
		let mut half = self.outgoing.lock().unwrap();
		half.closed = true;
		if let Some(reader) = half.reader.take() {
			reader.wake();
		}
		Poll::Ready(Ok(()))
	}
}

/// Answers a request `[delay_ms, ...]` after that many (paused-clock) milliseconds with the
/// request itself; refuses with `b"busy"`; counts one-way messages.
struct Echo {
	received: Arc<AtomicUsize>,
}

impl Responder for Echo {
	fn respond(&self, _: PeerId, request: Bytes) -> BoxFuture<'static, Bytes> {
		Box::pin(async move {
			let delay = request.first().copied().unwrap_or(0);
			tokio::time::sleep(Duration::from_millis(delay.into())).await;
			request
		})
	}

	fn refuse(&self, _: PeerId, _: &Bytes, budget: usize) -> Bytes {
		Bytes::from(format!("busy: {budget}"))
	}

	fn receive(&self, _: PeerId, _: Bytes) -> BoxFuture<'static, ()> {
		self.received.fetch_add(1, Ordering::Relaxed);
		Box::pin(async {})
	}
}

const MAX: usize = 1 << 16;

/// A link to a served end answering with [`Echo`] within `budget`.
fn linked(budget: usize) -> (Link, Arc<AtomicUsize>, Arc<AtomicUsize>, oneshot::Sender<()>) {
	let (client, server, writes) = pipe(1 << 20);
	let received = Arc::new(AtomicUsize::new(0));
	let (stop, stopped) = oneshot::channel::<()>();
	let responder = Arc::new(Echo { received: received.clone() });
	tokio::spawn(serve(server, PeerId::random(), responder, Budget::new(budget), MAX, async {
		let _ = stopped.await;
	}));
	(Link::open(client, MAX), writes, received, stop)
}

#[tokio::test(start_paused = true)]
async fn answers_reach_their_callers_whatever_order_they_come_in() {
	let (link, _, _, _stop) = linked(64);
	// Earlier requests wait longer, so the answers come back in reverse order.
	let requests = (0..32u8).map(|i| {
		let link = &link;
		async move { (i, link.request_bytes(&[32 - i, i]).await) }
	});
	let answers = futures::future::join_all(requests).await;
	for (i, answer) in answers {
		assert_eq!(answer.unwrap().as_ref(), &[32 - i, i]);
	}
}

#[tokio::test(start_paused = true)]
async fn requests_past_the_budget_are_refused_at_once_and_the_rest_served() {
	let (link, _, _, _stop) = linked(2);
	let (slow_a, slow_b, third) =
		tokio::join!(link.request_bytes(&[100]), link.request_bytes(&[100]), async {
			// Sent after the two slow ones are in flight: the budget of two is spent.
			tokio::task::yield_now().await;
			let refused = link.request_bytes(&[0]).await;
			(refused, tokio::time::Instant::now())
		});
	assert_eq!(slow_a.unwrap().as_ref(), &[100]);
	assert_eq!(slow_b.unwrap().as_ref(), &[100]);
	let (refused, at) = third;
	assert_eq!(refused.unwrap().as_ref(), b"busy: 2");
	assert!(at.elapsed() >= Duration::from_millis(99), "refused before the slow ones ended");
	// Once they ended, the budget is whole again.
	assert_eq!(link.request_bytes(&[0, 7]).await.unwrap().as_ref(), &[0, 7]);
}

#[tokio::test(flavor = "current_thread")]
async fn a_burst_goes_out_in_one_write() {
	let (link, writes, received, _stop) = linked(64);
	for _ in 0..100 {
		link.send(|b| b.extend_from_slice(&[0u8; 100])).unwrap();
	}
	// Nothing ran yet: the writer takes all hundred frames at once.
	let answer = link.request_bytes(&[0, 1]).await.unwrap();
	assert_eq!(answer.as_ref(), &[0, 1]);
	assert_eq!(received.load(Ordering::Relaxed), 100);
	assert_eq!(writes.load(Ordering::Relaxed), 1, "101 frames in one write");
}

/// Answers every request at once with the request itself.
struct Immediate;

impl Responder for Immediate {
	fn respond(&self, _: PeerId, request: Bytes) -> BoxFuture<'static, Bytes> {
		Box::pin(async move { request })
	}

	fn refuse(&self, _: PeerId, _: &Bytes, _: usize) -> Bytes {
		Bytes::new()
	}

	fn receive(&self, _: PeerId, _: Bytes) -> BoxFuture<'static, ()> {
		Box::pin(async {})
	}
}

/// Two-byte requests `[id, 7]` of the given kinds and ids, framed as one piece, as a busy
/// peer's batched write sends them.
fn burst(frames: impl IntoIterator<Item = (u8, u64)>) -> Vec<u8> {
	frames.into_iter().flat_map(|(kind, id)| frame(kind, id, &[id as u8, 7], None)).collect()
}

/// Serves `end` with [`Immediate`] until the link ends.
fn serve_immediately(end: End) -> tokio::task::JoinHandle<()> {
	tokio::spawn(serve(
		end,
		PeerId::random(),
		Arc::new(Immediate),
		Budget::new(64),
		MAX,
		futures::future::pending(),
	))
}

#[tokio::test(flavor = "current_thread")]
async fn a_burst_of_requests_read_at_once_is_answered_in_one_write() {
	let (server, mut client, writes) = pipe(1 << 20);
	let requests = burst((1..=50u64).map(|id| (Kind::Request as u8, id)));
	client.write_all(&requests).await.unwrap();
	serve_immediately(server);
	let mut answers = vec![0u8; requests.len()];
	client.read_exact(&mut answers).await.unwrap();
	for (n, answer) in answers.chunks(4 + 1 + 8 + 2).enumerate() {
		let id = n as u64 + 1;
		assert_eq!(answer[4], Kind::Response as u8);
		assert_eq!(answer[5..13], id.to_be_bytes());
		assert_eq!(answer[13..], [id as u8, 7]);
	}
	assert_eq!(writes.load(Ordering::Relaxed), 1, "fifty answers in one write");
}

#[tokio::test(flavor = "current_thread")]
async fn requests_before_a_malformed_frame_in_the_same_read_are_answered_before_the_link_closes() {
	let (server, mut client, _) = pipe(1 << 20);
	let request = Kind::Request as u8;
	client.write_all(&burst([(request, 1), (request, 2), (9, 3)])).await.unwrap();
	let serving = serve_immediately(server);
	let mut rest = Vec::new();
	client.read_to_end(&mut rest).await.unwrap();
	serving.await.unwrap();
	let answers: Vec<_> = rest.chunks(4 + 1 + 8 + 2).map(|a| (a[4], a[12], a[13])).collect();
	assert_eq!(answers, [(Kind::Response as u8, 1, 1), (Kind::Response as u8, 2, 2)]);
}

#[tokio::test]
async fn a_payload_over_the_limit_is_refused_before_sending() {
	let (link, _, _, _stop) = linked(4);
	let error = link.request_bytes(&vec![0u8; MAX + 1]).await.unwrap_err();
	assert_eq!(error, LinkError::TooLarge { size: MAX + 1, max: MAX });
	// The link still works.
	assert_eq!(link.request_bytes(&[0, 2]).await.unwrap().as_ref(), &[0, 2]);
}

/// Writes raw frames to a served end, as a hostile peer could.
async fn raw(end: &mut End, kind: u8, id: u64, payload: &[u8], declared: Option<u32>) {
	end.write_all(&frame(kind, id, payload, declared)).await.unwrap();
}

/// A frame as it travels, its length `declared` if given (a lie, as a hostile peer could
/// tell) or the true one.
fn frame(kind: u8, id: u64, payload: &[u8], declared: Option<u32>) -> Vec<u8> {
	let length = declared.unwrap_or((1 + 8 + payload.len()) as u32);
	let mut frame = length.to_be_bytes().to_vec();
	frame.push(kind);
	frame.extend_from_slice(&id.to_be_bytes());
	frame.extend_from_slice(payload);
	frame
}

#[tokio::test]
async fn a_peer_declaring_an_oversized_frame_or_a_bad_kind_loses_its_link() {
	for (kind, declared) in [(1u8, Some((MAX + 100) as u32)), (9u8, None), (2u8, None)] {
		let (mut client, server, _) = pipe(1 << 20);
		let responder = Arc::new(Echo { received: Arc::new(AtomicUsize::new(0)) });
		let serving = tokio::spawn(serve(
			server,
			PeerId::random(),
			responder,
			Budget::new(4),
			MAX,
			futures::future::pending(),
		));
		raw(&mut client, kind, 1, b"x", declared).await;
		// The served side stops and closes its end: the peer reads the end of the stream.
		serving.await.unwrap();
		let mut rest = Vec::new();
		client.read_to_end(&mut rest).await.unwrap();
		assert!(rest.is_empty(), "kind {kind}: nothing is answered");
	}
}

#[tokio::test]
async fn callers_learn_when_the_link_closes_and_a_request_on_a_client_link_closes_it() {
	let (client, mut server, _) = pipe(1 << 20);
	let link = Arc::new(Link::open(client, MAX));
	let waiting = tokio::spawn({
		let link = link.clone();
		async move { link.request_bytes(b"never answered").await }
	});
	// The hostile server sends a request on the link the client opened.
	let mut first = [0u8; 4];
	server.read_exact(&mut first).await.unwrap();
	raw(&mut server, 1, 1, b"do this", None).await;
	let error = waiting.await.unwrap().unwrap_err();
	assert_eq!(
		error,
		LinkError::Closed("the peer sent a request on a link it did not open".into())
	);
	assert!(link.is_closed());
	assert!(matches!(link.request_bytes(b"again").await, Err(LinkError::Closed(_))));
}

#[tokio::test(start_paused = true)]
async fn a_peer_that_does_not_read_its_answers_stops_being_read() {
	// Small pipes: the served end's answers back up once the peer stops reading.
	let (mut client, server, _) = pipe(64 * 1024);
	let responder = Arc::new(Echo { received: Arc::new(AtomicUsize::new(0)) });
	tokio::spawn(serve(
		server,
		PeerId::random(),
		responder,
		Budget::new(1024),
		MAX,
		futures::future::pending(),
	));
	// Requests of 60 KiB each, answered with themselves, never read back: after about
	// OUTBOX_HIGH_WATER + one write in hand + two pipes of answers, the served end stops reading, and the
	// peer's own writes stop going through.
	let request = vec![0u8; 60 * 1024];
	let most = (OUTBOX_HIGH_WATER + MAX_WRITE + 4 * 64 * 1024) / request.len() + 4;
	let mut sent = 0;
	while sent < most + 8 {
		let write = raw(&mut client, 1, sent as u64, &request, None);
		if tokio::time::timeout(Duration::from_secs(5), write).await.is_err() {
			break;
		}
		sent += 1;
	}
	assert!(sent <= most, "the served end kept reading {sent} requests");
	assert!(sent * request.len() >= OUTBOX_HIGH_WATER, "it stopped early, at {sent}");
}

/// A stream that brings one request and then fails both ways, as a reset connection does.
struct Broken {
	request: Option<Vec<u8>>,
}

impl AsyncRead for Broken {
	fn poll_read(
		mut self: Pin<&mut Self>,
		_: &mut Context<'_>,
		buf: &mut [u8],
	) -> Poll<io::Result<usize>> {
		match self.request.take() {
			Some(request) => {
				buf[..request.len()].copy_from_slice(&request);
				Poll::Ready(Ok(request.len()))
			}
			None => Poll::Ready(Err(io::ErrorKind::ConnectionReset.into())),
		}
	}
}

impl AsyncWrite for Broken {
	fn poll_write(self: Pin<&mut Self>, _: &mut Context<'_>, _: &[u8]) -> Poll<io::Result<usize>> {
		Poll::Ready(Err(io::ErrorKind::BrokenPipe.into()))
	}

	fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
		Poll::Ready(Err(io::ErrorKind::BrokenPipe.into()))
	}

	fn poll_close(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
		Poll::Ready(Err(io::ErrorKind::BrokenPipe.into()))
	}
}

#[tokio::test]
async fn a_served_link_whose_stream_fails_ends_instead_of_spinning() {
	let mut request = 13u32.to_be_bytes().to_vec();
	request.push(Kind::Request as u8);
	request.extend_from_slice(&1u64.to_be_bytes());
	request.extend_from_slice(&[0, 1, 2, 3]);
	let responder = Arc::new(Echo { received: Arc::new(AtomicUsize::new(0)) });
	let serving = serve(
		Broken { request: Some(request) },
		PeerId::random(),
		responder,
		Budget::new(4),
		MAX,
		futures::future::pending(),
	);
	// Before the fix this looped for ever on the failing stream.
	tokio::time::timeout(Duration::from_secs(10), serving).await.expect("the served link ends");
}

#[tokio::test(flavor = "current_thread")]
async fn room_waits_while_the_peer_reads_nothing_and_comes_once_it_reads() {
	use futures::FutureExt;
	let (client, mut server, writes) = pipe(1024);
	let link = Link::open(client, 1 << 20);
	// The writer takes the first frame and fills the pipe; the second waits in the buffer.
	link.send(|b| b.extend_from_slice(&[1u8; 4096])).unwrap();
	while writes.load(Ordering::Relaxed) == 0 {
		tokio::task::yield_now().await;
	}
	link.send(|b| b.extend_from_slice(&[2u8; 200_000])).unwrap();
	assert!(link.room(100_000).now_or_never().is_none(), "200 kB wait to be written");
	assert!(link.room(300_000).now_or_never().is_some(), "under a larger bound");
	let reading = tokio::spawn(async move {
		let mut sink = vec![0u8; 64 * 1024];
		let mut read = 0;
		while read < 2 * FRAME_HEADER + 4096 + 200_000 {
			read += server.read(&mut sink).await.unwrap();
		}
		server
	});
	tokio::time::timeout(Duration::from_secs(10), link.room(100_000))
		.await
		.expect("room once the peer reads");
	let _server = reading.await.unwrap();
	link.send(|b| b.extend_from_slice(&[3u8; 200_000])).unwrap();
	link.close();
	assert!(link.room(100_000).now_or_never().is_some(), "a closed link waits for nothing");
}

/// Links whose openings are counted and answered by `open`.
fn counted_links(
	open: impl Fn() -> BoxFuture<'static, Result<Arc<Link>, LinkError>> + Send + Sync + 'static,
) -> (Links, Arc<AtomicUsize>) {
	let started = Arc::new(AtomicUsize::new(0));
	let counted = started.clone();
	let links = Links::with_opener(Arc::new(move |_| {
		counted.fetch_add(1, Ordering::SeqCst);
		open()
	}));
	(links, started)
}

/// A peer that never answers a link's opening: callers that give up waiting (at once, or after
/// a while) leave the one opening in flight, and start no other.
#[tokio::test]
async fn a_peer_has_at_most_one_link_opening_in_flight_whoever_gives_up_waiting() {
	let (links, started) = counted_links(|| Box::pin(futures::future::pending()));
	let peer = PeerId::random();
	for _ in 0..1000 {
		assert!(tokio::time::timeout(Duration::ZERO, links.to(peer)).await.is_err());
	}
	for _ in 0..5 {
		let waited = tokio::time::timeout(Duration::from_millis(10), links.to(peer)).await;
		assert!(waited.is_err());
	}
	assert!(links.ready(&peer).is_none(), "nothing open");
	assert_eq!(started.load(Ordering::SeqCst), 1);
}

/// A failed opening is answered to every caller for [`OPEN_BACKOFF`], then tried again.
#[tokio::test]
async fn a_failed_link_opening_is_not_tried_again_before_its_backoff() {
	let refused = || LinkError::Closed("refused".into());
	let (links, started) = counted_links(move || Box::pin(async move { Err(refused()) }));
	let peer = PeerId::random();
	let first = std::time::Instant::now();
	assert_eq!(links.to(peer).await.err(), Some(refused()));
	for _ in 0..100 {
		assert_eq!(links.to(peer).await.err(), Some(refused()));
	}
	if first.elapsed() < OPEN_BACKOFF {
		assert_eq!(started.load(Ordering::SeqCst), 1);
	}
	let deadline = first + Duration::from_secs(10);
	while started.load(Ordering::SeqCst) < 2 {
		assert!(std::time::Instant::now() < deadline, "never tried again");
		let _ = links.to(peer).await;
		tokio::time::sleep(Duration::from_millis(50)).await;
	}
	assert!(first.elapsed() >= OPEN_BACKOFF);
}

/// Nodes already deployed accept links only on `/micro/mucp/link/1`: a new id would fail every
/// call and durable delivery between old and new nodes during an upgrade.
#[test]
fn the_link_protocol_is_the_one_deployed_nodes_accept() {
	assert_eq!(LINK_PROTOCOL.as_ref(), "/micro/mucp/link/1");
}
