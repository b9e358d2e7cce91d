//! Instantiate + call latency of the `greeter` service in the wasm executor, next to the same
//! handler called natively in-process.
//!
//! `cargo bench -p mucp-offchain --bench executor` (`BENCH_QUICK=1` runs a tenth). It builds
//! `examples/greeter` to wasm32v1-none first, and prints p50, p99 and calls per second of each,
//! with the ratio.

#[path = "../tests/support/examples.rs"]
mod examples;

use std::{
	sync::Arc,
	time::{Duration, Instant},
};

use examples::build_example;

use mucp_offchain::{
	executor::{Executor, ExecutorConfig, Isolated, Storage},
	protocol::ContentType,
};

/// The greeter's handler, natively: the same SDK parsing and the same formatting.
fn native_hello(body: &[u8]) -> Result<Vec<u8>, String> {
	let name = micro_service::json::string_field(body, "name").ok_or("missing name")?;
	let name = name.replace('\\', "\\\\").replace('"', "\\\"");
	Ok(format!(r#"{{"msg":"Hello {name}"}}"#).into_bytes())
}

struct Figures {
	p50: Duration,
	p99: Duration,
	per_second: f64,
}

fn measure(calls: usize, mut call: impl FnMut()) -> Figures {
	for _ in 0..calls / 10 {
		call();
	}
	let mut samples = Vec::with_capacity(calls);
	let started = Instant::now();
	for _ in 0..calls {
		let at = Instant::now();
		call();
		samples.push(at.elapsed());
	}
	let total = started.elapsed();
	samples.sort();
	Figures {
		p50: samples[samples.len() / 2],
		p99: samples[samples.len() * 99 / 100],
		per_second: calls as f64 / total.as_secs_f64(),
	}
}

fn main() {
	let calls = if std::env::var_os("BENCH_QUICK").is_some() { 2_000 } else { 20_000 };
	let wasm = build_example("greeter");
	let executor = Executor::new(ExecutorConfig::default()).expect("executor");
	let hash = executor.load(&wasm, None).expect("greeter loads");
	let host: Arc<Isolated> = Arc::new(Isolated);
	let storage = Arc::new(Storage::new(1 << 20));
	let body = br#"{"name":"bench"}"#;
	let expected = br#"{"msg":"Hello bench"}"#;

	let wasm_figures = measure(calls, || {
		let reply = executor
			.call(&hash, "b", "Say.Hello", body, ContentType::Json, host.clone(), storage.clone())
			.expect("greeter answers");
		assert_eq!(reply, expected);
	});
	let native_figures = measure(calls, || {
		let reply = native_hello(std::hint::black_box(body)).expect("native answers");
		assert_eq!(reply, expected);
	});

	println!("greeter Say.Hello, {calls} calls, {} byte module", wasm.len());
	println!("| | p50 | p99 | calls/s |");
	println!("|---|---|---|---|");
	for (name, f) in [("wasm (instantiate + call)", &wasm_figures), ("native", &native_figures)] {
		println!(
			"| {name} | {:.1} µs | {:.1} µs | {:.0} |",
			micros(f.p50),
			micros(f.p99),
			f.per_second
		);
	}
	println!(
		"| wasm / native | {:.0}× | {:.0}× | {:.3}× |",
		micros(wasm_figures.p50) / micros(native_figures.p50).max(0.001),
		micros(wasm_figures.p99) / micros(native_figures.p99).max(0.001),
		wasm_figures.per_second / native_figures.per_second,
	);
}

fn micros(duration: Duration) -> f64 {
	duration.as_secs_f64() * 1e6
}
