//! The node's layer-0 key: ed25519, in the node's keystore under key type `mucp`.
//!
//! The first start makes it: from the dev seed with `//mucp` appended when the node runs as a
//! dev account (`--alice`), so dev networks have stable peer ids; otherwise from fresh
//! randomness. Every later start finds it in the keystore. The same key is the MUCP peer's
//! libp2p identity, so every MUCP connection is authenticated by it.

use sc_keystore::LocalKeystore;
use sp_core::{crypto::KeyTypeId, ed25519, Pair as _};
use sp_keystore::Keystore;

/// The keystore key type of node keys.
pub const KEY_TYPE: KeyTypeId = KeyTypeId(*b"mucp");

mod app {
	use sp_application_crypto::{app_crypto, ed25519};
	app_crypto!(ed25519, super::KEY_TYPE);
}

/// The node key with its secret.
pub type NodeKeyPair = ed25519::Pair;

/// The node's key: the one in the keystore, or a new one put there.
pub fn node_key(keystore: &LocalKeystore, dev_seed: Option<&str>) -> Result<NodeKeyPair, String> {
	let failed = |e: &dyn std::fmt::Display| format!("the node key in the keystore: {e}");
	let mut publics = keystore.ed25519_public_keys(KEY_TYPE);
	if publics.is_empty() {
		let public = match dev_seed {
			// Written to the keystore's directory like a generated key (a key generated from a
			// seed would be kept in memory only).
			Some(seed) => {
				let suri = format!("{seed}//mucp");
				let pair = ed25519::Pair::from_string(&suri, None)
					.map_err(|e| failed(&format!("{e:?}")))?;
				keystore
					.insert(KEY_TYPE, &suri, pair.public().as_ref())
					.map_err(|()| "the node key could not be written to the keystore".to_owned())?;
				pair.public()
			}
			None => keystore.ed25519_generate_new(KEY_TYPE, None).map_err(|e| failed(&e))?,
		};
		publics.push(public);
	}
	publics.sort();
	let public = app::Public::from(publics[0]);
	let pair = keystore
		.key_pair::<app::Pair>(&public)
		.map_err(|e| failed(&e))?
		.ok_or_else(|| "the node key's secret is not in the keystore".to_owned())?;
	Ok(pair.into())
}

/// The libp2p identity of the node key.
pub fn libp2p_keypair(key: &NodeKeyPair) -> mucp_offchain::peer::Keypair {
	mucp_offchain::peer::Keypair::ed25519_from_bytes(key.seed())
		.expect("an ed25519 seed is 32 bytes")
}

/// The proof that the node key is `operator`'s to register: its signature over
/// `(NODE_KEY_PROOF_CONTEXT, genesis, operator, nonce)`.
pub fn key_proof(
	key: &NodeKeyPair,
	genesis: &[u8; 32],
	operator: &micro_runtime::AccountId,
	nonce: u32,
) -> ed25519::Signature {
	use codec::Encode;
	key.sign(&(micro_primitives::NODE_KEY_PROOF_CONTEXT, genesis, operator, nonce).encode())
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn the_key_is_made_once_and_found_again() {
		let dir = tempfile::tempdir().unwrap();
		let keystore = LocalKeystore::open(dir.path(), None).unwrap();
		let first = node_key(&keystore, Some("//Alice")).unwrap();
		let expected = ed25519::Pair::from_string("//Alice//mucp", None).unwrap();
		assert_eq!(first.public(), expected.public(), "a dev node's key comes from its seed");
		let again = node_key(&LocalKeystore::open(dir.path(), None).unwrap(), None).unwrap();
		assert_eq!(again.public(), first.public(), "kept across restarts");
		let peer = libp2p_keypair(&first).public().to_peer_id();
		let other_dir = tempfile::tempdir().unwrap();
		let fresh = node_key(&LocalKeystore::open(other_dir.path(), None).unwrap(), None).unwrap();
		assert_ne!(peer, libp2p_keypair(&fresh).public().to_peer_id(), "a fresh key otherwise");
		let reopened = LocalKeystore::open(other_dir.path(), None).unwrap();
		assert_eq!(node_key(&reopened, None).unwrap().public(), fresh.public(), "kept too");
	}
}
