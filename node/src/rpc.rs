//! The node's own JSON-RPC methods, on top of the standard set `sc-service` provides (legacy
//! `chain_*`/`state_*`/`author_*`/`system_*` and the new `chainHead_v1`/`transaction_v1`).
//!
//! Besides `system_accountNextIndex` and `payment_queryInfo`/`payment_queryFeeDetails`, the
//! MUCP worker's off-chain view:
//!
//! | Method | Answers |
//! |---|---|
//! | `micro_identity` | the node key, MUCP peer id and addresses, gateway, on-chain node id |
//! | `micro_networkNodes` | the nodes this peer knows, with their services and round trips |
//! | `micro_networkServices` | every service in the registry, with its endpoints and nodes |
//! | `micro_networkRoutes` | the ranked routes to a service (all services without one) |
//! | `micro_networkGraph` | who is connected to whom |
//! | `micro_deployments` | the versions placed here: building, running or failed; calls; log lines |
//! | `micro_logs` | unsafe, with the RPC token: a service's log lines here, oldest first |
//! | `micro_usage` | calls served and not settled yet, and the report in flight |
//! | `micro_nodeKeyProof` | unsafe, with the RPC token: the node key's proof for an operator |
//! | `micro_rpcTokenFile` | unsafe: where the node keeps its RPC token |
//!
//! `micro_nodeKeyProof` signs with the node key, so besides being unsafe (loopback or
//! `--rpc-methods unsafe` only) it asks for the node's RPC token, which only someone who can
//! read a file on the node's machine has: a web page that reaches the RPC (any page on `--dev`,
//! a DNS-rebinding page elsewhere) cannot register the node under its own operator
//! ([`crate::worker::rpc_token`]).
//!
//! `micro_logs` (`[service, version?, since?, rpc token]`) asks for the RPC token too: a
//! service's log lines can carry its callers' data, and a web page reaching the RPC on
//! loopback must not read them; only the operator does. It answers a page (at most 256 lines
//! and 512 KiB of JSON): while `more` is true, ask again with `since` = its `next`.

use std::sync::Arc;

use jsonrpsee::{types::ErrorObjectOwned, Extensions, RpcModule};
use micro_runtime::{opaque::Block, AccountId, Balance, Nonce};
use sc_transaction_pool_api::TransactionPool;
use sp_api::ProvideRuntimeApi;
use sp_block_builder::BlockBuilder;
use sp_blockchain::{Error as BlockChainError, HeaderBackend, HeaderMetadata};

use crate::worker::{Worker, WorkerSlot};

/// What the RPC methods need from the node.
pub struct FullDeps<C, P> {
	/// The client.
	pub client: Arc<C>,
	/// The transaction pool.
	pub pool: Arc<P>,
	/// The MUCP worker, once started.
	pub worker: WorkerSlot,
}

fn error(code: i32, message: impl Into<String>) -> ErrorObjectOwned {
	ErrorObjectOwned::owned(code, message.into(), None::<()>)
}

fn worker(slot: &WorkerSlot) -> Result<&Arc<Worker>, ErrorObjectOwned> {
	slot.get().ok_or_else(|| error(-32010, "the MUCP worker is not running on this node"))
}

