//! The micro communication protocol: headers, bodies, errors and the envelope.
//!
//! A MUCP message is a set of headers and an encoded body. Where the carrier has headers of its
//! own (HTTP) the headers travel there; everywhere else header and body travel together in an
//! [`Envelope`] (defined in `proto/mucp.proto`, encoded with prost).
//!
//! Three forms share the format ([`Form`]): a **call** names a service and endpoint and gets one
//! reply with the same `Micro-Id`; a **stream** adds a `Micro-Stream` id and carries any number
//! of messages both ways; a **publish** names a `Micro-Topic` (and, to subscribe as part of a
//! queue group, a `Micro-Queue`).
//!
//! Bodies are protobuf, or JSON when they start with `{`; an explicit `Content-Type` header
//! wins, and one the protocol does not know is refused. Every problem with a message becomes a
//! [`MicroError`] with a precise reason, never a panic.

use std::collections::BTreeMap;

use prost::Message as _;
use serde::{Deserialize, Serialize};

/// The protobuf types generated from `proto/mucp.proto`.
pub mod proto {
	include!(concat!(env!("OUT_DIR"), "/micro.mucp.v1.rs"));
}

pub use proto::{Envelope, Publication, Publications};

/// The names of the MUCP headers.
pub mod header {
	/// Unique per request; a reply carries its request's.
	pub const ID: &str = "Micro-Id";
	/// The service a call or stream is for.
	pub const SERVICE: &str = "Micro-Service";
	/// The endpoint of the service, such as `Say.Hello`.
	pub const ENDPOINT: &str = "Micro-Endpoint";
	/// A failed call's error, as [`super::MicroError`] JSON.
	pub const ERROR: &str = "Micro-Error";
	/// The id of the stream a message belongs to.
	pub const STREAM: &str = "Micro-Stream";
	/// The topic a message is published to.
	pub const TOPIC: &str = "Micro-Topic";
	/// The queue group a subscriber shares a topic's messages with.
	pub const QUEUE: &str = "Micro-Queue";
	/// The node that published a message, as the receiving node authenticated it (whatever
	/// the sender wrote there is overwritten).
	pub const PUBLISHER: &str = "Micro-Publisher";
	/// How the body is encoded.
	pub const CONTENT_TYPE: &str = "Content-Type";
	/// How long the caller of a call waits for the answer, in milliseconds. A retry carries
	/// the same `Micro-Id`, and the server stops the handler at that deadline and charges
	/// nothing for an answer after it (see [`super::handler_budget`]).
	pub const TIMEOUT: &str = "Micro-Timeout";
	/// How a published message is delivered: `durable` (the default: stored, acknowledged,
	/// sent again) or `core` (at most once: live subscribers only, nothing stored).
	pub const DELIVERY: &str = "Micro-Delivery";
}

/// The least time a server leaves for an answer's way back to its caller.
pub const MIN_RETURN_MARGIN: std::time::Duration = std::time::Duration::from_millis(250);

/// How long a server runs the handler of a call whose caller waits `caller` (its
/// [`header::TIMEOUT`]), when it runs handlers `most` at most: a tenth of the caller's wait,
/// and at least [`MIN_RETURN_MARGIN`], is left for the answer's way back, so an answer the
/// server counts (and charges) reaches a caller still waiting for it.
pub fn handler_budget(
	caller: Option<std::time::Duration>,
	most: std::time::Duration,
) -> std::time::Duration {
	match caller {
		Some(wait) => wait.saturating_sub((wait / 10).max(MIN_RETURN_MARGIN)).min(most),
		None => most,
	}
}

/// How a body is encoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ContentType {
	/// Protocol buffers: `application/protobuf` (also `application/x-protobuf` and
	/// `application/octet-stream`).
	Protobuf,
	/// JSON: `application/json`.
	Json,
}

