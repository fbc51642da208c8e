import { watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { DetectorConfigError, defaultDetectorConfig, parseDetectorConfig, type DetectorConfig } from '../detectors/index.js';
import type { DetectorConfigSource } from '../pipeline/index.js';

/**
 * detectors.yml on disk: the receiver reads it (the detectors themselves do no I/O) and swaps the configuration in
 * force when the file changes or on SIGHUP.
 */

/** Reads and validates a detectors.yml. A missing file gives the defaults (source.kind 'defaults'). */
export async function loadDetectorConfig(file: string): Promise<DetectorConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException)?.code;
    if (code === 'ENOENT') return defaultDetectorConfig({ path: file, reason: 'file not found' });
    throw new DetectorConfigError([{ file, line: 0, path: '', message: `cannot read file (${code ?? 'unknown error'})` }]);
  }
  return parseDetectorConfig(text, file);
}

/**
 * Reloads detectors.yml on SIGHUP and when the file changes (watching its directory, so editors that replace the
 * file are seen). A bad file keeps the running configuration and logs why. Returns a function that stops watching.
 */
export function watchDetectorConfig(
  file: string,
  settings: DetectorConfigSource,
  log: { info(o: object, m: string): void; error(o: object, m: string): void },
): () => void {
  let timer: NodeJS.Timeout | null = null;
  const reload = (reason: string) => {
    loadDetectorConfig(file).then(
      (next) => {
        settings.current = next;
        log.info({ file, reason, source: next.source.kind }, 'detector configuration reloaded');
      },
      (err: Error) => {
        log.error({ file, reason }, `detector configuration NOT reloaded, keeping the previous one: ${err.message}`);
      },
    );
  };
  const onHup = () => reload('SIGHUP');
  process.on('SIGHUP', onHup);
  let watcher: FSWatcher | null = null;
  try {
    const base = path.basename(file);
    watcher = watch(path.dirname(path.resolve(file)), (_event, name) => {
      if (name !== base) return;
      if (timer) clearTimeout(timer);
      timer = setTimeout(() => reload('file changed'), 100); // editors write in several steps
      timer.unref();
    });
    watcher.unref();
  } catch {
    // No watchable directory (e.g. it does not exist): SIGHUP still works.
  }
  return () => {
    process.off('SIGHUP', onHup);
    watcher?.close();
    if (timer) clearTimeout(timer);
  };
}
