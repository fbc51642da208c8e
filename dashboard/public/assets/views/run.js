// One run (/runs/<run_id>, Slack's "View run"): what failed and how to fix it (signals with explanation, evidence,
// suggested fixes), then the timeline of its steps (LLM / tool / retrieval, latency bars, tokens, failures marked).
import { ApiError, AuthError, api } from '../lib/api.js';
import { emptyState, signalDetail } from '../lib/components.js';
import { h } from '../lib/dom.js';
import { absTime, agentHref, duration, normSeverity, num, severityRank, timeAgo } from '../lib/format.js';
import { statusBadge } from './agent.js';

const MAX_ROWS = 400;
const KIND_LABEL = { llm: 'LLM', tool: 'Tool', retrieval: 'Retrieval', external: 'Event', start: 'Start', end: 'End' };

const isNum = (v) => typeof v === 'number' && Number.isFinite(v);

/** Events → one row per span step (its called/responded pair and external signals), plus start and end rows. */
export function buildSteps(events) {
  const rows = [];
  const byKey = new Map();
  for (const e of Array.isArray(events) ? events : []) {
    if (!e || typeof e !== 'object') continue;
    const type = String(e.event_type ?? '');
    const key = type === 'run.started' ? 'start' : type === 'run.completed' || type === 'run.errored' ? `end|${type}` : `${e.step_index}|${e.span_id}`;
    let row = byKey.get(key);
    if (!row) {
      row = { key, step: e.step_index, span_id: e.span_id, events: [], kind: 'external', late: false };
      byKey.set(key, row);
      rows.push(row);
    }
    row.events.push(e);
    if (e.late) row.late = true;
  }
  for (const row of rows) {
    const types = row.events.map((e) => e.event_type);
    const find = (t) => row.events.find((e) => e.event_type === t);
    if (row.key === 'start') row.kind = 'start';
    else if (row.key.startsWith('end|')) row.kind = 'end';
    else if (types.some((t) => t.startsWith('llm.'))) row.kind = 'llm';
    else if (types.some((t) => t.startsWith('tool.'))) row.kind = 'tool';
    else if (types.some((t) => t.startsWith('retrieval.'))) row.kind = 'retrieval';
    const prefix = row.kind === 'start' || row.kind === 'end' || row.kind === 'external' ? null : row.kind;
    row.called = prefix ? find(`${prefix}.called`) : null;
    row.responded = prefix ? find(`${prefix}.responded`) : null;
    row.externals = row.events.filter((e) => e.event_type === 'external.signal');
    const first = row.called ?? row.events[0];
    row.t0 = isNum(first?.timestamp) ? first.timestamp : null;
    const lat =
      row.responded?.payload?.latency_ms ?? row.events.find((e) => e.event_type === 'run.completed' || e.event_type === 'run.errored')?.payload?.latency_ms;
    row.latencyMs = isNum(lat)
      ? lat
      : row.responded && isNum(row.responded.timestamp) && row.t0 !== null
        ? Math.max(0, (row.responded.timestamp - row.t0) * 1000)
        : null;
    row.failed = (row.responded && row.responded.payload?.success === false) || row.events.some((e) => e.event_type === 'run.errored');
  }
  return rows;
}

function rowName(row, run) {
  const c = row.called?.payload ?? {};
  const r = row.responded?.payload ?? {};
  switch (row.kind) {
    case 'llm':
      return c.model || r.model || 'LLM call';
    case 'tool':
      return c.tool_name || r.tool_name || 'tool';
    case 'retrieval':
      return c.index_name || r.index_name || 'retrieval';
    case 'start':
      return row.events[0]?.payload?.root_span_name || 'Run started';
    case 'end': {
      const e = row.events[0];
      return e.event_type === 'run.errored'
        ? `Run errored${e.payload?.error_type ? `: ${e.payload.error_type}` : ''}`
        : `Run ended (${e.payload?.exit_reason ?? run.exit_reason ?? 'completed'})`;
    }
    default:
      return (
        row.externals
          .map((e) => e.payload?.signal_name)
          .filter(Boolean)
          .join(', ') || 'event'
      );
  }
}

