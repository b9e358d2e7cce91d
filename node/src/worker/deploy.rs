//! Running the services the chain places on this node: each placed version is built (or taken
//! from the cache) in its own task, in the builder's sandbox, checked against the code hash the
//! chain holds, started beside the others by the next reconciliation, and served through the
//! MUCP peer with the settlement meter in front.

use std::{
	collections::{BTreeMap, BTreeSet, HashMap},
	sync::{Arc, Mutex},
};

use micro_primitives::{NodeId, ServiceId, VersionNumber};
use micro_runtime::{BlockNumber, Runtime};
use mucp_offchain::{
	executor::{metered_wasm_service, source::Builder, CodeHash, Deployment, Executor, Host},
	hex,
	peer::Peer,
	registry,
	settlement::{Meter, Priced},
};
use pallet_micro_services::{FieldKind, VersionStatus};
use serde::Serialize;

use super::chain::Chain;

/// One version the chain places on this node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlacedVersion {
	/// Its number.
	pub version: VersionNumber,
	/// Where its code comes from.
	pub repository: String,
	/// The commit: a full hash (the builder refuses tags and branches, which can move).
	pub reference: String,
	/// The hash the built module must have.
	pub code_hash: CodeHash,
	/// Its endpoints, as the registry describes them.
	pub endpoints: Vec<registry::Endpoint>,
}

/// One service the chain places on this node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Placed {
	/// Its on-chain id.
	pub service: ServiceId,
	/// Its name.
	pub name: String,
	/// API tokens per call.
	pub price_per_call: u128,
	/// An announced price rise: the price, and the block it applies from.
	pub price_rise: Option<(u128, BlockNumber)>,
	/// The versions placed here that are not retired.
	pub versions: Vec<PlacedVersion>,
}

fn field_kind(kind: FieldKind) -> &'static str {
	match kind {
		FieldKind::String => "string",
		FieldKind::Bytes => "bytes",
		FieldKind::Bool => "bool",
		FieldKind::Int64 => "int64",
		FieldKind::Uint64 => "uint64",
		FieldKind::Double => "double",
		FieldKind::Json => "json",
	}
}

fn text(bytes: &[u8]) -> String {
	String::from_utf8_lossy(bytes).into_owned()
}

/// The services the chain places on `node` at the best block.
pub fn placed_on(chain: &Chain, node: NodeId) -> Result<Vec<Placed>, String> {
	use pallet_micro_services::{
		PlacementsViewFunction, ServiceViewFunction, ServicesOnViewFunction, VersionsViewFunction,
	};
	let (at, _) = chain.best();
	let mut placed = Vec::new();
	for service in chain.view(at, ServicesOnViewFunction::<Runtime>::new(node))? {
		let Some((info, _owner)) = chain.view(at, ServiceViewFunction::<Runtime>::new(service))?
		else {
			continue;
		};
		let placements = chain.view(at, PlacementsViewFunction::<Runtime>::new(service))?;
		let Some((_, here, _)) = placements.into_iter().find(|(n, _, _)| *n == node) else {
			continue;
		};
		let versions = chain.view(at, VersionsViewFunction::<Runtime>::new(service))?;
		let versions = versions
			.into_iter()
			.filter(|(v, _, status)| here.contains(v) && *status != VersionStatus::Retired)
			.map(|(version, info, _)| PlacedVersion {
				version,
				repository: text(&info.source.repository),
				reference: text(&info.source.reference),
				code_hash: info.code_hash.into(),
				endpoints: info
					.endpoints
					.iter()
					.map(|e| {
						let message = |m: &pallet_micro_services::MessageType<Runtime>| {
							registry::TypeDescription {
								name: text(&m.name),
								fields: m
									.fields
									.iter()
									.map(|f| registry::FieldDescription {
										number: f.number,
										name: text(&f.name),
										kind: field_kind(f.kind).into(),
										repeated: f.repeated,
									})
									.collect(),
							}
						};
						registry::Endpoint {
							name: text(&e.name),
							request: message(&e.request),
							response: message(&e.response),
							metadata: Default::default(),
						}
					})
					.collect(),
			})
			.collect();
		placed.push(Placed {
			service,
			name: text(&info.name),
			price_per_call: info.price_per_call,
			price_rise: info.price_rise,
			versions,
		});
	}
	Ok(placed)
}

