//! Benchmarks of the tokens pallet, each at its worst case: an account holding as many batches
//! as allowed, and, for the calls that add a batch, one of them lapsed, so the call reaps it
//! (two payments out of the pot) before adding the new one.

use super::*;
use crate::Pallet as MicroTokens;
use alloc::vec::Vec;
use frame_benchmarking::v2::*;
use frame_support::{
	pallet_prelude::*,
	traits::fungible::{Inspect, Mutate},
};
use frame_system::{pallet_prelude::BlockNumberFor, RawOrigin};
use micro_primitives::{ApiTokens, NodeDirectory};
use sp_runtime::Saturating;

fn funded<T: Config>(name: &'static str) -> T::AccountId {
	let who: T::AccountId = account(name, 0, 0);
	T::Currency::set_balance(&who, Balance::MAX / 1_000_000_000);
	who
}

/// Gives `who` `count` backed batches of `tokens` each, expiring `granularity` apart from
/// `first`, with their backing minted into the pot.
fn batches_for<T: Config>(
	who: &T::AccountId,
	count: u32,
	tokens: ApiTokens,
	first: BlockNumberFor<T>,
) {
	let params = Params::<T>::get();
	let price = MicroTokens::<T>::current_price();
	let mut batches = Vec::new();
	let mut expires_at = first;
	for _ in 0..count {
		batches.push(TokenBatch {
			tokens,
			backing: tokens.saturating_mul(price),
			expires_at,
			kind: BatchKind::Backed,
		});
		expires_at = expires_at.saturating_add(params.granularity);
	}
	let backing: Balance = batches.iter().map(|b| b.backing).sum();
	T::Currency::mint_into(&MicroTokens::<T>::pot(), backing).expect("the pot exists");
	TotalBacking::<T>::mutate(|total| total.saturating_accrue(backing));
	let mut all = Batches::<T>::get(who).into_inner();
	all.extend(batches);
	all.sort_by_key(|b| b.expires_at);
	Batches::<T>::insert(who, BoundedVec::truncate_from(all));
}

/// Fills every batch slot of `who` with backed tokens, `tokens` in all, the last batch taking
/// what does not divide evenly: spending them all touches every batch.
pub(crate) fn fill_batches<T: Config>(who: &T::AccountId, tokens: ApiTokens) {
	MicroTokens::<T>::ensure_exists(&MicroTokens::<T>::pot());
	let count = T::MaxBatches::get().max(1);
	let each = tokens / count as ApiTokens;
	let first =
		frame_system::Pallet::<T>::block_number().saturating_add(Params::<T>::get().lifetime);
	if each > 0 {
		batches_for::<T>(who, count - 1, each, first);
	}
	let last = tokens - each * (count - 1) as ApiTokens;
	let far = first.saturating_add(Params::<T>::get().granularity.saturating_mul(count.into()));
	batches_for::<T>(who, 1, last, far);
}

/// Makes `who` hold, for `node` until `until`, pieces of `tokens` tokens expiring at each of
/// `expiries`, with their backing minted into the pot.
fn hold_pieces<T: Config>(
	who: &T::AccountId,
	node: micro_primitives::NodeId,
	tokens: &[ApiTokens],
	expiries: &[BlockNumberFor<T>],
	until: BlockNumberFor<T>,
) {
	MicroTokens::<T>::ensure_exists(&MicroTokens::<T>::pot());
	let price = MicroTokens::<T>::current_price();
	let mut pieces: Vec<TokenBatch<BlockNumberFor<T>>> = tokens
		.iter()
		.zip(expiries)
		.filter(|(tokens, _)| **tokens > 0)
		.map(|(tokens, expires_at)| TokenBatch {
			tokens: *tokens,
			backing: tokens.saturating_mul(price),
			expires_at: *expires_at,
			kind: BatchKind::Backed,
		})
		.collect();
	pieces.sort_by_key(|b| b.expires_at);
	let backing: Balance = pieces.iter().map(|b| b.backing).sum();
	T::Currency::mint_into(&MicroTokens::<T>::pot(), backing).expect("the pot exists");
	TotalBacking::<T>::mutate(|total| total.saturating_accrue(backing));
	Holds::<T>::insert(who, node, TokenHold { batches: BoundedVec::truncate_from(pieces), until });
}

