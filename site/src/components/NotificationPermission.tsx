// "Allow browser notifications": the only place the permission is asked, on the user's click.
import { useState } from 'react';
import { useT } from '../i18n/i18n';
import { notificationAccess, requestNotificationAccess, type NotificationAccess } from '../lib/browserNotifications';

export function NotificationPermission() {
  const t = useT();
  const [access, setAccess] = useState<NotificationAccess>(notificationAccess);
  if (access === 'default')
    return (
      <div className="row" data-testid="notify">
        <button type="button" onClick={async () => setAccess(await requestNotificationAccess())} data-testid="notify-allow">
          {t('notifyAllow')}
        </button>
        <span className="muted small">{t('notifyHelp')}</span>
      </div>
    );
  const text = access === 'granted' ? t('notifyOn') : access === 'denied' ? t('notifyDenied') : t('notifyUnsupported');
  return (
    <p className="muted small" data-testid="notify" data-access={access}>
      {text}
    </p>
  );
}
