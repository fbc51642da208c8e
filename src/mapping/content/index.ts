import type { Attributes } from '../../otlp/model.js';
import { contentString } from '../attributes.js';
import { scanForInjection } from '../injection.js';
import { scanDirectives } from '../directives.js';
import { memoryOperation, memoryRecordTexts, memorySource, retrievalTexts, toolResultTexts } from './read-back.js';
import { readDocuments } from './documents.js';
import {
  ARGS_KEYS,
  ENTITY_INPUT_KEYS,
  ENTITY_OUTPUT_KEYS,
  QUERY_KEYS,
  RESULT_KEYS,
  ROOT_INPUT_FALLBACK_KEYS,
  ROOT_INPUT_KEYS,
  ROOT_OUTPUT_KEYS,
  firstContent,
} from './entity-values.js';
import { errorText } from './errors.js';
import type { ContentContext, ContentFacts, ContentSource, Measured } from './facts.js';
import { normalizeFinishReason } from './finish-reasons.js';
import { inputMessages, outputMessages } from './formats/index.js';
import { parseMessageList } from './formats/genai-messages.js';
import { isSystem, isUser, joinText, type Msg } from './messages.js';
import { collectTools } from './tools.js';
import { argumentEntitySet, destinationSet, groundingSet, handoffInput, handoffText, replyTerms, toolTerms } from '../facts/index.js';
import { argumentLeafSet, candidateSets, warrantSet } from '../facts/ambiguity.js';

/**
 * Content extraction: composes the message formats (formats/), the whole-value keys (entity-values.ts), tool
 * definitions, retrieval documents, error text and finish-reason normalisation into the span's ContentFacts.
 * Adding a message format: see formats/index.ts. Content never leaves this folder, only digests and facts.
 */

export type { ContentContext, ContentFacts, ContentSource, Measured } from './facts.js';
export { FINISH_REASONS, normalizeFinishReason, type FinishReason } from './finish-reasons.js';
export { MESSAGE_FORMATS } from './formats/index.js';
export type { MessageFormat, Messages, Msg, RawToolCall } from './messages.js';
export { memoDigest } from './digest.js';
export { errorText } from './errors.js';

