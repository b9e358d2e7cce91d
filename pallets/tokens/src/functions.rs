//! Batches, prices, payments out of the pot, and the [`UsagePayments`] the settlement pallet
//! spends tokens through.

use alloc::vec::Vec;
use frame_support::{
	pallet_prelude::*,
	traits::{
		fungible::{Inspect, Mutate},
		tokens::Preservation,
	},
};
use frame_system::pallet_prelude::BlockNumberFor;
use micro_primitives::{
	AccessControl, ApiTokens, NodeDirectory, NodeId, PaymentError, ProfitShares, ReputationLedger,
	ServiceDirectory, Subject, UsagePayments,
};
use sp_runtime::{
	traits::{AccountIdConversion, Saturating, Zero},
	DispatchError, DispatchResult,
};

use crate::{
	Balance, BatchKind, Batches, Config, Error, Event, Holds, KeyClaimed, OperatorClaimed, Owed,
	Pallet, Params, PeriodMinted, TokenBatch, TokenHold, TotalBacking,
};

/// An account's batches while they are worked on.
pub(crate) type BatchList<T> = Vec<TokenBatch<BlockNumberFor<T>>>;

impl<T: Config> Pallet<T> {
	/// The pot: the account holding the MICRO that backs tokens.
	pub fn pot() -> T::AccountId {
		T::PalletId::get().into_account_truncating()
	}

	/// The price of a token now, on the curve, for the registered nodes and services.
	pub fn current_price() -> Balance {
		let size = T::Nodes::count().saturating_add(T::Services::count());
		Params::<T>::get().price.price(size)
	}

	/// `now + lifetime`, rounded up to a multiple of `granularity`.
	pub(crate) fn expiry_after(
		now: BlockNumberFor<T>,
		lifetime: BlockNumberFor<T>,
		granularity: BlockNumberFor<T>,
	) -> BlockNumberFor<T> {
		let end = now.saturating_add(lifetime);
		if granularity.is_zero() {
			return end;
		}
		let over = end % granularity;
		if over.is_zero() {
			end
		} else {
			end.saturating_add(granularity - over)
		}
	}

	/// Whether `batch` can no longer be spent or refreshed at `now`, given the refresh `grace`.
	fn has_lapsed(
		batch: &TokenBatch<BlockNumberFor<T>>,
		now: BlockNumberFor<T>,
		grace: BlockNumberFor<T>,
	) -> bool {
		match batch.kind {
			BatchKind::Free => now > batch.expires_at,
			BatchKind::Backed => now > batch.expires_at.saturating_add(grace),
		}
	}

	/// Makes sure `account` exists, minting it the existential deposit if it holds less.
	pub(crate) fn ensure_exists(account: &T::AccountId) {
		let minimum = T::Currency::minimum_balance();
		let balance = T::Currency::balance(account);
		if balance < minimum {
			let _ = T::Currency::mint_into(account, minimum - balance);
		}
	}

	/// Writes `who`'s batches back, removing the entry when there are none.
	pub(crate) fn store_batches(who: &T::AccountId, batches: BatchList<T>) {
		if batches.is_empty() {
			Batches::<T>::remove(who);
		} else {
			// The list only ever shrinks or grows through `add_batch`, which checks the bound.
			Batches::<T>::insert(who, BoundedVec::truncate_from(batches));
		}
	}

	/// Adds `batch` to `batches`, merging it into one of the same kind and expiry if there is
	/// one and otherwise keeping the list ordered by expiry.
	pub(crate) fn add_batch(
		batches: &mut BatchList<T>,
		batch: TokenBatch<BlockNumberFor<T>>,
	) -> DispatchResult {
		if let Some(same) =
			batches.iter_mut().find(|b| b.expires_at == batch.expires_at && b.kind == batch.kind)
		{
			same.tokens = same.tokens.checked_add(batch.tokens).ok_or(Error::<T>::Overflow)?;
			same.backing = same.backing.checked_add(batch.backing).ok_or(Error::<T>::Overflow)?;
			return Ok(());
		}
		ensure!((batches.len() as u32) < T::MaxBatches::get(), Error::<T>::TooManyBatches);
		let at = batches.partition_point(|b| b.expires_at <= batch.expires_at);
		batches.insert(at, batch);
		Ok(())
	}

