//! # Tokens pallet: API tokens and the split of all profit
//!
//! API tokens are the credits calls to services are paid in. An account holds them in
//! [`TokenBatch`]es, each with the last block it can be spent in; spending takes from the batch
//! that expires first.
//!
//! ## Getting tokens
//! - **Buying** ([`Pallet::buy_tokens`]): at the price of the [`PriceCurve`], which rises with
//!   the number of registered nodes and services. The MICRO paid goes to the pot, this pallet's
//!   account, and backs the batch.
//! - **Earning by running a node** ([`Pallet::claim_node_allowance`]): once per
//!   [`Config::AllowancePeriod`], a node's operator gets `allowance_base + allowance_per_point *
//!   score` tokens, where `score` is the node's reputation. *Issuance rule:* these tokens are
//!   backed by MICRO minted into the pot at the current token price, the only MICRO this pallet
//!   ever creates. What it mints is bounded (finding H3, minting without limit by registering,
//!   claiming and deregistering nodes, or by Sybil nodes):
//!   - only a node at least [`Config::MinNodeAge`] old, online now and online at least
//!     [`Config::MinUptime`] of its life earns: a node registered for the claim earns nothing,
//!     and its deposit is locked for that long;
//!   - each operator earns once a period ([`OperatorClaimed`]), whichever of its nodes claims,
//!     and so does each node key ([`KeyClaimed`]): a new node id, a second node of the same
//!     operator, or the same key under another operator claims nothing more;
//!   - all claims of a period together mint at most [`Config::AllowanceBudget`]
//!     ([`PeriodMinted`]); past it claims fail until the next period, so Sybil nodes share the
//!     budget instead of adding to it;
//!   - governance cannot lift these bounds through the parameters: [`TokenParams::is_valid`]
//!     caps the allowance, the price, the refresh fee and the lifetimes with constants fixed in
//!     code ([`MAX_ALLOWANCE_BASE`], [`MAX_ALLOWANCE_PER_POINT`], [`MAX_TOKEN_PRICE`],
//!     [`MAX_REFRESH_FEE`], [`MIN_LIFETIME_DAYS`], [`MAX_LIFETIME_DAYS`]; finding C1).
//! - **The free quota** ([`Pallet::claim_free_tokens`]): the calls left in the account's access
//!   tier quota (from the reputation pallet) become a [`BatchKind::Free`] batch. Free tokens are
//!   backed by nothing: they pay a service's owner reputation, not MICRO, so making accounts
//!   cannot make money.
//!
//! ## Where the MICRO goes
//! MICRO in the pot stays there until its tokens are spent or lapse; nothing is created or lost
//! on the way:
//! - tokens spent on calls ([`micro_primitives::UsagePayments`]) release the backing of the
//!   tokens taken (pro rata within a batch, the rest with its last token) to the service's owner,
//!   less 2.5% to charity and 2.5% to operations. If the owner's account cannot receive it yet
//!   (the amount is below the existential deposit of an empty account), it waits in [`Owed`] and
//!   is paid with the owner's next payment, or when anyone calls [`Pallet::claim_owed`] for it;
//! - a backed batch expired longer than `refresh_grace` ago lapses: its backing is profit of the
//!   network, split 2.5% to charity and the rest to operations ([`Pallet::reap_expired`], or when
//!   the holder next uses its tokens);
//! - [`Pallet::refresh_batch`] extends an expired (or still live) backed batch for another
//!   lifetime for a fee of `refresh_fee` of its backing, paid by the holder; the fee is profit
//!   of the network, split 2.5% to charity and the rest to operations.
//!
//! The invariant, checked by `try_state` and by the tests after every operation: the pot holds
//! the existential deposit plus [`TotalBacking`] plus everything [`Owed`], and [`TotalBacking`]
//! is the sum of every batch's and every held piece's backing.
//!
//! ## Holding tokens for a node
//! Calls are served first and settled later, so a node serving a consumer needs to know it will
//! be paid. Like a payment channel's escrow (Filecoin payment channels, Lightning), a consumer
//! locks tokens for one node with [`Pallet::hold_for_node`]: its unexpired *backed* tokens
//! (earliest expiry first) move, as pieces that keep their batch's expiry and their share of its
//! backing, into a [`TokenHold`] kept per consumer and node ([`Holds`]), until a block `until`
//! at least [`Config::HoldNotice`] and at most [`Config::MaxHoldPeriod`] ahead. Free-quota
//! tokens cannot be held: they pay the node's service nothing in MICRO, so holding them would
//! guarantee nothing. A second call tops the hold up; `until` only moves later, and again at
//! most [`Config::MaxHoldPeriod`] ahead of that call. The one other way `until` moves is a
//! revocation in the settlement pallet
//! ([`micro_primitives::UsagePayments::keep_held_until`]), which keeps the hold until the
//! revocation takes effect, its notice ahead: only by that notice may a hold outlast
//! [`Config::MaxHoldPeriod`] from the consumer's last hold call.
//! - Settlement ([`micro_primitives::UsagePayments::pay_for_usage`]) spends the tokens held for
//!   the node that served the calls first, whatever their pieces' expiry, then the consumer's
//!   unexpired batches.
//! - Held tokens cannot be spent for any other node, and do not lapse while held.
//! - Once `until` has passed, anyone may end the hold ([`Pallet::release_hold`]): its pieces go
//!   back to the consumer's batches with their own expiry, and those past their refresh grace
//!   lapse at once, as they would have. If the batch list cannot take the pieces (every slot used
//!   by other expiries), nothing moves and the call fails with [`Error::TooManyBatches`]: the
//!   tokens stay held (and keep paying the node) until a slot frees up, so none are lost.
//!
//! Limit: a consumer can keep moving `until` later (by a transaction at least every
//! [`Config::MaxHoldPeriod`]), so tokens held for a node may outlive their batch's expiry; they
//! can then only pay that node's settled usage, and lapse as soon as they are released.
//!
//! ## The attacks each rule stops
//! - **Served, then spent elsewhere (M2).** A consumer served by a node used to be able to spend
//!   the same tokens through another node's report, or let their batch lapse, before the
//!   serving node reported: the node's record then failed for want of tokens, through no fault
//!   of its own. Held tokens pay only the node they are held for, do not lapse while held, and
//!   cannot be taken back before `until`, which is at least [`Config::HoldNotice`] ahead, so a
//!   node that serves no more than is held, and reports before `until`, is paid.
//! - **A hold shortened under the node (M2).** `until` can only move later, and a revocation
//!   in the settlement pallet keeps the hold at least until the revocation takes effect
//!   ([`micro_primitives::UsagePayments::keep_held_until`]).
//! - **A hold that never ends.** `until` had no upper bound: a hold until the last block kept
//!   its tokens from lapsing, and from anyone's [`Pallet::release_hold`], for good, with one
//!   transaction. A hold (or a top-up) may end at most [`Config::MaxHoldPeriod`] ahead
//!   ([`Error::HoldTooLong`]); keeping tokens held longer takes a transaction each period.
//! - **The account-score walk (H4).** [`Pallet::claim_free_tokens`] reads the caller's account
//!   score (its tier gives its free quota); its weight charges the bounded worst case of that
//!   walk ([`micro_primitives::ACCOUNT_SCORE_READS`],
//!   [`micro_primitives::ACCOUNT_SCORE_PROOF_SIZE`]).
//!
//! ## The split of all profit
//! [`micro_primitives::split`] fixes the arithmetic (2.5% each, rounded down; the parts add up to
//! the amount exactly). The charity and operations accounts are accounts no key controls
//! (derived from pallet ids in the runtime). [`SplitFees`] applies the split to transaction fees
//! and tips, the rest going to the block's author.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
mod functions;
pub mod migrations;
#[cfg(test)]
mod mock;
mod profit;
#[cfg(test)]
mod tests;
pub mod types;
pub mod weights;

