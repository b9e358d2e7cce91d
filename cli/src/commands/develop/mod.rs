//! `micro new`, `micro build` and `micro run`: a service from nothing to answering calls on
//! this machine, without a chain.
//!
//! - [`new`]: a project from the template in `cli/template/`;
//! - [`build`]: the project built to wasm, its SDK resolved as nodes resolve it;
//! - [`run`]: the module served by a local executor behind a gateway, rebuilt on change.

pub mod build;
pub mod new;
pub mod run;

use std::{net::SocketAddr, path::PathBuf};

use clap::Subcommand;

use crate::context::{Context, Outcome};

/// Developing a service.
#[derive(Subcommand)]
pub enum DevelopCommand {
	/// Make a service project in a new directory NAME: the handler (`src/lib.rs`) with its
	/// unit tests, `micro.json`, a README, `.gitignore` and `Cargo.lock`.
	///
	/// The project depends on the SDK by version (`micro-service = "0.1"`), which `micro` and
	/// every node resolve to the SDK of their own version; `cargo test` runs its tests.
	New {
		/// The service's name: lowercase letters, digits and `-`, starting with a letter.
		name: String,
		/// Where to make it (default: `./NAME`).
		#[arg(long)]
		path: Option<PathBuf>,
	},
	/// Build the service in DIR (default: here) to wasm; print the module's path, size and
	/// code hash.
	Build {
		/// The project's directory.
		#[arg(default_value = ".")]
		dir: PathBuf,
	},
	/// Run the service in DIR (default: here) on this machine: build it, serve it through a
	/// local gateway, rebuild it when its source changes, print each call it serves and each
	/// line it logs. No chain, no tokens: calls are free.
	Run {
		/// The project's directory.
		#[arg(default_value = ".")]
		dir: PathBuf,
		/// Where the local gateway listens.
		#[arg(long, default_value = "127.0.0.1:8081")]
		listen: SocketAddr,
	},
}

pub async fn run(ctx: &Context, command: &DevelopCommand) -> Outcome {
	match command {
		DevelopCommand::New { name, path } => new::run(ctx, name, path.as_deref()),
		DevelopCommand::Build { dir } => {
			let built = build::build(dir).await?;
			built.report(ctx);
			Ok(())
		}
		DevelopCommand::Run { dir, listen } => run::run(dir, *listen).await,
	}
}
