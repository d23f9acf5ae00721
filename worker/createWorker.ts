import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import type { OnboardingActivities } from '../activities/index.js';
import type { Config } from '../lib/config.js';
import { dataErrorsAreFinal } from './dataErrors.js';

// The worker bundles the workflows with webpack from this path. Run from sources (tsx, vitest) this module is
// createWorker.ts beside workflows/index.ts; compiled (npm run build) it is dist/worker/createWorker.js beside
// dist/workflows/index.js. Its own extension says which, so the bundle is made from the same build as the worker.
export const workflowsPath = fileURLToPath(new URL(`../workflows/index${extname(fileURLToPath(import.meta.url))}`, import.meta.url));

export interface OnboardingWorkerDeps {
  connection: NativeConnection;
  config: Pick<Config, 'temporal'>;
  activities: OnboardingActivities;
  /** Tests bundle the workflows once per run and pass the bundle to each worker. */
  workflowBundle?: WorkerOptions['workflowBundle'];
}

export function createOnboardingWorker({ connection, config, activities, workflowBundle }: OnboardingWorkerDeps): Promise<Worker> {
  return Worker.create({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    activities,
    interceptors: { activity: [dataErrorsAreFinal] },
    // Heartbeats carry cancellation to a running rollout; sending them often makes a cancel prompt.
    maxHeartbeatThrottleInterval: '2 seconds',
    ...(workflowBundle ? { workflowBundle } : { workflowsPath }),
  });
}
