//! The CPU and allocations one MUCP message costs in `protocol`: building a call, reading its
//! headers, checking its form, encoding and decoding its envelope, and building the reply.
//!
//! `cargo bench -p mucp-offchain --bench protocol` (`BENCH_QUICK=1` runs a tenth). It prints,
//! for each step, nanoseconds and heap allocations per operation (a counting global allocator
//! counts every `alloc` and `realloc` on this thread's work), at 128 B and 4 KiB bodies.

use std::{
	alloc::{GlobalAlloc, Layout, System},
	hint::black_box,
	sync::atomic::{AtomicU64, Ordering},
	time::Instant,
};

use mucp_offchain::protocol::{header, Envelope, Limits, Message};
use prost::Message as _;

/// The system allocator, counting allocations and reallocations.
struct Counting;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

unsafe impl GlobalAlloc for Counting {
	unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
		ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
		unsafe { System.alloc(layout) }
	}

	unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
		unsafe { System.dealloc(ptr, layout) }
	}

	unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
		ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
		unsafe { System.realloc(ptr, layout, new_size) }
	}
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// A call id as a peer makes them: its peer id and a counter.
const ID: &str = "12D3KooWRBy97UB99e3J6hiPesre1MZeuNQvfan4gBziswrRJsNK-1048576";

/// Runs `step` `rounds` times and prints its nanoseconds and allocations per run.
fn measure<T>(name: &str, rounds: u64, mut step: impl FnMut() -> T) {
	for _ in 0..rounds / 10 {
		black_box(step());
	}
	let allocations = ALLOCATIONS.load(Ordering::Relaxed);
	let start = Instant::now();
	for _ in 0..rounds {
		black_box(step());
	}
	let elapsed = start.elapsed();
	let allocations = ALLOCATIONS.load(Ordering::Relaxed) - allocations;
	println!(
		"{name:<44} {:>9.1} ns {:>7.1} allocations",
		elapsed.as_nanos() as f64 / rounds as f64,
		allocations as f64 / rounds as f64
	);
}

/// A call as a peer sends it: the four headers of [`Message::call`], a timeout and the caller.
fn request(size: usize) -> Message {
	let mut call = Message::call(ID, "echo", "Echo.Call", vec![0x0a; size]);
	call.set_timeout(std::time::Duration::from_secs(10));
	call.set("Micro-Caller", "12D3KooWRBy97UB99e3J6hiPesre1MZeuNQvfan4gBziswrRJsNK");
	call
}

fn main() {
	let rounds: u64 = if std::env::var_os("BENCH_QUICK").is_some() { 20_000 } else { 200_000 };
	let limits = Limits::default();
	for size in [128, 4096] {
		println!("-- body of {size} B, {rounds} rounds");
		let body = vec![0x0a; size];
		let call = request(size);
		let frame = call.encode();
		measure("Message::call", rounds, || Message::call(ID, "echo", "Echo.Call", body.clone()));
		measure("header(Micro-Service), canonical case", rounds, || {
			call.header(header::SERVICE).map(str::len)
		});
		measure("header(micro-service), other case", rounds, || {
			call.header("micro-service").map(str::len)
		});
		measure("header(X-Absent), missing", rounds, || call.header("X-Absent").map(str::len));
		measure("set(Micro-Timeout) on a call", rounds, || {
			let mut call = call.clone();
			call.set(header::TIMEOUT, "5000");
			call
		});
		measure("clone (for reference)", rounds, || call.clone());
		measure("content_type()", rounds, || call.content_type().ok());
		measure("form()", rounds, || call.form().ok());
		measure("encode()", rounds, || call.encode());
		measure("encode_frame() (length prefix + envelope)", rounds, || call.encode_frame());
		measure("Message::decode_message (no form)", rounds, || {
			Message::decode_message(&frame, &limits).ok()
		});
		measure("Message::decode (with form)", rounds, || Message::decode(&frame, &limits).ok());
		measure("Envelope::decode + from_envelope", rounds, || {
			Envelope::decode(frame.as_slice())
				.ok()
				.and_then(|envelope| Message::from_envelope(envelope, &limits).ok())
		});
		measure("reply_to", rounds, || Message::reply_to(&call, body.clone()));
		measure("call → encode → decode → reply → encode", rounds, || {
			let request = Message::call(ID, "echo", "Echo.Call", body.clone());
			let (request, _) = Message::decode(&request.encode(), &limits).ok()?;
			Some(Message::reply_to(&request, body.clone()).encode())
		});
	}
}
