//! `counter`: named counters kept in the host's storage, so they live across calls of one
//! version. `Counter.Increment` takes `{"name": "..."}` and answers `{"count": n}` after adding
//! one; `Counter.Get` answers the count without changing it; `Counter.Reset` sets it to zero.

#![no_std]

extern crate alloc;

use alloc::{format, vec::Vec};
use micro_service::{service, storage, Error, Request};

service! {
	"Counter.Increment" => increment,
	"Counter.Get" => get,
	"Counter.Reset" => reset,
}

fn count(name: &str) -> u64 {
	storage::get(name.as_bytes())
		.and_then(|bytes| <[u8; 8]>::try_from(bytes.as_slice()).ok())
		.map_or(0, u64::from_le_bytes)
}

fn answer(count: u64) -> Vec<u8> {
	format!(r#"{{"count":{count}}}"#).into_bytes()
}

fn increment(request: &Request) -> Result<Vec<u8>, Error> {
	let name = request.json_str("name")?;
	let next = count(&name).checked_add(1).ok_or_else(|| Error::internal("counter overflow"))?;
	storage::set(name.as_bytes(), &next.to_le_bytes());
	Ok(answer(next))
}

fn get(request: &Request) -> Result<Vec<u8>, Error> {
	Ok(answer(count(&request.json_str("name")?)))
}

fn reset(request: &Request) -> Result<Vec<u8>, Error> {
	storage::remove(request.json_str("name")?.as_bytes());
	Ok(answer(0))
}
