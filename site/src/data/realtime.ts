// One private channel `crm:<project>` per page, shared by all islands (reference counted).
import { useEffect, useRef } from 'react';
import type { RealtimeChannel, SupabaseClient } from '@supabase/supabase-js';
import { getBackend } from './client';
import { connectionStore, markUpdated, nextConnection, type ChannelStatus } from './connection';
import { asPayload, crmTopic, type CrmMessage } from './realtimeEvents';

type Listener = (msg: CrmMessage) => void;
const listeners = new Set<Listener>();

interface Joined {
  channel: RealtimeChannel;
  supabase: SupabaseClient;
}

let current: { projectId: string; users: number; joined: Promise<Joined | null> } | null = null;

export function onCrmMessage(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** Delivers a broadcast to every island. */
function dispatchCrmMessage(event: string, payload: unknown): void {
  const msg: CrmMessage = { event, payload: asPayload(payload) };
  markUpdated();
  for (const l of [...listeners]) l(msg);
}

async function open(projectId: string): Promise<Joined | null> {
  const { supabase } = await getBackend();
  const { data } = await supabase.auth.getSession();
  if (!data.session) return null;
  // Private channels authorise with the user's JWT: set it before joining.
  await supabase.realtime.setAuth(data.session.access_token);
  connectionStore.set((s) => nextConnection(s, 'CONNECTING'));
  const channel = supabase.channel(crmTopic(projectId), { config: { private: true } });
  channel.on('broadcast', { event: '*' }, (m: { event: string; payload?: unknown }) => dispatchCrmMessage(m.event, m.payload));
  channel.subscribe((status) => connectionStore.set((s) => nextConnection(s, status as ChannelStatus)));
  return { channel, supabase };
}

async function close(joined: Promise<Joined | null>): Promise<void> {
  const j = await joined;
  connectionStore.set((s) => nextConnection(s, 'STOPPED'));
  if (j) await j.supabase.removeChannel(j.channel).catch(() => undefined);
}

function acquire(projectId: string): void {
  if (current && current.projectId !== projectId) {
    void close(current.joined);
    current = null;
  }
  if (!current) current = { projectId, users: 0, joined: open(projectId).catch(() => null) };
  current.users += 1;
}

function release(projectId: string): void {
  if (!current || current.projectId !== projectId) return;
  current.users -= 1;
  if (current.users <= 0) {
    const joined = current.joined;
    current = null;
    void close(joined);
  }
}

/** Keeps the project's channel joined while the calling component is mounted. */
export function useCrmChannel(projectId: string | null): void {
  useEffect(() => {
    if (!projectId) return;
    acquire(projectId);
    return () => release(projectId);
  }, [projectId]);
}

/** Subscribes a component to broadcasts. */
export function useCrmMessages(listener: Listener, deps: unknown[]): void {
  // eslint-disable-next-line react-hooks/exhaustive-deps
  useEffect(() => onCrmMessage(listener), deps);
}

/**
 * Calls `reload` (at most once per `debounceMs`) after any of `events` arrives: for views
 * whose numbers the server recomputes when sessions come and go (Online Now).
 */
export function useReloadOnEvents(events: readonly string[], reload: () => void, debounceMs: number): void {
  const reloadRef = useRef(reload);
  reloadRef.current = reload;
  const key = events.join(',');
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | null = null;
    const off = onCrmMessage((msg) => {
      if (!key.split(',').includes(msg.event) || timer) return;
      timer = setTimeout(() => {
        timer = null;
        reloadRef.current();
      }, debounceMs);
    });
    return () => {
      off();
      if (timer) clearTimeout(timer);
    };
  }, [key, debounceMs]);
}
