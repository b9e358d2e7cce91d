//! `micro`: the Micro Network's command line.
//!
//! Exit codes a script can rely on: 0 done; 1 refused (the chain, a node or a service said no:
//! the reason is on stderr, a `Micro-Error` as JSON); 2 bad input; 3 a node could not be
//! reached.

use std::{
	io::{BufRead, Write},
	process::ExitCode,
	str::FromStr,
	time::Instant,
};

use clap::{Parser, Subcommand};
use micro_cli::{
	chain::{submit, try_view, Client},
	gateway::{Gateway, GatewayError},
	manifest::{repository_url, Manifest},
	table,
	values::{bytes, field, item, items, number, some, text, variant},
};
use mucp_offchain::{
	executor::source::Builder,
	settlement::{Allowance, SignedAllowance},
};
use sp_core::crypto::{Pair as _, Ss58Codec};
use subxt::{
	dynamic::{self, Value},
	ext::codec::Encode,
	utils::AccountId32,
};
use subxt_signer::{sr25519::Keypair, SecretUri};

/// The Micro Network from the command line: the network, calls, topics, services and their
/// NFTs, API tokens and allowances.
#[derive(Parser)]
#[command(name = "micro", version)]
struct Cli {
	/// A node's JSON-RPC WebSocket address.
	#[arg(long, global = true, env = "MICRO_URL", default_value = "ws://127.0.0.1:9944")]
	url: String,
	/// A node's HTTP gateway.
	#[arg(long, global = true, env = "MICRO_GATEWAY", default_value = "http://127.0.0.1:8080")]
	gateway: String,
	/// The account that signs: a secret URI such as `//Alice` or a mnemonic.
	#[arg(
		long,
		global = true,
		env = "MICRO_SEED",
		default_value = "//Alice",
		hide_default_value = true
	)]
	seed: String,
	/// Print JSON instead of tables.
	#[arg(long, global = true)]
	json: bool,
	#[command(subcommand)]
	command: Command,
}

#[derive(Subcommand)]
enum Command {
	/// The MUCP network as the node sees it.
	#[command(subcommand)]
	Network(NetworkCommand),
	/// This node's identity and registration.
	#[command(subcommand)]
	Node(NodeCommand),
	/// Call SERVICE's ENDPOINT with a JSON body, through the gateway.
	Call {
		/// The service.
		service: String,
		/// The endpoint, such as `Say.Hello`.
		endpoint: String,
		/// The request, JSON.
		body: String,
		/// Allowances paying for the call (`micro allowance sign`); repeatable.
		#[arg(long)]
		allowance: Vec<String>,
		/// Call this version rather than the newest healthy one.
		#[arg(long)]
		version: Option<u32>,
	},
	/// Stream requests to SERVICE's ENDPOINT (the JSON arguments, or lines of stdin) and print
	/// each answer.
	Stream {
		/// The service.
		service: String,
		/// The endpoint.
		endpoint: String,
		/// Requests, JSON; read from stdin, one per line, if none.
		requests: Vec<String>,
	},
	/// Publish a JSON message to TOPIC.
	Publish {
		/// The topic.
		topic: String,
		/// The message, JSON.
		body: String,
	},
	/// Print TOPIC's messages as they come, one JSON per line.
	Subscribe {
		/// The topic.
		topic: String,
		/// Share the messages with the other members of this queue group.
		#[arg(long)]
		queue: Option<String>,
		/// Stop after this many messages.
		#[arg(long)]
		count: Option<usize>,
	},
	/// Services: deploy, place, list, versions.
	#[command(subcommand)]
	Services(ServicesCommand),
	/// Service NFTs: mint, transfer, show.
	#[command(subcommand)]
	Nft(NftCommand),
	/// API tokens: buy, balance, refresh.
	#[command(subcommand)]
	Tokens(TokensCommand),
	/// Allowances: permission for a node to charge you for calls.
	#[command(subcommand)]
	Allowance(AllowanceCommand),
}

