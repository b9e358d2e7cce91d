//! `micro tokens`: API tokens.

use clap::Subcommand;
use micro_cli::{
	chain::try_view,
	table,
	values::{field, items, number, variant},
};
use subxt::{
	dynamic::{self, Value},
	ext::codec::Encode,
};

use crate::context::{
	account, account_of, best_block, connect, event_field, event_number, print_json, refused, ss58,
	submit_progress, Context, Outcome,
};

#[derive(Subcommand)]
pub enum TokensCommand {
	/// Buy TOKENS API tokens at the chain's price.
	Buy {
		/// How many.
		tokens: u128,
	},
	/// WHO's API tokens (the signer's without one).
	Balance {
		/// An SS58 address or secret URI.
		who: Option<String>,
	},
	/// Claim free tokens: what is left of your access tier's free calls this period, or with
	/// --node, the allowance of a node you operate, which grows with its reputation.
	Claim {
		/// Claim this node's allowance (you must operate it).
		#[arg(long)]
		node: Option<u32>,
	},
	/// Give the batch expiring at EXPIRES_AT a new lifetime, for a fee.
	Refresh {
		/// The batch's expiry block, as `micro tokens balance` lists it.
		expires_at: u32,
	},
	/// Hold TOKENS of your API tokens for NODE: only NODE's reports can spend them until the
	/// hold ends, so NODE knows it will be paid for what it serves you. Again to top up or
	/// extend.
	Hold {
		/// The node they are held for.
		#[arg(long)]
		node: u32,
		/// How many tokens (0 only extends the hold).
		tokens: u128,
		/// Blocks from now the hold lasts at least (an hour, 600 blocks, at the least).
		#[arg(long, default_value_t = 1_000)]
		blocks: u32,
	},
	/// Reserve CALLS of your free quota this period for NODE: a node serves your calls
	/// without an allowance only from the free calls reserved for it, so the quota is spent
	/// once across the network. Again to add more; reservations end with the quota period.
	ReserveFree {
		/// The node that may serve them.
		#[arg(long)]
		node: u32,
		/// How many free calls.
		calls: u32,
	},
	/// Remove WHO's lapsed batches (the signer's without one): their backing goes to the
	/// charity and operations accounts. Anyone may, for anyone.
	Reap {
		/// An SS58 address or secret URI.
		who: Option<String>,
	},
	/// Pay WHO (the signer without one) what the pot owes it, now that its account can take
	/// it. Anyone may, for anyone.
	ClaimOwed {
		/// An SS58 address or secret URI.
		who: Option<String>,
	},
	/// End a hold whose time is over: its tokens go back to the batches they came from.
	Release {
		/// The node they were held for.
		#[arg(long)]
		node: u32,
		/// Whose hold: the signer's without one (anyone may end a hold that is over).
		#[arg(long)]
		consumer: Option<String>,
	},
}

