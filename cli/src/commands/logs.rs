//! `micro logs`: a service's log lines on this node, as the node keeps them (the last 512 of
//! each running version), through the RPC method `micro_logs`, which is the operator's only:
//! unsafe (loopback by default) and asking for the node's RPC token, read from the file the
//! node keeps it in, as `micro node register` does.

use std::{io::Write, time::Duration};

use clap::Args;
use serde_json::Value;

use super::node::node_rpc_token;
use crate::context::{progress, refused, rpc, Context, Failure, Outcome};

/// `micro logs SERVICE`.
#[derive(Args)]
pub struct LogsArgs {
	/// The service.
	pub service: String,
	/// Only this version's lines (all the versions this node runs if not given).
	#[arg(long)]
	pub version: Option<u32>,
	/// Keep printing new lines as the service writes them, until interrupted.
	#[arg(long, short)]
	pub follow: bool,
	/// The node's RPC token file (the node writes `rpc.token` in its MUCP directory at every
	/// start). Unset: the file the node names, read on this machine; set it when the node runs
	/// elsewhere or as another user.
	#[arg(long, value_name = "FILE")]
	pub node_token_file: Option<std::path::PathBuf>,
}

/// How often `--follow` asks the node for new lines.
const FOLLOW_EVERY: Duration = Duration::from_secs(1);

/// The lines of `service` numbered after `since`, as the node answers `micro_logs` given its
/// RPC `token`.
pub async fn fetch(
	url: &str,
	service: &str,
	version: Option<u32>,
	since: Option<u64>,
	token: &str,
) -> Result<Value, Failure> {
	let params = vec![service.into(), version.into(), since.into(), token.into()];
	rpc(url, "micro_logs", params).await.map_err(operator_only)
}

/// `failure`, with a hint if the node refused an unsafe method to a caller off its machine.
fn operator_only(failure: Failure) -> Failure {
	match failure {
		Failure::Refused(message) if message.contains("unsafe") => Failure::Refused(format!(
			"{message}: a service's log lines are for the node's operator only; run `micro \
			 logs` on the node's machine (its RPC on loopback), or, with a copy of its RPC \
			 token (--node-token-file), against a node started with `--rpc-methods unsafe` \
			 behind a guard"
		)),
		other => other,
	}
}

