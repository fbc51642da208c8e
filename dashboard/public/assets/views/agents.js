// Agents (/agents): one card per agent, the ones with critical/high signals first.
import { api } from '../lib/api.js';
import { emptyState, failureChips, sparkline } from '../lib/components.js';
import { h, replace } from '../lib/dom.js';
import { agentHref, num, timeAgo } from '../lib/format.js';

export const byUrgency = (a, b) =>
  (b.critical_count ?? 0) - (a.critical_count ?? 0) ||
  (b.high_count ?? 0) - (a.high_count ?? 0) ||
  (b.signal_count ?? 0) - (a.signal_count ?? 0) ||
  String(b.last_seen ?? '').localeCompare(String(a.last_seen ?? '')) ||
  String(a.agent_id).localeCompare(String(b.agent_id));

export function agentStats(a) {
  return h(
    'dl',
    { class: 'stats' },
    h('div', null, h('dt', null, 'Runs'), h('dd', null, num(a.run_count))),
    h('div', null, h('dt', null, 'Signals'), h('dd', null, num(a.signal_count))),
    h('div', { class: a.critical_count ? 'stat-critical' : null }, h('dt', null, 'Critical'), h('dd', null, num(a.critical_count ?? 0))),
    h('div', { class: a.high_count ? 'stat-high' : null }, h('dt', null, 'High'), h('dd', null, num(a.high_count ?? 0))),
  );
}

function agentCard(a) {
  const level = a.critical_count ? 'critical' : a.high_count ? 'high' : a.signal_count ? 'medium' : 'ok';
  return h(
    'li',
    { class: ['agent-card', `level-${level}`], dataset: { agentId: a.agent_id } },
    h(
      'div',
      { class: 'agent-card-head' },
      h('h2', { class: 'agent-name' }, h('a', { class: 'stretched', href: agentHref(a.agent_id) }, a.agent_id)),
      h('span', { class: 'muted small' }, 'last seen ', timeAgo(a.last_seen)),
    ),
    agentStats(a),
    sparkline(a.sparkline),
    failureChips(a.failure_types, a.agent_id),
  );
}

export async function renderAgents(ctx) {
  ctx.setTitle('Agents');
  const data = await api('/v1/agents', { limit: 500 }, { signal: ctx.signal });
  const agents = (Array.isArray(data?.agents) ? data.agents : []).slice().sort(byUrgency);
  const list = h('ul', { class: 'agent-grid', 'aria-label': 'Agents' });
  const none = h('div');
  const search = h('input', { type: 'search', id: 'agent-filter', placeholder: 'Filter agents', 'aria-label': 'Filter agents by name', autocomplete: 'off' });
  const draw = () => {
    const q = search.value.trim().toLowerCase();
    const shown = agents.filter((a) => !q || String(a.agent_id).toLowerCase().includes(q));
    replace(list, shown.map(agentCard));
    replace(
      none,
      shown.length
        ? null
        : agents.length
          ? emptyState('No agent matches', `Nothing named like “${search.value}”.`)
          : emptyState('No agents yet', 'Agents appear here after their first trace reaches /v1/traces.'),
    );
  };
  search.addEventListener('input', draw);
  draw();
  ctx.mount(
    h(
      'section',
      { class: 'page' },
      h('div', { class: 'page-head' }, h('h1', { tabindex: '-1' }, 'Agents'), agents.length > 6 ? search : null),
      h('p', { class: 'muted small' }, 'Sparklines: signals per hour over the last 24 hours. Agents with critical and high signals come first.'),
      list,
      none,
    ),
  );
}
