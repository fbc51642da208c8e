/**
 * `npm run example -- <name>`: one runnable, offline example per way in (default: traceloop). Each starts an
 * embedded receiver and a local model stub, runs an agent that loops on a tool, and prints the run and its TOOL_LOOP.
 */
const EXAMPLES: Record<string, string> = {
  traceloop: './traceloop-agent.js', // OpenLLMetry + DunetraceSpanProcessor
  sdk: './sdk-agent.js', // the Dunetrace SDK: dt.run, dt.wrapOpenAI, dt.tool
  decorator: './decorator-agent.js', // @dt.agent on a class method
  express: './middleware-agent.js',
  fastify: './middleware-agent.js',
  hono: './middleware-agent.js',
  fetch: './middleware-agent.js', // withRun around a (req) => Response handler (Next.js route handlers)
  langchain: './langchain-agent.js', // DunetraceCallbackHandler on a LangGraph ReAct agent
};

const name = process.argv[2] ?? 'traceloop';
const file = EXAMPLES[name];
if (file === undefined) {
  console.error(`unknown example "${name}"; one of: ${Object.keys(EXAMPLES).join(', ')}`);
  process.exit(2);
}
await import(file);
