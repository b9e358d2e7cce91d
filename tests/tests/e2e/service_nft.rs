//! A wallet user registers a service on a `--dev` node, which mints its NFT, and moves it with
//! `pallet-nfts`' own `transfer` and with the services pallet's `transfer_service`, signing with
//! subxt like any client. The owner is read back through the pallets' view functions and from
//! `pallet-nfts` storage, and the former owner is refused.

use std::time::Duration;

use micro_tests::{
	chain::{submit, view, Client},
	TestNode,
};
use subxt::{
	dynamic::{self, Value},
	ext::codec::Encode,
	ext::scale_decode::{self, DecodeAsType},
	utils::AccountId32,
};
use subxt_signer::sr25519;

/// One MICRO in plancks (12 decimals).
const UNIT: u128 = 1_000_000_000_000;

#[derive(Debug, DecodeAsType)]
#[decode_as_type(crate_path = "scale_decode")]
struct ServiceRegistered {
	service: u32,
	name: Vec<u8>,
	owner: AccountId32,
	code_hash: [u8; 32],
}

#[derive(Debug, DecodeAsType)]
#[decode_as_type(crate_path = "scale_decode")]
struct ServiceInfo {
	name: Vec<u8>,
	creator: AccountId32,
	deposit: u128,
	price_per_call: u128,
	registered_at: u32,
	latest_version: u32,
	live_versions: u32,
	placements: u32,
	price_rise: Option<(u128, u32)>,
}

#[derive(Debug, DecodeAsType)]
#[decode_as_type(crate_path = "scale_decode")]
struct ItemDetails {
	owner: AccountId32,
}

fn bytes(text: &str) -> Value {
	Value::from_bytes(text.as_bytes())
}

fn string_field(number: u32, name: &str) -> Value {
	Value::named_composite([
		("number", Value::u128(number.into())),
		("name", bytes(name)),
		("kind", Value::unnamed_variant("String", [])),
		("repeated", Value::bool(false)),
	])
}

fn message(name: &str, fields: Vec<Value>) -> Value {
	Value::named_composite([("name", bytes(name)), ("fields", Value::unnamed_composite(fields))])
}

/// The service's record and owner as the services pallet's view function reports them.
async fn service_by_view(api: &Client, service: u32) -> (ServiceInfo, Option<AccountId32>) {
	view::<Option<(ServiceInfo, Option<AccountId32>)>>(
		api,
		"MicroServices",
		"service",
		&service.encode(),
	)
	.await
	.expect("the service exists")
}

/// The service's owner as the services pallet's view function reports it.
async fn owner_by_view(api: &Client, service: u32) -> Option<AccountId32> {
	service_by_view(api, service).await.1
}

/// The service NFT's owner as `pallet-nfts` stores it.
async fn owner_in_nfts(api: &Client, collection: u32, service: u32) -> AccountId32 {
	let at = api.at_current_block().await.unwrap();
	let address = dynamic::storage::<(u32, u32), ItemDetails>("Nfts", "Item");
	let value = at.storage().fetch(address, (collection, service)).await.expect("item exists");
	value.decode().expect("item decodes").owner
}

