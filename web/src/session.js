// What the wallet keeps for this page's session, in memory only (nothing is stored): the
// account chosen and the allowances it signed, which the Services page sends with calls.
const state = { account: null, allowances: new Map() };
const listeners = new Set();

/** The account the wallet signs with, if one is chosen. */
export function walletAccount() {
  return state.account;
}

export function chooseAccount(account) {
  state.account = account;
  changed();
}

/**
 * The allowance signed in this session for `service` (by name):
 * `{ text, service, nodes, calls, expiresAt, maxPrice, account }`.
 */
export function walletAllowance(service) {
  return state.allowances.get(service) || null;
}

export function keepAllowance(allowance) {
  state.allowances.set(allowance.service, allowance);
  changed();
}

/** Calls `listener` whenever the session changes; returns a function that stops it. */
export function onSessionChange(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function changed() {
  for (const listener of listeners) listener();
}
