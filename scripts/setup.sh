#!/usr/bin/env bash
# Idempotent set-up of everything the build needs on a fresh Debian machine.
#
#   ./scripts/setup.sh
#
# - protoc (Debian's protobuf-compiler);
# - bubblewrap, the sandbox nodes build placed Rust services in (docs/executor.md: "Builds run
#   in a sandbox");
# - Node.js (20 or newer) and npm, which build the web console micro-node embeds (web/, its
#   locked packages installed with `npm ci`), and Debian's chromium, which the browser tests
#   drive with playwright-core;
# - nats-server, the reference `cargo bench -p mucp-offchain --bench versus_nats` measures MUCP
#   beside (docs/mucp.md: "Against NATS");
# - a `wasm32v1-none` target for the runtime: the active toolchain's own if it has one (or
#   `rustup target add` can fetch it), otherwise Debian's rust-web toolchain with a sysroot
#   built once from its library sources, linked as the rustup toolchain `deb-web`
#   (MICRO_SETUP_DEB_WEB=1 forces this route).
set -euo pipefail

say() { printf '[setup] %s\n' "$*"; }
die() { printf '[setup] error: %s\n' "$*" >&2; exit 1; }

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
	command -v sudo >/dev/null || die "not root and no sudo: install packages by hand: $*"
	SUDO="sudo"
fi

APT_UPDATED=0
apt_install() {
	local missing=()
	for pkg in "$@"; do
		dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	command -v apt-get >/dev/null || die "apt-get not found; install ${missing[*]} with your package manager"
	if [ "$APT_UPDATED" -eq 0 ]; then
		say "apt-get update"
		$SUDO apt-get update -qq || die "apt-get update failed"
		APT_UPDATED=1
	fi
	say "installing ${missing[*]}"
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null ||
		die "apt-get install ${missing[*]} failed"
}

command -v cargo >/dev/null || die "cargo not found: install Rust with rustup first"
command -v rustup >/dev/null || die "rustup not found: the wasm toolchain set-up needs it"

# 1. protoc
if command -v protoc >/dev/null; then
	say "protoc present: $(protoc --version)"
else
	apt_install protobuf-compiler
	say "protoc installed: $(protoc --version)"
fi

# 1a. make and a C compiler: tikv-jemalloc-sys builds jemalloc, micro-node's allocator
if command -v make >/dev/null && command -v cc >/dev/null; then
	say "make and cc present"
else
	apt_install make gcc libc6-dev
	say "make and cc installed"
fi

# 1b. bubblewrap, for sandboxed service builds
if command -v bwrap >/dev/null; then
	say "bubblewrap present: $(bwrap --version)"
else
	apt_install bubblewrap
	say "bubblewrap installed: $(bwrap --version)"
fi
if ! bwrap --unshare-all --cap-drop ALL --ro-bind / / true 2>/dev/null; then
	say "warning: bwrap cannot create namespaces here (see kernel.unprivileged_userns_clone or" \
		"AppArmor's restrict_unprivileged_userns): Rust service builds fail until it can"
fi

# 1c. nats-server, the reference the versus_nats bench runs beside MUCP
if command -v nats-server >/dev/null; then
	say "nats-server present: $(nats-server --version)"
else
	apt_install nats-server
	say "nats-server installed: $(nats-server --version)"
fi

# 1d. Node.js and npm for the web console, its locked packages, and chromium for its tests
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
	apt_install nodejs npm
fi
node_major="$(node -p 'process.versions.node.split(".")[0]')"
[ "$node_major" -ge 20 ] ||
	die "Node.js $(node --version) is too old: the web console's tools need 20 or newer"
say "node present: $(node --version), npm $(npm --version)"
web="$(cd "$(dirname "${BASH_SOURCE[0]}")/../web" && pwd)"
if [ ! -f "$web/node_modules/.package-lock.json" ] ||
	[ "$web/package-lock.json" -nt "$web/node_modules/.package-lock.json" ]; then
	say "installing the web console's locked packages (npm ci)"
	# Exactly the lockfile's packages (checked by integrity hash); no install scripts run.
	(cd "$web" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error) ||
		die "npm ci in web/ failed"
