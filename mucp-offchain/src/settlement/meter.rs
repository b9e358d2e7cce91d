//! The meter: admits a call against the chain's view and the ledger in one step, and counts it
//! once answered in time.
//!
//! The rules it adds, and the attacks they stop:
//!
//! - **Reserve, then commit or release.** [`Meter::admit`] reserves the call in the ledger as
//!   it checks it ([`super::Ledger::reserve`]); the [`Admission`] it returns counts the call
//!   when [`Meter::served`] commits it, and gives the room back when dropped uncommitted.
//!   Concurrent calls at the edge of `max_calls` or of the consumer's tokens cannot overshoot
//!   (and make the chain reject the whole record).
//! - **Deadlines that agree.** A caller says how long it waits in `Micro-Timeout`
//!   ([`crate::protocol::header::TIMEOUT`]); [`Meter::serve`] stops the handler at that
//!   deadline and charges nothing for an answer that comes after it: a caller that gave up and
//!   retried elsewhere pays for the answer it got, not for two.
//! - **A retry is charged once.** A call is remembered by its payer and `Micro-Id` for
//!   [`REPLAY_WINDOW`]: a retry of a call served and charged here gets the same answer again
//!   from a small bounded cache, uncharged (or, if the answer was too large to keep, a 409),
//!   and a retry of a call still running here gets a 409 rather than running twice.
//! - **Each payer its share of the cache.** A payer keeps at most [`MAX_REPLAYS_PER_PAYER`]
//!   calls and [`MAX_REPLAY_BYTES_PER_PAYER`] bytes of answers in it, its own oldest going
//!   first: one payer making many calls cannot evict other payers' answers and have their
//!   retries charged again.
//! - **A signature is checked once.** An allowance whose sr25519 signature verified is
//!   remembered by the hash of its whole encoding (terms and signature) and the chain's
//!   genesis, so the next call under it costs a map lookup; a changed allowance is a new key
//!   and is verified again. Only the signature is remembered: expiry, price, the ledger's
//!   counts and the chain's revocations are checked on every call, so a revocation takes
//!   effect at once.
//! - **A header is read once.** The allowance a [`ALLOWANCE_HEADER`] names for this node and a
//!   service, once parsed and verified, is remembered by the header's exact text (with the
//!   node and genesis it was checked for), so the next call sending the same header skips the
//!   hex, the SCALE decoding and the hashing as well. It remembers what parsing and the
//!   signature gave, nothing the chain or the ledger decide: the same checks follow on every
//!   call. Bounded in headers and in bytes; past either it starts over.

use std::{
	collections::{HashSet, VecDeque},
	sync::{
		atomic::{AtomicBool, Ordering},
		Arc, Mutex,
	},
	time::{Duration, Instant},
};

use codec::Encode;
use micro_primitives::{NodeId, ServiceId, VersionNumber};

use super::{
	ledger::Reservation, BlockNumber, ChainView, Charge, Ledger, Priced, SignedAllowance,
	ALLOWANCE_HEADER, CALLER_HEADER,
};
use crate::protocol::{header, Message, MicroError};

/// How long a served call's `Micro-Id` is remembered, so a retry is not charged again.
pub const REPLAY_WINDOW: Duration = Duration::from_secs(120);
/// Most calls remembered at once.
pub const MAX_REPLAYS: usize = 4096;
/// Largest answer kept for a retry: a retry of a call with a larger answer gets a 409.
pub const MAX_REPLAY_ANSWER: usize = 64 * 1024;
/// Most bytes of answers kept in all.
pub const MAX_REPLAY_BYTES: usize = 16 * 1024 * 1024;
/// Most calls remembered for one payer: past it, that payer's oldest goes.
pub const MAX_REPLAYS_PER_PAYER: usize = 256;
/// Most bytes of answers kept for one payer: past it, that payer's oldest go.
pub const MAX_REPLAY_BYTES_PER_PAYER: usize = 1024 * 1024;
/// Most allowances whose signature is remembered as checked: past it, the memory starts
/// over.
pub const MAX_VERIFIED_ALLOWANCES: usize = 4096;
/// Most allowance headers remembered as read: past it, the memory starts over.
pub const MAX_KNOWN_HEADERS: usize = 4096;
/// Most bytes of allowance headers remembered as read: past it, the memory starts over.
pub const MAX_KNOWN_HEADER_BYTES: usize = 4 * 1024 * 1024;

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
	replays: Arc<Mutex<Replays>>,
	/// Hashes of the allowances (with the genesis) whose signature verified.
	verified: Mutex<HashSet<[u8; 32]>>,
	/// Allowance headers read before, with the verified allowance each named.
	known_headers: Mutex<KnownHeaders>,
}