impl ContentType {
	/// The media type this encoding is announced as.
	pub fn as_str(&self) -> &'static str {
		match self {
			Self::Protobuf => "application/protobuf",
			Self::Json => "application/json",
		}
	}

	/// The encoding a `Content-Type` value names, ignoring parameters such as `charset`.
	pub fn parse(value: &str) -> Option<Self> {
		let media = value.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
		match media.as_str() {
			"application/protobuf" | "application/x-protobuf" | "application/octet-stream" => {
				Some(Self::Protobuf)
			}
			"application/json" => Some(Self::Json),
			_ => None,
		}
	}

	/// The encoding of `body` judged by its first byte: JSON if it is `{`.
	pub fn detect(body: &[u8]) -> Self {
		if body.first() == Some(&b'{') {
			Self::Json
		} else {
			Self::Protobuf
		}
	}
}

/// A MUCP error: what `Micro-Error` carries, as JSON `{"id","code","detail","status"}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MicroError {
	/// Where it arose, such as `greeter.Say.Hello` or `mucp.protocol`.
	pub id: String,
	/// An HTTP status code.
	pub code: u16,
	/// What went wrong, for people.
	pub detail: String,
	/// The status code's reason phrase.
	pub status: String,
}

impl MicroError {
	/// An error with `code`, its standard reason phrase as `status`.
	pub fn new(id: impl Into<String>, code: u16, detail: impl Into<String>) -> Self {
		Self { id: id.into(), code, detail: detail.into(), status: reason_phrase(code).into() }
	}

	/// 400: the message is malformed or lacks something it needs.
	pub fn bad_request(id: impl Into<String>, detail: impl Into<String>) -> Self {
		Self::new(id, 400, detail)
	}

	/// 404: no such service, endpoint or topic.
	pub fn not_found(id: impl Into<String>, detail: impl Into<String>) -> Self {
		Self::new(id, 404, detail)
	}

	/// 408: no answer in time.
	pub fn timeout(id: impl Into<String>, detail: impl Into<String>) -> Self {
		Self::new(id, 408, detail)
	}

	/// 413: the message is larger than allowed.
	pub fn too_large(id: impl Into<String>, detail: impl Into<String>) -> Self {
		Self::new(id, 413, detail)
	}

	/// 415: the body is in an encoding the protocol does not know.
	pub fn unsupported_media_type(id: impl Into<String>, detail: impl Into<String>) -> Self {
		Self::new(id, 415, detail)
	}

	/// 500: the service failed.
	pub fn internal(id: impl Into<String>, detail: impl Into<String>) -> Self {
		Self::new(id, 500, detail)
	}

	/// The error as the JSON `Micro-Error` carries.
	pub fn to_json(&self) -> String {
		serde_json::to_string(self).expect("a MicroError always serializes")
	}

	/// Parses a `Micro-Error` value.
	pub fn from_json(value: &str) -> Result<Self, MicroError> {
		serde_json::from_str(value).map_err(|e| {
			Self::bad_request(PROTOCOL, format!("malformed `{}` header: {e}", header::ERROR))
		})
	}
}

impl std::fmt::Display for MicroError {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		write!(f, "{} {} ({}): {}", self.code, self.status, self.id, self.detail)
	}
}

impl std::error::Error for MicroError {}

/// The id errors found by the protocol itself carry.
pub const PROTOCOL: &str = "mucp.protocol";

/// The reason phrase of the status codes MUCP uses.
fn reason_phrase(code: u16) -> &'static str {
	match code {
		400 => "Bad Request",
		401 => "Unauthorized",
		402 => "Payment Required",
		403 => "Forbidden",
		404 => "Not Found",
		408 => "Request Timeout",
		409 => "Conflict",
		413 => "Payload Too Large",
		415 => "Unsupported Media Type",
		429 => "Too Many Requests",
		500 => "Internal Server Error",
		502 => "Bad Gateway",
		503 => "Service Unavailable",
		504 => "Gateway Timeout",
		_ => "Unknown",
	}
}

/// How big a message may be. Anything larger is refused before it is decoded further.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
	/// Largest encoded envelope, in bytes.
	pub max_frame: usize,
	/// Largest body, in bytes.
	pub max_body: usize,
	/// Most headers.
	pub max_headers: usize,
	/// Longest header name or value, in bytes.
	pub max_header_len: usize,
}

