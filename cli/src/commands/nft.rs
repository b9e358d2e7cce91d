//! `micro nft`: a service's NFT.

use clap::Subcommand;
use micro_cli::{
	chain::try_view,
	values::{bytes, field, item, number, some, text},
};
use subxt::{
	dynamic::{self, Value},
	ext::codec::Encode,
	utils::AccountId32,
};

use super::services::register_or_publish;
use crate::context::{
	account, connect, print_json, refused, service_id, ss58, submit_progress, Context, Outcome,
};

#[derive(Subcommand)]
pub enum NftCommand {
	/// Register the service of REPO at COMMIT, minting its NFT to the signer, without placing.
	Mint {
		/// The repository.
		repo: String,
		/// The commit or tag.
		commit: String,
	},
	/// Transfer SERVICE's NFT, and the service's revenue, to TO.
	Transfer {
		/// The service: name or id.
		service: String,
		/// The new owner: an SS58 address or a secret URI such as `//Bob`.
		to: String,
	},
	/// SERVICE's NFT: collection, item and owner.
	Show {
		/// The service: name or id.
		service: String,
	},
}

pub async fn run(ctx: &Context, command: &NftCommand) -> Outcome {
	let api = connect(&ctx.url).await?;
	match command {
		NftCommand::Mint { repo, commit } => {
			let (keypair, _) = ctx.signer().await?;
			let (service, version, manifest) =
				register_or_publish(&api, &keypair, repo, commit).await?;
			println!(
				"{}: service {service} (NFT item {service}), version {version}",
				manifest.name
			);
			Ok(())
		}
		NftCommand::Transfer { service, to } => {
			let (keypair, _) = ctx.signer().await?;
			let id = service_id(&api, service).await?;
			let to = account(to)?;
			let call = dynamic::transaction(
				"MicroServices",
				"transfer_service",
				(id, Value::from_bytes(to.0)),
			);
			submit_progress(&api, "transfer_service", call, &keypair).await?;
			println!("service {id}'s NFT now belongs to {}", ss58(&to));
			Ok(())
		}
		NftCommand::Show { service } => {
			let id = service_id(&api, service).await?;
			let found: Value =
				try_view(&api, "MicroServices", "service", &id.encode()).await.map_err(refused)?;
			let pair = some(&found).ok_or_else(|| refused(format!("no service {id}")))?;
			let owner = item(pair, 1)
				.and_then(some)
				.map(|o| ss58(&AccountId32(bytes(o).try_into().unwrap_or([0; 32]))));
			let name = item(pair, 0).and_then(|i| field(i, "name")).map(text).unwrap_or_default();
			let collection: Value =
				try_view(&api, "MicroServices", "collection", &[]).await.map_err(refused)?;
			let collection = some(&collection).and_then(number);
			let json = serde_json::json!({ "service": id, "name": name, "collection": collection, "item": id, "owner": owner });
			if ctx.json {
				print_json(&json);
			} else {
				println!(
					"{name}: NFT collection {}, item {id}, owner {}",
					collection.map_or("-".into(), |c| c.to_string()),
					owner.unwrap_or_else(|| "-".into())
				);
			}
			Ok(())
		}
	}
}
