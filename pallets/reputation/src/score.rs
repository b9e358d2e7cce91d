//! The reputation formula, in one place.
//!
//! A score runs from 0 to [`MAX_SCORE`] (1000) and is the sum of four parts, less penalties,
//! all in saturating integer arithmetic so every node computes the same number:
//!
//! | part        | points                                                        | cap |
//! |-------------|---------------------------------------------------------------|-----|
//! | age         | 1 per day in the network                                      | 200 |
//! | reliability | nodes: uptime share × 10 per day of age, up to 30 days;       | 300 |
//! |             | services: 10 per day of age, up to 30 days, while available    |     |
//! | usage       | 15 per binary digit of the value of paid usage, in units of   | 300 |
//! |             | [`crate::Config::UsageValueUnit`] (1 unit: 15, 1 000: 150,    |     |
//! |             | 1 000 000: 300)                                               |     |
//! | contracts   | 10 per recorded contract fulfilled                            | 200 |
//!
//! Penalties: 100 per dispute lost, 25 per failed settlement, 20 per outage while serving,
//! 100 per contract breached. A service is available while some node ran a live version of it at
//! its last heartbeat and that heartbeat is within the TTL. A day is
//! [`crate::Config::BlocksPerDay`] blocks.
//!
//! ## Usage counts only what someone else paid for
//! The value of paid usage is the MICRO that backed the API tokens consumers spent on the
//! subject's calls, settled on-chain, and only from consumers other than the service's owner and
//! the node's operator (the settlement pallet reports nothing else). Calls to a free service, or
//! paid by the owner or operator to themselves, earn nothing. A second account the owner
//! controls can still pay the owner's service, but loses the 5% charity and operations shares
//! of all it pays: the usage points cost real MICRO, doubling with every 15.

use micro_primitives::{PartsPerMillion, Score, MAX_SCORE};

use crate::{Record, ScoreBreakdown};

/// Most points for age.
pub const AGE_CAP: Score = 200;
/// Most points for reliability.
pub const RELIABILITY_CAP: Score = 300;
/// Days of age over which reliability points ramp up to their cap.
pub const RELIABILITY_RAMP_DAYS: Score = 30;
/// Points per binary digit of the value of paid usage, in usage value units.
pub const USAGE_POINTS_PER_BIT: Score = 15;
/// Most points for usage.
pub const USAGE_CAP: Score = 300;
/// Points per contract fulfilled.
pub const CONTRACT_POINTS: Score = 10;
/// Most points for contracts.
pub const CONTRACTS_CAP: Score = 200;
/// Penalty per dispute lost.
pub const DISPUTE_PENALTY: Score = 100;
/// Penalty per failed settlement.
pub const FAILED_SETTLEMENT_PENALTY: Score = 25;
/// Penalty per outage while serving.
pub const OFFLINE_PENALTY: Score = 20;
/// Penalty per contract breached.
pub const BREACH_PENALTY: Score = 100;

/// How reliable the subject has been: a node's uptime, or whether a service is available now.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Reliability {
	/// A node's share of time online, in parts per million.
	Uptime(PartsPerMillion),
	/// Whether a service is available now.
	Available(bool),
}

/// The score of a subject `age_days` old with `reliability` and `record`, its paid usage
/// counted in units of `usage_unit` (treated as 1 if zero).
pub fn compute(
	age_days: u32,
	reliability: Reliability,
	record: &Record,
	usage_unit: u128,
) -> ScoreBreakdown {
	let age = age_days.min(AGE_CAP);
	let ramp = age_days.min(RELIABILITY_RAMP_DAYS);
	let full = RELIABILITY_CAP / RELIABILITY_RAMP_DAYS;
	let reliability = match reliability {
		Reliability::Uptime(ppm) => {
			let ppm = u64::from(ppm.min(1_000_000));
			(u64::from(ramp * full) * ppm / 1_000_000) as Score
		}
		Reliability::Available(true) => ramp * full,
		Reliability::Available(false) => 0,
	};
	let units = record.paid_value / usage_unit.max(1);
	let bits = u128::BITS - units.leading_zeros();
	let usage = bits.saturating_mul(USAGE_POINTS_PER_BIT).min(USAGE_CAP);
	let contracts = record.contracts_fulfilled.saturating_mul(CONTRACT_POINTS).min(CONTRACTS_CAP);
	let penalties = record
		.disputes
		.saturating_mul(DISPUTE_PENALTY)
		.saturating_add(record.failed_settlements.saturating_mul(FAILED_SETTLEMENT_PENALTY))
		.saturating_add(record.offline_while_serving.saturating_mul(OFFLINE_PENALTY))
		.saturating_add(record.contracts_breached.saturating_mul(BREACH_PENALTY));
	let total = age
		.saturating_add(reliability)
		.saturating_add(usage)
		.saturating_add(contracts)
		.saturating_sub(penalties)
		.min(MAX_SCORE);
	ScoreBreakdown { age, reliability, usage, contracts, penalties, total }
}

