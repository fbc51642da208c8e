// Alerts feed (/): newest first, filters in the URL (?agent=&severity=&failure_type=), live over SSE.
import { AuthError, api, openSignalStream } from '../lib/api.js';
import { alertCard, emptyState, errorBanner, topFailureTypes } from '../lib/components.js';
import { announce, h, replace } from '../lib/dom.js';
import { SEVERITIES, agentHref, severityRank, toMs } from '../lib/format.js';

const PAGE = 50;
const FILTERS = ['agent', 'severity', 'failure_type', 'shadow'];
/** The API's severity filter is a minimum: HIGH = HIGH and CRITICAL. */
const SEVERITY_LABEL = { CRITICAL: 'Critical only', HIGH: 'High and above', MEDIUM: 'Medium and above', LOW: 'Low and above' };
const keyOf = (s) => (s.id !== undefined && s.id !== null ? `id:${s.id}` : `${s.run_id}:${s.failure_type}`);
const LIVE_TEXT = { connecting: 'Connecting…', live: 'Live', reconnecting: 'Reconnecting…', offline: 'Live updates unavailable: retrying' };

export async function renderFeed(ctx) {
  ctx.setTitle('Alerts');
  const filters = Object.fromEntries(FILTERS.map((k) => [k, ctx.query.get(k) ?? '']));
  const seen = new Set();
  let loaded = 0;
  let unseen = 0;

  const live = h('span', { class: 'live', dataset: { state: 'connecting' }, role: 'status' }, LIVE_TEXT.connecting);
  const list = h('ul', { class: 'alerts', id: 'alerts', 'aria-label': 'Alerts, newest first' });
  const status = h('div', { class: 'list-status' });
  const more = h('button', { type: 'button', class: 'btn', hidden: true, on: { click: () => reloadPage(false) } }, 'Load older alerts');
  const attention = h('div', { class: 'attention' });
  const agentSel = h('select', { id: 'f-agent', name: 'agent' });
  const sevSel = h(
    'select',
    { id: 'f-severity', name: 'severity' },
    h('option', { value: '' }, 'All severities'),
    SEVERITIES.map((s) => h('option', { value: s }, SEVERITY_LABEL[s])),
  );
  const typeSel = h('select', { id: 'f-type', name: 'failure_type' });
  const shadowBox = h('input', { type: 'checkbox', id: 'f-shadow', name: 'shadow' });
  const clearBtn = h(
    'button',
    {
      type: 'button',
      class: 'btn btn-small',
      on: {
        click: () => {
          for (const k of FILTERS) filters[k] = '';
          syncForm();
          applyFilters();
        },
      },
    },
    'Clear filters',
  );
  const form = h(
    'form',
    { class: 'filters', role: 'search', 'aria-label': 'Filter alerts', on: { submit: (e) => e.preventDefault(), change: onFilterChange } },
    h('label', null, h('span', null, 'Agent'), agentSel),
    h('label', null, h('span', null, 'Severity'), sevSel),
    h('label', null, h('span', null, 'Failure type'), typeSel),
    h('label', { class: 'check', title: 'Shadow signals are stored and shown but never alerted (detectors.yml)' }, shadowBox, h('span', null, 'Show shadow')),
    clearBtn,
  );

  function options(sel, allLabel, values, current) {
    const vals = [...values];
    if (current && !vals.includes(current)) vals.unshift(current);
    replace(
      sel,
      h('option', { value: '' }, allLabel),
      vals.map((v) => h('option', { value: v }, v)),
    );
    sel.value = current;
  }
  let agents = [];
  function syncForm() {
    options(
      agentSel,
      'All agents',
      agents.map((a) => a.agent_id),
      filters.agent,
    );
    const counts = {};
    for (const a of agents) for (const [t, c] of Object.entries(a.failure_types ?? {})) counts[t] = (counts[t] ?? 0) + (Number(c) || 0);
    options(
      typeSel,
      'All failure types',
      topFailureTypes(counts, 100).map(([t]) => t),
      filters.failure_type,
    );
    sevSel.value = SEVERITIES.includes(filters.severity) ? filters.severity : '';
    shadowBox.checked = filters.shadow !== 'hide';
    clearBtn.hidden = !FILTERS.some((k) => filters[k]);
  }

  function onFilterChange() {
    filters.agent = agentSel.value;
    filters.severity = sevSel.value;
    filters.failure_type = typeSel.value;
    filters.shadow = shadowBox.checked ? '' : 'hide';
    applyFilters();
  }
  function applyFilters() {
    const q = new URLSearchParams();
    for (const k of FILTERS) if (filters[k]) q.set(k, filters[k]);
    const qs = q.toString();
    history.replaceState(null, '', qs ? `/?${qs}` : '/');
    clearBtn.hidden = !qs;
    reloadPage(true);
  }
  // From event handlers: a 401 (key revoked meanwhile) re-renders the page, which asks for a key.
  const reloadPage = (reset) =>
    loadPage(reset).catch((err) => {
      if (err instanceof AuthError) ctx.navigate(location.pathname + location.search, { replace: true });
    });
  const matches = (s) =>
    (!filters.agent || s.agent_id === filters.agent) &&
    (!filters.severity || severityRank(s.severity) <= severityRank(filters.severity)) &&
    (!filters.failure_type || s.failure_type === filters.failure_type) &&
    (filters.shadow !== 'hide' || !s.shadow);
  const query = (extra) => ({
    agent: filters.agent,
    min_severity: filters.severity,
    failure_type: filters.failure_type,
    include_shadow: filters.shadow === 'hide' ? 'false' : 'true',
    ...extra,
  });

  function showEmptyIfNeeded() {
    if (list.children.length) return replace(status);
    const filtered = FILTERS.some((k) => filters[k]);
    replace(
      status,
      filtered
        ? emptyState('No alerts match these filters', 'New matching alerts will appear here as they happen.')
        : emptyState(
            'No alerts yet',
            'When an agent loops, stalls or fails, its alert shows up here within seconds, without reloading.',
            h('p', { class: 'muted small' }, "Point an OpenTelemetry exporter at this receiver's /v1/traces to start."),
          ),
    );
  }

  let loadSeq = 0;
  async function loadPage(reset) {
    const seq = ++loadSeq;
    if (reset) {
      seen.clear();
      loaded = 0;
    }
    more.disabled = true;
    let data;
    try {
      data = await api('/v1/signals', query({ limit: PAGE, offset: reset ? 0 : loaded }), { signal: ctx.signal });
    } catch (err) {
      if (err instanceof AuthError || ctx.signal.aborted) throw err;
      replace(
        status,
        errorBanner(err, () => reloadPage(reset)),
      );
      more.disabled = false;
      return;
    } finally {
      more.disabled = false;
    }
    if (seq !== loadSeq) return;
    const sigs = Array.isArray(data?.signals) ? data.signals : [];
    if (reset) replace(list);
    for (const s of sigs) {
      if (seen.has(keyOf(s))) continue;
      seen.add(keyOf(s));
      list.appendChild(alertCard(s));
    }
    loaded += sigs.length;
    more.hidden = !data?.page?.has_more;
    showEmptyIfNeeded();
  }

  function prependNew(s) {
    if (!matches(s) || seen.has(keyOf(s))) return;
    seen.add(keyOf(s));
    loaded++;
    // Keep newest first even when a resync brings several.
    const card = alertCard(s, { isNew: true });
    const t = toMs(s.detected_at) ?? Date.now();
    let before = list.firstChild;
    while (before && Number(before.dataset.detectedAt || Infinity) > t) before = before.nextSibling;
    list.insertBefore(card, before);
    showEmptyIfNeeded();
    announce(`New ${s.severity} alert: ${s.failure_type} on ${s.agent_id}`);
    if (document.hidden) {
      unseen++;
      ctx.setTitle(`(${unseen}) Alerts`);
    }
  }

  async function resync() {
    try {
      const data = await api('/v1/signals', query({ limit: PAGE }), { signal: ctx.signal });
      const fresh = (Array.isArray(data?.signals) ? data.signals : []).filter((s) => !seen.has(keyOf(s)));
      for (const s of fresh.reverse()) prependNew(s);
    } catch (err) {
      if (ctx.signal.aborted) return;
      if (err instanceof AuthError) ctx.navigate(location.pathname + location.search, { replace: true });
    }
  }

  const onVisible = () => {
    if (!document.hidden && unseen) {
      unseen = 0;
      ctx.setTitle('Alerts');
    }
  };
  document.addEventListener('visibilitychange', onVisible);
  ctx.onDispose(() => document.removeEventListener('visibilitychange', onVisible));

  // First paint: signals and agents together; the agents list only feeds the filters and the attention strip.
  const [sigRes, agentRes] = await Promise.allSettled([loadPage(true), api('/v1/agents', { limit: 500 }, { signal: ctx.signal })]);
  if (sigRes.status === 'rejected') throw sigRes.reason;
  if (agentRes.status === 'fulfilled') agents = Array.isArray(agentRes.value?.agents) ? agentRes.value.agents : [];
  else if (agentRes.reason instanceof AuthError) throw agentRes.reason;
  syncForm();
  renderAttention(attention, agents);

  ctx.mount(
    h(
      'section',
      { class: 'page' },
      h('div', { class: 'page-head' }, h('h1', { tabindex: '-1' }, 'Alerts'), live),
      attention,
      form,
      list,
      status,
      h('div', { class: 'more' }, more),
    ),
  );

  const close = openSignalStream({
    onSignal: (s) => prependNew(s),
    onStatus: (st) => {
      live.dataset.state = st;
      live.textContent = LIVE_TEXT[st] ?? st;
    },
    onResync: () => resync(),
    // Filters apply client-side to live signals, so changing them needs no reconnect.
    query: { include_shadow: 'true' },
  });
  ctx.onDispose(close);
}

/** Agents with critical/high signals first: which agent broke, at a glance. */
function renderAttention(el, agents) {
  const hot = agents
    .filter((a) => (a.critical_count ?? 0) + (a.high_count ?? 0) > 0)
    .sort(
      (a, b) => (b.critical_count ?? 0) - (a.critical_count ?? 0) || (b.high_count ?? 0) - (a.high_count ?? 0) || (b.signal_count ?? 0) - (a.signal_count ?? 0),
    )
    .slice(0, 6);
  if (!hot.length) return replace(el);
  replace(
    el,
    h('h2', { class: 'attention-title' }, 'Needs attention'),
    h(
      'ul',
      { class: 'attention-list' },
      hot.map((a) =>
        h(
          'li',
          null,
          h(
            'a',
            { class: 'attention-item', href: agentHref(a.agent_id) },
            h('span', { class: 'attention-name' }, a.agent_id),
            a.critical_count ? h('span', { class: 'sev sev-critical' }, `${a.critical_count} critical`) : null,
            a.high_count ? h('span', { class: 'sev sev-high' }, `${a.high_count} high`) : null,
            topFailureTypes(a.failure_types, 1).map(([t]) => h('span', { class: 'muted small' }, t)),
          ),
        ),
      ),
    ),
  );
}
