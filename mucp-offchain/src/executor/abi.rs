//! The host side of the ABI, version 1 (the guest side is the `micro-service` crate, whose docs
//! list every import and export).

use wasmtime::{Caller, Error, Instance, Linker, Memory, Module, ModuleExport, Store, TypedFunc};

use super::{logs::MAX_LINES_PER_CALL, CallState, MAX_NESTED_CALLS};
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

/// Longest log line read, in bytes (the ring keeps at most as many once decoded).
const MAX_LOG_LINE: usize = super::logs::MAX_LINE_BYTES;
/// Longest service, endpoint or topic name a guest may pass.
pub(crate) const MAX_NAME: usize = 1024;
/// Longest storage key a guest may pass.
pub(crate) const MAX_STORAGE_KEY: usize = 4096;

fn memory(caller: &mut Caller<'_, CallState>) -> Result<Memory, Error> {
	caller
		.get_export("memory")
		.and_then(|export| export.into_memory())
		.ok_or_else(|| Error::msg("the module exports no memory"))
}

/// Copies `len` bytes at `ptr` out of the guest's memory. A length over `cap`, or a range
/// outside the guest's memory, traps before the host allocates anything: a guest cannot make
/// the host allocate more than it already holds itself (finding H5).
fn read(
	caller: &mut Caller<'_, CallState>,
	ptr: i32,
	len: i32,
	cap: usize,
) -> Result<Vec<u8>, Error> {
	let memory = memory(caller)?;
	let len = usize::try_from(len).map_err(|_| Error::msg("negative length"))?;
	if len > cap {
		return Err(Error::msg(format!(
			"the guest passed {len} bytes where the host allows at most {cap}"
		)));
	}
	let ptr = ptr as u32 as usize;
	let bytes = ptr
		.checked_add(len)
		.and_then(|end| memory.data(&*caller).get(ptr..end))
		.ok_or_else(|| Error::msg("the guest passed memory out of bounds"))?;
	Ok(bytes.to_vec())
}

fn text(
	caller: &mut Caller<'_, CallState>,
	ptr: i32,
	len: i32,
	cap: usize,
) -> Result<String, Error> {
	String::from_utf8(read(caller, ptr, len, cap)?)
		.map_err(|_| Error::msg("the guest passed non-UTF-8 text"))
}

/// Counts one call or publish through the host against [`MAX_NESTED_CALLS`]; past it the
/// guest traps, so one call cannot fan out without bound.
fn spend_nested_call(caller: &mut Caller<'_, CallState>) -> Result<(), Error> {
	let state = caller.data_mut();
	if state.nested_calls >= MAX_NESTED_CALLS {
		return Err(Error::msg(format!(
			"the service made more than {MAX_NESTED_CALLS} calls and publishes in one call"
		)));
	}
	state.nested_calls += 1;
	Ok(())
}

/// Links the host functions into `linker`.
pub(crate) fn link(linker: &mut Linker<CallState>) -> Result<(), Error> {
	linker.func_wrap(
		MODULE,
		"respond",
		|mut caller: Caller<'_, CallState>, ptr: i32, len: i32| {
			let max = caller.data().max_response_size;
			if usize::try_from(len).is_ok_and(|len| len > max) {
				return Err(Error::msg("the response is larger than the executor allows"));
			}
			let body = read(&mut caller, ptr, len, max)?;
			caller.data_mut().response = Some(body);
			Ok(())
		},
	)?;
	linker.func_wrap(
		MODULE,
		"fail",
		|mut caller: Caller<'_, CallState>, code: i32, ptr: i32, len: i32| {
			let detail =
				String::from_utf8_lossy(&read(&mut caller, ptr, len.min(4096), 4096)?).into_owned();
			let code = u16::try_from(code).ok().filter(|c| (400..600).contains(c)).unwrap_or(500);
			caller.data_mut().failure = Some((code, detail));
			Ok(())
		},
	)?;
	linker.func_wrap(
		MODULE,
		"log",
		|mut caller: Caller<'_, CallState>, level: i32, ptr: i32, len: i32| {
			// Past its share a call's lines are counted, not read: a loop costs no copies.
			let state = caller.data_mut();
			if state.log_lines >= MAX_LINES_PER_CALL {
				state.logs_dropped += 1;
				return Ok(());
			}
			state.log_lines += 1;
			let line = String::from_utf8_lossy(&read(
				&mut caller,
				ptr,
				len.min(MAX_LOG_LINE as i32),
				MAX_LOG_LINE,
			)?)
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
			spend_nested_call(&mut caller)?;
			let topic = text(&mut caller, topic, topic_len, MAX_NAME)?;
			let max = caller.data().max_response_size;
			let body = read(&mut caller, ptr, len, max)?;
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
			spend_nested_call(&mut caller)?;
			let service = text(&mut caller, service, service_len, MAX_NAME)?;
			let endpoint = text(&mut caller, endpoint, endpoint_len, MAX_NAME)?;
			let max = caller.data().max_response_size;
			let body = read(&mut caller, ptr, len, max)?;
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
			let key = read(&mut caller, key, key_len, MAX_STORAGE_KEY)?;
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
			let key = read(&mut caller, key, key_len, MAX_STORAGE_KEY)?;
			let max = caller.data().storage.limit();
			let value = read(&mut caller, ptr, len, max)?;
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
			let key = read(&mut caller, key, key_len, MAX_STORAGE_KEY)?;
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
			.map_err(|_| Error::msg("the guest's buffer is out of bounds"))?;
		caller.data_mut().host_writes.record(ptr as u32 as usize, pending.len());
		Ok(())
	})?;
	Ok(())
}

