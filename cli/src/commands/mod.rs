//! One module per command group, each with its clap subcommands and a `run` taking the
//! [`Context`](crate::context::Context).

pub mod allowance;
pub mod contracts;
pub mod develop;
pub mod governance;
pub mod logs;
pub mod messaging;
pub mod network;
pub mod nft;
pub mod node;
pub mod server;
pub mod services;
pub mod status;
pub mod tokens;
pub mod validator;
