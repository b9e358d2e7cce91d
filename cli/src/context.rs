//! What every command shares: the global flags, the signer, connecting to a node, its RPC,
//! submitting transactions, printing, and [`Failure`], why a command failed.

use std::{str::FromStr, time::Instant};

use clap::Args;
use micro_cli::{
	chain::{submit, try_view, Client},
	gateway::GatewayError,
	values::{field, item, number, some},
};
use sp_core::crypto::{Pair as _, Ss58Codec};
use subxt::{dynamic::Value, ext::codec::Encode, utils::AccountId32};
use subxt_signer::{sr25519::Keypair, SecretUri};

/// The flags every command takes.
#[derive(Args)]
pub struct Context {
	/// A node's JSON-RPC WebSocket address.
	#[arg(long, global = true, env = "MICRO_URL", default_value = "ws://127.0.0.1:9944")]
	pub url: String,
	/// A node's HTTP gateway.
	#[arg(long, global = true, env = "MICRO_GATEWAY", default_value = "http://127.0.0.1:8080")]
	pub gateway: String,
	/// The account that signs: a secret URI such as `//Alice` or a mnemonic. Required on any
	/// chain but a development one, where it is `//Alice` if not given.
	#[arg(long, global = true, env = "MICRO_SEED", hide_env_values = true)]
	pub seed: Option<String>,
	/// Print JSON instead of tables.
	#[arg(long, global = true)]
	pub json: bool,
}

/// Why a command failed, and its exit code.
pub enum Failure {
	Refused(String),
	BadInput(String),
	Unreachable(String),
}

impl Failure {
	pub fn exit_code(&self) -> u8 {
		match self {
			Self::Refused(_) => 1,
			Self::BadInput(_) => 2,
			Self::Unreachable(_) => 3,
		}
	}

	pub fn message(&self) -> &str {
		match self {
			Self::Refused(m) | Self::BadInput(m) | Self::Unreachable(m) => m,
		}
	}
}

impl From<GatewayError> for Failure {
	fn from(error: GatewayError) -> Self {
		match error {
			GatewayError::Unreachable(_) => Self::Unreachable(error.to_string()),
			GatewayError::Micro(_) => Self::Refused(error.to_string()),
		}
	}
}

/// What a command returns.
pub type Outcome = Result<(), Failure>;

/// A refusal with `e`'s text.
pub fn refused(e: impl std::fmt::Display) -> Failure {
	Failure::Refused(e.to_string())
}

/// A line of progress on stderr.
pub fn progress(message: &str) {
	eprintln!("· {message}");
}

/// The keypair of a secret URI, for subxt and for sp-core.
pub fn signer(seed: &str) -> Result<(Keypair, sp_core::sr25519::Pair), Failure> {
	let uri = SecretUri::from_str(seed).map_err(|e| Failure::BadInput(format!("--seed: {e}")))?;
	let keypair = Keypair::from_uri(&uri).map_err(|e| Failure::BadInput(format!("--seed: {e}")))?;
	let pair = sp_core::sr25519::Pair::from_string(seed, None)
		.map_err(|e| Failure::BadInput(format!("--seed: {e:?}")))?;
	Ok((keypair, pair))
}

/// The account of a keypair.
pub fn account_of(keypair: &Keypair) -> AccountId32 {
	keypair.public_key().into()
}

/// An account's SS58 address.
pub fn ss58(account: &AccountId32) -> String {
	sp_core::crypto::AccountId32::from(account.0).to_ss58check()
}

/// An account from an SS58 address or a secret URI.
pub fn account(text: &str) -> Result<AccountId32, Failure> {
	if let Ok(id) = sp_core::crypto::AccountId32::from_ss58check(text) {
		return Ok(AccountId32(id.into()));
	}
	signer(text).map(|(keypair, _)| account_of(&keypair)).map_err(|_| {
		Failure::BadInput(format!("`{text}` is neither an SS58 address nor a secret URI"))
	})
}

