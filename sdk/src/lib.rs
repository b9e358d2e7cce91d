//! # Micro Network services in Rust
//!
//! The guest side of the executor's ABI (version [`ABI_VERSION`]): a service is a `no_std`
//! crate built for `wasm32v1-none` that names its endpoints with [`service!`]:
//!
//! ```ignore
//! #![no_std]
//! extern crate alloc;
//! use alloc::{format, vec::Vec};
//! use micro_service::{service, Error, Request};
//!
//! service! { "Say.Hello" => hello }
//!
//! fn hello(request: &Request) -> Result<Vec<u8>, Error> {
//!     let name = request.json_str("name")?;
//!     Ok(format!(r#"{{"msg":"Hello {name}"}}"#).into_bytes())
//! }
//! ```
//!
//! A handler gets the [`Request`] (endpoint, body, content type; helpers read a JSON string
//! field or a protobuf field) and returns the response body or an [`Error`], which reaches the
//! caller as a `Micro-Error` with its status code. The host grants four capabilities and
//! nothing else: [`log`], [`publish`] to a topic, [`call`] another service over MUCP, and
//! [`storage`], a key-value store that keeps state across calls of one service version. There
//! is no file system, clock, randomness or network beyond them.
//!
//! Each call starts from the module's initial memory (in a fresh instance, or one the host
//! reset exactly), so the crate's bump allocator never frees: memory is returned when the call
//! ends. A panic traps, failing that call only.
//!
//! ## The ABI, version 1
//! The module exports `memory`, `micro_abi_version() -> i32` (returns 1), `micro_alloc(len) ->
//! ptr` and `micro_handle(endpoint_ptr, endpoint_len, body_ptr, body_len, content_type) -> i32`
//! (0: the response was set with `respond`; 1: an error was set with `fail`). `content_type`
//! is 0 for protobuf and 1 for JSON. It imports from module `micro` only:
//!
//! | import | meaning |
//! |---|---|
//! | `respond(ptr, len)` | the response body |
//! | `fail(code, ptr, len)` | an error: status code and detail |
//! | `log(level, ptr, len)` | a log line (0 error, 1 warn, 2 info, 3 debug) |
//! | `publish(topic_ptr, topic_len, ptr, len) -> i32` | publish; 0 or an error status |
//! | `call(svc_ptr, svc_len, ep_ptr, ep_len, ptr, len) -> i32` | call; the response's length, or minus the error status (its detail is then the pending result) |
//! | `storage_get(key_ptr, key_len) -> i32` | a value's length, or -1 if absent |
//! | `storage_set(key_ptr, key_len, ptr, len)` | store a value |
//! | `storage_remove(key_ptr, key_len)` | remove a value |
//! | `result_len() -> i32` | the length of the pending result |
//! | `take_result(ptr)` | copy the pending result (a `call` response or error detail, a `storage_get` value) to `ptr` |

#![no_std]

extern crate alloc;

use alloc::{string::String, vec, vec::Vec};

/// The version of the ABI this crate speaks.
pub const ABI_VERSION: i32 = 1;

/// How a request body is encoded.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ContentType {
	/// `application/protobuf`.
	Protobuf,
	/// `application/json`.
	Json,
}

/// A call to one of the service's endpoints.
#[derive(Debug)]
pub struct Request<'a> {
	/// The endpoint, such as `Say.Hello`.
	pub endpoint: &'a str,
	/// The request body.
	pub body: &'a [u8],
	/// How the body is encoded.
	pub content_type: ContentType,
}

/// An error a handler returns: the caller gets it as a `Micro-Error` with this status.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Error {
	/// An HTTP-style status code: 400 for bad input, 404, 500, ...
	pub code: u16,
	/// What went wrong, for the caller.
	pub detail: String,
}

impl Error {
	/// An error with `code` and `detail`.
	pub fn new(code: u16, detail: impl Into<String>) -> Self {
		Self { code, detail: detail.into() }
	}

	/// 400: the request is wrong.
	pub fn bad_request(detail: impl Into<String>) -> Self {
		Self::new(400, detail)
	}

	/// 404: the thing asked for does not exist.
	pub fn not_found(detail: impl Into<String>) -> Self {
		Self::new(404, detail)
	}

	/// 500: the service failed.
	pub fn internal(detail: impl Into<String>) -> Self {
		Self::new(500, detail)
	}
}