/// Allowance headers already parsed, by their exact text: for each, the allowances in it that
/// verified, with the node, service and genesis they were picked and checked for.
#[derive(Default)]
struct KnownHeaders {
	/// Looked up on every paid call by a ~300-byte key: a fast hash, seeded per process.
	headers: foldhash::HashMap<String, Vec<KnownAllowance>>,
	bytes: usize,
}

struct KnownAllowance {
	node: NodeId,
	service: ServiceId,
	genesis: [u8; 32],
	signed: SignedAllowance,
}

impl KnownHeaders {
	/// The verified allowance `header` names for `node` and `service` on the chain with
	/// `genesis`, if this header was read for them before.
	fn get(
		&self,
		header: &str,
		node: NodeId,
		service: ServiceId,
		genesis: &[u8; 32],
	) -> Option<SignedAllowance> {
		self.headers.get(header)?.iter().find_map(|known| {
			(known.node == node && known.service == service && &known.genesis == genesis)
				.then(|| known.signed.clone())
		})
	}

	/// Remembers that `header` names `signed` for `node` and `service`, its signature
	/// verified on the chain with `genesis`.
	fn insert(
		&mut self,
		header: &str,
		node: NodeId,
		service: ServiceId,
		genesis: [u8; 32],
		signed: &SignedAllowance,
	) {
		let size = header.len() + std::mem::size_of::<KnownAllowance>();
		if size > MAX_KNOWN_HEADER_BYTES {
			return;
		}
		if self.headers.len() >= MAX_KNOWN_HEADERS || self.bytes + size > MAX_KNOWN_HEADER_BYTES {
			*self = Self::default();
		}
		let known = self.headers.entry(header.to_owned()).or_default();
		// One per allowance the header carries, at most.
		if known.len() >= super::MAX_ALLOWANCES_PER_CALL {
			return;
		}
		known.push(KnownAllowance { node, service, genesis, signed: signed.clone() });
		self.bytes += size;
	}
}

/// A call the meter admitted: how it pays, with its room reserved in the ledger until
/// [`Meter::served`] counts it. Dropped uncounted, it gives the room back.
pub struct Admission {
	charge: Charge,
	reservation: Option<Reservation>,
	replay: Option<Vec<u8>>,
	claim: Option<ReplayClaim>,
}

impl Admission {
	fn new(charge: Charge) -> Self {
		Self { charge, reservation: None, replay: None, claim: None }
	}

	/// How the call pays.
	pub fn charge(&self) -> &Charge {
		&self.charge
	}

	/// The answer this node already gave to this call (the same payer and `Micro-Id`), if it
	/// is a retry: send it again, and charge nothing.
	pub fn replay(&self) -> Option<&[u8]> {
		self.replay.as_deref()
	}
}

impl std::ops::Deref for Admission {
	type Target = Charge;
	fn deref(&self) -> &Charge {
		&self.charge
	}
}

impl PartialEq<Charge> for Admission {
	fn eq(&self, other: &Charge) -> bool {
		&self.charge == other
	}
}

impl std::fmt::Debug for Admission {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		f.debug_struct("Admission")
			.field("charge", &self.charge)
			.field("replay", &self.replay.is_some())
			.finish()
	}
}

