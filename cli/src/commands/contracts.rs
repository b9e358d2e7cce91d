//! `micro contracts`: contracts between parties, recorded on the chain with their result.

use clap::{Subcommand, ValueEnum};
use micro_cli::{
	chain::try_view,
	table,
	values::{bytes, field, item, items, number, some, variant},
};
use subxt::{
	dynamic::{self, Value},
	ext::codec::Encode,
	utils::AccountId32,
};

use crate::context::{
	account, account_of, best_block, connect, event_field, event_number, print_json, refused,
	service_id, ss58, submit_progress, Context, Failure, Outcome,
};

#[derive(Subcommand)]
pub enum ContractsCommand {
	/// Propose a contract between you and each --party on TERMS, which every party must
	/// approve within --blocks. Each party holds a deposit until a day after it ends.
	Propose {
		/// The terms agreed off-chain: a file, whose BLAKE2-256 hash is recorded, or the hash
		/// itself (0x and 64 hex digits).
		terms: String,
		/// Another party: an SS58 address or secret URI; repeatable.
		#[arg(long = "party", required = true)]
		parties: Vec<String>,
		/// The service the contract is about: name or id.
		#[arg(long)]
		service: Option<String>,
		/// Blocks from now every party has to approve.
		#[arg(long, default_value_t = 600)]
		blocks: u32,
	},
	/// Approve contract ID, holding your deposit; with the last approval it is active.
	Approve {
		/// The contract.
		id: u64,
	},
	/// Reject contract ID before it is active.
	Reject {
		/// The contract.
		id: u64,
	},
	/// Mark contract ID lapsed: its deadline passed before every party approved. Anyone may.
	Lapse {
		/// The contract.
		id: u64,
	},
	/// Declare the result of active contract ID; it is recorded, for good, once every party
	/// it needs declared the same (all for fulfilled and cancelled, all but the accused for
	/// breached).
	Declare {
		/// The contract.
		id: u64,
		/// The result.
		#[arg(value_enum)]
		outcome: Declared,
		/// The party that broke the terms, for breached: an SS58 address or secret URI.
		#[arg(long, required_if_eq("outcome", "breached"))]
		by: Option<String>,
	},
	/// Contest the breach declared against you on contract ID, within its dispute window.
	Contest {
		/// The contract.
		id: u64,
	},
	/// Record the breach of contract ID nobody contested once its dispute window closed.
	/// Anyone may.
	Confirm {
		/// The contract.
		id: u64,
	},
	/// Give the parties of ended contract ID their deposits back, once the dispute window
	/// after its end has passed. Anyone may.
	Release {
		/// The contract.
		id: u64,
	},
	/// End active contract ID whose result was not agreed in time: it concludes expired,
	/// recording nothing against anyone.
	Expire {
		/// The contract.
		id: u64,
	},
	/// Contract ID: its parties, approvals, status, a pending breach, and its history,
	/// checked link by link.
	Show {
		/// The contract.
		id: u64,
	},
	/// The recorded results, in the order of the chain that links them.
	Results {
		/// The first result's index.
		#[arg(long, default_value_t = 0)]
		from: u64,
		/// Most results shown.
		#[arg(long, default_value_t = 100)]
		max: u32,
	},
}

/// A result a party declares.
#[derive(Clone, Copy, PartialEq, ValueEnum)]
pub enum Declared {
	Fulfilled,
	Cancelled,
	Breached,
}

/// The terms' hash: `0x` and 64 hex digits as given, or a file's BLAKE2-256 hash.
pub fn terms_hash(terms: &str) -> Result<[u8; 32], Failure> {
	if let Some(hex) = terms.strip_prefix("0x").filter(|h| h.len() == 64) {
		if let Some(hash) = mucp_offchain::hex::decode(hex).and_then(|b| b.try_into().ok()) {
			return Ok(hash);
		}
	}
	let content = std::fs::read(terms).map_err(|e| {
		Failure::BadInput(format!("the terms: {terms} is neither a readable file nor a hash: {e}"))
	})?;
	Ok(sp_crypto_hashing::blake2_256(&content))
}

fn address(value: Option<&Value>) -> String {
	value.map(|v| ss58(&AccountId32(bytes(v).try_into().unwrap_or([0; 32])))).unwrap_or_default()
}

/// An outcome or history event as text: its variant, and the party it names if any.
fn named(value: Option<&Value>) -> String {
	let Some(value) = value else { return "-".into() };
	let name = variant(value).unwrap_or("?");
	match item(value, 0) {
		Some(inner) if bytes(inner).len() == 32 => format!("{name} {}", address(Some(inner))),
		Some(inner) => match number(inner) {
			Some(n) => format!("{name} {n}"),
			None => name.to_owned(),
		},
		None => name.to_owned(),
	}
}

