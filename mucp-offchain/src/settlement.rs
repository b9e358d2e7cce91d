//! Settlement: who pays for a call, what this node served, and the reports that settle it.
//!
//! A consumer pays for calls with a signed [`UsageAllowance`] (see `pallet-micro-settlement`)
//! that it sends in the [`ALLOWANCE_HEADER`]: one or more allowances, comma separated, each the
//! hex of the SCALE encoding of a [`SignedAllowance`]. The node that serves the call takes the
//! one naming itself. A call with no allowance is free if it fits the caller's free quota: the
//! caller is the node the call came from (the `Micro-Caller` header the peer sets), and its
//! operator's quota is the one the chain grants.
//!
//! The [`Meter`] admits calls against the chain's view ([`ChainView`]), refusing with a
//! `Micro-Error` what the chain would refuse to settle, and counts what it served in the
//! [`Ledger`]. The ledger keeps the counts and the report in flight in redb, so a restart
//! neither loses the cursor nor settles a call twice: a report keeps its sequence until the
//! chain shows it settled ([`Ledger::confirm`]), and the chain refuses a sequence twice.

use std::{
	collections::{BTreeMap, HashMap},
	path::Path,
	sync::{Arc, Mutex},
};

use codec::{Decode, Encode};
use micro_primitives::{NodeId, ServiceId, VersionNumber, USAGE_ALLOWANCE_CONTEXT};
use redb::{Database, Durability, ReadableTable, TableDefinition};
use sp_core::{crypto::Pair as _, sr25519};
use sp_runtime::{traits::Verify, AccountId32, MultiSignature};

