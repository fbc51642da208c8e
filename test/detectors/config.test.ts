import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  DETECTORS,
  DetectorConfigError,
  defaultDetectorConfig,
  defaultDetectorsYaml,
  parseDetectorConfig,
  resolveAgentConfig,
} from '../../src/detectors/index.js';

const yml = (...lines: string[]) => lines.join('\n') + '\n';

function errorOf(text: string, file = 'detectors.yml'): DetectorConfigError {
  try {
    parseDetectorConfig(text, file);
  } catch (err) {
    expect(err).toBeInstanceOf(DetectorConfigError);
    return err as DetectorConfigError;
  }
  throw new Error('expected a DetectorConfigError');
}

describe('resolveAgentConfig', () => {
  const config = parseDetectorConfig(
    yml(
      'default:',
      '  tool_loop:',
      '    threshold: 4',
      '  slow_step:',
      '    shadow: true',
      '"web-*":',
      '  tool_loop:',
      '    window: 8',
      '"web-research-*":',
      '  tool_loop:',
      '    threshold: 6',
      'web-research-eu:',
      '  tool_loop:',
      '    threshold: 7',
      '  retry_storm:',
      '    enabled: false',
      'agent-?:',
      '  cost_spike:',
      '    max_total_tokens: 1000',
    ),
  );

  it('applies built-in defaults, then default, for any agent', () => {
    const r = resolveAgentConfig(config, 'billing');
    expect(r.sections).toEqual([]);
    expect(r.detectors.tool_loop).toEqual({ enabled: true, shadow: false, params: { threshold: 4, window: 5 } });
    expect(r.detectors.slow_step.shadow).toBe(true);
    expect(r.detectors.retry_storm).toEqual({ enabled: true, shadow: false, params: { threshold: 3 } });
    expect(r.detectors.delegation_loop.shadow).toBe(false);
    expect(r.detectors.scattershot_tool_use.shadow).toBe(true);
  });
  it('applies a glob section merged per parameter over default', () => {
    expect(resolveAgentConfig(config, 'web-shop').detectors.tool_loop.params).toEqual({ threshold: 4, window: 8 });
  });
  it('lets the more specific glob win on a conflict, keeping the broader one’s other settings', () => {
    const r = resolveAgentConfig(config, 'web-research-us');
    expect(r.sections).toEqual(['web-*', 'web-research-*']);
    expect(r.detectors.tool_loop.params).toEqual({ threshold: 6, window: 8 });
  });
  it('lets an exact agent id win over every glob', () => {
    const r = resolveAgentConfig(config, 'web-research-eu');
    expect(r.sections).toEqual(['web-*', 'web-research-*', 'web-research-eu']);
    expect(r.detectors.tool_loop.params).toEqual({ threshold: 7, window: 8 });
    expect(r.detectors.retry_storm.enabled).toBe(false);
  });
  it('matches ? as exactly one character and globs over the whole id', () => {
    expect(resolveAgentConfig(config, 'agent-7').detectors.cost_spike.params.max_total_tokens).toBe(1000);
    expect(resolveAgentConfig(config, 'agent-77').detectors.cost_spike.params.max_total_tokens).toBe(50_000);
    expect(resolveAgentConfig(config, 'my-web-x').sections).toEqual([]);
  });
  it('returns frozen settings', () => {
    const r = resolveAgentConfig(config, 'web-shop');
    expect(Object.isFrozen(r.detectors.tool_loop.params)).toBe(true);
    expect(Object.isFrozen(config)).toBe(true);
  });
  it('accepts empty sections and empty detector entries', () => {
    const c = parseDetectorConfig(yml('default:', 'some-agent:', '  tool_loop:'));
    expect(resolveAgentConfig(c, 'some-agent').detectors.tool_loop.params).toEqual({ threshold: 3, window: 5 });
  });
});