/// The worker's methods.
pub fn micro_module(
	slot: WorkerSlot,
) -> Result<RpcModule<WorkerSlot>, jsonrpsee::core::RegisterMethodError> {
	let mut module = RpcModule::new(slot);
	module.register_method("micro_identity", |_, slot, _| worker(slot).map(|w| w.identity()))?;
	module.register_async_method("micro_networkNodes", |_, slot, _| async move {
		Ok::<_, ErrorObjectOwned>(worker(&slot)?.peer.network().await.nodes)
	})?;
	module.register_method("micro_networkServices", |_, slot, _| {
		worker(slot).map(|w| w.peer.services())
	})?;
	module.register_async_method("micro_networkRoutes", |params, slot, _| async move {
		let service: Option<String> = params.sequence().optional_next().unwrap_or_default();
		let view = worker(&slot)?.peer.network().await;
		Ok::<_, ErrorObjectOwned>(match service {
			Some(service) => view.routes_to(service.as_str()).cloned().collect::<Vec<_>>(),
			None => view.routes,
		})
	})?;
	module.register_async_method("micro_networkGraph", |_, slot, _| async move {
		let view = worker(&slot)?.peer.network().await;
		Ok::<_, ErrorObjectOwned>(serde_json::json!({ "local": view.local, "edges": view.edges }))
	})?;
	module.register_method("micro_deployments", |_, slot, _| {
		worker(slot).map(|w| w.deployer.states())
	})?;
	module.register_method("micro_logs", |params, slot, ext: &Extensions| {
		sc_rpc_api::check_if_safe(ext).map_err(|e| error(-32601, e.to_string()))?;
		let worker = worker(slot)?;
		let invalid = |e: ErrorObjectOwned| {
			error(-32602, format!("[service, version?, since?, rpc token]: {e}"))
		};
		let mut params = params.sequence();
		let service: String = params.next().map_err(invalid)?;
		let version: Option<u32> = params.optional_next().map_err(invalid)?;
		let since: Option<u64> = params.optional_next().map_err(invalid)?;
		let token: Option<String> = params.optional_next().map_err(invalid)?;
		if !token.is_some_and(|token| worker.rpc_token.matches(&token)) {
			return Err(error(
				-32011,
				format!(
					"micro_logs needs this node's RPC token: the contents of {} on the node's \
					 machine (`micro logs` reads it there)",
					worker.rpc_token.file().display()
				),
			));
		}
		worker.deployer.logs(&service, version, since).map_err(|e| error(-32012, e))
	})?;
	module.register_method("micro_usage", |_, slot, _| {
		let worker = worker(slot)?;
		let ledger = worker.meter.ledger();
		let in_flight = ledger.in_flight().map(|r| {
			serde_json::json!({
				"sequence": r.sequence,
				"records": r.records.len(),
				"calls": r.records.iter().map(|r| r.calls).sum::<u64>(),
			})
		});
		Ok::<_, ErrorObjectOwned>(serde_json::json!({
			"unsettledCalls": ledger.unsettled(),
			"inFlight": in_flight,
		}))
	})?;
	module.register_method("micro_rpcTokenFile", |_, slot, ext: &Extensions| {
		sc_rpc_api::check_if_safe(ext).map_err(|e| error(-32601, e.to_string()))?;
		Ok::<_, ErrorObjectOwned>(worker(slot)?.rpc_token.file().display().to_string())
	})?;
	module.register_method("micro_nodeKeyProof", |params, slot, ext: &Extensions| {
		sc_rpc_api::check_if_safe(ext).map_err(|e| error(-32601, e.to_string()))?;
		let worker = worker(slot)?;
		let invalid =
			|e: ErrorObjectOwned| error(-32602, format!("[operator, nonce, rpc token]: {e}"));
		let mut params = params.sequence();
		let operator: String = params.next().map_err(invalid)?;
		let nonce: u32 = params.next().map_err(invalid)?;
		let token: Option<String> = params.optional_next().map_err(invalid)?;
		if !token.is_some_and(|token| worker.rpc_token.matches(&token)) {
			return Err(error(
				-32011,
				format!(
					"micro_nodeKeyProof needs this node's RPC token: the contents of {} on the \
					 node's machine (`micro node register` reads it there)",
					worker.rpc_token.file().display()
				),
			));
		}
		let operator = <AccountId as sp_core::crypto::Ss58Codec>::from_ss58check(&operator)
			.map_err(|e| error(-32602, format!("operator `{operator}`: {e:?}")))?;
		let genesis = mucp_offchain::settlement::ChainView::genesis(worker.chain.as_ref());
		let proof = crate::worker::keys::key_proof(&worker.key, &genesis, &operator, nonce);
		let identity = worker.identity();
		Ok::<_, ErrorObjectOwned>(serde_json::json!({
			"nodeKey": identity.node_key,
			"proof": mucp_offchain::hex::prefixed(&proof.0),
			"peerId": identity.peer_id,
			"addresses": identity.addresses,
		}))
	})?;
	Ok(module)
}

/// The node's RPC methods.
pub fn create_full<C, P>(
	deps: FullDeps<C, P>,
) -> Result<RpcModule<()>, Box<dyn std::error::Error + Send + Sync>>
where
	C: ProvideRuntimeApi<Block>,
	C: HeaderBackend<Block> + HeaderMetadata<Block, Error = BlockChainError> + 'static,
	C: Send + Sync + 'static,
	C::Api: substrate_frame_rpc_system::AccountNonceApi<Block, AccountId, Nonce>,
	C::Api: pallet_transaction_payment_rpc::TransactionPaymentRuntimeApi<Block, Balance>,
	C::Api: BlockBuilder<Block>,
	P: TransactionPool + 'static,
{
	use pallet_transaction_payment_rpc::{TransactionPayment, TransactionPaymentApiServer};
	use substrate_frame_rpc_system::{System, SystemApiServer};

	let mut module = RpcModule::new(());
	let FullDeps { client, pool, worker } = deps;

	module.merge(System::new(client.clone(), pool).into_rpc())?;
	module.merge(TransactionPayment::new(client).into_rpc())?;
	module.merge(micro_module(worker)?)?;

	Ok(module)
}