impl Meter {
	/// A meter over `ledger`, reading the chain through `chain`.
	pub fn new(ledger: Ledger, chain: Arc<dyn ChainView>, expiry_margin: BlockNumber) -> Self {
		Self {
			ledger,
			chain,
			expiry_margin,
			require_hold: false,
			replays: Arc::new(Mutex::new(Replays::default())),
			verified: Mutex::new(HashSet::new()),
			known_headers: Mutex::new(KnownHeaders::default()),
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

	/// Serves `request` to `priced`'s `version` with `run`: admits it, runs it until the
	/// caller's deadline (`Micro-Timeout`, if it sent one), and counts it if it answered in
	/// time. A retry of a call answered here gets the same answer, uncharged.
	pub async fn serve<F>(
		&self,
		request: &Message,
		priced: Priced,
		version: VersionNumber,
		run: F,
	) -> Result<Vec<u8>, MicroError>
	where
		F: std::future::Future<Output = Result<Vec<u8>, MicroError>>,
	{
		let started = tokio::time::Instant::now();
		let id = request.id().unwrap_or_default();
		let admission = self.admit(request, priced)?;
		if let Some(answer) = admission.replay() {
			return Ok(answer.to_vec());
		}
		let late = |budget: Duration| {
			MicroError::timeout(
				id,
				format!(
					"the call ran past its caller's deadline of {budget:?} and was stopped: not \
					 charged"
				),
			)
		};
		let body = match request.timeout() {
			None => run.await?,
			Some(budget) => {
				let body = tokio::time::timeout_at(started + budget, run)
					.await
					.map_err(|_| late(budget))??;
				if started.elapsed() > budget {
					return Err(late(budget));
				}
				body
			}
		};
		self.served(&admission, version, &body)?;
		Ok(body)
	}

	/// Decides how `request` to `priced` pays, or refuses it with the reason: 402 without a
	/// usable allowance or free quota, 403 for a bad signature, 400 for a malformed header,
	/// 409 for a retry that cannot be answered again. The call's room is reserved (under the
	/// allowance, or in the free quota) until the admission is counted or dropped.
	pub fn admit(&self, request: &Message, priced: Priced) -> Result<Admission, MicroError> {
		let id = request.id().unwrap_or_default();
		let payment = |detail: String| MicroError::new(id, 402, detail);
		let Some(node) = self.chain.node_id() else {
			return Err(MicroError::new(id, 503, "this node is not registered on-chain yet"));
		};
		if priced.price_per_call == 0 {
			// The chain refuses to settle unpaid usage: nothing to count.
			return Ok(Admission::new(Charge::Unpriced));
		}
		let Some(header) = request.header(ALLOWANCE_HEADER) else {
			return self.admit_free(request, id, node);
		};
		let genesis = self.chain.genesis();
		let known = self.known_headers.lock().expect("not poisoned").get(
			header,
			node,
			priced.service,
			&genesis,
		);
		let remembered = known.is_some();
		let signed = match known {
			Some(signed) => signed,
			None => {
				let signed = SignedAllowance::parse_header(header)
					.map_err(|e| MicroError::bad_request(id, format!("{ALLOWANCE_HEADER}: {e}")))?
					.into_iter()
					.find(|s| s.allowance.node == node && s.allowance.service == priced.service)
					.ok_or_else(|| {
						payment(format!(
							"no allowance for service {} on node {node} among those sent",
							priced.service
						))
					})?;
				if !self.verify(&signed, &genesis) {
					return Err(MicroError::new(
						id,
						403,
						"the allowance's signature is not its consumer's",
					));
				}
				signed
			}
		};
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
		if allowance.expires_at < best.saturating_add(self.expiry_margin) {
			return Err(payment(format!(
				"the allowance expires at block {}, too soon to settle (now {best}, margin {})",
				allowance.expires_at, self.expiry_margin
			)));
		}
		// What the ledger alone can refuse (a replaced nonce, the calls used up) is refused
		// before the chain is read: a stale or spent allowance costs no runtime calls.
		let usable = |standing: &super::ledger::Standing| {
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
					"the allowance's {} calls are used up (counting {} served under the \
					 allowances it replaced, until they expire)",
					allowance.max_calls, standing.carried
				)));
			}
			Ok(())
		};
		usable(&self.ledger.standing(&signed, best)?)?;
		let revoked = self.chain.revoked_up_to(&allowance.consumer, node).map_err(|e| {
			MicroError::new(id, 503, format!("reading the consumer's revocations: {e}"))
		})?;
		if let Some(revoked) = revoked {
			if allowance.nonce <= revoked {
				return Err(payment(format!(
					"the consumer revoked its allowances for node {node} up to nonce {revoked}: \
					 sign one with a higher nonce"
				)));
			}
		}
		// Settlement pays from the tokens held for this node first, then from the rest. A hold
		// counts only if it outlasts the report that settles this call: after `until` anyone
		// may release it.
		let (held, until) = self.chain.held_for(&allowance.consumer, node);
		let held = if until >= best.saturating_add(self.expiry_margin) { held } else { 0 };
		let spendable =
			if self.require_hold { 0 } else { self.chain.tokens_of(&allowance.consumer) };
		let mut admission = Admission::new(Charge::Allowance(signed.clone()));
		if self.claim(&mut admission, allowance.consumer.encode(), request)? {
			return Ok(admission);
		}
		let reservation = self.ledger.reserve(&signed, best, price, |standing| {
			usable(standing)?;
			let needed = standing.unsettled_value_for_consumer.saturating_add(price);
			if held.saturating_add(spendable) < needed {
				let others = if self.require_hold {
					"this node serves only against held tokens (`micro tokens hold`)".to_owned()
				} else {
					format!("{spendable} others")
				};
				return Err(payment(format!(
					"the consumer holds {held} API tokens for this node until far enough ahead \
					 and {others}; {needed} are needed for its unsettled calls"
				)));
			}
			Ok(())
		})?;
		admission.reservation = Some(reservation);
		// Remembered only once it has paid for a call: spellings of an allowance whose
		// consumer has nothing to pay with (hex case, `0x`, commas) are parsed each time and
		// never push honest headers out.
		if !remembered {
			self.known_headers.lock().expect("not poisoned").insert(
				header,
				node,
				priced.service,
				genesis,
				&signed,
			);
		}
		Ok(admission)
	}

	/// Whether `signed`'s signature is its consumer's on this chain: checked once per
	/// allowance, then remembered by the hash of the allowance's whole encoding.
	fn verify(&self, signed: &SignedAllowance, genesis: &[u8; 32]) -> bool {
		let key = sp_crypto_hashing::blake2_256(&(genesis, signed).encode());
		if self.verified.lock().expect("not poisoned").contains(&key) {
			return true;
		}
		if !signed.verify(genesis) {
			return false;
		}
		let mut verified = self.verified.lock().expect("not poisoned");
		if verified.len() >= MAX_VERIFIED_ALLOWANCES {
			verified.clear();
		}
		verified.insert(key);
		true
	}

	/// How many allowances' signatures are remembered as checked (tests).
	#[cfg(test)]
	pub(crate) fn verified_allowances(&self) -> usize {
		self.verified.lock().expect("not poisoned").len()
	}

	/// How many allowance headers are remembered as read (tests).
	#[cfg(test)]
	pub(crate) fn known_headers(&self) -> usize {
		self.known_headers.lock().expect("not poisoned").headers.len()
	}

	/// Admits a call with no allowance as one of the free calls the calling node's operator
	/// reserved on chain for this node (`node`) in the current quota period: only those, so
	/// the account's quota is spent once network-wide, not once on every node.
	fn admit_free(
		&self,
		request: &Message,
		id: &str,
		node: NodeId,
	) -> Result<Admission, MicroError> {
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
		let (reserved, period) = self.chain.free_calls_reserved(&account, node);
		let mut admission = Admission::new(Charge::Free { account: account.clone(), period });
		if self.claim(&mut admission, account.encode(), request)? {
			return Ok(admission);
		}
		let reservation =
			self.ledger.reserve_free(&account, period, reserved).ok_or_else(|| {
				refused(&format!(
				"the caller's free quota for this period is used up on node {node}: its operator \
				 reserved {reserved} free calls for it (reserve_free_calls)"
			))
			})?;
		admission.reservation = Some(reservation);
		Ok(admission)
	}

	/// Marks `request` as running for `payer`, or finds it answered already: `true` if the
	/// admission is a replay of that answer.
	fn claim(
		&self,
		admission: &mut Admission,
		payer: Vec<u8>,
		request: &Message,
	) -> Result<bool, MicroError> {
		let key = Arc::new((payer, request.id().unwrap_or_default().to_owned()));
		let digest = digest_of(request);
		let mut replays = self.replays.lock().expect("not poisoned");
		replays.expire(Instant::now());
		if let Some(Entry { replay, .. }) = replays.entries.get(&*key) {
			let conflict = |detail: &str| MicroError::new(&key.1, 409, detail.to_owned());
			if replay.digest != digest {
				return Err(conflict(
					"this Micro-Id was used for another request here: send a new Micro-Id",
				));
			}
			return match &replay.answer {
				None => Err(conflict("a call with this Micro-Id is being served here already")),
				Some(None) => Err(conflict(
					"a call with this Micro-Id was served and charged here already, and its \
					 answer was too large to keep: send a new Micro-Id to call again",
				)),
				Some(Some(answer)) => {
					admission.replay = Some(answer.clone());
					Ok(true)
				}
			};
		}
		let serial = replays.insert(key.clone(), Replay { digest, answer: None });
		admission.claim =
			Some(ReplayClaim { replays: self.replays.clone(), key, serial, done: false.into() });
		Ok(false)
	}

	/// Counts one served call of `version` under `admission`, without keeping its answer: a
	/// call with its `Micro-Id` is then served and charged again.
	pub fn record(&self, admission: &Admission, version: VersionNumber) -> Result<(), MicroError> {
		self.count(admission, version, None)
	}

	/// Counts one served call of `version` under `admission`, and keeps its `answer` for a
	/// retry with the same `Micro-Id`.
	pub fn served(
		&self,
		admission: &Admission,
		version: VersionNumber,
		answer: &[u8],
	) -> Result<(), MicroError> {
		self.count(admission, version, Some(answer))
	}

	fn count(
		&self,
		admission: &Admission,
		version: VersionNumber,
		answer: Option<&[u8]>,
	) -> Result<(), MicroError> {
		if admission.replay.is_some() {
			return Ok(());
		}
		if let Some(reservation) = &admission.reservation {
			reservation.commit(version)?;
		}
		match (&admission.claim, answer) {
			(Some(claim), Some(answer)) => claim.answered(answer),
			(Some(claim), None) => claim.forget(),
			(None, _) => {}
		}
		Ok(())
	}
}

