//! Weights for `pallet_micro_validators`.
//!
//! Not yet measured by `scripts/benchmark-pallets.sh`: these are counted from each call's
//! storage reads and writes at its worst case (the set full, `MaxValidators` entries read and
//! written) with a generous compute allowance, priced with the runtime's database weights.

#![allow(missing_docs)]

use core::marker::PhantomData;
use frame_support::{traits::Get, weights::Weight};

/// The weight of each call of `pallet_micro_validators`.
pub trait WeightInfo {
	fn apply() -> Weight;
	fn withdraw_candidacy() -> Weight;
	fn add_validator(v: u32) -> Weight;
	fn remove_validator(v: u32) -> Weight;
	fn withdraw_unbonded() -> Weight;
	fn set_rules() -> Weight;
	fn report_aura_equivocation(v: u32) -> Weight;
}

/// Compute allowed for one call besides its storage: 50 µs, and 1 µs per validator in the set.
const BASE: u64 = 50_000_000;
const PER_VALIDATOR: u64 = 1_000_000;
/// The proof size of one storage entry at its largest (an account's hold and balance records).
const ENTRY: u64 = 3_000;

/// Counted weights, priced with the runtime's database weights.
pub struct SubstrateWeight<T>(PhantomData<T>);
impl<T: frame_system::Config> WeightInfo for SubstrateWeight<T> {
	/// Reads: candidate, unbonding, count, node, its standing (2), rules, score (2), session
	/// keys, hold (2); writes: hold (2), candidate, count, node candidate.
	fn apply() -> Weight {
		Weight::from_parts(BASE, 13 * ENTRY).saturating_add(T::DbWeight::get().reads_writes(13, 5))
	}
	/// Reads: candidate, set, unbonding; writes: candidate, count, node candidate, unbonding.
	fn withdraw_candidacy() -> Weight {
		Weight::from_parts(BASE, 3 * ENTRY).saturating_add(T::DbWeight::get().reads_writes(3, 4))
	}
	/// Reads: candidate, node operator, session keys, set; writes: set, changed flag.
	fn add_validator(v: u32) -> Weight {
		Weight::from_parts(BASE + PER_VALIDATOR * u64::from(v), 4 * ENTRY + 32 * u64::from(v))
			.saturating_add(T::DbWeight::get().reads_writes(4, 2))
	}
	/// Reads: rules, set, candidate, unbonding, hold (2); writes: set, changed flag, hold (2),
	/// candidate, count, node candidate, unbonding.
	fn remove_validator(v: u32) -> Weight {
		Weight::from_parts(BASE + PER_VALIDATOR * u64::from(v), 6 * ENTRY + 32 * u64::from(v))
			.saturating_add(T::DbWeight::get().reads_writes(6, 8))
	}
	/// Reads: unbonding, hold (2); writes: hold (2), unbonding.
	fn withdraw_unbonded() -> Weight {
		Weight::from_parts(BASE, 3 * ENTRY).saturating_add(T::DbWeight::get().reads_writes(3, 3))
	}
	/// Writes: rules.
	fn set_rules() -> Weight {
		Weight::from_parts(BASE / 5, 0).saturating_add(T::DbWeight::get().writes(1))
	}
	/// Two header hashes and seal checks, a key-ownership proof checked against a historical
	/// root (reads: root, session, key owner), the offence recorded (reads and writes: reports,
	/// the concurrent index) and handled as a removal.
	fn report_aura_equivocation(v: u32) -> Weight {
		Weight::from_parts(4 * SIGNATURE_CHECK + BASE, 8 * ENTRY)
			.saturating_add(T::DbWeight::get().reads_writes(5, 3))
			.saturating_add(Self::remove_validator(v))
	}
}

/// An sr25519 verification in wasm, rounded up.
const SIGNATURE_CHECK: u64 = 150_000_000;

impl WeightInfo for () {
	fn apply() -> Weight {
		Weight::from_parts(BASE, 0)
	}
	fn withdraw_candidacy() -> Weight {
		Weight::from_parts(BASE, 0)
	}
	fn add_validator(_: u32) -> Weight {
		Weight::from_parts(BASE, 0)
	}
	fn remove_validator(_: u32) -> Weight {
		Weight::from_parts(BASE, 0)
	}
	fn withdraw_unbonded() -> Weight {
		Weight::from_parts(BASE, 0)
	}
	fn set_rules() -> Weight {
		Weight::from_parts(BASE, 0)
	}
	fn report_aura_equivocation(_: u32) -> Weight {
		Weight::from_parts(BASE, 0)
	}
}
