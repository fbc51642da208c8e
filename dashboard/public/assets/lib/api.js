// The dashboard's only way to the receiver: /v1/* with a Bearer key. In dev mode (loopback receiver) any dt_dev_ key
// works, so the dashboard first tries DEV_KEY; on a 401 it asks for a key, kept in sessionStorage (this tab only).

export const DEV_KEY = 'dt_dev_dashboard';
const STORE_KEY = 'dunetrace.apiKey';
/** The cheapest authenticated read: 200 = key accepted, 401 = refused. */
const PROBE_PATH = '/v1/agents?limit=1';

export class AuthError extends Error {
  constructor(message = 'an API key is required') {
    super(message);
    this.name = 'AuthError';
  }
}

export class ApiError extends Error {
  constructor(status, path, body) {
    const msg = body && typeof body === 'object' && body.message ? body.message : `HTTP ${status}`;
    super(`${path}: ${msg}`);
    this.name = 'ApiError';
    this.status = status;
    this.path = path;
    this.body = body;
  }
}

function stored() {
  try {
    return sessionStorage.getItem(STORE_KEY);
  } catch {
    return null;
  }
}

export const auth = {
  /** The key requests carry: the pasted one, else the dev key. */
  key() {
    return stored() ?? DEV_KEY;
  },
  /** 'dev' | 'key' */
  mode() {
    return stored() ? 'key' : 'dev';
  },
  save(key) {
    sessionStorage.setItem(STORE_KEY, key);
  },
  forget() {
    try {
      sessionStorage.removeItem(STORE_KEY);
    } catch {
      /* storage disabled */
    }
  },
};

function url(path, query) {
  const u = new URL(path, location.origin);
  if (query) for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null && v !== '') u.searchParams.set(k, String(v));
  return u.pathname + u.search;
}

/** GET a /v1 JSON resource; throws AuthError on 401, ApiError on other failures. */
export async function api(path, query, { signal, key } = {}) {
  const target = url(path, query);
  let res;
  try {
    res = await fetch(target, { headers: { authorization: `Bearer ${key ?? auth.key()}`, accept: 'application/json' }, signal, cache: 'no-store' });
  } catch (err) {
    if (err && err.name === 'AbortError') throw err;
    throw new ApiError(0, target, { message: 'cannot reach the receiver (network error)' });
  }
  let body = null;
  try {
    body = await res.json();
  } catch {
    /* not JSON */
  }
  if (res.status === 401) throw new AuthError(body?.message);
  if (!res.ok) throw new ApiError(res.status, target, body);
  return body;
}

/** Checks a pasted key against the receiver without storing it: true when accepted. */
export async function checkKey(key) {
  const res = await fetch(PROBE_PATH, { headers: { authorization: `Bearer ${key}` }, cache: 'no-store' });
  if (res.status === 401) return false;
  if (res.ok) return true;
  throw new ApiError(res.status, PROBE_PATH, await res.json().catch(() => null));
}

/**
 * Live signals over SSE (GET /v1/signals/stream?api_key=…; EventSource cannot send headers). The server sends `id:`
 * lines, so after a network blip EventSource reconnects with Last-Event-ID and the server replays what was missed.
 * onStatus('connecting'|'live'|'reconnecting'|'offline'); onResync() after a gap (reconnect, or while the stream is
 * unavailable: every 15 s) so the caller refetches what it may have missed. Returns a function that closes it.
 */
export function openSignalStream({ onSignal, onStatus, onResync, query = {} }) {
  let es = null;
  let closed = false;
  let hadError = false;
  let retryTimer = null;
  let pollTimer = null;
  let attempt = 0;

  const stopPolling = () => {
    if (pollTimer) {
      clearInterval(pollTimer);
      pollTimer = null;
    }
  };
  const connect = () => {
    if (closed) return;
    onStatus(hadError ? 'reconnecting' : 'connecting');
    es = new EventSource(url('/v1/signals/stream', { ...query, api_key: auth.key() }));
    es.onopen = () => {
      attempt = 0;
      stopPolling();
      onStatus('live');
      if (hadError) onResync();
      hadError = false;
    };
    es.onmessage = (ev) => {
      let sig;
      try {
        sig = JSON.parse(ev.data);
      } catch {
        return;
      }
      if (sig && typeof sig === 'object' && sig.run_id && sig.failure_type) onSignal(sig);
    };
    es.onerror = () => {
      hadError = true;
      if (es.readyState === EventSource.CLOSED) {
        // HTTP error (401, 404, 503…): the browser gives up; we retry later and poll meanwhile.
        es.close();
        onStatus('offline');
        onResync(); // also surfaces a 401 as a key prompt
        if (!pollTimer) pollTimer = setInterval(() => onResync(), 15_000);
        const wait = Math.min(30_000, 2_000 * 2 ** attempt++);
        retryTimer = setTimeout(connect, wait);
      } else {
        onStatus('reconnecting'); // network blip: EventSource reconnects on its own
      }
    };
  };
  connect();
  return () => {
    closed = true;
    stopPolling();
    if (retryTimer) clearTimeout(retryTimer);
    if (es) es.close();
  };
}