/** The facts a span's content gives, for its category (and root-ness). Never throws on malformed content. */
export function extractContent(span: ContentSource, ctx: ContentContext, digest: (text: string) => string): ContentFacts {
  const measure = (text: string | null): Measured | null => (text === null ? null : { hash: digest(text), length: text.length });
  const a = span.attributes;
  const { category, isRoot, index } = ctx;
  const keyer = ctx.keyer ?? null;
  const skip = ctx.skip;
  const isLlm = category === 'llm';

  const facts: ContentFacts = {
    input: null,
    user: null,
    injection: null,
    system: null,
    output: null,
    args: null,
    result: null,
    query: null,
    error: null,
    finish_reasons: null,
    tool_calls: [],
    tools: collectTools(a, index),
    documents: null,
  };

  // Input side: the prompt (LLM spans) and the user's own input (injection scan; digest for roots).
  if (isLlm || isRoot) {
    let userText: string | null;
    // What the prompt grounds (user + system text; never assistant or tool messages): for keyed grounding digests.
    let groundText: string | null = null;
    // The user's own turns (UNRESOLVED_AMBIGUITY's warrant): only user-role messages, never a raw prompt.
    let warrantText: string | null = null;
    if (isLlm) {
      const msgs = inputMessages(span, index);
      if (msgs?.raw !== undefined) {
        facts.input = measure(msgs.raw);
        userText = msgs.raw;
      } else if (msgs?.captured) {
        facts.input = measure(joinText(msgs.messages, null) ?? '');
        userText = joinText(msgs.messages, isUser);
        warrantText = userText;
      } else {
        const fallback = firstContent(a, ENTITY_INPUT_KEYS);
        facts.input = measure(fallback);
        userText = fallback;
      }
      const sys = systemText(a, msgs?.captured ? msgs.messages : null);
      if (sys !== null) facts.system = digest(sys);
      groundText = sys === null ? userText : userText === null ? sys : userText + '\n' + sys;
    } else {
      userText = ownInput(span, index);
    }
    if (userText !== null) {
      facts.injection = scanForInjection(userText);
      const named = toolsNamedIn(userText, facts.tools);
      if (named.length > 0) facts.tools_in_input = named;
    }
    if (isRoot) facts.user = measure(userText);
    // A step root (an LLM span as the whole trace) has no sub-agents: one handoff_text per span, never input and reply mixed.
    if (isRoot && !isLlm && keyer !== null && userText !== null) facts.handoff_text = handoffText(userText, keyer);
    if (keyer !== null) setFact(facts, 'grounding', groundingSet([isLlm ? groundText : userText], keyer));
    if (keyer !== null && !skip?.has('warrant')) setFact(facts, 'warrant', warrantSet([isLlm ? warrantText : userText], keyer));
  }

  // Output side: the reply (LLM spans) and the run's output (roots).
  if (isLlm || isRoot) {
    let outText: string | null = isLlm ? null : firstContent(a, ROOT_OUTPUT_KEYS);
    if (outText === null) {
      const msgs = outputMessages(span, index);
      if (msgs?.raw !== undefined) {
        outText = msgs.raw;
      } else if (msgs !== null) {
        if (msgs.captured) outText = joinText(msgs.messages, null) ?? '';
        if (isLlm) readReply(msgs.messages, facts, digest);
      }
    }
    const reply = outText ?? firstContent(a, ENTITY_OUTPUT_KEYS);
    facts.output = measure(reply);
    if (isLlm && reply !== null) facts.reply_terms = replyTerms(reply);
    if (isLlm && !isRoot && reply !== null && keyer !== null) facts.handoff_text = handoffText(reply, keyer);
  }

  // A nested agent span's own input: what the sub-agent was handed (HANDOFF_CONTEXT_LOSS, child side).
  if (category === 'agent' && !isRoot && keyer !== null) {
    const handed = ownInput(span, index);
    if (handed !== null) facts.handoff_input = handoffInput(handed, keyer);
  }

  const err = errorText(span);
  facts.error = err === null ? null : digest(err);

  let readBack: string[] | null = null;
  if (category === 'tool') {
    const args = firstContent(a, ARGS_KEYS);
    const result = firstContent(a, RESULT_KEYS);
    facts.args = measure(args);
    facts.result = measure(result);
    setFact(facts, 'tool_terms', toolTerms(err, result));
    if (keyer !== null) {
      if (args !== null) {
        setFact(facts, 'arg_entities', argumentEntitySet(args, keyer));
        setFact(facts, 'arg_destinations', destinationSet(args, keyer));
      }
      setFact(facts, 'grounding', groundingSet([result], keyer));
      if (result !== null) facts.handoff_text = handoffText(result, keyer);
      if (args !== null && !skip?.has('arg_leaves')) setFact(facts, 'arg_leaves', argumentLeafSet(args, keyer));
      if (result !== null) if (!skip?.has('candidates')) setFact(facts, 'candidates', candidateSets(result, keyer));
    }
    readBack = toolResultTexts(a);
  } else if (category === 'retrieval') {
    const q = firstContent(a, QUERY_KEYS);
    facts.query = q === null ? null : digest(q);
    const docs = a['gen_ai.retrieval.documents'];
    facts.documents = readDocuments(docs);
    if (keyer !== null) setFact(facts, 'grounding', groundingSet([contentString(docs), firstContent(a, ENTITY_OUTPUT_KEYS)], keyer));
    readBack = retrievalTexts(a, index);
  } else if (memoryOperation(a) === 'write') {
    readBack = memoryRecordTexts(a);
    const source = memorySource(a);
    if (source !== null) facts.memory_source = source;
  }
  // Read-back content (RETRIEVED_CONTENT_INJECTION, MEMORY_POISONING): the directive marker scan.
  if (readBack !== null) {
    const markers = scanDirectives(readBack);
    if (markers !== null) facts.directives = markers;
  }
  return facts;
}

