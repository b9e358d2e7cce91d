# Shared environment for the project's scripts. Source it, do not run it.
#
# - CARGO_TARGET_DIR: one target dir per machine, so scripts, tests and CI reuse one build.
# - WASM_BUILD_*: where the active Rust toolchain has no `wasm32v1-none` target, the runtime's
#   wasm is built with Debian's rust-web toolchain that `scripts/setup.sh` links as `deb-web`.

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/micro-network/target}"

# Where setup.sh installs the wasm32v1-none sysroot built from Debian's library sources.
MICRO_DEB_WEB_SYSROOT_LIB=/usr/lib/rustlib/wasm32v1-none/lib

# Whether directory $1 holds the core, alloc and compiler_builtins rlibs of wasm32v1-none.
micro_has_wasm_rlibs() {
	ls "$1"/libcore-*.rlib "$1"/liballoc-*.rlib "$1"/libcompiler_builtins-*.rlib \
		>/dev/null 2>&1
}

micro_active_has_wasm_target() {
	local sysroot
	sysroot="$(rustc --print sysroot 2>/dev/null)" || return 1
	micro_has_wasm_rlibs "$sysroot/lib/rustlib/wasm32v1-none/lib"
}

micro_deb_web_ready() {
	rustup toolchain list 2>/dev/null | grep -q '^deb-web' &&
		micro_has_wasm_rlibs "$MICRO_DEB_WEB_SYSROOT_LIB"
}

if [ -z "${WASM_BUILD_TOOLCHAIN:-}" ] && ! micro_active_has_wasm_target && micro_deb_web_ready; then
	export WASM_BUILD_TOOLCHAIN=deb-web
	# Rust 1.96 no longer passes --allow-undefined for wasm targets; the runtime's host
	# functions must become imports.
	export WASM_BUILD_RUSTFLAGS="${WASM_BUILD_RUSTFLAGS:-} -C link-arg=--allow-undefined"
fi
