// The two SQL calls of notify, over the function's pooled connection as `postgres`.
import { type Sql, withDeadline } from '../_shared/db.ts';
import type { Claim } from './claim.ts';

export const sqlClaim = (sql: Sql) => async (id: number, attempt: number): Promise<Claim | null> => {
  const [row] = await withDeadline(sql`select crm.claim_alert_delivery(${id}, ${attempt}) as c`);
  return (row?.c ?? null) as Claim | null;
};

export const sqlRecord = (sql: Sql) =>
async (id: number, attempt: number, status: number | null, error: string | null): Promise<string | null> => {
  const [row] = await withDeadline(sql`select crm.record_alert_delivery(${id}, ${attempt}, ${status}, ${error}) as s`);
  return (row?.s ?? null) as string | null;
};
