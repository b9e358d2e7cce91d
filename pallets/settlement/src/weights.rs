//! Weights for `pallet_micro_settlement`, measured by `scripts/benchmark-pallets.sh`; do not edit by hand.
//! `submit_usage` and `authorize_submit_usage` are NOT YET MEASURED at the new worst case:
//! hand-estimated upward from the last measurement until the benchmark is re-run; nor are the
//! dispute calls and the sweeps (see each function's comment).
//!
//! Benchmark CLI 64.0.0 on 2026-11-22: 10 steps, 5 repeats,
//! `Compiled` wasm execution, chain `Some("dev")`, CPU `AMD EPYC`.
//! Each figure is the slowest path of its call (see the pallet's `benchmarking.rs`).

#![cfg_attr(rustfmt, rustfmt_skip)]
#![allow(unused_parens)]
#![allow(unused_imports)]
#![allow(missing_docs)]

use core::marker::PhantomData;
use frame_support::{traits::Get, weights::{constants::RocksDbWeight, Weight}};

/// The weight of each call of `pallet_micro_settlement`.
pub trait WeightInfo {
	fn submit_usage(n: u32, ) -> Weight;
	fn authorize_submit_usage(n: u32, ) -> Weight;
	fn prune_allowances(n: u32, ) -> Weight;
	fn revoke_allowance() -> Weight;
	fn dispute_usage() -> Weight;
	fn refund_usage() -> Weight;
	fn close_dispute() -> Weight;
	fn prune_receipts(n: u32, ) -> Weight;
}

