import { createHash } from 'node:crypto';

/**
 * The original Dunetrace SDKs' agent version: the first 8 hex characters of SHA-256 over
 * `"{systemPrompt}:{model}:{sorted tools as a Python list}"`, so a run sent by this SDK carries the same version as
 * the same agent sent by the original Python or npm SDK (a changed prompt, model or tool set starts a new baseline).
 */
export function agentVersion(systemPrompt: string, model: string, tools: readonly string[]): string {
  const list = `[${[...tools]
    .sort()
    .map((t) => `'${t}'`)
    .join(', ')}]`;
  return createHash('sha256').update(`${systemPrompt}:${model}:${list}`, 'utf8').digest('hex').slice(0, 8);
}
