//! Standing, joining and leaving: the logic behind the calls, and slashing.

use frame_support::{
	ensure,
	pallet_prelude::*,
	traits::{
		fungible::{BalancedHold, InspectHold, MutateHold},
		tokens::Precision,
		Imbalance, OnUnbalanced, ValidatorRegistration,
	},
};
use micro_primitives::{NodeDirectory, NodeId, ReputationLedger, Subject};
use sp_runtime::{
	traits::{Saturating, Zero},
	DispatchResult, Perbill,
};

use crate::{
	pallet::*, BalanceOf, BlockNumberOf, Candidate, Departure, ValidatorRules, MIN_SESSION_LENGTH,
};

impl<T: Config> Pallet<T> {
	/// Whether `rules` are within bounds.
	pub(crate) fn check_rules(
		rules: &ValidatorRules<BalanceOf<T>, BlockNumberOf<T>>,
	) -> Result<(), Error<T>> {
		ensure!(
			rules.min_validators >= 1
				&& rules.min_validators <= T::MaxValidators::get()
				&& rules.session_length >= MIN_SESSION_LENGTH.into()
				&& rules.session_length.saturating_mul(T::KeptSessions::get().into())
					<= T::BondingDuration::get(),
			Error::<T>::InvalidRules
		);
		Ok(())
	}

	pub(crate) fn do_apply(who: T::AccountId, node: NodeId) -> DispatchResult {
		ensure!(!Candidates::<T>::contains_key(&who), Error::<T>::AlreadyCandidate);
		ensure!(!Unbonding::<T>::contains_key(&who), Error::<T>::StillUnbonding);
		ensure!(Candidates::<T>::count() < T::MaxCandidates::get(), Error::<T>::TooManyCandidates);
		ensure!(T::Nodes::operator(node).as_ref() == Some(&who), Error::<T>::NotNodeOperator);
		ensure!(!NodeCandidate::<T>::contains_key(node), Error::<T>::NodeTaken);
		let rules = Rules::<T>::get().ok_or(Error::<T>::NoRules)?;
		let standing = T::Nodes::standing(node).ok_or(Error::<T>::NotNodeOperator)?;
		ensure!(standing.age >= rules.min_node_age, Error::<T>::NodeTooYoung);
		ensure!(standing.online, Error::<T>::NodeOffline);
		ensure!(
			T::Reputation::score(Subject::Node(node)) >= rules.min_score,
			Error::<T>::ScoreTooLow
		);
		ensure!(T::KeysRegistered::is_registered(&who), Error::<T>::NoSessionKeys);
		T::Currency::hold(&HoldReason::ValidatorBond.into(), &who, rules.bond)?;
		Candidates::<T>::insert(&who, Candidate { node: Some(node), bond: rules.bond });
		// A new bond starts a new slashing span.
		SlashedFraction::<T>::remove(&who);
		NodeCandidate::<T>::insert(node, &who);
		Self::deposit_event(Event::Applied { who, node, bond: rules.bond });
		Ok(())
	}

	pub(crate) fn do_withdraw_candidacy(who: T::AccountId) -> DispatchResult {
		ensure!(Candidates::<T>::contains_key(&who), Error::<T>::NotCandidate);
		ensure!(!ChosenSet::<T>::get().contains(&who), Error::<T>::IsValidator);
		let until = Self::end_candidacy(&who);
		Self::deposit_event(Event::CandidacyWithdrawn { who, until });
		Ok(())
	}

	pub(crate) fn do_add(who: T::AccountId) -> DispatchResult {
		let candidate = Candidates::<T>::get(&who).ok_or(Error::<T>::NotCandidate)?;
		// The candidate's node may have been deregistered, sold or left offline since it
		// applied: a seat given to a node that is not running stalls finality sooner.
		if let Some(node) = candidate.node {
			ensure!(T::Nodes::operator(node).as_ref() == Some(&who), Error::<T>::NotNodeOperator);
			ensure!(T::Nodes::is_online(node), Error::<T>::NodeOffline);
		}
		ensure!(T::KeysRegistered::is_registered(&who), Error::<T>::NoSessionKeys);
		ChosenSet::<T>::try_mutate(|set| {
			ensure!(!set.contains(&who), Error::<T>::AlreadyCandidate);
			set.try_push(who.clone()).map_err(|_| Error::<T>::TooManyValidators)
		})?;
		SetChanged::<T>::put(true);
		Self::deposit_event(Event::Added { who });
		Ok(())
	}