/// The exports a call uses, looked up by name once when the module is loaded, not per call.
pub(crate) struct Exports {
	memory: ModuleExport,
	alloc: ModuleExport,
	handle: ModuleExport,
}

impl Exports {
	/// `module`'s ABI exports, if it has them all.
	pub(crate) fn of(module: &Module) -> Option<Self> {
		Some(Self {
			memory: module.get_export_index("memory")?,
			alloc: module.get_export_index("micro_alloc")?,
			handle: module.get_export_index("micro_handle")?,
		})
	}
}

/// Writes `bytes` into a guest buffer from `micro_alloc`; returns its address.
fn place(
	store: &mut Store<CallState>,
	alloc: &TypedFunc<i32, i32>,
	memory: &Memory,
	bytes: &[u8],
) -> Result<i32, Error> {
	let len = i32::try_from(bytes.len()).map_err(|_| Error::msg("the request is too large"))?;
	let ptr = alloc.call(&mut *store, len)?;
	if bytes.is_empty() {
		return Ok(ptr);
	}
	memory
		.write(&mut *store, ptr as u32 as usize, bytes)
		.map_err(|_| Error::msg("`micro_alloc` returned memory out of bounds"))?;
	store.data_mut().host_writes.record(ptr as u32 as usize, bytes.len());
	Ok(ptr)
}

/// The exports of one instance a call uses.
pub(crate) struct Entry {
	pub(crate) instance: Instance,
	pub(crate) memory: Memory,
	alloc: TypedFunc<i32, i32>,
	handle: TypedFunc<(i32, i32, i32, i32, i32), i32>,
}

impl Entry {
	/// `instance`'s exports, found by the indices looked up at load.
	pub(crate) fn of(
		store: &mut Store<CallState>,
		instance: &Instance,
		exports: &Exports,
	) -> Result<Self, Error> {
		let missing = || Error::msg("the module lacks an export the ABI requires");
		let mut export = |which: &ModuleExport| instance.get_module_export(&mut *store, which);
		let memory = export(&exports.memory).and_then(|e| e.into_memory()).ok_or_else(missing)?;
		let alloc = export(&exports.alloc).and_then(|e| e.into_func()).ok_or_else(missing)?;
		let handle = export(&exports.handle).and_then(|e| e.into_func()).ok_or_else(missing)?;
		Ok(Self {
			instance: *instance,
			memory,
			alloc: alloc.typed::<i32, i32>(&*store)?,
			handle: handle.typed::<(i32, i32, i32, i32, i32), i32>(&*store)?,
		})
	}
}

/// Runs `micro_handle` of the instance `entry` belongs to; returns what it returned.
pub(crate) fn invoke(
	store: &mut Store<CallState>,
	entry: &Entry,
	endpoint: &str,
	body: &[u8],
	content_type: ContentType,
) -> Result<i32, Error> {
	let endpoint_ptr = place(store, &entry.alloc, &entry.memory, endpoint.as_bytes())?;
	let body_ptr = place(store, &entry.alloc, &entry.memory, body)?;
	let content_type = match content_type {
		ContentType::Protobuf => 0,
		ContentType::Json => 1,
	};
	entry.handle.call(
		&mut *store,
		(endpoint_ptr, endpoint.len() as i32, body_ptr, body.len() as i32, content_type),
	)
}
