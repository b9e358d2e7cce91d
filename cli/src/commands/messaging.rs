//! `micro call`, `stream`, `publish` and `subscribe`: calls and topics through a node's gateway.

use std::{
	io::{BufRead, Write},
	sync::{
		atomic::{AtomicUsize, Ordering},
		Arc,
	},
};

use futures::StreamExt;

use clap::Subcommand;
use micro_cli::gateway::Gateway;

use crate::context::{print_json, refused, Context, Failure, Outcome};

/// Calls, streams and topics, through the gateway.
#[derive(Subcommand)]
pub enum MessagingCommand {
	/// Call SERVICE's ENDPOINT with a JSON body, through the gateway.
	Call {
		/// The service.
		service: String,
		/// The endpoint, such as `Say.Hello`.
		endpoint: String,
		/// The request, JSON.
		body: String,
		/// Allowances paying for the call (`micro allowance sign`); repeatable.
		#[arg(long)]
		allowance: Vec<String>,
		/// Call this version rather than the newest healthy one.
		#[arg(long)]
		version: Option<u32>,
	},
	/// Stream requests to SERVICE's ENDPOINT, printing each answer as it comes.
	///
	/// The requests are the JSON arguments, or else the lines of stdin, each sent as soon as it
	/// is read: type a request, read its answer, type the next. A line that is not JSON is
	/// refused on stderr and the stream goes on.
	Stream {
		/// The service.
		service: String,
		/// The endpoint.
		endpoint: String,
		/// Requests, JSON; read from stdin, one per line, if none.
		requests: Vec<String>,
	},
	/// Publish a JSON message to TOPIC.
	Publish {
		/// The topic.
		topic: String,
		/// The message, JSON.
		body: String,
	},
	/// Print TOPIC's messages as they come, one JSON per line.
	Subscribe {
		/// The topic.
		topic: String,
		/// Share the messages with the other members of this queue group.
		#[arg(long)]
		queue: Option<String>,
		/// Stop after this many messages.
		#[arg(long)]
		count: Option<usize>,
	},
}

pub async fn run(ctx: &Context, command: &MessagingCommand) -> Outcome {
	let gateway = Gateway::new(&ctx.gateway);
	match command {
		MessagingCommand::Call { service, endpoint, body, allowance, version } => {
			serde_json::from_str::<serde_json::Value>(body)
				.map_err(|e| Failure::BadInput(format!("the body is not JSON: {e}")))?;
			let answer = gateway.call(service, endpoint, body, allowance, *version).await?;
			println!("{}", String::from_utf8_lossy(&answer));
			Ok(())
		}
		MessagingCommand::Stream { service, endpoint, requests } => {
			for request in requests {
				serde_json::from_str::<serde_json::Value>(request)
					.map_err(|e| Failure::BadInput(format!("`{request}` is not JSON: {e}")))?;
			}
			let skipped = Arc::new(AtomicUsize::new(0));
			let requests: futures::stream::BoxStream<'static, String> = if requests.is_empty() {
				stdin_requests(skipped.clone())
			} else {
				futures::stream::iter(requests.clone()).boxed()
			};
			let mut failed = None;
			let mut stdout = std::io::stdout();
			gateway
				.stream_from(service, endpoint, requests, |line| {
					if line.starts_with("{\"error\"") {
						failed = Some(line.to_owned());
					}
					let _ = writeln!(stdout, "{line}");
					let _ = stdout.flush();
				})
				.await?;
			if let Some(line) = failed {
				return Err(refused(line));
			}
			match skipped.load(Ordering::Relaxed) {
				0 => Ok(()),
				n => Err(Failure::BadInput(format!("{n} lines were not JSON and were not sent"))),
			}
		}
		MessagingCommand::Publish { topic, body } => {
			serde_json::from_str::<serde_json::Value>(body)
				.map_err(|e| Failure::BadInput(format!("the message is not JSON: {e}")))?;
			let outcome = gateway.publish(topic, body).await?;
			if ctx.json {
				print_json(&outcome);
			} else if let Some(n) = outcome.get("delivered") {
				println!("published {} to {topic}: delivered to {n}", outcome["id"]);
			} else if outcome.get("stored").is_some() {
				println!(
					"published {} to {topic}: nobody subscribes yet, kept in the inbox",
					outcome["id"]
				);
			} else {
				println!("{} was published to {topic} before: dropped", outcome["id"]);
			}
			Ok(())
		}
		MessagingCommand::Subscribe { topic, queue, count } => {
			let mut seen = 0;
			let mut stdout = std::io::stdout();
			gateway
				.subscribe(topic, queue.as_deref(), |data| {
					let _ = writeln!(stdout, "{data}");
					let _ = stdout.flush();
					seen += 1;
					count.is_none_or(|count| seen < count)
				})
				.await?;
			Ok(())
		}
	}
}

/// The lines of stdin that are JSON requests, each as soon as it is read; blank lines are
/// skipped, and lines that are not JSON are refused on stderr and counted in `skipped`. Read on
/// a thread of its own: a read of a terminal cannot be cancelled, and the command must be able
/// to end (the service ended the stream) while one waits.
fn stdin_requests(skipped: Arc<AtomicUsize>) -> futures::stream::BoxStream<'static, String> {
	let (send, receive) = tokio::sync::mpsc::channel::<String>(16);
	std::thread::spawn(move || {
		for line in std::io::stdin().lock().lines().map_while(Result::ok) {
			let line = line.trim();
			if line.is_empty() {
				continue;
			}
			if let Err(e) = serde_json::from_str::<serde_json::Value>(line) {
				eprintln!("error: `{line}` is not JSON ({e}): not sent");
				skipped.fetch_add(1, Ordering::Relaxed);
				continue;
			}
			if send.blocking_send(line.to_owned()).is_err() {
				return;
			}
		}
	});
	futures::stream::unfold(receive, |mut receive| async move {
		receive.recv().await.map(|line| (line, receive))
	})
	.boxed()
}
