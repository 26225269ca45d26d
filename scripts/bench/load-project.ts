// A project for generated load (benchmarks, soak, chaos): default settings with the rate
// limits lifted, so the load measures ingest and not the limiter. The caller deletes it.
import type postgres from 'postgres';

export interface LoadProject {
  id: string;
  public_key: string;
}

export async function createLoadProject(sql: postgres.Sql, name: string): Promise<LoadProject> {
  const [project] = await sql<LoadProject[]>`
    insert into crm.projects (name, settings)
    values (${name}, crm.default_project_settings()
      || '{"rate_limit_project_per_minute": 1000000000, "rate_limit_ip_per_minute": 1000000000}'::jsonb)
    returning id, public_key`;
  return project!;
}
