// Drives the web console in headless Chromium as a person would, against a running node.
// tests/tests/e2e/web_console.rs starts the node, deploys greeter and runs this with:
//
//   CONSOLE_URL   the node's gateway (http://127.0.0.1:PORT)
//   PEER_ID       the node's MUCP peer id, which the network page must show
//   ALLOWANCE     a signed Micro-Allowance paying greeter on that node
//   SCREENSHOTS   where to save a screenshot of each page
//   GENESIS       the chain's genesis hash, which the light client must compute
//
// The wallet is tested on the development chain with //Ferdie (derived in the page), and with a
// stand-in for the polkadot.js extension (fake-extension.mjs) holding //Charlie's key.
// Exits non-zero, saying what it expected, at the first thing that is not as it should be.
import { chromium } from 'playwright-core';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';

import { installFakeExtension } from './fake-extension.mjs';

const url = process.env.CONSOLE_URL;
const peerId = process.env.PEER_ID;
const allowance = process.env.ALLOWANCE;
const shots = process.env.SCREENSHOTS;
for (const [name, value] of Object.entries({ CONSOLE_URL: url, PEER_ID: peerId, ALLOWANCE: allowance, SCREENSHOTS: shots })) {
  if (!value) throw new Error(`${name} is not set`);
}
await mkdir(shots, { recursive: true });
const WAIT = 60_000;
/** //Alice, who deploys greeter and so owns its NFT. */
const ALICE = '5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY';

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
});
const problems = [];
const foreign = [];

/** A new page (its own context: own storage, as another person's browser). */
async function open(width = 1280, height = 900) {
  const context = await browser.newContext({ viewport: { width, height } });
  const page = await context.newPage();
  page.setDefaultTimeout(WAIT);
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    // A refused call (402) is logged by the browser itself; the page shows it in words.
    const text = message.text();
    if (message.type() === 'error' && !text.startsWith('Failed to load resource')) {
      problems.push(`console error: ${text}`);
    }
  });
  page.on('request', (request) => {
    const host = new URL(request.url()).hostname;
    if (host !== '127.0.0.1' && host !== 'localhost') foreign.push(request.url());
  });
  return page;
}

function step(text) {
  console.log(`console test: ${text}`);
}

