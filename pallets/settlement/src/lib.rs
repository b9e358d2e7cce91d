//! # Settlement pallet: nodes are paid for the calls they served
//!
//! A consumer authorizes spending off-chain: it signs a [`UsageAllowance`] (service, node, most
//! calls, highest price per call, expiry block, nonce) with its account key, over
//! `(USAGE_ALLOWANCE_CONTEXT, genesis_hash, allowance)`. The node's MUCP worker takes it with
//! the calls and, from time to time, submits a [`UsageReport`]: a batch of records (allowance,
//! signature, version, calls), signed by the node's layer-0 key over the blake2-256 hash of
//! `(USAGE_REPORT_CONTEXT, genesis_hash, report)`.
//!
//! ## What is checked
//! The report as a whole: the node is registered, the signature is its key's, its `sequence` is
//! above the node's last one (a report is settled once), and at most one report per node every
//! [`Config::MinReportInterval`] blocks. A report failing any of these is refused whole.
//!
//! Each record on its own ([`RecordError`]): at least one call; the allowance names this node
//! and carries the consumer's valid signature; it has not expired; the consumer has not revoked
//! it (or the revocation's notice is not over); the node runs that live
//! version of the service, or did within the services' grace
//! ([`micro_primitives::ServiceDirectory::ran_recently`]); its nonce is the consumer's current one for this node (with the same
//! terms) or a higher one, which replaces it; the calls keep it within its maximum; the
//! service's price is not zero and not above the allowance's cap; and the consumer holds enough
//! tokens: those it holds for this node (`pallet-micro-tokens`' holds) pay first, whatever their
//! expiry, then its unexpired ones. A record that fails is reported with its reason in
//! [`Event::RecordRejected`] and changes nothing; the other records are settled regardless.
//!
//! ## What a settled record does
//! It charges `calls * price_per_call` API tokens to the consumer, pays the MICRO backing them to
//! the service's current NFT owner less 2.5% to charity and 2.5% to operations, and emits
//! [`Event::UsageSettled`]. The value of the calls (the MICRO released) counts toward the
//! reputation of the service and the node when a stranger paid it; a report with records the
//! node should have refused costs the node a failed-settlement mark.
//!
//! A stranger's paid usage (as above) is also added to the consumer's [`Receipt`] from the node
//! ([`Receipts`]), which the consumer may dispute. A receipt covers the usage settled from its
//! first settlement (`since`) to [`Config::DisputeWindow`] blocks later at most; usage settled
//! after that starts a new receipt, which replaces the old one.
//!
//! ## Revoking
//! A consumer revokes its allowances for a node with [`Pallet::revoke_allowance`]: those with a
//! nonce at or below the one it names (or its current one, if higher) settle for
//! [`Config::RevokeNotice`] more blocks and are then refused ([`RecordError::Revoked`], not the
//! node's fault). The notice is longer than [`Config::MinReportInterval`], so an honest node can
//! report what it served before the revocation; and the consumer's hold of tokens for the node
//! is kept at least until the revocation takes effect
//! ([`micro_primitives::UsagePayments::keep_held_until`]), so what the node reports in the
//! notice is paid. A higher nonce signed later is unaffected. A further revocation may cover
//! more nonces once the earlier one is in effect; what that one revoked stays revoked. A
//! revocation stays in state (one per consumer and node, paid for by its transaction fee):
//! the chain cannot know when every allowance it covers has expired, and removing it would let
//! them settle again.
//!
//! ## Disputes
//! There is no proof of service: the chain cannot tell whether a node served the calls it
//! reported, so it does not adjudicate. The rule instead makes a dispute cost the disputer and
//! makes the node answer it:
//! - the consumer disputes its [`Receipt`] from a node ([`Pallet::dispute_usage`]) within
//!   [`Config::DisputeWindow`] blocks of the receipt's latest settlement (`settled_at`), once
//!   per receipt, placing
//!   [`Config::DisputeDeposit`] on hold ([`HoldReason::DisputeDeposit`]). Only paid usage by a
//!   consumer who is neither the service's owner nor the node's operator has a receipt, and
//!   the owner and operator are checked again when disputing;
//! - the node's operator, or the service's current owner if the receipt is one service's (the
//!   owner was paid 95% of it), may answer within the window with [`Pallet::refund_usage`]: it
//!   pays the consumer the MICRO value the usage released, from its own account; the dispute
//!   closes with nothing recorded and the deposit returns;
//! - after the window anyone may [`Pallet::close_dispute`]: an unrefunded dispute records
//!   [`micro_primitives::ReputationEvent::Dispute`] against the node only, and the deposit
//!   returns.
//!
//! Limits: a consumer who was served honestly can still dispute; it then risks its deposit's
//! use for the window and gains only if the operator refunds rather than take the mark, so a
//! node may choose to refund small disputes. The deposit is not slashed (nobody can tell who
//! was right); it prices disputes in locked funds and transaction fees. A receipt adds up the
//! usage settled within [`Config::DisputeWindow`] blocks of its first settlement, so a refund
//! is at most one window's usage; usage settled after that replaces it with a new receipt, and
//! the old usage can no longer be disputed (a consumer disputes within a window of the usage
//! or not at all). One dispute per node and consumer is open at a time, and usage settled
//! meanwhile goes to a new receipt. Receipts past their window are swept with the allowance
//! states.
//!
//! Reports can be submitted with no account, authorized by the node's signature alone (the
//! node's operator pays the fee), or relayed by any signed account (which pays its own
//! transaction fee).
//!
//! ## Throughput
//! A report is settled one consumer at a time (the consumers in the order they first appear in
//! it, each one's records in the report's order; every record is settled or rejected, none is
//! dropped, so no consumer waits on where its key sorts). For each consumer the chain reads its
//! allowance state, revocation and spendable tokens once, checks each record against them as
//! if it were alone (the tokens counted down record by record), and then pays for the records
//! that passed together: one payment and one [`Event::UsageSettled`] per service (its `calls`
//! and `tokens` summed, `version` the last record's), so the consumer's batches and hold are
//! read and written once. If that payment fails (it cannot, short of a broken pot), none of the
//! consumer's records settle ([`RecordError::PaymentFailed`]). Services' prices, owners and
//! whether the node ran a version are read once per report.
//!
//! A consumer's signature is checked once per allowance: the allowance state keeps the terms
//! hash (blake2-256 of the whole allowance) of the allowance it was stored for, which was
//! verified then, so a record whose allowance has that nonce and that hash needs no
//! verification (its signature adds nothing the consumer did not sign). Any other allowance is
//! verified, including one reusing the nonce with other terms (then refused as
//! [`RecordError::AllowanceReplayed`]). What is kept is the state itself: one per consumer and
//! node, paid for by the reports that settle under it, replaced by a higher nonce and swept
//! once it and what it replaced have expired; a revocation still refuses a known allowance.
//!
//! The weight is `submit_usage(r, c, s)`: `r` records, `c` distinct consumers and `s`
//! signatures verified, each benchmarked at its worst case (see `benchmarking.rs`). Before
//! dispatch every record is charged a signature; the call returns the weight it really took
//! (the signatures it verified), so a block is filled at what its reports cost, and an unsigned
//! report's fee is computed on that weight.
//!
//! A run of records under one allowance hashes it once and verifies it once. The charity's and
//! operations' shares of each payment (split per payment) are paid once per report, summed
//! ([`micro_primitives::UsagePayments::pay_shares`]), so a payment is one transfer, to the owner.
//!
//! Measured (release benchmark node on a shared 2-core host, spec 108, ParityDB weights; see
//! docs/economy.md, which has the command): a record costs 33 µs from one consumer under a known
//! allowance in a 128-record report (0.26 of a `transfer_keep_alive`, 127 µs measured the same
//! way), 67 µs at 16 records per consumer, 966 µs when each record is a new consumer under a new
//! allowance (its 23 reads and 8 writes alone are 584 µs). A normal extrinsic's 1.3 s then holds
//! about 38,900, 19,300 and 1,345 records per block.
//!
//! ## The attacks each rule stops
//! - **Pool flooding (C2).** An unsigned report's pool tag is its node alone, so a node has one
//!   report in the pool at a time whatever sequences it signs, and its priority is 0, no higher
//!   than a signed transaction with no tip: reports cannot crowd out paying transactions.
//! - **Free blockspace (C2).** An unsigned report costs the node's operator what a signed
//!   transaction of the same weight and length would pay ([`Config::ReportFee`]), plus
//!   [`Config::RejectedRecordFee`] per rejected record, so junk records make a report cost more,
//!   not less. The pool refuses (`InvalidTransaction::Payment`) a report whose operator cannot pay
//!   the worst case (every record rejected). The fee goes to [`Config::OnReportFee`], the
//!   runtime's fee split. A relayed report pays its own signed fee and nothing more.
//! - **Block stuffing.** [`Config::MaxRecords`] bounds a report; `integrity_test` asserts that a
//!   full report at the benchmarked worst case (every record its own consumer, service and owner,
//!   every signature verified) fits one normal extrinsic. The pre-dispatch weight charges a
//!   signature for every record, since a node can fill a report with allowances new to the
//!   chain; only what was really verified is refunded.
//! - **A known nonce with other terms.** A node cannot pass a changed allowance (more calls, a
//!   higher price) under a nonce the chain already knows without the consumer's signature: only
//!   an allowance whose whole encoding hashes to the kept terms skips verification.
//! - **Unpaid usage (C2, H2).** A record of a free service (price 0) is refused
//!   ([`RecordError::Unpaid`], not the node's fault): it writes no allowance state and earns no
//!   reputation, so self-settled free calls neither bloat state nor farm the usage score.
//! - **Self-dealing for reputation (H2).** Only calls whose tokens released MICRO and whose
//!   consumer is neither the service's owner nor the node's operator are reported to reputation,
//!   as [`micro_primitives::ReputationEvent::PaidUsage`] weighted by that value.
//! - **Price raised after signing (H1).** The allowance carries `max_price_per_call`; a record
//!   whose service now costs more is refused ([`RecordError::PriceAboveCap`], not the node's
//!   fault) and the consumer keeps its tokens.
//! - **A higher nonce adding to the old one (M3).** A higher nonce replaces: the calls settled
//!   under the replaced allowance (and what it carried) count toward the new one's `max_calls`
//!   until the replaced one expires ([`AllowanceState::carried`]), so a node cannot charge the
//!   old maximum and then the new maximum again.
//! - **State that never goes (L2).** Expired allowance states are swept in `on_idle`, with the
//!   block's leftover weight only, resuming where the last sweep stopped ([`PruneCursor`]). A
//!   state goes once the allowance and every one it replaced have expired, so nothing it
//!   guards can still be settled: a lower nonce it replaced is then expired too (if it was ever
//!   settled; a never-settled lower nonce with a later expiry than its replacement becomes
//!   settleable again, within its own signed terms). A sweep, not a permissionless call, because
//!   nobody would pay a fee to delete someone else's state, and idle weight costs no one.
//!   Receipts past their dispute window are swept the same way ([`ReceiptCursor`]).
//! - **A sweep starved by the other.** Each block's idle weight is split: one sweep may use
//!   half of it and the other what is left, the one capped at half alternating with the
//!   block's parity, so both sweeps make progress under steady load.
//! - **Served, then spent elsewhere (M2).** A consumer served by a node could spend the same
//!   tokens through another node's report, or let them lapse, before the node reported. Tokens
//!   the consumer holds for the node pay that node's records first and no other node's, and
//!   stay held (without lapsing) until the hold's end, which the node knows in advance.
//! - **No way to revoke (M3).** [`Pallet::revoke_allowance`] stops a consumer's allowances for
//!   a node after [`Config::RevokeNotice`]; records after that are refused
//!   ([`RecordError::Revoked`]), records within it settle (and are paid from the hold), so the
//!   revocation neither strands an honest node nor lets the consumer walk away from calls
//!   already served.
//! - **An owner failing the nodes that served it (M4).** Whether the node runs the version is
//!   checked when the report settles, not when the calls were served, so an owner who retired
//!   the version (or evicted the node) before the node reported made every unsettled record
//!   fail as [`RecordError::NotServing`], unpaid and with a failed-settlement mark. A version
//!   retired, or a placement ended, within the services' grace (`pallet-micro-services`'
//!   `RetireGrace`, longer than [`Config::MinReportInterval`] and a worker's report cadence)
//!   still counts ([`micro_primitives::ServiceDirectory::ran_recently`]); after it, records are
//!   refused as before. A price so high that `calls * price` overflows
//!   ([`RecordError::Overflow`]) is the owner's doing and no longer the node's fault.
//! - **`Dispute` recorded by nothing.** A consumer can dispute what a node settled for it; a
//!   dispute that neither the node's operator nor the service's owner refunds within
//!   [`Config::DisputeWindow`] is what records [`micro_primitives::ReputationEvent::Dispute`]
//!   (against the node). The deposit stops free disputes;
//!   the owner and the operator cannot dispute their own usage, so a dispute cannot be farmed
//!   against a competitor's node by self-dealing through it.
//! - **A service marked through a node it did not choose.** Placement needs no owner's
//!   consent, so an attacker could place a victim's service on its own node, pay for one call
//!   from a second account, dispute it and never refund, marking the service once per
//!   consumer account. A lost dispute is recorded against the node alone: the service's owner
//!   cannot answer for a node it did not choose.
//! - **One refund covering months.** A receipt used to keep growing while each settlement came
//!   within a window of the last, and only the operator (who received nothing on chain) could
//!   refund it all. A receipt now covers at most one [`Config::DisputeWindow`] of usage, so a
//!   dispute puts at most one window's value at stake, and the service's owner, who was paid,
//!   may refund a one-service receipt itself.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
mod functions;
pub mod migrations;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;
pub mod types;
pub mod weights;

