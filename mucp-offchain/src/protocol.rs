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
//!
//! A message is built, read and encoded without allocating for header names: headers live in a
//! small sorted list ([`Headers`]) under their canonical names, computed once when a header is
//! first set (the names MUCP knows are static strings), and looked up ignoring ASCII case
//! without building a key. [`Message::encode_into`] writes the envelope straight from the
//! message's fields and [`Message::decode`] reads it straight into one, copying the body once.

use std::{borrow::Cow, fmt::Write as _};

use prost::{
	bytes::{Buf, BufMut},
	encoding::{self, WireType},
};
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

	/// The encoding a `Content-Type` value names, ignoring parameters such as `charset` and
	/// the case of letters.
	pub fn parse(value: &str) -> Option<Self> {
		let media = value.split(';').next().unwrap_or_default().trim();
		let is = |name: &str| media.eq_ignore_ascii_case(name);
		if is("application/protobuf")
			|| is("application/x-protobuf")
			|| is("application/octet-stream")
		{
			Some(Self::Protobuf)
		} else if is("application/json") {
			Some(Self::Json)
		} else {
			None
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
	headers: Headers,
	/// The encoded body.
	pub body: Vec<u8>,
}

/// `name` with each `-`-separated word capitalised, as MUCP spells headers (`micro-id` →
/// `Micro-Id`), so lookups ignore case like HTTP does. Two names have the same canonical name
/// exactly when they are equal ignoring ASCII case.
pub fn canonical_name(name: &str) -> String {
	let mut canonical = String::with_capacity(name.len());
	let mut word_start = true;
	for c in name.chars() {
		canonical.push(if word_start { c.to_ascii_uppercase() } else { c.to_ascii_lowercase() });
		word_start = c == '-';
	}
	canonical
}

/// The header names MUCP and the worker use, canonical: setting one of these (in any case)
/// stores a static name instead of allocating one.
const KNOWN_NAMES: [&str; 14] = [
	header::ID,
	header::SERVICE,
	header::ENDPOINT,
	header::CONTENT_TYPE,
	header::ERROR,
	header::STREAM,
	header::TOPIC,
	header::QUEUE,
	header::PUBLISHER,
	header::TIMEOUT,
	"Micro-Caller",
	"Micro-Allowance",
	"Micro-Version",
	"Micro-Depth",
];

/// The canonical form of `name`: a static string if MUCP knows the name, else computed.
fn canonical(name: &str) -> Cow<'static, str> {
	match KNOWN_NAMES.iter().find(|known| known.eq_ignore_ascii_case(name)) {
		Some(known) => Cow::Borrowed(known),
		None => Cow::Owned(canonical_name(name)),
	}
}

/// A message's headers: at most one value per name ignoring case, each under its canonical
/// name ([`canonical_name`]), iterated in order of name. Looking a header up allocates nothing.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Headers {
	/// Sorted by name; no two names equal ignoring case.
	entries: Vec<(Cow<'static, str>, String)>,
}

impl Headers {
	/// No headers, with room for `capacity` before the list grows.
	fn with_capacity(capacity: usize) -> Self {
		Self { entries: Vec::with_capacity(capacity) }
	}

	/// Where header `name` (in any case) is in the list.
	fn position(&self, name: &str) -> Option<usize> {
		self.entries.iter().position(|(known, _)| known.eq_ignore_ascii_case(name))
	}

	/// The value of header `name`, in any case.
	pub fn get(&self, name: &str) -> Option<&str> {
		self.position(name).map(|at| self.entries[at].1.as_str())
	}

	/// Whether header `name` (in any case) is set.
	pub fn contains_key(&self, name: &str) -> bool {
		self.position(name).is_some()
	}

	/// How many headers there are.
	pub fn len(&self) -> usize {
		self.entries.len()
	}

	/// Whether there are none.
	pub fn is_empty(&self) -> bool {
		self.entries.is_empty()
	}

