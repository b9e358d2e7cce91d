#!/usr/bin/env bash
# Measures every extrinsic of the Micro Network's pallets and writes each pallet's
# `src/weights.rs` from the results.
#
# Builds the node with the `runtime-benchmarks` feature (a separate, larger build: it pulls in
# frame-benchmarking-cli) in its own target dir so the everyday build stays warm.
#
#   scripts/benchmark-pallets.sh                 # all pallets, 50 steps, 20 repeats
#   STEPS=2 REPEAT=1 scripts/benchmark-pallets.sh   # a quick check that every benchmark runs
#   MICRO_PROFILE=release scripts/benchmark-pallets.sh  # optimised host (slower to build)
#   PALLETS="tokens settlement" scripts/benchmark-pallets.sh  # only some pallets
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh
export CARGO_TARGET_DIR="${MICRO_BENCH_TARGET_DIR:-$HOME/.cache/micro-network/target-bench}"
# frame-benchmarking-cli's storage-access test runtime is only for `benchmark storage`.
export SKIP_FRAME_STORAGE_ACCESS_TEST_RUNTIME_WASM_BUILD=1

profile="${MICRO_PROFILE:-debug}"
profile_flag=()
[ "$profile" = release ] && profile_flag=(--release)
cargo build "${profile_flag[@]}" -p micro-node --features runtime-benchmarks
node="$CARGO_TARGET_DIR/$profile/micro-node"

for pallet in ${PALLETS:-nodes services reputation tokens settlement contracts governance validators}; do
	"$node" benchmark pallet \
		--chain dev \
		--pallet "pallet_micro_$pallet" \
		--extrinsic '*' \
		--steps "${STEPS:-50}" \
		--repeat "${REPEAT:-20}" \
		--template scripts/pallet-weight-template.hbs \
		--output "pallets/$pallet/src/weights.rs"
done