use crate::protocol::{Message, MicroError};

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
pub type UsageRecord = pallet_micro_settlement::UsageRecord<AccountId, BlockNumber, MultiSignature>;

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

	/// Whether the signature is the consumer's over this allowance on the chain with `genesis`.
	pub fn verify(&self, genesis: &[u8; 32]) -> bool {
		self.signature
			.verify(&Self::message(genesis, &self.allowance)[..], &self.allowance.consumer)
	}

	/// The header text: `0x` and the hex of the SCALE encoding.
	pub fn to_text(&self) -> String {
		format!("0x{}", hex(&self.encode()))
	}

	/// Reads one allowance from its header text.
	pub fn from_text(text: &str) -> Result<Self, String> {
		let text = text.trim();
		let digits = text.strip_prefix("0x").unwrap_or(text);
		let bytes = unhex(digits).ok_or("an allowance is 0x and hex digits")?;
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

/// Lowercase hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
	bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The bytes of lowercase or uppercase hex `digits`, or `None`.
pub fn unhex(digits: &str) -> Option<Vec<u8>> {
	if !digits.len().is_multiple_of(2) {
		return None;
	}
	(0..digits.len())
		.step_by(2)
		.map(|i| u8::from_str_radix(digits.get(i..i + 2)?, 16).ok())
		.collect()
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
	/// `who`'s free calls left in the chain's current quota period, and the period's number.
	fn free_calls(&self, who: &AccountId) -> (u32, u64);
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

/// Admits calls and counts what was served.
pub struct Meter {
	ledger: Ledger,
	chain: Arc<dyn ChainView>,
	/// Blocks an allowance must still be valid for when a call is admitted, so the report
	/// settling it gets in before it expires.
	pub expiry_margin: BlockNumber,
	/// Serve paid calls only against tokens held for this node: tokens the consumer could
	/// spend elsewhere before this node's report lands are not counted.
	pub require_hold: bool,
	free_used: Mutex<HashMap<(AccountId, u64), u32>>,
}

impl Meter {
	/// A meter over `ledger`, reading the chain through `chain`.
	pub fn new(ledger: Ledger, chain: Arc<dyn ChainView>, expiry_margin: BlockNumber) -> Self {
		Self {
			ledger,
			chain,
			expiry_margin,
			require_hold: false,
			free_used: Mutex::new(HashMap::new()),
		}
	}

	/// This meter, counting only tokens held for this node if `require_hold`.
	pub fn requiring_hold(mut self, require_hold: bool) -> Self {
		self.require_hold = require_hold;
		self
	}

	/// The ledger.
	pub fn ledger(&self) -> &Ledger {
		&self.ledger
	}

	/// Decides how `request` to `priced` pays, or refuses it with the reason: 402 without a
	/// usable allowance or free quota, 403 for a bad signature, 400 for a malformed header.
	pub fn admit(&self, request: &Message, priced: Priced) -> Result<Charge, MicroError> {
		let id = request.id().unwrap_or_default().to_owned();
		let payment = |detail: String| MicroError::new(&id, 402, detail);
		let Some(node) = self.chain.node_id() else {
			return Err(MicroError::new(&id, 503, "this node is not registered on-chain yet"));
		};
		if priced.price_per_call == 0 {
			// The chain refuses to settle unpaid usage: nothing to count.
			return Ok(Charge::Unpriced);
		}
		let Some(header) = request.header(ALLOWANCE_HEADER) else {
			return self.admit_free(request, &id);
		};
		let signed = SignedAllowance::parse_header(header)
			.map_err(|e| MicroError::bad_request(&id, format!("{ALLOWANCE_HEADER}: {e}")))?
			.into_iter()
			.find(|s| s.allowance.node == node && s.allowance.service == priced.service)
			.ok_or_else(|| {
				payment(format!(
					"no allowance for service {} on node {node} among those sent",
					priced.service
				))
			})?;
		if !signed.verify(&self.chain.genesis()) {
			return Err(MicroError::new(
				&id,
				403,
				"the allowance's signature is not its consumer's",
			));
		}
		let allowance = &signed.allowance;
		let best = self.chain.best_block();
		let price = priced.settled_price(best, self.expiry_margin);
		if allowance.max_price_per_call < price {
			let due =
				if price > priced.price_per_call { " (a rise due before settlement)" } else { "" };
			return Err(payment(format!(
				"the allowance caps the price at {} API tokens per call, below service {}'s \
				 {price}{due}: sign one with a max_price_per_call of at least {price}",
				allowance.max_price_per_call, priced.service,
			)));
		}
		let revoked = self.chain.revoked_up_to(&allowance.consumer, node).map_err(|e| {
			MicroError::new(&id, 503, format!("reading the consumer's revocations: {e}"))
		})?;
		if let Some(revoked) = revoked {
			if allowance.nonce <= revoked {
				return Err(payment(format!(
					"the consumer revoked its allowances for node {node} up to nonce {revoked}: \
					 sign one with a higher nonce"
				)));
			}
		}
		if allowance.expires_at < best.saturating_add(self.expiry_margin) {
			return Err(payment(format!(
				"the allowance expires at block {}, too soon to settle (now {best}, margin {})",
				allowance.expires_at, self.expiry_margin
			)));
		}
		let standing = self.ledger.standing(&signed, best)?;
		if let Some(newer) = standing.newer_nonce {
			return Err(payment(format!(
				"allowance nonce {} was replaced by nonce {newer}",
				allowance.nonce
			)));
		}
		if standing.conflicting {
			return Err(payment("another allowance with this nonce was used here".into()));
		}
		if standing.counted >= allowance.max_calls {
			return Err(payment(format!(
				"the allowance's {} calls are used up (counting {} served under the allowances \
				 it replaced, until they expire)",
				allowance.max_calls, standing.carried
			)));
		}
		let owed = standing.unsettled_for_consumer.saturating_add(1);
		let needed = u128::from(owed).saturating_mul(price);
		// Settlement pays from the tokens held for this node first, then from the rest. A hold
		// counts only if it outlasts the report that settles this call: after `until` anyone
		// may release it.
		let (held, until) = self.chain.held_for(&allowance.consumer, node);
		let held = if until >= best.saturating_add(self.expiry_margin) { held } else { 0 };
		let spendable =
			if self.require_hold { 0 } else { self.chain.tokens_of(&allowance.consumer) };
		if held.saturating_add(spendable) < needed {
			let others = if self.require_hold {
				"this node serves only against held tokens (`micro tokens hold`)".to_owned()
			} else {
				format!("{spendable} others")
			};
			return Err(payment(format!(
				"the consumer holds {held} API tokens for this node until far enough ahead and \
				 {others}; {needed} are needed for its unsettled calls"
			)));
		}
		Ok(Charge::Allowance(signed))
	}

	fn admit_free(&self, request: &Message, id: &str) -> Result<Charge, MicroError> {
		let refused = |detail: &str| {
			MicroError::new(
				id,
				402,
				format!("{detail}: send a signed allowance in the {ALLOWANCE_HEADER} header"),
			)
		};
		let caller = request.header(CALLER_HEADER).ok_or_else(|| refused("no caller is known"))?;
		let account = self.chain.operator_of_peer(caller).ok_or_else(|| {
			refused("the calling node is not registered, so it has no free quota")
		})?;
		let (left, period) = self.chain.free_calls(&account);
		let mut used = self.free_used.lock().expect("not poisoned");
		used.retain(|(_, p), _| *p >= period);
		let spent = used.get(&(account.clone(), period)).copied().unwrap_or(0);
		if spent >= left {
			return Err(refused("the caller's free quota for this period is used up"));
		}
		Ok(Charge::Free { account, period })
	}

	/// Counts one served call of `version` under `charge`.
	pub fn record(&self, charge: &Charge, version: VersionNumber) -> Result<(), MicroError> {
		match charge {
			Charge::Unpriced => Ok(()),
			Charge::Allowance(signed) => self.ledger.count(signed, version, 1),
			Charge::Free { account, period } => {
				*self
					.free_used
					.lock()
					.expect("not poisoned")
					.entry((account.clone(), *period))
					.or_default() += 1;
				Ok(())
			}
		}
	}
}

/// Calls counted under one allowance, per version, and how many of them are settled.
#[derive(Clone, Debug, Default, PartialEq, Eq, Encode, Decode)]
struct Counts {
	/// Calls served.
	counted: u64,
	/// Calls settled on-chain (or refused there for good).
	settled: u64,
}

/// One allowance's entry in the ledger.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
struct Entry {
	signed: SignedAllowance,
	versions: BTreeMap<VersionNumber, Counts>,
}

impl Entry {
	fn counted(&self) -> u64 {
		self.versions.values().map(|c| c.counted).sum()
	}

	fn unsettled(&self) -> u64 {
		self.versions.values().map(|c| c.counted - c.settled).sum()
	}
}

/// A usage report waiting to be settled, and what it covers.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub struct PendingReport {
	/// The report's sequence.
	pub sequence: u64,
	/// Its records, in order.
	pub records: Vec<UsageRecord>,
	/// The best block when it was first prepared.
	pub prepared_at: BlockNumber,
}

/// What the ledger knows of an allowance when a call under it arrives.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Standing {
	/// Calls that count toward its `max_calls`: its own and those it carries.
	pub counted: u64,
	/// Of those, calls served under the lower nonces it replaced, which count while any of them
	/// is unexpired (as the chain counts them; see `UsageAllowance`).
	pub carried: u64,
	/// A higher nonce of the same consumer seen here, which replaced it.
	pub newer_nonce: Option<u64>,
	/// Whether another allowance with the same nonce was used here.
	pub conflicting: bool,
	/// The consumer's calls served here and not settled yet, under all its allowances.
	pub unsettled_for_consumer: u64,
}

