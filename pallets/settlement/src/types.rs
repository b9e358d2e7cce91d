//! Usage reports, their records, and what the chain remembers of each allowance.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::{
	pallet_prelude::{BoundedVec, Get},
	traits::fungible,
	CloneNoBound, DebugNoBound, EqNoBound, PartialEqNoBound,
};
use frame_system::pallet_prelude::BlockNumberFor;
/// Calls a node served one consumer under one allowance (defined in `micro-primitives`, so the
/// node's worker builds records without depending on this pallet).
pub use micro_primitives::UsageRecord;
use micro_primitives::{ApiTokens, NodeId, ServiceId, UsageAllowance};
use scale_info::TypeInfo;
use sp_runtime::Saturating;

/// The native currency's balance.
pub type BalanceOf<T> = <<T as crate::Config>::Currency as fungible::Inspect<
	<T as frame_system::Config>::AccountId,
>>::Balance;
/// An amount of the native currency taken from an account and not yet placed.
pub type CreditOf<T> =
	fungible::Credit<<T as frame_system::Config>::AccountId, <T as crate::Config>::Currency>;

/// The allowance type of a runtime.
pub type AllowanceOf<T> = UsageAllowance<<T as frame_system::Config>::AccountId, BlockNumberFor<T>>;
/// The usage record type of a runtime.
pub type RecordOf<T> = UsageRecord<
	<T as frame_system::Config>::AccountId,
	BlockNumberFor<T>,
	<T as crate::Config>::Signature,
>;
/// The usage report type of a runtime.
pub type ReportOf<T> = UsageReport<
	<T as frame_system::Config>::AccountId,
	BlockNumberFor<T>,
	<T as crate::Config>::Signature,
	<T as crate::Config>::MaxRecords,
>;

/// A node's batch of usage records, signed by its layer-0 key.
#[derive(
	CloneNoBound,
	PartialEqNoBound,
	EqNoBound,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	DebugNoBound,
)]
#[scale_info(skip_type_params(MaxRecords))]
pub struct UsageReport<AccountId, BlockNumber, Signature, MaxRecords: Get<u32>>
where
	AccountId: Clone + PartialEq + Eq + core::fmt::Debug,
	BlockNumber: Clone + PartialEq + Eq + core::fmt::Debug,
	Signature: Clone + PartialEq + Eq + core::fmt::Debug,
{
	/// The node that served the calls.
	pub node: NodeId,
	/// Higher than the node's previous report's: a report is settled once.
	pub sequence: u64,
	/// The records.
	pub records: BoundedVec<UsageRecord<AccountId, BlockNumber, Signature>, MaxRecords>,
}

/// What the chain remembers of a consumer's current allowance for a node.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub struct AllowanceState<BlockNumber> {
	/// The allowance's nonce.
	pub nonce: u64,
	/// blake2-256 of the allowance's encoding: a different allowance with the same nonce is
	/// refused.
	pub terms: [u8; 32],
	/// Calls settled against it so far.
	pub used: u64,
	/// The last block it can be settled in.
	pub expires_at: BlockNumber,
	/// Calls settled under the allowances it replaced, which count toward its `max_calls`
	/// until `carried_until`.
	pub carried: u64,
	/// The last block `carried` counts in: the latest expiry of the allowances it replaced.
	pub carried_until: BlockNumber,
}

impl<BlockNumber: PartialOrd + Copy> AllowanceState<BlockNumber> {
	/// Calls that count toward this allowance's `max_calls` at block `now`.
	pub fn counted_at(&self, now: BlockNumber) -> u64 {
		let carried = if now <= self.carried_until { self.carried } else { 0 };
		self.used.saturating_add(carried)
	}

	/// What a higher nonce replacing this allowance at block `now` carries over: the calls that
	/// still count (this allowance's while it is unexpired, and what it carried while that
	/// counts), and the last block they count in. `None` if nothing counts any more.
	pub fn carry_over(&self, now: BlockNumber) -> Option<(u64, BlockNumber)> {
		let mut carried = 0u64;
		let mut until = None;
		if now <= self.expires_at {
			carried = carried.saturating_add(self.used);
			until = Some(self.expires_at);
		}
		if now <= self.carried_until {
			carried = carried.saturating_add(self.carried);
			until = Some(match until {
				Some(at) if at >= self.carried_until => at,
				_ => self.carried_until,
			});
		}
		until.map(|until| (carried, until))
	}

	/// The last block anything about this state matters in: after it, the state may be pruned.
	pub fn last_relevant_block(&self) -> BlockNumber {
		if self.carried_until > self.expires_at {
			self.carried_until
		} else {
			self.expires_at
		}
	}
}

