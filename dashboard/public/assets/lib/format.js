import { h } from './dom.js';

/** As upstream's Slack alerts. */
export const SEVERITY_COLORS = { CRITICAL: '#FF0000', HIGH: '#FF6B00', MEDIUM: '#FFB800', LOW: '#36A64F' };
export const SEVERITIES = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW'];
export const severityRank = (s) => {
  const i = SEVERITIES.indexOf(s);
  return i < 0 ? SEVERITIES.length : i;
};
export const normSeverity = (s) => (SEVERITIES.includes(s) ? s : 'LOW');

/** Unix seconds (number), ISO string or Date → ms since epoch, or null. */
export function toMs(v) {
  if (v === null || v === undefined || v === '') return null;
  if (typeof v === 'number') return Number.isFinite(v) ? (v < 1e11 ? v * 1000 : v) : null;
  const t = v instanceof Date ? v.getTime() : Date.parse(String(v));
  return Number.isFinite(t) ? t : null;
}

export function ago(v, now = Date.now()) {
  const t = toMs(v);
  if (t === null) return 'unknown';
  const s = Math.round((now - t) / 1000);
  if (s < 5) return 'just now';
  if (s < 45) return `${s}s ago`;
  const m = Math.round(s / 60);
  if (m < 60) return `${m} min ago`;
  const hr = Math.round(m / 60);
  if (hr < 36) return `${hr} h ago`;
  return `${Math.round(hr / 24)} d ago`;
}

export function absTime(v) {
  const t = toMs(v);
  if (t === null) return 'unknown';
  return new Date(t).toLocaleString(undefined, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

/** <time> that says "3 min ago" (kept fresh by app.js) with the absolute time as tooltip. */
export function timeAgo(v) {
  const t = toMs(v);
  if (t === null) return h('span', { class: 'muted' }, 'unknown time');
  return h('time', { datetime: new Date(t).toISOString(), title: absTime(t), dataset: { ago: t } }, ago(t));
}

export function refreshTimes(root = document) {
  const now = Date.now();
  for (const el of root.querySelectorAll('time[data-ago]')) el.textContent = ago(Number(el.dataset.ago), now);
}

export function duration(ms) {
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) return '—';
  if (ms < 1) return '<1 ms';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  const m = Math.floor(ms / 60_000);
  return `${m} min ${Math.round((ms % 60_000) / 1000)} s`;
}

export function num(n) {
  return typeof n === 'number' && Number.isFinite(n) ? n.toLocaleString('en-US') : '—';
}

export function pct(conf) {
  return typeof conf === 'number' && Number.isFinite(conf) ? `${Math.round(conf * 100)}%` : '—';
}

export const shortId = (id) => (typeof id === 'string' && id.length > 12 ? `${id.slice(0, 8)}…${id.slice(-4)}` : String(id ?? ''));

/** TOOL_LOOP → "Tool loop" (used when a signal has no explanation). */
export const humanType = (t) =>
  String(t ?? '')
    .toLowerCase()
    .replace(/_/g, ' ')
    .replace(/^./, (c) => c.toUpperCase());

export const runHref = (runId, failureType) => `/runs/${encodeURIComponent(runId)}${failureType ? `#signal-${encodeURIComponent(failureType)}` : ''}`;
export const agentHref = (agentId) => `/agents/${encodeURIComponent(agentId)}`;

export function severityBadge(sev) {
  const s = normSeverity(sev);
  return h('span', { class: `sev sev-${s.toLowerCase()}`, title: `${s} severity` }, s);
}

export function shadowTag() {
  return h('span', { class: 'tag tag-shadow', title: 'Shadow signal: stored and shown, never alerted (see detectors.yml)' }, 'shadow');
}

/** Evidence values rendered as short text (hashes shortened, as in the explanation). */
export function evidenceText(v) {
  if (v === null || v === undefined) return 'unknown';
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : 'unknown';
  if (typeof v === 'string') return /^[0-9a-f]{32,}$/i.test(v) ? `${v.slice(0, 12)}…` : v;
  if (Array.isArray(v)) return v.length ? v.map(evidenceText).join(', ') : 'none';
  if (typeof v === 'object')
    return Object.entries(v)
      .map(([k, x]) => `${k}=${evidenceText(x)}`)
      .join(' ');
  return String(v);
}