const ALLOWANCES: TableDefinition<&[u8], &[u8]> = TableDefinition::new("allowances");
const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");
const NEXT_SEQUENCE: &str = "next_sequence";
const IN_FLIGHT: &str = "in_flight";

#[derive(Default)]
struct LedgerState {
	entries: BTreeMap<Vec<u8>, Entry>,
	next_sequence: u64,
	in_flight: Option<PendingReport>,
}

/// What this node served and settled, kept on disk.
pub struct Ledger {
	db: Database,
	state: Mutex<LedgerState>,
}

fn ledger_error(id: &str) -> impl Fn(String) -> MicroError + '_ {
	move |detail| MicroError::internal(id, format!("the usage ledger: {detail}"))
}

impl Ledger {
	/// Opens (or creates) the ledger at `path`, with what it held.
	pub fn open(path: &Path) -> Result<Self, String> {
		let db = crate::store::open(path).map_err(|e| e.to_string())?;
		let write = db.begin_write().map_err(|e| e.to_string())?;
		write.open_table(ALLOWANCES).map_err(|e| e.to_string())?;
		write.open_table(META).map_err(|e| e.to_string())?;
		write.commit().map_err(|e| e.to_string())?;
		let mut state = LedgerState::default();
		{
			let read = db.begin_read().map_err(|e| e.to_string())?;
			let table = read.open_table(ALLOWANCES).map_err(|e| e.to_string())?;
			for row in table.iter().map_err(|e| e.to_string())? {
				let (key, value) = row.map_err(|e| e.to_string())?;
				let entry = Entry::decode(&mut value.value())
					.map_err(|e| format!("a corrupt allowance entry: {e}"))?;
				state.entries.insert(key.value().to_vec(), entry);
			}
			let meta = read.open_table(META).map_err(|e| e.to_string())?;
			if let Some(value) = meta.get(NEXT_SEQUENCE).map_err(|e| e.to_string())? {
				state.next_sequence = u64::decode(&mut value.value()).unwrap_or_default();
			}
			if let Some(value) = meta.get(IN_FLIGHT).map_err(|e| e.to_string())? {
				state.in_flight = Some(
					PendingReport::decode(&mut value.value())
						.map_err(|e| format!("a corrupt report in flight: {e}"))?,
				);
			}
		}
		Ok(Self { db, state: Mutex::new(state) })
	}

