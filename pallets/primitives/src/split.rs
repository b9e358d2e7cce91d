//! The 2.5% charity and 2.5% operations split of all profit.
//!
//! Every payment for service usage, every token refresh fee and every transaction fee is
//! profit. Of each amount, one fortieth (2.5%) goes to the charity account and one fortieth to
//! the network-operations account; the rest goes to whoever earned it (the service's owner, the
//! block author).
//!
//! ## Rounding
//! Each share is rounded **down** to a whole unit: `charity = operations = amount / 40`
//! (integer division) and `remainder = amount - charity - operations`. So the three parts add up
//! to the amount exactly, to the last unit, for every amount including `u128::MAX`, and the
//! at most 39 units of rounding (the fractions of the two shares) stay with the earner.
//! Amounts under 40 units have no shares at all.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;
use sp_runtime::traits::AtLeast32BitUnsigned;

/// How many parts of an amount each of the charity and operations shares is one of: 1/40 is 2.5%.
pub const SHARE_DIVISOR: u32 = 40;

/// One amount of profit, split.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Default,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
)]
pub struct ProfitShares<Balance> {
	/// 2.5%, rounded down, to the charity account.
	pub charity: Balance,
	/// 2.5%, rounded down, to the network-operations account.
	pub operations: Balance,
	/// The rest, to the earner.
	pub remainder: Balance,
}

impl<Balance: AtLeast32BitUnsigned + Copy> ProfitShares<Balance> {
	/// Splits `amount`: `charity + operations + remainder == amount` always holds.
	pub fn of(amount: Balance) -> Self {
		let share = amount / Balance::from(SHARE_DIVISOR);
		// `2 * share <= amount` since `share <= amount / 40`, so neither step can underflow.
		let remainder = amount - share - share;
		Self { charity: share, operations: share, remainder }
	}

	/// The amount these shares were split from.
	pub fn total(&self) -> Balance {
		self.charity.saturating_add(self.operations).saturating_add(self.remainder)
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use num_bigint::BigUint;
	use proptest::prelude::*;

	/// The split computed over unbounded integers: `floor(amount * 25 / 1000)` per share.
	fn reference(amount: u128) -> (BigUint, BigUint, BigUint) {
		let amount = BigUint::from(amount);
		let share = &amount * BigUint::from(25u32) / BigUint::from(1000u32);
		let remainder = &amount - &share - &share;
		(share.clone(), share, remainder)
	}

	fn check(amount: u128) {
		let shares = ProfitShares::of(amount);
		let (charity, operations, remainder) = reference(amount);
		assert_eq!(BigUint::from(shares.charity), charity, "charity of {amount}");
		assert_eq!(BigUint::from(shares.operations), operations, "operations of {amount}");
		assert_eq!(BigUint::from(shares.remainder), remainder, "remainder of {amount}");
		let sum = BigUint::from(shares.charity)
			+ BigUint::from(shares.operations)
			+ BigUint::from(shares.remainder);
		assert_eq!(sum, BigUint::from(amount), "the parts of {amount} add up to it");
	}

	#[test]
	fn extreme_amounts_split_exactly() {
		for amount in [0, 1, 39, 40, 41, 79, 80, 1_000, u64::MAX as u128, u128::MAX - 1, u128::MAX]
		{
			check(amount);
		}
		assert_eq!(
			ProfitShares::of(0u128),
			ProfitShares { charity: 0, operations: 0, remainder: 0 }
		);
		assert_eq!(ProfitShares::of(39u128).remainder, 39);
		assert_eq!(
			ProfitShares::of(40u128),
			ProfitShares { charity: 1, operations: 1, remainder: 38 }
		);
		assert_eq!(ProfitShares::of(u128::MAX).charity, u128::MAX / 40);
	}

	#[test]
	fn small_balances_split_like_large_ones() {
		for amount in [0u64, 1, 39, 40, u64::MAX] {
			let shares = ProfitShares::of(amount);
			assert_eq!(shares.charity, amount / 40);
			assert_eq!(shares.total(), amount);
		}
	}

	proptest! {
		#![proptest_config(ProptestConfig::with_cases(4096))]

		#[test]
		fn any_amount_splits_like_the_reference(amount in any::<u128>()) {
			check(amount);
		}

		#[test]
		fn amounts_near_multiples_of_forty(base in 0u128..(u128::MAX / 40), offset in 0u128..40) {
			check(base * 40 + offset);
		}
	}
}
