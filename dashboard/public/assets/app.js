// Dunetrace dashboard: a small client-side router over plain ES modules (no build, no framework, no CDN).
import { ApiError, AuthError, auth, checkKey } from './lib/api.js';
import { h, replace } from './lib/dom.js';
import { refreshTimes } from './lib/format.js';
import { renderFeed } from './views/feed.js';
import { renderAgents } from './views/agents.js';
import { renderAgent } from './views/agent.js';
import { renderRun } from './views/run.js';

const ROUTES = [
  { re: /^\/$/, view: renderFeed, section: 'alerts' },
  { re: /^\/agents\/?$/, view: renderAgents, section: 'agents' },
  { re: /^\/agents\/([^/]+)\/?$/, view: renderAgent, section: 'agents', param: 'agentId' },
  { re: /^\/runs\/([^/]+)\/?$/, view: renderRun, section: 'alerts', param: 'runId' },
];

const main = document.getElementById('main');
let current = null;
/** path + search of the page on screen: a popstate that changes only the hash just scrolls. */
let shown = '';

function match(pathname) {
  for (const r of ROUTES) {
    const m = r.re.exec(pathname);
    if (!m) continue;
    const params = {};
    if (r.param) {
      try {
        params[r.param] = decodeURIComponent(m[1]);
      } catch {
        params[r.param] = m[1];
      }
    }
    return { route: r, params };
  }
  return null;
}

export function navigate(to, { replace: rep = false } = {}) {
  const u = new URL(to, location.origin);
  if (u.pathname + u.search + u.hash === location.pathname + location.search + location.hash) return render();
  history[rep ? 'replaceState' : 'pushState'](null, '', u.pathname + u.search + u.hash);
  return render();
}

function dispose() {
  if (!current) return;
  current.controller.abort();
  for (const fn of current.disposers.splice(0)) {
    try {
      fn();
    } catch {
      /* keep going */
    }
  }
  current = null;
}

function renderSession() {
  const el = document.getElementById('session');
  if (auth.mode() === 'dev') {
    replace(el, h('span', { class: 'pill pill-dev', title: 'This receiver runs in dev mode (loopback): no API key needed' }, 'dev mode'));
  } else {
    const key = auth.key();
    replace(
      el,
      h('span', { class: 'pill', title: 'API key kept for this browser tab only (sessionStorage)' }, `key ${key.slice(0, 12)}…`),
      h(
        'button',
        {
          type: 'button',
          class: 'btn btn-small',
          on: {
            click: () => {
              auth.forget();
              render();
            },
          },
        },
        'Forget key',
      ),
    );
  }
}

