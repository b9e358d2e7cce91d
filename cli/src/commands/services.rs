//! `micro services`: deploying, placing and listing services.

use std::time::Instant;

use clap::Subcommand;
use micro_cli::{
	chain::{try_view, Client},
	manifest::{repository_url, resolve_commit, Manifest},
	table,
	values::{bytes, field, item, items, number, some, text, variant},
};
use mucp_offchain::executor::source::Builder;
use subxt::{
	dynamic::{self, Value},
	ext::codec::Encode,
	utils::AccountId32,
};
use subxt_signer::sr25519::Keypair;

use crate::context::{
	connect, event_field, event_number, print_json, progress, refused, service_id, ss58,
	submit_progress, Context, Failure, Outcome,
};

#[derive(Subcommand)]
pub enum ServicesCommand {
	/// Build REPO at COMMIT, register the service (minting its NFT) or publish a new version,
	/// and place it on nodes the signer operates.
	Deploy {
		/// The repository: a URL, or a local directory.
		repo: String,
		/// The commit: a hash, or a tag, branch or `HEAD`, which is resolved to its hash (nodes
		/// build exactly that commit).
		commit: String,
		/// Nodes to place the version on (the signer must operate them); repeatable.
		#[arg(long = "place")]
		place: Vec<u32>,
	},
	/// Place VERSION of SERVICE on a node the signer operates, beside the versions it runs.
	Place {
		/// The service: name or id.
		service: String,
		/// The version.
		version: u32,
		/// The node.
		#[arg(long)]
		node: u32,
	},
	/// Set SERVICE's price per call, in API tokens: a cut applies at once, a rise after the
	/// chain's notice (allowances signed at the old price keep it until then).
	Price {
		/// The service: name or id.
		service: String,
		/// The new price per call.
		price: u128,
	},
	/// Retire VERSION of SERVICE: it is no longer called.
	Retire {
		/// The service: name or id.
		service: String,
		/// The version.
		version: u32,
	},
	/// Stop running SERVICE on a node the signer operates.
	Withdraw {
		/// The service: name or id.
		service: String,
		/// The node.
		#[arg(long)]
		node: u32,
	},
	/// Evict a node's placement of SERVICE: its owner may evict any node (banned from placing
	/// it again for a while); anyone may evict a node that is offline.
	Evict {
		/// The service: name or id.
		service: String,
		/// The node.
		#[arg(long)]
		node: u32,
	},
	/// Remove SERVICE, its versions and placements, and burn its NFT; the deposit goes back
	/// to whoever registered it.
	Unregister {
		/// The service: name or id.
		service: String,
	},
	/// Every registered service.
	List,
	/// SERVICE's versions.
	Versions {
		/// The service: name or id.
		service: String,
	},
}

/// Builds `repo` at `commit` and registers or publishes it; returns the service and version.
pub async fn register_or_publish(
	api: &Client,
	keypair: &Keypair,
	repo: &str,
	commit: &str,
) -> Result<(u32, u32, Manifest), Failure> {
	let repository = repository_url(repo).map_err(Failure::BadInput)?;
	let commit = &resolve_commit(&repository, commit).map_err(Failure::BadInput)?;
	progress(&format!("reading micro.json of {repository} at {commit}"));
	let manifest = Manifest::fetch(&repository, commit).map_err(Failure::BadInput)?;
	progress(&format!("building {} at {commit} (this can take minutes)", manifest.name));
	let started = Instant::now();
	// In the user's own data directory, not a shared /tmp another user could prepare.
	let root = crate::context::data_dir()?.join("builds");
	// The SDK the nodes resolve `micro-service` to, as this `micro` carries it.
	let sdk = crate::context::sdk()?;
	let (build_repo, build_commit) = (repository.clone(), commit.to_owned());
	let built = tokio::task::spawn_blocking(move || {
		// The developer's own repository, built on their machine: a local path is fine here.
		let mut builder = Builder::new(&root);
		builder.allow_local_sources = true;
		builder.sdk = Some(sdk);
		builder.build(&build_repo, &build_commit, None)
	})
	.await
	.map_err(|e| refused(format!("the build: {e}")))?
	.map_err(|e| refused(format!("the build failed: {e}")))?;
	progress(&format!(
		"built {} ({} bytes, code hash {}) in {:.1} s",
		manifest.name,
		built.wasm.len(),
		mucp_offchain::hex::prefixed(&built.hash),
		started.elapsed().as_secs_f64()
	));
	let source = Value::named_composite([
		("repository", Value::from_bytes(repository.as_bytes())),
		("reference", Value::from_bytes(commit.as_bytes())),
	]);
	let existing: Value = try_view(
		api,
		"MicroServices",
		"service_by_name",
		&manifest.name.as_bytes().to_vec().encode(),
	)
	.await
	.map_err(refused)?;
	let (service, version) = match some(&existing).and_then(number) {
		None => {
			let call = dynamic::transaction(
				"MicroServices",
				"register_service",
				(
					Value::from_bytes(manifest.name.as_bytes()),
					source,
					built.hash,
					manifest.endpoints_value(),
					manifest.price_per_call,
				),
			);
			let events = submit_progress(api, "register_service", call, keypair).await?;
			let service = event_field(&events, "MicroServices", "ServiceRegistered")
				.and_then(|e| field(&e, "service").and_then(number))
				.ok_or_else(|| refused("no ServiceRegistered event"))? as u32;
			(service, 1)
		}
		Some(service) => {
			let call = dynamic::transaction(
				"MicroServices",
				"publish_version",
				(service, source, built.hash, manifest.endpoints_value()),
			);
			let events = submit_progress(api, "publish_version", call, keypair).await?;
			let version = event_field(&events, "MicroServices", "VersionPublished")
				.and_then(|e| field(&e, "version").and_then(number))
				.ok_or_else(|| refused("no VersionPublished event"))? as u32;
			(service as u32, version)
		}
	};
	Ok((service, version, manifest))
}

