//! `micro validator`: session keys, standing as a candidate, leaving, and the set as it is.
//!
//! The network adds a candidate by a governance proposal
//! (`micro governance propose Validators.add_validator '(ADDRESS)'`); these commands are what
//! the candidate itself does.

use clap::Subcommand;
use micro_cli::{
	chain::{try_view, Client},
	values::{bytes, field, items, number, some},
};
use subxt::{
	dynamic::{self, Value},
	ext::{codec::Encode, scale_value},
	utils::AccountId32,
};

use crate::context::{
	account_of, connect, event_field, event_number, is_loopback, micro_text, refused, rpc, ss58,
	submit_progress, Context, Failure, Outcome,
};

#[derive(Subcommand)]
pub enum ValidatorCommand {
	/// Make new session keys (Aura, GRANDPA) in the keystore of the node at --url and set them
	/// on-chain for your account, holding 1 MICRO. The node must be yours: the keys are made by
	/// `author_rotateKeysWithOwner`, which it serves only on loopback. Run it again to rotate
	/// them; new keys sign from the session after next, so keep the node running until then.
	Keys {
		/// Let --url name a node beyond this machine. Whoever runs that node (or sits between
		/// you and it on plain `ws://`) could answer with keys of its own, which your account
		/// would then answer for.
		#[arg(long)]
		remote_node: bool,
	},
	/// Stand as a validator candidate with NODE, a node you operate, holding the rules' bond.
	/// The node must be online and as old and reputable as the rules say, and your session
	/// keys set. The network then votes you in with `Validators.add_validator`.
	Apply {
		/// The node's id.
		node: u32,
	},
	/// Leave the validator set (at the session after next); the bond comes back after the
	/// bonding period (`micro validator reclaim`).
	Leave,
	/// Stop standing as a candidate (one that is not a validator); the bond comes back after
	/// the bonding period.
	Withdraw,
	/// Take back your bond once its bonding period is over.
	Reclaim,
	/// The validator set, the rules, the session, and your standing.
	Status,
}

/// Runs `Validators.<call>(args)` signed by the context's account; returns the events.
async fn validators_call(
	ctx: &Context,
	api: &Client,
	call: &str,
	args: Vec<Value>,
) -> Result<(crate::context::Events, AccountId32), Failure> {
	let (keypair, _) = ctx.signer().await?;
	let events =
		submit_progress(api, call, dynamic::transaction("Validators", call, args), &keypair)
			.await?;
	Ok((events, account_of(&keypair)))
}

/// `0x`-prefixed hex of a JSON-RPC bytes answer, as bytes.
fn hex_bytes(value: &serde_json::Value, what: &str) -> Result<Vec<u8>, Failure> {
	value
		.as_str()
		.and_then(|text| mucp_offchain::hex::decode(text.trim_start_matches("0x")))
		.ok_or_else(|| refused(format!("the node answered no {what}: {value}")))
}

/// The node's encoded session keys as the value of `Session.set_keys`'s `keys`, decoded with
/// the chain's own type for them (whatever keys its runtime has).
async fn session_keys_value(api: &Client, keys: &[u8]) -> Result<Value, Failure> {
	let at = api.at_current_block().await.map_err(refused)?;
	let metadata = at.metadata();
	let ty = metadata
		.pallet_by_name("Session")
		.and_then(|pallet| pallet.call_variant_by_name("set_keys"))
		.and_then(|call| call.fields.first())
		.map(|field| field.ty.id)
		.ok_or_else(|| refused("the chain has no Session.set_keys"))?;
	let mut input = keys;
	let value = scale_value::scale::decode_as_type(&mut input, ty, metadata.types())
		.map_err(|e| refused(format!("the node's session keys do not fit the chain's: {e}")))?;
	if !input.is_empty() {
		return Err(refused("the node's session keys are longer than the chain's"));
	}
	Ok(value.remove_context())
}

