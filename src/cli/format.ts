/** Terminal output for people: colours (off when not a TTY or NO_COLOR is set), aligned tables, times, durations. */

export interface Style {
  readonly enabled: boolean;
  bold(s: string): string;
  dim(s: string): string;
  red(s: string): string;
  green(s: string): string;
  yellow(s: string): string;
  blue(s: string): string;
  magenta(s: string): string;
  cyan(s: string): string;
}

/**
 * Colour is on when stdout is a terminal, unless NO_COLOR is set (https://no-color.org); FORCE_COLOR (not "0")
 * turns it on for a pipe. NO_COLOR wins. Empty values count as unset.
 */
export function colorEnabled(stream: { isTTY?: boolean } = process.stdout, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR) return false;
  if (env.FORCE_COLOR && env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false') return true;
  return stream.isTTY === true;
}

export function createStyle(enabled: boolean): Style {
  const sgr = (open: number, close: number) => (s: string) => (enabled && s ? `\x1b[${open}m${s}\x1b[${close}m` : s);
  return {
    enabled,
    bold: sgr(1, 22),
    dim: sgr(2, 22),
    red: sgr(31, 39),
    green: sgr(32, 39),
    yellow: sgr(33, 39),
    blue: sgr(34, 39),
    magenta: sgr(35, 39),
    cyan: sgr(36, 39),
  };
}

// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;]*m/g;
export const stripAnsi = (s: string) => s.replace(ANSI, '');
export const visibleWidth = (s: string) => [...stripAnsi(s)].length;

/** Colours `text` (default: the severity itself) by severity: CRITICAL bold red, HIGH red, MEDIUM yellow, LOW cyan. */
export function severityText(style: Style, severity: string, text = severity): string {
  switch (severity) {
    case 'CRITICAL':
      return style.bold(style.red(text));
    case 'HIGH':
      return style.red(text);
    case 'MEDIUM':
      return style.yellow(text);
    case 'LOW':
      return style.cyan(text);
    default:
      return text;
  }
}

export function statusText(style: Style, status: string): string {
  switch (status) {
    case 'completed':
      return style.green(status);
    case 'errored':
      return style.red(status);
    case 'stalled':
      return style.yellow(status);
    case 'open':
      return style.blue(status);
    default:
      return status;
  }
}

export type Align = 'left' | 'right';

/**
 * Columns padded to their widest cell (measured without colour codes), two spaces apart, header in bold.
 * Returns the lines (no trailing spaces).
 */
export function table(style: Style, head: string[], rows: string[][], align: Align[] = []): string[] {
  const widths = head.map((h, i) => Math.max(visibleWidth(h), ...rows.map((r) => visibleWidth(r[i] ?? ''))));
  const line = (cells: string[], bold = false) =>
    cells
      .map((c, i) => {
        const pad = ' '.repeat(Math.max(0, widths[i] - visibleWidth(c)));
        const text = bold ? style.bold(c) : c;
        return align[i] === 'right' ? pad + text : i === cells.length - 1 ? text : text + pad;
      })
      .join('  ')
      .trimEnd();
  return [line(head, true), ...rows.map((r) => line(r))];
}

/** Pads a (possibly coloured) cell to a fixed width, for rows printed one at a time (alerts --follow). */
export function pad(s: string, width: number, align: Align = 'left'): string {
  const fill = ' '.repeat(Math.max(0, width - visibleWidth(s)));
  return align === 'right' ? fill + s : s + fill;
}

const two = (n: number) => String(n).padStart(2, '0');

/** "2025-01-31 12:00:05" in UTC, from an ISO string, a Date or unix seconds; "-" when unknown. */
export function formatTime(t: string | number | Date | null | undefined): string {
  if (t === null || t === undefined || t === '') return '-';
  const d = typeof t === 'number' ? new Date(t * 1000) : new Date(t);
  if (Number.isNaN(d.getTime())) return '-';
  return `${d.getUTCFullYear()}-${two(d.getUTCMonth() + 1)}-${two(d.getUTCDate())} ${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}`;
}

/** "850 ms", "1.2 s", "2m 03s", "1h 02m"; "-" when unknown. */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms) || ms < 0) return '-';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  if (s < 3600) return `${Math.floor(s / 60)}m ${two(s % 60)}s`;
  return `${Math.floor(s / 3600)}h ${two(Math.floor((s % 3600) / 60))}m`;
}

export function formatCount(n: number | null | undefined): string {
  return typeof n === 'number' && Number.isFinite(n) ? n.toLocaleString('en-US') : '-';
}

export function truncate(s: string, max: number): string {
  const chars = [...s];
  return chars.length <= max ? s : `${chars.slice(0, max - 1).join('')}…`;
}

/** Indents every line of a (possibly multi-line) text. */
export function indent(text: string, prefix = '  '): string {
  return text
    .split('\n')
    .map((l) => (l ? prefix + l : l))
    .join('\n');
}
