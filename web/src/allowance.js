// A consumer's usage allowance, encoded and signed exactly as `micro allowance sign` does
// (mucp-offchain's SignedAllowance): the consumer signs the SCALE encoding of
// `(USAGE_ALLOWANCE_CONTEXT, genesis_hash, allowance)`, as it is (development accounts, `micro`)
// or wrapped in `<Bytes>…</Bytes>` as browser extensions sign raw bytes (nodes and the chain
// accept both); the header text is `0x` and the hex of the SCALE-encoded
// `(allowance, MultiSignature)`.
import { getSs58AddressInfo } from 'polkadot-api';

const USAGE_ALLOWANCE_CONTEXT = new TextEncoder().encode('micro-network/allowance/v1');
const SR25519 = 1; // MultiSignature's variant index for sr25519.
/** A MultiSignature's length by its variant: ed25519, sr25519 (type byte and 64), ecdsa (65). */
const MULTI_SIGNATURE_LENGTHS = new Map([[0, 65], [1, 65], [2, 66]]);

function littleEndian(value, bytes) {
  const out = new Uint8Array(bytes);
  let rest = BigInt(value);
  for (let i = 0; i < bytes; i++) {
    out[i] = Number(rest & 0xffn);
    rest >>= 8n;
  }
  if (rest) throw new Error(`${value} does not fit in ${bytes * 8} bits`);
  return out;
}

/** SCALE's compact length prefix of a byte string (lengths below 2^14). */
function compactLength(length) {
  return length < 64 ? Uint8Array.of(length << 2) : littleEndian((length << 2) | 1, 2);
}

function concat(...parts) {
  const out = new Uint8Array(parts.reduce((sum, p) => sum + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

export function fromHex(hex) {
  const digits = hex.replace(/^0x/, '');
  return Uint8Array.from(digits.match(/../g) || [], (pair) => parseInt(pair, 16));
}

export function toHex(bytes) {
  return `0x${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`;
}

/** The SCALE encoding of a `UsageAllowance<AccountId32, u32>`. */
function encodeAllowance({ consumer, service, node, maxCalls, maxPricePerCall, expiresAt, nonce }) {
  const info = getSs58AddressInfo(consumer);
  if (!info.isValid) throw new Error(`${consumer} is not an address`);
  return concat(
    info.publicKey,
    littleEndian(service, 4),
    littleEndian(node, 4),
    littleEndian(maxCalls, 8),
    littleEndian(maxPricePerCall, 16),
    littleEndian(expiresAt, 4),
    littleEndian(nonce, 8),
  );
}

/**
 * Signs `allowance` for the chain with genesis hash `genesis` (hex) with `signRaw` and returns
 * its `Micro-Allowance` text. `signRaw` takes the bytes and gives a bare 64-byte sr25519
 * signature (a development account) or a typed MultiSignature (a browser extension's).
 */
export async function signAllowance(allowance, genesis, signRaw) {
  const encoded = encodeAllowance(allowance);
  const message = concat(
    compactLength(USAGE_ALLOWANCE_CONTEXT.length),
    USAGE_ALLOWANCE_CONTEXT,
    fromHex(genesis),
    encoded,
  );
  const signature = await signRaw(message);
  if (signature.length === 64) return toHex(concat(encoded, Uint8Array.of(SR25519), signature));
  if (MULTI_SIGNATURE_LENGTHS.get(signature[0]) === signature.length) return toHex(concat(encoded, signature));
  throw new Error(`the signer gave ${signature.length} bytes, which are not a signature this chain knows`);
}