pub async fn run(ctx: &Context, command: &ContractsCommand) -> Outcome {
	let api = connect(&ctx.url).await?;
	let simple = |call: &'static str, id: u64| {
		(call, dynamic::transaction("MicroContracts", call, vec![Value::u128(id.into())]))
	};
	let (name, call, id) = match command {
		ContractsCommand::Propose { terms, parties, service, blocks } => {
			let terms = terms_hash(terms)?;
			let (keypair, _) = ctx.signer().await?;
			let me = account_of(&keypair);
			let mut all = vec![me];
			for party in parties {
				let party = account(party)?;
				if !all.contains(&party) {
					all.push(party);
				}
			}
			let service = match service {
				Some(service) => Some(service_id(&api, service).await?),
				None => None,
			};
			let deadline = best_block(&api).await?.saturating_add(*blocks);
			let service_value = match service {
				Some(id) => Value::unnamed_variant("Some", [Value::u128(id.into())]),
				None => Value::unnamed_variant("None", []),
			};
			let call = dynamic::transaction(
				"MicroContracts",
				"propose",
				(
					Value::unnamed_composite(all.iter().map(|a| Value::from_bytes(a.0))),
					terms,
					service_value,
					deadline,
				),
			);
			let events = submit_progress(&api, "propose", call, &keypair).await?;
			let id = event_number(&event_field(&events, "MicroContracts", "Proposed"), "contract");
			let names: Vec<String> = all.iter().map(ss58).collect();
			ctx.report(
				serde_json::json!({
					"contract": id as u64, "parties": names, "terms": mucp_offchain::hex::prefixed(&terms),
					"service": service, "deadline": deadline,
				}),
				format!(
					"contract {id} proposed between {}: each must approve by block {deadline}",
					names.join(", ")
				),
			);
			return Ok(());
		}
		ContractsCommand::Show { id } => return show(ctx, &api, *id).await,
		ContractsCommand::Results { from, max } => {
			let list: Value = try_view(&api, "MicroContracts", "results", &(*from, *max).encode())
				.await
				.map_err(refused)?;
			let verified: Value =
				try_view(&api, "MicroContracts", "verify_results", &(*from, *max).encode())
					.await
					.map_err(refused)?;
			let verified = variant(&verified) == Some("Ok");
			let rows: Vec<Vec<String>> = items(&list)
				.into_iter()
				.map(|r| {
					let get = |name: &str| {
						field(r, name).and_then(number).map(|n| n.to_string()).unwrap_or_default()
					};
					vec![
						get("index"),
						get("contract"),
						named(field(r, "outcome")),
						get("recorded_at"),
					]
				})
				.collect();
			if ctx.json {
				print_json(&serde_json::json!({
					"verified": verified,
					"results": rows.iter().map(|r| serde_json::json!({ "index": r[0], "contract": r[1], "outcome": r[2], "recordedAt": r[3] })).collect::<Vec<_>>(),
				}));
			} else {
				println!(
					"{}",
					table::render(&["INDEX", "CONTRACT", "OUTCOME", "RECORDED AT"], &rows)
				);
				println!(
					"{}",
					if verified {
						"the chain of results links up"
					} else {
						"THE CHAIN OF RESULTS DOES NOT LINK UP"
					}
				);
			}
			return Ok(());
		}
		ContractsCommand::Declare { id, outcome, by } => {
			let outcome = match (outcome, by) {
				(Declared::Fulfilled, _) => Value::unnamed_variant("Fulfilled", []),
				(Declared::Cancelled, _) => Value::unnamed_variant("Cancelled", []),
				(Declared::Breached, Some(by)) => {
					Value::unnamed_variant("Breached", [Value::from_bytes(account(by)?.0)])
				}
				(Declared::Breached, None) => {
					return Err(Failure::BadInput("a breach names its party: --by".into()))
				}
			};
			(
				"declare_result",
				dynamic::transaction(
					"MicroContracts",
					"declare_result",
					vec![Value::u128((*id).into()), outcome],
				),
				*id,
			)
		}
		ContractsCommand::Approve { id } => {
			let (n, c) = simple("approve", *id);
			(n, c, *id)
		}
		ContractsCommand::Reject { id } => {
			let (n, c) = simple("reject", *id);
			(n, c, *id)
		}
		ContractsCommand::Lapse { id } => {
			let (n, c) = simple("lapse", *id);
			(n, c, *id)
		}
		ContractsCommand::Contest { id } => {
			let (n, c) = simple("contest_breach", *id);
			(n, c, *id)
		}
		ContractsCommand::Confirm { id } => {
			let (n, c) = simple("confirm_breach", *id);
			(n, c, *id)
		}
		ContractsCommand::Release { id } => {
			let (n, c) = simple("release_deposit", *id);
			(n, c, *id)
		}
		ContractsCommand::Expire { id } => {
			let (n, c) = simple("expire", *id);
			(n, c, *id)
		}
	};
	let (keypair, _) = ctx.signer().await?;
	let events = submit_progress(&api, name, call, &keypair).await?;
	let happened: Vec<String> = events
		.iter()
		.filter_map(Result::ok)
		.filter(|e| e.pallet_name() == "MicroContracts")
		.map(|e| e.event_name().to_owned())
		.collect();
	let status = contract_status(&api, id).await?;
	ctx.report(
		serde_json::json!({ "contract": id, "events": happened, "status": status }),
		format!("contract {id}: {} (now {status})", happened.join(", ")),
	);
	Ok(())
}

