import { parseArgs } from 'node:util';
import { readAdminHandle } from '../receiver/admin-handle.js';
import { loadConfig, ConfigError } from '../receiver/config.js';
import { alertsCommand } from './alerts.js';
import { doctorCommand } from './doctor.js';
import { detectorsCommand } from './detectors.js';
import { CliError, DEFAULT_ENDPOINT, EXIT } from './http.js';
import { pruneCommand } from './prune.js';
import { runsCommand } from './runs.js';

const HELP = `dunetrace — catch AI agents failing in production, from their OpenTelemetry traces

Usage:
  dunetrace receiver                       start the OTLP/HTTP receiver (HOST, PORT, DATABASE_URL, … from the environment)
  dunetrace keys create --customer-id C [--agent-id A]
                                           create an API key (printed once; only its SHA-256 is stored)
  dunetrace keys revoke KEY                revoke a key (refused by receivers within 5 s)
  dunetrace keys list                      list keys (prefixes only, no secrets)
  dunetrace prune [--dry-run] [--json]     drop the time partitions past DUNETRACE_RETENTION now (the receiver also
                                           does it on a schedule); --dry-run only shows what would go

  dunetrace alerts [--agent A] [--severity S] [--since 1h] [--type T] [--include-shadow] [--limit N] [--offset N]
                                           failure signals, newest first (--severity is a minimum: HIGH = HIGH + CRITICAL;
                                           --since: ISO-8601 time or 30m, 1h, 7d; --type: TOOL_LOOP,RETRY_STORM)
  dunetrace alerts --follow [filters]      stream new signals as they are detected (with --since: stored ones first)
  dunetrace runs list [--agent A] [--status S] [--has-signals | --no-signals] [--limit N] [--offset N]
                                           runs, newest first (status: open, completed, errored, stalled)
  dunetrace runs show RUN_ID               a run: header, step timeline (type, name/model, latency, tokens, ✓/✗),
                                           each signal with its explanation and suggested fixes
  dunetrace doctor [--agent A]             what the receiver accepted but did not understand (unrecognised spans by
                                           name and scope, LLM calls without tokens, unnamed tools, broken parent
                                           links) and what to change; exit 5 when something is not understood
  dunetrace detectors [--agent A]          every detector: live/shadow/disabled as detectors.yml sets it now,
                                           severities, in-flight or not, content facts it reads

Options of alerts, runs, doctor and detectors:
  --json              one JSON document (the API's); alerts --follow --json prints one signal per line (NDJSON)
  --endpoint URL      the receiver; DUNETRACE_ENDPOINT, default ${DEFAULT_ENDPOINT}
  --api-key KEY       DUNETRACE_API_KEY; without one the CLI sends a dev key (accepted only in AUTH_MODE=dev)
  Tables are coloured on a terminal only; NO_COLOR=1 turns colour off, FORCE_COLOR=1 on.
  Exit codes: 0 ok, 1 error, 2 bad usage, 3 receiver unreachable, 4 API key refused, 5 (doctor) not understood.

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
      case 'doctor':
        return await doctorCommand(argv.slice(1));
      case 'detectors':
        return await detectorsCommand(argv.slice(1));
      case 'prune':
        return await pruneCommand(argv.slice(1), adminClient);
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
  switch (sub) {
    case 'create': {
      const { values } = parseArgs({ args, options: { 'customer-id': { type: 'string' }, 'agent-id': { type: 'string' } }, strict: true });
      const customerId = values['customer-id'];
      if (!customerId) throw new UsageError('keys create needs --customer-id C (and usually --agent-id A)');
      const admin = await adminClient();
      const c = (await admin('POST', '/admin/keys', { customer_id: customerId, agent_id: values['agent-id'] ?? null })) as {
        key: string;
        customer_id: string;
        agent_id: string | null;
      };
      console.log(c.key);
      console.error(`created for customer ${c.customer_id}${c.agent_id ? `, agent ${c.agent_id}` : ''}. This is the only time the key is shown.`);
      return 0;
    }
    case 'revoke': {
      const [key] = args;
      if (!key) throw new UsageError('keys revoke needs the key: dunetrace keys revoke dt_live_…');
      const admin = await adminClient();
      const ok = await admin('POST', '/admin/keys/revoke', { key }).then(
        () => true,
        (e: Error) => (e instanceof CliError && e.status === 404 ? false : Promise.reject(e)),
      );
      if (!ok) {
        console.error('dunetrace: no such key');
        return 1;
      }
      console.error('revoked; receivers refuse it within 5 s.');
      return 0;
    }
    case 'list': {
      const admin = await adminClient();
      const rows = ((await admin('GET', '/admin/keys')) as { keys: KeyRow[] }).keys;
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

export type AdminCall = (method: string, path: string, body?: unknown) => Promise<unknown>;

/**
 * Key commands go to the receiver running on this machine (found through the handle it writes in its data dir), over
 * its loopback-only admin routes: the CLI never opens the database itself.
 */
async function adminClient(): Promise<AdminCall> {
  const config = loadConfig();
  const handle = await readAdminHandle(config.dataDir);
  if (!handle) {
    throw new CliError(
      `no receiver is running with DUNETRACE_DATA_DIR=${config.dataDir} (no live ${config.dataDir}/receiver.json): start it with \`npm start\` (or \`dunetrace receiver\`) with the same settings, then retry`,
      EXIT.unreachable,
    );
  }
  return async (method, path, body) => {
    const res = await fetch(handle.url + path, {
      method,
      headers: { 'x-dunetrace-admin-token': handle.token, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    }).catch((err: Error) => {
      throw new CliError(`the receiver at ${handle.url} did not answer (${err.message})`, EXIT.unreachable);
    });
    if (!res.ok) throw new CliError(`receiver answered ${res.status}: ${await res.text()}`, EXIT.error, res.status);
    return res.json();
  };
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
