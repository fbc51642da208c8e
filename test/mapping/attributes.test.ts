import { describe, expect, it } from 'vitest';
import {
  contentString,
  firstNumber,
  firstString,
  normalizeProvider,
  parseJson,
  readIndexed,
  readProvider,
  scanAttributes,
  stringArray,
} from '../../src/mapping/attributes.js';

describe('alias lookups', () => {
  it('firstString takes the first non-empty string', () => {
    expect(firstString({ a: '', b: 3, c: 'x', d: 'y' }, ['a', 'b', 'c', 'd'])).toBe('x');
    expect(firstString({}, ['a'])).toBeNull();
  });

  it('firstNumber accepts numbers and numeric strings, skips the rest', () => {
    expect(firstNumber({ a: 'n/a', b: '42' }, ['a', 'b'])).toBe(42);
    expect(firstNumber({ a: Number.NaN, b: 7 }, ['a', 'b'])).toBe(7);
    expect(firstNumber({ a: true }, ['a'])).toBeNull();
  });

  it('stringArray reads arrays and single strings', () => {
    expect(stringArray({ k: ['stop', 3, 'length'] }, 'k')).toEqual(['stop', 'length']);
    expect(stringArray({ k: 'stop' }, 'k')).toEqual(['stop']);
    expect(stringArray({ k: [] }, 'k')).toBeNull();
    expect(stringArray({ k: '["stop","length"]' }, 'k')).toEqual(['stop', 'length']);
  });
});

describe('provider normalisation', () => {
  it.each([
    ['OpenAI', 'openai'],
    ['Azure', 'azure.ai.openai'],
    ['az.ai.openai', 'azure.ai.openai'],
    ['AWS', 'aws.bedrock'],
    ['Google', 'gcp.gen_ai'],
    ['anthropic', 'anthropic'],
    ['aws.bedrock', 'aws.bedrock'],
  ])('%s → %s', (raw, expected) => expect(normalizeProvider(raw)).toBe(expected));

  it('gen_ai.provider.name wins over gen_ai.system, then OpenInference llm.provider', () => {
    expect(readProvider({ 'gen_ai.provider.name': 'openai', 'gen_ai.system': 'Azure' })).toBe('openai');
    expect(readProvider({ 'gen_ai.system': 'AWS' })).toBe('aws.bedrock');
    expect(readProvider({ 'llm.provider': 'anthropic' })).toBe('anthropic');
    expect(readProvider({})).toBeNull();
  });
});

describe('indexed attributes', () => {
  it('readIndexed groups prefix.N.field, ordered numerically, nested families readable', () => {
    const attrs = {
      'gen_ai.completion.10.role': 'assistant',
      'gen_ai.completion.2.role': 'assistant',
      'gen_ai.completion.2.tool_calls.1.name': 'b',
      'gen_ai.completion.2.tool_calls.0.name': 'a',
      'gen_ai.completion.2.tool_calls.0.arguments': '{}',
      'gen_ai.completion.x.role': 'ignored',
      'gen_ai.completion': 'flat, ignored',
    };
    const recs = readIndexed(attrs, 'gen_ai.completion.');
    expect(recs.map((r) => r.index)).toEqual([2, 10]);
    const calls = readIndexed(recs[0].fields, 'tool_calls.');
    expect(calls.map((c) => c.fields.name)).toEqual(['a', 'b']);
    expect(calls[0].fields.arguments).toBe('{}');
  });

  it('scanAttributes collects every family in one pass', () => {
    const idx = scanAttributes({
      'gen_ai.prompt.0.content': 'p',
      'gen_ai.completion.0.content': 'c',
      'llm.request.functions.0.name': 'f',
      'llm.input_messages.0.message.role': 'user',
      'llm.output_messages.0.message.role': 'assistant',
      'llm.tools.0.tool.json_schema': '{}',
      'retrieval.documents.0.document.score': 0.5,
      'db.vector.query.result.0.score': 0.9,
      'db.vector.query.top_k': 3,
      'gen_ai.request.model': 'm',
    });
    expect(idx.prompt).toHaveLength(1);
    expect(idx.completion).toHaveLength(1);
    expect(idx.functions[0].fields.name).toBe('f');
    expect(idx.oiInput[0].fields['message.role']).toBe('user');
    expect(idx.oiOutput).toHaveLength(1);
    expect(idx.oiTools).toHaveLength(1);
    expect(idx.oiDocuments[0].fields['document.score']).toBe(0.5);
    expect(idx.vectorResults[0].fields.score).toBe(0.9);
    expect(idx.hasVectorQuery).toBe(true);
    expect(scanAttributes({ 'db.system': 'pinecone' }).hasVectorQuery).toBe(false);
  });
});

describe('content values', () => {
  it('contentString: strings as is, structures as JSON, bytes as base64', () => {
    expect(contentString('x')).toBe('x');
    expect(contentString([{ role: 'user' }])).toBe('[{"role":"user"}]');
    expect(contentString(new Uint8Array([1, 2, 3]))).toBe('AQID');
    expect(contentString(null)).toBeNull();
  });

  it('parseJson never throws on truncated JSON and ignores non-JSON text', () => {
    expect(parseJson('[{"role": "user", "parts": [{"content": "hel')).toBeUndefined();
    expect(parseJson('hello')).toBeUndefined();
    expect(parseJson('  [1]')).toEqual([1]);
  });
});