/// Measured weights, priced with the runtime's database weights.
pub struct SubstrateWeight<T>(PhantomData<T>);
impl<T: frame_system::Config> WeightInfo for SubstrateWeight<T> {
	/// Storage: `MicroNodes::Nodes` (r:1 w:0)
	/// Proof: `MicroNodes::Nodes` (`max_values`: None, `max_size`: Some(1239), added: 3714, mode: `MaxEncodedLen`)
	/// Storage: `Settlement::LastReport` (r:1 w:1)
	/// Proof: `Settlement::LastReport` (`max_values`: None, `max_size`: Some(24), added: 2499, mode: `MaxEncodedLen`)
	/// Storage: `System::BlockHash` (r:1 w:0)
	/// Proof: `System::BlockHash` (`max_values`: None, `max_size`: Some(44), added: 2519, mode: `MaxEncodedLen`)
	/// Storage: `MicroServices::Placements` (r:1 w:0)
	/// Proof: `MicroServices::Placements` (`max_values`: None, `max_size`: Some(61), added: 2536, mode: `MaxEncodedLen`)
	/// Storage: `MicroServices::Versions` (r:1 w:0)
	/// Proof: `MicroServices::Versions` (`max_values`: None, `max_size`: Some(16982), added: 19457, mode: `MaxEncodedLen`)
	/// Storage: `Settlement::Allowances` (r:1000 w:1000)
	/// Proof: `Settlement::Allowances` (`max_values`: None, `max_size`: Some(112), added: 2587, mode: `MaxEncodedLen`)
	/// Storage: `MicroServices::Services` (r:1 w:0)
	/// Proof: `MicroServices::Services` (`max_values`: None, `max_size`: Some(158), added: 2633, mode: `MaxEncodedLen`)
	/// Storage: `MicroServices::ServiceCollection` (r:1 w:0)
	/// Proof: `MicroServices::ServiceCollection` (`max_values`: Some(1), `max_size`: Some(4), added: 499, mode: `MaxEncodedLen`)
	/// Storage: `Nfts::Item` (r:1 w:0)
	/// Proof: `Nfts::Item` (`max_values`: None, `max_size`: Some(861), added: 3336, mode: `MaxEncodedLen`)
	/// Storage: `MicroTokens::Params` (r:1 w:0)
	/// Proof: `MicroTokens::Params` (`max_values`: Some(1), `max_size`: Some(84), added: 579, mode: `MaxEncodedLen`)
	/// Storage: `MicroTokens::Batches` (r:1000 w:1000)
	/// Proof: `MicroTokens::Batches` (`max_values`: None, `max_size`: Some(1233), added: 3708, mode: `MaxEncodedLen`)
	/// Storage: `System::Account` (r:4 w:4)
	/// Proof: `System::Account` (`max_values`: None, `max_size`: Some(128), added: 2603, mode: `MaxEncodedLen`)
	/// Storage: `MicroTokens::TotalBacking` (r:1 w:1)
	/// Proof: `MicroTokens::TotalBacking` (`max_values`: Some(1), `max_size`: Some(16), added: 511, mode: `MaxEncodedLen`)
	/// Storage: `MicroTokens::Owed` (r:1000 w:1000), taken per distinct owner in `pay_out`
	/// Proof: `MicroTokens::Owed` (`max_values`: None, `max_size`: Some(64), added: 2539, mode: `MaxEncodedLen`)
	/// Storage: `Reputation::Records` (r:1001 w:1001)
	/// Proof: `Reputation::Records` (`max_values`: None, `max_size`: Some(49), added: 2524, mode: `MaxEncodedLen`)
	/// Storage: `Settlement::Revocations` (r:1000 w:0)
	/// Proof: `Settlement::Revocations` (`max_values`: None, `max_size`: Some(77), added: 2552, mode: `MaxEncodedLen`)
	/// Storage: `Settlement::Receipts` (r:1000 w:1000)
	/// Proof: `Settlement::Receipts` (`max_values`: None, `max_size`: Some(129), added: 2604, mode: `MaxEncodedLen`)
	/// Storage: `MicroTokens::Holds` (r:1000 w:1000)
	/// Proof: `MicroTokens::Holds` (`max_values`: None, `max_size`: Some(1245), added: 3720, mode: `MaxEncodedLen`)
	fn submit_usage(n: u32, ) -> Weight {
		// Not yet measured: estimated from the measured `submit_usage` of 2026-11-22 (one
		// service for all records), now with a distinct service and owner per record (reads of
		// `Services`, `Nfts::Item`, `Placements`, `Versions`; the owner's `System::Account` and
		// the service's `Reputation::Records` read and written per record), the operator's fee
		// (its account and the three accounts of the fee split), and 25% more compute per record;
		// then per record the consumer's revocation read, its receipt and its hold for the node
		// read and written, and 15% more compute for spending the held pieces. Not yet
		// measured either: whether the node ran the version is now
		// `ServiceDirectory::ran_recently`, estimated from the `Placements` read it replaces:
		// `Placements`, `PastPlacements`, `RetiredVersions` and `RetiredAt` in place of
		// `Placements` and `Versions` (two reads more per record, the proof smaller).
		// Not yet measured either: 7 writes per record, not 6 (`MicroTokens::Owed` is removed
		// for each distinct owner in `pay_out`), and 51,000 bytes of proof per record, above
		// the ~50,800 the listed max sizes add up to (a receipt now also stores `since`).
		Weight::from_parts(1_200_000_000, 30_000)
			.saturating_add(Weight::from_parts(762_000_000, 0).saturating_mul(n.into()))
			.saturating_add(T::DbWeight::get().reads(21_u64))
			.saturating_add(T::DbWeight::get().reads((14_u64).saturating_mul(n.into())))
			.saturating_add(T::DbWeight::get().writes(13_u64))
			.saturating_add(T::DbWeight::get().writes((7_u64).saturating_mul(n.into())))
			.saturating_add(Weight::from_parts(0, 51_000).saturating_mul(n.into()))
	}
	/// Storage: `MicroNodes::Nodes` (r:1 w:0)
	/// Proof: `MicroNodes::Nodes` (`max_values`: None, `max_size`: Some(1239), added: 3714, mode: `MaxEncodedLen`)
	/// Storage: `Settlement::LastReport` (r:1 w:0)
	/// Proof: `Settlement::LastReport` (`max_values`: None, `max_size`: Some(24), added: 2499, mode: `MaxEncodedLen`)
	/// Storage: `System::BlockHash` (r:1 w:0)
	/// Proof: `System::BlockHash` (`max_values`: None, `max_size`: Some(44), added: 2519, mode: `MaxEncodedLen`)
	/// Storage: `System::Account` (r:1 w:0)
	fn authorize_submit_usage(n: u32, ) -> Weight {
		// Not yet measured: estimated from the measured one plus the operator's account read
		// (the fee check) and the node's operator read again.
		Weight::from_parts(150_000_000, 8_500)
			.saturating_add(Weight::from_parts(252_744, 0).saturating_mul(n.into()))
			.saturating_add(T::DbWeight::get().reads(5_u64))
	}
	/// Storage: `Settlement::PruneCursor` (r:1 w:1)
	/// Proof: `Settlement::PruneCursor` (`max_values`: Some(1), `max_size`: Some(258), added: 753, mode: `MaxEncodedLen`)
	/// Storage: `Settlement::Allowances` (r:512 w:512)
	/// Proof: `Settlement::Allowances` (`max_values`: None, `max_size`: Some(144), added: 2619, mode: `MaxEncodedLen`)
	fn prune_allowances(n: u32, ) -> Weight {
		// Not yet measured: estimated from `submit_usage`'s per-record read and write of
		// `Allowances`, with the decoding of one state and the removal of its key.
		Weight::from_parts(10_000_000, 1_743)
			.saturating_add(Weight::from_parts(15_000_000, 0).saturating_mul(n.into()))
			.saturating_add(T::DbWeight::get().reads(1_u64))
			.saturating_add(T::DbWeight::get().reads((1_u64).saturating_mul(n.into())))
			.saturating_add(T::DbWeight::get().writes(1_u64))
			.saturating_add(T::DbWeight::get().writes((1_u64).saturating_mul(n.into())))
			.saturating_add(Weight::from_parts(0, 2_619).saturating_mul(n.into()))
	}
	/// Storage: `Settlement::Allowances` (r:1 w:0)
	/// Storage: `Settlement::Revocations` (r:1 w:1)
	/// Proof: `Settlement::Revocations` (`max_values`: None, `max_size`: Some(77), added: 2552, mode: `MaxEncodedLen`)
	/// Storage: `MicroTokens::Holds` (r:1 w:1)
	/// Proof: `MicroTokens::Holds` (`max_values`: None, `max_size`: Some(1245), added: 3720, mode: `MaxEncodedLen`)
	// Not yet measured: estimated from `prune_allowances(1)` and `claim_owed` (a few reads and
	// writes of small values, one of them a hold decoded and re-encoded).
	fn revoke_allowance() -> Weight {
		Weight::from_parts(60_000_000, 8_900)
			.saturating_add(T::DbWeight::get().reads(3_u64))
			.saturating_add(T::DbWeight::get().writes(2_u64))
	}
	/// Storage: `Settlement::Receipts` (r:1 w:1)
	/// Storage: `Settlement::Disputes` (r:1 w:1)
	/// Proof: `Settlement::Disputes` (`max_values`: None, `max_size`: Some(154), added: 2629, mode: `MaxEncodedLen`)
	/// Storage: `MicroNodes::Nodes` (r:1 w:0)
	/// Storage: `MicroServices::Services` (r:1 w:0), `Nfts::Item` (r:1 w:0)
	/// Storage: `Balances::Holds` (r:1 w:1)
	/// Storage: `System::Account` (r:1 w:1)
	// Not yet measured: estimated from `claim_owed` (one balance change) plus the node's and
	// the service's records and a hold placed.
	fn dispute_usage() -> Weight {
		Weight::from_parts(150_000_000, 20_000)
			.saturating_add(T::DbWeight::get().reads(8_u64))
			.saturating_add(T::DbWeight::get().writes(4_u64))
	}
	/// Storage: `MicroNodes::Nodes` (r:1 w:0)
	/// Storage: `MicroServices::Services` (r:1 w:0), `Nfts::Item` (r:1 w:0)
	/// Storage: `Settlement::Disputes` (r:1 w:1)
	/// Storage: `Balances::Holds` (r:1 w:1)
	/// Storage: `System::Account` (r:2 w:2)
	// Not yet measured: estimated from `claim_owed` (a transfer) plus a hold released, and the
	// service's owner read when the owner refunds (its worst case).
	fn refund_usage() -> Weight {
		Weight::from_parts(150_000_000, 21_000)
			.saturating_add(T::DbWeight::get().reads(7_u64))
			.saturating_add(T::DbWeight::get().writes(4_u64))
	}
	/// Storage: `Settlement::Disputes` (r:1 w:1)
	/// Storage: `Reputation::Records` (r:1 w:1)
	/// Storage: `Balances::Holds` (r:1 w:1)
	/// Storage: `System::Account` (r:1 w:1)
	// Not yet measured: estimated from `claim_owed` plus the node's reputation record (as
	// `submit_usage` writes per record) and a hold released.
	fn close_dispute() -> Weight {
		Weight::from_parts(150_000_000, 12_500)
			.saturating_add(T::DbWeight::get().reads(4_u64))
			.saturating_add(T::DbWeight::get().writes(4_u64))
	}
	/// Storage: `Settlement::ReceiptCursor` (r:1 w:1)
	/// Storage: `Settlement::Receipts` (r:512 w:512)
	/// Proof: `Settlement::Receipts` (`max_values`: None, `max_size`: Some(129), added: 2604, mode: `MaxEncodedLen`)
	// Not yet measured: estimated from `prune_allowances`, a receipt being about as large as
	// an allowance state.
	fn prune_receipts(n: u32, ) -> Weight {
		Weight::from_parts(10_000_000, 1_743)
			.saturating_add(Weight::from_parts(15_000_000, 0).saturating_mul(n.into()))
			.saturating_add(T::DbWeight::get().reads(1_u64))
			.saturating_add(T::DbWeight::get().reads((1_u64).saturating_mul(n.into())))
			.saturating_add(T::DbWeight::get().writes(1_u64))
			.saturating_add(T::DbWeight::get().writes((1_u64).saturating_mul(n.into())))
			.saturating_add(Weight::from_parts(0, 2_604).saturating_mul(n.into()))
	}
}

