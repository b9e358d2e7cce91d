//! The compact binary frame core (at-most-once) publications travel in between nodes, as the
//! payload of a link's one-way frame ([`crate::link`]).
//!
//! A core publication used to travel as an [`Envelope`](crate::protocol::Envelope) in a
//! protobuf `Publication`, in a `Publications` batch, as the body of a `Broker.Deliver` call
//! message, itself an envelope: every message was encoded twice and decoded twice, with a map
//! of strings at each level. A core batch now carries just what a receiver needs, each record
//! encoded once by the publisher (and shared by every node it goes to) and read in place:
//!
//! ```text
//! batch   = version (u8, 2) · count (u32) · record{count}
//! record  = topic (str) · id (str) · header count (u8) · (name (str) · value (str)){n}
//!           · body length (u32) · body · group count (u16) · group (str){n}
//! str     = length (u16) · UTF-8 bytes
//! ```
//!
//! Integers are big-endian. `id` is the `Micro-Id`; the headers are the message's others
//! except `Micro-Topic`, `Micro-Id` and `Micro-Publisher` (the receiver sets that one from the
//! authenticated sender). Everything up to the body is the same for every node
//! ([`encode_record`]); the groups are each node's own ([`encode_groups`]): the queue groups
//! whose members on *that* node receive the message ([`crate::broker::Plan::queue_nodes`]
//! names that node for them). So a node is sent only its own groups, and however many groups
//! another node advertises, only what is sent to that node grows.
//!
//! **Bounded and checked.** The frame itself is at most the link's payload limit. A frame
//! whose version is not [`VERSION`], or whose records are truncated, not UTF-8 or followed by
//! bytes after the last one, ends there ([`Refusal::Frame`]). A whole record that a receiver
//! refuses ([`Refusal::Record`]: its body over `Limits::max_body`, its headers over
//! `Limits::max_headers` or a header a [`Message`] would refuse, a topic or id empty or over
//! `Limits::max_header_len`, an unknown `Content-Type`, more than [`MAX_GROUPS`] groups) is
//! skipped, and the next one read. Nothing is allocated from a count before the bytes it
//! counts are there.

use bytes::{BufMut, Bytes, BytesMut};

use crate::protocol::{header, ContentType, Limits, Message, MicroError, PROTOCOL};

/// The version byte a batch starts with (1 carried every group's node in the shared record).
pub const VERSION: u8 = 2;

/// Most queue groups one record names: a record names only its node's own groups, and a
/// publisher takes a node to have at most
/// [`MAX_GROUPS_PER_NODE`](super::interest::MAX_GROUPS_PER_NODE) on a topic.
pub const MAX_GROUPS: usize = super::interest::MAX_GROUPS_PER_NODE;

/// Bytes before a batch's records: its version and count.
pub const BATCH_HEADER: usize = 1 + 4;

/// The groups of a record whose node serves none of its queue groups.
pub const NO_GROUPS: Bytes = Bytes::from_static(&[0, 0]);

/// Why a record of a batch was not taken.
#[derive(Debug)]
pub enum Refusal {
	/// The frame is broken from here on: the rest of the batch is lost.
	Frame(MicroError),
	/// This whole record is refused; the next is read.
	Record(MicroError),
}

impl Refusal {
	/// The error it tells.
	pub fn into_error(self) -> MicroError {
		match self {
			Self::Frame(error) | Self::Record(error) => error,
		}
	}
}

fn malformed(what: impl std::fmt::Display) -> MicroError {
	MicroError::bad_request(PROTOCOL, format!("malformed core publication batch: {what}"))
}

/// The headers a record carries in its own fields, or that the receiver sets itself.
fn carried_apart(name: &str) -> bool {
	[header::TOPIC, header::ID, header::PUBLISHER].iter().any(|n| n.eq_ignore_ascii_case(name))
}

fn put_str(buffer: &mut Vec<u8>, text: &str, what: &str) -> Result<(), MicroError> {
	let len = u16::try_from(text.len()).map_err(|_| {
		MicroError::too_large(PROTOCOL, format!("{what} of {} bytes is over 65535", text.len()))
	})?;
	buffer.put_u16(len);
	buffer.put_slice(text.as_bytes());
	Ok(())
}