/// What identifies a call's request beyond its `Micro-Id`: a retry must be the same request.
/// A fast hash, not a cryptographic one, and that is enough: replays are kept per payer, so a
/// payer that made two of its own requests collide would only get the first one's answer,
/// which it paid for, again.
fn digest_of(request: &Message) -> u64 {
	use std::hash::Hasher as _;
	let mut hasher = twox_hash::XxHash3_64::new();
	for part in [
		request.header(header::SERVICE),
		request.header(header::ENDPOINT),
		request.header(crate::executor::VERSION_HEADER),
	] {
		let part = part.unwrap_or_default().as_bytes();
		// Each part with its length, so no two different requests hash the same bytes.
		hasher.write_u64(part.len() as u64);
		hasher.write(part);
	}
	hasher.write_u64(request.body.len() as u64);
	hasher.write(&request.body);
	hasher.finish()
}

/// A call's payer and `Micro-Id`.
type ReplayKey = (Vec<u8>, String);
/// A [`ReplayKey`] shared by the map and the queues that index it, so indexing copies no
/// bytes.
type SharedKey = Arc<ReplayKey>;
/// Calls in the order they were claimed, as (serial, key). An item whose key is gone, or now
/// holds another serial, is stale: skipped where it is met, dropped when stale items
/// outnumber live ones.
type ClaimOrder = VecDeque<(u64, SharedKey)>;

