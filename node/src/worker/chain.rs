//! What the worker reads from the chain: the pallets' view functions, run natively against the
//! node's own client at its best block, and authorized transactions it puts in the pool.
//!
//! The chain is also the MUCP registry's [`Authority`]: a node is known by the peer id of its
//! on-chain node key (the key is its libp2p identity), and is believed only about the service
//! versions the chain places on it.

use std::{
	collections::{BTreeSet, HashMap},
	sync::{Arc, Mutex, RwLock},
};

use codec::{Decode, Encode};
use frame_support::view_functions::{runtime_api::RuntimeViewFunction, ViewFunction};
use micro_primitives::{NodeId, NodeKey};
use micro_runtime::{opaque::Block, AccountId, BlockNumber, Runtime, RuntimeCall};
use mucp_offchain::{
	authority::{peer_id_of_node_key, Authority},
	peer::PeerId,
	settlement::ChainView,
};
use sc_client_api::HeaderBackend;
use sc_transaction_pool_api::{TransactionPool, TransactionSource};
use sp_api::ProvideRuntimeApi;
use sp_runtime::traits::Block as BlockT;

use crate::client::{FullClient, FullPool};

/// The transaction pool the worker submits to.
pub type Pool = FullPool;
type Hash = <Block as BlockT>::Hash;

/// What the worker knows of the registered nodes at one block.
#[derive(Clone, Debug, Default)]
pub struct NodesSnapshot {
	/// The best block's number.
	pub best: BlockNumber,
	/// This node's id, once registered.
	pub own: Option<NodeId>,
	/// Each registered node's operator, by its MUCP peer id (base58).
	pub operators: HashMap<String, AccountId>,
	/// Each registered node's peer id and addresses, for joining the network.
	pub addresses: Vec<(String, Vec<String>)>,
	/// Each registered node, by the peer id of its node key, with the versions of each
	/// service the chain places on it (retired ones left out): whom the registry believes,
	/// and about what.
	pub placed: HashMap<PeerId, HashMap<String, BTreeSet<String>>>,
}

/// The chain as the worker sees it.
pub struct Chain {
	client: Arc<FullClient>,
	pool: Arc<Pool>,
	genesis: [u8; 32],
	key: NodeKey,
	snapshot: RwLock<NodesSnapshot>,
	views: Mutex<ViewCache>,
}

/// Most answers the view cache keeps of one kind: past it, that kind starts over.
const MAX_CACHED_VIEWS: usize = 4096;

/// The view functions a paid call reads, answered at one best block and kept until the best
/// block changes: the second call of a consumer in a block costs map lookups, not runtime
/// calls. A revocation is read again as soon as a new best block comes, as it was read at the
/// best block before. Errors are not kept.
#[derive(Default)]
struct ViewCache {
	at: Option<Hash>,
	tokens: HashMap<AccountId, u128>,
	held: HashMap<(AccountId, NodeId), (u128, BlockNumber)>,
	revoked: HashMap<(AccountId, NodeId), Option<u64>>,
	free: HashMap<(AccountId, NodeId), (u32, u64)>,
}

impl Chain {
	/// The chain of `client`, for the node whose key is `key`.
	pub fn new(client: Arc<FullClient>, pool: Arc<Pool>, key: NodeKey) -> Self {
		let genesis = client.info().genesis_hash.into();
		Self {
			client,
			pool,
			genesis,
			key,
			snapshot: RwLock::new(NodesSnapshot::default()),
			views: Mutex::new(ViewCache::default()),
		}
	}

	/// `read` at the best block, or its answer kept from an earlier call at the same block.
	fn cached<K, V>(
		&self,
		kind: fn(&mut ViewCache) -> &mut HashMap<K, V>,
		key: K,
		read: impl FnOnce(Hash) -> Result<V, String>,
	) -> Result<V, String>
	where
		K: std::hash::Hash + Eq,
		V: Clone,
	{
		let (at, _) = self.best();
		{
			let mut views = self.views.lock().expect("not poisoned");
			if views.at != Some(at) {
				*views = ViewCache { at: Some(at), ..Default::default() };
			}
			if let Some(value) = kind(&mut views).get(&key) {
				return Ok(value.clone());
			}
		}
		let value = read(at)?;
		let mut views = self.views.lock().expect("not poisoned");
		if views.at == Some(at) {
			let answers = kind(&mut views);
			if answers.len() >= MAX_CACHED_VIEWS {
				answers.clear();
			}
			answers.insert(key, value.clone());
		}
		Ok(value)
	}

