//! Weights for `pallet_micro_services`, measured by `scripts/benchmark-pallets.sh`; do not edit by hand.
//!
//! Benchmark CLI 64.0.0 on 2026-11-29: 10 steps, 5 repeats,
//! `Compiled` wasm execution, chain `Some("dev")`, CPU `Intel(R) Xeon(R) Processor`.
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
	fn evict_placement() -> Weight;
	fn offer_service() -> Weight;
	fn withdraw_offer() -> Weight;
	fn buy_service() -> Weight;
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
	/// Proof: `Balances::Holds` (`max_values`: None, `max_size`: Some(157), added: 2632, mode: `MaxEncodedLen`)
	/// Storage: `Nfts::Item` (r:1 w:1)
	/// Proof: `Nfts::Item` (`max_values`: None, `max_size`: Some(861), added: 3336, mode: `MaxEncodedLen`)
	/// Storage: `Nfts::Collection` (r:1 w:1)
	/// Proof: `Nfts::Collection` (`max_values`: None, `max_size`: Some(84), added: 2559, mode: `MaxEncodedLen`)
	/// Storage: `Nfts::CollectionConfigOf` (r:1 w:0)
	/// Proof: `Nfts::CollectionConfigOf` (`max_values`: None, `max_size`: Some(73), added: 2548, mode: `MaxEncodedLen`)
	/// Storage: `Nfts::ItemConfigOf` (r:1 w:1)
	/// Proof: `Nfts::ItemConfigOf` (`max_values`: None, `max_size`: Some(48), added: 2523, mode: `MaxEncodedLen`)
	/// Storage: `MicroServices::Services` (r:1 w:1)
	/// Proof: `MicroServices::Services` (`max_values`: None, `max_size`: Some(179), added: 2654, mode: `MaxEncodedLen`)
	/// Storage: `MicroServices::CounterForServices` (r:1 w:1)
	/// Proof: `MicroServices::CounterForServices` (`max_values`: Some(1), `max_size`: Some(4), added: 499, mode: `MaxEncodedLen`)
	/// Storage: `MicroServices::Versions` (r:0 w:1)
	/// Proof: `MicroServices::Versions` (`max_values`: None, `max_size`: Some(16982), added: 19457, mode: `MaxEncodedLen`)
	fn register_service() -> Weight {
		// Measured proof size: 681 bytes; estimated: 4326.
		Weight::from_parts(433_004_000, 4326)
			.saturating_add(T::DbWeight::get().reads(15_u64))
			.saturating_add(T::DbWeight::get().writes(12_u64))
	}
	/// Storage: `MicroServices::Services` (r:1 w:1)
	/// Proof: `MicroServices::Services` (`max_values`: None, `max_size`: Some(179), added: 2654, mode: `MaxEncodedLen`)
	/// Storage: `MicroServices::ServiceCollection` (r:1 w:0)
	/// Proof: `MicroServices::ServiceCollection` (`max_values`: Some(1), `max_size`: Some(4), added: 499, mode: `MaxEncodedLen`)
	/// Storage: `Nfts::Item` (r:1 w:0)
	/// Proof: `Nfts::Item` (`max_values`: None, `max_size`: Some(861), added: 3336, mode: `MaxEncodedLen`)
	/// Storage: `MicroServices::Versions` (r:1 w:1)
	/// Proof: `MicroServices::Versions` (`max_values`: None, `max_size`: Some(16982), added: 19457, mode: `MaxEncodedLen`)
	fn publish_version() -> Weight {
		// Measured proof size: 18494 bytes; estimated: 20447.
		Weight::from_parts(608_756_000, 20447)
			.saturating_add(T::DbWeight::get().reads(4_u64))
			.saturating_add(T::DbWeight::get().writes(2_u64))
	}
	/// Storage: `MicroServices::Services` (r:1 w:1)
	/// Proof: `MicroServices::Services` (`max_values`: None, `max_size`: Some(179), added: 2654, mode: `MaxEncodedLen`)
	/// Storage: `MicroServices::ServiceCollection` (r:1 w:0)
	/// Proof: `MicroServices::ServiceCollection` (`max_values`: Some(1), `max_size`: Some(4), added: 499, mode: `MaxEncodedLen`)
	/// Storage: `Nfts::Item` (r:1 w:0)
	/// Proof: `Nfts::Item` (`max_values`: None, `max_size`: Some(861), added: 3336, mode: `MaxEncodedLen`)
	/// Storage: `MicroServices::Versions` (r:1 w:1)
	/// Proof: `MicroServices::Versions` (`max_values`: None, `max_size`: Some(16982), added: 19457, mode: `MaxEncodedLen`)
	/// Storage: `MicroServices::RetiredVersions` (r:1 w:1)
	/// Proof: `MicroServices::RetiredVersions` (`max_values`: None, `max_size`: Some(270), added: 2745, mode: `MaxEncodedLen`)
	/// Storage: `MicroServices::RetiredAt` (r:0 w:1)
	/// Proof: `MicroServices::RetiredAt` (`max_values`: None, `max_size`: Some(28), added: 2503, mode: `MaxEncodedLen`)
	fn retire_version() -> Weight {
		// Measured proof size: 18714 bytes; estimated: 20447.
		Weight::from_parts(368_433_000, 20447)
			.saturating_add(T::DbWeight::get().reads(5_u64))
			.saturating_add(T::DbWeight::get().writes(4_u64))
	}
	/// Storage: `MicroServices::Services` (r:1 w:1)
	/// Proof: `MicroServices::Services` (`max_values`: None, `max_size`: Some(179), added: 2654, mode: `MaxEncodedLen`)
	/// Storage: `MicroServices::ServiceCollection` (r:1 w:0)
	/// Proof: `MicroServices::ServiceCollection` (`max_values`: Some(1), `max_size`: Some(4), added: 499, mode: `MaxEncodedLen`)
	/// Storage: `Nfts::Item` (r:1 w:0)
	/// Proof: `Nfts::Item` (`max_values`: None, `max_size`: Some(861), added: 3336, mode: `MaxEncodedLen`)
	fn set_price() -> Weight {
		// Measured proof size: 802 bytes; estimated: 4326.
		Weight::from_parts(64_953_000, 4326)
			.saturating_add(T::DbWeight::get().reads(3_u64))
			.saturating_add(T::DbWeight::get().writes(1_u64))
	}
	/// Storage: `MicroServices::Services` (r:1 w:0)
	/// Proof: `MicroServices::Services` (`max_values`: None, `max_size`: Some(179), added: 2654, mode: `MaxEncodedLen`)
	/// Storage: `MicroServices::ServiceCollection` (r:1 w:0)
	/// Proof: `MicroServices::ServiceCollection` (`max_values`: Some(1), `max_size`: Some(4), added: 499, mode: `MaxEncodedLen`)
	/// Storage: `Nfts::Item` (r:1 w:1)
	/// Proof: `Nfts::Item` (`max_values`: None, `max_size`: Some(861), added: 3336, mode: `MaxEncodedLen`)
	/// Storage: `MicroServices::Offers` (r:1 w:1)
	/// Proof: `MicroServices::Offers` (`max_values`: None, `max_size`: Some(93), added: 2568, mode: `MaxEncodedLen`)
	/// Storage: `Nfts::Attribute` (r:1 w:1)
	/// Proof: `Nfts::Attribute` (`max_values`: None, `max_size`: Some(479), added: 2954, mode: `MaxEncodedLen`)
	/// Storage: `Nfts::Collection` (r:1 w:1)
	/// Proof: `Nfts::Collection` (`max_values`: None, `max_size`: Some(84), added: 2559, mode: `MaxEncodedLen`)
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
	fn transfer_service() -> Weight {
		// Measured proof size: 1196 bytes; estimated: 4326.
		Weight::from_parts(192_843_000, 4326)
			.saturating_add(T::DbWeight::get().reads(8_u64))
			.saturating_add(T::DbWeight::get().writes(8_u64))
	}
	/// Storage: `MicroServices::Services` (r:1 w:1)
	/// Proof: `MicroServices::Services` (`max_values`: None, `max_size`: Some(179), added: 2654, mode: `MaxEncodedLen`)
	/// Storage: `MicroServices::ServiceCollection` (r:1 w:0)
	/// Proof: `MicroServices::ServiceCollection` (`max_values`: Some(1), `max_size`: Some(4), added: 499, mode: `MaxEncodedLen`)
	/// Storage: `Nfts::Item` (r:1 w:1)
	/// Proof: `Nfts::Item` (`max_values`: None, `max_size`: Some(861), added: 3336, mode: `MaxEncodedLen`)
	/// Storage: `MicroServices::CounterForServices` (r:1 w:1)
	/// Proof: `MicroServices::CounterForServices` (`max_values`: Some(1), `max_size`: Some(4), added: 499, mode: `MaxEncodedLen`)
	/// Storage: `MicroServices::Offers` (r:1 w:1)
	/// Proof: `MicroServices::Offers` (`max_values`: None, `max_size`: Some(93), added: 2568, mode: `MaxEncodedLen`)
	/// Storage: `Nfts::Attribute` (r:1 w:1)
	/// Proof: `Nfts::Attribute` (`max_values`: None, `max_size`: Some(479), added: 2954, mode: `MaxEncodedLen`)
	/// Storage: `Nfts::Collection` (r:1 w:1)
	/// Proof: `Nfts::Collection` (`max_values`: None, `max_size`: Some(84), added: 2559, mode: `MaxEncodedLen`)
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
	/// Proof: `Balances::Holds` (`max_values`: None, `max_size`: Some(157), added: 2632, mode: `MaxEncodedLen`)
	/// Storage: `Nfts::ItemConfigOf` (r:1 w:1)
	/// Proof: `Nfts::ItemConfigOf` (`max_values`: None, `max_size`: Some(48), added: 2523, mode: `MaxEncodedLen`)
	/// Storage: `Nfts::ItemMetadataOf` (r:1 w:0)
	/// Proof: `Nfts::ItemMetadataOf` (`max_values`: None, `max_size`: Some(347), added: 2822, mode: `MaxEncodedLen`)
	/// Storage: `MicroServices::ServiceByName` (r:0 w:1)
	/// Proof: `MicroServices::ServiceByName` (`max_values`: None, `max_size`: Some(86), added: 2561, mode: `MaxEncodedLen`)
	/// Storage: `MicroServices::RetiredVersions` (r:0 w:1)
	/// Proof: `MicroServices::RetiredVersions` (`max_values`: None, `max_size`: Some(270), added: 2745, mode: `MaxEncodedLen`)
	/// Storage: `MicroServices::AvailableUntil` (r:0 w:1)
	/// Proof: `MicroServices::AvailableUntil` (`max_values`: None, `max_size`: Some(16), added: 2491, mode: `MaxEncodedLen`)
	/// Storage: `Nfts::Account` (r:0 w:1)
	/// Proof: `Nfts::Account` (`max_values`: None, `max_size`: Some(88), added: 2563, mode: `MaxEncodedLen`)
	/// Storage: `Nfts::ItemPriceOf` (r:0 w:1)
	/// Proof: `Nfts::ItemPriceOf` (`max_values`: None, `max_size`: Some(89), added: 2564, mode: `MaxEncodedLen`)
	/// Storage: `Nfts::ItemAttributesApprovalsOf` (r:0 w:1)
	/// Proof: `Nfts::ItemAttributesApprovalsOf` (`max_values`: None, `max_size`: Some(681), added: 3156, mode: `MaxEncodedLen`)
	/// Storage: `Nfts::PendingSwapOf` (r:0 w:1)
	/// Proof: `Nfts::PendingSwapOf` (`max_values`: None, `max_size`: Some(71), added: 2546, mode: `MaxEncodedLen`)
	fn unregister_service() -> Weight {
		// Measured proof size: 13958 bytes; estimated: 1246238.
		Weight::from_parts(3_136_135_000, 1246238)
			.saturating_add(T::DbWeight::get().reads(333_u64))
			.saturating_add(T::DbWeight::get().writes(337_u64))
	}
	/// Storage: `MicroNodes::Nodes` (r:1 w:0)
	/// Proof: `MicroNodes::Nodes` (`max_values`: None, `max_size`: Some(1239), added: 3714, mode: `MaxEncodedLen`)
	/// Storage: `MicroNodes::HeartbeatTtl` (r:1 w:0)
	/// Proof: `MicroNodes::HeartbeatTtl` (`max_values`: Some(1), `max_size`: Some(4), added: 499, mode: `MaxEncodedLen`)
	/// Storage: `MicroServices::Services` (r:1 w:1)
	/// Proof: `MicroServices::Services` (`max_values`: None, `max_size`: Some(179), added: 2654, mode: `MaxEncodedLen`)
	/// Storage: `MicroServices::ServiceCollection` (r:1 w:0)
	/// Proof: `MicroServices::ServiceCollection` (`max_values`: Some(1), `max_size`: Some(4), added: 499, mode: `MaxEncodedLen`)
	/// Storage: `Nfts::Item` (r:1 w:0)
	/// Proof: `Nfts::Item` (`max_values`: None, `max_size`: Some(861), added: 3336, mode: `MaxEncodedLen`)
	/// Storage: `MicroServices::Versions` (r:8 w:0)
	/// Proof: `MicroServices::Versions` (`max_values`: None, `max_size`: Some(16982), added: 19457, mode: `MaxEncodedLen`)
	/// Storage: `MicroServices::PastPlacements` (r:1 w:1)
	/// Proof: `MicroServices::PastPlacements` (`max_values`: None, `max_size`: Some(62), added: 2537, mode: `MaxEncodedLen`)
	/// Storage: `MicroServices::Placements` (r:1 w:1)
	/// Proof: `MicroServices::Placements` (`max_values`: None, `max_size`: Some(61), added: 2536, mode: `MaxEncodedLen`)
	/// Storage: `MicroServices::NodeServices` (r:1 w:1)
	/// Proof: `MicroServices::NodeServices` (`max_values`: None, `max_size`: Some(270), added: 2745, mode: `MaxEncodedLen`)
	fn announce_placement() -> Weight {
		// Measured proof size: 141057 bytes; estimated: 156646.
		Weight::from_parts(1_437_722_000, 156646)
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
	/// Proof: `MicroServices::Services` (`max_values`: None, `max_size`: Some(179), added: 2654, mode: `MaxEncodedLen`)
	/// Storage: `MicroServices::PastPlacements` (r:0 w:1)
	/// Proof: `MicroServices::PastPlacements` (`max_values`: None, `max_size`: Some(62), added: 2537, mode: `MaxEncodedLen`)
	fn withdraw_placement() -> Weight {
		// Measured proof size: 3592 bytes; estimated: 4704.
		Weight::from_parts(162_605_000, 4704)
			.saturating_add(T::DbWeight::get().reads(4_u64))
			.saturating_add(T::DbWeight::get().writes(4_u64))
	}
	/// Storage: `MicroServices::Placements` (r:1 w:1)
	/// Proof: `MicroServices::Placements` (`max_values`: None, `max_size`: Some(61), added: 2536, mode: `MaxEncodedLen`)
	/// Storage: `MicroServices::ServiceCollection` (r:1 w:0)
	/// Proof: `MicroServices::ServiceCollection` (`max_values`: Some(1), `max_size`: Some(4), added: 499, mode: `MaxEncodedLen`)
	/// Storage: `Nfts::Item` (r:1 w:0)
	/// Proof: `Nfts::Item` (`max_values`: None, `max_size`: Some(861), added: 3336, mode: `MaxEncodedLen`)
	/// Storage: `MicroNodes::Nodes` (r:1 w:0)
	/// Proof: `MicroNodes::Nodes` (`max_values`: None, `max_size`: Some(1239), added: 3714, mode: `MaxEncodedLen`)
	/// Storage: `MicroNodes::HeartbeatTtl` (r:1 w:0)
	/// Proof: `MicroNodes::HeartbeatTtl` (`max_values`: Some(1), `max_size`: Some(4), added: 499, mode: `MaxEncodedLen`)
	/// Storage: `MicroServices::NodeServices` (r:1 w:1)
	/// Proof: `MicroServices::NodeServices` (`max_values`: None, `max_size`: Some(270), added: 2745, mode: `MaxEncodedLen`)
	/// Storage: `MicroServices::Services` (r:1 w:1)
	/// Proof: `MicroServices::Services` (`max_values`: None, `max_size`: Some(179), added: 2654, mode: `MaxEncodedLen`)
	/// Storage: `MicroServices::PastPlacements` (r:0 w:1)
	/// Proof: `MicroServices::PastPlacements` (`max_values`: None, `max_size`: Some(62), added: 2537, mode: `MaxEncodedLen`)
	fn evict_placement() -> Weight {
		// Measured proof size: 4603 bytes; estimated: 4704.
		Weight::from_parts(201_374_000, 4704)
			.saturating_add(T::DbWeight::get().reads(7_u64))
			.saturating_add(T::DbWeight::get().writes(4_u64))
	}
	/// Storage: `MicroServices::Services` (r:1 w:0)
	/// Proof: `MicroServices::Services` (`max_values`: None, `max_size`: Some(179), added: 2654, mode: `MaxEncodedLen`)
	/// Storage: `MicroServices::ServiceCollection` (r:1 w:0)
	/// Proof: `MicroServices::ServiceCollection` (`max_values`: Some(1), `max_size`: Some(4), added: 499, mode: `MaxEncodedLen`)
	/// Storage: `Nfts::Item` (r:1 w:0)
	/// Proof: `Nfts::Item` (`max_values`: None, `max_size`: Some(861), added: 3336, mode: `MaxEncodedLen`)
	/// Storage: `MicroServices::Offers` (r:1 w:1)
	/// Proof: `MicroServices::Offers` (`max_values`: None, `max_size`: Some(93), added: 2568, mode: `MaxEncodedLen`)
	/// Storage: `Nfts::Attribute` (r:1 w:1)
	/// Proof: `Nfts::Attribute` (`max_values`: None, `max_size`: Some(479), added: 2954, mode: `MaxEncodedLen`)
	/// Storage: `Nfts::Collection` (r:1 w:1)
	/// Proof: `Nfts::Collection` (`max_values`: None, `max_size`: Some(84), added: 2559, mode: `MaxEncodedLen`)
	fn offer_service() -> Weight {
		// Measured proof size: 857 bytes; estimated: 4326.
		Weight::from_parts(147_818_000, 4326)
			.saturating_add(T::DbWeight::get().reads(6_u64))
			.saturating_add(T::DbWeight::get().writes(3_u64))
	}
	/// Storage: `MicroServices::Offers` (r:1 w:1)
	/// Proof: `MicroServices::Offers` (`max_values`: None, `max_size`: Some(93), added: 2568, mode: `MaxEncodedLen`)
	/// Storage: `MicroServices::ServiceCollection` (r:1 w:0)
	/// Proof: `MicroServices::ServiceCollection` (`max_values`: Some(1), `max_size`: Some(4), added: 499, mode: `MaxEncodedLen`)
	/// Storage: `Nfts::Item` (r:1 w:0)
	/// Proof: `Nfts::Item` (`max_values`: None, `max_size`: Some(861), added: 3336, mode: `MaxEncodedLen`)
	/// Storage: `Nfts::Attribute` (r:1 w:1)
	/// Proof: `Nfts::Attribute` (`max_values`: None, `max_size`: Some(479), added: 2954, mode: `MaxEncodedLen`)
	/// Storage: `Nfts::Collection` (r:1 w:1)
	/// Proof: `Nfts::Collection` (`max_values`: None, `max_size`: Some(84), added: 2559, mode: `MaxEncodedLen`)
	fn withdraw_offer() -> Weight {
		// Measured proof size: 911 bytes; estimated: 4326.
		Weight::from_parts(110_684_000, 4326)
			.saturating_add(T::DbWeight::get().reads(5_u64))
			.saturating_add(T::DbWeight::get().writes(3_u64))
	}
	/// Storage: `MicroServices::Services` (r:1 w:0)
	/// Proof: `MicroServices::Services` (`max_values`: None, `max_size`: Some(179), added: 2654, mode: `MaxEncodedLen`)
	/// Storage: `MicroServices::Offers` (r:1 w:1)
	/// Proof: `MicroServices::Offers` (`max_values`: None, `max_size`: Some(93), added: 2568, mode: `MaxEncodedLen`)
	/// Storage: `MicroServices::ServiceCollection` (r:1 w:0)
	/// Proof: `MicroServices::ServiceCollection` (`max_values`: Some(1), `max_size`: Some(4), added: 499, mode: `MaxEncodedLen`)
	/// Storage: `Nfts::Item` (r:1 w:1)
	/// Proof: `Nfts::Item` (`max_values`: None, `max_size`: Some(861), added: 3336, mode: `MaxEncodedLen`)
	/// Storage: `System::Account` (r:4 w:4)
	/// Proof: `System::Account` (`max_values`: None, `max_size`: Some(128), added: 2603, mode: `MaxEncodedLen`)
	/// Storage: `Nfts::Attribute` (r:1 w:1)
	/// Proof: `Nfts::Attribute` (`max_values`: None, `max_size`: Some(479), added: 2954, mode: `MaxEncodedLen`)
	/// Storage: `Nfts::Collection` (r:1 w:1)
	/// Proof: `Nfts::Collection` (`max_values`: None, `max_size`: Some(84), added: 2559, mode: `MaxEncodedLen`)
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
	fn buy_service() -> Weight {
		// Measured proof size: 1546 bytes; estimated: 11402.
		Weight::from_parts(454_242_000, 11402)
			.saturating_add(T::DbWeight::get().reads(12_u64))
			.saturating_add(T::DbWeight::get().writes(12_u64))
	}
}