	/// What the ledger knows of `signed` at best block `best`.
	///
	/// A higher nonce replaces, it does not add: the calls served here under the consumer's lower
	/// nonces count toward `signed`'s maximum while the latest of them to expire has not, as on
	/// the chain (which counts no more than this: only what it settled, and only until the
	/// allowances it replaced expire).
	pub fn standing(
		&self,
		signed: &SignedAllowance,
		best: BlockNumber,
	) -> Result<Standing, MicroError> {
		let state = self.state.lock().expect("not poisoned");
		let consumer = &signed.allowance.consumer;
		let mut standing = Standing::default();
		let (mut older, mut older_until) = (0u64, None);
		for entry in state.entries.values().filter(|e| &e.signed.allowance.consumer == consumer) {
			standing.unsettled_for_consumer += entry.unsettled();
			let nonce = entry.signed.allowance.nonce;
			if nonce > signed.allowance.nonce {
				standing.newer_nonce = standing.newer_nonce.max(Some(nonce));
			} else if nonce == signed.allowance.nonce {
				if entry.signed.allowance != signed.allowance {
					standing.conflicting = true;
				}
				standing.counted += entry.counted();
			} else {
				older += entry.counted();
				older_until = older_until.max(Some(entry.signed.allowance.expires_at));
			}
		}
		if older_until.is_some_and(|until| best <= until) {
			standing.carried = older;
			standing.counted += older;
		}
		Ok(standing)
	}

	/// Adds `calls` served calls of `version` under `signed`.
	pub fn count(
		&self,
		signed: &SignedAllowance,
		version: VersionNumber,
		calls: u64,
	) -> Result<(), MicroError> {
		let failed = ledger_error("mucp.settlement");
		let mut state = self.state.lock().expect("not poisoned");
		let key = signed.key();
		let mut entry = state
			.entries
			.get(&key)
			.cloned()
			.unwrap_or_else(|| Entry { signed: signed.clone(), versions: BTreeMap::new() });
		if entry.signed.allowance != signed.allowance {
			return Err(failed("another allowance with this nonce is counted".into()));
		}
		entry.versions.entry(version).or_default().counted += calls;
		// Counts are written without waiting for the disk: a crash may lose the last few,
		// which under-settles (never double-settles) them.
		let mut write = self.db.begin_write().map_err(|e| failed(e.to_string()))?;
		write.set_durability(Durability::Eventual);
		{
			let mut table = write.open_table(ALLOWANCES).map_err(|e| failed(e.to_string()))?;
			table
				.insert(key.as_slice(), entry.encode().as_slice())
				.map_err(|e| failed(e.to_string()))?;
		}
		write.commit().map_err(|e| failed(e.to_string()))?;
		state.entries.insert(key, entry);
		Ok(())
	}

	/// The report to submit now: the one in flight if there is one (resubmitted with its
	/// sequence until the chain settles it), else a new one of up to `max_records` records of
	/// the unsettled calls, with a sequence above `chain_sequence` (the node's last on-chain),
	/// written to disk before it is returned. `None` if nothing is unsettled.
	pub fn prepare(
		&self,
		max_records: usize,
		chain_sequence: Option<u64>,
		best: BlockNumber,
	) -> Result<Option<PendingReport>, String> {
		let mut state = self.state.lock().expect("not poisoned");
		if let Some(report) = &state.in_flight {
			return Ok(Some(report.clone()));
		}
		let mut records = Vec::new();
		for entry in state.entries.values() {
			for (version, counts) in &entry.versions {
				if counts.counted > counts.settled && records.len() < max_records {
					records.push(UsageRecord {
						allowance: entry.signed.allowance.clone(),
						signature: entry.signed.signature.clone(),
						version: *version,
						calls: counts.counted - counts.settled,
					});
				}
			}
		}
		if records.is_empty() {
			return Ok(None);
		}
		// The chain settles a consumer's lower nonces before a higher one replaces them.
		records.sort_by(|a, b| {
			(&a.allowance.consumer, a.allowance.nonce)
				.cmp(&(&b.allowance.consumer, b.allowance.nonce))
		});
		let sequence = state.next_sequence.max(chain_sequence.map_or(0, |s| s + 1));
		let report = PendingReport { sequence, records, prepared_at: best };
		let write = self.db.begin_write().map_err(|e| e.to_string())?;
		{
			let mut meta = write.open_table(META).map_err(|e| e.to_string())?;
			meta.insert(IN_FLIGHT, report.encode().as_slice()).map_err(|e| e.to_string())?;
		}
		write.commit().map_err(|e| e.to_string())?;
		state.in_flight = Some(report.clone());
		Ok(Some(report))
	}