#[derive(Subcommand)]
enum NetworkCommand {
	/// The nodes this node knows.
	Nodes,
	/// The services in the registry.
	Services,
	/// The ranked routes to SERVICE (to every service without one).
	Routes {
		/// The service.
		service: Option<String>,
	},
	/// Who is connected to whom.
	Graph,
}

#[derive(Subcommand)]
enum NodeCommand {
	/// The node's key, peer id, addresses and on-chain id.
	Show,
	/// Register the node on-chain, operated by the signing account.
	Register {
		/// Millicores of CPU offered.
		#[arg(long, default_value_t = 2_000)]
		cpu: u32,
		/// MiB of memory offered.
		#[arg(long, default_value_t = 4_096)]
		memory: u32,
		/// MiB of storage offered.
		#[arg(long, default_value_t = 10_240)]
		storage: u32,
		/// Mbit/s of bandwidth offered.
		#[arg(long, default_value_t = 100)]
		bandwidth: u32,
		/// The node's RPC token file (the node writes `rpc.token` in its MUCP directory at
		/// every start). Unset: the file the node names, read on this machine; set it when the
		/// node runs elsewhere or as another user.
		#[arg(long, value_name = "FILE")]
		node_token_file: Option<std::path::PathBuf>,
	},
	/// What the node runs: each placed version, building, running or failed.
	Deployments,
}

#[derive(Subcommand)]
enum ServicesCommand {
	/// Build REPO at COMMIT, register the service (minting its NFT) or publish a new version,
	/// and place it on nodes the signer operates.
	Deploy {
		/// The repository: a URL, or a local directory.
		repo: String,
		/// The commit or tag.
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
	/// Every registered service.
	List,
	/// SERVICE's versions.
	Versions {
		/// The service: name or id.
		service: String,
	},
}

#[derive(Subcommand)]
enum NftCommand {
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

#[derive(Subcommand)]
enum TokensCommand {
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

#[derive(Subcommand)]
enum AllowanceCommand {
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

/// Why a command failed, and its exit code.
enum Failure {
	Refused(String),
	BadInput(String),
	Unreachable(String),
}

impl Failure {
	fn exit_code(&self) -> u8 {
		match self {
			Self::Refused(_) => 1,
			Self::BadInput(_) => 2,
			Self::Unreachable(_) => 3,
		}
	}