/// What a version is doing on this node, for the RPC and logs.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct VersionState {
	/// The service's name.
	pub service: String,
	/// The version.
	pub version: VersionNumber,
	/// `building`, `running` or `failed`.
	pub state: String,
	/// Why it failed, if it did.
	pub detail: Option<String>,
	/// The code hash the chain holds, hex.
	pub code_hash: String,
}

/// The services running on this node and the builds under way.
pub struct Deployer {
	executor: Arc<Executor>,
	builder: Builder,
	host: Arc<dyn Host>,
	meter: Arc<Meter>,
	running: Mutex<HashMap<String, (Arc<Deployment>, Placed)>>,
	states: Mutex<BTreeMap<(String, VersionNumber), VersionState>>,
	/// Versions whose build failed: not retried until the chain's placement changes.
	failed: Mutex<BTreeSet<(ServiceId, VersionNumber, CodeHash)>>,
	/// Versions whose build task is running or waiting for a turn.
	building: Mutex<BTreeSet<(ServiceId, VersionNumber)>>,
	/// Builds finished since the last reconciliation: the module loaded, or why it failed.
	finished: Mutex<BTreeMap<(ServiceId, VersionNumber), Result<CodeHash, String>>>,
	/// Turns for builds: at most [`PARALLEL_BUILDS`] run at once.
	build_turns: Arc<tokio::sync::Semaphore>,
	reconciling: tokio::sync::Mutex<()>,
}

/// Builds that run at once; more wait their turn in state `building`.
const PARALLEL_BUILDS: usize = 2;

impl Deployer {
	/// A deployer running services in `executor`, building them with `builder`.
	pub fn new(
		executor: Arc<Executor>,
		builder: Builder,
		host: Arc<dyn Host>,
		meter: Arc<Meter>,
	) -> Self {
		Self {
			executor,
			builder,
			host,
			meter,
			running: Mutex::new(HashMap::new()),
			states: Mutex::new(BTreeMap::new()),
			failed: Mutex::new(BTreeSet::new()),
			building: Mutex::new(BTreeSet::new()),
			finished: Mutex::new(BTreeMap::new()),
			build_turns: Arc::new(tokio::sync::Semaphore::new(PARALLEL_BUILDS)),
			reconciling: tokio::sync::Mutex::new(()),
		}
	}

	/// Every version's state.
	pub fn states(&self) -> Vec<VersionState> {
		self.states.lock().expect("not poisoned").values().cloned().collect()
	}

	fn set_state(&self, name: &str, version: &PlacedVersion, state: &str, detail: Option<String>) {
		self.states.lock().expect("not poisoned").insert(
			(name.to_owned(), version.version),
			VersionState {
				service: name.to_owned(),
				version: version.version,
				state: state.to_owned(),
				detail,
				code_hash: hex::prefixed(&version.code_hash),
			},
		);
	}

	/// Brings what runs here in line with `placed`: starts the versions whose build finished,
	/// starts builds for new versions (each its own task, so one slow build holds up no other
	/// service's withdrawal, price change or placement), retires versions no longer placed,
	/// and withdraws services no longer placed. It never waits for a build.
	/// One reconciliation runs at a time: a call while one runs returns at once, and the
	/// next block's brings what it missed.
	pub async fn reconcile(self: &Arc<Self>, peer: &Arc<Peer>, placed: Vec<Placed>) {
		let Ok(_one_at_a_time) = self.reconciling.try_lock() else { return };
		let wanted: BTreeSet<String> = placed.iter().map(|p| p.name.clone()).collect();
		let gone: Vec<String> = self
			.running
			.lock()
			.expect("not poisoned")
			.keys()
			.filter(|name| !wanted.contains(*name))
			.cloned()
			.collect();
		for name in gone {
			log::info!(target: "mucp", "service {name} is no longer placed here: withdrawn");
			peer.withdraw(&name);
			self.running.lock().expect("not poisoned").remove(&name);
			self.states.lock().expect("not poisoned").retain(|(service, _), _| *service != name);
		}
		for service in placed {
			self.reconcile_service(peer, service).await;
		}
	}