pub use micro_primitives::UsageAllowance;
pub use types::*;
pub use weights::WeightInfo;

/// What benchmarks need from the runtime: consumers that can sign, and a live service.
#[cfg(feature = "runtime-benchmarks")]
pub trait BenchmarkHelper<AccountId, Signature> {
	/// The `index`th consumer, with its key in the keystore.
	fn consumer(index: u32) -> AccountId;
	/// `consumer`'s signature over `message`.
	fn sign(consumer: &AccountId, message: &[u8]) -> Signature;
	/// A service owned by `owner` whose version `node` serves (or served within the services'
	/// grace), at a price of 1, in the state that is costliest to check
	/// ([`micro_primitives::ServiceDirectory::ran_recently`]).
	fn live_service(
		owner: &AccountId,
		node: micro_primitives::NodeId,
	) -> (micro_primitives::ServiceId, micro_primitives::VersionNumber);
}

/// Benchmark consumers for runtimes whose accounts are `AccountId32`s signing with
/// `MultiSignature`: sr25519 keys made in the benchmark keystore.
#[cfg(feature = "runtime-benchmarks")]
pub mod sr25519_consumers {
	use sp_runtime::{AccountId32, MultiSignature};

	/// The `index`th consumer, its key made in the keystore from a seed of its index.
	pub fn consumer(index: u32) -> AccountId32 {
		let seed = alloc::format!("//consumer{index}").into_bytes();
		let key = sp_io::crypto::sr25519_generate(micro_primitives::BENCHMARK_KEY_TYPE, Some(seed));
		AccountId32::from(key)
	}

