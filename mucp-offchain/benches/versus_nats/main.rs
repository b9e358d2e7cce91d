//! MUCP beside NATS on loopback, in one run, at the same message sizes, with the ratios.
//!
//! - **Call**: a client calls an echo endpoint on another peer: round-trip latency (p50, p99)
//!   over sequential calls, and calls per second with [`IN_FLIGHT`] in flight. NATS:
//!   request-reply to a subscriber (a second client) that echoes.
//! - **Paid call**: the same echo behind the settlement meter (a real sr25519 allowance signed
//!   by a dev key, checked, counted in the usage ledger), beside the unpaid one.
//! - **Publish**: MUCP's core delivery (at most once, nothing stored: NATS core's counterpart)
//!   in the rows NATS has, through one pipelined `Publisher` as async-nats publishes; MUCP's
//!   durable delivery (stored before it is handed on, acknowledged across nodes: JetStream's
//!   counterpart) in rows of its own.
//! - **Publish, same node**: the subscriber is on the publishing peer. NATS: on the publishing
//!   connection (every message still goes through the server and back).
//! - **Publish, other node**: the subscriber is on a second peer. NATS: a second client of the
//!   same server, one broker hop (publisher → server → subscriber), where MUCP goes direct.
//! - **Fan-out** to 8 subscribers on the other node, and a **queue group** of 4 there.
//! - **NATS with TLS** beside plaintext NATS, since MUCP is encrypted (noise).
//! - **CPU µs per operation** (`/proc/<pid>/stat`): MUCP's peers run in the bench process;
//!   NATS's is the server's plus the bench-side clients'. **Peak RSS** per phase
//!   (`/proc/<pid>/status`, the peak reset at each phase's start).
//!
//! Needs `nats-server` on the `PATH` (`scripts/setup.sh` installs it). Run with
//! `cargo bench -p mucp-offchain --bench versus_nats`; `BENCH_QUICK=1` runs a tenth of the
//! iterations; `BENCH_ONLY=mucp` runs only MUCP's side, `BENCH_ONLY=calls` only its calls
//! (`unpaid` or `paid`: only those, their figures in the calls' rows), `BENCH_ONLY=publish`
//! only its publications and `BENCH_ONLY=core` only its core (at most once) publications (to
//! profile one side under `perf record`).

mod mucp;
mod nats;
mod probe;
mod report;

use std::{
	future::Future,
	sync::{
		atomic::{AtomicUsize, Ordering},
		Arc,
	},
	time::{Duration, Instant},
};

use probe::{Probe, Usage};
use report::Results;

/// The allocator `micro-node` runs the worker with (jemalloc, as Polkadot's node does), so
/// MUCP is measured as it runs: messages are allocated on one thread and freed on another, which
/// glibc's malloc serialises on its arenas' locks.
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// Body sizes compared, in bytes.
pub const SIZES: [usize; 2] = [128, 4096];
/// Calls in flight in the throughput runs.
pub const IN_FLIGHT: usize = 64;
/// Subscribers of the fan-out.
pub const FAN_OUT: usize = 8;
/// Members of the queue group.
pub const QUEUE_GROUP: usize = 4;
/// Body size of the fan-out and queue-group runs.
pub const GROUP_SIZE: usize = 128;
/// Longest a phase may take before the bench gives up on it.
pub const PHASE_DEADLINE: Duration = Duration::from_secs(120);

/// How many of each operation a run does.
pub struct Counts {
	pub sequential_calls: usize,
	pub concurrent_calls: usize,
	pub messages: usize,
}

fn counts() -> Counts {
	let scale = if std::env::var_os("BENCH_QUICK").is_some() { 10 } else { 1 };
	Counts {
		sequential_calls: 5_000 / scale,
		concurrent_calls: 20_000 / scale,
		messages: 50_000 / scale,
	}
}

/// A call run's figures.
pub struct CallFigures {
	pub p50: Duration,
	pub p99: Duration,
	pub sequential: Usage,
	pub rate: f64,
	pub concurrent: Usage,
}

fn percentile(sorted: &[Duration], fraction: f64) -> Duration {
	let index = ((sorted.len() as f64 - 1.0) * fraction).round() as usize;
	sorted[index]
}

