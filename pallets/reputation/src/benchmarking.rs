//! Benchmarks of the reputation pallet.

use super::*;
use alloc::vec::Vec;
use frame_benchmarking::v2::*;
use frame_support::pallet_prelude::*;
use frame_system::pallet_prelude::BlockNumberFor;

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

	impl_benchmark_test_suite!(Pallet, crate::mock::new_test_ext(), crate::mock::Test);
}
