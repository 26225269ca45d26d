// Words for the alert enums and delivery statuses, in the page language; a value the dashboard
// does not know yet shows as SQL sent it.
import type { MessageKey } from '../i18n/dictionary';
import type { Translate } from '../i18n/i18n';

const KEYS: Record<string, MessageKey> = {
  'kind:event': 'alertKind_event',
  'kind:stuck': 'alertKind_stuck',
  'kind:segment_change': 'alertKind_segment_change',
  'kind:online_threshold': 'alertKind_online_threshold',
  'kind:new_user': 'alertKind_new_user',
  'channel:dashboard': 'alertChannel_dashboard',
  'channel:webhook': 'alertChannel_webhook',
  'channel:slack': 'alertChannel_slack',
  'channel:email': 'alertChannel_email',
  'op:eq': 'alertOp_eq',
  'op:ne': 'alertOp_ne',
  'op:lt': 'alertOp_lt',
  'op:gt': 'alertOp_gt',
  'op:contains': 'alertOp_contains',
  'status:pending': 'delivery_pending',
  'status:sending': 'delivery_sending',
  'status:delivered': 'delivery_delivered',
  'status:dead': 'delivery_dead',
};

export type AlertLabelKind = 'kind' | 'channel' | 'op' | 'status';

export function alertLabel(kind: AlertLabelKind, value: string, t: Translate): string {
  const key = KEYS[`${kind}:${value}`];
  return key ? t(key) : value;
}
