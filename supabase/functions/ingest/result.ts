// What crm.ingest returns (PROTOCOL.md "Result") and how it maps to HTTP.

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
  [key: string]: unknown;
}

export type IngestCall = (batch: Record<string, unknown>, context: Record<string, unknown>) => Promise<IngestResult>;
