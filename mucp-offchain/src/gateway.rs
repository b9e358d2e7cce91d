//! The node's local HTTP API gateway: MUCP for anything that speaks HTTP.
//!
//! | Request | What it does |
//! |---|---|
//! | `POST /{service}/{endpoint}` | a call; the body is JSON (or protobuf with `Content-Type: application/protobuf`) |
//! | `POST /_/stream/{service}/{endpoint}` | a stream: one JSON request per body line; the answers come back one per line |
//! | `POST /_/publish/{topic}` | publishes the body to the topic (at most once with `Micro-Delivery: core`) |
//! | `GET /_/subscribe/{topic}?queue=Q` | subscribes, as server-sent events (`id:` is the `Micro-Id`); resumes after `Last-Event-ID` |
//! | `GET /openapi.json` | an OpenAPI 3 document of every service the registry knows |
//! | `GET /_/health` | this peer's id and how many services it sees |
//!
//! A failed call answers with the HTTP status of its `Micro-Error` code and the error as JSON,
//! also in the `Micro-Error` header. The `Micro-Allowance` and `Micro-Version` headers of a
//! request travel with the call. Paths starting `/_/` cannot name a service (service names
//! start with a letter), so they never shadow one.
//!
//! Limits (issue 17, finding H6): a client must send its request head within
//! [`GatewayConfig::header_timeout`] (an idle keep-alive connection is closed after it too) and
//! its body within [`GatewayConfig::body_timeout`], at most [`GatewayConfig::max_body`] bytes;
//! at most [`GatewayConfig::max_connections`] connections are served at once, further ones
//! wait in the listen backlog. A slowloris client, trickling its headers a byte at a time or
//! never finishing them, holds a connection only until the header timeout and cannot stop
//! anyone else being served.
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

use std::{
	collections::{BTreeMap, VecDeque},
	convert::Infallible,
	net::SocketAddr,
	sync::Arc,
	time::Duration,
};

use bytes::Bytes;
use futures::FutureExt;
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

