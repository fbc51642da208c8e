// DOM building without HTML parsing. Every string that reaches the page goes through a text node or setAttribute,
// never innerHTML: agent names, tool names, evidence and the like come from users' traces.

const SVG_NS = 'http://www.w3.org/2000/svg';

/** Only same-origin paths, fragments and http(s) URLs may become links (no javascript:, data:, …). */
export function safeHref(v) {
  const s = String(v);
  if (s.startsWith('/') && !s.startsWith('//')) return s;
  if (s.startsWith('#') || s.startsWith('?')) return s;
  if (/^https?:\/\//i.test(s)) return s;
  return '#';
}

function setProps(el, props) {
  if (!props) return;
  for (const [k, v] of Object.entries(props)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.setAttribute('class', Array.isArray(v) ? v.filter(Boolean).join(' ') : String(v));
    else if (k === 'text') el.textContent = String(v);
    else if (k === 'on') for (const [ev, fn] of Object.entries(v)) el.addEventListener(ev, fn);
    else if (k === 'dataset')
      for (const [dk, dv] of Object.entries(v)) {
        if (dv !== undefined && dv !== null) el.dataset[dk] = String(dv);
      }
    else if (k === 'style')
      for (const [sk, sv] of Object.entries(v)) el.style.setProperty(sk, String(sv)); // CSSOM: allowed by the CSP
    else if (k === 'href') el.setAttribute('href', safeHref(v));
    else if (k.startsWith('on')) throw new Error(`inline handler ${k} not allowed: use on: {…}`);
    else if (k === 'value' && 'value' in el) el.value = String(v);
    else if (k === 'checked' || k === 'selected' || k === 'disabled' || k === 'hidden') {
      el[k] = Boolean(v);
      if (v) el.setAttribute(k, '');
    } else el.setAttribute(k, v === true ? '' : String(v));
  }
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else if (c instanceof Node) el.appendChild(c);
    else el.appendChild(document.createTextNode(String(c)));
  }
}

/** h('a', { href, class, on: { click } }, 'text', child, [more]) */
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  setProps(el, props);
  append(el, children);
  return el;
}

/** The same for SVG elements. */
export function svg(tag, props, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  setProps(el, props);
  append(el, children);
  return el;
}

export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

export function replace(el, ...children) {
  clear(el);
  append(el, children);
  return el;
}

/** Screen-reader announcement (live alerts). */
export function announce(text) {
  const el = document.getElementById('announcer');
  if (el) el.textContent = String(text);
}
