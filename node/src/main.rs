//! `micro-node`: the Micro Network's full node and Aura/GRANDPA validator.

mod authorized;
mod chain_spec;
mod cli;
mod client;
mod command;
mod equivocation;
mod rpc;
mod service;
mod testnet;
mod worker;

fn main() {
	if let Err(error) = command::run() {
		// A clear one-line reason and a non-zero exit, never a panic trace.
		eprintln!("Error: {error}");
		std::process::exit(1);
	}
}
