// The browser's own node: a light client that syncs from this node and checks, with proofs,
// what the node's RPC says. Every fact is shown twice: verified here, and as the RPC claims.
import { useEffect, useState } from 'preact/hooks';

import { errorInWords } from '../api.js';

/** //Alice's address: on a development chain, an account worth looking at. */
const DEV_ALICE = '5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY';
/** Where the genesis hash the user trusts is kept, by chain id. */
const TRUSTED_KEY = 'micro.trustedGenesis';

/**
 * The chain's genesis hash as the light client computed it from the spec, and whether it is
 * the one the user trusts: every proof the light client checks is only as good as this.
 */
function Genesis({ light, chainId }) {
  const [trusted, setTrusted] = useState(() => JSON.parse(localStorage.getItem(TRUSTED_KEY) || '{}')[chainId] || '');
  const [draft, setDraft] = useState(trusted);
  const save = (event) => {
    event.preventDefault();
    const value = draft.trim().toLowerCase();
    if (value && !/^0x[0-9a-f]{64}$/.test(value)) return;
    const all = JSON.parse(localStorage.getItem(TRUSTED_KEY) || '{}');
    all[chainId] = value;
    localStorage.setItem(TRUSTED_KEY, JSON.stringify(all));
    setTrusted(value);
  };
  const matches = trusted && trusted === light.genesis;
  return (
    <>
      <dl>
        <dt>Genesis</dt>
        <dd><code class="wrap" data-testid="genesis">{light.genesis}</code></dd>
        <dt>You trust</dt>
        <dd data-testid="trust">
          {!trusted && <span class="badge bad">no genesis pinned yet</span>}
          {trusted && matches && <span class="badge good">this genesis: proofs hold</span>}
          {trusted && !matches && (
            <span class="badge bad">another genesis ({trusted.slice(0, 10)}…): this node serves a different chain</span>
          )}
        </dd>
      </dl>
      <form class="row" onSubmit={save}>
        <label for="trusted" class="visually-hidden">Genesis hash you trust</label>
        <input id="trusted" type="text" value={draft} placeholder="0x… from a source you trust"
          aria-invalid={draft.trim() !== '' && !/^0x[0-9a-fA-F]{64}$/.test(draft.trim())}
          onInput={(e) => setDraft(e.currentTarget.value)} />
        <button type="submit" class="small">Pin</button>
      </form>
    </>
  );
}

function amount(plancks, decimals, symbol) {
  const unit = 10n ** BigInt(decimals);
  const whole = plancks / unit;
  const fraction = (plancks % unit).toString().padStart(decimals, '0').replace(/0+$/, '');
  return `${whole.toLocaleString('en')}${fraction ? `.${fraction}` : ''} ${symbol}`;
}

function Agreement({ agree, claimed }) {
  return agree ? (
    <span class="badge good" data-testid="agrees">RPC agrees</span>
  ) : (
    <span class="badge bad" data-testid="disagrees">
      RPC says otherwise: <code>{String(claimed)}</code>
    </span>
  );
}

function Finalized({ light }) {
  const [state, setState] = useState(null);
  useEffect(() => {
    const subscription = light.client.finalizedBlock$.subscribe(async (block) => {
      const { checkFinalized } = await import('../lightclient.js');
      try {
        setState(await checkFinalized(light));
      } catch (error) {
        setState({ block, error: error.message });
      }
    });
    return () => subscription.unsubscribe();
  }, [light]);
  if (!state) return <p class="loading">Syncing: waiting for the first finalized block the light client proves…</p>;
  return (
    <dl data-testid="verified-head">
      <dt>Finalized block</dt>
      <dd>
        <strong data-testid="verified-number">#{state.block.number}</strong> <span class="badge good">verified</span>
      </dd>
      <dt>Hash</dt>
      <dd><code class="wrap">{state.block.hash}</code></dd>
      <dt>The node's RPC</dt>
      <dd>{state.error ? <span class="error">{state.error}</span> : <Agreement agree={state.agree} claimed={state.claimed} />}</dd>
    </dl>
  );
}

function Check({ label, initial, placeholder, run, render }) {
  const [input, setInput] = useState(initial);
  const [result, setResult] = useState(null);
  const [busy, setBusy] = useState(false);
  const id = `check-${label.replace(/\W+/g, '-').toLowerCase()}`;
  const submit = async (event) => {
    event.preventDefault();
    setBusy(true);
    try {
      setResult({ ok: await run(input.trim()) });
    } catch (error) {
      setResult({ error: error.message || errorInWords(error) });
    }
    setBusy(false);
  };
  return (
    <form class="check" onSubmit={submit}>
      <div class="field">
        <label for={id}>{label}</label>
        <div class="row">
          <input id={id} type="text" value={input} placeholder={placeholder} onInput={(e) => setInput(e.currentTarget.value)} />
          <button type="submit" disabled={busy || !input.trim()}>{busy ? 'Checking…' : 'Check'}</button>
        </div>
      </div>
      {result?.error && <p class="error" role="alert">{result.error}</p>}
      {result?.ok && render(result.ok)}
    </form>
  );
}

