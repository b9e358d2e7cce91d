//! Warm instances: a service's instance kept between its calls and reset, after each, to exactly
//! the state a fresh instance of the module starts in.
//!
//! The state of a core wasm instance is its linear memory (contents and size), its globals, its
//! tables and which of its data and element segments are dropped. The executor's engine pins
//! off every proposal that would add to that and that this reset was not audited for: GC (heap
//! objects, reachable from globals, tables and element segments), function references,
//! exceptions, stack switching, threads and shared-everything threads (shared memories and
//! globals), custom page sizes. A module's instances are kept warm only if [`plan`] finds that
//! all of that can be put back:
//!
//! - no start function (so a fresh instance's state is a function of the module alone, the same
//!   in every instance), and nothing imported but functions;
//! - globals of number types only (no references), every mutable one exported under a name of
//!   ours ([`GLOBAL_EXPORT`]) by rewriting the export section, so the host can set it back;
//! - tables and element segments of `funcref` or `externref` only, and no table initialiser
//!   expression;
//! - no instruction that changes a table or drops a segment (`table.set`, `table.grow`,
//!   `table.fill`, `table.copy`, `table.init`, `elem.drop`, `memory.init`, `data.drop`): its
//!   tables and segments stay as instantiation left them;
//! - one memory, not shared, whose initial contents hold a non-zero byte in at most
//!   [`MAX_SNAPSHOT_PAGES`] kernel pages (1 MiB): the host keeps a copy of those ([`Snapshot`]).
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
//! This assumes a real Linux page map, and a map that wrongly shows a touched page untouched
//! would leave what one caller wrote for the next to read; so it is checked, never trusted
//! blindly. When the executor starts, [`PageMap::self_test`] (once a process) maps private
//! anonymous memory and a private memfd (as wasmtime maps a memory image) and checks that an
//! untouched page reads not present, a page read and a page written read present, and that
//! `madvise(MADV_DONTNEED)` makes them not present again; if not, no instance is kept warm
//! (with a warning saying why). And every reset checks that the pages the host itself wrote
//! during the call ([`HostWrites`]: the request it placed, the results it copied in) read as
//! touched; if one does not, the instance is dropped and the executor keeps no instance warm
//! again, with a warning.
//!
//! (Wasmtime's own `linear_memory_keep_resident` does not save these faults: with a memory
//! image it always gives the image's pages back with `madvise`, and zeroes everything below
//! the image with `memset`, which for a Rust module, its data placed after a 1 MiB stack, is a
//! megabyte written on every reset.)
//!
//! So the next call in a warm instance sees the memory, memory size, globals and tables a fresh
//! instance would. A module outside these rules, or a system without a `/proc/self/pagemap`
//! that passes its checks, gets a fresh instance for every call.

use std::{
	collections::VecDeque,
	fs::File,
	os::{
		fd::{AsRawFd, FromRawFd, OwnedFd},
		unix::fs::FileExt,
	},
	path::Path,
	sync::{
		atomic::{AtomicBool, AtomicU64, Ordering},
		Arc, Mutex, OnceLock,
	},
};