impl Default for Limits {
	/// 4 MiB bodies in 4 MiB + 64 KiB frames, 64 headers of up to 4 KiB.
	fn default() -> Self {
		Self {
			max_frame: 4 * 1024 * 1024 + 64 * 1024,
			max_body: 4 * 1024 * 1024,
			max_headers: 64,
			max_header_len: 4096,
		}
	}
}

/// What a message is, by its headers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Form {
	/// A request or its reply.
	Call {
		/// `Micro-Service`.
		service: String,
		/// `Micro-Endpoint`.
		endpoint: String,
	},
	/// A message of a stream.
	Stream {
		/// `Micro-Stream`.
		stream: String,
		/// `Micro-Service`.
		service: String,
		/// `Micro-Endpoint`.
		endpoint: String,
	},
	/// A message published to a topic, or a subscription to one.
	Publish {
		/// `Micro-Topic`.
		topic: String,
		/// `Micro-Queue`, for a subscriber in a queue group.
		queue: Option<String>,
	},
}

/// A MUCP message: headers and an encoded body.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Message {
	headers: BTreeMap<String, String>,
	/// The encoded body.
	pub body: Vec<u8>,
}

/// `name` with each `-`-separated word capitalised, as MUCP spells headers (`micro-id` →
/// `Micro-Id`), so lookups ignore case like HTTP does.
pub fn canonical_name(name: &str) -> String {
	name.split('-')
		.map(|word| {
			let mut chars = word.chars();
			match chars.next() {
				Some(first) => {
					first.to_ascii_uppercase().to_string() + &chars.as_str().to_ascii_lowercase()
				}
				None => String::new(),
			}
		})
		.collect::<Vec<_>>()
		.join("-")
}

impl Message {
	/// A message with no headers and `body`.
	pub fn new(body: impl Into<Vec<u8>>) -> Self {
		Self { headers: BTreeMap::new(), body: body.into() }
	}

	/// A call of `service`'s `endpoint`, with `id` and a body whose encoding is detected.
	pub fn call(id: &str, service: &str, endpoint: &str, body: impl Into<Vec<u8>>) -> Self {
		let body = body.into();
		let content_type = ContentType::detect(&body);
		Self::new(body)
			.with(header::ID, id)
			.with(header::SERVICE, service)
			.with(header::ENDPOINT, endpoint)
			.with(header::CONTENT_TYPE, content_type.as_str())
	}

	/// A message of stream `stream` to `service`'s `endpoint`.
	pub fn stream(
		id: &str,
		stream: &str,
		service: &str,
		endpoint: &str,
		body: impl Into<Vec<u8>>,
	) -> Self {
		Self::call(id, service, endpoint, body).with(header::STREAM, stream)
	}

	/// A message published to `topic`.
	pub fn publish(id: &str, topic: &str, body: impl Into<Vec<u8>>) -> Self {
		let body = body.into();
		let content_type = ContentType::detect(&body);
		Self::new(body)
			.with(header::ID, id)
			.with(header::TOPIC, topic)
			.with(header::CONTENT_TYPE, content_type.as_str())
	}

	/// The reply to `request`: its id, service, endpoint and stream, and `body`.
	pub fn reply_to(request: &Message, body: impl Into<Vec<u8>>) -> Self {
		let body = body.into();
		let content_type = ContentType::detect(&body);
		Self::correlated(request, body).with(header::CONTENT_TYPE, content_type.as_str())
	}

	/// The error reply to `request`: its id, service, endpoint and stream, and `Micro-Error`.
	pub fn error_reply(request: &Message, error: &MicroError) -> Self {
		Self::correlated(request, Vec::new()).with(header::ERROR, &error.to_json())
	}

	/// A message with `body` and the headers that tie it to `request`.
	fn correlated(request: &Message, body: Vec<u8>) -> Self {
		let mut reply = Self::new(body);
		for name in [header::ID, header::SERVICE, header::ENDPOINT, header::STREAM] {
			if let Some(value) = request.header(name) {
				reply.set(name, value);
			}
		}
		reply
	}

