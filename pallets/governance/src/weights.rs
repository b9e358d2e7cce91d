//! Weights for `pallet_micro_governance`, measured by `scripts/benchmark-pallets.sh`; do not edit by hand.
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

/// The weight of each call of `pallet_micro_governance`.
pub trait WeightInfo {
	fn propose(b: u32, ) -> Weight;
	fn vote(s: u32, ) -> Weight;
	fn spend(p: u32, ) -> Weight;
	fn set_rules() -> Weight;
	fn on_initialize_idle() -> Weight;
	fn on_initialize_decide(n: u32, ) -> Weight;
	fn clear_votes(p: u32, n: u32, ) -> Weight;
}

/// Measured weights, priced with the runtime's database weights.
pub struct SubstrateWeight<T>(PhantomData<T>);
impl<T: frame_system::Config> WeightInfo for SubstrateWeight<T> {
	/// Storage: `Governance::CurrentRules` (r:1 w:0)
	/// Proof: `Governance::CurrentRules` (`max_values`: Some(1), `max_size`: Some(28), added: 523, mode: `MaxEncodedLen`)
	/// Storage: `MicroNodes::OperatorNodes` (r:1 w:0)
	/// Proof: `MicroNodes::OperatorNodes` (`max_values`: None, `max_size`: Some(113), added: 2588, mode: `MaxEncodedLen`)
	/// Storage: `MicroServices::ServiceCollection` (r:1 w:0)
	/// Proof: `MicroServices::ServiceCollection` (`max_values`: Some(1), `max_size`: Some(4), added: 499, mode: `MaxEncodedLen`)
	/// Storage: `Nfts::Account` (r:1 w:0)
	/// Proof: `Nfts::Account` (`max_values`: None, `max_size`: Some(88), added: 2563, mode: `MaxEncodedLen`)
	/// Storage: `MicroNodes::Nodes` (r:16 w:0)
	/// Proof: `MicroNodes::Nodes` (`max_values`: None, `max_size`: Some(1239), added: 3714, mode: `MaxEncodedLen`)
	/// Storage: `MicroNodes::HeartbeatTtl` (r:1 w:0)
	/// Proof: `MicroNodes::HeartbeatTtl` (`max_values`: Some(1), `max_size`: Some(4), added: 499, mode: `MaxEncodedLen`)
	/// Storage: `Reputation::Records` (r:16 w:0)
	/// Proof: `Reputation::Records` (`max_values`: None, `max_size`: Some(73), added: 2548, mode: `MaxEncodedLen`)
	/// Storage: `Governance::ActiveCount` (r:1 w:1)
	/// Proof: `Governance::ActiveCount` (`max_values`: Some(1), `max_size`: Some(4), added: 499, mode: `MaxEncodedLen`)
	/// Storage: `Governance::OpenProposals` (r:1 w:1)
	/// Proof: `Governance::OpenProposals` (`max_values`: None, `max_size`: Some(52), added: 2527, mode: `MaxEncodedLen`)
	/// Storage: `Governance::ProposalCount` (r:1 w:1)
	/// Proof: `Governance::ProposalCount` (`max_values`: Some(1), `max_size`: Some(4), added: 499, mode: `MaxEncodedLen`)
	/// Storage: `Governance::Ending` (r:1 w:1)
	/// Proof: `Governance::Ending` (`max_values`: None, `max_size`: Some(77), added: 2552, mode: `MaxEncodedLen`)
	/// Storage: `System::Account` (r:1 w:1)
	/// Proof: `System::Account` (`max_values`: None, `max_size`: Some(128), added: 2603, mode: `MaxEncodedLen`)
	/// Storage: `Balances::Holds` (r:1 w:1)
	/// Proof: `Balances::Holds` (`max_values`: None, `max_size`: Some(157), added: 2632, mode: `MaxEncodedLen`)
	/// Storage: `Preimage::StatusFor` (r:1 w:0)
	/// Proof: `Preimage::StatusFor` (`max_values`: None, `max_size`: Some(91), added: 2566, mode: `MaxEncodedLen`)
	/// Storage: `Preimage::RequestStatusFor` (r:1 w:1)
	/// Proof: `Preimage::RequestStatusFor` (`max_values`: None, `max_size`: Some(91), added: 2566, mode: `MaxEncodedLen`)
	/// Storage: `MicroNodes::CounterForNodes` (r:1 w:0)
	/// Proof: `MicroNodes::CounterForNodes` (`max_values`: Some(1), `max_size`: Some(4), added: 499, mode: `MaxEncodedLen`)
	/// Storage: `MicroServices::CounterForServices` (r:1 w:0)
	/// Proof: `MicroServices::CounterForServices` (`max_values`: Some(1), `max_size`: Some(4), added: 499, mode: `MaxEncodedLen`)
	/// Storage: `Governance::ElectorateSnapshot` (r:1 w:0)
	/// Proof: `Governance::ElectorateSnapshot` (`max_values`: Some(1), `max_size`: Some(4), added: 499, mode: `MaxEncodedLen`)
	/// Storage: `Governance::Proposals` (r:0 w:1)
	/// Proof: `Governance::Proposals` (`max_values`: None, `max_size`: Some(233), added: 2708, mode: `MaxEncodedLen`)
	/// Storage: `Preimage::PreimageFor` (r:0 w:1)
	/// Proof: `Preimage::PreimageFor` (`max_values`: None, `max_size`: Some(4194344), added: 4196819, mode: `MaxEncodedLen`)
	fn propose(b: u32, ) -> Weight {
		// Measured proof size: 20777 bytes; estimated: 60414.
		Weight::from_parts(723_471_587, 60414)
			.saturating_add(Weight::from_parts(5_130, 0).saturating_mul(b.into()))
			.saturating_add(T::DbWeight::get().reads(47_u64))
			.saturating_add(T::DbWeight::get().writes(8_u64))
	}
	/// Storage: `Governance::Proposals` (r:1 w:1)
	/// Proof: `Governance::Proposals` (`max_values`: None, `max_size`: Some(233), added: 2708, mode: `MaxEncodedLen`)
	/// Storage: `Governance::Votes` (r:1 w:1)
	/// Proof: `Governance::Votes` (`max_values`: None, `max_size`: Some(73), added: 2548, mode: `MaxEncodedLen`)
	/// Storage: `MicroNodes::Nodes` (r:16 w:0)
	/// Proof: `MicroNodes::Nodes` (`max_values`: None, `max_size`: Some(1239), added: 3714, mode: `MaxEncodedLen`)
	/// Storage: `MicroNodes::HeartbeatTtl` (r:1 w:0)
	/// Proof: `MicroNodes::HeartbeatTtl` (`max_values`: Some(1), `max_size`: Some(4), added: 499, mode: `MaxEncodedLen`)
	/// Storage: `Reputation::Records` (r:16 w:0)
	/// Proof: `Reputation::Records` (`max_values`: None, `max_size`: Some(73), added: 2548, mode: `MaxEncodedLen`)
	/// Storage: `Governance::VoiceVotes` (r:16 w:16)
	/// Proof: `Governance::VoiceVotes` (`max_values`: None, `max_size`: Some(57), added: 2532, mode: `MaxEncodedLen`)
	fn vote(s: u32, ) -> Weight {
		// Measured proof size: 2078 bytes; estimated: 3698.
		Weight::from_parts(183_738_647, 3698)
			.saturating_add(Weight::from_parts(37_351_059, 0).saturating_mul(s.into()))
			.saturating_add(T::DbWeight::get().reads(3_u64))
			.saturating_add(T::DbWeight::get().reads((3_u64).saturating_mul(s.into())))
			.saturating_add(T::DbWeight::get().writes(2_u64))
			.saturating_add(T::DbWeight::get().writes((1_u64).saturating_mul(s.into())))
			.saturating_add(Weight::from_parts(0, 3714).saturating_mul(s.into()))
	}
	/// Storage: `Governance::Spends` (r:1 w:1)
	/// Proof: `Governance::Spends` (`max_values`: None, `max_size`: Some(786), added: 3261, mode: `MaxEncodedLen`)
	/// Storage: `System::Account` (r:17 w:17)
	/// Proof: `System::Account` (`max_values`: None, `max_size`: Some(128), added: 2603, mode: `MaxEncodedLen`)
	/// Storage: `Governance::SpendBudgets` (r:1 w:1)
	/// Proof: `Governance::SpendBudgets` (`max_values`: None, `max_size`: Some(29), added: 2504, mode: `MaxEncodedLen`)
	fn spend(p: u32, ) -> Weight {
		// Measured proof size: 157 bytes; estimated: 4251.
		Weight::from_parts(56_081_030, 4251)
			.saturating_add(Weight::from_parts(93_358_209, 0).saturating_mul(p.into()))
			.saturating_add(T::DbWeight::get().reads(3_u64))
			.saturating_add(T::DbWeight::get().reads((1_u64).saturating_mul(p.into())))
			.saturating_add(T::DbWeight::get().writes(3_u64))
			.saturating_add(T::DbWeight::get().writes((1_u64).saturating_mul(p.into())))
			.saturating_add(Weight::from_parts(0, 2603).saturating_mul(p.into()))
	}
	/// Storage: `Governance::CurrentRules` (r:0 w:1)
	/// Proof: `Governance::CurrentRules` (`max_values`: Some(1), `max_size`: Some(28), added: 523, mode: `MaxEncodedLen`)
	fn set_rules() -> Weight {
		// Measured proof size: 0 bytes; estimated: 0.
		Weight::from_parts(24_052_000, 0)
			.saturating_add(T::DbWeight::get().writes(1_u64))
	}
	/// Storage: `Governance::Ending` (r:1 w:0)
	/// Proof: `Governance::Ending` (`max_values`: None, `max_size`: Some(77), added: 2552, mode: `MaxEncodedLen`)
	fn on_initialize_idle() -> Weight {
		// Measured proof size: 43 bytes; estimated: 3542.
		Weight::from_parts(10_483_000, 3542)
			.saturating_add(T::DbWeight::get().reads(1_u64))
	}
	/// Storage: `Governance::Ending` (r:1 w:1)
	/// Proof: `Governance::Ending` (`max_values`: None, `max_size`: Some(77), added: 2552, mode: `MaxEncodedLen`)
	/// Storage: `Governance::CurrentRules` (r:1 w:0)
	/// Proof: `Governance::CurrentRules` (`max_values`: Some(1), `max_size`: Some(28), added: 523, mode: `MaxEncodedLen`)
	/// Storage: `Governance::Proposals` (r:16 w:16)
	/// Proof: `Governance::Proposals` (`max_values`: None, `max_size`: Some(233), added: 2708, mode: `MaxEncodedLen`)
	/// Storage: `Governance::ActiveCount` (r:1 w:1)
	/// Proof: `Governance::ActiveCount` (`max_values`: Some(1), `max_size`: Some(4), added: 499, mode: `MaxEncodedLen`)
	/// Storage: `Governance::OpenProposals` (r:16 w:16)
	/// Proof: `Governance::OpenProposals` (`max_values`: None, `max_size`: Some(52), added: 2527, mode: `MaxEncodedLen`)
	/// Storage: `System::Account` (r:16 w:16)
	/// Proof: `System::Account` (`max_values`: None, `max_size`: Some(128), added: 2603, mode: `MaxEncodedLen`)
	/// Storage: `Balances::Holds` (r:16 w:16)
	/// Proof: `Balances::Holds` (`max_values`: None, `max_size`: Some(157), added: 2632, mode: `MaxEncodedLen`)
	/// Storage: `Scheduler::Lookup` (r:16 w:16)
	/// Proof: `Scheduler::Lookup` (`max_values`: None, `max_size`: Some(48), added: 2523, mode: `MaxEncodedLen`)
	/// Storage: `Scheduler::Agenda` (r:1 w:1)
	/// Proof: `Scheduler::Agenda` (`max_values`: None, `max_size`: Some(10463), added: 12938, mode: `MaxEncodedLen`)
	/// Storage: `Preimage::StatusFor` (r:1 w:0)
	/// Proof: `Preimage::StatusFor` (`max_values`: None, `max_size`: Some(91), added: 2566, mode: `MaxEncodedLen`)
	/// Storage: `Preimage::RequestStatusFor` (r:1 w:1)
	/// Proof: `Preimage::RequestStatusFor` (`max_values`: None, `max_size`: Some(91), added: 2566, mode: `MaxEncodedLen`)
	fn on_initialize_decide(n: u32, ) -> Weight {
		// Measured proof size: 427 bytes; estimated: 13928.
		Weight::from_parts(418_475_005, 13928)
			.saturating_add(Weight::from_parts(93_997_905, 0).saturating_mul(n.into()))
			.saturating_add(T::DbWeight::get().reads(6_u64))
			.saturating_add(T::DbWeight::get().reads((5_u64).saturating_mul(n.into())))
			.saturating_add(T::DbWeight::get().writes(4_u64))
			.saturating_add(T::DbWeight::get().writes((5_u64).saturating_mul(n.into())))
			.saturating_add(Weight::from_parts(0, 2708).saturating_mul(n.into()))
	}
	/// Storage: `Governance::ProposalCount` (r:1 w:0)
	/// Proof: `Governance::ProposalCount` (`max_values`: Some(1), `max_size`: Some(4), added: 499, mode: `MaxEncodedLen`)
	/// Storage: `Governance::VoteCleanup` (r:1 w:1)
	/// Proof: `Governance::VoteCleanup` (`max_values`: Some(1), `max_size`: Some(4), added: 499, mode: `MaxEncodedLen`)
	/// Storage: `Governance::Proposals` (r:255 w:255)
	/// Proof: `Governance::Proposals` (`max_values`: None, `max_size`: Some(233), added: 2708, mode: `MaxEncodedLen`)
	/// Storage: `Governance::Votes` (r:383 w:128)
	/// Proof: `Governance::Votes` (`max_values`: None, `max_size`: Some(73), added: 2548, mode: `MaxEncodedLen`)
	/// Storage: `Governance::VoiceVotes` (r:383 w:128)
	/// Proof: `Governance::VoiceVotes` (`max_values`: None, `max_size`: Some(57), added: 2532, mode: `MaxEncodedLen`)
	fn clear_votes(p: u32, n: u32, ) -> Weight {
		// Measured proof size: 277 bytes; estimated: 1489.
		Weight::from_parts(1_154_418_000, 1489)
			.saturating_add(Weight::from_parts(20_896_847, 0).saturating_mul(p.into()))
			.saturating_add(Weight::from_parts(3_240_472, 0).saturating_mul(n.into()))
			.saturating_add(T::DbWeight::get().reads(2_u64))
			.saturating_add(T::DbWeight::get().reads((3_u64).saturating_mul(p.into())))
			.saturating_add(T::DbWeight::get().reads((1_u64).saturating_mul(n.into())))
			.saturating_add(T::DbWeight::get().writes(1_u64))
			.saturating_add(T::DbWeight::get().writes((1_u64).saturating_mul(p.into())))
			.saturating_add(T::DbWeight::get().writes((1_u64).saturating_mul(n.into())))
			.saturating_add(Weight::from_parts(0, 1274).saturating_mul(n.into()))
			.saturating_add(Weight::from_parts(0, 2708).saturating_mul(p.into()))
	}
}

