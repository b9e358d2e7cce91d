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
//! batch   = version (u8, 1) · count (u32) · record{count}
//! record  = topic (str) · id (str) · header count (u8) · (name (str) · value (str)){n}
//!           · group count (u16) · (group (str) · node (str)){n} · body length (u32) · body
//! str     = length (u16) · UTF-8 bytes
//! ```
//!
//! Integers are big-endian. `id` is the `Micro-Id`; the headers are the message's others
//! except `Micro-Topic`, `Micro-Id` and `Micro-Publisher` (the receiver sets that one from the
//! authenticated sender); each group names the node whose members of that queue group receive
//! the message ([`crate::broker::Plan::queue_nodes`]).
//!
//! **Bounded and checked.** The frame itself is at most the link's payload limit. A record is
//! refused, with the rest of its batch, if anything in it is truncated or not UTF-8, its body
//! is over `Limits::max_body`, it has more than `Limits::max_headers` headers or a header a
//! [`Message`] would refuse, more than [`MAX_GROUPS`] groups, an empty topic or id, or if
//! bytes are left after the last record. Nothing is allocated from a count before the bytes
//! it counts are there.

use std::collections::HashMap;

use bytes::{BufMut, Bytes, BytesMut};

use crate::protocol::{header, Limits, Message, MicroError, PROTOCOL};

/// The version byte a batch starts with.
pub const VERSION: u8 = 1;

/// Most queue groups one record names.
pub const MAX_GROUPS: usize = 4096;

/// Bytes before a batch's records: its version and count.
pub const BATCH_HEADER: usize = 1 + 4;

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

/// Encodes `message` (published to `topic`) and its queue groups' nodes as one record.
pub fn encode_record(
	message: &Message,
	topic: &str,
	queue_nodes: &HashMap<String, String>,
) -> Result<Bytes, MicroError> {
	let id = message.id().unwrap_or_default();
	let headers: usize = message
		.headers()
		.iter()
		.filter(|(name, _)| !carried_apart(name))
		.map(|(name, value)| 4 + name.len() + value.len())
		.sum();
	let groups: usize = queue_nodes.iter().map(|(g, n)| 4 + g.len() + n.len()).sum();
	let size = 2 + topic.len() + 2 + id.len() + 1 + headers + 2 + groups + 4 + message.body.len();
	let mut record = Vec::with_capacity(size);
	put_str(&mut record, topic, "a topic")?;
	put_str(&mut record, id, "a `Micro-Id`")?;
	let count = message.headers().iter().filter(|(name, _)| !carried_apart(name)).count();
	let count = u8::try_from(count)
		.map_err(|_| MicroError::too_large(PROTOCOL, format!("{count} headers are over 255")))?;
	record.put_u8(count);
	for (name, value) in message.headers().iter().filter(|(name, _)| !carried_apart(name)) {
		put_str(&mut record, name, "a header name")?;
		put_str(&mut record, value, "a header value")?;
	}
	if queue_nodes.len() > MAX_GROUPS {
		return Err(MicroError::too_large(
			PROTOCOL,
			format!("{} queue groups are over {MAX_GROUPS}", queue_nodes.len()),
		));
	}
	record.put_u16(queue_nodes.len() as u16);
	for (group, node) in queue_nodes {
		put_str(&mut record, group, "a queue group")?;
		put_str(&mut record, node, "a node")?;
	}
	let body = u32::try_from(message.body.len()).map_err(|_| {
		MicroError::too_large(PROTOCOL, format!("a body of {} bytes", message.body.len()))
	})?;
	record.put_u32(body);
	record.put_slice(&message.body);
	Ok(Bytes::from(record))
}