async fn place(api: &Client, keypair: &Keypair, service: u32, version: u32, node: u32) -> Outcome {
	let placements: Value =
		try_view(api, "MicroServices", "placements", &service.encode()).await.map_err(refused)?;
	let mut versions: Vec<u32> = items(&placements)
		.into_iter()
		.find(|p| item(p, 0).and_then(number) == Some(node.into()))
		.and_then(|p| item(p, 1))
		.map(|v| items(v).into_iter().filter_map(number).map(|n| n as u32).collect())
		.unwrap_or_default();
	if !versions.contains(&version) {
		versions.push(version);
	}
	let call = dynamic::transaction(
		"MicroServices",
		"announce_placement",
		(
			node,
			service,
			Value::unnamed_composite(versions.iter().map(|v| Value::u128((*v).into()))),
		),
	);
	submit_progress(api, &format!("announce_placement on node {node}"), call, keypair).await?;
	Ok(())
}

pub async fn run(ctx: &Context, command: &ServicesCommand) -> Outcome {
	let api = connect(&ctx.url).await?;
	match command {
		ServicesCommand::Deploy { repo, commit, place: nodes } => {
			let (keypair, _) = ctx.signer().await?;
			let (service, version, manifest) =
				register_or_publish(&api, &keypair, repo, commit).await?;
			for node in nodes {
				place(&api, &keypair, service, version, *node).await?;
			}
			if ctx.json {
				print_json(
					&serde_json::json!({ "name": manifest.name, "service": service, "version": version, "placed": nodes }),
				);
			} else {
				println!(
					"{}: service {service}, version {version}, placed on {nodes:?}",
					manifest.name
				);
			}
			Ok(())
		}
		ServicesCommand::Place { service, version, node } => {
			let (keypair, _) = ctx.signer().await?;
			let id = service_id(&api, service).await?;
			place(&api, &keypair, id, *version, *node).await?;
			println!("{service} version {version} placed on node {node}");
			Ok(())
		}
		ServicesCommand::Price { service, price } => {
			let (keypair, _) = ctx.signer().await?;
			let id = service_id(&api, service).await?;
			let call = dynamic::transaction("MicroServices", "set_price", (id, *price));
			let events = submit_progress(&api, "set_price", call, &keypair).await?;
			if let Some(rise) = event_field(&events, "MicroServices", "PriceRiseAnnounced") {
				let from = event_number(&Some(rise), "from");
				ctx.report(
					serde_json::json!({ "service": id, "pricePerCall": price.to_string(), "from": from }),
					format!(
						"{service}'s price rises to {price} API tokens a call from block {from}"
					),
				);
			} else {
				ctx.report(
					serde_json::json!({ "service": id, "pricePerCall": price.to_string(), "from": null }),
					format!("{service} now costs {price} API tokens a call"),
				);
			}
			Ok(())
		}
		ServicesCommand::Retire { service, version } => {
			let (keypair, _) = ctx.signer().await?;
			let id = service_id(&api, service).await?;
			let call = dynamic::transaction("MicroServices", "retire_version", (id, *version));
			submit_progress(&api, "retire_version", call, &keypair).await?;
			ctx.report(
				serde_json::json!({ "service": id, "version": version, "status": "Retired" }),
				format!("{service} version {version} retired"),
			);
			Ok(())
		}
		ServicesCommand::Withdraw { service, node } => {
			let (keypair, _) = ctx.signer().await?;
			let id = service_id(&api, service).await?;
			let call = dynamic::transaction("MicroServices", "withdraw_placement", (*node, id));
			submit_progress(&api, "withdraw_placement", call, &keypair).await?;
			ctx.report(
				serde_json::json!({ "service": id, "node": node }),
				format!("node {node} no longer runs {service}"),
			);
			Ok(())
		}
		ServicesCommand::Evict { service, node } => {
			let (keypair, _) = ctx.signer().await?;
			let id = service_id(&api, service).await?;
			let call = dynamic::transaction("MicroServices", "evict_placement", (id, *node));
			let events = submit_progress(&api, "evict_placement", call, &keypair).await?;
			let evicted = event_field(&events, "MicroServices", "PlacementEvicted");
			let banned = evicted
				.as_ref()
				.and_then(|e| field(e, "banned_until"))
				.and_then(some)
				.and_then(number);
			ctx.report(
				serde_json::json!({ "service": id, "node": node, "bannedUntil": banned }),
				match banned {
					Some(until) => format!(
						"node {node}'s placement of {service} evicted; it may not place it again \
						 before block {until}"
					),
					None => format!("node {node}'s placement of {service} evicted"),
				},
			);
			Ok(())
		}
		ServicesCommand::Unregister { service } => {
			let (keypair, _) = ctx.signer().await?;
			let id = service_id(&api, service).await?;
			let call = dynamic::transaction("MicroServices", "unregister_service", (id,));
			submit_progress(&api, "unregister_service", call, &keypair).await?;
			ctx.report(
				serde_json::json!({ "service": id, "unregistered": true }),
				format!("{service} unregistered: its NFT is burned"),
			);
			Ok(())
		}
		ServicesCommand::List => {
			let list: Value =
				try_view(&api, "MicroServices", "services", &[]).await.map_err(refused)?;
			let mut rows = Vec::new();
			let mut json = Vec::new();
			for entry in items(&list) {
				let id = item(entry, 0).and_then(number).unwrap_or_default() as u32;
				let found: Value = try_view(&api, "MicroServices", "service", &id.encode())
					.await
					.map_err(refused)?;
				let Some(pair) = some(&found) else { continue };
				let info = item(pair, 0);
				let owner = item(pair, 1)
					.and_then(some)
					.map(|o| ss58(&AccountId32(bytes(o).try_into().unwrap_or([0; 32]))));
				let get = |name: &str| {
					info.and_then(|i| field(i, name)).and_then(number).unwrap_or_default()
				};
				let name = info.and_then(|i| field(i, "name")).map(text).unwrap_or_default();
				rows.push(vec![
					id.to_string(),
					name.clone(),
					owner.clone().unwrap_or_else(|| "-".into()),
					get("price_per_call").to_string(),
					get("latest_version").to_string(),
					get("placements").to_string(),
				]);
				json.push(serde_json::json!({
					"id": id, "name": name, "owner": owner, "pricePerCall": get("price_per_call").to_string(),
					"latestVersion": get("latest_version"), "placements": get("placements"),
				}));
			}
			if ctx.json {
				print_json(&serde_json::Value::Array(json));
			} else {
				println!(
					"{}",
					table::render(&["ID", "NAME", "OWNER", "PRICE", "LATEST", "NODES"], &rows)
				);
			}
			Ok(())
		}
		ServicesCommand::Versions { service } => {
			let id = service_id(&api, service).await?;
			let list: Value =
				try_view(&api, "MicroServices", "versions", &id.encode()).await.map_err(refused)?;
			let mut rows = Vec::new();
			for entry in items(&list) {
				let version = item(entry, 0).and_then(number).unwrap_or_default();
				let info = item(entry, 1);
				let status = item(entry, 2).and_then(variant).unwrap_or("?").to_owned();
				let hash = info
					.and_then(|i| field(i, "code_hash"))
					.map(|h| mucp_offchain::hex::prefixed(&bytes(h)))
					.unwrap_or_default();
				let source = info.and_then(|i| field(i, "source"));
				let repository =
					source.and_then(|s| field(s, "repository")).map(text).unwrap_or_default();
				let reference =
					source.and_then(|s| field(s, "reference")).map(text).unwrap_or_default();
				rows.push(vec![
					version.to_string(),
					status,
					hash,
					format!("{repository}@{reference}"),
				]);
			}
			if ctx.json {
				let json: Vec<_> = rows
					.iter()
					.map(
						|r| serde_json::json!({ "version": r[0], "status": r[1], "codeHash": r[2], "source": r[3] }),
					)
					.collect();
				print_json(&serde_json::Value::Array(json));
			} else {
				println!("{}", table::render(&["VERSION", "STATUS", "CODE HASH", "SOURCE"], &rows));
			}
			Ok(())
		}
	}
}
