import { eq } from 'drizzle-orm';
import { idpVendorNames } from '../contract/diagnosis.js';
import type { ConnectionView, IdpConfigSubmission } from '../contract/onboarding.js';
import { ssoConnections } from '../db/schema.js';
import { recordAuditEvent } from '../domain/audit.js';
import { findConnectionRecord, spEndpoints, upsertConnection } from '../domain/connections.js';
import { connectionStatusFor, domainStatuses } from '../domain/domainClaims.js';
import { type IdpConfigValidation, type ValidIdpConfig, validateIdpConfig } from '../domain/idpConfig/index.js';
import { detectVendor, setupGuide } from '../domain/idpVendors.js';
import { attachConnection } from '../domain/onboardings.js';
import { currentSetupLink } from '../domain/setupLinks.js';
import { ensureCertificateLifecycle } from './certificates.js';
import type { ActivityDeps } from './deps.js';

/** Intake of the IdP's side of the connection, and the SP details mailed back. */
export function connectionActivities({ database, mailer, clock, config, approvalSecret }: ActivityDeps) {
  const { db } = database;
  const connectionView = (id: string, status: string): ConnectionView => {
    const sp = spEndpoints(config.publicBaseUrl, id);
    return { id, spEntityId: sp.entityId, acsUrl: sp.acsUrl, metadataUrl: sp.metadataUrl, status };
  };
  return {
    /** Every problem at once; bad input is an answer here (the update reports it), not a failure. */
    async validateIdpConfig(submission: IdpConfigSubmission): Promise<IdpConfigValidation> {
      return await validateIdpConfig(submission, { allowPrivateAddresses: config.allowPrivateIdpUrls, now: clock.now() });
    },

    async saveConnection(input: {
      onboardingId: string;
      customerName: string;
      emailDomains: string[];
      config: ValidIdpConfig;
    }): Promise<ConnectionView> {
      const connection = await upsertConnection(db, {
        onboardingId: input.onboardingId,
        customerName: input.customerName,
        idpEntityId: input.config.entityId,
        ssoUrl: input.config.ssoUrl,
        ssoBinding: input.config.ssoBinding,
        logoutRedirectUrl: input.config.logoutRedirectUrl,
        emailAttribute: input.config.emailAttribute,
        emailDomains: input.emailDomains,
        certificates: input.config.certificates,
        idpMetadataUrl: input.config.metadataUrl ?? null,
        // Draft until every domain's ownership is verified (domain/domainClaims.ts); then it goes active.
        status: await connectionStatusFor(db, input.onboardingId),
      });
      await attachConnection(db, input.onboardingId, connection.id);
      // From now on the connection's certificates are watched (it waits while the connection is a draft).
      await ensureCertificateLifecycle(connection.id);
      await recordAuditEvent(db, {
        type: 'connection.saved',
        onboardingId: input.onboardingId,
        connectionId: connection.id,
        actor: 'onboarding',
      });
      return connectionView(connection.id, connection.status);
    },

    /**
     * The first mail to the customer administrator (issue #14): the SP details of the connection made at the
     * start and the setup link, so they can create the application in their IdP before it has metadata.
     * Idempotent by its key; an onboarding without such a connection (started before it existed) sends none.
     */
    async sendSetupInvitation(input: { onboardingId: string; customerName: string; recipient: string }): Promise<boolean> {
      const [row] = await db
        .select({ id: ssoConnections.id })
        .from(ssoConnections)
        .where(eq(ssoConnections.onboardingId, input.onboardingId));
      if (!row) return false;
      const link = await currentSetupLink(db, input.onboardingId, {
        secret: approvalSecret,
        publicBaseUrl: config.publicBaseUrl,
        now: clock.now(),
      });
      const sp = spEndpoints(config.publicBaseUrl, row.id);
      await mailer.send({
        idempotencyKey: `setup_invitation:${input.onboardingId}:${row.id}:${input.recipient}`,
        onboardingId: input.onboardingId,
        recipient: input.recipient,
        message: {
          kind: 'sp_details',
          customerName: input.customerName,
          spEntityId: sp.entityId,
          acsUrl: sp.acsUrl,
          metadataUrl: sp.metadataUrl,
          setupUrl: link?.url,
          invitation: true,
        },
      });
      return true;
    },

    async sendSpDetails(input: { onboardingId: string; customerName: string; recipient: string; connection: ConnectionView }) {
      const link = await currentSetupLink(db, input.onboardingId, {
        secret: approvalSecret,
        publicBaseUrl: config.publicBaseUrl,
        now: clock.now(),
      });
      // The IdP is known now: the steps in its own console, with this connection's values.
      const record = await findConnectionRecord(db, input.connection.id);
      const vendor = record?.idpEntityId ? detectVendor({ entityId: record.idpEntityId, ssoUrl: record.ssoUrl }) : 'other';
      const sp = { entityId: input.connection.spEntityId, acsUrl: input.connection.acsUrl, metadataUrl: input.connection.metadataUrl };
      const guide =
        vendor === 'other'
          ? undefined
          : {
              idpName: idpVendorNames[vendor],
              steps: setupGuide(vendor, sp).steps.map((step) =>
                [step.title, ...step.fields.map((f) => `${f.label}: ${f.value}`)].join('; '),
              ),
            };
      await mailer.send({
        idempotencyKey: `sp_details:${input.onboardingId}:${input.connection.id}:${input.recipient}`,
        onboardingId: input.onboardingId,
        recipient: input.recipient,
        message: {
          kind: 'sp_details',
          customerName: input.customerName,
          spEntityId: input.connection.spEntityId,
          acsUrl: input.connection.acsUrl,
          metadataUrl: input.connection.metadataUrl,
          setupUrl: link?.url,
          guide,
          domainRecords: (await domainStatuses(db, approvalSecret, input.onboardingId))
            .filter((d) => !d.verified)
            .map((d) => ({ domain: d.domain, name: d.record.name, value: d.record.value })),
        },
      });
    },
  };
}
