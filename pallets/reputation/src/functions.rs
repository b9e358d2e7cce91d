//! Scores, account tiers, the free-call quota, and the [`ReputationLedger`] and
//! [`AccessControl`] the other pallets use.

use frame_support::pallet_prelude::*;
use frame_system::pallet_prelude::BlockNumberFor;
use micro_primitives::{
	AccessControl, NodeDirectory, ReputationEvent, ReputationLedger, Score, ServiceDirectory,
	Subject, VotingWeight,
};
use sp_runtime::{
	traits::{Saturating, UniqueSaturatedInto, Zero},
	DispatchResult,
};

use crate::{
	score::{self, Reliability},
	AccessTier, AccessTiers, Config, Error, Event, FreeCallsUsed, Pallet, QuotaPeriod, Record,
	Records, ScoreBreakdown,
};

impl<T: Config> Pallet<T> {
	/// Whole days in `blocks`.
	fn days(blocks: BlockNumberFor<T>) -> u32 {
		let per_day = T::BlocksPerDay::get().max(1u32.into());
		(blocks / per_day).unique_saturated_into()
	}

	/// The score of a registered node or service, part by part.
	pub fn score_of(subject: Subject) -> Option<ScoreBreakdown> {
		let record = Records::<T>::get(subject);
		match subject {
			Subject::Node(node) => {
				let standing = T::Nodes::standing(node)?;
				Some(score::compute(
					Self::days(standing.age),
					Reliability::Uptime(standing.uptime),
					&record,
				))
			}
			Subject::Service(service) => {
				let registered_at = T::Services::registered_at(service)?;
				let age = frame_system::Pallet::<T>::block_number().saturating_sub(registered_at);
				Some(score::compute(
					Self::days(age),
					Reliability::Available(T::Services::is_available(service)),
					&record,
				))
			}
		}
	}

	/// The best score among `who`'s nodes and services; `None` if it has none.
	fn best_score_of(who: &T::AccountId) -> Option<Score> {
		let nodes = T::Nodes::nodes_of(who).into_iter().map(Subject::Node);
		let services = T::Services::services_of(who, T::MaxServicesScanned::get())
			.into_iter()
			.map(Subject::Service);
		nodes
			.chain(services)
			.filter_map(|subject| Self::score_of(subject).map(|breakdown| breakdown.total))
			.max()
	}

	/// The best score among `who`'s nodes and services; 0 if it has none.
	pub fn account_score_of(who: &T::AccountId) -> Score {
		Self::best_score_of(who).unwrap_or(0)
	}

	/// The highest tier `who`'s score reaches, with its index.
	pub fn tier_of(who: &T::AccountId) -> Option<(u32, AccessTier)> {
		let score = Self::account_score_of(who);
		AccessTiers::<T>::get()
			.into_iter()
			.enumerate()
			.filter(|(_, tier)| tier.min_score <= score)
			.last()
			.map(|(index, tier)| (index as u32, tier))
	}

	/// The start of the current quota period.
	fn current_period() -> BlockNumberFor<T> {
		let now = frame_system::Pallet::<T>::block_number();
		let period = QuotaPeriod::<T>::get();
		if period.is_zero() {
			return Zero::zero();
		}
		now - now % period
	}

	/// Free calls `who` used this period.
	fn free_calls_used(who: &T::AccountId) -> u32 {
		let (period, used) = FreeCallsUsed::<T>::get(who);
		if period == Self::current_period() {
			used
		} else {
			0
		}
	}

	/// `who`'s free-call quota per period and how much of it this period used.
	fn free_quota(who: &T::AccountId) -> (u32, u32) {
		let quota = Self::tier_of(who).map_or(0, |(_, tier)| tier.free_calls_per_period);
		(quota, Self::free_calls_used(who))
	}

	/// Free calls `who` has left this period.
	pub fn free_calls_left_of(who: &T::AccountId) -> u32 {
		let (quota, used) = Self::free_quota(who);
		quota.saturating_sub(used)
	}
}

impl<T: Config> ReputationLedger for Pallet<T> {
	fn record(subject: Subject, event: ReputationEvent) {
		Records::<T>::mutate(subject, |record: &mut Record| match event {
			ReputationEvent::SettledCalls(calls) => record.settled_calls.saturating_accrue(calls),
			ReputationEvent::Dispute => record.disputes.saturating_inc(),
			ReputationEvent::FailedSettlement => record.failed_settlements.saturating_inc(),
			ReputationEvent::OfflineWhileServing => record.offline_while_serving.saturating_inc(),
			ReputationEvent::ContractFulfilled => record.contracts_fulfilled.saturating_inc(),
			ReputationEvent::ContractBreached => record.contracts_breached.saturating_inc(),
		});
		Self::deposit_event(Event::Recorded { subject, event });
	}

	fn score(subject: Subject) -> Score {
		Self::score_of(subject).map_or(0, |breakdown| breakdown.total)
	}
}

impl<T: Config> AccessControl<T::AccountId> for Pallet<T> {
	fn service_allowance(who: &T::AccountId) -> u32 {
		Self::tier_of(who).map_or(0, |(_, tier)| tier.max_services)
	}

	fn free_calls_left(who: &T::AccountId) -> u32 {
		Self::free_calls_left_of(who)
	}

	fn use_free_calls(who: &T::AccountId, calls: u32) -> DispatchResult {
		let (quota, used) = Self::free_quota(who);
		ensure!(quota.saturating_sub(used) >= calls, Error::<T>::FreeQuotaExhausted);
		FreeCallsUsed::<T>::insert(who, (Self::current_period(), used.saturating_add(calls)));
		Ok(())
	}
}

/// Governance weight: an account that operates a registered node or owns a service votes with
/// its score plus one (so a newcomer's first node already counts); any other account has no
/// say. Weight comes from reputation alone: holding more MICRO buys none.
impl<T: Config> VotingWeight<T::AccountId> for Pallet<T> {
	fn voting_weight(who: &T::AccountId) -> u64 {
		let takes_part =
			!T::Nodes::nodes_of(who).is_empty() || !T::Services::services_of(who, 1).is_empty();
		if takes_part {
			u64::from(Self::account_score_of(who)).saturating_add(1)
		} else {
			0
		}
	}

	#[cfg(feature = "runtime-benchmarks")]
	fn give_weight_for_benchmark(who: &T::AccountId) {
		if T::Nodes::nodes_of(who).is_empty() {
			T::Nodes::register_for_benchmark(who);
		}
	}
}
