// The toasts an island shows: at most four at once (a fifth pushes the oldest out), each
// gone after `ms` unless closed first. Shared by the stuck-visitor and alert toasts.
import { useCallback, useEffect, useState } from 'react';

let nextId = 1;

export function useToastQueue<T>(ms: number) {
  const [toasts, setToasts] = useState<(T & { id: number })[]>([]);
  useEffect(() => {
    if (toasts.length === 0) return;
    const id = setTimeout(() => setToasts((ts) => ts.slice(1)), ms);
    return () => clearTimeout(id);
  }, [toasts, ms]);
  const push = useCallback((toast: T) => setToasts((ts) => [...ts.slice(-3), { ...toast, id: nextId++ }]), []);
  const dismiss = useCallback((id: number) => setToasts((ts) => ts.filter((y) => y.id !== id)), []);
  return { toasts, push, dismiss };
}
