//! Dispatch of the command line to the node's subcommands and the node itself.

use crate::{
	chain_spec,
	cli::{Cli, Subcommand},
	service,
};
use micro_runtime::opaque::Block;
use sc_cli::SubstrateCli;
use sc_service::PartialComponents;

impl SubstrateCli for Cli {
	fn impl_name() -> String {
		"Micro Node".into()
	}

	fn impl_version() -> String {
		env!("SUBSTRATE_CLI_IMPL_VERSION").into()
	}

	fn description() -> String {
		env!("CARGO_PKG_DESCRIPTION").into()
	}

	fn author() -> String {
		env!("CARGO_PKG_AUTHORS").into()
	}

	fn support_url() -> String {
		"https://github.com/micro/network/issues".into()
	}

	fn copyright_start_year() -> i32 {
		2026
	}

	fn load_spec(&self, id: &str) -> Result<Box<dyn sc_service::ChainSpec>, String> {
		Ok(match id {
			"dev" => Box::new(chain_spec::development_chain_spec()?),
			"" | "local" => Box::new(chain_spec::local_chain_spec()?),
			"testnet" => Box::new(chain_spec::testnet_chain_spec()?),
			path => {
				let path = std::path::PathBuf::from(path);
				if !path.is_file() {
					return Err(format!(
						"chain spec `{}` is neither a known chain (dev, local, testnet) nor a \
						 readable file",
						path.display()
					));
				}
				Box::new(
					chain_spec::ChainSpec::from_json_file(path.clone())
						.map_err(|e| format!("chain spec `{}`: {e}", path.display()))?,
				)
			}
		})
	}
}

/// Parses the command line and runs what it asks for.
/// The browser origins a node's RPC allows when `--rpc-cors` is not given: the web console
/// on its gateway's port, as loopback serves it, and polkadot.js apps. (Substrate's own default
/// lists `http://localhost:*`, which its CORS layer compares literally and so never matches
/// any page; on `--dev` it allows every origin.)
fn default_rpc_origins(worker: &crate::worker::WorkerParams) -> Vec<String> {
	let mut origins = vec!["https://polkadot.js.org".to_string()];
	if !worker.no_mucp {
		let port = worker.gateway.port();
		for host in ["127.0.0.1", "localhost", "[::1]"] {
			origins.push(format!("http://{host}:{port}"));
		}
	}
	origins
}