	/// Every header as (canonical name, value), in order of name.
	pub fn iter(&self) -> HeadersIter<'_> {
		HeadersIter(self.entries.iter())
	}

	/// Every header's canonical name, in order.
	pub fn keys(&self) -> impl ExactSizeIterator<Item = &str> + '_ {
		self.entries.iter().map(|(name, _)| name.as_ref())
	}

	/// Every header's value, in order of name.
	pub fn values(&self) -> impl ExactSizeIterator<Item = &str> + '_ {
		self.entries.iter().map(|(_, value)| value.as_str())
	}

	/// Sets header `name` (in any case) to `value`, reusing the old value's buffer.
	fn set(&mut self, name: &str, value: &str) {
		match self.position(name) {
			Some(at) => {
				let old = &mut self.entries[at].1;
				old.clear();
				old.push_str(value);
			}
			None => self.insert_new(canonical(name), value.to_owned()),
		}
	}

	/// Sets header `name` (in any case) to `value`, taking the value as it is.
	fn set_owned(&mut self, name: &str, value: String) {
		match self.position(name) {
			Some(at) => self.entries[at].1 = value,
			None => self.insert_new(canonical(name), value),
		}
	}

	/// Adds a header whose name, canonical, is not set yet, in its place in the order.
	fn insert_new(&mut self, name: Cow<'static, str>, value: String) {
		debug_assert!(self.position(&name).is_none(), "`{name}` is set already");
		let at = self.entries.partition_point(|(known, _)| known.as_ref() < name.as_ref());
		self.entries.insert(at, (name, value));
	}
}

impl std::fmt::Debug for Headers {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		f.debug_map().entries(self.iter()).finish()
	}
}

impl<'a> IntoIterator for &'a Headers {
	type Item = (&'a str, &'a str);
	type IntoIter = HeadersIter<'a>;

	fn into_iter(self) -> Self::IntoIter {
		self.iter()
	}
}

/// The headers of a message as (canonical name, value), in order of name.
#[derive(Clone, Debug)]
pub struct HeadersIter<'a>(std::slice::Iter<'a, (Cow<'static, str>, String)>);

impl<'a> Iterator for HeadersIter<'a> {
	type Item = (&'a str, &'a str);

	fn next(&mut self) -> Option<Self::Item> {
		self.0.next().map(|(name, value)| (name.as_ref(), value.as_str()))
	}

	fn size_hint(&self) -> (usize, Option<usize>) {
		self.0.size_hint()
	}
}

impl ExactSizeIterator for HeadersIter<'_> {}

/// The envelope's fields (`proto/mucp.proto`): `headers` (a map, each entry a message of `key`
/// and `value`) and `body`.
const HEADERS_FIELD: u32 = 1;
const BODY_FIELD: u32 = 2;
const ENTRY_KEY: u32 = 1;
const ENTRY_VALUE: u32 = 2;

/// The encoded length of a length-delimited field of `len` bytes with tag `tag`.
fn delimited_len(tag: u32, len: usize) -> usize {
	encoding::key_len(tag) + encoding::encoded_len_varint(len as u64) + len
}

/// The encoded length of a map entry's fields, leaving out empty ones as protobuf does.
fn entry_len(name: &str, value: &str) -> usize {
	let field = |tag, len| if len == 0 { 0 } else { delimited_len(tag, len) };
	field(ENTRY_KEY, name.len()) + field(ENTRY_VALUE, value.len())
}

/// Writes a length-delimited field, unless it is empty (protobuf's default).
fn put_delimited(tag: u32, bytes: &[u8], buf: &mut impl BufMut) {
	if !bytes.is_empty() {
		encoding::encode_key(tag, WireType::LengthDelimited, buf);
		encoding::encode_varint(bytes.len() as u64, buf);
		buf.put_slice(bytes);
	}
}

/// Reads a length-delimited field's bytes after its key.
fn take_delimited<'a>(wire_type: WireType, buf: &mut &'a [u8]) -> Result<&'a [u8], String> {
	if wire_type != WireType::LengthDelimited {
		return Err(format!(
			"invalid wire type: {wire_type:?} (expected {:?})",
			WireType::LengthDelimited
		));
	}
	let len = encoding::decode_varint(buf).map_err(|e| e.to_string())?;
	if len > buf.len() as u64 {
		return Err("buffer underflow".into());
	}
	let (field, rest) = buf.split_at(len as usize);
	*buf = rest;
	Ok(field)
}

