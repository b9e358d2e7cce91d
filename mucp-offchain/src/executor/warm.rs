//! Warm instances: a service's instance kept between its calls and reset, after each, to exactly
//! the state a fresh instance of the module starts in.
//!
//! The state of a core wasm instance is its linear memory (contents and size), its globals, its
//! tables and which of its data and element segments are dropped (and, with the GC proposal,
//! heap objects, reachable only from globals and tables). A module's instances are kept warm
//! only if [`plan`] finds that all of that can be put back:
//!
//! - no start function (so a fresh instance's state is a function of the module alone, the same
//!   in every instance), and nothing imported but functions;
//! - globals of number types only (no references), every mutable one exported under a name of
//!   ours ([`GLOBAL_EXPORT`]) by rewriting the export section, so the host can set it back;
//! - no instruction that changes a table or drops a segment (`table.set`, `table.grow`,
//!   `table.fill`, `table.copy`, `table.init`, `elem.drop`, `memory.init`, `data.drop`): its
//!   tables and segments stay as instantiation left them;
//! - one memory, not shared.
//!
//! After a call that returned (a trap or a timeout drops the instance instead), [`Pool::reset`]
//! puts the instance back:
//!
//! - if its memory grew, the instance is dropped (wasm cannot shrink memory): the pool's own
//!   reset, as for any fresh instance, deals with the slot;
//! - every mutable global is set to the value it had right after instantiation;
//! - memory: the kernel's page table says which pages were touched. `/proc/self/pagemap` gives,
//!   for every page of the memory, whether it is present or swapped out. The pool hands out a
//!   slot only clean (after `madvise(MADV_DONTNEED)`, a page not yet touched reads as the
//!   module's copy-on-write image, or zeros past it), and the kernel never drops a written page
//!   without leaving a swap entry; so a page that is neither present nor swapped has not been
//!   touched since, and still reads as the initial memory. Every other page (one read, one
//!   written, one the last reset rewrote: those stay present, and are looked at every time) is
//!   compared byte for byte with the module's initial memory ([`Snapshot`], read from a fresh,
//!   never called instance at load) and rewritten where it differs. If the page map cannot be
//!   read, or more than [`MAX_PAGES_COMPARED`] pages are touched, the instance is dropped.
//!
//! (Wasmtime's own `linear_memory_keep_resident` does not save these faults: with a memory
//! image it always gives the image's pages back with `madvise`, and zeroes everything below
//! the image with `memset`, which for a Rust module, its data placed after a 1 MiB stack, is a
//! megabyte written on every reset.)
//!
//! So the next call in a warm instance sees the memory, memory size, globals and tables a fresh
//! instance would. A module outside these rules, or a system without `/proc/self/pagemap`,
//! gets a fresh instance for every call.

use std::{
	fs::File,
	os::unix::fs::FileExt,
	sync::{
		atomic::{AtomicU32, Ordering},
		Arc, Mutex,
	},
};

use wasmparser::{Operator, Parser, Payload, TypeRef, ValType};
use wasmtime::{Global, Memory, Module, ModuleExport, Store, Val};

use super::{abi, CallState};

/// The prefix of the names the rewritten module exports its mutable globals under.
const GLOBAL_EXPORT: &str = "mucp.reset.global.";

/// Most idle warm instances kept per module.
const IDLE_PER_MODULE: usize = 8;

/// A module whose instances may be kept warm: the module to compile instead of the original
/// (its mutable globals exported), and their export names.
pub(crate) struct Plan {
	/// The module, its mutable globals exported.
	pub(crate) wasm: Vec<u8>,
	/// The names they are exported under.
	pub(crate) globals: Vec<String>,
}

