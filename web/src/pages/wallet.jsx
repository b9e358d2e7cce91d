// The wallet: who signs (development accounts on a development chain, the polkadot.js
// extension's anywhere), MICRO and API tokens (buy, refresh), an allowance signed in the page
// for the Services page's calls, the service NFTs the account owns (transfer, earnings and
// their split) and governance (proposals, votes). Keys never leave the browser.
import { useEffect, useState } from 'preact/hooks';
import { Binary, getSs58AddressInfo } from 'polkadot-api';

import {
  connect, devAccount, DEV_NAMES, extensionAccounts, extensionNames, formatUnits, isAddress, send,
} from '../chain.js';
import { signAllowance, toHex } from '../allowance.js';
import { chooseAccount, keepAllowance, onSessionChange, walletAccount, walletAllowance } from '../session.js';

/** The account's public key in hex: the same account whatever its address's network prefix. */
function publicKeyOf(address) {
  const info = address ? getSs58AddressInfo(address) : { isValid: false };
  return info.isValid ? toHex(info.publicKey) : null;
}

function sameAccount(a, b) {
  return !!a && publicKeyOf(a) === publicKeyOf(b);
}

/**
 * Runs `load` now and at each finalized block while the component lives: `{ data, error,
 * loading }`. A load still running when a block arrives runs once more after it.
 */
function useLive(chain, load, deps) {
  const [state, setState] = useState({ data: null, error: null, loading: true });
  useEffect(() => {
    if (!chain) return undefined;
    let live = true;
    let running = false;
    let again = false;
    setState({ data: null, error: null, loading: true });
    const run = async () => {
      if (running) {
        again = true;
        return;
      }
      running = true;
      try {
        const data = await load();
        if (live) setState({ data, error: null, loading: false });
      } catch (error) {
        if (live) setState((s) => ({ ...s, error: error.message, loading: false }));
      }
      running = false;
      if (again && live) {
        again = false;
        run();
      }
    };
    run();
    const blocks = chain.client.finalizedBlock$.subscribe(() => run());
    return () => {
      live = false;
      blocks.unsubscribe();
    };
  }, [chain, ...deps]);
  return state;
}

/** A transaction's progress and its outcome, in words. */
function useTransaction() {
  const [state, setState] = useState({ busy: false, step: '', done: '', error: '' });
  const run = async (work, describe) => {
    setState({ busy: true, step: 'Preparing…', done: '', error: '' });
    try {
      const result = await work((step) => setState((s) => ({ ...s, step })));
      setState({ busy: false, step: '', done: describe(result), error: '' });
    } catch (error) {
      setState({ busy: false, step: '', done: '', error: error.message });
    }
  };
  return [state, run];
}

function TxStatus({ state, testid }) {
  return (
    <div data-testid={testid}>
      {state.busy && <p class="state" role="status">{state.step}</p>}
      {state.done && <div class="answer ok" role="status"><p>{state.done}</p></div>}
      {state.error && <div class="error" role="alert">{state.error}</div>}
    </div>
  );
}

function eventOf(result, pallet, name) {
  return result.events.find((e) => e.type === pallet && e.value.type === name)?.value.value;
}

/** The accounts of each extension connected, by its name: kept while the page is open. */
let extensionsConnected = {};

