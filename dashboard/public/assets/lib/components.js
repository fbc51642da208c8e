import { h, svg } from './dom.js';
import { agentHref, evidenceText, humanType, normSeverity, pct, runHref, severityBadge, shadowTag, shortId, timeAgo, toMs } from './format.js';

/** 24 bars, signals per hour, oldest first; accessible summary in aria-label, per-bar tooltips. */
export function sparkline(values, { large = false } = {}) {
  const data = Array.isArray(values) ? values.slice(-24).map((v) => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : 0)) : [];
  while (data.length < 24) data.unshift(0);
  const max = Math.max(...data);
  const total = data.reduce((a, b) => a + b, 0);
  const W = 240;
  const H = large ? 56 : 36;
  const bw = W / 24;
  const bars = data.map((v, i) => {
    const hoursAgo = 23 - i;
    const bh = v > 0 ? Math.max(3, (v / max) * (H - 4)) : 1;
    return svg(
      'rect',
      { class: v > 0 ? 'bar' : 'bar bar-zero', x: (i * bw + 1).toFixed(1), y: (H - bh).toFixed(1), width: (bw - 2).toFixed(1), height: bh.toFixed(1), rx: 1 },
      svg('title', null, `${v} signal${v === 1 ? '' : 's'}, ${hoursAgo === 0 ? 'this hour' : `${hoursAgo} h ago`}`),
    );
  });
  return h(
    'figure',
    { class: large ? 'spark spark-large' : 'spark' },
    svg(
      'svg',
      {
        viewBox: `0 0 ${W} ${H}`,
        preserveAspectRatio: 'none',
        role: 'img',
        'aria-label': `Signals per hour over the last 24 hours: ${total} in total, at most ${max} in one hour`,
        class: 'spark-svg',
        dataset: { total },
      },
      bars,
    ),
    h(
      'figcaption',
      { class: 'spark-caption' },
      h('span', null, '24 h ago'),
      h('span', null, `${total} signal${total === 1 ? '' : 's'}`),
      h('span', null, 'now'),
    ),
  );
}

/** Failure types by count, most frequent first. */
export function topFailureTypes(failureTypes, n = 3) {
  return Object.entries(failureTypes && typeof failureTypes === 'object' ? failureTypes : {})
    .filter(([, c]) => typeof c === 'number' && c > 0)
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, n);
}

export function failureChips(failureTypes, agentId, n = 3) {
  const top = topFailureTypes(failureTypes, n);
  if (!top.length) return h('p', { class: 'muted small' }, 'No failures recorded.');
  return h(
    'ul',
    { class: 'chips', 'aria-label': 'Most frequent failure types' },
    top.map(([type, count]) =>
      h(
        'li',
        null,
        h(
          'a',
          {
            class: 'chip',
            href: `/?agent=${encodeURIComponent(agentId)}&failure_type=${encodeURIComponent(type)}`,
            title: `Show ${type} alerts of this agent`,
          },
          h('span', { class: 'chip-type' }, type),
          h('span', { class: 'chip-count' }, String(count)),
        ),
      ),
    ),
  );
}

/** One alert of the feed: the title links to the run page (whole card is clickable), the agent to its page. */
export function alertCard(sig, { isNew = false } = {}) {
  const sev = normSeverity(sig.severity);
  const title = sig.explanation?.title || humanType(sig.failure_type);
  return h(
    'li',
    {
      class: ['alert', `sev-edge-${sev.toLowerCase()}`, sig.shadow && 'is-shadow', isNew && 'is-new'],
      dataset: { severity: sev, failureType: sig.failure_type, runId: sig.run_id, agentId: sig.agent_id, detectedAt: toMs(sig.detected_at) },
    },
    h(
      'div',
      { class: 'alert-head' },
      severityBadge(sev),
      h('span', { class: 'ftype' }, sig.failure_type),
      sig.shadow ? shadowTag() : null,
      isNew ? h('span', { class: 'tag tag-new' }, 'new') : null,
      h('span', { class: 'alert-time' }, timeAgo(sig.detected_at)),
    ),
    h('a', { class: 'alert-title stretched', href: runHref(sig.run_id, sig.failure_type) }, title),
    h(
      'div',
      { class: 'alert-meta' },
      h('a', { class: 'agent-link', href: agentHref(sig.agent_id) }, sig.agent_id),
      sig.agent_version ? h('span', { class: 'muted', title: 'agent version' }, `v ${sig.agent_version}`) : null,
      h('span', { title: sig.run_id }, `run ${shortId(sig.run_id)}`),
      h('span', null, `step ${sig.step_index ?? '?'}`),
      h('span', { title: 'detector confidence' }, `${pct(sig.confidence)} confidence`),
      h('span', { class: 'muted' }, sig.detected_live ? 'caught live' : 'at completion'),
    ),
  );
}

