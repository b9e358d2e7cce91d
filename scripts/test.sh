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

step "documentation links"
./scripts/check-doc-links.py

step "cargo clippy (warnings are errors)"
cargo clippy --locked --workspace --all-targets -- -D warnings

step "build micro-node and micro (the end-to-end tests run these binaries)"
start=$(date +%s)
cargo build --locked -p micro-node -p micro-cli
echo "built in $(( $(date +%s) - start )) s"

if [ $# -gt 0 ]; then
	step "cargo test $*"
	exec cargo test --locked "$@"
fi

step "cargo test: unit and library tests"
cargo test --locked --workspace --exclude micro-tests

# The end-to-end scenarios mostly wait for blocks: side by side they take the longest one's
# time instead of their sum. MICRO_E2E_THREADS=1 runs them one at a time.
step "cargo test: end-to-end scenarios, ${MICRO_E2E_THREADS:-4} at a time"
start=$(date +%s)
cargo test --locked -p micro-tests -- --test-threads "${MICRO_E2E_THREADS:-4}"
echo "end-to-end tests in $(( $(date +%s) - start )) s"