else
	say "web console packages present"
fi
if command -v chromium >/dev/null; then
	say "chromium present: $(chromium --version 2>/dev/null)"
else
	apt_install chromium
	say "chromium installed: $(chromium --version 2>/dev/null)"
fi

# 2. wasm32v1-none for the runtime
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=env.sh
. "$here/env.sh"

# MICRO_SETUP_DEB_WEB=1 takes the Debian route even where rustup could provide the target.
if [ "${MICRO_SETUP_DEB_WEB:-0}" != 1 ]; then
	if micro_active_has_wasm_target; then
		say "active toolchain already has wasm32v1-none: nothing more to do"
		exit 0
	fi
	say "active toolchain lacks wasm32v1-none; trying rustup target add"
	if timeout 120 rustup target add wasm32v1-none >/dev/null 2>&1 && micro_active_has_wasm_target; then
		say "wasm32v1-none added to the active toolchain"
		exit 0
	fi
fi

if [ "${MICRO_SETUP_DEB_WEB:-0}" = 1 ]; then
	say "MICRO_SETUP_DEB_WEB=1: using Debian's rust-web toolchain"
else
	say "rustup cannot fetch it here: using Debian's rust-web toolchain"
fi
apt_install rustc-web cargo-web rust-web-src rust-web-llvm lld-22

SYSROOT_LIB="$MICRO_DEB_WEB_SYSROOT_LIB"
if micro_has_wasm_rlibs "$SYSROOT_LIB"; then
	say "wasm32v1-none sysroot present in $SYSROOT_LIB"
else
	say "building core, alloc and compiler_builtins for wasm32v1-none (once, about a minute)"
	scratch="$(mktemp -d)"
	trap 'rm -rf "$scratch"' EXIT
	mkdir -p "$scratch/src"
	cat >"$scratch/Cargo.toml" <<'TOML'
[package]
name = "wasm-sysroot"
version = "0.0.0"
edition = "2021"

[lib]
path = "src/lib.rs"

[profile.release]
panic = "abort"
TOML
	printf '#![no_std]\n' >"$scratch/src/lib.rs"
	(
		cd "$scratch"
		env -u CARGO_TARGET_DIR -u RUSTFLAGS RUSTC_BOOTSTRAP=1 RUSTFLAGS="-C embed-bitcode=yes" \
			RUSTC=/usr/bin/rustc /usr/bin/cargo build -q --release --target wasm32v1-none \
			-Zbuild-std=core,alloc
	) || die "building the wasm32v1-none sysroot failed (see the cargo output above)"
	deps="$scratch/target/wasm32v1-none/release/deps"
	$SUDO mkdir -p "$SYSROOT_LIB"
	for crate in core alloc compiler_builtins; do
		rlib="$(ls "$deps"/lib"$crate"-*.rlib 2>/dev/null | head -n1)"
		[ -n "$rlib" ] || die "lib$crate rlib not produced in $deps"
		$SUDO cp "$rlib" "$SYSROOT_LIB/"
	done
	say "sysroot installed in $SYSROOT_LIB"
	# A runtime built against old rlibs must be rebuilt.
	if [ -d "$CARGO_TARGET_DIR/debug/wbuild" ] || [ -d "$CARGO_TARGET_DIR/release/wbuild" ]; then
		say "removing stale wbuild/ in $CARGO_TARGET_DIR"
		rm -rf "$CARGO_TARGET_DIR/debug/wbuild" "$CARGO_TARGET_DIR/release/wbuild"
	fi
fi

if rustup toolchain list | grep -q '^deb-web'; then
	say "rustup toolchain deb-web already linked"
else
	rustup toolchain link deb-web /usr || die "rustup toolchain link deb-web /usr failed"
	say "linked /usr as rustup toolchain deb-web"
fi

micro_deb_web_ready || die "deb-web toolchain still not usable"
say "done: builds use WASM_BUILD_TOOLCHAIN=deb-web (scripts/env.sh sets it)"
