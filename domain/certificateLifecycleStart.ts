// Starting the certificate lifecycle of a connection: idempotent (a fixed workflow ID per connection,
// and an existing run is kept), so every place that may need one simply asks for it.

import type { Client } from '@temporalio/client';
import { WorkflowIdConflictPolicy } from '@temporalio/common';
import { type CertificateLifecycleInput, certificateWorkflowIdFor, certificateWorkflowType } from '../contract/certificates.js';
import type { Db } from '../db/client.js';
import { ssoConnections } from '../db/schema.js';

export async function startCertificateLifecycle(client: Client, taskQueue: string, input: CertificateLifecycleInput): Promise<void> {
  await client.workflow.start(certificateWorkflowType, {
    taskQueue,
    workflowId: certificateWorkflowIdFor(input.connectionId),
    args: [input],
    workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
  });
}

/** For every connection on file (the worker asks at start): those from before the lifecycle existed get one too. */
export async function startCertificateLifecycles(client: Client, db: Db, taskQueue: string): Promise<number> {
  const rows = await db.select({ id: ssoConnections.id }).from(ssoConnections);
  for (const { id } of rows) await startCertificateLifecycle(client, taskQueue, { connectionId: id });
  return rows.length;
}
