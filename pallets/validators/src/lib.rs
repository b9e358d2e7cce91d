//! # Validators chosen by the network
//!
//! The Aura and GRANDPA authorities of a Micro Network chain are not fixed at genesis: they are
//! the validator set this pallet keeps, handed to `pallet-session` at every session boundary.
//! The set changes only by the network's own rules:
//!
//! - [`Pallet::apply`]: the operator of a registered node whose reputation score and age meet
//!   the [`ValidatorRules`], with session keys set (`session.setKeys`), stands as a candidate,
//!   holding the rules' bond.
//! - [`Pallet::add_validator`] and [`Pallet::remove_validator`]: a passed governance proposal
//!   adds a candidate to the set or removes a validator.
//! - [`Pallet::leave`]: a validator leaves by itself; [`Pallet::withdraw_candidacy`]: a
//!   candidate that is not a validator stops standing.
//! - **Offline:** a validator that authored no block in [`Config::OfflineSessions`] judged
//!   sessions in a row is removed by code, with [`Config::OfflineSlash`] of its bond slashed.
//! - **Equivocation:** an offence reported through `pallet-offences` (GRANDPA's double votes,
//!   and Aura's double blocks through [`Pallet::report_aura_equivocation`], both proven with
//!   key-ownership proofs against the keys the pallet recorded for the offence's session)
//!   slashes [`Config::EquivocationSlash`] of the offender's bond, or more if the offence says
//!   so (never more than the highest fraction of one offence since the bond was put up), and
//!   removes it down to the set's least size.
//! - [`Pallet::withdraw_unbonded`]: a bond comes back [`Config::BondingDuration`] blocks after
//!   its owner stopped standing; until then it stays held and slashable.
//! - [`Pallet::set_rules`]: the rules (bond, minimum score and node age, the least set size,
//!   the session length) change only through governance.
//!
//! Every change applies at a session boundary: a change made during session `i` is planned at
//! its end and takes effect when session `i + 2` starts (pallet-session queues one session
//! ahead, so every node learns the next keys a session before they sign).
//!
//! ## The attacks each rule stops
//! - **Sybil validators:** money alone buys no seat. A seat needs a registered node of a given
//!   age and reputation, a bond, and a vote of the network's nodes and services (weighted by
//!   reputation, not money: `pallet-micro-governance`).
//! - **A validator that vanishes** stalls finality once a third of the set is gone: one that
//!   authors nothing for [`Config::OfflineSessions`] judged sessions in a row is removed by code
//!   and pays for it, without a vote. So is one that drops its session keys, which would
//!   otherwise keep its seat unjudged. A session is judged only when it is long enough (at
//!   least two slots for each validator) that an online validator cannot miss all of its slots,
//!   and the first session, when operators start their nodes, is not judged. Asking for more
//!   than one session in a row keeps an honest node that was overloaded or restarting for one
//!   session (every one of its slots missed) from losing its seat and bond: the same judgement
//!   Polkadot makes when it only punishes validators that stay unavailable.
//! - **Removing validators until one party holds the chain** (by votes, by leaving, by
//!   knocking others offline, or by replaying old votes as equivocations): nothing shrinks the
//!   set below the rules' `min_validators`.
//! - **Evading a proof by rotating keys:** offences are proven against the keys each session
//!   used, recorded when it was planned, not the keys set now.
//! - **Draining a bond with one incident** (every round and slot of it an offence): slashes of
//!   one bond do not add up past the highest fraction of a single offence.
//! - **Equivocating and running with the bond:** a bond stays held and slashable for
//!   [`Config::BondingDuration`] after its owner stops standing, at least as long as the window
//!   in which an equivocation can be proven ([`Config::KeptSessions`] sessions: the rules
//!   refuse a session length that would make it longer).
//! - **Recycled deposits:** a node stands for one candidate, its operator; an account with a
//!   bond on its way back cannot stand again until it is withdrawn.
//! - **Unbounded state:** candidates ([`Config::MaxCandidates`]), validators
//!   ([`Config::MaxValidators`]), the authorship tally (one entry per validator, cleared each
//!   session), the silent streaks (one per active validator) and the key records ([`Config::KeptSessions`] sessions) are all bounded.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;

pub mod aura_equivocation;
#[cfg(feature = "runtime-benchmarks")]
pub mod benchmarking;
mod candidacy;
pub mod runtime_api;
mod session;
pub mod types;
pub mod weights;

