// Settings → Alerts: the project's alert rules and how their deliveries went, the dead letters,
// the webhook secret and the browser-notification permission. Every member reads; admins and
// owners (canWrite) create, edit, pause, test, delete and retry — the SQL checks the role again.
import { useState } from 'react';
import { useLocale, useT } from '../i18n/i18n';
import { useCrmAlerts } from '../data/listCrmAlerts';
import { useUpdateCrmAlert } from '../data/updateCrmAlert';
import { useDeleteCrmAlert } from '../data/deleteCrmAlert';
import { useTestCrmAlert } from '../data/testCrmAlert';
import { useReloadOnEvents } from '../data/realtime';
import { EVENTS } from '../data/realtimeEvents';
import type { AlertRule } from '../data/alertRule';
import { alertLabel } from '../lib/alertLabels';
import { formatDateTime } from '../lib/format';
import { AlertRuleForm } from './AlertRuleForm';
import { AlertDeliveries } from './AlertDeliveries';
import { AlertDeadLetters } from './AlertDeadLetters';
import { WebhookSecret } from './WebhookSecret';
import { NotificationPermission } from './NotificationPermission';
import { Empty, ErrorState, Loading } from './ui/States';

function RuleRow({ r, canWrite, onEdit, onLog, reload }: { r: AlertRule; canWrite: boolean; onEdit: () => void; onLog: () => void; reload: () => void }) {
  const t = useT();
  const locale = useLocale();
  const update = useUpdateCrmAlert();
  const remove = useDeleteCrmAlert();
  const test = useTestCrmAlert();
  const [queued, setQueued] = useState<number | null>(null);
  const busy = update.busy || remove.busy || test.busy;
  const error = update.error ?? remove.error ?? test.error;
  return (
    <tr data-testid="alert-rule" data-alert-id={r.id} data-enabled={r.enabled}>
      <td data-label={t('alertName')} className="target" data-testid="alert-rule-name">{r.name}</td>
      <td data-label={t('alertKind')} data-testid="alert-rule-kind">{alertLabel('kind', r.kind, t)}</td>
      <td data-label={t('alertChannels')} data-testid="alert-rule-channels">
        {r.channels.map((c, i) => (
          <span key={i} className="badge" title={c.url ?? (c.to.join(', ') || undefined)}>
            {alertLabel('channel', c.type, t)}
          </span>
        ))}
      </td>
      <td data-label={t('alertCooldown')}>{t('alertCooldownValue', { n: r.cooldownMinutes })}</td>
      <td data-label={t('alertOnOff')}>
        {canWrite ? (
          <input
            type="checkbox"
            role="switch"
            checked={r.enabled}
            disabled={busy}
            aria-label={t('alertEnabledLabel', { name: r.name })}
            onChange={async (e) => {
              if ((await update.run(r.id, { enabled: e.target.checked })).ok) reload();
            }}
            data-testid="alert-rule-enabled"
          />
        ) : (
          <span className={r.enabled ? 'badge good' : 'badge'} data-testid="alert-rule-state">
            {r.enabled ? t('alertOn') : t('alertPaused')}
          </span>
        )}
      </td>
      <td data-label={t('alertLastFired')} data-testid="alert-rule-last-fired">{r.lastFiredAt ? formatDateTime(r.lastFiredAt, locale) : t('alertNeverFired')}</td>
      <td data-label={t('alertQueue')} data-testid="alert-rule-queue">
        <span className={r.dead > 0 ? 'badge bad' : r.pending > 0 ? 'badge warn' : 'badge'}>{t('alertPendingDead', { pending: r.pending, dead: r.dead })}</span>
        {r.suppressed > 0 && (
          <span className="badge warn" title={t('alertSuppressedHint')} data-testid="alert-rule-suppressed">
            {t('alertSuppressed', { n: r.suppressed })}
          </span>
        )}
      </td>
      <td data-label={t('alertActions')}>
        <div className="row">
          <button type="button" onClick={onLog} data-testid="alert-rule-log">
            {t('alertLog')}
          </button>
          {canWrite && (
            <>
              <button type="button" disabled={busy} onClick={onEdit} data-testid="alert-rule-edit">
                {t('alertEdit')}
              </button>
              <button
                type="button"
                disabled={busy}
                onClick={async () => {
                  setQueued(null);
                  const sent = await test.run(r.id);
                  if (!sent.ok) return;
                  setQueued(sent.value);
                  reload();
                }}
                data-testid="alert-rule-test"
              >
                {t('alertTest')}
              </button>
              <button
                type="button"
                disabled={busy}
                onClick={async () => {
                  if (!window.confirm(t('alertDeleteConfirm', { name: r.name }))) return;
                  if ((await remove.run(r.id)).ok) reload();
                }}
                data-testid="alert-rule-delete"
              >
                {t('remove')}
              </button>
            </>
          )}
        </div>
        {queued !== null && (
          <span role="status" className="muted small" data-testid="alert-rule-test-queued">
            {queued === 1 ? t('alertTestQueuedOne') : t('alertTestQueued', { n: queued })}
          </span>
        )}
        {error && <ErrorState error={error} testId="alert-rule-action" />}
      </td>
    </tr>
  );
}

