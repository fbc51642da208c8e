import { parseArgs } from 'node:util';
import { loadConfig, ConfigError, type ReceiverConfig } from '../receiver/config.js';
import { readAdminHandle } from '../receiver/admin.js';
import { alertsCommand } from './alerts.js';
import { CliError, DEFAULT_ENDPOINT } from './http.js';
import { runsCommand } from './runs.js';

const HELP = `dunetrace — catch AI agents failing in production, from their OpenTelemetry traces

Usage:
  dunetrace receiver                       start the OTLP/HTTP receiver (HOST, PORT, DATABASE_URL, … from the environment)
  dunetrace keys create --customer-id C [--agent-id A]
                                           create an API key (printed once; only its SHA-256 is stored)
  dunetrace keys revoke KEY                revoke a key (refused by receivers within 5 s)
  dunetrace keys list                      list keys (prefixes only, no secrets)

  dunetrace alerts [--agent A] [--severity S] [--since 1h] [--type T] [--include-shadow] [--limit N] [--offset N]
                                           failure signals, newest first (--severity is a minimum: HIGH = HIGH + CRITICAL;
                                           --since: ISO-8601 time or 30m, 1h, 7d; --type: TOOL_LOOP,RETRY_STORM)
  dunetrace alerts --follow [filters]      stream new signals as they are detected (with --since: stored ones first)
  dunetrace runs list [--agent A] [--status S] [--has-signals | --no-signals] [--limit N] [--offset N]
                                           runs, newest first (status: open, completed, errored, stalled)
  dunetrace runs show RUN_ID               a run: header, step timeline (type, name/model, latency, tokens, ✓/✗),
                                           each signal with its explanation and suggested fixes

Options of alerts and runs:
  --json              one JSON document (the API's); alerts --follow --json prints one signal per line (NDJSON)
  --endpoint URL      the receiver; DUNETRACE_ENDPOINT, default ${DEFAULT_ENDPOINT}
  --api-key KEY       DUNETRACE_API_KEY; without one the CLI sends a dev key (accepted only in AUTH_MODE=dev)
  Tables are coloured on a terminal only; NO_COLOR=1 turns colour off, FORCE_COLOR=1 on.
  Exit codes: 0 ok, 1 error, 2 bad usage, 3 receiver unreachable, 4 API key refused.

Environment: see README.md ("Configuration").`;

export async function main(argv: string[]): Promise<number> {
  const [command, sub, ...rest] = argv;
  try {
    switch (command) {
      case 'receiver':
        return await receiverCommand();
      case 'keys':
        return await keysCommand(sub, rest);
      case 'alerts':
        return await alertsCommand(argv.slice(1));
      case 'runs':
        return await runsCommand(sub, rest);
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        console.log(HELP);
        return 0;
      default:
        console.error(`dunetrace: unknown command "${command}"\n\n${HELP}`);
        return 2;
    }
  } catch (err) {
    if (err instanceof CliError) {
      console.error(`dunetrace: ${err.message}`);
      return err.exitCode;
    }
    if ((err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      console.error(`dunetrace: ${(err as Error).message}`);
      return 2;
    }
    if (err instanceof ConfigError || err instanceof UsageError || (err instanceof Error && err.name === 'DetectorConfigError')) {
      console.error(`dunetrace: ${err.message}`);
      return 2;
    }
    console.error(`dunetrace: ${(err as Error).message}`);
    return 1;
  }
}

class UsageError extends Error {}

async function receiverCommand(): Promise<number> {
  const config = loadConfig();
  const { runReceiver } = await import('../receiver/server.js');
  await runReceiver(config); // detectors (detectors.yml) and alert channels come from the config
  return await new Promise<number>(() => {}); // runs until a signal ends the process
}

async function keysCommand(sub: string | undefined, args: string[]): Promise<number> {
  const config = loadConfig();
  const admin = await adminClient(config);
  switch (sub) {
    case 'create': {
      const { values } = parseArgs({ args, options: { 'customer-id': { type: 'string' }, 'agent-id': { type: 'string' } }, strict: true });
      const customerId = values['customer-id'];
      if (!customerId) throw new UsageError('keys create needs --customer-id C (and usually --agent-id A)');
      const created = admin
        ? await admin('POST', '/admin/keys', { customer_id: customerId, agent_id: values['agent-id'] ?? null })
        : await withStorage(config, async (storage) => {
            const { createKey } = await import('../receiver/admin.js');
            return createKey({ storage }, customerId, values['agent-id'] ?? null);
          });
      const c = created as { key: string; customer_id: string; agent_id: string | null };
      console.log(c.key);
      console.error(`created for customer ${c.customer_id}${c.agent_id ? `, agent ${c.agent_id}` : ''}. This is the only time the key is shown.`);
      return 0;
    }
    case 'revoke': {
      const [key] = args;
      if (!key) throw new UsageError('keys revoke needs the key: dunetrace keys revoke dt_live_…');
      const { hashApiKey } = await import('../receiver/keys.js');
      const ok = admin
        ? await admin('POST', '/admin/keys/revoke', { key }).then(
            () => true,
            (e: Error) => (e.message.includes('404') ? false : Promise.reject(e)),
          )
        : await withStorage(config, (s) => s.revokeApiKey(hashApiKey(key)));
      if (!ok) {
        console.error('dunetrace: no such key');
        return 1;
      }
      console.error('revoked; receivers refuse it within 5 s.');
      return 0;
    }
    case 'list': {
      const rows = admin ? ((await admin('GET', '/admin/keys')) as { keys: KeyRow[] }).keys : await withStorage(config, (s) => s.listApiKeys());
      printTable(
        ['PREFIX', 'CUSTOMER', 'AGENT', 'ACTIVE', 'CREATED'],
        rows.map((r) => [`${r.key_prefix}…`, r.customer_id, r.agent_id ?? '-', r.active ? 'yes' : 'revoked', new Date(r.created_at).toISOString()]),
      );
      return 0;
    }
    default:
      throw new UsageError(`keys needs a subcommand: create, revoke or list`);
  }
}

interface KeyRow {
  key_prefix: string;
  customer_id: string;
  agent_id: string | null;
  active: boolean;
  created_at: string | Date;
}

type AdminCall = (method: string, path: string, body?: unknown) => Promise<unknown>;

/** When a receiver owns the embedded database, key commands go through it (PGlite is single-process). */
async function adminClient(config: ReceiverConfig): Promise<AdminCall | null> {
  if (config.databaseUrl) return null;
  const handle = await readAdminHandle(config.dataDir);
  if (!handle) return null;
  return async (method, path, body) => {
    const res = await fetch(handle.url + path, {
      method,
      headers: { 'x-dunetrace-admin-token': handle.token, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    if (!res.ok) throw new Error(`receiver answered ${res.status}: ${await res.text()}`);
    return res.json();
  };
}

async function withStorage<T>(config: ReceiverConfig, fn: (s: import('../storage/types.js').Storage) => Promise<T>): Promise<T> {
  const { openStorage } = await import('../storage/index.js');
  const storage = await openStorage({ databaseUrl: config.databaseUrl ?? undefined, schema: config.databaseSchema ?? undefined, dataDir: config.dataDir });
  try {
    await storage.migrate();
    return await fn(storage);
  } finally {
    await storage.close();
  }
}

function printTable(head: string[], rows: string[][]): void {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  console.log(line(head));
  for (const r of rows) console.log(line(r));
  if (!rows.length) console.error('(no keys)');
}