async fn contract_status(api: &micro_cli::chain::Client, id: u64) -> Result<String, Failure> {
	let found: Value =
		try_view(api, "MicroContracts", "contract", &id.encode()).await.map_err(refused)?;
	Ok(some(&found)
		.and_then(|c| field(c, "status"))
		.and_then(variant)
		.unwrap_or("unknown")
		.to_owned())
}

async fn show(ctx: &Context, api: &micro_cli::chain::Client, id: u64) -> Outcome {
	let found: Value =
		try_view(api, "MicroContracts", "contract", &id.encode()).await.map_err(refused)?;
	let contract = some(&found).ok_or_else(|| refused(format!("no contract {id}")))?;
	let parties: Vec<String> = field(contract, "parties")
		.map(|p| items(p).into_iter().map(|a| address(Some(a))).collect())
		.unwrap_or_default();
	let approvals: Vec<bool> = field(contract, "approvals")
		.map(|a| {
			items(a)
				.into_iter()
				.map(|v| {
					matches!(
						v.value,
						subxt::ext::scale_value::ValueDef::Primitive(
							subxt::ext::scale_value::Primitive::Bool(true)
						)
					)
				})
				.collect()
		})
		.unwrap_or_default();
	let status = field(contract, "status").and_then(variant).unwrap_or("?").to_owned();
	let terms = field(contract, "terms")
		.map(|t| mucp_offchain::hex::prefixed(&bytes(t)))
		.unwrap_or_default();
	let service = field(contract, "service").and_then(some).and_then(number);
	let deadline = field(contract, "deadline").and_then(number).unwrap_or_default();
	let breach: Value =
		try_view(api, "MicroContracts", "pending_breach", &id.encode()).await.map_err(refused)?;
	let breach = some(&breach).map(|b| {
		(address(field(b, "breacher")), field(b, "ends").and_then(number).unwrap_or_default())
	});
	let history: Value =
		try_view(api, "MicroContracts", "history", &id.encode()).await.map_err(refused)?;
	let history: Vec<(u128, String)> = items(&history)
		.into_iter()
		.map(|e| (field(e, "at").and_then(number).unwrap_or_default(), named(field(e, "event"))))
		.collect();
	let verified: bool =
		try_view(api, "MicroContracts", "verify_history", &id.encode()).await.map_err(refused)?;
	if ctx.json {
		print_json(&serde_json::json!({
			"contract": id, "status": status, "terms": terms, "service": service, "deadline": deadline,
			"parties": parties.iter().zip(&approvals).map(|(p, a)| serde_json::json!({ "party": p, "approved": a })).collect::<Vec<_>>(),
			"pendingBreach": breach.as_ref().map(|(by, ends)| serde_json::json!({ "breacher": by, "ends": ends })),
			"history": history.iter().map(|(at, what)| serde_json::json!({ "at": at, "event": what })).collect::<Vec<_>>(),
			"historyVerified": verified,
		}));
		return Ok(());
	}
	println!(
		"contract {id}: {status}; terms {terms}{}; approvals by block {deadline}",
		service.map(|s| format!(", about service {s}")).unwrap_or_default()
	);
	let rows: Vec<Vec<String>> = parties
		.iter()
		.zip(&approvals)
		.map(|(p, a)| vec![p.clone(), if *a { "yes".into() } else { "no".into() }])
		.collect();
	println!("{}", table::render(&["PARTY", "APPROVED"], &rows));
	if let Some((by, ends)) = breach {
		println!("breach by {by} pending: it may contest it until block {ends}");
	}
	let rows: Vec<Vec<String>> =
		history.iter().map(|(at, what)| vec![at.to_string(), what.clone()]).collect();
	println!("{}", table::render(&["BLOCK", "HISTORY"], &rows));
	println!("{}", if verified { "its history links up" } else { "ITS HISTORY DOES NOT LINK UP" });
	Ok(())
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn terms_are_a_hash_or_a_file_hashed() {
		let hash = format!("0x{}", "ab".repeat(32));
		assert_eq!(terms_hash(&hash).ok(), Some([0xab; 32]));
		let file = tempfile::NamedTempFile::new().unwrap();
		std::fs::write(file.path(), b"terms").unwrap();
		let path = file.path().to_str().unwrap();
		assert_eq!(terms_hash(path).ok(), Some(sp_crypto_hashing::blake2_256(b"terms")));
		assert!(terms_hash("/nonexistent/terms").is_err());
	}
}