#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;

pub use aura_equivocation::{AuraEquivocationOffence, AuraEquivocationProof};
pub use session::{MaxKeyLen, SessionKeysOf, SessionLength};
pub use types::*;
pub use weights::WeightInfo;

#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use alloc::boxed::Box;
	use alloc::vec::Vec;
	use frame_support::{
		pallet_prelude::*,
		traits::{
			fungible::{BalancedHold, Credit, Inspect, Mutate, MutateHold},
			OnUnbalanced, ValidatorRegistration, ValidatorSet,
		},
	};
	use frame_system::pallet_prelude::*;
	use micro_primitives::{NodeDirectory, NodeId, ReputationLedger};
	use sp_runtime::{traits::Zero, Perbill, RuntimeAppPublic};
	use sp_session::MembershipProof;
	use sp_staking::{offence::ReportOffence, SessionIndex};

	/// The storage layout version.
	const STORAGE_VERSION: StorageVersion = StorageVersion::new(0);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	/// Why this pallet holds funds.
	#[pallet::composite_enum]
	pub enum HoldReason {
		/// A validator candidate's bond.
		#[codec(index = 0)]
		ValidatorBond,
	}

	#[pallet::config]
	pub trait Config: frame_system::Config {
		/// The currency bonds are held in.
		type Currency: Inspect<Self::AccountId>
			+ Mutate<Self::AccountId>
			+ MutateHold<Self::AccountId, Reason = Self::RuntimeHoldReason>
			+ BalancedHold<Self::AccountId>;
		/// The runtime's hold reasons.
		type RuntimeHoldReason: From<HoldReason>;
		/// Where slashed bonds go.
		type Slashed: OnUnbalanced<Credit<Self::AccountId, Self::Currency>>;
		/// The registered nodes a candidate stands with.
		type Nodes: NodeDirectory<Self::AccountId, BlockNumberFor<Self>>;
		/// Nodes' reputation scores.
		type Reputation: ReputationLedger;
		/// Whether an account has session keys set (`pallet-session`).
		type KeysRegistered: ValidatorRegistration<Self::AccountId>;
		/// The validators of the current session (`pallet-session`).
		type ActiveValidators: ValidatorSet<Self::AccountId, ValidatorId = Self::AccountId>;
		/// Each account's session keys (pallet-session's), recorded for every session.
		type SessionKeys: SessionKeysOf<Self::AccountId>;
		/// Aura's authority key, which seals blocks.
		type AuraId: RuntimeAppPublic + Member + Parameter;
		/// Where Aura equivocations are reported (`pallet-offences`, which hands them back to
		/// this pallet's offence handler).
		type ReportOffence: ReportOffence<
			Self::AccountId,
			(Self::AccountId, ()),
			AuraEquivocationOffence<(Self::AccountId, ())>,
		>;
		/// Blocks an Aura equivocation report stays in a node's pool.
		#[pallet::constant]
		type ReportLongevity: Get<u64>;
		/// Who adds and removes validators and changes the rules: a passed proposal.
		type GovernanceOrigin: EnsureOrigin<Self::RuntimeOrigin>;
		/// The most validators the set holds.
		#[pallet::constant]
		type MaxValidators: Get<u32>;
		/// The most candidates (validators included) that may stand at once.
		#[pallet::constant]
		type MaxCandidates: Get<u32>;
		/// Share of its bond a validator found offline loses.
		#[pallet::constant]
		type OfflineSlash: Get<Perbill>;
		/// Judged sessions in a row without a block of its own that make a validator offline
		/// (at least 1): one overloaded or restarting node may miss every slot of one session.
		#[pallet::constant]
		type OfflineSessions: Get<u32>;
		/// The least share of its bond an equivocating validator loses.
		#[pallet::constant]
		type EquivocationSlash: Get<Perbill>;
		/// Blocks a bond stays held (and slashable) after its owner stops standing.
		#[pallet::constant]
		type BondingDuration: Get<BlockNumberFor<Self>>;
		/// Sessions whose key records are kept: offences older than this cannot be proven.
		#[pallet::constant]
		type KeptSessions: Get<SessionIndex>;
		/// Weights of the calls and hooks.
		type WeightInfo: WeightInfo;
		/// Benchmarks only: gives accounts session keys.
		#[cfg(feature = "runtime-benchmarks")]
		type BenchmarkHelper: crate::benchmarking::BenchmarkHelper<Self::AccountId>;
	}

	/// The rules in force.
	#[pallet::storage]
	pub type Rules<T: Config> =
		StorageValue<_, ValidatorRules<BalanceOf<T>, BlockNumberFor<T>>, OptionQuery>;

	/// Everyone standing, validators included, with their bonds.
	#[pallet::storage]
	pub type Candidates<T: Config> =
		CountedStorageMap<_, Blake2_128Concat, T::AccountId, Candidate<BalanceOf<T>>, OptionQuery>;

	/// The validator set the network chose; pallet-session applies it at session boundaries.
	#[pallet::storage]
	pub type ChosenSet<T: Config> =
		StorageValue<_, BoundedVec<T::AccountId, T::MaxValidators>, ValueQuery>;

	/// Whether [`ChosenSet`] changed since the last session was planned.
	#[pallet::storage]
	pub type SetChanged<T: Config> = StorageValue<_, bool, ValueQuery>;

	/// The node each candidate stands with, so a node backs one candidate at a time.
	#[pallet::storage]
	pub type NodeCandidate<T: Config> =
		StorageMap<_, Twox64Concat, NodeId, T::AccountId, OptionQuery>;

	/// Blocks each validator authored in the current session.
	#[pallet::storage]
	pub type Authored<T: Config> = StorageMap<_, Blake2_128Concat, T::AccountId, u32, ValueQuery>;

	/// The active validators that authored nothing in the last judged sessions, with how many
	/// of them in a row.
	#[pallet::storage]
	pub type SilentStreaks<T: Config> =
		StorageValue<_, BoundedVec<(T::AccountId, u32), T::MaxValidators>, ValueQuery>;

	/// The block the current session started in.
	#[pallet::storage]
	pub type SessionStart<T: Config> = StorageValue<_, BlockNumberFor<T>, ValueQuery>;

	/// Bonds on their way back: held until their block, slashable until then.
	#[pallet::storage]
	pub type Unbonding<T: Config> = StorageMap<
		_,
		Blake2_128Concat,
		T::AccountId,
		types::UnbondingBond<BalanceOf<T>, BlockNumberFor<T>>,
		OptionQuery,
	>;

	/// Which account held each session key (by key type and raw public key) in each kept
	/// session: what offences are proven against (see [`SessionKeysOf`]).
	#[pallet::storage]
	pub type KeyOwners<T: Config> = StorageDoubleMap<
		_,
		Twox64Concat,
		SessionIndex,
		Blake2_128Concat,
		([u8; 4], BoundedVec<u8, MaxKeyLen>),
		T::AccountId,
		OptionQuery,
	>;

	/// Each kept session's validator count and first block.
	#[pallet::storage]
	pub type Sessions<T: Config> =
		StorageMap<_, Twox64Concat, SessionIndex, SessionRecord<BlockNumberFor<T>>, OptionQuery>;

	/// The highest share of its bond an offence took from each account since it last put one
	/// up: later offences take only what exceeds it.
	#[pallet::storage]
	pub type SlashedFraction<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, Perbill, ValueQuery>;

	#[pallet::genesis_config]
	pub struct GenesisConfig<T: Config> {
		/// The bond a candidate holds.
		pub bond: BalanceOf<T>,
		/// The least reputation score of a candidate's node.
		pub min_score: micro_primitives::Score,
		/// The least age of a candidate's node, in blocks.
		pub min_node_age: BlockNumberFor<T>,
		/// The least validators the set keeps.
		pub min_validators: u32,
		/// Blocks a session lasts.
		pub session_length: BlockNumberFor<T>,
		/// The first validators, each with the bond held from it (zero for a validator whose
		/// account holds nothing at genesis).
		pub validators: Vec<(T::AccountId, BalanceOf<T>)>,
	}

	/// No validators, no bond, the shortest sessions: a chain spec sets its own.
	impl<T: Config> Default for GenesisConfig<T> {
		fn default() -> Self {
			Self {
				bond: Zero::zero(),
				min_score: 0,
				min_node_age: Zero::zero(),
				min_validators: 1,
				session_length: MIN_SESSION_LENGTH.into(),
				validators: Vec::new(),
			}
		}
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		fn build(&self) {
			let rules = ValidatorRules {
				bond: self.bond,
				min_score: self.min_score,
				min_node_age: self.min_node_age,
				min_validators: self.min_validators,
				session_length: self.session_length,
			};
			Pallet::<T>::check_rules(&rules).expect("the genesis validator rules are valid");
			Rules::<T>::put(rules);
			assert!(
				self.validators.is_empty() || self.validators.len() >= self.min_validators as usize,
				"fewer genesis validators than the rules' least set size"
			);
			let mut set = BoundedVec::<T::AccountId, T::MaxValidators>::new();
			for (who, bond) in &self.validators {
				assert!(!set.contains(who), "a genesis validator is listed twice");
				if !bond.is_zero() {
					T::Currency::hold(&HoldReason::ValidatorBond.into(), who, *bond)
						.expect("a genesis validator holds its bond");
				}
				Candidates::<T>::insert(who, Candidate { node: None, bond: *bond });
				set.try_push(who.clone()).expect("at most MaxValidators genesis validators");
			}
			ChosenSet::<T>::put(set);
		}
	}

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// `who` stands as a candidate with `node`, holding `bond`.
		Applied { who: T::AccountId, node: NodeId, bond: BalanceOf<T> },
		/// `who` stopped standing; its bond comes back from block `until`.
		CandidacyWithdrawn { who: T::AccountId, until: BlockNumberFor<T> },
		/// `who` joins the validator set at the session after next.
		Added { who: T::AccountId },
		/// `who` leaves the validator set at the session after next, for `reason`, losing
		/// `slashed` of its bond; the rest comes back from block `until`.
		Removed {
			who: T::AccountId,
			reason: Departure,
			slashed: BalanceOf<T>,
			until: BlockNumberFor<T>,
		},
		/// `who` was slashed `amount` for an offence in `session`, after it had left the set.
		Slashed { who: T::AccountId, amount: BalanceOf<T>, session: SessionIndex },
		/// `who` took back `amount`.
		Withdrawn { who: T::AccountId, amount: BalanceOf<T> },
		/// Governance set new rules.
		RulesSet { rules: ValidatorRules<BalanceOf<T>, BlockNumberFor<T>> },
		/// `who` authored no block in `session` but stays: removing it would leave the set
		/// below its least size.
		OfflineKept { who: T::AccountId, session: SessionIndex },
		/// Session `session` starts with a new set of `count` validators.
		NewSet { session: SessionIndex, count: u32 },
	}

	#[pallet::error]
	pub enum Error<T> {
		/// The caller already stands as a candidate.
		AlreadyCandidate,
		/// The caller's previous bond is still unbonding: withdraw it first.
		StillUnbonding,
		/// As many candidates stand as the chain keeps.
		TooManyCandidates,
		/// The node is not registered, or the caller does not operate it.
		NotNodeOperator,
		/// Another candidate stands with this node.
		NodeTaken,
		/// The node is younger than the rules require.
		NodeTooYoung,
		/// The node's reputation is below the rules' minimum.
		ScoreTooLow,
		/// The node is not online (no heartbeat within its TTL).
		NodeOffline,
		/// The account has no session keys: call `session.setKeys` first.
		NoSessionKeys,
		/// The account does not stand as a candidate.
		NotCandidate,
		/// The account is a validator: it must leave (or be removed) first.
		IsValidator,
		/// The account is not a validator.
		NotValidator,
		/// The set already holds `MaxValidators`.
		TooManyValidators,
		/// The set would fall below the rules' least size.
		TooFewValidators,
		/// No bond is unbonding for the caller.
		NothingUnbonding,
		/// The bond is still in its bonding period.
		StillBonded,
		/// The rules are out of bounds: a least set size of 0 or over `MaxValidators`, a
		/// session shorter than five blocks, or sessions so long that an offence could still
		/// be proven after the offender's bond came back (`KeptSessions` of them longer than
		/// `BondingDuration`).
		InvalidRules,
		/// The chain has no rules (a broken genesis).
		NoRules,
		/// The two headers are not one key's seals on two different blocks for one slot.
		InvalidEquivocationProof,
		/// The key-ownership proof does not show the key was a validator's.
		InvalidKeyOwnershipProof,
		/// This equivocation was already reported.
		DuplicateOffenceReport,
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Stand as a validator candidate with `node`, which the caller operates, holding the
		/// rules' bond. The node must be online, old and reputable enough, and the caller must
		/// have set session keys.
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::apply())]
		pub fn apply(origin: OriginFor<T>, node: NodeId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_apply(who, node)
		}

		/// Stop standing (a candidate that is not a validator). The bond comes back after the
		/// bonding period.
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::withdraw_candidacy())]
		pub fn withdraw_candidacy(origin: OriginFor<T>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_withdraw_candidacy(who)
		}

		/// Leave the validator set (effective at the session after next). The bond comes back
		/// after the bonding period.
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::remove_validator(T::MaxValidators::get()))]
		pub fn leave(origin: OriginFor<T>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_remove(&who, Departure::Left, Perbill::zero()).map(|_| ())
		}

		/// Add candidate `who` to the validator set (a passed proposal).
		#[pallet::call_index(3)]
		#[pallet::weight(T::WeightInfo::add_validator(T::MaxValidators::get()))]
		pub fn add_validator(origin: OriginFor<T>, who: T::AccountId) -> DispatchResult {
			T::GovernanceOrigin::ensure_origin(origin)?;
			Self::do_add(who)
		}

		/// Remove validator `who` from the set (a passed proposal). Its bond is not slashed.
		#[pallet::call_index(4)]
		#[pallet::weight(T::WeightInfo::remove_validator(T::MaxValidators::get()))]
		pub fn remove_validator(origin: OriginFor<T>, who: T::AccountId) -> DispatchResult {
			T::GovernanceOrigin::ensure_origin(origin)?;
			Self::do_remove(&who, Departure::VotedOut, Perbill::zero()).map(|_| ())
		}

		/// Take back a bond whose bonding period is over.
		#[pallet::call_index(5)]
		#[pallet::weight(T::WeightInfo::withdraw_unbonded())]
		pub fn withdraw_unbonded(origin: OriginFor<T>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_withdraw_unbonded(who)
		}

		/// Set the rules (a passed proposal). A higher bond applies to new candidates; the
		/// session length applies from the current session's start.
		#[pallet::call_index(6)]
		#[pallet::weight(T::WeightInfo::set_rules())]
		pub fn set_rules(
			origin: OriginFor<T>,
			rules: ValidatorRules<BalanceOf<T>, BlockNumberFor<T>>,
		) -> DispatchResult {
			T::GovernanceOrigin::ensure_origin(origin)?;
			Self::check_rules(&rules)?;
			Rules::<T>::put(rules);
			Self::deposit_event(Event::RulesSet { rules });
			Ok(())
		}

		/// Report an Aura equivocation: two different blocks its offender sealed for one slot,
		/// with a proof its key was a validator's. Without a signer: a node submits what it
		/// found to its own pool (the call's authorization takes no other source) and its
		/// author includes it; free, and accepted once per offender and slot.
		#[pallet::call_index(7)]
		#[pallet::weight(T::WeightInfo::report_aura_equivocation(T::MaxValidators::get()))]
		#[pallet::authorize(Pallet::<T>::authorize_aura_report)]
		#[pallet::weight_of_authorize(T::WeightInfo::report_aura_equivocation(0))]
		pub fn report_aura_equivocation(
			origin: OriginFor<T>,
			equivocation_proof: Box<AuraEquivocationProof<T>>,
			key_owner_proof: MembershipProof,
		) -> DispatchResultWithPostInfo {
			ensure_authorized(origin)?;
			Self::process_aura_equivocation(*equivocation_proof, key_owner_proof)?;
			Ok(Pays::No.into())
		}
	}

	#[pallet::view_functions]
	impl<T: Config> Pallet<T> {
		/// The validator set the network chose (it applies at session boundaries).
		pub fn validators() -> Vec<T::AccountId> {
			ChosenSet::<T>::get().into_inner()
		}

		/// The rules in force.
		pub fn rules() -> Option<ValidatorRules<BalanceOf<T>, BlockNumberFor<T>>> {
			Rules::<T>::get()
		}

		/// `who`'s candidacy, if it stands.
		pub fn candidate(who: T::AccountId) -> Option<Candidate<BalanceOf<T>>> {
			Candidates::<T>::get(who)
		}

		/// `who`'s bond on its way back, if any.
		pub fn unbonding(
			who: T::AccountId,
		) -> Option<types::UnbondingBond<BalanceOf<T>, BlockNumberFor<T>>> {
			Unbonding::<T>::get(who)
		}
	}
}