pub use profit::{BlockAuthor, SplitFees};
pub use types::*;
pub use weights::WeightInfo;

#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use alloc::vec::Vec;
	use frame_support::{
		pallet_prelude::*,
		traits::fungible::{Balanced, Mutate},
		PalletId,
	};
	use frame_system::pallet_prelude::*;
	use micro_primitives::{
		AccessControl, ApiTokens, NodeDirectory, NodeId, NodeKey, ReputationLedger,
		ServiceDirectory,
	};
	use sp_runtime::Permill;

	/// Version 1 keys the allowance claims by operator and node key instead of node id.
	const STORAGE_VERSION: StorageVersion = StorageVersion::new(1);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	#[pallet::config]
	pub trait Config: frame_system::Config<RuntimeEvent: From<Event<Self>>> {
		/// The native currency, MICRO.
		type Currency: Mutate<Self::AccountId, Balance = Balance> + Balanced<Self::AccountId>;
		/// The registered nodes: their operators, and how many there are.
		type Nodes: NodeDirectory<Self::AccountId, BlockNumberFor<Self>>;
		/// The registered services: how many there are.
		type Services: ServiceDirectory<Self::AccountId, BlockNumberFor<Self>>;
		/// Nodes' reputation scores, which size their allowance.
		type Reputation: ReputationLedger;
		/// Each account's free quota.
		type Access: AccessControl<Self::AccountId>;
		/// The id the pot's account is derived from.
		#[pallet::constant]
		type PalletId: Get<PalletId>;
		/// The charity account: 2.5% of all profit.
		type CharityAccount: Get<Self::AccountId>;
		/// The network-operations account: 2.5% of all profit, and the rest of lapsed tokens'
		/// backing and of refresh fees.
		type OperationsAccount: Get<Self::AccountId>;
		/// Who may change the [`TokenParams`] (governance).
		type ParamsOrigin: EnsureOrigin<Self::RuntimeOrigin>;
		/// Most batches one account may hold at once.
		#[pallet::constant]
		type MaxBatches: Get<u32>;
		/// How often a node's operator may claim its allowance, in blocks.
		#[pallet::constant]
		type AllowancePeriod: Get<BlockNumberFor<Self>>;
		/// How old, in blocks since registration, a node must be before it earns an allowance.
		#[pallet::constant]
		type MinNodeAge: Get<BlockNumberFor<Self>>;
		/// The least share of its life a node must have been online to earn an allowance.
		#[pallet::constant]
		type MinUptime: Get<Permill>;
		/// The most MICRO all allowances together may mint in one period, whole network.
		#[pallet::constant]
		type AllowanceBudget: Get<Balance>;
		/// Blocks in a day: the unit of the lifetime bounds of [`TokenParams::is_valid`].
		#[pallet::constant]
		type BlocksPerDay: Get<BlockNumberFor<Self>>;
		/// Blocks free-quota tokens can be spent for.
		#[pallet::constant]
		type FreeTokenLifetime: Get<BlockNumberFor<Self>>;
		/// The fewest blocks ahead a hold for a node may end ([`Pallet::hold_for_node`]): the
		/// notice a node has that the tokens it counts on are about to go back to the consumer.
		#[pallet::constant]
		type HoldNotice: Get<BlockNumberFor<Self>>;
		/// The most blocks ahead a hold for a node may end when the consumer holds or tops up
		/// ([`Pallet::hold_for_node`]): held tokens do not lapse, so a hold must end. At least
		/// [`Config::HoldNotice`].
		#[pallet::constant]
		type MaxHoldPeriod: Get<BlockNumberFor<Self>>;
		/// Weights of this pallet's calls.
		type WeightInfo: WeightInfo;
	}

	/// Each account's API tokens, in batches ordered by expiry.
	#[pallet::storage]
	pub type Batches<T: Config> = StorageMap<
		_,
		Blake2_128Concat,
		T::AccountId,
		BoundedVec<TokenBatch<BlockNumberFor<T>>, T::MaxBatches>,
		ValueQuery,
	>;

	/// The MICRO in the pot that backs tokens: the sum of every batch's backing.
	#[pallet::storage]
	pub type TotalBacking<T: Config> = StorageValue<_, Balance, ValueQuery>;

	/// Tokens each consumer holds for each node: they pay only that node's settled usage.
	#[pallet::storage]
	pub type Holds<T: Config> = StorageDoubleMap<
		_,
		Blake2_128Concat,
		T::AccountId,
		Twox64Concat,
		NodeId,
		TokenHold<BlockNumberFor<T>, T::MaxBatches>,
	>;

	/// Payments for usage an owner's account could not take yet, kept in the pot.
	#[pallet::storage]
	pub type Owed<T: Config> = StorageMap<_, Blake2_128Concat, T::AccountId, Balance, ValueQuery>;

	/// The last period each operator claimed an allowance in.
	#[pallet::storage]
	pub type OperatorClaimed<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, BlockNumberFor<T>>;

	/// The last period an allowance was claimed for a node signing with each key.
	#[pallet::storage]
	pub type KeyClaimed<T: Config> = StorageMap<_, Blake2_128Concat, NodeKey, BlockNumberFor<T>>;

	/// The MICRO minted for allowances in a period: the period, and the amount so far.
	#[pallet::storage]
	pub type PeriodMinted<T: Config> = StorageValue<_, (BlockNumberFor<T>, Balance), ValueQuery>;

	/// The economy's parameters.
	#[pallet::storage]
	pub type Params<T: Config> = StorageValue<_, TokenParams<BlockNumberFor<T>>, ValueQuery>;

	#[pallet::genesis_config]
	#[derive(frame_support::DefaultNoBound)]
	pub struct GenesisConfig<T: Config> {
		/// The parameters; the defaults if `None`.
		pub params: Option<TokenParams<BlockNumberFor<T>>>,
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		fn build(&self) {
			if let Some(params) = self.params {
				assert!(
					params.is_valid(T::BlocksPerDay::get()),
					"the token parameters are invalid"
				);
				Params::<T>::put(params);
			}
			// The pot, charity and operations accounts exist from the start, so any amount,
			// however small, can be paid into them.
			for account in
				[Pallet::<T>::pot(), T::CharityAccount::get(), T::OperationsAccount::get()]
			{
				Pallet::<T>::ensure_exists(&account);
			}
		}
	}

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// Tokens were bought at `price` MICRO units each.
		TokensBought {
			who: T::AccountId,
			tokens: ApiTokens,
			price: Balance,
			cost: Balance,
			expires_at: BlockNumberFor<T>,
		},
		/// An account took its free quota as tokens.
		FreeTokensClaimed { who: T::AccountId, tokens: ApiTokens, expires_at: BlockNumberFor<T> },
		/// A node's operator earned its allowance; `minted` MICRO now backs it.
		AllowanceClaimed {
			node: NodeId,
			operator: T::AccountId,
			tokens: ApiTokens,
			minted: Balance,
			expires_at: BlockNumberFor<T>,
		},
		/// A batch got a new lifetime for a fee, split between charity and operations.
		BatchRefreshed {
			who: T::AccountId,
			tokens: ApiTokens,
			old_expiry: BlockNumberFor<T>,
			new_expiry: BlockNumberFor<T>,
			fee: Balance,
			charity: Balance,
			operations: Balance,
		},
		/// Batches lapsed: their tokens are gone and their backing was split, `charity` to the
		/// charity account and `operations` (the rest) to the operations account.
		TokensLapsed {
			who: T::AccountId,
			tokens: ApiTokens,
			backing: Balance,
			charity: Balance,
			operations: Balance,
		},
		/// A payment could not be made to an account yet; it is owed from the pot.
		PaymentOwed { who: T::AccountId, owed: Balance },
		/// What the pot owed an account was paid to it.
		OwedPaid { who: T::AccountId, amount: Balance },
		/// The parameters changed.
		ParamsSet { params: TokenParams<BlockNumberFor<T>> },
		/// A consumer started holding `tokens` (backed by `backing` MICRO) for a node, until
		/// block `until`.
		TokensHeld {
			consumer: T::AccountId,
			node: NodeId,
			tokens: ApiTokens,
			backing: Balance,
			until: BlockNumberFor<T>,
		},
		/// A consumer added `tokens` to its hold for a node, which now holds `held` until
		/// block `until`.
		HoldToppedUp {
			consumer: T::AccountId,
			node: NodeId,
			tokens: ApiTokens,
			held: ApiTokens,
			until: BlockNumberFor<T>,
		},
		/// A hold now lasts until block `until`: a revocation kept it for its notice.
		HoldExtended { consumer: T::AccountId, node: NodeId, until: BlockNumberFor<T> },
		/// A hold ended: its `tokens` (backed by `backing` MICRO) went back to the consumer's
		/// batches.
		HoldReleased { consumer: T::AccountId, node: NodeId, tokens: ApiTokens, backing: Balance },
	}

	#[pallet::error]
	pub enum Error<T> {
		/// At least one token must be bought.
		ZeroTokens,
		/// The price is above the most the buyer would pay.
		PriceAboveLimit,
		/// The amount does not fit the balance type.
		Overflow,
		/// The account holds as many batches as allowed; spend or let some lapse first.
		TooManyBatches,
		/// The account holds no batch expiring at that block.
		NoSuchBatch,
		/// Free-quota tokens cannot be refreshed; the quota renews every period.
		NotRefreshable,
		/// A new lifetime would not end later than the batch's current one.
		StillFresh,
		/// The account's free quota is used up for this period.
		NoFreeQuota,
		/// No node is registered under this id.
		UnknownNode,
		/// Only the node's operator may claim its allowance.
		NotOperator,
		/// The node must be online to earn.
		NodeOffline,
		/// The operator claimed an allowance this period already, for this node or another.
		AlreadyClaimed,
		/// An allowance was claimed this period already for a node with this node's key.
		KeyAlreadyClaimed,
		/// The node is younger than [`Config::MinNodeAge`].
		NodeTooYoung,
		/// The node was online less than [`Config::MinUptime`] of its life.
		UptimeTooLow,
		/// This period's allowances have minted [`Config::AllowanceBudget`]; claim next period.
		AllowanceBudgetExhausted,
		/// Nothing is owed to the account.
		NothingOwed,
		/// None of the account's batches has lapsed.
		NothingToReap,
		/// The account holds too few unexpired tokens.
		InsufficientTokens,
		/// The parameters are malformed: see [`TokenParams::is_valid`].
		InvalidParams,
		/// A hold must end at least [`Config::HoldNotice`] blocks from now.
		HoldTooShort,
		/// A hold's end can only move later.
		HoldShortened,
		/// A hold must end at most [`Config::MaxHoldPeriod`] blocks from now.
		HoldTooLong,
		/// The consumer holds nothing for that node.
		NoHold,
		/// The hold lasts until a later block: it cannot be released yet.
		HoldNotOver,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		/// A hold must be able to end: the longest hold is at least the shortest.
		fn integrity_test() {
			assert!(
				T::MaxHoldPeriod::get() >= T::HoldNotice::get(),
				"MaxHoldPeriod must be at least HoldNotice"
			);
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call(weight(<T as Config>::WeightInfo))]
	impl<T: Config> Pallet<T> {
		/// Buy `tokens` API tokens at the current price, paying at most `max_price` MICRO units
		/// per token. The tokens can be spent for the lifetime in [`Params`].
		#[pallet::call_index(0)]
		pub fn buy_tokens(
			origin: OriginFor<T>,
			tokens: ApiTokens,
			max_price: Balance,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_buy(who, tokens, max_price)
		}

		/// Give the backed batch expiring at `expires_at` a new lifetime, for the refresh fee.
		#[pallet::call_index(1)]
		pub fn refresh_batch(
			origin: OriginFor<T>,
			expires_at: BlockNumberFor<T>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_refresh(who, expires_at)
		}

		/// Take the free calls left in the caller's access-tier quota as free tokens.
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::claim_free_tokens().saturating_add(
			micro_primitives::account_score_weight(T::DbWeight::get().reads(1))
		))]
		pub fn claim_free_tokens(origin: OriginFor<T>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_claim_free(who)
		}

		/// Claim `node`'s allowance for this period: tokens that grow with its reputation.
		#[pallet::call_index(3)]
		pub fn claim_node_allowance(origin: OriginFor<T>, node: NodeId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_claim_allowance(who, node)
		}

		/// Remove `who`'s lapsed batches, splitting their backing between the charity and
		/// operations accounts.
		/// Anyone may do this for anyone.
		#[pallet::call_index(4)]
		pub fn reap_expired(origin: OriginFor<T>, who: T::AccountId) -> DispatchResult {
			ensure_signed(origin)?;
			let mut batches = Batches::<T>::get(&who).into_inner();
			let removed = Self::reap(&who, &mut batches)?;
			ensure!(removed > 0, Error::<T>::NothingToReap);
			Self::store_batches(&who, batches);
			Ok(())
		}

		/// Set the economy's parameters. Only [`Config::ParamsOrigin`] (governance) may.
		#[pallet::call_index(5)]
		pub fn set_params(
			origin: OriginFor<T>,
			params: TokenParams<BlockNumberFor<T>>,
		) -> DispatchResult {
			T::ParamsOrigin::ensure_origin(origin)?;
			ensure!(params.is_valid(T::BlocksPerDay::get()), Error::<T>::InvalidParams);
			Params::<T>::put(params);
			Self::deposit_event(Event::ParamsSet { params });
			Ok(())
		}

		/// Pay `who` what the pot owes it ([`Owed`]), now that its account can take it. Anyone
		/// may do this for anyone.
		#[pallet::call_index(6)]
		pub fn claim_owed(origin: OriginFor<T>, who: T::AccountId) -> DispatchResult {
			ensure_signed(origin)?;
			Self::do_claim_owed(who)
		}

		/// Hold `tokens` of the caller's unexpired backed tokens for `node` (earliest expiry
		/// first) until at least block `until`, so the node that serves the caller is paid:
		/// held tokens pay only `node`'s settled usage. A second call tops the hold up; `until`
		/// may only move later and must be at least [`Config::HoldNotice`] and at most
		/// [`Config::MaxHoldPeriod`] blocks away.
		#[pallet::call_index(7)]
		pub fn hold_for_node(
			origin: OriginFor<T>,
			node: NodeId,
			tokens: ApiTokens,
			until: BlockNumberFor<T>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_hold(who, node, tokens, until)
		}

		/// End `consumer`'s hold for `node` once its `until` has passed: the tokens left go back
		/// to the consumer's batches. Anyone may do this for anyone, as with
		/// [`Pallet::reap_expired`].
		#[pallet::call_index(8)]
		pub fn release_hold(
			origin: OriginFor<T>,
			consumer: T::AccountId,
			node: NodeId,
		) -> DispatchResult {
			ensure_signed(origin)?;
			Self::do_release(consumer, node)
		}
	}

	#[pallet::view_functions]
	impl<T: Config> Pallet<T> {
		/// `who`'s batches, ordered by expiry.
		pub fn batches(who: T::AccountId) -> Vec<TokenBatch<BlockNumberFor<T>>> {
			Batches::<T>::get(who).into_inner()
		}

		/// Tokens `who` can spend now, and tokens in expired batches it can still refresh.
		pub fn balance(who: T::AccountId) -> (ApiTokens, ApiTokens) {
			Self::balance_of(&who)
		}

		/// The price of one token now, in MICRO units.
		pub fn price() -> Balance {
			Self::current_price()
		}

		/// What `tokens` tokens cost now, if it fits the balance type.
		pub fn quote(tokens: ApiTokens) -> Option<Balance> {
			tokens.checked_mul(Self::current_price())
		}

		/// The economy's parameters.
		pub fn params() -> TokenParams<BlockNumberFor<T>> {
			Params::<T>::get()
		}

		/// The pot, charity and operations accounts.
		pub fn accounts() -> (T::AccountId, T::AccountId, T::AccountId) {
			(Self::pot(), T::CharityAccount::get(), T::OperationsAccount::get())
		}

		/// What `consumer` holds for `node`: its pieces of batches and the hold's end.
		pub fn hold(
			consumer: T::AccountId,
			node: NodeId,
		) -> Option<TokenHold<BlockNumberFor<T>, T::MaxBatches>> {
			Holds::<T>::get(consumer, node)
		}

		/// The tokens `node` can count on from `consumer`: those held for it, and the last
		/// block the hold cannot be released in.
		pub fn held_for_node(
			consumer: T::AccountId,
			node: NodeId,
		) -> (ApiTokens, BlockNumberFor<T>) {
			Holds::<T>::get(consumer, node)
				.map(|hold| (hold.tokens(), hold.until))
				.unwrap_or_default()
		}

		/// The MICRO backing tokens, and the MICRO owed to `who`.
		pub fn backing(who: T::AccountId) -> (Balance, Balance) {
			(TotalBacking::<T>::get(), Owed::<T>::get(who))
		}
	}
}
