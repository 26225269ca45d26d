// Private-channel authorisation done the way the Realtime server does it:
// RLS policies on realtime.messages decide, evaluated in a transaction that is
// always rolled back, as the role and with the claims of the token.
import { inRolledBackTx, type Sql, type Tx } from '../db.ts';
import type { Claims } from '../jwt.ts';

async function actAs(tx: Tx, claims: Claims, topic: string): Promise<void> {
  await tx.unsafe(
    `select set_config('role', $1, true), set_config('realtime.topic', $2, true),
            set_config('request.jwt.claims', $3, true), set_config('request.jwt.claim.sub', $4, true),
            set_config('request.jwt.claim.role', $1, true)`,
    [
      String(claims.role),
      topic,
      JSON.stringify(claims),
      typeof claims.sub === 'string' ? claims.sub : '',
    ],
  );
}

/** Join check: a probe row inserted with bypass, then read back under RLS. */
export function canRead(api: Sql, claims: Claims, topic: string): Promise<boolean> {
  return inRolledBackTx(api, async (tx) => {
    await tx.unsafe(`select set_config('role', 'service_role', true)`);
    const [probe] = await tx.unsafe<{ id: string }[]>(
      `insert into realtime.messages (topic, extension, private, payload) values ($1, 'broadcast', true, '{}')
       returning id`,
      [topic],
    );
    await actAs(tx, claims, topic);
    const seen = await tx.unsafe(`select id from realtime.messages where id = $1`, [probe!.id]);
    return seen.length > 0;
  });
}

/** Write check for client broadcasts: the insert policy decides; 42501 means no. */
export function canWrite(api: Sql, claims: Claims, topic: string, event: string): Promise<boolean> {
  return inRolledBackTx(api, async (tx) => {
    await actAs(tx, claims, topic);
    try {
      await tx.unsafe(
        `insert into realtime.messages (topic, extension, private, event, payload) values ($1, 'broadcast', true, $2, '{}')`,
        [topic, event],
      );
      return true;
    } catch (e) {
      if ((e as { code?: string }).code === '42501') return false;
      throw e;
    }
  });
}