/** Evidence as key/value rows, from the explanation's summary (hashes shortened) or the raw evidence. */
function evidenceList(sig) {
  const rows = [];
  const raw = sig.evidence && typeof sig.evidence === 'object' ? sig.evidence : null;
  if (raw && Object.keys(raw).length) {
    for (const [k, v] of Object.entries(raw)) rows.push([k, evidenceText(v)]);
  } else if (sig.explanation?.evidence_summary) {
    for (const line of String(sig.explanation.evidence_summary).split('\n')) {
      const i = line.indexOf(': ');
      rows.push(i > 0 ? [line.slice(0, i), line.slice(i + 2)] : ['', line]);
    }
  }
  if (!rows.length) return h('p', { class: 'muted' }, 'No evidence recorded.');
  return h(
    'dl',
    { class: 'evidence' },
    rows.map(([k, v]) => [h('dt', null, k), h('dd', null, v)]),
  );
}

function fixItem(fix) {
  const code = typeof fix.code === 'string' && fix.code ? fix.code : null;
  let pre = null;
  if (code) {
    const codeEl = h('code', { class: fix.language ? `lang-${String(fix.language).replace(/[^a-z0-9-]/gi, '')}` : null }, code);
    const copy = h(
      'button',
      {
        type: 'button',
        class: 'btn btn-small copy',
        on: {
          click: async () => {
            try {
              await navigator.clipboard.writeText(code);
              copy.textContent = 'Copied';
            } catch {
              const r = document.createRange();
              r.selectNodeContents(codeEl);
              const sel = getSelection();
              sel.removeAllRanges();
              sel.addRange(r);
              copy.textContent = 'Selected: press Ctrl+C';
            }
            setTimeout(() => (copy.textContent = 'Copy'), 2500);
          },
        },
      },
      'Copy',
    );
    pre = h('div', { class: 'code' }, h('div', { class: 'code-head' }, h('span', null, fix.language || 'code'), copy), h('pre', null, codeEl));
  }
  return h('li', null, h('p', null, fix.description || ''), pre);
}

/** A signal on its run page: explanation, evidence, suggested fixes. id="signal-<TYPE>" for links from the feed. */
export function signalDetail(sig) {
  const sev = normSeverity(sig.severity);
  const ex = sig.explanation || {};
  const fixes = Array.isArray(ex.suggested_fixes) ? ex.suggested_fixes : [];
  return h(
    'article',
    {
      class: ['signal', `sev-edge-${sev.toLowerCase()}`, sig.shadow && 'is-shadow'],
      id: `signal-${sig.failure_type}`,
      tabindex: '-1',
      dataset: { failureType: sig.failure_type, severity: sev },
    },
    h(
      'header',
      { class: 'signal-head' },
      h(
        'div',
        { class: 'alert-head' },
        severityBadge(sev),
        h('span', { class: 'ftype' }, sig.failure_type),
        sig.shadow ? shadowTag() : null,
        h('span', { class: 'alert-time' }, timeAgo(sig.detected_at)),
      ),
      h('h3', { class: 'signal-title' }, ex.title || humanType(sig.failure_type)),
      h(
        'p',
        { class: 'alert-meta' },
        h('a', { href: `#step-${sig.step_index}` }, `step ${sig.step_index ?? '?'}`),
        h('span', null, `${pct(sig.confidence)} confidence`),
        h('span', null, sig.detected_live ? 'caught while the run was live' : 'found when the run ended'),
        sig.shadow ? h('span', { class: 'muted' }, 'shadow: not alerted') : null,
      ),
    ),
    h(
      'div',
      { class: 'signal-body' },
      h('section', null, h('h4', null, 'What happened'), h('p', null, ex.what || 'No explanation available.')),
      ex.why_it_matters ? h('section', null, h('h4', null, 'Why it matters'), h('p', null, ex.why_it_matters)) : null,
      h('section', null, h('h4', null, 'Evidence'), evidenceList(sig)),
      fixes.length
        ? h('section', { class: 'fixes' }, h('h4', null, fixes.length === 1 ? 'Suggested fix' : 'Suggested fixes'), h('ol', null, fixes.map(fixItem)))
        : null,
    ),
  );
}

export function emptyState(title, ...body) {
  return h(
    'div',
    { class: 'empty' },
    h('h2', null, title),
    body.map((b) => (typeof b === 'string' ? h('p', { class: 'muted' }, b) : b)),
  );
}

export function errorBanner(err, retry) {
  return h(
    'div',
    { class: 'banner banner-error', role: 'alert' },
    h('span', null, err instanceof Error ? err.message : String(err)),
    retry ? h('button', { type: 'button', class: 'btn btn-small', on: { click: retry } }, 'Retry') : null,
  );
}
