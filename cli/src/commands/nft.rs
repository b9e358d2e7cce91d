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
	account, account_of, connect, event_field, event_number, micro_text, micro_units, print_json,
	refused, service_id, ss58, submit_progress, Context, Outcome,
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
	/// Offer SERVICE (its NFT and revenue) for PRICE MICRO, to anyone or only to --buyer;
	/// replaces an earlier offer. The sale is split like all profit: 2.5% to charity, 2.5% to
	/// operations.
	Offer {
		/// The service: name or id.
		service: String,
		/// The price in MICRO, such as 1000 or 0.5.
		price: String,
		/// The only account that may buy: an SS58 address or secret URI.
		#[arg(long)]
		buyer: Option<String>,
	},
	/// Withdraw the offer to sell SERVICE.
	WithdrawOffer {
		/// The service: name or id.
		service: String,
	},
	/// Buy SERVICE at the price it is offered for.
	Buy {
		/// The service: name or id.
		service: String,
		/// The most you pay, in MICRO: the offer's price by default.
		#[arg(long = "max-price")]
		max_price: Option<String>,
	},
	/// SERVICE's NFT: collection, item, owner and any offer to sell it.
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
		NftCommand::Offer { service, price, buyer } => {
			let (keypair, _) = ctx.signer().await?;
			let id = service_id(&api, service).await?;
			let units = micro_units(price)?;
			let buyer = buyer.as_deref().map(account).transpose()?;
			let buyer_value = match &buyer {
				Some(who) => Value::unnamed_variant("Some", [Value::from_bytes(who.0)]),
				None => Value::unnamed_variant("None", []),
			};
			let call =
				dynamic::transaction("MicroServices", "offer_service", (id, units, buyer_value));
			submit_progress(&api, "offer_service", call, &keypair).await?;
			let to = buyer.as_ref().map(ss58);
			ctx.report(
				serde_json::json!({ "service": id, "price": units.to_string(), "buyer": to }),
				format!(
					"{service} offered for {} MICRO{}",
					micro_text(units),
					to.as_ref().map(|to| format!(" to {to}")).unwrap_or_default()
				),
			);
			Ok(())
		}
		NftCommand::WithdrawOffer { service } => {
			let (keypair, _) = ctx.signer().await?;
			let id = service_id(&api, service).await?;
			let call = dynamic::transaction("MicroServices", "withdraw_offer", (id,));
			submit_progress(&api, "withdraw_offer", call, &keypair).await?;
			ctx.report(
				serde_json::json!({ "service": id, "offer": null }),
				format!("{service} is no longer for sale"),
			);
			Ok(())
		}
		NftCommand::Buy { service, max_price } => {
			let (keypair, _) = ctx.signer().await?;
			let id = service_id(&api, service).await?;
			let max_price = match max_price {
				Some(price) => micro_units(price)?,
				None => {
					let offer: Value = try_view(&api, "MicroServices", "offer", &id.encode())
						.await
						.map_err(refused)?;
					some(&offer)
						.and_then(|o| field(o, "price"))
						.and_then(number)
						.ok_or_else(|| refused(format!("{service} is not for sale")))?
				}
			};
			let call = dynamic::transaction("MicroServices", "buy_service", (id, max_price));
			let events = submit_progress(&api, "buy_service", call, &keypair).await?;
			let sold = event_field(&events, "MicroServices", "ServiceSold");
			let get = |name: &str| event_number(&sold, name);
			ctx.report(
				serde_json::json!({
					"service": id, "buyer": ss58(&account_of(&keypair)), "price": get("price").to_string(),
					"charity": get("charity").to_string(), "operations": get("operations").to_string(),
				}),
				format!(
					"{service} bought for {} MICRO: it is yours, with its revenue",
					micro_text(get("price"))
				),
			);
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
			let offer: Value =
				try_view(&api, "MicroServices", "offer", &id.encode()).await.map_err(refused)?;
			let offer = some(&offer).map(|o| {
				let price = field(o, "price").and_then(number).unwrap_or_default();
				let buyer = field(o, "buyer")
					.and_then(some)
					.map(|b| ss58(&AccountId32(bytes(b).try_into().unwrap_or([0; 32]))));
				(price, buyer)
			});
			let json = serde_json::json!({
				"service": id, "name": name, "collection": collection, "item": id, "owner": owner,
				"offer": offer.as_ref().map(|(price, buyer)| serde_json::json!({ "price": price.to_string(), "buyer": buyer })),
			});
			if ctx.json {
				print_json(&json);
			} else {
				println!(
					"{name}: NFT collection {}, item {id}, owner {}",
					collection.map_or("-".into(), |c| c.to_string()),
					owner.unwrap_or_else(|| "-".into())
				);
				if let Some((price, buyer)) = offer {
					println!(
						"for sale: {} MICRO{}",
						micro_text(price),
						buyer.map(|b| format!(" to {b} only")).unwrap_or_default()
					);
				}
			}
			Ok(())
		}
	}
}