/// The same figures priced with RocksDB's weights, for tests and mocks.
impl WeightInfo for () {
	fn register_service() -> Weight {
		Weight::from_parts(433_004_000, 4326)
			.saturating_add(RocksDbWeight::get().reads(15_u64))
			.saturating_add(RocksDbWeight::get().writes(12_u64))
	}
	fn publish_version() -> Weight {
		Weight::from_parts(608_756_000, 20447)
			.saturating_add(RocksDbWeight::get().reads(4_u64))
			.saturating_add(RocksDbWeight::get().writes(2_u64))
	}
	fn retire_version() -> Weight {
		Weight::from_parts(368_433_000, 20447)
			.saturating_add(RocksDbWeight::get().reads(5_u64))
			.saturating_add(RocksDbWeight::get().writes(4_u64))
	}
	fn set_price() -> Weight {
		Weight::from_parts(64_953_000, 4326)
			.saturating_add(RocksDbWeight::get().reads(3_u64))
			.saturating_add(RocksDbWeight::get().writes(1_u64))
	}
	fn transfer_service() -> Weight {
		Weight::from_parts(192_843_000, 4326)
			.saturating_add(RocksDbWeight::get().reads(8_u64))
			.saturating_add(RocksDbWeight::get().writes(8_u64))
	}
	fn unregister_service() -> Weight {
		Weight::from_parts(3_136_135_000, 1246238)
			.saturating_add(RocksDbWeight::get().reads(333_u64))
			.saturating_add(RocksDbWeight::get().writes(337_u64))
	}
	fn announce_placement() -> Weight {
		Weight::from_parts(1_437_722_000, 156646)
			.saturating_add(RocksDbWeight::get().reads(16_u64))
			.saturating_add(RocksDbWeight::get().writes(4_u64))
	}
	fn withdraw_placement() -> Weight {
		Weight::from_parts(162_605_000, 4704)
			.saturating_add(RocksDbWeight::get().reads(4_u64))
			.saturating_add(RocksDbWeight::get().writes(4_u64))
	}
	fn evict_placement() -> Weight {
		Weight::from_parts(201_374_000, 4704)
			.saturating_add(RocksDbWeight::get().reads(7_u64))
			.saturating_add(RocksDbWeight::get().writes(4_u64))
	}
	fn offer_service() -> Weight {
		Weight::from_parts(147_818_000, 4326)
			.saturating_add(RocksDbWeight::get().reads(6_u64))
			.saturating_add(RocksDbWeight::get().writes(3_u64))
	}
	fn withdraw_offer() -> Weight {
		Weight::from_parts(110_684_000, 4326)
			.saturating_add(RocksDbWeight::get().reads(5_u64))
			.saturating_add(RocksDbWeight::get().writes(3_u64))
	}
	fn buy_service() -> Weight {
		Weight::from_parts(454_242_000, 11402)
			.saturating_add(RocksDbWeight::get().reads(12_u64))
			.saturating_add(RocksDbWeight::get().writes(12_u64))
	}
}