/// Whether `wasm`'s instances can be reset exactly (see the module doc), and how.
pub(crate) fn plan(wasm: &[u8]) -> Option<Plan> {
	let mut mutable_globals = Vec::new();
	let mut export_names = Vec::new();
	let mut memories = 0;
	for payload in Parser::new(0).parse_all(wasm) {
		match payload.ok()? {
			Payload::Version { .. }
			| Payload::TypeSection(_)
			| Payload::FunctionSection(_)
			| Payload::TableSection(_)
			| Payload::ElementSection(_)
			| Payload::DataCountSection { .. }
			| Payload::DataSection(_)
			| Payload::CodeSectionStart { .. }
			| Payload::CustomSection(_)
			| Payload::End(_) => {}
			Payload::ImportSection(imports) => {
				for import in imports {
					if !matches!(import.ok()?.ty, TypeRef::Func(_)) {
						return None;
					}
				}
			}
			Payload::MemorySection(section) => {
				for memory in section {
					if memory.ok()?.shared {
						return None;
					}
					memories += 1;
				}
			}
			Payload::GlobalSection(section) => {
				for (index, global) in section.into_iter().enumerate() {
					let ty = global.ok()?.ty;
					let number = matches!(
						ty.content_type,
						ValType::I32 | ValType::I64 | ValType::F32 | ValType::F64 | ValType::V128
					);
					if !number || ty.shared {
						return None;
					}
					if ty.mutable {
						mutable_globals.push(u32::try_from(index).ok()?);
					}
				}
			}
			Payload::ExportSection(section) => {
				for export in section {
					export_names.push(export.ok()?.name.to_owned());
				}
			}
			Payload::CodeSectionEntry(body) => {
				let mut operators = body.get_operators_reader().ok()?;
				while !operators.eof() {
					if changes_tables_or_segments(&operators.read().ok()?) {
						return None;
					}
				}
			}
			_ => return None,
		}
	}
	if memories != 1 || export_names.iter().any(|name| name.starts_with(GLOBAL_EXPORT)) {
		return None;
	}
	let globals: Vec<String> =
		mutable_globals.iter().map(|index| format!("{GLOBAL_EXPORT}{index}")).collect();
	let wasm = with_exported_globals(wasm, &mutable_globals, &globals)?;
	Some(Plan { wasm, globals })
}

/// Whether `operator` changes a table or drops a segment: instance state a reset could not put
/// back.
fn changes_tables_or_segments(operator: &Operator) -> bool {
	matches!(
		operator,
		Operator::TableSet { .. }
			| Operator::TableGrow { .. }
			| Operator::TableFill { .. }
			| Operator::TableCopy { .. }
			| Operator::TableInit { .. }
			| Operator::ElemDrop { .. }
			| Operator::MemoryInit { .. }
			| Operator::DataDrop { .. }
	)
}

/// `wasm` with `globals` (indices) also exported under `names`, its export section rewritten.
fn with_exported_globals(wasm: &[u8], globals: &[u32], names: &[String]) -> Option<Vec<u8>> {
	let mut out = wasm.get(..8)?.to_vec();
	let mut at = 8;
	while at < wasm.len() {
		let id = wasm[at];
		let (size, size_len) = leb_u32(wasm.get(at + 1..)?)?;
		let start = at + 1 + size_len;
		let end = start.checked_add(size as usize)?;
		let contents = wasm.get(start..end)?;
		if id == 7 {
			let (count, count_len) = leb_u32(contents)?;
			let mut section = Vec::new();
			push_leb(&mut section, count.checked_add(u32::try_from(globals.len()).ok()?)?);
			section.extend_from_slice(&contents[count_len..]);
			for (index, name) in globals.iter().zip(names) {
				push_leb(&mut section, u32::try_from(name.len()).ok()?);
				section.extend_from_slice(name.as_bytes());
				section.push(0x03); // a global
				push_leb(&mut section, *index);
			}
			out.push(7);
			push_leb(&mut out, u32::try_from(section.len()).ok()?);
			out.extend_from_slice(&section);
		} else {
			out.extend_from_slice(&wasm[at..end]);
		}
		at = end;
	}
	Some(out)
}

/// An unsigned LEB128 at the start of `bytes`, and its length.
fn leb_u32(bytes: &[u8]) -> Option<(u32, usize)> {
	let mut value = 0u32;
	for (i, byte) in bytes.iter().take(5).enumerate() {
		value |= u32::from(byte & 0x7f).checked_shl(7 * i as u32)?;
		if byte & 0x80 == 0 {
			return Some((value, i + 1));
		}
	}
	None
}

fn push_leb(out: &mut Vec<u8>, mut value: u32) {
	loop {
		let byte = (value & 0x7f) as u8;
		value >>= 7;
		if value == 0 {
			out.push(byte);
			return;
		}
		out.push(byte | 0x80);
	}
}

/// A module's initial linear memory, page by page (the kernel's pages), zero pages left out.
pub(crate) struct Snapshot {
	/// Its size in wasm pages.
	wasm_pages: u64,
	page_size: usize,
	pages: Vec<Option<Box<[u8]>>>,
	zeros: Box<[u8]>,
}

impl Snapshot {
	/// The memory of a fresh instance that has run nothing.
	fn of(memory: &Memory, store: &Store<CallState>, page_size: usize) -> Self {
		let pages = memory
			.data(store)
			.chunks(page_size)
			.map(|page| page.iter().any(|byte| *byte != 0).then(|| page.into()))
			.collect();
		Self { wasm_pages: memory.size(store), page_size, pages, zeros: vec![0; page_size].into() }
	}