use crate::{
	broker::{Delivery, DeliveryMode, Published},
	executor::VERSION_HEADER,
	peer::{Peer, PublishOptions},
	protocol::{header, ContentType, Message, MicroError},
	registry,
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
		tokio::spawn(async move {
			let _permit = permit;
			let header_timeout = config.header_timeout;
			let shutdown = stopped.clone();
			let service = service_fn(move |request| {
				let (peer, config, shutdown) = (peer.clone(), config.clone(), shutdown.clone());
				async move { Ok::<_, Infallible>(route(request, &peer, &config, shutdown).await) }
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

async fn route(
	request: Request<Incoming>,
	peer: &Arc<Peer>,
	config: &GatewayConfig,
	shutdown: watch::Receiver<bool>,
) -> Response<Body> {
	let path = request.uri().path().to_owned();
	let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
	let method = request.method().clone();
	match (&method, segments.as_slice()) {
		(&Method::GET, ["openapi.json"]) => {
			json_response(StatusCode::OK, &openapi(&peer.services()))
		}
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
			subscribe(peer, topic, queue.as_deref(), resume_after, config.keep_alive, shutdown)
		}
		(&Method::POST, ["_", "stream", service, endpoint]) => {
			stream(request, peer, config, service, endpoint).await
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

/// One server-sent event: the message's id and its body (JSON on one `data:` line each).
fn event_text(message: &Message) -> String {
	let mut text = String::new();
	if let Some(id) = message.id() {
		text.push_str(&format!("id: {}\n", id.replace(['\n', '\r'], " ")));
	}
	// Split on `\r` too: SSE ends a line at either, so a lone `\r` in a body must not start a
	// field of its own.
	for line in json_text(message).split(['\r', '\n']).filter(|l| !l.is_empty()) {
		text.push_str("data: ");
		text.push_str(line);
		text.push('\n');
	}
	text.push('\n');
	text
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

fn subscribe(
	peer: &Peer,
	topic: &str,
	queue: Option<&str>,
	resume_after: Option<String>,
	keep_alive: Duration,
	mut shutdown: watch::Receiver<bool>,
) -> Response<Body> {
	let topic = percent_decode(topic);
	let mut subscription = match peer.subscribe(&topic, queue.filter(|q| !q.is_empty())) {
		Ok(subscription) => subscription,
		Err(error) => return error_response(&error),
	};
	let (frames, receiver) = tokio::sync::mpsc::channel::<Bytes>(16);
	tokio::spawn(async move {
		let hello = format!(": subscribed to {topic}\n\n");
		if frames.send(Bytes::from(hello)).await.is_err() {
			return;
		}
		// Resuming: of the events waiting, those up to `Last-Event-ID` the client has.
		let mut waiting = Vec::new();
		while let Some(Some(delivery)) = subscription.next().now_or_never() {
			waiting.push(delivery);
		}
		if let Some(last) = resume_after {
			if let Some(at) = waiting.iter().position(|d| d.message.id() == Some(last.as_str())) {
				for delivery in waiting.drain(..=at) {
					let _ = subscription.ack(&delivery);
				}
			}
		}
		let mut unconfirmed = VecDeque::new();
		for delivery in waiting {
			if !send_event(&frames, &subscription, &mut unconfirmed, delivery).await {
				return;
			}
		}
		loop {
			tokio::select! {
				delivery = subscription.next() => {
					let Some(delivery) = delivery else { return };
					if !send_event(&frames, &subscription, &mut unconfirmed, delivery).await {
						// The client left: what it was sent goes back to the inbox.
						return;
					}
				}
				_ = tokio::time::sleep(keep_alive) => {
					if frames.send(Bytes::from_static(b": keep-alive\n\n")).await.is_err() {
						return;
					}
				}
				_ = shutdown.changed() => return,
				_ = frames.closed() => return,
			}
		}
	});
	let mut response = streamed(receiver, "text/event-stream");
	response.headers_mut().insert("cache-control", HeaderValue::from_static("no-cache"));
	response
}

/// Writes `delivery` as an event and holds it unacknowledged (see the module's
/// documentation); a redelivery of an event this connection already sent only renews it.
/// Returns whether the client is still there.
async fn send_event(
	frames: &tokio::sync::mpsc::Sender<Bytes>,
	subscription: &crate::peer::Subscription,
	unconfirmed: &mut VecDeque<Delivery>,
	delivery: Delivery,
) -> bool {
	if let Some(sent) = unconfirmed.iter_mut().find(|d| d.message.id() == delivery.message.id()) {
		*sent = delivery;
		return true;
	}
	if frames.send(Bytes::from(event_text(&delivery.message))).await.is_err() {
		return false;
	}
	unconfirmed.push_back(delivery);
	if unconfirmed.len() > UNCONFIRMED_EVENTS {
		if let Some(oldest) = unconfirmed.pop_front() {
			let _ = subscription.ack(&oldest);
		}
	}
	true
}

async fn stream(
	request: Request<Incoming>,
	peer: &Peer,
	config: &GatewayConfig,
	service: &str,
	endpoint: &str,
) -> Response<Body> {
	let name = format!("{service}.{endpoint}");
	let body = match read_body(request, config, &name).await {
		Ok(body) => body,
		Err(error) => return error_response(&error),
	};
	let mut requests = Vec::new();
	for line in body.split(|b| *b == b'\n').filter(|l| !l.iter().all(u8::is_ascii_whitespace)) {
		if let Err(e) = serde_json::from_slice::<Value>(line) {
			let detail = format!("line {} is not JSON: {e}", requests.len() + 1);
			return error_response(&MicroError::bad_request(&name, detail));
		}
		requests.push(line.to_vec());
	}
	let mut micro_stream = match peer.stream(service, endpoint).await {
		Ok(stream) => stream,
		Err(error) => return error_response(&error),
	};
	let (frames, receiver) = tokio::sync::mpsc::channel::<Bytes>(16);
	tokio::spawn(async move {
		for body in requests {
			if let Err(error) = micro_stream.send(body).await {
				let _ = frames.send(Bytes::from(format!("{}\n", error_json(&error)))).await;
				return;
			}
		}
		micro_stream.finish();
		while let Some(next) = micro_stream.recv().await {
			let line = match next {
				Ok(message) => json_text(&message).replace('\n', " "),
				Err(error) => error_json(&error),
			};
			if frames.send(Bytes::from(format!("{line}\n"))).await.is_err() {
				return;
			}
		}
	});
	streamed(receiver, "application/x-ndjson")
}

fn error_json(error: &MicroError) -> String {
	json!({ "error": serde_json::from_str::<Value>(&error.to_json()).unwrap_or(Value::Null) })
		.to_string()
}

/// The JSON schema of a field kind the registry describes.
fn field_schema(field: &registry::FieldDescription) -> Value {
	let scalar = match field.kind.as_str() {
		"string" => json!({ "type": "string" }),
		"bytes" => json!({ "type": "string", "format": "byte" }),
		"bool" => json!({ "type": "boolean" }),
		"int64" | "sint64" | "int32" => json!({ "type": "integer", "format": "int64" }),
		"uint64" | "uint32" => json!({ "type": "integer", "format": "int64", "minimum": 0 }),
		"double" | "float" => json!({ "type": "number" }),
		_ => json!({}),
	};
	let schema = if field.repeated { json!({ "type": "array", "items": scalar }) } else { scalar };
	let mut schema = schema;
	schema["description"] = json!(format!("protobuf field {}", field.number));
	schema
}

fn message_schema(message: &registry::TypeDescription) -> Value {
	let properties: serde_json::Map<String, Value> =
		message.fields.iter().map(|f| (f.name.clone(), field_schema(f))).collect();
	json!({ "type": "object", "title": message.name, "properties": properties })
}

/// An OpenAPI 3 document of `services`: one `POST /{service}/{endpoint}` per endpoint of each
/// service's newest version, with request and response schemas from the fields described.
pub fn openapi(services: &[registry::Service]) -> Value {
	let mut newest: BTreeMap<&str, &registry::Service> = BTreeMap::new();
	for service in services {
		let name = service.description.name.as_str();
		let newer = newest.get(name).is_none_or(|known| {
			version_key(&service.description.version) > version_key(&known.description.version)
		});
		if newer {
			newest.insert(name, service);
		}
	}
	let error = json!({
		"description": "a Micro-Error",
		"content": { "application/json": { "schema": { "$ref": "#/components/schemas/MicroError" } } }
	});
	let mut paths = serde_json::Map::new();
	for (name, service) in &newest {
		for endpoint in &service.description.endpoints {
			let operation = json!({
				"post": {
					"operationId": format!("{name}.{}", endpoint.name),
					"summary": format!("{name} {} (version {}, on {} node(s))", endpoint.name,
						service.description.version, service.nodes.len()),
					"tags": [name],
					"parameters": [{
						"name": ALLOWANCE_HEADER, "in": "header", "required": false,
						"description": "signed allowances paying for the call (`micro allowance sign`)",
						"schema": { "type": "string" }
					}],
					"requestBody": { "required": true, "content": {
						"application/json": { "schema": message_schema(&endpoint.request) } } },
					"responses": {
						"200": { "description": "the answer", "content": {
							"application/json": { "schema": message_schema(&endpoint.response) } } },
						"default": error,
					}
				}
			});
			paths.insert(format!("/{name}/{}", endpoint.name), operation);
		}
	}
	json!({
		"openapi": "3.0.3",
		"info": {
			"title": "Micro Network gateway",
			"version": env!("CARGO_PKG_VERSION"),
			"description": "Every service this node's registry knows, callable over HTTP.",
		},
		"paths": paths,
		"components": { "schemas": { "MicroError": {
			"type": "object",
			"properties": {
				"id": { "type": "string" }, "code": { "type": "integer" },
				"detail": { "type": "string" }, "status": { "type": "string" },
			}
		} } }
	})
}

/// Orders versions numerically where they are numbers (`10` after `9`).
fn version_key(version: &str) -> (Vec<u64>, String) {
	let numbers = version
		.trim_start_matches('v')
		.split('.')
		.map_while(|part| part.parse::<u64>().ok())
		.collect();
	(numbers, version.to_owned())
}

#[cfg(test)]
mod tests {
	use super::*;

	fn service(version: &str, endpoint: &str) -> registry::Service {
		let mut e = registry::Endpoint::new(endpoint, "Request", "Response");
		e.request.fields.push(registry::FieldDescription {
			number: 1,
			name: "name".into(),
			kind: "string".into(),
			repeated: false,
		});
		e.response.fields.push(registry::FieldDescription {
			number: 2,
			name: "tags".into(),
			kind: "uint64".into(),
			repeated: true,
		});
		registry::Service {
			description: registry::ServiceDescription {
				name: "greeter".into(),
				version: version.into(),
				endpoints: vec![e],
				metadata: Default::default(),
			},
			nodes: Vec::new(),
		}
	}

	#[test]
	fn openapi_describes_the_newest_version_of_each_service() {
		let document = openapi(&[service("9", "Say.Old"), service("10", "Say.Hello")]);
		let paths = document["paths"].as_object().unwrap();
		assert_eq!(paths.keys().collect::<Vec<_>>(), vec!["/greeter/Say.Hello"], "10 beats 9");
		let post = &paths["/greeter/Say.Hello"]["post"];
		let request = &post["requestBody"]["content"]["application/json"]["schema"];
		assert_eq!(request["properties"]["name"]["type"], "string");
		let response = &post["responses"]["200"]["content"]["application/json"]["schema"];
		assert_eq!(response["properties"]["tags"]["type"], "array");
		assert_eq!(response["properties"]["tags"]["items"]["type"], "integer");
		assert_eq!(document["openapi"], "3.0.3");
	}

	#[test]
	fn events_are_one_data_line_per_body_line() {
		let message = Message::publish("m-1", "news", br#"{"a":1}"#.to_vec());
		assert_eq!(event_text(&message), "id: m-1\ndata: {\"a\":1}\n\n");
	}

	#[test]
	fn a_body_cannot_inject_fields_or_events() {
		let body = b"{\"a\":1,\rid: forged\r\rdata: {\"evil\":1}}".to_vec();
		let message = Message::publish("m-1\rid: x", "news", body);
		let text = event_text(&message);
		let lines: Vec<&str> = text.split(['\r', '\n']).collect();
		assert!(
			lines
				.iter()
				.filter(|l| !l.is_empty())
				.all(|l| l.starts_with("data: ") || l.starts_with("id: m-1 id: x")),
			"{text:?}"
		);
		assert_eq!(text.matches("\n\n").count(), 1, "one event");
	}

	#[test]
	fn percent_decoding_of_query_values() {
		assert_eq!(percent_decode("a%20b+c%2Fd"), "a b c/d");
		assert_eq!(percent_decode("bad%zz%"), "bad%zz%");
	}
}