	/// The report in flight, if any.
	pub fn in_flight(&self) -> Option<PendingReport> {
		self.state.lock().expect("not poisoned").in_flight.clone()
	}

	/// Records that the chain settled every report up to `chain_sequence`: the report in flight
	/// is done if its sequence is at most that, and its calls count as settled. Returns the
	/// report it finished.
	pub fn confirm(&self, chain_sequence: u64) -> Result<Option<PendingReport>, String> {
		let mut state = self.state.lock().expect("not poisoned");
		let Some(report) = state.in_flight.clone().filter(|r| r.sequence <= chain_sequence) else {
			return Ok(None);
		};
		let mut changed = Vec::new();
		for record in &report.records {
			let key = (&record.allowance.consumer, record.allowance.nonce).encode();
			if let Some(entry) = state.entries.get_mut(&key) {
				let counts = entry.versions.entry(record.version).or_default();
				counts.settled = (counts.settled + record.calls).min(counts.counted);
				changed.push((key, entry.clone()));
			}
		}
		let next_sequence = report.sequence + 1;
		let write = self.db.begin_write().map_err(|e| e.to_string())?;
		{
			let mut table = write.open_table(ALLOWANCES).map_err(|e| e.to_string())?;
			for (key, entry) in &changed {
				// An allowance settled in full and past use stays until a newer nonce
				// replaces it, so its count still bounds later calls under it.
				table
					.insert(key.as_slice(), entry.encode().as_slice())
					.map_err(|e| e.to_string())?;
			}
			let mut meta = write.open_table(META).map_err(|e| e.to_string())?;
			meta.remove(IN_FLIGHT).map_err(|e| e.to_string())?;
			meta.insert(NEXT_SEQUENCE, next_sequence.encode().as_slice())
				.map_err(|e| e.to_string())?;
		}
		write.commit().map_err(|e| e.to_string())?;
		state.in_flight = None;
		state.next_sequence = next_sequence;
		Ok(Some(report))
	}

	/// Drops allowances that are settled in full and expired before `best`, once every
	/// allowance of their consumer has (until then a newer nonce still carries their calls):
	/// returns how many went.
	pub fn prune(&self, best: BlockNumber) -> Result<usize, String> {
		let mut state = self.state.lock().expect("not poisoned");
		let mut latest_expiry: HashMap<AccountId, BlockNumber> = HashMap::new();
		for entry in state.entries.values() {
			let a = &entry.signed.allowance;
			let until = latest_expiry.entry(a.consumer.clone()).or_default();
			*until = (*until).max(a.expires_at);
		}
		let gone: Vec<Vec<u8>> = state
			.entries
			.iter()
			.filter(|(_, e)| {
				let a = &e.signed.allowance;
				e.unsettled() == 0 && latest_expiry[&a.consumer] < best
			})
			.map(|(k, _)| k.clone())
			.collect();
		if gone.is_empty() {
			return Ok(0);
		}
		let write = self.db.begin_write().map_err(|e| e.to_string())?;
		{
			let mut table = write.open_table(ALLOWANCES).map_err(|e| e.to_string())?;
			for key in &gone {
				table.remove(key.as_slice()).map_err(|e| e.to_string())?;
			}
		}
		write.commit().map_err(|e| e.to_string())?;
		for key in &gone {
			state.entries.remove(key);
		}
		Ok(gone.len())
	}

	/// Calls served and not yet settled, over all allowances.
	pub fn unsettled(&self) -> u64 {
		self.state.lock().expect("not poisoned").entries.values().map(Entry::unsettled).sum()
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use sp_core::crypto::Pair;

	const GENESIS: [u8; 32] = [7; 32];

	struct FakeChain {
		node: Option<NodeId>,
		best: BlockNumber,
		tokens: u128,
		held: u128,
		held_until: BlockNumber,
		revoked: Option<u64>,
		free: u32,
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
		fn free_calls(&self, _: &AccountId) -> (u32, u64) {
			(self.free, 1)
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
		}
	}

	fn call_with(header: Option<String>) -> Message {
		let mut message = Message::call("c1", "greeter", "Say.Hello", b"{}".to_vec());
		if let Some(header) = header {
			message.set(ALLOWANCE_HEADER, &header);
		}
		message
	}

	const PRICED: Priced = Priced { service: 0, price_per_call: 10, price_rise: None };

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
}
