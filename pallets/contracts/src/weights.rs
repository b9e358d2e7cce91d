//! Weights for `pallet_micro_contracts`, measured by `scripts/benchmark-pallets.sh`; do not edit by hand.
//!
//! Benchmark CLI 64.0.0 on 2026-11-30: 10 steps, 5 repeats,
//! `Compiled` wasm execution, chain `Some("dev")`, CPU `Intel(R) Xeon(R) Processor`.
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
	/// Storage: `MicroContracts::HeldDeposits` (r:1 w:1)
	/// Proof: `MicroContracts::HeldDeposits` (`max_values`: None, `max_size`: Some(52), added: 2527, mode: `MaxEncodedLen`)
	/// Storage: `System::Account` (r:1 w:1)
	/// Proof: `System::Account` (`max_values`: None, `max_size`: Some(128), added: 2603, mode: `MaxEncodedLen`)
	/// Storage: `Balances::Holds` (r:1 w:1)
	/// Proof: `Balances::Holds` (`max_values`: None, `max_size`: Some(157), added: 2632, mode: `MaxEncodedLen`)
	/// Storage: `MicroContracts::Contracts` (r:0 w:1)
	/// Proof: `MicroContracts::Contracts` (`max_values`: None, `max_size`: Some(632), added: 3107, mode: `MaxEncodedLen`)
	/// Storage: `MicroContracts::History` (r:0 w:1)
	/// Proof: `MicroContracts::History` (`max_values`: None, `max_size`: Some(117), added: 2592, mode: `MaxEncodedLen`)
	/// Storage: `MicroContracts::Deposits` (r:0 w:1)
	/// Proof: `MicroContracts::Deposits` (`max_values`: None, `max_size`: Some(40), added: 2515, mode: `MaxEncodedLen`)
	fn propose(p: u32, ) -> Weight {
		// Measured proof size: 144 bytes; estimated: 3622.
		Weight::from_parts(126_844_636, 3622)
			.saturating_add(Weight::from_parts(536_192, 0).saturating_mul(p.into()))
			.saturating_add(T::DbWeight::get().reads(4_u64))
			.saturating_add(T::DbWeight::get().writes(7_u64))
	}
	/// Storage: `MicroContracts::Contracts` (r:1 w:1)
	/// Proof: `MicroContracts::Contracts` (`max_values`: None, `max_size`: Some(632), added: 3107, mode: `MaxEncodedLen`)
	/// Storage: `MicroContracts::Deposits` (r:1 w:0)
	/// Proof: `MicroContracts::Deposits` (`max_values`: None, `max_size`: Some(40), added: 2515, mode: `MaxEncodedLen`)
	/// Storage: `MicroContracts::HeldDeposits` (r:1 w:1)
	/// Proof: `MicroContracts::HeldDeposits` (`max_values`: None, `max_size`: Some(52), added: 2527, mode: `MaxEncodedLen`)
	/// Storage: `System::Account` (r:1 w:1)
	/// Proof: `System::Account` (`max_values`: None, `max_size`: Some(128), added: 2603, mode: `MaxEncodedLen`)
	/// Storage: `Balances::Holds` (r:1 w:1)
	/// Proof: `Balances::Holds` (`max_values`: None, `max_size`: Some(157), added: 2632, mode: `MaxEncodedLen`)
	/// Storage: `MicroContracts::History` (r:0 w:1)
	/// Proof: `MicroContracts::History` (`max_values`: None, `max_size`: Some(117), added: 2592, mode: `MaxEncodedLen`)
	fn approve() -> Weight {
		// Measured proof size: 1674 bytes; estimated: 4097.
		Weight::from_parts(135_366_000, 4097)
			.saturating_add(T::DbWeight::get().reads(5_u64))
			.saturating_add(T::DbWeight::get().writes(5_u64))
	}
	/// Storage: `MicroContracts::Contracts` (r:1 w:1)
	/// Proof: `MicroContracts::Contracts` (`max_values`: None, `max_size`: Some(632), added: 3107, mode: `MaxEncodedLen`)
	/// Storage: `MicroContracts::Deposits` (r:1 w:0)
	/// Proof: `MicroContracts::Deposits` (`max_values`: None, `max_size`: Some(40), added: 2515, mode: `MaxEncodedLen`)
	/// Storage: `MicroContracts::DepositsHeldUntil` (r:0 w:1)
	/// Proof: `MicroContracts::DepositsHeldUntil` (`max_values`: None, `max_size`: Some(28), added: 2503, mode: `MaxEncodedLen`)
	/// Storage: `MicroContracts::History` (r:0 w:1)
	/// Proof: `MicroContracts::History` (`max_values`: None, `max_size`: Some(117), added: 2592, mode: `MaxEncodedLen`)
	fn reject() -> Weight {
		// Measured proof size: 818 bytes; estimated: 4097.
		Weight::from_parts(99_523_000, 4097)
			.saturating_add(T::DbWeight::get().reads(2_u64))
			.saturating_add(T::DbWeight::get().writes(3_u64))
	}
	/// Storage: `MicroContracts::Contracts` (r:1 w:1)
	/// Proof: `MicroContracts::Contracts` (`max_values`: None, `max_size`: Some(632), added: 3107, mode: `MaxEncodedLen`)
	/// Storage: `MicroContracts::Deposits` (r:1 w:0)
	/// Proof: `MicroContracts::Deposits` (`max_values`: None, `max_size`: Some(40), added: 2515, mode: `MaxEncodedLen`)
	/// Storage: `MicroContracts::DepositsHeldUntil` (r:0 w:1)
	/// Proof: `MicroContracts::DepositsHeldUntil` (`max_values`: None, `max_size`: Some(28), added: 2503, mode: `MaxEncodedLen`)
	/// Storage: `MicroContracts::History` (r:0 w:1)
	/// Proof: `MicroContracts::History` (`max_values`: None, `max_size`: Some(117), added: 2592, mode: `MaxEncodedLen`)
	fn lapse() -> Weight {
		// Measured proof size: 818 bytes; estimated: 4097.
		Weight::from_parts(65_502_000, 4097)
			.saturating_add(T::DbWeight::get().reads(2_u64))
			.saturating_add(T::DbWeight::get().writes(3_u64))
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
	/// Proof: `Reputation::Records` (`max_values`: None, `max_size`: Some(73), added: 2548, mode: `MaxEncodedLen`)
	/// Storage: `MicroContracts::Deposits` (r:1 w:0)
	/// Proof: `MicroContracts::Deposits` (`max_values`: None, `max_size`: Some(40), added: 2515, mode: `MaxEncodedLen`)
	/// Storage: `MicroContracts::Results` (r:0 w:1)
	/// Proof: `MicroContracts::Results` (`max_values`: None, `max_size`: Some(133), added: 2608, mode: `MaxEncodedLen`)
	/// Storage: `MicroContracts::DepositsHeldUntil` (r:0 w:1)
	/// Proof: `MicroContracts::DepositsHeldUntil` (`max_values`: None, `max_size`: Some(28), added: 2503, mode: `MaxEncodedLen`)
	/// Storage: `MicroContracts::History` (r:0 w:1)
	/// Proof: `MicroContracts::History` (`max_values`: None, `max_size`: Some(117), added: 2592, mode: `MaxEncodedLen`)
	fn declare_result() -> Weight {
		// Measured proof size: 2326 bytes; estimated: 164062.
		Weight::from_parts(804_724_000, 164062)
			.saturating_add(T::DbWeight::get().reads(85_u64))
			.saturating_add(T::DbWeight::get().writes(71_u64))
	}
	/// Storage: `MicroContracts::Contracts` (r:1 w:1)
	/// Proof: `MicroContracts::Contracts` (`max_values`: None, `max_size`: Some(632), added: 3107, mode: `MaxEncodedLen`)
	/// Storage: `MicroContracts::PendingBreaches` (r:1 w:1)
	/// Proof: `MicroContracts::PendingBreaches` (`max_values`: None, `max_size`: Some(60), added: 2535, mode: `MaxEncodedLen`)
	/// Storage: `MicroContracts::ResultCount` (r:1 w:1)
	/// Proof: `MicroContracts::ResultCount` (`max_values`: Some(1), `max_size`: Some(8), added: 503, mode: `MaxEncodedLen`)
	/// Storage: `MicroContracts::ResultHead` (r:1 w:1)
	/// Proof: `MicroContracts::ResultHead` (`max_values`: Some(1), `max_size`: Some(32), added: 527, mode: `MaxEncodedLen`)
	/// Storage: `MicroNodes::OperatorNodes` (r:1 w:0)
	/// Proof: `MicroNodes::OperatorNodes` (`max_values`: None, `max_size`: Some(113), added: 2588, mode: `MaxEncodedLen`)
	/// Storage: `Reputation::Records` (r:4 w:4)
	/// Proof: `Reputation::Records` (`max_values`: None, `max_size`: Some(73), added: 2548, mode: `MaxEncodedLen`)
	/// Storage: `MicroContracts::Deposits` (r:1 w:1)
	/// Proof: `MicroContracts::Deposits` (`max_values`: None, `max_size`: Some(40), added: 2515, mode: `MaxEncodedLen`)
	/// Storage: `System::Account` (r:16 w:16)
	/// Proof: `System::Account` (`max_values`: None, `max_size`: Some(128), added: 2603, mode: `MaxEncodedLen`)
	/// Storage: `Balances::Holds` (r:16 w:16)
	/// Proof: `Balances::Holds` (`max_values`: None, `max_size`: Some(157), added: 2632, mode: `MaxEncodedLen`)
	/// Storage: `MicroContracts::HeldDeposits` (r:16 w:16)
	/// Proof: `MicroContracts::HeldDeposits` (`max_values`: None, `max_size`: Some(52), added: 2527, mode: `MaxEncodedLen`)
	/// Storage: `MicroContracts::Results` (r:0 w:1)
	/// Proof: `MicroContracts::Results` (`max_values`: None, `max_size`: Some(133), added: 2608, mode: `MaxEncodedLen`)
	/// Storage: `MicroContracts::DepositsHeldUntil` (r:0 w:1)
	/// Proof: `MicroContracts::DepositsHeldUntil` (`max_values`: None, `max_size`: Some(28), added: 2503, mode: `MaxEncodedLen`)
	/// Storage: `MicroContracts::History` (r:0 w:2)
	/// Proof: `MicroContracts::History` (`max_values`: None, `max_size`: Some(117), added: 2592, mode: `MaxEncodedLen`)
	fn contest_breach() -> Weight {
		// Measured proof size: 5266 bytes; estimated: 43102.
		Weight::from_parts(1_292_773_000, 43102)
			.saturating_add(T::DbWeight::get().reads(58_u64))
			.saturating_add(T::DbWeight::get().writes(61_u64))
	}
	/// Storage: `MicroContracts::Contracts` (r:1 w:1)
	/// Proof: `MicroContracts::Contracts` (`max_values`: None, `max_size`: Some(632), added: 3107, mode: `MaxEncodedLen`)
	/// Storage: `MicroContracts::PendingBreaches` (r:1 w:1)
	/// Proof: `MicroContracts::PendingBreaches` (`max_values`: None, `max_size`: Some(60), added: 2535, mode: `MaxEncodedLen`)
	/// Storage: `MicroContracts::ResultCount` (r:1 w:1)
	/// Proof: `MicroContracts::ResultCount` (`max_values`: Some(1), `max_size`: Some(8), added: 503, mode: `MaxEncodedLen`)
	/// Storage: `MicroContracts::ResultHead` (r:1 w:1)
	/// Proof: `MicroContracts::ResultHead` (`max_values`: Some(1), `max_size`: Some(32), added: 527, mode: `MaxEncodedLen`)
	/// Storage: `MicroNodes::OperatorNodes` (r:1 w:0)
	/// Proof: `MicroNodes::OperatorNodes` (`max_values`: None, `max_size`: Some(113), added: 2588, mode: `MaxEncodedLen`)
	/// Storage: `Reputation::Records` (r:4 w:4)
	/// Proof: `Reputation::Records` (`max_values`: None, `max_size`: Some(73), added: 2548, mode: `MaxEncodedLen`)
	/// Storage: `MicroContracts::Deposits` (r:1 w:1)
	/// Proof: `MicroContracts::Deposits` (`max_values`: None, `max_size`: Some(40), added: 2515, mode: `MaxEncodedLen`)
	/// Storage: `System::Account` (r:16 w:16)
	/// Proof: `System::Account` (`max_values`: None, `max_size`: Some(128), added: 2603, mode: `MaxEncodedLen`)
	/// Storage: `Balances::Holds` (r:16 w:16)
	/// Proof: `Balances::Holds` (`max_values`: None, `max_size`: Some(157), added: 2632, mode: `MaxEncodedLen`)
	/// Storage: `MicroContracts::HeldDeposits` (r:16 w:16)
	/// Proof: `MicroContracts::HeldDeposits` (`max_values`: None, `max_size`: Some(52), added: 2527, mode: `MaxEncodedLen`)
	/// Storage: `MicroContracts::Results` (r:0 w:1)
	/// Proof: `MicroContracts::Results` (`max_values`: None, `max_size`: Some(133), added: 2608, mode: `MaxEncodedLen`)
	/// Storage: `MicroContracts::DepositsHeldUntil` (r:0 w:1)
	/// Proof: `MicroContracts::DepositsHeldUntil` (`max_values`: None, `max_size`: Some(28), added: 2503, mode: `MaxEncodedLen`)
	/// Storage: `MicroContracts::History` (r:0 w:1)
	/// Proof: `MicroContracts::History` (`max_values`: None, `max_size`: Some(117), added: 2592, mode: `MaxEncodedLen`)
	fn confirm_breach() -> Weight {
		// Measured proof size: 5266 bytes; estimated: 43102.
		Weight::from_parts(1_179_437_000, 43102)
			.saturating_add(T::DbWeight::get().reads(58_u64))
			.saturating_add(T::DbWeight::get().writes(60_u64))
	}
	/// Storage: `MicroContracts::Contracts` (r:1 w:0)
	/// Proof: `MicroContracts::Contracts` (`max_values`: None, `max_size`: Some(632), added: 3107, mode: `MaxEncodedLen`)
	/// Storage: `MicroContracts::Deposits` (r:1 w:1)
	/// Proof: `MicroContracts::Deposits` (`max_values`: None, `max_size`: Some(40), added: 2515, mode: `MaxEncodedLen`)
	/// Storage: `MicroContracts::DepositsHeldUntil` (r:1 w:1)
	/// Proof: `MicroContracts::DepositsHeldUntil` (`max_values`: None, `max_size`: Some(28), added: 2503, mode: `MaxEncodedLen`)
	/// Storage: `System::Account` (r:16 w:16)
	/// Proof: `System::Account` (`max_values`: None, `max_size`: Some(128), added: 2603, mode: `MaxEncodedLen`)
	/// Storage: `Balances::Holds` (r:16 w:16)
	/// Proof: `Balances::Holds` (`max_values`: None, `max_size`: Some(157), added: 2632, mode: `MaxEncodedLen`)
	/// Storage: `MicroContracts::HeldDeposits` (r:16 w:16)
	/// Proof: `MicroContracts::HeldDeposits` (`max_values`: None, `max_size`: Some(52), added: 2527, mode: `MaxEncodedLen`)
	fn release_deposit() -> Weight {
		// Measured proof size: 4445 bytes; estimated: 43102.
		Weight::from_parts(1_016_135_000, 43102)
			.saturating_add(T::DbWeight::get().reads(51_u64))
			.saturating_add(T::DbWeight::get().writes(50_u64))
	}
	/// Storage: `MicroContracts::Contracts` (r:1 w:1)
	/// Proof: `MicroContracts::Contracts` (`max_values`: None, `max_size`: Some(632), added: 3107, mode: `MaxEncodedLen`)
	/// Storage: `MicroContracts::ResultCount` (r:1 w:1)
	/// Proof: `MicroContracts::ResultCount` (`max_values`: Some(1), `max_size`: Some(8), added: 503, mode: `MaxEncodedLen`)
	/// Storage: `MicroContracts::ResultHead` (r:1 w:1)
	/// Proof: `MicroContracts::ResultHead` (`max_values`: Some(1), `max_size`: Some(32), added: 527, mode: `MaxEncodedLen`)
	/// Storage: `MicroContracts::Deposits` (r:1 w:0)
	/// Proof: `MicroContracts::Deposits` (`max_values`: None, `max_size`: Some(40), added: 2515, mode: `MaxEncodedLen`)
	/// Storage: `MicroContracts::Results` (r:0 w:1)
	/// Proof: `MicroContracts::Results` (`max_values`: None, `max_size`: Some(133), added: 2608, mode: `MaxEncodedLen`)
	/// Storage: `MicroContracts::DepositsHeldUntil` (r:0 w:1)
	/// Proof: `MicroContracts::DepositsHeldUntil` (`max_values`: None, `max_size`: Some(28), added: 2503, mode: `MaxEncodedLen`)
	/// Storage: `MicroContracts::Declarations` (r:0 w:1)
	/// Proof: `MicroContracts::Declarations` (`max_values`: None, `max_size`: Some(569), added: 3044, mode: `MaxEncodedLen`)
	/// Storage: `MicroContracts::History` (r:0 w:1)
	/// Proof: `MicroContracts::History` (`max_values`: None, `max_size`: Some(117), added: 2592, mode: `MaxEncodedLen`)
	fn expire() -> Weight {
		// Measured proof size: 824 bytes; estimated: 4097.
		Weight::from_parts(69_994_000, 4097)
			.saturating_add(T::DbWeight::get().reads(4_u64))
			.saturating_add(T::DbWeight::get().writes(7_u64))
	}
}

