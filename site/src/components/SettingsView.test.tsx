// @vitest-environment happy-dom
import { afterEach, describe, expect, it } from 'vitest';
import { act } from 'react';
import SettingsView from './SettingsView';
import { setBackendForTests } from '../data/client';
import { projectsStore } from '../data/activeProject';
import { fakeBackend } from '../test/fakeBackend';
import { allByTestId, byTestId, flush, render } from '../test/render';

const P = '77777777-7777-7777-7777-777777777777';
const projectJson = (origins: string[]) => ({
  id: P,
  name: 'Demo',
  public_key: 'pk_demo',
  allowed_origins: origins,
  settings: { privacy_mode: 'standard', respect_dnt: true, require_signed_identify: false },
  funnel_steps: [
    { step_order: 1, name: 'Bezoekers', event_name: 'pageview' },
    { step_order: 2, name: 'Signup', event_name: 'signup' },
  ],
  members: [{ user_id: 'dash-user', email: 'me@example.com', role: 'owner' }],
});

function setInput(el: HTMLElement | null, value: string) {
  const input = el as HTMLInputElement;
  const setter = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(input), 'value')?.set;
  setter?.call(input, value);
  input.dispatchEvent(new Event('input', { bubbles: true }));
}

afterEach(() => {
  setBackendForTests(null);
  projectsStore.set({ status: 'idle', projects: [], active: null });
});

async function mount(answer: Parameters<typeof fakeBackend>[0], role: 'owner' | 'admin' = 'owner') {
  const fake = fakeBackend(answer);
  setBackendForTests(fake.backend);
  projectsStore.set({ status: 'ready', projects: [], active: { id: P, name: 'Demo', publicKey: 'pk_demo', role, createdAt: null } });
  const view = await render(<SettingsView />);
  await flush();
  return { fake, ...view };
}