impl Request<'_> {
	/// The string value of the top-level field `name` of a JSON object body.
	pub fn json_str(&self, name: &str) -> Result<String, Error> {
		if self.content_type != ContentType::Json {
			return Err(Error::bad_request("expected a JSON body"));
		}
		json::string_field(self.body, name)
			.ok_or_else(|| Error::bad_request(alloc::format!("missing string field `{name}`")))
	}

	/// The bytes of length-delimited field `number` (a string, bytes or message) of a protobuf
	/// body; the last one wins, as protobuf says.
	pub fn proto_bytes(&self, number: u32) -> Result<&[u8], Error> {
		if self.content_type != ContentType::Protobuf {
			return Err(Error::bad_request("expected a protobuf body"));
		}
		protobuf::bytes_field(self.body, number)
			.map_err(Error::bad_request)?
			.ok_or_else(|| Error::bad_request(alloc::format!("missing field {number}")))
	}

	/// Field `number` of a protobuf body as UTF-8 text.
	pub fn proto_str(&self, number: u32) -> Result<&str, Error> {
		core::str::from_utf8(self.proto_bytes(number)?)
			.map_err(|_| Error::bad_request(alloc::format!("field {number} is not UTF-8")))
	}
}

/// Reading one field of a JSON object without a JSON library.
pub mod json {
	use alloc::string::String;

	fn skip_ws(input: &[u8], mut at: usize) -> usize {
		while at < input.len() && matches!(input[at], b' ' | b'\t' | b'\n' | b'\r') {
			at += 1;
		}
		at
	}

	/// Parses a JSON string starting at the quote at `at`; returns it and the index after it.
	fn string(input: &[u8], at: usize) -> Option<(String, usize)> {
		if input.get(at) != Some(&b'"') {
			return None;
		}
		let mut out = String::new();
		let mut i = at + 1;
		while i < input.len() {
			match input[i] {
				b'"' => return Some((out, i + 1)),
				b'\\' => {
					let escaped = *input.get(i + 1)?;
					match escaped {
						b'"' => out.push('"'),
						b'\\' => out.push('\\'),
						b'/' => out.push('/'),
						b'n' => out.push('\n'),
						b't' => out.push('\t'),
						b'r' => out.push('\r'),
						b'b' => out.push('\u{8}'),
						b'f' => out.push('\u{c}'),
						b'u' => {
							let hex = core::str::from_utf8(input.get(i + 2..i + 6)?).ok()?;
							let code = u32::from_str_radix(hex, 16).ok()?;
							out.push(char::from_u32(code).unwrap_or('\u{fffd}'));
							i += 4;
						}
						_ => return None,
					}
					i += 2;
				}
				lead => {
					let width = match lead {
						0..0x80 => 1,
						0xf0.. => 4,
						0xe0.. => 3,
						_ => 2,
					};
					let c = core::str::from_utf8(input.get(i..i + width)?).ok()?.chars().next()?;
					out.push(c);
					i += width;
				}
			}
		}
		None
	}

	/// Skips one JSON value at `at`; returns the index after it.
	fn skip_value(input: &[u8], at: usize) -> Option<usize> {
		let at = skip_ws(input, at);
		match *input.get(at)? {
			b'"' => string(input, at).map(|(_, end)| end),
			b'{' | b'[' => {
				let mut depth = 0usize;
				let mut i = at;
				while i < input.len() {
					match input[i] {
						b'"' => {
							i = string(input, i)?.1;
							continue;
						}
						b'{' | b'[' => depth += 1,
						b'}' | b']' => {
							depth -= 1;
							if depth == 0 {
								return Some(i + 1);
							}
						}
						_ => {}
					}
					i += 1;
				}
				None
			}
			_ => {
				let mut i = at;
				while i < input.len() && !matches!(input[i], b',' | b'}' | b']') {
					i += 1;
				}
				Some(i)
			}
		}
	}

	/// The string value of top-level field `name` of the JSON object `input`.
	pub fn string_field(input: &[u8], name: &str) -> Option<String> {
		let mut at = skip_ws(input, 0);
		if input.get(at) != Some(&b'{') {
			return None;
		}
		at += 1;
		loop {
			at = skip_ws(input, at);
			if input.get(at) == Some(&b'}') {
				return None;
			}
			let (key, end) = string(input, at)?;
			at = skip_ws(input, end);
			if input.get(at) != Some(&b':') {
				return None;
			}
			at = skip_ws(input, at + 1);
			if key == name {
				return string(input, at).map(|(value, _)| value);
			}
			at = skip_ws(input, skip_value(input, at)?);
			match input.get(at) {
				Some(b',') => at += 1,
				_ => return None,
			}
		}
	}
}