	async fn reconcile_service(self: &Arc<Self>, peer: &Arc<Peer>, placed: Placed) {
		let deployment = {
			let mut running = self.running.lock().expect("not poisoned");
			let entry = running.entry(placed.name.clone()).or_insert_with(|| {
				let deployment = Deployment::new(
					&placed.name,
					self.executor.clone(),
					self.host.clone(),
					16 * 1024 * 1024,
				);
				(Arc::new(deployment), placed.clone())
			});
			entry.0.clone()
		};
		let started: BTreeSet<VersionNumber> =
			deployment.versions().iter().map(|v| v.version).collect();
		let wanted: BTreeSet<VersionNumber> = placed.versions.iter().map(|v| v.version).collect();
		let mut changed = false;
		for version in started.difference(&wanted) {
			deployment.retire(*version);
			self.states.lock().expect("not poisoned").remove(&(placed.name.clone(), *version));
			changed = true;
		}
		for version in placed.versions.iter().filter(|v| !started.contains(&v.version)) {
			let key = (placed.service, version.version);
			let finished = self.finished.lock().expect("not poisoned").remove(&key);
			if let Some(outcome) = finished {
				match outcome
					.and_then(|hash| deployment.start(version.version, hash).map_err(|e| e.detail))
				{
					Ok(()) => {
						log::info!(target: "mucp", "{} version {} runs", placed.name, version.version);
						self.set_state(&placed.name, version, "running", None);
						changed = true;
					}
					Err(error) => {
						log::warn!(
							target: "mucp",
							"{} version {} failed to deploy: {error}",
							placed.name, version.version
						);
						self.failed.lock().expect("not poisoned").insert((
							key.0,
							key.1,
							version.code_hash,
						));
						self.set_state(&placed.name, version, "failed", Some(error));
					}
				}
				continue;
			}
			if self.failed.lock().expect("not poisoned").contains(&(
				key.0,
				key.1,
				version.code_hash,
			)) || !self.building.lock().expect("not poisoned").insert(key)
			{
				continue;
			}
			self.set_state(&placed.name, version, "building", None);
			log::info!(
				target: "mucp",
				"building {} version {} from {} at {}",
				placed.name, version.version, version.repository, version.reference
			);
			let (this, source) = (self.clone(), version.clone());
			tokio::spawn(async move {
				let _turn = this.build_turns.clone().acquire_owned().await;
				let (builder, executor) = (this.builder.clone(), this.executor.clone());
				let outcome = tokio::task::spawn_blocking(move || {
					let built = builder
						.build(&source.repository, &source.reference, Some(source.code_hash))
						.map_err(|e| e.to_string())?;
					executor.load(&built.wasm, Some(source.code_hash)).map_err(|e| e.to_string())
				})
				.await
				.map_err(|e| e.to_string())
				.and_then(|result| result);
				// Finished before no longer building, so no reconciliation starts it twice.
				this.finished.lock().expect("not poisoned").insert(key, outcome);
				this.building.lock().expect("not poisoned").remove(&key);
			});
		}
		let previous =
			self.running.lock().expect("not poisoned").get(&placed.name).map(|(_, p)| p.clone());
		let price_changed = previous.as_ref().is_some_and(|p| {
			(p.price_per_call, p.price_rise) != (placed.price_per_call, placed.price_rise)
		});
		if let Some(entry) = self.running.lock().expect("not poisoned").get_mut(&placed.name) {
			entry.1 = placed.clone();
		}
		let versions = deployment.versions();
		if versions.is_empty() {
			if changed {
				peer.withdraw(&placed.name);
			}
			return;
		}
		let local = peer.id().to_string();
		let served_here =
			peer.service(&placed.name).iter().any(|s| s.nodes.iter().any(|n| n.id == local));
		if changed || price_changed || !served_here {
			let newest = versions.iter().map(|v| v.version).max().unwrap_or_default();
			let endpoints = placed
				.versions
				.iter()
				.find(|v| v.version == newest)
				.map(|v| v.endpoints.clone())
				.unwrap_or_default();
			let priced = Priced {
				service: placed.service,
				price_per_call: placed.price_per_call,
				price_rise: placed.price_rise,
			};
			let service = metered_wasm_service(
				deployment,
				&newest.to_string(),
				endpoints,
				Some((self.meter.clone(), priced)),
			)
			.metadata("service-id", &placed.service.to_string())
			.metadata("price-per-call", &placed.price_per_call.to_string());
			if let Err(error) = peer.serve(service) {
				log::warn!(target: "mucp", "serving {}: {error}", placed.name);
			}
		}
	}
}
