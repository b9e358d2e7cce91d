//! Call latency of the `greeter` service in the wasm executor, next to the same handler called
//! natively in-process.
//!
//! `cargo bench -p mucp-offchain --bench executor` (`BENCH_QUICK=1` runs a tenth). It builds
//! `examples/greeter` to wasm32v1-none first, and prints p50, p99 and calls per second of each,
//! with the ratio. The wasm call, in a warm instance reset after each call (the executor's
//! default), is timed twice: back to back, and with a pause of 200 µs between calls
//! (untimed), as calls arriving over the network have, caches cooling between them. A fresh
//! instance for every call (`warm_instances: false`) is timed back to back beside it. The
//! target (issue 18) is p50 < 10 µs; the last lines say whether it is met.

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

fn measure(calls: usize, pause: Duration, mut call: impl FnMut()) -> Figures {
	for _ in 0..calls / 10 {
		call();
	}
	let mut samples = Vec::with_capacity(calls);
	let mut paused = Duration::ZERO;
	let started = Instant::now();
	for _ in 0..calls {
		if !pause.is_zero() {
			let at = Instant::now();
			std::thread::sleep(pause);
			paused += at.elapsed();
		}
		let at = Instant::now();
		call();
		samples.push(at.elapsed());
	}
	let total = started.elapsed() - paused;
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
	let fresh_executor =
		Executor::new(ExecutorConfig { warm_instances: false, ..ExecutorConfig::default() })
			.expect("executor");
	fresh_executor.load(&wasm, None).expect("greeter loads");
	let host: Arc<Isolated> = Arc::new(Isolated);
	let storage = Arc::new(Storage::new(1 << 20));
	let body = br#"{"name":"bench"}"#;
	let expected = br#"{"msg":"Hello bench"}"#;

	let call_on = |executor: &Executor| {
		let reply = executor
			.call(&hash, "b", "Say.Hello", body, ContentType::Json, host.clone(), storage.clone())
			.expect("greeter answers");
		assert_eq!(reply, expected);
	};
	let wasm_call = || call_on(&executor);
	let wasm_figures = measure(calls, Duration::ZERO, wasm_call);
	let spaced_figures = measure(calls / 4, Duration::from_micros(200), wasm_call);
	let fresh_figures = measure(calls, Duration::ZERO, || call_on(&fresh_executor));
	let native_figures = measure(calls, Duration::ZERO, || {
		let reply = native_hello(std::hint::black_box(body)).expect("native answers");
		assert_eq!(reply, expected);
	});

	println!("greeter Say.Hello, {calls} calls, {} byte module", wasm.len());
	println!("| | p50 | p99 | calls/s |");
	println!("|---|---|---|---|");
	for (name, f) in [
		("wasm (warm instance + call), back to back", &wasm_figures),
		("wasm (warm instance + call), 200 µs apart", &spaced_figures),
		("wasm (fresh instance + call), back to back", &fresh_figures),
		("native", &native_figures),
	] {
		println!(
			"| {name} | {:.1} µs | {:.1} µs | {:.0} |",
			micros(f.p50),
			micros(f.p99),
			f.per_second
		);
	}
	for (name, f) in [
		("back to back", &wasm_figures),
		("200 µs apart", &spaced_figures),
		("fresh, back to back", &fresh_figures),
	] {
		println!(
			"| wasm {name} / native | {:.0}× | {:.0}× | {:.3}× |",
			micros(f.p50) / micros(native_figures.p50).max(0.001),
			micros(f.p99) / micros(native_figures.p99).max(0.001),
			f.per_second / native_figures.per_second,
		);
	}
	for (name, f) in [("back to back", &wasm_figures), ("200 µs apart", &spaced_figures)] {
		let verdict = if f.p50 < Duration::from_micros(10) { "met" } else { "NOT met" };
		println!("wasm call p50 < 10 µs, {name}: {verdict} ({:.1} µs)", micros(f.p50));
	}
}

fn micros(duration: Duration) -> f64 {
	duration.as_secs_f64() * 1e6
}
