import { readFileSync } from 'node:fs';
import { NativeConnection } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createActivities } from '../../activities/index.js';
import { certificateWorkflowIdFor } from '../../contract/certificates.js';
import { startCertificateLifecycle } from '../../domain/certificateLifecycleStart.js';
import { upsertConnection } from '../../domain/connections.js';
import { createMailer } from '../../domain/mail/outbox.js';
import { createLogger } from '../../lib/logger.js';
import { createOnboardingWorker } from '../../worker/createWorker.js';
import { testCertificate } from '../support/certs.js';
import { approvalSecret, connectTemporal, testConfig, testDatabase } from '../support/deps.js';
import { pollUntil } from '../support/poll.js';
import { type SmtpSink, startSmtpSink } from '../support/smtp.js';

// The SSRF guard as production runs it (ALLOW_PRIVATE_IDP_URLS off): a metadata URL that now points at
// the cloud metadata endpoint, as a host that passed the guard at intake may later resolve there.
const supportEmail = 'support@guard.test';
const database = testDatabase();
let smtp: SmtpSink;
let stop: () => Promise<void>;
let config: ReturnType<typeof testConfig>;

beforeAll(async () => {
  smtp = await startSmtpSink();
  config = testConfig({ SMTP_URL: smtp.url, CERT_REFRESH_INTERVAL: 'PT1S', SUPPORT_EMAIL: supportEmail });
  const logger = createLogger(config, 'test-worker');
  const clock = { now: () => new Date() };
  const mailer = createMailer({ database, config, logger, clock });
  const connection = await NativeConnection.connect({ address: config.temporal.address });
  const worker = await createOnboardingWorker({
    connection,
    config,
    activities: createActivities({ database, mailer, clock, config, logger, approvalSecret }),
    workflowBundle: { code: readFileSync(inject('workflowBundlePath'), 'utf8') },
  });
  const running = worker.run();
  stop = async () => {
    worker.shutdown();
    await running;
    await connection.close();
    await mailer.close();
    await smtp.close();
  };
});

afterAll(async () => {
  await stop?.();
  await database.close();
});

describe('the metadata refresh behind the SSRF guard', () => {
  it('refuses a metadata URL that points at a forbidden address: audited, mailed to support once, and the lifecycle goes on', async () => {
    const cert = await testCertificate({});
    const saved = await upsertConnection(database.db, {
      customerName: 'Guarded Customer',
      idpEntityId: `https://idp.guard.test/${Math.random()}`,
      ssoUrl: 'https://idp.guard.test/sso',
      ssoBinding: 'redirect',
      emailDomains: [`guard-${Math.random().toString(36).slice(2, 8)}.test`],
      certificates: [cert.pem],
      idpMetadataUrl: 'http://169.254.169.254/latest/meta-data/',
    });
    const temporal = await connectTemporal(config.temporal);
    try {
      await startCertificateLifecycle(temporal.client, config.temporal.taskQueue, { connectionId: saved.id });
      // Starting it again finds the one running.
      await startCertificateLifecycle(temporal.client, config.temporal.taskQueue, { connectionId: saved.id });

      const mail = await smtp.waitFor(
        (m) => m.to.includes(supportEmail) && m.subject === 'Could not read the IdP metadata of Guarded Customer',
        30_000,
      );
      expect(mail.text).toContain('169.254.169.254, which is not a public address');
      const audits = () =>
        database.sql<{ actor: string; detail: { code: string } }[]>`
          select actor, detail from audit_events where connection_id = ${saved.id} and type = 'connection.metadata_refresh_failed'`;
      expect(await audits()).toEqual([
        { actor: 'system:metadata-refresh', detail: expect.objectContaining({ code: 'metadata_url_private_address' }) },
      ]);

      // Later rounds fail the same way: recorded, not audited or mailed again, and the workflow keeps running.
      const firstFailure = new Date();
      await pollUntil(
        'three more rounds',
        async () => {
          const [row] = await database.sql<
            { checked_at: Date | string }[]
          >`select checked_at from metadata_refreshes where connection_id = ${saved.id}`;
          if (row && new Date(row.checked_at).getTime() > firstFailure.getTime() + 3_000) return true;
          throw new Error('not yet');
        },
        { timeoutMs: 20_000, intervalMs: 250 },
      );
      expect(await audits()).toHaveLength(1);
      expect(smtp.messages.filter((m) => m.to.includes(supportEmail))).toHaveLength(1);
      const handle = temporal.client.workflow.getHandle(certificateWorkflowIdFor(saved.id));
      expect((await handle.describe()).status.name).toBe('RUNNING');
      const connection = await database.sql<
        { state: string }[]
      >`select state from connection_certificates where connection_id = ${saved.id}`;
      expect(connection).toEqual([{ state: 'current' }]);
      await handle.terminate('test over');
    } finally {
      await temporal.close();
    }
  });
});
