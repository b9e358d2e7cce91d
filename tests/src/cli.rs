//! The `micro` command line as the end-to-end tests run it: against one node's RPC and
//! gateway, as one account.

use std::time::Duration;

use serde_json::Value;
use tokio::process::Command;

use crate::{cli_binary, TestNode};

/// What a `micro` run printed, and how it exited.
pub struct Run {
	/// Its exit code (-1 if killed).
	pub code: i32,
	/// Its standard output, trimmed.
	pub stdout: String,
	/// Its standard error, trimmed.
	pub stderr: String,
}

/// Runs `micro` against `node` (its RPC and gateway) as `seed`.
pub async fn micro(node: &TestNode, seed: &str, args: &[&str]) -> Run {
	micro_as(node, Some(seed), args).await
}

/// Runs `micro` against `node` as `seed`, or with no `--seed` (nor `MICRO_SEED`) if `None`.
pub async fn micro_as(node: &TestNode, seed: Option<&str>, args: &[&str]) -> Run {
	let mut command = Command::new(cli_binary());
	command.args(["--url", &node.ws_url(), "--gateway", &node.gateway_url()]);
	command.env_remove("MICRO_SEED");
	if let Some(seed) = seed {
		command.args(["--seed", seed]);
	}
	let output = command.args(args).output().await.expect("micro runs");
	Run {
		code: output.status.code().unwrap_or(-1),
		stdout: String::from_utf8_lossy(&output.stdout).trim().to_owned(),
		stderr: String::from_utf8_lossy(&output.stderr).trim().to_owned(),
	}
}

/// Runs `micro` and expects it to succeed, returning its output.
pub async fn ok(node: &TestNode, seed: &str, args: &[&str]) -> String {
	let run = micro(node, seed, args).await;
	assert_eq!(run.code, 0, "micro {args:?} failed:\n{}\n{}", run.stdout, run.stderr);
	run.stdout
}

/// `micro ... --json`, parsed.
pub async fn json(node: &TestNode, seed: &str, args: &[&str]) -> Value {
	let mut args = args.to_vec();
	args.push("--json");
	let out = ok(node, seed, &args).await;
	serde_json::from_str(&out).unwrap_or_else(|e| panic!("micro {args:?}: {e}: {out}"))
}

/// Polls `check` every second until it is true, for at most `timeout`.
pub async fn eventually<F, Fut>(what: &str, timeout: Duration, mut check: F)
where
	F: FnMut() -> Fut,
	Fut: std::future::Future<Output = bool>,
{
	let deadline = tokio::time::Instant::now() + timeout;
	while !check().await {
		assert!(tokio::time::Instant::now() < deadline, "{what}: not within {timeout:?}");
		tokio::time::sleep(Duration::from_secs(1)).await;
	}
}