	fn message(&self) -> &str {
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

type Outcome = Result<(), Failure>;

fn refused(e: impl std::fmt::Display) -> Failure {
	Failure::Refused(e.to_string())
}

fn progress(message: &str) {
	eprintln!("· {message}");
}

fn signer(seed: &str) -> Result<(Keypair, sp_core::sr25519::Pair), Failure> {
	let uri = SecretUri::from_str(seed).map_err(|e| Failure::BadInput(format!("--seed: {e}")))?;
	let keypair = Keypair::from_uri(&uri).map_err(|e| Failure::BadInput(format!("--seed: {e}")))?;
	let pair = sp_core::sr25519::Pair::from_string(seed, None)
		.map_err(|e| Failure::BadInput(format!("--seed: {e:?}")))?;
	Ok((keypair, pair))
}

fn account_of(keypair: &Keypair) -> AccountId32 {
	keypair.public_key().into()
}

fn ss58(account: &AccountId32) -> String {
	sp_core::crypto::AccountId32::from(account.0).to_ss58check()
}

/// An account from an SS58 address or a secret URI.
fn account(text: &str) -> Result<AccountId32, Failure> {
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
async fn connect(url: &str) -> Result<Client, Failure> {
	let unreachable = |e: String| Failure::Unreachable(format!("{url}: {e}"));
	let rpc = subxt::rpcs::RpcClient::from_insecure_url(url)
		.await
		.map_err(|e| unreachable(e.to_string()))?;
	let backend = subxt::backend::LegacyBackend::builder().build(rpc);
	Client::from_backend(std::sync::Arc::new(backend)).await.map_err(|e| unreachable(e.to_string()))
}

async fn rpc(
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
	client.request(method, array).await.map_err(|e| refused(format!("{method}: {e}")))
}

/// The node's RPC token: read from `file`, or from the file the node names when it runs on
/// this machine.
async fn node_rpc_token(url: &str, file: Option<std::path::PathBuf>) -> Result<String, Failure> {
	let named = file.is_none();
	let file = match file {
		Some(file) => file,
		None => rpc(url, "micro_rpcTokenFile", vec![])
			.await?
			.as_str()
			.map(std::path::PathBuf::from)
			.ok_or_else(|| refused("the node did not name its RPC token file"))?,
	};
	let token = std::fs::read_to_string(&file).map_err(|e| {
		let hint = if named {
			"; if the node runs on another machine or as another user, copy that file here and \
			 pass --node-token-file"
		} else {
			""
		};
		Failure::BadInput(format!("reading the node's RPC token at {}: {e}{hint}", file.display()))
	})?;
	Ok(token.trim().to_owned())
}

fn print_json(value: &serde_json::Value) {
	println!("{}", serde_json::to_string_pretty(value).unwrap_or_default());
}

async fn service_id(api: &Client, service: &str) -> Result<u32, Failure> {
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
async fn service_price(api: &Client, id: u32) -> Result<u128, Failure> {
	let found: Value =
		try_view(api, "MicroServices", "service", &id.encode()).await.map_err(refused)?;
	some(&found)
		.and_then(|pair| item(pair, 0))
		.and_then(|info| field(info, "price_per_call"))
		.and_then(number)
		.ok_or_else(|| refused(format!("no service has id {id}")))
}

async fn submit_progress(
	api: &Client,
	what: &str,
	call: impl subxt::transactions::Payload,
	keypair: &Keypair,
) -> Result<subxt::extrinsics::ExtrinsicEvents<subxt::PolkadotConfig>, Failure> {
	progress(&format!("{what}: waiting for finalization"));
	let started = Instant::now();
	let events = submit(api, call, keypair).await.map_err(|e| refused(format!("{what}: {e}")))?;
	progress(&format!("{what}: finalized in {:.1} s", started.elapsed().as_secs_f64()));
	Ok(events)
}

fn event_field(
	events: &subxt::extrinsics::ExtrinsicEvents<subxt::PolkadotConfig>,
	pallet: &str,
	name: &str,
) -> Option<Value<()>> {
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

#[tokio::main]
async fn main() -> ExitCode {
	let cli = Cli::parse();
	match run(cli).await {
		Ok(()) => ExitCode::SUCCESS,
		Err(failure) => {
			eprintln!("error: {}", failure.message());
			ExitCode::from(failure.exit_code())
		}
	}
}

async fn run(cli: Cli) -> Outcome {
	let gateway = Gateway::new(&cli.gateway);
	match &cli.command {
		Command::Network(command) => network(&cli, command).await,
		Command::Node(command) => node(&cli, command).await,
		Command::Call { service, endpoint, body, allowance, version } => {
			serde_json::from_str::<serde_json::Value>(body)
				.map_err(|e| Failure::BadInput(format!("the body is not JSON: {e}")))?;
			let answer = gateway.call(service, endpoint, body, allowance, *version).await?;
			println!("{}", String::from_utf8_lossy(&answer));
			Ok(())
		}
		Command::Stream { service, endpoint, requests } => {
			let requests = if requests.is_empty() {
				std::io::stdin()
					.lock()
					.lines()
					.map_while(Result::ok)
					.filter(|l| !l.trim().is_empty())
					.collect()
			} else {
				requests.clone()
			};
			for request in &requests {
				serde_json::from_str::<serde_json::Value>(request)
					.map_err(|e| Failure::BadInput(format!("`{request}` is not JSON: {e}")))?;
			}
			let mut failed = None;
			gateway
				.stream(service, endpoint, &requests, |line| {
					if line.starts_with("{\"error\"") {
						failed = Some(line.to_owned());
					}
					println!("{line}");
				})
				.await?;
			failed.map_or(Ok(()), |line| Err(refused(line)))
		}
		Command::Publish { topic, body } => {
			serde_json::from_str::<serde_json::Value>(body)
				.map_err(|e| Failure::BadInput(format!("the message is not JSON: {e}")))?;
			let outcome = gateway.publish(topic, body).await?;
			if cli.json {
				print_json(&outcome);
			} else if let Some(n) = outcome.get("delivered") {
				println!("published {} to {topic}: delivered to {n}", outcome["id"]);
			} else if outcome.get("stored").is_some() {
				println!(
					"published {} to {topic}: nobody subscribes yet, kept in the inbox",
					outcome["id"]
				);
			} else {
				println!("{} was published to {topic} before: dropped", outcome["id"]);
			}
			Ok(())
		}
		Command::Subscribe { topic, queue, count } => {
			let mut seen = 0;
			let mut stdout = std::io::stdout();
			gateway
				.subscribe(topic, queue.as_deref(), |data| {
					let _ = writeln!(stdout, "{data}");
					let _ = stdout.flush();
					seen += 1;
					count.is_none_or(|count| seen < count)
				})
				.await?;
			Ok(())
		}
		Command::Services(command) => services(&cli, command).await,
		Command::Nft(command) => nft(&cli, command).await,
		Command::Tokens(command) => tokens(&cli, command).await,
		Command::Allowance(command) => allowance(&cli, command).await,
	}
}

async fn network(cli: &Cli, command: &NetworkCommand) -> Outcome {
	let (method, params) = match command {
		NetworkCommand::Nodes => ("micro_networkNodes", vec![]),
		NetworkCommand::Services => ("micro_networkServices", vec![]),
		NetworkCommand::Routes { service } => {
			("micro_networkRoutes", service.iter().map(|s| serde_json::json!(s)).collect())
		}
		NetworkCommand::Graph => ("micro_networkGraph", vec![]),
	};
	let answer = rpc(&cli.url, method, params).await?;
	if cli.json {
		print_json(&answer);
		return Ok(());
	}
	let list = answer.as_array().cloned().unwrap_or_default();
	let s = |v: &serde_json::Value| match v {
		serde_json::Value::String(s) => s.clone(),
		serde_json::Value::Null => "-".into(),
		other => other.to_string(),
	};
	let printed = match command {
		NetworkCommand::Nodes => table::render(
			&["PEER", "CONNECTED", "HEALTHY", "RTT µs", "SERVICES"],
			&list
				.iter()
				.map(|n| {
					let services: Vec<String> =
						n["services"].as_array().into_iter().flatten().map(s).collect();
					vec![
						s(&n["id"]),
						s(&n["connected"]),
						s(&n["healthy"]),
						s(&n["rtt_us"]),
						services.join(" "),
					]
				})
				.collect::<Vec<_>>(),
		),
		NetworkCommand::Services => table::render(
			&["SERVICE", "VERSION", "ENDPOINTS", "NODES"],
			&list
				.iter()
				.map(|service| {
					let endpoints: Vec<String> = service["endpoints"]
						.as_array()
						.into_iter()
						.flatten()
						.map(|e| s(&e["name"]))
						.collect();
					let nodes = service["nodes"].as_array().map_or(0, Vec::len);
					vec![
						s(&service["name"]),
						s(&service["version"]),
						endpoints.join(" "),
						nodes.to_string(),
					]
				})
				.collect::<Vec<_>>(),
		),
		NetworkCommand::Routes { .. } => table::render(
			&["SERVICE", "VERSION", "NODE", "COST µs"],
			&list
				.iter()
				.map(|r| vec![s(&r["service"]), s(&r["version"]), s(&r["node"]), s(&r["metric"])])
				.collect::<Vec<_>>(),
		),
		NetworkCommand::Graph => {
			let edges = answer["edges"].as_array().cloned().unwrap_or_default();
			let mut out = format!("this node: {}\n", s(&answer["local"]));
			out.push_str(&table::render(
				&["PEER", "PEER"],
				&edges.iter().map(|e| vec![s(&e[0]), s(&e[1])]).collect::<Vec<_>>(),
			));
			out
		}
	};
	println!("{printed}");
	Ok(())
}

async fn node(cli: &Cli, command: &NodeCommand) -> Outcome {
	match command {
		NodeCommand::Show => {
			let identity = rpc(&cli.url, "micro_identity", vec![]).await?;
			print_json(&identity);
			Ok(())
		}
		NodeCommand::Deployments => {
			let states = rpc(&cli.url, "micro_deployments", vec![]).await?;
			if cli.json {
				print_json(&states);
				return Ok(());
			}
			let rows: Vec<Vec<String>> = states
				.as_array()
				.into_iter()
				.flatten()
				.map(|v| {
					vec![
						v["service"].as_str().unwrap_or_default().to_owned(),
						v["version"].to_string(),
						v["state"].as_str().unwrap_or_default().to_owned(),
						v["detail"].as_str().unwrap_or("").to_owned(),
					]
				})
				.collect();
			println!("{}", table::render(&["SERVICE", "VERSION", "STATE", "DETAIL"], &rows));
			Ok(())
		}
		NodeCommand::Register { cpu, memory, storage, bandwidth, node_token_file } => {
			let (keypair, _) = signer(&cli.seed)?;
			let api = connect(&cli.url).await?;
			let operator = account_of(&keypair);
			let nonce: u32 = try_view(&api, "MicroNodes", "proof_nonce", &operator.encode())
				.await
				.map_err(refused)?;
			let token = node_rpc_token(&cli.url, node_token_file.clone()).await?;
			let proof = rpc(
				&cli.url,
				"micro_nodeKeyProof",
				vec![ss58(&operator).into(), nonce.into(), token.into()],
			)
			.await?;
			let hex_bytes = |name: &str| -> Result<Vec<u8>, Failure> {
				let text = proof[name].as_str().unwrap_or_default();
				mucp_offchain::hex::decode(text.trim_start_matches("0x"))
					.ok_or_else(|| refused(format!("the node sent a malformed {name}")))
			};
			let key: [u8; 32] =
				hex_bytes("nodeKey")?.try_into().map_err(|_| refused("a node key is 32 bytes"))?;
			let signature: [u8; 64] =
				hex_bytes("proof")?.try_into().map_err(|_| refused("a proof is 64 bytes"))?;
			let peer_id = proof["peerId"].as_str().unwrap_or_default().to_owned();
			let addresses: Vec<Value> = proof["addresses"]
				.as_array()
				.into_iter()
				.flatten()
				.filter_map(|a| a.as_str())
				.map(|a| a.split("/p2p/").next().unwrap_or(a).to_owned())
				.map(|a| Value::from_bytes(a.into_bytes()))
				.collect();
			let call = dynamic::transaction(
				"MicroNodes",
				"register_node",
				(
					key,
					signature,
					Value::from_bytes(peer_id.clone().into_bytes()),
					Value::unnamed_composite(addresses),
					Value::named_composite([
						("cpu_millicores", Value::u128((*cpu).into())),
						("memory_mib", Value::u128((*memory).into())),
						("storage_mib", Value::u128((*storage).into())),
						("bandwidth_mbps", Value::u128((*bandwidth).into())),
					]),
				),
			);
			let events = submit_progress(&api, "register_node", call, &keypair).await?;
			let id = event_field(&events, "MicroNodes", "NodeRegistered")
				.and_then(|e| field(&e, "node").and_then(number))
				.ok_or_else(|| refused("no NodeRegistered event"))?;
			if cli.json {
				print_json(
					&serde_json::json!({ "node": id, "peerId": peer_id, "operator": ss58(&operator) }),
				);
			} else {
				println!("node {id} registered: peer {peer_id}, operated by {}", ss58(&operator));
			}
			Ok(())
		}
	}
}

/// Builds `repo` at `commit` and registers or publishes it; returns the service and version.
async fn register_or_publish(
	api: &Client,
	keypair: &Keypair,
	repo: &str,
	commit: &str,
) -> Result<(u32, u32, Manifest), Failure> {
	let repository = repository_url(repo).map_err(Failure::BadInput)?;
	progress(&format!("reading micro.json of {repository} at {commit}"));
	let manifest = Manifest::fetch(&repository, commit).map_err(Failure::BadInput)?;
	progress(&format!("building {} at {commit} (this can take minutes)", manifest.name));
	let started = Instant::now();
	let root = std::env::temp_dir().join("micro-cli-builds");
	let (build_repo, build_commit) = (repository.clone(), commit.to_owned());
	let built = tokio::task::spawn_blocking(move || {
		// The developer's own repository, built on their machine: a local path is fine here.
		let mut builder = Builder::new(&root);
		builder.allow_local_sources = true;
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

async fn services(cli: &Cli, command: &ServicesCommand) -> Outcome {
	let api = connect(&cli.url).await?;
	match command {
		ServicesCommand::Deploy { repo, commit, place: nodes } => {
			let (keypair, _) = signer(&cli.seed)?;
			let (service, version, manifest) =
				register_or_publish(&api, &keypair, repo, commit).await?;
			for node in nodes {
				place(&api, &keypair, service, version, *node).await?;
			}
			if cli.json {
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
			let (keypair, _) = signer(&cli.seed)?;
			let id = service_id(&api, service).await?;
			place(&api, &keypair, id, *version, *node).await?;
			println!("{service} version {version} placed on node {node}");
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
			if cli.json {
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
			if cli.json {
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

async fn nft(cli: &Cli, command: &NftCommand) -> Outcome {
	let api = connect(&cli.url).await?;
	match command {
		NftCommand::Mint { repo, commit } => {
			let (keypair, _) = signer(&cli.seed)?;
			let (service, version, manifest) =
				register_or_publish(&api, &keypair, repo, commit).await?;
			println!(
				"{}: service {service} (NFT item {service}), version {version}",
				manifest.name
			);
			Ok(())
		}
		NftCommand::Transfer { service, to } => {
			let (keypair, _) = signer(&cli.seed)?;
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
			if cli.json {
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

async fn tokens(cli: &Cli, command: &TokensCommand) -> Outcome {
	let api = connect(&cli.url).await?;
	match command {
		TokensCommand::Buy { tokens } => {
			let (keypair, _) = signer(&cli.seed)?;
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
				None => account_of(&signer(&cli.seed)?.0),
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
			if cli.json {
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
			let (keypair, _) = signer(&cli.seed)?;
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
			let (keypair, _) = signer(&cli.seed)?;
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
			let (keypair, _) = signer(&cli.seed)?;
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
			let (keypair, _) = signer(&cli.seed)?;
			let call = dynamic::transaction("MicroTokens", "refresh_batch", (*expires_at,));
			let events = submit_progress(&api, "refresh_batch", call, &keypair).await?;
			let refreshed = event_field(&events, "MicroTokens", "BatchRefreshed");
			let get = |name: &str| {
				refreshed.as_ref().and_then(|e| field(e, name)).and_then(number).unwrap_or_default()
			};
			println!(
				"batch refreshed: {} tokens now expire at block {}",
				get("tokens"),
				get("expires_at")
			);
			Ok(())
		}
	}
}

async fn allowance(cli: &Cli, command: &AllowanceCommand) -> Outcome {
	let (service, nodes, calls, blocks, nonce, max_price) = match command {
		AllowanceCommand::Sign { service, nodes, calls, blocks, nonce, max_price } => {
			(service, nodes, calls, blocks, nonce, max_price)
		}
		other => return allowance_on_chain(cli, other).await,
	};
	let (keypair, pair) = signer(&cli.seed)?;
	let api = connect(&cli.url).await?;
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
async fn allowance_on_chain(cli: &Cli, command: &AllowanceCommand) -> Outcome {
	let (keypair, _) = signer(&cli.seed)?;
	let api = connect(&cli.url).await?;
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

/// The best block's number.
async fn best_block(api: &Client) -> Result<u32, Failure> {
	Ok(
		api.at_current_block()
			.await
			.map_err(|e| Failure::Unreachable(e.to_string()))?
			.block_number() as u32,
	)
}