	fn page(&self, index: usize) -> &[u8] {
		self.pages.get(index).and_then(Option::as_deref).unwrap_or(&self.zeros)
	}
}

/// The kernel's page map of this process (`/proc/self/pagemap`).
pub(crate) struct PageMap {
	file: File,
	page_size: usize,
}

/// Most pages a reset compares: an instance that has touched more is dropped instead (the
/// pool's reset of its slot gives them back to the kernel), so a reset stays cheap.
const MAX_PAGES_COMPARED: usize = 64;

/// A page map entry's bits: the page is present, or swapped out.
const PRESENT: u64 = 1 << 63;
const SWAPPED: u64 = 1 << 62;

impl PageMap {
	/// The page map, if this system has one.
	pub(crate) fn open() -> Option<Self> {
		// SAFETY: sysconf reads a constant of the system.
		let page_size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
		let page_size = usize::try_from(page_size).ok().filter(|size| *size > 0)?;
		let file = File::open("/proc/self/pagemap").ok()?;
		Some(Self { file, page_size })
	}

	/// Rewrites every touched page of `memory` that differs from `initial`; false if it could
	/// not tell which pages were touched, or more than [`MAX_PAGES_COMPARED`] were (the memory
	/// is then left as it is, and must not be used again).
	fn restore(&self, memory: &mut [u8], initial: &Snapshot, entries: &mut Vec<u8>) -> bool {
		let page = self.page_size;
		let base = memory.as_ptr() as usize;
		if page != initial.page_size
			|| !base.is_multiple_of(page)
			|| !memory.len().is_multiple_of(page)
		{
			return false;
		}
		entries.resize(memory.len() / page * 8, 0);
		if self.file.read_exact_at(entries, (base / page * 8) as u64).is_err() {
			return false;
		}
		let touched = |entry: &[u8]| {
			u64::from_ne_bytes(entry.try_into().expect("8 bytes")) & (PRESENT | SWAPPED) != 0
		};
		if entries.chunks_exact(8).filter(|entry| touched(entry)).count() > MAX_PAGES_COMPARED {
			return false;
		}
		for (index, entry) in entries.chunks_exact(8).enumerate() {
			if !touched(entry) {
				continue;
			}
			let expected = initial.page(index);
			let actual = &mut memory[index * page..(index + 1) * page];
			if actual != expected {
				actual.copy_from_slice(expected);
			}
		}
		true
	}
}

/// An instance ready for a call: its store, the exports a call uses, and its mutable globals
/// with the values they start with.
pub(crate) struct Ready {
	pub(crate) store: Store<CallState>,
	pub(crate) entry: abi::Entry,
	globals: Vec<(Global, Val)>,
	/// The page map entries of the last reset, kept for the next.
	entries: Vec<u8>,
}

impl Ready {
	/// An instance of a module without warm instances, used once.
	pub(crate) fn once(store: Store<CallState>, entry: abi::Entry) -> Self {
		Self { store, entry, globals: Vec::new(), entries: Vec::new() }
	}
}

/// A module's warm instances: what resetting one needs, and the idle ones.
pub(crate) struct Pool {
	globals: Vec<ModuleExport>,
	initial: Snapshot,
	idle: Mutex<Vec<Ready>>,
	/// Idle warm instances of every module, each holding a slot of the instance pool.
	idle_total: Arc<AtomicU32>,
	max_idle_total: u32,
}

impl Pool {
	/// The pool of `module` (compiled from [`Plan::wasm`]), its initial memory read from
	/// `fresh`, an instance that has run nothing; `None` if it lacks the exports of the plan.
	pub(crate) fn new(
		module: &Module,
		plan: &Plan,
		fresh: &Ready,
		page_map: &PageMap,
		idle_total: Arc<AtomicU32>,
		max_idle_total: u32,
	) -> Option<Self> {
		let globals = plan
			.globals
			.iter()
			.map(|name| module.get_export_index(name))
			.collect::<Option<Vec<_>>>()?;
		let initial = Snapshot::of(&fresh.entry.memory, &fresh.store, page_map.page_size);
		Some(Self { globals, initial, idle: Mutex::new(Vec::new()), idle_total, max_idle_total })
	}

	/// Records `ready`'s mutable globals as they start, fresh from instantiation.
	pub(crate) fn prepare(&self, ready: &mut Ready) -> Result<(), wasmtime::Error> {
		let mut globals = Vec::with_capacity(self.globals.len());
		for export in &self.globals {
			let global = ready
				.entry
				.instance
				.get_module_export(&mut ready.store, export)
				.and_then(|e| e.into_global())
				.ok_or_else(|| wasmtime::Error::msg("a global to reset is not exported"))?;
			globals.push((global, global.get(&mut ready.store)));
		}
		ready.globals = globals;
		Ok(())
	}

