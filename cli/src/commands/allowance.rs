//! `micro allowance`: allowances, and disputes of settled usage.

use clap::Subcommand;
use mucp_offchain::settlement::{Allowance, SignedAllowance};
use subxt::dynamic;

use crate::context::{
	account, account_of, best_block, connect, event_field, service_id, service_price, ss58,
	submit_progress, Context, Failure, Outcome,
};
use micro_cli::values::{field, number};

#[derive(Subcommand)]
pub enum AllowanceCommand {
	/// Sign an allowance for each node given; prints them comma separated, ready for
	/// `--allowance` or the `Micro-Allowance` header.
	Sign {
		/// The service: name or id.
		#[arg(long)]
		service: String,
		/// A node that may charge; repeatable.
		#[arg(long = "node", required = true)]
		nodes: Vec<u32>,
		/// Most calls each node may charge.
		#[arg(long)]
		calls: u64,
		/// Blocks it stays valid.
		#[arg(long, default_value_t = 1_000)]
		blocks: u32,
		/// Its nonce; the best block's number by default, so a newer one always replaces (the
		/// calls settled under the one it replaces count toward its `--calls` until that one
		/// expires).
		#[arg(long)]
		nonce: Option<u64>,
		/// The highest price per call, in API tokens, you agree to pay: a node cannot settle
		/// calls at a higher price. The service's current price by default.
		#[arg(long = "max-price")]
		max_price: Option<u128>,
	},
	/// Revoke your allowances for NODE up to a nonce (the latest settled one by default):
	/// they settle for an hour more, for calls already served, then never; the node stops
	/// serving them at once.
	Revoke {
		/// The node.
		#[arg(long)]
		node: u32,
		/// Revoke nonces up to this one.
		#[arg(long, default_value_t = 0)]
		nonce: u64,
	},
	/// Dispute what NODE settled for you in the last day, holding a 1 MICRO deposit. The
	/// node's operator may refund the MICRO it was paid; otherwise, after a day, `close`
	/// records the dispute against the node and returns your deposit.
	Dispute {
		/// The node.
		#[arg(long)]
		node: u32,
	},
	/// As NODE's operator, refund CONSUMER the usage it disputed: nothing is recorded.
	Refund {
		/// The node.
		#[arg(long)]
		node: u32,
		/// The consumer who disputed: an SS58 address or secret URI.
		consumer: String,
	},
	/// Close CONSUMER's dispute of NODE once the operator's day to answer is over.
	Close {
		/// The node.
		#[arg(long)]
		node: u32,
		/// The consumer who disputed.
		consumer: String,
	},
}

pub async fn run(ctx: &Context, command: &AllowanceCommand) -> Outcome {
	let (service, nodes, calls, blocks, nonce, max_price) = match command {
		AllowanceCommand::Sign { service, nodes, calls, blocks, nonce, max_price } => {
			(service, nodes, calls, blocks, nonce, max_price)
		}
		other => return allowance_on_chain(ctx, other).await,
	};
	let (keypair, pair) = ctx.signer().await?;
	let api = connect(&ctx.url).await?;
	let service = service_id(&api, service).await?;
	let max_price_per_call = match max_price {
		Some(price) => *price,
		None => service_price(&api, service).await?,
	};
	let best = best_block(&api).await?;
	let genesis: [u8; 32] = api.genesis_hash().0;
	let consumer = sp_core::crypto::AccountId32::from(account_of(&keypair).0);
	let signed: Vec<String> = nodes
		.iter()
		.map(|node| {
			let allowance = Allowance {
				consumer: consumer.clone(),
				service,
				node: *node,
				max_calls: *calls,
				max_price_per_call,
				expires_at: best.saturating_add(*blocks),
				nonce: nonce.unwrap_or(best.into()),
			};
			SignedAllowance::sign(&genesis, allowance, &pair).to_text()
		})
		.collect();
	println!("{}", signed.join(","));
	Ok(())
}

/// The allowance commands that are transactions: revoking, disputing, refunding, closing.
async fn allowance_on_chain(ctx: &Context, command: &AllowanceCommand) -> Outcome {
	let (keypair, _) = ctx.signer().await?;
	let api = connect(&ctx.url).await?;
	match command {
		AllowanceCommand::Sign { .. } => {
			return Err(Failure::BadInput("signing an allowance is not a transaction".into()))
		}
		AllowanceCommand::Revoke { node, nonce } => {
			let call = dynamic::transaction("Settlement", "revoke_allowance", (*node, *nonce));
			let events = submit_progress(&api, "revoke_allowance", call, &keypair).await?;
			let revoked = event_field(&events, "Settlement", "AllowanceRevoked");
			let get = |name: &str| {
				revoked.as_ref().and_then(|e| field(e, name)).and_then(number).unwrap_or_default()
			};
			println!(
				"allowances for node {node} up to nonce {} revoked: they settle no more after \
				 block {}",
				get("nonce"),
				get("effective_at")
			);
		}
		AllowanceCommand::Dispute { node } => {
			let call = dynamic::transaction("Settlement", "dispute_usage", (*node,));
			submit_progress(&api, "dispute_usage", call, &keypair).await?;
			println!("usage settled by node {node} disputed: its operator has a day to refund");
		}
		AllowanceCommand::Refund { node, consumer } => {
			let consumer = account(consumer)?;
			let call = dynamic::transaction("Settlement", "refund_usage", (*node, consumer));
			submit_progress(&api, "refund_usage", call, &keypair).await?;
			println!("{} refunded: the dispute is closed", ss58(&consumer));
		}
		AllowanceCommand::Close { node, consumer } => {
			let consumer = account(consumer)?;
			let call = dynamic::transaction("Settlement", "close_dispute", (*node, consumer));
			submit_progress(&api, "close_dispute", call, &keypair).await?;
			println!(
				"the dispute of {} is closed and recorded against node {node}",
				ss58(&consumer)
			);
		}
	}
	Ok(())
}
