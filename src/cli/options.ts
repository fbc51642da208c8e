import { parseArgs, type ParseArgsConfig } from 'node:util';
import { CliError, EXIT } from './http.js';

/** Options every client command takes (alerts, runs). */
export const CLIENT_OPTIONS = {
  endpoint: { type: 'string' },
  'api-key': { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsConfig['options'];

/** node:util parseArgs, strict, with its errors turned into usage errors (exit 2) that name the bad option. */
type Parsed<O extends NonNullable<ParseArgsConfig['options']>> = ReturnType<
  typeof parseArgs<{ args: string[]; options: O; strict: true; allowPositionals: boolean }>
>;

export function parseFlags<O extends NonNullable<ParseArgsConfig['options']>>(args: string[], options: O, positionals: number): Parsed<O> {
  let parsed: Parsed<O>;
  try {
    parsed = parseArgs({ args, options, strict: true, allowPositionals: positionals > 0 });
  } catch (err) {
    throw new CliError((err as Error).message.replace(/\. To specify a positional argument.*$/s, ''), EXIT.usage);
  }
  if (parsed.positionals.length > positionals) {
    throw new CliError(`unexpected argument ${JSON.stringify(parsed.positionals[positionals])}`, EXIT.usage);
  }
  return parsed;
}

/** A non-negative integer flag, or undefined; anything else is a usage error naming the flag. */
export function intFlag(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  if (!/^\d{1,9}$/.test(raw)) throw new CliError(`invalid --${name} ${JSON.stringify(raw)}: expected a whole number`, EXIT.usage);
  return Number(raw);
}
