import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DETECTORS, detectorTableMarkdown } from '../../src/detectors/index.js';

const README = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const block = /<!-- detectors:start[^>]*-->\n([\s\S]*?)\n<!-- detectors:end -->/.exec(README)?.[1] ?? '';
const rows = block
  .split('\n')
  .slice(2)
  .map((l) => l.split(' | '));

describe("README's detector table", () => {
  it('lists exactly the registered detectors, in order, with their shipped live/shadow and content facts', () => {
    expect(rows.map((r) => r[0].replace(/^\| `|`$/g, ''))).toEqual(DETECTORS.map((d) => d.failure_type));
    expect(rows.map((r) => r[1])).toEqual(DETECTORS.map((d) => (d.shadowByDefault ? 'shadow' : 'live')));
    expect(rows.map((r) => r[5])).toEqual(DETECTORS.map((d) => (d.reads.length ? d.reads.map((x) => `\`${x}\``).join(', ') : '—')));
  });
  it('is the generated table (regenerate with detectorTableMarkdown() when a detector changes)', () => {
    expect(block).toBe(detectorTableMarkdown());
  });
  it('states the detector count', () => {
    expect(README).toContain(`\n${DETECTORS.length} detectors, each a small pure function`);
  });
});