	/// Removes `who`'s lapsed batches, splitting their backing from the pot like all profit:
	/// [`ProfitShares::of`]'s charity part to the charity account, the rest to the operations
	/// account. Returns how many were removed.
	pub(crate) fn reap(
		who: &T::AccountId,
		batches: &mut BatchList<T>,
	) -> Result<u32, DispatchError> {
		let now = frame_system::Pallet::<T>::block_number();
		let grace = Params::<T>::get().refresh_grace;
		let (mut tokens, mut backing, mut removed) = (0u128, 0u128, 0u32);
		batches.retain(|batch| {
			if Self::has_lapsed(batch, now, grace) {
				tokens = tokens.saturating_add(batch.tokens);
				backing = backing.saturating_add(batch.backing);
				removed += 1;
				false
			} else {
				true
			}
		});
		if removed > 0 {
			let shares = ProfitShares::of(backing);
			let operations = shares.operations.saturating_add(shares.remainder);
			let pot = Self::pot();
			Self::pay(&pot, &T::CharityAccount::get(), shares.charity)?;
			Self::pay(&pot, &T::OperationsAccount::get(), operations)?;
			TotalBacking::<T>::mutate(|total| total.saturating_reduce(backing));
			Self::deposit_event(Event::TokensLapsed {
				who: who.clone(),
				tokens,
				backing,
				charity: shares.charity,
				operations,
			});
		}
		Ok(removed)
	}

	/// `who`'s batches with the lapsed ones reaped.
	fn live_batches(who: &T::AccountId) -> Result<BatchList<T>, DispatchError> {
		let mut batches = Batches::<T>::get(who).into_inner();
		Self::reap(who, &mut batches)?;
		Ok(batches)
	}

	/// Adds `batch` to `who`'s batches, reaping the lapsed ones first.
	fn credit(who: &T::AccountId, batch: TokenBatch<BlockNumberFor<T>>) -> DispatchResult {
		let mut batches = Self::live_batches(who)?;
		Self::add_batch(&mut batches, batch)?;
		Self::store_batches(who, batches);
		Ok(())
	}

	/// Tokens `who` can spend now, and tokens in expired batches it can still refresh.
	pub fn balance_of(who: &T::AccountId) -> (ApiTokens, ApiTokens) {
		let now = frame_system::Pallet::<T>::block_number();
		let grace = Params::<T>::get().refresh_grace;
		Batches::<T>::get(who).iter().filter(|batch| !Self::has_lapsed(batch, now, grace)).fold(
			(0, 0),
			|(spendable, refreshable), batch| {
				if now <= batch.expires_at {
					(spendable.saturating_add(batch.tokens), refreshable)
				} else {
					(spendable, refreshable.saturating_add(batch.tokens))
				}
			},
		)
	}

	pub(crate) fn do_buy(
		who: T::AccountId,
		tokens: ApiTokens,
		max_price: Balance,
	) -> DispatchResult {
		ensure!(tokens > 0, Error::<T>::ZeroTokens);
		let price = Self::current_price();
		ensure!(price <= max_price, Error::<T>::PriceAboveLimit);
		let cost = tokens.checked_mul(price).ok_or(Error::<T>::Overflow)?;
		let params = Params::<T>::get();
		let now = frame_system::Pallet::<T>::block_number();
		let expires_at = Self::expiry_after(now, params.lifetime, params.granularity);
		Self::credit(
			&who,
			TokenBatch { tokens, backing: cost, expires_at, kind: BatchKind::Backed },
		)?;
		T::Currency::transfer(&who, &Self::pot(), cost, Preservation::Preserve)?;
		TotalBacking::<T>::mutate(|total| total.saturating_accrue(cost));
		Self::deposit_event(Event::TokensBought { who, tokens, price, cost, expires_at });
		Ok(())
	}

