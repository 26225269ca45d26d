// @vitest-environment happy-dom
import { afterEach, describe, expect, it } from 'vitest';
import { act } from 'react';
import AppShell from './AppShell';
import { setBackendForTests } from '../data/client';
import { projectsStore, REMEMBER_KEY } from '../data/activeProject';
import { fakeBackend } from '../test/fakeBackend';
import { byTestId, flush, render } from '../test/render';

const project = (id: string, name: string, role = 'owner') => ({ id, name, public_key: 'pk_' + id, role, created_at: '2026-11-01T00:00:00Z' });

afterEach(() => {
  setBackendForTests(null);
  projectsStore.set({ status: 'idle', projects: [], active: null });
  localStorage.clear();
});

function setInput(el: HTMLElement | null, value: string) {
  const input = el as HTMLInputElement;
  const setter = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(input), 'value')?.set;
  setter?.call(input, value);
  input.dispatchEvent(new Event('input', { bubbles: true }));
}

describe('AppShell', () => {
  it('picks the remembered project among several and offers a picker; viewers get no settings link', async () => {
    localStorage.setItem(REMEMBER_KEY, 'p2');
    const fake = fakeBackend((fn) => (fn === 'list_crm_projects' ? { data: [project('p1', 'Alpha'), project('p2', 'Beta', 'viewer')] } : {}));
    setBackendForTests(fake.backend);
    const { container, unmount } = await render(<AppShell page="dashboard" />);
    await flush();
    const picker = byTestId(container, 'project-picker') as HTMLSelectElement;
    expect([...picker.options].map((o) => o.textContent)).toEqual(['Alpha', 'Beta']);
    expect(picker.value).toBe('p2');
    expect(projectsStore.get().active?.name).toBe('Beta');
    expect(byTestId(container, 'nav-settings')).toBeNull();
    await act(async () => {
      picker.value = 'p1';
      picker.dispatchEvent(new Event('change', { bubbles: true }));
    });
    expect(projectsStore.get().active?.id).toBe('p1');
    expect(localStorage.getItem(REMEMBER_KEY)).toBe('p1');
    expect(byTestId(container, 'nav-settings')).not.toBeNull();
    await unmount();
  });

  it('shows the first-run screen without projects and creates one', async () => {
    let projects: unknown[] = [];
    const fake = fakeBackend((fn, args) => {
      if (fn === 'list_crm_projects') return { data: projects };
      if (fn === 'create_crm_project') {
        projects = [project('new', String(args.p_name))];
        return { data: { id: 'new', name: args.p_name, public_key: 'pk_new' } };
      }
      return {};
    });
    setBackendForTests(fake.backend);
    const { container, unmount } = await render(<AppShell page="dashboard" />);
    await flush();
    expect(byTestId(container, 'first-run')).not.toBeNull();
    await act(async () => {
      setInput(byTestId(container, 'first-run-name'), 'Mijn Shop');
      setInput(byTestId(container, 'first-run-origins'), 'https://a.example\n\n https://b.example ');
    });
    await act(async () => (byTestId(container, 'first-run') as HTMLFormElement).requestSubmit());
    await flush();
    expect(fake.calls.find((c) => c.fn === 'create_crm_project')?.args).toEqual({ p_name: 'Mijn Shop', p_allowed_origins: ['https://a.example', 'https://b.example'] });
    expect(byTestId(container, 'first-run')).toBeNull();
    expect(byTestId(container, 'project-name')?.textContent).toBe('Mijn Shop');
    await unmount();
  });
});
