// What must be undone if the run is interrupted (Ctrl-C): API processes to stop, the bench database
// to drop. Normal runs undo these in their own `finally` blocks and unregister them.
type Cleanup = () => Promise<void>;

const pending = new Set<Cleanup>();

/** Registers `cleanup` until the returned function is called. */
export function untilDone(cleanup: Cleanup): () => void {
  pending.add(cleanup);
  return () => pending.delete(cleanup);
}

/** Runs every registered cleanup, latest first (processes stop before their database is dropped). */
export async function cleanUpAll(): Promise<void> {
  for (const cleanup of [...pending].reverse()) {
    pending.delete(cleanup);
    await cleanup().catch((error: unknown) => console.error('cleanup failed:', error));
  }
}

/** `run` at most once; later calls get the first call's promise (a cleanup and a `finally` may race). */
export function runOnce(run: Cleanup): Cleanup {
  let started: Promise<void> | undefined;
  return () => {
    started ??= run();
    return started;
  };
}
