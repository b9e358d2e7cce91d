//! Benchmarks of the nodes pallet, each at its worst case.

use super::*;
use crate::Pallet as MicroNodes;
use alloc::vec::Vec;
use frame_benchmarking::v2::*;
use frame_support::{
	pallet_prelude::*,
	traits::{fungible::Mutate, Authorize},
};
use frame_system::{pallet_prelude::BlockNumberFor, RawOrigin};
use micro_primitives::{NodeId, NodeKey, NodePlacements, NodeSignature};

use sp_core::crypto::KeyTypeId;
use sp_runtime::{traits::Bounded, Saturating};

/// The keystore key type benchmark keys are made under.
const KEY_TYPE: KeyTypeId = micro_primitives::BENCHMARK_KEY_TYPE;

fn funded<T: Config>(name: &'static str, index: u32) -> T::AccountId {
	let who: T::AccountId = account(name, index, 0);
	fund::<T>(&who);
	who
}

fn fund<T: Config>(who: &T::AccountId) {
	T::Currency::set_balance(who, BalanceOf::<T>::max_value() / 1_000_000u32.into());
}

/// Funds `operator` and registers an online node for it.
pub(crate) fn register_funded<T: Config>(operator: &T::AccountId) -> NodeId {
	fund::<T>(operator);
	register::<T>(operator).0
}

fn new_key() -> NodeKey {
	sp_io::crypto::ed25519_generate(KEY_TYPE, None)
}

fn sign(key: &NodeKey, message: &[u8]) -> NodeSignature {
	sp_io::crypto::ed25519_sign(KEY_TYPE, key, message).expect("the key is in the keystore")
}

/// The peer id of `key`: the only one it registers with.
fn peer_id<T: Config>(key: &NodeKey) -> PeerIdOf<T> {
	MicroNodes::<T>::derived_peer_id(key).expect("the integrity test checks the bound")
}

/// As many addresses as allowed, each as long as allowed.
fn addresses<T: Config>() -> AddressesOf<T> {
	let mut address: Vec<u8> = b"/dns4/node.example/tcp/30333/p2p/".to_vec();
	address.resize(T::MaxAddressLen::get() as usize, b'x');
	let address: AddressOf<T> = address.try_into().expect("sized to the bound");
	alloc::vec![address; T::MaxAddresses::get() as usize].try_into().expect("sized to the bound")
}

fn capacity() -> Capacity {
	Capacity { cpu_millicores: 4000, memory_mib: 8192, storage_mib: 100_000, bandwidth_mbps: 1000 }
}

/// Registers a node for `operator` and returns it with its key.
fn register<T: Config>(operator: &T::AccountId) -> (NodeId, NodeKey) {
	let key = new_key();
	let proof =
		sign(&key, &MicroNodes::<T>::key_proof_message(operator, ProofNonce::<T>::get(operator)));
	let node = MicroNodes::<T>::do_register(
		operator.clone(),
		key,
		proof,
		peer_id::<T>(&key),
		addresses::<T>(),
		capacity(),
	)
	.expect("a fresh node registers");
	(node, key)
}

/// Fills `operator`'s node list up to one short of the limit.
fn fill_operator<T: Config>(operator: &T::AccountId) {
	for _ in 1..T::MaxNodesPerOperator::get() {
		register::<T>(operator);
	}
}

/// A heartbeat for `node`, which runs `services` services, after an outage while serving: the
/// slowest kind for that many services.
fn late_heartbeat<T: Config>(services: u32) -> (NodeId, BlockNumberFor<T>, NodeSignature) {
	let operator = funded::<T>("operator", 0);
	let (node, key) = register::<T>(&operator);
	// At least one service, so the outage costs a reputation penalty.
	T::Placements::serve_for_benchmark(node, services.max(1));
	let ttl = HeartbeatTtl::<T>::get();
	let now = frame_system::Pallet::<T>::block_number().saturating_add(ttl).saturating_add(ttl);
	frame_system::Pallet::<T>::set_block_number(now);
	let signature = sign(&key, &MicroNodes::<T>::heartbeat_message(node, now));
	(node, now, signature)
}

#[benchmarks]
mod benchmarks {
	use super::*;

	/// A fresh key (a returning key reads the same and writes less).
	#[benchmark]
	fn register_node() {
		let operator = funded::<T>("operator", 0);
		fill_operator::<T>(&operator);
		let key = new_key();
		let proof = sign(
			&key,
			&MicroNodes::<T>::key_proof_message(&operator, ProofNonce::<T>::get(&operator)),
		);

		#[extrinsic_call]
		_(
			RawOrigin::Signed(operator.clone()),
			key,
			proof,
			peer_id::<T>(&key),
			addresses::<T>(),
			capacity(),
		);

		assert_eq!(NodeByKey::<T>::get(key).map(|n| Nodes::<T>::get(n).is_some()), Some(true));
	}

	#[benchmark]
	fn update_node() {
		let operator = funded::<T>("operator", 0);
		let (node, _) = register::<T>(&operator);

		#[extrinsic_call]
		_(RawOrigin::Signed(operator), node, Some(addresses::<T>()), Some(capacity()));

		assert!(Nodes::<T>::get(node).is_some());
	}

	#[benchmark]
	fn rotate_key() {
		let operator = funded::<T>("operator", 0);
		let (node, old_key) = register::<T>(&operator);
		let new_key = new_key();
		let proof = sign(
			&new_key,
			&MicroNodes::<T>::key_proof_message(&operator, ProofNonce::<T>::get(&operator)),
		);

		#[extrinsic_call]
		_(RawOrigin::Signed(operator), node, new_key, proof);

		assert_eq!(NodeByKey::<T>::get(new_key), Some(node));
		assert!(NodeByKey::<T>::get(old_key).is_none());
		assert_eq!(NodeByPeerId::<T>::get(peer_id::<T>(&new_key)), Some(node));
	}

	/// `s` services on the node, up to the most a node may run.
	#[benchmark]
	fn heartbeat(s: Linear<0, { T::Placements::max_services_per_node() }>) {
		let (node, at, signature) = late_heartbeat::<T>(s);

		#[extrinsic_call]
		_(RawOrigin::Authorized, node, at, signature);

		assert_eq!(Nodes::<T>::get(node).map(|info| info.last_heartbeat), Some(at));
	}

	#[benchmark]
	fn authorize_heartbeat() -> Result<(), BenchmarkError> {
		let (node, at, signature) = late_heartbeat::<T>(T::Placements::max_services_per_node());
		let call = Call::<T>::heartbeat { node, at, signature };

		#[block]
		{
			call.authorize(TransactionSource::External)
				.ok_or("heartbeat is an authorized call")?
				.map_err(|_| "the heartbeat is valid")?;
		}

		Ok(())
	}

	#[benchmark]
	fn deregister_node() {
		let operator = funded::<T>("operator", 0);
		fill_operator::<T>(&operator);
		let (node, _) = register::<T>(&operator);

		#[extrinsic_call]
		_(RawOrigin::Signed(operator.clone()), node);

		assert!(Nodes::<T>::get(node).is_none());
	}

	#[benchmark]
	fn set_heartbeat_ttl() -> Result<(), BenchmarkError> {
		let origin =
			T::ParamsOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		let ttl: BlockNumberFor<T> = T::MaxHeartbeatTtl::get();

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, ttl);

		assert_eq!(HeartbeatTtl::<T>::get(), ttl);
		Ok(())
	}

	impl_benchmark_test_suite!(MicroNodes, crate::mock::new_test_ext(), crate::mock::Test);
}