/// Writes a batch of `records` (each from [`encode_record`]) to `buffer`.
pub fn put_batch(buffer: &mut BytesMut, records: &[Bytes]) {
	let size: usize = records.iter().map(Bytes::len).sum();
	buffer.reserve(BATCH_HEADER + size);
	buffer.put_u8(VERSION);
	buffer.put_u32(records.len() as u32);
	for record in records {
		buffer.put_slice(record);
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
	/// `count` (group, node) pairs, encoded.
	groups: (u16, &'a [u8]),
	/// Its body.
	pub body: &'a [u8],
}

/// `count` pairs of strings read from `bytes`, already checked.
fn pairs(count: usize, bytes: &[u8]) -> impl Iterator<Item = (&str, &str)> {
	let mut cursor = Cursor(bytes);
	(0..count).map_while(move |_| Some((cursor.str("").ok()?, cursor.str("").ok()?)))
}

impl Record<'_> {
	/// The message it carries: its headers, `Micro-Topic` and `Micro-Id`, and its body.
	pub fn message(&self) -> Message {
		let mut message = Message::new(self.body.to_vec());
		for (name, value) in pairs(self.headers.0 as usize, self.headers.1) {
			message.set(name, value);
		}
		message.set(header::TOPIC, self.topic);
		message.set(header::ID, self.id);
		message
	}

	/// For each queue group, the node whose members receive the message.
	pub fn queue_nodes(&self) -> HashMap<String, String> {
		pairs(self.groups.0 as usize, self.groups.1)
			.map(|(group, node)| (group.to_owned(), node.to_owned()))
			.collect()
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
			return Err(malformed(format_args!("version {version} (this node reads {VERSION})")));
		}
		let left = cursor.u32("the count")?;
		Ok(Self { cursor, left, limits: *limits })
	}

	/// The next record, `None` after the last; an error ends the batch.
	pub fn next_record(&mut self) -> Option<Result<Record<'a>, MicroError>> {
		if self.left == 0 {
			if self.cursor.0.is_empty() {
				return None;
			}
			self.cursor.0 = &[];
			return Some(Err(malformed("bytes after the last record")));
		}
		self.left -= 1;
		let record = self.record();
		if record.is_err() {
			self.left = 0;
			self.cursor.0 = &[];
		}
		Some(record)
	}

	fn record(&mut self) -> Result<Record<'a>, MicroError> {
		let limits = self.limits;
		let cursor = &mut self.cursor;
		let topic = cursor.str("a topic")?;
		let id = cursor.str("a `Micro-Id`")?;
		if topic.is_empty() || id.is_empty() {
			return Err(malformed("a record without a topic or a `Micro-Id`"));
		}
		let count = cursor.u8("the header count")?;
		if count as usize > limits.max_headers {
			return Err(MicroError::too_large(
				PROTOCOL,
				format!("{count} headers exceed the limit of {}", limits.max_headers),
			));
		}
		let start = cursor.0;
		for _ in 0..count {
			let (name, value) = (cursor.str("a header name")?, cursor.str("a header value")?);
			check_header(name, value, &limits)?;
		}
		let headers = (count, &start[..start.len() - cursor.0.len()]);
		let count = cursor.u16("the group count")?;
		if count as usize > MAX_GROUPS {
			return Err(MicroError::too_large(
				PROTOCOL,
				format!("{count} queue groups exceed the limit of {MAX_GROUPS}"),
			));
		}
		let start = cursor.0;
		for _ in 0..count {
			cursor.str("a queue group")?;
			cursor.str("a node")?;
		}
		let groups = (count, &start[..start.len() - cursor.0.len()]);
		let body = cursor.u32("the body length")? as usize;
		if body > limits.max_body {
			return Err(MicroError::too_large(
				PROTOCOL,
				format!("body of {body} bytes exceeds the limit of {}", limits.max_body),
			));
		}
		let body = cursor.take(body, "a body")?;
		Ok(Record { topic, id, headers, groups, body })
	}
}

/// Refuses a header a [`Message`] decoded from an envelope would refuse.
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
	Ok(())
}

#[cfg(test)]
mod tests {
	use super::*;

	fn batch(records: &[Bytes]) -> Vec<u8> {
		let mut buffer = BytesMut::new();
		put_batch(&mut buffer, records);
		buffer.to_vec()
	}

	fn read_all(frame: &[u8], limits: &Limits) -> Result<Vec<(Message, String)>, MicroError> {
		let mut batch = Batch::read(frame, limits)?;
		let mut read = Vec::new();
		while let Some(record) = batch.next_record() {
			let record = record?;
			let mut groups: Vec<_> = record.queue_nodes().into_iter().collect();
			groups.sort();
			read.push((record.message(), format!("{}:{groups:?}", record.topic)));
		}
		Ok(read)
	}

	fn sample(n: usize) -> (Message, HashMap<String, String>) {
		let message = Message::publish(&format!("node-{n}"), "news", vec![n as u8; 100 + n])
			.with("X-Trace", "abc")
			.with(header::DELIVERY, "core")
			.with(header::PUBLISHER, "someone");
		let groups = HashMap::from([("workers".to_owned(), "node-b".to_owned())]);
		(message, groups)
	}

