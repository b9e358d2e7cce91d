// The chain as the wallet sees it: a polkadot-api client over the node's WebSocket RPC, typed
// from the chain's own metadata at run time (no generated descriptors), the signers (dev
// accounts derived here, or the polkadot.js extension's) and the transactions they send.
import { createClient, getSs58AddressInfo } from 'polkadot-api';
import { getWsProvider } from 'polkadot-api/ws';
import { getPolkadotSigner } from 'polkadot-api/signer';
import { connectInjectedExtension, getInjectedExtensions } from 'polkadot-api/pjs-signer';
import { sr25519CreateDerive, withNetworkAccount } from '@polkadot-labs/hdkd';
import { DEV_PHRASE, entropyToMiniSecret, mnemonicToEntropy } from '@polkadot-labs/hdkd-helpers';

import { nodeSettings } from './api.js';

let chain = null;

/** Where the node's WebSocket RPC listens, on the host this page came from. */
export function wsUrl() {
  const port = nodeSettings()?.rpcPort;
  return port ? `ws://${location.hostname}:${port}` : null;
}

/**
 * The chain, connected once per page: `{ client, api, genesis, decimals, symbol, ss58 }`.
 * Rejects in words when the RPC cannot be reached.
 */
export function connect() {
  if (!chain) {
    chain = open().catch((error) => {
      chain = null;
      throw error;
    });
  }
  return chain;
}

async function open() {
  const url = wsUrl();
  if (!url) throw new Error('this node does not say where its RPC listens');
  const client = createClient(getWsProvider(url, { timeout: 10_000 }));
  const spec = await Promise.race([
    client.getChainSpecData(),
    new Promise((_, reject) => setTimeout(() => reject(new Error(
      `the node's RPC at ${url} does not answer: is micro-node running, and its --rpc-port open to this browser?`,
    )), 15_000)),
  ]).catch((error) => {
    client.destroy();
    throw error;
  });
  const properties = spec.properties || {};
  return {
    client,
    api: client.getUnsafeApi(),
    genesis: spec.genesisHash,
    decimals: Number(properties.tokenDecimals ?? 12),
    symbol: properties.tokenSymbol || 'MICRO',
    ss58: Number(properties.ss58Format ?? 42),
  };
}

/** The development accounts every `--dev` chain endows: //Alice … //Ferdie. */
export const DEV_NAMES = ['Alice', 'Bob', 'Charlie', 'Dave', 'Eve', 'Ferdie'];

let derive = null;
const devAccounts = new Map();

/**
 * A development account, derived in the page from the public development phrase. It signs
 * raw bytes as they are (`signRaw`), as `micro` does, and transactions (`signer`).
 */
export function devAccount(name, ss58) {
  const key = `${name}/${ss58}`;
  if (!devAccounts.has(key)) devAccounts.set(key, deriveDevAccount(name, ss58));
  return devAccounts.get(key);
}

function deriveDevAccount(name, ss58) {
  derive ??= sr25519CreateDerive(entropyToMiniSecret(mnemonicToEntropy(DEV_PHRASE)));
  const keyPair = derive(`//${name}`);
  const { ss58Address } = withNetworkAccount(keyPair, ss58);
  return {
    key: `dev:${name}`,
    name: `//${name}`,
    address: ss58Address,
    source: 'development',
    signer: getPolkadotSigner(keyPair.publicKey, 'Sr25519', keyPair.sign),
    signRaw: (bytes) => keyPair.sign(bytes),
  };
}

/** The names of the browser extensions that offer accounts (polkadot.js and alike). */
export function extensionNames() {
  return getInjectedExtensions();
}

/**
 * The accounts of extension `name`, once the person allows this page; `onChange` gets them
 * again when they change. The extension signs transactions (`signer`) and raw bytes
 * (`signRaw`), which it wraps in `<Bytes>…</Bytes>` and the nodes and the chain accept so.
 */
export async function extensionAccounts(name, onChange) {
  const extension = await connectInjectedExtension(name, 'Micro Network console');
  // This chain's accounts are 32-byte ids: Ethereum accounts cannot sign for it.
  const shaped = (accounts) => accounts
    .filter((a) => a.type !== 'ethereum')
    .map((a) => ({
      key: `ext:${name}:${a.address}`,
      name: a.name || a.address,
      address: a.address,
      source: name,
      signer: a.polkadotSigner,
      signRaw: (bytes) => a.polkadotSigner.signBytes(bytes),
    }));
  extension.subscribe((accounts) => onChange(shaped(accounts)));
  return shaped(extension.getAccounts());
}

