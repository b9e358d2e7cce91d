//! Weights for `pallet_micro_governance`, measured by `scripts/benchmark-pallets.sh`; do not edit by hand.
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
	/// Proof: `Governance::CurrentRules` (`max_values`: Some(1), `max_size`: Some(32), added: 527, mode: `MaxEncodedLen`)
	/// Storage: `MicroNodes::OperatorNodes` (r:1 w:0)
	/// Proof: `MicroNodes::OperatorNodes` (`max_values`: None, `max_size`: Some(113), added: 2588, mode: `MaxEncodedLen`)
	/// Storage: `MicroServices::ServiceCollection` (r:1 w:0)
	/// Proof: `MicroServices::ServiceCollection` (`max_values`: Some(1), `max_size`: Some(4), added: 499, mode: `MaxEncodedLen`)
	/// Storage: `Nfts::Account` (r:1 w:0)
	/// Proof: `Nfts::Account` (`max_values`: None, `max_size`: Some(88), added: 2563, mode: `MaxEncodedLen`)
	/// Storage: `Reputation::Records` (r:1 w:0)
	/// Proof: `Reputation::Records` (`max_values`: None, `max_size`: Some(49), added: 2524, mode: `MaxEncodedLen`)
	/// Storage: `MicroNodes::Nodes` (r:1 w:0)
	/// Proof: `MicroNodes::Nodes` (`max_values`: None, `max_size`: Some(1239), added: 3714, mode: `MaxEncodedLen`)
	/// Storage: `MicroNodes::HeartbeatTtl` (r:1 w:0)
	/// Proof: `MicroNodes::HeartbeatTtl` (`max_values`: Some(1), `max_size`: Some(4), added: 499, mode: `MaxEncodedLen`)
	/// Storage: `Governance::ActiveCount` (r:1 w:1)
	/// Proof: `Governance::ActiveCount` (`max_values`: Some(1), `max_size`: Some(4), added: 499, mode: `MaxEncodedLen`)
	/// Storage: `Governance::ProposalCount` (r:1 w:1)
	/// Proof: `Governance::ProposalCount` (`max_values`: Some(1), `max_size`: Some(4), added: 499, mode: `MaxEncodedLen`)
	/// Storage: `Governance::Ending` (r:1 w:1)
	/// Proof: `Governance::Ending` (`max_values`: None, `max_size`: Some(77), added: 2552, mode: `MaxEncodedLen`)
	/// Storage: `System::Account` (r:1 w:1)
	/// Proof: `System::Account` (`max_values`: None, `max_size`: Some(128), added: 2603, mode: `MaxEncodedLen`)
	/// Storage: `Balances::Holds` (r:1 w:1)
	/// Proof: `Balances::Holds` (`max_values`: None, `max_size`: Some(121), added: 2596, mode: `MaxEncodedLen`)
	/// Storage: `Preimage::StatusFor` (r:1 w:0)
	/// Proof: `Preimage::StatusFor` (`max_values`: None, `max_size`: Some(91), added: 2566, mode: `MaxEncodedLen`)
	/// Storage: `Preimage::RequestStatusFor` (r:1 w:1)
	/// Proof: `Preimage::RequestStatusFor` (`max_values`: None, `max_size`: Some(75), added: 2550, mode: `MaxEncodedLen`)
	/// Storage: `Governance::Proposals` (r:0 w:1)
	/// Proof: `Governance::Proposals` (`max_values`: None, `max_size`: Some(221), added: 2696, mode: `MaxEncodedLen`)
	/// Storage: `Preimage::PreimageFor` (r:0 w:1)
	/// Proof: `Preimage::PreimageFor` (`max_values`: None, `max_size`: Some(4194344), added: 4196819, mode: `MaxEncodedLen`)
	// Not yet measured for 32 voices: the measurement above (one node) plus the scan of the
	// proposer's voices (read to check it has one): `ACCOUNT_SCORE_READS` reads and
	// `ACCOUNT_SCORE_PROOF_SIZE` bytes of proof, the bound on reading one account's voices
	// (finding H4), and 20 µs per voice; and 3 reads for the electorate and its snapshot.
	fn propose(b: u32, ) -> Weight {
		// Measured proof size: 2190 bytes; estimated: 4704.
		Weight::from_parts(673_348_668 + 32 * 20_000_000, 4704 + micro_primitives::ACCOUNT_SCORE_PROOF_SIZE)
			.saturating_add(Weight::from_parts(4_486, 0).saturating_mul(b.into()))
			.saturating_add(T::DbWeight::get().reads(14_u64 + micro_primitives::ACCOUNT_SCORE_READS + 3 + 1))
			.saturating_add(T::DbWeight::get().writes(8_u64 + 1))
	}
	/// Storage: `Governance::Proposals` (r:1 w:1)
	/// Proof: `Governance::Proposals` (`max_values`: None, `max_size`: Some(221), added: 2696, mode: `MaxEncodedLen`)
	/// Storage: `Governance::Votes` (r:1 w:1)
	/// Proof: `Governance::Votes` (`max_values`: None, `max_size`: Some(69), added: 2544, mode: `MaxEncodedLen`)
	/// Storage: `MicroNodes::OperatorNodes` (r:1 w:0)
	/// Proof: `MicroNodes::OperatorNodes` (`max_values`: None, `max_size`: Some(113), added: 2588, mode: `MaxEncodedLen`)
	/// Storage: `MicroServices::ServiceCollection` (r:1 w:0)
	/// Proof: `MicroServices::ServiceCollection` (`max_values`: Some(1), `max_size`: Some(4), added: 499, mode: `MaxEncodedLen`)
	/// Storage: `Nfts::Account` (r:1 w:0)
	/// Proof: `Nfts::Account` (`max_values`: None, `max_size`: Some(88), added: 2563, mode: `MaxEncodedLen`)
	/// Storage: `Reputation::Records` (r:1 w:0)
	/// Proof: `Reputation::Records` (`max_values`: None, `max_size`: Some(49), added: 2524, mode: `MaxEncodedLen`)
	/// Storage: `MicroNodes::Nodes` (r:1 w:0)
	/// Proof: `MicroNodes::Nodes` (`max_values`: None, `max_size`: Some(1239), added: 3714, mode: `MaxEncodedLen`)
	/// Storage: `MicroNodes::HeartbeatTtl` (r:1 w:0)
	/// Proof: `MicroNodes::HeartbeatTtl` (`max_values`: Some(1), `max_size`: Some(4), added: 499, mode: `MaxEncodedLen`)
	// Not yet measured: estimated from the measurement above (one node, found by the scan).
	// `s` is the number of subjects named, or `MAX_VOICES` when none is (the scan's most).
	// Per subject: 5 reads (its registration and operator or owner and creator, its record,
	// the TTL, its `VoiceVotes` entry), 1 write (that entry), 3714 bytes of proof and 20 µs.
	// Plus, whether or not subjects are named, the scan of the voter's voices:
	// `ACCOUNT_SCORE_READS` reads and `ACCOUNT_SCORE_PROOF_SIZE` bytes of proof (finding H4).
	fn vote(s: u32, ) -> Weight {
		// Measured proof size: 3151 bytes; estimated: 4704.
		Weight::from_parts(179_805_000, 4704 + micro_primitives::ACCOUNT_SCORE_PROOF_SIZE)
			.saturating_add(Weight::from_parts(20_000_000, 3714).saturating_mul(s.into()))
			.saturating_add(T::DbWeight::get().reads(8_u64 + micro_primitives::ACCOUNT_SCORE_READS))
			.saturating_add(T::DbWeight::get().reads((5_u64).saturating_mul(s.into())))
			.saturating_add(T::DbWeight::get().writes(2_u64))
			.saturating_add(T::DbWeight::get().writes((1_u64).saturating_mul(s.into())))
	}
	/// Storage: `Governance::Spends` (r:1 w:1)
	/// Proof: `Governance::Spends` (`max_values`: None, `max_size`: Some(786), added: 3261, mode: `MaxEncodedLen`)
	/// Storage: `System::Account` (r:17 w:17)
	/// Proof: `System::Account` (`max_values`: None, `max_size`: Some(128), added: 2603, mode: `MaxEncodedLen`)
	fn spend(p: u32, ) -> Weight {
		// Measured proof size: 138 bytes; estimated: 4251.
		Weight::from_parts(27_312_501, 4251)
			.saturating_add(Weight::from_parts(87_950_402, 0).saturating_mul(p.into()))
			.saturating_add(T::DbWeight::get().reads(2_u64))
			.saturating_add(T::DbWeight::get().reads((1_u64).saturating_mul(p.into())))
			.saturating_add(T::DbWeight::get().writes(2_u64))
			.saturating_add(T::DbWeight::get().writes((1_u64).saturating_mul(p.into())))
			.saturating_add(Weight::from_parts(0, 2603).saturating_mul(p.into()))
	}
	/// Storage: `Governance::CurrentRules` (r:0 w:1)
	/// Proof: `Governance::CurrentRules` (`max_values`: Some(1), `max_size`: Some(32), added: 527, mode: `MaxEncodedLen`)
	fn set_rules() -> Weight {
		// Measured proof size: 0 bytes; estimated: 0.
		Weight::from_parts(20_428_000, 0)
			.saturating_add(T::DbWeight::get().writes(1_u64))
	}
	/// Storage: `Governance::Ending` (r:1 w:0)
	/// Proof: `Governance::Ending` (`max_values`: None, `max_size`: Some(77), added: 2552, mode: `MaxEncodedLen`)
	// Not yet measured: plus the electorate snapshot's 3 reads and 1 write.
	fn on_initialize_idle() -> Weight {
		// Measured proof size: 43 bytes; estimated: 3542.
		Weight::from_parts(9_217_000 + 10_000_000, 3542)
			.saturating_add(T::DbWeight::get().reads(1_u64 + 3))
			.saturating_add(T::DbWeight::get().writes(1_u64))
	}
	/// Storage: `Governance::Ending` (r:1 w:1)
	/// Proof: `Governance::Ending` (`max_values`: None, `max_size`: Some(77), added: 2552, mode: `MaxEncodedLen`)
	/// Storage: `Governance::CurrentRules` (r:1 w:0)
	/// Proof: `Governance::CurrentRules` (`max_values`: Some(1), `max_size`: Some(32), added: 527, mode: `MaxEncodedLen`)
	/// Storage: `Governance::Proposals` (r:16 w:16)
	/// Proof: `Governance::Proposals` (`max_values`: None, `max_size`: Some(221), added: 2696, mode: `MaxEncodedLen`)
	/// Storage: `Governance::ActiveCount` (r:1 w:1)
	/// Proof: `Governance::ActiveCount` (`max_values`: Some(1), `max_size`: Some(4), added: 499, mode: `MaxEncodedLen`)
	/// Storage: `System::Account` (r:16 w:16)
	/// Proof: `System::Account` (`max_values`: None, `max_size`: Some(128), added: 2603, mode: `MaxEncodedLen`)
	/// Storage: `Balances::Holds` (r:16 w:16)
	/// Proof: `Balances::Holds` (`max_values`: None, `max_size`: Some(121), added: 2596, mode: `MaxEncodedLen`)
	/// Storage: `Scheduler::Lookup` (r:16 w:16)
	/// Proof: `Scheduler::Lookup` (`max_values`: None, `max_size`: Some(48), added: 2523, mode: `MaxEncodedLen`)
	/// Storage: `Scheduler::Agenda` (r:1 w:1)
	/// Proof: `Scheduler::Agenda` (`max_values`: None, `max_size`: Some(10463), added: 12938, mode: `MaxEncodedLen`)
	/// Storage: `Preimage::StatusFor` (r:1 w:0)
	/// Proof: `Preimage::StatusFor` (`max_values`: None, `max_size`: Some(91), added: 2566, mode: `MaxEncodedLen`)
	/// Storage: `Preimage::RequestStatusFor` (r:1 w:1)
	/// Proof: `Preimage::RequestStatusFor` (`max_values`: None, `max_size`: Some(75), added: 2550, mode: `MaxEncodedLen`)
	// Not yet measured: plus, per proposal, its proposer's open count and a forfeited deposit
	// (3 reads and 3 writes).
	fn on_initialize_decide(n: u32, ) -> Weight {
		// Measured proof size: 364 bytes; estimated: 13928.
		Weight::from_parts(174_194_000, 13928)
			.saturating_add(Weight::from_parts(123_428_300, 0).saturating_mul(n.into()))
			.saturating_add(T::DbWeight::get().reads(6_u64))
			.saturating_add(T::DbWeight::get().reads((4_u64 + 3).saturating_mul(n.into())))
			.saturating_add(T::DbWeight::get().writes(4_u64))
			.saturating_add(T::DbWeight::get().writes((4_u64 + 3).saturating_mul(n.into())))
			.saturating_add(Weight::from_parts(0, 2696).saturating_mul(n.into()))
	}
	/// Storage: `Governance::ProposalCount` (r:1 w:0)
	/// Storage: `Governance::VoteCleanup` (r:1 w:1)
	/// Storage: `Governance::Proposals` (r:2p w:p)
	/// Storage: `Governance::Votes` (r:p+n w:n)
	/// Storage: `Governance::VoiceVotes` (r:p+n w:n)
	// Not yet measured: estimated from `set_rules` (one write) and `on_initialize_idle`.
	// Each of the `p` proposals read costs 4 reads (its entry, its v0 encoding when the first
	// fails, the first key of `Votes` and of `VoiceVotes` under it), 1 write (its translation
	// from v0), 7800 bytes of proof (a proposal's 2696, a vote's 2544, a voice's 2560) and
	// 25 µs; each of the `n` vote or voice entries removed 1 read (its key), 1 write, 2600
	// bytes of proof and 15 µs.
	fn clear_votes(p: u32, n: u32, ) -> Weight {
		Weight::from_parts(15_000_000, 1_000)
			.saturating_add(Weight::from_parts(25_000_000, 7_800).saturating_mul(p.into()))
			.saturating_add(Weight::from_parts(15_000_000, 2_600).saturating_mul(n.into()))
			.saturating_add(T::DbWeight::get().reads(2_u64))
			.saturating_add(T::DbWeight::get().reads((4_u64).saturating_mul(p.into())))
			.saturating_add(T::DbWeight::get().reads((1_u64).saturating_mul(n.into())))
			.saturating_add(T::DbWeight::get().writes(1_u64))
			.saturating_add(T::DbWeight::get().writes((1_u64).saturating_mul(p.into())))
			.saturating_add(T::DbWeight::get().writes((1_u64).saturating_mul(n.into())))
	}
}