	/// Takes `who` out of the set (at the session after next), slashes `slash` of its bond and
	/// ends its candidacy; refuses to go below the rules' least set size.
	pub(crate) fn do_remove(
		who: &T::AccountId,
		reason: Departure,
		slash: Perbill,
	) -> Result<BalanceOf<T>, DispatchError> {
		let least = Rules::<T>::get().map(|rules| rules.min_validators).unwrap_or(1).max(1);
		ChosenSet::<T>::try_mutate(|set| {
			let index = set.iter().position(|v| v == who).ok_or(Error::<T>::NotValidator)?;
			ensure!(set.len() > least as usize, Error::<T>::TooFewValidators);
			set.remove(index);
			Ok::<_, DispatchError>(())
		})?;
		SetChanged::<T>::put(true);
		let slashed = Self::slash_bond(who, slash);
		let until = Self::end_candidacy(who);
		Self::deposit_event(Event::Removed { who: who.clone(), reason, slashed, until });
		Ok(slashed)
	}

	/// Moves `who`'s bond from its candidacy to unbonding, returning when it comes back: the
	/// bonding period after the two sessions it may still validate in (the set changes at the
	/// session after next), so offences of those sessions find the bond too.
	pub(crate) fn end_candidacy(who: &T::AccountId) -> BlockNumberOf<T> {
		let still_validating = crate::SessionLength::<T>::length().saturating_mul(2u32.into());
		let until = frame_system::Pallet::<T>::block_number()
			.saturating_add(still_validating)
			.saturating_add(T::BondingDuration::get());
		if let Some(candidate) = Candidates::<T>::take(who) {
			if let Some(node) = candidate.node {
				NodeCandidate::<T>::remove(node);
			}
			Unbonding::<T>::mutate(who, |unbonding| {
				let amount =
					unbonding.map(|u| u.amount).unwrap_or_default().saturating_add(candidate.bond);
				*unbonding = Some(crate::types::UnbondingBond { amount, until });
			});
		}
		until
	}

	/// Slashes `share` of `who`'s bond, standing or unbonding, to [`Config::Slashed`]; returns
	/// what it took.
	pub(crate) fn slash_bond(who: &T::AccountId, share: Perbill) -> BalanceOf<T> {
		if share.is_zero() {
			return Zero::zero();
		}
		let mut taken = BalanceOf::<T>::zero();
		if let Some(mut candidate) = Candidates::<T>::get(who) {
			let took = Self::slash_held(who, share, &mut candidate.bond);
			Candidates::<T>::insert(who, candidate);
			taken = taken.saturating_add(took);
		}
		if let Some(mut unbonding) = Unbonding::<T>::get(who) {
			let took = Self::slash_held(who, share, &mut unbonding.amount);
			Unbonding::<T>::insert(who, unbonding);
			taken = taken.saturating_add(took);
		}
		taken
	}

	/// Slashes `share` of `bond` from `who`'s held bond to [`Config::Slashed`], lowering `bond`
	/// by what it took; returns that.
	fn slash_held(who: &T::AccountId, share: Perbill, bond: &mut BalanceOf<T>) -> BalanceOf<T> {
		let reason = HoldReason::ValidatorBond.into();
		let (credit, _) = T::Currency::slash(&reason, who, share.mul_ceil(*bond));
		let took = credit.peek();
		*bond = bond.saturating_sub(took);
		T::Slashed::on_unbalanced(credit);
		took
	}

	pub(crate) fn do_withdraw_unbonded(who: T::AccountId) -> DispatchResult {
		let unbonding = Unbonding::<T>::get(&who).ok_or(Error::<T>::NothingUnbonding)?;
		ensure!(
			frame_system::Pallet::<T>::block_number() >= unbonding.until,
			Error::<T>::StillBonded
		);
		let reason = HoldReason::ValidatorBond.into();
		// Slashes may have taken from the hold what the record still counts; release what is
		// there, up to the record.
		let held = T::Currency::balance_on_hold(&reason, &who);
		let amount = unbonding.amount.min(held);
		T::Currency::release(&reason, &who, amount, Precision::BestEffort)?;
		Unbonding::<T>::remove(&who);
		SlashedFraction::<T>::remove(&who);
		Self::deposit_event(Event::Withdrawn { who, amount });
		Ok(())
	}
}
