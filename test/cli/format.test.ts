import { describe, expect, it } from 'vitest';
import { colorEnabled, createStyle, formatDuration, formatTime, stripAnsi, table, visibleWidth } from '../../src/cli/format.js';
import { clientOptions, DEFAULT_ENDPOINT, networkReason } from '../../src/cli/http.js';
import { SseParser } from '../../src/cli/sse.js';

describe('CLI formatting', () => {
  it('colour: on for a TTY, off when NO_COLOR is set or stdout is not a TTY; FORCE_COLOR turns it on', () => {
    expect(colorEnabled({ isTTY: true }, {})).toBe(true);
    expect(colorEnabled({ isTTY: false }, {})).toBe(false);
    expect(colorEnabled({}, {})).toBe(false);
    expect(colorEnabled({ isTTY: true }, { NO_COLOR: '1' })).toBe(false);
    expect(colorEnabled({ isTTY: true }, { NO_COLOR: '' })).toBe(true); // empty counts as unset
    expect(colorEnabled({ isTTY: false }, { FORCE_COLOR: '1' })).toBe(true);
    expect(colorEnabled({ isTTY: false }, { FORCE_COLOR: '0' })).toBe(false);
    expect(colorEnabled({ isTTY: true }, { FORCE_COLOR: '1', NO_COLOR: '1' })).toBe(false);
  });

  it('tables align on visible width, colour codes or not', () => {
    const plain = createStyle(false);
    const color = createStyle(true);
    const rows = (s: typeof plain) => [
      [s.red('HIGH'), 'TOOL_LOOP', '3'],
      [s.bold(s.red('CRITICAL')), 'X', '12'],
    ];
    const a = table(plain, ['SEVERITY', 'TYPE', 'STEP'], rows(plain), ['left', 'left', 'right']);
    const b = table(color, ['SEVERITY', 'TYPE', 'STEP'], rows(color), ['left', 'left', 'right']);
    expect(a).toEqual(['SEVERITY  TYPE       STEP', 'HIGH      TOOL_LOOP     3', 'CRITICAL  X            12']);
    expect(a.join('')).not.toContain('\x1b[');
    expect(b.join('')).toContain('\x1b[31m');
    expect(b.map(stripAnsi)).toEqual(a);
    expect(visibleWidth(color.red('✓'))).toBe(1);
  });

  it('times in UTC and human durations', () => {
    expect(formatTime('2025-01-31T12:00:05.123Z')).toBe('2025-01-31 12:00:05');
    expect(formatTime(1738324805)).toBe('2025-01-31 12:00:05');
    expect(formatTime(null)).toBe('-');
    expect(formatDuration(850)).toBe('850 ms');
    expect(formatDuration(1234)).toBe('1.2 s');
    expect(formatDuration(123_000)).toBe('2m 03s');
    expect(formatDuration(3_720_000)).toBe('1h 02m');
    expect(formatDuration(null)).toBe('-');
  });
});

describe('CLI client settings', () => {
  it('flags win over the environment; defaults to the local receiver', () => {
    expect(clientOptions({}, {})).toEqual({ endpoint: DEFAULT_ENDPOINT, apiKey: null });
    expect(clientOptions({}, { DUNETRACE_ENDPOINT: 'http://h:1/', DUNETRACE_API_KEY: 'k1' })).toEqual({ endpoint: 'http://h:1', apiKey: 'k1' });
    expect(clientOptions({ endpoint: 'https://x', 'api-key': 'k2' }, { DUNETRACE_ENDPOINT: 'http://h:1', DUNETRACE_API_KEY: 'k1' })).toEqual({
      endpoint: 'https://x',
      apiKey: 'k2',
    });
    expect(() => clientOptions({ endpoint: 'not a url' }, {})).toThrow(/invalid --endpoint/);
  });

  it('names network failures in words', () => {
    const err = (code: string) => Object.assign(new TypeError('fetch failed'), { cause: { code } });
    expect(networkReason(err('ECONNREFUSED'))).toBe('connection refused');
    expect(networkReason(err('ENOTFOUND'))).toBe('host not found');
    expect(networkReason(Object.assign(new TypeError('fetch failed'), { cause: { errors: [{ code: 'ECONNREFUSED' }] } }))).toBe('connection refused');
  });
});

describe('SSE parser', () => {
  it('parses events split anywhere across chunks; comments, retry, ids, multi-line data, CRLF', () => {
    const text = 'retry: 3000\r\n: connected\r\n\r\nid: 7\ndata: {"a":1}\n\n: heartbeat\n\nevent: other\ndata: x\ndata: y\n\nid: 9\ndata:{"b":2}\r\r\n';
    for (const size of [1, 2, 5, 1000]) {
      const p = new SseParser();
      const events = [];
      for (let i = 0; i < text.length; i += size) events.push(...p.push(text.slice(i, i + size)));
      expect(events, `chunks of ${size}`).toEqual([
        { event: 'message', data: '{"a":1}', id: '7' },
        { event: 'other', data: 'x\ny', id: '7' },
        { event: 'message', data: '{"b":2}', id: '9' },
      ]);
      expect(p.retryMs).toBe(3000);
    }
  });
});
