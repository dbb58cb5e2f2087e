// Watches a project's entity folder and reports the re-read definitions after each burst of changes.
// Editors write files in several steps, so changes are debounced before reading.

import { existsSync, watch, FSWatcher } from 'node:fs';
import { readEntities } from './load.js';

export type EntitiesListener = (result: Awaited<ReturnType<typeof readEntities>>) => Promise<void> | void;

export function watchEntities(
  entitiesDir: string,
  onChange: EntitiesListener,
  onError: (error: unknown) => void,
  debounceMs = 150,
): () => void {
  if (!existsSync(entitiesDir)) return () => {};
  let timer: NodeJS.Timeout | undefined;
  let running = Promise.resolve();
  const watcher: FSWatcher = watch(entitiesDir, () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      // Reloads run one after another, so a slow reload is never overtaken by an older one.
      running = running.then(async () => onChange(await readEntities(entitiesDir))).catch(onError);
    }, debounceMs);
  });
  return () => {
    clearTimeout(timer);
    watcher.close();
  };
}
