//! Types and traits shared by the Micro Network's pallets.
//!
//! The identity pallets depend on each other only through the traits here, so each one builds
//! and tests on its own and the runtime wires them together:
//!
//! - [`NodeDirectory`]: layer 0, the registered nodes (implemented by `pallet-micro-nodes`);
//! - [`ServiceDirectory`] and [`NodePlacements`]: layer 1, the services and where they run
//!   (implemented by `pallet-micro-services`);
//! - [`ReputationLedger`] and [`AccessControl`]: layer 2, what the chain learns about nodes and
//!   services, and the access it grants accounts (implemented by `pallet-micro-reputation`);
//! - [`VotingWeight`]: an account's say in governance (implemented by
//!   `pallet-micro-reputation`);
//! - [`UsagePayments`]: paying for settled calls in API tokens (implemented by
//!   `pallet-micro-tokens`).
//!
//! [`split`] holds the arithmetic of the 2.5% charity and 2.5% operations split of all profit.
//!
//! It also fixes the signing contexts of the messages nodes and consumers sign, and the
//! [`UsageAllowance`] a consumer signs, so the node's worker and the runtime agree on them byte
//! for byte.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub mod split;
pub use split::ProfitShares;

use alloc::vec::Vec;
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;
use sp_runtime::{DispatchError, DispatchResult};

/// The ed25519 public key a node signs its MUCP traffic, heartbeats and usage reports with.
pub type NodeKey = sp_core::ed25519::Public;
/// A signature by a [`NodeKey`].
pub type NodeSignature = sp_core::ed25519::Signature;
/// The on-chain id of a registered node.
pub type NodeId = u32;
/// The on-chain id of a service; it is also the item id of the service's NFT.
pub type ServiceId = u32;
/// A service version's number, counted from 1 for each service.
pub type VersionNumber = u32;
/// An amount of API tokens, the utility credits calls are paid in.
pub type ApiTokens = u128;
/// A reputation score, from 0 to [`MAX_SCORE`].
pub type Score = u32;
/// The highest reputation score.
pub const MAX_SCORE: Score = 1000;
/// Parts per million.
pub type PartsPerMillion = u32;

/// Signing context of the proof that an operator holds a node key: the key signs
/// `(NODE_KEY_PROOF_CONTEXT, genesis_hash, operator_account, proof_nonce)`, SCALE encoded.
pub const NODE_KEY_PROOF_CONTEXT: &[u8] = b"micro-network/node-key/v1";
/// Signing context of a heartbeat: the node key signs
/// `(HEARTBEAT_CONTEXT, genesis_hash, node_id, at_block)`, SCALE encoded.
pub const HEARTBEAT_CONTEXT: &[u8] = b"micro-network/heartbeat/v1";

/// Signing context of a consumer's allowance: the consumer's account key signs
/// `(USAGE_ALLOWANCE_CONTEXT, genesis_hash, allowance)`, SCALE encoded, where `allowance` is a
/// [`UsageAllowance`].
pub const USAGE_ALLOWANCE_CONTEXT: &[u8] = b"micro-network/allowance/v1";
/// What browser wallets (the polkadot.js extension and those following it) put before raw
/// bytes they sign, so that no message they sign can ever be a transaction's payload.
pub const WRAPPED_BYTES_PREFIX: &[u8] = b"<Bytes>";
/// What browser wallets put after raw bytes they sign.
pub const WRAPPED_BYTES_POSTFIX: &[u8] = b"</Bytes>";

/// Whether `signature` is `signer`'s over `message`, signed as it is (`micro`, development
/// accounts) or as browser wallets sign raw bytes: wrapped in [`WRAPPED_BYTES_PREFIX`] and
/// [`WRAPPED_BYTES_POSTFIX`]. The wrapper keeps wallet signatures from being valid
/// transactions; the message's own signing context stays inside it, so a signature made for
/// one purpose still cannot pass for another. At most two verifications.
pub fn verify_raw_or_wrapped<S: sp_runtime::traits::Verify>(
	signature: &S,
	message: &[u8],
	signer: &<S::Signer as sp_runtime::traits::IdentifyAccount>::AccountId,
) -> bool {
	if signature.verify(message, signer) {
		return true;
	}
	let mut wrapped = Vec::with_capacity(
		WRAPPED_BYTES_PREFIX.len() + message.len() + WRAPPED_BYTES_POSTFIX.len(),
	);
	wrapped.extend_from_slice(WRAPPED_BYTES_PREFIX);
	wrapped.extend_from_slice(message);
	wrapped.extend_from_slice(WRAPPED_BYTES_POSTFIX);
	signature.verify(&wrapped[..], signer)
}

