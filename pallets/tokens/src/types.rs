//! API token batches, the price curve and the parameters governance sets.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::CloneNoBound;
use frame_support::{
	pallet_prelude::{BoundedVec, Get},
	DebugNoBound, EqNoBound, PartialEqNoBound,
};
use micro_primitives::ApiTokens;
use scale_info::TypeInfo;
use serde::{Deserialize, Serialize};
use sp_runtime::{
	helpers_128bit::multiply_by_rational_with_rounding,
	traits::{Saturating, Zero},
	Permill, Rounding,
};

/// Balances of the native currency, MICRO, in its smallest unit.
pub type Balance = u128;

/// Where a batch of tokens came from, which decides what backs it.
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
pub enum BatchKind {
	/// Bought with MICRO, or earned by running a node: backed by MICRO in the pot, refreshable.
	Backed,
	/// The free quota of an account's access tier: backed by nothing, not refreshable.
	Free,
}

/// API tokens that expire together.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub struct TokenBatch<BlockNumber> {
	/// Tokens left in the batch.
	pub tokens: ApiTokens,
	/// MICRO in the pot backing those tokens; zero for [`BatchKind::Free`].
	pub backing: Balance,
	/// The last block the tokens can be spent in.
	pub expires_at: BlockNumber,
	/// What backs the batch.
	pub kind: BatchKind,
}

impl<BlockNumber> TokenBatch<BlockNumber> {
	/// Takes `tokens` (at most what the batch holds) out of the batch and returns the MICRO that
	/// backed them: the same share of the backing, rounded down, and all that is left with the
	/// batch's last token, so no unit of backing is ever stranded.
	pub fn take(&mut self, tokens: ApiTokens) -> (ApiTokens, Balance) {
		let taken = tokens.min(self.tokens);
		let released = if taken == self.tokens {
			self.backing
		} else {
			multiply_by_rational_with_rounding(self.backing, taken, self.tokens, Rounding::Down)
				.unwrap_or(0)
		};
		self.tokens -= taken;
		self.backing -= released;
		(taken, released)
	}
}

/// Tokens a consumer holds for one node: the escrow of a payment channel. They pay only that
/// node's settled usage and cannot be released before `until`.
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
#[scale_info(skip_type_params(MaxBatches))]
pub struct TokenHold<BlockNumber, MaxBatches: Get<u32>>
where
	BlockNumber: Clone + PartialEq + Eq + core::fmt::Debug,
{
	/// The pieces of the consumer's batches taken into the hold, each with its own backing and
	/// expiry, ordered by expiry.
	pub batches: BoundedVec<TokenBatch<BlockNumber>, MaxBatches>,
	/// The last block the hold cannot be released in.
	pub until: BlockNumber,
}

impl<BlockNumber, MaxBatches> TokenHold<BlockNumber, MaxBatches>
where
	BlockNumber: Clone + PartialEq + Eq + core::fmt::Debug,
	MaxBatches: Get<u32>,
{
	/// The tokens held.
	pub fn tokens(&self) -> ApiTokens {
		self.batches.iter().fold(0, |sum, b| sum.saturating_add(b.tokens))
	}

	/// The MICRO backing the tokens held.
	pub fn backing(&self) -> Balance {
		self.batches.iter().fold(0, |sum, b| sum.saturating_add(b.backing))
	}
}

/// The price of one API token in MICRO units as the network grows.
///
/// `price(size) = floor + (ceiling - floor) * size / (size + midpoint)`, rounded down, where
/// `size` is the number of registered nodes plus registered services. The price starts at
/// `floor` on an empty network, is halfway to `ceiling` at `size == midpoint` and approaches
/// `ceiling` but never passes it: a bigger network makes its tokens worth more, by a bounded
/// amount.
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
	Serialize,
	Deserialize,
)]
pub struct PriceCurve {
	/// The price on an empty network; at least 1.
	pub floor: Balance,
	/// The price the curve approaches; at least `floor`.
	pub ceiling: Balance,
	/// The network size at which the price is halfway from `floor` to `ceiling`; at least 1.
	pub midpoint: u32,
}

impl PriceCurve {
	/// The price of one token when the network has `size` nodes and services.
	pub fn price(&self, size: u32) -> Balance {
		let rise = self.ceiling.saturating_sub(self.floor);
		let denominator = (size as u128).saturating_add(self.midpoint as u128);
		if denominator.is_zero() {
			return self.floor;
		}
		let extra =
			multiply_by_rational_with_rounding(rise, size as u128, denominator, Rounding::Down)
				.unwrap_or(rise);
		self.floor.saturating_add(extra)
	}

	/// Whether the curve is well formed.
	pub fn is_valid(&self) -> bool {
		self.floor > 0 && self.ceiling >= self.floor && self.midpoint > 0
	}
}

/// The token economy's parameters. Governance changes them with
/// [`crate::Pallet::set_params`].
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
	Serialize,
	Deserialize,
)]
#[serde(rename_all = "camelCase")]
pub struct TokenParams<BlockNumber> {
	/// The price of a token.
	pub price: PriceCurve,
	/// Blocks a bought or earned batch can be spent for.
	pub lifetime: BlockNumber,
	/// Expiry blocks are rounded up to a multiple of this, so batches bought close together
	/// merge into one.
	pub granularity: BlockNumber,
	/// Blocks after its expiry a backed batch can still be refreshed; after that its backing
	/// goes to the operations account.
	pub refresh_grace: BlockNumber,
	/// The fee for refreshing a batch, as a share of the MICRO backing it, paid by the holder.
	pub refresh_fee: Permill,
	/// Tokens a node's operator earns per period whatever the node's score.
	pub allowance_base: ApiTokens,
	/// Further tokens per period for each point of the node's reputation score.
	pub allowance_per_point: ApiTokens,
}