pub fn run() -> sc_cli::Result<()> {
	let mut cli = Cli::from_args();
	// Substrate lets every origin use a `--dev` node's RPC, unsafe methods included, and so
	// turns off its `Host` filter: any web page the developer visits could insert keys or
	// reach the node through a rebinding name. Every node here, `--dev` too, allows its own
	// web console and polkadot.js apps, with the `Host` filter on; `--rpc-cors all` restores
	// Substrate's `--dev` default.
	if cli.run.rpc_params.rpc_cors.is_none() {
		cli.run.rpc_params.rpc_cors = Some(sc_cli::Cors::List(default_rpc_origins(&cli.worker)));
	}

	match &cli.subcommand {
		Some(Subcommand::Key(cmd)) => cmd.run(&cli),
		#[allow(deprecated)]
		Some(Subcommand::BuildSpec(cmd)) => {
			let runner = cli.create_runner(cmd)?;
			runner.sync_run(|config| cmd.run(config.chain_spec, config.network))
		}
		Some(Subcommand::ExportChainSpec(cmd)) => {
			let chain_spec = cli.load_spec(&cmd.chain)?;
			cmd.run(chain_spec)
		}
		Some(Subcommand::TestnetSpec(cmd)) => {
			println!("{}", cmd.run()?);
			Ok(())
		}
		Some(Subcommand::CheckBlock(cmd)) => {
			let runner = cli.create_runner(cmd)?;
			runner.async_run(|config| {
				let PartialComponents { client, task_manager, import_queue, .. } =
					service::new_partial(&config)?;
				Ok((cmd.run(client, import_queue), task_manager))
			})
		}
		Some(Subcommand::ExportBlocks(cmd)) => {
			let runner = cli.create_runner(cmd)?;
			runner.async_run(|config| {
				let PartialComponents { client, task_manager, .. } = service::new_partial(&config)?;
				Ok((cmd.run(client, config.database), task_manager))
			})
		}
		Some(Subcommand::ExportState(cmd)) => {
			let runner = cli.create_runner(cmd)?;
			runner.async_run(|config| {
				let PartialComponents { client, task_manager, .. } = service::new_partial(&config)?;
				Ok((cmd.run(client, config.chain_spec), task_manager))
			})
		}
		Some(Subcommand::ImportBlocks(cmd)) => {
			let runner = cli.create_runner(cmd)?;
			runner.async_run(|config| {
				let PartialComponents { client, task_manager, import_queue, .. } =
					service::new_partial(&config)?;
				Ok((cmd.run(client, import_queue), task_manager))
			})
		}
		Some(Subcommand::PurgeChain(cmd)) => {
			let runner = cli.create_runner(cmd)?;
			runner.sync_run(|config| cmd.run(config.database))
		}
		Some(Subcommand::Revert(cmd)) => {
			let runner = cli.create_runner(cmd)?;
			runner.async_run(|config| {
				let PartialComponents { client, task_manager, backend, .. } =
					service::new_partial(&config)?;
				let aux_revert = Box::new(|client, _, blocks| {
					sc_consensus_grandpa::revert(client, blocks)?;
					Ok(())
				});
				Ok((cmd.run(client, backend, Some(aux_revert)), task_manager))
			})
		}
		#[cfg(feature = "runtime-benchmarks")]
		Some(Subcommand::Benchmark(cmd)) => {
			use frame_benchmarking_cli::BenchmarkCmd;
			let runner = cli.create_runner(cmd)?;
			runner.sync_run(|config| match cmd {
				BenchmarkCmd::Pallet(cmd) => cmd
					.run_with_spec::<sp_runtime::traits::HashingFor<Block>, ()>(Some(
						config.chain_spec,
					)),
				BenchmarkCmd::Machine(cmd) => {
					cmd.run(&config, frame_benchmarking_cli::SUBSTRATE_REFERENCE_HARDWARE.clone())
				}
				_ => Err("only `benchmark pallet` and `benchmark machine` are wired up".into()),
			})
		}
		Some(Subcommand::ChainInfo(cmd)) => {
			let runner = cli.create_runner(cmd)?;
			runner.sync_run(|config| cmd.run::<Block>(&config))
		}
		None => {
			let runner = cli.create_runner(&cli.run)?;
			let rpc_port_given = cli.run.rpc_params.rpc_port.is_some();
			let mut worker = cli.worker.clone();
			runner.run_node_until_exit(|mut config| async move {
				if rpc_port_given {
					// A port the operator named must be the port the node serves, or it fails:
					// never a silent fallback to a random one.
					for endpoint in config.rpc.addr.iter_mut().flatten() {
						endpoint.retry_random_port = false;
						if !endpoint.is_optional {
							ensure_port_free(endpoint.listen_addr, "serve JSON-RPC", "--rpc-port")?;
						}
					}
				}
				check_p2p_ports_free(&config.network.listen_addresses)?;
				// After the check above: the listener it adds checks its own port, under its
				// own flag.
				worker.light_client_port = if worker.no_mucp {
					Some(0)
				} else {
					listen_for_light_clients(
						&mut config.network.listen_addresses,
						worker.light_client_port,
					)?
				};
				if !worker.no_mucp {
					ensure_port_free(worker.gateway, "serve the HTTP gateway", "--gateway")?;
					if let Some(address) = tcp_socket(&worker.mucp_listen) {
						ensure_port_free(address, "listen for MUCP peers", "--mucp-listen")?;
					}
				}
				let database = config.database.path().map(|path| path.to_path_buf());
				let started = match config.network.network_backend {
					sc_network::config::NetworkBackendType::Libp2p => service::new_full::<
						sc_network::NetworkWorker<
							Block,
							<Block as sp_runtime::traits::Block>::Hash,
						>,
					>(config, worker),
					sc_network::config::NetworkBackendType::Litep2p => {
						service::new_full::<sc_network::Litep2pNetworkBackend>(config, worker)
					}
				};
				started.map_err(|error| explain_start_failure(error, database.as_deref()))
			})
		}
	}
}

