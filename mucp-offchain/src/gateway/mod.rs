//! The node's local HTTP API gateway: MUCP for anything that speaks HTTP.
//!
//! | Request | What it does |
//! |---|---|
//! | `POST /{service}/{endpoint}` | a call; the body is JSON (or protobuf with `Content-Type: application/protobuf`) |
//! | `POST /_/stream/{service}/{endpoint}` | a stream: one JSON request per body line, each sent as it arrives; the answers come back one per line as they come |
//! | `POST /_/publish/{topic}` | publishes the body to the topic (at most once with `Micro-Delivery: core`) |
//! | `GET /_/subscribe/{topic}?queue=Q` | subscribes, as server-sent events (`id:` is the `Micro-Id`); resumes after `Last-Event-ID` |
//! | `GET /openapi.json` | an OpenAPI 3 document of every service the registry knows |
//! | `GET /_/health` | this peer's id and how many services it sees |
//! | `GET /`, `GET /_/app/{file}`, `GET /_/site.json` | the web console, if the host gives one ([`site`]) |
//!
//! Only the gateway's own pages, and the web origins its operator allows
//! ([`GatewayConfig::cors`]), may use it from a browser; [`origins`] says which attack each of
//! its rules stops.
//!
//! A failed call answers with the HTTP status of its `Micro-Error` code and the error as JSON,
//! also in the `Micro-Error` header. The `Micro-Allowance` and `Micro-Version` headers of a
//! request travel with the call. Paths starting `/_/` cannot name a service (service names
//! start with a letter), so they never shadow one.
//!
//! Limits (issue 17, finding H6): a client must send its request head within
//! [`GatewayConfig::header_timeout`] (an idle keep-alive connection is closed after it too) and
//! its body within [`GatewayConfig::body_timeout`] (a stream's first line), at most
//! [`GatewayConfig::max_body`] bytes (a stream's whole body);
//! at most [`GatewayConfig::max_connections`] connections are served at once, further ones
//! wait in the listen backlog. A slowloris client, trickling its headers a byte at a time or
//! never finishing them, holds a connection only until the header timeout and cannot stop
//! anyone else being served. Streams are bounded too: at most [`GatewayConfig::max_streams`]
//! at once (429 past them; under the 16 a node may open to a peer, so gateway users cannot take
//! this node's every stream to a service), a request side silent for `body_timeout` is
//! finished, no stream outlives [`GatewayConfig::max_stream_duration`], the body's reader ends
//! with its request, and each body byte is scanned once for line ends.
//!
//! **Event streams are acknowledged by the client, not on send.** An event the gateway wrote
//! may still be lost in socket buffers or a client killed mid-burst, so it stays unacknowledged
//! in the broker (on disk) while the connection lasts. When the connection ends, every event it
//! carried goes back to the topic's inbox (or to another member of its queue group); a client
//! that reconnects with `Last-Event-ID` (as `EventSource` does) has the events up to that id
//! acknowledged and gets the rest again, in order: nothing queued but not received is lost.
//! A connection holds at most [`UNCONFIRMED_EVENTS`] unconfirmed events; past that the oldest
//! counts as received. Event data is split on `\r` as well as `\n`, so a body cannot inject
//! fields or events into the stream.

mod events;
mod openapi;
pub mod origins;
pub mod site;

use std::{convert::Infallible, net::SocketAddr, sync::Arc, time::Duration};

use bytes::Bytes;
use http_body_util::{combinators::BoxBody, BodyExt, Full, Limited, StreamBody};
use hyper::{
	body::{Frame, Incoming},
	header::{HeaderValue, CONTENT_TYPE},
	server::conn::http1,
	service::service_fn,
	Method, Request, Response, StatusCode,
};
use hyper_util::rt::{TokioIo, TokioTimer};
use serde_json::{json, Value};
use tokio::{
	net::TcpListener,
	sync::{watch, Semaphore},
	task::JoinHandle,
};

pub use openapi::openapi;
pub use site::Site;