struct Replay {
	digest: u64,
	/// `None` while the call runs; then its answer, if small enough to keep.
	answer: Option<Option<Vec<u8>>>,
}

/// A call remembered: the serial of its claim, and when its window started (claimed, then
/// answered).
struct Entry {
	serial: u64,
	at: Instant,
	replay: Replay,
}

/// Calls served recently, by payer and `Micro-Id`: bounded in count, bytes and age, in all
/// and for each payer.
///
/// One map holds the calls; two queues keep the order they were claimed in (all, and each
/// payer's), which is the order they go in when a bound is reached. An answer keeps its
/// call's place and starts its window again: a call answered late is kept at least
/// [`REPLAY_WINDOW`] after its answer, and expiry, which stops at the first call still in
/// its window, may keep the calls behind it a little longer. A paid call costs a handful of
/// hash lookups here, with no ordered map to rebalance.
#[derive(Default)]
struct Replays {
	entries: foldhash::HashMap<SharedKey, Entry>,
	order: ClaimOrder,
	/// Each payer's share: its calls (oldest first) and the bytes of its answers.
	payers: foldhash::HashMap<Vec<u8>, PayerShare>,
	next: u64,
	bytes: usize,
}

#[derive(Default)]
struct PayerShare {
	calls: usize,
	bytes: usize,
	order: ClaimOrder,
}

