// A toast for every alert_fired broadcast (rules with the dashboard channel), on every page;
// while the tab is in the background also a browser notification, if the user allowed them
// (Settings → Alerts). A toast about a site user opens their detail.
import { useT } from '../i18n/i18n';
import { useCrmMessages } from '../data/realtime';
import { EVENTS } from '../data/realtimeEvents';
import { mapAlertFired, type AlertFired } from '../data/alertFired';
import { notifyInBackground } from '../lib/browserNotifications';
import { openUserDetail } from '../lib/selection';
import { useToastQueue } from '../lib/toastQueue';

function ToastText({ x, test }: { x: AlertFired; test: string }) {
  return (
    <>
      <strong>{x.alertName}</strong> {x.isTest && <span className="badge">{test}</span>} {x.summary}
    </>
  );
}
const TOAST_MS = 10_000;

export default function AlertToasts() {
  const t = useT();
  const { toasts, push, dismiss } = useToastQueue<AlertFired>(TOAST_MS);
  useCrmMessages((msg) => {
    if (msg.event !== EVENTS.alertFired) return;
    const a = mapAlertFired(msg.payload);
    push(a);
    const title = a.isTest ? t('alertTestNotificationTitle', { name: a.alertName }) : t('alertNotificationTitle', { name: a.alertName });
    notifyInBackground(title, a.summary, `vibe-crm-alert-${a.deliveryId ?? a.alertId}`, () => a.userId && openUserDetail(a.userId));
  }, [t, push]);
  return (
    <div className="toasts top" aria-live="polite" data-testid="alert-toasts">
      {toasts.map((x) => (
        <div key={x.id} className="toast alert" role="status" data-testid="alert-toast" data-alert-id={x.alertId ?? undefined}>
          {x.userId ? (
            <button type="button" className="link" onClick={() => x.userId && openUserDetail(x.userId)} data-testid="alert-toast-open">
              <ToastText x={x} test={t('alertTestBadge')} />
            </button>
          ) : (
            <span>
              <ToastText x={x} test={t('alertTestBadge')} />
            </span>
          )}
          <button type="button" className="icon" aria-label={t('close')} onClick={() => dismiss(x.id)}>
            ✕
          </button>
        </div>
      ))}
    </div>
  );
}