/// Reads a string field's text after its key.
fn take_str<'a>(wire_type: WireType, buf: &mut &'a [u8]) -> Result<&'a str, String> {
	std::str::from_utf8(take_delimited(wire_type, buf)?)
		.map_err(|_| "invalid string value: data is not UTF-8 encoded".to_owned())
}

/// Walks an encoded envelope as protobuf reads it, without copying: each header entry (name,
/// value) in order goes to `entry`, and the body (the last one, if repeated) is returned.
/// Unknown fields are skipped.
fn walk_envelope<'a>(
	mut frame: &'a [u8],
	mut entry: impl FnMut(&'a str, &'a str) -> Result<(), MicroError>,
) -> Result<&'a [u8], MicroError> {
	let malformed =
		|e: String| MicroError::bad_request(PROTOCOL, format!("malformed envelope: {e}"));
	let mut body: &[u8] = &[];
	while frame.has_remaining() {
		let (tag, wire_type) =
			encoding::decode_key(&mut frame).map_err(|e| malformed(e.to_string()))?;
		match tag {
			HEADERS_FIELD => {
				let mut fields = take_delimited(wire_type, &mut frame).map_err(malformed)?;
				let (mut name, mut value) = ("", "");
				while fields.has_remaining() {
					let (tag, wire_type) =
						encoding::decode_key(&mut fields).map_err(|e| malformed(e.to_string()))?;
					match tag {
						ENTRY_KEY => name = take_str(wire_type, &mut fields).map_err(malformed)?,
						ENTRY_VALUE => {
							value = take_str(wire_type, &mut fields).map_err(malformed)?
						}
						_ => skip(wire_type, tag, &mut fields).map_err(malformed)?,
					}
				}
				entry(name, value)?;
			}
			BODY_FIELD => body = take_delimited(wire_type, &mut frame).map_err(malformed)?,
			_ => skip(wire_type, tag, &mut frame).map_err(malformed)?,
		}
	}
	Ok(body)
}

/// Skips an unknown field, as protobuf does.
fn skip(wire_type: WireType, tag: u32, buf: &mut &[u8]) -> Result<(), String> {
	encoding::skip_field(wire_type, tag, buf, encoding::DecodeContext::default())
		.map_err(|e| e.to_string())
}

impl Message {
	/// A message with no headers and `body`.
	pub fn new(body: impl Into<Vec<u8>>) -> Self {
		Self { headers: Headers::default(), body: body.into() }
	}

	/// A message with `body` and room for `headers` headers.
	fn with_room(headers: usize, body: Vec<u8>) -> Self {
		Self { headers: Headers::with_capacity(headers), body }
	}

	/// A call of `service`'s `endpoint`, with `id` and a body whose encoding is detected.
	pub fn call(id: &str, service: &str, endpoint: &str, body: impl Into<Vec<u8>>) -> Self {
		let body = body.into();
		let content_type = ContentType::detect(&body);
		// Room for what a peer adds on the way (stream, timeout, caller, allowance).
		let mut call = Self::with_room(8, body);
		for (name, value) in [
			(header::ID, id),
			(header::SERVICE, service),
			(header::ENDPOINT, endpoint),
			(header::CONTENT_TYPE, content_type.as_str()),
		] {
			call.headers.insert_new(Cow::Borrowed(name), value.to_owned());
		}
		call
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
		// Room for a queue group and the publisher.
		let mut publish = Self::with_room(5, body);
		for (name, value) in [
			(header::ID, id),
			(header::TOPIC, topic),
			(header::CONTENT_TYPE, content_type.as_str()),
		] {
			publish.headers.insert_new(Cow::Borrowed(name), value.to_owned());
		}
		publish
	}

	/// The reply to `request`: its id, service, endpoint and stream, and `body`.
	pub fn reply_to(request: &Message, body: impl Into<Vec<u8>>) -> Self {
		let body = body.into();
		let content_type = ContentType::detect(&body).as_str().to_owned();
		Self::correlated(request, body, (header::CONTENT_TYPE, content_type))
	}