#[cfg(test)]
mod tests {
	use super::*;

	/// The usage value unit of the tests.
	const UNIT: u128 = 10_000_000_000;

	fn record() -> Record {
		Record::default()
	}

	#[test]
	fn a_newcomer_scores_zero() {
		assert_eq!(compute(0, Reliability::Uptime(1_000_000), &record(), UNIT).total, 0);
		assert_eq!(compute(0, Reliability::Available(true), &record(), UNIT).total, 0);
	}

	#[test]
	fn time_and_uptime_raise_the_score_up_to_their_caps() {
		assert_eq!(compute(10, Reliability::Uptime(1_000_000), &record(), UNIT).total, 10 + 100);
		assert_eq!(compute(10, Reliability::Uptime(500_000), &record(), UNIT).total, 10 + 50);
		assert_eq!(compute(30, Reliability::Uptime(1_000_000), &record(), UNIT).total, 30 + 300);
		assert_eq!(compute(365, Reliability::Uptime(1_000_000), &record(), UNIT).total, 200 + 300);
		assert_eq!(compute(365, Reliability::Uptime(u32::MAX), &record(), UNIT).total, 500);
		assert_eq!(compute(365, Reliability::Available(false), &record(), UNIT).total, 200);
	}

	#[test]
	fn usage_counts_the_paid_value_by_orders_of_magnitude() {
		let usage = |value| {
			compute(
				0,
				Reliability::Available(false),
				&Record { paid_value: value, ..record() },
				UNIT,
			)
			.usage
		};
		assert_eq!(usage(0), 0);
		assert_eq!(usage(UNIT - 1), 0, "less than a unit counts for nothing");
		assert_eq!(usage(UNIT), 15);
		assert_eq!(usage(1_000 * UNIT), 150);
		assert_eq!(usage(1_000_000 * UNIT), 300);
		assert_eq!(usage(u128::MAX), 300);
		assert_eq!(
			compute(0, Reliability::Available(false), &Record { paid_value: 8, ..record() }, 0)
				.usage,
			60,
			"a zero unit counts as one"
		);
	}

	#[test]
	fn calls_without_value_earn_no_usage_points() {
		let unpaid = Record { settled_calls: u64::MAX, paid_calls: u64::MAX, ..record() };
		assert_eq!(compute(0, Reliability::Available(false), &unpaid, UNIT).usage, 0);
	}

	#[test]
	fn penalties_take_points_off_and_never_go_below_zero() {
		let good = Record { paid_value: 1_000 * UNIT, contracts_fulfilled: 3, ..record() };
		let base = compute(40, Reliability::Uptime(1_000_000), &good, UNIT);
		assert_eq!(base.total, 40 + 300 + 150 + 30);
		let disputed =
			compute(40, Reliability::Uptime(1_000_000), &Record { disputes: 1, ..good }, UNIT);
		assert_eq!(disputed.total, base.total - 100);
		let outages = compute(
			40,
			Reliability::Uptime(1_000_000),
			&Record { offline_while_serving: 2, ..good },
			UNIT,
		);
		assert_eq!(outages.total, base.total - 40);
		let failures = compute(
			40,
			Reliability::Uptime(1_000_000),
			&Record { failed_settlements: 4, ..good },
			UNIT,
		);
		assert_eq!(failures.total, base.total - 100);
		let breached = compute(
			40,
			Reliability::Uptime(1_000_000),
			&Record { contracts_breached: u32::MAX, ..good },
			UNIT,
		);
		assert_eq!(breached.total, 0);
	}

	#[test]
	fn the_score_never_exceeds_the_maximum() {
		let best = Record { paid_value: u128::MAX, contracts_fulfilled: u32::MAX, ..record() };
		let breakdown = compute(u32::MAX, Reliability::Uptime(1_000_000), &best, UNIT);
		assert_eq!(breakdown.total, MAX_SCORE);
	}
}