/** Who signs: development accounts (development chains only) and the extension's accounts. */
function AccountChooser({ chain, settings, account }) {
  const dev = settings.development ? DEV_NAMES.map((name) => devAccount(name, chain.ss58)) : [];
  const [extensions] = useState(extensionNames);
  const [connected, setState] = useState(extensionsConnected);
  const setConnected = (change) => {
    extensionsConnected = change(extensionsConnected);
    setState(extensionsConnected);
  };
  const [failure, setFailure] = useState('');
  const external = Object.values(connected).flat();
  const all = [...dev, ...external];

  const connectTo = async (name) => {
    setFailure('');
    try {
      const accounts = await extensionAccounts(name, (now) => setConnected((c) => ({ ...c, [name]: now })));
      setConnected((c) => ({ ...c, [name]: accounts }));
    } catch (error) {
      setFailure(`${name} did not share its accounts: ${error.message}. Allow this site in the extension and try again.`);
    }
  };

  return (
    <article class="card" aria-labelledby="who">
      <h2 id="who">Who signs</h2>
      {all.length > 0 && (
        <div class="field">
          <label for="account">Account</label>
          <select id="account" value={account?.key || ''}
            onChange={(e) => chooseAccount(all.find((a) => a.key === e.currentTarget.value) || null)}>
            <option value="">Choose an account</option>
            {dev.length > 0 && (
              <optgroup label="Development accounts">
                {dev.map((a) => <option value={a.key}>{a.name}</option>)}
              </optgroup>
            )}
            {Object.entries(connected).map(([name, accounts]) => (
              <optgroup label={name}>
                {accounts.map((a) => <option value={a.key}>{a.name}</option>)}
              </optgroup>
            ))}
          </select>
        </div>
      )}
      {account && <p class="muted">Address <code class="wrap" data-testid="address">{account.address}</code></p>}
      {settings.development && (
        <p class="note">
          This is a development chain: its development accounts' keys are public, derived here in
          the page. Nothing secret leaves the browser.
        </p>
      )}
      {extensions.length === 0 ? (
        <p class="note" data-testid="no-extension">
          No browser extension offers accounts here. Install the polkadot.js extension (or one
          like it) and reload this page to sign with your own accounts
          {settings.development ? ', or use a development account' : ''}.
        </p>
      ) : (
        <div class="actions">
          {extensions.filter((name) => !connected[name]).map((name) => (
            <button type="button" class="small" onClick={() => connectTo(name)}>Connect {name}</button>
          ))}
        </div>
      )}
      {Object.entries(connected).map(([name, accounts]) => accounts.length === 0 && (
        <p class="error">{name} shares no account: create or import one in it, and allow this site.</p>
      ))}
      {failure && <div class="error" role="alert">{failure}</div>}
    </article>
  );
}

async function loadFunds(chain, address) {
  const { api } = chain;
  const [system, [spendable, refreshable], batches, price] = await Promise.all([
    api.query.System.Account.getValue(address),
    api.view.MicroTokens.balance(address),
    api.view.MicroTokens.batches(address),
    api.view.MicroTokens.price(),
  ]);
  const best = (await chain.client.getFinalizedBlock()).number;
  return { free: system.data.free, reserved: system.data.reserved, spendable, refreshable, batches, price, best };
}

let blockMs = null;

/** How long a block takes, in ms (Aura's slot), once per page; `null` if the chain does not say. */
async function loadBlockTime(chain) {
  blockMs ??= chain.api.apis.AuraApi.slot_duration().then(Number, () => null);
  return blockMs;
}

/** `blocks` blocks as time, roughly: `about 3 days`. */
function blocksInWords(blocks, ms) {
  if (!ms) return `${blocks} blocks`;
  const minutes = (blocks * ms) / 60_000;
  const [amount, unit] = minutes >= 2 * 1440 ? [minutes / 1440, 'days']
    : minutes >= 120 ? [minutes / 60, 'hours'] : [Math.max(1, minutes), 'minutes'];
  return `about ${Math.round(amount)} ${unit}`;
}

