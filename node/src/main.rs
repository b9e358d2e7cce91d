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

/// jemalloc, as Polkadot's node uses: the MUCP worker allocates each message on one thread and
/// frees it on another, which glibc's malloc serialises on its arenas' locks (a third of a
/// core message's time in `versus_nats` went to malloc, free and their futex waits).
#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() {
	if let Err(error) = command::run() {
		// A clear one-line reason and a non-zero exit, never a panic trace.
		eprintln!("Error: {error}");
		std::process::exit(1);
	}
}