use crate::{
	broker::{DeliveryMode, Published},
	executor::VERSION_HEADER,
	peer::{Peer, PublishOptions},
	protocol::{header, ContentType, Message, MicroError},
	settlement::ALLOWANCE_HEADER,
};

/// Most events one event stream has sent and holds unacknowledged until its client confirms
/// them by reconnecting with `Last-Event-ID`; past it the oldest is taken as received.
pub const UNCONFIRMED_EVENTS: usize = 256;

/// The body of every gateway response.
pub type Body = BoxBody<Bytes, Infallible>;

/// How the gateway runs.
#[derive(Clone, Debug)]
pub struct GatewayConfig {
	/// Where it listens. Loopback by default: the gateway spends its node's free quota.
	pub listen: SocketAddr,
	/// The largest request body accepted.
	pub max_body: usize,
	/// How often an idle event stream gets a keep-alive comment.
	pub keep_alive: Duration,
	/// How long a client may take to send a request's head (and an idle connection may wait
	/// for the next one) before its connection is closed.
	pub header_timeout: Duration,
	/// How long a client may take to send a request's body (408 past it).
	pub body_timeout: Duration,
	/// Most connections served at once; more wait to be accepted.
	pub max_connections: usize,
	/// Most streams (`/_/stream`) open at once; more get a 429. Kept under the stream budget
	/// a node gives each peer (16), so the gateway's users cannot take all of this node's
	/// streams to a service from its other users.
	pub max_streams: usize,
	/// The longest a stream may stay open; past it the gateway ends it with an error line.
	pub max_stream_duration: Duration,
	/// Web origins (`https://app.example`) whose pages may use the gateway besides its own;
	/// `*` for any. None by default ([`origins`]).
	pub cors: Vec<String>,
	/// DNS names the gateway is reached by, besides IP addresses and `localhost`: requests
	/// naming any other host are refused ([`origins`], DNS rebinding).
	pub hosts: Vec<String>,
	/// The web application served at `/`, if any.
	pub site: Option<Arc<Site>>,
}

impl Default for GatewayConfig {
	fn default() -> Self {
		Self {
			listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
			max_body: 4 * 1024 * 1024,
			keep_alive: Duration::from_secs(15),
			header_timeout: Duration::from_secs(10),
			body_timeout: Duration::from_secs(30),
			max_connections: 512,
			max_streams: 8,
			max_stream_duration: Duration::from_secs(600),
			cors: Vec::new(),
			hosts: Vec::new(),
			site: None,
		}
	}
}

/// A running gateway.
pub struct Gateway {
	address: SocketAddr,
	stop: watch::Sender<bool>,
	task: JoinHandle<()>,
}

impl Gateway {
	/// Listens on `config.listen` and serves `peer` there until shut down.
	pub async fn start(peer: Arc<Peer>, config: GatewayConfig) -> std::io::Result<Self> {
		origins::validate(&config.hosts, &config.cors)
			.map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
		let listener = TcpListener::bind(config.listen).await?;
		let address = listener.local_addr()?;
		let (stop, stopped) = watch::channel(false);
		let task = tokio::spawn(accept(listener, peer, Arc::new(config), stopped));
		Ok(Self { address, stop, task })
	}

	/// Where it listens.
	pub fn address(&self) -> SocketAddr {
		self.address
	}

	/// Stops accepting, lets requests in progress finish (event streams end), and returns once
	/// the listener is closed.
	pub async fn shutdown(self) {
		let _ = self.stop.send(true);
		let _ = self.task.await;
	}
}