try {
  // The network page: this node, the chain, its services.
  step('the network page lists this node and its service');
  const page = await open();
  await page.goto(`${url}/`);
  await page.getByTestId('peer-id').filter({ hasText: peerId }).waitFor();
  await page.locator(`[data-testid="nodes"] tr[data-peer="${peerId}"]`).waitFor();
  await page.locator('[data-testid="services"]').getByRole('link', { name: 'greeter' }).waitFor();
  await page.locator('[data-testid="deployments"] tr.state-running').filter({ hasText: 'greeter' }).waitFor();
  await page.getByTestId('finalized').filter({ hasText: /#[1-9]/ }).waitFor();
  await page.locator('svg.graph g.local').waitFor();
  // The chain's record of it: registered, online, with the capacity it declared and a score.
  await page.locator('[data-testid="chain-nodes"] tr').filter({ hasText: 'this node' }).filter({ hasText: 'online' }).filter({ hasText: '/ 1000' }).waitFor();
  await page.screenshot({ path: join(shots, 'network.png'), fullPage: true });

  // Services: the form greeter's fields make; unpaid, then paid.
  step('greeter is called from its form: refused unpaid, answered paid');
  await page.getByRole('link', { name: 'Services' }).click();
  await page.getByRole('navigation', { name: 'Services' }).getByRole('link', { name: /greeter/ }).click();
  await page.getByRole('heading', { name: 'greeter' }).waitFor();
  const form = page.locator('form[data-endpoint="Say.Hello"]');
  await form.getByLabel(/name/).fill('Browser');
  await form.getByRole('button', { name: 'Call' }).click();
  const refused = page.getByTestId('answer');
  await refused.filter({ hasText: '402' }).waitFor();
  await refused.filter({ hasText: 'sign an allowance' }).waitFor();
  await page.getByLabel(/Micro-Allowance/).fill(allowance);
  // The keyboard submits the form as the button does.
  await form.getByLabel(/name/).press('Enter');
  await page.getByTestId('answer').filter({ hasText: 'Hello Browser' }).waitFor();
  await page.screenshot({ path: join(shots, 'services.png'), fullPage: true });

  // A field the form checks before anything is sent: greeter's is a string, so take JSON.
  await form.getByRole('button', { name: 'Edit as JSON' }).click();
  await form.locator('textarea').fill('{"name": ');
  await form.getByRole('button', { name: 'Call' }).click();
  await form.getByRole('alert').filter({ hasText: 'not JSON' }).waitFor();

  // The wallet: a development account buys API tokens and signs an allowance in the page; the
  // Services page pays a call with it.
  step('//Ferdie buys API tokens and signs an allowance in the wallet, which pays a call');
  const pages = page.getByRole('navigation', { name: 'Pages' });
  await pages.getByRole('link', { name: 'Wallet' }).click();
  await page.getByLabel('Account').selectOption({ label: '//Ferdie' });
  const tokens = page.getByTestId('tokens');
  const micro = page.getByTestId('micro');
  await tokens.filter({ hasText: /to spend/ }).waitFor();
  const before = { tokens: await tokens.textContent(), micro: await micro.textContent() };
  await page.getByLabel('Tokens to buy').fill('30');
  await page.getByRole('button', { name: 'Buy tokens' }).click();
  await page.getByTestId('buy-status').filter({ hasText: 'Bought 30 API tokens' }).waitFor();
  await page.waitForFunction((before) => {
    const text = (id) => document.querySelector(`[data-testid="${id}"]`)?.textContent;
    return text('tokens') !== before.tokens && text('micro') !== before.micro;
  }, before);
  await page.getByLabel('Service', { exact: true }).selectOption('greeter');
  await page.getByLabel('Calls', { exact: true }).fill('5');
  await page.getByRole('button', { name: 'Sign the allowance' }).click();
  const signed = page.getByTestId('allowance').filter({ hasText: 'greeter' });
  await signed.waitFor();
  const walletAllowance = (await signed.locator('pre').textContent()).trim();
  if (!/^0x[0-9a-f]+$/.test(walletAllowance)) throw new Error(`the wallet's allowance is hex: ${walletAllowance}`);
  await page.screenshot({ path: join(shots, 'wallet.png'), fullPage: true });

  await pages.getByRole('link', { name: 'Services' }).click();
  await page.getByRole('navigation', { name: 'Services' }).getByRole('link', { name: /greeter/ }).click();
  await page.getByRole('button', { name: "Use the wallet's allowance" }).click();
  const used = await page.getByLabel(/Micro-Allowance/).inputValue();
  if (used !== walletAllowance) throw new Error(`Micro-Allowance holds the wallet's allowance, not ${used}`);
  await form.getByLabel(/name/).fill('Wallet');
  await form.getByRole('button', { name: 'Call' }).click();
  await page.getByTestId('answer').filter({ hasText: 'Hello Wallet' }).waitFor();

  // Alice owns greeter's NFT: the wallet lists it with its earnings, and her node's voice.
  await pages.getByRole('link', { name: 'Wallet' }).click();
  await page.getByLabel('Account').selectOption({ label: '//Alice' });
  await page.getByTestId('owned').filter({ hasText: 'greeter' }).waitFor();
  await page.getByTestId('voice').filter({ hasText: 'weigh' }).waitFor();
  await page.getByTestId('no-proposals').waitFor();

  // The polkadot.js extension's accounts sign transactions, and allowances as the extension
  // signs raw bytes (wrapped in <Bytes>…</Bytes>), which the node accepts for a paid call.
  step('an account of the browser extension buys API tokens and pays a call with its allowance');
  const extension = await open();
  await installFakeExtension(extension, 'Charlie', 'Charlie (extension)');
  await extension.goto(`${url}/#/wallet`);
  await extension.getByRole('button', { name: 'Connect polkadot-js' }).click();
  await extension.getByLabel('Account').selectOption({ label: 'Charlie (extension)' });
  await extension.getByLabel('Tokens to buy').fill('10');
  await extension.getByLabel('Tokens to buy').press('Enter');
  await extension.getByTestId('buy-status').filter({ hasText: 'Bought 10 API tokens' }).waitFor();
  const charlieTokens = extension.getByTestId('tokens');
  await charlieTokens.filter({ hasText: /^10 to spend/ }).waitFor();
  await extension.getByLabel('Service', { exact: true }).selectOption('greeter');
  await extension.getByLabel('Calls', { exact: true }).fill('3');
  await extension.getByRole('button', { name: 'Sign the allowance' }).click();
  const extensionSigned = extension.getByTestId('allowance').filter({ hasText: 'greeter' });
  await extensionSigned.waitFor();
  const extensionAllowance = (await extensionSigned.locator('pre').textContent()).trim();
  if (extensionAllowance === walletAllowance || !/^0x[0-9a-f]+$/.test(extensionAllowance)) {
    throw new Error(`the extension's allowance is its own, in hex: ${extensionAllowance}`);
  }
  const extensionPages = extension.getByRole('navigation', { name: 'Pages' });
  await extensionPages.getByRole('link', { name: 'Services' }).click();
  await extension.getByRole('navigation', { name: 'Services' }).getByRole('link', { name: /greeter/ }).click();
  await extension.getByRole('button', { name: "Use the wallet's allowance" }).click();
  const extensionForm = extension.locator('form[data-endpoint="Say.Hello"]');
  await extensionForm.getByLabel(/name/).fill('Extension');
  await extensionForm.getByRole('button', { name: 'Call' }).click();
  await extension.getByTestId('answer').filter({ hasText: 'Hello Extension' }).waitFor();

  // Messaging: what waited in the inbox, then a chat between two people's pages.
  step('a message that waited in the inbox arrives; two pages chat on a topic');
  const waiting = await page.evaluate(async () => {
    const response = await fetch('/_/publish/inbox-test', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ from: 'earlier', text: 'waited for you' }),
    });
    return response.json();
  });
  if (waiting.stored !== true) throw new Error(`an unheard message is stored: ${JSON.stringify(waiting)}`);

  const alice = page;
  const bob = await open(1280, 900);
  await alice.getByRole('link', { name: 'Messaging' }).click();
  await bob.goto(`${url}/#/messaging`);
  for (const [who, p] of [['Alice', alice], ['Bob', bob]]) {
    await p.getByLabel('Your name').fill(who);
    await p.getByLabel('Topic').fill('chat');
    await p.getByRole('button', { name: 'Subscribe' }).click();
    await p.locator('[data-topic="chat"] [data-testid="state"]').filter({ hasText: 'live' }).waitFor();
  }
  await bob.getByLabel('Topic').fill('inbox-test');
  await bob.getByRole('button', { name: 'Subscribe' }).click();
  await bob.locator('[data-topic="inbox-test"] [data-testid="messages"]').filter({ hasText: 'waited for you' }).waitFor();

  await alice.getByLabel('Message to chat').fill('hello from Alice');
  await alice.getByRole('button', { name: 'Publish' }).click();
  await bob.locator('[data-topic="chat"] [data-testid="messages"]').filter({ hasText: 'hello from Alice' }).waitFor();
  await bob.getByLabel('Message to chat').fill('hi Alice, Bob here');
  await bob.getByLabel('Message to chat').press('Enter');
  await alice.locator('[data-topic="chat"] [data-testid="messages"]').filter({ hasText: 'Bob here' }).waitFor();
  await bob.screenshot({ path: join(shots, 'messaging.png'), fullPage: true });
  // Coming back, topics are listed but paused: subscribing takes waiting messages, so only
  // when asked.
  await bob.reload();
  await bob.locator('[data-topic="chat"] [data-testid="state"]').filter({ hasText: 'paused' }).waitFor();
  await bob.locator('[data-topic="chat"]').getByRole('button', { name: 'Resume' }).click();
  await bob.locator('[data-topic="chat"] [data-testid="state"]').filter({ hasText: 'live' }).waitFor();

  // A narrow screen: nothing wider than the phone.
  step('a phone-sized screen scrolls no page sideways');
  const phone = await open(390, 844);
  const loaded = {
    '#/network': '[data-testid="nodes"]',
    '#/services/greeter': 'form[data-endpoint="Say.Hello"]',
    '#/messaging': 'form.join',
    '#/wallet': '#account',
  };
  for (const [route, shown] of Object.entries(loaded)) {
    await phone.goto(`${url}/${route}`);
    await phone.locator(shown).waitFor();
    const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - innerWidth);
    if (overflow > 0) throw new Error(`${route} is ${overflow}px wider than a 390px screen`);
  }
  await phone.goto(`${url}/#/network`);
  await phone.getByTestId('peer-id').waitFor();
  await phone.screenshot({ path: join(shots, 'network-phone.png'), fullPage: true });

  // The light client: its own view of the chain, and a node whose RPC lies.
  step("the light client verifies the finalized head and greeter's owner, and catches a lying RPC");
  const settings = await (await fetch(`${url}/_/site.json`)).json();
  const verify = await open();
  // Between the page and the node's RPC: honest until `lie` is set, then every storage read
  // is answered with a forged value.
  let lie = false;
  await verify.routeWebSocket((address) => address.port === String(settings.rpcPort), (socket) => {
    const server = socket.connectToServer();
    socket.onMessage((message) => {
      let request = null;
      try {
        request = JSON.parse(message);
      } catch {}
      if (lie && request?.method === 'state_getStorage') {
        socket.send(JSON.stringify({ jsonrpc: '2.0', id: request.id, result: '0x2a' }));
      } else {
        server.send(message);
      }
    });
  });
  await verify.goto(`${url}/#/verify`);
  await verify.getByTestId('verified-number').filter({ hasText: /#[1-9]/ }).waitFor();
  await verify.getByTestId('verified-head').getByTestId('agrees').waitFor();
  const owner = verify.getByLabel('Who owns a service');
  await owner.fill('greeter');
  await owner.press('Enter');
  await verify.getByTestId('owner').filter({ hasText: ALICE }).waitFor();
  if (await verify.getByTestId('verified-owner').getByTestId('disagrees').count()) {
    throw new Error('an honest RPC disagreed with the light client');
  }
  // The genesis the proofs start from: pinned right, the page says the proofs hold; pinned
  // to another chain's, it says this node serves a different chain.
  const genesis = (await verify.getByTestId('genesis').textContent()).trim();
  if (genesis !== process.env.GENESIS) throw new Error(`light client genesis ${genesis}, chain ${process.env.GENESIS}`);
  await verify.getByLabel('Genesis hash you trust').fill(genesis);
  await verify.getByRole('button', { name: 'Pin' }).click();
  await verify.getByTestId('trust').filter({ hasText: 'proofs hold' }).waitFor();
  await verify.screenshot({ path: join(shots, 'light-client.png'), fullPage: true });
  await verify.getByLabel('Genesis hash you trust').fill(`0x${'11'.repeat(32)}`);
  await verify.getByRole('button', { name: 'Pin' }).click();
  await verify.getByTestId('trust').filter({ hasText: 'different chain' }).waitFor();
  // Now the node's RPC answers every storage read with a forged value.
  lie = true;
  await owner.press('Enter');
  await verify.getByTestId('verified-owner').getByTestId('disagrees').first().waitFor();
  await verify.getByTestId('owner').filter({ hasText: ALICE }).waitFor();

  // The node settles the extension's call on-chain: the chain checked the wrapped signature
  // and Charlie's tokens paid for it. Reports go every 10 blocks, so this may wait two rounds.
  step("the chain settles the call the extension's allowance paid for");
  await extensionPages.getByRole('link', { name: 'Wallet' }).click();
  await charlieTokens.filter({ hasText: /^[0-9] to spend/ }).waitFor({ timeout: 4 * WAIT });

  // No node: the page says so.
  step('an unknown route says so');
  await phone.goto(`${url}/#/nowhere`);
  await phone.getByText('No page').waitFor();

  if (foreign.length) throw new Error(`the console reached beyond its node: ${foreign.join(', ')}`);
  if (problems.length) throw new Error(problems.join('\n'));
  step('all passed');
} finally {
  await browser.close();
}
