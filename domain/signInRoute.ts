import type { Db } from '../db/client.js';
import { findConnectionForEmail } from './connections.js';
import { findUserByEmail } from './directory.js';

export type SignInRoute = { kind: 'sso'; connectionId: string } | { kind: 'password' };

/**
 * Email-first sign-in: the address goes to its IdP when its domain has an active connection and the user
 * may use SSO with it; everyone else, known or not, gets the same password step, so the answer tells no more
 * about an address than discovery by domain does, except that it is set up for SSO.
 */
export async function signInRouteFor(db: Db, email: string): Promise<SignInRoute> {
  const connection = await findConnectionForEmail(db, email);
  if (!connection) return { kind: 'password' };
  const user = await findUserByEmail(db, email);
  if (user && user.ssoState !== 'none' && user.connectionId === connection.id) return { kind: 'sso', connectionId: connection.id };
  return { kind: 'password' };
}
