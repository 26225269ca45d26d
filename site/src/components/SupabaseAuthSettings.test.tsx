// @vitest-environment happy-dom
// Settings → Supabase Auth, mounted through SettingsView so the role decides what is shown.
import { afterEach, describe, expect, it } from 'vitest';
import { act } from 'react';
import SettingsView from './SettingsView';
import { setBackendForTests } from '../data/client';
import { projectsStore } from '../data/activeProject';
import type { ProjectRole } from '../data/listCrmProjects';
import { fakeBackend } from '../test/fakeBackend';
import { byTestId, flush, render } from '../test/render';

const P = '99999999-9999-9999-9999-999999999999';
const JWKS = 'https://abcd1234.supabase.co/auth/v1/.well-known/jwks.json';
type AuthSettings = { auth_jwks_url: string | null; auth_erase_deleted_users: boolean };

const projectJson = (auth: AuthSettings) => ({
  id: P,
  name: 'Demo',
  public_key: 'pk_demo',
  allowed_origins: [],
  settings: { privacy_mode: 'standard', respect_dnt: false, require_signed_identify: false, ...auth },
  funnel_steps: [],
  members: [],
});

function setInput(el: HTMLElement | null, value: string) {
  const input = el as HTMLInputElement;
  const setter = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(input), 'value')?.set;
  setter?.call(input, value);
  input.dispatchEvent(new Event('input', { bubbles: true }));
}

const click = async (el: HTMLElement | null) => {
  await act(async () => (el as HTMLElement).click());
  await flush();
};

afterEach(() => {
  setBackendForTests(null);
  projectsStore.set({ status: 'idle', projects: [], active: null });
});

/** A backend that stores what update_crm_project_settings sends, as the SQL merges p_settings. */
async function mount(initial: AuthSettings, role: ProjectRole = 'admin', refuse?: { code: string; message: string }) {
  const stored: AuthSettings = { ...initial };
  const fake = fakeBackend((fn, args) => {
    if (fn === 'get_crm_project') return { data: projectJson(stored) };
    if (fn === 'update_crm_project_settings') {
      if (refuse) return { error: refuse };
      Object.assign(stored, args.p_settings);
      return { data: projectJson(stored) };
    }
    return {};
  });
  setBackendForTests(fake.backend);
  projectsStore.set({ status: 'ready', projects: [], active: { id: P, name: 'Demo', publicKey: 'pk_demo', role, createdAt: null } });
  const view = await render(<SettingsView />);
  await flush();
  const el = (id: string) => byTestId(view.container, `settings-supabase-auth${id}`);
  const input = (id: string) => el(id) as HTMLInputElement | null;
  const saves = () => fake.calls.filter((c) => c.fn === 'update_crm_project_settings').map((c) => c.args);
  return { ...view, fake, stored, el, input, saves };
}

describe('Settings → Supabase Auth', () => {
  it('offers this project or another one; saves the JWKS URL, then null to go back', async () => {
    const { el, input, saves, stored, unmount } = await mount({ auth_jwks_url: null, auth_erase_deleted_users: true });
    expect(el('')?.textContent).toContain('dit Supabase-project');
    expect(el('')?.textContent).toContain('een ander Supabase-project (JWKS-URL)');
    expect(input('-this')?.checked).toBe(true);
    expect(input('-other')?.checked).toBe(false);
    expect(el('-url')).toBeNull();
    expect(input('-erase')?.disabled).toBe(false);

    await click(el('-other'));
    expect(input('-erase')?.disabled).toBe(true);
    expect(el('-erase-help')?.textContent).toContain('geen effect');
    await act(async () => setInput(el('-url'), ` ${JWKS} `));
    await click(el('-save'));
    // the URL trimmed; the switch as it stands
    expect(saves()).toEqual([{ p_project_id: P, p_settings: { auth_jwks_url: JWKS, auth_erase_deleted_users: true } }]);
    expect(stored.auth_jwks_url).toBe(JWKS);
    expect(el('-saved')).not.toBeNull();

    await click(el('-this'));
    expect(el('-url')).toBeNull();
    expect(input('-erase')?.disabled).toBe(false);
    await click(el('-save'));
    // null: the SQL removes the key, so the default (this project) applies again
    expect(saves()[1]).toEqual({ p_project_id: P, p_settings: { auth_jwks_url: null, auth_erase_deleted_users: true } });
    expect(stored.auth_jwks_url).toBeNull();
    await unmount();
  });

  it('saves the erase-on-delete switch', async () => {
    const { el, input, saves, stored, unmount } = await mount({ auth_jwks_url: null, auth_erase_deleted_users: true });
    expect(input('-erase')?.checked).toBe(true);
    await click(el('-erase'));
    expect(input('-erase')?.checked).toBe(false);
    await click(el('-save'));
    expect(saves()).toEqual([{ p_project_id: P, p_settings: { auth_jwks_url: null, auth_erase_deleted_users: false } }]);
    expect(stored.auth_erase_deleted_users).toBe(false);
    await unmount();
  });

  it('shows a stored URL, and the SQL\'s message when a new one is refused, keeping what was typed', async () => {
    // as the SQL words it
    const message = "auth_jwks_url must be the URL of a Supabase project's signing keys, like https://<ref>.supabase.co/auth/v1/.well-known/jwks.json";
    const { el, input, saves, unmount } = await mount({ auth_jwks_url: JWKS, auth_erase_deleted_users: true }, 'owner', { code: '22023', message });
    // not even a URL: still the SQL that says so, not the browser
    const BAD = 'abcd1234.supabase.co';
    expect(input('-other')?.checked).toBe(true);
    expect(input('-url')?.value).toBe(JWKS);
    await act(async () => setInput(el('-url'), BAD));
    await click(el('-save'));
    expect(saves()).toEqual([{ p_project_id: P, p_settings: { auth_jwks_url: BAD, auth_erase_deleted_users: true } }]);
    expect(el('-error')?.textContent).toBe(`Ongeldige invoer: ${message}`);
    expect(el('-saved')).toBeNull();
    expect(input('-url')?.value).toBe(BAD);
    await unmount();
  });

  it('shows viewers the choice read-only: nothing to change, no save', async () => {
    const { container, el, input, fake, unmount } = await mount({ auth_jwks_url: JWKS, auth_erase_deleted_users: false }, 'viewer');
    expect(byTestId(container, 'settings-forbidden')).not.toBeNull();
    expect(input('-other')?.checked).toBe(true);
    expect(input('-url')?.value).toBe(JWKS);
    for (const id of ['-this', '-other', '-erase']) expect(input(id)?.disabled, id).toBe(true);
    expect(input('-url')?.readOnly).toBe(true);
    expect(input('-erase')?.checked).toBe(false);
    expect(el('-save')).toBeNull();
    expect(fake.calls.map((c) => c.fn)).not.toContain('update_crm_project_settings');
    await unmount();
  });
});
