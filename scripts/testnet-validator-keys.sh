#!/usr/bin/env bash
# Makes a testnet validator's session keys in its node's keystore and prints their public
# half, the entry to send for chain-specs/testnet-validators.json. The secrets never leave the
# keystore: back up BASE_PATH/chains/micro_testnet/keystore, and nothing else is needed.
#
#   scripts/testnet-validator-keys.sh BASE_PATH NAME
#
# BASE_PATH is the node's --base-path (the validator then runs
# `micro-node --chain testnet --validator --base-path BASE_PATH`). Needs `jq`-free bash only.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
. "$root/scripts/env.sh"
node="${MICRO_NODE:-$CARGO_TARGET_DIR/debug/micro-node}"
if [ $# -ne 2 ]; then
	echo "usage: $0 BASE_PATH NAME" >&2
	exit 2
fi
base="$1"
name="$2"
keystore="$base/chains/micro_testnet/keystore"
if compgen -G "$keystore/61757261*" >/dev/null || compgen -G "$keystore/6772616e*" >/dev/null; then
	echo "$keystore already holds aura or grandpa keys: refusing to make more" >&2
	exit 1
fi
mkdir -p "$keystore"
chmod 700 "$keystore"

# A fresh phrase per key, inserted and then forgotten by this script.
public_of() { # scheme key-type -> SS58 public key
	local scheme="$1" type="$2" phrase
	phrase="$("$node" key generate --scheme "$scheme" --words 24 --output-type json |
		sed -n 's/.*"secretPhrase": *"\([^"]*\)".*/\1/p')"
	[ -n "$phrase" ] || { echo "micro-node key generate gave no phrase" >&2; exit 1; }
	"$node" key insert --keystore-path "$keystore" --key-type "$type" --scheme "$scheme" \
		--suri "$phrase"
	"$node" key inspect --scheme "$scheme" --output-type json "$phrase" |
		sed -n 's/.*"ss58PublicKey": *"\([^"]*\)".*/\1/p'
}
aura="$(public_of sr25519 aura)"
grandpa="$(public_of ed25519 gran)"
account="$(public_of sr25519 acco)"
printf '{ "name": "%s", "account": "%s", "aura": "%s", "grandpa": "%s" }\n' \
	"$name" "$account" "$aura" "$grandpa"
