import { start } from './core';

// The script tag build: settings from data-* attributes, then the calls made before
// load (the queue stub in README.md pushes [name, arguments] onto window.vibeQ).
const w = window as unknown as Record<string, unknown> & { vibeQ?: [string, IArguments][] | 0 };
const s = document.currentScript!;
// Loaded twice (a tag manager and the page, say): the second copy does nothing.
if (w.vibeQ !== 0) {
  [w.vibeTrack, w.vibeIdentify, w.vibeReset] = start((k) => s.getAttribute('data-' + k));
  for (const [f, a] of w.vibeQ || []) (w[f] as (...a: unknown[]) => void)(...a);
  w.vibeQ = 0;
}