/// The same figures priced with RocksDB's weights, for tests and mocks.
impl WeightInfo for () {
	fn submit_usage(n: u32, ) -> Weight {
		Weight::from_parts(1_200_000_000, 30_000)
			.saturating_add(Weight::from_parts(762_000_000, 0).saturating_mul(n.into()))
			.saturating_add(RocksDbWeight::get().reads(21_u64))
			.saturating_add(RocksDbWeight::get().reads((14_u64).saturating_mul(n.into())))
			.saturating_add(RocksDbWeight::get().writes(13_u64))
			.saturating_add(RocksDbWeight::get().writes((7_u64).saturating_mul(n.into())))
			.saturating_add(Weight::from_parts(0, 51_000).saturating_mul(n.into()))
	}
	fn authorize_submit_usage(n: u32, ) -> Weight {
		Weight::from_parts(150_000_000, 8_500)
			.saturating_add(Weight::from_parts(252_744, 0).saturating_mul(n.into()))
			.saturating_add(RocksDbWeight::get().reads(5_u64))
	}
	fn prune_allowances(n: u32, ) -> Weight {
		Weight::from_parts(10_000_000, 1_743)
			.saturating_add(Weight::from_parts(15_000_000, 0).saturating_mul(n.into()))
			.saturating_add(RocksDbWeight::get().reads(1_u64))
			.saturating_add(RocksDbWeight::get().reads((1_u64).saturating_mul(n.into())))
			.saturating_add(RocksDbWeight::get().writes(1_u64))
			.saturating_add(RocksDbWeight::get().writes((1_u64).saturating_mul(n.into())))
			.saturating_add(Weight::from_parts(0, 2_619).saturating_mul(n.into()))
	}
	fn revoke_allowance() -> Weight {
		Weight::from_parts(60_000_000, 8_900)
			.saturating_add(RocksDbWeight::get().reads(3_u64))
			.saturating_add(RocksDbWeight::get().writes(2_u64))
	}
	fn dispute_usage() -> Weight {
		Weight::from_parts(150_000_000, 20_000)
			.saturating_add(RocksDbWeight::get().reads(8_u64))
			.saturating_add(RocksDbWeight::get().writes(4_u64))
	}
	fn refund_usage() -> Weight {
		Weight::from_parts(150_000_000, 21_000)
			.saturating_add(RocksDbWeight::get().reads(7_u64))
			.saturating_add(RocksDbWeight::get().writes(4_u64))
	}
	fn close_dispute() -> Weight {
		Weight::from_parts(150_000_000, 12_500)
			.saturating_add(RocksDbWeight::get().reads(4_u64))
			.saturating_add(RocksDbWeight::get().writes(4_u64))
	}
	fn prune_receipts(n: u32, ) -> Weight {
		Weight::from_parts(10_000_000, 1_743)
			.saturating_add(Weight::from_parts(15_000_000, 0).saturating_mul(n.into()))
			.saturating_add(RocksDbWeight::get().reads(1_u64))
			.saturating_add(RocksDbWeight::get().reads((1_u64).saturating_mul(n.into())))
			.saturating_add(RocksDbWeight::get().writes(1_u64))
			.saturating_add(RocksDbWeight::get().writes((1_u64).saturating_mul(n.into())))
			.saturating_add(Weight::from_parts(0, 2_604).saturating_mul(n.into()))
	}
}