function rowDetails(row) {
  const c = row.called?.payload ?? {};
  const r = row.responded?.payload ?? {};
  const out = [];
  const bit = (text, cls) => out.push(h('span', { class: cls ?? null }, text));
  if (row.kind === 'llm') {
    if (isNum(c.prompt_tokens) || isNum(r.completion_tokens))
      bit(`${isNum(c.prompt_tokens) ? num(c.prompt_tokens) : '?'} → ${isNum(r.completion_tokens) ? num(r.completion_tokens) : '?'} tokens`, 'tokens');
    if (r.finish_reason) bit(`finish: ${r.finish_reason}`, r.finish_reason === 'length' ? 'warn' : null);
    if (Array.isArray(r.tool_calls) && r.tool_calls.length) bit(`asked for ${r.tool_calls.map((t) => t?.name ?? '?').join(', ')}`);
    if (c.provider) bit(c.provider, 'muted');
    if (!row.responded && row.called) bit('no response recorded', 'muted');
  } else if (row.kind === 'tool') {
    if (row.responded) bit(r.success === false ? 'failed' : 'ok', r.success === false ? 'bad' : 'good');
    if (isNum(r.output_length)) bit(`output ${num(r.output_length)} chars`, 'muted');
  } else if (row.kind === 'retrieval') {
    if (isNum(r.result_count)) bit(`${num(r.result_count)} result${r.result_count === 1 ? '' : 's'}`, r.result_count === 0 ? 'warn' : null);
    if (isNum(r.top_score)) bit(`top score ${Math.round(r.top_score * 1000) / 1000}`);
    if (c.vendor) bit(c.vendor, 'muted');
  } else if (row.kind === 'start') {
    const p = row.events[0]?.payload ?? {};
    if (p.model) bit(p.model);
    if (Array.isArray(p.tools) && p.tools.length)
      bit(`${p.tools.length} tool${p.tools.length === 1 ? '' : 's'}: ${p.tools.slice(0, 6).join(', ')}${p.tools.length > 6 ? '…' : ''}`, 'muted');
    if (p.injection_signal) bit(`possible prompt injection: ${(p.injection_signal.matched_patterns ?? []).join(', ') || 'pattern matched'}`, 'bad');
  } else if (row.kind === 'end') {
    const p = row.events[0]?.payload ?? {};
    if (isNum(p.total_steps)) bit(`${num(p.total_steps)} steps`);
    if (isNum(p.tool_call_count)) bit(`${num(p.tool_call_count)} tool calls`, 'muted');
  }
  const err = r.error_type || (row.kind === 'end' ? row.events[0]?.payload?.error_type : null);
  if (err && row.kind !== 'end') bit(`error: ${err}`, 'bad');
  for (const e of row.externals) {
    const meta =
      e.payload?.meta && typeof e.payload.meta === 'object'
        ? Object.entries(e.payload.meta)
            .map(([k, v]) => `${k}=${v}`)
            .join(' ')
        : '';
    bit(`${e.payload?.signal_name ?? 'signal'}${meta ? ` (${meta})` : ''}`, e.payload?.signal_name === 'rate_limit' ? 'warn' : 'muted');
  }
  if (row.late) bit('late: arrived after the run ended, not judged', 'muted');
  return out;
}

