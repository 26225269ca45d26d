// Phoenix channel frames as realtime-js speaks them: vsn 1.0.0 JSON
// objects, vsn 2.0.0 JSON arrays plus binary user broadcasts (kind 3 in, kind 4 out).

export type Vsn = '1.0.0' | '2.0.0';

export interface Frame {
  joinRef: string | null;
  ref: string | null;
  topic: string;
  event: string;
  payload: unknown;
}

/** A broadcast as delivered to subscribers; `raw` carries a binary (non-JSON) payload. */
export interface BroadcastMessage {
  event: string;
  payload: unknown;
  raw?: Uint8Array;
  meta?: Record<string, unknown>;
}

export class ProtocolError extends Error {}

const KIND_PUSH = 3;
const KIND_BROADCAST = 4;
const ENCODING_RAW = 0;
const ENCODING_JSON = 1;
const dec = new TextDecoder('utf-8', { fatal: true });
const enc = new TextEncoder();

const refOrNull = (v: unknown) => (v === null || v === undefined ? null : String(v));

function checkFrame(topic: unknown, event: unknown, payload: unknown): void {
  if (typeof topic !== 'string' || typeof event !== 'string') {
    throw new ProtocolError('topic and event must be strings');
  }
  if (
    payload !== undefined &&
    (typeof payload !== 'object' || payload === null || Array.isArray(payload))
  ) {
    throw new ProtocolError('payload must be an object');
  }
}

export function decodeText(text: string, vsn: Vsn): Frame {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new ProtocolError('frame is not JSON');
  }
  if (vsn === '2.0.0') {
    if (!Array.isArray(v) || v.length !== 5) {
      throw new ProtocolError('vsn 2.0.0 frames are [join_ref, ref, topic, event, payload]');
    }
    const [joinRef, ref, topic, event, payload] = v;
    checkFrame(topic, event, payload);
    return {
      joinRef: refOrNull(joinRef),
      ref: refOrNull(ref),
      topic,
      event,
      payload: payload ?? {},
    };
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    throw new ProtocolError('vsn 1.0.0 frames are JSON objects');
  }
  const o = v as Record<string, unknown>;
  checkFrame(o.topic, o.event, o.payload);
  return {
    joinRef: refOrNull(o.join_ref),
    ref: refOrNull(o.ref),
    topic: o.topic as string,
    event: o.event as string,
    payload: o.payload ?? {},
  };
}

/** A client broadcast pushed as binary (kind 3): header lengths, strings, then the payload. */
export function decodeBinary(bytes: Uint8Array): Frame & { message: BroadcastMessage } {
  if (bytes.length < 7) throw new ProtocolError('binary frame too short');
  if (bytes[0] !== KIND_PUSH) throw new ProtocolError(`unsupported binary frame kind ${bytes[0]}`);
  const [jrLen, refLen, topicLen, eventLen, metaLen, encoding] = bytes.subarray(
    1,
    7,
  ) as unknown as number[];
  let at = 7;
  const take = (n: number) => {
    if (at + n > bytes.length) throw new ProtocolError('binary frame shorter than its header says');
    const s = bytes.subarray(at, at + n);
    at += n;
    return s;
  };
  let joinRef: string, ref: string, topic: string, event: string, metaText: string;
  try {
    joinRef = dec.decode(take(jrLen!));
    ref = dec.decode(take(refLen!));
    topic = dec.decode(take(topicLen!));
    event = dec.decode(take(eventLen!));
    metaText = dec.decode(take(metaLen!));
  } catch (e) {
    if (e instanceof ProtocolError) throw e;
    throw new ProtocolError('binary frame header is not UTF-8');
  }
  const body = bytes.slice(at);
  const message: BroadcastMessage = { event, payload: null };
  if (encoding === ENCODING_JSON) {
    try {
      message.payload = JSON.parse(dec.decode(body));
    } catch {
      throw new ProtocolError('binary frame JSON payload does not parse');
    }
  } else if (encoding === ENCODING_RAW) {
    message.raw = body;
  } else {
    throw new ProtocolError(`unknown payload encoding ${encoding}`);
  }
  if (metaText) {
    try {
      message.meta = JSON.parse(metaText);
    } catch {
      throw new ProtocolError('binary frame metadata does not parse');
    }
  }
  return {
    joinRef: joinRef || null,
    ref: ref || null,
    topic,
    event: 'broadcast',
    payload: { type: 'broadcast', event, payload: message.payload },
    message,
  };
}

export function encodeText(f: Frame, vsn: Vsn): string {
  return vsn === '2.0.0'
    ? JSON.stringify([f.joinRef, f.ref, f.topic, f.event, f.payload])
    : JSON.stringify({
      topic: f.topic,
      event: f.event,
      payload: f.payload,
      ref: f.ref,
      join_ref: f.joinRef,
    });
}

/** A broadcast frame for subscribers: text when JSON, binary kind 4 when raw (vsn 2 only). */
export function encodeBroadcast(
  topic: string,
  m: BroadcastMessage,
  vsn: Vsn,
): string | Uint8Array | null {
  if (m.raw) {
    if (vsn !== '2.0.0') return null;
    const t = enc.encode(topic);
    const e = enc.encode(m.event);
    const meta = enc.encode(m.meta ? JSON.stringify(m.meta) : '');
    if (t.length > 255 || e.length > 255 || meta.length > 255) return null;
    const out = new Uint8Array(5 + t.length + e.length + meta.length + m.raw.length);
    out.set([KIND_BROADCAST, t.length, e.length, meta.length, ENCODING_RAW]);
    let at = 5;
    for (const part of [t, e, meta, m.raw]) {
      out.set(part, at);
      at += part.length;
    }
    return out;
  }
  const payload: Record<string, unknown> = {
    type: 'broadcast',
    event: m.event,
    payload: m.payload,
  };
  if (m.meta) payload.meta = m.meta;
  return encodeText({ joinRef: null, ref: null, topic, event: 'broadcast', payload }, vsn);
}
