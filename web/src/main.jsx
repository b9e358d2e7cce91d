// The console's shell: loads the node's settings, then shows one page per `#/route`.
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';

import './style.css';
import { loadSettings } from './api.js';
import { NetworkPage } from './pages/network.jsx';
import { ServicesPage } from './pages/services.jsx';
import { MessagingPage } from './pages/messaging.jsx';
import { VerifyPage } from './pages/verify.jsx';

/** A page whose code loads when it is first shown (the wallet brings the chain client). */
function lazyPage(load) {
  let loaded = null;
  return function LazyPage(props) {
    const [Page, setPage] = useState(() => loaded);
    const [failure, setFailure] = useState(null);
    useEffect(() => {
      if (Page) return;
      load().then(
        (module) => {
          loaded = module.default;
          setPage(() => loaded);
        },
        (error) => setFailure(error.message),
      );
    }, []);
    if (failure) return <div class="error" role="alert">This page could not be loaded: {failure}. Reload to try again.</div>;
    return Page ? <Page {...props} /> : <p class="loading">Loading…</p>;
  };
}

const PAGES = [
  { path: 'network', title: 'Network', Page: NetworkPage },
  { path: 'services', title: 'Services', Page: ServicesPage },
  { path: 'messaging', title: 'Messaging', Page: MessagingPage },
  { path: 'wallet', title: 'Wallet', Page: lazyPage(() => import('./pages/wallet.jsx')) },
  { path: 'verify', title: 'Light client', Page: VerifyPage },
];

/** The route in the address's fragment: `#/services/greeter` is `['services', 'greeter']`. */
function currentRoute() {
  const parts = location.hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
  return parts[0] ? parts : ['network'];
}

function App() {
  const [route, setRoute] = useState(currentRoute());
  const [settings, setSettings] = useState(null);
  const [failure, setFailure] = useState(null);
  useEffect(() => {
    const changed = () => setRoute(currentRoute());
    addEventListener('hashchange', changed);
    loadSettings().then(setSettings, (error) => setFailure(error.message));
    return () => removeEventListener('hashchange', changed);
  }, []);
  const page = PAGES.find((p) => p.path === route[0]);
  useEffect(() => {
    document.title = page ? `${page.title} · Micro Network` : 'Micro Network';
  }, [page]);
  return (
    <>
      <a class="skip" href="#main">Skip to content</a>
      <header class="top">
        <a class="brand" href="#/network">Micro Network</a>
        <nav aria-label="Pages">
          {PAGES.map((p) => (
            <a href={`#/${p.path}`} aria-current={p === page ? 'page' : undefined}>
              {p.title}
            </a>
          ))}
        </nav>
        {settings && (
          <span class="chain" title="the chain this node follows">
            {settings.chain}
            {settings.development && <em> · development</em>}
          </span>
        )}
      </header>
      <main id="main" tabIndex={-1}>
        {failure && (
          <div class="error" role="alert">
            This page cannot reach its node: {failure}. Is micro-node still running?
          </div>
        )}
        {settings && page && <page.Page route={route.slice(1)} settings={settings} />}
        {settings && !page && (
          <div class="empty">
            No page <code>#/{route.join('/')}</code>. Try <a href="#/network">the network</a>.
          </div>
        )}
      </main>
    </>
  );
}

const root = document.getElementById('app');
root.textContent = '';
render(<App />, root);
