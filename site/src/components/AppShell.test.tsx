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
  it('picks the remembered project among several and offers a picker; viewers get the settings link too (alerts, read-only)', async () => {
    localStorage.setItem(REMEMBER_KEY, 'p2');
    const fake = fakeBackend((fn) => (fn === 'list_crm_projects' ? { data: [project('p1', 'Alpha'), project('p2', 'Beta', 'viewer')] } : {}));
    setBackendForTests(fake.backend);
    const { container, unmount } = await render(<AppShell page="dashboard" />);
    await flush();
    const picker = byTestId(container, 'project-picker') as HTMLSelectElement;
    expect([...picker.options].map((o) => o.textContent)).toEqual(['Alpha', 'Beta']);
    expect(picker.value).toBe('p2');
    expect(projectsStore.get().active?.name).toBe('Beta');
    expect(byTestId(container, 'nav-settings')).not.toBeNull();
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

  it('shows an invitation on the first-run screen; accepting joins and opens that project', async () => {
    let projects: unknown[] = [];
    let invitations = [{ id: 'i1', project_id: 'p9', project_name: 'Shop', role: 'viewer', invited_by_email: 'boss@example.com' }];
    const fake = fakeBackend((fn) => {
      if (fn === 'list_crm_projects') return { data: projects };
      if (fn === 'list_my_crm_invitations') return { data: invitations };
      if (fn === 'accept_crm_invitation') {
        projects = [project('p9', 'Shop', 'viewer')];
        invitations = [];
        return { data: { project_id: 'p9', role: 'viewer' } };
      }
      return {};
    });
    setBackendForTests(fake.backend);
    const { container, unmount } = await render(<AppShell page="dashboard" />);
    await flush();
    expect(byTestId(container, 'first-run')).not.toBeNull();
    expect(byTestId(container, 'my-invitation')?.textContent).toContain('boss@example.com nodigt je uit voor Shop als viewer.');
    await act(async () => (byTestId(container, 'my-invitation-accept') as HTMLButtonElement).click());
    await flush();
    expect(fake.calls.find((c) => c.fn === 'accept_crm_invitation')?.args).toEqual({ p_invitation_id: 'i1' });
    expect(byTestId(container, 'my-invitations')).toBeNull();
    expect(byTestId(container, 'first-run')).toBeNull();
    expect(projectsStore.get().active?.id).toBe('p9');
    expect(localStorage.getItem(REMEMBER_KEY)).toBe('p9');
    await unmount();
  });

  it('shows a member an invitation to another project as a banner; declining removes it', async () => {
    let invitations = [{ id: 'i2', project_id: 'p8', project_name: 'Other', role: 'admin', invited_by_email: null }];
    const fake = fakeBackend((fn) => {
      if (fn === 'list_crm_projects') return { data: [project('p1', 'Alpha')] };
      if (fn === 'list_my_crm_invitations') return { data: invitations };
      if (fn === 'decline_crm_invitation') {
        invitations = [];
        return { data: true };
      }
      return {};
    });
    setBackendForTests(fake.backend);
    const { container, unmount } = await render(<AppShell page="dashboard" />);
    await flush();
    expect(byTestId(container, 'project-name')?.textContent).toBe('Alpha');
    expect(byTestId(container, 'my-invitation')?.textContent).toContain('Je bent uitgenodigd voor Other als admin.');
    await act(async () => (byTestId(container, 'my-invitation-decline') as HTMLButtonElement).click());
    await flush();
    expect(fake.calls.find((c) => c.fn === 'decline_crm_invitation')?.args).toEqual({ p_invitation_id: 'i2' });
    expect(byTestId(container, 'my-invitations')).toBeNull();
    expect(projectsStore.get().active?.id).toBe('p1');
    await unmount();
  });
});