/// Refuses, with the error a receiver within `limits` would give, core `message` (published
/// to `topic`) if a receiver would refuse its record.
pub fn check_message(message: &Message, topic: &str, limits: &Limits) -> Result<(), MicroError> {
	let id = message.id().unwrap_or_default();
	if topic.is_empty() || id.is_empty() {
		return Err(MicroError::bad_request(
			PROTOCOL,
			"a publication needs a topic and a `Micro-Id`",
		));
	}
	let own = message.headers().iter().filter(|(name, _)| !carried_apart(name));
	check_fields(topic, id, own.clone().count(), limits)?;
	for (name, value) in own {
		check_header(name, value, limits)?;
	}
	check_body(message.body.len(), limits)
}

/// Encodes `message` (published to `topic`) as the part of a record every node gets. Refuses
/// (with the error a receiver within `limits` would give) what a receiver would refuse.
pub fn encode_record(message: &Message, topic: &str, limits: &Limits) -> Result<Bytes, MicroError> {
	check_message(message, topic, limits)?;
	let id = message.id().unwrap_or_default();
	let own = || message.headers().iter().filter(|(name, _)| !carried_apart(name));
	let headers: usize = own().map(|(name, value)| 4 + name.len() + value.len()).sum();
	let size = 2 + topic.len() + 2 + id.len() + 1 + headers + 4 + message.body.len();
	let mut record = Vec::with_capacity(size);
	put_str(&mut record, topic, "a topic")?;
	put_str(&mut record, id, "a `Micro-Id`")?;
	let count = own().count();
	let count = u8::try_from(count)
		.map_err(|_| MicroError::too_large(PROTOCOL, format!("{count} headers are over 255")))?;
	record.put_u8(count);
	for (name, value) in own() {
		put_str(&mut record, name, "a header name")?;
		put_str(&mut record, value, "a header value")?;
	}
	let body = u32::try_from(message.body.len()).map_err(|_| {
		MicroError::too_large(PROTOCOL, format!("a body of {} bytes", message.body.len()))
	})?;
	record.put_u32(body);
	record.put_slice(&message.body);
	Ok(Bytes::from(record))
}

/// Encodes the queue groups one node serves for a record ([`NO_GROUPS`] if none): at most
/// [`MAX_GROUPS`], each of at most 65535 bytes; returns how many it left out past those.
pub fn encode_groups<'a>(groups: impl IntoIterator<Item = &'a str>) -> (Bytes, usize) {
	let mut encoded = Vec::new();
	let (mut count, mut left_out) = (0u16, 0);
	for group in groups {
		if count as usize >= MAX_GROUPS || group.len() > u16::MAX as usize {
			left_out += 1;
			continue;
		}
		if encoded.is_empty() {
			encoded.put_u16(0);
		}
		encoded.put_u16(group.len() as u16);
		encoded.put_slice(group.as_bytes());
		count += 1;
	}
	if count == 0 {
		return (NO_GROUPS, left_out);
	}
	encoded[..2].copy_from_slice(&count.to_be_bytes());
	(Bytes::from(encoded), left_out)
}

/// Writes a batch of `records` (each from [`encode_record`], with its node's groups from
/// [`encode_groups`]) to `buffer`.
pub fn put_batch(buffer: &mut BytesMut, records: &[(Bytes, Bytes)]) {
	let size: usize = records.iter().map(|(record, groups)| record.len() + groups.len()).sum();
	buffer.reserve(BATCH_HEADER + size);
	buffer.put_u8(VERSION);
	buffer.put_u32(records.len() as u32);
	for (record, groups) in records {
		buffer.put_slice(record);
		buffer.put_slice(groups);
	}
}

/// Reads the fields of a frame in order.
struct Cursor<'a>(&'a [u8]);

impl<'a> Cursor<'a> {
	fn take(&mut self, len: usize, what: &str) -> Result<&'a [u8], MicroError> {
		if self.0.len() < len {
			return Err(malformed(format_args!("truncated in {what}")));
		}
		let (taken, rest) = self.0.split_at(len);
		self.0 = rest;
		Ok(taken)
	}

	fn u8(&mut self, what: &str) -> Result<u8, MicroError> {
		Ok(self.take(1, what)?[0])
	}

	fn u16(&mut self, what: &str) -> Result<u16, MicroError> {
		let bytes = self.take(2, what)?;
		Ok(u16::from_be_bytes([bytes[0], bytes[1]]))
	}

	fn u32(&mut self, what: &str) -> Result<u32, MicroError> {
		let bytes = self.take(4, what)?;
		Ok(u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]))
	}

	fn str(&mut self, what: &str) -> Result<&'a str, MicroError> {
		let len = self.u16(what)? as usize;
		std::str::from_utf8(self.take(len, what)?)
			.map_err(|_| malformed(format_args!("{what} is not UTF-8")))
	}
}