describe('SettingsView', () => {
  it('an admin sees the members but neither invitations nor the invite form (owners only)', async () => {
    const { fake, container, unmount } = await mount((fn) => (fn === 'get_crm_project' ? { data: projectJson([]) } : { data: [] }), 'admin');
    expect(allByTestId(container, 'settings-member')).toHaveLength(1);
    expect(byTestId(container, 'settings-member-invite')).toBeNull();
    expect((byTestId(container, 'settings-member-role-select') as HTMLSelectElement).disabled).toBe(true);
    expect(fake.calls.map((c) => c.fn)).not.toContain('list_crm_invitations');
    await unmount();
  });

  it('invites by email, lists pending invitations with resend and revoke, and changes roles by user id', async () => {
    let invitations: unknown[] = [];
    const { fake, container, unmount } = await mount((fn, args) => {
      if (fn === 'get_crm_project') return { data: projectJson([]) };
      if (fn === 'list_crm_invitations') return { data: invitations };
      if (fn === 'invite_crm_member') {
        invitations = [{ id: 'i1', email: String(args.p_email), role: String(args.p_role), expires_at: '2026-12-13T00:00:00Z' }];
        return { data: invitations[0] };
      }
      if (fn === 'revoke_crm_invitation') {
        invitations = [];
        return { data: true };
      }
      return { data: {} };
    });
    await act(async () => setInput(byTestId(container, 'settings-member-email'), ' new@example.com '));
    await act(async () => {
      const role = byTestId(container, 'settings-member-role') as HTMLSelectElement;
      role.value = 'admin';
      role.dispatchEvent(new Event('change', { bubbles: true }));
    });
    await act(async () => (byTestId(container, 'settings-member-invite') as HTMLButtonElement).click());
    await flush();
    expect(fake.calls.find((c) => c.fn === 'invite_crm_member')?.args).toEqual({ p_project_id: P, p_email: 'new@example.com', p_role: 'admin' });
    expect(allByTestId(container, 'settings-invitation').map((li) => li.textContent)).toEqual([expect.stringContaining('new@example.com')]);
    await act(async () => (byTestId(container, 'settings-invitation-resend') as HTMLButtonElement).click());
    await flush();
    expect(fake.calls.find((c) => c.fn === 'resend_crm_invitation')?.args).toEqual({ p_project_id: P, p_invitation_id: 'i1' });
    await act(async () => (byTestId(container, 'settings-invitation-revoke') as HTMLButtonElement).click());
    await flush();
    expect(allByTestId(container, 'settings-invitation')).toEqual([]);
    await act(async () => {
      const select = byTestId(container, 'settings-member-role-select') as HTMLSelectElement;
      select.value = 'admin';
      select.dispatchEvent(new Event('change', { bubbles: true }));
    });
    await flush();
    expect(fake.calls.find((c) => c.fn === 'set_crm_member_role')?.args).toEqual({ p_project_id: P, p_user_id: 'dash-user', p_role: 'admin' });
    await unmount();
  });

  it('saves the origins, then shows them as stored and says so', async () => {
    let stored = ['https://shop.example'];
    const { fake, container, unmount } = await mount((fn) => {
      if (fn === 'update_crm_project_settings') {
        stored = ['https://new.example']; // as the SQL stores 'HTTPS://New.Example:443'
        return { data: projectJson(stored) };
      }
      return fn === 'get_crm_project' ? { data: projectJson(stored) } : {};
    });
    const origins = byTestId(container, 'settings-origins') as HTMLTextAreaElement;
    expect(origins.value).toBe('https://shop.example');
    await act(async () => setInput(origins, 'HTTPS://New.Example:443'));
    await act(async () => (byTestId(container, 'settings-save') as HTMLButtonElement).click());
    await flush();
    expect(fake.calls.find((c) => c.fn === 'update_crm_project_settings')?.args.p_allowed_origins).toEqual(['HTTPS://New.Example:443']);
    expect((byTestId(container, 'settings-origins') as HTMLTextAreaElement).value).toBe('https://new.example');
    expect(byTestId(container, 'settings-access-saved')).not.toBeNull();
    await unmount();
  });

  it('deletes the project only once its name is typed exactly (owners)', async () => {
    const { fake, container, unmount } = await mount((fn) => (fn === 'get_crm_project' ? { data: projectJson([]) } : { error: { code: '42501', message: 'no' } }));
    const submit = byTestId(container, 'settings-delete-submit') as HTMLButtonElement;
    expect(submit.disabled).toBe(true);
    await act(async () => setInput(byTestId(container, 'settings-delete-name'), 'demo'));
    expect(submit.disabled).toBe(true);
    await act(async () => setInput(byTestId(container, 'settings-delete-name'), 'Demo'));
    expect(submit.disabled).toBe(false);
    await act(async () => submit.click());
    await flush();
    expect(fake.calls.find((c) => c.fn === 'delete_crm_project')?.args).toEqual({ p_project_id: P, p_confirm_name: 'Demo' });
    expect(byTestId(container, 'settings-delete-error')?.textContent).toBe('Je hebt geen toegang tot deze gegevens.');
    await unmount();
  });

  it('keeps funnel edits when the save is refused, and says why in words', async () => {
    const { container, unmount } = await mount((fn) =>
      fn === 'set_crm_funnel_steps'
        ? { error: { code: '22023', message: 'p_steps must be an array of 1 to 10 {name, event_name} strings' } }
        : { data: projectJson([]) },
    );
    const [first] = allByTestId(container, 'settings-funnel-step');
    await act(async () => setInput(first!.querySelector('input'), ''));
    await act(async () => (byTestId(container, 'settings-funnel-save') as HTMLButtonElement).click());
    await flush();
    expect(byTestId(container, 'settings-funnel-error')?.textContent).toContain('Ongeldige invoer');
    expect((allByTestId(container, 'settings-funnel-step')[0]!.querySelector('input') as HTMLInputElement).value).toBe('');
    await unmount();
  });
  it('shows what ingest did: figures, rejections by reason and the newest rejections with their messages', async () => {
    const { container, unmount } = await mount((fn) => {
      if (fn === 'get_crm_project') return { data: projectJson([]) };
      if (fn === 'get_ingest_summary') {
        return {
          data: {
            hours: 24, first_event_at: '2026-12-01T08:00:00Z', accepted: 1234, duplicates: 5, rate_limited: 0, bot_dropped: 7,
            erased_dropped: 0, rejected: { oversize: 2 }, refused: { invalid_batch: 1 },
            last_rejections: [{ at: '2026-12-06T10:00:00Z', reason: 'oversize', message: 'props is 5000 bytes of JSON, over 4096' }],
          },
        };
      }
      return {};
    });
    expect(byTestId(container, 'ingest-accepted')?.textContent).toBe('1.234');
    expect(byTestId(container, 'ingest-bots')?.textContent).toBe('7');
    expect(byTestId(container, 'ingest-rejected')?.textContent).toBe('oversize 2');
    expect(byTestId(container, 'ingest-refused')?.textContent).toBe('invalid_batch 1');
    expect(allByTestId(container, 'ingest-rejection').map((li) => li.textContent)).toEqual([
      expect.stringContaining('oversize props is 5000 bytes of JSON, over 4096'),
    ]);
    expect(byTestId(container, 'ingest-first-event')?.textContent).toMatch(/Eerste event ontvangen/);
    await unmount();
  });
});
