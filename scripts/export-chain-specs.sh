#!/usr/bin/env bash
# Exports the plain chain specs of the `local` and `testnet` chains into chain-specs/.
# tests/tests/e2e/chain_specs.rs fails when the committed files differ from what the node exports.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

./scripts/setup.sh
# shellcheck source=env.sh
. scripts/env.sh
cargo build --locked -p micro-node

for chain in local testnet; do
	"$CARGO_TARGET_DIR/debug/micro-node" export-chain-spec --chain "$chain" \
		--output "chain-specs/$chain.json"
	echo "exported chain-specs/$chain.json"
done
