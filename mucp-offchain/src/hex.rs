//! Hex, the one helper the workspace writes and reads it with: code hashes, node keys,
//! allowances in headers, protobuf bodies shown as JSON, and the CLI's and tests' output.

/// Lowercase hex of `bytes`, without a prefix.
pub fn encode(bytes: &[u8]) -> String {
	const DIGITS: &[u8; 16] = b"0123456789abcdef";
	let mut text = String::with_capacity(bytes.len() * 2);
	for byte in bytes {
		text.push(DIGITS[usize::from(byte >> 4)] as char);
		text.push(DIGITS[usize::from(byte & 0xf)] as char);
	}
	text
}

/// `0x` and the lowercase hex of `bytes`, as the chain's tools write hashes and keys.
pub fn prefixed(bytes: &[u8]) -> String {
	format!("0x{}", encode(bytes))
}

/// The bytes of lowercase or uppercase hex `digits` (no prefix), or `None` if they are not
/// an even number of hex digits.
pub fn decode(digits: &str) -> Option<Vec<u8>> {
	let digits = digits.as_bytes();
	if !digits.len().is_multiple_of(2) {
		return None;
	}
	let value = |digit: u8| char::from(digit).to_digit(16).map(|v| v as u8);
	digits.chunks(2).map(|pair| Some(value(pair[0])? << 4 | value(pair[1])?)).collect()
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn encodes_lowercase_and_decodes_either_case() {
		assert_eq!(encode(&[]), "");
		assert_eq!(encode(&[0, 1, 0xab, 0xff]), "0001abff");
		assert_eq!(prefixed(&[1, 171]), "0x01ab");
		assert_eq!(decode("0001ABff"), Some(vec![0, 1, 0xab, 0xff]));
		assert_eq!(decode(""), Some(vec![]));
	}

	#[test]
	fn refuses_what_is_not_hex() {
		assert_eq!(decode("abc"), None, "odd length");
		assert_eq!(decode("0x01"), None, "the prefix is the caller's to strip");
		assert_eq!(decode("zz"), None);
		assert_eq!(decode("+1"), None, "a sign is not a digit");
		assert_eq!(decode("éab"), None, "a character past ASCII is not a digit");
	}
}
