//! The results of one run, and the tables printed at its end.

use crate::{probe::Usage, CallFigures, IN_FLIGHT};

/// What was measured.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum System {
	Mucp,
	Nats,
	NatsTls,
}

const SYSTEMS: [System; 3] = [System::Mucp, System::Nats, System::NatsTls];

/// One figure and what its phase cost.
#[derive(Clone, Copy, Debug)]
pub struct Figure {
	pub value: f64,
	pub usage: Usage,
}

struct Row {
	name: String,
	/// Latency (lower is better) rather than a rate.
	latency: bool,
	cells: Vec<(System, Figure)>,
}

impl Row {
	fn get(&self, system: System) -> Option<&Figure> {
		self.cells.iter().find(|(s, _)| *s == system).map(|(_, f)| f)
	}
}

/// Every row of the run.
#[derive(Default)]
pub struct Results {
	rows: Vec<Row>,
	/// Per size: MUCP's unpaid and paid call figures.
	paid: Vec<(usize, Figure, Figure, Figure, Figure)>,
}

fn micros(duration: std::time::Duration) -> f64 {
	duration.as_secs_f64() * 1e6
}

impl Results {
	/// Adds `system`'s `figure` to the row `name`.
	pub fn add(&mut self, name: &str, latency: bool, system: System, figure: Figure) {
		match self.rows.iter_mut().find(|row| row.name == name) {
			Some(row) => row.cells.push((system, figure)),
			None => self.rows.push(Row {
				name: name.to_owned(),
				latency,
				cells: vec![(system, figure)],
			}),
		}
	}

	/// Adds a call run's three rows at `size`.
	pub fn add_calls(&mut self, system: System, size: usize, calls: &CallFigures) {
		let (p50, p99) = (micros(calls.p50), micros(calls.p99));
		self.add(
			&format!("call p50 µs, {size} B"),
			true,
			system,
			Figure { value: p50, usage: calls.sequential },
		);
		self.add(
			&format!("call p99 µs, {size} B"),
			true,
			system,
			Figure { value: p99, usage: calls.sequential },
		);
		self.add(
			&format!("calls/s, {IN_FLIGHT} in flight, {size} B"),
			false,
			system,
			Figure { value: calls.rate, usage: calls.concurrent },
		);
	}

	/// Adds MUCP's paid call at `size` beside its unpaid one.
	pub fn add_paid(&mut self, size: usize, unpaid: &CallFigures, paid: &CallFigures) {
		let p50 = |c: &CallFigures| Figure { value: micros(c.p50), usage: c.sequential };
		let rate = |c: &CallFigures| Figure { value: c.rate, usage: c.concurrent };
		self.paid.push((size, p50(unpaid), p50(paid), rate(unpaid), rate(paid)));
	}

	/// Prints the tables.
	pub fn print(&self) {
		let value = |f: Option<&Figure>| match f {
			Some(f) if f.value >= 100.0 => format!("{:.0}", f.value),
			Some(f) => format!("{:.1}", f.value),
			None => "-".into(),
		};
		let ratio = |a: Option<&Figure>, b: Option<&Figure>| match (a, b) {
			(Some(a), Some(b)) if b.value > 0.0 => format!("{:.2}×", a.value / b.value),
			_ => "-".into(),
		};
		println!();
		println!("Figures (× is MUCP over NATS: above 1 is slower for latency, faster for rates)");
		println!(
			"{:<36} | {:>10} | {:>10} | {:>10} | {:>9} | {:>9}",
			"", "MUCP", "NATS", "NATS TLS", "×NATS", "×NATS TLS"
		);
		for row in &self.rows {
			let [m, n, t] = SYSTEMS.map(|s| row.get(s));
			let better = if row.latency { "lower" } else { "higher" };
			println!(
				"{:<36} | {:>10} | {:>10} | {:>10} | {:>9} | {:>9} | {better} is better",
				row.name,
				value(m),
				value(n),
				value(t),
				ratio(m, n),
				ratio(m, t)
			);
		}

		println!();
		println!(
			"CPU µs per operation (MUCP: the bench process, both peers; NATS: nats-server + \
			 the bench-side clients, server part in brackets)"
		);
		println!(
			"{:<36} | {:>8} | {:>16} | {:>16} | {:>7}",
			"", "MUCP", "NATS", "NATS TLS", "×NATS"
		);
		let cpu = |f: Option<&Figure>| match f {
			Some(f) => format!("{:.1} ({:.1})", f.usage.cpu_us(), f.usage.server_cpu_us),
			None => "-".into(),
		};
		for row in self.rows.iter().filter(|row| !row.name.contains("p99")) {
			let [m, n, t] = SYSTEMS.map(|s| row.get(s));
			let times = match (m, n) {
				(Some(m), Some(n)) if n.usage.cpu_us() > 0.0 => {
					format!("{:.2}×", m.usage.cpu_us() / n.usage.cpu_us())
				}
				_ => "-".into(),
			};
			println!(
				"{:<36} | {:>8} | {:>16} | {:>16} | {:>7}",
				row.name,
				m.map_or("-".into(), |m| format!("{:.1}", m.usage.cpu_us())),
				cpu(n),
				cpu(t),
				times
			);
		}

		println!();
		println!(
			"Peak RSS per phase, MiB (bench process: MUCP's peers, or NATS's clients; and \
			 nats-server)"
		);
		println!(
			"{:<36} | {:>8} | {:>8} | {:>8} | {:>8} | {:>8}",
			"", "MUCP", "NATS cli", "NATS srv", "TLS cli", "TLS srv"
		);
		let mib = |kib: u64| format!("{:.1}", kib as f64 / 1024.0);
		for row in self.rows.iter().filter(|row| !row.name.contains("p99")) {
			let [m, n, t] = SYSTEMS.map(|s| row.get(s));
			let own = |f: Option<&Figure>| f.map_or("-".into(), |f| mib(f.usage.own_peak_kib));
			let server =
				|f: Option<&Figure>| f.map_or("-".into(), |f| mib(f.usage.server_peak_kib));
			println!(
				"{:<36} | {:>8} | {:>8} | {:>8} | {:>8} | {:>8}",
				row.name,
				own(m),
				own(n),
				server(n),
				own(t),
				server(t)
			);
		}

		println!();
		println!("Paid call (allowance checked, counted, ledger written) beside the unpaid call");
		for (size, unpaid_p50, paid_p50, unpaid_rate, paid_rate) in &self.paid {
			println!(
				"{size:>6} B | p50 {:.0} µs unpaid, {:.0} µs paid ({:.2}×) | {:.0} calls/s \
				 unpaid, {:.0} paid ({:.2}× the time per call) | CPU {:.1} / {:.1} µs per call",
				unpaid_p50.value,
				paid_p50.value,
				paid_p50.value / unpaid_p50.value,
				unpaid_rate.value,
				paid_rate.value,
				unpaid_rate.value / paid_rate.value,
				unpaid_rate.usage.cpu_us(),
				paid_rate.usage.cpu_us(),
			);
		}
		println!();
		println!(
			"Topology: MUCP's other-node figures go peer to peer, direct; NATS's go publisher → \
			 nats-server → subscriber, one broker hop, and its same-node figures (the \
			 subscriber on the publishing connection) still go through the server and back."
		);
	}
}