function setSection(section) {
  for (const a of document.querySelectorAll('.nav a')) {
    if (a.dataset.section === section) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
}

export async function render() {
  dispose();
  shown = location.pathname + location.search;
  const controller = new AbortController();
  const disposers = [];
  current = { controller, disposers };
  const found = match(location.pathname);
  setSection(found?.route.section ?? '');
  const ctx = {
    params: found?.params ?? {},
    query: new URLSearchParams(location.search),
    signal: controller.signal,
    onDispose: (fn) => disposers.push(fn),
    mount: (...els) => replace(main, ...els),
    setTitle: (t) => {
      document.title = t ? `${t} · Dunetrace` : 'Dunetrace';
    },
    navigate,
    isCurrent: () => current?.controller === controller,
  };
  if (!found) {
    ctx.setTitle('Not found');
    ctx.mount(h('section', { class: 'empty' }, h('h1', { tabindex: '-1' }, 'Page not found'), h('p', null, h('a', { href: '/' }, 'Back to the alerts'))));
    return;
  }
  ctx.mount(h('p', { class: 'loading' }, 'Loading…'));
  try {
    await found.route.view(ctx);
    if (!ctx.isCurrent()) return;
    renderSession();
    scrollToHash();
  } catch (err) {
    if (controller.signal.aborted || !ctx.isCurrent()) return;
    if (err instanceof AuthError) return showLogin(ctx);
    showError(ctx, err);
  }
}

function scrollToHash() {
  if (!location.hash) {
    main.focus({ preventScroll: true });
    window.scrollTo(0, 0);
    return;
  }
  let id = location.hash.slice(1);
  try {
    id = decodeURIComponent(id);
  } catch {
    /* as is */
  }
  const target = document.getElementById(id);
  if (!target) return;
  target.classList.add('flash');
  target.scrollIntoView({ block: 'start' });
  target.focus({ preventScroll: true });
}

function showError(ctx, err) {
  const status = err instanceof ApiError ? err.status : 0;
  const title =
    status === 0
      ? 'Cannot reach the receiver'
      : status === 404
        ? 'Not found'
        : status === 503
          ? 'The receiver is starting or its database is unavailable'
          : 'Something went wrong';
  ctx.setTitle(title);
  ctx.mount(
    h(
      'section',
      { class: 'empty' },
      h('h1', { tabindex: '-1' }, title),
      h('p', { class: 'muted' }, err instanceof Error ? err.message : String(err)),
      h('p', null, h('button', { type: 'button', class: 'btn', on: { click: () => render() } }, 'Try again'), ' ', h('a', { href: '/' }, 'Alerts')),
    ),
  );
}

function showLogin(ctx) {
  const hadKey = auth.mode() === 'key';
  auth.forget();
  replace(document.getElementById('session')); // neither "dev mode" nor a key: none works yet
  ctx.setTitle('API key needed');
  const input = h('input', {
    id: 'api-key',
    name: 'api_key',
    type: 'password',
    autocomplete: 'off',
    spellcheck: 'false',
    required: true,
    placeholder: 'dt_live_…',
    'aria-describedby': 'key-help',
  });
  const error = h('p', { class: 'form-error', role: 'alert' });
  const button = h('button', { type: 'submit', class: 'btn btn-primary' }, 'Use this key');
  const form = h(
    'form',
    {
      class: 'login',
      on: {
        submit: async (ev) => {
          ev.preventDefault();
          const key = input.value.trim();
          if (!key) return;
          button.disabled = true;
          error.textContent = '';
          try {
            if (await checkKey(key)) {
              auth.save(key);
              return render();
            }
            error.textContent = 'The receiver refused this key (unknown or revoked).';
          } catch (err) {
            error.textContent = err instanceof Error ? err.message : String(err);
          } finally {
            button.disabled = false;
          }
          input.focus();
        },
      },
    },
    h('h1', { tabindex: '-1' }, 'API key needed'),
    h(
      'p',
      null,
      hadKey
        ? 'The receiver refused the key this tab had (revoked or unknown). Paste another one.'
        : 'This receiver requires an API key to show its agents, runs and alerts.',
    ),
    h('label', { for: 'api-key' }, 'API key'),
    input,
    error,
    button,
    h(
      'p',
      { id: 'key-help', class: 'muted small' },
      'Kept for this browser tab only (sessionStorage): closing the tab forgets it. Create one with ',
      h('code', null, 'dunetrace keys create --customer-id C --agent-id A'),
      '.',
    ),
  );
  ctx.mount(form);
  input.focus();
}

document.addEventListener('click', (ev) => {
  if (ev.defaultPrevented || ev.button !== 0 || ev.metaKey || ev.ctrlKey || ev.shiftKey || ev.altKey) return;
  const a = ev.target instanceof Element ? ev.target.closest('a[href]') : null;
  if (!a || a.target || a.hasAttribute('download')) return;
  const u = new URL(a.href, location.href);
  if (u.origin !== location.origin || u.pathname.startsWith('/v1/') || u.pathname.startsWith('/assets/')) return;
  if (u.pathname === location.pathname && u.search === location.search && u.hash) return; // in-page anchor
  ev.preventDefault();
  navigate(u.pathname + u.search + u.hash);
});
window.addEventListener('popstate', () => (location.pathname + location.search === shown ? scrollToHash() : render()));
setInterval(() => refreshTimes(), 30_000);
render();
