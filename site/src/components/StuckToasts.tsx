// A toast when the server reports a session as stuck (session_stuck broadcast).
import { useEffect, useState } from 'react';
import { useT } from '../i18n/i18n';
import { useCrmMessages } from '../data/realtime';
import { EVENTS } from '../data/realtimeEvents';
import { text } from '../data/fields';
import { displayName } from '../lib/person';
import { openUserDetail } from '../lib/selection';

interface Toast {
  id: number;
  name: string;
  page: string;
  userId: string | null;
}

let nextId = 1;
const TOAST_MS = 8000;

export default function StuckToasts() {
  const t = useT();
  const [toasts, setToasts] = useState<Toast[]>([]);
  useCrmMessages((msg) => {
    if (msg.event !== EVENTS.sessionStuck) return;
    const p = msg.payload;
    // session_stuck names the user and the page (API.md, "Realtime").
    const toast = {
      id: nextId++,
      name: displayName({ name: text(p, 'name'), email: text(p, 'email'), userId: text(p, 'user_id') }, t),
      page: text(p, 'current_page') ?? '–',
      userId: text(p, 'user_id'),
    };
    setToasts((ts) => [...ts.slice(-3), toast]);
  }, [t]);
  useEffect(() => {
    if (toasts.length === 0) return;
    const id = setTimeout(() => setToasts((ts) => ts.slice(1)), TOAST_MS);
    return () => clearTimeout(id);
  }, [toasts]);
  return (
    <div className="toasts" aria-live="polite" data-testid="toasts">
      {toasts.map((x) => (
        <div key={x.id} className="toast warn" role="status" data-testid="stuck-toast">
          <button type="button" className="link" onClick={() => x.userId && openUserDetail(x.userId)}>
            ⚠ {t('stuckToast', { name: x.name, page: x.page })}
          </button>
          <button type="button" className="icon" aria-label={t('close')} onClick={() => setToasts((ts) => ts.filter((y) => y.id !== x.id))}>
            ✕
          </button>
        </div>
      ))}
    </div>
  );
}
