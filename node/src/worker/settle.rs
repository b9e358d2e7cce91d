//! Heartbeats and usage reports: the worker's transactions, authorized by the node key alone.
//!
//! Every `interval` blocks the settler reads the node's last settled report from the chain,
//! lets the ledger confirm the report in flight if the chain has it, and submits the next one:
//! the one still in flight (same sequence, so the chain can settle it once at most) or a new
//! batch of the calls not settled yet. A report the pool drops or that does not get in is
//! simply submitted again next time.

use std::sync::Arc;

use codec::Encode;
use micro_primitives::{NodeId, HEARTBEAT_CONTEXT, USAGE_REPORT_CONTEXT};
use micro_runtime::{BlockNumber, Runtime, RuntimeCall};
use mucp_offchain::settlement::{ChainView, Meter, PendingReport};
use sp_core::Pair as _;

use super::{chain::Chain, keys::NodeKeyPair};

/// Most records one report carries: the runtime's `MaxRecords`.
fn max_records() -> usize {
	use frame_support::traits::Get;
	let max: u32 = <Runtime as pallet_micro_settlement::Config>::MaxRecords::get();
	max as usize
}

/// Submits heartbeats and usage reports when due.
pub struct Settler {
	chain: Arc<Chain>,
	meter: Arc<Meter>,
	key: NodeKeyPair,
	interval: BlockNumber,
	last_report_attempt: Option<BlockNumber>,
	last_heartbeat_attempt: Option<BlockNumber>,
}

impl Settler {
	/// A settler for the node with `key`, reporting every `interval` blocks.
	pub fn new(chain: Arc<Chain>, meter: Arc<Meter>, key: NodeKeyPair, interval: u32) -> Self {
		Self {
			chain,
			meter,
			key,
			interval: interval.max(1),
			last_report_attempt: None,
			last_heartbeat_attempt: None,
		}
	}

	/// What to do at best block `best` for registered node `node`.
	pub async fn on_block(&mut self, node: NodeId, best: BlockNumber) {
		if let Err(error) = self.heartbeat(node, best).await {
			log::warn!(target: "mucp", "heartbeat: {error}");
		}
		if let Err(error) = self.settle(node, best).await {
			log::warn!(target: "mucp", "usage report: {error}");
		}
	}

	async fn heartbeat(&mut self, node: NodeId, best: BlockNumber) -> Result<(), String> {
		use pallet_micro_nodes::{HeartbeatTtlViewFunction, NodeViewFunction};
		let (at, _) = self.chain.best();
		let Some(info) = self.chain.view(at, NodeViewFunction::<Runtime>::new(node))? else {
			return Ok(());
		};
		let ttl = self.chain.view(at, HeartbeatTtlViewFunction::<Runtime>::new())?;
		let every = (ttl / 4).max(1);
		let due = best >= info.last_heartbeat.saturating_add(every);
		let retry = self.last_heartbeat_attempt.is_none_or(|a| best > a + every / 2);
		if !due || !retry {
			return Ok(());
		}
		self.last_heartbeat_attempt = Some(best);
		let genesis = self.chain.genesis();
		let signature = self.key.sign(&(HEARTBEAT_CONTEXT, genesis, node, best).encode());
		let call = RuntimeCall::MicroNodes(pallet_micro_nodes::Call::heartbeat {
			node,
			at: best,
			signature,
		});
		self.chain.submit_authorized(call).await?;
		log::debug!(target: "mucp", "heartbeat at block {best} submitted");
		Ok(())
	}

	async fn settle(&mut self, node: NodeId, best: BlockNumber) -> Result<(), String> {
		if self.last_report_attempt.is_some_and(|a| best < a + self.interval) {
			return Ok(());
		}
		let (at, _) = self.chain.best();
		let last = self
			.chain
			.view(at, pallet_micro_settlement::LastReportViewFunction::<Runtime>::new(node))?;
		let ledger = self.meter.ledger();
		if let Some((sequence, _)) = last {
			if let Some(done) = ledger.confirm(sequence)? {
				let calls: u64 = done.records.iter().map(|r| r.calls).sum();
				let value: u128 = done.values.iter().sum();
				log::info!(
					target: "mucp",
					"usage report {} settled: {calls} call(s) worth up to {value} API tokens in {} record(s)",
					done.sequence, done.records.len()
				);
			}
		}
		if let Some((_, settled_at)) = last {
			if best < settled_at + self.interval {
				return Ok(());
			}
		}
		let Some(report) = ledger.prepare(max_records(), last.map(|(s, _)| s), best)? else {
			return Ok(());
		};
		self.last_report_attempt = Some(best);
		let call = self.report_call(node, &report)?;
		self.chain.submit_authorized(call).await?;
		log::info!(
			target: "mucp",
			"usage report {} submitted: {} record(s)",
			report.sequence, report.records.len()
		);
		Ok(())
	}

	fn report_call(&self, node: NodeId, pending: &PendingReport) -> Result<RuntimeCall, String> {
		let records = pending
			.records
			.clone()
			.try_into()
			.map_err(|_| format!("more than {} records", max_records()))?;
		let report: pallet_micro_settlement::ReportOf<Runtime> =
			pallet_micro_settlement::UsageReport { node, sequence: pending.sequence, records };
		let payload = sp_io::hashing::blake2_256(
			&(USAGE_REPORT_CONTEXT, self.chain.genesis(), &report).encode(),
		);
		let signature = self.key.sign(&payload);
		Ok(RuntimeCall::Settlement(pallet_micro_settlement::Call::submit_usage {
			report,
			signature,
		}))
	}
}
