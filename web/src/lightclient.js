// The light client in the page: smoldot syncs the chain from this node's WebSocket
// peer-to-peer address, checks every header's finality proof and every storage value's
// Merkle proof itself, and so lets a user check what the node's RPC says without trusting it.
import { createClient } from 'polkadot-api';
import { getSmProvider } from 'polkadot-api/sm-provider';
import { startFromWorker } from 'polkadot-api/smoldot/from-worker';

import { rpc } from './api.js';

/** Lines of smoldot's log the page keeps to show what it is doing. */
const LOG_LINES = 12;

/** The node's light-client listener as this page's host reaches it, as a multiaddr. */
export function bootnode(lightClient) {
  const host = location.hostname.replace(/^\[|\]$/g, '');
  const protocol = /^\d+\.\d+\.\d+\.\d+$/.test(host) ? 'ip4' : host.includes(':') ? 'ip6' : 'dns';
  return `/${protocol}/${host}/tcp/${lightClient.port}/ws/p2p/${lightClient.peerId}`;
}

let running = null;

/**
 * Starts smoldot (once per page) on the node's chain spec, with the node as its bootnode.
 * `onLog(lines)` gets its latest log lines. Resolves to `{ client, api, bootnode, decimals }`.
 */
export function startLightClient(settings, onLog) {
  if (running) return running;
  running = (async () => {
    const light = settings.lightClient;
    const response = await fetch(light.chainSpec);
    if (!response.ok) throw new Error(`the chain spec: HTTP ${response.status}`);
    const spec = await response.json();
    const address = bootnode(light);
    spec.bootNodes = [address];
    const lines = [];
    const smoldot = startFromWorker(new Worker('/_/app/smoldot-worker.js', { type: 'module' }), {
      maxLogLevel: 3,
      logCallback: (level, target, message) => {
        lines.push(`${target}: ${message}`);
        if (lines.length > LOG_LINES) lines.shift();
        onLog([...lines]);
      },
    });
    const chain = smoldot.addChain({ chainSpec: JSON.stringify(spec) });
    const client = createClient(getSmProvider(() => chain));
    // Computed by smoldot from the spec's genesis state: the root every proof checks against.
    const { genesisHash } = await client.getChainSpecData();
    return {
      client,
      api: client.getUnsafeApi(),
      genesis: genesisHash,
      bootnode: address,
      decimals: spec.properties?.tokenDecimals ?? 12,
      symbol: spec.properties?.tokenSymbol ?? 'UNIT',
    };
  })();
  running.catch(() => {
    running = null;
  });
  return running;
}

/**
 * Reads storage `key` at finalized block `block` both ways: from the light client (proof
 * checked) and from the node's RPC (taken on trust). `{ verified, claimed, agree }`.
 */
async function compare(client, key, block) {
  const [verified, claimed] = await Promise.all([
    client.rawQuery(key, { at: block.hash }),
    rpc('state_getStorage', [key, block.hash]),
  ]);
  return { verified, claimed, agree: (verified ?? null) === (claimed ?? null) };
}

/** The finalized block the light client verified, and the RPC's block at its height. */
export async function checkFinalized(light) {
  const block = await light.client.getFinalizedBlock();
  const claimed = await rpc('chain_getBlockHash', [block.number]);
  return { block, claimed, agree: claimed === block.hash };
}

/** `address`'s free balance at the finalized block, verified, with what the RPC says. */
export async function checkBalance(light, address) {
  const block = await light.client.getFinalizedBlock();
  const release = light.client.hodlBlock(block.hash);
  try {
    const key = await light.api.query.System.Account.getKey(address);
    const account = await light.api.query.System.Account.getValue(address, { at: block.hash });
    const raw = await compare(light.client, key, block);
    return { block, free: account.data.free, ...raw };
  } finally {
    release();
  }
}

/**
 * Who owns service `name` (holds its NFT) at the finalized block, verified step by step
 * (name to id, the services' collection, the NFT's owner), with whether the RPC agrees on
 * every step.
 */
export async function checkServiceOwner(light, name) {
  const block = await light.client.getFinalizedBlock();
  const release = light.client.hodlBlock(block.hash);
  const at = { at: block.hash };
  const services = light.api.query.MicroServices;
  try {
    const nameBytes = new TextEncoder().encode(name);
    const steps = [];
    const id = await services.ServiceByName.getValue(nameBytes, at);
    steps.push({ what: `the id of "${name}"`, value: id, ...(await compare(light.client, await services.ServiceByName.getKey(nameBytes), block)) });
    if (id === undefined) return { block, id, owner: null, steps };
    const collection = await services.ServiceCollection.getValue(at);
    steps.push({ what: "the services' NFT collection", value: collection, ...(await compare(light.client, await services.ServiceCollection.getKey(), block)) });
    const item = await light.api.query.Nfts.Item.getValue(collection, id, at);
    steps.push({ what: `NFT ${collection}/${id}`, value: item?.owner, ...(await compare(light.client, await light.api.query.Nfts.Item.getKey(collection, id), block)) });
    return { block, id, owner: item?.owner ?? null, steps };
  } finally {
    release();
  }
}