/// The most tokens a node's allowance may give per period whatever its score: 100 times the
/// default. With [`MAX_ALLOWANCE_PER_POINT`] and [`MAX_TOKEN_PRICE`] it bounds what one claim can
/// mint, so no parameter change can make the allowance mint without limit (finding C1).
pub const MAX_ALLOWANCE_BASE: ApiTokens = 100_000;
/// The most tokens per point of reputation score a node's allowance may give: 100 times the
/// default.
pub const MAX_ALLOWANCE_PER_POINT: ApiTokens = 1_000;
/// The highest price of a token, the most the curve's `ceiling` may be: 1 MICRO (10^12 units of
/// a 12-decimal currency), 100,000 times the default ceiling.
pub const MAX_TOKEN_PRICE: Balance = 1_000_000_000_000;
/// The highest refresh fee: 10% of a batch's backing, ten times the default.
pub const MAX_REFRESH_FEE: Permill = Permill::from_percent(10);
/// The shortest lifetime of a batch, in days.
pub const MIN_LIFETIME_DAYS: u32 = 1;
/// The longest lifetime of a batch, and the longest refresh grace, in days.
pub const MAX_LIFETIME_DAYS: u32 = 365;

impl<BlockNumber: Zero + PartialOrd + Copy + From<u32> + Saturating> TokenParams<BlockNumber> {
	/// Whether the parameters are well formed and within the bounds fixed in code, for a chain
	/// with `blocks_per_day` blocks a day:
	/// - the price curve is well formed and its ceiling at most [`MAX_TOKEN_PRICE`];
	/// - `lifetime` is from [`MIN_LIFETIME_DAYS`] to [`MAX_LIFETIME_DAYS`] days, `granularity` is
	///   not zero and at most `lifetime`, `refresh_grace` at most [`MAX_LIFETIME_DAYS`] days;
	/// - `refresh_fee` is at most [`MAX_REFRESH_FEE`];
	/// - `allowance_base` and `allowance_per_point` are at most [`MAX_ALLOWANCE_BASE`] and
	///   [`MAX_ALLOWANCE_PER_POINT`].
	pub fn is_valid(&self, blocks_per_day: BlockNumber) -> bool {
		let min_lifetime = blocks_per_day.saturating_mul(MIN_LIFETIME_DAYS.into());
		let max_lifetime = blocks_per_day.saturating_mul(MAX_LIFETIME_DAYS.into());
		self.price.is_valid()
			&& self.price.ceiling <= MAX_TOKEN_PRICE
			&& !self.lifetime.is_zero()
			&& self.lifetime >= min_lifetime
			&& self.lifetime <= max_lifetime
			&& !self.granularity.is_zero()
			&& self.granularity <= self.lifetime
			&& self.refresh_grace <= max_lifetime
			&& self.refresh_fee <= MAX_REFRESH_FEE
			&& self.allowance_base <= MAX_ALLOWANCE_BASE
			&& self.allowance_per_point <= MAX_ALLOWANCE_PER_POINT
	}
}

impl<BlockNumber: From<u32>> Default for TokenParams<BlockNumber> {
	/// Defaults for six-second blocks and 12-decimal MICRO: a token costs 1 to 10 millionths of a
	/// MICRO, lives 30 days (rounded up to the day), can be refreshed for 7 days after that for
	/// 1% of its backing; a node earns 1,000 tokens a period plus 10 per point of score.
	fn default() -> Self {
		Self {
			price: PriceCurve { floor: 1_000_000, ceiling: 10_000_000, midpoint: 1_000 },
			lifetime: 432_000u32.into(),
			granularity: 14_400u32.into(),
			refresh_grace: 100_800u32.into(),
			refresh_fee: Permill::from_percent(1),
			allowance_base: 1_000,
			allowance_per_point: 10,
		}
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn the_price_curve_rises_to_its_ceiling() {
		let curve = PriceCurve { floor: 100, ceiling: 300, midpoint: 10 };
		assert_eq!(curve.price(0), 100);
		assert_eq!(curve.price(10), 200);
		assert_eq!(curve.price(30), 250);
		assert_eq!(curve.price(u32::MAX), 299);
		let flat = PriceCurve { floor: 7, ceiling: 7, midpoint: 1 };
		assert_eq!(flat.price(u32::MAX), 7);
		let huge = PriceCurve { floor: 1, ceiling: u128::MAX, midpoint: 1 };
		assert_eq!(huge.price(1), u128::MAX / 2 + 1);
	}

	#[test]
	fn taking_from_a_batch_releases_its_backing_exactly() {
		let mut batch =
			TokenBatch { tokens: 3, backing: 100, expires_at: 10u32, kind: BatchKind::Backed };
		assert_eq!(batch.take(1), (1, 33));
		assert_eq!(batch.take(1), (1, 33));
		assert_eq!(batch.take(5), (1, 34));
		assert_eq!((batch.tokens, batch.backing), (0, 0));
	}
}
