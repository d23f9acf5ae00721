import { randomBytes } from 'node:crypto';
import { eq } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { serviceSecrets } from '../db/schema.js';

/**
 * The approval-link secret: APPROVAL_LINK_SECRET when set (recommended: then a copy of the database
 * alone cannot forge or recover links), else one made once and kept in the database, so API and worker
 * instances agree without extra configuration.
 */
export async function approvalLinkSecret(db: Db, fromEnv: string | undefined): Promise<string> {
  if (fromEnv) return fromEnv;
  await db
    .insert(serviceSecrets)
    .values({ name: 'approval_links', value: randomBytes(32).toString('base64url') })
    .onConflictDoNothing();
  const [row] = await db.select().from(serviceSecrets).where(eq(serviceSecrets.name, 'approval_links'));
  if (!row) throw new Error('approval link secret missing after insert');
  return row.value;
}