/// Reading one field of a protobuf message without a protobuf library.
pub mod protobuf {
	fn varint(input: &[u8], at: &mut usize) -> Result<u64, &'static str> {
		let mut value = 0u64;
		for shift in (0..64).step_by(7) {
			let byte = *input.get(*at).ok_or("truncated varint")?;
			*at += 1;
			value |= u64::from(byte & 0x7f) << shift;
			if byte & 0x80 == 0 {
				return Ok(value);
			}
		}
		Err("varint too long")
	}

	/// The last length-delimited field `number` of `input`, if any.
	pub fn bytes_field(input: &[u8], number: u32) -> Result<Option<&[u8]>, &'static str> {
		let mut at = 0;
		let mut found = None;
		while at < input.len() {
			let key = varint(input, &mut at)?;
			let (field, wire) = (key >> 3, key & 7);
			match wire {
				0 => {
					varint(input, &mut at)?;
				}
				1 => at = at.checked_add(8).filter(|end| *end <= input.len()).ok_or("truncated")?,
				5 => at = at.checked_add(4).filter(|end| *end <= input.len()).ok_or("truncated")?,
				2 => {
					let len = usize::try_from(varint(input, &mut at)?).map_err(|_| "too long")?;
					let end =
						at.checked_add(len).filter(|end| *end <= input.len()).ok_or("truncated")?;
					if field == u64::from(number) {
						found = Some(&input[at..end]);
					}
					at = end;
				}
				_ => return Err("unsupported wire type"),
			}
		}
		Ok(found)
	}

	/// Appends length-delimited field `number` holding `value` to `out`.
	pub fn put_bytes(out: &mut alloc::vec::Vec<u8>, number: u32, value: &[u8]) {
		let mut put = |mut v: u64| loop {
			let byte = (v & 0x7f) as u8;
			v >>= 7;
			if v == 0 {
				out.push(byte);
				break;
			}
			out.push(byte | 0x80);
		};
		put((u64::from(number) << 3) | 2);
		put(value.len() as u64);
		out.extend_from_slice(value);
	}
}

#[cfg(target_arch = "wasm32")]
mod host {
	#[link(wasm_import_module = "micro")]
	extern "C" {
		pub fn respond(ptr: *const u8, len: usize);
		pub fn fail(code: i32, ptr: *const u8, len: usize);
		pub fn log(level: i32, ptr: *const u8, len: usize);
		pub fn publish(topic: *const u8, topic_len: usize, ptr: *const u8, len: usize) -> i32;
		pub fn call(
			service: *const u8,
			service_len: usize,
			endpoint: *const u8,
			endpoint_len: usize,
			ptr: *const u8,
			len: usize,
		) -> i32;
		pub fn storage_get(key: *const u8, key_len: usize) -> i32;
		pub fn storage_set(key: *const u8, key_len: usize, ptr: *const u8, len: usize);
		pub fn storage_remove(key: *const u8, key_len: usize);
		pub fn result_len() -> i32;
		pub fn take_result(ptr: *mut u8);
	}
}

/// Host stand-ins for building and testing the crate natively: the capabilities do nothing.
#[cfg(not(target_arch = "wasm32"))]
#[allow(clippy::missing_safety_doc)]
mod host {
	pub unsafe fn respond(_: *const u8, _: usize) {}
	pub unsafe fn fail(_: i32, _: *const u8, _: usize) {}
	pub unsafe fn log(_: i32, _: *const u8, _: usize) {}
	pub unsafe fn publish(_: *const u8, _: usize, _: *const u8, _: usize) -> i32 {
		503
	}
	pub unsafe fn call(
		_: *const u8,
		_: usize,
		_: *const u8,
		_: usize,
		_: *const u8,
		_: usize,
	) -> i32 {
		-503
	}
	pub unsafe fn storage_get(_: *const u8, _: usize) -> i32 {
		-1
	}
	pub unsafe fn storage_set(_: *const u8, _: usize, _: *const u8, _: usize) {}
	pub unsafe fn storage_remove(_: *const u8, _: usize) {}
	pub unsafe fn result_len() -> i32 {
		0
	}
	pub unsafe fn take_result(_: *mut u8) {}
}

fn take(len: usize) -> Vec<u8> {
	let mut out = vec![0u8; len];
	// SAFETY: the host copies exactly `len` bytes, the length it just reported.
	unsafe { host::take_result(out.as_mut_ptr()) };
	out
}

/// How loud a log line is.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Level {
	/// Something failed.
	Error = 0,
	/// Something looks wrong.
	Warn = 1,
	/// Worth knowing.
	Info = 2,
	/// For debugging.
	Debug = 3,
}

