import { fileURLToPath } from 'node:url';
import { type NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import type { OnboardingActivities } from '../activities/index.js';
import type { Config } from '../lib/config.js';
import { dataErrorsAreFinal } from './dataErrors.js';

export const workflowsPath = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));

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
