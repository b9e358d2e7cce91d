// The nodes registered on the chain: what each offers (capacity), how reliably it has been
// online, and its reputation score, read through the node's RPC with the wallet's client
// (loaded when this first shows, so the network page itself stays small).
import { Binary } from 'polkadot-api';

import { usePoll } from '../api.js';
import { shortId } from './graph.jsx';

/** Every registered node with its online flag, uptime, capacity and score. */
async function loadChainNodes() {
  const { connect } = await import('../chain.js');
  const chain = await connect();
  const [entries, online] = await Promise.all([
    chain.api.query.MicroNodes.Nodes.getEntries(),
    chain.api.view.MicroNodes.nodes(),
  ]);
  const isOnline = new Map(online.map(([id, up]) => [id, up]));
  const scores = await Promise.all(
    entries.map(({ keyArgs: [id] }) => chain.api.view.Reputation.score({ type: 'Node', value: id })),
  );
  return entries
    .map(({ keyArgs: [id], value }, i) => ({
      id,
      peerId: Binary.toText(value.peer_id),
      operator: value.operator,
      online: isOnline.get(id) ?? false,
      uptime: value.uptime,
      capacity: value.capacity,
      score: scores[i],
    }))
    .sort((a, b) => a.id - b.id);
}

function uptimeText({ online_blocks: up, offline_blocks: down, outages }) {
  const total = up + down;
  if (total === 0) return 'new';
  const share = ((100 * up) / total).toFixed(total > 1000 ? 2 : 0);
  return `${share}%${outages ? `, ${outages} outage${outages === 1 ? '' : 's'}` : ''}`;
}

function capacityText(c) {
  const parts = [];
  if (c.cpu_millicores) parts.push(`${c.cpu_millicores / 1000} CPU`);
  if (c.memory_mib) parts.push(`${(c.memory_mib / 1024).toFixed(1)} GiB memory`);
  if (c.storage_mib) parts.push(`${(c.storage_mib / 1024).toFixed(0)} GiB storage`);
  if (c.bandwidth_mbps) parts.push(`${c.bandwidth_mbps} Mbit/s`);
  return parts.join(', ') || 'none declared';
}

export function ChainNodes({ local }) {
  const { data: nodes, error } = usePoll(loadChainNodes, 6000);
  return (
    <section aria-labelledby="chain-nodes">
      <h2 id="chain-nodes">Registered on the chain{nodes ? ` (${nodes.length})` : ''}</h2>
      {error && <div class="error" role="alert">{error}</div>}
      {!nodes && !error && <p class="loading">Reading the chain…</p>}
      {nodes && nodes.length === 0 && (
        <div class="empty">
          No node is registered yet. An operator registers theirs with <code>micro node register</code>.
        </div>
      )}
      {nodes && nodes.length > 0 && (
        <div class="scroll">
          <table data-testid="chain-nodes">
            <thead>
              <tr><th>Node</th><th>Peer</th><th>Operator</th><th>Online</th><th>Uptime</th><th>Capacity</th><th>Score</th></tr>
            </thead>
            <tbody>
              {nodes.map((n) => (
                <tr data-node={n.id}>
                  <td>#{n.id}</td>
                  <td><code title={n.peerId}>{n.peerId === local ? 'this node' : shortId(n.peerId)}</code></td>
                  <td><code title={n.operator}>{shortId(n.operator)}</code></td>
                  <td>{n.online ? 'online' : 'offline'}</td>
                  <td>{uptimeText(n.uptime)}</td>
                  <td>{capacityText(n.capacity)}</td>
                  <td title={n.score ? `age ${n.score.age}, reliability ${n.score.reliability}, usage ${n.score.usage}, contracts ${n.score.contracts}, penalties ${n.score.penalties}` : ''}>
                    {n.score ? `${n.score.total} / 1000` : '—'}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <p class="note">As this node's RPC reports it; the light client page checks facts itself.</p>
    </section>
  );
}
