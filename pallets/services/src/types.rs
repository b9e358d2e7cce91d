//! The records the service registry keeps: services, their versions with self-describing
//! endpoints, and placements.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::{pallet_prelude::*, CloneNoBound, DebugNoBound, EqNoBound, PartialEqNoBound};
use frame_system::pallet_prelude::BlockNumberFor;
use micro_primitives::{ApiTokens, VersionNumber};
use scale_info::TypeInfo;
use sp_core::H256;
use sp_runtime::Saturating;

use crate::{BalanceOf, Config};

/// A service's unique name: lowercase ASCII letters, digits and `-`, starting with a letter.
pub type ServiceNameOf<T> = BoundedVec<u8, <T as Config>::MaxNameLen>;
/// An identifier inside a service description: an endpoint, message or field name.
pub type IdentOf<T> = BoundedVec<u8, <T as Config>::MaxIdentLen>;
/// The endpoints of one version.
pub type EndpointsOf<T> = BoundedVec<Endpoint<T>, <T as Config>::MaxEndpoints>;
/// The versions a node announces it runs of one service.
pub type PlacedVersionsOf<T> = BoundedVec<VersionNumber, <T as Config>::MaxVersionsPerPlacement>;

/// Where a version's code comes from.
#[derive(
	CloneNoBound,
	PartialEqNoBound,
	EqNoBound,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	DebugNoBound,
)]
#[scale_info(skip_type_params(T))]
#[codec(mel_bound())]
pub struct Source<T: Config> {
	/// The public repository: `https://`, `http://`, `git://`, `ssh://`, `file://` or `git@`.
	pub repository: BoundedVec<u8, T::MaxUrlLen>,
	/// The commit or tag built.
	pub reference: BoundedVec<u8, T::MaxRefLen>,
}

/// The type of a field of a request or response message.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
)]
pub enum FieldKind {
	/// UTF-8 text.
	String,
	/// Raw bytes (base64 in JSON).
	Bytes,
	/// `true` or `false`.
	Bool,
	/// A signed 64-bit integer.
	Int64,
	/// An unsigned 64-bit integer.
	Uint64,
	/// A 64-bit float.
	Double,
	/// Any JSON value (protobuf `google.protobuf.Value`).
	Json,
}

/// One field of a message: its protobuf number, name and type.
#[derive(
	CloneNoBound,
	PartialEqNoBound,
	EqNoBound,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	DebugNoBound,
)]
#[scale_info(skip_type_params(T))]
#[codec(mel_bound())]
pub struct Field<T: Config> {
	/// The protobuf field number, from 1.
	pub number: u32,
	/// The field's name (its JSON key).
	pub name: IdentOf<T>,
	/// The field's type.
	pub kind: FieldKind,
	/// Whether the field holds a list of values.
	pub repeated: bool,
}

/// A request or response message: its name and fields.
#[derive(
	CloneNoBound,
	PartialEqNoBound,
	EqNoBound,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	DebugNoBound,
)]
#[scale_info(skip_type_params(T))]
#[codec(mel_bound())]
pub struct MessageType<T: Config> {
	/// The message's name, such as `Request`.
	pub name: IdentOf<T>,
	/// Its fields.
	pub fields: BoundedVec<Field<T>, T::MaxFields>,
}

/// One endpoint of a service, such as `Say.Hello`, with the messages it takes and returns.
#[derive(
	CloneNoBound,
	PartialEqNoBound,
	EqNoBound,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	DebugNoBound,
)]
#[scale_info(skip_type_params(T))]
#[codec(mel_bound())]
pub struct Endpoint<T: Config> {
	/// The endpoint's name, as MUCP's `Micro-Endpoint` header carries it.
	pub name: IdentOf<T>,
	/// What it takes.
	pub request: MessageType<T>,
	/// What it returns.
	pub response: MessageType<T>,
}

/// A registered service. Its owner is whoever holds its NFT.
#[derive(
	CloneNoBound, PartialEqNoBound, EqNoBound, Encode, Decode, MaxEncodedLen, TypeInfo, DebugNoBound,
)]
#[scale_info(skip_type_params(T))]
#[codec(mel_bound())]
pub struct ServiceInfo<T: Config> {
	/// The service's unique name.
	pub name: ServiceNameOf<T>,
	/// The account that registered it: its deposit goes back there.
	pub creator: T::AccountId,
	/// The deposit held from the creator.
	pub deposit: BalanceOf<T>,
	/// What one call costs, in API tokens, until a pending rise applies: read it with
	/// [`ServiceInfo::price_at`].
	pub price_per_call: ApiTokens,
	/// The block it was registered in.
	pub registered_at: BlockNumberFor<T>,
	/// The newest version's number; versions are numbered from 1.
	pub latest_version: VersionNumber,
	/// Versions published and not retired.
	pub live_versions: u32,
	/// Nodes that announced they run it.
	pub placements: u32,
	/// A price rise the owner announced: the new price, and the block it applies from (the
	/// announcement plus [`Config::PriceRiseNotice`]).
	pub price_rise: Option<(ApiTokens, BlockNumberFor<T>)>,
}

