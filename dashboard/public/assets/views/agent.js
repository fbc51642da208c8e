// One agent (/agents/<id>): its numbers, sparkline, failure types, and runs (filterable, paged).
import { AuthError, api } from '../lib/api.js';
import { emptyState, errorBanner, sparkline, topFailureTypes } from '../lib/components.js';
import { h, replace } from '../lib/dom.js';
import { duration, num, runHref, shortId, timeAgo, toMs } from '../lib/format.js';
import { agentStats } from './agents.js';
import { ingestHealthPanel } from './ingest-health.js';

const PAGE = 50;
const STATUSES = ['open', 'completed', 'errored', 'stalled'];

export function statusBadge(status) {
  const s = STATUSES.includes(status) ? status : 'unknown';
  return h('span', { class: `status status-${s}` }, s);
}

function runRow(r) {
  const start = toMs(r.started_at);
  const end = toMs(r.ended_at);
  const signals = Number(r.signal_count) || 0;
  return h(
    'tr',
    { class: signals ? 'has-signals' : null, dataset: { runId: r.run_id } },
    h(
      'td',
      { 'data-label': 'Status' },
      statusBadge(r.status),
      r.exit_reason && r.exit_reason !== r.status ? h('span', { class: 'muted small' }, ` ${r.exit_reason.replace(/_/g, ' ')}`) : null,
    ),
    h('td', { 'data-label': 'Run', class: 'mono' }, h('a', { href: runHref(r.run_id), title: r.run_id }, shortId(r.run_id))),
    h('td', { 'data-label': 'Started' }, timeAgo(r.started_at)),
    h('td', { 'data-label': 'Duration' }, start !== null && end !== null ? duration(end - start) : r.status === 'open' ? 'running' : '—'),
    h('td', { 'data-label': 'Steps', class: 'num' }, num(r.step_count)),
    h('td', { 'data-label': 'Signals', class: 'num' }, signals ? h('span', { class: 'sig-count' }, String(signals)) : '0'),
    h('td', { 'data-label': 'Version', class: 'mono small' }, r.agent_version ?? '—'),
  );
}