	pub(crate) fn do_refresh(who: T::AccountId, expires_at: BlockNumberFor<T>) -> DispatchResult {
		let mut batches = Self::live_batches(&who)?;
		let index = batches
			.iter()
			.position(|b| b.expires_at == expires_at && b.kind == BatchKind::Backed)
			.ok_or_else(|| {
				if batches.iter().any(|b| b.expires_at == expires_at) {
					Error::<T>::NotRefreshable
				} else {
					Error::<T>::NoSuchBatch
				}
			})?;
		let params = Params::<T>::get();
		let now = frame_system::Pallet::<T>::block_number();
		let new_expiry = Self::expiry_after(now, params.lifetime, params.granularity);
		ensure!(new_expiry > expires_at, Error::<T>::StillFresh);
		let mut batch = batches.remove(index);
		let fee = params.refresh_fee.mul_floor(batch.backing);
		let shares = ProfitShares::of(fee);
		let operations = shares.operations.saturating_add(shares.remainder);
		Self::pay(&who, &T::CharityAccount::get(), shares.charity)?;
		Self::pay(&who, &T::OperationsAccount::get(), operations)?;
		let tokens = batch.tokens;
		batch.expires_at = new_expiry;
		Self::add_batch(&mut batches, batch)?;
		Self::store_batches(&who, batches);
		Self::deposit_event(Event::BatchRefreshed {
			who,
			tokens,
			old_expiry: expires_at,
			new_expiry,
			fee,
			charity: shares.charity,
			operations,
		});
		Ok(())
	}

	pub(crate) fn do_claim_free(who: T::AccountId) -> DispatchResult {
		let tokens = T::Access::free_calls_left(&who);
		ensure!(tokens > 0, Error::<T>::NoFreeQuota);
		let now = frame_system::Pallet::<T>::block_number();
		let expires_at = now.saturating_add(T::FreeTokenLifetime::get());
		Self::credit(
			&who,
			TokenBatch { tokens: tokens.into(), backing: 0, expires_at, kind: BatchKind::Free },
		)?;
		T::Access::use_free_calls(&who, tokens)?;
		Self::deposit_event(Event::FreeTokensClaimed { who, tokens: tokens.into(), expires_at });
		Ok(())
	}

	/// The allowance period `now` falls in.
	pub fn period_of(now: BlockNumberFor<T>) -> BlockNumberFor<T> {
		now / T::AllowancePeriod::get().max(1u32.into())
	}

	/// The MICRO allowances minted in the current period so far.
	pub fn minted_this_period() -> Balance {
		let (period, minted) = PeriodMinted::<T>::get();
		if period == Self::period_of(frame_system::Pallet::<T>::block_number()) {
			minted
		} else {
			0
		}
	}

	/// Mints `node`'s allowance to its operator `who`. The node must be online, at least
	/// [`Config::MinNodeAge`] old and online at least [`Config::MinUptime`] of its life; its
	/// operator and its key each earn once a period; and the period's mint stays within
	/// [`Config::AllowanceBudget`].
	pub(crate) fn do_claim_allowance(who: T::AccountId, node: NodeId) -> DispatchResult {
		let operator = T::Nodes::operator(node).ok_or(Error::<T>::UnknownNode)?;
		ensure!(operator == who, Error::<T>::NotOperator);
		let standing = T::Nodes::standing(node).ok_or(Error::<T>::UnknownNode)?;
		let key = T::Nodes::node_key(node).ok_or(Error::<T>::UnknownNode)?;
		ensure!(T::Nodes::is_online(node), Error::<T>::NodeOffline);
		ensure!(standing.age >= T::MinNodeAge::get(), Error::<T>::NodeTooYoung);
		ensure!(standing.uptime >= T::MinUptime::get().deconstruct(), Error::<T>::UptimeTooLow);
		let now = frame_system::Pallet::<T>::block_number();
		let period = Self::period_of(now);
		ensure!(OperatorClaimed::<T>::get(&who) != Some(period), Error::<T>::AlreadyClaimed);
		ensure!(KeyClaimed::<T>::get(key) != Some(period), Error::<T>::KeyAlreadyClaimed);
		let params = Params::<T>::get();
		let score = T::Reputation::score(Subject::Node(node)) as ApiTokens;
		let tokens =
			params.allowance_per_point.saturating_mul(score).saturating_add(params.allowance_base);
		ensure!(tokens > 0, Error::<T>::ZeroTokens);
		let minted = tokens.checked_mul(Self::current_price()).ok_or(Error::<T>::Overflow)?;
		let period_total =
			Self::minted_this_period().checked_add(minted).ok_or(Error::<T>::Overflow)?;
		ensure!(period_total <= T::AllowanceBudget::get(), Error::<T>::AllowanceBudgetExhausted);
		let expires_at = Self::expiry_after(now, params.lifetime, params.granularity);
		Self::credit(
			&who,
			TokenBatch { tokens, backing: minted, expires_at, kind: BatchKind::Backed },
		)?;
		T::Currency::mint_into(&Self::pot(), minted)?;
		TotalBacking::<T>::mutate(|total| total.saturating_accrue(minted));
		PeriodMinted::<T>::put((period, period_total));
		OperatorClaimed::<T>::insert(&who, period);
		KeyClaimed::<T>::insert(key, period);
		Self::deposit_event(Event::AllowanceClaimed { node, operator, tokens, minted, expires_at });
		Ok(())
	}

