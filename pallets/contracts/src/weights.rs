//! Weights for `pallet_micro_contracts`, measured by `scripts/benchmark-pallets.sh`; do not edit by hand.
//!
//! Benchmark CLI 64.0.0 on 2026-11-22: 50 steps, 20 repeats,
//! `Compiled` wasm execution, chain `Some("dev")`, CPU `AMD EPYC`.
//! Each figure is the slowest path of its call (see the pallet's `benchmarking.rs`).

#![cfg_attr(rustfmt, rustfmt_skip)]
#![allow(unused_parens)]
#![allow(unused_imports)]
#![allow(missing_docs)]

use core::marker::PhantomData;
use frame_support::{traits::Get, weights::{constants::RocksDbWeight, Weight}};

/// The weight of each call of `pallet_micro_contracts`.
pub trait WeightInfo {
	fn propose(p: u32, ) -> Weight;
	fn approve() -> Weight;
	fn reject() -> Weight;
	fn lapse() -> Weight;
	fn declare_result() -> Weight;
	fn contest_breach() -> Weight;
	fn confirm_breach() -> Weight;
	fn release_deposit() -> Weight;
	fn expire() -> Weight;
}

/// Measured weights, priced with the runtime's database weights.
pub struct SubstrateWeight<T>(PhantomData<T>);
impl<T: frame_system::Config> WeightInfo for SubstrateWeight<T> {
	/// Storage: `MicroContracts::NextContractId` (r:1 w:1)
	/// Proof: `MicroContracts::NextContractId` (`max_values`: Some(1), `max_size`: Some(8), added: 503, mode: `MaxEncodedLen`)
	/// Storage: `MicroContracts::Contracts` (r:0 w:1)
	/// Proof: `MicroContracts::Contracts` (`max_values`: None, `max_size`: Some(632), added: 3107, mode: `MaxEncodedLen`)
	/// Storage: `MicroContracts::History` (r:0 w:1)
	/// Proof: `MicroContracts::History` (`max_values`: None, `max_size`: Some(117), added: 2592, mode: `MaxEncodedLen`)
	fn propose(p: u32, ) -> Weight {
		// Measured proof size: 4 bytes; estimated: 1493.
		// Not yet measured: the measured figure plus the deposit's hold (`System::Account`,
		// `Balances::Holds`: r:2 w:2) and `Deposits` (w:1), priced like pallet-balances' holds,
		// and the proposer's `HeldDeposits` count (r:1 w:1).
		Weight::from_parts(98_257_384 + 10_000_000, 6656 + 2_600)
			.saturating_add(Weight::from_parts(165_812, 0).saturating_mul(p.into()))
			.saturating_add(T::DbWeight::get().reads(3_u64 + 1))
			.saturating_add(T::DbWeight::get().writes(6_u64 + 1))
	}
	/// Storage: `MicroContracts::Contracts` (r:1 w:1)
	/// Proof: `MicroContracts::Contracts` (`max_values`: None, `max_size`: Some(632), added: 3107, mode: `MaxEncodedLen`)
	/// Storage: `MicroContracts::History` (r:0 w:1)
	/// Proof: `MicroContracts::History` (`max_values`: None, `max_size`: Some(117), added: 2592, mode: `MaxEncodedLen`)
	fn approve() -> Weight {
		// Measured proof size: 724 bytes; estimated: 4097.
		// Not yet measured: the measured figure plus `Deposits` (r:1) and the hold (r:2 w:2),
		// and the party's `HeldDeposits` count (r:1 w:1).
		Weight::from_parts(111_066_000 + 10_000_000, 9260 + 2_600)
			.saturating_add(T::DbWeight::get().reads(4_u64 + 1))
			.saturating_add(T::DbWeight::get().writes(4_u64 + 1))
	}
	/// Storage: `MicroContracts::Contracts` (r:1 w:1)
	/// Proof: `MicroContracts::Contracts` (`max_values`: None, `max_size`: Some(632), added: 3107, mode: `MaxEncodedLen`)
	/// Storage: `MicroContracts::History` (r:0 w:1)
	/// Proof: `MicroContracts::History` (`max_values`: None, `max_size`: Some(117), added: 2592, mode: `MaxEncodedLen`)
	fn reject() -> Weight {
		// Measured proof size: 724 bytes; estimated: 4097.
		// Not yet measured: the measured figure plus `Deposits` (r:1 w:1) and a release for
		// each party (16 at most: r:32 w:32), priced like pallet-balances' releases.
		Weight::from_parts(1_010_000_000, 86705)
			.saturating_add(T::DbWeight::get().reads(34_u64))
			.saturating_add(T::DbWeight::get().writes(35_u64))
	}
	/// Storage: `MicroContracts::Contracts` (r:1 w:1)
	/// Proof: `MicroContracts::Contracts` (`max_values`: None, `max_size`: Some(632), added: 3107, mode: `MaxEncodedLen`)
	/// Storage: `MicroContracts::History` (r:0 w:1)
	/// Proof: `MicroContracts::History` (`max_values`: None, `max_size`: Some(117), added: 2592, mode: `MaxEncodedLen`)
	fn lapse() -> Weight {
		// Measured proof size: 724 bytes; estimated: 4097.
		// Not yet measured: the measured figure plus `Deposits` (r:1 w:1) and a release for
		// each party (16 at most: r:32 w:32), priced like pallet-balances' releases.
		Weight::from_parts(1_010_000_000, 86705)
			.saturating_add(T::DbWeight::get().reads(34_u64))
			.saturating_add(T::DbWeight::get().writes(35_u64))
	}
	/// Storage: `MicroContracts::Contracts` (r:1 w:1)
	/// Proof: `MicroContracts::Contracts` (`max_values`: None, `max_size`: Some(632), added: 3107, mode: `MaxEncodedLen`)
	/// Storage: `MicroContracts::Declarations` (r:1 w:1)
	/// Proof: `MicroContracts::Declarations` (`max_values`: None, `max_size`: Some(569), added: 3044, mode: `MaxEncodedLen`)
	/// Storage: `MicroContracts::ResultCount` (r:1 w:1)
	/// Proof: `MicroContracts::ResultCount` (`max_values`: Some(1), `max_size`: Some(8), added: 503, mode: `MaxEncodedLen`)
	/// Storage: `MicroContracts::ResultHead` (r:1 w:1)
	/// Proof: `MicroContracts::ResultHead` (`max_values`: Some(1), `max_size`: Some(32), added: 527, mode: `MaxEncodedLen`)
	/// Storage: `MicroNodes::OperatorNodes` (r:16 w:0)
	/// Proof: `MicroNodes::OperatorNodes` (`max_values`: None, `max_size`: Some(113), added: 2588, mode: `MaxEncodedLen`)
	/// Storage: `Reputation::Records` (r:64 w:64)
	/// Proof: `Reputation::Records` (`max_values`: None, `max_size`: Some(49), added: 2524, mode: `MaxEncodedLen`)
	/// Storage: `MicroContracts::Results` (r:0 w:1)
	/// Proof: `MicroContracts::Results` (`max_values`: None, `max_size`: Some(133), added: 2608, mode: `MaxEncodedLen`)
	/// Storage: `MicroContracts::History` (r:0 w:1)
	/// Proof: `MicroContracts::History` (`max_values`: None, `max_size`: Some(117), added: 2592, mode: `MaxEncodedLen`)
	fn declare_result() -> Weight {
		// Measured proof size: 2198 bytes; estimated: 162526.
		// Not yet measured: the measured figure plus `Deposits` (r:1 w:1) and a release for
		// each party (16 at most: r:32 w:32), priced like pallet-balances' releases.
		Weight::from_parts(1_980_663_000, 245134)
			.saturating_add(T::DbWeight::get().reads(117_u64))
			.saturating_add(T::DbWeight::get().writes(103_u64))
	}
	fn contest_breach() -> Weight {
		// Not yet measured: estimated from declare_result (one party's subjects, twice, and every
		// release) plus `PendingBreaches` (r:1 w:1), and with each release the party's
		// `HeldDeposits` count (16 at most: r:16 w:16) and `DepositsHeldUntil` (w:1).
		Weight::from_parts(1_980_663_000, 245134)
			.saturating_add(T::DbWeight::get().reads(118_u64 + 16))
			.saturating_add(T::DbWeight::get().writes(104_u64 + 16 + 1))
	}
	fn confirm_breach() -> Weight {
		// Not yet measured: estimated from declare_result (one party's subjects and every
		// release) plus `PendingBreaches` (r:1 w:1), and with each release the party's
		// `HeldDeposits` count (16 at most: r:16 w:16) and `DepositsHeldUntil` (w:1).
		Weight::from_parts(1_980_663_000, 245134)
			.saturating_add(T::DbWeight::get().reads(118_u64 + 16))
			.saturating_add(T::DbWeight::get().writes(104_u64 + 16 + 1))
	}
	fn release_deposit() -> Weight {
		// Not yet measured: estimated from reject (a release for each party, 16 at most:
		// r:32 w:32) plus `Contracts` (r:1), `Deposits` and `DepositsHeldUntil` (r:2 w:2) and
		// each party's `HeldDeposits` count (r:16 w:16).
		Weight::from_parts(1_010_000_000 + 16 * 10_000_000, 86705 + 16 * 2_600)
			.saturating_add(T::DbWeight::get().reads(3_u64 + 32 + 16))
			.saturating_add(T::DbWeight::get().writes(2_u64 + 32 + 16))
	}
	fn expire() -> Weight {
		// Not yet measured: estimated from declare_result (a no-reputation result: no subjects
		// read or recorded, and no release) plus `DepositsHeldUntil` (w:1): `Contracts`,
		// `Declarations`, `ResultCount`, `ResultHead`, `Deposits` (r:5 w:4), `Results`,
		// `History` (w:2); doubled for safety.
		Weight::from_parts(2 * 200_000_000, 2 * 9_000)
			.saturating_add(T::DbWeight::get().reads(2 * 5_u64))
			.saturating_add(T::DbWeight::get().writes(2 * 7_u64))
	}
}