async fn accept(
	listener: TcpListener,
	peer: Arc<Peer>,
	config: Arc<GatewayConfig>,
	mut stopped: watch::Receiver<bool>,
) {
	let connections = Arc::new(Semaphore::new(config.max_connections.max(1)));
	let streams = Arc::new(Semaphore::new(config.max_streams.max(1)));
	loop {
		let permit = tokio::select! {
			permit = connections.clone().acquire_owned() => match permit {
				Ok(permit) => permit,
				Err(_) => return,
			},
			_ = stopped.changed() => return,
		};
		let (stream, _) = tokio::select! {
			accepted = listener.accept() => match accepted {
				Ok(accepted) => accepted,
				Err(error) => {
					log::warn!(target: "mucp", "gateway: accept failed: {error}");
					tokio::time::sleep(Duration::from_millis(100)).await;
					continue;
				}
			},
			_ = stopped.changed() => return,
		};
		let (peer, config, mut stopped) = (peer.clone(), config.clone(), stopped.clone());
		let streams = streams.clone();
		tokio::spawn(async move {
			let _permit = permit;
			let header_timeout = config.header_timeout;
			let shutdown = stopped.clone();
			let service = service_fn(move |request| {
				let limits = Limits { streams: streams.clone(), shutdown: shutdown.clone() };
				let (peer, config) = (peer.clone(), config.clone());
				async move { Ok::<_, Infallible>(route(request, &peer, &config, limits).await) }
			});
			let connection = http1::Builder::new()
				.timer(TokioTimer::new())
				.header_read_timeout(header_timeout)
				.serve_connection(TokioIo::new(stream), service);
			tokio::pin!(connection);
			tokio::select! {
				_ = connection.as_mut() => {}
				_ = stopped.changed() => {
					connection.as_mut().graceful_shutdown();
					let _ = connection.await;
				}
			}
		});
	}
}

fn full(status: StatusCode, content_type: &str, body: impl Into<Bytes>) -> Response<Body> {
	let mut response = Response::new(Full::new(body.into()).boxed());
	*response.status_mut() = status;
	if let Ok(value) = HeaderValue::from_str(content_type) {
		response.headers_mut().insert(CONTENT_TYPE, value);
	}
	response
}

fn json_response(status: StatusCode, value: &Value) -> Response<Body> {
	full(status, "application/json", value.to_string())
}

