import postgres from 'postgres';
import { expect, it } from 'vitest';
import { CHANNELS, ROLES, SEGMENTS } from './enums';

it('segments, roles and channels are the enums of the database, in their order', async () => {
  if (!process.env.DB_URL) throw new Error('DB_URL is not set: run through `npm test`, which starts the test stack');
  const sql = postgres(process.env.DB_URL, { max: 1, onnotice: () => {} });
  try {
    const [row] = await sql`select enum_range(null::crm.segment)::text[] as segments, enum_range(null::crm.project_role)::text[] as roles,
                             enum_range(null::crm.channel)::text[] as channels`;
    expect(row).toEqual({ segments: [...SEGMENTS], roles: [...ROLES], channels: [...CHANNELS] });
  } finally {
    await sql.end();
  }
});
