//! The host side of the ABI, version 1 (the guest side is the `micro-service` crate, whose docs
//! list every import and export).

use wasmtime::{Caller, Error, InstancePre, Linker, Memory, Store};

use super::CallState;
use crate::protocol::ContentType;

/// The only module a service may import from.
pub(crate) const MODULE: &str = "micro";

/// The functions a service may import.
pub(crate) const IMPORTS: &[&str] = &[
	"respond",
	"fail",
	"log",
	"publish",
	"call",
	"storage_get",
	"storage_set",
	"storage_remove",
	"result_len",
	"take_result",
];

/// What a service must export.
pub(crate) const EXPORTS: &[&str] = &["memory", "micro_abi_version", "micro_alloc", "micro_handle"];

/// Longest log line kept.
const MAX_LOG_LINE: usize = 4096;

fn memory(caller: &mut Caller<'_, CallState>) -> Result<Memory, Error> {
	caller
		.get_export("memory")
		.and_then(|export| export.into_memory())
		.ok_or_else(|| Error::msg("the module exports no memory"))
}

/// Copies `len` bytes at `ptr` out of the guest's memory; out of bounds traps.
fn read(caller: &mut Caller<'_, CallState>, ptr: i32, len: i32) -> Result<Vec<u8>, Error> {
	let memory = memory(caller)?;
	let len = usize::try_from(len).map_err(|_| Error::msg("negative length"))?;
	let ptr = usize::try_from(ptr as u32).map_err(|_| Error::msg("bad pointer"))?;
	let mut out = vec![0u8; len];
	memory
		.read(&*caller, ptr, &mut out)
		.map_err(|_| Error::msg("the guest passed memory out of bounds"))?;
	Ok(out)
}

fn text(caller: &mut Caller<'_, CallState>, ptr: i32, len: i32) -> Result<String, Error> {
	String::from_utf8(read(caller, ptr, len)?)
		.map_err(|_| Error::msg("the guest passed non-UTF-8 text"))
}

