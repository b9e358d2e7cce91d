//! Benchmarks of the reputation pallet.

use super::*;
use alloc::vec::Vec;
use frame_benchmarking::v2::*;
use frame_support::pallet_prelude::*;
use frame_system::{pallet_prelude::BlockNumberFor, RawOrigin};
use micro_primitives::{NodeDirectory, NodeId};

#[benchmarks]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn set_access_tiers() -> Result<(), BenchmarkError> {
		let origin =
			T::ParamsOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		let tiers: Vec<AccessTier> = (0..T::MaxTiers::get())
			.map(|i| AccessTier {
				min_score: i,
				max_services: i + 1,
				free_calls_per_period: i * 10,
			})
			.collect();
		let tiers: BoundedVec<_, T::MaxTiers> = tiers.try_into().expect("sized to the bound");
		let period: BlockNumberFor<T> = 100u32.into();

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, tiers.clone(), period);

		assert_eq!(AccessTiers::<T>::get(), tiers);
		Ok(())
	}

	/// The worst case: the caller's score walk over its own nodes, and a reservation that
	/// fills its list to `MaxFreeReservations` after looking through all the others.
	#[benchmark]
	fn reserve_free_calls() -> Result<(), BenchmarkError> {
		let who: T::AccountId = account("consumer", 0, 0);
		let tier = AccessTier { min_score: 0, max_services: 1, free_calls_per_period: u32::MAX };
		let tiers: BoundedVec<_, T::MaxTiers> =
			alloc::vec![tier].try_into().map_err(|_| BenchmarkError::Weightless)?;
		AccessTiers::<T>::put(tiers);
		QuotaPeriod::<T>::put(BlockNumberFor::<T>::from(1_000u32));
		<Pallet<T> as micro_primitives::VotingWeight<_, _>>::give_weight_for_benchmark(&who);
		let max = T::MaxFreeReservations::get();
		let nodes: Vec<NodeId> = (0..max)
			.map(|i| T::Nodes::register_for_benchmark(&account("operator", i, 0)))
			.collect();
		let (last, others) = nodes.split_last().ok_or(BenchmarkError::Weightless)?;
		for node in others {
			Pallet::<T>::do_reserve_free_calls(who.clone(), *node, 1)
				.map_err(|_| BenchmarkError::Weightless)?;
		}

		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()), *last, 1);

		assert_eq!(FreeCallsReserved::<T>::get(&who).1.len() as u32, max);
		assert_eq!(Pallet::<T>::free_calls_reserved_for(&who, *last).0, 1);
		Ok(())
	}

	impl_benchmark_test_suite!(Pallet, crate::mock::new_test_ext(), crate::mock::Test);
}