/// Runs `sequential` calls one after another, then `concurrent` with [`IN_FLIGHT`] at once.
pub async fn measure_calls<F, Fut>(probe: &Probe, call: F, counts: &Counts) -> CallFigures
where
	F: Fn() -> Fut + Send + Sync + 'static,
	Fut: Future<Output = ()> + Send,
{
	for _ in 0..200 {
		call().await;
	}
	let mut latencies = Vec::with_capacity(counts.sequential_calls);
	let mark = probe.start();
	for _ in 0..counts.sequential_calls {
		let start = Instant::now();
		call().await;
		latencies.push(start.elapsed());
	}
	let sequential = probe.finish(mark, counts.sequential_calls);
	latencies.sort();
	let call = Arc::new(call);
	let per_worker = counts.concurrent_calls / IN_FLIGHT;
	let mark = probe.start();
	let start = Instant::now();
	let workers: Vec<_> = (0..IN_FLIGHT)
		.map(|_| {
			let call = call.clone();
			async move {
				for _ in 0..per_worker {
					call().await;
				}
			}
		})
		.collect();
	futures::future::join_all(workers).await;
	let rate = (per_worker * IN_FLIGHT) as f64 / start.elapsed().as_secs_f64();
	let concurrent = probe.finish(mark, per_worker * IN_FLIGHT);
	CallFigures {
		p50: percentile(&latencies, 0.5),
		p99: percentile(&latencies, 0.99),
		sequential,
		rate,
		concurrent,
	}
}

/// Counts deliveries across subscribers until `total` have come.
#[derive(Clone)]
pub struct Tally {
	received: Arc<AtomicUsize>,
	done: Arc<tokio::sync::Notify>,
	total: usize,
}

impl Tally {
	pub fn new(total: usize) -> Self {
		Self { received: Default::default(), done: Default::default(), total }
	}

	/// Counts one delivery.
	pub fn add(&self) {
		if self.received.fetch_add(1, Ordering::SeqCst) + 1 == self.total {
			self.done.notify_one();
		}
	}

	/// Waits until every delivery has come, or none has for [`SETTLE`] (an at-most-once
	/// system may drop some); returns when the last one came.
	pub async fn all(&self) -> Instant {
		let mut seen = self.received.load(Ordering::SeqCst);
		let mut last = Instant::now();
		while seen < self.total {
			let notified = self.done.notified();
			if self.received.load(Ordering::SeqCst) >= self.total {
				break;
			}
			let _ = tokio::time::timeout(Duration::from_millis(50), notified).await;
			let now = self.received.load(Ordering::SeqCst);
			if now != seen {
				(seen, last) = (now, Instant::now());
			} else if last.elapsed() >= SETTLE {
				break;
			}
		}
		if self.received.load(Ordering::SeqCst) >= self.total {
			return Instant::now();
		}
		last
	}
}

/// How long a flow waits without any delivery before it counts the rest as lost.
pub const SETTLE: Duration = Duration::from_secs(2);

/// Publishes `messages` with `publish` while subscribers feed `tally`: messages per second
/// from the first publish until the last delivery, and what the phase cost per message.
pub async fn measure_flow<P, Fut>(
	probe: &Probe,
	messages: usize,
	tally: &Tally,
	mut publish: P,
) -> (f64, Usage)
where
	P: FnMut() -> Fut,
	Fut: Future<Output = ()>,
{
	let mark = probe.start();
	let start = Instant::now();
	let flow = async {
		for _ in 0..messages {
			publish().await;
		}
		tally.all().await
	};
	let Ok(last) = tokio::time::timeout(PHASE_DEADLINE, flow).await else {
		panic!(
			"{} of {} deliveries came before the phase's deadline",
			tally.received.load(Ordering::SeqCst),
			tally.total
		);
	};
	let received = tally.received.load(Ordering::SeqCst);
	if received < tally.total {
		println!(
			"  ({} of {} deliveries lost: at most once; the rate counts until the last came)",
			tally.total - received,
			tally.total
		);
	}
	let rate = messages as f64 / last.duration_since(start).as_secs_f64();
	(rate, probe.finish(mark, messages))
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
	let counts = counts();
	let version = nats::version();
	if version.is_empty() {
		eprintln!("nats-server is not on the PATH: install it (scripts/setup.sh)");
		std::process::exit(1);
	}
	println!(
		"MUCP (libp2p, 2 peers in this process) beside {version} on loopback; {} sequential \
		 calls, {} calls {IN_FLIGHT} in flight, {} messages per publish run",
		counts.sequential_calls, counts.concurrent_calls, counts.messages
	);
	let started = Instant::now();
	let mut results = Results::default();
	let only = std::env::var("BENCH_ONLY").unwrap_or_default();
	let publish_only = only == "publish" || only == "core";
	let calls_only = matches!(only.as_str(), "calls" | "paid" | "unpaid");
	let phases = mucp::Phases {
		calls: !publish_only,
		unpaid: only != "paid",
		paid: only != "unpaid",
		publish: !calls_only,
		durable: only != "core",
	};
	mucp::run(&counts, phases, &mut results).await;
	if only.is_empty() {
		nats::run(&counts, false, &mut results).await;
		nats::run(&counts, true, &mut results).await;
	}
	results.print();
	println!("(whole run: {:.0} s)", started.elapsed().as_secs_f64());
}
