// What a test file starts once for all its tests (the API, an IdP, the onboarding environment), written as
// one call at module scope instead of a `let`, a beforeAll and an afterAll in every file.
import { afterAll, beforeAll } from 'vitest';

/**
 * Starts `start()` in a beforeAll and `stop()`s it in an afterAll of the calling file (or describe block).
 * What it returns stands for the started value from the first test on: every property read goes to it
 * (a read before the beforeAll has run, or after the afterAll, throws and says so).
 *
 * Hooks run in the order they are declared and afterAll hooks in reverse, so the file's own afterAll,
 * declared below, still sees the value, and what was started first is stopped last.
 */
export function startedForFile<T extends object>(what: string, start: () => Promise<T>, stop: (value: T) => Promise<void>): T {
  let current: T | undefined;
  beforeAll(async () => {
    current = await start();
  });
  afterAll(async () => {
    const value = current;
    current = undefined;
    if (value) await stop(value);
  });
  return new Proxy({} as T, {
    get(_, key) {
      // Not a promise: `await` and vitest's printing ask for `then` and symbols of anything they are given.
      if (key === 'then' || typeof key === 'symbol') return current ? Reflect.get(current, key) : undefined;
      if (!current) throw new Error(`${what} is read outside the tests: it is started in beforeAll and stopped in afterAll`);
      return Reflect.get(current, key);
    },
    has: (_, key) => current !== undefined && Reflect.has(current, key),
  });
}
