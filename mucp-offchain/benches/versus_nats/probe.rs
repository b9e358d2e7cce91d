//! CPU time and memory of the bench process and of nats-server, read from `/proc`.

/// Clock ticks per second of `/proc/<pid>/stat`'s `utime` and `stime`.
fn ticks_per_second() -> f64 {
	std::process::Command::new("getconf")
		.arg("CLK_TCK")
		.output()
		.ok()
		.and_then(|out| String::from_utf8(out.stdout).ok())
		.and_then(|text| text.trim().parse().ok())
		.unwrap_or(100.0)
}

/// `utime + stime` of `pid` (`self` for this process), in clock ticks.
fn cpu_ticks(pid: &str) -> u64 {
	let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else { return 0 };
	// The command name may hold spaces: the fields after it start past the last ')'.
	let Some(rest) = stat.rsplit_once(')').map(|(_, rest)| rest) else { return 0 };
	let fields: Vec<&str> = rest.split_whitespace().collect();
	// Fields 14 and 15 of the whole line are the 12th and 13th after the name.
	let field = |n: usize| fields.get(n).and_then(|f| f.parse::<u64>().ok()).unwrap_or(0);
	field(11) + field(12)
}

/// A `/proc/<pid>/status` figure in KiB (`VmHWM`, `VmRSS`).
fn status_kib(pid: &str, name: &str) -> u64 {
	let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status")) else { return 0 };
	status
		.lines()
		.find_map(|line| line.strip_prefix(name)?.strip_prefix(':'))
		.and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
		.unwrap_or(0)
}

/// Resets `pid`'s peak RSS to its current RSS (Linux's `clear_refs` 5), so the next phase's
/// peak is its own; left as it is where that is not allowed.
fn reset_peak(pid: &str) {
	let _ = std::fs::write(format!("/proc/{pid}/clear_refs"), "5");
}

/// Watches this process and, for NATS, the nats-server process.
#[derive(Clone)]
pub struct Probe {
	server: Option<String>,
	ticks: f64,
}

/// Where a phase started.
pub struct Mark {
	own: u64,
	server: u64,
}

/// What a phase cost.
#[derive(Clone, Copy, Debug, Default)]
pub struct Usage {
	/// CPU µs per operation of the bench process (MUCP's peers run in it; for NATS, the
	/// clients).
	pub own_cpu_us: f64,
	/// CPU µs per operation of nats-server (none for MUCP).
	pub server_cpu_us: f64,
	/// Peak RSS of the bench process in the phase, KiB.
	pub own_peak_kib: u64,
	/// Peak RSS of nats-server in the phase, KiB.
	pub server_peak_kib: u64,
}

impl Usage {
	/// CPU µs per operation, both processes together.
	pub fn cpu_us(&self) -> f64 {
		self.own_cpu_us + self.server_cpu_us
	}
}

impl Probe {
	/// A probe of this process, and of `server`'s process if given.
	pub fn new(server: Option<u32>) -> Self {
		Self { server: server.map(|pid| pid.to_string()), ticks: ticks_per_second() }
	}

	/// Starts a phase.
	pub fn start(&self) -> Mark {
		reset_peak("self");
		if let Some(server) = &self.server {
			reset_peak(server);
		}
		Mark { own: cpu_ticks("self"), server: self.server.as_deref().map_or(0, cpu_ticks) }
	}

	/// Ends the phase begun at `mark`, which did `operations`.
	pub fn finish(&self, mark: Mark, operations: usize) -> Usage {
		let per_op = |ticks: u64| ticks as f64 / self.ticks * 1e6 / operations.max(1) as f64;
		let own = cpu_ticks("self").saturating_sub(mark.own);
		let server = self.server.as_deref().map_or(0, cpu_ticks).saturating_sub(mark.server);
		Usage {
			own_cpu_us: per_op(own),
			server_cpu_us: per_op(server),
			own_peak_kib: status_kib("self", "VmHWM"),
			server_peak_kib: self.server.as_deref().map_or(0, |pid| status_kib(pid, "VmHWM")),
		}
	}
}
