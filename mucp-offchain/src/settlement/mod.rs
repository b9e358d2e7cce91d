//! Settlement: who pays for a call, what this node served, and the reports that settle it.
//!
//! A consumer pays for calls with a signed
//! [`UsageAllowance`](micro_primitives::UsageAllowance) (see `pallet-micro-settlement`) that it
//! sends in the [`ALLOWANCE_HEADER`]: one or more allowances, comma separated, each the hex of
//! the SCALE encoding of a [`SignedAllowance`]. The node that serves the call takes the one
//! naming itself. A call with no allowance is free if it fits the free calls the caller
//! reserved for this node: the caller is the node the call came from (the `Micro-Caller`
//! header the peer sets), and its operator's reservation is the one that counts.
//!
//! - [`meter`](Meter): admits calls against the chain's view ([`ChainView`]), refusing with a
//!   `Micro-Error` what the chain would refuse to settle; reserves a call's room as it admits
//!   it, and counts it only if it was answered before its caller's deadline; answers a retry of
//!   a call it already served (the same `Micro-Id`) without charging again.
//! - [`ledger`](Ledger): counts what was served, with its value, and the free calls used, in
//!   redb, and keeps the report in flight, so a restart neither loses the cursor, nor settles
//!   a call twice, nor refreshes a free quota: a report keeps its sequence until the chain shows
//!   it settled ([`Ledger::confirm`]), and the chain refuses a sequence twice.
//!
//! Free calls are reserved for a node, like a hold (issue 17). The chain counts an account's
//! free calls only when they are spent through it: claimed as tokens (`claim_free_tokens`) or
//! reserved for one node (`reserve_free_calls` in `pallet-micro-reputation`), which takes them
//! from the account's quota at once. A node serves an account free calls only up to what the
//! account reserved for this node in the chain's current quota period
//! ([`ChainView::free_calls_reserved`]), counted in its ledger per account and period (a
//! restart does not refresh them; a new period starts from its own reservation). The attack it
//! stops: each node used to check only the quota the chain said was left, which the free calls
//! it served never touched, so an account spent its whole quota once on every node, free usage
//! multiplied by the number of nodes. Now the quota is spent once network-wide: calls reserved
//! for another node, or in a past period, are not served here.

use codec::{Decode, Encode};
use micro_primitives::{NodeId, ServiceId, USAGE_ALLOWANCE_CONTEXT};
use sp_core::{crypto::Pair as _, sr25519};
use sp_runtime::{AccountId32, MultiSignature};

mod ledger;
mod meter;

pub use ledger::{Ledger, PendingReport, Reservation, Standing};
pub use meter::{
	Admission, Meter, MAX_REPLAYS, MAX_REPLAY_ANSWER, MAX_REPLAY_BYTES, REPLAY_WINDOW,
};

/// The header a consumer's allowances travel in.
pub const ALLOWANCE_HEADER: &str = "Micro-Allowance";
/// The header the serving peer sets to the peer id of the node a call came from.
pub const CALLER_HEADER: &str = "Micro-Caller";

/// An account on the Micro Network.
pub type AccountId = AccountId32;
/// A block number on the Micro Network.
pub type BlockNumber = u32;
/// A consumer's allowance, with the runtime's types.
pub type Allowance = micro_primitives::UsageAllowance<AccountId, BlockNumber>;
/// One record of a usage report, with the runtime's types.
pub type UsageRecord = micro_primitives::UsageRecord<AccountId, BlockNumber, MultiSignature>;

/// Most allowances one header may carry.
pub const MAX_ALLOWANCES_PER_CALL: usize = 16;

/// An allowance with its consumer's signature.
#[derive(Clone, PartialEq, Eq, Debug, Encode, Decode)]
pub struct SignedAllowance {
	/// What the consumer allows.
	pub allowance: Allowance,
	/// The consumer's signature over `(USAGE_ALLOWANCE_CONTEXT, genesis_hash, allowance)`.
	pub signature: MultiSignature,
}

impl SignedAllowance {
	/// The bytes a consumer signs for `allowance` on the chain with `genesis`.
	pub fn message(genesis: &[u8; 32], allowance: &Allowance) -> Vec<u8> {
		(USAGE_ALLOWANCE_CONTEXT, genesis, allowance).encode()
	}

	/// `allowance` signed by `consumer` (an sr25519 key, as wallets hold).
	pub fn sign(genesis: &[u8; 32], allowance: Allowance, consumer: &sr25519::Pair) -> Self {
		let signature = consumer.sign(&Self::message(genesis, &allowance)).into();
		Self { allowance, signature }
	}

	/// Whether the signature is the consumer's over this allowance on the chain with `genesis`,
	/// signed as it is or wrapped as browser wallets sign raw bytes (as the chain checks it).
	pub fn verify(&self, genesis: &[u8; 32]) -> bool {
		micro_primitives::verify_raw_or_wrapped(
			&self.signature,
			&Self::message(genesis, &self.allowance)[..],
			&self.allowance.consumer,
		)
	}

	/// The header text: `0x` and the hex of the SCALE encoding.
	pub fn to_text(&self) -> String {
		crate::hex::prefixed(&self.encode())
	}

	/// Reads one allowance from its header text.
	pub fn from_text(text: &str) -> Result<Self, String> {
		let text = text.trim();
		let digits = text.strip_prefix("0x").unwrap_or(text);
		let bytes = crate::hex::decode(digits).ok_or("an allowance is 0x and hex digits")?;
		let mut input = bytes.as_slice();
		let signed = Self::decode(&mut input).map_err(|e| format!("not an allowance: {e}"))?;
		if !input.is_empty() {
			return Err("trailing bytes after the allowance".into());
		}
		Ok(signed)
	}

	/// Reads the allowances of an [`ALLOWANCE_HEADER`] value.
	pub fn parse_header(value: &str) -> Result<Vec<Self>, String> {
		let parts: Vec<&str> = value.split(',').filter(|p| !p.trim().is_empty()).collect();
		if parts.len() > MAX_ALLOWANCES_PER_CALL {
			return Err(format!("at most {MAX_ALLOWANCES_PER_CALL} allowances per call"));
		}
		parts.into_iter().map(Self::from_text).collect()
	}

	/// Where the ledger keeps this allowance: the consumer and the nonce.
	fn key(&self) -> Vec<u8> {
		(&self.allowance.consumer, self.allowance.nonce).encode()
	}
}

