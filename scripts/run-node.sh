#!/usr/bin/env bash
# Builds micro-node and the `micro` command line (after the one-time set-up) and runs the node.
# Without arguments: a dev chain.
#
#   ./scripts/run-node.sh                 # --dev: one validator, blocks every 6 s, finality;
#                                         # with --dev, services build from local directories too
#   ./scripts/run-node.sh --chain local --alice --validator --base-path /tmp/alice
#   MICRO_PROFILE=release ./scripts/run-node.sh --dev
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

./scripts/setup.sh
# shellcheck source=env.sh
. scripts/env.sh

profile="${MICRO_PROFILE:-debug}"
case "$profile" in
	debug) cargo build --locked -p micro-node -p micro-cli ;;
	release) cargo build --locked --release -p micro-node -p micro-cli ;;
	*) echo "MICRO_PROFILE must be debug or release, not '$profile'" >&2; exit 2 ;;
esac

[ $# -eq 0 ] && set -- --dev
# A development node builds services from the developer's own directories (`micro services
# deploy .`); no other chain does unless told.
for arg in "$@"; do
	if [ "$arg" = --dev ]; then
		set -- "$@" --mucp-allow-local-sources
		break
	fi
done
exec "$CARGO_TARGET_DIR/$profile/micro-node" "$@"