function timeline(run, rows, signalsByRow) {
  // The scale: the run's own start and end, widened by any step outside them (late spans, clock skew).
  const stepRows = rows.filter((r) => r.kind !== 'start' && r.kind !== 'end');
  const starts = stepRows.map((r) => r.t0).filter(isNum);
  const ends = stepRows.map((r) => (isNum(r.t0) ? r.t0 + (r.latencyMs ?? 0) / 1000 : null)).filter(isNum);
  const first = Math.min(isNum(run.started_at) ? run.started_at : Infinity, ...starts);
  const t0 = Number.isFinite(first) ? first : 0;
  const t1 = Math.max(isNum(run.ended_at) ? run.ended_at : 0, ...ends, t0);
  const span = Math.max(t1 - t0, 0.001);
  const seenStep = new Set();

  const li = (row) => {
    const sigs = signalsByRow.get(row) ?? [];
    const worst = sigs.slice().sort((a, b) => severityRank(a.severity) - severityRank(b.severity))[0];
    const first = !seenStep.has(row.step) && row.kind !== 'end';
    if (first) seenStep.add(row.step);
    let bar = null;
    if (isNum(row.t0) && row.kind !== 'start' && row.kind !== 'end') {
      const left = Math.min(100, Math.max(0, ((row.t0 - t0) / span) * 100));
      const width = Math.max(0.6, Math.min(100 - left, ((row.latencyMs ?? 0) / 1000 / span) * 100));
      bar = h(
        'span',
        { class: 'bar-track', 'aria-hidden': 'true' },
        h('span', { class: `bar-fill bar-${row.kind}`, style: { '--l': `${left.toFixed(2)}%`, '--w': `${width.toFixed(2)}%` } }),
      );
    }
    return h(
      'li',
      {
        class: [
          'step',
          `step-${row.kind}`,
          row.failed && 'is-failed',
          sigs.length && 'has-signal',
          worst && `sev-edge-${normSeverity(worst.severity).toLowerCase()}`,
          row.late && 'is-late',
        ],
        id: first ? `step-${row.step}` : null,
        tabindex: first ? '-1' : null,
        dataset: { step: row.step, kind: row.kind },
      },
      h('span', { class: 'step-no', title: `step ${row.step}` }, String(row.step ?? '')),
      h('span', { class: `kind kind-${row.kind}` }, KIND_LABEL[row.kind]),
      h(
        'div',
        { class: 'step-main' },
        h(
          'div',
          { class: 'step-name' },
          h('span', { class: 'break' }, rowName(row, run)),
          row.failed ? h('span', { class: 'tag tag-failed' }, '✕ failed') : null,
          sigs.map((s) =>
            h(
              'a',
              {
                class: `tag sig-marker sev-${normSeverity(s.severity).toLowerCase()}${s.shadow ? ' is-shadow' : ''}`,
                href: `#signal-${encodeURIComponent(s.failure_type)}`,
                title: `${s.severity} ${s.failure_type}${s.shadow ? ' (shadow)' : ''}: see the explanation`,
              },
              `⚑ ${s.failure_type}`,
            ),
          ),
        ),
        h('div', { class: 'step-details' }, rowDetails(row)),
      ),
      h(
        'div',
        { class: 'step-time' },
        bar,
        h('span', { class: 'latency' }, row.kind === 'start' ? (isNum(row.t0) ? absTime(row.t0) : '') : duration(row.latencyMs ?? NaN)),
      ),
    );
  };

  const list = h('ol', { class: 'timeline', 'aria-label': 'Steps of the run, in order' });
  const fill = (n) => {
    for (const row of rows.slice(list.children.length, n)) list.appendChild(li(row));
  };
  fill(MAX_ROWS);
  const moreBtn =
    rows.length > MAX_ROWS
      ? h(
          'button',
          {
            type: 'button',
            class: 'btn',
            on: {
              click: () => {
                fill(rows.length);
                moreBtn.remove();
              },
            },
          },
          `Show all ${num(rows.length)} rows`,
        )
      : null;
  return h(
    'div',
    null,
    h(
      'ul',
      { class: 'legend', 'aria-label': 'Legend' },
      ['llm', 'tool', 'retrieval'].map((k) => h('li', null, h('span', { class: `swatch bar-${k}` }), KIND_LABEL[k])),
      h('li', null, h('span', { class: 'tag tag-failed' }, '✕'), 'failed'),
      h('li', null, h('span', { class: 'tag sig-marker sev-high' }, '⚑'), 'signal at this step'),
      h('li', { class: 'muted' }, `bars: when each step ran within the run (${duration(span * 1000)})`),
    ),
    list,
    moreBtn,
  );
}

/** Each signal goes on the row of its step (the last row at or before it when that step has no row of its own). */
function placeSignals(rows, signals) {
  const map = new Map();
  for (const s of signals) {
    let target = null;
    for (const r of rows) {
      if (r.kind === 'end') continue;
      if (typeof r.step === 'number' && r.step <= s.step_index) target = r;
      if (r.step === s.step_index) {
        target = r;
        break;
      }
    }
    target ??= rows[0];
    if (!target) continue;
    if (!map.has(target)) map.set(target, []);
    map.get(target).push(s);
  }
  return map;
}

function facts(run, rows) {
  let prompt = 0,
    completion = 0,
    llm = 0,
    tools = 0,
    failed = 0,
    retrievals = 0;
  for (const r of rows) {
    if (r.kind === 'llm') {
      llm++;
      prompt += r.called?.payload?.prompt_tokens ?? 0;
      completion += r.responded?.payload?.completion_tokens ?? 0;
    }
    if (r.kind === 'tool') tools++;
    if (r.kind === 'retrieval') retrievals++;
    if (r.failed && r.kind !== 'end') failed++;
  }
  const dur = isNum(run.started_at) && isNum(run.ended_at) ? duration((run.ended_at - run.started_at) * 1000) : run.status === 'open' ? 'still running' : '—';
  const item = (k, ...v) => h('div', null, h('dt', null, k), h('dd', null, ...v));
  return h(
    'dl',
    { class: 'facts' },
    item('Agent', h('a', { href: agentHref(run.agent_id), class: 'break' }, run.agent_id ?? 'unknown')),
    item('Version', h('span', { class: 'mono break' }, run.agent_version ?? '—')),
    item('Started', isNum(run.started_at) ? [absTime(run.started_at), ' (', timeAgo(run.started_at), ')'] : '—'),
    item('Duration', dur),
    item('Steps', num(run.step_count), h('span', { class: 'muted' }, ` · ${num(run.span_count)} spans`)),
    item(
      'Calls',
      `${llm} LLM · ${tools} tool${retrievals ? ` · ${retrievals} retrieval` : ''}`,
      failed ? h('span', { class: 'bad' }, ` · ${failed} failed`) : null,
    ),
    item('Tokens', llm ? `${num(prompt)} in · ${num(completion)} out` : '— (no LLM calls)'),
  );
}

