// What crm.ingest returns (PROTOCOL.md "Result") and how the function calls it.

export interface IngestRejection {
  index: number;
  id?: string;
  reason: string;
  message?: string;
}

export interface IngestResult {
  status: number;
  accepted?: number;
  duplicates?: number;
  rejected?: IngestRejection[];
  error?: string;
  message?: string;
  retry_after?: number;
  /** The database's own error text of a 400/500: logged, never sent to the client. */
  detail?: string;
  [key: string]: unknown;
}

/** One batch as the client sent it (JSON text, passed on unchanged) and what the function adds. */
export type IngestCall = (batch: string, context: Record<string, unknown>) => Promise<IngestResult>;