/// One record of a batch as read, borrowed from the frame and already checked.
#[derive(Debug)]
pub struct Record<'a> {
	/// The topic it was published to.
	pub topic: &'a str,
	/// Its `Micro-Id`.
	pub id: &'a str,
	/// `count` header (name, value) pairs, encoded.
	headers: (u8, &'a [u8]),
	/// `count` groups, encoded.
	groups: (u16, &'a [u8]),
	/// Its body.
	pub body: &'a [u8],
}

/// `count` strings read from `bytes`, already checked.
fn strings(count: usize, bytes: &[u8]) -> impl Iterator<Item = &str> {
	let mut cursor = Cursor(bytes);
	(0..count).map_while(move |_| cursor.str("").ok())
}

impl<'a> Record<'a> {
	/// The message it carries: its headers, `Micro-Topic` and `Micro-Id`, and its body.
	pub fn message(&self) -> Message {
		let mut message = Message::new(self.body.to_vec());
		let mut headers = strings(2 * self.headers.0 as usize, self.headers.1);
		while let (Some(name), Some(value)) = (headers.next(), headers.next()) {
			message.set(name, value);
		}
		message.set(header::TOPIC, self.topic);
		message.set(header::ID, self.id);
		message
	}

	/// The queue groups whose members on the receiving node get the message.
	pub fn groups(&self) -> impl Iterator<Item = &'a str> {
		strings(self.groups.0 as usize, self.groups.1)
	}

	/// How many queue groups it names.
	pub fn group_count(&self) -> usize {
		self.groups.0 as usize
	}
}

/// Reads the records of a batch one by one, checking each as it goes.
pub struct Batch<'a> {
	cursor: Cursor<'a>,
	left: u32,
	limits: Limits,
}

impl<'a> Batch<'a> {
	/// The batch in `frame`, its records to be read within `limits`.
	pub fn read(frame: &'a [u8], limits: &Limits) -> Result<Self, MicroError> {
		let mut cursor = Cursor(frame);
		let version = cursor.u8("the version")?;
		if version != VERSION {
			return Err(malformed(format_args!(
				"version {version} (this node reads {VERSION}; a node of an older version sends \
				 another format)"
			)));
		}
		let left = cursor.u32("the count")?;
		Ok(Self { cursor, left, limits: *limits })
	}

	/// How many bytes of the frame are not read yet.
	pub fn unread(&self) -> usize {
		self.cursor.0.len()
	}

	/// The next record, `None` after the last: a [`Refusal::Record`] skips one record, a
	/// [`Refusal::Frame`] ends the batch.
	pub fn next_record(&mut self) -> Option<Result<Record<'a>, Refusal>> {
		if self.left == 0 {
			if self.cursor.0.is_empty() {
				return None;
			}
			self.cursor.0 = &[];
			return Some(Err(Refusal::Frame(malformed("bytes after the last record"))));
		}
		self.left -= 1;
		let record = match walk(&mut self.cursor) {
			Ok(record) => record,
			Err(error) => {
				self.left = 0;
				self.cursor.0 = &[];
				return Some(Err(Refusal::Frame(error)));
			}
		};
		Some(check_record(&record, &self.limits).map(|()| record).map_err(Refusal::Record))
	}
}

/// The fields of the record at `cursor`, checking only that they are all there (and UTF-8).
fn walk<'a>(cursor: &mut Cursor<'a>) -> Result<Record<'a>, MicroError> {
	let topic = cursor.str("a topic")?;
	let id = cursor.str("a `Micro-Id`")?;
	let count = cursor.u8("the header count")?;
	let start = cursor.0;
	for _ in 0..count {
		cursor.str("a header name")?;
		cursor.str("a header value")?;
	}
	let headers = (count, &start[..start.len() - cursor.0.len()]);
	let body = cursor.u32("the body length")? as usize;
	let body = cursor.take(body, "a body")?;
	let count = cursor.u16("the group count")?;
	let start = cursor.0;
	for _ in 0..count {
		cursor.str("a queue group")?;
	}
	let groups = (count, &start[..start.len() - cursor.0.len()]);
	Ok(Record { topic, id, headers, groups, body })
}