	/// This message with header `name` set to `value`.
	pub fn with(mut self, name: &str, value: &str) -> Self {
		self.set(name, value);
		self
	}

	/// Sets header `name` (in any case) to `value`.
	pub fn set(&mut self, name: &str, value: &str) {
		self.headers.insert(canonical_name(name), value.to_owned());
	}

	/// Header `name`, in any case.
	pub fn header(&self, name: &str) -> Option<&str> {
		self.headers.get(&canonical_name(name)).map(String::as_str)
	}

	/// Every header, by canonical name.
	pub fn headers(&self) -> &BTreeMap<String, String> {
		&self.headers
	}

	/// `Micro-Id`, if set.
	pub fn id(&self) -> Option<&str> {
		self.header(header::ID)
	}

	/// How long the caller waits for the answer ([`header::TIMEOUT`]), if it said so in whole
	/// milliseconds.
	pub fn timeout(&self) -> Option<std::time::Duration> {
		let millis = self.header(header::TIMEOUT)?.trim().parse().ok()?;
		Some(std::time::Duration::from_millis(millis))
	}

	/// Sets [`header::TIMEOUT`] to `timeout`, in whole milliseconds.
	pub fn set_timeout(&mut self, timeout: std::time::Duration) {
		self.set(header::TIMEOUT, &timeout.as_millis().to_string());
	}

	/// The error this message carries in `Micro-Error`, if any.
	pub fn error(&self) -> Option<Result<MicroError, MicroError>> {
		self.header(header::ERROR).map(MicroError::from_json)
	}

	/// How the body is encoded: as `Content-Type` says, or else as its first byte shows.
	pub fn content_type(&self) -> Result<ContentType, MicroError> {
		match self.header(header::CONTENT_TYPE) {
			Some(value) => ContentType::parse(value).ok_or_else(|| {
				MicroError::unsupported_media_type(
					PROTOCOL,
					format!(
						"unknown content type `{value}`: use `application/protobuf` or \
						 `application/json`"
					),
				)
			}),
			None => Ok(ContentType::detect(&self.body)),
		}
	}

	/// The body as JSON, if it is JSON.
	pub fn json(&self) -> Result<serde_json::Value, MicroError> {
		if self.content_type()? != ContentType::Json {
			return Err(MicroError::unsupported_media_type(PROTOCOL, "the body is not JSON"));
		}
		serde_json::from_slice(&self.body)
			.map_err(|e| MicroError::bad_request(PROTOCOL, format!("malformed JSON body: {e}")))
	}

	/// What the message is, checking it has every header its form needs and a known content
	/// type.
	pub fn form(&self) -> Result<Form, MicroError> {
		let require = |name: &str| {
			self.header(name).filter(|value| !value.is_empty()).map(str::to_owned).ok_or_else(
				|| MicroError::bad_request(PROTOCOL, format!("missing header `{name}`")),
			)
		};
		require(header::ID)?;
		self.content_type()?;
		if let Some(topic) = self.header(header::TOPIC) {
			if topic.is_empty() {
				return Err(MicroError::bad_request(PROTOCOL, "empty `Micro-Topic`"));
			}
			return Ok(Form::Publish {
				topic: topic.to_owned(),
				queue: self.header(header::QUEUE).map(str::to_owned),
			});
		}
		let service = require(header::SERVICE)?;
		let endpoint = require(header::ENDPOINT)?;
		Ok(match self.header(header::STREAM) {
			Some(stream) => Form::Stream { stream: stream.to_owned(), service, endpoint },
			None => Form::Call { service, endpoint },
		})
	}

	/// The message as an envelope.
	pub fn to_envelope(&self) -> Envelope {
		Envelope { headers: self.headers.clone().into_iter().collect(), body: self.body.clone() }
	}

	/// The message as an encoded envelope, ready for a carrier without headers.
	pub fn encode(&self) -> Vec<u8> {
		self.to_envelope().encode_to_vec()
	}