/// Why one record of a report was not settled. The other records are unaffected.
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
pub enum RecordError {
	/// A record must settle at least one call.
	ZeroCalls,
	/// The allowance names another node.
	WrongNode,
	/// The signature is not the consumer's over this allowance.
	BadSignature,
	/// The allowance expired before the report was settled.
	AllowanceExpired,
	/// The node does not run that live version of the service, and did not within the
	/// services' grace (a version retired, or a placement ended, only just now still counts).
	NotServing,
	/// The allowance's nonce is below the consumer's current one for this node, or reuses it
	/// with other terms.
	AllowanceReplayed,
	/// The calls would take the allowance past its maximum.
	AllowanceExceeded,
	/// The service is not registered.
	UnknownService,
	/// The price of the calls does not fit the token type: the owner's price, not the node's
	/// fault.
	Overflow,
	/// The consumer holds too few unexpired API tokens.
	InsufficientTokens,
	/// The tokens could not be paid out.
	PaymentFailed,
	/// The service's price is zero: there is nothing to pay, so nothing is settled (unpaid
	/// usage earns no reputation and writes no state).
	Unpaid,
	/// The service's price per call is above the allowance's `max_price_per_call`: the owner
	/// raised it after the consumer signed.
	PriceAboveCap,
	/// The consumer revoked the allowance and the revocation's notice is over.
	Revoked,
}

impl RecordError {
	/// Whether the node should have caught this before serving: such rejections cost it
	/// reputation.
	pub fn is_nodes_fault(&self) -> bool {
		!matches!(
			self,
			Self::InsufficientTokens
				| Self::PaymentFailed
				| Self::UnknownService
				| Self::Unpaid
				| Self::PriceAboveCap
				| Self::Revoked
				| Self::Overflow
		)
	}
}

/// A consumer's revocation of its allowances for one node.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub struct Revocation<BlockNumber> {
	/// Allowances with a nonce at or below this are revoked, from after `effective_at`.
	pub nonce: u64,
	/// The last block the allowances revoked by `nonce` still settle in.
	pub effective_at: BlockNumber,
	/// Allowances with a nonce at or below this were revoked by an earlier revocation that has
	/// taken effect: they settle no more.
	pub in_effect: Option<u64>,
}

impl<BlockNumber: PartialOrd + Copy> Revocation<BlockNumber> {
	/// Whether an allowance with `nonce` is refused at block `now`.
	pub fn revokes(&self, nonce: u64, now: BlockNumber) -> bool {
		self.in_effect.is_some_and(|in_effect| nonce <= in_effect)
			|| (nonce <= self.nonce && now > self.effective_at)
	}
}

/// What a node settled for one consumer lately: what the consumer may dispute.
///
/// It covers the usage settled from block `since` to `since + DisputeWindow` at most; usage
/// settled later starts a new receipt, which replaces this one.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub struct Receipt<BlockNumber> {
	/// The block the first usage it covers was settled in.
	pub since: BlockNumber,
	/// The block the latest usage it covers was settled in: the dispute window runs from it.
	pub settled_at: BlockNumber,
	/// The service the usage was to, if it was all to one service.
	pub service: Option<ServiceId>,
	/// The calls settled.
	pub calls: u64,
	/// The API tokens they cost.
	pub tokens: ApiTokens,
	/// The MICRO the tokens released, in its smallest unit.
	pub value: u128,
}

impl<BlockNumber: Saturating + PartialOrd + Copy> Receipt<BlockNumber> {
	/// Whether usage settled at `at` adds to this receipt: it is within `window` blocks of the
	/// receipt's first usage. Otherwise it starts a new receipt.
	pub fn takes(&self, at: BlockNumber, window: BlockNumber) -> bool {
		at <= self.since.saturating_add(window)
	}

	/// Adds usage of `service` settled at `at`.
	pub fn add(
		&mut self,
		at: BlockNumber,
		service: ServiceId,
		calls: u64,
		tokens: ApiTokens,
		value: u128,
	) {
		self.settled_at = at;
		if self.service != Some(service) {
			self.service = None;
		}
		self.calls = self.calls.saturating_add(calls);
		self.tokens = self.tokens.saturating_add(tokens);
		self.value = self.value.saturating_add(value);
	}
}

/// A consumer's dispute of a receipt.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub struct Dispute<BlockNumber, Balance> {
	/// The receipt disputed.
	pub receipt: Receipt<BlockNumber>,
	/// The block the dispute was opened in: the operator may refund until `DisputeWindow`
	/// blocks after it.
	pub opened_at: BlockNumber,
	/// The deposit the consumer placed on hold.
	pub deposit: Balance,
}
