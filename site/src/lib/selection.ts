// UI state shared between islands: which site user's detail is open.
import { createStore, useStore } from './store';

export const selectedUserStore = createStore<string | null>(null);
export const openUserDetail = (userId: string | null): void => selectedUserStore.set(userId);
export const useSelectedUser = (): string | null => useStore(selectedUserStore);