/// Makes `who` hold `tokens` for `node` in as many pieces as a hold keeps, the last taking what
/// does not divide evenly, until long after now.
pub(crate) fn fill_hold<T: Config>(
	who: &T::AccountId,
	node: micro_primitives::NodeId,
	tokens: ApiTokens,
) {
	let params = Params::<T>::get();
	let now = frame_system::Pallet::<T>::block_number();
	let count = T::MaxBatches::get().max(1);
	let each = tokens / count as ApiTokens;
	let mut amounts: Vec<ApiTokens> = (1..count).map(|_| each).collect();
	amounts.push(tokens - each * (count - 1) as ApiTokens);
	let first = now.saturating_add(params.lifetime);
	let expiries: Vec<BlockNumberFor<T>> = (0..count)
		.map(|i| first.saturating_add(params.granularity.saturating_mul(i.into())))
		.collect();
	let until = now.saturating_add(T::HoldNotice::get()).saturating_add(params.lifetime);
	hold_pieces::<T>(who, node, &amounts, &expiries, until);
}

/// The block after which batches expiring at or before `first` lapse, while later ones live.
fn lapsed_after<T: Config>(expires_at: BlockNumberFor<T>) -> BlockNumberFor<T> {
	expires_at.saturating_add(Params::<T>::get().refresh_grace).saturating_add(1u32.into())
}

/// Gives `who` one batch that has lapsed by the block this moves to and `MaxBatches - 1` that
/// live long after it: adding a batch then reaps the lapsed one and fills the list.
fn lapsed_and_live<T: Config>(who: &T::AccountId) {
	let lapsing = frame_system::Pallet::<T>::block_number().saturating_add(1u32.into());
	batches_for::<T>(who, 1, 1_000, lapsing);
	let later = lapsed_after::<T>(lapsing);
	let far = later.saturating_add(Params::<T>::get().lifetime.saturating_mul(2u32.into()));
	batches_for::<T>(who, T::MaxBatches::get() - 1, 1_000, far);
	frame_system::Pallet::<T>::set_block_number(later);
}

