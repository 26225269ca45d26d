// A toast when the server reports a session as stuck (session_stuck broadcast).
import { useT } from '../i18n/i18n';
import { useCrmMessages } from '../data/realtime';
import { EVENTS } from '../data/realtimeEvents';
import { text } from '../data/fields';
import { displayName } from '../lib/person';
import { openUserDetail } from '../lib/selection';
import { useToastQueue } from '../lib/toastQueue';

interface Toast {
  name: string;
  page: string;
  userId: string | null;
}

const TOAST_MS = 8000;

export default function StuckToasts() {
  const t = useT();
  const { toasts, push, dismiss } = useToastQueue<Toast>(TOAST_MS);
  useCrmMessages((msg) => {
    if (msg.event !== EVENTS.sessionStuck) return;
    const p = msg.payload;
    // session_stuck names the user and the page (API.md, "Realtime").
    push({
      name: displayName({ name: text(p, 'name'), email: text(p, 'email'), userId: text(p, 'user_id') }, t),
      page: text(p, 'current_page') ?? '–',
      userId: text(p, 'user_id'),
    });
  }, [t, push]);
  return (
    <div className="toasts" aria-live="polite" data-testid="toasts">
      {toasts.map((x) => (
        <div key={x.id} className="toast warn" role="status" data-testid="stuck-toast">
          <button type="button" className="link" onClick={() => x.userId && openUserDetail(x.userId)}>
            ⚠ {t('stuckToast', { name: x.name, page: x.page })}
          </button>
          <button type="button" className="icon" aria-label={t('close')} onClick={() => dismiss(x.id)}>
            ✕
          </button>
        </div>
      ))}
    </div>
  );
}
