//! The pallets whose extrinsics `micro-node benchmark pallet` measures.

frame_benchmarking::define_benchmarks!(
	[frame_system, SystemBench::<Runtime>]
	[pallet_balances, Balances]
	[pallet_micro_nodes, MicroNodes]
	[pallet_micro_services, MicroServices]
	[pallet_micro_reputation, Reputation]
	[pallet_micro_tokens, MicroTokens]
	[pallet_micro_settlement, Settlement]
	[pallet_micro_contracts, MicroContracts]
	[pallet_micro_governance, Governance]
	[pallet_micro_validators, Validators]
);