/// The same figures priced with RocksDB's weights, for tests and mocks.
impl WeightInfo for () {
	// Not yet measured: as `SubstrateWeight`'s.
	fn propose(b: u32, ) -> Weight {
		Weight::from_parts(673_348_668 + 32 * 20_000_000, 4704 + micro_primitives::ACCOUNT_SCORE_PROOF_SIZE)
			.saturating_add(Weight::from_parts(4_486, 0).saturating_mul(b.into()))
			.saturating_add(RocksDbWeight::get().reads(14_u64 + micro_primitives::ACCOUNT_SCORE_READS + 3 + 1))
			.saturating_add(RocksDbWeight::get().writes(8_u64 + 1))
	}
	// Not yet measured: as `SubstrateWeight`'s.
	fn vote(s: u32, ) -> Weight {
		Weight::from_parts(179_805_000, 4704 + micro_primitives::ACCOUNT_SCORE_PROOF_SIZE)
			.saturating_add(Weight::from_parts(20_000_000, 3714).saturating_mul(s.into()))
			.saturating_add(RocksDbWeight::get().reads(8_u64 + micro_primitives::ACCOUNT_SCORE_READS))
			.saturating_add(RocksDbWeight::get().reads((5_u64).saturating_mul(s.into())))
			.saturating_add(RocksDbWeight::get().writes(2_u64))
			.saturating_add(RocksDbWeight::get().writes((1_u64).saturating_mul(s.into())))
	}
	fn spend(p: u32, ) -> Weight {
		Weight::from_parts(27_312_501, 4251)
			.saturating_add(Weight::from_parts(87_950_402, 0).saturating_mul(p.into()))
			.saturating_add(RocksDbWeight::get().reads(2_u64))
			.saturating_add(RocksDbWeight::get().reads((1_u64).saturating_mul(p.into())))
			.saturating_add(RocksDbWeight::get().writes(2_u64))
			.saturating_add(RocksDbWeight::get().writes((1_u64).saturating_mul(p.into())))
			.saturating_add(Weight::from_parts(0, 2603).saturating_mul(p.into()))
	}
	fn set_rules() -> Weight {
		Weight::from_parts(20_428_000, 0)
			.saturating_add(RocksDbWeight::get().writes(1_u64))
	}
	fn on_initialize_idle() -> Weight {
		Weight::from_parts(9_217_000, 3542)
			.saturating_add(RocksDbWeight::get().reads(1_u64))
	}
	fn on_initialize_decide(n: u32, ) -> Weight {
		Weight::from_parts(174_194_000, 13928)
			.saturating_add(Weight::from_parts(123_428_300, 0).saturating_mul(n.into()))
			.saturating_add(RocksDbWeight::get().reads(6_u64))
			.saturating_add(RocksDbWeight::get().reads((4_u64).saturating_mul(n.into())))
			.saturating_add(RocksDbWeight::get().writes(4_u64))
			.saturating_add(RocksDbWeight::get().writes((4_u64).saturating_mul(n.into())))
			.saturating_add(Weight::from_parts(0, 2696).saturating_mul(n.into()))
	}
	// Not yet measured: as `SubstrateWeight`'s.
	fn clear_votes(p: u32, n: u32, ) -> Weight {
		Weight::from_parts(15_000_000, 1_000)
			.saturating_add(Weight::from_parts(25_000_000, 7_800).saturating_mul(p.into()))
			.saturating_add(Weight::from_parts(15_000_000, 2_600).saturating_mul(n.into()))
			.saturating_add(RocksDbWeight::get().reads(2_u64))
			.saturating_add(RocksDbWeight::get().reads((4_u64).saturating_mul(p.into())))
			.saturating_add(RocksDbWeight::get().reads((1_u64).saturating_mul(n.into())))
			.saturating_add(RocksDbWeight::get().writes(1_u64))
			.saturating_add(RocksDbWeight::get().writes((1_u64).saturating_mul(p.into())))
			.saturating_add(RocksDbWeight::get().writes((1_u64).saturating_mul(n.into())))
	}
}
