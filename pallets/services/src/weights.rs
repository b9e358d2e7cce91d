//! Weights for `pallet_micro_services`, measured by `scripts/benchmark-pallets.sh`; do not edit by hand.
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

/// The weight of each call of `pallet_micro_services`.
pub trait WeightInfo {
	fn register_service() -> Weight;
	fn publish_version() -> Weight;
	fn retire_version() -> Weight;
	fn set_price() -> Weight;
	fn transfer_service() -> Weight;
	fn unregister_service() -> Weight;
	fn announce_placement() -> Weight;
	fn withdraw_placement() -> Weight;
	fn offer_service() -> Weight;
	fn withdraw_offer() -> Weight;
	fn buy_service() -> Weight;
	fn evict_placement() -> Weight;
}

/// Measured weights, priced with the runtime's database weights.
pub struct SubstrateWeight<T>(PhantomData<T>);
impl<T: frame_system::Config> WeightInfo for SubstrateWeight<T> {
	/// Storage: `MicroServices::ServiceByName` (r:1 w:1)
	/// Proof: `MicroServices::ServiceByName` (`max_values`: None, `max_size`: Some(86), added: 2561, mode: `MaxEncodedLen`)
	/// Storage: `MicroServices::ServiceCollection` (r:1 w:0)
	/// Proof: `MicroServices::ServiceCollection` (`max_values`: Some(1), `max_size`: Some(4), added: 499, mode: `MaxEncodedLen`)
	/// Storage: `MicroServices::NextServiceId` (r:1 w:1)
	/// Proof: `MicroServices::NextServiceId` (`max_values`: Some(1), `max_size`: Some(4), added: 499, mode: `MaxEncodedLen`)
	/// Storage: `MicroServices::RegisteredBy` (r:1 w:1)
	/// Proof: `MicroServices::RegisteredBy` (`max_values`: None, `max_size`: Some(52), added: 2527, mode: `MaxEncodedLen`)
	/// Storage: `MicroNodes::OperatorNodes` (r:1 w:0)
	/// Proof: `MicroNodes::OperatorNodes` (`max_values`: None, `max_size`: Some(113), added: 2588, mode: `MaxEncodedLen`)
	/// Storage: `Nfts::Account` (r:1 w:1)
	/// Proof: `Nfts::Account` (`max_values`: None, `max_size`: Some(88), added: 2563, mode: `MaxEncodedLen`)
	/// Storage: `Reputation::AccessTiers` (r:1 w:0)
	/// Proof: `Reputation::AccessTiers` (`max_values`: Some(1), `max_size`: Some(97), added: 592, mode: `MaxEncodedLen`)
	/// Storage: `System::Account` (r:1 w:1)
	/// Proof: `System::Account` (`max_values`: None, `max_size`: Some(128), added: 2603, mode: `MaxEncodedLen`)
	/// Storage: `Balances::Holds` (r:1 w:1)
	/// Proof: `Balances::Holds` (`max_values`: None, `max_size`: Some(85), added: 2560, mode: `MaxEncodedLen`)
	/// Storage: `Nfts::Item` (r:1 w:1)
	/// Proof: `Nfts::Item` (`max_values`: None, `max_size`: Some(861), added: 3336, mode: `MaxEncodedLen`)
	/// Storage: `Nfts::Collection` (r:1 w:1)
	/// Proof: `Nfts::Collection` (`max_values`: None, `max_size`: Some(84), added: 2559, mode: `MaxEncodedLen`)
	/// Storage: `Nfts::CollectionConfigOf` (r:1 w:0)
	/// Proof: `Nfts::CollectionConfigOf` (`max_values`: None, `max_size`: Some(73), added: 2548, mode: `MaxEncodedLen`)
	/// Storage: `Nfts::ItemConfigOf` (r:1 w:1)
	/// Proof: `Nfts::ItemConfigOf` (`max_values`: None, `max_size`: Some(48), added: 2523, mode: `MaxEncodedLen`)
	/// Storage: `MicroServices::Versions` (r:0 w:1)
	/// Proof: `MicroServices::Versions` (`max_values`: None, `max_size`: Some(16982), added: 19457, mode: `MaxEncodedLen`)
	/// Storage: `MicroServices::Services` (r:0 w:1)
	/// Proof: `MicroServices::Services` (`max_values`: None, `max_size`: Some(158), added: 2633, mode: `MaxEncodedLen`)
	fn register_service() -> Weight {
		// Measured proof size: 680 bytes; estimated: 4326.
		// Not yet measured: plus the registering account's score (its access tier), at most
		// `ACCOUNT_SCORE_READS` reads and `ACCOUNT_SCORE_PROOF_SIZE` bytes of proof, which the
		// benchmark's fresh account does not reach (finding H4).
		Weight::from_parts(560_796_000, 4326)
			.saturating_add(T::DbWeight::get().reads(13_u64))
			.saturating_add(T::DbWeight::get().writes(11_u64))
			.saturating_add(T::DbWeight::get().reads(micro_primitives::ACCOUNT_SCORE_READS))
			.saturating_add(Weight::from_parts(0, micro_primitives::ACCOUNT_SCORE_PROOF_SIZE))
	}
	/// Storage: `MicroServices::Services` (r:1 w:1)
	/// Proof: `MicroServices::Services` (`max_values`: None, `max_size`: Some(158), added: 2633, mode: `MaxEncodedLen`)
	/// Storage: `MicroServices::ServiceCollection` (r:1 w:0)
	/// Proof: `MicroServices::ServiceCollection` (`max_values`: Some(1), `max_size`: Some(4), added: 499, mode: `MaxEncodedLen`)
	/// Storage: `Nfts::Item` (r:1 w:0)
	/// Proof: `Nfts::Item` (`max_values`: None, `max_size`: Some(861), added: 3336, mode: `MaxEncodedLen`)
	/// Storage: `MicroServices::Versions` (r:1 w:1)
	/// Proof: `MicroServices::Versions` (`max_values`: None, `max_size`: Some(16982), added: 19457, mode: `MaxEncodedLen`)
	fn publish_version() -> Weight {
		// Measured proof size: 18470 bytes; estimated: 20447.
		Weight::from_parts(529_608_000, 20447)
			.saturating_add(T::DbWeight::get().reads(4_u64))
			.saturating_add(T::DbWeight::get().writes(2_u64))
	}
	/// Storage: `MicroServices::Services` (r:1 w:1)
	/// Proof: `MicroServices::Services` (`max_values`: None, `max_size`: Some(158), added: 2633, mode: `MaxEncodedLen`)
	/// Storage: `MicroServices::ServiceCollection` (r:1 w:0)
	/// Proof: `MicroServices::ServiceCollection` (`max_values`: Some(1), `max_size`: Some(4), added: 499, mode: `MaxEncodedLen`)
	/// Storage: `Nfts::Item` (r:1 w:0)
	/// Proof: `Nfts::Item` (`max_values`: None, `max_size`: Some(861), added: 3336, mode: `MaxEncodedLen`)
	/// Storage: `MicroServices::Versions` (r:1 w:1)
	/// Proof: `MicroServices::Versions` (`max_values`: None, `max_size`: Some(16982), added: 19457, mode: `MaxEncodedLen`)
	fn retire_version() -> Weight {
		// Measured proof size: 17729 bytes; estimated: 20447.
		// Not yet measured: the measured figure plus `RetiredVersions` (r:1 w:1, 257 bytes)
		// and `RetiredAt` (w:1).
		Weight::from_parts(293_842_000, 23_228)
			.saturating_add(T::DbWeight::get().reads(5_u64))
			.saturating_add(T::DbWeight::get().writes(4_u64))
	}
	/// Storage: `MicroServices::Services` (r:1 w:1)
	/// Proof: `MicroServices::Services` (`max_values`: None, `max_size`: Some(158), added: 2633, mode: `MaxEncodedLen`)
	/// Storage: `MicroServices::ServiceCollection` (r:1 w:0)
	/// Proof: `MicroServices::ServiceCollection` (`max_values`: Some(1), `max_size`: Some(4), added: 499, mode: `MaxEncodedLen`)
	/// Storage: `Nfts::Item` (r:1 w:0)
	/// Proof: `Nfts::Item` (`max_values`: None, `max_size`: Some(861), added: 3336, mode: `MaxEncodedLen`)
	fn set_price() -> Weight {
		// Measured proof size: 758 bytes; estimated: 4326.
		Weight::from_parts(68_988_000, 4326)
			.saturating_add(T::DbWeight::get().reads(3_u64))
			.saturating_add(T::DbWeight::get().writes(1_u64))
	}
	/// Storage: `MicroServices::Services` (r:1 w:0)
	/// Proof: `MicroServices::Services` (`max_values`: None, `max_size`: Some(158), added: 2633, mode: `MaxEncodedLen`)
	/// Storage: `MicroServices::ServiceCollection` (r:1 w:0)
	/// Proof: `MicroServices::ServiceCollection` (`max_values`: Some(1), `max_size`: Some(4), added: 499, mode: `MaxEncodedLen`)
	/// Storage: `Nfts::Item` (r:1 w:1)
	/// Proof: `Nfts::Item` (`max_values`: None, `max_size`: Some(861), added: 3336, mode: `MaxEncodedLen`)
	/// Storage: `Nfts::Collection` (r:1 w:0)
	/// Proof: `Nfts::Collection` (`max_values`: None, `max_size`: Some(84), added: 2559, mode: `MaxEncodedLen`)
	/// Storage: `Nfts::Attribute` (r:1 w:0)
	/// Proof: `Nfts::Attribute` (`max_values`: None, `max_size`: Some(479), added: 2954, mode: `MaxEncodedLen`)
	/// Storage: `Nfts::CollectionConfigOf` (r:1 w:0)
	/// Proof: `Nfts::CollectionConfigOf` (`max_values`: None, `max_size`: Some(73), added: 2548, mode: `MaxEncodedLen`)
	/// Storage: `Nfts::ItemConfigOf` (r:1 w:0)
	/// Proof: `Nfts::ItemConfigOf` (`max_values`: None, `max_size`: Some(48), added: 2523, mode: `MaxEncodedLen`)
	/// Storage: `Nfts::Account` (r:0 w:2)
	/// Proof: `Nfts::Account` (`max_values`: None, `max_size`: Some(88), added: 2563, mode: `MaxEncodedLen`)
	/// Storage: `Nfts::ItemPriceOf` (r:0 w:1)
	/// Proof: `Nfts::ItemPriceOf` (`max_values`: None, `max_size`: Some(89), added: 2564, mode: `MaxEncodedLen`)
	/// Storage: `Nfts::PendingSwapOf` (r:0 w:1)
	/// Proof: `Nfts::PendingSwapOf` (`max_values`: None, `max_size`: Some(71), added: 2546, mode: `MaxEncodedLen`)
	/// Storage: `MicroServices::Offers` (r:0 w:1)
	// Not yet measured: the figure measured before, plus removing the offer.
	fn transfer_service() -> Weight {
		// Measured proof size: 853 bytes; estimated: 4326.
		// Not yet measured: the measured figure plus ending a standing offer, estimated from
		// `withdraw_offer`: `Offers` (r:1 w:1), `Nfts::Attribute` (r:1 w:1), `Nfts::Collection`
		// (r:1 w:1).
		Weight::from_parts(233_536_000, 12_000)
			.saturating_add(T::DbWeight::get().reads(10_u64))
			.saturating_add(T::DbWeight::get().writes(9_u64))
	}
	/// Storage: `MicroServices::Services` (r:1 w:1)
	/// Proof: `MicroServices::Services` (`max_values`: None, `max_size`: Some(158), added: 2633, mode: `MaxEncodedLen`)
	/// Storage: `MicroServices::ServiceCollection` (r:1 w:0)
	/// Proof: `MicroServices::ServiceCollection` (`max_values`: Some(1), `max_size`: Some(4), added: 499, mode: `MaxEncodedLen`)
	/// Storage: `Nfts::Item` (r:1 w:1)
	/// Proof: `Nfts::Item` (`max_values`: None, `max_size`: Some(861), added: 3336, mode: `MaxEncodedLen`)
	/// Storage: `MicroServices::Placements` (r:129 w:128)
	/// Proof: `MicroServices::Placements` (`max_values`: None, `max_size`: Some(61), added: 2536, mode: `MaxEncodedLen`)
	/// Storage: `MicroServices::NodeServices` (r:128 w:128)
	/// Proof: `MicroServices::NodeServices` (`max_values`: None, `max_size`: Some(270), added: 2745, mode: `MaxEncodedLen`)
	/// Storage: `MicroServices::Versions` (r:64 w:64)
	/// Proof: `MicroServices::Versions` (`max_values`: None, `max_size`: Some(16982), added: 19457, mode: `MaxEncodedLen`)
	/// Storage: `MicroServices::RegisteredBy` (r:1 w:1)
	/// Proof: `MicroServices::RegisteredBy` (`max_values`: None, `max_size`: Some(52), added: 2527, mode: `MaxEncodedLen`)
	/// Storage: `System::Account` (r:1 w:1)
	/// Proof: `System::Account` (`max_values`: None, `max_size`: Some(128), added: 2603, mode: `MaxEncodedLen`)
	/// Storage: `Balances::Holds` (r:1 w:1)
	/// Proof: `Balances::Holds` (`max_values`: None, `max_size`: Some(85), added: 2560, mode: `MaxEncodedLen`)
	/// Storage: `Nfts::Attribute` (r:1 w:0)
	/// Proof: `Nfts::Attribute` (`max_values`: None, `max_size`: Some(479), added: 2954, mode: `MaxEncodedLen`)
	/// Storage: `Nfts::ItemConfigOf` (r:1 w:1)
	/// Proof: `Nfts::ItemConfigOf` (`max_values`: None, `max_size`: Some(48), added: 2523, mode: `MaxEncodedLen`)
	/// Storage: `Nfts::Collection` (r:1 w:1)
	/// Proof: `Nfts::Collection` (`max_values`: None, `max_size`: Some(84), added: 2559, mode: `MaxEncodedLen`)
	/// Storage: `Nfts::ItemMetadataOf` (r:1 w:0)
	/// Proof: `Nfts::ItemMetadataOf` (`max_values`: None, `max_size`: Some(347), added: 2822, mode: `MaxEncodedLen`)
	/// Storage: `MicroServices::ServiceByName` (r:0 w:1)
	/// Proof: `MicroServices::ServiceByName` (`max_values`: None, `max_size`: Some(86), added: 2561, mode: `MaxEncodedLen`)
	/// Storage: `Nfts::Account` (r:0 w:1)
	/// Proof: `Nfts::Account` (`max_values`: None, `max_size`: Some(88), added: 2563, mode: `MaxEncodedLen`)
	/// Storage: `Nfts::ItemPriceOf` (r:0 w:1)
	/// Proof: `Nfts::ItemPriceOf` (`max_values`: None, `max_size`: Some(89), added: 2564, mode: `MaxEncodedLen`)
	/// Storage: `Nfts::ItemAttributesApprovalsOf` (r:0 w:1)
	/// Proof: `Nfts::ItemAttributesApprovalsOf` (`max_values`: None, `max_size`: Some(681), added: 3156, mode: `MaxEncodedLen`)
	/// Storage: `Nfts::PendingSwapOf` (r:0 w:1)
	/// Proof: `Nfts::PendingSwapOf` (`max_values`: None, `max_size`: Some(71), added: 2546, mode: `MaxEncodedLen`)
	// Not yet measured: the figure measured before, plus removing the offer (one write).
	fn unregister_service() -> Weight {
		// Measured proof size: 13736 bytes; estimated: 1246238.
		// Not yet measured: the measured figure plus ending a standing offer (`Nfts::Attribute`
		// and `Nfts::Collection`, r:2 w:2) and removing `AvailableUntil` and `RetiredVersions`
		// (w:2); and clearing `RetiredAt` (up to `MaxVersions`, r:64 w:64) and `PastPlacements`
		// (up to `MaxNodesPerService`, r:128 w:128), estimated from clearing `Versions`.
		Weight::from_parts(4_350_000_000, 1_760_000)
			.saturating_add(T::DbWeight::get().reads(525_u64))
			.saturating_add(T::DbWeight::get().writes(529_u64))
	}
	/// Storage: `MicroNodes::Nodes` (r:1 w:0)
	/// Proof: `MicroNodes::Nodes` (`max_values`: None, `max_size`: Some(1239), added: 3714, mode: `MaxEncodedLen`)
	/// Storage: `MicroNodes::HeartbeatTtl` (r:1 w:0)
	/// Proof: `MicroNodes::HeartbeatTtl` (`max_values`: Some(1), `max_size`: Some(4), added: 499, mode: `MaxEncodedLen`)
	/// Storage: `MicroServices::Services` (r:1 w:1)
	/// Proof: `MicroServices::Services` (`max_values`: None, `max_size`: Some(158), added: 2633, mode: `MaxEncodedLen`)
	/// Storage: `MicroServices::ServiceCollection` (r:1 w:0)
	/// Proof: `MicroServices::ServiceCollection` (`max_values`: Some(1), `max_size`: Some(4), added: 499, mode: `MaxEncodedLen`)
	/// Storage: `Nfts::Item` (r:1 w:0)
	/// Proof: `Nfts::Item` (`max_values`: None, `max_size`: Some(861), added: 3336, mode: `MaxEncodedLen`)
	/// Storage: `MicroServices::Versions` (r:8 w:0)
	/// Proof: `MicroServices::Versions` (`max_values`: None, `max_size`: Some(16982), added: 19457, mode: `MaxEncodedLen`)
	/// Storage: `MicroServices::Placements` (r:1 w:1)
	/// Proof: `MicroServices::Placements` (`max_values`: None, `max_size`: Some(61), added: 2536, mode: `MaxEncodedLen`)
	/// Storage: `MicroServices::NodeServices` (r:1 w:1)
	/// Proof: `MicroServices::NodeServices` (`max_values`: None, `max_size`: Some(270), added: 2745, mode: `MaxEncodedLen`)
	fn announce_placement() -> Weight {
		// Measured proof size: 140929 bytes; estimated: 156646.
		// Not yet measured: the measured figure plus the node's past placement
		// (`PastPlacements`, r:1 w:1, 38 bytes), estimated from `Placements`. (No availability
		// stamp: only heartbeats stamp.)
		Weight::from_parts(1_380_000_000, 166_000)
			.saturating_add(T::DbWeight::get().reads(16_u64))
			.saturating_add(T::DbWeight::get().writes(4_u64))
	}
	/// Storage: `MicroNodes::Nodes` (r:1 w:0)
	/// Proof: `MicroNodes::Nodes` (`max_values`: None, `max_size`: Some(1239), added: 3714, mode: `MaxEncodedLen`)
	/// Storage: `MicroServices::Placements` (r:1 w:1)
	/// Proof: `MicroServices::Placements` (`max_values`: None, `max_size`: Some(61), added: 2536, mode: `MaxEncodedLen`)
	/// Storage: `MicroServices::NodeServices` (r:1 w:1)
	/// Proof: `MicroServices::NodeServices` (`max_values`: None, `max_size`: Some(270), added: 2745, mode: `MaxEncodedLen`)
	/// Storage: `MicroServices::Services` (r:1 w:1)
	/// Proof: `MicroServices::Services` (`max_values`: None, `max_size`: Some(158), added: 2633, mode: `MaxEncodedLen`)
	fn withdraw_placement() -> Weight {
		// Measured proof size: 3548 bytes; estimated: 4704.
		// Not yet measured: the measured figure plus keeping the past placement
		// (`PastPlacements`, w:1), estimated from `Placements`.
		Weight::from_parts(155_000_000, 4704)
			.saturating_add(T::DbWeight::get().reads(4_u64))
			.saturating_add(T::DbWeight::get().writes(4_u64))
	}
	/// Storage: `MicroServices::Services` (r:1 w:0)
	/// Storage: `MicroServices::ServiceCollection` (r:1 w:0)
	/// Storage: `Nfts::Item` (r:1 w:0)
	/// Storage: `MicroServices::Offers` (r:0 w:1)
	// Not yet measured: estimated from `set_price` (the same owner check, one write).
	fn offer_service() -> Weight {
		// Measured proof size: 0 bytes; estimated: 4326.
		// Not yet measured: plus disabling the NFT's transfers in `pallet-nfts`, estimated from
		// its attribute calls: `Nfts::Attribute` (r:1 w:1), `Nfts::Collection` (r:1 w:1).
		Weight::from_parts(140_000_000, 12_000)
			.saturating_add(T::DbWeight::get().reads(5_u64))
			.saturating_add(T::DbWeight::get().writes(3_u64))
	}
	/// Storage: `MicroServices::Offers` (r:1 w:1)
	/// Storage: `MicroServices::ServiceCollection` (r:1 w:0)
	/// Storage: `Nfts::Item` (r:1 w:0)
	// Not yet measured: estimated from `set_price` (the same owner check, one write).
	fn withdraw_offer() -> Weight {
		// Measured proof size: 0 bytes; estimated: 4326.
		// Not yet measured: plus enabling the NFT's transfers in `pallet-nfts`, estimated from
		// its attribute calls: `Nfts::Attribute` (r:1 w:1), `Nfts::Collection` (r:1 w:1).
		Weight::from_parts(140_000_000, 12_000)
			.saturating_add(T::DbWeight::get().reads(5_u64))
			.saturating_add(T::DbWeight::get().writes(3_u64))
	}
	/// Storage: `MicroServices::Services` (r:1 w:0), `MicroServices::Offers` (r:1 w:1),
	/// `System::Account` (r:4 w:4), and what `transfer_service` reads and writes.
	// Not yet measured: estimated from `transfer_service` plus three transfers.
	fn buy_service() -> Weight {
		// Measured proof size: 0 bytes; estimated: 14738.
		// Not yet measured: plus enabling the NFT's transfers in `pallet-nfts` again, estimated
		// from `withdraw_offer`: `Nfts::Attribute` (r:1 w:1), `Nfts::Collection` (r:1 w:1).
		Weight::from_parts(390_000_000, 22_000)
			.saturating_add(T::DbWeight::get().reads(15_u64))
			.saturating_add(T::DbWeight::get().writes(12_u64))
	}
	/// Storage: `MicroServices::Placements` (r:1 w:1)
	/// Storage: `MicroServices::ServiceCollection` (r:1 w:0)
	/// Storage: `Nfts::Item` (r:1 w:0)
	/// Storage: `MicroNodes::Nodes` (r:1 w:0)
	/// Storage: `MicroNodes::HeartbeatTtl` (r:1 w:0)
	/// Storage: `MicroServices::NodeServices` (r:1 w:1)
	/// Storage: `MicroServices::Services` (r:1 w:1)
	/// Storage: `MicroServices::PastPlacements` (r:0 w:1)
	// Not yet measured: estimated from `withdraw_placement` plus the owner check of
	// `set_price` (`ServiceCollection`, `Nfts::Item`) and the node's status (`MicroNodes::Nodes`,
	// `MicroNodes::HeartbeatTtl`).
	fn evict_placement() -> Weight {
		Weight::from_parts(230_000_000, 10_000)
			.saturating_add(T::DbWeight::get().reads(7_u64))
			.saturating_add(T::DbWeight::get().writes(4_u64))
	}
}

