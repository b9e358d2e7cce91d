//! How the set meets pallet-session, pallet-authorship and pallet-offences: planning sessions,
//! their length, counting authored blocks, removing offline validators, and slashing offences.

use alloc::vec::Vec;
use frame_support::{
	pallet_prelude::*,
	traits::{
		EstimateNextSessionRotation, KeyOwnerProofSystem, ValidatorRegistration, ValidatorSet,
	},
};
use sp_runtime::{
	traits::{Saturating, Zero},
	KeyTypeId, Perbill, Permill,
};
use sp_session::MembershipProof;
use sp_staking::{
	offence::{OffenceDetails, OnOffenceHandler},
	SessionIndex,
};

use crate::{pallet::*, BlockNumberOf, Departure, SessionRecord, WeightInfo};

/// The session keys an account has set, as (key type, raw public key) pairs (pallet-session's
/// `NextKeys`): what the pallet records for each session, so an offence is proven against the
/// keys that session used, whatever the offender set since.
pub trait SessionKeysOf<AccountId> {
	/// `who`'s keys, if it has set any.
	fn session_keys(who: &AccountId) -> Option<Vec<(KeyTypeId, Vec<u8>)>>;
}

/// The longest raw public key recorded.
pub type MaxKeyLen = ConstU32<64>;

/// Sessions last the rules' `session_length` blocks, counted from the current session's start;
/// pallet-session's `ShouldEndSession` and `NextSessionRotation`.
pub struct SessionLength<T>(core::marker::PhantomData<T>);

