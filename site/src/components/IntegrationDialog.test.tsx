// @vitest-environment happy-dom
import { afterEach, describe, expect, it, vi } from 'vitest';
import { act } from 'react';
import { IntegrationDialog } from './IntegrationDialog';
import type { CrmProject } from '../data/listCrmProjects';
import { setBackendForTests } from '../data/client';
import { fakeBackend } from '../test/fakeBackend';
import { byTestId, flush, render } from '../test/render';

const project: CrmProject = { id: 'p1', name: 'Demo', publicKey: 'pk_demo', role: 'viewer', createdAt: null };
const settingsOf = (privacy_mode: string, respect_dnt: boolean) => ({
  data: { id: 'p1', name: 'Demo', public_key: 'pk_demo', allowed_origins: [], settings: { privacy_mode, respect_dnt }, funnel_steps: [], members: [] },
});

afterEach(() => {
  setBackendForTests(null);
  vi.unstubAllGlobals();
});

describe('IntegrationDialog', () => {
  it('gives a cookieless project a cookieless tag, with the queue stub first', async () => {
    setBackendForTests(fakeBackend((fn) => (fn === 'get_crm_project' ? settingsOf('cookieless', false) : {})).backend);
    const { container, unmount } = await render(<IntegrationDialog project={project} onClose={() => {}} />);
    await flush();
    const snippet = byTestId(container, 'integration-snippet')?.textContent ?? '';
    expect(snippet.startsWith('<script>[')).toBe(true);
    expect(snippet).toContain('data-project="pk_demo" data-api="http://sb/functions/v1/ingest" data-mode="cookieless"></script>');
    expect(byTestId(container, 'integration-settings-unknown')).toBeNull();
    await unmount();
  });

  it('adds data-supabase-auth when the site signs users in with Supabase Auth, and copies what it shows', async () => {
    const writeText = vi.fn(async (_text: string) => {});
    vi.stubGlobal('navigator', { ...navigator, clipboard: { writeText } });
    setBackendForTests(fakeBackend((fn) => (fn === 'get_crm_project' ? settingsOf('standard', true) : {})).backend);
    const { container, unmount } = await render(<IntegrationDialog project={project} onClose={() => {}} />);
    await flush();
    const box = byTestId(container, 'integration-supabase-auth') as HTMLInputElement;
    const snippet = () => byTestId(container, 'integration-snippet')?.textContent ?? '';
    const copy = async () => {
      await act(async () => byTestId(container, 'integration-copy')?.click());
      return writeText.mock.lastCall?.[0];
    };
    expect(box.checked).toBe(false);
    expect(snippet()).not.toContain('data-supabase-auth');
    // the hint says what ticking does before it is ticked
    const hint = byTestId(container, 'integration-supabase-auth-hint');
    expect(hint?.textContent).toContain('data-supabase-auth');
    expect(box.getAttribute('aria-describedby')).toBe(hint?.id);

    await act(async () => box.click());
    expect(snippet()).toMatch(/ data-respect-dnt data-supabase-auth><\/script>$/);
    expect(await copy()).toBe(snippet());

    await act(async () => box.click());
    expect(snippet()).not.toContain('data-supabase-auth');
    expect(await copy()).not.toContain('data-supabase-auth');
    await unmount();
  });

  it('warns beside the plain tag when the settings cannot be read', async () => {
    setBackendForTests(fakeBackend(() => ({ error: { code: '', message: 'TypeError: Failed to fetch' } })).backend);
    const { container, unmount } = await render(<IntegrationDialog project={project} onClose={() => {}} />);
    await flush();
    expect(byTestId(container, 'integration-snippet')?.textContent).not.toMatch(/data-mode|data-respect-dnt/);
    expect(byTestId(container, 'integration-settings-unknown')).not.toBeNull();
    await unmount();
  });

  const summary = (first: string | null, rejections: unknown[] = []) => ({
    data: { hours: 1, first_event_at: first, accepted: first ? 3 : 0, rejected: {}, refused: {}, last_rejections: rejections },
  });

  it('says it waits for the first event until one has arrived', async () => {
    setBackendForTests(fakeBackend((fn) => (fn === 'get_ingest_summary' ? summary(null) : {})).backend);
    const { container, unmount } = await render(<IntegrationDialog project={project} onClose={() => {}} />);
    await flush();
    expect(byTestId(container, 'integration-waiting')?.textContent).toMatch(/Wacht op het eerste event/);
    expect(byTestId(container, 'integration-first-event')).toBeNull();
    await unmount();
  });

  it('says when the first event arrived, and names a refusal of the last hour', async () => {
    const fake = fakeBackend((fn) => (fn === 'get_ingest_summary'
      ? summary('2026-12-06T10:00:00Z', [{ at: '2026-12-06T10:05:00Z', reason: 'origin_not_allowed', message: 'this origin is not allowed for the project' }])
      : {}));
    setBackendForTests(fake.backend);
    const { container, unmount } = await render(<IntegrationDialog project={project} onClose={() => {}} />);
    await flush();
    expect(byTestId(container, 'integration-first-event')?.textContent).toMatch(/Eerste event ontvangen op/);
    expect(byTestId(container, 'integration-refused')?.textContent).toContain('origin_not_allowed — this origin is not allowed for the project');
    expect(fake.calls.find((c) => c.fn === 'get_ingest_summary')?.args).toEqual({ p_project_id: 'p1', p_hours: 1 });
    await unmount();
  });
});
