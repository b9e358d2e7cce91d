//! `micro`: the Micro Network's command line.
//!
//! Exit codes a script can rely on: 0 done; 1 refused (the chain, a node or a service said no:
//! the reason is on stderr, a `Micro-Error` as JSON); 2 bad input; 3 a node could not be
//! reached.
//!
//! Each command group is a module of [`commands`]; what they share (the global flags, the
//! signer, connecting, printing, [`context::Failure`]) is in [`context`].

mod commands;
mod context;

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use commands::{
	allowance::AllowanceCommand, contracts::ContractsCommand, develop::DevelopCommand,
	governance::GovernanceCommand, messaging::MessagingCommand, network::NetworkCommand,
	nft::NftCommand, node::NodeCommand, server::ServerArgs, services::ServicesCommand,
	tokens::TokensCommand, validator::ValidatorCommand,
};
use commands::{logs::LogsArgs, status::StatusArgs};
use context::{Context, Outcome};

/// The Micro Network from the command line: the network, calls, topics, services and their
/// NFTs, API tokens, allowances, governance and contracts.
#[derive(Parser)]
#[command(name = "micro", version)]
struct Cli {
	#[command(flatten)]
	context: Context,
	#[command(subcommand)]
	command: Command,
}

#[derive(Subcommand)]
enum Command {
	#[command(flatten)]
	Develop(DevelopCommand),
	/// Run a node on this machine that joins the network (the testnet unless told otherwise)
	/// and serves services: `micro-node` with its files under ~/.local/share/micro.
	Server(ServerArgs),
	/// The MUCP network as the node sees it.
	#[command(subcommand)]
	Network(NetworkCommand),
	/// Nodes: this node's identity, registration and deployments; update or unregister a node.
	#[command(subcommand)]
	Node(NodeCommand),
	/// This node at a glance: identity, chain, peers and each deployment's health (exit 1 if
	/// one failed).
	Status(StatusArgs),
	/// A service's log lines on this node, oldest first; --follow for new ones (operator only).
	Logs(LogsArgs),
	#[command(flatten)]
	Messaging(MessagingCommand),
	/// Services: deploy, place, price, retire, withdraw, evict, unregister, list, versions.
	#[command(subcommand)]
	Services(ServicesCommand),
	/// Service NFTs: mint, transfer, offer, buy, show.
	#[command(subcommand)]
	Nft(NftCommand),
	/// API tokens: buy, claim, balance, refresh, hold, release.
	#[command(subcommand)]
	Tokens(TokensCommand),
	/// Allowances: permission for a node to charge you for calls.
	#[command(subcommand)]
	Allowance(AllowanceCommand),
	/// Governance: propose changes, vote on them with your nodes and services.
	#[command(subcommand)]
	Governance(GovernanceCommand),
	/// Contracts between parties, recorded with their result.
	#[command(subcommand)]
	Contracts(ContractsCommand),
	/// Validators: session keys, standing as a candidate, leaving, the set and its rules.
	#[command(subcommand)]
	Validator(ValidatorCommand),
}

#[tokio::main]
async fn main() -> ExitCode {
	let cli = Cli::parse();
	match run(&cli).await {
		Ok(()) => ExitCode::SUCCESS,
		Err(failure) => {
			eprintln!("error: {}", failure.message());
			ExitCode::from(failure.exit_code())
		}
	}
}

async fn run(cli: &Cli) -> Outcome {
	let ctx = &cli.context;
	match &cli.command {
		Command::Develop(command) => commands::develop::run(ctx, command).await,
		Command::Server(args) => commands::server::run(args),
		Command::Network(command) => commands::network::run(ctx, command).await,
		Command::Node(command) => commands::node::run(ctx, command).await,
		Command::Status(args) => commands::status::run(ctx, args).await,
		Command::Logs(args) => commands::logs::run(ctx, args).await,
		Command::Messaging(command) => commands::messaging::run(ctx, command).await,
		Command::Services(command) => commands::services::run(ctx, command).await,
		Command::Nft(command) => commands::nft::run(ctx, command).await,
		Command::Tokens(command) => commands::tokens::run(ctx, command).await,
		Command::Allowance(command) => commands::allowance::run(ctx, command).await,
		Command::Governance(command) => commands::governance::run(ctx, command).await,
		Command::Contracts(command) => commands::contracts::run(ctx, command).await,
		Command::Validator(command) => commands::validator::run(ctx, command).await,
	}
}

#[cfg(test)]
mod tests {
	use clap::CommandFactory;

	#[test]
	fn the_command_line_is_well_formed() {
		super::Cli::command().debug_assert();
	}
}