	/// The error reply to `request`: its id, service, endpoint and stream, and `Micro-Error`.
	pub fn error_reply(request: &Message, error: &MicroError) -> Self {
		Self::correlated(request, Vec::new(), (header::ERROR, error.to_json()))
	}

	/// A message with `body`, the headers that tie it to `request`, and header `last` (canonical,
	/// none of those).
	fn correlated(request: &Message, body: Vec<u8>, last: (&'static str, String)) -> Self {
		let mut reply = Self::with_room(5, body);
		for name in [header::ID, header::SERVICE, header::ENDPOINT, header::STREAM] {
			if let Some(value) = request.header(name) {
				reply.headers.insert_new(Cow::Borrowed(name), value.to_owned());
			}
		}
		reply.headers.insert_new(Cow::Borrowed(last.0), last.1);
		reply
	}

	/// This message with header `name` set to `value`.
	pub fn with(mut self, name: &str, value: &str) -> Self {
		self.set(name, value);
		self
	}

	/// Sets header `name` (in any case) to `value`.
	pub fn set(&mut self, name: &str, value: &str) {
		self.headers.set(name, value);
	}

	/// Header `name`, in any case.
	pub fn header(&self, name: &str) -> Option<&str> {
		self.headers.get(name)
	}

	/// Every header, by canonical name.
	pub fn headers(&self) -> &Headers {
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
		let mut millis = String::with_capacity(8);
		let _ = write!(millis, "{}", timeout.as_millis());
		self.headers.set_owned(header::TIMEOUT, millis);
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
			self.header(name).filter(|value| !value.is_empty()).ok_or_else(|| {
				MicroError::bad_request(PROTOCOL, format!("missing header `{name}`"))
			})
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
		let service = require(header::SERVICE)?.to_owned();
		let endpoint = require(header::ENDPOINT)?.to_owned();
		Ok(match self.header(header::STREAM) {
			Some(stream) => Form::Stream { stream: stream.to_owned(), service, endpoint },
			None => Form::Call { service, endpoint },
		})
	}

	/// The message as an envelope.
	pub fn to_envelope(&self) -> Envelope {
		Envelope {
			headers: self.headers.iter().map(|(n, v)| (n.to_owned(), v.to_owned())).collect(),
			body: self.body.clone().into(),
		}
	}

	/// How many bytes [`Message::encode`] writes.
	pub fn encoded_len(&self) -> usize {
		let headers: usize = self
			.headers
			.iter()
			.map(|(name, value)| delimited_len(HEADERS_FIELD, entry_len(name, value)))
			.sum();
		let body =
			if self.body.is_empty() { 0 } else { delimited_len(BODY_FIELD, self.body.len()) };
		headers + body
	}

	/// Writes the message as an encoded envelope ([`Message::encoded_len`] bytes) to `buf`,
	/// straight from its fields: a carrier can put a length prefix and the envelope in one
	/// buffer. The bytes are those prost writes for the same [`Envelope`], headers in order of
	/// name.
	pub fn encode_into(&self, buf: &mut impl BufMut) {
		for (name, value) in self.headers.iter() {
			encoding::encode_key(HEADERS_FIELD, WireType::LengthDelimited, buf);
			encoding::encode_varint(entry_len(name, value) as u64, buf);
			put_delimited(ENTRY_KEY, name.as_bytes(), buf);
			put_delimited(ENTRY_VALUE, value.as_bytes(), buf);
		}
		put_delimited(BODY_FIELD, &self.body, buf);
	}

	/// The message as an encoded envelope, ready for a carrier without headers.
	pub fn encode(&self) -> Vec<u8> {
		let mut frame = Vec::with_capacity(self.encoded_len());
		self.encode_into(&mut frame);
		frame
	}

	/// The message as a frame: its envelope's length (4 bytes, big-endian, as
	/// [`crate::transport::read_frame`] reads it) followed by the envelope, in one buffer.
	pub fn encode_frame(&self) -> Vec<u8> {
		let len = self.encoded_len();
		let mut frame = Vec::with_capacity(4 + len);
		frame.put_u32(u32::try_from(len).unwrap_or(u32::MAX));
		self.encode_into(&mut frame);
		frame
	}

	/// Decodes an encoded envelope, refusing anything over `limits` or malformed, and checks
	/// its form. The error says exactly what is wrong; nothing else is affected.
	pub fn decode(frame: &[u8], limits: &Limits) -> Result<(Message, Form), MicroError> {
		let message = Self::decode_message(frame, limits)?;
		let form = message.form()?;
		Ok((message, form))
	}

	/// Decodes an encoded envelope, refusing anything over `limits` or malformed, without
	/// checking its form: the same rules as [`Message::from_envelope`] of a decoded
	/// [`Envelope`], read straight from `frame` with one copy of the body.
	///
	/// Headers are counted as the frame carries them, a name repeated counting each time, and
	/// a name repeated (in any case) keeps its last value.
	pub fn decode_message(frame: &[u8], limits: &Limits) -> Result<Message, MicroError> {
		if frame.len() > limits.max_frame {
			return Err(MicroError::too_large(
				PROTOCOL,
				format!("frame of {} bytes exceeds the limit of {}", frame.len(), limits.max_frame),
			));
		}
		// First the whole frame's shape, so a malformed frame is refused as such; then the sizes;
		// then each header.
		let mut count = 0usize;
		let body = walk_envelope(frame, |_, _| {
			count += 1;
			Ok(())
		})?;
		check_sizes(body.len(), count, limits)?;
		let mut headers = Headers::with_capacity(count);
		walk_envelope(frame, |name, value| {
			check_header(name, value, limits)?;
			headers.set(name, value);
			Ok(())
		})?;
		Ok(Message { headers, body: body.to_vec() })
	}

	/// A message from a decoded envelope, within `limits`.
	pub fn from_envelope(envelope: Envelope, limits: &Limits) -> Result<Message, MicroError> {
		check_sizes(envelope.body.len(), envelope.headers.len(), limits)?;
		let mut headers = Headers::with_capacity(envelope.headers.len());
		for (name, value) in envelope.headers {
			check_header(&name, &value, limits)?;
			headers.set_owned(&name, value);
		}
		Ok(Message { headers, body: envelope.body.into() })
	}
}

/// Refuses a body or a number of headers over `limits`.
fn check_sizes(body: usize, headers: usize, limits: &Limits) -> Result<(), MicroError> {
	if body > limits.max_body {
		return Err(MicroError::too_large(
			PROTOCOL,
			format!("body of {body} bytes exceeds the limit of {}", limits.max_body),
		));
	}
	if headers > limits.max_headers {
		return Err(MicroError::too_large(
			PROTOCOL,
			format!("{headers} headers exceed the limit of {}", limits.max_headers),
		));
	}
	Ok(())
}

/// Refuses a header whose name is not letters, digits and `-`, or that is over `limits`.
fn check_header(name: &str, value: &str, limits: &Limits) -> Result<(), MicroError> {
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
	Ok(())
}

#[cfg(test)]
mod tests {
	use prost::Message as _;

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
			body: Default::default(),
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
	fn headers_are_one_per_name_in_any_case_and_sorted() {
		let mut message = Message::call(ID, "greeter", "Say.Hello", vec![1]);
		message.set("x-TRACE-id", "a");
		message.set("X-Trace-Id", "b");
		message.set("MICRO-ID", "other");
		assert_eq!(message.header("x-trace-ID"), Some("b"));
		assert_eq!(message.header("micro-id"), Some("other"));
		assert_eq!(message.header("Micro-Idx"), None);
		assert!(message.headers().contains_key("CONTENT-type"));
		assert_eq!(
			message.headers().keys().collect::<Vec<_>>(),
			vec!["Content-Type", "Micro-Endpoint", "Micro-Id", "Micro-Service", "X-Trace-Id"]
		);
		assert_eq!(message.headers().len(), 5);
		// Equal messages are equal whatever the case and order their headers were set in.
		let other = Message::new(vec![1])
			.with("x-trace-id", "b")
			.with(header::SERVICE, "greeter")
			.with("content-type", "application/protobuf")
			.with(header::ENDPOINT, "Say.Hello")
			.with("micro-id", "other");
		assert_eq!(other, message);
		assert_eq!(canonical_name("mICRO-é-x"), "Micro-é-X");
		assert_eq!(canonical_name("-a-"), "-A-");
	}