/// Signing context of a usage report: the node key signs the blake2-256 hash of
/// `(USAGE_REPORT_CONTEXT, genesis_hash, report)`, SCALE encoded.
pub const USAGE_REPORT_CONTEXT: &[u8] = b"micro-network/usage-report/v1";
/// The keystore key type benchmarks make node keys under, so one pallet's benchmark can sign
/// with a node another pallet registered.
#[cfg(feature = "runtime-benchmarks")]
pub const BENCHMARK_KEY_TYPE: sp_core::crypto::KeyTypeId = sp_core::crypto::KeyTypeId(*b"mcro");

/// A consumer's permission for one node to charge it for calls to one service.
///
/// The consumer signs it off-chain (see [`USAGE_ALLOWANCE_CONTEXT`]) and sends it with its calls;
/// the node that served them settles them on-chain against it. An allowance is identified by
/// its consumer, node and `nonce`: a higher nonce replaces the consumer's allowance for that
/// node, and a lower one is refused.
///
/// **Replacement.** A higher nonce replaces, it does not add: while the replaced allowance has
/// not expired, the calls already settled under it count toward the new one's `max_calls`
/// (so a node never charges more than the highest `max_calls` it was given in that time). Once
/// the replaced allowance has expired, the new one starts from zero.
///
/// **Price cap.** A record is settled only while the service's price per call is at most
/// `max_price_per_call`: an owner who raises the price after the consumer signed cannot charge
/// it more than it agreed to.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub struct UsageAllowance<AccountId, BlockNumber> {
	/// The account that pays, and signs.
	pub consumer: AccountId,
	/// The service the calls are to.
	pub service: ServiceId,
	/// The node that may settle the calls.
	pub node: NodeId,
	/// Most calls that may be settled against it, in total.
	pub max_calls: u64,
	/// The highest price per call, in API tokens, the consumer agrees to pay.
	pub max_price_per_call: ApiTokens,
	/// The last block calls may be settled against it in.
	pub expires_at: BlockNumber,
	/// Orders the consumer's allowances for one node.
	pub nonce: u64,
}

/// Calls a node served one consumer under one allowance, since its last report: one record of
/// the usage report `pallet-micro-settlement` settles (and re-exports under this name), built
/// by the node's worker.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub struct UsageRecord<AccountId, BlockNumber, Signature> {
	/// The consumer's allowance: it names the consumer, service and node.
	pub allowance: UsageAllowance<AccountId, BlockNumber>,
	/// The consumer's signature over the allowance.
	pub signature: Signature,
	/// The version of the service that answered.
	pub version: VersionNumber,
	/// How many calls were served.
	pub calls: u64,
}

/// Whose reputation a score or a ledger entry is about.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	PartialOrd,
	Ord,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
)]
pub enum Subject {
	/// A registered node (layer 0).
	Node(NodeId),
	/// A registered service (layer 1).
	Service(ServiceId),
}

/// Something the chain saw that moves a reputation score.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
)]
pub enum ReputationEvent {
	/// Calls paid for by a consumer other than the service's owner and the node's operator
	/// were settled on-chain: `value` is the MICRO that backed the tokens spent on them.
	PaidUsage {
		/// How many calls.
		calls: u64,
		/// The MICRO (in its smallest unit) the consumer's tokens released for them.
		value: u128,
	},
	/// A settlement was disputed and the subject was found at fault.
	Dispute,
	/// A usage report or settlement failed its checks.
	FailedSettlement,
	/// A node was offline longer than the heartbeat TTL while services were placed on it.
	OfflineWhileServing,
	/// A recorded contract the subject was party to was fulfilled.
	ContractFulfilled,
	/// The subject breached a recorded contract.
	ContractBreached,
}