/// Writes a line to the node's log, tagged with the service.
pub fn log(level: Level, message: &str) {
	// SAFETY: a valid slice for the duration of the call.
	unsafe { host::log(level as i32, message.as_ptr(), message.len()) }
}

/// Publishes `body` (JSON if it starts with `{`, else protobuf) to `topic`.
pub fn publish(topic: &str, body: &[u8]) -> Result<(), Error> {
	// SAFETY: valid slices for the duration of the call.
	match unsafe { host::publish(topic.as_ptr(), topic.len(), body.as_ptr(), body.len()) } {
		0 => Ok(()),
		code => Err(Error::new(code as u16, "publish failed")),
	}
}

/// Calls `endpoint` of another service over MUCP and returns its response body.
pub fn call(service: &str, endpoint: &str, body: &[u8]) -> Result<Vec<u8>, Error> {
	// SAFETY: valid slices for the duration of the call.
	let result = unsafe {
		host::call(
			service.as_ptr(),
			service.len(),
			endpoint.as_ptr(),
			endpoint.len(),
			body.as_ptr(),
			body.len(),
		)
	};
	if result >= 0 {
		return Ok(take(result as usize));
	}
	// SAFETY: no arguments.
	let detail = take(unsafe { host::result_len() }.max(0) as usize);
	Err(Error::new(result.unsigned_abs() as u16, String::from_utf8_lossy(&detail).into_owned()))
}

/// A key-value store for the service's state, kept by the host across calls of one version.
pub mod storage {
	use super::{host, take, Vec};

	/// The value at `key`, if any.
	pub fn get(key: &[u8]) -> Option<Vec<u8>> {
		// SAFETY: a valid slice for the duration of the call.
		let len = unsafe { host::storage_get(key.as_ptr(), key.len()) };
		(len >= 0).then(|| take(len as usize))
	}

	/// Stores `value` at `key`.
	pub fn set(key: &[u8], value: &[u8]) {
		// SAFETY: valid slices for the duration of the call.
		unsafe { host::storage_set(key.as_ptr(), key.len(), value.as_ptr(), value.len()) }
	}

	/// Removes the value at `key`.
	pub fn remove(key: &[u8]) {
		// SAFETY: a valid slice for the duration of the call.
		unsafe { host::storage_remove(key.as_ptr(), key.len()) }
	}
}

/// An endpoint's handler.
pub type Handler = fn(&Request) -> Result<Vec<u8>, Error>;

/// Runs a handler and hands its result to the host; used by [`service!`].
#[doc(hidden)]
pub fn __dispatch(endpoint: &str, body: &[u8], content_type: i32, handler: Option<Handler>) -> i32 {
	let content_type = if content_type == 1 { ContentType::Json } else { ContentType::Protobuf };
	let request = Request { endpoint, body, content_type };
	let result = match handler {
		Some(handler) => handler(&request),
		None => Err(Error::not_found(alloc::format!("no endpoint {endpoint}"))),
	};
	match result {
		Ok(response) => {
			// SAFETY: a valid slice for the duration of the call.
			unsafe { host::respond(response.as_ptr(), response.len()) };
			0
		}
		Err(error) => {
			// SAFETY: a valid slice for the duration of the call.
			unsafe { host::fail(i32::from(error.code), error.detail.as_ptr(), error.detail.len()) };
			1
		}
	}
}

/// Reads `len` bytes the host wrote at `ptr`; used by [`service!`].
///
/// # Safety
/// `ptr` must come from `micro_alloc(len)`, filled by the host.
#[doc(hidden)]
pub unsafe fn __slice<'a>(ptr: *const u8, len: usize) -> &'a [u8] {
	if len == 0 {
		return &[];
	}
	// SAFETY: the caller's contract.
	unsafe { core::slice::from_raw_parts(ptr, len) }
}