/// Refuses a whole record a receiver within `limits` does not take.
fn check_record(record: &Record<'_>, limits: &Limits) -> Result<(), MicroError> {
	if record.topic.is_empty() || record.id.is_empty() {
		return Err(malformed("a record without a topic or a `Micro-Id`"));
	}
	check_fields(record.topic, record.id, record.headers.0 as usize, limits)?;
	let mut headers = strings(2 * record.headers.0 as usize, record.headers.1);
	while let (Some(name), Some(value)) = (headers.next(), headers.next()) {
		check_header(name, value, limits)?;
	}
	check_body(record.body.len(), limits)?;
	if record.groups.0 as usize > MAX_GROUPS {
		return Err(MicroError::too_large(
			PROTOCOL,
			format!("{} queue groups exceed the limit of {MAX_GROUPS}", record.groups.0),
		));
	}
	Ok(())
}

/// Refuses a topic or id a header could not hold, or `own` headers (besides the topic, the id
/// and the publisher the receiver sets) over `limits`.
fn check_fields(topic: &str, id: &str, own: usize, limits: &Limits) -> Result<(), MicroError> {
	for (what, value) in [("topic", topic), ("`Micro-Id`", id)] {
		if value.len() > limits.max_header_len {
			return Err(MicroError::too_large(
				PROTOCOL,
				format!(
					"a {what} of {} bytes exceeds {} bytes",
					value.len(),
					limits.max_header_len
				),
			));
		}
	}
	let headers = own + 3;
	if headers > limits.max_headers {
		return Err(MicroError::too_large(
			PROTOCOL,
			format!("{headers} headers exceed the limit of {}", limits.max_headers),
		));
	}
	Ok(())
}

/// Refuses a body over `limits`.
fn check_body(len: usize, limits: &Limits) -> Result<(), MicroError> {
	if len > limits.max_body {
		return Err(MicroError::too_large(
			PROTOCOL,
			format!("body of {len} bytes exceeds the limit of {}", limits.max_body),
		));
	}
	Ok(())
}

/// Refuses a header a [`Message`] decoded from an envelope would refuse, one carried in a
/// record's own fields, or a `Content-Type` no subscriber could read.
fn check_header(name: &str, value: &str, limits: &Limits) -> Result<(), MicroError> {
	if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
		return Err(malformed(format_args!("header name `{}`", name.escape_default())));
	}
	if carried_apart(name) {
		return Err(malformed(format_args!("header `{name}` among the headers")));
	}
	if name.len() > limits.max_header_len || value.len() > limits.max_header_len {
		return Err(MicroError::too_large(
			PROTOCOL,
			format!("header `{name}` exceeds {} bytes", limits.max_header_len),
		));
	}
	if name.eq_ignore_ascii_case(header::CONTENT_TYPE) && ContentType::parse(value).is_none() {
		return Err(MicroError::unsupported_media_type(
			PROTOCOL,
			format!("unknown content type `{}`", value.escape_default()),
		));
	}
	Ok(())
}

#[cfg(test)]
mod tests {
	use super::*;

	fn batch(records: &[(Bytes, Bytes)]) -> Vec<u8> {
		let mut buffer = BytesMut::new();
		put_batch(&mut buffer, records);
		buffer.to_vec()
	}

	/// Every record read, or the first refusal.
	fn read_all(frame: &[u8], limits: &Limits) -> Result<Vec<(Message, String)>, MicroError> {
		outcomes(frame, limits)?.into_iter().collect()
	}

	/// What becomes of each record: read (with its topic and groups) or refused.
	fn outcomes(
		frame: &[u8],
		limits: &Limits,
	) -> Result<Vec<Result<(Message, String), MicroError>>, MicroError> {
		let mut batch = Batch::read(frame, limits)?;
		let mut read = Vec::new();
		while let Some(record) = batch.next_record() {
			read.push(
				record
					.map(|r| {
						(r.message(), format!("{}:{:?}", r.topic, r.groups().collect::<Vec<_>>()))
					})
					.map_err(Refusal::into_error),
			);
		}
		Ok(read)
	}