export async function renderAgent(ctx) {
  const agentId = ctx.params.agentId;
  ctx.setTitle(agentId);
  const filt = { has_signals: ctx.query.get('has_signals') === 'true', status: STATUSES.includes(ctx.query.get('status')) ? ctx.query.get('status') : '' };
  let loaded = 0;

  const [agentsRes] = await Promise.allSettled([api('/v1/agents', { limit: 500 }, { signal: ctx.signal })]);
  if (agentsRes.status === 'rejected' && agentsRes.reason instanceof AuthError) throw agentsRes.reason;
  const agent = agentsRes.status === 'fulfilled' ? (agentsRes.value?.agents ?? []).find((a) => a.agent_id === agentId) : null;
  // The "not understood" report, only when the summary says there is something to report.
  let ingest = null;
  if (agent?.ingest_health?.runs_with_gaps > 0) {
    try {
      ingest = await api(`/v1/agents/${encodeURIComponent(agentId)}/ingest-health`, {}, { signal: ctx.signal });
    } catch (err) {
      if (err instanceof AuthError) throw err;
    }
  }

  const tbody = h('tbody');
  const status = h('div', { class: 'list-status' });
  const more = h('button', { type: 'button', class: 'btn', hidden: true, on: { click: () => reload(false) } }, 'Load more runs');
  const onlySignals = h('input', { type: 'checkbox', id: 'f-has-signals', checked: filt.has_signals });
  const statusSel = h(
    'select',
    { id: 'f-status' },
    h('option', { value: '' }, 'Any status'),
    STATUSES.map((s) => h('option', { value: s }, s)),
  );
  statusSel.value = filt.status;
  const total = h('span', { class: 'muted small' });

  const onChange = () => {
    filt.has_signals = onlySignals.checked;
    filt.status = statusSel.value;
    const q = new URLSearchParams();
    if (filt.has_signals) q.set('has_signals', 'true');
    if (filt.status) q.set('status', filt.status);
    history.replaceState(null, '', `${location.pathname}${q.toString() ? `?${q}` : ''}`);
    reload(true);
  };
  // From event handlers: a 401 (key revoked meanwhile) re-renders the page, which asks for a key.
  const reload = (reset) =>
    load(reset).catch((err) => {
      if (err instanceof AuthError) ctx.navigate(location.pathname + location.search, { replace: true });
    });

  let seq = 0;
  async function load(reset) {
    const mine = ++seq;
    if (reset) loaded = 0;
    let data;
    try {
      data = await api(
        `/v1/agents/${encodeURIComponent(agentId)}/runs`,
        { has_signals: filt.has_signals ? 'true' : '', status: filt.status, limit: PAGE, offset: loaded },
        { signal: ctx.signal },
      );
    } catch (err) {
      if (err instanceof AuthError || ctx.signal.aborted) throw err;
      replace(
        status,
        errorBanner(err, () => reload(reset)),
      );
      return;
    }
    if (mine !== seq) return;
    const runs = Array.isArray(data?.runs) ? data.runs : [];
    if (reset) replace(tbody);
    for (const r of runs) tbody.appendChild(runRow(r));
    loaded += runs.length;
    more.hidden = !data?.page?.has_more;
    total.textContent = typeof data?.page?.total === 'number' ? `${num(data.page.total)} run${data.page.total === 1 ? '' : 's'}` : '';
    replace(status, tbody.children.length ? null : emptyState(filt.has_signals || filt.status ? 'No runs match' : 'No runs yet'));
  }
  await load(true);

  const types = agent ? topFailureTypes(agent.failure_types, 20) : [];
  const maxType = types.length ? types[0][1] : 1;
  ctx.mount(
    h(
      'section',
      { class: 'page' },
      h('nav', { class: 'crumbs', 'aria-label': 'Breadcrumb' }, h('a', { href: '/agents' }, 'Agents'), ' / '),
      h(
        'div',
        { class: 'page-head' },
        h('h1', { tabindex: '-1', class: 'break' }, agentId),
        agent ? h('span', { class: 'muted small' }, 'last seen ', timeAgo(agent.last_seen)) : null,
      ),
      agent
        ? h(
            'div',
            { class: 'agent-summary' },
            h('div', { class: 'panel' }, agentStats(agent), sparkline(agent.sparkline, { large: true })),
            h(
              'div',
              { class: 'panel' },
              h('h2', { class: 'panel-title' }, 'Failure types'),
              types.length
                ? h(
                    'ul',
                    { class: 'type-bars' },
                    types.map(([t, c]) =>
                      h(
                        'li',
                        null,
                        h('a', { href: `/?agent=${encodeURIComponent(agentId)}&failure_type=${encodeURIComponent(t)}` }, t),
                        h('span', { class: 'type-bar', style: { '--w': `${Math.max(4, (c / maxType) * 100)}%` } }),
                        h('span', { class: 'num' }, String(c)),
                      ),
                    ),
                  )
                : h('p', { class: 'muted' }, 'No failures recorded.'),
              h('p', null, h('a', { href: `/?agent=${encodeURIComponent(agentId)}` }, 'All alerts of this agent →')),
            ),
          )
        : h('p', { class: 'muted' }, 'No summary for this agent (no traces in the agents list yet).'),
      ingestHealthPanel(ingest),
      h(
        'div',
        { class: 'section-head' },
        h('h2', null, 'Runs ', total),
        h(
          'form',
          { class: 'filters filters-inline', on: { change: onChange, submit: (e) => e.preventDefault() } },
          h('label', { class: 'check' }, onlySignals, h('span', null, 'Only runs with signals')),
          h('label', null, h('span', null, 'Status'), statusSel),
        ),
      ),
      h(
        'table',
        { class: 'runs' },
        h(
          'thead',
          null,
          h(
            'tr',
            null,
            ['Status', 'Run', 'Started', 'Duration', 'Steps', 'Signals', 'Version'].map((c) => h('th', { scope: 'col' }, c)),
          ),
        ),
        tbody,
      ),
      status,
      h('div', { class: 'more' }, more),
    ),
  );
}
