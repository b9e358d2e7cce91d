//! Storage migrations.
//!
//! **v0 → v1** (deposits counted per account): [`crate::HeldDeposits`] counts the contract
//! deposits each account holds, within [`crate::Config::MaxHeldPerParty`], and every release
//! takes one off. Deposits held before the count existed would be released without ever having
//! been counted, so the count of a party holding new ones too would drift below what it holds
//! (and past the cap). The upgrade counts them.
//!
//! **Bounded work.** Before v1 a contract's [`crate::Deposits`] entry was removed when it ended,
//! so the entries left are those of the open contracts (proposed, active or with a breach
//! pending): the upgrade reads each of them and its contract once, and counts at most
//! [`crate::Config::MaxParties`] approving parties for each. Open contracts are few (each holds
//! a deposit per party); count them before scheduling the upgrade.

use frame_support::{
	migrations::VersionedMigration,
	pallet_prelude::*,
	traits::{Get, UncheckedOnRuntimeUpgrade},
};
use sp_runtime::traits::{Saturating, Zero};

use crate::{Config, Contracts, Deposits, HeldDeposits, Pallet};

/// The v0 → v1 counting, without the version check: use [`MigrateV0ToV1`].
pub struct InnerMigrateV0ToV1<T>(core::marker::PhantomData<T>);

impl<T: Config> UncheckedOnRuntimeUpgrade for InnerMigrateV0ToV1<T> {
	fn on_runtime_upgrade() -> Weight {
		let (mut reads, mut writes) = (0u64, 0u64);
		for (id, amount) in Deposits::<T>::iter() {
			reads.saturating_inc();
			if amount.is_zero() {
				continue;
			}
			let Some(contract) = Contracts::<T>::get(id) else { continue };
			reads.saturating_inc();
			for (party, approved) in contract.parties.iter().zip(contract.approvals.iter()) {
				if *approved {
					HeldDeposits::<T>::mutate(party, |held| {
						*held = Some(held.unwrap_or(0).saturating_add(1))
					});
					reads.saturating_inc();
					writes.saturating_inc();
				}
			}
		}
		T::DbWeight::get().reads_writes(reads, writes)
	}
}

/// Migrates contracts storage from v0 to v1, once.
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
	use crate::{mock::*, Error};
	use frame_support::{
		assert_ok,
		traits::{fungible::InspectHold, OnRuntimeUpgrade, StorageVersion},
		BoundedVec,
	};
	use sp_core::H256;

	/// Issue 3: deposits held before `HeldDeposits` existed. Without the count, releasing them
	/// took one off a count they never added to, so account 1 could hold `MAX_HELD` new ones
	/// beside its old one.
	#[test]
	fn deposits_held_before_the_upgrade_are_counted_once() {
		new_test_ext().execute_with(|| {
			let parties: BoundedVec<u64, _> = vec![1, 2, 3].try_into().unwrap();
			assert_ok!(MicroContracts::propose(
				RuntimeOrigin::signed(1),
				parties,
				H256::repeat_byte(1),
				None,
				50
			));
			assert_ok!(MicroContracts::approve(RuntimeOrigin::signed(2), 0));
			// As v0 left it: the deposits held, nothing counted; and a contract (2) whose
			// zero deposit counts nothing.
			let _ = HeldDeposits::<Test>::clear(u32::MAX, None);
			Deposits::<Test>::insert(2, 0);
			StorageVersion::new(0).put::<Pallet<Test>>();
			let reason = crate::HoldReason::ContractDeposit.into();
			assert_eq!(Balances::balance_on_hold(&reason, &1), DEPOSIT);

			let weight = MigrateV0ToV1::<Test>::on_runtime_upgrade();

			assert_eq!(StorageVersion::get::<Pallet<Test>>(), 1);
			assert_eq!(HeldDeposits::<Test>::get(1), Some(1));
			assert_eq!(HeldDeposits::<Test>::get(2), Some(1));
			assert_eq!(HeldDeposits::<Test>::get(3), None, "3 has not approved");
			let db: frame_support::weights::RuntimeDbWeight =
				<<Test as frame_system::Config>::DbWeight as Get<_>>::get();
			// The version (r:1 w:1), two deposit entries, one contract, two counts (r:2 w:2).
			assert_eq!(weight, db.reads_writes(1 + 2 + 1 + 2, 1 + 2));

			// The count now covers the old deposit: 1 holds it and `MAX_HELD - 1` new ones.
			for _ in 1..MAX_HELD {
				let parties: BoundedVec<u64, _> = vec![1, 4].try_into().unwrap();
				assert_ok!(MicroContracts::propose(
					RuntimeOrigin::signed(1),
					parties,
					H256::zero(),
					None,
					50
				));
			}
			let parties: BoundedVec<u64, _> = vec![1, 4].try_into().unwrap();
			assert_eq!(
				MicroContracts::propose(RuntimeOrigin::signed(1), parties, H256::zero(), None, 50),
				Err(Error::<Test>::TooManyHeld.into())
			);
			assert_eq!(Balances::balance_on_hold(&reason, &1), MAX_HELD as u64 * DEPOSIT);

			// Releasing the old deposit takes its own count off, no other.
			assert_ok!(MicroContracts::reject(RuntimeOrigin::signed(3), 0));
			System::set_block_number(2 + DISPUTE_WINDOW);
			assert_ok!(MicroContracts::release_deposit(RuntimeOrigin::signed(9), 0));
			assert_eq!(HeldDeposits::<Test>::get(1), Some(MAX_HELD - 1));
			assert_eq!(HeldDeposits::<Test>::get(2), None);
			assert_eq!(Balances::balance_on_hold(&reason, &1), (MAX_HELD as u64 - 1) * DEPOSIT);

			// A second run changes nothing.
			assert_eq!(MigrateV0ToV1::<Test>::on_runtime_upgrade(), db.reads(1));
			assert_eq!(HeldDeposits::<Test>::get(1), Some(MAX_HELD - 1));
		});
	}
}