/// What the worker needs to know from the chain to admit a call.
pub trait ChainView: Send + Sync {
	/// The chain's genesis hash: allowances are signed for one chain.
	fn genesis(&self) -> [u8; 32];
	/// The best block's number.
	fn best_block(&self) -> BlockNumber;
	/// This node's on-chain id, once it is registered.
	fn node_id(&self) -> Option<NodeId>;
	/// `who`'s API tokens that have not expired and are not held for a node.
	fn tokens_of(&self, who: &AccountId) -> u128;
	/// `who`'s API tokens held for `node`, and the block the hold lasts until: only `node`'s
	/// reports can spend them before then, so they are the part of a consumer's balance a node
	/// can count on being paid from.
	fn held_for(&self, who: &AccountId, node: NodeId) -> (u128, BlockNumber);
	/// The highest nonce of `who`'s allowances for `node` that `who` revoked on chain, if any:
	/// the node stops serving them at once (they settle only until the revocation's notice
	/// ends). An error if the chain could not be read.
	fn revoked_up_to(&self, who: &AccountId, node: NodeId) -> Result<Option<u64>, String>;
	/// The operator of the registered node whose MUCP peer id is `peer`.
	fn operator_of_peer(&self, peer: &str) -> Option<AccountId>;
	/// The free calls `who` reserved on chain for `node` in the current quota period (none if
	/// the chain could not be read), and the period's first block: the most `node` may serve
	/// `who` for free this period, in all.
	fn free_calls_reserved(&self, who: &AccountId, node: NodeId) -> (u32, u64);
}

/// How a served call is paid.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Charge {
	/// Not at all: the service's price is zero, and the chain settles no unpaid usage.
	Unpriced,
	/// Against a consumer's allowance.
	Allowance(SignedAllowance),
	/// From `account`'s free quota in period `period`.
	Free {
		/// Whose quota.
		account: AccountId,
		/// The chain's quota period.
		period: u64,
	},
}

impl Charge {
	/// `allowance` or `free`, for logs.
	pub fn label(&self) -> &'static str {
		match self {
			Self::Unpriced => "unpriced",
			Self::Allowance(_) => "allowance",
			Self::Free { .. } => "free",
		}
	}
}

/// The service a call is to, as the chain knows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Priced {
	/// Its on-chain id.
	pub service: ServiceId,
	/// API tokens per call.
	pub price_per_call: u128,
	/// An announced rise: the price, and the block it applies from.
	pub price_rise: Option<(u128, BlockNumber)>,
}