/// Declares a service's endpoints and exports the ABI's entry points.
#[macro_export]
macro_rules! service {
	($($endpoint:literal => $handler:path),* $(,)?) => {
		#[no_mangle]
		pub extern "C" fn micro_abi_version() -> i32 {
			$crate::ABI_VERSION
		}

		#[no_mangle]
		pub extern "C" fn micro_alloc(len: usize) -> *mut u8 {
			let mut buffer = ::alloc::vec::Vec::<u8>::with_capacity(len);
			let ptr = buffer.as_mut_ptr();
			core::mem::forget(buffer);
			ptr
		}

		#[no_mangle]
		#[allow(clippy::not_unsafe_ptr_arg_deref)]
		pub extern "C" fn micro_handle(
			endpoint_ptr: *const u8,
			endpoint_len: usize,
			body_ptr: *const u8,
			body_len: usize,
			content_type: i32,
		) -> i32 {
			// SAFETY: the host wrote both into buffers from `micro_alloc`.
			let (endpoint, body) = unsafe {
				($crate::__slice(endpoint_ptr, endpoint_len), $crate::__slice(body_ptr, body_len))
			};
			let Ok(endpoint) = core::str::from_utf8(endpoint) else {
				return $crate::__dispatch("", body, content_type, None);
			};
			let handler: Option<$crate::Handler> = match endpoint {
					$($endpoint => Some($handler),)*
					_ => None,
				};
			$crate::__dispatch(endpoint, body, content_type, handler)
		}
	};
}

#[cfg(all(target_arch = "wasm32", feature = "allocator"))]
mod allocator {
	use core::alloc::{GlobalAlloc, Layout};
	use core::cell::UnsafeCell;

	const PAGE: usize = 65_536;

	extern "C" {
		/// Where the linker put the end of the stack and static data: the heap starts here.
		static __heap_base: u8;
	}

	/// Hands out memory from the heap's start (`__heap_base`, inside the module's initial
	/// memory), growing the memory a page at a time only past its end; never frees. Starting
	/// inside the initial memory spares a small call the `memory.grow` and the fresh pages it
	/// would cost the host on every call.
	struct Bump {
		next: UnsafeCell<usize>,
	}

	// SAFETY: a wasm32v1-none instance has one thread.
	unsafe impl Sync for Bump {}

	unsafe impl GlobalAlloc for Bump {
		unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
			// SAFETY: one thread; see `Sync`.
			let next = unsafe { &mut *self.next.get() };
			if *next == 0 {
				// Only the symbol's address is taken, never its contents.
				*next = core::ptr::addr_of!(__heap_base) as usize;
			}
			let start = (*next + layout.align() - 1) & !(layout.align() - 1);
			let Some(end) = start.checked_add(layout.size()) else { return core::ptr::null_mut() };
			let have = core::arch::wasm32::memory_size(0) * PAGE;
			if end > have {
				let pages = (end - have).div_ceil(PAGE);
				if core::arch::wasm32::memory_grow(0, pages) == usize::MAX {
					return core::ptr::null_mut();
				}
			}
			*next = end;
			start as *mut u8
		}

		unsafe fn dealloc(&self, _: *mut u8, _: Layout) {}
	}

	#[global_allocator]
	static ALLOCATOR: Bump = Bump { next: UnsafeCell::new(0) };

	#[panic_handler]
	fn panic(_: &core::panic::PanicInfo) -> ! {
		core::arch::wasm32::unreachable()
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn json_fields_are_found_past_other_values() {
		let body =
			br#" { "n": 1, "list": [1, {"name": "x"}], "esc": "a\"b", "name" : "W\u00f6rld\n" }"#;
		assert_eq!(json::string_field(body, "name").as_deref(), Some("W\u{f6}rld\n"));
		assert_eq!(json::string_field(body, "esc").as_deref(), Some("a\"b"));
		assert_eq!(json::string_field(body, "n"), None, "not a string");
		assert_eq!(json::string_field(body, "missing"), None);
		assert_eq!(json::string_field(b"[1]", "name"), None);
		assert_eq!(json::string_field(br#"{"name": "unterminated"#, "name"), None);
	}

	#[test]
	fn protobuf_fields_round_trip() {
		let mut body = Vec::new();
		body.extend_from_slice(&[0x08, 0x96, 0x01]); // field 1, varint 150
		protobuf::put_bytes(&mut body, 2, b"first");
		protobuf::put_bytes(&mut body, 3, b"other");
		protobuf::put_bytes(&mut body, 2, b"last wins");
		assert_eq!(protobuf::bytes_field(&body, 2), Ok(Some(&b"last wins"[..])));
		assert_eq!(protobuf::bytes_field(&body, 4), Ok(None));
		assert!(protobuf::bytes_field(&[0x12, 0x05, b'a'], 2).is_err(), "truncated");
	}

	#[test]
	fn requests_check_their_content_type() {
		let request =
			Request { endpoint: "E", body: br#"{"name":"x"}"#, content_type: ContentType::Json };
		assert_eq!(request.json_str("name"), Ok(String::from("x")));
		assert_eq!(request.proto_str(1).unwrap_err().code, 400);
		assert_eq!(request.json_str("other").unwrap_err().code, 400);
	}
}