function page(run) {
  const rows = buildSteps(run.events);
  const signals = (Array.isArray(run.signals) ? run.signals : [])
    .slice()
    .sort((a, b) => severityRank(a.severity) - severityRank(b.severity) || (a.step_index ?? 0) - (b.step_index ?? 0));
  const live = signals.filter((s) => !s.shadow);
  return h(
    'section',
    { class: 'page run-page' },
    h(
      'nav',
      { class: 'crumbs', 'aria-label': 'Breadcrumb' },
      h('a', { href: '/agents' }, 'Agents'),
      ' / ',
      h('a', { href: agentHref(run.agent_id), class: 'break' }, run.agent_id),
      ' / run',
    ),
    h(
      'div',
      { class: 'page-head' },
      h('h1', { tabindex: '-1' }, 'Run ', h('span', { class: 'mono break run-id' }, run.run_id)),
      statusBadge(run.status),
      run.exit_reason && run.exit_reason !== run.status ? h('span', { class: 'muted small' }, `exit: ${run.exit_reason.replace(/_/g, ' ')}`) : null,
    ),
    facts(run, rows),
    h(
      'section',
      { class: 'signals', 'aria-labelledby': 'signals-title' },
      h(
        'h2',
        { id: 'signals-title' },
        signals.length ? `${signals.length} signal${signals.length === 1 ? '' : 's'}` : 'Signals',
        signals.length && !live.length ? h('span', { class: 'muted small' }, ' (shadow only: not alerted)') : null,
      ),
      signals.length
        ? signals.map(signalDetail)
        : h(
            'p',
            { class: 'muted' },
            run.status === 'open' ? 'No failure detected so far; this page refreshes while the run is open.' : 'No failure detected in this run.',
          ),
    ),
    h(
      'section',
      { class: 'timeline-section', 'aria-labelledby': 'timeline-title' },
      h('h2', { id: 'timeline-title' }, 'Timeline'),
      rows.length ? timeline(run, rows, placeSignals(rows, signals)) : h('p', { class: 'muted' }, 'No steps recorded.'),
    ),
  );
}

export async function renderRun(ctx) {
  const runId = ctx.params.runId;
  ctx.setTitle(`Run ${runId.slice(0, 8)}`);
  let run;
  try {
    run = await api(`/v1/runs/${encodeURIComponent(runId)}`, null, { signal: ctx.signal });
  } catch (err) {
    if (err instanceof ApiError && (err.status === 404 || err.status === 400)) {
      ctx.setTitle('Run not found');
      ctx.mount(
        h(
          'section',
          { class: 'page' },
          emptyState(
            err.status === 400 ? 'Not a run id' : 'Run not found',
            err.status === 400
              ? 'A run id is the 32-hex trace id, its UUID form, or the id a Dunetrace SDK gave the run.'
              : 'No run with this id for your key: it may belong to another key, or its spans have not arrived yet.',
            h('p', null, h('a', { href: '/' }, 'Back to the alerts')),
          ),
        ),
      );
      return;
    }
    throw err;
  }
  ctx.mount(page(run));

  // While the run is open, refresh: steps and signals keep coming.
  let last = JSON.stringify([run.status, run.events?.length, run.signals?.length]);
  const poll = async () => {
    if (ctx.signal.aborted) return;
    try {
      const next = await api(`/v1/runs/${encodeURIComponent(runId)}`, null, { signal: ctx.signal });
      const sig = JSON.stringify([next.status, next.events?.length, next.signals?.length]);
      if (sig !== last) {
        last = sig;
        const y = window.scrollY;
        ctx.mount(page(next));
        window.scrollTo(0, y);
      }
      if (next.status === 'open') timer = setTimeout(poll, 5000);
    } catch (err) {
      if (ctx.signal.aborted) return;
      if (err instanceof AuthError) return ctx.navigate(location.pathname + location.search, { replace: true });
      timer = setTimeout(poll, 10_000);
    }
  };
  let timer = run.status === 'open' ? setTimeout(poll, 5000) : null;
  ctx.onDispose(() => clearTimeout(timer));
}