/// The error as the gateway answers it: its code as the HTTP status, its JSON as the body and
/// in the `Micro-Error` header.
pub fn error_response(error: &MicroError) -> Response<Body> {
	let status = StatusCode::from_u16(error.code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
	let mut response = full(status, "application/json", error.to_json());
	if let Ok(value) = HeaderValue::from_str(&error.to_json()) {
		response.headers_mut().insert(header::ERROR, value);
	}
	response
}

/// What requests share beyond the configuration: the streams left, and the gateway stopping.
#[derive(Clone)]
struct Limits {
	streams: Arc<Semaphore>,
	shutdown: watch::Receiver<bool>,
}

/// Answers one request, if the origin rules let its page make it.
async fn route(
	request: Request<Incoming>,
	peer: &Arc<Peer>,
	config: &GatewayConfig,
	limits: Limits,
) -> Response<Body> {
	let policy =
		origins::Policy { listen: config.listen, hosts: &config.hosts, allowed: &config.cors };
	let verdict = origins::check(request.method(), request.uri().path(), request.headers(), policy);
	let origin = match verdict {
		Ok(origins::Verdict::Own) => None,
		Ok(origins::Verdict::Allowed(origin)) => Some(origin),
		Err(error) => return error_response(&error),
	};
	if request.method() == Method::OPTIONS {
		let mut response = full(StatusCode::NO_CONTENT, "text/plain", Bytes::new());
		match origin {
			Some(origin) => origins::preflight(response.headers_mut(), origin),
			None => *response.status_mut() = StatusCode::METHOD_NOT_ALLOWED,
		}
		return response;
	}
	let mut response = answer(request, peer, config, limits).await;
	if let Some(origin) = origin {
		origins::allow(response.headers_mut(), origin);
	}
	response
}

async fn answer(
	request: Request<Incoming>,
	peer: &Arc<Peer>,
	config: &GatewayConfig,
	limits: Limits,
) -> Response<Body> {
	let path = request.uri().path().to_owned();
	let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
	let method = request.method().clone();
	match (&method, segments.as_slice()) {
		(&Method::GET, ["openapi.json"]) => {
			json_response(StatusCode::OK, &openapi(&peer.services()))
		}
		(&Method::GET, [""] | ["index.html"]) => site_file(config, "index.html", &request),
		(&Method::GET, ["_", "app", file]) => site_file(config, file, &request),
		(&Method::GET, ["_", "site.json"]) => match &config.site {
			Some(site) => json_response(StatusCode::OK, site.settings()),
			None => no_site(),
		},
		(&Method::GET, ["_", "health"]) => json_response(
			StatusCode::OK,
			&json!({ "peer": peer.id().to_string(), "services": peer.services().len() }),
		),
		(&Method::POST, ["_", "publish", topic]) => publish(request, peer, config, topic).await,
		(&Method::GET, ["_", "subscribe", topic]) => {
			let queue = query(&request, "queue");
			let resume_after = request
				.headers()
				.get("last-event-id")
				.and_then(|v| v.to_str().ok())
				.map(str::to_owned);
			events::subscribe(
				peer,
				topic,
				queue.as_deref(),
				resume_after,
				config.keep_alive,
				limits.shutdown,
			)
		}
		(&Method::POST, ["_", "stream", service, endpoint]) => {
			stream(request, peer, config, limits, service, endpoint).await
		}
		(&Method::POST, [service, endpoint]) if !service.starts_with('_') => {
			call(request, peer, config, service, endpoint).await
		}
		(_, [service, _]) if !service.starts_with('_') => error_response(&MicroError::new(
			"mucp.gateway",
			405,
			format!("{method} {path}: calls are POST"),
		)),
		_ => error_response(&MicroError::not_found(
			"mucp.gateway",
			format!("{method} {path}: no such route; calls are POST /{{service}}/{{endpoint}}"),
		)),
	}
}

/// A file of the web application, 404 if there is no such file or no application.
fn site_file(config: &GatewayConfig, name: &str, request: &Request<Incoming>) -> Response<Body> {
	let Some(site) = &config.site else { return no_site() };
	site.serve(name, request.headers()).unwrap_or_else(|| {
		error_response(&MicroError::not_found(
			"mucp.gateway",
			format!("the web console has no file `{name}`"),
		))
	})
}

fn no_site() -> Response<Body> {
	error_response(&MicroError::not_found(
		"mucp.gateway",
		"this gateway serves no web console; calls are POST /{service}/{endpoint}",
	))
}

/// The value of query parameter `name`, percent-decoded.
fn query(request: &Request<Incoming>, name: &str) -> Option<String> {
	request.uri().query()?.split('&').find_map(|pair| {
		let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
		(key == name).then(|| percent_decode(value))
	})
}

fn percent_decode(text: &str) -> String {
	let bytes = text.as_bytes();
	let mut out = Vec::with_capacity(bytes.len());
	let mut i = 0;
	while i < bytes.len() {
		match bytes[i] {
			b'%' if i + 2 < bytes.len() => {
				let digits = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or_default();
				match u8::from_str_radix(digits, 16) {
					Ok(byte) => {
						out.push(byte);
						i += 3;
						continue;
					}
					Err(_) => out.push(b'%'),
				}
			}
			b'+' => out.push(b' '),
			byte => out.push(byte),
		}
		i += 1;
	}
	String::from_utf8_lossy(&out).into_owned()
}

/// Reads the whole body, up to `config.max_body` bytes (413 past it) within
/// `config.body_timeout` (408 past it).
async fn read_body(
	request: Request<Incoming>,
	config: &GatewayConfig,
	id: &str,
) -> Result<Bytes, MicroError> {
	let max = config.max_body;
	let collected = Limited::new(request.into_body(), max).collect();
	let collected = tokio::time::timeout(config.body_timeout, collected).await.map_err(|_| {
		MicroError::timeout(id, format!("the body did not arrive within {:?}", config.body_timeout))
	})?;
	collected.map(|collected| collected.to_bytes()).map_err(|e| {
		if e.is::<http_body_util::LengthLimitError>() {
			MicroError::too_large(id, format!("the body exceeds {max} bytes"))
		} else {
			MicroError::bad_request(id, format!("reading the body: {e}"))
		}
	})
}

/// The content type a request says its body is in, or what its first byte says.
fn content_type_of(
	request: &Request<Incoming>,
	id: &str,
) -> Result<Option<ContentType>, MicroError> {
	match request.headers().get(CONTENT_TYPE) {
		None => Ok(None),
		Some(value) => {
			let text = value.to_str().unwrap_or_default();
			let essence = text.split(';').next().unwrap_or_default().trim();
			// What curl and forms send when nobody says: the body tells.
			if matches!(essence, "application/x-www-form-urlencoded" | "text/plain" | "") {
				return Ok(None);
			}
			ContentType::parse(essence).map(Some).ok_or_else(|| {
				MicroError::unsupported_media_type(
					id,
					format!("`{text}`: send application/json or application/protobuf"),
				)
			})
		}
	}
}

/// Copies the headers that travel with a call from the HTTP request.
fn forwarded_headers(request: &Request<Incoming>, message: &mut Message) {
	for name in [ALLOWANCE_HEADER, VERSION_HEADER] {
		if let Some(value) = request.headers().get(name).and_then(|v| v.to_str().ok()) {
			message.set(name, value);
		}
	}
}

async fn call(
	request: Request<Incoming>,
	peer: &Peer,
	config: &GatewayConfig,
	service: &str,
	endpoint: &str,
) -> Response<Body> {
	let name = format!("{service}.{endpoint}");
	let content_type = match content_type_of(&request, &name) {
		Ok(content_type) => content_type,
		Err(error) => return error_response(&error),
	};
	let mut message = Message::call(&unique_id(peer), service, endpoint, Vec::new());
	forwarded_headers(&request, &mut message);
	let body = match read_body(request, config, &name).await {
		Ok(body) => body,
		Err(error) => return error_response(&error),
	};
	let content_type = content_type.unwrap_or_else(|| ContentType::detect(&body));
	if content_type == ContentType::Json {
		if let Err(e) = serde_json::from_slice::<Value>(&body) {
			return error_response(&MicroError::bad_request(&name, format!("malformed JSON: {e}")));
		}
	}
	message.body = body.to_vec();
	message.set(header::CONTENT_TYPE, content_type.as_str());
	match peer.call_with(message, peer.call_options()).await {
		Ok(reply) => {
			let content_type = reply.content_type().unwrap_or(ContentType::Json);
			full(StatusCode::OK, content_type.as_str(), reply.body)
		}
		Err(error) => error_response(&error),
	}
}

fn unique_id(peer: &Peer) -> String {
	use std::sync::atomic::{AtomicU64, Ordering};
	static NEXT: AtomicU64 = AtomicU64::new(0);
	let nanos = std::time::SystemTime::now()
		.duration_since(std::time::UNIX_EPOCH)
		.unwrap_or_default()
		.as_nanos();
	format!("gw-{}-{nanos:x}-{}", peer.id(), NEXT.fetch_add(1, Ordering::Relaxed))
}

async fn publish(
	request: Request<Incoming>,
	peer: &Peer,
	config: &GatewayConfig,
	topic: &str,
) -> Response<Body> {
	let topic = percent_decode(topic);
	let id = request
		.headers()
		.get(header::ID)
		.and_then(|v| v.to_str().ok())
		.map(str::to_owned)
		.unwrap_or_else(|| unique_id(peer));
	// `Micro-Delivery: core` publishes at most once (nothing stored); durable otherwise.
	let delivery = request.headers().get(header::DELIVERY).and_then(|v| v.to_str().ok());
	let delivery = match delivery.map(|value| (value, DeliveryMode::parse(value))) {
		None => DeliveryMode::Durable,
		Some((_, Some(mode))) => mode,
		Some((value, None)) => {
			let detail = format!("`{}: {value}` is neither `durable` nor `core`", header::DELIVERY);
			return error_response(&MicroError::bad_request("mucp.gateway", detail));
		}
	};
	let body = match read_body(request, config, &topic).await {
		Ok(body) => body,
		Err(error) => return error_response(&error),
	};
	let message = Message::publish(&id, &topic, body.to_vec());
	match peer.publish_with(message, PublishOptions { delivery }).await {
		Ok(published) => {
			let (status, outcome) = match published {
				Published::Delivered(n) => (StatusCode::ACCEPTED, json!({ "delivered": n })),
				Published::Stored => (StatusCode::ACCEPTED, json!({ "stored": true })),
				Published::Duplicate => (StatusCode::OK, json!({ "duplicate": true })),
				Published::Dropped => (StatusCode::ACCEPTED, json!({ "dropped": true })),
			};
			let mut body = outcome;
			body["id"] = json!(id);
			body["topic"] = json!(topic);
			json_response(status, &body)
		}
		Err(error) => error_response(&error),
	}
}

/// A message's body as JSON text: itself if JSON, else `{"protobuf": "<hex>"}`.
fn json_text(message: &Message) -> String {
	match message.content_type() {
		Ok(ContentType::Json) => String::from_utf8_lossy(&message.body).into_owned(),
		_ => json!({ "protobuf": crate::hex::encode(&message.body) }).to_string(),
	}
}

/// A response of `content_type` whose body is what arrives on `receiver`, as it arrives.
fn streamed(
	receiver: tokio::sync::mpsc::Receiver<Bytes>,
	content_type: &'static str,
) -> Response<Body> {
	let stream = futures::stream::unfold(receiver, |mut receiver| async move {
		let frame = receiver.recv().await?;
		Some((Ok::<_, Infallible>(Frame::data(frame)), receiver))
	});
	let mut response = Response::new(BodyExt::boxed(StreamBody::new(stream)));
	response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
	response
}

/// Aborts its task when dropped: the reader of a request's body, which holds the connection
/// open while it runs, ends with the request however the handler returns.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
	fn drop(&mut self) {
		self.0.abort();
	}
}

