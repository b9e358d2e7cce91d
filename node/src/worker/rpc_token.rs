//! The node's RPC token: a secret the node writes, at every start, to a file only the user
//! running the node can read. RPC methods that act with the node key ask for it, on top of
//! being unsafe methods (loopback or `--rpc-methods unsafe` only).
//!
//! **The attack it stops.** Any web page can open a WebSocket to a node's loopback RPC
//! (WebSockets are not subject to CORS; `--rpc-cors all` lets pages read plain requests' answers
//! too). Without the token such a page could ask the node for its key's proof bound to the page
//! owner's operator account, and register the victim's node under it.
//! A page can send requests but cannot read a file on the node's machine, so it cannot get the
//! token; `micro node register` on that machine reads it (bitcoind's RPC cookie works alike).

use std::{
	fs::{self, OpenOptions},
	io::Write,
	os::unix::fs::OpenOptionsExt,
	path::{Path, PathBuf},
};

/// The file's name in the worker's directory.
pub const FILE_NAME: &str = "rpc.token";

/// The secret and where it is kept.
pub struct RpcToken {
	secret: String,
	file: PathBuf,
}

impl RpcToken {
	/// Makes a new secret and writes it to `dir`/[`FILE_NAME`], readable by this user only.
	/// Any earlier token (another run's) stops working.
	pub fn create(dir: &Path) -> Result<Self, String> {
		let mut bytes = [0u8; 32];
		getrandom::getrandom(&mut bytes)
			.map_err(|e| format!("no randomness for the RPC token: {e}"))?;
		let secret = mucp_offchain::hex::encode(&bytes);
		let file = dir.join(FILE_NAME);
		// A file left by another run, perhaps with looser permissions, is replaced, not reused.
		match fs::remove_file(&file) {
			Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
				return Err(format!("{}: {e}", file.display()))
			}
			_ => {}
		}
		let mut out = OpenOptions::new()
			.write(true)
			.create_new(true)
			.mode(0o600)
			.open(&file)
			.map_err(|e| format!("{}: {e}", file.display()))?;
		out.write_all(secret.as_bytes())
			.and_then(|()| out.sync_all())
			.map_err(|e| format!("{}: {e}", file.display()))?;
		Ok(Self { secret, file })
	}

	/// Where the token is kept.
	pub fn file(&self) -> &Path {
		&self.file
	}

	/// Whether `given` is the token (surrounding whitespace aside), compared in constant time.
	pub fn matches(&self, given: &str) -> bool {
		let given = given.trim().as_bytes();
		let secret = self.secret.as_bytes();
		given.len() == secret.len()
			&& given.iter().zip(secret).fold(0u8, |diff, (a, b)| diff | (a ^ b)) == 0
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use std::os::unix::fs::PermissionsExt;

	#[test]
	fn the_token_is_written_for_this_user_only_and_only_the_newest_matches() {
		let dir = tempfile::tempdir().unwrap();
		let first = RpcToken::create(dir.path()).unwrap();
		let written = fs::read_to_string(first.file()).unwrap();
		assert_eq!(written.len(), 64, "32 random bytes in hex");
		assert!(first.matches(&written) && first.matches(&format!("{written}\n")));
		let mode = fs::metadata(first.file()).unwrap().permissions().mode();
		assert_eq!(mode & 0o777, 0o600, "readable by the node's user only");

		// Another start replaces the file, even one left readable by everybody.
		fs::set_permissions(first.file(), fs::Permissions::from_mode(0o644)).unwrap();
		let second = RpcToken::create(dir.path()).unwrap();
		let rewritten = fs::read_to_string(second.file()).unwrap();
		assert_ne!(written, rewritten);
		assert!(second.matches(&rewritten) && !second.matches(&written));
		let mode = fs::metadata(second.file()).unwrap().permissions().mode();
		assert_eq!(mode & 0o777, 0o600);
	}

	#[test]
	fn a_wrong_short_or_empty_token_does_not_match() {
		let dir = tempfile::tempdir().unwrap();
		let token = RpcToken::create(dir.path()).unwrap();
		let written = fs::read_to_string(token.file()).unwrap();
		let mut wrong = written.clone().into_bytes();
		wrong[63] = if wrong[63] == b'0' { b'1' } else { b'0' };
		assert!(!token.matches(std::str::from_utf8(&wrong).unwrap()));
		assert!(!token.matches(&written[..63]));
		assert!(!token.matches(""));
		assert!(!token.matches(&format!("{written}{written}")));
	}
}