fn answer_len(replay: &Replay) -> usize {
	replay.answer.as_ref().and_then(|a| a.as_ref()).map_or(0, Vec::len)
}

/// Whether `item` of a [`ClaimOrder`] still names the call it was queued for.
fn is_live(
	entries: &foldhash::HashMap<SharedKey, Entry>,
	(serial, key): &(u64, SharedKey),
) -> bool {
	entries.get(&**key).is_some_and(|entry| entry.serial == *serial)
}

/// Drops `order`'s stale items once they outnumber its `live` ones (and a few more), so
/// calls removed out of order cost amortised constant time and bounded room.
fn compact(entries: &foldhash::HashMap<SharedKey, Entry>, order: &mut ClaimOrder, live: usize) {
	if order.len() > 2 * live + 64 {
		order.retain(|item| is_live(entries, item));
	}
}

impl Replays {
	fn insert(&mut self, key: impl Into<SharedKey>, replay: Replay) -> u64 {
		let key = key.into();
		self.remove(&key);
		let serial = self.next;
		self.next += 1;
		let bytes = answer_len(&replay);
		self.bytes += bytes;
		let share = match self.payers.get_mut(&key.0) {
			Some(share) => share,
			None => self.payers.entry(key.0.clone()).or_default(),
		};
		share.calls += 1;
		share.bytes += bytes;
		share.order.push_back((serial, key.clone()));
		self.entries.insert(key.clone(), Entry { serial, at: Instant::now(), replay });
		self.order.push_back((serial, key.clone()));
		self.bound(&key.0);
		serial
	}

	/// Keeps `answer` for the call `key` claimed as `serial`, in place, its window starting
	/// now. Nothing if the claim was pushed out or answered meanwhile.
	fn answer(&mut self, key: &SharedKey, serial: u64, answer: Option<Vec<u8>>) {
		let Some(entry) = self.entries.get_mut(&**key) else { return };
		// Only the running mark of this very claim takes an answer, once.
		if entry.serial != serial || entry.replay.answer.is_some() {
			return;
		}
		let before = answer_len(&entry.replay);
		entry.replay.answer = Some(answer);
		entry.at = Instant::now();
		let after = answer_len(&entry.replay);
		self.bytes = self.bytes - before + after;
		if let Some(share) = self.payers.get_mut(&key.0) {
			share.bytes = share.bytes - before + after;
		}
		if after > before {
			self.bound(&key.0);
		}
	}

	/// Pushes out the oldest calls while `payer`'s share or the whole cache is over its
	/// bounds.
	fn bound(&mut self, payer: &[u8]) {
		// The payer's own oldest go first, so it cannot push out anyone else's.
		while let Some(share) = self.payers.get_mut(payer).filter(|share| {
			share.calls > MAX_REPLAYS_PER_PAYER || share.bytes > MAX_REPLAY_BYTES_PER_PAYER
		}) {
			let Some(oldest) = share.order.pop_front() else { break };
			if is_live(&self.entries, &oldest) {
				self.remove(&oldest.1);
			}
		}
		while self.entries.len() > MAX_REPLAYS || self.bytes > MAX_REPLAY_BYTES {
			let Some(oldest) = self.order.pop_front() else { break };
			if is_live(&self.entries, &oldest) {
				self.remove(&oldest.1);
			}
		}
	}

	fn remove(&mut self, key: &ReplayKey) {
		let Some(entry) = self.entries.remove(key) else { return };
		let bytes = answer_len(&entry.replay);
		self.bytes -= bytes;
		if let Some(share) = self.payers.get_mut(&key.0) {
			share.calls -= 1;
			share.bytes -= bytes;
			if share.calls == 0 {
				self.payers.remove(&key.0);
			} else {
				compact(&self.entries, &mut share.order, share.calls);
			}
		}
		compact(&self.entries, &mut self.order, self.entries.len());
	}