/// The request lines of a stream's body, each as it arrives: a JSON request, or why the body
/// stopped (not JSON, too large, a broken connection). Lines are split on `\n`; blank lines are
/// skipped; the whole body is at most `max` bytes. Each byte is looked at once whatever the
/// body's pieces (a line sent a byte at a time costs what it would in one piece).
fn request_lines(
	request: Request<Incoming>,
	max: usize,
	name: String,
) -> (tokio::sync::mpsc::Receiver<Result<Bytes, MicroError>>, AbortOnDrop) {
	let (lines, receiver) = tokio::sync::mpsc::channel(16);
	let reader = tokio::spawn(async move {
		let mut body = request.into_body();
		let mut pending = bytes::BytesMut::new();
		let (mut scanned, mut seen, mut number) = (0usize, 0usize, 0usize);
		let mut ended = false;
		while !ended {
			match body.frame().await {
				Some(Ok(frame)) => {
					let Ok(data) = frame.into_data() else { continue };
					seen += data.len();
					if seen > max {
						let error =
							MicroError::too_large(&name, format!("the body exceeds {max} bytes"));
						let _ = lines.send(Err(error)).await;
						return;
					}
					pending.extend_from_slice(&data);
				}
				Some(Err(e)) => {
					let error = MicroError::bad_request(&name, format!("reading the body: {e}"));
					let _ = lines.send(Err(error)).await;
					return;
				}
				None => {
					ended = true;
					pending.extend_from_slice(b"\n");
				}
			}
			while let Some(at) = pending[scanned..].iter().position(|b| *b == b'\n') {
				let mut line = pending.split_to(scanned + at + 1).freeze();
				scanned = 0;
				line.truncate(line.len() - 1);
				if line.iter().all(u8::is_ascii_whitespace) {
					continue;
				}
				number += 1;
				let checked = match serde_json::from_slice::<serde::de::IgnoredAny>(&line) {
					Ok(_) => Ok(line),
					Err(e) => Err(MicroError::bad_request(
						&name,
						format!("line {number} is not JSON: {e}"),
					)),
				};
				let stop = checked.is_err();
				if lines.send(checked).await.is_err() || stop {
					return;
				}
			}
			scanned = pending.len();
		}
	});
	(receiver, AbortOnDrop(reader))
}