impl Priced {
	/// The price a call admitted at block `best` may be settled at: settlement charges the
	/// price in force when the report lands, so a rise due before `best + margin` counts.
	pub fn settled_price(&self, best: BlockNumber, margin: BlockNumber) -> u128 {
		match self.price_rise {
			Some((price, from)) if from <= best.saturating_add(margin) => {
				price.max(self.price_per_call)
			}
			_ => self.price_per_call,
		}
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::protocol::{Message, MicroError};
	use sp_core::crypto::Pair;
	use std::sync::Arc;

	const GENESIS: [u8; 32] = [7; 32];

	struct FakeChain {
		node: Option<NodeId>,
		best: BlockNumber,
		tokens: u128,
		held: u128,
		held_until: BlockNumber,
		revoked: Option<u64>,
		/// Free calls reserved for `free_node` in `period`.
		free: u32,
		free_node: NodeId,
		period: u64,
	}

	impl ChainView for FakeChain {
		fn genesis(&self) -> [u8; 32] {
			GENESIS
		}
		fn best_block(&self) -> BlockNumber {
			self.best
		}
		fn node_id(&self) -> Option<NodeId> {
			self.node
		}
		fn tokens_of(&self, _: &AccountId) -> u128 {
			self.tokens
		}
		fn held_for(&self, _: &AccountId, _: NodeId) -> (u128, BlockNumber) {
			(self.held, self.held_until)
		}
		fn revoked_up_to(&self, _: &AccountId, _: NodeId) -> Result<Option<u64>, String> {
			Ok(self.revoked)
		}
		fn operator_of_peer(&self, peer: &str) -> Option<AccountId> {
			(peer == "known").then(|| AccountId::new([9; 32]))
		}
		fn free_calls_reserved(&self, _: &AccountId, node: NodeId) -> (u32, u64) {
			let reserved = if node == self.free_node { self.free } else { 0 };
			(reserved, self.period)
		}
	}

	fn consumer() -> sr25519::Pair {
		sr25519::Pair::from_string("//Charlie", None).unwrap()
	}

	fn allowance(node: NodeId, max_calls: u64, nonce: u64) -> SignedAllowance {
		let allowance = Allowance {
			consumer: consumer().public().into(),
			service: 0,
			node,
			max_calls,
			max_price_per_call: 10,
			expires_at: 1_000,
			nonce,
		};
		SignedAllowance::sign(&GENESIS, allowance, &consumer())
	}

	fn meter(dir: &tempfile::TempDir, chain: FakeChain) -> Meter {
		Meter::new(Ledger::open(&dir.path().join("ledger.redb")).unwrap(), Arc::new(chain), 20)
	}

	fn chain() -> FakeChain {
		FakeChain {
			node: Some(3),
			best: 10,
			tokens: 1_000,
			held: 0,
			held_until: 0,
			revoked: None,
			free: 0,
			free_node: 3,
			period: 1,
		}
	}

	/// A call with no allowance from the registered caller `known`, with Micro-Id `id`.
	fn free_call(id: &str) -> Message {
		let mut request = call_with(None);
		request.set(CALLER_HEADER, "known");
		request.set(crate::protocol::header::ID, id);
		request
	}

	fn call_with(header: Option<String>) -> Message {
		let mut message = Message::call("c1", "greeter", "Say.Hello", b"{}".to_vec());
		if let Some(header) = header {
			message.set(ALLOWANCE_HEADER, &header);
		}
		message
	}

	const PRICED: Priced = Priced { service: 0, price_per_call: 10, price_rise: None };

	/// A chain whose runtime reads (revocations, holds, tokens) are counted.
	struct CountingChain {
		chain: FakeChain,
		reads: std::sync::atomic::AtomicUsize,
	}

	impl CountingChain {
		fn read(&self) {
			self.reads.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
		}
	}

	impl ChainView for CountingChain {
		fn genesis(&self) -> [u8; 32] {
			self.chain.genesis()
		}
		fn best_block(&self) -> BlockNumber {
			self.chain.best_block()
		}
		fn node_id(&self) -> Option<NodeId> {
			self.chain.node_id()
		}
		fn tokens_of(&self, account: &AccountId) -> u128 {
			self.read();
			self.chain.tokens_of(account)
		}
		fn held_for(&self, account: &AccountId, node: NodeId) -> (u128, BlockNumber) {
			self.read();
			self.chain.held_for(account, node)
		}
		fn revoked_up_to(&self, account: &AccountId, node: NodeId) -> Result<Option<u64>, String> {
			self.read();
			self.chain.revoked_up_to(account, node)
		}
		fn operator_of_peer(&self, peer: &str) -> Option<AccountId> {
			self.chain.operator_of_peer(peer)
		}
		fn free_calls_reserved(&self, account: &AccountId, node: NodeId) -> (u32, u64) {
			self.chain.free_calls_reserved(account, node)
		}
	}

	#[test]
	fn allowances_the_ledger_or_signature_refuse_cost_no_runtime_reads() {
		let dir = tempfile::tempdir().unwrap();
		let chain = Arc::new(CountingChain { chain: chain(), reads: Default::default() });
		let ledger = Ledger::open(&dir.path().join("ledger.redb")).unwrap();
		let meter = Meter::new(ledger.clone(), chain.clone(), 20);
		ledger.count(&allowance(3, 5, 2), 1, 1).unwrap();
		ledger.count(&allowance(3, 1, 3), 1, 1).unwrap();
		let mut forged = allowance(3, 5, 4);
		forged.allowance.max_calls = 500;
		let mut expiring = allowance(3, 5, 5);
		expiring.allowance.expires_at = 15;
		let expiring = SignedAllowance::sign(&GENESIS, expiring.allowance, &consumer());
		for (signed, code) in [
			(allowance(3, 5, 1), 402), // replaced by nonce 2
			(allowance(3, 1, 3), 402), // its one call used up
			(forged, 403),
			(expiring, 402),
		] {
			let error = meter.admit(&call_with(Some(signed.to_text())), PRICED).unwrap_err();
			assert_eq!(error.code, code, "{error:?}");
		}
		assert_eq!(chain.reads.load(std::sync::atomic::Ordering::SeqCst), 0);
		meter.admit(&call_with(Some(allowance(3, 5, 6).to_text())), PRICED).unwrap();
		assert_eq!(chain.reads.load(std::sync::atomic::Ordering::SeqCst), 3, "a good one reads");
	}

	#[test]
	fn an_allowance_round_trips_through_its_header_and_verifies() {
		let signed = allowance(3, 5, 1);
		let other = allowance(4, 5, 1);
		let header = format!("{}, {}", signed.to_text(), other.to_text());
		let parsed = SignedAllowance::parse_header(&header).unwrap();
		assert_eq!(parsed, vec![signed.clone(), other]);
		assert!(parsed[0].verify(&GENESIS));
		assert!(!parsed[0].verify(&[8; 32]), "signed for another chain");
		let mut tampered = signed;
		tampered.allowance.max_calls = 500;
		assert!(!tampered.verify(&GENESIS));
		assert!(SignedAllowance::from_text("0x12").is_err());
		assert!(SignedAllowance::from_text("nothex").is_err());
	}

	#[test]
	fn an_allowance_a_browser_wallet_signed_verifies_as_the_chain_checks_it() {
		use micro_primitives::{WRAPPED_BYTES_POSTFIX, WRAPPED_BYTES_PREFIX};
		let mut signed = allowance(3, 5, 1);
		let message = SignedAllowance::message(&GENESIS, &signed.allowance);
		let wrapped = [WRAPPED_BYTES_PREFIX, &message[..], WRAPPED_BYTES_POSTFIX].concat();
		signed.signature = consumer().sign(&wrapped).into();
		assert!(signed.verify(&GENESIS));
		assert!(!signed.verify(&[8; 32]), "signed for another chain");
		signed.signature = consumer().sign(&[WRAPPED_BYTES_PREFIX, &message[..]].concat()).into();
		assert!(!signed.verify(&GENESIS), "half a wrapper");
	}

	#[test]
	fn calls_are_admitted_within_the_allowance_and_refused_with_the_reason() {
		let dir = tempfile::tempdir().unwrap();
		let meter = meter(&dir, chain());
		let signed = allowance(3, 2, 1);
		let request =
			call_with(Some(format!("{},{}", allowance(4, 9, 1).to_text(), signed.to_text())));
		for _ in 0..2 {
			let charge = meter.admit(&request, PRICED).expect("admitted");
			assert_eq!(charge, Charge::Allowance(signed.clone()), "the one naming this node");
			meter.record(&charge, 1).unwrap();
		}
		let used_up = meter.admit(&request, PRICED).unwrap_err();
		assert_eq!((used_up.code, used_up.detail.contains("used up")), (402, true));

		let only_other = call_with(Some(allowance(4, 9, 1).to_text()));
		assert_eq!(meter.admit(&only_other, PRICED).unwrap_err().code, 402);
		let mut forged = allowance(3, 9, 2);
		forged.allowance.max_calls = 99;
		assert_eq!(meter.admit(&call_with(Some(forged.to_text())), PRICED).unwrap_err().code, 403);
		let malformed = meter.admit(&call_with(Some("0xzz".into())), PRICED).unwrap_err();
		assert_eq!(malformed.code, 400);
		assert_eq!(meter.admit(&call_with(None), PRICED).unwrap_err().code, 402, "no caller");
	}

	#[test]
	fn expiry_tokens_and_replaced_nonces_are_checked_before_serving() {
		let dir = tempfile::tempdir().unwrap();
		let expiring = meter(&dir, FakeChain { best: 990, ..chain() })
			.admit(&call_with(Some(allowance(3, 9, 1).to_text())), PRICED);
		assert!(expiring.unwrap_err().detail.contains("too soon"));

		let dir = tempfile::tempdir().unwrap();
		let meter = meter(&dir, FakeChain { tokens: 25, ..chain() });
		let request = call_with(Some(allowance(3, 9, 1).to_text()));
		for _ in 0..2 {
			let charge = meter.admit(&request, PRICED).unwrap();
			meter.record(&charge, 1).unwrap();
		}
		let broke = meter.admit(&request, PRICED).unwrap_err();
		assert!(
			broke
				.detail
				.contains("0 API tokens for this node until far enough ahead and 25 others; 30"),
			"{}",
			broke.detail
		);

		let newer = call_with(Some(allowance(3, 9, 2).to_text()));
		let charge = meter.admit(&newer, PRICED);
		// Two unsettled calls already: a third is not covered either way.
		assert_eq!(charge.unwrap_err().code, 402);
		meter.ledger().prepare(10, None, 990).unwrap();
		meter.ledger().confirm(0).unwrap();
		let charge = meter.admit(&newer, PRICED).expect("settled calls free the tokens");
		meter.record(&charge, 1).unwrap();
		let replaced = meter.admit(&request, PRICED).unwrap_err();
		assert!(replaced.detail.contains("replaced by nonce 2"), "{}", replaced.detail);
	}

	#[test]
	fn tokens_held_for_the_node_count_and_revoked_allowances_are_refused() {
		// All of the consumer's tokens are held for this node: none are spendable elsewhere,
		// and the node serves against the hold.
		let dir = tempfile::tempdir().unwrap();
		let holding = meter(&dir, FakeChain { tokens: 0, held: 20, held_until: 100, ..chain() });
		let request = call_with(Some(allowance(3, 9, 1).to_text()));
		for _ in 0..2 {
			let charge = holding.admit(&request, PRICED).expect("covered by the hold");
			holding.record(&charge, 1).unwrap();
		}
		let beyond = holding.admit(&request, PRICED).unwrap_err();
		assert!(
			beyond.detail.contains("20 API tokens for this node until far enough ahead and 0"),
			"{}",
			beyond.detail
		);

		// A hold ending before the report could settle counts for nothing: anyone may release
		// it after `until`.
		let dir = tempfile::tempdir().unwrap();
		let ending = meter(&dir, FakeChain { tokens: 0, held: 20, held_until: 29, ..chain() });
		assert_eq!(ending.admit(&request, PRICED).unwrap_err().code, 402);
		// A node requiring holds does not count spendable tokens.
		let dir = tempfile::tempdir().unwrap();
		let strict = meter(&dir, chain()).requiring_hold(true);
		let unheld = strict.admit(&request, PRICED).unwrap_err();
		assert!(unheld.detail.contains("only against held tokens"), "{}", unheld.detail);
		let dir = tempfile::tempdir().unwrap();
		let strict =
			meter(&dir, FakeChain { held: 10, held_until: 30, ..chain() }).requiring_hold(true);
		assert!(strict.admit(&request, PRICED).is_ok(), "held until best + margin");

		// The consumer revoked nonces up to 1 on chain: nonce 1 is refused at once, 2 is served.
		let dir = tempfile::tempdir().unwrap();
		let revoking = meter(&dir, FakeChain { revoked: Some(1), ..chain() });
		let revoked = revoking.admit(&request, PRICED).unwrap_err();
		assert_eq!(revoked.code, 402);
		assert!(revoked.detail.contains("revoked its allowances for node 3 up to nonce 1"));
		let fresh = call_with(Some(allowance(3, 9, 2).to_text()));
		assert!(revoking.admit(&fresh, PRICED).is_ok());
	}

	#[test]
	fn free_calls_come_from_the_calling_nodes_operator_and_run_out() {
		let dir = tempfile::tempdir().unwrap();
		let meter = meter(&dir, FakeChain { free: 2, ..chain() });
		let mut request = call_with(None);
		request.set(CALLER_HEADER, "known");
		for _ in 0..2 {
			let charge = meter.admit(&request, PRICED).expect("free");
			assert_eq!(charge.label(), "free");
			meter.record(&charge, 1).unwrap();
		}
		assert!(meter.admit(&request, PRICED).unwrap_err().detail.contains("free quota"));
		request.set(CALLER_HEADER, "stranger");
		assert!(meter.admit(&request, PRICED).unwrap_err().detail.contains("not registered"));
		let unregistered = Meter::new(
			Ledger::open(&dir.path().join("other.redb")).unwrap(),
			Arc::new(FakeChain { node: None, ..chain() }),
			20,
		);
		assert_eq!(unregistered.admit(&request, PRICED).unwrap_err().code, 503);
	}

	#[test]
	fn a_report_keeps_its_sequence_until_settled_and_survives_a_restart() {
		let dir = tempfile::tempdir().unwrap();
		let path = dir.path().join("ledger.redb");
		let (a, b) = (allowance(3, 100, 1), allowance(3, 100, 2));
		{
			let ledger = Ledger::open(&path).unwrap();
			assert_eq!(ledger.prepare(10, None, 5).unwrap(), None, "nothing served");
			ledger.count(&a, 1, 3).unwrap();
			ledger.count(&a, 2, 1).unwrap();
			ledger.count(&b, 2, 4).unwrap();
			let report = ledger.prepare(10, Some(6), 5).unwrap().expect("a report");
			assert_eq!(report.sequence, 7, "above the chain's last");
			let calls: Vec<_> =
				report.records.iter().map(|r| (r.allowance.nonce, r.version, r.calls)).collect();
			assert_eq!(calls, vec![(1, 1, 3), (1, 2, 1), (2, 2, 4)], "lower nonces first");
			ledger.count(&a, 1, 2).unwrap();
			assert_eq!(ledger.prepare(10, Some(6), 9).unwrap(), Some(report), "resubmitted as is");
		}
		let ledger = Ledger::open(&path).unwrap();
		let report = ledger.in_flight().expect("the report in flight survives a restart");
		assert_eq!(ledger.confirm(6).unwrap(), None, "the chain has not settled 7 yet");
		assert_eq!(ledger.confirm(7).unwrap(), Some(report));
		assert_eq!(ledger.unsettled(), 2, "the calls counted after the report stay");
		let next = ledger.prepare(10, Some(7), 12).unwrap().unwrap();
		assert_eq!((next.sequence, next.records.len(), next.records[0].calls), (8, 1, 2));
		ledger.confirm(8).unwrap();
		drop(ledger);
		let ledger = Ledger::open(&path).unwrap();
		assert_eq!(ledger.unsettled(), 0, "settled counts survive a restart");
		assert_eq!(ledger.standing(&a, 12).unwrap().counted, 6, "and still bound the allowance");
		assert_eq!(
			ledger.standing(&b, 12).unwrap(),
			Standing { counted: 10, carried: 6, ..Standing::default() },
			"nonce 2 carries nonce 1's calls while nonce 1 is unexpired"
		);
		assert_eq!(ledger.prune(5).unwrap(), 0, "nonce 1 still counts toward nonce 2");
		assert_eq!(ledger.prune(2_000).unwrap(), 2, "both expired");
	}

	#[test]
	fn the_report_is_limited_to_its_most_records() {
		let dir = tempfile::tempdir().unwrap();
		let ledger = Ledger::open(&dir.path().join("l.redb")).unwrap();
		for nonce in 1..=5 {
			ledger.count(&allowance(3, 10, nonce), 1, 1).unwrap();
		}
		let report = ledger.prepare(3, None, 1).unwrap().unwrap();
		assert_eq!(report.records.len(), 3);
		ledger.confirm(report.sequence).unwrap();
		assert_eq!(ledger.unsettled(), 2);
	}

	/// The chain refuses a record priced above its allowance's cap (an owner who raised the
	/// price after the consumer signed): the worker refuses to serve it in the first place.
	#[test]
	fn a_call_priced_above_its_allowances_cap_is_refused() {
		let dir = tempfile::tempdir().unwrap();
		let meter = meter(&dir, chain());
		let request = call_with(Some(allowance(3, 9, 1).to_text()));
		assert!(meter.admit(&request, PRICED).is_ok(), "at the cap");
		let raised = Priced { service: 0, price_per_call: 11, price_rise: None };
		let refused = meter.admit(&request, raised).unwrap_err();
		assert_eq!(refused.code, 402);
		assert!(
			refused
				.detail
				.contains("caps the price at 10 API tokens per call, below service 0's 11"),
			"{}",
			refused.detail
		);
	}

	/// Settlement charges the price in force when the report lands: a rise due before then
	/// already counts, so the node does not serve calls that would then be refused as above
	/// the cap (served, and never paid).
	#[test]
	fn a_rise_due_before_settlement_counts_against_the_cap() {
		let dir = tempfile::tempdir().unwrap();
		let meter = meter(&dir, chain());
		let request = call_with(Some(allowance(3, 9, 1).to_text()));
		// best 10, margin 20: a rise from block 30 applies before the report settles.
		let due = Priced { service: 0, price_per_call: 10, price_rise: Some((12, 30)) };
		let refused = meter.admit(&request, due).unwrap_err();
		assert!(refused.detail.contains("12 (a rise due before settlement)"), "{}", refused.detail);
		let later = Priced { service: 0, price_per_call: 10, price_rise: Some((12, 31)) };
		assert!(meter.admit(&request, later).is_ok(), "a rise due later does not count yet");
	}

	/// A free service's calls are served without an allowance and counted nowhere: the chain
	/// settles no unpaid usage.
	#[test]
	fn calls_to_a_free_service_are_not_counted_for_settlement() {
		let dir = tempfile::tempdir().unwrap();
		let meter = meter(&dir, chain());
		let free = Priced { service: 0, price_per_call: 0, price_rise: None };
		let charge = meter.admit(&call_with(Some(allowance(3, 9, 1).to_text())), free).unwrap();
		assert_eq!(charge, Charge::Unpriced);
		meter.record(&charge, 1).unwrap();
		assert_eq!(meter.admit(&call_with(None), free).unwrap(), Charge::Unpriced);
		assert_eq!(meter.ledger().unsettled(), 0);
		assert_eq!(meter.ledger().prepare(10, None, 10).unwrap(), None);
	}

	/// A higher nonce replaces: the calls served under the lower one count toward its maximum
	/// while the lower one is unexpired, as the chain counts them.
	#[test]
	fn a_higher_nonce_replaces_and_does_not_add() {
		let dir = tempfile::tempdir().unwrap();
		let meter = meter(&dir, chain());
		let first = call_with(Some(allowance(3, 2, 1).to_text()));
		for _ in 0..2 {
			let charge = meter.admit(&first, PRICED).unwrap();
			meter.record(&charge, 1).unwrap();
		}
		let second = call_with(Some(allowance(3, 3, 2).to_text()));
		let charge = meter.admit(&second, PRICED).expect("2 of 3 used");
		meter.record(&charge, 1).unwrap();
		let used_up = meter.admit(&second, PRICED).unwrap_err();
		assert!(used_up.detail.contains("3 calls are used up (counting 2"), "{}", used_up.detail);

		// Once the lower nonce has expired, its calls no longer count.
		assert_eq!(meter.ledger().standing(&allowance(3, 3, 2), 1_001).unwrap().counted, 1);
	}

	fn call_numbered(number: usize, header: String) -> Message {
		let mut message =
			Message::call(&format!("c{number}"), "greeter", "Say.Hello", b"{}".to_vec());
		message.set(ALLOWANCE_HEADER, &header);
		message
	}

	/// The attack: calls admitted together, each checked before any is counted, pass
	/// `max_calls`, and the chain rejects the whole record. Admitting reserves, so the calls
	/// in flight count.
	#[test]
	fn calls_admitted_together_cannot_pass_max_calls() {
		let dir = tempfile::tempdir().unwrap();
		let meter = meter(&dir, chain());
		let header = allowance(3, 3, 1).to_text();
		let admitted: Vec<_> =
			(0..5).map(|n| meter.admit(&call_numbered(n, header.clone()), PRICED)).collect();
		let refused: Vec<_> = admitted.iter().filter_map(|a| a.as_ref().err()).collect();
		assert_eq!((admitted.len() - refused.len(), refused.len()), (3, 2));
		assert!(refused.iter().all(|e| e.code == 402 && e.detail.contains("3 calls are used up")));
		for admission in admitted.iter().flatten() {
			meter.record(admission, 1).unwrap();
		}
		let report = meter.ledger().prepare(10, None, 10).unwrap().unwrap();
		assert_eq!(report.records.iter().map(|r| r.calls).sum::<u64>(), 3);
	}

	/// The same on threads: N calls at once against `max_calls = k`, each answered and counted
	/// as soon as it is admitted: exactly k are served.
	#[test]
	fn concurrent_calls_at_the_edge_of_max_calls_serve_exactly_max_calls() {
		const CALLS: usize = 32;
		const MAX_CALLS: u64 = 5;
		let dir = tempfile::tempdir().unwrap();
		let meter = meter(&dir, FakeChain { tokens: u128::MAX, ..chain() });
		let header = allowance(3, MAX_CALLS, 1).to_text();
		let start = std::sync::Barrier::new(CALLS);
		let outcomes: Vec<Result<(), MicroError>> = std::thread::scope(|scope| {
			let workers: Vec<_> = (0..CALLS)
				.map(|n| {
					let (meter, start, header) = (&meter, &start, header.clone());
					scope.spawn(move || {
						let request = call_numbered(n, header);
						start.wait();
						let admission = meter.admit(&request, PRICED)?;
						meter.served(&admission, 1, b"answer")
					})
				})
				.collect();
			workers.into_iter().map(|w| w.join().unwrap()).collect()
		});
		let served = outcomes.iter().filter(|o| o.is_ok()).count();
		assert_eq!(served, MAX_CALLS as usize);
		for refused in outcomes.iter().filter_map(|o| o.as_ref().err()) {
			assert_eq!(refused.code, 402);
			assert!(refused.detail.contains("5 calls are used up"), "{}", refused.detail);
		}
		let report = meter.ledger().prepare(10, None, 10).unwrap().unwrap();
		assert_eq!(report.records.iter().map(|r| r.calls).sum::<u64>(), MAX_CALLS);
		assert_eq!(meter.ledger().reserved(), 0, "nothing left reserved");
	}

	/// Calls in flight count against the consumer's tokens too, and a call that fails gives
	/// its room back.
	#[test]
	fn calls_in_flight_count_against_the_tokens_and_a_failed_call_frees_its_room() {
		let dir = tempfile::tempdir().unwrap();
		let meter = meter(&dir, FakeChain { tokens: 25, ..chain() });
		let header = allowance(3, 9, 1).to_text();
		let first = meter.admit(&call_numbered(1, header.clone()), PRICED).unwrap();
		let second = meter.admit(&call_numbered(2, header.clone()), PRICED).unwrap();
		let third = meter.admit(&call_numbered(3, header.clone()), PRICED).unwrap_err();
		assert!(third.detail.contains("25 others; 30 are needed"), "{}", third.detail);
		drop(second);
		let again = meter.admit(&call_numbered(3, header), PRICED).expect("the failed call's room");
		meter.record(&first, 1).unwrap();
		meter.record(&again, 1).unwrap();
		assert_eq!((meter.ledger().unsettled(), meter.ledger().unsettled_value()), (2, 20));
	}

	/// Issue 16's leftover: calls priced at today's price of the service called understate
	/// what the consumer owes for calls to dearer services. Each call keeps the value it was
	/// admitted at, and the check is against the sum.
	#[test]
	fn the_unsettled_value_is_summed_across_services_at_the_prices_admitted() {
		let dir = tempfile::tempdir().unwrap();
		let meter = meter(&dir, FakeChain { tokens: 30, ..chain() });
		let dear = allowance(3, 100, 1).to_text();
		for n in 0..2 {
			let admission = meter.admit(&call_numbered(n, dear.clone()), PRICED).unwrap();
			meter.record(&admission, 1).unwrap();
		}
		let cheap_service = Allowance {
			consumer: consumer().public().into(),
			service: 1,
			node: 3,
			max_calls: 100,
			max_price_per_call: 2,
			expires_at: 1_000,
			nonce: 2,
		};
		let cheap = SignedAllowance::sign(&GENESIS, cheap_service, &consumer()).to_text();
		let priced = Priced { service: 1, price_per_call: 2, price_rise: None };
		let mut served = 0;
		let refused = loop {
			match meter.admit(&call_numbered(10 + served, cheap.clone()), priced) {
				Ok(admission) => meter.record(&admission, 1).unwrap(),
				Err(refused) => break refused,
			}
			served += 1;
			assert!(served < 50, "never refused");
		};
		assert_eq!(served, 5, "20 owed at 10 each, then 5 at 2: 30 tokens");
		assert!(refused.detail.contains("30 others; 32 are needed"), "{}", refused.detail);
		let signed = SignedAllowance::from_text(&cheap).unwrap();
		let standing = meter.ledger().standing(&signed, 10).unwrap();
		assert_eq!((standing.unsettled_value_for_consumer, standing.unsettled_value), (30, 10));
	}

	/// The attack: the free quota was kept in memory, so a restart gave it back.
	#[test]
	fn a_restart_does_not_refresh_the_free_quota() {
		let dir = tempfile::tempdir().unwrap();
		{
			let meter = meter(&dir, FakeChain { free: 2, ..chain() });
			let first = meter.admit(&free_call("f1"), PRICED).unwrap();
			let second = meter.admit(&free_call("f2"), PRICED).unwrap();
			let third = meter.admit(&free_call("f3"), PRICED).unwrap_err();
			assert!(third.detail.contains("free quota for this period is used up"));
			meter.record(&first, 1).unwrap();
			meter.record(&second, 1).unwrap();
		}
		let reopened = meter(&dir, FakeChain { free: 2, ..chain() });
		assert_eq!(reopened.ledger().free_used(&AccountId::new([9; 32]), 1), 2);
		let refused = reopened.admit(&free_call("f4"), PRICED).unwrap_err();
		assert_eq!(refused.code, 402);
		assert!(refused.detail.contains("free quota for this period is used up"));
	}

	/// The attack (issue 17): every node checked the quota left on chain, which its free calls
	/// never touched, so one quota was spent once on every node. Free calls the operator
	/// reserved for another node are not served here; those reserved for this node are.
	#[test]
	fn free_calls_reserved_for_another_node_are_not_served_here() {
		let dir = tempfile::tempdir().unwrap();
		let elsewhere = meter(&dir, FakeChain { free: 5, free_node: 4, ..chain() });
		let mut request = call_with(None);
		request.set(CALLER_HEADER, "known");
		let refused = elsewhere.admit(&request, PRICED).unwrap_err();
		assert_eq!(refused.code, 402);
		assert!(refused.detail.contains("reserved 0 free calls for it"), "{}", refused.detail);
		assert_eq!(elsewhere.ledger().free_used(&AccountId::new([9; 32]), 1), 0);

		let dir = tempfile::tempdir().unwrap();
		let here = meter(&dir, FakeChain { free: 1, free_node: 3, ..chain() });
		let charge = here.admit(&request, PRICED).expect("reserved for node 3");
		assert_eq!(charge.label(), "free");
		here.record(&charge, 1).unwrap();
		request.set(crate::protocol::header::ID, "c2");
		let used_up = here.admit(&request, PRICED).unwrap_err();
		assert!(used_up.detail.contains("reserved 1 free calls"), "{}", used_up.detail);
	}

	/// A new period serves from its own reservation, and a reservation read for a past period
	/// is not counted against the new one.
	#[test]
	fn each_quota_period_serves_its_own_reservation() {
		let dir = tempfile::tempdir().unwrap();
		{
			let meter = meter(&dir, FakeChain { free: 1, period: 100, ..chain() });
			let charge = meter.admit(&free_call("p1"), PRICED).unwrap();
			meter.record(&charge, 1).unwrap();
			assert!(meter.admit(&free_call("p2"), PRICED).is_err());
		}
		let next = meter(&dir, FakeChain { free: 2, period: 200, ..chain() });
		for id in ["n1", "n2"] {
			let charge = next.admit(&free_call(id), PRICED).unwrap();
			next.record(&charge, 1).unwrap();
		}
		assert!(next.admit(&free_call("n3"), PRICED).is_err());
		let operator = AccountId::new([9; 32]);
		assert_eq!(
			(next.ledger().free_used(&operator, 200), next.ledger().free_used(&operator, 100)),
			(2, 0)
		);
	}

	fn priced_call(id: &str, timeout: Option<std::time::Duration>) -> Message {
		let mut request = call_numbered(0, allowance(3, 9, 1).to_text());
		request.set(crate::protocol::header::ID, id);
		if let Some(timeout) = timeout {
			request.set_timeout(timeout);
		}
		request
	}

	/// The attack (M5): a handler that answers after its caller gave up is charged here while
	/// the caller retries elsewhere and is charged again. Past the caller's deadline the call
	/// is stopped and not charged.
	#[tokio::test]
	async fn a_handler_slower_than_the_callers_deadline_is_not_charged() {
		let dir = tempfile::tempdir().unwrap();
		let meter = meter(&dir, chain());
		let slow = priced_call("slow", Some(std::time::Duration::from_millis(50)));
		let ran_out = meter
			.serve(&slow, PRICED, 1, async {
				tokio::time::sleep(std::time::Duration::from_secs(5)).await;
				Ok(b"late".to_vec())
			})
			.await
			.unwrap_err();
		assert_eq!(ran_out.code, 408);
		assert!(ran_out.detail.contains("not charged"), "{}", ran_out.detail);
		assert_eq!((meter.ledger().unsettled(), meter.ledger().reserved()), (0, 0));

		let quick = priced_call("quick", Some(std::time::Duration::from_secs(5)));
		let answer = meter.serve(&quick, PRICED, 1, async { Ok(b"on time".to_vec()) }).await;
		assert_eq!(answer.unwrap(), b"on time");
		assert_eq!(meter.ledger().unsettled(), 1);
	}

	/// The attack: a caller whose answer was lost retries with the same `Micro-Id`, and the
	/// call is served and charged twice. A retry gets the answer again, uncharged; a different
	/// request under the same id, or a retry while the first still runs, is refused.
	#[tokio::test]
	async fn a_retried_micro_id_is_charged_once() {
		let dir = tempfile::tempdir().unwrap();
		let meter = meter(&dir, chain());
		let runs = std::sync::atomic::AtomicUsize::new(0);
		let run = || async {
			runs.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
			Ok(b"hello".to_vec())
		};
		let request = priced_call("once", None);
		assert_eq!(meter.serve(&request, PRICED, 1, run()).await.unwrap(), b"hello");
		assert_eq!(meter.serve(&request, PRICED, 1, run()).await.unwrap(), b"hello");
		assert_eq!(runs.load(std::sync::atomic::Ordering::SeqCst), 1, "served once");
		assert_eq!(meter.ledger().unsettled(), 1, "charged once");

		let mut other = request.clone();
		other.body = b"{\"other\":1}".to_vec();
		let reused = meter.serve(&other, PRICED, 1, run()).await.unwrap_err();
		assert_eq!(reused.code, 409);
		assert!(reused.detail.contains("used for another request"), "{}", reused.detail);

		let running = priced_call("running", None);
		let first = meter.admit(&running, PRICED).unwrap();
		let twice = meter.admit(&running, PRICED).unwrap_err();
		assert_eq!((twice.code, twice.detail.contains("being served")), (409, true));
		drop(first);
		assert!(meter.admit(&running, PRICED).is_ok(), "a call that failed may be retried");
	}

	/// A chain whose revocation can change between calls.
	struct Revocable {
		chain: FakeChain,
		revoked: std::sync::Mutex<Option<u64>>,
	}

	impl ChainView for Revocable {
		fn genesis(&self) -> [u8; 32] {
			self.chain.genesis()
		}
		fn best_block(&self) -> BlockNumber {
			self.chain.best_block()
		}
		fn node_id(&self) -> Option<NodeId> {
			self.chain.node_id()
		}
		fn tokens_of(&self, account: &AccountId) -> u128 {
			self.chain.tokens_of(account)
		}
		fn held_for(&self, account: &AccountId, node: NodeId) -> (u128, BlockNumber) {
			self.chain.held_for(account, node)
		}
		fn revoked_up_to(&self, _: &AccountId, _: NodeId) -> Result<Option<u64>, String> {
			Ok(*self.revoked.lock().unwrap())
		}
		fn operator_of_peer(&self, peer: &str) -> Option<AccountId> {
			self.chain.operator_of_peer(peer)
		}
		fn free_calls_reserved(&self, account: &AccountId, node: NodeId) -> (u32, u64) {
			self.chain.free_calls_reserved(account, node)
		}
	}

	/// The signature check is remembered per allowance, and only the signature: an allowance
	/// whose terms changed under the same signature is checked again and refused, and a
	/// revocation takes effect on the next call though the allowance verified before.
	#[test]
	fn a_changed_or_revoked_allowance_is_not_served_from_the_cache() {
		let dir = tempfile::tempdir().unwrap();
		let chain = Arc::new(Revocable { chain: chain(), revoked: Default::default() });
		let ledger = Ledger::open(&dir.path().join("ledger.redb")).unwrap();
		let meter = Meter::new(ledger, chain.clone(), 20);
		let signed = allowance(3, 9, 1);
		for n in 0..2 {
			let admission = meter.admit(&call_numbered(n, signed.to_text()), PRICED).unwrap();
			meter.record(&admission, 1).unwrap();
		}
		assert_eq!(meter.verified_allowances(), 1, "verified once, then remembered");
		let mut raised = signed.clone();
		raised.allowance.max_calls = 500;
		let forged = meter.admit(&call_numbered(2, raised.to_text()), PRICED).unwrap_err();
		assert_eq!(forged.code, 403, "{forged:?}");
		let mut elsewhere = signed.clone();
		elsewhere.allowance.expires_at = 2_000;
		let forged = meter.admit(&call_numbered(3, elsewhere.to_text()), PRICED).unwrap_err();
		assert_eq!(forged.code, 403, "{forged:?}");
		assert_eq!(meter.verified_allowances(), 1, "a forgery is not remembered");

		*chain.revoked.lock().unwrap() = Some(1);
		let revoked = meter.admit(&call_numbered(4, signed.to_text()), PRICED).unwrap_err();
		assert_eq!(revoked.code, 402);
		assert!(revoked.detail.contains("revoked its allowances"), "{}", revoked.detail);
		assert_eq!(meter.ledger().unsettled(), 2);
	}

	/// A chain whose every view can change between calls.
	struct Shifting(std::sync::Mutex<FakeChain>);

	impl ChainView for Shifting {
		fn genesis(&self) -> [u8; 32] {
			GENESIS
		}
		fn best_block(&self) -> BlockNumber {
			self.0.lock().unwrap().best_block()
		}
		fn node_id(&self) -> Option<NodeId> {
			self.0.lock().unwrap().node_id()
		}
		fn tokens_of(&self, account: &AccountId) -> u128 {
			self.0.lock().unwrap().tokens_of(account)
		}
		fn held_for(&self, account: &AccountId, node: NodeId) -> (u128, BlockNumber) {
			self.0.lock().unwrap().held_for(account, node)
		}
		fn revoked_up_to(&self, account: &AccountId, node: NodeId) -> Result<Option<u64>, String> {
			self.0.lock().unwrap().revoked_up_to(account, node)
		}
		fn operator_of_peer(&self, peer: &str) -> Option<AccountId> {
			self.0.lock().unwrap().operator_of_peer(peer)
		}
		fn free_calls_reserved(&self, account: &AccountId, node: NodeId) -> (u32, u64) {
			self.0.lock().unwrap().free_calls_reserved(account, node)
		}
	}

	/// A header read once is remembered, and only what parsing and the signature gave: an
	/// allowance admitted from a remembered header is still refused once it is used up, once
	/// the chain's best block leaves too little before its expiry, once it is revoked, and
	/// on a node it does not name; a header whose signature fails is never remembered.
	#[test]
	fn a_remembered_allowance_header_admits_nothing_the_chain_or_ledger_refuse() {
		let dir = tempfile::tempdir().unwrap();
		let chain = Arc::new(Shifting(std::sync::Mutex::new(chain())));
		let ledger = Ledger::open(&dir.path().join("ledger.redb")).unwrap();
		let meter = Meter::new(ledger, chain.clone(), 20);
		let header = allowance(3, 2, 1).to_text();
		for n in 0..2 {
			let admission = meter.admit(&call_numbered(n, header.clone()), PRICED).unwrap();
			meter.record(&admission, 1).unwrap();
		}
		assert_eq!((meter.known_headers(), meter.verified_allowances()), (1, 1));
		let used_up = meter.admit(&call_numbered(2, header.clone()), PRICED).unwrap_err();
		assert_eq!(used_up.code, 402);
		assert!(used_up.detail.contains("2 calls are used up"), "{}", used_up.detail);
		// Spellings of an allowance that pays for nothing (here: used up) are each parsed and
		// refused, and none is remembered: they cannot push honest headers out.
		for n in 1..200 {
			let spelling = format!("{header}{}", ",".repeat(n));
			let refused = meter.admit(&call_numbered(100 + n, spelling), PRICED);
			assert_eq!(refused.unwrap_err().code, 402);
		}
		assert_eq!(meter.known_headers(), 1, "only the header that paid for calls");

		let header = allowance(3, 9, 2).to_text();
		let admission = meter.admit(&call_numbered(3, header.clone()), PRICED).unwrap();
		meter.record(&admission, 1).unwrap();
		assert_eq!(meter.known_headers(), 2);
		chain.0.lock().unwrap().best = 990;
		let expiring = meter.admit(&call_numbered(4, header.clone()), PRICED).unwrap_err();
		assert_eq!(expiring.code, 402);
		assert!(expiring.detail.contains("too soon to settle"), "{}", expiring.detail);
		chain.0.lock().unwrap().best = 10;
		chain.0.lock().unwrap().revoked = Some(2);
		let revoked = meter.admit(&call_numbered(5, header.clone()), PRICED).unwrap_err();
		assert_eq!(revoked.code, 402);
		assert!(revoked.detail.contains("revoked its allowances"), "{}", revoked.detail);
		chain.0.lock().unwrap().revoked = None;
		chain.0.lock().unwrap().node = Some(4);
		let elsewhere = meter.admit(&call_numbered(6, header.clone()), PRICED).unwrap_err();
		assert_eq!(elsewhere.code, 402);
		assert!(elsewhere.detail.contains("no allowance for service 0 on node 4"));
		chain.0.lock().unwrap().node = Some(3);
		let admission = meter.admit(&call_numbered(7, header), PRICED).expect("usable again");
		meter.record(&admission, 1).unwrap();
		assert_eq!(meter.ledger().unsettled(), 4, "2 + 2 calls counted, none refused");

		let mut forged = allowance(3, 9, 3);
		forged.allowance.max_calls = 500;
		for n in 8..10 {
			let refused = meter.admit(&call_numbered(n, forged.to_text()), PRICED).unwrap_err();
			assert_eq!(refused.code, 403, "{refused:?}");
		}
		assert_eq!(meter.known_headers(), 2, "a forgery is not remembered");
	}

	/// The kill test at the meter: calls answered and flushed survive a SIGKILL-style stop;
	/// the last call, answered but not committed, is lost, so the restarted node reports fewer
	/// calls than it served (under-charging), never more, and never more than `max_calls`.
	#[test]
	fn a_killed_node_under_charges_and_never_reports_past_max_calls() {
		let dir = tempfile::tempdir().unwrap();
		let signed = allowance(3, 3, 1);
		{
			let meter = meter(&dir, chain());
			for n in 0..2 {
				let admission = meter.admit(&call_numbered(n, signed.to_text()), PRICED).unwrap();
				meter.served(&admission, 1, b"ok").unwrap();
			}
			meter.ledger().flush().unwrap();
			let last = meter.admit(&call_numbered(2, signed.to_text()), PRICED).unwrap();
			meter.ledger().crash_after(|| meter.served(&last, 1, b"ok").unwrap());
			let spent = meter.admit(&call_numbered(3, signed.to_text()), PRICED).unwrap_err();
			assert!(spent.detail.contains("3 calls are used up"), "{}", spent.detail);
		}
		let restarted = meter(&dir, chain());
		let report = restarted.ledger().prepare(10, None, 10).unwrap().unwrap();
		assert_eq!(report.records.iter().map(|r| r.calls).sum::<u64>(), 2, "the flushed 2");
		for n in 10..11 {
			let admission = restarted.admit(&call_numbered(n, signed.to_text()), PRICED).unwrap();
			restarted.served(&admission, 1, b"ok").unwrap();
		}
		let spent = restarted.admit(&call_numbered(11, signed.to_text()), PRICED).unwrap_err();
		assert_eq!(spent.code, 402, "the ledger's count never passes max_calls");
		assert_eq!(restarted.ledger().standing(&signed, 10).unwrap().counted, 3);
	}
}