impl<T: Config> SessionLength<T> {
	/// Blocks a session lasts under the rules.
	pub(crate) fn length() -> BlockNumberOf<T> {
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
	/// The set for session `index`: the chosen validators that have session keys (the others
	/// pallet-session would leave out anyway), handed over whenever it differs from the current
	/// session's. Records which account held each key in that session, and forgets the records
	/// of sessions older than [`Config::KeptSessions`].
	fn plan_session(index: SessionIndex) -> Option<Vec<T::AccountId>> {
		if let Some(old) = index.checked_sub(T::KeptSessions::get().saturating_add(1)) {
			let _ = KeyOwners::<T>::clear_prefix(old, 4 * T::MaxValidators::get(), None);
			Sessions::<T>::remove(old);
		}
		let changed = SetChanged::<T>::take();
		let mut set = Vec::new();
		for who in ChosenSet::<T>::get() {
			let Some(keys) = T::SessionKeys::session_keys(&who) else { continue };
			for (key_type, key) in keys {
				if let Ok(key) = BoundedVec::<u8, crate::MaxKeyLen>::try_from(key) {
					KeyOwners::<T>::insert(index, (key_type.0, key), &who);
				}
			}
			set.push(who);
		}
		Sessions::<T>::insert(index, SessionRecord { validators: set.len() as u32, start: None });
		if changed {
			Self::deposit_event(Event::NewSet { session: index, count: set.len() as u32 });
		}
		(changed || set != T::ActiveValidators::validators()).then_some(set)
	}

	/// Slashes `share` of `who`'s bond for session `index` without touching the set (it is no
	/// longer in it, or may not leave it), saying so if it took anything.
	fn slash_outside_the_set(who: &T::AccountId, share: Perbill, index: SessionIndex) {
		let amount = Self::slash_bond(who, share);
		if !amount.is_zero() {
			Self::deposit_event(Event::Slashed { who: who.clone(), amount, session: index });
		}
	}

	/// The session of the block after `parent`, whose author `parent`'s state names: the one
	/// whose start is at or before `parent` and whose successor's is after it.
	pub(crate) fn session_after(parent: BlockNumberOf<T>) -> Option<SessionIndex> {
		let current = T::ActiveValidators::session_index();
		(current.saturating_sub(T::KeptSessions::get())..=current).rev().find(|index| {
			Sessions::<T>::get(index)
				.and_then(|record| record.start)
				.is_some_and(|start| start <= parent)
		})
	}

	/// At the end of session `index`: counts, for every validator of the session that
	/// authored no block in it, the judged sessions in a row it has been silent, and removes
	/// (and slashes) those silent for [`Config::OfflineSessions`], as long as the set keeps its
	/// least size (a session too short to judge only ends the streaks of those that authored);
	/// then clears the tally for the next session.
	fn judge_session(index: SessionIndex) {
		let active = T::ActiveValidators::validators();
		let session_length = SessionLength::<T>::length();
		// Each validator had at least two slots only if the session spans twice the set; and
		// the first session is when operators start their nodes. A session not judged does not
		// lengthen a streak, but a block in it still ends one (it shows the node is up), and a
		// validator no longer in the session leaves its streak behind.
		let judged =
			index > 0 && session_length >= BlockNumberOf::<T>::from(2 * active.len() as u32);
		let streaks = SilentStreaks::<T>::get();
		let streak_of = |who: &T::AccountId| {
			streaks.iter().find_map(|(silent, streak)| (silent == who).then_some(*streak))
		};
		let mut still_silent = BoundedVec::<_, T::MaxValidators>::new();
		let chosen = ChosenSet::<T>::get();
		for who in &active {
			if Authored::<T>::contains_key(who) {
				continue;
			}
			let streak = match (judged, streak_of(who)) {
				(true, earlier) => earlier.unwrap_or(0).saturating_add(1),
				(false, Some(earlier)) => earlier,
				(false, None) => continue,
			};
			if !judged || streak < T::OfflineSessions::get() {
				if still_silent.try_push((who.clone(), streak)).is_err() {
					// pallet-session's set comes from the chosen set, at most `MaxValidators`.
					frame_support::defensive!("more active validators than MaxValidators");
				}
				continue;
			}
			if !chosen.contains(who) {
				// It left (or was removed) but still had its seats: leaving and switching off
				// at once costs the same as vanishing.
				Self::slash_outside_the_set(who, T::OfflineSlash::get(), index);
				continue;
			}
			if Self::do_remove(who, Departure::Offline, T::OfflineSlash::get()).is_err() {
				// Kept at the least size: judged again after as many silent sessions.
				Self::deposit_event(Event::OfflineKept { who: who.clone(), session: index })
			}
		}
		SilentStreaks::<T>::put(still_silent);
		// A chosen validator whose session keys are gone (purged) is left out of every session
		// by pallet-session, so it is never judged by its blocks: it would hold a seat, and
		// count toward the least size, without validating. It counts as offline.
		for who in ChosenSet::<T>::get() {
			if !T::KeysRegistered::is_registered(&who)
				&& Self::do_remove(&who, Departure::Offline, T::OfflineSlash::get()).is_err()
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
	fn new_session_genesis(index: SessionIndex) -> Option<Vec<T::AccountId>> {
		if ChosenSet::<T>::get().is_empty() {
			return None;
		}
		SetChanged::<T>::put(true);
		Self::plan_session(index)
	}

	fn end_session(index: SessionIndex) {
		Self::judge_session(index)
	}

	fn start_session(index: SessionIndex) {
		let now = frame_system::Pallet::<T>::block_number();
		SessionStart::<T>::put(now);
		Sessions::<T>::mutate(index, |record| {
			if let Some(record) = record {
				record.start = Some(now);
			}
		});
	}
}

/// Key-ownership proofs against the keys each kept session used, as the pallet recorded them
/// when it planned the session. (pallet-session's historical tries are built from the keys set
/// now, so a validator that rotated its keys could no longer be proven to have held the old
/// ones in the sessions it still signed with them.) A proof names its session and that
/// session's validator count; the chain holds the rest.
impl<T: Config, D: AsRef<[u8]>> KeyOwnerProofSystem<(KeyTypeId, D)> for Pallet<T> {
	type Proof = MembershipProof;
	type IdentificationTuple = (T::AccountId, ());

	fn prove((key_type, key): (KeyTypeId, D)) -> Option<MembershipProof> {
		let session = T::ActiveValidators::session_index();
		let proof = MembershipProof {
			session,
			trie_nodes: Vec::new(),
			validator_count: Sessions::<T>::get(session)?.validators,
		};
		Self::check_proof((key_type, key), proof.clone()).map(|_| proof)
	}

	fn check_proof(
		(key_type, key): (KeyTypeId, D),
		proof: MembershipProof,
	) -> Option<(T::AccountId, ())> {
		let record = Sessions::<T>::get(proof.session)?;
		if record.validators != proof.validator_count || !proof.trie_nodes.is_empty() {
			return None;
		}
		let key = BoundedVec::<u8, crate::MaxKeyLen>::try_from(key.as_ref().to_vec()).ok()?;
		KeyOwners::<T>::get(proof.session, (key_type.0, key)).map(|who| (who, ()))
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

/// Offences (GRANDPA's and Aura's equivocations, through pallet-offences) slash the offender's
/// bond by the offence's fraction, and at least [`Config::EquivocationSlash`], and remove it
/// from the set (down to the rules' least size). Slashes do not add up: since its bond was
/// put up, an offender loses at most the highest fraction of any one offence (one incident is
/// many rounds and slots, each an offence; pallet-offences also hands earlier offenders of a
/// time slot over again with each new report of it).
impl<T: Config> OnOffenceHandler<T::AccountId, (T::AccountId, ()), Weight> for Pallet<T> {
	fn on_offence(
		offenders: &[OffenceDetails<T::AccountId, (T::AccountId, ())>],
		slash_fraction: &[Perbill],
		session: SessionIndex,
	) -> Weight {
		let mut weight = Weight::zero();
		for (details, fraction) in offenders.iter().zip(slash_fraction) {
			let who = &details.offender.0;
			let fraction = (*fraction).max(T::EquivocationSlash::get());
			let applied = SlashedFraction::<T>::get(who);
			// What this offence adds to the span's slash, as a share of what is left.
			let extra = if fraction <= applied {
				Perbill::zero()
			} else {
				Perbill::from_rational(
					(fraction - applied).deconstruct(),
					(Perbill::one() - applied).deconstruct().max(1),
				)
			};
			SlashedFraction::<T>::insert(who, fraction.max(applied));
			weight =
				weight.saturating_add(T::WeightInfo::remove_validator(T::MaxValidators::get()));
			if Self::do_remove(who, Departure::Equivocated, extra).is_err() {
				// No longer a validator, or the set is at its least size: slash what it has
				// bonded all the same.
				Self::slash_outside_the_set(who, extra, session);
			}
		}
		weight
	}
}
