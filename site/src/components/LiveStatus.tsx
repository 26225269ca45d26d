// Realtime connection state and "updated N s ago".
import { useEffect, useState } from 'react';
import { useT } from '../i18n/i18n';
import { useConnection, useLastUpdate } from '../data/connection';
import { secondsSince } from '../lib/format';

export function LiveStatus() {
  const t = useT();
  const { status } = useConnection();
  const last = useLastUpdate();
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const id = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(id);
  }, []);
  const label = status === 'live' ? t('live') : status === 'reconnecting' ? t('reconnecting') : status === 'connecting' ? t('connecting') : t('offline');
  return (
    <div className={`live-status ${status}`} data-testid="live-status" data-status={status}>
      <span className="dot" aria-hidden="true" />
      {/* Only the connection state is announced; the seconds counter changes every second. */}
      <span data-testid="live-status-label" aria-live="polite">
        {label}
      </span>
      <span className="muted" data-testid="live-status-updated">
        {last === null ? t('notUpdated') : t('updatedAgo', { n: secondsSince(last, Math.max(now, last)) })}
      </span>
    </div>
  );
}