/// How long a node has been in the network and how reliably it sent heartbeats.
#[derive(Clone, Copy, PartialEq, Eq, Default, Encode, Decode, TypeInfo, Debug)]
pub struct NodeStanding<BlockNumber> {
	/// The block the node was registered in.
	pub registered_at: BlockNumber,
	/// Blocks since registration.
	pub age: BlockNumber,
	/// Share of the observed time the node was online, in parts per million.
	pub uptime: PartsPerMillion,
	/// Whether its last heartbeat is within the TTL now.
	pub online: bool,
}

/// Read access to the registered nodes (layer 0).
pub trait NodeDirectory<AccountId, BlockNumber> {
	/// The account that operates `node`.
	fn operator(node: NodeId) -> Option<AccountId>;
	/// The key `node` signs with.
	fn node_key(node: NodeId) -> Option<NodeKey>;
	/// Whether `node` is registered and its last heartbeat is within the TTL.
	fn is_online(node: NodeId) -> bool;
	/// The last block `node` counts as online in unless it sends another heartbeat: its last
	/// heartbeat plus the TTL. `None` if it is not registered (and, by default, for directories
	/// that do not track it).
	fn online_until(_node: NodeId) -> Option<BlockNumber> {
		None
	}
	/// Age, uptime and status of `node`.
	fn standing(node: NodeId) -> Option<NodeStanding<BlockNumber>>;
	/// The nodes `operator` runs.
	fn nodes_of(operator: &AccountId) -> Vec<NodeId>;
	/// How many nodes are registered.
	fn count() -> u32;
	/// Benchmarks only: register an online node run by `operator`, funding it as needed.
	#[cfg(feature = "runtime-benchmarks")]
	fn register_for_benchmark(operator: &AccountId) -> NodeId;
	/// Benchmarks only: make `node` `age` blocks old with full uptime, so it may earn an
	/// allowance (the tokens pallet's `claim_node_allowance`).
	#[cfg(feature = "runtime-benchmarks")]
	fn mature_for_benchmark(_node: NodeId, _age: BlockNumber) {}
}

/// Read access to the registered services (layer 1).
pub trait ServiceDirectory<AccountId, BlockNumber> {
	/// The service's owner: whoever holds its NFT now.
	fn owner(service: ServiceId) -> Option<AccountId>;
	/// The block the service was registered in.
	fn registered_at(service: ServiceId) -> Option<BlockNumber>;
	/// The account that registered the service (and holds its deposit); by default its owner.
	fn creator(service: ServiceId) -> Option<AccountId> {
		Self::owner(service)
	}
	/// The price of one call in force now, in API tokens (a price rise applies only after its
	/// notice). One storage read.
	fn price_per_call(service: ServiceId) -> Option<ApiTokens>;
	/// Whether `node` announced that it runs `version` of `service`, and that version is live.
	fn runs(node: NodeId, service: ServiceId, version: VersionNumber) -> bool;
	/// Whether `node` runs `version` of `service` as [`Self::runs`] says, or did until a short
	/// grace ago: the owner retired the version, or the node's placement ended (withdrawn or
	/// evicted), within the directory's grace period. Settlement asks this, so calls a node
	/// served while the version was live are paid and not held against it (finding M4). O(1)
	/// reads. By default [`Self::runs`].
	fn ran_recently(node: NodeId, service: ServiceId, version: VersionNumber) -> bool {
		Self::runs(node, service, version)
	}
	/// Whether `service` is available: some node ran a live version of it at its last
	/// heartbeat (or announcement), and that heartbeat is still within the TTL. A version retired
	/// or a placement withdrawn since may count for at most the rest of that TTL. O(1) reads:
	/// the services pallet keeps a per-service stamp its nodes' heartbeats refresh (finding H4).
	fn is_available(service: ServiceId) -> bool;
	/// Up to `max` services whose NFT `owner` holds.
	fn services_of(owner: &AccountId, max: u32) -> Vec<ServiceId>;
	/// How many services are registered.
	fn count() -> u32;
}