	/// The best block's hash and number.
	pub fn best(&self) -> (Hash, BlockNumber) {
		let info = self.client.info();
		(info.best_hash, info.best_number)
	}

	/// Runs view function `view` at block `at`.
	pub fn view<V>(&self, at: Hash, view: V) -> Result<V::ReturnType, String>
	where
		V: ViewFunction + Encode,
		V::ReturnType: Decode,
	{
		let output = self
			.client
			.runtime_api()
			.execute_view_function(at, V::id(), view.encode())
			.map_err(|e| format!("the runtime API failed: {e}"))?
			.map_err(|e| format!("the view function failed: {e:?}"))?;
		V::ReturnType::decode(&mut &output[..]).map_err(|e| format!("its output: {e}"))
	}

	/// Reads the registered nodes and the services placed on them at the best block, and
	/// keeps them for [`ChainView`] and [`Authority`].
	pub fn refresh(&self) -> Result<NodesSnapshot, String> {
		use pallet_micro_nodes::{NodeByKeyViewFunction, NodeViewFunction, NodesViewFunction};
		let (at, best) = self.best();
		let own = self.view(at, NodeByKeyViewFunction::<Runtime>::new(self.key))?;
		let mut snapshot = NodesSnapshot { best, own, ..Default::default() };
		let mut peers = HashMap::new();
		for (node, _online) in self.view(at, NodesViewFunction::<Runtime>::new())? {
			let Some(info) = self.view(at, NodeViewFunction::<Runtime>::new(node))? else {
				continue;
			};
			// The node key is the node's MUCP identity: the peer id derived from it names the
			// node, not the peer id text registered beside it (which nothing checks).
			let Some(peer_id) = peer_id_of_node_key(&info.key.0) else { continue };
			let peer = peer_id.to_string();
			if info.peer_id.as_slice() != peer.as_bytes() {
				log::debug!(
					target: "mucp",
					"node {node} registered peer id {}, its key's is {peer}: the key's is used",
					String::from_utf8_lossy(&info.peer_id)
				);
			}
			let addresses =
				info.addresses.iter().map(|a| String::from_utf8_lossy(a).into_owned()).collect();
			snapshot.operators.insert(peer.clone(), info.operator);
			snapshot.addresses.push((peer, addresses));
			snapshot.placed.insert(peer_id, HashMap::new());
			peers.insert(node, peer_id);
		}
		self.read_placements(at, &peers, &mut snapshot.placed)?;
		*self.snapshot.write().expect("not poisoned") = snapshot.clone();
		Ok(snapshot)
	}

	/// Adds to `placed` the versions of every service placed on the nodes in `peers`, retired
	/// versions left out.
	fn read_placements(
		&self,
		at: Hash,
		peers: &HashMap<NodeId, PeerId>,
		placed: &mut HashMap<PeerId, HashMap<String, BTreeSet<String>>>,
	) -> Result<(), String> {
		use pallet_micro_services::{
			PlacementsViewFunction, ServicesViewFunction, VersionStatus, VersionsViewFunction,
		};
		for (service, name, _owner) in self.view(at, ServicesViewFunction::<Runtime>::new())? {
			let placements = self.view(at, PlacementsViewFunction::<Runtime>::new(service))?;
			if placements.is_empty() {
				continue;
			}
			let retired: BTreeSet<u32> = self
				.view(at, VersionsViewFunction::<Runtime>::new(service))?
				.into_iter()
				.filter(|(_, _, status)| *status == VersionStatus::Retired)
				.map(|(version, _, _)| version)
				.collect();
			let name = String::from_utf8_lossy(&name).into_owned();
			for (node, versions, _online) in placements {
				let Some(peer) = peers.get(&node) else { continue };
				let live: BTreeSet<String> = versions
					.iter()
					.filter(|version| !retired.contains(*version))
					.map(|version| version.to_string())
					.collect();
				if !live.is_empty() {
					placed.entry(*peer).or_default().insert(name.clone(), live);
				}
			}
		}
		Ok(())
	}