	/// An envelope with the header entries `headers`, in this order, and `body`.
	fn envelope_of(headers: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
		let mut frame = Vec::new();
		for (name, value) in headers {
			let entry_len = entry_len(name, value);
			encoding::encode_key(HEADERS_FIELD, WireType::LengthDelimited, &mut frame);
			encoding::encode_varint(entry_len as u64, &mut frame);
			put_delimited(ENTRY_KEY, name.as_bytes(), &mut frame);
			put_delimited(ENTRY_VALUE, value.as_bytes(), &mut frame);
		}
		put_delimited(BODY_FIELD, body, &mut frame);
		frame
	}

	#[test]
	fn a_header_repeated_in_a_frame_keeps_its_last_value_and_counts_each_time() {
		let frame = envelope_of(
			&[
				("micro-id", "first"),
				("Micro-Service", "greeter"),
				("MICRO-ID", "second"),
				("Micro-Endpoint", "Say.Hello"),
			],
			b"\x0a\x00",
		);
		let (message, form) = decode(&frame).unwrap();
		assert_eq!(message.id(), Some("second"));
		assert_eq!(message.headers().len(), 3);
		assert_eq!(form, Form::Call { service: "greeter".into(), endpoint: "Say.Hello".into() });
		let limits = Limits { max_headers: 3, ..Limits::default() };
		let error = Message::decode(&frame, &limits).unwrap_err();
		assert_eq!((error.code, error.detail.as_str()), (413, "4 headers exceed the limit of 3"));
		// A flood of repeats is refused by its count, before any header is looked at.
		let flood = envelope_of(&[("Micro-Id", "1"); 100_000], b"");
		let error = decode(&flood).unwrap_err();
		assert_eq!(error.detail, "100000 headers exceed the limit of 64");
	}