export function VerifyPage({ settings }) {
  const [light, setLight] = useState(null);
  const [failure, setFailure] = useState(null);
  const [log, setLog] = useState([]);
  useEffect(() => {
    if (!settings.lightClient) return;
    import('../lightclient.js')
      .then(({ startLightClient }) => startLightClient(settings, setLog))
      .then(setLight, (error) => setFailure(error.message));
  }, []);

  if (!settings.lightClient) {
    return (
      <>
        <h1>Light client</h1>
        <div class="empty">
          This node offers no WebSocket address for light clients. Start it with{' '}
          <code>--light-client-port PORT</code> (a free port) to check the chain from this page.
        </div>
      </>
    );
  }
  return (
    <>
      <h1>Light client</h1>
      <p>
        This page runs its own node: <a href="https://github.com/smol-dot/smoldot">smoldot</a>, a
        light client, syncs the chain from this node over WebSocket and checks each finalized
        block's GRANDPA proof and each value's Merkle proof itself, starting from the genesis
        below. What it shows as <span class="badge good">verified</span> is the chain with that
        genesis, whatever this node's RPC says (shown beside it). The genesis itself comes from
        this node's chain spec: pin the hash you got from a source you trust (a friend's node, the
        project's published spec), and this page tells you when a node serves another chain.
      </p>
      {failure && <div class="error" role="alert">The light client did not start: {failure}</div>}
      <section class="cards">
        <article class="card" aria-labelledby="lc-head">
          <h2 id="lc-head">Chain head</h2>
          {light ? <Finalized light={light} /> : <p class="loading">Starting the light client…</p>}
        </article>
        <article class="card" aria-labelledby="lc-state">
          <h2 id="lc-state">Light client</h2>
          <dl>
            <dt>Syncs from</dt>
            <dd><code class="wrap" data-testid="bootnode">{light?.bootnode ?? '…'}</code></dd>
          </dl>
          {light && <Genesis light={light} chainId={settings.chainId} />}
          <details>
            <summary>What it is doing</summary>
            <ol class="log">{log.map((line) => <li>{line}</li>)}</ol>
          </details>
        </article>
      </section>
      {light && (
        <section aria-labelledby="lc-checks">
          <h2 id="lc-checks">Check a fact</h2>
          <div class="cards">
            <article class="card">
              <Check label="An account's balance" initial={settings.development ? DEV_ALICE : ''}
                placeholder="an SS58 address"
                run={async (address) => (await import('../lightclient.js')).checkBalance(light, address)}
                render={(r) => (
                  <dl data-testid="verified-balance">
                    <dt>Free balance</dt>
                    <dd>
                      <strong title={`${r.free} plancks`}>{amount(r.free, light.decimals, light.symbol)}</strong> <span class="badge good">verified</span>
                    </dd>
                    <dt>At block</dt>
                    <dd>#{r.block.number}</dd>
                    <dt>The node's RPC</dt>
                    <dd><Agreement agree={r.agree} claimed={r.claimed} /></dd>
                  </dl>
                )} />
            </article>
            <article class="card">
              <Check label="Who owns a service" initial="" placeholder="a service's name, such as greeter"
                run={async (name) => (await import('../lightclient.js')).checkServiceOwner(light, name)}
                render={(r) => (
                  <div data-testid="verified-owner">
                    <p>
                      {r.owner && (
                        <>Owner: <code class="wrap" data-testid="owner">{r.owner}</code> <span class="badge good">verified</span></>
                      )}
                      {!r.owner && r.id === undefined && <>No such service on the chain <span class="badge good">verified</span></>}
                      {!r.owner && r.id !== undefined && (
                        <>Service {String(r.id)} exists but nobody holds its NFT <span class="badge good">verified</span></>
                      )}{' '}
                      at block #{r.block.number}
                    </p>
                    <ol class="steps">
                      {r.steps.map((step) => (
                        <li>
                          {step.what}: <code>{String(step.value ?? 'none')}</code> <Agreement agree={step.agree} claimed={step.claimed} />
                        </li>
                      ))}
                    </ol>
                  </div>
                )} />
            </article>
          </div>
        </section>
      )}
    </>
  );
}
