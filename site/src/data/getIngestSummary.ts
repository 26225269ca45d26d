// get_ingest_summary(p_project_id, p_hours): what happened to the events the site sent —
// accepted, duplicates, rejected by reason, rate-limited, bots, erased visitors, refused
// batches, the newest rejections — and whether anything has arrived at all.
import { asRow, callRpc, type RpcClient } from './rpc';
import { list, num, obj, text } from './fields';
import { useRpcQuery } from './query';

export interface Rejection {
  at: string | null;
  reason: string;
  message: string | null;
}

export interface IngestSummary {
  hours: number;
  firstEventAt: string | null;
  lastAcceptedAt: string | null;
  accepted: number;
  duplicates: number;
  rateLimited: number;
  botDropped: number;
  erasedDropped: number;
  /** reason → events, as SQL counted them */
  rejected: [string, number][];
  /** error → batches */
  refused: [string, number][];
  lastRejections: Rejection[];
}

const counts = (o: Record<string, unknown>): [string, number][] =>
  Object.entries(o).map(([k, v]) => [k, Number(v) || 0]);

export function mapIngestSummary(row: Record<string, unknown>): IngestSummary {
  return {
    hours: num(row, 'hours') ?? 0,
    firstEventAt: text(row, 'first_event_at'),
    lastAcceptedAt: text(row, 'last_accepted_at'),
    accepted: num(row, 'accepted') ?? 0,
    duplicates: num(row, 'duplicates') ?? 0,
    rateLimited: num(row, 'rate_limited') ?? 0,
    botDropped: num(row, 'bot_dropped') ?? 0,
    erasedDropped: num(row, 'erased_dropped') ?? 0,
    rejected: counts(obj(row, 'rejected')),
    refused: counts(obj(row, 'refused')),
    lastRejections: list(row, 'last_rejections').map((r) => ({
      at: text(r, 'at'), reason: text(r, 'reason') ?? '', message: text(r, 'message'),
    })),
  };
}

export async function fetchIngestSummary(rpc: RpcClient, projectId: string, hours = 24): Promise<IngestSummary> {
  const row = asRow(await callRpc(rpc, 'get_ingest_summary', { p_project_id: projectId, p_hours: hours }));
  if (!row) throw new Error('not found');
  return mapIngestSummary(row);
}

export function useIngestSummary(projectId: string | null, hours = 24, refreshMs = 30_000) {
  return useRpcQuery((rpc) => fetchIngestSummary(rpc, projectId as string, hours), ['get_ingest_summary', projectId, hours], {
    enabled: !!projectId,
    refreshMs,
  });
}
