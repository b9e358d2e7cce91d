//! How the set meets pallet-session, pallet-authorship and pallet-offences: planning sessions,
//! their length, counting authored blocks, removing offline validators, and slashing offences.

use alloc::vec::Vec;
use frame_support::{
	pallet_prelude::*,
	traits::{EstimateNextSessionRotation, ValidatorRegistration, ValidatorSet},
};
use sp_runtime::{
	traits::{Saturating, Zero},
	Perbill, Permill,
};
use sp_staking::{
	offence::{OffenceDetails, OnOffenceHandler},
	SessionIndex,
};

use crate::{pallet::*, BlockNumberOf, Departure, WeightInfo};

/// The historical session roots key-ownership proofs are checked against
/// (`pallet-session::historical`); the pallet prunes the ones older than
/// [`Config::KeptSessions`].
pub trait HistoricalSessions {
	/// Forget the roots of sessions before `index`.
	fn prune_up_to(index: SessionIndex);
}

impl HistoricalSessions for () {
	fn prune_up_to(_: SessionIndex) {}
}

impl<T: pallet_session::historical::Config> HistoricalSessions
	for pallet_session::historical::Pallet<T>
{
	fn prune_up_to(index: SessionIndex) {
		pallet_session::historical::Pallet::<T>::prune_up_to(index)
	}
}

/// Sessions last the rules' `session_length` blocks, counted from the current session's start;
/// pallet-session's `ShouldEndSession` and `NextSessionRotation`.
pub struct SessionLength<T>(core::marker::PhantomData<T>);

impl<T: Config> SessionLength<T> {
	fn length() -> BlockNumberOf<T> {
		Rules::<T>::get()
			.map(|rules| rules.session_length)
			.unwrap_or_else(|| crate::MIN_SESSION_LENGTH.into())
			.max(1u32.into())
	}

	fn next_rotation() -> BlockNumberOf<T> {
		SessionStart::<T>::get().saturating_add(Self::length())
	}
}

impl<T: Config> pallet_session::ShouldEndSession<BlockNumberOf<T>> for SessionLength<T> {
	fn should_end_session(now: BlockNumberOf<T>) -> bool {
		now >= Self::next_rotation()
	}
}

impl<T: Config> EstimateNextSessionRotation<BlockNumberOf<T>> for SessionLength<T> {
	fn average_session_length() -> BlockNumberOf<T> {
		Self::length()
	}

	fn estimate_current_session_progress(now: BlockNumberOf<T>) -> (Option<Permill>, Weight) {
		let done = now.saturating_sub(SessionStart::<T>::get());
		let progress = Permill::from_rational(done.min(Self::length()), Self::length());
		(Some(progress), T::DbWeight::get().reads(2))
	}

	fn estimate_next_session_rotation(
		_now: BlockNumberOf<T>,
	) -> (Option<BlockNumberOf<T>>, Weight) {
		(Some(Self::next_rotation()), T::DbWeight::get().reads(2))
	}
}

impl<T: Config> Pallet<T> {
	/// The set for session `index`, if it changed since the last one was planned. Validators
	/// without session keys are left out by pallet-session.
	fn plan_session(index: SessionIndex) -> Option<Vec<T::AccountId>> {
		T::History::prune_up_to(index.saturating_sub(T::KeptSessions::get()));
		if !SetChanged::<T>::take() {
			return None;
		}
		let set = ChosenSet::<T>::get().into_inner();
		Self::deposit_event(Event::NewSet { session: index, count: set.len() as u32 });
		Some(set)
	}