/// Connects with subxt's legacy backend (`author_submitAndWatchExtrinsic`, `state_*`): the
/// newer `chainHead_follow` backend is stopped by the node when the client falls behind (a busy
/// machine, a burst of blocks), which fails a transaction already submitted.
pub async fn connect(url: &str) -> Result<Client, Failure> {
	let unreachable = |e: String| Failure::Unreachable(format!("{url}: {e}"));
	let rpc = subxt::rpcs::RpcClient::from_insecure_url(url)
		.await
		.map_err(|e| unreachable(e.to_string()))?;
	let backend = subxt::backend::LegacyBackend::builder().build(rpc);
	Client::from_backend(std::sync::Arc::new(backend)).await.map_err(|e| unreachable(e.to_string()))
}

/// Calls the node's JSON-RPC `method`.
pub async fn rpc(
	url: &str,
	method: &str,
	params: Vec<serde_json::Value>,
) -> Result<serde_json::Value, Failure> {
	use jsonrpsee::core::client::ClientT;
	let client = jsonrpsee::ws_client::WsClientBuilder::default()
		.build(url)
		.await
		.map_err(|e| Failure::Unreachable(format!("{url}: {e}")))?;
	let mut array = jsonrpsee::core::params::ArrayParams::new();
	for param in params {
		array.insert(param).map_err(|e| Failure::BadInput(e.to_string()))?;
	}
	client.request(method, array).await.map_err(|e| match e {
		// The node's own words, not the error object's debug form.
		jsonrpsee::core::ClientError::Call(object) => {
			refused(format!("{method}: {}", object.message()))
		}
		e => refused(format!("{method}: {e}")),
	})
}

/// Prints `value` as pretty JSON.
pub fn print_json(value: &serde_json::Value) {
	println!("{}", serde_json::to_string_pretty(value).unwrap_or_default());
}

/// A service's id from its name or id.
pub async fn service_id(api: &Client, service: &str) -> Result<u32, Failure> {
	if let Ok(id) = service.parse::<u32>() {
		return Ok(id);
	}
	let found: Value =
		try_view(api, "MicroServices", "service_by_name", &service.as_bytes().to_vec().encode())
			.await
			.map_err(refused)?;
	some(&found)
		.and_then(number)
		.map(|n| n as u32)
		.ok_or_else(|| refused(format!("no service is named `{service}`")))
}

/// The current price per call of service `id`, in API tokens.
pub async fn service_price(api: &Client, id: u32) -> Result<u128, Failure> {
	let found: Value =
		try_view(api, "MicroServices", "service", &id.encode()).await.map_err(refused)?;
	some(&found)
		.and_then(|pair| item(pair, 0))
		.and_then(|info| field(info, "price_per_call"))
		.and_then(number)
		.ok_or_else(|| refused(format!("no service has id {id}")))
}

/// The events of a finalized transaction.
pub type Events = subxt::extrinsics::ExtrinsicEvents<subxt::PolkadotConfig>;

/// Submits `call` signed by `keypair` and waits for finalization, saying so on stderr.
pub async fn submit_progress(
	api: &Client,
	what: &str,
	call: impl subxt::transactions::Payload,
	keypair: &Keypair,
) -> Result<Events, Failure> {
	progress(&format!("{what}: waiting for finalization"));
	let started = Instant::now();
	let events = submit(api, call, keypair).await.map_err(|e| refused(format!("{what}: {e}")))?;
	progress(&format!("{what}: finalized in {:.1} s", started.elapsed().as_secs_f64()));
	Ok(events)
}

/// The fields of the first event `pallet.name` among `events`.
pub fn event_field(events: &Events, pallet: &str, name: &str) -> Option<Value<()>> {
	events
		.iter()
		.filter_map(Result::ok)
		.find(|e| e.pallet_name() == pallet && e.event_name() == name)
		.and_then(|e| e.decode_fields_unchecked_as::<subxt::ext::scale_value::Composite<()>>().ok())
		.map(|fields| Value {
			value: subxt::ext::scale_value::ValueDef::Composite(fields),
			context: (),
		})
}