	/// Moves `amount` from `from` to `to`, keeping `from` alive.
	fn pay(from: &T::AccountId, to: &T::AccountId, amount: Balance) -> DispatchResult {
		if amount > 0 {
			T::Currency::transfer(from, to, amount, Preservation::Preserve)?;
		}
		Ok(())
	}

	/// Pays `who` everything the pot owes it.
	pub(crate) fn do_claim_owed(who: T::AccountId) -> DispatchResult {
		let amount = Owed::<T>::get(&who);
		ensure!(amount > 0, Error::<T>::NothingOwed);
		T::Currency::transfer(&Self::pot(), &who, amount, Preservation::Preserve)?;
		Owed::<T>::remove(&who);
		Self::deposit_event(Event::OwedPaid { who, amount });
		Ok(())
	}

	/// Pays `amount` from the pot to `payee`, with anything owed to it before. If `payee`
	/// cannot take it yet, it is owed.
	fn pay_out(payee: &T::AccountId, amount: Balance) {
		let before = Owed::<T>::get(payee);
		let owed = before.saturating_add(amount);
		if owed.is_zero() {
			return;
		}
		if T::Currency::transfer(&Self::pot(), payee, owed, Preservation::Preserve).is_ok() {
			// Nothing was owed before (the usual case): nothing to write.
			if !before.is_zero() {
				Owed::<T>::remove(payee);
			}
		} else {
			Owed::<T>::insert(payee, owed);
			Self::deposit_event(Event::PaymentOwed { who: payee.clone(), owed });
		}
	}

	/// Takes `tokens` from `batches`, unexpired ones only, earliest expiry first; returns the
	/// MICRO that backed them.
	pub(crate) fn take_tokens(
		batches: &mut BatchList<T>,
		tokens: ApiTokens,
		now: BlockNumberFor<T>,
	) -> Result<Balance, Error<T>> {
		let pieces = Self::take_pieces(batches, tokens, |b| now <= b.expires_at)?;
		Ok(pieces.iter().fold(0, |sum, piece| sum.saturating_add(piece.backing)))
	}

	/// Takes `tokens` from the batches `eligible` accepts, earliest expiry first, as pieces that
	/// keep each batch's expiry and kind with the share of its backing they take; removes the
	/// batches left empty. Takes nothing if the eligible batches hold too few.
	pub(crate) fn take_pieces(
		batches: &mut BatchList<T>,
		tokens: ApiTokens,
		eligible: impl Fn(&TokenBatch<BlockNumberFor<T>>) -> bool,
	) -> Result<BatchList<T>, Error<T>> {
		let available: ApiTokens =
			batches.iter().filter(|b| eligible(b)).fold(0, |sum, b| sum.saturating_add(b.tokens));
		ensure!(available >= tokens, Error::<T>::InsufficientTokens);
		let mut left = tokens;
		let mut pieces = Vec::new();
		for batch in batches.iter_mut() {
			if left == 0 {
				break;
			}
			if !eligible(batch) {
				continue;
			}
			let (taken, backing) = batch.take(left);
			left -= taken;
			if taken > 0 {
				pieces.push(TokenBatch {
					tokens: taken,
					backing,
					expires_at: batch.expires_at,
					kind: batch.kind,
				});
			}
		}
		batches.retain(|b| b.tokens > 0);
		Ok(pieces)
	}

