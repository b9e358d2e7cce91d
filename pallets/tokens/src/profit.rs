//! Transaction fees and tips, split like all profit: 2.5% to charity, 2.5% to operations and
//! the rest to the block's author.

use core::marker::PhantomData;
use frame_support::traits::{
	fungible::{Balanced, Credit},
	Imbalance, OnUnbalanced,
};
use micro_primitives::ProfitShares;
use sp_runtime::traits::Get;

use crate::Config;

/// Who authored the block being built or imported.
pub trait BlockAuthor<AccountId> {
	/// The author's account, if it can be told.
	fn author() -> Option<AccountId>;
}

impl<AccountId> BlockAuthor<AccountId> for () {
	fn author() -> Option<AccountId> {
		None
	}
}

/// The `OnUnbalanced` handler for transaction fees and tips: splits each amount with
/// [`ProfitShares::of`] into the charity and operations accounts, and pays the rest to the
/// block's author (to operations when the author is unknown or cannot take it). Nothing is
/// burned unless even the operations account refuses it.
pub struct SplitFees<T, Author>(PhantomData<(T, Author)>);

impl<T: Config, Author: BlockAuthor<T::AccountId>> OnUnbalanced<Credit<T::AccountId, T::Currency>>
	for SplitFees<T, Author>
{
	fn on_unbalanceds(amounts: impl Iterator<Item = Credit<T::AccountId, T::Currency>>) {
		let mut total = Credit::<T::AccountId, T::Currency>::zero();
		for amount in amounts {
			total.subsume(amount);
		}
		Self::on_unbalanced(total);
	}

	fn on_nonzero_unbalanced(amount: Credit<T::AccountId, T::Currency>) {
		let shares = ProfitShares::of(amount.peek());
		let (charity, rest) = amount.split(shares.charity);
		let (operations, remainder) = rest.split(shares.operations);
		let operations_account = T::OperationsAccount::get();
		if let Err(charity) = T::Currency::resolve(&T::CharityAccount::get(), charity) {
			let _ = T::Currency::resolve(&operations_account, charity);
		}
		let _ = T::Currency::resolve(&operations_account, operations);
		let remainder = match Author::author() {
			Some(author) => T::Currency::resolve(&author, remainder).err(),
			None => Some(remainder),
		};
		if let Some(remainder) = remainder {
			let _ = T::Currency::resolve(&operations_account, remainder);
		}
	}
}
