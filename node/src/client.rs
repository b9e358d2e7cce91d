//! The node's client types: the full client, its backend, the chain selection and the
//! transaction pool, named once for [`crate::service`] (which builds them) and
//! [`crate::worker`] (which reads and submits through them).

use micro_runtime::{apis::RuntimeApi, opaque::Block};

/// The full client: native node code, runtime executed as wasm.
pub type FullClient = sc_service::TFullClient<
	Block,
	RuntimeApi,
	sc_executor::WasmExecutor<sp_io::SubstrateHostFunctions>,
>;
/// The full client's database backend.
pub type FullBackend = sc_service::TFullBackend<Block>;
/// The chain selection: the longest chain.
pub type FullSelectChain = sc_consensus::LongestChain<FullBackend, Block>;
/// The transaction pool over the full client.
pub type FullPool = sc_transaction_pool::TransactionPoolHandle<Block, FullClient>;