/// The same figures priced with RocksDB's weights, for tests and mocks.
impl WeightInfo for () {
	fn propose(p: u32, ) -> Weight {
		// Not yet measured: the measured figure plus the deposit's hold (`System::Account`,
		// `Balances::Holds`: r:2 w:2) and `Deposits` (w:1), priced like pallet-balances' holds,
		// and the proposer's `HeldDeposits` count (r:1 w:1).
		Weight::from_parts(98_257_384 + 10_000_000, 6656 + 2_600)
			.saturating_add(Weight::from_parts(165_812, 0).saturating_mul(p.into()))
			.saturating_add(RocksDbWeight::get().reads(3_u64 + 1))
			.saturating_add(RocksDbWeight::get().writes(6_u64 + 1))
	}
	fn approve() -> Weight {
		// Not yet measured: the measured figure plus `Deposits` (r:1) and the hold (r:2 w:2),
		// and the party's `HeldDeposits` count (r:1 w:1).
		Weight::from_parts(111_066_000 + 10_000_000, 9260 + 2_600)
			.saturating_add(RocksDbWeight::get().reads(4_u64 + 1))
			.saturating_add(RocksDbWeight::get().writes(4_u64 + 1))
	}
	fn reject() -> Weight {
		// Not yet measured: the measured figure plus `Deposits` (r:1 w:1) and a release for
		// each party (16 at most: r:32 w:32), priced like pallet-balances' releases.
		Weight::from_parts(1_010_000_000, 86705)
			.saturating_add(RocksDbWeight::get().reads(34_u64))
			.saturating_add(RocksDbWeight::get().writes(35_u64))
	}
	fn lapse() -> Weight {
		// Not yet measured: the measured figure plus `Deposits` (r:1 w:1) and a release for
		// each party (16 at most: r:32 w:32), priced like pallet-balances' releases.
		Weight::from_parts(1_010_000_000, 86705)
			.saturating_add(RocksDbWeight::get().reads(34_u64))
			.saturating_add(RocksDbWeight::get().writes(35_u64))
	}
	fn declare_result() -> Weight {
		// Not yet measured: the measured figure plus `Deposits` (r:1 w:1) and a release for
		// each party (16 at most: r:32 w:32), priced like pallet-balances' releases.
		Weight::from_parts(1_980_663_000, 245134)
			.saturating_add(RocksDbWeight::get().reads(117_u64))
			.saturating_add(RocksDbWeight::get().writes(103_u64))
	}
	fn contest_breach() -> Weight {
		// Not yet measured: estimated from declare_result (one party's subjects, twice, and every
		// release) plus `PendingBreaches` (r:1 w:1), and with each release the party's
		// `HeldDeposits` count (16 at most: r:16 w:16) and `DepositsHeldUntil` (w:1).
		Weight::from_parts(1_980_663_000, 245134)
			.saturating_add(RocksDbWeight::get().reads(118_u64 + 16))
			.saturating_add(RocksDbWeight::get().writes(104_u64 + 16 + 1))
	}
	fn confirm_breach() -> Weight {
		// Not yet measured: estimated from declare_result (one party's subjects and every
		// release) plus `PendingBreaches` (r:1 w:1), and with each release the party's
		// `HeldDeposits` count (16 at most: r:16 w:16) and `DepositsHeldUntil` (w:1).
		Weight::from_parts(1_980_663_000, 245134)
			.saturating_add(RocksDbWeight::get().reads(118_u64 + 16))
			.saturating_add(RocksDbWeight::get().writes(104_u64 + 16 + 1))
	}
	fn release_deposit() -> Weight {
		// Not yet measured: estimated from reject (a release for each party, 16 at most:
		// r:32 w:32) plus `Contracts` (r:1), `Deposits` and `DepositsHeldUntil` (r:2 w:2) and
		// each party's `HeldDeposits` count (r:16 w:16).
		Weight::from_parts(1_010_000_000 + 16 * 10_000_000, 86705 + 16 * 2_600)
			.saturating_add(RocksDbWeight::get().reads(3_u64 + 32 + 16))
			.saturating_add(RocksDbWeight::get().writes(2_u64 + 32 + 16))
	}
	fn expire() -> Weight {
		// Not yet measured: estimated from declare_result (a no-reputation result: no subjects
		// read or recorded, and no release) plus `DepositsHeldUntil` (w:1): `Contracts`,
		// `Declarations`, `ResultCount`, `ResultHead`, `Deposits` (r:5 w:4), `Results`,
		// `History` (w:2); doubled for safety.
		Weight::from_parts(2 * 200_000_000, 2 * 9_000)
			.saturating_add(RocksDbWeight::get().reads(2 * 5_u64))
			.saturating_add(RocksDbWeight::get().writes(2 * 7_u64))
	}
}
