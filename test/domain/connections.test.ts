// upsertConnection is the last guard before certificates reach the ACS, whatever path called it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ConnectionInput,
  findConnection,
  maxCertificatesPerConnection,
  newConnectionId,
  upsertConnection,
} from '../../domain/connections.js';
import { type TestCertificate, testCertificate } from '../support/certs.js';
import { testDatabase } from '../support/deps.js';

const database = testDatabase();
let certificates: TestCertificate[];

const input = (pems: string[]): ConnectionInput => ({
  customerName: 'Acme',
  idpEntityId: 'https://idp.example.com/saml',
  ssoUrl: 'https://idp.example.com/sso',
  ssoBinding: 'redirect',
  emailDomains: [],
  certificates: pems,
});

beforeAll(async () => {
  certificates = await Promise.all(
    Array.from({ length: maxCertificatesPerConnection + 1 }, (_, i) =>
      testCertificate({ commonName: `Cap ${i}`, key: { type: 'ec', namedCurve: 'P-256' } }),
    ),
  );
});

afterAll(async () => {
  await database.close();
});

describe('upsertConnection and the certificate cap', () => {
  it('stores as many certificates as the cap', async () => {
    const saved = await upsertConnection(database.db, input(certificates.slice(0, maxCertificatesPerConnection).map((c) => c.pem)));
    expect((await findConnection(database.db, saved.id))?.certificates).toHaveLength(maxCertificatesPerConnection);
  });

  it('refuses one more, and stores nothing', async () => {
    const id = newConnectionId();
    await expect(upsertConnection(database.db, { ...input(certificates.map((c) => c.pem)), id })).rejects.toMatchObject({
      code: 'too_many_certificates',
      httpStatus: 422,
    });
    expect(await findConnection(database.db, id)).toBeUndefined();
  });

  it('counts the same certificate given twice once', async () => {
    const pems = certificates.slice(0, maxCertificatesPerConnection).map((c) => c.pem);
    const saved = await upsertConnection(database.db, input([...pems, (certificates[0] as TestCertificate).base64]));
    expect(saved.certificates).toHaveLength(maxCertificatesPerConnection);
  });
});