/// A stream: each request line is sent as soon as it arrives and each answer written as soon as
/// it comes, so a client may send a request, read its answer, then decide the next. The first
/// line must arrive within [`GatewayConfig::body_timeout`]; a first line that is not JSON is a
/// 400, a later one ends the stream with its error as the last line.
///
/// What a client can hold is bounded: at most [`GatewayConfig::max_streams`] streams at once
/// (429 past them), a request side that sends nothing for `body_timeout` is finished (so the
/// service ends the stream), no stream outlives [`GatewayConfig::max_stream_duration`], and
/// the gateway stopping ends them all.
async fn stream(
	request: Request<Incoming>,
	peer: &Peer,
	config: &GatewayConfig,
	limits: Limits,
	service: &str,
	endpoint: &str,
) -> Response<Body> {
	let name = format!("{service}.{endpoint}");
	let Ok(permit) = limits.streams.clone().try_acquire_owned() else {
		let detail =
			format!("the gateway serves {} streams at once: try again shortly", config.max_streams);
		return error_response(&MicroError::new(&name, 429, detail));
	};
	let (mut lines, reader) = request_lines(request, config.max_body, name.clone());
	let first = match tokio::time::timeout(config.body_timeout, lines.recv()).await {
		Err(_) => {
			let detail = format!("the body did not arrive within {:?}", config.body_timeout);
			return error_response(&MicroError::timeout(&name, detail));
		}
		Ok(Some(Err(error))) => return error_response(&error),
		Ok(first) => first.map(|line| line.unwrap_or_default()),
	};
	let mut micro_stream = match peer.stream(service, endpoint).await {
		Ok(stream) => stream,
		Err(error) => return error_response(&error),
	};
	let (frames, receiver) = tokio::sync::mpsc::channel::<Bytes>(16);
	let (idle, lifetime) = (config.body_timeout, config.max_stream_duration);
	let mut shutdown = limits.shutdown;
	tokio::spawn(async move {
		let (_permit, _reader) = (permit, reader);
		let failed = |error: &MicroError| Bytes::from(format!("{}\n", error_json(error)));
		let ends_at = tokio::time::Instant::now() + lifetime;
		let mut sending = true;
		match first {
			Some(line) => {
				if let Err(error) = micro_stream.send(line.to_vec()).await {
					let _ = frames.send(failed(&error)).await;
					return;
				}
			}
			None => {
				micro_stream.finish();
				sending = false;
			}
		}
		let mut next_line_by = tokio::time::Instant::now() + idle;
		loop {
			tokio::select! {
				line = lines.recv(), if sending => match line {
					Some(Ok(line)) => {
						next_line_by = tokio::time::Instant::now() + idle;
						if let Err(error) = micro_stream.send(line.to_vec()).await {
							let _ = frames.send(failed(&error)).await;
							return;
						}
					}
					Some(Err(error)) => {
						let _ = frames.send(failed(&error)).await;
						return;
					}
					None => {
						micro_stream.finish();
						sending = false;
					}
				},
				next = micro_stream.recv() => {
					let Some(next) = next else { return };
					let line = match next {
						Ok(message) => json_text(&message).replace('\n', " "),
						Err(error) => error_json(&error),
					};
					if frames.send(Bytes::from(format!("{line}\n"))).await.is_err() {
						return;
					}
				}
				// A client that sends nothing more has said all it will: the service is told
				// so, and ends the stream when it has answered.
				_ = tokio::time::sleep_until(next_line_by), if sending => {
					micro_stream.finish();
					sending = false;
				}
				_ = tokio::time::sleep_until(ends_at) => {
					let detail = format!("the stream outlived the gateway's {lifetime:?}");
					let _ = frames.send(failed(&MicroError::timeout(&name, detail))).await;
					return;
				}
				_ = shutdown.changed() => return,
			}
		}
	});
	streamed(receiver, "application/x-ndjson")
}

fn error_json(error: &MicroError) -> String {
	json!({ "error": serde_json::from_str::<Value>(&error.to_json()).unwrap_or(Value::Null) })
		.to_string()
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn percent_decoding_of_query_values() {
		assert_eq!(percent_decode("a%20b+c%2Fd"), "a b c/d");
		assert_eq!(percent_decode("bad%zz%"), "bad%zz%");
	}
}
