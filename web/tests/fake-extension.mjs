// A stand-in for the polkadot.js browser extension, for the console test: the page sees
// `window.injectedWeb3['polkadot-js']` with one account, and the extension's signing (here in
// Node, with a development key, as the real one does in its own process) builds the
// transaction's signing payload from the JSON the page sends, as the extension does.
import { sr25519CreateDerive } from '@polkadot-labs/hdkd';
import { blake2b256, DEV_PHRASE, entropyToMiniSecret, mnemonicToEntropy, ss58Address } from '@polkadot-labs/hdkd-helpers';

const fromHex = (hex) => Uint8Array.from(hex.replace(/^0x/, '').match(/../g) || [], (b) => parseInt(b, 16));
const toHex = (bytes) => `0x${Buffer.from(bytes).toString('hex')}`;

function littleEndian(value, bytes) {
  const out = new Uint8Array(bytes);
  let rest = BigInt(value);
  for (let i = 0; i < bytes; i++, rest >>= 8n) out[i] = Number(rest & 0xffn);
  return out;
}

/** SCALE's compact encoding of a non-negative integer. */
function compact(value) {
  const n = BigInt(value);
  if (n < 64n) return Uint8Array.of(Number(n) << 2);
  if (n < 2n ** 14n) return littleEndian((n << 2n) | 1n, 2);
  if (n < 2n ** 30n) return littleEndian((n << 2n) | 2n, 4);
  const bytes = [];
  for (let rest = n; rest > 0n; rest >>= 8n) bytes.push(Number(rest & 0xffn));
  return Uint8Array.of(((bytes.length - 4) << 2) | 3, ...bytes);
}

const concat = (...parts) => Uint8Array.from(parts.flatMap((p) => [...p]));

/**
 * The bytes an extension signs for a transaction (`SignerPayloadJSON`): the call, then the
 * runtime's transaction extensions' values (era, nonce, tip, metadata-hash mode) and
 * implicit data (spec and transaction versions, genesis, the era's block, the metadata hash).
 */
function payloadBytes(payload) {
  const mode = payload.mode ?? 0;
  const bytes = concat(
    fromHex(payload.method),
    fromHex(payload.era),
    compact(BigInt(payload.nonce)),
    compact(BigInt(payload.tip)),
    Uint8Array.of(mode),
    littleEndian(BigInt(payload.specVersion), 4),
    littleEndian(BigInt(payload.transactionVersion), 4),
    fromHex(payload.genesisHash),
    fromHex(payload.blockHash),
    mode ? concat(Uint8Array.of(1), fromHex(payload.metadataHash)) : Uint8Array.of(0),
  );
  return bytes.length > 256 ? blake2b256(bytes) : bytes;
}

/**
 * Gives `page` (before it loads) a fake polkadot.js extension holding the development account
 * `//{name}`, shown as `{label}`. Returns the account's address.
 */
export async function installFakeExtension(page, name, label) {
  const keyPair = sr25519CreateDerive(entropyToMiniSecret(mnemonicToEntropy(DEV_PHRASE)))(`//${name}`);
  const address = ss58Address(keyPair.publicKey, 42);
  // Signatures as extensions give them: a MultiSignature (0x01: sr25519) in hex.
  await page.exposeFunction('fakeExtensionSignPayload', (payload) =>
    toHex(concat(Uint8Array.of(1), keyPair.sign(payloadBytes(payload)))));
  await page.exposeFunction('fakeExtensionSignRaw', (data) => {
    const wrapped = concat(Buffer.from('<Bytes>'), fromHex(data), Buffer.from('</Bytes>'));
    return toHex(concat(Uint8Array.of(1), keyPair.sign(wrapped)));
  });
  await page.addInitScript(({ address, label }) => {
    const accounts = [{ address, name: label, type: 'sr25519' }];
    window.injectedWeb3 = {
      'polkadot-js': {
        version: 'test',
        enable: async () => ({
          accounts: { get: async () => accounts, subscribe: (cb) => { cb(accounts); return () => {}; } },
          signer: {
            signPayload: async (payload) => ({ id: 1, signature: await window.fakeExtensionSignPayload(payload) }),
            signRaw: async ({ data }) => ({ id: 2, signature: await window.fakeExtensionSignRaw(data) }),
          },
        }),
      },
    };
  }, { address, label });
  return address;
}