#[tokio::test(flavor = "multi_thread")]
async fn a_service_nft_is_minted_transferred_and_read_back() {
	let node = TestNode::start("service-nft", &["--dev"]).await.expect("dev node starts");
	node.wait_finalized(1, Duration::from_secs(120)).await.expect("dev node finalizes");
	let api = Client::from_insecure_url(node.ws_url()).await.expect("subxt connects");
	let (alice, bob, charlie) =
		(sr25519::dev::alice(), sr25519::dev::bob(), sr25519::dev::charlie());
	let alice_id: AccountId32 = alice.public_key().into();
	let bob_id: AccountId32 = bob.public_key().into();
	let charlie_id: AccountId32 = charlie.public_key().into();

	// Alice registers `greeter`: the chain mints its NFT to her.
	let endpoint = Value::named_composite([
		("name", bytes("Say.Hello")),
		("request", message("Request", vec![string_field(1, "name")])),
		("response", message("Response", vec![string_field(1, "msg")])),
	]);
	let register = dynamic::transaction(
		"MicroServices",
		"register_service",
		(
			bytes("greeter"),
			Value::named_composite([
				("repository", bytes("https://github.com/micro/greeter")),
				("reference", bytes("v1.0.0")),
			]),
			[7u8; 32],
			Value::unnamed_composite([endpoint]),
			5u128,
		),
	);
	let events = submit(&api, register, &alice).await.expect("registration succeeds");
	let registered = events
		.iter()
		.filter_map(Result::ok)
		.find(|e| e.pallet_name() == "MicroServices" && e.event_name() == "ServiceRegistered")
		.expect("a ServiceRegistered event")
		.decode_fields_unchecked_as::<ServiceRegistered>()
		.expect("the event decodes");
	assert_eq!(registered.name, b"greeter");
	assert_eq!(registered.owner, alice_id);
	assert_eq!(registered.code_hash, [7u8; 32]);
	let service = registered.service;
	assert!(
		events
			.iter()
			.filter_map(Result::ok)
			.any(|e| e.pallet_name() == "Nfts" && e.event_name() == "Issued"),
		"pallet-nfts issued the NFT"
	);

	let collection: Option<u32> = view(&api, "MicroServices", "collection", &[]).await;
	let collection = collection.expect("the services collection exists from genesis");
	let (info, owner) = service_by_view(&api, service).await;
	assert_eq!(owner, Some(alice_id));
	assert_eq!(info.name, b"greeter");
	assert_eq!(info.creator, alice_id);
	assert_eq!(info.deposit, 10 * UNIT, "the service deposit is held from its creator");
	assert_eq!((info.price_per_call, info.latest_version, info.live_versions), (5, 1, 1));
	assert!(info.registered_at >= 1);
	assert_eq!(info.placements, 0);
	assert_eq!(owner_in_nfts(&api, collection, service).await, alice_id);

	// Alice moves the NFT with pallet-nfts' own transfer, as any NFT wallet would.
	let nft_transfer = dynamic::transaction(
		"Nfts",
		"transfer",
		(collection, service, bob.public_key().to_address::<()>()),
	);
	submit(&api, nft_transfer, &alice).await.expect("the NFT transfer succeeds");
	assert_eq!(owner_by_view(&api, service).await, Some(bob_id));
	assert_eq!(owner_in_nfts(&api, collection, service).await, bob_id);

	// Bob moves it on with the services pallet's checked transfer.
	let transfer_service =
		dynamic::transaction("MicroServices", "transfer_service", (service, charlie_id));
	submit(&api, transfer_service, &bob).await.expect("transfer_service succeeds");
	assert_eq!(owner_by_view(&api, service).await, Some(charlie_id));
	assert_eq!(owner_in_nfts(&api, collection, service).await, charlie_id);

	// Alice no longer owns it: the chain refuses her price change.
	let set_price = dynamic::transaction("MicroServices", "set_price", (service, 1u128));
	let refused = submit(&api, set_price, &alice).await.expect_err("a former owner is refused");
	assert!(refused.contains("NotOwner"), "refused with {refused}");
	// Charlie, the holder, raises it: a rise waits out a day's notice, so allowances consumers
	// already signed are not repriced under them.
	let set_price = dynamic::transaction("MicroServices", "set_price", (service, 9u128));
	let events = submit(&api, set_price, &charlie).await.expect("the owner raises the price");
	assert!(
		events
			.iter()
			.filter_map(Result::ok)
			.any(|e| e.pallet_name() == "MicroServices" && e.event_name() == "PriceRiseAnnounced"),
		"the rise is announced"
	);
	let (info, _) = service_by_view(&api, service).await;
	assert_eq!(info.price_per_call, 5, "the old price holds through the notice");
	let (price, applies_at) = info.price_rise.expect("the rise is pending");
	assert_eq!(price, 9);
	assert!(applies_at >= info.registered_at + 14_400, "a day's notice, from {applies_at}");
	// A cut applies at once and drops the pending rise.
	let set_price = dynamic::transaction("MicroServices", "set_price", (service, 4u128));
	submit(&api, set_price, &charlie).await.expect("the owner cuts the price");
	let (info, _) = service_by_view(&api, service).await;
	assert_eq!((info.price_per_call, info.price_rise), (4, None));
	assert_eq!(info.creator, alice_id, "the deposit stays with the creator");
}