	/// Forgets the calls whose window has passed, oldest claim first, up to the first one
	/// still in its window.
	fn expire(&mut self, now: Instant) {
		while let Some(front) = self.order.pop_front() {
			let Some(entry) = self.entries.get(&*front.1).filter(|e| e.serial == front.0) else {
				continue; // stale
			};
			if now.duration_since(entry.at) < REPLAY_WINDOW {
				self.order.push_front(front);
				break;
			}
			self.remove(&front.1);
		}
	}
}

/// A call marked as running in the replay cache: answered, it stays for a retry; dropped
/// unanswered, the mark goes.
struct ReplayClaim {
	replays: Arc<Mutex<Replays>>,
	key: SharedKey,
	serial: u64,
	done: AtomicBool,
}

impl ReplayClaim {
	fn answered(&self, answer: &[u8]) {
		self.done.store(true, Ordering::SeqCst);
		let kept = (answer.len() <= MAX_REPLAY_ANSWER).then(|| answer.to_vec());
		self.replays.lock().expect("not poisoned").answer(&self.key, self.serial, kept);
	}
}

impl ReplayClaim {
	/// Takes the mark away, now rather than when dropped.
	fn forget(&self) {
		if self.done.swap(true, Ordering::SeqCst) {
			return;
		}
		let mut replays = self.replays.lock().expect("not poisoned");
		if replays.entries.get(&*self.key).is_some_and(|entry| entry.serial == self.serial) {
			replays.remove(&self.key);
		}
	}
}