/// The number in field `name` of an event's fields (0 if missing).
pub fn event_number(event: &Option<Value<()>>, name: &str) -> u128 {
	event.as_ref().and_then(|e| field(e, name)).and_then(number).unwrap_or_default()
}

impl Context {
	/// Prints `json` with `--json`, else `text`.
	pub fn report(&self, json: serde_json::Value, text: impl std::fmt::Display) {
		if self.json {
			print_json(&json);
		} else {
			println!("{text}");
		}
	}
}

/// Units in one MICRO (the chain's `tokenDecimals` is 12).
pub const UNITS_PER_MICRO: u128 = 1_000_000_000_000;

/// An amount of MICRO such as `1000` or `0.25`, in units.
pub fn micro_units(text: &str) -> Result<u128, Failure> {
	let bad =
		|| Failure::BadInput(format!("`{text}` is not an amount of MICRO such as 1000 or 0.25"));
	let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
	if whole.is_empty() && fraction.is_empty() || fraction.len() > 12 {
		return Err(bad());
	}
	let digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
	if !digits(whole) || !digits(fraction) {
		return Err(bad());
	}
	let whole: u128 = if whole.is_empty() { 0 } else { whole.parse().map_err(|_| bad())? };
	let fraction: u128 = if fraction.is_empty() {
		0
	} else {
		format!("{fraction:0<12}").parse().map_err(|_| bad())?
	};
	whole.checked_mul(UNITS_PER_MICRO).and_then(|w| w.checked_add(fraction)).ok_or_else(bad)
}

/// Units as MICRO, such as `1000` or `0.25`.
pub fn micro_text(units: u128) -> String {
	let (whole, fraction) = (units / UNITS_PER_MICRO, units % UNITS_PER_MICRO);
	if fraction == 0 {
		return whole.to_string();
	}
	format!("{whole}.{}", format!("{fraction:012}").trim_end_matches('0'))
}

/// The best block's number.
pub async fn best_block(api: &Client) -> Result<u32, Failure> {
	Ok(
		api.at_current_block()
			.await
			.map_err(|e| Failure::Unreachable(e.to_string()))?
			.block_number() as u32,
	)
}

impl Context {
	/// The signer: `--seed`, or `//Alice` on a development chain (see [`seed_for`]).
	pub async fn signer(&self) -> Result<(Keypair, sp_core::sr25519::Pair), Failure> {
		let seed = match &self.seed {
			Some(seed) => seed.clone(),
			None => {
				let chain_type = rpc(&self.url, "system_chainType", vec![]).await?;
				seed_for(None, &chain_type)?
			}
		};
		signer(&seed)
	}
}

/// The seed to sign with: the one given, or `//Alice` if none was given and the chain is a
/// development one (`system_chainType` is `Development`); on any other chain, a seed must be
/// given.
pub fn seed_for(seed: Option<&str>, chain_type: &serde_json::Value) -> Result<String, Failure> {
	if let Some(seed) = seed {
		return Ok(seed.to_owned());
	}
	match chain_type {
		serde_json::Value::String(kind) if kind == "Development" => Ok("//Alice".into()),
		other => {
			let kind = match other {
				serde_json::Value::String(kind) => kind.clone(),
				serde_json::Value::Object(custom) => {
					custom.values().next().map(|v| v.to_string()).unwrap_or_default()
				}
				other => other.to_string(),
			};
			Err(Failure::BadInput(format!(
				"--seed is required: this chain is a {kind} chain, and only a Development chain \
				 signs as //Alice by default. Pass --seed (a secret URI or mnemonic) or set \
				 MICRO_SEED"
			)))
		}
	}
}