impl<T: Config> ServiceInfo<T> {
	/// The price per call in force in block `now`: the pending rise once its block has come.
	pub fn price_at(&self, now: BlockNumberFor<T>) -> ApiTokens {
		match self.price_rise {
			Some((price, from)) if from <= now => price,
			_ => self.price_per_call,
		}
	}

	/// Applies a rise whose block has come, so `price_per_call` is the price in force at `now`
	/// and `price_rise` is pending only if it is still to come.
	pub fn apply_due_rise(&mut self, now: BlockNumberFor<T>) {
		if let Some((price, from)) = self.price_rise {
			if from <= now {
				self.price_per_call = price;
				self.price_rise = None;
			}
		}
	}
}

/// One published version of a service.
#[derive(
	CloneNoBound, PartialEqNoBound, EqNoBound, Encode, Decode, MaxEncodedLen, TypeInfo, DebugNoBound,
)]
#[scale_info(skip_type_params(T))]
#[codec(mel_bound())]
pub struct VersionInfo<T: Config> {
	/// Where its code comes from.
	pub source: Source<T>,
	/// The blake2-256 hash of its wasm code.
	pub code_hash: H256,
	/// Its endpoints.
	pub endpoints: EndpointsOf<T>,
	/// The block it was published in.
	pub published_at: BlockNumberFor<T>,
	/// The block its owner retired it in, if retired.
	pub retired_at: Option<BlockNumberFor<T>>,
}

/// Whether a version can be called now.
#[derive(Clone, Copy, PartialEq, Eq, Encode, Decode, TypeInfo, Debug)]
pub enum VersionStatus {
	/// Not retired, and an online node runs it.
	Live,
	/// Not retired, but no online node runs it.
	Idle,
	/// Retired by its owner.
	Retired,
}

/// A node's announcement that it runs some versions of a service.
#[derive(
	CloneNoBound, PartialEqNoBound, EqNoBound, Encode, Decode, MaxEncodedLen, TypeInfo, DebugNoBound,
)]
#[scale_info(skip_type_params(T))]
#[codec(mel_bound())]
pub struct Placement<T: Config> {
	/// The versions the node runs.
	pub versions: PlacedVersionsOf<T>,
	/// The block of the announcement.
	pub since: BlockNumberFor<T>,
}

/// An owner's offer to sell a service: its NFT for `price` MICRO, to anyone or to one buyer.
#[derive(
	CloneNoBound, PartialEqNoBound, EqNoBound, Encode, Decode, MaxEncodedLen, TypeInfo, DebugNoBound,
)]
#[scale_info(skip_type_params(T))]
#[codec(mel_bound())]
pub struct Offer<T: Config> {
	/// The owner who made the offer; it lapses when the NFT leaves them.
	pub seller: T::AccountId,
	/// The price in MICRO units, split like all profit when paid.
	pub price: BalanceOf<T>,
	/// The only account that may buy, if the offer is not open to all.
	pub buyer: Option<T::AccountId>,
}

/// A node's placement of a service that ended: withdrawn by its operator or evicted.
#[derive(
	CloneNoBound, PartialEqNoBound, EqNoBound, Encode, Decode, MaxEncodedLen, TypeInfo, DebugNoBound,
)]
#[scale_info(skip_type_params(T))]
#[codec(mel_bound())]
pub struct PastPlacement<T: Config> {
	/// The versions the node ran.
	pub versions: PlacedVersionsOf<T>,
	/// The block the placement ended in.
	pub ended_at: BlockNumberFor<T>,
	/// Whether the service's owner evicted it (which bars the node for
	/// [`Config::EvictionBan`] blocks).
	pub evicted: bool,
}

impl<T: Config> PastPlacement<T> {
	/// The first block the node may place the service again in, if the owner barred it.
	pub fn banned_until(&self) -> Option<BlockNumberFor<T>> {
		self.evicted.then(|| self.ended_at.saturating_add(T::EvictionBan::get()))
	}

	/// Whether the record still matters at block `now`: its versions still count, or its ban
	/// still holds.
	pub fn matters_at(&self, now: BlockNumberFor<T>) -> bool {
		now <= self.ended_at.saturating_add(T::RetireGrace::get())
			|| self.banned_until().is_some_and(|until| now < until)
	}
}