/// A time in milliseconds since the Unix epoch as `2026-05-04T12:30:05.123Z`.
pub fn utc(ms: u64) -> String {
	let (days, ms_of_day) = ((ms / 86_400_000) as i64, ms % 86_400_000);
	// Days to a civil date (Howard Hinnant's algorithm).
	let z = days + 719_468;
	let era = z.div_euclid(146_097);
	let day_of_era = z - era * 146_097;
	let year_of_era =
		(day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
	let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
	let mp = (5 * day_of_year + 2) / 153;
	let day = day_of_year - (153 * mp + 2) / 5 + 1;
	let month = if mp < 10 { mp + 3 } else { mp - 9 };
	let year = year_of_era + era * 400 + i64::from(month <= 2);
	let (h, m, s, milli) =
		(ms_of_day / 3_600_000, ms_of_day / 60_000 % 60, ms_of_day / 1_000 % 60, ms_of_day % 1_000);
	format!("{year:04}-{month:02}-{day:02}T{h:02}:{m:02}:{s:02}.{milli:03}Z")
}

/// One line as text: its time, version, level and words, control characters escaped so a
/// service cannot drive the terminal.
pub fn render_line(line: &Value) -> String {
	let text = line["text"].as_str().unwrap_or_default();
	format!(
		"{}  v{}  {:<5}  {}",
		utc(line["atMs"].as_u64().unwrap_or_default()),
		line["version"].as_u64().unwrap_or_default(),
		mucp_offchain::executor::logs::printable(line["level"].as_str().unwrap_or_default())
			.to_uppercase(),
		mucp_offchain::executor::logs::printable(text)
	)
}

/// Prints a page of lines on `out` (JSON, one line each, with `json`) and returns where the
/// next page starts. Says on `note` how many lines the node did not keep since `dropped`,
/// the count the previous page reported.
pub fn print_page(
	page: &Value,
	json: bool,
	dropped: &mut Option<u64>,
	out: &mut impl Write,
	note: impl Fn(&str),
) -> Option<u64> {
	let now = page["dropped"].as_u64().unwrap_or_default();
	let missed = now.saturating_sub(dropped.unwrap_or_default());
	if missed > 0 {
		let what = if dropped.is_none() { "earlier lines were" } else { "lines were" };
		note(&format!(
			"{missed} {what} not kept (the node keeps a version's last 512 lines, 64 a call)"
		));
	}
	*dropped = Some(now);
	for line in page["lines"].as_array().into_iter().flatten() {
		let text = if json { line.to_string() } else { render_line(line) };
		let _ = writeln!(out, "{text}");
	}
	let _ = out.flush();
	page["next"].as_u64()
}

/// Prints SERVICE's lines; with `--follow`, polls for new ones, at most `rounds` times if
/// given (tests), else until interrupted.
pub async fn show(
	url: &str,
	args: &LogsArgs,
	json: bool,
	rounds: Option<usize>,
	out: &mut impl Write,
) -> Outcome {
	let token = node_rpc_token(url, args.node_token_file.clone()).await.map_err(operator_only)?;
	let (mut since, mut dropped, mut round) = (None, None, 0);
	// Without --follow, --json prints the pages read as one.
	let (mut whole, mut printed): (Option<Value>, usize) = (None, 0);
	loop {
		let page = fetch(url, &args.service, args.version, since, &token).await?;
		// The node answers a page at a time: `more` says there are lines after `next` already.
		let more = page["more"] == true;
		let next = page["next"].as_u64();
		printed += page["lines"].as_array().map_or(0, Vec::len);
		match &mut whole {
			Some(whole) => {
				let lines = page["lines"].as_array().cloned().unwrap_or_default();
				if let Some(all) = whole["lines"].as_array_mut() {
					all.extend(lines);
				}
				for key in ["dropped", "next", "more"] {
					whole[key] = page[key].clone();
				}
			}
			None if !args.follow && json => whole = Some(page),
			None => {
				print_page(&page, json, &mut dropped, out, progress);
			}
		}
		if more {
			// A node must move on, or it would keep the reader here.
			let next = next.filter(|next| since.is_none_or(|since| *next > since));
			since =
				Some(next.ok_or_else(|| refused("the node's answer has more, but no new `next`"))?);
			continue;
		}
		if !args.follow {
			match whole {
				Some(whole) => {
					let _ = writeln!(
						out,
						"{}",
						serde_json::to_string_pretty(&whole).unwrap_or_default()
					);
				}
				None if printed == 0 => {
					progress(&format!("{} has written no lines this node keeps", args.service))
				}
				None => {}
			}
			return Ok(());
		}
		since = Some(next.ok_or_else(|| refused("the node's answer has no `next`"))?);
		round += 1;
		if rounds.is_some_and(|rounds| round >= rounds) {
			return Ok(());
		}
		tokio::time::sleep(FOLLOW_EVERY).await;
	}
}

pub async fn run(ctx: &Context, args: &LogsArgs) -> Outcome {
	show(&ctx.url, args, ctx.json, None, &mut std::io::stdout()).await
}

#[cfg(test)]
mod tests {
	use super::*;
	use clap::Parser;
	use serde_json::json;

	#[derive(Parser)]
	struct Line {
		#[command(flatten)]
		args: LogsArgs,
	}

	#[test]
	fn arguments_parse() {
		let line = Line::try_parse_from(["logs", "greeter"]).unwrap();
		assert_eq!(
			(line.args.service.as_str(), line.args.version, line.args.follow),
			("greeter", None, false)
		);
		let line = Line::try_parse_from(["logs", "greeter", "--version", "2", "-f"]).unwrap();
		assert_eq!((line.args.version, line.args.follow), (Some(2), true));
		let line = Line::try_parse_from(["logs", "greeter", "--node-token-file", "/t"]).unwrap();
		assert_eq!(line.args.node_token_file, Some("/t".into()));
		assert!(Line::try_parse_from(["logs"]).is_err(), "SERVICE is required");
		assert!(Line::try_parse_from(["logs", "greeter", "--version", "two"]).is_err());
	}

	#[test]
	fn times_are_utc() {
		assert_eq!(utc(0), "1970-01-01T00:00:00.000Z");
		assert_eq!(utc(951_782_400_000 + 3_723_004), "2000-02-29T01:02:03.004Z");
		assert_eq!(utc(1_796_055_605_123), "2026-11-30T16:20:05.123Z");
	}

	fn page() -> Value {
		json!({
			"service": "greeter",
			"lines": [
				{ "seq": 4, "version": 1, "atMs": 0, "level": "info", "text": "hello Alice" },
				{ "seq": 5, "version": 2, "atMs": 1_000, "level": "error", "text": "bad\n\u{1b}[2J" },
			],
			"dropped": 3,
			"next": 5,
		})
	}

	#[test]
	fn lines_print_with_their_time_version_and_level_escaped() {
		let (mut out, notes) = (Vec::new(), std::cell::RefCell::new(Vec::new()));
		let mut dropped = None;
		let next = print_page(&page(), false, &mut dropped, &mut out, |n| {
			notes.borrow_mut().push(n.to_owned())
		});
		assert_eq!(next, Some(5));
		assert_eq!(
			String::from_utf8(out).unwrap(),
			"1970-01-01T00:00:00.000Z  v1  INFO   hello Alice\n\
			 1970-01-01T00:00:01.000Z  v2  ERROR  bad\\n\\u{1b}[2J\n"
		);
		assert_eq!(
			notes.take(),
			["3 earlier lines were not kept (the node keeps a version's last 512 lines, 64 a call)"]
		);
		// The next page: only the lines dropped since are noted.
		let mut out = Vec::new();
		let later = json!({ "service": "greeter", "lines": [], "dropped": 5, "next": 5 });
		print_page(&later, true, &mut dropped, &mut out, |n| notes.borrow_mut().push(n.to_owned()));
		assert_eq!((out.len(), notes.take().len()), (0, 1));
		let mut out = Vec::new();
		print_page(&page(), true, &mut None, &mut out, |_| {});
		let first: Value =
			serde_json::from_str(String::from_utf8(out).unwrap().lines().next().unwrap()).unwrap();
		assert_eq!(first, page()["lines"][0], "--json --follow: one JSON line per line");
	}

	/// The fake node's RPC token: 32 bytes in hex, as a node's.
	pub(crate) const FAKE_TOKEN: &str =
		"5ec2e75ec2e75ec2e75ec2e75ec2e75ec2e75ec2e75ec2e75ec2e75ec2e75ec2";

	/// A node answering `micro_logs` from a canned list of lines, reading its parameters as
	/// the node does.
	/// Its RPC token is [`FAKE_TOKEN`], in the file `micro_rpcTokenFile` names.
	pub(crate) async fn fake_node(
		token_file: &std::path::Path,
	) -> (String, jsonrpsee::server::ServerHandle) {
		std::fs::write(token_file, format!("{FAKE_TOKEN}\n")).unwrap();
		let mut module = jsonrpsee::RpcModule::new(token_file.display().to_string());
		module.register_method("micro_rpcTokenFile", |_, file, _| file.clone()).unwrap();
		module
			.register_method("micro_logs", |params, _, _| {
				let mut params = params.sequence();
				let service: String = params.next()?;
				let version: Option<u32> = params.optional_next()?;
				let since: Option<u64> = params.optional_next()?;
				let token: Option<String> = params.optional_next()?;
				if token.as_deref() != Some(FAKE_TOKEN) {
					return Err(jsonrpsee::types::ErrorObjectOwned::owned(
						-32011,
						"micro_logs needs this node's RPC token",
						None::<()>,
					));
				}
				if service == "remote" {
					// What a node says to a caller off loopback without `--rpc-methods unsafe`.
					return Err(jsonrpsee::types::ErrorObjectOwned::owned(
						-32601,
						"RPC call is unsafe to be called externally",
						None::<()>,
					));
				}
				if service == "paged" {
					// A line a page, as a node answers a reader far behind.
					let seq = since.unwrap_or(0) + 1;
					let lines = if seq <= 3 {
						vec![json!({ "seq": seq, "version": 1, "atMs": seq * 1_000, "level": "info", "text": format!("page {seq}\u{202e}\u{1b}[2J") })]
					} else {
						vec![]
					};
					return Ok(json!({ "service": service, "lines": lines, "dropped": 0, "next": seq.min(3), "more": seq < 3 }));
				}
				if service != "greeter" {
					return Err(jsonrpsee::types::ErrorObjectOwned::owned(
						-32012,
						format!("{service} does not run on this node"),
						None::<()>,
					));
				}
				let lines: Vec<Value> = (1..=3u64)
					.filter(|seq| *seq > since.unwrap_or(0))
					.map(|seq| json!({ "seq": seq, "version": version.unwrap_or(1), "atMs": seq * 1_000, "level": "info", "text": format!("line {seq}") }))
					.collect();
				Ok(json!({ "service": service, "lines": lines, "dropped": 0, "next": 3 }))
			})
			.unwrap();
		let server = jsonrpsee::server::Server::builder().build("127.0.0.1:0").await.unwrap();
		let url = format!("ws://{}", server.local_addr().unwrap());
		(url, server.start(module))
	}

	fn args(service: &str, version: Option<u32>, follow: bool) -> LogsArgs {
		LogsArgs { service: service.into(), version, follow, node_token_file: None }
	}

	#[tokio::test]
	async fn logs_are_read_and_followed_from_the_node() {
		let dir = tempfile::tempdir().unwrap();
		let (url, _server) = fake_node(&dir.path().join("rpc.token")).await;
		let mut out = Vec::new();
		show(&url, &args("greeter", Some(2), false), false, None, &mut out).await.ok().unwrap();
		let text = String::from_utf8(out).unwrap();
		assert_eq!(
			text.lines().collect::<Vec<_>>(),
			[
				"1970-01-01T00:00:01.000Z  v2  INFO   line 1",
				"1970-01-01T00:00:02.000Z  v2  INFO   line 2",
				"1970-01-01T00:00:03.000Z  v2  INFO   line 3",
			]
		);
		// Following: the second round asks after line 3, and prints nothing twice.
		let mut out = Vec::new();
		show(&url, &args("greeter", None, true), true, Some(2), &mut out).await.ok().unwrap();
		let seqs: Vec<u64> = String::from_utf8(out)
			.unwrap()
			.lines()
			.map(|l| serde_json::from_str::<Value>(l).unwrap()["seq"].as_u64().unwrap())
			.collect();
		assert_eq!(seqs, [1, 2, 3]);
	}

	#[tokio::test]
	async fn every_page_is_read_until_caught_up_escaped() {
		let dir = tempfile::tempdir().unwrap();
		let (url, _server) = fake_node(&dir.path().join("rpc.token")).await;
		let mut out = Vec::new();
		show(&url, &args("paged", None, false), false, None, &mut out).await.ok().unwrap();
		let text = String::from_utf8(out).unwrap();
		assert_eq!(
			text.lines().collect::<Vec<_>>(),
			(1..=3)
				.map(|n| format!(
					"1970-01-01T00:00:0{n}.000Z  v1  INFO   page {n}\\u{{202e}}\\u{{1b}}[2J"
				))
				.collect::<Vec<_>>()
		);
		assert!(!text.contains(['\u{1b}', '\u{202e}']));
		// --json: the pages as one.
		let mut out = Vec::new();
		show(&url, &args("paged", None, false), true, None, &mut out).await.ok().unwrap();
		let whole: Value = serde_json::from_slice(&out).unwrap();
		let seqs: Vec<u64> =
			whole["lines"].as_array().unwrap().iter().map(|l| l["seq"].as_u64().unwrap()).collect();
		assert_eq!(
			(seqs, &whole["next"], &whole["more"]),
			(vec![1, 2, 3], &json!(3), &json!(false))
		);
		// --follow reads the pages at once, then polls.
		let mut out = Vec::new();
		show(&url, &args("paged", None, true), true, Some(1), &mut out).await.ok().unwrap();
		assert_eq!(String::from_utf8(out).unwrap().lines().count(), 3);
	}

	#[tokio::test]
	async fn logs_are_refused_with_the_node_s_reason() {
		let dir = tempfile::tempdir().unwrap();
		let (url, _server) = fake_node(&dir.path().join("rpc.token")).await;
		let failure =
			show(&url, &args("nope", None, false), false, None, &mut Vec::new()).await.unwrap_err();
		assert_eq!(failure.exit_code(), 1);
		assert_eq!(failure.message(), "micro_logs: nope does not run on this node");
		// Off loopback, without `--rpc-methods unsafe`.
		let failure = show(&url, &args("remote", None, false), false, None, &mut Vec::new())
			.await
			.unwrap_err();
		assert_eq!(failure.exit_code(), 1);
		assert!(
			failure.message().starts_with(
				"micro_logs: RPC call is unsafe to be called externally: a service's log lines \
				 are for the node's operator only"
			),
			"{}",
			failure.message()
		);
		// Another node's token.
		let wrong = dir.path().join("other.token");
		std::fs::write(&wrong, "guess").unwrap();
		let with_wrong = LogsArgs { node_token_file: Some(wrong), ..args("greeter", None, false) };
		let failure = show(&url, &with_wrong, false, None, &mut Vec::new()).await.unwrap_err();
		assert_eq!(failure.message(), "micro_logs: micro_logs needs this node's RPC token");
		let missing = LogsArgs {
			node_token_file: Some(dir.path().join("missing")),
			..args("greeter", None, false)
		};
		let failure = show(&url, &missing, false, None, &mut Vec::new()).await.unwrap_err();
		assert_eq!(failure.exit_code(), 2, "{}", failure.message());
	}
}
