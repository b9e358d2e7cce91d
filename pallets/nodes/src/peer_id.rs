//! The libp2p peer id of a node key, derived on chain.
//!
//! A libp2p peer id of an ed25519 key is the identity multihash (code `0x00`, length `0x24`) of
//! the protobuf `PublicKey { type: Ed25519 (1), data: key }` (`0x08 0x01 0x12 0x20 ++ key`),
//! written in base58 (`12D3KooW...`, 52 characters). The worker's libp2p stack derives its peer
//! id from the node key the same way, so a node's registered peer id is the one it answers to.

use alloc::vec::Vec;
use micro_primitives::NodeKey;

/// The bytes before the key in the identity multihash of an ed25519 libp2p public key.
const ED25519_MULTIHASH_PREFIX: [u8; 6] = [0x00, 0x24, 0x08, 0x01, 0x12, 0x20];

/// The base58 (Bitcoin) alphabet libp2p peer ids are written in.
pub const BASE58_ALPHABET: &[u8; 58] =
	b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

/// The libp2p peer id of `key`, in its base58 text form.
pub fn peer_id_of(key: &NodeKey) -> Vec<u8> {
	let mut bytes = [0u8; 38];
	bytes[..6].copy_from_slice(&ED25519_MULTIHASH_PREFIX);
	bytes[6..].copy_from_slice(key.as_ref());
	base58(&bytes)
}

/// `bytes` in base58: each leading zero byte is a `1`, the rest the number they spell.
pub fn base58(bytes: &[u8]) -> Vec<u8> {
	// Digits in base 58, least significant first.
	let mut digits: Vec<u8> = Vec::with_capacity(bytes.len() * 138 / 100 + 1);
	for byte in bytes {
		let mut carry = u32::from(*byte);
		for digit in digits.iter_mut() {
			carry += u32::from(*digit) << 8;
			*digit = (carry % 58) as u8;
			carry /= 58;
		}
		while carry > 0 {
			digits.push((carry % 58) as u8);
			carry /= 58;
		}
	}
	let zeros = bytes.iter().take_while(|byte| **byte == 0).count();
	let mut text = alloc::vec![BASE58_ALPHABET[0]; zeros];
	text.extend(digits.iter().rev().map(|digit| BASE58_ALPHABET[usize::from(*digit)]));
	text
}

#[cfg(test)]
mod tests {
	use super::*;
	use sp_core::{ed25519, Pair};

	/// Peer ids computed once by `libp2p-identity` 0.2.14
	/// (`Keypair::ed25519_from_bytes([seed; 32]).public().to_peer_id().to_base58()`).
	const LIBP2P_VECTORS: [(u8, &str); 4] = [
		(1, "12D3KooWK99VoVxNE7XzyBwXEzW7xhK7Gpv85r9F3V3fyKSUKPH5"),
		(2, "12D3KooWJWoaqZhDaoEFshF7Rh1bpY9ohihFhzcW6d69Lr2NASuq"),
		(3, "12D3KooWRndVhVZPCiQwHBBBdg769GyrPUW13zxwqQyf9r3ANaba"),
		(7, "12D3KooWRawPbxPtP1eZaJpumGnyWX2DcUyd3RQnydr3eAto4Az7"),
	];

	#[test]
	fn matches_the_peer_ids_libp2p_derives() {
		for (seed, expected) in LIBP2P_VECTORS {
			let key = ed25519::Pair::from_seed(&[seed; 32]).public();
			assert_eq!(peer_id_of(&key), expected.as_bytes(), "seed {seed}");
		}
	}

	#[test]
	fn base58_keeps_leading_zeros() {
		assert_eq!(base58(&[]), b"");
		assert_eq!(base58(&[0]), b"1");
		assert_eq!(base58(&[0, 0, 57]), b"11z");
		assert_eq!(base58(&[58]), b"21");
		assert_eq!(base58(b"hello world"), b"StV1DL6CwTryKyV");
	}
}