/** Whether `text` is an SS58 address (any network prefix). */
export function isAddress(text) {
  try {
    return getSs58AddressInfo(text.trim()).isValid;
  } catch {
    return false;
  }
}

/** `amount` (the chain's smallest unit, a bigint) in whole units, e.g. `1 234.5 MICRO`. */
export function formatUnits(amount, decimals, symbol) {
  const value = BigInt(amount ?? 0);
  const base = 10n ** BigInt(decimals);
  const whole = (value / base).toLocaleString('en-US');
  const digits = (value % base).toString().padStart(decimals, '0').replace(/0+$/, '');
  // Four decimals, or below one unit, four significant digits.
  const shown = value < base ? digits.replace(/^(0*\d{1,4}).*$/, '$1') : digits.slice(0, 4);
  const fraction = shown.replace(/0+$/, '');
  return `${whole}${fraction ? `.${fraction}` : ''}${symbol ? ` ${symbol}` : ''}`;
}

/** A name for a module error that the page knows, with what to do; otherwise its name in words. */
const ERRORS = {
  'Balances.InsufficientBalance': 'The account does not have enough MICRO. Fund it first.',
  'Balances.FundsUnavailable': 'The account does not have enough free MICRO. Fund it first.',
  'Token.FundsUnavailable': 'The account does not have enough free MICRO. Fund it first.',
  'MicroTokens.PriceAboveLimit': 'The token price rose while you were buying: try again.',
  'MicroTokens.ZeroTokens': 'Buy at least one token.',
  'MicroTokens.TooManyBatches': 'The account holds as many token batches as allowed: spend some or let them lapse first.',
  'MicroTokens.NoSuchBatch': 'The account holds no batch expiring at that block any more.',
  'MicroTokens.NotRefreshable': 'Free-quota tokens cannot be refreshed: the quota renews every period.',
  'MicroTokens.StillFresh': 'That batch is still fresh: a new lifetime would not end later than its current one. Refresh it closer to its expiry.',
  'MicroServices.NotOwner': 'Only the owner of the service may do that.',
  'MicroServices.UnknownService': 'No such service.',
  'MicroServices.AlreadyOwner': 'That account owns the service already.',
  'Governance.NoVotingWeight': 'This account has no voice on this proposal: it operates no node and owns no service it created that was registered long enough before the proposal.',
  'Governance.VotingClosed': 'The vote on this proposal is over.',
  'Governance.AlreadyVoted': 'This account already voted on this proposal.',
  'Governance.VoicesAlreadyUsed': 'Every node and service of this account already voted on this proposal.',
  'Governance.UnknownProposal': 'No proposal has this index.',
};

function words(name) {
  return name.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();
}

/** What went wrong with a transaction, in words. */
export function txErrorInWords(error) {
  if (error?.type === 'Module') {
    const pallet = error.value?.type;
    const name = error.value?.value?.type;
    return ERRORS[`${pallet}.${name}`] || `${pallet}: ${words(name || 'failed')}.`;
  }
  if (error?.type === 'Token' || error?.type === 'Arithmetic') {
    return ERRORS[`Token.${error.value?.type}`] || `${error.type}: ${words(error.value?.type || 'error')}.`;
  }
  if (error?.type === 'Invalid' && error.value?.type === 'Payment') {
    return 'The account cannot pay the transaction fee: it needs MICRO first.';
  }
  if (error?.type) return `${error.type}${error.value?.type ? `: ${words(error.value.type)}` : ''}.`;
  const text = error?.message || String(error);
  if (/Cancelled|Rejected/i.test(text)) return 'The signer refused to sign it.';
  return text;
}

/**
 * Signs `tx` with `account` and follows it to finalization; `onStep` gets each step in
 * words. Resolves to its events when it succeeded; rejects with the reason in words.
 */
export function send(tx, account, onStep) {
  return new Promise((resolve, reject) => {
    onStep('Waiting for the signature…');
    tx.signSubmitAndWatch(account.signer).subscribe({
      next(event) {
        if (event.type === 'signed') onStep('Signed; sending it to the node…');
        if (event.type === 'broadcasted') onStep('Sent; waiting for a block…');
        if (event.type === 'txBestBlocksState' && event.found) {
          onStep(`In block #${event.block.number}; waiting for finality…`);
        }
        if (event.type === 'finalized') {
          if (event.ok) resolve(event);
          else reject(new Error(txErrorInWords(event.dispatchError)));
        }
      },
      error(error) {
        reject(new Error(txErrorInWords(error?.error ?? error)));
      },
    });
  });
}