	#[test]
	fn every_field_round_trips_and_prost_reads_the_same_envelope() {
		let mut full = Message::stream(ID, "s-1", "geolocation", "Gps.Update", vec![7u8; 300]);
		for (name, value) in [
			(header::ERROR, r#"{"id":"x","code":500,"detail":"d","status":"s"}"#),
			(header::TOPIC, "events"),
			(header::QUEUE, "workers"),
			(header::PUBLISHER, "12D3KooW"),
			(header::TIMEOUT, "1500"),
			("Micro-Caller", "caller"),
			("micro-allowance", "00ff"),
			("X-Custom", ""),
			("X-Unicode", "héllo ✓"),
		] {
			full.set(name, value);
		}
		let cases = [
			full,
			Message::call(ID, "greeter", "Say.Hello", Vec::new()),
			Message::publish(ID, "events", br#"{"a":1}"#.to_vec()).with(header::QUEUE, "q"),
			Message::reply_to(&Message::call(ID, "g", "E", vec![]), vec![0u8; 200_000]),
			Message::error_reply(
				&Message::call(ID, "g", "E", vec![]),
				&MicroError::timeout("g", "late"),
			),
		];
		for message in cases {
			let frame = message.encode();
			assert_eq!(frame.len(), message.encoded_len());
			assert_eq!(
				frame,
				envelope_of(&message.headers().iter().collect::<Vec<_>>(), &message.body)
			);
			// prost reads exactly what the message holds.
			assert_eq!(Envelope::decode(frame.as_slice()).unwrap(), message.to_envelope());
			assert_eq!(Envelope::decode(frame.as_slice()).unwrap().encoded_len(), frame.len());
			let decoded = Message::decode_message(&frame, &Limits::default()).unwrap();
			assert_eq!(decoded, message);
			let via_envelope =
				Message::from_envelope(message.to_envelope(), &Limits::default()).unwrap();
			assert_eq!(via_envelope, message);
			let framed = message.encode_frame();
			assert_eq!(framed[..4], (frame.len() as u32).to_be_bytes());
			assert_eq!(framed[4..], frame[..]);
			let mut appended = b"prefix".to_vec();
			message.encode_into(&mut appended);
			assert_eq!(appended[6..], frame[..]);
		}
		// Unknown fields, in the envelope and in an entry, are skipped as protobuf does.
		let mut frame = Message::call(ID, "greeter", "Say.Hello", vec![1]).encode();
		encoding::encode_key(9, WireType::Varint, &mut frame);
		encoding::encode_varint(300, &mut frame);
		let mut entry = Vec::new();
		encoding::encode_key(5, WireType::SixtyFourBit, &mut entry);
		entry.put_u64(1);
		put_delimited(ENTRY_KEY, b"X-Extra", &mut entry);
		put_delimited(ENTRY_VALUE, b"v", &mut entry);
		encoding::encode_key(HEADERS_FIELD, WireType::LengthDelimited, &mut frame);
		encoding::encode_varint(entry.len() as u64, &mut frame);
		frame.extend_from_slice(&entry);
		let (decoded, _) = decode(&frame).unwrap();
		assert_eq!(decoded.header("x-extra"), Some("v"));
		assert_eq!(decoded.id(), Some(ID));
	}

	#[test]
	fn hostile_frames_are_refused_with_a_reason() {
		let malformed = |frame: &[u8]| {
			let error = decode(frame).unwrap_err();
			assert_eq!(error.code, 400, "{frame:?}: {error}");
			assert!(error.detail.starts_with("malformed envelope: "), "{frame:?}: {error}");
		};
		malformed(&[0x0a]); // a header entry without its length
		malformed(&[0x0a, 0x05, 0x0a, 0x01]); // an entry longer than the frame
		malformed(&[0x0a, 0x03, 0x0a, 0x05, b'a']); // a name longer than its entry
		malformed(&[0x0a, 0x03, 0x0a, 0x01, 0xff]); // a name that is not UTF-8
		malformed(&[0x0a, 0x05, 0x0a, 0x01, b'a', 0x12, 0x01]); // a value cut short
		malformed(&[0x0a, 0x05, 0x0a, 0x01, b'a', 0x12, 0x80]); // a value's length cut short
		malformed(&[0x0a, 0x04, 0x12, 0x02, 0xc3, 0x28]); // a value that is not UTF-8
		malformed(&[0x08, 0x01]); // headers as a number
		malformed(&[0x10, 0x01]); // a body as a number
		malformed(&[0x12, 0x0a, 0x01]); // a body longer than the frame
		malformed(&[0x00]); // field number 0
		malformed(&[0x0f]); // wire type 7
		malformed(&[0x0b]); // a group never ended
		malformed(&[0xff; 11]); // a varint that never ends
		malformed(&[0x1b; 200]); // unknown groups nested past protobuf's recursion limit
		malformed(&[0x1b, 0x2c]); // an unknown group ended by another field's end
							// A name as protobuf allows but MUCP does not.
		let error = decode(&envelope_of(&[("", "x")], b"")).unwrap_err();
		assert_eq!(error.detail, "malformed header name ``");
		let error = decode(&envelope_of(&[("Micro\nId", "x")], b"")).unwrap_err();
		assert_eq!(error.detail, "malformed header name `Micro\\nId`");
		// Whatever decodes the same frame via prost decides the same.
		let frame = Message::stream(ID, "s", "greeter", "Say.Hello", br#"{"a":1}"#.to_vec())
			.with("X-Other", "x")
			.encode();
		let limits = Limits::default();
		for at in 0..frame.len() {
			for byte in [0x00, 0x01, 0x0a, 0x12, 0x7f, 0x80, 0xff] {
				let mut corrupt = frame.clone();
				corrupt[at] = byte;
				let direct = Message::decode_message(&corrupt, &limits);
				let via_prost = Envelope::decode(corrupt.as_slice())
					.map_err(|e| MicroError::bad_request(PROTOCOL, e.to_string()))
					.and_then(|envelope| Message::from_envelope(envelope, &limits));
				assert_eq!(direct.is_ok(), via_prost.is_ok(), "byte {at} = {byte:#x}");
				if let (Ok(direct), Ok(via_prost)) = (direct, via_prost) {
					assert_eq!(direct, via_prost, "byte {at} = {byte:#x}");
				}
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
