//! Storage migrations of the reputation pallet.

use crate::{Config, Pallet, Record, Records};
use codec::{Decode, Encode};
use frame_support::{
	migrations::VersionedMigration,
	traits::{Get, UncheckedOnRuntimeUpgrade},
	weights::Weight,
};

/// The encodings before version 1.
pub mod v0 {
	use super::*;

	/// A subject's record before version 1: settled calls counted whoever paid, and whether
	/// anyone did.
	#[derive(Encode, Decode)]
	pub struct Record {
		/// Calls settled on-chain.
		pub settled_calls: u64,
		/// Settlements disputed with the subject at fault.
		pub disputes: u32,
		/// Usage reports or settlements that failed their checks.
		pub failed_settlements: u32,
		/// Outages while serving.
		pub offline_while_serving: u32,
		/// Recorded contracts fulfilled.
		pub contracts_fulfilled: u32,
		/// Recorded contracts breached.
		pub contracts_breached: u32,
	}
}

/// Adds the paid usage to every record: none, since old settled calls did not tell paid usage
/// by others from self-dealing. The old count is kept as a statistic.
pub struct InnerMigrateV0ToV1<T>(core::marker::PhantomData<T>);

impl<T: Config> UncheckedOnRuntimeUpgrade for InnerMigrateV0ToV1<T> {
	fn on_runtime_upgrade() -> Weight {
		let mut translated = 0u64;
		Records::<T>::translate::<v0::Record, _>(|_, old| {
			translated += 1;
			Some(Record {
				settled_calls: old.settled_calls,
				disputes: old.disputes,
				failed_settlements: old.failed_settlements,
				offline_while_serving: old.offline_while_serving,
				contracts_fulfilled: old.contracts_fulfilled,
				contracts_breached: old.contracts_breached,
				paid_calls: 0,
				paid_value: 0,
			})
		});
		T::DbWeight::get().reads_writes(translated, translated)
	}
}

/// Version 0 to 1: records count paid usage by others, by value.
pub type MigrateV0ToV1<T> = VersionedMigration<
	0,
	1,
	InnerMigrateV0ToV1<T>,
	Pallet<T>,
	<T as frame_system::Config>::DbWeight,
>;

#[cfg(test)]
mod tests {
	use super::*;
	use crate::mock::{new_test_ext, Test};
	use micro_primitives::Subject;

	#[test]
	fn old_records_keep_their_counts_and_gain_no_paid_usage() {
		new_test_ext().execute_with(|| {
			let old = v0::Record {
				settled_calls: 1_000_000,
				disputes: 1,
				failed_settlements: 2,
				offline_while_serving: 3,
				contracts_fulfilled: 4,
				contracts_breached: 5,
			};
			let key = Records::<Test>::hashed_key_for(Subject::Service(7));
			frame_support::storage::unhashed::put_raw(&key, &old.encode());

			// The translation itself; `MigrateV0ToV1` runs it once, from version 0 to 1.
			InnerMigrateV0ToV1::<Test>::on_runtime_upgrade();

			assert_eq!(
				Records::<Test>::get(Subject::Service(7)),
				Record {
					settled_calls: 1_000_000,
					disputes: 1,
					failed_settlements: 2,
					offline_while_serving: 3,
					contracts_fulfilled: 4,
					contracts_breached: 5,
					paid_calls: 0,
					paid_value: 0,
				}
			);
		});
	}
}
