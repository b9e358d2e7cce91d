//! Scores, account tiers, the free-call quota, and the [`ReputationLedger`] and
//! [`AccessControl`] the other pallets use.

use alloc::vec::Vec;
use frame_support::pallet_prelude::*;
use frame_system::pallet_prelude::BlockNumberFor;
use micro_primitives::{
	AccessControl, NodeDirectory, NodeId, ReputationEvent, ReputationLedger, Score,
	ServiceDirectory, Subject, Voice, VotingWeight, MAX_VOICES,
};
use sp_runtime::{
	traits::{Saturating, UniqueSaturatedInto, Zero},
	DispatchResult,
};

use crate::{
	score::{self, Reliability},
	AccessTier, AccessTiers, Config, Error, Event, FreeCallsReserved, FreeCallsUsed, Pallet,
	QuotaPeriod, Record, Records, ScoreBreakdown,
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
					T::UsageValueUnit::get(),
				))
			}
			Subject::Service(service) => {
				let registered_at = T::Services::registered_at(service)?;
				let age = frame_system::Pallet::<T>::block_number().saturating_sub(registered_at);
				Some(score::compute(
					Self::days(age),
					Reliability::Available(T::Services::is_available(service)),
					&record,
					T::UsageValueUnit::get(),
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
	pub fn current_period() -> BlockNumberFor<T> {
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

	/// Free calls `who` reserved for `node` in the current quota period, and the block that
	/// period started at. A reservation from an earlier period counts for nothing.
	pub fn free_calls_reserved_for(who: &T::AccountId, node: NodeId) -> (u32, BlockNumberFor<T>) {
		let now = Self::current_period();
		let (period, reservations) = FreeCallsReserved::<T>::get(who);
		let calls = if period == now {
			reservations.iter().find(|(n, _)| *n == node).map_or(0, |(_, calls)| *calls)
		} else {
			0
		};
		(calls, now)
	}

	/// Takes `calls` from `who`'s free quota this period and reserves them for `node`.
	pub(crate) fn do_reserve_free_calls(
		who: T::AccountId,
		node: NodeId,
		calls: u32,
	) -> DispatchResult {
		ensure!(calls > 0, Error::<T>::ZeroFreeCalls);
		ensure!(T::Nodes::operator(node).is_some(), Error::<T>::UnknownNode);
		let now = Self::current_period();
		let (period, mut reservations) = FreeCallsReserved::<T>::get(&who);
		if period != now {
			reservations.clear();
		}
		let total = match reservations.iter_mut().find(|(n, _)| *n == node) {
			Some((_, reserved)) => {
				*reserved = reserved.saturating_add(calls);
				*reserved
			}
			None => {
				reservations
					.try_push((node, calls))
					.map_err(|_| Error::<T>::TooManyFreeReservations)?;
				calls
			}
		};
		<Self as AccessControl<T::AccountId>>::use_free_calls(&who, calls)?;
		FreeCallsReserved::<T>::insert(&who, (now, reservations));
		Self::deposit_event(Event::FreeCallsReserved { who, node, calls, total, period: now });
		Ok(())
	}
}

impl<T: Config> ReputationLedger for Pallet<T> {
	fn record(subject: Subject, event: ReputationEvent) {
		Records::<T>::mutate(subject, |record: &mut Record| match event {
			ReputationEvent::PaidUsage { calls, value } => {
				record.paid_calls.saturating_accrue(calls);
				record.paid_value.saturating_accrue(value);
			}
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

/// Governance weight belongs to nodes and services, not accounts: each node an account operates
/// and each service it owns is a voice of weight score plus one (so a newcomer's first node
/// already counts). Holding more MICRO buys none. The governance pallet counts each voice once
/// per proposal and only if it was registered long enough before the proposal, so a service NFT
/// passed from account to account, or a node deposit recycled into a new node, votes once. A
/// service is a voice only while its creator (who holds its deposit) owns it: a service given,
/// lent or sold carries no voice, so weight cannot be rented for a vote and handed back.
impl<T: Config> VotingWeight<T::AccountId, BlockNumberFor<T>> for Pallet<T> {
	fn voices(who: &T::AccountId, registered_by: BlockNumberFor<T>) -> Vec<Voice> {
		let half = MAX_VOICES / 2;
		let nodes = T::Nodes::nodes_of(who)
			.into_iter()
			.take(half as usize)
			.filter(|node| {
				T::Nodes::standing(*node).is_some_and(|s| s.registered_at <= registered_by)
			})
			.map(Subject::Node);
		let services = T::Services::services_of(who, half.min(T::MaxServicesScanned::get()))
			.into_iter()
			.filter(|service| {
				T::Services::registered_at(*service).is_some_and(|at| at <= registered_by)
					&& T::Services::creator(*service).as_ref() == Some(who)
			})
			.map(Subject::Service);
		nodes
			.chain(services)
			.filter_map(|subject| {
				let score = Self::score_of(subject)?.total;
				Some(Voice { subject, weight: u64::from(score).saturating_add(1) })
			})
			.collect()
	}

	/// One subject's voice, in a bounded number of reads whatever else `who` holds: a node
	/// `who` operates, or a service `who` created and owns, registered by `registered_by`.
	fn voice(
		who: &T::AccountId,
		subject: Subject,
		registered_by: BlockNumberFor<T>,
	) -> Option<Voice> {
		let counts = match subject {
			Subject::Node(node) => {
				T::Nodes::operator(node).as_ref() == Some(who)
					&& T::Nodes::standing(node).is_some_and(|s| s.registered_at <= registered_by)
			}
			Subject::Service(service) => {
				T::Services::owner(service).as_ref() == Some(who)
					&& T::Services::creator(service).as_ref() == Some(who)
					&& T::Services::registered_at(service).is_some_and(|at| at <= registered_by)
			}
		};
		if !counts {
			return None;
		}
		let score = Self::score_of(subject)?.total;
		Some(Voice { subject, weight: u64::from(score).saturating_add(1) })
	}

	fn electorate() -> u32 {
		T::Nodes::count().saturating_add(T::Services::count())
	}

	#[cfg(feature = "runtime-benchmarks")]
	fn give_weight_for_benchmark(who: &T::AccountId) {
		while (T::Nodes::nodes_of(who).len() as u32) < MAX_VOICES / 2 {
			let before = T::Nodes::nodes_of(who).len();
			T::Nodes::register_for_benchmark(who);
			if T::Nodes::nodes_of(who).len() == before {
				break;
			}
		}
	}
}