/** A root or agent span's own input: its entity input, else the user-role text of its messages, else input.value. */
function ownInput(span: ContentSource, index: ContentContext['index']): string | null {
  const a = span.attributes;
  let text = firstContent(a, ROOT_INPUT_KEYS);
  if (text === null) {
    const msgs = inputMessages(span, index);
    if (msgs?.raw !== undefined) text = msgs.raw;
    else if (msgs?.captured) text = joinText(msgs.messages, isUser);
  }
  return text ?? firstContent(a, ROOT_INPUT_FALLBACK_KEYS);
}

/** The tool names the text names (case-insensitive substring, as the original tests `name in input_text.lower()`). */
function toolsNamedIn(text: string, tools: readonly string[]): string[] {
  if (tools.length === 0 || text.length === 0) return [];
  const lower = text.toLowerCase();
  return tools.filter((t) => lower.includes(t.toLowerCase()));
}

type OptionalFact =
  'reply_terms' | 'tool_terms' | 'arg_entities' | 'arg_destinations' | 'grounding' | 'handoff_text' | 'handoff_input' | 'warrant' | 'arg_leaves' | 'candidates';

/**
 * Puts the stand-in of each skipped fact (ContentContext.skip) where the mapping would have computed it — the same
 * places whether the facts were computed here (raw spans) or arrive decoded from a SpanProcessor. A missing warrant
 * would read as "the user said nothing", so it becomes an empty set under the run key marked truncated (a rule enabled
 * later reads "not visible" and fails open); missing argument leaves or candidate records only mean "no anchor", so
 * they are simply left out.
 */
export function markSkippedFacts(facts: ContentFacts, ctx: Pick<ContentContext, 'category' | 'isRoot' | 'skip'>, keyId: string): void {
  const skip = ctx.skip;
  if (skip === undefined || skip.size === 0) return;
  if (skip.has('warrant')) {
    if (ctx.category === 'llm' || ctx.isRoot) facts.warrant = { key: keyId, digests: [], truncated: true };
    else delete facts.warrant;
  }
  if (skip.has('arg_leaves')) delete facts.arg_leaves;
  if (skip.has('candidates')) delete facts.candidates;
}

/** The content-aware facts are set only when they exist (absent, not null: the codec decodes them that way). */
function setFact<K extends OptionalFact>(facts: ContentFacts, key: K, value: ContentFacts[K]): void {
  if (value !== null && value !== undefined) facts[key] = value;
}

/** Finish reasons and requested tool calls from output messages (names kept, arguments hashed). */
function readReply(messages: Msg[], facts: ContentFacts, digest: (t: string) => string): void {
  let reasons: string[] | null = null;
  for (const m of messages) {
    if (m.finish !== null && m.finish.length > 0) (reasons ??= []).push(normalizeFinishReason(m.finish));
    if (m.toolCalls === null) continue;
    for (const tc of m.toolCalls) {
      if (tc.name === null || tc.name.length === 0) continue;
      facts.tool_calls.push({ name: tc.name, args_hash: tc.args === null ? null : digest(tc.args) });
    }
  }
  facts.finish_reasons = reasons;
}

/** `gen_ai.system_instructions`, else the system/developer-role messages of the prompt. */
function systemText(a: Attributes, messages: Msg[] | null): string | null {
  const v = a['gen_ai.system_instructions'];
  if (v !== undefined && v !== null) {
    const m = parseMessageList(v, true);
    if (m !== null) {
      if (m.raw !== undefined) return m.raw;
      // system_instructions is an array of parts, i.e. one message's parts: join them without separators.
      let t = '';
      for (const msg of m.messages) t += msg.text;
      return t;
    }
  }
  return messages === null ? null : joinText(messages, isSystem);
}
