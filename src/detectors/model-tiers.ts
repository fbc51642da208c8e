/**
 * Capability tiers of model names, for MODEL_FALLBACK_DRIFT. Higher is more capable; null is "unknown" (the rule
 * then stays quiet rather than guess). Pure, no I/O.
 *
 * Scale (the original's values kept where it had them: gpt-5 4, gpt-4o 3, gpt-4o-mini 2, gpt-3.5 1, opus 4,
 * sonnet 3, haiku 2, o1/o3 3, o1-mini/o3-mini 2):
 *   4  frontier: gpt-5, o-series pro, Claude Opus, Gemini Ultra, open weights ≥ 100B parameters
 *   3  large: gpt-4 / 4-turbo / 4o / 4.1, gpt-5-mini, o1 / o3 / o4, Claude Sonnet, Gemini Pro, 30–99B open weights
 *   2  small: *-mini of gpt-4o / 4.1, gpt-5-nano, o-mini, Claude Haiku, Gemini Flash, 4–29B open weights
 *   1  tiny: gpt-3.5, gpt-4.1-nano, Claude Instant, Gemini Flash-Lite / Flash-8B / Nano, < 4B open weights
 *
 * Resolution, on the lower-cased name (provider prefixes such as `openai/`, `anthropic.` or `models/` and dated
 * suffixes do not matter):
 *  1. Operator-supplied keys (`model_tiers` in detectors.yml): the longest key that is a substring wins.
 *  2. Claude and Gemini by family word, any generation and word order (claude-3-5-sonnet, claude-sonnet-4-5, …).
 *  3. Open-weight families (Llama, Mistral/Mixtral, Qwen, Gemma, DeepSeek, Phi, …) by parameter size (70b, 8x7b);
 *     Mistral's sizeless names by their size word (large/medium/small/tiny).
 *  4. The OpenAI table below: the longest key that is a substring wins, as in the original, but with the
 *     mini/nano variants of gpt-4.1 and gpt-5 listed (the original mapped gpt-4.1-mini to "gpt-4" and gpt-5-nano
 *     to "gpt-5", so those drops never fired).
 */

export type TierTable = Readonly<Record<string, number>>;

export interface ModelTier {
  tier: number;
  /** What decided it: the table key, `claude:<family>`, `gemini:<variant>` or `<n>b`. */
  matched: string;
}

/** OpenAI names: longest substring key wins (so gpt-4o-mini beats gpt-4o, which beats gpt-4). */
export const OPENAI_TIERS: TierTable = Object.freeze({
  'gpt-3.5': 1,
  'gpt-4': 3,
  'gpt-4-turbo': 3,
  'gpt-4o': 3,
  'gpt-4o-mini': 2,
  'chatgpt-4o': 3,
  'gpt-4.1': 3,
  'gpt-4.1-mini': 2,
  'gpt-4.1-nano': 1,
  'gpt-4.5': 4,
  'gpt-5': 4,
  'gpt-5-mini': 3,
  'gpt-5-nano': 2,
  'gpt-oss-120b': 3,
  'gpt-oss-20b': 2,
  o1: 3,
  'o1-mini': 2,
  'o1-pro': 4,
  o3: 3,
  'o3-mini': 2,
  'o3-pro': 4,
  o4: 3,
  'o4-mini': 2,
});

const CLAUDE: readonly [string, number][] = [
  ['opus', 4],
  ['sonnet', 3],
  ['haiku', 2],
  ['instant', 1],
];

// Order matters: flash-lite / flash-8b before flash.
const GEMINI: readonly [RegExp, string, number][] = [
  [/ultra/, 'ultra', 4],
  [/flash[-_.]?lite|flash[-_.]?8b|nano/, 'flash-lite', 1],
  [/flash/, 'flash', 2],
  [/pro/, 'pro', 3],
];

const OPEN_WEIGHT = /llama|mistral|mixtral|ministral|codestral|magistral|qwen|qwq|gemma|deepseek|phi-?\d|yi-|falcon|olmo|granite|command-r/;
const MISTRAL_WORDS: readonly [string, number][] = [
  ['large', 4],
  ['medium', 3],
  ['small', 2],
  ['ministral', 2],
  ['tiny', 1],
];

/** Parameter count in billions from a size token: 70b, 8x7b (= 56), 1.5b; the first one in the name. */
export function parameterBillions(name: string): number | null {
  const m = /(?:^|[^a-z0-9.])(?:(\d+)x)?(\d+(?:\.\d+)?)b(?![a-z0-9])/.exec(name);
  if (!m) return null;
  const n = Number(m[2]) * (m[1] ? Number(m[1]) : 1);
  return Number.isFinite(n) && n > 0 ? n : null;
}

function sizeTier(b: number): number {
  if (b >= 100) return 4;
  if (b >= 30) return 3;
  if (b >= 4) return 2;
  return 1;
}

/** The part after the last `/`: "openai/gpt-4o" → "gpt-4o", "models/gemini-2.5-pro" → "gemini-2.5-pro". */
function baseName(lower: string): string {
  const slash = lower.lastIndexOf('/');
  return slash >= 0 ? lower.slice(slash + 1) : lower;
}

/** Longest key of `table` contained in `name`, as a whole-token match for short o-series keys ("o1" not in "pro1"). */
function longestKey(name: string, table: TierTable): string | null {
  let best: string | null = null;
  for (const key of Object.keys(table)) {
    const k = key.toLowerCase();
    if (k.length === 0 || (best !== null && k.length <= best.length)) continue;
    const at = name.indexOf(k);
    if (at < 0) continue;
    // o-series keys are two or three characters: require a token boundary before them.
    if (/^o\d/.test(k) && at > 0 && /[a-z0-9]/.test(name[at - 1])) continue;
    best = key;
  }
  return best;
}

/** The capability tier of a model name, or null when the name is not recognised. */
export function modelTier(model: string, extra: TierTable = {}): ModelTier | null {
  const lower = model.trim().toLowerCase();
  if (lower.length === 0) return null;
  const own = longestKey(lower, extra);
  if (own !== null) return { tier: extra[own], matched: own };
  const name = baseName(lower);
  if (name.includes('claude')) {
    for (const [word, tier] of CLAUDE) if (name.includes(word)) return { tier, matched: `claude:${word}` };
    return null;
  }
  if (name.includes('gemini')) {
    for (const [re, variant, tier] of GEMINI) if (re.test(name)) return { tier, matched: `gemini:${variant}` };
    return null;
  }
  // gpt-5.1, gpt-5.2-mini, … rank as their gpt-5 counterparts.
  const openai = longestKey(name.replace(/gpt-5\.\d+/, 'gpt-5'), OPENAI_TIERS);
  if (openai !== null) return { tier: OPENAI_TIERS[openai], matched: openai };
  if (OPEN_WEIGHT.test(name)) {
    const b = parameterBillions(name);
    if (b !== null) return { tier: sizeTier(b), matched: `${b}b` };
    if (/mistral|ministral/.test(name)) {
      for (const [word, tier] of MISTRAL_WORDS) if (name.includes(word)) return { tier, matched: `mistral:${word}` };
    }
  }
  return null;
}
