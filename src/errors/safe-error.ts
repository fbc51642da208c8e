/**
 * What of an error may reach our logs. Messages can quote request data (a JSON parser echoing input, a driver
 * echoing a value), so an unexpected error is logged by its type, code and stack frames only.
 */
export function safeError(err: unknown): { type: string; code?: string; frames?: string } {
  if (!(err instanceof Error)) return { type: typeof err };
  const code = (err as { code?: unknown }).code;
  const frames = err.stack
    ?.split('\n')
    .filter((l) => l.trimStart().startsWith('at '))
    .slice(0, 8)
    .join('\n');
  return { type: err.name, ...(typeof code === 'string' ? { code } : {}), ...(frames ? { frames } : {}) };
}