pub async fn run(ctx: &Context, command: &ValidatorCommand) -> Outcome {
	let api = connect(&ctx.url).await?;
	match command {
		ValidatorCommand::Keys { remote_node } => {
			if !remote_node && !is_loopback(&ctx.url) {
				return Err(Failure::BadInput(format!(
					"{} is not on this machine: make keys on your validator's own node \
					 (ws://127.0.0.1:9944 there), or pass --remote-node if you run that node \
					 and trust the way to it",
					ctx.url
				)));
			}
			let (keypair, _) = ctx.signer().await?;
			let account = account_of(&keypair);
			let owner = format!("0x{}", mucp_offchain::hex::encode(&account.encode()));
			let generated = rpc(&ctx.url, "author_rotateKeysWithOwner", vec![owner.into()])
				.await
				.map_err(|e| {
				refused(format!(
					"{} (the node must be yours and reached on loopback, where it serves \
						 unsafe methods)",
					e.message()
				))
			})?;
			let keys = hex_bytes(&generated["keys"], "keys")?;
			let proof = hex_bytes(&generated["proof"], "proof of ownership")?;
			let set_keys = dynamic::transaction(
				"Session",
				"set_keys",
				(session_keys_value(&api, &keys).await?, Value::from_bytes(&proof)),
			);
			submit_progress(&api, "set_keys", set_keys, &keypair).await?;
			let keys_hex = format!("0x{}", mucp_offchain::hex::encode(&keys));
			ctx.report(
				serde_json::json!({ "account": ss58(&account), "keys": keys_hex }),
				format!(
					"session keys of {} set: {keys_hex}\nthey sign from the session after next",
					ss58(&account)
				),
			);
			Ok(())
		}
		ValidatorCommand::Apply { node } => {
			let (events, account) =
				validators_call(ctx, &api, "apply", vec![Value::u128((*node).into())]).await?;
			let bond = event_number(&event_field(&events, "Validators", "Applied"), "bond");
			ctx.report(
				serde_json::json!({ "account": ss58(&account), "node": node, "bond": bond.to_string() }),
				format!(
					"{} stands as a validator candidate with node {node}, holding {} MICRO;\n\
					 the network votes it in with: micro governance propose \
					 Validators.add_validator '({})'",
					ss58(&account),
					micro_text(bond),
					ss58(&account)
				),
			);
			Ok(())
		}
		ValidatorCommand::Leave | ValidatorCommand::Withdraw => {
			let (call, event) = match command {
				ValidatorCommand::Leave => ("leave", "Removed"),
				_ => ("withdraw_candidacy", "CandidacyWithdrawn"),
			};
			let (events, account) = validators_call(ctx, &api, call, vec![]).await?;
			let until = event_number(&event_field(&events, "Validators", event), "until");
			ctx.report(
				serde_json::json!({ "account": ss58(&account), "reclaimable_at": until }),
				format!(
					"{} no longer stands{}; its bond can be reclaimed from block {until}",
					ss58(&account),
					if call == "leave" {
						" (it validates until the session after next)"
					} else {
						""
					}
				),
			);
			Ok(())
		}
		ValidatorCommand::Reclaim => {
			let (events, account) = validators_call(ctx, &api, "withdraw_unbonded", vec![]).await?;
			let amount = event_number(&event_field(&events, "Validators", "Withdrawn"), "amount");
			ctx.report(
				serde_json::json!({ "account": ss58(&account), "amount": amount.to_string() }),
				format!("{} took back {} MICRO", ss58(&account), micro_text(amount)),
			);
			Ok(())
		}
		ValidatorCommand::Status => status(ctx, &api).await,
	}
}

async fn status(ctx: &Context, api: &Client) -> Outcome {
	let view = |function: &'static str, args: Vec<u8>| async move {
		try_view::<Value>(api, "Validators", function, &args).await.map_err(refused)
	};
	let set: Vec<String> = items(&view("validators", vec![]).await?)
		.iter()
		.map(|v| ss58(&AccountId32(bytes(v).try_into().unwrap_or([0; 32]))))
		.collect();
	let rules = view("rules", vec![]).await?;
	let rule = |name: &str| some(&rules).and_then(|r| field(r, name)).and_then(number);
	let at = api.at_current_block().await.map_err(refused)?;
	let session: u32 = at
		.storage()
		.try_fetch(dynamic::storage::<(), u32>("Session", "CurrentIndex"), ())
		.await
		.map_err(refused)?
		.map(|v| v.decode())
		.transpose()
		.map_err(refused)?
		.unwrap_or_default();
	// Your standing, when a signer is at hand (--seed, or //Alice on a development chain).
	let mine = match ctx.signer().await {
		Ok((keypair, _)) => {
			let account = account_of(&keypair);
			let candidate = view("candidate", account.encode()).await?;
			let unbonding = view("unbonding", account.encode()).await?;
			let bond = some(&candidate).and_then(|c| field(c, "bond")).and_then(number);
			let back = some(&unbonding).map(|u| {
				(
					field(u, "amount").and_then(number).unwrap_or_default(),
					field(u, "until").and_then(number).unwrap_or_default(),
				)
			});
			Some((ss58(&account), bond, back))
		}
		Err(_) => None,
	};
	let json_rules = serde_json::json!({
		"bond": rule("bond").map(|b| b.to_string()),
		"min_score": rule("min_score"),
		"min_node_age": rule("min_node_age"),
		"min_validators": rule("min_validators"),
		"session_length": rule("session_length"),
	});
	let mut text = format!(
		"session {session}; {} validators (at least {}):\n",
		set.len(),
		rule("min_validators").unwrap_or_default()
	);
	for validator in &set {
		text.push_str(&format!("  {validator}\n"));
	}
	text.push_str(&format!(
		"a candidate bonds {} MICRO with a node at least {} blocks old and a score of {}; \
		 sessions last {} blocks",
		micro_text(rule("bond").unwrap_or_default()),
		rule("min_node_age").unwrap_or_default(),
		rule("min_score").unwrap_or_default(),
		rule("session_length").unwrap_or_default(),
	));
	let mut json =
		serde_json::json!({ "session": session, "validators": set, "rules": json_rules });
	if let Some((account, bond, back)) = &mine {
		let standing = match (set.contains(account), bond) {
			(true, _) => "a validator".to_owned(),
			(false, Some(_)) => "a candidate".to_owned(),
			(false, None) => "not standing".to_owned(),
		};
		text.push_str(&format!("\n{account} is {standing}"));
		if let Some(bond) = bond {
			text.push_str(&format!(", bonding {} MICRO", micro_text(*bond)));
		}
		if let Some((amount, until)) = back {
			text.push_str(&format!(
				"; {} MICRO comes back from block {until} (micro validator reclaim)",
				micro_text(*amount)
			));
		}
		json["you"] = serde_json::json!({
			"account": account,
			"standing": standing,
			"bond": bond.map(|b| b.to_string()),
			"unbonding": back.map(|(amount, until)| serde_json::json!({ "amount": amount.to_string(), "until": until })),
		});
	}
	ctx.report(json, text);
	Ok(())
}