pub async fn run(ctx: &Context, command: &TokensCommand) -> Outcome {
	let api = connect(&ctx.url).await?;
	match command {
		TokensCommand::Buy { tokens } => {
			let (keypair, _) = ctx.signer().await?;
			let price: u128 = try_view(&api, "MicroTokens", "price", &[]).await.map_err(refused)?;
			let call = dynamic::transaction("MicroTokens", "buy_tokens", (*tokens, price));
			let events = submit_progress(&api, "buy_tokens", call, &keypair).await?;
			let bought = event_field(&events, "MicroTokens", "TokensBought");
			let get = |name: &str| {
				bought.as_ref().and_then(|e| field(e, name)).and_then(number).unwrap_or_default()
			};
			println!(
				"bought {} API tokens at {} each: {} paid, expiring at block {}",
				get("tokens"),
				get("price"),
				get("cost"),
				get("expires_at")
			);
			Ok(())
		}
		TokensCommand::Balance { who } => {
			let who = match who {
				Some(who) => account(who)?,
				None => account_of(&ctx.signer().await?.0),
			};
			let (spendable, refreshable): (u128, u128) =
				try_view(&api, "MicroTokens", "balance", &who.encode()).await.map_err(refused)?;
			let batches: Value =
				try_view(&api, "MicroTokens", "batches", &who.encode()).await.map_err(refused)?;
			let rows: Vec<Vec<String>> = items(&batches)
				.into_iter()
				.map(|b| {
					let get = |name: &str| {
						field(b, name).and_then(number).unwrap_or_default().to_string()
					};
					let kind = field(b, "kind").and_then(variant).unwrap_or("?").to_owned();
					vec![get("tokens"), get("expires_at"), kind, get("backing")]
				})
				.collect();
			if ctx.json {
				print_json(&serde_json::json!({
					"account": ss58(&who), "spendable": spendable.to_string(), "refreshable": refreshable.to_string(),
					"batches": rows.iter().map(|r| serde_json::json!({ "tokens": r[0], "expiresAt": r[1], "kind": r[2], "backing": r[3] })).collect::<Vec<_>>(),
				}));
			} else {
				println!("{}: {spendable} spendable, {refreshable} refreshable", ss58(&who));
				println!("{}", table::render(&["TOKENS", "EXPIRES AT", "KIND", "BACKING"], &rows));
			}
			Ok(())
		}
		TokensCommand::Hold { node, tokens, blocks } => {
			let (keypair, _) = ctx.signer().await?;
			let best = best_block(&api).await?;
			let until = best.saturating_add(*blocks);
			let call =
				dynamic::transaction("MicroTokens", "hold_for_node", (*node, *tokens, until));
			submit_progress(&api, "hold_for_node", call, &keypair).await?;
			let who = account_of(&keypair);
			let (held, until): (u128, u32) =
				try_view(&api, "MicroTokens", "held_for_node", &(who.0, *node).encode())
					.await
					.map_err(refused)?;
			println!("{held} API tokens held for node {node} until block {until}");
			Ok(())
		}
		TokensCommand::ReserveFree { node, calls } => {
			let (keypair, _) = ctx.signer().await?;
			let call = dynamic::transaction("Reputation", "reserve_free_calls", (*node, *calls));
			submit_progress(&api, "reserve_free_calls", call, &keypair).await?;
			let who = account_of(&keypair);
			let (reserved, period): (u32, u32) =
				try_view(&api, "Reputation", "free_calls_reserved", &(who.0, *node).encode())
					.await
					.map_err(refused)?;
			println!(
				"{reserved} free calls reserved for node {node} in the quota period from block \
				 {period}"
			);
			Ok(())
		}
		TokensCommand::Release { node, consumer } => {
			let (keypair, _) = ctx.signer().await?;
			let consumer = match consumer {
				Some(who) => account(who)?,
				None => account_of(&keypair),
			};
			let call = dynamic::transaction("MicroTokens", "release_hold", (consumer, *node));
			let events = submit_progress(&api, "release_hold", call, &keypair).await?;
			let released = event_field(&events, "MicroTokens", "HoldReleased");
			let tokens =
				released.as_ref().and_then(|e| field(e, "tokens")).and_then(number).unwrap_or(0);
			println!("{tokens} API tokens of {} released from node {node}", ss58(&consumer));
			Ok(())
		}
		TokensCommand::Refresh { expires_at } => {
			let (keypair, _) = ctx.signer().await?;
			let call = dynamic::transaction("MicroTokens", "refresh_batch", (*expires_at,));
			let events = submit_progress(&api, "refresh_batch", call, &keypair).await?;
			let refreshed = event_field(&events, "MicroTokens", "BatchRefreshed");
			let get = |name: &str| event_number(&refreshed, name);
			ctx.report(
				serde_json::json!({
					"tokens": get("tokens").to_string(), "oldExpiry": get("old_expiry"),
					"expiresAt": get("new_expiry"), "fee": get("fee").to_string(),
				}),
				format!(
					"batch refreshed: {} tokens now expire at block {} (fee {} units)",
					get("tokens"),
					get("new_expiry"),
					get("fee")
				),
			);
			Ok(())
		}
		TokensCommand::Claim { node: None } => {
			let (keypair, _) = ctx.signer().await?;
			let call = dynamic::transaction("MicroTokens", "claim_free_tokens", ());
			let events = submit_progress(&api, "claim_free_tokens", call, &keypair).await?;
			let claimed = event_field(&events, "MicroTokens", "FreeTokensClaimed");
			let get = |name: &str| event_number(&claimed, name);
			ctx.report(
				serde_json::json!({ "tokens": get("tokens").to_string(), "expiresAt": get("expires_at") }),
				format!(
					"claimed {} free API tokens, expiring at block {}",
					get("tokens"),
					get("expires_at")
				),
			);
			Ok(())
		}
		TokensCommand::Claim { node: Some(node) } => {
			let (keypair, _) = ctx.signer().await?;
			let call = dynamic::transaction("MicroTokens", "claim_node_allowance", (*node,));
			let events = submit_progress(&api, "claim_node_allowance", call, &keypair).await?;
			let claimed = event_field(&events, "MicroTokens", "AllowanceClaimed");
			let get = |name: &str| event_number(&claimed, name);
			ctx.report(
				serde_json::json!({
					"node": node, "tokens": get("tokens").to_string(),
					"minted": get("minted").to_string(), "expiresAt": get("expires_at"),
				}),
				format!(
					"claimed node {node}'s allowance: {} API tokens, expiring at block {}",
					get("tokens"),
					get("expires_at")
				),
			);
			Ok(())
		}
		TokensCommand::Reap { who } => {
			let (keypair, _) = ctx.signer().await?;
			let who = match who {
				Some(who) => account(who)?,
				None => account_of(&keypair),
			};
			let call = dynamic::transaction("MicroTokens", "reap_expired", (who,));
			let events = submit_progress(&api, "reap_expired", call, &keypair).await?;
			let lapsed = event_field(&events, "MicroTokens", "TokensLapsed");
			let get = |name: &str| event_number(&lapsed, name);
			ctx.report(
				serde_json::json!({
					"account": ss58(&who), "tokens": get("tokens").to_string(),
					"backing": get("backing").to_string(),
				}),
				format!(
					"{} lapsed API tokens of {} removed; their {} units went to charity and \
					 operations",
					get("tokens"),
					ss58(&who),
					get("backing")
				),
			);
			Ok(())
		}
		TokensCommand::ClaimOwed { who } => {
			let (keypair, _) = ctx.signer().await?;
			let who = match who {
				Some(who) => account(who)?,
				None => account_of(&keypair),
			};
			let call = dynamic::transaction("MicroTokens", "claim_owed", (who,));
			let events = submit_progress(&api, "claim_owed", call, &keypair).await?;
			let paid = event_number(&event_field(&events, "MicroTokens", "OwedPaid"), "amount");
			ctx.report(
				serde_json::json!({ "account": ss58(&who), "paid": paid.to_string() }),
				format!("{paid} units the pot owed paid to {}", ss58(&who)),
			);
			Ok(())
		}
	}
}
