// The alert data modules: the RPC each one calls with which arguments, and how rows (with SQL
// nulls) and the alert_fired payload map to view fields.
import { describe, expect, it } from 'vitest';
import { fakeRpc } from './testRpc';
import { fetchCrmAlerts } from './listCrmAlerts';
import { fetchCrmAlertDeliveries } from './listCrmAlertDeliveries';
import { fetchCrmAlertDeadLetters } from './listCrmAlertDeadLetters';
import { fetchCrmWebhookSecret } from './getCrmWebhookSecret';
import { rotateCrmWebhookSecret } from './rotateCrmWebhookSecret';
import { testCrmAlert } from './testCrmAlert';
import { deleteCrmAlert } from './deleteCrmAlert';
import { retryCrmAlertDelivery } from './retryCrmAlertDelivery';
import { updateCrmAlert } from './updateCrmAlert';
import { mapAlertFired } from './alertFired';
import { draftOf } from './alertRule';

const P = '11111111-1111-1111-1111-111111111111';

describe('alert reads', () => {
  it('list_crm_alerts: jsonb condition and channels, nulls as zero/false/null, an unknown kind as event', async () => {
    const { rpc, calls } = fakeRpc(() => ({
      data: [
        {
          id: 'a1', name: 'Churn', kind: 'segment_change', condition: { from: null, to: 'churned' }, channels: [{ type: 'slack', url: 'https://hooks.slack.com/x' }, { type: 'email', to: ['a@b.c'] }],
          cooldown_minutes: 10, enabled: true, created_at: '2026-12-01T00:00:00Z', updated_at: null, last_fired_at: '2026-12-07T09:00:00Z', pending: null, dead: 2, suppressed: 14,
        },
        { id: 'a2', name: null, kind: 'something_new', condition: null, channels: null, cooldown_minutes: null, enabled: null, created_at: null, updated_at: null, last_fired_at: null, pending: 1, dead: null },
      ],
    }));
    const [a, b] = await fetchCrmAlerts(rpc, P);
    expect(calls).toEqual([{ fn: 'list_crm_alerts', args: { p_project_id: P } }]);
    expect(a).toEqual({
      id: 'a1', name: 'Churn', kind: 'segment_change', condition: { from: null, to: 'churned' },
      channels: [{ type: 'slack', url: 'https://hooks.slack.com/x', to: [] }, { type: 'email', url: null, to: ['a@b.c'] }],
      cooldownMinutes: 10, enabled: true, createdAt: '2026-12-01T00:00:00Z', updatedAt: null, lastFiredAt: '2026-12-07T09:00:00Z', pending: 0, dead: 2, suppressed: 14,
    });
    expect(b).toMatchObject({ name: '', kind: 'event', condition: {}, channels: [], cooldownMinutes: 0, enabled: false, pending: 1, dead: 0, suppressed: 0 });
    // back into the form: the segments as stored, any segment as ''
    expect(draftOf(a!)).toMatchObject({ kind: 'segment_change', from: '', to: 'churned', channels: [{ type: 'slack', target: 'https://hooks.slack.com/x' }, { type: 'email', target: 'a@b.c' }] });
  });

  it('list_crm_alert_deliveries and list_crm_alert_dead_letters', async () => {
    const { rpc, calls } = fakeRpc((fn) => ({
      data: fn === 'list_crm_alert_deliveries'
        ? [{ id: 5, channel: 'dashboard', target: null, status: 'delivered', attempts: 1, last_status: null, last_error: null, summary: 's', is_test: true, created_at: 'c', next_attempt_at: null, delivered_at: 'd' }]
        : [{ id: 6, alert_id: 'a1', alert_name: 'Churn', channel: 'webhook', target: 'https://x', attempts: 20, last_status: 500, last_error: 'boom', summary: null, created_at: 'c' }],
    }));
    expect(await fetchCrmAlertDeliveries(rpc, 'a1')).toEqual([
      { id: 5, channel: 'dashboard', target: null, status: 'delivered', attempts: 1, lastStatus: null, lastError: null, summary: 's', isTest: true, createdAt: 'c', nextAttemptAt: null, deliveredAt: 'd' },
    ]);
    expect(await fetchCrmAlertDeadLetters(rpc, P)).toEqual([
      { id: 6, alertId: 'a1', alertName: 'Churn', channel: 'webhook', target: 'https://x', attempts: 20, lastStatus: 500, lastError: 'boom', summary: null, createdAt: 'c' },
    ]);
    expect(calls).toEqual([
      { fn: 'list_crm_alert_deliveries', args: { p_alert_id: 'a1' } },
      { fn: 'list_crm_alert_dead_letters', args: { p_project_id: P } },
    ]);
  });
});

describe('alert actions', () => {
  it('name their RPC and arguments; an update sends only what changes', async () => {
    const { rpc, calls } = fakeRpc((fn) => ({ data: fn === 'test_crm_alert' ? 2 : fn.endsWith('secret') ? 'whsec_x' : null }));
    expect(await testCrmAlert(rpc, 'a1')).toBe(2);
    expect(await fetchCrmWebhookSecret(rpc, P)).toBe('whsec_x');
    expect(await rotateCrmWebhookSecret(rpc, P)).toBe('whsec_x');
    await deleteCrmAlert(rpc, 'a1');
    await retryCrmAlertDelivery(rpc, 6);
    await updateCrmAlert(rpc, 'a1', { enabled: false });
    expect(calls).toEqual([
      { fn: 'test_crm_alert', args: { p_alert_id: 'a1' } },
      { fn: 'get_crm_webhook_secret', args: { p_project_id: P } },
      { fn: 'rotate_crm_webhook_secret', args: { p_project_id: P } },
      { fn: 'delete_crm_alert', args: { p_alert_id: 'a1' } },
      { fn: 'retry_crm_alert_delivery', args: { p_delivery_id: 6 } },
      { fn: 'update_crm_alert', args: { p_alert_id: 'a1', p_enabled: false } },
    ]);
  });
});

describe('alert_fired', () => {
  it('maps the payload; missing fields read as null, false or empty', () => {
    expect(mapAlertFired({ delivery_id: 3, alert_id: 'a1', alert_name: 'Churn', kind: 'segment_change', summary: 'Jan → churned', user_id: 'u1', fired_at: 't', is_test: false, id: 'rt' })).toEqual({
      deliveryId: 3, alertId: 'a1', alertName: 'Churn', kind: 'segment_change', summary: 'Jan → churned', userId: 'u1', firedAt: 't', isTest: false,
    });
    expect(mapAlertFired({})).toEqual({ deliveryId: null, alertId: null, alertName: '', kind: null, summary: '', userId: null, firedAt: null, isTest: false });
  });
});
