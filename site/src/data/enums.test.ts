import postgres from 'postgres';
import { expect, it } from 'vitest';
import { ALERT_CHANNELS, ALERT_KINDS, ALERT_OPS, CHANNELS, ROLES, SEGMENTS } from './enums';

it('segments, roles, channels and the alert enums are the enums of the database, in their order', async () => {
  if (!process.env.DB_URL) throw new Error('DB_URL is not set: run through `npm test`, which starts the test stack');
  const sql = postgres(process.env.DB_URL, { max: 1, onnotice: () => {} });
  try {
    const [row] = await sql`select enum_range(null::crm.segment)::text[] as segments, enum_range(null::crm.project_role)::text[] as roles,
                             enum_range(null::crm.channel)::text[] as channels, enum_range(null::crm.alert_kind)::text[] as alert_kinds,
                             enum_range(null::crm.alert_channel)::text[] as alert_channels, enum_range(null::crm.alert_op)::text[] as alert_ops`;
    expect(row).toEqual({
      segments: [...SEGMENTS], roles: [...ROLES], channels: [...CHANNELS],
      alert_kinds: [...ALERT_KINDS], alert_channels: [...ALERT_CHANNELS], alert_ops: [...ALERT_OPS],
    });
  } finally {
    await sql.end();
  }
});
