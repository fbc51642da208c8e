/** Names and liveness checks shared by the test run's scratch directories (global-setup.ts, pglite-template.ts). */

/** `<root>/dunetrace-test-<pid>-XXXXXX`: one per vitest run, removed at its end. */
export const RUN_PREFIX = 'dunetrace-test-';
/** `<root>/dunetrace-pglite-template-<content key>`: reused across runs while unchanged. */
export const TEMPLATE_PREFIX = 'dunetrace-pglite-template-';

/** Whether a process still runs (its scratch directory, lock or build is then in use). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