	/// Moves `tokens` of `who`'s unexpired backed tokens into its hold for `node`, which then
	/// lasts until `until`.
	pub(crate) fn do_hold(
		who: T::AccountId,
		node: NodeId,
		tokens: ApiTokens,
		until: BlockNumberFor<T>,
	) -> DispatchResult {
		ensure!(T::Nodes::operator(node).is_some(), Error::<T>::UnknownNode);
		let now = frame_system::Pallet::<T>::block_number();
		ensure!(until >= now.saturating_add(T::HoldNotice::get()), Error::<T>::HoldTooShort);
		ensure!(until <= now.saturating_add(T::MaxHoldPeriod::get()), Error::<T>::HoldTooLong);
		let existing = Holds::<T>::get(&who, node);
		match &existing {
			Some(hold) => ensure!(until >= hold.until, Error::<T>::HoldShortened),
			None => ensure!(tokens > 0, Error::<T>::ZeroTokens),
		}
		let mut batches = Self::live_batches(&who)?;
		let pieces = Self::take_pieces(&mut batches, tokens, |b| {
			b.kind == BatchKind::Backed && now <= b.expires_at
		})?;
		let backing = pieces.iter().fold(0u128, |sum, piece| sum.saturating_add(piece.backing));
		let topping_up = existing.is_some();
		let mut held = existing.map(|hold| hold.batches.into_inner()).unwrap_or_default();
		for piece in pieces {
			Self::add_batch(&mut held, piece)?;
		}
		Self::store_batches(&who, batches);
		// `add_batch` kept the pieces within the bound.
		let hold = TokenHold { batches: BoundedVec::truncate_from(held), until };
		let total = hold.tokens();
		Holds::<T>::insert(&who, node, hold);
		Self::deposit_event(if topping_up {
			Event::HoldToppedUp { consumer: who, node, tokens, held: total, until }
		} else {
			Event::TokensHeld { consumer: who, node, tokens, backing, until }
		});
		Ok(())
	}

	/// Returns the tokens of `consumer`'s hold for `node` to its batches, once the hold's
	/// `until` has passed. Pieces whose batch has lapsed meanwhile lapse now; if the batch list
	/// cannot take the others, nothing moves ([`Error::TooManyBatches`]) and they stay held.
	pub(crate) fn do_release(consumer: T::AccountId, node: NodeId) -> DispatchResult {
		let hold = Holds::<T>::get(&consumer, node).ok_or(Error::<T>::NoHold)?;
		let now = frame_system::Pallet::<T>::block_number();
		ensure!(now > hold.until, Error::<T>::HoldNotOver);
		let (tokens, backing) = (hold.tokens(), hold.backing());
		let mut pieces = hold.batches.into_inner();
		Self::reap(&consumer, &mut pieces)?;
		let mut batches = Self::live_batches(&consumer)?;
		for piece in pieces {
			Self::add_batch(&mut batches, piece)?;
		}
		Self::store_batches(&consumer, batches);
		Holds::<T>::remove(&consumer, node);
		Self::deposit_event(Event::HoldReleased { consumer, node, tokens, backing });
		Ok(())
	}

	/// Checks the pot holds what it owes, and the books agree with the batches.
	pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
		let mut backing = 0u128;
		for (_, batches) in Batches::<T>::iter() {
			ensure!(!batches.is_empty(), "an empty batch list is stored");
			ensure!(
				batches.windows(2).all(|w| w[0].expires_at <= w[1].expires_at),
				"batches are out of order"
			);
			for batch in batches.iter() {
				ensure!(batch.tokens > 0, "an empty batch is stored");
				ensure!(
					batch.kind == BatchKind::Backed || batch.backing == 0,
					"a free batch has backing"
				);
				backing = backing.saturating_add(batch.backing);
			}
		}
		for (_, _, hold) in Holds::<T>::iter() {
			ensure!(!hold.batches.is_empty(), "an empty hold is stored");
			ensure!(
				hold.batches.windows(2).all(|w| w[0].expires_at <= w[1].expires_at),
				"held pieces are out of order"
			);
			for piece in hold.batches.iter() {
				ensure!(piece.tokens > 0, "an empty piece is held");
				ensure!(piece.kind == BatchKind::Backed, "free tokens are held");
				backing = backing.saturating_add(piece.backing);
			}
		}
		ensure!(
			backing == TotalBacking::<T>::get(),
			"TotalBacking is not the backing of the batches and holds"
		);
		let owed = Owed::<T>::iter_values().fold(0u128, |sum, o| sum.saturating_add(o));
		let needed = T::Currency::minimum_balance().saturating_add(backing).saturating_add(owed);
		ensure!(T::Currency::balance(&Self::pot()) >= needed, "the pot holds less than it owes");
		ensure!(
			PeriodMinted::<T>::get().1 <= T::AllowanceBudget::get(),
			"allowances minted more than the budget in a period"
		);
		Ok(())
	}
}

impl<T: Config> UsagePayments<T::AccountId, BlockNumberFor<T>> for Pallet<T> {
	type Balance = Balance;