	/// At the end of session `index`: removes (and slashes) every validator of the session
	/// that authored no block in it, as long as the set keeps its least size; then clears the
	/// tally for the next session.
	fn judge_session(index: SessionIndex) {
		let active = T::ActiveValidators::validators();
		let session_length = SessionLength::<T>::length();
		// Each validator had at least two slots only if the session spans twice the set; and
		// the first session is when operators start their nodes.
		let judged =
			index > 0 && session_length >= BlockNumberOf::<T>::from(2 * active.len() as u32);
		if judged {
			for who in &active {
				if Authored::<T>::contains_key(who) || !ChosenSet::<T>::get().contains(who) {
					continue;
				}
				match Self::do_remove(who, Departure::Offline, T::OfflineSlash::get(), true) {
					Ok(_) => {}
					Err(_) => {
						Self::deposit_event(Event::OfflineKept { who: who.clone(), session: index })
					}
				}
			}
		}
		// A chosen validator whose session keys are gone (purged) is left out of every session
		// by pallet-session, so it is never judged by its blocks: it would hold a seat, and
		// count toward the least size, without validating. It counts as offline.
		for who in ChosenSet::<T>::get() {
			if !T::KeysRegistered::is_registered(&who)
				&& Self::do_remove(&who, Departure::Offline, T::OfflineSlash::get(), true).is_err()
			{
				Self::deposit_event(Event::OfflineKept { who, session: index });
			}
		}
		let _ = Authored::<T>::clear(T::MaxValidators::get(), None);
	}
}

impl<T: Config> pallet_session::SessionManager<T::AccountId> for Pallet<T> {
	fn new_session(index: SessionIndex) -> Option<Vec<T::AccountId>> {
		Self::plan_session(index)
	}

	/// The genesis set; with none, pallet-session takes the validators its genesis gives keys.
	fn new_session_genesis(_index: SessionIndex) -> Option<Vec<T::AccountId>> {
		let set = ChosenSet::<T>::get().into_inner();
		(!set.is_empty()).then_some(set)
	}

	fn end_session(index: SessionIndex) {
		Self::judge_session(index)
	}

	fn start_session(_index: SessionIndex) {
		SessionStart::<T>::put(frame_system::Pallet::<T>::block_number());
	}
}

/// With `pallet-session::historical`, whose key-ownership proofs carry no more than the
/// validator's account.
impl<T: Config> pallet_session::historical::SessionManager<T::AccountId, ()> for Pallet<T> {
	fn new_session(index: SessionIndex) -> Option<Vec<(T::AccountId, ())>> {
		Self::plan_session(index).map(|set| set.into_iter().map(|v| (v, ())).collect())
	}

	fn new_session_genesis(index: SessionIndex) -> Option<Vec<(T::AccountId, ())>> {
		<Self as pallet_session::SessionManager<T::AccountId>>::new_session_genesis(index)
			.map(|set| set.into_iter().map(|v| (v, ())).collect())
	}

	fn end_session(index: SessionIndex) {
		Self::judge_session(index)
	}

	fn start_session(index: SessionIndex) {
		<Self as pallet_session::SessionManager<T::AccountId>>::start_session(index)
	}
}

/// Counts the blocks each validator authors in the session (pallet-authorship).
impl<T: Config> pallet_authorship::EventHandler<T::AccountId, BlockNumberOf<T>> for Pallet<T> {
	fn note_author(author: T::AccountId) {
		Authored::<T>::mutate(&author, |count| *count = count.saturating_add(1));
		frame_system::Pallet::<T>::register_extra_weight_unchecked(
			T::DbWeight::get().reads_writes(1, 1),
			DispatchClass::Mandatory,
		);
	}
}

/// Offences (GRANDPA equivocations, through pallet-offences) slash the offender's bond by the
/// offence's fraction, and at least [`Config::EquivocationSlash`], and remove it from the set.
impl<T: Config> OnOffenceHandler<T::AccountId, (T::AccountId, ()), Weight> for Pallet<T> {
	fn on_offence(
		offenders: &[OffenceDetails<T::AccountId, (T::AccountId, ())>],
		slash_fraction: &[Perbill],
		session: SessionIndex,
	) -> Weight {
		let mut weight = Weight::zero();
		for (details, fraction) in offenders.iter().zip(slash_fraction) {
			let who = &details.offender.0;
			let share = (*fraction).max(T::EquivocationSlash::get());
			weight =
				weight.saturating_add(T::WeightInfo::remove_validator(T::MaxValidators::get()));
			if Self::do_remove(who, Departure::Equivocated, share, false).is_err() {
				// No longer a validator (or the last one): slash what it still has bonded.
				let amount = Self::slash_bond(who, share);
				if !amount.is_zero() {
					Self::deposit_event(Event::Slashed { who: who.clone(), amount, session });
				}
			}
		}
		weight
	}
}