	#[test]
	fn a_batch_round_trips_without_the_publisher_header() {
		let (first, groups) = sample(1);
		let second = Message::publish("node-2", "other", Vec::new());
		let records = [
			encode_record(&first, "news", &groups).unwrap(),
			encode_record(&second, "other", &HashMap::new()).unwrap(),
		];
		let read = read_all(&batch(&records), &Limits::default()).unwrap();
		// Everything but `Micro-Publisher`, which the receiver sets.
		let mut expected = Message::new(first.body.clone());
		for (name, value) in first.headers().iter().filter(|(n, _)| *n != header::PUBLISHER) {
			expected.set(name, value);
		}
		assert_eq!(read[0].0, expected);
		assert_eq!(read[0].1, r#"news:[("workers", "node-b")]"#);
		assert_eq!(read[1].0, second);
		assert_eq!(read[1].1, "other:[]");
		assert_eq!(read.len(), 2);
		assert!(read_all(&batch(&[]), &Limits::default()).unwrap().is_empty());
	}

	#[test]
	fn every_truncation_of_a_batch_is_refused_as_malformed() {
		let (message, groups) = sample(3);
		let frame = batch(&[encode_record(&message, "news", &groups).unwrap()]);
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
		wrong[0] = 2;
		assert!(read_all(&wrong, &Limits::default()).unwrap_err().detail.contains("version 2"));
	}

	#[test]
	fn an_oversize_record_is_refused_and_ends_its_batch() {
		let limits =
			Limits { max_body: 64, max_headers: 2, max_header_len: 24, ..Limits::default() };
		let small = Message::publish("id-1", "news", vec![1; 10]);
		let ok = encode_record(&small, "news", &HashMap::new()).unwrap();
		let big = Message::publish("id-2", "news", vec![1; 65]);
		let big = encode_record(&big, "news", &HashMap::new()).unwrap();
		let batch_of = |records: &[Bytes]| {
			let mut buffer = BytesMut::new();
			put_batch(&mut buffer, records);
			let mut batch = Batch::read(&buffer, &limits).unwrap();
			let mut outcomes = Vec::new();
			while let Some(record) = batch.next_record() {
				outcomes.push(record.map(|r| r.id.to_owned()).map_err(|e| (e.code, e.detail)));
			}
			outcomes
		};
		let outcomes = batch_of(&[ok.clone(), big, ok.clone()]);
		assert_eq!(outcomes.len(), 2, "nothing after the refused record");
		assert_eq!(outcomes[0], Ok("id-1".to_owned()));
		let (code, detail) = outcomes[1].clone().unwrap_err();
		assert_eq!((code, detail.as_str()), (413, "body of 65 bytes exceeds the limit of 64"));
		let many = small.clone().with("A", "1").with("B", "2"); // and Content-Type
		let many = encode_record(&many, "news", &HashMap::new()).unwrap();
		assert_eq!(batch_of(&[many])[0].clone().unwrap_err().0, 413, "three headers");
		let long = small.clone().with("Trace", &"9".repeat(25));
		let long = encode_record(&long, "news", &HashMap::new()).unwrap();
		assert_eq!(batch_of(&[long])[0].clone().unwrap_err().0, 413, "a long header");
		let groups = (0..=MAX_GROUPS).map(|n| (n.to_string(), String::new())).collect();
		let error = encode_record(&small, "news", &groups).unwrap_err();
		assert_eq!(error.code, 413);
		let topic = "t".repeat(70_000);
		assert_eq!(encode_record(&small, &topic, &HashMap::new()).unwrap_err().code, 413);
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
			record.put_u16(0);
			record.put_u32(0);
			Bytes::from(record)
		};
		let refused = |record: Bytes| read_all(&batch(&[record]), &Limits::default()).unwrap_err();
		assert!(refused(record("", "id", &[])).detail.contains("without a topic"));
		assert!(refused(record("news", "", &[])).detail.contains("without a topic"));
		assert!(refused(record("news", "id", &[("Bad Name", "")])).detail.contains("header name"));
		let forged = refused(record("news", "id", &[("micro-publisher", "someone")]));
		assert!(forged.detail.contains("among the headers"), "{}", forged.detail);
		let mut not_utf8 = record("news", "id", &[]).to_vec();
		not_utf8[2] = 0xff;
		assert!(refused(Bytes::from(not_utf8)).detail.contains("not UTF-8"));
		let mut huge_count = batch(&[]);
		huge_count[1..5].copy_from_slice(&u32::MAX.to_be_bytes());
		let error = read_all(&huge_count, &Limits::default()).unwrap_err();
		assert!(error.detail.contains("truncated"), "a count claims nothing it lacks");
	}
}