/// The same figures priced with RocksDB's weights, for tests and mocks.
impl WeightInfo for () {
	fn propose(b: u32, ) -> Weight {
		Weight::from_parts(723_471_587, 60414)
			.saturating_add(Weight::from_parts(5_130, 0).saturating_mul(b.into()))
			.saturating_add(RocksDbWeight::get().reads(47_u64))
			.saturating_add(RocksDbWeight::get().writes(8_u64))
	}
	fn vote(s: u32, ) -> Weight {
		Weight::from_parts(183_738_647, 3698)
			.saturating_add(Weight::from_parts(37_351_059, 0).saturating_mul(s.into()))
			.saturating_add(RocksDbWeight::get().reads(3_u64))
			.saturating_add(RocksDbWeight::get().reads((3_u64).saturating_mul(s.into())))
			.saturating_add(RocksDbWeight::get().writes(2_u64))
			.saturating_add(RocksDbWeight::get().writes((1_u64).saturating_mul(s.into())))
			.saturating_add(Weight::from_parts(0, 3714).saturating_mul(s.into()))
	}
	fn spend(p: u32, ) -> Weight {
		Weight::from_parts(56_081_030, 4251)
			.saturating_add(Weight::from_parts(93_358_209, 0).saturating_mul(p.into()))
			.saturating_add(RocksDbWeight::get().reads(3_u64))
			.saturating_add(RocksDbWeight::get().reads((1_u64).saturating_mul(p.into())))
			.saturating_add(RocksDbWeight::get().writes(3_u64))
			.saturating_add(RocksDbWeight::get().writes((1_u64).saturating_mul(p.into())))
			.saturating_add(Weight::from_parts(0, 2603).saturating_mul(p.into()))
	}
	fn set_rules() -> Weight {
		Weight::from_parts(24_052_000, 0)
			.saturating_add(RocksDbWeight::get().writes(1_u64))
	}
	fn on_initialize_idle() -> Weight {
		Weight::from_parts(10_483_000, 3542)
			.saturating_add(RocksDbWeight::get().reads(1_u64))
	}
	fn on_initialize_decide(n: u32, ) -> Weight {
		Weight::from_parts(418_475_005, 13928)
			.saturating_add(Weight::from_parts(93_997_905, 0).saturating_mul(n.into()))
			.saturating_add(RocksDbWeight::get().reads(6_u64))
			.saturating_add(RocksDbWeight::get().reads((5_u64).saturating_mul(n.into())))
			.saturating_add(RocksDbWeight::get().writes(4_u64))
			.saturating_add(RocksDbWeight::get().writes((5_u64).saturating_mul(n.into())))
			.saturating_add(Weight::from_parts(0, 2708).saturating_mul(n.into()))
	}
	fn clear_votes(p: u32, n: u32, ) -> Weight {
		Weight::from_parts(1_154_418_000, 1489)
			.saturating_add(Weight::from_parts(20_896_847, 0).saturating_mul(p.into()))
			.saturating_add(Weight::from_parts(3_240_472, 0).saturating_mul(n.into()))
			.saturating_add(RocksDbWeight::get().reads(2_u64))
			.saturating_add(RocksDbWeight::get().reads((3_u64).saturating_mul(p.into())))
			.saturating_add(RocksDbWeight::get().reads((1_u64).saturating_mul(n.into())))
			.saturating_add(RocksDbWeight::get().writes(1_u64))
			.saturating_add(RocksDbWeight::get().writes((1_u64).saturating_mul(p.into())))
			.saturating_add(RocksDbWeight::get().writes((1_u64).saturating_mul(n.into())))
			.saturating_add(Weight::from_parts(0, 1274).saturating_mul(n.into()))
			.saturating_add(Weight::from_parts(0, 2708).saturating_mul(p.into()))
	}
}
