//! `micro server`: this machine's node, joining the network, started with sensible defaults
//! for its paths and ports.

use std::{
	ffi::OsString,
	net::TcpListener,
	path::{Path, PathBuf},
	process::Command,
};

use clap::Args;

use crate::context::{data_dir, refused, Failure, Outcome};

/// Where the node's files go, and which network it joins.
#[derive(Args)]
pub struct ServerArgs {
	/// A development chain of its own instead (one validator, //Alice, a block every 6 s, accounts
	/// funded, services buildable from local directories), started fresh each time unless
	/// --base-path is given.
	#[arg(long)]
	dev: bool,
	/// The chain to join: `testnet`, `local`, or a chain spec file.
	#[arg(long, default_value = "testnet", conflicts_with = "dev")]
	chain: String,
	/// Where the node keeps its chain, keys and services (default: the `node` directory of
	/// `micro`'s data directory, ~/.local/share/micro).
	#[arg(long)]
	base_path: Option<PathBuf>,
	/// The `micro-node` to run (default: the one beside `micro`, else on PATH).
	#[arg(long, env = "MICRO_NODE")]
	node: Option<PathBuf>,
	/// Print the node's command line instead of running it.
	#[arg(long)]
	dry_run: bool,
	/// More flags for `micro-node`, after `--` (see `micro-node --help`), such as `-- --name
	/// my-node --rpc-port 9955`.
	#[arg(last = true)]
	node_args: Vec<OsString>,
}

/// The ports a node takes by default, the flag that moves each, and what it is.
const PORTS: [(u16, &str, &str); 4] = [
	(9944, "--rpc-port", "the JSON-RPC server"),
	(30333, "--port", "the chain's peer-to-peer listener"),
	(30433, "--mucp-listen", "the MUCP peer"),
	(8080, "--gateway", "the HTTP gateway"),
];

/// The node's command line: `micro-node` with the network, its paths and `--peer`, then the
/// caller's own flags (which win where they repeat one).
pub fn node_command(args: &ServerArgs) -> Result<(PathBuf, Vec<OsString>), Failure> {
	let mut line: Vec<OsString> = Vec::new();
	if args.dev {
		// Services deployed on a development chain come from the developer's own directories.
		line.extend(["--dev".into(), "--mucp-allow-local-sources".into()]);
	} else {
		line.extend(["--chain".into(), args.chain.clone().into()]);
	}
	let base_path = match (&args.base_path, args.dev) {
		(Some(path), _) => Some(path.clone()),
		(None, true) => None,
		(None, false) => Some(data_dir()?.join("node")),
	};
	if let Some(path) = base_path {
		line.extend(["--base-path".into(), path.into()]);
	}
	// Serve services and join the MUCP network through the nodes registered on-chain.
	line.push("--peer".into());
	line.extend(args.node_args.iter().cloned());
	Ok((node_binary(args.node.as_deref()), line))
}

/// `micro-node`: `given`, or beside this `micro`, or on PATH.
fn node_binary(given: Option<&Path>) -> PathBuf {
	if let Some(path) = given {
		return path.to_path_buf();
	}
	std::env::current_exe()
		.ok()
		.and_then(|exe| exe.parent().map(|dir| dir.join("micro-node")))
		.filter(|path| path.is_file())
		.unwrap_or_else(|| PathBuf::from("micro-node"))
}

/// The default ports another program holds, for flags the caller did not set.
fn taken_ports(node_args: &[OsString], ports: &[(u16, &str, &str)]) -> Vec<String> {
	ports
		.iter()
		.filter(|(_, flag, _)| !node_args.iter().any(|arg| arg.to_string_lossy().starts_with(flag)))
		.filter(|(port, _, _)| TcpListener::bind(("0.0.0.0", *port)).is_err())
		.map(|(port, flag, what)| format!("{port} ({what}; move it with `-- {flag} ...`)"))
		.collect()
}

pub fn run(args: &ServerArgs) -> Outcome {
	let (node, line) = node_command(args)?;
	let shown = std::iter::once(node.display().to_string())
		.chain(line.iter().map(|arg| arg.to_string_lossy().into_owned()))
		.collect::<Vec<_>>()
		.join(" ");
	if args.dry_run {
		println!("{shown}");
		return Ok(());
	}
	let taken = taken_ports(&args.node_args, &PORTS);
	if !taken.is_empty() {
		return Err(Failure::BadInput(format!(
			"ports in use, is a node running already? {}",
			taken.join(", ")
		)));
	}
	eprintln!("· {shown}");
	// The node takes this process's place, so signals (Ctrl-C) reach it directly.
	use std::os::unix::process::CommandExt;
	let error = Command::new(&node).args(&line).exec();
	Err(refused(format!(
		"{} did not start: {error} (build it with `cargo build -p micro-node`, or pass --node)",
		node.display()
	)))
}

#[cfg(test)]
mod tests {
	use clap::Parser;

	use super::*;

	#[derive(Parser)]
	struct Cli {
		#[command(flatten)]
		args: ServerArgs,
	}

	fn line(args: &[&str]) -> Vec<String> {
		let cli = Cli::parse_from(std::iter::once("server").chain(args.iter().copied()));
		let (_, line) = node_command(&cli.args).map_err(|f| f.message().to_owned()).unwrap();
		line.iter().map(|arg| arg.to_string_lossy().into_owned()).collect()
	}

	#[test]
	fn the_node_joins_the_testnet_with_its_files_in_micros_data_directory() {
		let line = line(&["--base-path", "/data/node"]);
		assert_eq!(line, ["--chain", "testnet", "--base-path", "/data/node", "--peer"]);
	}

	#[test]
	fn a_development_node_builds_local_sources_and_takes_the_callers_flags_last() {
		let line = line(&["--dev", "--", "--rpc-port", "9955"]);
		assert_eq!(line, ["--dev", "--mucp-allow-local-sources", "--peer", "--rpc-port", "9955"]);
	}

	#[test]
	fn a_default_port_in_use_is_named_unless_the_node_is_told_another() {
		let held = TcpListener::bind("0.0.0.0:0").unwrap();
		let port = held.local_addr().unwrap().port();
		let ports = [(port, "--rpc-port", "the JSON-RPC server")];
		assert_eq!(
			taken_ports(&[], &ports),
			[format!("{port} (the JSON-RPC server; move it with `-- --rpc-port ...`)")]
		);
		let moved = [OsString::from("--rpc-port"), OsString::from("9955")];
		assert!(taken_ports(&moved, &ports).is_empty());
		drop(held);
		assert!(taken_ports(&[], &ports).is_empty());
	}
}