	/// Decodes an encoded envelope, refusing anything over `limits` or malformed, and checks
	/// its form. The error says exactly what is wrong; nothing else is affected.
	pub fn decode(frame: &[u8], limits: &Limits) -> Result<(Message, Form), MicroError> {
		if frame.len() > limits.max_frame {
			return Err(MicroError::too_large(
				PROTOCOL,
				format!("frame of {} bytes exceeds the limit of {}", frame.len(), limits.max_frame),
			));
		}
		let envelope = Envelope::decode(frame)
			.map_err(|e| MicroError::bad_request(PROTOCOL, format!("malformed envelope: {e}")))?;
		let message = Self::from_envelope(envelope, limits)?;
		let form = message.form()?;
		Ok((message, form))
	}

	/// A message from a decoded envelope, within `limits`.
	pub fn from_envelope(envelope: Envelope, limits: &Limits) -> Result<Message, MicroError> {
		if envelope.body.len() > limits.max_body {
			return Err(MicroError::too_large(
				PROTOCOL,
				format!(
					"body of {} bytes exceeds the limit of {}",
					envelope.body.len(),
					limits.max_body
				),
			));
		}
		if envelope.headers.len() > limits.max_headers {
			return Err(MicroError::too_large(
				PROTOCOL,
				format!(
					"{} headers exceed the limit of {}",
					envelope.headers.len(),
					limits.max_headers
				),
			));
		}
		let mut message = Message::new(envelope.body);
		for (name, value) in envelope.headers {
			if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
				return Err(MicroError::bad_request(
					PROTOCOL,
					format!("malformed header name `{}`", name.escape_default()),
				));
			}
			if name.len() > limits.max_header_len || value.len() > limits.max_header_len {
				return Err(MicroError::too_large(
					PROTOCOL,
					format!("header `{name}` exceeds {} bytes", limits.max_header_len),
				));
			}
			message.set(&name, &value);
		}
		Ok(message)
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	const ID: &str = "d02d5da0-14dc-11e9-ab14-d663bd873d93";

	fn decode(frame: &[u8]) -> Result<(Message, Form), MicroError> {
		Message::decode(frame, &Limits::default())
	}

	#[test]
	fn a_call_round_trips_through_the_envelope() {
		let call = Message::call(ID, "greeter", "Say.Hello", vec![0x0a, 0x03, b'J', b'o', b'e']);
		let (decoded, form) = decode(&call.encode()).unwrap();
		assert_eq!(decoded, call);
		assert_eq!(form, Form::Call { service: "greeter".into(), endpoint: "Say.Hello".into() });
		assert_eq!(decoded.content_type().unwrap(), ContentType::Protobuf);
		assert_eq!(decoded.header("content-type"), Some("application/protobuf"));
		assert_eq!(decoded.id(), Some(ID));
	}

