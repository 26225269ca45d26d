import { start } from './core';

// The script tag build: settings from data-* attributes, then the calls made before
// load (the queue stub in README.md pushes [name, arguments] onto window.vibeQ).
const w = window as unknown as Record<string, unknown> & { vibeQ?: [string, IArguments][] };
const s = document.currentScript!;
const [track, identify, reset] = start((k) => s.getAttribute('data-' + k));
w.vibeTrack = track;
w.vibeIdentify = identify;
w.vibeReset = reset;
for (const [f, a] of w.vibeQ || []) (w[f] as (...a: unknown[]) => void)(...a);
w.vibeQ = [];
