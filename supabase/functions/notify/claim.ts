// What crm.claim_alert_delivery hands the function: the request to send, built and
// signed in SQL, plus the networks it may not reach.
export interface Claim {
  channel: 'webhook' | 'slack' | 'email';
  /** The receiver (null for email: the email API's URL is a function secret). */
  url: string | null;
  headers: Record<string, string>;
  /** The exact text to send: a webhook's signature covers these bytes. */
  body: string;
  refused_networks: string[];
  allow_private: boolean;
}

export interface Delivery {
  delivery_id: number;
  attempt: number;
}

/** The JSON pg_net posts: {delivery_id, attempt}, both positive integers; null otherwise. */
export function parseDelivery(text: string): Delivery | null {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return null;
  }
  const d = v as Partial<Delivery> | null;
  const ok = (n: unknown) => Number.isSafeInteger(n) && (n as number) > 0;
  return d && typeof d === 'object' && ok(d.delivery_id) && ok(d.attempt)
    ? { delivery_id: d.delivery_id!, attempt: d.attempt! }
    : null;
}