/// What the node registry needs to know about the services placed on a node, and what it tells
/// the services of a node's heartbeats.
pub trait NodePlacements<BlockNumber> {
	/// Whether any service is placed on `node`.
	fn is_serving(node: NodeId) -> bool;
	/// The most services one node may run: the bound of [`Self::on_heartbeat`]'s loop, which
	/// the heartbeat's declared weight is computed for.
	fn max_services_per_node() -> u32;
	/// `node` sent a heartbeat and counts as online until block `online_until`: every service it
	/// runs a live version of is available until then. Reads and writes at most a bounded number
	/// of entries per service placed on the node; returns how many services it visited (at most
	/// [`Self::max_services_per_node`]), which the heartbeat is charged for.
	fn on_heartbeat(node: NodeId, online_until: BlockNumber) -> u32;
	/// Benchmarks only: make `node` run `services` services (at most
	/// [`Self::max_services_per_node`]), each at the worst case of a heartbeat.
	#[cfg(feature = "runtime-benchmarks")]
	fn serve_for_benchmark(_node: NodeId, _services: u32) {}
}

/// Where the chain records what it sees about nodes and services.
pub trait ReputationLedger {
	/// Record `event` against `subject`.
	fn record(subject: Subject, event: ReputationEvent);
	/// `subject`'s score now, 0 if it has none.
	fn score(subject: Subject) -> Score;
}

/// The access an account's reputation grants it.
pub trait AccessControl<AccountId> {
	/// How many services `who` may register before an extra deposit applies.
	fn service_allowance(who: &AccountId) -> u32;
	/// Free calls `who` has left in the current period.
	fn free_calls_left(who: &AccountId) -> u32;
	/// Spend `calls` of `who`'s free quota; fails, spending nothing, if too few are left.
	fn use_free_calls(who: &AccountId, calls: u32) -> DispatchResult;
}

/// A say in governance: one node or service an account votes with, and its weight now.
#[derive(Clone, Copy, PartialEq, Eq, Encode, Decode, TypeInfo, Debug)]
pub struct Voice {
	/// The node or service that carries the weight. It votes once per proposal, whoever holds
	/// it when it does.
	pub subject: Subject,
	/// Its weight: its reputation score plus one.
	pub weight: u64,
}

/// How much say an account has in governance: weight belongs to the nodes and services an
/// account runs or owns, not to the account, so a subject passed between accounts votes once.
pub trait VotingWeight<AccountId, BlockNumber> {
	/// The voices of the nodes `who` operates and the services it owns that were registered in
	/// block `registered_by` or earlier, at most [`MAX_VOICES`], each with its weight now.
	fn voices(who: &AccountId, registered_by: BlockNumber) -> Vec<Voice>;
	/// The voice of `subject` if it is one of `who`'s: a node `who` operates, or a service it
	/// created and still owns, registered in block `registered_by` or earlier; with its weight
	/// now. Governance checks each subject a vote names with it, so services pushed onto a
	/// voter (NFT transfers need no consent) cannot crowd its own out of the [`Self::voices`]
	/// scan. Implementations should answer in a bounded number of reads; this default scans
	/// [`Self::voices`] and so misses subjects outside the scan.
	fn voice(who: &AccountId, subject: Subject, registered_by: BlockNumber) -> Option<Voice> {
		Self::voices(who, registered_by).into_iter().find(|voice| voice.subject == subject)
	}
	/// How many nodes and services are registered now: the electorate quorums are shares of.
	fn electorate() -> u32;
	/// Benchmarks only: give `who` the most voices an account can have, every one registered
	/// long enough ago to count.
	#[cfg(feature = "runtime-benchmarks")]
	fn give_weight_for_benchmark(who: &AccountId);
}

/// Most voices one account votes with: the first 16 of its nodes and the first 16 of its
/// services.
pub const MAX_VOICES: u32 = 32;

