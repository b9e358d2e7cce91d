//! `micro governance`: proposals, voted by the nodes and services of the network.

use clap::{Subcommand, ValueEnum};
use micro_cli::{
	chain::{try_view, Client},
	table,
	values::{bytes, field, item, items, number, some, variant},
};
use subxt::{
	dynamic::{self, Value},
	ext::{codec::Encode, scale_value},
	utils::AccountId32,
};

use crate::context::{
	connect, event_field, event_number, print_json, refused, ss58, submit_progress, Context,
	Failure, Outcome,
};

#[derive(Subcommand)]
pub enum GovernanceCommand {
	/// Propose CALL, a call of a pallet such as `MicroNodes.set_heartbeat_ttl`, with ARGS;
	/// the chain enacts it by itself if the vote passes. Needs a voice: a node you operate or
	/// a service you created and hold.
	Propose {
		/// The call: `Pallet.call`.
		call: String,
		/// Its arguments, as `{ name: value, ... }` or `(value, ...)`: numbers, true, "text",
		/// `0x` hex bytes, SS58 addresses, sequences `(..)`, variants `Variant(..)` or
		/// `Variant()`, nested as the call's types are.
		#[arg(default_value = "()")]
		args: String,
		/// The track: standard (parameters and spends) or root (runtime upgrades and anything
		/// else only root may do; a larger quorum and approval).
		#[arg(long, value_enum, default_value_t = Track::Standard)]
		track: Track,
	},
	/// Vote on proposal INDEX, aye or nay, with your voices (each node you operate and service
	/// you created and hold, registered before it was made).
	Vote {
		/// The proposal.
		index: u32,
		/// aye or nay.
		#[arg(value_enum)]
		vote: Aye,
		/// Vote with this node only (repeatable, with --service); every voice if none.
		#[arg(long = "node")]
		nodes: Vec<u32>,
		/// Vote with this service (name or id) only; repeatable.
		#[arg(long = "service")]
		services: Vec<String>,
	},
	/// Every proposal: what it calls, how it stands, its tally.
	List,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum Track {
	Standard,
	Root,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum Aye {
	Aye,
	Nay,
}

/// The value of `Pallet.call` with `args` (scale-value text), as the runtime's call enum holds
/// it.
pub fn call_value(call: &str, args: &str) -> Result<Value, Failure> {
	let (pallet, name) = call
		.split_once('.')
		.filter(|(p, c)| !p.is_empty() && !c.is_empty())
		.ok_or_else(|| Failure::BadInput(format!("`{call}` is not Pallet.call")))?;
	let (parsed, rest) = scale_value::stringify::from_str_custom()
		.add_custom_parser(scale_value::stringify::custom_parsers::parse_hex)
		.add_custom_parser(scale_value::stringify::custom_parsers::parse_ss58)
		.parse(args);
	let parsed = parsed.map_err(|e| Failure::BadInput(format!("the arguments: {e}")))?;
	if !rest.trim().is_empty() {
		return Err(Failure::BadInput(format!("the arguments: `{rest}` is left over")));
	}
	let fields = match parsed.value {
		scale_value::ValueDef::Composite(fields) => fields,
		_ => {
			return Err(Failure::BadInput(
				"the arguments are `{ name: value, ... }` or `(value, ...)`".into(),
			))
		}
	};
	Ok(Value::unnamed_variant(pallet, [Value::variant(name, fields)]))
}

async fn proposal_count(api: &Client) -> Result<u32, Failure> {
	let at = api.at_current_block().await.map_err(refused)?;
	let address = dynamic::storage::<(), u32>("Governance", "ProposalCount");
	let value = at.storage().try_fetch(address, ()).await.map_err(refused)?;
	match value {
		Some(value) => value.decode().map_err(refused),
		None => Ok(0),
	}
}

/// A proposal's call as text, if it is kept inline.
async fn call_text(api: &Client, call: Option<&Value>) -> String {
	let Some(call) = call else { return "-".into() };
	if variant(call) != Some("Inline") {
		return format!("{} (a preimage)", variant(call).unwrap_or("?"));
	}
	let Some(encoded) = item(call, 0).map(bytes) else { return "?".into() };
	let Ok(at) = api.at_current_block().await else { return "?".into() };
	let metadata = at.metadata();
	let call_ty = metadata.outer_enums().call_enum_ty();
	match scale_value::scale::decode_as_type(&mut &encoded[..], call_ty, metadata.types()) {
		Ok(value) => value.remove_context().to_string(),
		Err(_) => mucp_offchain::hex::prefixed(&encoded),
	}
}

pub async fn run(ctx: &Context, command: &GovernanceCommand) -> Outcome {
	let api = connect(&ctx.url).await?;
	match command {
		GovernanceCommand::Propose { call, args, track } => {
			let value = call_value(call, args)?;
			let (keypair, _) = ctx.signer().await?;
			let track = match track {
				Track::Standard => "Standard",
				Track::Root => "Root",
			};
			let propose = dynamic::transaction(
				"Governance",
				"propose",
				(Value::unnamed_variant(track, []), value),
			);
			let events = submit_progress(&api, "propose", propose, &keypair).await?;
			let proposed = event_field(&events, "Governance", "Proposed");
			let index = event_number(&proposed, "index");
			let ends = event_number(&proposed, "ends");
			ctx.report(
				serde_json::json!({ "index": index, "track": track, "ends": ends }),
				format!("proposal {index} on the {track} track: voting ends at block {ends}"),
			);
			Ok(())
		}
		GovernanceCommand::Vote { index, vote, nodes, services } => {
			let (keypair, _) = ctx.signer().await?;
			let mut subjects: Vec<Value> = nodes
				.iter()
				.map(|n| Value::unnamed_variant("Node", [Value::u128((*n).into())]))
				.collect();
			for service in services {
				let id = crate::context::service_id(&api, service).await?;
				subjects.push(Value::unnamed_variant("Service", [Value::u128(id.into())]));
			}
			let aye = matches!(vote, Aye::Aye);
			let call = dynamic::transaction(
				"Governance",
				"vote",
				(*index, aye, Value::unnamed_composite(subjects)),
			);
			let events = submit_progress(&api, "vote", call, &keypair).await?;
			let voted = event_field(&events, "Governance", "Voted");
			let (weight, voices) = (event_number(&voted, "weight"), event_number(&voted, "voices"));
			let side = if aye { "aye" } else { "nay" };
			ctx.report(
				serde_json::json!({ "index": index, "aye": aye, "weight": weight, "voices": voices }),
				format!("voted {side} on proposal {index} with {voices} voices weighing {weight}"),
			);
			Ok(())
		}
		GovernanceCommand::List => {
			let count = proposal_count(&api).await?;
			let mut rows = Vec::new();
			let mut json = Vec::new();
			for index in 0..count {
				let found: Value = try_view(&api, "Governance", "proposal", &index.encode())
					.await
					.map_err(refused)?;
				let Some(proposal) = some(&found) else { continue };
				let get = |name: &str| field(proposal, name);
				let track = get("track").and_then(variant).unwrap_or("?").to_owned();
				let status = get("status");
				let state = status.and_then(variant).unwrap_or("?").to_owned();
				let at = status.and_then(|s| items(s).first().and_then(|v| number(v)));
				let tally = |name: &str| {
					get("tally").and_then(|t| field(t, name)).and_then(number).unwrap_or_default()
				};
				let proposer = get("proposer")
					.map(|p| ss58(&AccountId32(bytes(p).try_into().unwrap_or([0; 32]))))
					.unwrap_or_default();
				let electorate = get("electorate").and_then(number).unwrap_or_default();
				let call = call_text(&api, get("call")).await;
				let when = match (state.as_str(), at) {
					("Voting", Some(ends)) => format!("ends at {ends}"),
					("Passed", Some(enact)) => format!("enacted at {enact}"),
					_ => "-".into(),
				};
				rows.push(vec![
					index.to_string(),
					track.clone(),
					state.clone(),
					when,
					format!("{}/{}", tally("ayes"), tally("nays")),
					format!("{}/{electorate}", tally("voices")),
					call.clone(),
				]);
				json.push(serde_json::json!({
					"index": index, "track": track, "status": state, "at": at, "proposer": proposer,
					"call": call, "ayes": tally("ayes"), "nays": tally("nays"),
					"voters": tally("voters"), "voices": tally("voices"), "electorate": electorate,
				}));
			}
			if ctx.json {
				print_json(&serde_json::Value::Array(json));
			} else {
				println!(
					"{}",
					table::render(
						&["INDEX", "TRACK", "STATUS", "WHEN", "AYES/NAYS", "VOICES", "CALL"],
						&rows
					)
				);
			}
			Ok(())
		}
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn a_call_is_read_from_its_name_and_arguments() {
		let value = call_value("MicroNodes.set_heartbeat_ttl", "{ ttl: 1234 }").ok().unwrap();
		assert_eq!(value.to_string(), "MicroNodes (set_heartbeat_ttl { ttl: 1234 })");
		let value = call_value(
			"Governance.spend",
			"(Charity(), ((5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty, 10)))",
		)
		.ok()
		.unwrap();
		assert!(value.to_string().starts_with("Governance (spend (Charity"), "{value}");
		for bad in ["set_heartbeat_ttl", ".x", "MicroNodes."] {
			assert!(call_value(bad, "()").is_err(), "{bad}");
		}
		assert!(call_value("MicroNodes.set_heartbeat_ttl", "{ ttl: ").is_err());
		assert!(call_value("MicroNodes.set_heartbeat_ttl", "5").is_err());
	}
}