	#[test]
	fn a_body_starting_with_a_brace_is_json() {
		let call = Message::call(ID, "greeter", "Say.Hello", br#"{"name":"Joe"}"#.to_vec());
		assert_eq!(call.content_type().unwrap(), ContentType::Json);
		assert_eq!(call.json().unwrap()["name"], "Joe");
		let mut untyped = Message::new(br#"{"name":"Joe"}"#.to_vec());
		assert_eq!(untyped.content_type().unwrap(), ContentType::Json);
		untyped.body = vec![0x0a, 0x00];
		assert_eq!(untyped.content_type().unwrap(), ContentType::Protobuf);
		assert_eq!(untyped.json().unwrap_err().code, 415);
		let broken = Message::call(ID, "greeter", "Say.Hello", b"{not json".to_vec());
		assert!(broken.json().unwrap_err().detail.starts_with("malformed JSON body"));
	}

	#[test]
	fn a_stated_content_type_wins_and_parameters_are_ignored() {
		let message = Message::new(b"{}".to_vec()).with("Content-Type", "application/x-protobuf");
		assert_eq!(message.content_type().unwrap(), ContentType::Protobuf);
		let message = message.with("content-type", "Application/JSON; charset=utf-8");
		assert_eq!(message.content_type().unwrap(), ContentType::Json);
	}

	#[test]
	fn streams_and_publishes_are_told_apart() {
		let stream = Message::stream(ID, "user.1", "geolocation", "Gps.Update", vec![1]);
		assert_eq!(
			stream.form().unwrap(),
			Form::Stream {
				stream: "user.1".into(),
				service: "geolocation".into(),
				endpoint: "Gps.Update".into()
			}
		);
		let publish = Message::publish(ID, "events", br#"{"a":1}"#.to_vec());
		assert_eq!(publish.form().unwrap(), Form::Publish { topic: "events".into(), queue: None });
		let subscribe = publish.with(header::QUEUE, "customer");
		assert_eq!(
			subscribe.form().unwrap(),
			Form::Publish { topic: "events".into(), queue: Some("customer".into()) }
		);
	}

	#[test]
	fn header_names_ignore_case() {
		let message = Message::new(Vec::new()).with("micro-SERVICE", "greeter");
		assert_eq!(message.header("Micro-Service"), Some("greeter"));
		assert_eq!(message.headers().keys().collect::<Vec<_>>(), vec!["Micro-Service"]);
		assert_eq!(canonical_name("content-type"), "Content-Type");
		assert_eq!(canonical_name("x--y"), "X--Y");
	}

	#[test]
	fn errors_travel_as_micro_error_json() {
		let request = Message::call(ID, "greeter", "Say.Hello", vec![]);
		let error = MicroError::internal("greeter.Say.Hello", "Failed greeting");
		assert_eq!(
			error.to_json(),
			r#"{"id":"greeter.Say.Hello","code":500,"detail":"Failed greeting","status":"Internal Server Error"}"#
		);
		let reply = Message::error_reply(&request, &error);
		let (decoded, _) = decode(&reply.encode()).unwrap();
		assert_eq!(decoded.error(), Some(Ok(error)));
		assert_eq!(decoded.id(), Some(ID));
		let garbled = Message::new(Vec::new()).with(header::ERROR, "{oops");
		assert_eq!(garbled.error().unwrap().unwrap_err().code, 400);
	}

	#[test]
	fn a_reply_carries_the_request_id_and_stream() {
		let request = Message::stream(ID, "s1", "geolocation", "Gps.Update", vec![1]);
		let reply = Message::reply_to(&request, br#"{"ok":true}"#.to_vec());
		assert_eq!(reply.id(), Some(ID));
		assert_eq!(reply.header(header::STREAM), Some("s1"));
		assert_eq!(reply.content_type().unwrap(), ContentType::Json);
	}

	#[test]
	fn missing_headers_are_named() {
		let no_id = Message::new(vec![1]).with(header::SERVICE, "greeter");
		assert_eq!(decode(&no_id.encode()).unwrap_err().detail, "missing header `Micro-Id`");
		let no_endpoint = Message::new(vec![1]).with(header::ID, ID).with(header::SERVICE, "g");
		assert_eq!(
			decode(&no_endpoint.encode()).unwrap_err().detail,
			"missing header `Micro-Endpoint`"
		);
		let no_service = Message::new(vec![1]).with(header::ID, ID);
		let error = decode(&no_service.encode()).unwrap_err();
		assert_eq!((error.code, error.detail.as_str()), (400, "missing header `Micro-Service`"));
		let empty_topic = Message::new(vec![1]).with(header::ID, ID).with(header::TOPIC, "");
		assert_eq!(decode(&empty_topic.encode()).unwrap_err().detail, "empty `Micro-Topic`");
	}

	#[test]
	fn an_unknown_content_type_is_refused() {
		let message = Message::call(ID, "greeter", "Say.Hello", vec![1])
			.with(header::CONTENT_TYPE, "text/plain");
		let error = decode(&message.encode()).unwrap_err();
		assert_eq!(error.code, 415);
		assert!(error.detail.contains("`text/plain`"), "{error}");
	}

	#[test]
	fn oversized_frames_bodies_and_headers_are_refused() {
		let limits = Limits { max_frame: 200, max_body: 50, max_headers: 5, max_header_len: 20 };
		let big = Message::call(ID, "greeter", "Say.Hello", vec![0u8; 300]);
		let error = Message::decode(&big.encode(), &limits).unwrap_err();
		assert_eq!(error.code, 413);
		assert!(error.detail.starts_with("frame of"), "{error}");
		let body = Message::new(vec![0u8; 51]).with(header::ID, "1");
		let error = Message::decode(&body.encode(), &limits).unwrap_err();
		assert_eq!(error.detail, "body of 51 bytes exceeds the limit of 50");
		let mut many = Message::new(vec![]);
		for i in 0..6 {
			many.set(&format!("X-H{i}"), "v");
		}
		let error = Message::decode(&many.encode(), &limits).unwrap_err();
		assert_eq!(error.detail, "6 headers exceed the limit of 5");
		let long = Message::new(vec![]).with(header::ID, &"x".repeat(21));
		let error = Message::decode(&long.encode(), &limits).unwrap_err();
		assert_eq!(error.detail, "header `Micro-Id` exceeds 20 bytes");
	}

	#[test]
	fn malformed_frames_get_a_reason_and_never_panic() {
		let error = decode(&[0xff, 0xff, 0xff]).unwrap_err();
		assert_eq!(error.code, 400);
		assert!(error.detail.starts_with("malformed envelope"), "{error}");
		let bad_name = Envelope {
			headers: [("Micro Id".to_owned(), "1".to_owned())].into_iter().collect(),
			body: vec![],
		};
		let error = decode(&bad_name.encode_to_vec()).unwrap_err();
		assert_eq!(error.detail, "malformed header name `Micro Id`");
		// Every prefix and every single-byte corruption of a valid frame decodes or fails cleanly.
		let frame =
			Message::call(ID, "greeter", "Say.Hello", br#"{"name":"Joe"}"#.to_vec()).encode();
		for end in 0..frame.len() {
			let _ = decode(&frame[..end]);
		}
		for at in 0..frame.len() {
			for byte in [0x00, 0x7f, 0x80, 0xff] {
				let mut corrupt = frame.clone();
				corrupt[at] = byte;
				let _ = decode(&corrupt);
			}
		}
	}

	#[test]
	fn error_codes_have_their_reason_phrases() {
		assert_eq!(MicroError::bad_request("a", "b").status, "Bad Request");
		assert_eq!(MicroError::not_found("a", "b").status, "Not Found");
		assert_eq!(MicroError::timeout("a", "b").status, "Request Timeout");
		assert_eq!(MicroError::too_large("a", "b").status, "Payload Too Large");
		assert_eq!(MicroError::unsupported_media_type("a", "b").status, "Unsupported Media Type");
		assert_eq!(MicroError::new("a", 599, "b").status, "Unknown");
		assert_eq!(
			MicroError::internal("greeter", "boom").to_string(),
			"500 Internal Server Error (greeter): boom"
		);
	}

	#[test]
	fn a_handler_runs_no_longer_than_its_caller_waits() {
		use std::time::Duration;
		let most = Duration::from_secs(10);
		let mut call = Message::call("t1", "greeter", "Say.Hello", Vec::new());
		assert_eq!(call.timeout(), None);
		assert_eq!(handler_budget(call.timeout(), most), most, "no deadline sent");
		call.set_timeout(Duration::from_millis(2_000));
		assert_eq!(call.header("micro-timeout"), Some("2000"));
		assert_eq!(handler_budget(call.timeout(), most), Duration::from_millis(1_750));
		call.set_timeout(Duration::from_secs(60));
		assert_eq!(handler_budget(call.timeout(), most), most, "never past the server's own");
		call.set_timeout(Duration::from_millis(1_000));
		assert_eq!(
			handler_budget(call.timeout(), most),
			Duration::from_millis(750),
			"at least 250 ms are left for the way back"
		);
		call.set_timeout(Duration::from_millis(100));
		assert_eq!(handler_budget(call.timeout(), most), Duration::ZERO, "no time to run at all");
		call.set(header::TIMEOUT, "soon");
		assert_eq!(call.timeout(), None, "not a number of milliseconds");
	}
}
