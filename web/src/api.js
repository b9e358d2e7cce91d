// Everything the console asks of its node: the gateway (same origin: calls, streams, publish,
// subscribe) and the node's JSON-RPC (the worker's view of the network, the chain).
import { useEffect, useRef, useState } from 'preact/hooks';

let settings = null;

/** Loads what the node tells its page (`/_/site.json`): where its RPC listens, the chain. */
export async function loadSettings() {
  const response = await fetch('/_/site.json');
  if (!response.ok) throw new Error(`the node's settings: HTTP ${response.status}`);
  settings = await response.json();
  return settings;
}

/** The node's settings, once loaded. */
export function nodeSettings() {
  return settings;
}

/**
 * The node's RPC over a WebSocket, on the host this page came from. A WebSocket, not HTTP:
 * the RPC's CORS rules (Substrate's) send no `Access-Control-Allow-Headers`, so a browser's
 * JSON POST from the console would fail its preflight, and WebSockets need none.
 */
export function rpcUrl() {
  const port = settings?.rpcPort;
  if (!port) return null;
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.hostname}:${port}`;
}

/** How long a request waits for its answer. */
const RPC_PATIENCE = 30_000;
let nextId = 1;
/** The open connection (a promise of it), shared by every request; made again once closed. */
let connection = null;
/** Requests waiting for their answers, by id. */
const waiting = new Map();

function connect(url) {
  if (connection) return connection;
  connection = new Promise((resolve, reject) => {
    const socket = new WebSocket(url);
    socket.onopen = () => resolve(socket);
    socket.onerror = () => reject(new Error(`the node's RPC at ${url} cannot be reached`));
    socket.onclose = () => {
      connection = null;
      for (const request of waiting.values()) request.fail(new Error(`the node's RPC at ${url} closed the connection`));
      waiting.clear();
    };
    socket.onmessage = (event) => {
      let answer;
      try {
        answer = JSON.parse(event.data);
      } catch {
        return;
      }
      const request = waiting.get(answer?.id);
      if (!request) return;
      waiting.delete(answer.id);
      if (answer.error) request.fail(new Error(`${request.method}: ${answer.error.message}`));
      else request.done(answer.result);
    };
  });
  connection.catch(() => { connection = null; });
  return connection;
}

/** Calls JSON-RPC `method` on the node; throws its error in words. */
export async function rpc(method, params = []) {
  const url = rpcUrl();
  if (!url) throw new Error('this node does not say where its RPC listens');
  const socket = await connect(url);
  const id = nextId++;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      waiting.delete(id);
      reject(new Error(`${method}: the node's RPC did not answer in ${RPC_PATIENCE / 1000} s`));
    }, RPC_PATIENCE);
    waiting.set(id, {
      method,
      done: (result) => { clearTimeout(timer); resolve(result); },
      fail: (error) => { clearTimeout(timer); reject(error); },
    });
    socket.send(JSON.stringify({ jsonrpc: '2.0', id, method, params }));
  });
}

/** A `Micro-Error` in words: what the node said went wrong, and what to do where we know. */
export function errorInWords(error) {
  if (!error) return '';
  const advice = {
    402: 'This call must be paid: buy API tokens and sign an allowance for the node, then send it as Micro-Allowance.',
    403: 'The node refused it.',
    404: 'No node runs it (or it has no such endpoint). Deployments take a moment to appear.',
    408: 'The service took too long.',
    413: 'The request is too large.',
    429: 'The node is busy or you are over your limit: try again shortly.',
    503: 'No node running it can be reached right now.',
  }[error.code];
  const what = error.detail || error.status || 'failed';
  return advice ? `${what}. ${advice}` : what;
}

/**
 * Calls `service`'s `endpoint` through the gateway with JSON `body` (text). Resolves to
 * `{ ok, status, body }` where `body` is the answer (parsed when JSON) or the `Micro-Error`.
 */
export async function callService(service, endpoint, body, { version, allowance } = {}) {
  if (/^\.+$/.test(endpoint)) {
    // Browsers resolve `.` and `..` in a path (even percent-encoded) before sending it.
    const detail = `an endpoint named "${endpoint}" cannot be called over HTTP; use micro call`;
    return { ok: false, status: 400, body: { code: 400, status: 'Bad Request', detail } };
  }
  const headers = { 'content-type': 'application/json' };
  if (version) headers['micro-version'] = version;
  if (allowance) headers['micro-allowance'] = allowance;
  const response = await fetch(`/${encodeURIComponent(service)}/${encodeURIComponent(endpoint)}`, {
    method: 'POST',
    headers,
    body,
  });
  return { ok: response.ok, status: response.status, body: await parsed(response) };
}

async function parsed(response) {
  const text = await response.text();
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * Streams `requests` (JSON texts) to `service`'s `endpoint` and calls `onAnswer` with each
 * answer as it arrives; resolves when the stream ends.
 */
export async function streamService(service, endpoint, requests, onAnswer) {
  const response = await fetch(
    `/_/stream/${encodeURIComponent(service)}/${encodeURIComponent(endpoint)}`,
    { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: requests.join('\n') },
  );
  if (!response.ok) {
    onAnswer({ error: await parsed(response) });
    return;
  }
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let pending = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    pending += decoder.decode(value, { stream: true });
    let end;
    while ((end = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, end).trim();
      pending = pending.slice(end + 1);
      if (line) onAnswer(JSON.parse(line));
    }
  }
  if (pending.trim()) onAnswer(JSON.parse(pending));
}

/** Publishes JSON text `body` to `topic`: durable (stored until delivered) or core. */
export async function publish(topic, body, durable = true) {
  const headers = { 'content-type': 'application/json' };
  if (!durable) headers['micro-delivery'] = 'core';
  const response = await fetch(`/_/publish/${encodeURIComponent(topic)}`, {
    method: 'POST',
    headers,
    body,
  });
  return { ok: response.ok, status: response.status, body: await parsed(response) };
}

/**
 * Subscribes to `topic` (in queue group `queue`, if any) as server-sent events; `onMessage`
 * gets `{ id, body }`, `onState` `'open'`/`'reconnecting'`. Returns a function that ends it.
 */
export function subscribe(topic, queue, onMessage, onState) {
  const query = queue ? `?queue=${encodeURIComponent(queue)}` : '';
  const source = new EventSource(`/_/subscribe/${encodeURIComponent(topic)}${query}`);
  source.onopen = () => onState('open');
  source.onerror = () => onState(source.readyState === EventSource.CLOSED ? 'closed' : 'reconnecting');
  source.onmessage = (event) => {
    let body = event.data;
    try {
      body = JSON.parse(event.data);
    } catch {
      // Not JSON: shown as text.
    }
    onMessage({ id: event.lastEventId, body });
  };
  return () => source.close();
}

/** Runs `load` now and every `ms` while the component lives: `{ data, error, loading }`. */
export function usePoll(load, ms, deps = []) {
  const [state, setState] = useState({ data: null, error: null, loading: true });
  const live = useRef(true);
  useEffect(() => {
    live.current = true;
    let timer;
    const tick = async () => {
      try {
        const data = await load();
        if (live.current) setState({ data, error: null, loading: false });
      } catch (error) {
        if (live.current) setState((s) => ({ data: s.data, error: error.message, loading: false }));
      }
      if (live.current) timer = setTimeout(tick, ms);
    };
    tick();
    return () => {
      live.current = false;
      clearTimeout(timer);
    };
  }, deps);
  return state;
}
