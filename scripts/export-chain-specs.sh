#!/usr/bin/env bash
# Exports the plain chain spec of the `local` chain into chain-specs/. With --testnet, also
# rebuilds the testnet's raw spec from chain-specs/testnet-validators.json: that makes a NEW
# testnet (another genesis), so only before the testnet starts or when it is relaunched.
# tests/tests/e2e/chain_specs.rs fails when the committed files differ from what the node exports.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

./scripts/setup.sh
# shellcheck source=env.sh
. scripts/env.sh
cargo build --locked -p micro-node

for chain in local; do
	"$CARGO_TARGET_DIR/debug/micro-node" export-chain-spec --chain "$chain" \
		--output "chain-specs/$chain.json"
	echo "exported chain-specs/$chain.json"
done

if [ "${1:-}" = "--testnet" ]; then
	"$CARGO_TARGET_DIR/debug/micro-node" testnet-spec
	echo "now rebuild micro-node (it embeds chain-specs/testnet-raw.json) and update the testnet genesis hash in docs/chain.md"
fi