	fn record(message: &Message, topic: &str) -> (Bytes, Bytes) {
		(encode_record(message, topic, &Limits::default()).unwrap(), NO_GROUPS)
	}

	fn sample(n: usize) -> Message {
		Message::publish(&format!("node-{n}"), "news", vec![n as u8; 100 + n])
			.with("X-Trace", "abc")
			.with(header::DELIVERY, "core")
			.with(header::PUBLISHER, "someone")
	}

	#[test]
	fn a_batch_round_trips_without_the_publisher_header() {
		let first = sample(1);
		let second = Message::publish("node-2", "other", Vec::new());
		let (groups, left_out) = encode_groups(["workers", "auditors"]);
		assert_eq!(left_out, 0);
		let records = [
			(encode_record(&first, "news", &Limits::default()).unwrap(), groups),
			record(&second, "other"),
		];
		let read = read_all(&batch(&records), &Limits::default()).unwrap();
		// Everything but `Micro-Publisher`, which the receiver sets.
		let mut expected = Message::new(first.body.clone());
		for (name, value) in first.headers().iter().filter(|(n, _)| *n != header::PUBLISHER) {
			expected.set(name, value);
		}
		assert_eq!(read[0].0, expected);
		assert_eq!(read[0].1, r#"news:["workers", "auditors"]"#);
		assert_eq!(read[1].0, second);
		assert_eq!(read[1].1, "other:[]");
		assert_eq!(read.len(), 2);
		assert!(read_all(&batch(&[]), &Limits::default()).unwrap().is_empty());
	}

	#[test]
	fn every_truncation_of_a_batch_is_refused_as_malformed() {
		let message = sample(3);
		let record = (
			encode_record(&message, "news", &Limits::default()).unwrap(),
			encode_groups(["workers"]).0,
		);
		let frame = batch(&[record]);
		for len in 0..frame.len() {
			let error = read_all(&frame[..len], &Limits::default()).unwrap_err();
			assert_eq!(error.code, 400, "{len}: {}", error.detail);
			assert!(error.detail.contains("truncated"), "{len}: {}", error.detail);
		}
		let mut longer = frame.clone();
		longer.push(0);
		let error = read_all(&longer, &Limits::default()).unwrap_err();
		assert!(error.detail.contains("bytes after the last record"), "{}", error.detail);
		let mut wrong = frame;
		wrong[0] = 1;
		let error = read_all(&wrong, &Limits::default()).unwrap_err();
		assert!(
			error.detail.contains("version 1 (this node reads 2; a node of an older"),
			"{}",
			error.detail
		);
	}

	#[test]
	fn an_oversize_record_is_skipped_and_the_rest_of_its_batch_is_read() {
		let limits =
			Limits { max_body: 64, max_headers: 6, max_header_len: 24, ..Limits::default() };
		let small = Message::publish("id-1", "news", vec![1; 10]);
		let ok = record(&small, "news");
		let big = record(&Message::publish("id-2", "news", vec![1; 65]), "news");
		let many = record(&small.clone().with("A", "1").with("B", "2").with("C", "3"), "news");
		let long = record(&small.clone().with("Trace", &"9".repeat(25)), "news");
		let groups = (0..=MAX_GROUPS).map(|n| n.to_string()).collect::<Vec<_>>();
		let (too_many_groups, left_out) = encode_groups(groups.iter().map(String::as_str));
		assert_eq!(left_out, 1, "past MAX_GROUPS, left out");
		let mut forged_groups = too_many_groups.to_vec();
		forged_groups[..2].copy_from_slice(&(MAX_GROUPS as u16 + 1).to_be_bytes());
		forged_groups.extend_from_slice(&[0, 1, b'x']);
		let forged_groups = (ok.0.clone(), Bytes::from(forged_groups));
		let frame = batch(&[ok.clone(), big, ok.clone(), many, long, forged_groups, ok]);
		let read = outcomes(&frame, &limits).unwrap();
		let codes: Vec<u16> =
			read.iter().map(|r| r.as_ref().map_or_else(|e| e.code, |_| 200)).collect();
		assert_eq!(codes, [200, 413, 200, 413, 413, 413, 200], "each refused alone");
		let details: Vec<String> =
			read.iter().filter_map(|r| r.as_ref().err()).map(|e| e.detail.clone()).collect();
		assert_eq!(details[0], "body of 65 bytes exceeds the limit of 64");
		assert_eq!(details[1], "7 headers exceed the limit of 6", "with topic, id, publisher");
		let topic = "t".repeat(70_000);
		let error = encode_record(&small, &topic, &Limits::default()).unwrap_err();
		assert_eq!(error.code, 413);
	}

	#[test]
	fn a_publisher_is_refused_what_a_receiver_would_refuse() {
		let limits = Limits::default();
		let message = |headers: &[(&str, &str)]| {
			let mut message = Message::publish("id-1", "news", "{}");
			for (name, value) in headers {
				message.set(name, value);
			}
			message
		};
		let refused = |message: Message| encode_record(&message, "news", &limits).unwrap_err();
		assert_eq!(refused(message(&[("X_Trace", "1")])).code, 400);
		assert_eq!(refused(message(&[("Bad Name", "1")])).code, 400);
		assert_eq!(refused(message(&[("Trace", &"9".repeat(4097))])).code, 413);
		assert_eq!(refused(message(&[(header::CONTENT_TYPE, "text/evil")])).code, 415);
		let names: Vec<String> = (0..62).map(|n| format!("X-{n}")).collect();
		let many: Vec<(&str, &str)> = names.iter().map(|n| (n.as_str(), "1")).collect();
		assert_eq!(refused(message(&many)).code, 413, "62 + Content-Type + 3: 66 headers");
		assert_eq!(refused(message(&[]).with(header::ID, &"i".repeat(4097))).code, 413);
		assert_eq!(encode_record(&message(&[]), "", &limits).unwrap_err().code, 400);
		assert!(encode_record(&message(&many[..60]), "news", &limits).is_ok(), "64 headers");
	}

	#[test]
	fn forged_fields_are_refused() {
		let record = |topic: &str, id: &str, headers: &[(&str, &str)]| {
			let mut record = Vec::new();
			put_str(&mut record, topic, "").unwrap();
			put_str(&mut record, id, "").unwrap();
			record.put_u8(headers.len() as u8);
			for (name, value) in headers {
				put_str(&mut record, name, "").unwrap();
				put_str(&mut record, value, "").unwrap();
			}
			record.put_u32(0);
			(Bytes::from(record), NO_GROUPS)
		};
		let refused =
			|record: (Bytes, Bytes)| read_all(&batch(&[record]), &Limits::default()).unwrap_err();
		assert!(refused(record("", "id", &[])).detail.contains("without a topic"));
		assert!(refused(record("news", "", &[])).detail.contains("without a topic"));
		assert!(refused(record("news", "id", &[("Bad Name", "")])).detail.contains("header name"));
		let forged = refused(record("news", "id", &[("micro-publisher", "someone")]));
		assert!(forged.detail.contains("among the headers"), "{}", forged.detail);
		let mut not_utf8 = record("news", "id", &[]).0.to_vec();
		not_utf8[2] = 0xff;
		assert!(refused((Bytes::from(not_utf8), NO_GROUPS)).detail.contains("not UTF-8"));
		let mut huge_count = batch(&[]);
		huge_count[1..5].copy_from_slice(&u32::MAX.to_be_bytes());
		let error = read_all(&huge_count, &Limits::default()).unwrap_err();
		assert!(error.detail.contains("truncated"), "a count claims nothing it lacks");
		// What a header could not hold before is refused here too.
		let long = "x".repeat(5000);
		assert_eq!(refused(record("news", &long, &[])).code, 413, "a long id");
		assert_eq!(refused(record(&long, "id", &[])).code, 413, "a long topic");
		let evil = refused(record("news", "id", &[("content-type", "text/evil")]));
		assert_eq!(evil.code, 415, "{}", evil.detail);
		let names: Vec<String> = (0..64).map(|n| format!("X-{n}")).collect();
		let many: Vec<(&str, &str)> = names.iter().map(|n| (n.as_str(), "")).collect();
		let error = refused(record("news", "id", &many));
		assert_eq!((error.code, error.detail.as_str()), (413, "67 headers exceed the limit of 64"));
		assert!(read_all(&batch(&[record("news", "id", &many[..61])]), &Limits::default()).is_ok());
	}
}