#[benchmarks]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn buy_tokens() {
		let buyer = funded::<T>("buyer");
		lapsed_and_live::<T>(&buyer);

		#[extrinsic_call]
		_(RawOrigin::Signed(buyer.clone()), 1_000_000, Balance::MAX);

		assert_eq!(Batches::<T>::get(&buyer).len() as u32, T::MaxBatches::get());
	}

	#[benchmark]
	fn refresh_batch() {
		let holder = funded::<T>("holder");
		let now = frame_system::Pallet::<T>::block_number();
		let expired = now.saturating_add(1u32.into());
		batches_for::<T>(&holder, 1, 1_000, expired);
		let far = now.saturating_add(Params::<T>::get().lifetime.saturating_mul(3u32.into()));
		batches_for::<T>(&holder, T::MaxBatches::get() - 1, 1_000, far);
		frame_system::Pallet::<T>::set_block_number(expired.saturating_add(1u32.into()));

		#[extrinsic_call]
		_(RawOrigin::Signed(holder.clone()), expired);

		assert!(Batches::<T>::get(&holder).iter().all(|b| b.expires_at != expired));
	}

	#[benchmark]
	fn claim_free_tokens() {
		let who = funded::<T>("newcomer");
		lapsed_and_live::<T>(&who);

		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()));

		assert_eq!(Batches::<T>::get(&who).len() as u32, T::MaxBatches::get());
	}

	#[benchmark]
	fn claim_node_allowance() {
		let operator = funded::<T>("operator");
		let start = frame_system::Pallet::<T>::block_number()
			.saturating_add(T::MinNodeAge::get())
			.saturating_add(1u32.into());
		frame_system::Pallet::<T>::set_block_number(start);
		let node = T::Nodes::register_for_benchmark(&operator);
		lapsed_and_live::<T>(&operator);
		T::Nodes::mature_for_benchmark(node, T::MinNodeAge::get());

		#[extrinsic_call]
		_(RawOrigin::Signed(operator.clone()), node);

		assert!(OperatorClaimed::<T>::contains_key(&operator));
		assert_eq!(Batches::<T>::get(&operator).len() as u32, T::MaxBatches::get());
	}

	#[benchmark]
	fn reap_expired() {
		let caller = funded::<T>("caller");
		let holder = funded::<T>("holder");
		let first = frame_system::Pallet::<T>::block_number().saturating_add(1u32.into());
		batches_for::<T>(&holder, T::MaxBatches::get(), 1_000, first);
		let last = Batches::<T>::get(&holder).last().map(|b| b.expires_at).unwrap_or(first);
		frame_system::Pallet::<T>::set_block_number(lapsed_after::<T>(last));

		#[extrinsic_call]
		_(RawOrigin::Signed(caller), holder.clone());

		assert!(!Batches::<T>::contains_key(&holder));
	}

	#[benchmark]
	fn set_params() -> Result<(), BenchmarkError> {
		let origin =
			T::ParamsOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		// The parameters in force with another allowance: valid for any chain's day length.
		let mut params = Params::<T>::get();
		params.allowance_base = if params.allowance_base < MAX_ALLOWANCE_BASE {
			params.allowance_base + 1
		} else {
			params.allowance_base - 1
		};

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, params);

		assert_eq!(Params::<T>::get(), params);
		Ok(())
	}

	#[benchmark]
	fn claim_owed() {
		let caller = funded::<T>("caller");
		let payee: T::AccountId = account("payee", 0, 0);
		let amount = T::Currency::minimum_balance().saturating_mul(10);
		MicroTokens::<T>::ensure_exists(&MicroTokens::<T>::pot());
		T::Currency::mint_into(&MicroTokens::<T>::pot(), amount).expect("the pot exists");
		Owed::<T>::insert(&payee, amount);

		#[extrinsic_call]
		_(RawOrigin::Signed(caller), payee.clone());

		assert!(!Owed::<T>::contains_key(&payee));
		assert_eq!(T::Currency::balance(&payee), amount);
	}

	/// Holding the tokens of every batch (after reaping a lapsed one), each piece a new entry
	/// of a hold that exists already.
	#[benchmark]
	fn hold_for_node() {
		let consumer = funded::<T>("consumer");
		let operator = funded::<T>("operator");
		let node = T::Nodes::register_for_benchmark(&operator);
		lapsed_and_live::<T>(&consumer);
		let now = frame_system::Pallet::<T>::block_number();
		let until = now.saturating_add(T::HoldNotice::get()).saturating_add(1u32.into());
		hold_pieces::<T>(&consumer, node, &[1_000], &[now], until);
		let tokens = MicroTokens::<T>::balance_of(&consumer).0;

		#[extrinsic_call]
		_(RawOrigin::Signed(consumer.clone()), node, tokens, until);

		assert!(!Batches::<T>::contains_key(&consumer));
		assert_eq!(
			Holds::<T>::get(&consumer, node).map(|hold| hold.tokens()),
			Some(tokens + 1_000)
		);
	}

	/// Releasing a full hold, one piece lapsed (two payments out of the pot), into a full batch
	/// list with one lapsed batch: every other piece merges into a batch.
	#[benchmark]
	fn release_hold() {
		let caller = funded::<T>("caller");
		let consumer = funded::<T>("consumer");
		let node = 0;
		let start = frame_system::Pallet::<T>::block_number();
		lapsed_and_live::<T>(&consumer);
		let now = frame_system::Pallet::<T>::block_number();
		let mut expiries: Vec<BlockNumberFor<T>> =
			Batches::<T>::get(&consumer).iter().map(|b| b.expires_at).collect();
		expiries.retain(|at| *at > now);
		expiries.push(start.saturating_add(1u32.into()));
		let amounts: Vec<ApiTokens> = expiries.iter().map(|_| 500).collect();
		hold_pieces::<T>(&consumer, node, &amounts, &expiries, start);

		#[extrinsic_call]
		_(RawOrigin::Signed(caller), consumer.clone(), node);

		assert!(!Holds::<T>::contains_key(&consumer, node));
		assert_eq!(Batches::<T>::get(&consumer).len() as u32, T::MaxBatches::get() - 1);
	}

	impl_benchmark_test_suite!(MicroTokens, crate::mock::new_test_ext(), crate::mock::Test);
}
