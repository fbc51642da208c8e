/**
 * Structured JSON (an object or array) parsed, else undefined; never throws. The facts of one tool span parse its
 * arguments three times and its result twice (entities, destinations, argument leaves; grounding, candidate sets):
 * the last two texts are remembered with their values, which the fact extractors only read, never modify.
 * What is kept is in this process only, and replaced by the next span's texts.
 */
let lastText: string | null = null;
let lastValue: unknown;
let prevText: string | null = null;
let prevValue: unknown;

export function parseStructured(text: string): unknown {
  if (text === lastText) return lastValue;
  if (text === prevText) return prevValue;
  const t = text.trimStart();
  let value: unknown;
  if (t.length === 0 || (t[0] !== '{' && t[0] !== '[')) value = undefined;
  else {
    try {
      value = JSON.parse(text);
    } catch {
      value = undefined;
    }
  }
  prevText = lastText;
  prevValue = lastValue;
  lastText = text;
  lastValue = value;
  return value;
}
