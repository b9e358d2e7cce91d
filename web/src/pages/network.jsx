// The network as this node sees it: itself, the chain, the nodes and who is connected to
// whom, the services with their routes, and what this node runs.
import { rpc, usePoll } from '../api.js';
import { ChainNodes } from '../components/chain-nodes.jsx';
import { PeerGraph, shortId } from '../components/graph.jsx';

async function loadNetwork() {
  const [identity, nodes, graph, services, routes] = await Promise.all([
    rpc('micro_identity'),
    rpc('micro_networkNodes'),
    rpc('micro_networkGraph'),
    rpc('micro_networkServices'),
    rpc('micro_networkRoutes'),
  ]);
  return { identity, nodes, graph, services, routes };
}

async function loadChain() {
  const [best, finalizedHash, health] = await Promise.all([
    rpc('chain_getHeader'),
    rpc('chain_getFinalizedHead'),
    rpc('system_health'),
  ]);
  const finalized = await rpc('chain_getHeader', [finalizedHash]);
  return {
    best: parseInt(best.number, 16),
    finalized: parseInt(finalized.number, 16),
    finalizedHash,
    peers: health.peers,
    syncing: health.isSyncing,
  };
}

async function loadHere() {
  const [deployments, usage] = await Promise.all([rpc('micro_deployments'), rpc('micro_usage')]);
  return { deployments, usage };
}

export function NetworkPage() {
  const network = usePoll(loadNetwork, 2000);
  const chain = usePoll(loadChain, 3000);
  const here = usePoll(loadHere, 2000);
  if (network.loading) return <p class="loading">Asking the node…</p>;
  if (!network.data) return <div class="error" role="alert">{network.error}</div>;
  const { identity, nodes, graph, services, routes } = network.data;
  return (
    <>
      <h1>Network</h1>
      {network.error && <div class="error" role="alert">{network.error}</div>}
      <section class="cards">
        <article class="card" aria-labelledby="this-node">
          <h2 id="this-node">This node</h2>
          <dl>
            <dt>Peer id</dt>
            <dd><code class="wrap" data-testid="peer-id">{identity.peerId}</code></dd>
            <dt>On the chain</dt>
            <dd>
              {identity.nodeId == null ? (
                <span>not registered (<code>micro node register</code>)</span>
              ) : (
                <span>node #{identity.nodeId}</span>
              )}
            </dd>
            <dt>Node key</dt>
            <dd><code class="wrap">{identity.nodeKeySs58}</code></dd>
            <dt>Gateway</dt>
            <dd><code>http://{identity.gateway}</code></dd>
          </dl>
        </article>
        <article class="card" aria-labelledby="chain">
          <h2 id="chain">Chain</h2>
          {chain.data ? (
            <dl>
              <dt>Best block</dt>
              <dd data-testid="best">#{chain.data.best}</dd>
              <dt>Finalized</dt>
              <dd data-testid="finalized">#{chain.data.finalized}</dd>
              <dt>Chain peers</dt>
              <dd>{chain.data.peers}{chain.data.syncing ? ' (syncing)' : ''}</dd>
            </dl>
          ) : (
            <p class={chain.error ? 'error' : 'loading'}>{chain.error || 'Reading the chain…'}</p>
          )}
          <p class="note">As this node's RPC reports it.</p>
        </article>
        <article class="card" aria-labelledby="graph">
          <h2 id="graph">Peer graph</h2>
          <PeerGraph local={graph.local} nodes={nodes} edges={graph.edges} />
        </article>
      </section>

      <section aria-labelledby="nodes">
        <h2 id="nodes">Nodes ({nodes.length})</h2>
        <div class="scroll">
          <table data-testid="nodes">
            <thead>
              <tr><th>Node</th><th>Online</th><th>Round trip</th><th>Calls</th><th>Services</th></tr>
            </thead>
            <tbody>
              {nodes.map((node) => (
                <tr data-peer={node.id}>
                  <td><code title={node.id}>{node.id === graph.local ? 'this node' : shortId(node.id)}</code></td>
                  <td>{node.connected ? 'connected' : 'known'}</td>
                  <td>{node.rtt_us == null ? '—' : `${(node.rtt_us / 1000).toFixed(2)} ms`}</td>
                  <td>{node.healthy ? 'succeeding' : 'failing: avoided'}</td>
                  <td>{node.services.length ? node.services.join(', ') : <span class="muted">none</span>}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>

      <ChainNodes local={graph.local} />

      <section aria-labelledby="services">
        <h2 id="services">Services ({services.length})</h2>
        {services.length === 0 ? (
          <div class="empty">
            No services yet. Deploy one with <code>micro services deploy REPO COMMIT</code> and
            place it on a node; it appears here as soon as a node runs it.
          </div>
        ) : (
          <div class="scroll">
            <table data-testid="services">
              <thead>
                <tr><th>Service</th><th>Version</th><th>Endpoints</th><th>Nodes</th><th>Best route</th></tr>
              </thead>
              <tbody>
                {services.map((s) => {
                  const route = routes.find(
                    (r) => r.service === s.name && r.version === s.version,
                  );
                  return (
                    <tr>
                      <td><a href={`#/services/${encodeURIComponent(s.name)}`}>{s.name}</a></td>
                      <td>{s.version}</td>
                      <td>{s.endpoints.length}</td>
                      <td>{s.nodes.length}</td>
                      <td>
                        {route ? (
                          <span title={route.node}>
                            {route.node === graph.local ? 'this node' : shortId(route.node)} ·{' '}
                            {route.metric === 0 ? 'local' : `${(route.metric / 1000).toFixed(1)} ms`}
                          </span>
                        ) : '—'}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        )}
      </section>

      <section aria-labelledby="deployments">
        <h2 id="deployments">Deployments on this node</h2>
        {here.data && here.data.deployments.length === 0 && (
          <div class="empty">Nothing is placed on this node (<code>micro services place</code>).</div>
        )}
        {here.data && here.data.deployments.length > 0 && (
          <div class="scroll">
            <table data-testid="deployments">
              <thead><tr><th>Service</th><th>Version</th><th>State</th><th>Why</th></tr></thead>
              <tbody>
                {here.data.deployments.map((d) => (
                  <tr class={`state-${d.state}`}>
                    <td>{d.service}</td>
                    <td>{d.version}</td>
                    <td>{d.state}</td>
                    <td>{d.detail || <span class="muted">—</span>}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        {here.data && (
          <p class="note">
            Calls served and not settled yet: {here.data.usage.unsettledCalls}
            {here.data.usage.inFlight ? ' (a report is on its way to the chain)' : ''}
          </p>
        )}
        {here.error && <div class="error" role="alert">{here.error}</div>}
      </section>
    </>
  );
}