impl Drop for ReplayClaim {
	fn drop(&mut self) {
		self.forget();
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	fn answered(bytes: usize) -> Replay {
		Replay { digest: 0, answer: Some(Some(vec![7; bytes])) }
	}

	#[test]
	fn one_payer_cannot_evict_another_payers_calls() {
		let mut replays = Replays::default();
		let (alice, mallory) = (b"alice".to_vec(), b"mallory".to_vec());
		replays.insert((alice.clone(), "a-1".into()), answered(10));
		for n in 0..MAX_REPLAYS * 2 {
			replays.insert((mallory.clone(), format!("m-{n}")), answered(10));
		}
		assert!(replays.entries.contains_key(&(alice.clone(), "a-1".into())), "alice's kept");
		assert_eq!(replays.entries.len(), MAX_REPLAYS_PER_PAYER + 1);
		assert_eq!(replays.payers[&mallory].calls, MAX_REPLAYS_PER_PAYER);
		let newest = format!("m-{}", MAX_REPLAYS * 2 - 1);
		assert!(replays.entries.contains_key(&(mallory.clone(), newest)), "its newest kept");
		assert!(!replays.entries.contains_key(&(mallory, "m-0".into())), "its oldest gone");
	}

	#[test]
	fn one_payers_answers_cannot_take_every_byte() {
		let mut replays = Replays::default();
		let (alice, mallory) = (b"alice".to_vec(), b"mallory".to_vec());
		replays.insert((alice.clone(), "a-1".into()), answered(MAX_REPLAY_ANSWER));
		for n in 0..(MAX_REPLAY_BYTES / MAX_REPLAY_ANSWER) * 2 {
			replays.insert((mallory.clone(), format!("m-{n}")), answered(MAX_REPLAY_ANSWER));
		}
		assert!(replays.entries.contains_key(&(alice, "a-1".into())), "alice's kept");
		let share = &replays.payers[&mallory];
		assert_eq!(share.bytes, MAX_REPLAY_BYTES_PER_PAYER);
		assert_eq!(share.calls, MAX_REPLAY_BYTES_PER_PAYER / MAX_REPLAY_ANSWER);
		assert_eq!(replays.bytes, MAX_REPLAY_BYTES_PER_PAYER + MAX_REPLAY_ANSWER);
	}

	/// An answer is kept in place of its running mark, counted in the bytes, once; the call
	/// keeps its claim's place among the payer's calls; an answer to a claim pushed out or
	/// answered already changes nothing.
	#[test]
	fn an_answer_is_kept_in_place_of_its_running_mark() {
		let mut replays = Replays::default();
		let alice = b"alice".to_vec();
		let first: SharedKey = Arc::new((alice.clone(), "a-1".into()));
		let serial = replays.insert(first.clone(), Replay { digest: 1, answer: None });
		let second: SharedKey = Arc::new((alice.clone(), "a-2".into()));
		let later = replays.insert(second.clone(), Replay { digest: 2, answer: None });
		replays.answer(&first, serial, Some(vec![7; 100]));
		assert_eq!((replays.bytes, replays.payers[&alice].bytes), (100, 100));
		replays.answer(&first, serial, Some(vec![7; 5]));
		assert_eq!(replays.bytes, 100, "answered once only");
		replays.answer(&first, later, Some(vec![7; 5]));
		assert_eq!(replays.bytes, 100, "another claim's answer changes nothing");
		let Entry { replay: kept, .. } = &replays.entries[&*first];
		assert_eq!((kept.digest, kept.answer.clone()), (1, Some(Some(vec![7; 100]))));
		for n in 3..=MAX_REPLAYS_PER_PAYER + 1 {
			replays.insert((alice.clone(), format!("a-{n}")), answered(1));
		}
		assert!(!replays.entries.contains_key(&*first), "the oldest claim goes first");
		assert!(replays.entries.contains_key(&*second));
		assert_eq!(replays.bytes, MAX_REPLAYS_PER_PAYER - 1);
		assert_eq!(replays.payers[&alice].bytes, replays.bytes);
		replays.answer(&first, serial, Some(vec![7; 5]));
		assert_eq!(replays.bytes, MAX_REPLAYS_PER_PAYER - 1, "pushed out: nothing kept");
	}

	/// A call is forgotten once its window has passed, counted from its answer: a call
	/// answered late is still there for a retry until a whole window after it answered.
	#[test]
	fn the_window_starts_at_the_answer() {
		let mut replays = Replays::default();
		let alice = b"alice".to_vec();
		let slow: SharedKey = Arc::new((alice.clone(), "slow".into()));
		let claimed = Instant::now();
		let serial = replays.insert(slow.clone(), Replay { digest: 1, answer: None });
		replays.insert((alice.clone(), "quick".into()), answered(1));
		replays.entries.get_mut(&*slow).unwrap().at = claimed;
		replays.answer(&slow, serial, Some(vec![7; 10]));
		let answered_at = replays.entries[&*slow].at;
		replays.expire(answered_at + REPLAY_WINDOW - Duration::from_millis(1));
		assert!(replays.entries.contains_key(&*slow), "in its window from the answer");
		replays.expire(answered_at + REPLAY_WINDOW);
		assert!(replays.entries.is_empty(), "both gone once past");
		assert!(replays.payers.is_empty() && replays.order.is_empty());
		assert_eq!(replays.bytes, 0);
	}

	/// Calls removed out of order (a claim dropped unanswered, a retry replacing its call)
	/// leave stale items in the queues; they never outgrow the live calls by much.
	#[test]
	fn calls_removed_out_of_order_leave_the_queues_bounded() {
		let mut replays = Replays::default();
		let alice = b"alice".to_vec();
		replays.insert((alice.clone(), "kept".into()), answered(1));
		for n in 0..10_000 {
			let key = (alice.clone(), format!("gone-{n}"));
			replays.insert(key.clone(), Replay { digest: 0, answer: None });
			replays.remove(&key);
			replays.insert((alice.clone(), "kept".into()), answered(1));
		}
		assert_eq!(replays.entries.len(), 1);
		assert!(replays.order.len() <= 2 + 64, "{} queued", replays.order.len());
		assert!(replays.payers[&alice].order.len() <= 2 + 64);
		assert_eq!((replays.payers[&alice].calls, replays.bytes), (1, 1));
	}

	#[test]
	fn removing_a_call_gives_its_payers_share_back() {
		let mut replays = Replays::default();
		let key = (b"alice".to_vec(), "a-1".to_owned());
		replays.insert(key.clone(), answered(100));
		replays.remove(&key);
		assert!(replays.payers.is_empty());
		assert_eq!(replays.bytes, 0);
	}
}
