#!/usr/bin/env bash
# Builds everything (after the one-time set-up), checks formatting and clippy, and runs all
# tests: unit tests, and the end-to-end tests under tests/ that start real nodes on loopback
# ports.
#
#   ./scripts/test.sh                 # everything
#   ./scripts/test.sh -p micro-tests  # extra arguments go to `cargo test`
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

./scripts/setup.sh
# shellcheck source=env.sh
. scripts/env.sh

step() { printf '\n==> %s\n' "$*"; }

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy (warnings are errors)"
cargo clippy --locked --workspace --all-targets -- -D warnings

step "build micro-node and micro (the end-to-end tests run these binaries)"
start=$(date +%s)
cargo build --locked -p micro-node -p micro-cli
echo "built in $(( $(date +%s) - start )) s"

step "cargo test"
if [ $# -eq 0 ]; then
	set -- --workspace
fi
cargo test --locked "$@"