export default function AlertsPanel({ projectId, canWrite }: { projectId: string; canWrite: boolean }) {
  const t = useT();
  const { state, reload } = useCrmAlerts(projectId);
  // last fired and the pending counts change with every firing
  useReloadOnEvents([EVENTS.alertFired], reload, 2_000);
  const [form, setForm] = useState<{ rule: AlertRule | null } | null>(null);
  const [log, setLog] = useState<AlertRule | null>(null);
  return (
    <section className="card stack wide" data-testid="settings-alerts">
      <div className="section-head">
        <h2>{t('alertsTitle')}</h2>
        {canWrite && (
          <button type="button" className="primary" onClick={() => setForm({ rule: null })} data-testid="alert-new">
            {t('alertNew')}
          </button>
        )}
      </div>
      <p className="muted small">{t('alertsHelp')}</p>
      <NotificationPermission />
      {state.status === 'ready' ? (
        state.data.length === 0 ? (
          <Empty testId="alerts">{t('alertsEmpty')}</Empty>
        ) : (
          <div className="table-wrap">
            <table className="data responsive static-rows" data-testid="alerts-table">
              <thead>
                <tr>
                  <th>{t('alertName')}</th>
                  <th>{t('alertKind')}</th>
                  <th>{t('alertChannels')}</th>
                  <th>{t('alertCooldown')}</th>
                  <th>{t('alertOnOff')}</th>
                  <th>{t('alertLastFired')}</th>
                  <th>{t('alertQueue')}</th>
                  <th>{t('alertActions')}</th>
                </tr>
              </thead>
              <tbody>
                {state.data.map((r) => (
                  <RuleRow key={r.id} r={r} canWrite={canWrite} reload={reload} onEdit={() => setForm({ rule: r })} onLog={() => setLog(r)} />
                ))}
              </tbody>
            </table>
          </div>
        )
      ) : state.status === 'error' ? (
        <ErrorState error={state.error} onRetry={reload} testId="alerts" />
      ) : (
        <Loading testId="alerts" />
      )}
      {state.status === 'ready' && state.error && <ErrorState error={state.error} onRetry={reload} testId="alerts-refresh" />}
      <AlertDeadLetters projectId={projectId} canWrite={canWrite} onRetried={reload} />
      {canWrite ? <WebhookSecret projectId={projectId} /> : <p className="muted small" data-testid="webhook-secret-admins">{t('webhookSecretAdminsOnly')}</p>}
      {form && (
        <AlertRuleForm
          projectId={projectId}
          rule={form.rule}
          onClose={() => setForm(null)}
          onSaved={() => {
            setForm(null);
            reload();
          }}
        />
      )}
      {log && <AlertDeliveries rule={log} onClose={() => setLog(null)} />}
    </section>
  );
}
