/** Code snippets the suggested fixes show (TypeScript, framework-neutral). */

export const MAX_ITERATIONS_GUARD = `const MAX_SAME_TOOL = 3;
const seen = new Map<string, number>();
function guardToolCall(name: string, argsKey: string) {
  const key = name + ':' + argsKey;
  const n = (seen.get(key) ?? 0) + 1;
  seen.set(key, n);
  if (n > MAX_SAME_TOOL) throw new Error('tool ' + name + ' repeated ' + n + ' times: stop and answer');
}`;

export const RETRY_WITH_BACKOFF = `async function withRetry<T>(fn: () => Promise<T>, attempts = 3): Promise<T> {
  for (let i = 0; ; i++) {
    try { return await fn(); }
    catch (err) {
      if (i + 1 >= attempts || !isRetryable(err)) throw err; // surface it to the model / user
      await new Promise((r) => setTimeout(r, 500 * 2 ** i));
    }
  }
}`;

export const STEP_BUDGET = `const MAX_STEPS = 25;
const MAX_TOKENS_PER_RUN = 100_000;
let steps = 0, tokens = 0;
function checkBudget(usage: { total_tokens?: number }) {
  steps += 1;
  tokens += usage.total_tokens ?? 0;
  if (steps > MAX_STEPS || tokens > MAX_TOKENS_PER_RUN) throw new Error('run budget exceeded');
}`;

export const FINISH_REASON_CHECK = `const choice = res.choices[0];
if (choice.finish_reason === 'length') {
  // do not use a cut-off answer: retry with a larger budget or ask the model to continue
  return retry({ ...req, max_tokens: Math.min(req.max_tokens * 2, MODEL_LIMIT) });
}`;

export const TRIM_HISTORY = `function trimHistory(messages: Message[], keepLast = 10): Message[] {
  const [system, ...rest] = messages;
  return rest.length <= keepLast ? messages : [system, summarize(rest.slice(0, -keepLast)), ...rest.slice(-keepLast)];
}`;

export const HOP_LIMIT = `const MAX_HANDOFFS = 5;
function handoff(ctx: { hops: number }, to: string) {
  if (++ctx.hops > MAX_HANDOFFS) throw new Error('handoff limit reached before ' + to);
}`;

export const TIMEOUT = `function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return Promise.race([p, new Promise<T>((_, rej) => setTimeout(() => rej(new Error('timeout')), ms))]);
}`;

export const CHECK_BEFORE_CLAIM = `if (toolResults.some((r) => !r.ok)) {
  // never let the model announce success after a failed action
  return answerWithFailure(toolResults.filter((r) => !r.ok));
}`;

export const TOOL_ERROR_MESSAGE = `try {
  result = await tool.run(args);
} catch (err) {
  // the model must see the failure, not a blank result
  result = { error: String(err instanceof Error ? err.message : err), retryable: isRetryable(err) };
}
messages.push({ role: 'tool', tool_call_id: call.id, content: JSON.stringify(result) });`;

export const GROUND_ARGUMENTS = `// resolve ids from what the user or a tool actually returned, never from the model's guess
const known = new Set([...idsIn(userInput), ...toolResults.flatMap(idsIn)]);
for (const id of idsIn(JSON.stringify(call.args))) {
  if (!known.has(id)) throw new Error('argument ' + id + ' was not given by the user or a tool: ask, or look it up first');
}`;

export const DESTINATION_ALLOWLIST = `const ALLOWED_DOMAINS = ['example.com'];
function checkRecipient(address: string, grounded: Set<string>) {
  const domain = address.split('@').pop()!.toLowerCase();
  const ok = grounded.has(address.toLowerCase()) || ALLOWED_DOMAINS.some((d) => domain === d || domain.endsWith('.' + d));
  if (!ok) throw new Error('recipient was not provided by the user: confirm before sending');
}`;

// --- UNRESOLVED_AMBIGUITY ---
export const CONFIRM_AMBIGUOUS_TARGET = `// Before an irreversible tool: several candidates and the user named none of them → ask, do not pick.
function requireChoice<T extends { id: string }>(candidates: T[], chosenId: string, userNamed: (c: T) => boolean) {
  if (candidates.length > 1 && !candidates.some(userNamed)) {
    throw new Error('several records match (' + candidates.map((c) => c.id).join(', ') + '): ask the user which one');
  }
  if (!candidates.some((c) => c.id === chosenId)) throw new Error('unknown record ' + chosenId);
}`;
// --- end UNRESOLVED_AMBIGUITY ---