/** MICRO and API tokens: the balance, the batches, buying and refreshing. */
function Funds({ chain, account }) {
  const funds = useLive(chain, () => loadFunds(chain, account.address), [account.key]);
  const [blockTime, setBlockTime] = useState(null);
  useEffect(() => {
    loadBlockTime(chain).then(setBlockTime);
  }, [chain]);
  const [tokens, setTokens] = useState('100');
  const [buying, buy] = useTransaction();
  const [refreshing, refresh] = useTransaction();
  const unit = (amount) => formatUnits(amount, chain.decimals, chain.symbol);

  if (funds.loading) return <article class="card"><h2>Balance</h2><p class="loading">Reading the chain…</p></article>;
  if (!funds.data) return <article class="card"><h2>Balance</h2><div class="error" role="alert">{funds.error}</div></article>;
  const { free, reserved, spendable, refreshable, batches, price, best } = funds.data;
  const count = /^\d+$/.test(tokens.trim()) ? BigInt(tokens.trim()) : 0n;
  const cost = count * price;
  const tooPoor = cost > free;

  const onBuy = (event) => {
    event.preventDefault();
    if (count === 0n) return;
    buy(async (step) => {
      const tx = chain.api.tx.MicroTokens.buy_tokens({ tokens: count, max_price: price });
      const fee = await tx.getEstimatedFees(account.address);
      if (cost + fee > free) {
        throw new Error(`Not enough MICRO: ${count} tokens cost ${unit(cost)} and the fee about ${unit(fee)}, but the account has ${unit(free)} free. Fund it first.`);
      }
      return send(tx, account, step);
    }, (result) => {
      const bought = eventOf(result, 'MicroTokens', 'TokensBought');
      return bought
        ? `Bought ${bought.tokens} API tokens for ${unit(bought.cost)}; they expire at block #${bought.expires_at}.`
        : 'Bought.';
    });
  };
  const onRefresh = (expiresAt) => refresh(
    (step) => send(chain.api.tx.MicroTokens.refresh_batch({ expires_at: expiresAt }), account, step),
    (result) => {
      const done = eventOf(result, 'MicroTokens', 'BatchRefreshed');
      return done
        ? `Refreshed ${done.tokens} tokens: they now expire at block #${done.new_expiry}, for a fee of ${unit(done.fee)}.`
        : 'Refreshed.';
    },
  );

  return (
    <article class="card" aria-labelledby="funds">
      <h2 id="funds">Balance</h2>
      {funds.error && <div class="error" role="alert">{funds.error}</div>}
      <dl>
        <dt>MICRO</dt>
        <dd data-testid="micro">{unit(free)}{reserved > 0n && <span class="muted"> ({unit(reserved)} held)</span>}</dd>
        <dt>API tokens</dt>
        <dd data-testid="tokens">{spendable.toString()} to spend{refreshable > 0n && `, ${refreshable} expired but refreshable`}</dd>
        <dt>Token price</dt>
        <dd>{unit(price)}</dd>
      </dl>
      {batches.length > 0 ? (
        <div class="scroll">
          <table data-testid="batches">
            <thead><tr><th>Tokens</th><th>Expires</th><th>Kind</th><th><span class="visually-hidden">Refresh</span></th></tr></thead>
            <tbody>
              {batches.map((b) => (
                <tr>
                  <td>{b.tokens.toString()}</td>
                  <td>#{b.expires_at}{b.expires_at < best ? <span class="error"> expired</span> : <span class="muted"> in {blocksInWords(b.expires_at - best, blockTime)}</span>}</td>
                  <td>{b.kind.type === 'Free' ? 'free quota' : 'bought'}</td>
                  <td>
                    {b.kind.type === 'Backed' && (
                      <button type="button" class="small" disabled={refreshing.busy}
                        onClick={() => onRefresh(b.expires_at)}>Refresh</button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : (
        <p class="muted">No API tokens yet: buy some to pay for calls.</p>
      )}
      <TxStatus state={refreshing} testid="refresh-status" />
      <form class="row" onSubmit={onBuy} aria-label="Buy API tokens">
        <div class="field">
          <label for="buy-tokens">Tokens to buy</label>
          <input id="buy-tokens" type="text" inputMode="numeric" value={tokens}
            aria-invalid={count === 0n ? 'true' : undefined} aria-describedby="buy-cost"
            onInput={(e) => setTokens(e.currentTarget.value)} />
        </div>
        <button type="submit" disabled={buying.busy || count === 0n}>Buy tokens</button>
      </form>
      <p id="buy-cost" class={tooPoor ? 'error' : 'muted'}>
        {count === 0n ? 'A whole number of tokens, at least 1.' : tooPoor
          ? `${count} tokens cost ${unit(cost)}: more than the ${unit(free)} this account has.`
          : `${count} tokens cost ${unit(cost)}, plus the transaction fee.`}
      </p>
      <TxStatus state={buying} testid="buy-status" />
    </article>
  );
}

async function loadServices(chain) {
  const all = await chain.api.view.MicroServices.services();
  return all.map(([id, name, owner]) => ({ id, name: Binary.toText(name), owner })).sort((a, b) => a.name.localeCompare(b.name));
}

/** Signs an allowance in the page, as `micro allowance sign` does, and keeps it for calls. */
function AllowanceSigner({ chain, account }) {
  const services = useLive(chain, () => loadServices(chain), []);
  const [service, setService] = useState('');
  const chosen = services.data?.find((s) => s.name === service) || services.data?.[0];
  const details = useLive(chain, async () => {
    if (!chosen) return null;
    const [found, placements] = await Promise.all([
      chain.api.view.MicroServices.service(chosen.id),
      chain.api.view.MicroServices.placements(chosen.id),
    ]);
    return { price: found?.[0].price_per_call ?? 0n, nodes: placements.map(([node, , online]) => ({ node, online })) };
  }, [chosen?.id]);
  const [nodes, setNodes] = useState(null);
  const [calls, setCalls] = useState('10');
  const [blocks, setBlocks] = useState('1000');
  const [maxPrice, setMaxPrice] = useState('');
  const [state, setState] = useState({ busy: false, error: '' });
  const [justSigned, setSigned] = useState(null);
  const signed = justSigned || (chosen ? walletAllowance(chosen.name) : null);

  const runs = details.data?.nodes || [];
  const picked = nodes ?? runs.map((n) => n.node);
  const whole = (text) => /^\d+$/.test(text.trim()) && BigInt(text.trim()) > 0n;
  const price = maxPrice.trim() || String(details.data?.price ?? '');
  const valid = chosen && picked.length > 0 && whole(calls) && whole(blocks) && /^\d+$/.test(price);

  const onSign = async (event) => {
    event.preventDefault();
    if (!valid) return;
    setState({ busy: true, error: '' });
    try {
      const best = (await chain.client.getBestBlocks())[0].number;
      const expiresAt = best + Number(blocks);
      const texts = [];
      for (const node of picked) {
        texts.push(await signAllowance({
          consumer: account.address, service: chosen.id, node, maxCalls: BigInt(calls),
          maxPricePerCall: BigInt(price), expiresAt, nonce: BigInt(best),
        }, chain.genesis, account.signRaw));
      }
      const allowance = {
        text: texts.join(','), service: chosen.name, nodes: picked, calls: Number(calls),
        expiresAt, maxPrice: price, account: account.name,
      };
      keepAllowance(allowance);
      setSigned(allowance);
      setState({ busy: false, error: '' });
    } catch (error) {
      setState({ busy: false, error: `The allowance could not be signed: ${error.message}` });
    }
  };

  return (
    <article class="card" aria-labelledby="allowance-title">
      <h2 id="allowance-title">Pay for calls</h2>
      <p class="muted">
        Lets the nodes you choose charge this account's API tokens for calls to one service,
        up to a number of calls and a price. Signed here; kept in this page for the session.
      </p>
      {services.error && <div class="error" role="alert">{services.error}</div>}
      {services.data?.length === 0 && <p class="empty">No services are registered yet.</p>}
      {chosen && (
        <form onSubmit={onSign} aria-label="Sign an allowance">
          <div class="field">
            <label for="allowance-service">Service</label>
            <select id="allowance-service" value={chosen.name}
              onChange={(e) => { setService(e.currentTarget.value); setNodes(null); setMaxPrice(''); setSigned(null); }}>
              {services.data.map((s) => <option value={s.name}>{s.name}</option>)}
            </select>
          </div>
          <fieldset class="field">
            <legend><strong>Nodes that may charge</strong></legend>
            {details.loading && <span class="loading">Reading where it runs…</span>}
            {!details.loading && runs.length === 0 && <span class="error">No node runs {chosen.name} now.</span>}
            {runs.map(({ node, online }) => (
              <label class="inline">
                <input type="checkbox" checked={picked.includes(node)}
                  onChange={(e) => setNodes(e.currentTarget.checked ? [...picked, node] : picked.filter((n) => n !== node))} />
                node #{node} {!online && <span class="muted">(offline)</span>}
              </label>
            ))}
          </fieldset>
          <div class="row">
            <div class="field">
              <label for="allowance-calls">Calls</label>
              <input id="allowance-calls" type="text" inputMode="numeric" size="8" value={calls}
                aria-invalid={whole(calls) ? undefined : 'true'} onInput={(e) => setCalls(e.currentTarget.value)} />
            </div>
            <div class="field">
              <label for="allowance-blocks">Blocks until it expires</label>
              <input id="allowance-blocks" type="text" inputMode="numeric" size="8" value={blocks}
                aria-invalid={whole(blocks) ? undefined : 'true'} onInput={(e) => setBlocks(e.currentTarget.value)} />
            </div>
            <div class="field">
              <label for="allowance-price">Max price per call</label>
              <input id="allowance-price" type="text" inputMode="numeric" size="8" value={price}
                aria-invalid={/^\d+$/.test(price) ? undefined : 'true'} onInput={(e) => setMaxPrice(e.currentTarget.value)} />
            </div>
          </div>
          <p class="muted">Max price in API tokens; the service's price now is {String(details.data?.price ?? '…')}.</p>
          <button type="submit" disabled={!valid || state.busy}>Sign the allowance</button>
        </form>
      )}
      {state.error && <div class="error" role="alert">{state.error}</div>}
      {signed && (
        <div class="answer ok" role="status" data-testid="allowance">
          <p>
            Signed by {signed.account} for <strong>{signed.service}</strong>: {signed.calls} calls on
            node{signed.nodes.length === 1 ? '' : 's'} #{signed.nodes.join(', #')} until block #{signed.expiresAt},
            at most {signed.maxPrice} tokens a call. The{' '}
            <a href={`#/services/${encodeURIComponent(signed.service)}`}>Services page</a> offers it for calls.
          </p>
          <pre class="wrap">{signed.text}</pre>
        </div>
      )}
    </article>
  );
}

async function loadOwned(chain, address) {
  const services = await loadServices(chain);
  const owned = services.filter((s) => sameAccount(s.owner, address));
  const records = await Promise.all(owned.map((s) => chain.api.view.Reputation.record_of({ type: 'Service', value: s.id })));
  return owned.map((s, i) => ({ ...s, paidCalls: records[i].paid_calls, paidValue: records[i].paid_value }));
}

/** 2.5% to charity and 2.5% to operations, rounded down, as the chain splits each payment. */
function split(amount) {
  const share = amount / 40n;
  return { charity: share, operations: share, owner: amount - 2n * share };
}

/** The service NFTs the account owns, what they earned, and their transfer. */
function Services({ chain, account }) {
  const owned = useLive(chain, () => loadOwned(chain, account.address), [account.key]);
  const [payments, setPayments] = useState([]);
  const [service, setService] = useState('');
  const [to, setTo] = useState('');
  const [transferring, transfer] = useTransaction();
  const unit = (amount) => formatUnits(amount, chain.decimals, chain.symbol);

  // Payments settled to this account while the page is open.
  useEffect(() => {
    setPayments([]);
    const watching = chain.api.event.Settlement.UsageSettled.watch().subscribe(({ block, events }) => {
      const mine = events.filter((e) => sameAccount(e.payload.owner, account.address))
        .map((e) => ({ block: block.number, ...e.payload }));
      if (mine.length) setPayments((all) => [...mine, ...all].slice(0, 50));
    });
    return () => watching.unsubscribe();
  }, [chain, account.key]);

  const list = owned.data || [];
  const chosen = list.find((s) => String(s.id) === service) || list[0];
  const toValid = isAddress(to);
  const toSelf = toValid && sameAccount(to.trim(), account.address);
  const toProblem = !to || toValid ? (toSelf ? 'That is this account: type the address of the new owner.' : '')
    : 'Not an address: an SS58 address, like 5GrwvaEF…';
  const onTransfer = (event) => {
    event.preventDefault();
    if (!chosen || !toValid || toSelf) return;
    transfer(
      (step) => send(chain.api.tx.MicroServices.transfer_service({ service: chosen.id, to: to.trim() }), account, step),
      () => `${chosen.name}'s NFT now belongs to ${to.trim()}.`,
    );
  };

  return (
    <article class="card" aria-labelledby="nfts">
      <h2 id="nfts">Your services</h2>
      {owned.loading && <p class="loading">Reading the registry…</p>}
      {owned.error && <div class="error" role="alert">{owned.error}</div>}
      {owned.data && list.length === 0 && (
        <p class="empty" data-testid="no-nfts">
          This account owns no service NFT. Register a service (<code>micro services deploy</code>)
          or have one transferred to it.
        </p>
      )}
      {list.length > 0 && (
        <ul class="owned" data-testid="owned">
          {list.map((s) => {
            const shares = split(s.paidValue);
            return (
              <li>
                <strong>{s.name}</strong> <span class="muted">NFT #{s.id} · {s.paidCalls.toString()} paid calls</span>
                <dl>
                  <dt>Earned (95%)</dt><dd>{unit(shares.owner)}</dd>
                  <dt>Charity (2.5%)</dt><dd>{unit(shares.charity)}</dd>
                  <dt>Operations (2.5%)</dt><dd>{unit(shares.operations)}</dd>
                </dl>
              </li>
            );
          })}
        </ul>
      )}
      {list.length > 0 && (
        <p class="note">
          Totals since each service was registered, from the chain's reputation record: calls paid
          by other accounts (not the owner's own nor its nodes' operators'), whoever owned the
          service then. The split is about 2.5% and 2.5% (each payment is rounded down).
        </p>
      )}
      <h3>Paid to this account since the page opened</h3>
      {payments.length === 0 ? (
        <p class="muted">No usage settled to this account since this page opened (the chain keeps only totals; payments appear here live).</p>
      ) : (
        <ul class="owned" data-testid="payments">
          {payments.map((p) => (
            <li>
              Block #{p.block}: service #{p.service}, {p.calls.toString()} calls ({p.tokens.toString()} tokens)
              <dl>
                <dt>Paid you</dt><dd>{unit(p.paid)}</dd>
                <dt>Charity</dt><dd>{unit(p.charity)}</dd>
                <dt>Operations</dt><dd>{unit(p.operations)}</dd>
              </dl>
            </li>
          ))}
        </ul>
      )}
      {list.length > 0 && (
        <form onSubmit={onTransfer} aria-label="Transfer a service">
          <h3>Transfer a service</h3>
          <div class="row">
            <div class="field">
              <label for="transfer-service">Service</label>
              <select id="transfer-service" value={chosen ? String(chosen.id) : ''} onChange={(e) => setService(e.currentTarget.value)}>
                {list.map((s) => <option value={String(s.id)}>{s.name}</option>)}
              </select>
            </div>
            <div class="field grow">
              <label for="transfer-to">To (address)</label>
              <input id="transfer-to" type="text" value={to} spellcheck={false} autocomplete="off"
                aria-invalid={toProblem ? 'true' : undefined} aria-describedby="transfer-help"
                onInput={(e) => setTo(e.currentTarget.value)} />
            </div>
          </div>
          <p id="transfer-help" class={toProblem ? 'error' : 'muted'}>
            {toProblem || 'The new owner gets the service: its price, versions and earnings.'}
          </p>
          <button type="submit" disabled={!toValid || toSelf || transferring.busy}>Transfer</button>
        </form>
      )}
      <TxStatus state={transferring} testid="transfer-status" />
    </article>
  );
}

async function loadGovernance(chain, address) {
  const { api } = chain;
  const [entries, weight] = await Promise.all([
    api.query.Governance.Proposals.getEntries(),
    api.view.Governance.voting_weight(address),
  ]);
  const proposals = await Promise.all(entries.map(async ({ keyArgs: [index], value }) => {
    let call = 'a call kept as a preimage';
    if (value.call.type === 'Inline') {
      try {
        const { decodedCall } = await api.txFromCallData(value.call.value);
        call = `${decodedCall.type}.${decodedCall.value.type}`;
      } catch {
        call = 'a call this page cannot read';
      }
    }
    const vote = await api.view.Governance.vote_of(index, address);
    return { index, ...value, call, vote };
  }));
  return { weight, proposals: proposals.sort((a, b) => b.index - a.index) };
}

function statusInWords(status) {
  switch (status.type) {
    case 'Voting': return `voting until block #${status.value.ends}`;
    case 'Passed': return `passed; enacted at block #${status.value.enact_at}`;
    case 'NoQuorum': return 'did not reach the quorum';
    case 'Rejected': return 'rejected';
    default: return status.type.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();
  }
}

/** Proposals and votes: an account votes with the nodes it operates and the services it created. */
function Governance({ chain, account }) {
  const governance = useLive(chain, () => loadGovernance(chain, account.address), [account.key]);
  const [voting, vote] = useTransaction();
  if (governance.loading) return <article class="card"><h2>Governance</h2><p class="loading">Reading the proposals…</p></article>;
  if (!governance.data) return <article class="card"><h2>Governance</h2><div class="error" role="alert">{governance.error}</div></article>;
  const { weight, proposals } = governance.data;
  const onVote = (index, aye) => vote(
    (step) => send(chain.api.tx.Governance.vote({ index, aye, subjects: [] }), account, step),
    (result) => {
      const voted = eventOf(result, 'Governance', 'Voted');
      return `Voted ${aye ? 'aye' : 'nay'} on proposal ${index}${voted ? ` with ${voted.voices} voice(s) weighing ${voted.weight}` : ''}.`;
    },
  );
  return (
    <article class="card" aria-labelledby="governance">
      <h2 id="governance">Governance</h2>
      <p class={weight > 0n ? 'muted' : 'note'} data-testid="voice">
        {weight > 0n
          ? `This account's nodes and services weigh ${weight} in votes now (a voice counts only if registered long enough before the proposal).`
          : 'This account has no voice: votes belong to the nodes it operates and the services it created and still owns (each weighing its reputation plus one). Money buys no weight.'}
      </p>
      {proposals.length === 0 ? (
        <p class="empty" data-testid="no-proposals">No proposals yet. An account with a voice proposes a call with <code>Governance.propose</code>.</p>
      ) : (
        <ul class="proposals">
          {proposals.map((p) => (
            <li>
              <strong>#{p.index}</strong> {p.call} <span class="badge">{p.track.type}</span>
              <div class="muted">
                {statusInWords(p.status)} · ayes {p.tally.ayes.toString()}, nays {p.tally.nays.toString()}
                {' '}· {p.tally.voices} of {p.electorate} voices voted
              </div>
              {p.vote && <div>You voted {p.vote.aye ? 'aye' : 'nay'} (weight {p.vote.weight.toString()}).</div>}
              {p.status.type === 'Voting' && !p.vote && (
                <div class="actions">
                  <button type="button" class="small" disabled={voting.busy || weight === 0n} onClick={() => onVote(p.index, true)}>Aye</button>
                  <button type="button" class="small" disabled={voting.busy || weight === 0n} onClick={() => onVote(p.index, false)}>Nay</button>
                </div>
              )}
            </li>
          ))}
        </ul>
      )}
      <TxStatus state={voting} testid="vote-status" />
    </article>
  );
}

export default function WalletPage({ settings }) {
  const [chain, setChain] = useState(null);
  const [failure, setFailure] = useState('');
  const [account, setAccount] = useState(walletAccount);
  const [attempt, setAttempt] = useState(0);

  useEffect(() => onSessionChange(() => setAccount(walletAccount())), []);
  useEffect(() => {
    setFailure('');
    connect().then(setChain, (error) => setFailure(error.message));
  }, [attempt]);

  return (
    <>
      <h1>Wallet</h1>
      {failure && (
        <div class="error" role="alert">
          The wallet cannot reach the chain: {failure}{' '}
          <button type="button" class="small" onClick={() => setAttempt(attempt + 1)}>Try again</button>
        </div>
      )}
      {!chain && !failure && <p class="loading">Connecting to the chain…</p>}
      {chain && (
        <section class="cards wallet">
          <AccountChooser chain={chain} settings={settings} account={account} />
          {!account && <div class="empty">Choose an account to see its balance, services and votes.</div>}
          {account && <Funds key={`funds-${account.key}`} chain={chain} account={account} />}
          {account && <AllowanceSigner key={`allowance-${account.key}`} chain={chain} account={account} />}
          {account && <Services key={`services-${account.key}`} chain={chain} account={account} />}
          {account && <Governance key={`governance-${account.key}`} chain={chain} account={account} />}
        </section>
      )}
    </>
  );
}
