//! Command-line interface of `micro-node`.

use sc_cli::RunCmd;

/// The node's command line: a subcommand, or the flags to run a node.
#[derive(Debug, clap::Parser)]
pub struct Cli {
	/// Optional subcommand; without one the node runs.
	#[command(subcommand)]
	pub subcommand: Option<Subcommand>,

	/// Flags for running a node.
	#[clap(flatten)]
	pub run: RunCmd,

	/// Flags of the MUCP worker: its peer, gateway and settlement.
	#[clap(flatten)]
	pub worker: crate::worker::WorkerParams,
}

/// The node's subcommands.
#[derive(Debug, clap::Subcommand)]
#[allow(clippy::large_enum_variant)]
pub enum Subcommand {
	/// Key management: generate, inspect and insert keys.
	#[command(subcommand)]
	Key(sc_cli::KeySubcommand),

	/// Build a chain specification (deprecated in favour of `export-chain-spec`).
	BuildSpec(sc_cli::BuildSpecCmd),

	/// Export a chain specification, as plain JSON or raw storage.
	ExportChainSpec(sc_cli::ExportChainSpecCmd),

	/// Build the public testnet's raw chain spec from its validators' public keys
	/// (chain-specs/testnet-validators.json).
	TestnetSpec(crate::testnet::TestnetSpecCmd),

	/// Validate blocks.
	CheckBlock(sc_cli::CheckBlockCmd),

	/// Export blocks.
	ExportBlocks(sc_cli::ExportBlocksCmd),

	/// Export the state of a given block into a chain spec.
	ExportState(sc_cli::ExportStateCmd),

	/// Import blocks.
	ImportBlocks(sc_cli::ImportBlocksCmd),

	/// Remove the whole chain.
	PurgeChain(sc_cli::PurgeChainCmd),

	/// Revert the chain to a previous state.
	Revert(sc_cli::RevertCmd),

	/// Benchmarks of the runtime and the node (needs the `runtime-benchmarks` feature).
	#[cfg(feature = "runtime-benchmarks")]
	#[command(subcommand)]
	Benchmark(frame_benchmarking_cli::BenchmarkCmd),

	/// Database metadata of the chain.
	ChainInfo(sc_cli::ChainInfoCmd),
}