/// Links the host functions into `linker`.
pub(crate) fn link(linker: &mut Linker<CallState>) -> Result<(), Error> {
	linker.func_wrap(
		MODULE,
		"respond",
		|mut caller: Caller<'_, CallState>, ptr: i32, len: i32| {
			if len as usize > caller.data().max_response_size {
				return Err(Error::msg("the response is larger than the executor allows"));
			}
			let body = read(&mut caller, ptr, len)?;
			caller.data_mut().response = Some(body);
			Ok(())
		},
	)?;
	linker.func_wrap(
		MODULE,
		"fail",
		|mut caller: Caller<'_, CallState>, code: i32, ptr: i32, len: i32| {
			let detail =
				String::from_utf8_lossy(&read(&mut caller, ptr, len.min(4096))?).into_owned();
			let code = u16::try_from(code).ok().filter(|c| (400..600).contains(c)).unwrap_or(500);
			caller.data_mut().failure = Some((code, detail));
			Ok(())
		},
	)?;
	linker.func_wrap(
		MODULE,
		"log",
		|mut caller: Caller<'_, CallState>, level: i32, ptr: i32, len: i32| {
			let line =
				String::from_utf8_lossy(&read(&mut caller, ptr, len.min(MAX_LOG_LINE as i32))?)
					.into_owned();
			let host = caller.data().host.clone();
			host.log(level, &line);
			Ok(())
		},
	)?;
	linker.func_wrap(
		MODULE,
		"publish",
		|mut caller: Caller<'_, CallState>, topic: i32, topic_len: i32, ptr: i32, len: i32| {
			let topic = text(&mut caller, topic, topic_len)?;
			let body = read(&mut caller, ptr, len)?;
			let host = caller.data().host.clone();
			Ok(match host.publish(&topic, &body) {
				Ok(()) => 0,
				Err(error) => i32::from(error.code),
			})
		},
	)?;
	linker.func_wrap(
		MODULE,
		"call",
		|mut caller: Caller<'_, CallState>,
		 service: i32,
		 service_len: i32,
		 endpoint: i32,
		 endpoint_len: i32,
		 ptr: i32,
		 len: i32| {
			let service = text(&mut caller, service, service_len)?;
			let endpoint = text(&mut caller, endpoint, endpoint_len)?;
			let body = read(&mut caller, ptr, len)?;
			let host = caller.data().host.clone();
			let (result, pending) = match host.call(&service, &endpoint, &body) {
				Ok(response) => (i32::try_from(response.len()).unwrap_or(i32::MAX), response),
				Err(error) => (-i32::from(error.code.max(1)), error.detail.into_bytes()),
			};
			caller.data_mut().pending = pending;
			Ok(result)
		},
	)?;
	linker.func_wrap(
		MODULE,
		"storage_get",
		|mut caller: Caller<'_, CallState>, key: i32, key_len: i32| {
			let key = read(&mut caller, key, key_len)?;
			let value = caller.data().storage.get(&key);
			Ok(match value {
				Some(value) => {
					let len = i32::try_from(value.len()).unwrap_or(i32::MAX);
					caller.data_mut().pending = value;
					len
				}
				None => -1,
			})
		},
	)?;
	linker.func_wrap(
		MODULE,
		"storage_set",
		|mut caller: Caller<'_, CallState>, key: i32, key_len: i32, ptr: i32, len: i32| {
			let key = read(&mut caller, key, key_len)?;
			let value = read(&mut caller, ptr, len)?;
			if caller.data().storage.set(&key, &value) {
				Ok(())
			} else {
				Err(Error::msg("the service's storage is full"))
			}
		},
	)?;
	linker.func_wrap(
		MODULE,
		"storage_remove",
		|mut caller: Caller<'_, CallState>, key: i32, key_len: i32| {
			let key = read(&mut caller, key, key_len)?;
			caller.data().storage.remove(&key);
			Ok(())
		},
	)?;
	linker.func_wrap(MODULE, "result_len", |caller: Caller<'_, CallState>| {
		i32::try_from(caller.data().pending.len()).unwrap_or(i32::MAX)
	})?;
	linker.func_wrap(MODULE, "take_result", |mut caller: Caller<'_, CallState>, ptr: i32| {
		let pending = std::mem::take(&mut caller.data_mut().pending);
		let memory = memory(&mut caller)?;
		memory
			.write(&mut caller, ptr as u32 as usize, &pending)
			.map_err(|_| Error::msg("the guest's buffer is out of bounds"))
	})?;
	Ok(())
}

/// Writes `bytes` into a guest buffer from `micro_alloc`; returns its address.
fn place(
	store: &mut Store<CallState>,
	instance: &wasmtime::Instance,
	bytes: &[u8],
) -> Result<i32, Error> {
	let alloc = instance.get_typed_func::<i32, i32>(&mut *store, "micro_alloc")?;
	let len = i32::try_from(bytes.len()).map_err(|_| Error::msg("the request is too large"))?;
	let ptr = alloc.call(&mut *store, len)?;
	if bytes.is_empty() {
		return Ok(ptr);
	}
	let memory = instance
		.get_memory(&mut *store, "memory")
		.ok_or_else(|| Error::msg("the module exports no memory"))?;
	memory
		.write(&mut *store, ptr as u32 as usize, bytes)
		.map_err(|_| Error::msg("`micro_alloc` returned memory out of bounds"))?;
	Ok(ptr)
}

/// Instantiates the module and runs `micro_handle`; returns what it returned.
pub(crate) fn invoke(
	store: &mut Store<CallState>,
	pre: &InstancePre<CallState>,
	endpoint: &str,
	body: &[u8],
	content_type: ContentType,
) -> Result<i32, Error> {
	let instance = pre.instantiate(&mut *store)?;
	let endpoint_ptr = place(store, &instance, endpoint.as_bytes())?;
	let body_ptr = place(store, &instance, body)?;
	let handle =
		instance.get_typed_func::<(i32, i32, i32, i32, i32), i32>(&mut *store, "micro_handle")?;
	let content_type = match content_type {
		ContentType::Protobuf => 0,
		ContentType::Json => 1,
	};
	handle.call(
		&mut *store,
		(endpoint_ptr, endpoint.len() as i32, body_ptr, body.len() as i32, content_type),
	)
}