/// Where `micro` keeps its files on this machine: `$XDG_DATA_HOME/micro`, or else
/// `~/.local/share/micro`.
pub fn data_dir() -> Result<std::path::PathBuf, Failure> {
	let xdg = std::env::var_os("XDG_DATA_HOME").filter(|dir| !dir.is_empty());
	let base = match xdg {
		Some(dir) => std::path::PathBuf::from(dir),
		None => std::path::PathBuf::from(std::env::var_os("HOME").ok_or_else(|| {
			Failure::BadInput("neither XDG_DATA_HOME nor HOME is set: where do files go?".into())
		})?)
		.join(".local/share"),
	};
	Ok(base.join("micro"))
}

/// The service SDK this `micro` carries, installed under [`data_dir`]; builds resolve
/// `micro-service` to it, as nodes resolve it to theirs.
pub fn sdk() -> Result<std::path::PathBuf, Failure> {
	let root = data_dir()?.join("sdk");
	mucp_offchain::executor::source::sdk::install(&root)
		.map_err(|e| refused(format!("installing the service SDK in {}: {e}", root.display())))
}

/// Whether `url` reaches a node on this machine: 127.0.0.0/8, `[::1]` or `localhost`.
pub fn is_loopback(url: &str) -> bool {
	let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
	let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
	let authority = authority.rsplit_once('@').map_or(authority, |(_, host)| host);
	let host = match authority.strip_prefix('[') {
		Some(v6) => v6.split(']').next().unwrap_or_default(),
		None => authority.rsplit_once(':').map_or(authority, |(host, _)| host),
	};
	host.eq_ignore_ascii_case("localhost")
		|| host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn only_a_node_on_this_machine_names_its_token_file() {
		for local in [
			"ws://127.0.0.1:9944",
			"ws://localhost:9944/",
			"ws://[::1]:9944",
			"http://127.1.2.3",
			"ws://u@127.0.0.1:1",
			"ws://127.0.0.2",
		] {
			assert!(is_loopback(local), "{local}");
		}
		for remote in [
			"wss://rpc.example.com",
			"ws://10.0.0.1:9944",
			"ws://127.0.0.1.example.com:9944",
			"ws://localhost@evil.example:9944",
			"ws://[2001:db8::1]:9944",
		] {
			assert!(!is_loopback(remote), "{remote}");
		}
	}
	use serde_json::json;

	#[test]
	fn amounts_of_micro_are_read_in_units() {
		assert_eq!(micro_units("1000").ok(), Some(1_000 * UNITS_PER_MICRO));
		assert_eq!(micro_units("0.25").ok(), Some(UNITS_PER_MICRO / 4));
		assert_eq!(micro_units(".5").ok(), Some(UNITS_PER_MICRO / 2));
		for bad in ["", ".", "1e3", "-1", "0.0000000000001", "1,5"] {
			assert!(micro_units(bad).is_err(), "{bad}");
		}
		assert_eq!(micro_text(1_000 * UNITS_PER_MICRO), "1000");
		assert_eq!(micro_text(UNITS_PER_MICRO / 4 + 2 * UNITS_PER_MICRO), "2.25");
	}

	#[test]
	fn only_a_development_chain_signs_as_alice_by_default() {
		assert_eq!(seed_for(None, &json!("Development")).ok().as_deref(), Some("//Alice"));
		for chain_type in [json!("Local"), json!("Live"), json!({ "Custom": "testnet" })] {
			let refused = seed_for(None, &chain_type).expect_err("no default seed");
			assert_eq!(refused.exit_code(), 2, "bad input");
			assert!(refused.message().contains("--seed is required"), "{}", refused.message());
			assert!(refused.message().contains("MICRO_SEED"), "{}", refused.message());
		}
		assert!(seed_for(None, &json!("Local"))
			.expect_err("no default seed")
			.message()
			.contains("Local chain"));
		for chain_type in [json!("Development"), json!("Local"), json!("Live")] {
			assert_eq!(seed_for(Some("//Bob"), &chain_type).ok().as_deref(), Some("//Bob"));
		}
	}
}
