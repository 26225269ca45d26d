// The batch format of PROTOCOL.md as valibot schemas. The envelope must be valid or
// the whole request is refused (400); events are checked one by one so that one bad
// event is rejected with a reason while the rest of the batch is stored.
import * as v from 'npm:valibot@1.5.0';

export const MAX_BODY_BYTES = 64 * 1024;
export const MAX_EVENTS = 100;
const MAX_JSON_BYTES = 4096;

const text = (max: number) => v.pipe(v.string(), v.maxLength(max));
const smallJson = v.pipe(
  v.record(v.string(), v.unknown()),
  v.check((o) => new TextEncoder().encode(JSON.stringify(o)).length <= MAX_JSON_BYTES, 'larger than 4 KB'),
);
const epochMs = v.pipe(v.number(), v.safeInteger(), v.minValue(1));

const base = {
  id: v.pipe(v.string(), v.uuid()),
  ts: epochMs,
  path: v.optional(text(2048)),
};

const pageview = v.object({
  ...base,
  type: v.literal('pageview'),
  path: text(2048),
  title: v.optional(text(512)),
  referrer: v.optional(text(2048)),
  screen: v.optional(v.pipe(v.string(), v.regex(/^\d{1,5}x\d{1,5}$/))),
  utm: v.optional(v.object({
    source: v.optional(text(256)),
    medium: v.optional(text(256)),
    campaign: v.optional(text(256)),
    term: v.optional(text(256)),
    content: v.optional(text(256)),
  })),
});

const custom = v.object({
  ...base,
  type: v.literal('event'),
  name: v.pipe(v.string(), v.minLength(1), v.maxLength(128)),
  props: v.optional(smallJson),
});

const identify = v.pipe(
  v.object({
    ...base,
    type: v.literal('identify'),
    email: v.optional(v.pipe(text(320), v.includes('@'))),
    name: v.optional(text(256)),
    external_id: v.optional(text(256)),
    segment: v.optional(v.picklist(['visitor', 'user', 'premium', 'trial', 'churned'])),
    metadata: v.optional(smallJson),
    signature: v.optional(v.pipe(v.string(), v.hexadecimal(), v.maxLength(128))),
  }),
  v.check((e) => !!(e.email || e.external_id || e.name), 'identify needs an email, external_id or name'),
);

const simple = (type: 'heartbeat' | 'leave') => v.object({ ...base, type: v.literal(type) });

export const eventSchema = v.variant('type', [pageview, simple('heartbeat'), custom, identify, simple('leave')]);
export type IngestEvent = v.InferOutput<typeof eventSchema>;

export const envelopeSchema = v.object({
  project: v.pipe(v.string(), v.regex(/^pk_[A-Za-z0-9]{8,64}$/, 'not a public key (pk_…)')),
  sent_at: epochMs,
  visitor_id: v.optional(v.pipe(v.string(), v.uuid())),
  session_id: v.optional(v.pipe(v.string(), v.uuid())),
  events: v.pipe(v.array(v.unknown()), v.minLength(1, 'a batch needs at least one event')),
});
export type Envelope = v.InferOutput<typeof envelopeSchema>;

export const EVENT_TYPES = ['pageview', 'heartbeat', 'event', 'identify', 'leave'];

export interface Rejection {
  index: number;
  id?: string;
  reason: 'invalid' | 'oversize' | 'unknown_type';
  message: string;
}

const describe = (issues: v.BaseIssue<unknown>[]) =>
  issues.map((i) => `${v.getDotPath(i) ?? 'event'}: ${i.message}`).join('; ');

/** Validates one event; returns the cleaned event or why it was refused. */
export function checkEvent(raw: unknown, index: number): { event: IngestEvent } | { rejection: Rejection } {
  const res = v.safeParse(eventSchema, raw);
  if (res.success) return { event: res.output };
  const obj = (raw && typeof raw === 'object' ? raw : {}) as Record<string, unknown>;
  const id = typeof obj.id === 'string' ? obj.id.slice(0, 64) : undefined;
  const type = obj.type;
  const reason = typeof type === 'string' && !EVENT_TYPES.includes(type)
    ? 'unknown_type'
    : res.issues.some((i) => i.type === 'max_length' || i.type === 'check' && /4 KB/.test(i.message))
    ? 'oversize'
    : 'invalid';
  return { rejection: { index, id, reason, message: describe(res.issues).slice(0, 300) } };
}

export function checkEnvelope(raw: unknown): { envelope: Envelope } | { message: string } {
  const res = v.safeParse(envelopeSchema, raw);
  return res.success ? { envelope: res.output } : { message: describe(res.issues).slice(0, 500) };
}
