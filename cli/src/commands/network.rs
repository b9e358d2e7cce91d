//! `micro network`: the MUCP network as the node sees it.

use clap::Subcommand;
use micro_cli::table;

use crate::context::{print_json, rpc, Context, Outcome};

/// The MUCP network as the node sees it.
#[derive(Subcommand)]
pub enum NetworkCommand {
	/// The nodes this node knows.
	Nodes,
	/// The services in the registry.
	Services,
	/// The ranked routes to SERVICE (to every service without one).
	Routes {
		/// The service.
		service: Option<String>,
	},
	/// Who is connected to whom.
	Graph,
}

pub async fn run(ctx: &Context, command: &NetworkCommand) -> Outcome {
	let (method, params) = match command {
		NetworkCommand::Nodes => ("micro_networkNodes", vec![]),
		NetworkCommand::Services => ("micro_networkServices", vec![]),
		NetworkCommand::Routes { service } => {
			("micro_networkRoutes", service.iter().map(|s| serde_json::json!(s)).collect())
		}
		NetworkCommand::Graph => ("micro_networkGraph", vec![]),
	};
	let answer = rpc(&ctx.url, method, params).await?;
	if ctx.json {
		print_json(&answer);
		return Ok(());
	}
	let list = answer.as_array().cloned().unwrap_or_default();
	let s = |v: &serde_json::Value| match v {
		serde_json::Value::String(s) => s.clone(),
		serde_json::Value::Null => "-".into(),
		other => other.to_string(),
	};
	let printed = match command {
		NetworkCommand::Nodes => table::render(
			&["PEER", "CONNECTED", "HEALTHY", "RTT µs", "SERVICES"],
			&list
				.iter()
				.map(|n| {
					let services: Vec<String> =
						n["services"].as_array().into_iter().flatten().map(s).collect();
					vec![
						s(&n["id"]),
						s(&n["connected"]),
						s(&n["healthy"]),
						s(&n["rtt_us"]),
						services.join(" "),
					]
				})
				.collect::<Vec<_>>(),
		),
		NetworkCommand::Services => table::render(
			&["SERVICE", "VERSION", "ENDPOINTS", "NODES"],
			&list
				.iter()
				.map(|service| {
					let endpoints: Vec<String> = service["endpoints"]
						.as_array()
						.into_iter()
						.flatten()
						.map(|e| s(&e["name"]))
						.collect();
					let nodes = service["nodes"].as_array().map_or(0, Vec::len);
					vec![
						s(&service["name"]),
						s(&service["version"]),
						endpoints.join(" "),
						nodes.to_string(),
					]
				})
				.collect::<Vec<_>>(),
		),
		NetworkCommand::Routes { .. } => table::render(
			&["SERVICE", "VERSION", "NODE", "COST µs"],
			&list
				.iter()
				.map(|r| vec![s(&r["service"]), s(&r["version"]), s(&r["node"]), s(&r["metric"])])
				.collect::<Vec<_>>(),
		),
		NetworkCommand::Graph => {
			let edges = answer["edges"].as_array().cloned().unwrap_or_default();
			let mut out = format!("this node: {}\n", s(&answer["local"]));
			out.push_str(&table::render(
				&["PEER", "PEER"],
				&edges.iter().map(|e| vec![s(&e[0]), s(&e[1])]).collect::<Vec<_>>(),
			));
			out
		}
	};
	println!("{printed}");
	Ok(())
}