/// The port browsers' light clients reach this node on: a WebSocket listener already among
/// `listen_addresses`, or one added on `port` (must be free) at each address the node listens
/// on for peers, or on 30334 when no port is named and it is free. `Some(0)` when there is
/// none.
fn listen_for_light_clients(
	listen_addresses: &mut Vec<sc_network::Multiaddr>,
	port: Option<u16>,
) -> sc_cli::Result<Option<u16>> {
	use sc_network::multiaddr::Protocol;
	use std::net::{IpAddr, SocketAddr};

	const DEFAULT_PORT: u16 = 30334;
	let websocket_port = |address: &sc_network::Multiaddr| {
		let mut tcp = None;
		for protocol in address.iter() {
			match protocol {
				Protocol::Tcp(port) => tcp = Some(port),
				Protocol::Ws(_) => return tcp,
				_ => {}
			}
		}
		None
	};
	if let Some(port) = listen_addresses.iter().find_map(websocket_port) {
		return Ok(Some(port));
	}
	// The same interfaces as the TCP listener: a node kept on loopback stays there.
	let ips: Vec<IpAddr> =
		listen_addresses.iter().filter_map(|address| ip_and_tcp_port(address).0).collect();
	let free = |port: u16| {
		ips.iter().try_for_each(|ip| {
			ensure_port_free(
				SocketAddr::new(*ip, port),
				"listen for light clients",
				"--light-client-port",
			)
		})
	};
	let port = match port {
		Some(0) => return Ok(Some(0)),
		Some(port) => {
			free(port)?;
			port
		}
		None if free(DEFAULT_PORT).is_err() => {
			log::warn!(
				"port {DEFAULT_PORT} is taken: no WebSocket listener for browsers' light clients \
				 (name a free one with --light-client-port)"
			);
			return Ok(Some(0));
		}
		None => DEFAULT_PORT,
	};
	for ip in ips {
		let ip = match ip {
			IpAddr::V4(ip) => Protocol::Ip4(ip),
			IpAddr::V6(ip) => Protocol::Ip6(ip),
		};
		let address = sc_network::Multiaddr::empty()
			.with(ip)
			.with(Protocol::Tcp(port))
			.with(Protocol::Ws("/".into()));
		listen_addresses.push(address);
	}
	Ok(Some(port))
}

/// Turns a failure to start the node into an error that says what to do about it.
fn explain_start_failure(
	error: sc_service::Error,
	database: Option<&std::path::Path>,
) -> sc_cli::Error {
	match (&error, database) {
		(sc_service::Error::Client(sp_blockchain::Error::Backend(reason)), Some(path)) => {
			sc_cli::Error::Application(
				format!(
					"cannot open the database at {}: {reason}. It is damaged or not a ParityDB \
					 database: remove it with `micro-node purge-chain` (same --chain and \
					 --base-path) or start with another --base-path",
					path.display()
				)
				.into(),
			)
		}
		_ => sc_cli::Error::Service(error),
	}
}

/// Fails with a clear message when `address` is already taken. Without this check libp2p only
/// logs a taken port and runs unreachable, and the RPC server's error names no address.
fn ensure_port_free(
	address: std::net::SocketAddr,
	purpose: &str,
	flag: &str,
) -> sc_cli::Result<()> {
	match std::net::TcpListener::bind(address) {
		Err(error) if error.kind() == std::io::ErrorKind::AddrInUse => {
			Err(sc_cli::Error::Application(
				format!(
					"cannot {purpose} on {address}: the port is already in use; stop the process \
					 holding it or choose another {flag}"
				)
				.into(),
			))
		}
		_ => Ok(()),
	}
}

/// The IP and TCP port of a `/ip4/…/tcp/…` or `/ip6/…/tcp/…` multiaddr.
fn tcp_socket(address: &crate::worker::Multiaddr) -> Option<std::net::SocketAddr> {
	use mucp_offchain::peer::Protocol;
	let mut ip = None;
	for part in address.iter() {
		match part {
			Protocol::Ip4(v4) => ip = Some(std::net::IpAddr::V4(v4)),
			Protocol::Ip6(v6) => ip = Some(std::net::IpAddr::V6(v6)),
			Protocol::Tcp(port) if port != 0 => return ip.map(|ip| (ip, port).into()),
			_ => {}
		}
	}
	None
}

/// Checks that the TCP ports the node should listen on for peers are free.
fn check_p2p_ports_free(listen_addresses: &[sc_network::Multiaddr]) -> sc_cli::Result<()> {
	use std::net::SocketAddr;

	for address in listen_addresses {
		if let (Some(ip), Some(port)) = ip_and_tcp_port(address) {
			if port != 0 {
				ensure_port_free(SocketAddr::new(ip, port), "listen for peers", "--port")?;
			}
		}
	}
	Ok(())
}

/// The IP address and TCP port a peer-to-peer listen address names, where it names them.
fn ip_and_tcp_port(address: &sc_network::Multiaddr) -> (Option<std::net::IpAddr>, Option<u16>) {
	use sc_network::multiaddr::Protocol;
	use std::net::IpAddr;

	let (mut ip, mut port) = (None, None);
	for protocol in address.iter() {
		match protocol {
			Protocol::Ip4(v4) => ip = Some(IpAddr::V4(v4)),
			Protocol::Ip6(v6) => ip = Some(IpAddr::V6(v6)),
			Protocol::Tcp(p) => port = Some(p),
			_ => {}
		}
	}
	(ip, port)
}
