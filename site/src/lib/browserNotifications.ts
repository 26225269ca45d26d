// Browser notifications for alerts: permission is asked only when the user presses the button
// in Settings → Alerts (never on page load), and a notification is shown only while the tab is
// in the background — in front, the toast says it.

export type NotificationAccess = NotificationPermission | 'unsupported';

const api = (): typeof Notification | null => (typeof Notification === 'undefined' ? null : Notification);

export function notificationAccess(): NotificationAccess {
  return api()?.permission ?? 'unsupported';
}

export async function requestNotificationAccess(): Promise<NotificationAccess> {
  const N = api();
  if (!N) return 'unsupported';
  try {
    return await N.requestPermission();
  } catch {
    // Old Safari takes a callback and returns nothing; the permission is read again instead.
    return N.permission;
  }
}

/** Shows a notification if the tab is hidden and the user allowed it; true when shown. */
export function notifyInBackground(title: string, body: string, tag: string, onClick: () => void): boolean {
  const N = api();
  if (!N || N.permission !== 'granted' || document.visibilityState !== 'hidden') return false;
  // The tag lets the browser show one notification when several tabs receive the same firing.
  const n = new N(title, { body, tag });
  n.onclick = () => {
    window.focus();
    onClick();
    n.close();
  };
  return true;
}
