// An alert rule as list_crm_alerts returns it, and the form's draft of one: the one mapping
// between the form's fields and the p_condition / p_channels jsonb that create_crm_alert and
// update_crm_alert take. The server validates every value; this only shapes them.
import { ALERT_CHANNELS, ALERT_KINDS, ALERT_OPS, type AlertChannelType, type AlertKind, type AlertOp } from './enums';
import { bool, num, text } from './fields';

type Json = Record<string, unknown>;
/** The jsonb the RPCs take (type aliases, so they fit the generated `Json`). */
export type ConditionJson = Record<string, string | number | boolean | null>;
export type ChannelJson = { type: AlertChannelType; url?: string; to?: string[] };

export interface AlertChannel {
  type: AlertChannelType;
  /** webhook and slack */
  url: string | null;
  /** email */
  to: string[];
}

export interface AlertRule {
  id: string;
  name: string;
  kind: AlertKind;
  condition: Json;
  channels: AlertChannel[];
  cooldownMinutes: number;
  enabled: boolean;
  createdAt: string | null;
  updatedAt: string | null;
  lastFiredAt: string | null;
  pending: number;
  dead: number;
  /** Firings over the hourly limit this hour (not sent). */
  suppressed: number;
}

/** One channel row of the form: the URL (webhook, slack) or the addresses (email) as typed. */
export interface ChannelDraft {
  type: AlertChannelType;
  target: string;
}

/** The form's fields, as typed (strings for inputs; '' is "any segment"). */
export interface AlertDraft {
  name: string;
  kind: AlertKind;
  event: string;
  withProp: boolean;
  prop: string;
  op: AlertOp;
  value: string;
  /** stuck: minutes on one page; online_threshold: the window */
  minutes: string;
  identifiedOnly: boolean;
  path: string;
  segment: string;
  from: string;
  to: string;
  direction: 'above' | 'below';
  count: string;
  channels: ChannelDraft[];
  cooldownMinutes: string;
  enabled: boolean;
}

export const emptyDraft = (): AlertDraft => ({
  name: '',
  kind: 'event',
  event: '',
  withProp: false,
  prop: '',
  op: 'gt',
  value: '',
  minutes: '5',
  identifiedOnly: false,
  path: '',
  segment: '',
  from: '',
  to: '',
  direction: 'above',
  count: '50',
  channels: [{ type: 'dashboard', target: '' }],
  cooldownMinutes: '10',
  enabled: true,
});

const orNull = (s: string): string | null => (s === '' ? null : s);
/** A number input's value; what is not a number goes as typed, for the server to refuse in words. */
const numberOf = (s: string): number | string => (s.trim() !== '' && Number.isFinite(Number(s)) ? Number(s) : s);

/** p_condition for the draft's kind. */
export function conditionOf(d: AlertDraft): ConditionJson {
  switch (d.kind) {
    case 'event':
      return d.withProp ? { event: d.event, prop: d.prop, op: d.op, value: d.value } : { event: d.event };
    case 'stuck':
      return {
        minutes: numberOf(d.minutes),
        identified_only: d.identifiedOnly,
        segment: orNull(d.segment),
        ...(d.path.trim() !== '' ? { path: d.path } : {}),
      };
    case 'segment_change':
      return { from: orNull(d.from), to: orNull(d.to) };
    case 'online_threshold':
      return { direction: d.direction, count: numberOf(d.count), minutes: numberOf(d.minutes) };
    case 'new_user':
      return { segment: orNull(d.segment) };
  }
}

/** p_channels: email addresses are split on commas, semicolons and spaces. */
export function channelsOf(d: AlertDraft): ChannelJson[] {
  return d.channels.map((c) => {
    if (c.type === 'dashboard') return { type: c.type };
    if (c.type === 'email') return { type: c.type, to: c.target.split(/[\s,;]+/).filter(Boolean) };
    return { type: c.type, url: c.target.trim() };
  });
}

const oneOf = <T extends string>(values: readonly T[], v: string | null, fallback: T): T =>
  (values as readonly string[]).includes(v ?? '') ? (v as T) : fallback;

export const kindOf = (v: string | null): AlertKind => oneOf(ALERT_KINDS, v, 'event');

export function mapChannels(value: unknown): AlertChannel[] {
  if (!Array.isArray(value)) return [];
  return value
    .filter((c): c is Json => !!c && typeof c === 'object')
    .map((c) => ({
      type: oneOf(ALERT_CHANNELS, text(c, 'type'), 'dashboard'),
      url: text(c, 'url'),
      to: Array.isArray(c.to) ? c.to.map(String) : [],
    }));
}

/** A stored rule back into the form, for editing. */
export function draftOf(rule: AlertRule): AlertDraft {
  const c = rule.condition;
  const prop = text(c, 'prop');
  const numText = (name: string, fallback: string) => String(num(c, name) ?? fallback);
  return {
    ...emptyDraft(),
    name: rule.name,
    kind: rule.kind,
    event: text(c, 'event') ?? '',
    withProp: prop !== null,
    prop: prop ?? '',
    op: oneOf(ALERT_OPS, text(c, 'op'), 'gt'),
    value: text(c, 'value') ?? '',
    minutes: numText('minutes', '5'),
    identifiedOnly: bool(c, 'identified_only'),
    path: text(c, 'path') ?? '',
    segment: text(c, 'segment') ?? '',
    from: text(c, 'from') ?? '',
    to: text(c, 'to') ?? '',
    direction: text(c, 'direction') === 'below' ? 'below' : 'above',
    count: numText('count', '50'),
    channels: rule.channels.map((ch) => ({ type: ch.type, target: ch.type === 'email' ? ch.to.join(', ') : ch.url ?? '' })),
    cooldownMinutes: String(rule.cooldownMinutes),
    enabled: rule.enabled,
  };
}
