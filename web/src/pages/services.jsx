// Services as a consumer uses them: the catalogue from the registry, and for each endpoint a
// form generated from its request's fields that calls it through this node's gateway.
import { useEffect, useState } from 'preact/hooks';

import { callService, errorInWords, rpc, streamService, usePoll } from '../api.js';
import { EndpointForm } from '../components/endpoint-form.jsx';
import { shortId } from '../components/graph.jsx';
import { onSessionChange, walletAllowance } from '../session.js';

/** The allowance the wallet signed this session for `service`, kept up to date. */
function useWalletAllowance(service) {
  const [allowance, setAllowance] = useState(() => walletAllowance(service));
  useEffect(() => onSessionChange(() => setAllowance(walletAllowance(service))), [service]);
  return allowance;
}

/** Versions newest first (`10` before `9`). */
function byVersion(a, b) {
  const parts = (v) => v.replace(/^v/, '').split('.').map((p) => (/^\d+$/.test(p) ? Number(p) : p));
  const [x, y] = [parts(a.version), parts(b.version)];
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    if (x[i] !== y[i]) return (y[i] ?? -1) > (x[i] ?? -1) ? 1 : -1;
  }
  return 0;
}

function Answer({ answer }) {
  if (!answer) return null;
  if (answer.ok) {
    return (
      <div class="answer ok" role="status" data-testid="answer">
        <h4>Answer</h4>
        <pre>{typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body, null, 2)}</pre>
      </div>
    );
  }
  const error = typeof answer.body === 'object' ? answer.body : { code: answer.status, detail: answer.body };
  return (
    <div class="answer failed" role="alert" data-testid="answer">
      <h4>
        Failed: {error.code} {error.status}
      </h4>
      <p>{errorInWords(error)}</p>
      {error.id && <p class="muted">from <code>{error.id}</code></p>}
    </div>
  );
}

function Endpoint({ service, endpoint, version, allowance }) {
  const stream = endpoint.metadata?.stream === 'true';
  const [busy, setBusy] = useState(false);
  const [answer, setAnswer] = useState(null);
  const [queued, setQueued] = useState([]);
  const [streamed, setStreamed] = useState([]);

  const call = async (json) => {
    setBusy(true);
    setAnswer(null);
    try {
      setAnswer(await callService(service.name, endpoint.name, json, { version, allowance }));
    } catch (error) {
      setAnswer({ ok: false, status: 0, body: { code: 0, detail: `the gateway cannot be reached: ${error.message}` } });
    }
    setBusy(false);
  };
  const runStream = async () => {
    setBusy(true);
    setStreamed([]);
    try {
      await streamService(service.name, endpoint.name, queued, (line) =>
        setStreamed((all) => [...all, line]),
      );
    } catch (error) {
      setStreamed((all) => [...all, { error: { detail: error.message } }]);
    }
    setBusy(false);
  };

  return (
    <article class="endpoint" aria-labelledby={`e-${endpoint.name}`}>
      <h3 id={`e-${endpoint.name}`}>
        {endpoint.name} {stream && <span class="badge">stream</span>}
      </h3>
      <p class="muted">
        {endpoint.request.name} → {endpoint.response.name}
      </p>
      {!stream && <EndpointForm endpoint={endpoint} submitLabel="Call" busy={busy} onSubmit={call} />}
      {!stream && <Answer answer={answer} />}
      {stream && (
        <>
          <EndpointForm endpoint={endpoint} submitLabel="Add to the stream" busy={busy}
            onSubmit={(json) => setQueued([...queued, json])} />
          <p>
            {queued.length} request(s) to send{' '}
            <button type="button" onClick={runStream} disabled={busy || !queued.length}>Start the stream</button>{' '}
            <button type="button" class="link" onClick={() => setQueued([])} disabled={busy}>Clear</button>
          </p>
          <ol class="streamed" data-testid="streamed" aria-live="polite">
            {streamed.map((line) => (
              <li class={line.error ? 'error' : ''}>
                {line.error ? errorInWords(line.error) : JSON.stringify(line)}
              </li>
            ))}
          </ol>
        </>
      )}
    </article>
  );
}

