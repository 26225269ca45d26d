// Sign-in state of the page: supabase-js keeps the session in localStorage and refreshes it;
// this module mirrors it into a store the islands read.
import type { Session } from '@supabase/supabase-js';
import { createStore, useStore } from '../lib/store';
import { getBackend } from './client';

export type AuthState =
  | { status: 'loading' }
  | { status: 'error'; error: Error }
  | { status: 'signedOut' }
  | { status: 'signedIn'; session: Session };

export const authStore = createStore<AuthState>({ status: 'loading' });

let started = false;

export function authStateOf(session: Session | null): AuthState {
  return session ? { status: 'signedIn', session } : { status: 'signedOut' };
}

/** Starts following the auth state once per page. */
export function startAuth(): void {
  if (started) return;
  started = true;
  getBackend().then(
    async ({ supabase }) => {
      supabase.auth.onAuthStateChange((event, session) => {
        if (session) supabase.realtime.setAuth(session.access_token);
        // Views key their effects on the project, not the session, so a token refresh reloads nothing.
        if (event !== 'INITIAL_SESSION') authStore.set(authStateOf(session));
      });
      const { data, error } = await supabase.auth.getSession();
      if (error) authStore.set({ status: 'error', error });
      else authStore.set(authStateOf(data.session));
    },
    (e: unknown) => authStore.set({ status: 'error', error: e instanceof Error ? e : new Error(String(e)) }),
  );
}

export function useAuth(): AuthState {
  return useStore(authStore);
}

export async function signIn(email: string, password: string): Promise<string | null> {
  const { supabase } = await getBackend();
  const { error } = await supabase.auth.signInWithPassword({ email, password });
  return error ? error.message : null;
}

export async function signOut(): Promise<void> {
  const { supabase } = await getBackend();
  await supabase.auth.signOut();
}
