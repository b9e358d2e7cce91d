#!/usr/bin/env bash
# Fuzzes the MUCP envelope decoder with cargo-fuzz (libFuzzer), starting from the committed
# corpus in mucp-offchain/fuzz/corpus/decode, for SECONDS (default 60) seconds.
#
#   scripts/fuzz.sh            # a minute
#   SECONDS_TO_RUN=600 scripts/fuzz.sh
#
# Needs `cargo install cargo-fuzz`. cargo-fuzz wants nightly flags; RUSTC_BOOTSTRAP lets the
# stable toolchain accept them. It builds in its own target dir: its instrumented builds would
# otherwise evict the everyday build's.
set -euo pipefail
cd "$(dirname "$0")/../mucp-offchain"
. ../scripts/env.sh
export CARGO_TARGET_DIR="${MICRO_FUZZ_TARGET_DIR:-$HOME/.cache/micro-network/target-fuzz}"
export RUSTC_BOOTSTRAP=1
cargo fuzz run decode fuzz/corpus/decode -- -max_total_time="${SECONDS_TO_RUN:-60}" -max_len=65536