function ServiceDetail({ versions }) {
  const [chosen, setChosen] = useState(null);
  const [allowance, setAllowance] = useState('');
  const service = versions.find((v) => v.version === chosen) || versions[0];
  const fromWallet = useWalletAllowance(service.name);
  return (
    <section class="service" aria-labelledby="service-name">
      <h2 id="service-name">{service.name}</h2>
      <div class="row">
        <label for="version">Version</label>
        <select id="version" value={service.version} onChange={(e) => setChosen(e.currentTarget.value)}>
          {versions.map((v) => (
            <option value={v.version}>
              {v.version} ({v.nodes.length} node{v.nodes.length === 1 ? '' : 's'})
            </option>
          ))}
        </select>
        <a href="/openapi.json" target="_blank" rel="noopener">OpenAPI document</a>
      </div>
      <p class="muted">
        Runs on {service.nodes.map((n) => shortId(n.id)).join(', ') || 'no node right now'}.
      </p>
      <div class="field">
        <label for="allowance">Micro-Allowance <span class="muted">(paid services: from the wallet or <code>micro allowance sign</code>)</span></label>
        <input id="allowance" type="text" value={allowance} onInput={(e) => setAllowance(e.currentTarget.value)} />
        {fromWallet ? (
          <div class="row">
            <button type="button" class="small" onClick={() => setAllowance(fromWallet.text)}
              disabled={allowance.trim() === fromWallet.text}>
              Use the wallet's allowance
            </button>
            <span class="muted">
              signed by {fromWallet.account}: {fromWallet.calls} calls until block #{fromWallet.expiresAt}
            </span>
          </div>
        ) : (
          <span class="muted">No allowance for {service.name} in the <a href="#/wallet">wallet</a> yet: sign one there.</span>
        )}
      </div>
      {service.endpoints.map((endpoint) => (
        <Endpoint key={`${service.version}-${endpoint.name}`} service={service} endpoint={endpoint}
          version={versions.length > 1 ? service.version : undefined} allowance={allowance.trim() || undefined} />
      ))}
    </section>
  );
}

export function ServicesPage({ route }) {
  const services = usePoll(() => rpc('micro_networkServices'), 3000);
  const [filter, setFilter] = useState('');
  if (services.loading) return <p class="loading">Reading the registry…</p>;
  if (!services.data) return <div class="error" role="alert">{services.error}</div>;
  const byName = new Map();
  for (const s of services.data) byName.set(s.name, [...(byName.get(s.name) || []), s]);
  for (const versions of byName.values()) versions.sort(byVersion);
  const names = [...byName.keys()].sort().filter((n) => n.includes(filter.trim()));
  const selected = route[0] && byName.get(route[0]);
  return (
    <>
      <h1>Services</h1>
      {services.error && <div class="error" role="alert">{services.error}</div>}
      <div class="split">
        <nav class="catalogue" aria-label="Services">
          <label for="filter" class="visually-hidden">Find a service</label>
          <input id="filter" type="search" placeholder="Find a service" value={filter}
            onInput={(e) => setFilter(e.currentTarget.value)} />
          {byName.size === 0 ? (
            <div class="empty">
              No services in the registry yet. Deploy one (<code>micro services deploy</code>) and
              place it; it shows up here when a node runs it.
            </div>
          ) : (
            <ul>
              {names.map((name) => (
                <li>
                  <a href={`#/services/${encodeURIComponent(name)}`} aria-current={route[0] === name ? 'page' : undefined}>
                    {name} <span class="muted">{byName.get(name)[0].version}</span>
                  </a>
                </li>
              ))}
            </ul>
          )}
        </nav>
        <div class="detail">
          {selected && <ServiceDetail key={route[0]} versions={selected} />}
          {!selected && route[0] && (
            <div class="empty">No node runs <code>{route[0]}</code> right now.</div>
          )}
          {!route[0] && byName.size > 0 && <p class="muted">Choose a service to call it.</p>}
        </div>
      </div>
    </>
  );
}
