import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DetectorConfigError, defaultDetectorConfig, resolveAgentConfig } from '../../src/detectors/index.js';
import { loadDetectorConfig } from '../../src/receiver/detector-config.js';

const yml = (...lines: string[]) => lines.join('\n') + '\n';

describe('loadDetectorConfig', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dt-detectors-'));
  it('gives the defaults when the file is missing, and says so', async () => {
    const path = join(dir, 'missing.yml');
    const c = await loadDetectorConfig(path);
    expect(c.source).toEqual({ kind: 'defaults', path, reason: 'file not found' });
    expect(resolveAgentConfig(c, 'a')).toEqual(resolveAgentConfig(defaultDetectorConfig(), 'a'));
  });
  it('reads a file and names it in errors', async () => {
    const good = join(dir, 'good.yml');
    writeFileSync(good, yml('default:', '  tool_loop:', '    threshold: 4'));
    expect((await loadDetectorConfig(good)).source).toEqual({ kind: 'file', path: good });
    const bad = join(dir, 'bad.yml');
    writeFileSync(bad, yml('default:', '  tool_loop:', '    treshold: 4'));
    await expect(loadDetectorConfig(bad)).rejects.toThrow(`${bad}:3: default.tool_loop.treshold: unknown parameter`);
  });
  it('fails on a path it cannot read (a directory)', async () => {
    await expect(loadDetectorConfig(dir)).rejects.toBeInstanceOf(DetectorConfigError);
  });
  it('treats an empty file as all defaults', async () => {
    const empty = join(dir, 'empty.yml');
    writeFileSync(empty, '# nothing\n');
    const c = await loadDetectorConfig(empty);
    expect(c.source.kind).toBe('file');
    expect(resolveAgentConfig(c, 'a')).toEqual(resolveAgentConfig(defaultDetectorConfig(), 'a'));
  });
});
