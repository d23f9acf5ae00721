import { sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { accounts } from '../db/schema.js';
import { createAccount, createUser } from '../domain/directory.js';

export const demoPassword = 'demo-password-1';
export const demoUsers = ['alice@acme.test', 'bob@acme.test', 'carol@acme.test', 'dave@contractor.test'];

/** Seeds one account and a few users with passwords, once: a database that has accounts is left alone. */
export async function seedDemoData(db: Db): Promise<boolean> {
  const [row] = await db.select({ count: sql<number>`count(*)::int` }).from(accounts);
  if ((row?.count ?? 0) > 0) return false;
  const { sid } = await createAccount(db, { name: 'Acme Corp' });
  for (const email of demoUsers) await createUser(db, { email, password: demoPassword, accountSids: [sid] });
  return true;
}
