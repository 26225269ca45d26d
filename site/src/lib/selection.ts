// UI state shared between islands: which site user's detail is open.
import { createStore, useStore } from './store';

export const selectedUserStore = createStore<string | null>(null);
export const openUserDetail = (userId: string | null): void => selectedUserStore.set(userId);
export const useSelectedUser = (): string | null => useStore(selectedUserStore);

/**
 * Opens the user a link names (`?user=<id>`: alerts link to /users/?user=…) and drops the
 * parameter once the detail closes, so a reload does not reopen it.
 */
export function openUserFromUrl(): () => void {
  const url = new URL(window.location.href);
  const id = url.searchParams.get('user');
  if (!id || !/^[0-9a-f-]{36}$/i.test(id)) return () => {};
  openUserDetail(id);
  return selectedUserStore.subscribe(() => {
    if (selectedUserStore.get() !== null) return;
    url.searchParams.delete('user');
    window.history.replaceState(null, '', url.pathname + url.search + url.hash);
  });
}