/// Most storage reads that computing one account's score or voices may take: every node it
/// operates (at most 16) and every service it owns that is scanned (at most 16), each read in
/// O(1) (a service's availability is a stamp its nodes' heartbeats keep, not a walk over its
/// placements). Calls that read an account's score (`register_service`, `claim_free_tokens`,
/// `propose`, `vote`) charge these reads; the reputation pallet's tests measure the worst-case
/// walk against them (finding H4).
pub const ACCOUNT_SCORE_READS: u64 = 160;

/// Most bytes of storage proof that computing one account's score or voices may record:
/// [`ACCOUNT_SCORE_READS`] values with their trie paths, 3 KiB each (the ~2.5 KiB trie path the
/// benchmarks' `MaxEncodedLen` mode charges a map entry, plus the value; the largest, a node's
/// record, is 1.2 KiB). The proof-size half of the weight of the calls that read an account's
/// score. Measured on a small state (a few thousand keys, so shallow trie paths) the worst-case
/// walk records about 36 KB; deeper paths on a grown chain take it well past 160 KiB, hence the
/// per-read figure.
pub const ACCOUNT_SCORE_PROOF_SIZE: u64 = ACCOUNT_SCORE_READS * 3 * 1024;

/// The most reading one account's score or voices may cost, given the weight of one storage
/// read: [`ACCOUNT_SCORE_READS`] reads and [`ACCOUNT_SCORE_PROOF_SIZE`] bytes of proof. The calls
/// that read it add this to their benchmarked weight, which measures the walk of a benchmark
/// account, not of the worst one; it lives beside the calls, not in `weights.rs`, so weights
/// regenerated from the benchmarks keep it (finding H4).
pub fn account_score_weight(one_read: sp_runtime::Weight) -> sp_runtime::Weight {
	one_read
		.saturating_mul(ACCOUNT_SCORE_READS)
		.saturating_add(sp_runtime::Weight::from_parts(0, ACCOUNT_SCORE_PROOF_SIZE))
}

/// Why [`UsagePayments::pay_for_usage`] failed.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum PaymentError {
	/// The consumer holds too few unexpired tokens.
	InsufficientTokens,
	/// Moving the MICRO failed.
	Failed(DispatchError),
}

impl From<DispatchError> for PaymentError {
	fn from(error: DispatchError) -> Self {
		Self::Failed(error)
	}
}

/// Paying for settled calls in API tokens, and the tokens consumers hold for nodes.
///
/// A consumer may hold tokens for a node (a payment channel's escrow): held tokens pay only that
/// node's settled usage, cannot be spent elsewhere and stay held (without lapsing) until the
/// hold's `until` block has passed and it is released.
pub trait UsagePayments<AccountId, BlockNumber> {
	/// The currency's balance type.
	type Balance: Copy
		+ Eq
		+ core::fmt::Debug
		+ Encode
		+ Decode
		+ DecodeWithMemTracking
		+ MaxEncodedLen
		+ TypeInfo;
	/// Spend `tokens` of `consumer`'s API tokens for usage `node` served: first those it holds
	/// for `node` (whatever their expiry), then its unexpired ones, earliest expiry first; pay
	/// the MICRO that backed them to `payee`, less the charity and operations shares. Fails with
	/// [`PaymentError::InsufficientTokens`] if `consumer` holds too few; call it in a storage
	/// layer (as dispatch does) so a failure leaves nothing behind.
	fn pay_for_usage(
		consumer: &AccountId,
		node: NodeId,
		payee: &AccountId,
		tokens: ApiTokens,
	) -> Result<ProfitShares<Self::Balance>, PaymentError>;
	/// As [`UsagePayments::pay_for_usage`], but the charity and operations shares stay in the
	/// pot until [`UsagePayments::pay_shares`] pays them, summed over many payments: a usage
	/// report pays them once rather than once per payment. Each payment's split is its own.
	fn pay_for_usage_keeping_shares(
		consumer: &AccountId,
		node: NodeId,
		payee: &AccountId,
		tokens: ApiTokens,
	) -> Result<ProfitShares<Self::Balance>, PaymentError>;
	/// Pays the charity and operations shares of `payments` (made with
	/// [`UsagePayments::pay_for_usage_keeping_shares`]) from the pot, summed; what an account
	/// cannot take yet is owed to it.
	fn pay_shares(payments: &[ProfitShares<Self::Balance>]);
	/// The tokens [`UsagePayments::pay_for_usage`] could take from `consumer` now for usage
	/// `node` served: those it holds for `node` and its unexpired ones. Settlement checks a
	/// consumer's records against it and then pays for them together, reading the consumer's
	/// tokens once.
	fn spendable(consumer: &AccountId, node: NodeId) -> ApiTokens;
	/// The last block `consumer`'s hold for `node` cannot be released in, if it holds any.
	fn hold_until(consumer: &AccountId, node: NodeId) -> Option<BlockNumber>;
	/// Keep `consumer`'s hold for `node`, if it holds any, at least until block `until` (it
	/// never shortens a hold). A revocation calls it so that the tokens covering what the node
	/// served before the revocation stay held while the node may still report it.
	fn keep_held_until(consumer: &AccountId, node: NodeId, until: BlockNumber);
	/// Benchmarks only: give `who` `tokens` backed API tokens, about half of them held for
	/// `node` in as many pieces as a hold keeps and the rest in as many batches as allowed, so
	/// spending them all touches every piece and batch.
	#[cfg(feature = "runtime-benchmarks")]
	fn fund_for_benchmark(who: &AccountId, node: NodeId, tokens: ApiTokens);
}