/// The same figures priced with RocksDB's weights, for tests and mocks.
impl WeightInfo for () {
	fn propose(p: u32, ) -> Weight {
		Weight::from_parts(126_844_636, 3622)
			.saturating_add(Weight::from_parts(536_192, 0).saturating_mul(p.into()))
			.saturating_add(RocksDbWeight::get().reads(4_u64))
			.saturating_add(RocksDbWeight::get().writes(7_u64))
	}
	fn approve() -> Weight {
		Weight::from_parts(135_366_000, 4097)
			.saturating_add(RocksDbWeight::get().reads(5_u64))
			.saturating_add(RocksDbWeight::get().writes(5_u64))
	}
	fn reject() -> Weight {
		Weight::from_parts(99_523_000, 4097)
			.saturating_add(RocksDbWeight::get().reads(2_u64))
			.saturating_add(RocksDbWeight::get().writes(3_u64))
	}
	fn lapse() -> Weight {
		Weight::from_parts(65_502_000, 4097)
			.saturating_add(RocksDbWeight::get().reads(2_u64))
			.saturating_add(RocksDbWeight::get().writes(3_u64))
	}
	fn declare_result() -> Weight {
		Weight::from_parts(804_724_000, 164062)
			.saturating_add(RocksDbWeight::get().reads(85_u64))
			.saturating_add(RocksDbWeight::get().writes(71_u64))
	}
	fn contest_breach() -> Weight {
		Weight::from_parts(1_292_773_000, 43102)
			.saturating_add(RocksDbWeight::get().reads(58_u64))
			.saturating_add(RocksDbWeight::get().writes(61_u64))
	}
	fn confirm_breach() -> Weight {
		Weight::from_parts(1_179_437_000, 43102)
			.saturating_add(RocksDbWeight::get().reads(58_u64))
			.saturating_add(RocksDbWeight::get().writes(60_u64))
	}
	fn release_deposit() -> Weight {
		Weight::from_parts(1_016_135_000, 43102)
			.saturating_add(RocksDbWeight::get().reads(51_u64))
			.saturating_add(RocksDbWeight::get().writes(50_u64))
	}
	fn expire() -> Weight {
		Weight::from_parts(69_994_000, 4097)
			.saturating_add(RocksDbWeight::get().reads(4_u64))
			.saturating_add(RocksDbWeight::get().writes(7_u64))
	}
}