describe('parseDetectorConfig rejects bad config with file, line and key path', () => {
  it('unknown parameter (the documented message)', () => {
    const e = errorOf(yml('default:', '  tool_loop:', '    threshold: 3', '    treshold: 4'));
    expect(e.message).toBe(
      'detectors.yml:4: default.tool_loop.treshold: unknown parameter (known: threshold, window, enabled, shadow); did you mean threshold?',
    );
    expect(e.problems[0]).toMatchObject({ file: 'detectors.yml', line: 4, path: 'default.tool_loop.treshold' });
  });
  it('unknown detector, with a suggestion', () => {
    const e = errorOf(yml('default:', '  tool_lop:', '    threshold: 3'));
    expect(e.message).toMatch(/^detectors\.yml:2: default\.tool_lop: unknown detector \(known: tool_loop, .*\); did you mean tool_loop\?$/);
  });
  it('wrong type (string for a number), in an agent section, naming the file path given', () => {
    const e = errorOf(yml('default:', '  tool_loop: {}', '"web-*":', '  retry_storm:', '    threshold: "3"'), '/etc/dunetrace/detectors.yml');
    expect(e.message).toBe(
      '/etc/dunetrace/detectors.yml:5: web-*.retry_storm.threshold: expected a number, got a string ("3") — consecutive failed calls of one tool (count)',
    );
  });
  it('non-integer count, out-of-range value, wrong boolean, wrong list item', () => {
    expect(errorOf(yml('default:', '  tool_loop:', '    window: 2.5')).message).toMatch(
      /^detectors\.yml:3: default\.tool_loop\.window: expected an integer, got number 2\.5/,
    );
    expect(errorOf(yml('default:', '  retry_storm:', '    threshold: 1')).message).toMatch(
      /^detectors\.yml:3: default\.retry_storm\.threshold: must be ≥ 2, got number 1/,
    );
    expect(errorOf(yml('default:', '  cost_spike:', '    inflation_factor: 1')).message).toMatch(
      /^detectors\.yml:3: default\.cost_spike\.inflation_factor: must be > 1/,
    );
    expect(errorOf(yml('x:', '  slow_step:', '    enabled: "no"')).message).toMatch(
      /^detectors\.yml:3: x\.slow_step\.enabled: expected a boolean, got a string/,
    );
    expect(errorOf(yml('default:', '  agent_handoff_failure:', '    handoff_tool_patterns: ["a*", 3]')).message).toMatch(
      /^detectors\.yml:3: default\.agent_handoff_failure\.handoff_tool_patterns\.1: expected a string, got number 3/,
    );
  });
  it('parameters that contradict each other, judged on the merged settings', () => {
    expect(errorOf(yml('default:', '  tool_loop:', '    threshold: 6')).message).toBe('detectors.yml:2: default.tool_loop: threshold must not exceed window');
    expect(errorOf(yml('default:', '  tool_loop:', '    window: 8', 'a-*:', '  tool_loop:', '    threshold: 9')).message).toBe(
      'detectors.yml:5: a-*.tool_loop: threshold must not exceed window',
    );
    // threshold 6 is fine where a broader section (or default) raised the window
    expect(() => parseDetectorConfig(yml('"web-research-*":', '  tool_loop:', '    threshold: 6', '"web-*":', '  tool_loop:', '    window: 8'))).not.toThrow();
  });
  it('wrong shapes: root, section, detector entry', () => {
    expect(errorOf(yml('- tool_loop')).message).toMatch(/^detectors\.yml:1: the file must be a mapping/);
    expect(errorOf(yml('default: 3')).message).toMatch(/^detectors\.yml:1: default: must be a mapping of detector keys/);
    expect(errorOf(yml('default:', '  tool_loop: 3')).message).toMatch(/^detectors\.yml:2: default\.tool_loop: must be a mapping of parameters/);
    expect(errorOf(yml('retry_storm:', '  threshold: 4')).message).toBe(
      'detectors.yml:1: retry_storm: is a detector key: put it under `default:` or under an agent id section',
    );
  });
  it('YAML syntax errors and duplicate keys', () => {
    expect(errorOf(yml('default:', '  tool_loop:', '    threshold: [3', 'x: 1')).message).toMatch(/^detectors\.yml:\d+: invalid YAML: /);
    expect(errorOf(yml('default:', '  tool_loop:', '    threshold: 3', '    threshold: 4')).message).toMatch(
      /^detectors\.yml:4: invalid YAML: Map keys must be unique/,
    );
  });
  it('reports every problem at once', () => {
    const e = errorOf(yml('default:', '  tool_loop:', '    treshold: 3', '  nope: {}', 'agent-a:', '  retry_storm:', '    threshold: x'));
    expect(e.problems.map((p) => [p.line, p.path])).toEqual([
      [3, 'default.tool_loop.treshold'],
      [4, 'default.nope'],
      [7, 'agent-a.retry_storm.threshold'],
    ]);
    expect(e.message.split('\n')).toHaveLength(3);
  });
});

describe('the shipped detectors.yml', () => {
  const path = new URL('../../detectors.yml', import.meta.url);
  const text = readFileSync(path, 'utf8');
  it('is the rendered default file (regenerate with defaultDetectorsYaml() when detectors change)', () => {
    expect(text).toBe(defaultDetectorsYaml());
  });
  it('writes out every detector with every parameter, and resolves to exactly the built-in defaults', () => {
    const c = parseDetectorConfig(text, 'detectors.yml');
    for (const d of DETECTORS) {
      expect(Object.keys(c.default[d.key]?.params ?? {}).sort(), d.key).toEqual(Object.keys(d.defaults).sort());
      expect(c.default[d.key]?.enabled, d.key).toBe(true);
      expect(c.default[d.key]?.shadow, d.key).toBe(d.shadowByDefault === true);
    }
    expect(c.agents).toEqual([]);
    expect(resolveAgentConfig(c, 'any')).toEqual({ ...resolveAgentConfig(defaultDetectorConfig(), 'any') });
  });
});