	/// The last snapshot [`refresh`](Self::refresh) took.
	pub fn snapshot(&self) -> NodesSnapshot {
		self.snapshot.read().expect("not poisoned").clone()
	}

	/// Puts `call` in the pool as a general transaction with no signer: the call's own
	/// `#[pallet::authorize]` check (a node signature) is what admits it.
	pub async fn submit_authorized(&self, call: RuntimeCall) -> Result<(), String> {
		let opaque = crate::authorized::extrinsic(call)?;
		let (at, _) = self.best();
		self.pool
			.submit_one(at, TransactionSource::Local, opaque)
			.await
			.map(drop)
			.map_err(|e| format!("{e}"))
	}
}

impl std::fmt::Debug for Chain {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		f.debug_struct("Chain").field("key", &self.key).finish_non_exhaustive()
	}
}

/// The registry believes the chain: registered nodes, about the versions placed on them.
impl Authority for Chain {
	fn is_registered(&self, node: &PeerId) -> bool {
		self.snapshot.read().expect("not poisoned").placed.contains_key(node)
	}

	fn placed(&self, node: &PeerId, service: &str, version: &str) -> bool {
		let snapshot = self.snapshot.read().expect("not poisoned");
		snapshot
			.placed
			.get(node)
			.and_then(|services| services.get(service))
			.is_some_and(|versions| versions.contains(version))
	}
}

impl ChainView for Chain {
	fn genesis(&self) -> [u8; 32] {
		self.genesis
	}

	fn best_block(&self) -> BlockNumber {
		self.client.info().best_number
	}

	fn node_id(&self) -> Option<NodeId> {
		self.snapshot.read().expect("not poisoned").own
	}

	fn tokens_of(&self, who: &AccountId) -> u128 {
		self.cached(
			|views| &mut views.tokens,
			who.clone(),
			|at| {
				self.view(at, pallet_micro_tokens::BalanceViewFunction::<Runtime>::new(who.clone()))
					.map(|(spendable, _refreshable)| spendable)
			},
		)
		.unwrap_or(0)
	}

	fn held_for(&self, who: &AccountId, node: NodeId) -> (u128, BlockNumber) {
		self.cached(
			|views| &mut views.held,
			(who.clone(), node),
			|at| {
				self.view(
					at,
					pallet_micro_tokens::HeldForNodeViewFunction::<Runtime>::new(who.clone(), node),
				)
			},
		)
		.unwrap_or((0, 0))
	}

	fn revoked_up_to(&self, who: &AccountId, node: NodeId) -> Result<Option<u64>, String> {
		self.cached(
			|views| &mut views.revoked,
			(who.clone(), node),
			|at| {
				let revocation = self.view(
					at,
					pallet_micro_settlement::RevocationViewFunction::<Runtime>::new(
						who.clone(),
						node,
					),
				)?;
				Ok(revocation.map(|r| r.nonce.max(r.in_effect.unwrap_or(0))))
			},
		)
	}

	fn operator_of_peer(&self, peer: &str) -> Option<AccountId> {
		self.snapshot.read().expect("not poisoned").operators.get(peer).cloned()
	}

	fn free_calls_reserved(&self, who: &AccountId, node: NodeId) -> (u32, u64) {
		self.cached(
			|views| &mut views.free,
			(who.clone(), node),
			|at| {
				self.view(
					at,
					pallet_micro_reputation::FreeCallsReservedViewFunction::<Runtime>::new(
						who.clone(),
						node,
					),
				)
				.map(|(calls, period)| (calls, u64::from(period)))
			},
		)
		.unwrap_or((0, 0))
	}
}