impl<BlockNumber> NodePlacements<BlockNumber> for () {
	fn is_serving(_: NodeId) -> bool {
		false
	}
	fn max_services_per_node() -> u32 {
		0
	}
	fn on_heartbeat(_: NodeId, _: BlockNumber) -> u32 {
		0
	}
}

impl ReputationLedger for () {
	fn record(_: Subject, _: ReputationEvent) {}
	fn score(_: Subject) -> Score {
		0
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn a_usage_record_encodes_as_its_fields_in_order() {
		let allowance = UsageAllowance {
			consumer: 7u64,
			service: 1,
			node: 2,
			max_calls: 3,
			max_price_per_call: 4,
			expires_at: 5u32,
			nonce: 6,
		};
		let record = UsageRecord {
			allowance: allowance.clone(),
			signature: [9u8; 4],
			version: 8,
			calls: 10,
		};
		// The layout `pallet-micro-settlement` settles: moving the type must not change a byte.
		assert_eq!(record.encode(), (allowance, [9u8; 4], 8u32, 10u64).encode());
		assert_eq!(UsageRecord::decode(&mut &record.encode()[..]).unwrap(), record);
	}
}

#[cfg(test)]
mod wrapped_signature_tests {
	use super::*;
	use sp_core::{sr25519, Pair};
	use sp_runtime::{AccountId32, MultiSignature};

	#[test]
	fn a_signature_over_the_message_or_over_the_wallets_wrapping_of_it_verifies() {
		let pair = sr25519::Pair::from_string("//Alice", None).unwrap();
		let signer = AccountId32::from(pair.public());
		let message = b"micro-network/allowance/v1 an allowance";
		let raw: MultiSignature = pair.sign(message).into();
		assert!(verify_raw_or_wrapped(&raw, message, &signer));
		let wrapped_message = [WRAPPED_BYTES_PREFIX, &message[..], WRAPPED_BYTES_POSTFIX].concat();
		let wrapped: MultiSignature = pair.sign(&wrapped_message).into();
		assert!(verify_raw_or_wrapped(&wrapped, message, &signer));
		// Neither a signature over something else, nor another signer's, nor half a wrapper.
		let other: MultiSignature = pair.sign(b"something else").into();
		assert!(!verify_raw_or_wrapped(&other, message, &signer));
		let bob = AccountId32::from(sr25519::Pair::from_string("//Bob", None).unwrap().public());
		assert!(!verify_raw_or_wrapped(&wrapped, message, &bob));
		let half: MultiSignature = pair.sign(&[WRAPPED_BYTES_PREFIX, &message[..]].concat()).into();
		assert!(!verify_raw_or_wrapped(&half, message, &signer));
	}
}