	fn pay_for_usage(
		consumer: &T::AccountId,
		node: NodeId,
		payee: &T::AccountId,
		tokens: ApiTokens,
	) -> Result<ProfitShares<Balance>, PaymentError> {
		let shares = Self::pay_for_usage_keeping_shares(consumer, node, payee, tokens)?;
		let pot = Self::pot();
		Self::pay(&pot, &T::CharityAccount::get(), shares.charity)?;
		Self::pay(&pot, &T::OperationsAccount::get(), shares.operations)?;
		Ok(shares)
	}

	fn pay_for_usage_keeping_shares(
		consumer: &T::AccountId,
		node: NodeId,
		payee: &T::AccountId,
		tokens: ApiTokens,
	) -> Result<ProfitShares<Balance>, PaymentError> {
		let now = frame_system::Pallet::<T>::block_number();
		// The hold for the node pays first, whatever its pieces' expiry: that is its purpose.
		let mut hold = Holds::<T>::get(consumer, node);
		let from_hold = hold.as_ref().map_or(0, |hold| hold.tokens()).min(tokens);
		let mut batches = Batches::<T>::get(consumer).into_inner();
		let reaped = Self::reap(consumer, &mut batches)?;
		let from_batches = tokens - from_hold;
		let mut released = Self::take_tokens(&mut batches, from_batches, now)
			.map_err(|_: Error<T>| PaymentError::InsufficientTokens)?;
		if let Some(hold) = hold.as_mut().filter(|_| from_hold > 0) {
			let mut held = hold.batches.to_vec();
			let pieces = Self::take_pieces(&mut held, from_hold, |_| true)
				.map_err(|_: Error<T>| PaymentError::InsufficientTokens)?;
			released = pieces.iter().fold(released, |sum, piece| sum.saturating_add(piece.backing));
			// Taking only shrinks the list.
			hold.batches = BoundedVec::truncate_from(held);
			if hold.batches.is_empty() {
				Holds::<T>::remove(consumer, node);
			} else {
				Holds::<T>::insert(consumer, node, &*hold);
			}
		}
		let shares = ProfitShares::of(released);
		TotalBacking::<T>::mutate(|total| total.saturating_reduce(released));
		Self::pay_out(payee, shares.remainder);
		// Paid from the hold alone, with nothing reaped: the batches are as they were.
		if reaped > 0 || from_batches > 0 {
			Self::store_batches(consumer, batches);
		}
		Ok(shares)
	}

	fn pay_shares(payments: &[ProfitShares<Balance>]) {
		let (charity, operations) =
			payments.iter().fold((0 as Balance, 0 as Balance), |(charity, operations), shares| {
				(
					charity.saturating_add(shares.charity),
					operations.saturating_add(shares.operations),
				)
			});
		Self::pay_out(&T::CharityAccount::get(), charity);
		Self::pay_out(&T::OperationsAccount::get(), operations);
	}

	fn spendable(consumer: &T::AccountId, node: NodeId) -> ApiTokens {
		let held = Holds::<T>::get(consumer, node).map_or(0, |hold| hold.tokens());
		held.saturating_add(Self::balance_of(consumer).0)
	}

	fn hold_until(consumer: &T::AccountId, node: NodeId) -> Option<BlockNumberFor<T>> {
		Holds::<T>::get(consumer, node).map(|hold| hold.until)
	}

	/// Not bounded by [`Config::MaxHoldPeriod`]: the settlement pallet passes the block its
	/// revocation takes effect, its `RevokeNotice` ahead, and the hold must last that long.
	fn keep_held_until(consumer: &T::AccountId, node: NodeId, until: BlockNumberFor<T>) {
		let extended = Holds::<T>::mutate(consumer, node, |hold| match hold {
			Some(hold) if hold.until < until => {
				hold.until = until;
				true
			}
			_ => false,
		});
		if extended {
			Self::deposit_event(Event::HoldExtended { consumer: consumer.clone(), node, until });
		}
	}

	#[cfg(feature = "runtime-benchmarks")]
	fn fund_for_benchmark(who: &T::AccountId, node: NodeId, tokens: ApiTokens) {
		let held = tokens / 2;
		crate::benchmarking::fill_hold::<T>(who, node, held);
		crate::benchmarking::fill_batches::<T>(who, tokens - held);
	}
}