/// The same figures priced with RocksDB's weights, for tests and mocks.
impl WeightInfo for () {
	fn register_service() -> Weight {
		// Not yet measured: plus the registering account's score (finding H4).
		Weight::from_parts(560_796_000, 4326)
			.saturating_add(RocksDbWeight::get().reads(13_u64))
			.saturating_add(RocksDbWeight::get().writes(11_u64))
			.saturating_add(RocksDbWeight::get().reads(micro_primitives::ACCOUNT_SCORE_READS))
			.saturating_add(Weight::from_parts(0, micro_primitives::ACCOUNT_SCORE_PROOF_SIZE))
	}
	fn publish_version() -> Weight {
		Weight::from_parts(529_608_000, 20447)
			.saturating_add(RocksDbWeight::get().reads(4_u64))
			.saturating_add(RocksDbWeight::get().writes(2_u64))
	}
	fn retire_version() -> Weight {
		// Not yet measured: the measured figure plus `RetiredVersions` (r:1 w:1, 257 bytes)
		// and `RetiredAt` (w:1).
		Weight::from_parts(293_842_000, 23_228)
			.saturating_add(RocksDbWeight::get().reads(5_u64))
			.saturating_add(RocksDbWeight::get().writes(4_u64))
	}
	fn set_price() -> Weight {
		Weight::from_parts(68_988_000, 4326)
			.saturating_add(RocksDbWeight::get().reads(3_u64))
			.saturating_add(RocksDbWeight::get().writes(1_u64))
	}
	fn transfer_service() -> Weight {
		// Not yet measured: the measured figure plus ending a standing offer, estimated from
		// `withdraw_offer`: `Offers` (r:1 w:1), `Nfts::Attribute` (r:1 w:1), `Nfts::Collection`
		// (r:1 w:1).
		Weight::from_parts(233_536_000, 12_000)
			.saturating_add(RocksDbWeight::get().reads(10_u64))
			.saturating_add(RocksDbWeight::get().writes(9_u64))
	}
	fn unregister_service() -> Weight {
		// Not yet measured: the measured figure plus ending a standing offer (`Nfts::Attribute`
		// and `Nfts::Collection`, r:2 w:2) and removing `AvailableUntil` and `RetiredVersions`
		// (w:2); and clearing `RetiredAt` (up to `MaxVersions`, r:64 w:64) and `PastPlacements`
		// (up to `MaxNodesPerService`, r:128 w:128), estimated from clearing `Versions`.
		Weight::from_parts(4_350_000_000, 1_760_000)
			.saturating_add(RocksDbWeight::get().reads(525_u64))
			.saturating_add(RocksDbWeight::get().writes(529_u64))
	}
	fn announce_placement() -> Weight {
		// Not yet measured: the measured figure plus the node's past placement
		// (`PastPlacements`, r:1 w:1, 38 bytes), estimated from `Placements`. (No availability
		// stamp: only heartbeats stamp.)
		Weight::from_parts(1_380_000_000, 166_000)
			.saturating_add(RocksDbWeight::get().reads(16_u64))
			.saturating_add(RocksDbWeight::get().writes(4_u64))
	}
	fn withdraw_placement() -> Weight {
		// Not yet measured: the measured figure plus keeping the past placement
		// (`PastPlacements`, w:1), estimated from `Placements`.
		Weight::from_parts(155_000_000, 4704)
			.saturating_add(RocksDbWeight::get().reads(4_u64))
			.saturating_add(RocksDbWeight::get().writes(4_u64))
	}
	fn offer_service() -> Weight {
		// Not yet measured: plus disabling the NFT's transfers in `pallet-nfts`, estimated from
		// its attribute calls: `Nfts::Attribute` (r:1 w:1), `Nfts::Collection` (r:1 w:1).
		Weight::from_parts(140_000_000, 12_000)
			.saturating_add(RocksDbWeight::get().reads(5_u64))
			.saturating_add(RocksDbWeight::get().writes(3_u64))
	}
	fn withdraw_offer() -> Weight {
		// Not yet measured: plus enabling the NFT's transfers in `pallet-nfts`, estimated from
		// its attribute calls: `Nfts::Attribute` (r:1 w:1), `Nfts::Collection` (r:1 w:1).
		Weight::from_parts(140_000_000, 12_000)
			.saturating_add(RocksDbWeight::get().reads(5_u64))
			.saturating_add(RocksDbWeight::get().writes(3_u64))
	}
	fn buy_service() -> Weight {
		// Not yet measured: plus enabling the NFT's transfers in `pallet-nfts` again, estimated
		// from `withdraw_offer`: `Nfts::Attribute` (r:1 w:1), `Nfts::Collection` (r:1 w:1).
		Weight::from_parts(390_000_000, 22_000)
			.saturating_add(RocksDbWeight::get().reads(15_u64))
			.saturating_add(RocksDbWeight::get().writes(12_u64))
	}
	// Not yet measured: estimated from `withdraw_placement` plus the owner check of
	// `set_price` (`ServiceCollection`, `Nfts::Item`) and the node's status (`MicroNodes::Nodes`,
	// `MicroNodes::HeartbeatTtl`).
	fn evict_placement() -> Weight {
		Weight::from_parts(230_000_000, 10_000)
			.saturating_add(RocksDbWeight::get().reads(7_u64))
			.saturating_add(RocksDbWeight::get().writes(4_u64))
	}
}