use wasmparser::{ElementItems, Operator, Parser, Payload, RefType, TableInit, TypeRef, ValType};
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
			Payload::TableSection(section) => {
				for table in section {
					let table = table.ok()?;
					if !plain_reference(table.ty.element_type) || table.ty.shared {
						return None;
					}
					if !matches!(table.init, TableInit::RefNull) {
						return None;
					}
				}
			}
			Payload::ElementSection(section) => {
				for element in section {
					if let ElementItems::Expressions(ty, _) = element.ok()?.items {
						if !plain_reference(ty) {
							return None;
						}
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

/// Whether `ty` is `funcref` or `externref`: a table of those holds no heap object.
fn plain_reference(ty: RefType) -> bool {
	ty == RefType::FUNCREF || ty == RefType::EXTERNREF
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

/// Most kernel pages of a module's initial memory that may hold a non-zero byte for its
/// instances to be kept warm: its [`Snapshot`] keeps a copy of each (1 MiB with 4 KiB pages).
pub(crate) const MAX_SNAPSHOT_PAGES: usize = 256;

/// A module's initial linear memory, page by page (the kernel's pages), zero pages left out.
pub(crate) struct Snapshot {
	/// Its size in wasm pages.
	wasm_pages: u64,
	page_size: usize,
	/// The pages holding a non-zero byte, by index, in order.
	pages: Vec<(usize, Box<[u8]>)>,
	zeros: Box<[u8]>,
}

impl Snapshot {
	/// The memory of a fresh instance that has run nothing; `None` if more than
	/// [`MAX_SNAPSHOT_PAGES`] of its pages hold a non-zero byte (nothing is copied then).
	fn of(memory: &Memory, store: &Store<CallState>, page_size: usize) -> Option<Self> {
		let non_zero = |(_, page): &(usize, &[u8])| page.iter().any(|byte| *byte != 0);
		let data = memory.data(store);
		if data.chunks(page_size).enumerate().filter(non_zero).nth(MAX_SNAPSHOT_PAGES).is_some() {
			return None;
		}
		let pages = data
			.chunks(page_size)
			.enumerate()
			.filter(non_zero)
			.map(|(index, page)| (index, page.into()))
			.collect();
		Some(Self {
			wasm_pages: memory.size(store),
			page_size,
			pages,
			zeros: vec![0; page_size].into(),
		})
	}

	fn page(&self, index: usize) -> &[u8] {
		match self.pages.binary_search_by_key(&index, |(at, _)| *at) {
			Ok(found) => &self.pages[found].1,
			Err(_) => &self.zeros,
		}
	}
}

/// The kernel's page map of this process (`/proc/self/pagemap`).
pub(crate) struct PageMap {
	file: File,
	page_size: usize,
	/// False once a reset caught the map lying (a page the host wrote read as untouched): no
	/// instance is kept warm after that.
	trusted: AtomicBool,
}

/// Most pages a reset compares: an instance that has touched more is dropped instead (the
/// pool's reset of its slot gives them back to the kernel), so a reset stays cheap.
const MAX_PAGES_COMPARED: usize = 64;

/// A page map entry's bits: the page is present, or swapped out.
const PRESENT: u64 = 1 << 63;
const SWAPPED: u64 = 1 << 62;

/// Whether a page map entry says its page was touched (present, or swapped out).
fn touched(entry: &[u8]) -> bool {
	u64::from_ne_bytes(entry.try_into().expect("8 bytes")) & (PRESENT | SWAPPED) != 0
}

impl PageMap {
	/// This process's page map, if it has one and it passes [`Self::self_test`] (run once a
	/// process); else why not.
	pub(crate) fn system() -> Result<Self, String> {
		static CHECKED: OnceLock<Result<(), String>> = OnceLock::new();
		let map = Self::at(Path::new("/proc/self/pagemap"))?;
		CHECKED.get_or_init(|| map.self_test()).clone()?;
		Ok(map)
	}

	/// The page map read from `path`, not checked (the system's, or a test's lying map).
	fn at(path: &Path) -> Result<Self, String> {
		// SAFETY: sysconf reads a constant of the system.
		let page_size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
		let page_size = usize::try_from(page_size)
			.ok()
			.filter(|size| *size > 0)
			.ok_or("the system has no page size")?;
		let file = File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
		Ok(Self { file, page_size, trusted: AtomicBool::new(true) })
	}

	/// The page map read from `path`, trusted as it is: a test's lying map.
	#[cfg(test)]
	pub(crate) fn unchecked(path: &Path) -> Self {
		Self::at(path).expect("the test's page map opens")
	}

	/// Whether no reset has caught the map lying.
	pub(crate) fn trusted(&self) -> bool {
		self.trusted.load(Ordering::Relaxed)
	}

	/// Checks that the map tells touched pages from untouched ones, as a reset needs: on a
	/// private anonymous mapping and on a private mapping of a memfd (as wasmtime maps a
	/// module's memory image), an untouched page reads not present, a page read and a page
	/// written read present, and after `madvise(MADV_DONTNEED)` both read not present again.
	pub(crate) fn self_test(&self) -> Result<(), String> {
		self.check(&Mapping::anonymous(self.page_size)?, "a private anonymous mapping")?;
		self.check(&Mapping::memfd(self.page_size)?, "a private memfd mapping")
	}

	fn check(&self, mapping: &Mapping, what: &str) -> Result<(), String> {
		let fail = |why: &str| Err(format!("on {what}, {why}"));
		let (read, written) = (mapping.page(Mapping::READ), mapping.page(Mapping::WRITTEN));
		if self.touched_at(read)? || self.touched_at(written)? {
			return fail("an untouched page reads as present");
		}
		// SAFETY: both pages lie inside the mapping, readable and writable.
		unsafe {
			std::ptr::read_volatile(read);
			std::ptr::write_volatile(written, 1);
		}
		if !self.touched_at(read)? {
			return fail("a page read reads as not present");
		}
		if !self.touched_at(written)? {
			return fail("a page written reads as not present");
		}
		mapping.give_back();
		if self.touched_at(read)? || self.touched_at(written)? {
			return fail("a page given back with MADV_DONTNEED still reads as present");
		}
		Ok(())
	}

	/// Whether the page at `address` reads as touched.
	fn touched_at(&self, address: *mut u8) -> Result<bool, String> {
		let mut entry = [0; 8];
		self.file
			.read_exact_at(&mut entry, (address as usize / self.page_size * 8) as u64)
			.map_err(|e| format!("reading the page map: {e}"))?;
		Ok(touched(&entry))
	}

	/// Stops trusting the map, with a warning, after a reset caught it lying.
	fn distrust(&self) {
		if self.trusted.swap(false, Ordering::Relaxed) {
			log::warn!(
				target: "mucp",
				"the kernel's page map showed a page the host wrote into a service's memory as \
				 untouched: it cannot be trusted to reset warm instances, which are off from now on"
			);
		}
	}

	/// Rewrites every touched page of `memory` that differs from `initial`; false if it could
	/// not tell which pages were touched, or more than [`MAX_PAGES_COMPARED`] were (the memory
	/// is then left as it is, and must not be used again). Every page of `written` (the host's
	/// own writes) must read as touched: if one does not, the map lies, and is distrusted.
	fn restore(
		&self,
		memory: &mut [u8],
		initial: &Snapshot,
		entries: &mut Vec<u8>,
		written: &HostWrites,
	) -> bool {
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
		let shown = |index: usize| entries.get(index * 8..index * 8 + 8).is_some_and(touched);
		if !written.pages(page).all(shown) {
			self.distrust();
			return false;
		}
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

/// A few pages of memory for [`PageMap::self_test`], unmapped when dropped.
struct Mapping {
	start: *mut u8,
	len: usize,
	page_size: usize,
}

impl Mapping {
	/// 64 pages; the page read and the page written 16 pages apart, so the kernel's
	/// fault-around (which maps a file page's neighbours within 64 KiB) of one never maps the
	/// other.
	const PAGES: usize = 64;
	const READ: usize = 16;
	const WRITTEN: usize = 32;

	fn anonymous(page_size: usize) -> Result<Self, String> {
		Self::map(page_size, libc::MAP_PRIVATE | libc::MAP_ANONYMOUS, -1)
	}

	/// A private mapping of a memfd whose every byte is 1, as a memory image.
	fn memfd(page_size: usize) -> Result<Self, String> {
		// SAFETY: the name is a NUL-terminated string.
		let fd = unsafe { libc::memfd_create(c"mucp-page-map-check".as_ptr(), libc::MFD_CLOEXEC) };
		if fd < 0 {
			return Err(format!("memfd_create: {}", std::io::Error::last_os_error()));
		}
		// SAFETY: `fd` was just opened, and is owned by nothing else.
		let file = File::from(unsafe { OwnedFd::from_raw_fd(fd) });
		let image = vec![1; Self::PAGES * page_size];
		file.write_all_at(&image, 0).map_err(|e| format!("writing a memfd: {e}"))?;
		Self::map(page_size, libc::MAP_PRIVATE, file.as_raw_fd())
	}

	fn map(page_size: usize, flags: i32, fd: i32) -> Result<Self, String> {
		let len = Self::PAGES * page_size;
		let prot = libc::PROT_READ | libc::PROT_WRITE;
		// SAFETY: a new mapping, placed by the kernel.
		let start = unsafe { libc::mmap(std::ptr::null_mut(), len, prot, flags, fd, 0) };
		if start == libc::MAP_FAILED {
			return Err(format!("mmap: {}", std::io::Error::last_os_error()));
		}
		Ok(Self { start: start.cast(), len, page_size })
	}

	fn page(&self, index: usize) -> *mut u8 {
		// Inside the mapping: index < PAGES.
		self.start.wrapping_add(index * self.page_size)
	}

	/// Gives every page back with `madvise(MADV_DONTNEED)`.
	fn give_back(&self) {
		// SAFETY: the whole mapping, which nothing else refers to.
		unsafe { libc::madvise(self.start.cast(), self.len, libc::MADV_DONTNEED) };
	}
}

impl Drop for Mapping {
	fn drop(&mut self) {
		// SAFETY: the mapping made by `map`, which nothing refers to any more.
		unsafe { libc::munmap(self.start.cast(), self.len) };
	}
}

/// The first few ranges of a guest's memory the host wrote during a call (the request it
/// placed, results it copied in), as (offset, length): a reset checks that the page map shows
/// them touched.
#[derive(Default)]
pub(crate) struct HostWrites {
	ranges: [(usize, usize); MAX_HOST_WRITES],
	count: usize,
}

/// Most host writes a call records.
const MAX_HOST_WRITES: usize = 8;

impl HostWrites {
	/// Records that the host wrote `len` bytes at `offset` (kept if fewer are recorded yet).
	pub(crate) fn record(&mut self, offset: usize, len: usize) {
		if len > 0 && self.count < MAX_HOST_WRITES {
			self.ranges[self.count] = (offset, len);
			self.count += 1;
		}
	}

	/// The indices of the `page_size` pages written.
	fn pages(&self, page_size: usize) -> impl Iterator<Item = usize> + '_ {
		self.ranges[..self.count]
			.iter()
			.flat_map(move |(offset, len)| offset / page_size..=(offset + len - 1) / page_size)
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

/// The idle warm instances of every module, oldest first: each holds a slot of the instance
/// pool, so there are at most as many as the executor allows. When they are that many, the
/// oldest, of whichever module, makes room for the next (least recently used).
pub(crate) struct Idle {
	max: usize,
	/// Each with the pool it belongs to.
	instances: Mutex<VecDeque<(u64, Ready)>>,
	/// The name of the next pool.
	next_pool: AtomicU64,
}

impl Idle {
	/// Room for `max` idle instances.
	pub(crate) fn new(max: u32) -> Self {
		Self {
			max: max as usize,
			instances: Mutex::new(VecDeque::new()),
			next_pool: AtomicU64::new(0),
		}
	}

	/// The most recently kept idle instance of `pool`.
	fn take(&self, pool: u64) -> Option<Ready> {
		let mut instances = self.instances.lock().expect("idle instances lock");
		let at = instances.iter().rposition(|(owner, _)| *owner == pool)?;
		instances.remove(at).map(|(_, ready)| ready)
	}

	/// Keeps `ready` idle for `pool`, in place of the oldest idle instance if there is no room;
	/// drops it if `pool` already has [`IDLE_PER_MODULE`] idle.
	fn keep(&self, pool: u64, ready: Ready) {
		let evicted = {
			let mut instances = self.instances.lock().expect("idle instances lock");
			let own = instances.iter().filter(|(owner, _)| *owner == pool).count();
			if self.max == 0 || own >= IDLE_PER_MODULE {
				return;
			}
			let evicted = if instances.len() >= self.max { instances.pop_front() } else { None };
			instances.push_back((pool, ready));
			evicted
		};
		// Dropped outside the lock: dropping an instance gives its slot back to the pool.
		drop(evicted);
	}

	/// Drops every idle instance (of every module).
	pub(crate) fn clear(&self) {
		let all = std::mem::take(&mut *self.instances.lock().expect("idle instances lock"));
		drop(all);
	}
}

/// A module's warm instances: what resetting one needs, and its idle ones (kept in [`Idle`]).
pub(crate) struct Pool {
	globals: Vec<ModuleExport>,
	initial: Snapshot,
	/// Its name among the idle instances.
	id: u64,
	idle: Arc<Idle>,
}

impl Pool {
	/// The pool of `module` (compiled from [`Plan::wasm`]), its initial memory read from
	/// `fresh`, an instance that has run nothing, its idle instances kept in `idle`; `None` if
	/// it lacks the exports of the plan, or its initial memory is too large to keep a copy of
	/// ([`MAX_SNAPSHOT_PAGES`]).
	pub(crate) fn new(
		module: &Module,
		plan: &Plan,
		fresh: &Ready,
		page_map: &PageMap,
		idle: Arc<Idle>,
	) -> Option<Self> {
		let globals = plan
			.globals
			.iter()
			.map(|name| module.get_export_index(name))
			.collect::<Option<Vec<_>>>()?;
		let initial = Snapshot::of(&fresh.entry.memory, &fresh.store, page_map.page_size)?;
		let id = idle.next_pool.fetch_add(1, Ordering::Relaxed);
		Some(Self { globals, initial, id, idle })
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
		self.idle.take(self.id)
	}

	/// Resets `ready` after a call that returned (see the module doc) and keeps it idle, or
	/// drops it if it cannot be reset or too many of this module are idle. `written` is what
	/// the host wrote into its memory during the call.
	pub(crate) fn give_back(&self, mut ready: Ready, page_map: &PageMap, written: &HostWrites) {
		if self.reset(&mut ready, page_map, written) {
			self.idle.keep(self.id, ready);
		}
	}

	fn reset(&self, ready: &mut Ready, page_map: &PageMap, written: &HostWrites) -> bool {
		let memory = ready.entry.memory;
		if memory.size(&ready.store) != self.initial.wasm_pages {
			return false;
		}
		for (global, value) in &ready.globals {
			if global.set(&mut ready.store, *value).is_err() {
				return false;
			}
		}
		let memory = memory.data_mut(&mut ready.store);
		page_map.restore(memory, &self.initial, &mut ready.entries, written)
	}

	/// The bytes of initial memory its snapshot keeps.
	#[cfg(test)]
	pub(crate) fn snapshot_bytes(&self) -> usize {
		self.initial.pages.iter().map(|(_, page)| page.len()).sum()
	}

	/// Idle warm instances of this module.
	#[cfg(test)]
	pub(crate) fn idle(&self) -> usize {
		let instances = self.idle.instances.lock().expect("idle instances lock");
		instances.iter().filter(|(owner, _)| *owner == self.id).count()
	}
}

impl Drop for Pool {
	fn drop(&mut self) {
		let mine = {
			let mut instances = self.idle.instances.lock().expect("idle instances lock");
			let (mine, others): (VecDeque<_>, VecDeque<_>) = std::mem::take(&mut *instances)
				.into_iter()
				.partition(|(owner, _)| *owner == self.id);
			*instances = others;
			mine
		};
		// Dropped outside the lock, as in `Idle::keep`.
		drop(mine);
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
	fn the_systems_page_map_passes_its_self_test() {
		assert_eq!(PageMap::system().map(|_| ()), Ok(()));
	}

	#[test]
	fn a_page_map_that_shows_nothing_touched_fails_its_self_test() {
		assert_eq!(
			PageMap::unchecked(Path::new("/dev/zero")).self_test(),
			Err("on a private anonymous mapping, a page read reads as not present".to_owned())
		);
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
			("an anyref table", "(table 1 anyref)"),
			("a table initialiser expression", "(table 1 funcref (ref.null func))"),
			("an element segment of anyref", "(elem anyref (ref.null any))"),
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