	/// An idle warm instance, if there is one.
	pub(crate) fn take(&self) -> Option<Ready> {
		let ready = self.idle.lock().expect("warm instances lock").pop()?;
		self.idle_total.fetch_sub(1, Ordering::Relaxed);
		Some(ready)
	}

	/// Resets `ready` after a call that returned (see the module doc) and keeps it idle, or
	/// drops it if it cannot be reset or too many are idle.
	pub(crate) fn give_back(&self, mut ready: Ready, page_map: &PageMap) {
		if !self.reset(&mut ready, page_map) {
			return;
		}
		if self.idle_total.fetch_add(1, Ordering::Relaxed) >= self.max_idle_total {
			self.idle_total.fetch_sub(1, Ordering::Relaxed);
			return;
		}
		let mut idle = self.idle.lock().expect("warm instances lock");
		if idle.len() < IDLE_PER_MODULE {
			idle.push(ready);
			return;
		}
		drop(idle);
		self.idle_total.fetch_sub(1, Ordering::Relaxed);
	}

	fn reset(&self, ready: &mut Ready, page_map: &PageMap) -> bool {
		let memory = ready.entry.memory;
		if memory.size(&ready.store) != self.initial.wasm_pages {
			return false;
		}
		for (global, value) in &ready.globals {
			if global.set(&mut ready.store, *value).is_err() {
				return false;
			}
		}
		page_map.restore(memory.data_mut(&mut ready.store), &self.initial, &mut ready.entries)
	}

	/// Idle warm instances of this module.
	#[cfg(test)]
	pub(crate) fn idle(&self) -> usize {
		self.idle.lock().expect("warm instances lock").len()
	}
}

impl Drop for Pool {
	fn drop(&mut self) {
		let idle = self.idle.get_mut().map_or(0, |idle| idle.len());
		self.idle_total.fetch_sub(idle as u32, Ordering::Relaxed);
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use wasmparser::ExternalKind;

	#[test]
	fn the_rewritten_module_exports_its_mutable_globals_and_keeps_the_rest() {
		let wasm = wat::parse_str(
			r#"(module
  (memory (export "memory") 1)
  (global (mut i32) (i32.const 7))
  (global i32 (i32.const 8))
  (global (mut i64) (i64.const 9))
  (func (export "f") (result i32) (global.get 0)))"#,
		)
		.unwrap();
		let plan = plan(&wasm).expect("reusable");
		assert_eq!(plan.globals, ["mucp.reset.global.0", "mucp.reset.global.2"]);
		let exports: Vec<_> = Parser::new(0)
			.parse_all(&plan.wasm)
			.filter_map(|payload| match payload.unwrap() {
				Payload::ExportSection(section) => Some(
					section
						.into_iter()
						.map(|e| {
							let e = e.unwrap();
							(e.name.to_owned(), e.kind == ExternalKind::Global, e.index)
						})
						.collect::<Vec<_>>(),
				),
				_ => None,
			})
			.flatten()
			.collect();
		assert_eq!(
			exports,
			[
				("memory".to_owned(), false, 0),
				("f".to_owned(), false, 0),
				("mucp.reset.global.0".to_owned(), true, 0),
				("mucp.reset.global.2".to_owned(), true, 2),
			]
		);
		wasmparser::Validator::new().validate_all(&plan.wasm).expect("still valid");
	}

	#[test]
	fn modules_whose_state_a_reset_could_not_put_back_get_fresh_instances() {
		for (what, body) in [
			("a start function", "(func $s) (start $s)"),
			("a reference global", "(global (mut funcref) (ref.null func))"),
			("table.set", "(func (table.set 0 (i32.const 0) (ref.null func)))"),
			("table.grow", "(func (drop (table.grow 0 (ref.null func) (i32.const 1))))"),
			("data.drop", "(data $d \"x\") (func (data.drop $d))"),
			(
				"memory.init",
				"(data $d \"x\") (func (memory.init $d (i32.const 0) (i32.const 0) (i32.const 1)))",
			),
			("an imported global", "(import \"micro\" \"g\" (global i32))"),
			(
				"our export names",
				"(global (export \"mucp.reset.global.9\") (mut i32) (i32.const 0))",
			),
		] {
			let wasm = wat::parse_str(format!(
				"(module {body} (memory (export \"memory\") 1) (table 1 funcref))"
			))
			.unwrap();
			assert!(plan(&wasm).is_none(), "{what}");
		}
	}
}
