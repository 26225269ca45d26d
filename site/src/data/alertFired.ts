// The alert_fired broadcast (on crm:<project_id>, for rules with the dashboard channel): the
// one mapping from its payload to the toast's fields.
import { bool, num, text } from './fields';

export interface AlertFired {
  deliveryId: number | null;
  alertId: string | null;
  alertName: string;
  kind: string | null;
  summary: string;
  /** the site user it is about, when there is one */
  userId: string | null;
  firedAt: string | null;
  isTest: boolean;
}

export const mapAlertFired = (p: Record<string, unknown>): AlertFired => ({
  deliveryId: num(p, 'delivery_id'),
  alertId: text(p, 'alert_id'),
  alertName: text(p, 'alert_name') ?? '',
  kind: text(p, 'kind'),
  summary: text(p, 'summary') ?? '',
  userId: text(p, 'user_id'),
  firedAt: text(p, 'fired_at'),
  isTest: bool(p, 'is_test'),
});