	/// `consumer`'s signature over `message`.
	pub fn sign(consumer: &AccountId32, message: &[u8]) -> MultiSignature {
		let key = sp_core::sr25519::Public::from_raw(consumer.clone().into());
		sp_io::crypto::sr25519_sign(micro_primitives::BENCHMARK_KEY_TYPE, &key, message)
			.expect("the consumer's key is in the keystore")
			.into()
	}
}

#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use frame_support::pallet_prelude::*;
	use frame_support::traits::{fungible, OnUnbalanced};
	use frame_system::pallet_prelude::*;
	use micro_primitives::ApiTokens;
	use micro_primitives::{
		NodeDirectory, NodeId, NodeSignature, ReputationLedger, ServiceDirectory, ServiceId,
		UsagePayments, VersionNumber,
	};
	use sp_runtime::{
		traits::{Convert, IdentifyAccount, UniqueSaturatedInto, Verify, Zero},
		transaction_validity::TransactionValidityWithRefund,
	};

	/// The storage version: 1 added the carried calls to [`AllowanceState`].
	pub const STORAGE_VERSION: StorageVersion = StorageVersion::new(1);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	#[pallet::config]
	pub trait Config: frame_system::Config<RuntimeEvent: From<Event<Self>>> {
		/// The signature consumers sign allowances with: the runtime's account signature.
		type Signature: Verify<Signer: IdentifyAccount<AccountId = Self::AccountId>>
			+ Parameter
			+ MaxEncodedLen;
		/// The registered nodes and their keys.
		type Nodes: NodeDirectory<Self::AccountId, BlockNumberFor<Self>>;
		/// The registered services: owners, prices and placements.
		type Services: ServiceDirectory<Self::AccountId, BlockNumberFor<Self>>;
		/// The API tokens consumers pay in (and hold for nodes); the MICRO backing they release
		/// is the value of the calls for reputation.
		type Tokens: UsagePayments<
			Self::AccountId,
			BlockNumberFor<Self>,
			Balance: UniqueSaturatedInto<u128>,
		>;
		/// Where settled calls and failed settlements are recorded.
		type Reputation: ReputationLedger;
		/// The native currency a node's operator pays the fee of an unsigned report in, and
		/// dispute deposits are held in.
		type Currency: fungible::Balanced<Self::AccountId>
			+ fungible::Mutate<Self::AccountId>
			+ fungible::MutateHold<Self::AccountId, Reason = Self::RuntimeHoldReason>;
		/// The runtime's reasons for holding funds: this pallet holds dispute deposits.
		type RuntimeHoldReason: From<HoldReason>;
		/// The fee a signed transaction of this weight and length would pay, with no tip: what
		/// the operator pays for a report submitted without an account.
		type ReportFee: Convert<(Weight, u32), BalanceOf<Self>>;
		/// Extra fee for each rejected record of an unsigned report: junk costs more.
		#[pallet::constant]
		type RejectedRecordFee: Get<BalanceOf<Self>>;
		/// Where the fees of unsigned reports go (the runtime's fee split).
		type OnReportFee: OnUnbalanced<CreditOf<Self>>;
		/// Most records in one report.
		#[pallet::constant]
		type MaxRecords: Get<u32>;
		/// Fewest blocks between two reports of one node.
		#[pallet::constant]
		type MinReportInterval: Get<BlockNumberFor<Self>>;
		/// Blocks a revoked allowance still settles for: the node's time to report what it
		/// served before the revocation. Longer than [`Config::MinReportInterval`].
		#[pallet::constant]
		type RevokeNotice: Get<BlockNumberFor<Self>>;
		/// Blocks after a settlement its consumer may dispute it, and after a dispute the
		/// node's operator may refund it.
		#[pallet::constant]
		type DisputeWindow: Get<BlockNumberFor<Self>>;
		/// What a consumer places on hold to dispute a settlement; returned when it closes.
		#[pallet::constant]
		type DisputeDeposit: Get<BalanceOf<Self>>;
		/// Weights of this pallet's calls.
		type WeightInfo: WeightInfo;
		/// Consumers and services for the benchmarks.
		#[cfg(feature = "runtime-benchmarks")]
		type BenchmarkHelper: BenchmarkHelper<Self::AccountId, Self::Signature>;
	}

	/// Each node's last settled report: its sequence and block.
	#[pallet::storage]
	pub type LastReport<T: Config> = StorageMap<_, Twox64Concat, NodeId, (u64, BlockNumberFor<T>)>;

	/// Each consumer's current allowance for each node.
	#[pallet::storage]
	pub type Allowances<T: Config> = StorageDoubleMap<
		_,
		Blake2_128Concat,
		T::AccountId,
		Twox64Concat,
		NodeId,
		AllowanceState<BlockNumberFor<T>>,
	>;

	/// Where the sweep of expired allowance states resumes: the raw key it stopped after.
	#[pallet::storage]
	pub type PruneCursor<T: Config> = StorageValue<_, BoundedVec<u8, ConstU32<256>>>;

	/// Each consumer's revocation of its allowances for each node.
	#[pallet::storage]
	pub type Revocations<T: Config> = StorageDoubleMap<
		_,
		Blake2_128Concat,
		T::AccountId,
		Twox64Concat,
		NodeId,
		Revocation<BlockNumberFor<T>>,
	>;

	/// What each node settled lately for each consumer (strangers' paid usage only), while the
	/// consumer may still dispute it. New in this version (after storage version 1 was set, at
	/// no chain holding receipts yet), so it needs no migration.
	#[pallet::storage]
	pub type Receipts<T: Config> = StorageDoubleMap<
		_,
		Twox64Concat,
		NodeId,
		Blake2_128Concat,
		T::AccountId,
		Receipt<BlockNumberFor<T>>,
	>;

	/// Open disputes, by node and consumer.
	#[pallet::storage]
	pub type Disputes<T: Config> = StorageDoubleMap<
		_,
		Twox64Concat,
		NodeId,
		Blake2_128Concat,
		T::AccountId,
		Dispute<BlockNumberFor<T>, BalanceOf<T>>,
	>;

	/// Where the sweep of receipts past their dispute window resumes.
	#[pallet::storage]
	pub type ReceiptCursor<T: Config> = StorageValue<_, BoundedVec<u8, ConstU32<256>>>;

	/// Why this pallet holds funds.
	#[pallet::composite_enum]
	pub enum HoldReason {
		/// A consumer's deposit on a dispute of a settlement.
		DisputeDeposit,
	}

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// Calls were settled: `tokens` charged to the consumer, `paid` MICRO to the owner and
		/// the charity and operations shares to theirs.
		UsageSettled {
			node: NodeId,
			consumer: T::AccountId,
			service: ServiceId,
			version: VersionNumber,
			calls: u64,
			tokens: u128,
			owner: T::AccountId,
			paid: <T::Tokens as UsagePayments<T::AccountId, BlockNumberFor<T>>>::Balance,
			charity: <T::Tokens as UsagePayments<T::AccountId, BlockNumberFor<T>>>::Balance,
			operations: <T::Tokens as UsagePayments<T::AccountId, BlockNumberFor<T>>>::Balance,
		},
		/// Record `index` of a report was not settled, for `reason`.
		RecordRejected { node: NodeId, index: u32, consumer: T::AccountId, reason: RecordError },
		/// A report was processed.
		ReportSettled { node: NodeId, sequence: u64, settled: u32, rejected: u32 },
		/// The operator of a node paid `fee` for its report submitted without an account.
		ReportFeePaid { node: NodeId, operator: T::AccountId, fee: BalanceOf<T> },
		/// The sweep removed `count` allowance states that can no longer matter.
		AllowancesPruned { count: u32 },
		/// A consumer revoked its allowances for a node with a nonce at or below `nonce`; they
		/// settle until block `effective_at` and no more.
		AllowanceRevoked {
			consumer: T::AccountId,
			node: NodeId,
			nonce: u64,
			effective_at: BlockNumberFor<T>,
		},
		/// A consumer disputed what a node settled for it, placing `deposit` on hold.
		UsageDisputed {
			node: NodeId,
			consumer: T::AccountId,
			calls: u64,
			tokens: ApiTokens,
			value: u128,
			deposit: BalanceOf<T>,
		},
		/// The node's operator or the service's owner (`by`) refunded disputed usage: the
		/// dispute is closed, nothing recorded.
		UsageRefunded {
			node: NodeId,
			consumer: T::AccountId,
			by: T::AccountId,
			refund: BalanceOf<T>,
		},
		/// A dispute nobody refunded closed: a lost dispute was recorded against the node.
		DisputeRecorded { node: NodeId, consumer: T::AccountId },
		/// The sweep removed `count` receipts past their dispute window.
		ReceiptsPruned { count: u32 },
	}

	#[pallet::error]
	pub enum Error<T> {
		/// No node is registered under this id.
		UnknownNode,
		/// The report's signature is not by the node's key.
		BadReportSignature,
		/// The report's sequence is not above the node's last: a replay.
		ReportReplayed,
		/// The node's last report was less than `MinReportInterval` blocks ago.
		ReportTooSoon,
		/// A report must carry at least one record.
		EmptyReport,
		/// The node's operator cannot pay the fee of a report submitted without an account.
		CannotPayFee,
		/// An earlier revocation has not taken effect yet; revoke more once it has.
		RevocationPending,
		/// Those allowances are revoked already.
		AlreadyRevoked,
		/// The node settled no paid usage for the caller that may be disputed.
		NothingToDispute,
		/// The dispute window is over.
		DisputeWindowOver,
		/// A dispute between this node and consumer is open already.
		DisputeOpen,
		/// The owner of the service or the node's operator cannot dispute its own usage.
		OwnUsage,
		/// The consumer cannot place the dispute deposit.
		CannotPayDeposit,
		/// Only the node's operator, or the service's owner if the disputed usage was all to
		/// one service, may refund.
		CannotRefundThis,
		/// No dispute is open between this node and consumer.
		NoDispute,
		/// The operator may still refund: the dispute cannot be closed yet.
		DisputeNotOver,
		/// The refunder cannot pay the refund.
		CannotRefund,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		/// Sweeps expired allowance states and receipts past their dispute window with the
		/// block's leftover weight: one sweep may use half of it and the other the rest, the
		/// first being the allowance sweep in even blocks and the receipt sweep in odd ones,
		/// so neither starves the other.
		fn on_idle(now: BlockNumberFor<T>, remaining: Weight) -> Weight {
			let half = Weight::from_parts(remaining.ref_time() / 2, remaining.proof_size() / 2);
			let even = (now % 2u32.into()).is_zero();
			let first =
				if even { Self::prune_expired(now, half) } else { Self::prune_receipts(now, half) };
			let rest = remaining.saturating_sub(first);
			let second =
				if even { Self::prune_receipts(now, rest) } else { Self::prune_expired(now, rest) };
			first.saturating_add(second)
		}

		/// A full report must fit in one normal transaction, and a revoked allowance must
		/// leave the node time for a report.
		fn integrity_test() {
			assert!(
				T::RevokeNotice::get() > T::MinReportInterval::get(),
				"RevokeNotice must be longer than MinReportInterval"
			);
			let records = T::MaxRecords::get();
			let full = T::WeightInfo::submit_usage(records, records, records);
			let limits = T::BlockWeights::get();
			let max = limits.get(DispatchClass::Normal).max_extrinsic.unwrap_or(limits.max_block);
			assert!(
				full.all_lte(max),
				"submit_usage(MaxRecords) weighs {full:?}, above a normal extrinsic's {max:?}"
			);
		}
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Settle a node's usage report, signed by the node's key.
		///
		/// Authorized by that signature alone (no account needed: the node's operator pays the
		/// fee), or relayed by any signed account (which pays its own transaction fee).
		#[pallet::call_index(0)]
		#[pallet::weight(Pallet::<T>::report_weight(report))]
		#[pallet::authorize(Pallet::<T>::authorize_report)]
		#[pallet::weight_of_authorize(T::WeightInfo::authorize_submit_usage(report.records.len() as u32))]
		pub fn submit_usage(
			origin: OriginFor<T>,
			report: ReportOf<T>,
			signature: NodeSignature,
		) -> DispatchResultWithPostInfo {
			let unsigned = match ensure_authorized(origin.clone()) {
				Ok(()) => true,
				Err(_) => {
					ensure_signed(origin)?;
					false
				}
			};
			Self::check_report(&report, &signature)?;
			let weight = if unsigned {
				Self::settle_paying_fee(report, &signature)?
			} else {
				let operator = T::Nodes::operator(report.node);
				Self::settle(report, operator).weight::<T>()
			};
			Ok(Some(weight).into())
		}

		/// Revoke the caller's allowances for `node` with a nonce at or below `nonce`, or below
		/// its current one if that is higher: they settle for [`Config::RevokeNotice`] more
		/// blocks (so the node can report what it served before) and no more. A higher nonce
		/// signed later is unaffected. The caller's hold for `node` lasts at least as long.
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::revoke_allowance())]
		pub fn revoke_allowance(origin: OriginFor<T>, node: NodeId, nonce: u64) -> DispatchResult {
			let consumer = ensure_signed(origin)?;
			Self::do_revoke(consumer, node, nonce)
		}

		/// Dispute the caller's receipt from `node` (at most one [`Config::DisputeWindow`] of
		/// usage), within [`Config::DisputeWindow`] blocks of its latest settlement, placing
		/// [`Config::DisputeDeposit`] on hold. The node's operator (or the service's owner) may
		/// refund it within the window ([`Pallet::refund_usage`]); if nobody does, closing the
		/// dispute records it against the node.
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::dispute_usage())]
		pub fn dispute_usage(origin: OriginFor<T>, node: NodeId) -> DispatchResult {
			let consumer = ensure_signed(origin)?;
			Self::do_dispute(consumer, node)
		}

		/// As `node`'s operator, or as the service's current owner if the disputed usage was
		/// all to one service, pay `consumer` back the MICRO value of the usage it disputed:
		/// the dispute closes with nothing recorded and the deposit returns.
		#[pallet::call_index(3)]
		#[pallet::weight(T::WeightInfo::refund_usage())]
		pub fn refund_usage(
			origin: OriginFor<T>,
			node: NodeId,
			consumer: T::AccountId,
		) -> DispatchResult {
			let by = ensure_signed(origin)?;
			Self::do_refund(by, node, consumer)
		}

		/// Close a dispute nobody refunded within the window: the lost dispute is recorded
		/// against the node and the deposit returns. Anyone may.
		#[pallet::call_index(4)]
		#[pallet::weight(T::WeightInfo::close_dispute())]
		pub fn close_dispute(
			origin: OriginFor<T>,
			node: NodeId,
			consumer: T::AccountId,
		) -> DispatchResult {
			ensure_signed(origin)?;
			Self::do_close(node, consumer)
		}
	}

	impl<T: Config> Pallet<T> {
		/// Checks a report before it enters the pool or a block: the same checks as dispatch,
		/// and that the node's operator can pay the worst-case fee.
		///
		/// A node has at most one report in the pool (its tag is the node alone), at the
		/// priority of a signed transaction with no tip.
		fn authorize_report(
			_source: TransactionSource,
			report: &ReportOf<T>,
			signature: &NodeSignature,
		) -> TransactionValidityWithRefund {
			Self::check_report(report, signature).map_err(|error| {
				let code = match error {
					Error::<T>::BadReportSignature => InvalidTransaction::BadProof,
					Error::<T>::ReportReplayed => InvalidTransaction::Stale,
					Error::<T>::ReportTooSoon => InvalidTransaction::Future,
					_ => InvalidTransaction::Call,
				};
				TransactionValidityError::Invalid(code)
			})?;
			if !Self::can_pay_fee(report, signature) {
				return Err(InvalidTransaction::Payment.into());
			}
			let validity = ValidTransaction::with_tag_prefix("MicroUsageReport")
				.priority(0)
				.and_provides(report.node)
				.longevity(64)
				.propagate(true)
				.into();
			Ok((validity, Weight::zero()))
		}
	}

	#[pallet::view_functions]
	impl<T: Config> Pallet<T> {
		/// `consumer`'s current allowance for `node`, as far as settled.
		pub fn allowance(
			consumer: T::AccountId,
			node: NodeId,
		) -> Option<AllowanceState<BlockNumberFor<T>>> {
			Allowances::<T>::get(consumer, node)
		}

		/// `node`'s last settled report: its sequence and block.
		pub fn last_report(node: NodeId) -> Option<(u64, BlockNumberFor<T>)> {
			LastReport::<T>::get(node)
		}

		/// `consumer`'s revocation of its allowances for `node`.
		pub fn revocation(
			consumer: T::AccountId,
			node: NodeId,
		) -> Option<Revocation<BlockNumberFor<T>>> {
			Revocations::<T>::get(consumer, node)
		}

		/// What `node` settled for `consumer` that it may still dispute.
		pub fn receipt(node: NodeId, consumer: T::AccountId) -> Option<Receipt<BlockNumberFor<T>>> {
			Receipts::<T>::get(node, consumer)
		}

		/// The open dispute between `node` and `consumer`.
		pub fn dispute(
			node: NodeId,
			consumer: T::AccountId,
		) -> Option<Dispute<BlockNumberFor<T>, BalanceOf<T>>> {
			Disputes::<T>::get(node, consumer)
		}
	}
}
