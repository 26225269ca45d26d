// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { act } from 'react';
import AlertsPanel from './AlertsPanel';
import SettingsView from './SettingsView';
import { setBackendForTests } from '../data/client';
import { projectsStore } from '../data/activeProject';
import { setLocale } from '../i18n/i18n';
import { fakeBackend } from '../test/fakeBackend';
import { allByTestId, byTestId, flush, render } from '../test/render';

const P = '88888888-8888-8888-8888-888888888888';
const A = 'aaaaaaaa-0000-0000-0000-000000000001';
const rule = (extra: Record<string, unknown> = {}) => ({
  id: A,
  name: 'Grote betaling',
  kind: 'event',
  condition: { event: 'payment_success', prop: 'amount', op: 'gt', value: '100' },
  channels: [{ type: 'dashboard' }, { type: 'webhook', url: 'https://example.com/hook' }, { type: 'email', to: ['ops@example.com', 'cto@example.com'] }],
  cooldown_minutes: 15,
  enabled: true,
  created_at: '2026-12-01T08:00:00Z',
  updated_at: '2026-12-01T08:00:00Z',
  last_fired_at: null,
  pending: 2,
  dead: 1,
  suppressed: 0,
  ...extra,
});
const deadLetter = {
  id: 41, alert_id: A, alert_name: 'Grote betaling', channel: 'webhook', target: 'https://example.com/hook', attempts: 17,
  last_status: 502, last_error: 'Bad Gateway', summary: 'payment_success amount 250', created_at: '2026-12-05T10:00:00Z',
};
const delivery = (id: number, status: string, extra: Record<string, unknown> = {}) => ({
  id, channel: 'webhook', target: 'https://example.com/hook', status, attempts: 3, last_status: 500, last_error: 'boom',
  summary: 'payment_success amount 250', is_test: false, created_at: '2026-12-06T10:00:00Z', next_attempt_at: null, delivered_at: null, ...extra,
});

type Answer = Parameters<typeof fakeBackend>[0];
/** The reads answer with one rule, a dead letter, a log and a secret; `over` answers first. */
const answers = (over: (fn: string, args: Record<string, unknown>) => ReturnType<Answer> | undefined = () => undefined): Answer => (fn, args) => {
  const a = over(fn, args);
  if (a) return a;
  if (fn === 'list_crm_alerts') return { data: [rule()] };
  if (fn === 'list_crm_alert_dead_letters') return { data: [deadLetter] };
  if (fn === 'list_crm_alert_deliveries') return { data: [delivery(2, 'delivered', { attempts: 1, last_status: 200, last_error: null, is_test: true }), delivery(1, 'pending')] };
  if (fn === 'get_crm_webhook_secret') return { data: 'whsec_0123456789abcdef' };
  return { data: null };
};

function setInput(el: HTMLElement | null, value: string) {
  const input = el as HTMLInputElement;
  const setter = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(input), 'value')?.set;
  setter?.call(input, value);
  input.dispatchEvent(new Event('input', { bubbles: true }));
}

async function choose(el: HTMLElement | null, value: string) {
  await act(async () => {
    const select = el as HTMLSelectElement;
    select.value = value;
    select.dispatchEvent(new Event('change', { bubbles: true }));
  });
}

const click = async (el: HTMLElement | null) => {
  await act(async () => (el as HTMLElement).click());
  await flush();
};
const type = (el: HTMLElement | null, value: string) => act(async () => setInput(el, value));

let fake: ReturnType<typeof fakeBackend>;
async function mount(answer: Answer, canWrite = true) {
  fake = fakeBackend(answer);
  setBackendForTests(fake.backend);
  const view = await render(<AlertsPanel projectId={P} canWrite={canWrite} />);
  await flush();
  return view;
}

const argsOf = (fn: string) => fake.calls.filter((c) => c.fn === fn).map((c) => c.args);

// happy-dom has no window.confirm: the test answers it
const confirm = vi.fn((_message?: string) => true);
beforeEach(() => {
  confirm.mockClear();
  window.confirm = confirm;
});

afterEach(() => {
  setBackendForTests(null);
  projectsStore.set({ status: 'idle', projects: [], active: null });
  vi.restoreAllMocks();
  vi.unstubAllGlobals();
  setLocale('nl');
});

describe('AlertsPanel: the rules', () => {
  it('lists each rule with its kind in words, channels, cooldown, switch, last fired and its queue', async () => {
    const { container, unmount } = await mount(answers());
    expect(argsOf('list_crm_alerts')).toEqual([{ p_project_id: P }]);
    const [row] = allByTestId(container, 'alert-rule');
    expect(byTestId(row!, 'alert-rule-name')?.textContent).toBe('Grote betaling');
    expect(byTestId(row!, 'alert-rule-kind')?.textContent).toBe('Event');
    expect([...row!.querySelectorAll('[data-testid=alert-rule-channels] .badge')].map((b) => b.textContent)).toEqual(['Dashboard', 'Webhook', 'E-mail']);
    expect(row!.textContent).toContain('15 min');
    expect((byTestId(row!, 'alert-rule-enabled') as HTMLInputElement).checked).toBe(true);
    expect(byTestId(row!, 'alert-rule-last-fired')?.textContent).toBe('nog nooit');
    expect(byTestId(row!, 'alert-rule-queue')?.textContent).toBe('2 wachtend · 1 opgegeven');
    await act(async () => setLocale('en'));
    expect(byTestId(row!, 'alert-rule-queue')?.textContent).toBe('2 pending · 1 dead');
    expect(byTestId(row!, 'alert-rule-kind')?.textContent).toBe('Event');
    expect(byTestId(row!, 'alert-rule-suppressed')).toBeNull();
    await unmount();
  });

  it('shows the firings the hourly limit suppressed', async () => {
    const { container, unmount } = await mount(answers((fn) => (fn === 'list_crm_alerts' ? { data: [rule({ suppressed: 14 })] } : undefined)));
    expect(byTestId(allByTestId(container, 'alert-rule')[0]!, 'alert-rule-suppressed')?.textContent).toBe('14 onderdrukt dit uur');
    await unmount();
  });

  it('says so when there are no rules, and shows a failed load with a retry', async () => {
    let fail = true;
    const { container, unmount } = await mount(answers((fn) => (fn === 'list_crm_alerts' ? (fail ? { error: { code: '42501', message: 'no' } } : { data: [] }) : undefined)));
    expect(byTestId(container, 'alerts-error')?.textContent).toContain('Je hebt geen toegang tot deze gegevens.');
    fail = false;
    await click(byTestId(container, 'alerts-error')!.querySelector('button'));
    expect(byTestId(container, 'alerts-empty')?.textContent).toBe('Nog geen alertregels.');
    await unmount();
  });

  it('pauses and resumes with p_enabled only, sends a test and says how many were queued, deletes after a confirm', async () => {
    let enabled = true;
    const { container, unmount } = await mount(answers((fn, args) => {
      if (fn === 'update_crm_alert') enabled = args.p_enabled as boolean;
      if (fn === 'list_crm_alerts') return { data: [rule({ enabled })] };
      if (fn === 'test_crm_alert') return { data: 3 };
      return undefined;
    }));
    await click(byTestId(container, 'alert-rule-enabled'));
    expect(argsOf('update_crm_alert')).toEqual([{ p_alert_id: A, p_enabled: false }]);
    expect((byTestId(container, 'alert-rule-enabled') as HTMLInputElement).checked).toBe(false);
    expect(byTestId(container, 'alert-rule')?.dataset.enabled).toBe('false');
    await click(byTestId(container, 'alert-rule-enabled'));
    expect(argsOf('update_crm_alert').at(-1)).toEqual({ p_alert_id: A, p_enabled: true });

    await click(byTestId(container, 'alert-rule-test'));
    expect(argsOf('test_crm_alert')).toEqual([{ p_alert_id: A }]);
    expect(byTestId(container, 'alert-rule-test-queued')?.textContent).toBe('3 bezorgingen klaargezet');

    confirm.mockReturnValueOnce(false);
    await click(byTestId(container, 'alert-rule-delete'));
    expect(argsOf('delete_crm_alert')).toEqual([]);
    await click(byTestId(container, 'alert-rule-delete'));
    expect(confirm).toHaveBeenLastCalledWith('Regel Grote betaling verwijderen?');
    expect(argsOf('delete_crm_alert')).toEqual([{ p_alert_id: A }]);
    await unmount();
  });

  it('shows a refused action in words next to the rule', async () => {
    const { container, unmount } = await mount(answers((fn) => (fn === 'test_crm_alert' ? { error: { code: '42501', message: 'not an admin' } } : undefined)));
    await click(byTestId(container, 'alert-rule-test'));
    expect(byTestId(container, 'alert-rule-action-error')?.textContent).toBe('Je hebt geen toegang tot deze gegevens.');
    expect(byTestId(container, 'alert-rule-test-queued')).toBeNull();
    await unmount();
  });

  it('opens the delivery log: time, channel, target, status, attempts and the last error, newest first', async () => {
    const { container, unmount } = await mount(answers());
    await click(byTestId(container, 'alert-rule-log'));
    expect(argsOf('list_crm_alert_deliveries')).toEqual([{ p_alert_id: A }]);
    const rows = allByTestId(container, 'alert-delivery');
    expect(rows.map((r) => r.dataset.status)).toEqual(['delivered', 'pending']);
    expect(rows[0]!.textContent).toContain('bezorgd');
    expect(rows[0]!.textContent).toContain('test');
    expect(rows[1]!.textContent).toContain('https://example.com/hook');
    expect(rows[1]!.textContent).toContain('HTTP 500 · boom');
    await act(async () => byTestId(container, 'alert-log-close')!.click());
    expect(byTestId(container, 'alert-log')).toBeNull();
    await unmount();
  });
});

describe('AlertsPanel: the rule form', () => {
  async function openNew(answer: Answer = answers()) {
    const view = await mount(answer);
    await click(byTestId(view.container, 'alert-new'));
    await type(byTestId(view.container, 'alert-form-name'), 'Mijn regel');
    return view;
  }
  const save = (c: HTMLElement) => click(byTestId(c, 'alert-form-save'));
  const created = () => argsOf('create_crm_alert').at(-1);

  it('event with a property filter, webhook, Slack and email channels', async () => {
    const { container, unmount } = await openNew();
    await type(byTestId(container, 'alert-form-event'), 'payment_success');
    await click(byTestId(container, 'alert-form-with-prop'));
    await type(byTestId(container, 'alert-form-prop'), 'amount');
    await choose(byTestId(container, 'alert-form-op'), 'gt');
    await type(byTestId(container, 'alert-form-value'), '100');
    for (const [type_, target] of [['webhook', 'https://example.com/hook'], ['slack', 'https://hooks.slack.com/services/T/B/x'], ['email', 'ops@example.com, cto@example.com']]) {
      await click(byTestId(container, 'alert-form-channel-add'));
      const row = allByTestId(container, 'alert-form-channel').at(-1)!;
      await choose(byTestId(row, 'alert-form-channel-type'), type_!);
      await type(byTestId(row, 'alert-form-channel-target'), target!);
    }
    await type(byTestId(container, 'alert-form-cooldown'), '30');
    await save(container);
    expect(created()).toEqual({
      p_project_id: P,
      p_name: 'Mijn regel',
      p_kind: 'event',
      p_condition: { event: 'payment_success', prop: 'amount', op: 'gt', value: '100' },
      p_channels: [
        { type: 'dashboard' },
        { type: 'webhook', url: 'https://example.com/hook' },
        { type: 'slack', url: 'https://hooks.slack.com/services/T/B/x' },
        { type: 'email', to: ['ops@example.com', 'cto@example.com'] },
      ],
      p_cooldown_minutes: 30,
      p_enabled: true,
    });
    // saved: the dialog closes and the list is read again
    expect(byTestId(container, 'alert-form')).toBeNull();
    expect(argsOf('list_crm_alerts')).toHaveLength(2);
    await unmount();
  });

  it('event without a filter sends the event only; a removed channel is gone', async () => {
    const { container, unmount } = await openNew();
    await type(byTestId(container, 'alert-form-event'), 'signup');
    await click(byTestId(container, 'alert-form-channel-add'));
    await click(allByTestId(container, 'alert-form-channel-remove')[0]!);
    await type(byTestId(container, 'alert-form-channel-target'), 'https://example.com/hook');
    await click(byTestId(container, 'alert-form-enabled'));
    await save(container);
    expect(created()).toMatchObject({ p_condition: { event: 'signup' }, p_channels: [{ type: 'webhook', url: 'https://example.com/hook' }], p_enabled: false });
    await unmount();
  });

  it('stuck: minutes, identified only, segment and path', async () => {
    const { container, unmount } = await openNew();
    await choose(byTestId(container, 'alert-form-kind'), 'stuck');
    await type(byTestId(container, 'alert-form-minutes'), '7');
    await click(byTestId(container, 'alert-form-identified'));
    await choose(byTestId(container, 'alert-form-segment'), 'trial');
    await type(byTestId(container, 'alert-form-path'), '/checkout*');
    await save(container);
    expect(created()).toMatchObject({ p_kind: 'stuck', p_condition: { minutes: 7, identified_only: true, segment: 'trial', path: '/checkout*' } });
    await unmount();
  });

  it('stuck without a path or segment sends segment null and no path', async () => {
    const { container, unmount } = await openNew();
    await choose(byTestId(container, 'alert-form-kind'), 'stuck');
    await save(container);
    expect(created()?.p_condition).toEqual({ minutes: 5, identified_only: false, segment: null });
    await unmount();
  });

  it('segment_change: any segment is null', async () => {
    const { container, unmount } = await openNew();
    await choose(byTestId(container, 'alert-form-kind'), 'segment_change');
    await choose(byTestId(container, 'alert-form-to'), 'premium');
    await save(container);
    expect(created()).toMatchObject({ p_kind: 'segment_change', p_condition: { from: null, to: 'premium' } });
    await unmount();
  });

  it('online_threshold: direction, count and minutes as numbers', async () => {
    const { container, unmount } = await openNew();
    await choose(byTestId(container, 'alert-form-kind'), 'online_threshold');
    await choose(byTestId(container, 'alert-form-direction'), 'below');
    await type(byTestId(container, 'alert-form-count'), '3');
    await type(byTestId(container, 'alert-form-minutes'), '10');
    await save(container);
    expect(created()).toMatchObject({ p_kind: 'online_threshold', p_condition: { direction: 'below', count: 3, minutes: 10 } });
    await unmount();
  });

  it('new_user: the segment', async () => {
    const { container, unmount } = await openNew();
    await choose(byTestId(container, 'alert-form-kind'), 'new_user');
    await choose(byTestId(container, 'alert-form-segment'), 'premium');
    await save(container);
    expect(created()).toMatchObject({ p_kind: 'new_user', p_condition: { segment: 'premium' } });
    await unmount();
  });

  it('shows the server’s 400 message and keeps the form open with what was typed', async () => {
    const message = 'channel 1: url must be an https URL';
    const { container, unmount } = await openNew(answers((fn) => (fn === 'create_crm_alert' ? { error: { code: '22023', message } } : undefined)));
    await type(byTestId(container, 'alert-form-event'), 'signup');
    await save(container);
    expect(byTestId(container, 'alert-form-error')?.textContent).toBe(`Ongeldige invoer: ${message}`);
    expect((byTestId(container, 'alert-form-name') as HTMLInputElement).value).toBe('Mijn regel');
    expect(argsOf('list_crm_alerts')).toHaveLength(1);
    await unmount();
  });

  it('edits a rule: the form holds what is stored, the kind is fixed, and the update sends every field', async () => {
    const { container, unmount } = await mount(answers());
    await click(byTestId(container, 'alert-rule-edit'));
    expect((byTestId(container, 'alert-form-name') as HTMLInputElement).value).toBe('Grote betaling');
    expect((byTestId(container, 'alert-form-kind') as HTMLSelectElement).disabled).toBe(true);
    expect((byTestId(container, 'alert-form-prop') as HTMLInputElement).value).toBe('amount');
    expect(allByTestId(container, 'alert-form-channel-target').map((i) => (i as HTMLInputElement).value)).toEqual(['https://example.com/hook', 'ops@example.com, cto@example.com']);
    await type(byTestId(container, 'alert-form-name'), 'Heel grote betaling');
    await type(byTestId(container, 'alert-form-value'), '1000');
    await save(container);
    expect(argsOf('update_crm_alert')).toEqual([{
      p_alert_id: A,
      p_name: 'Heel grote betaling',
      p_condition: { event: 'payment_success', prop: 'amount', op: 'gt', value: '1000' },
      p_channels: [{ type: 'dashboard' }, { type: 'webhook', url: 'https://example.com/hook' }, { type: 'email', to: ['ops@example.com', 'cto@example.com'] }],
      p_cooldown_minutes: 15,
      p_enabled: true,
    }]);
    expect(argsOf('create_crm_alert')).toEqual([]);
    await unmount();
  });
});

describe('AlertsPanel: dead letters and the webhook secret', () => {
  it('lists dead letters with their last error and retries one', async () => {
    const { container, unmount } = await mount(answers());
    const [letter] = allByTestId(container, 'alert-dead-letter');
    expect(letter!.textContent).toContain('Grote betaling');
    expect(byTestId(letter!, 'alert-dead-letter-error')?.textContent).toBe('HTTP 502 · Bad Gateway');
    await click(byTestId(letter!, 'alert-dead-letter-retry'));
    expect(argsOf('retry_crm_alert_delivery')).toEqual([{ p_delivery_id: 41 }]);
    expect(argsOf('list_crm_alert_dead_letters')).toHaveLength(2);
    await unmount();
  });

  it('masks the secret until shown, copies it, and rotates it only after a confirm', async () => {
    const writeText = vi.fn(async () => {});
    vi.stubGlobal('navigator', { ...navigator, clipboard: { writeText } });
    const { container, unmount } = await mount(answers((fn) => (fn === 'rotate_crm_webhook_secret' ? { data: 'whsec_new' } : undefined)));
    const value = () => byTestId(container, 'webhook-secret-value')?.textContent;
    expect(value()).toBe('whsec_••••••••••••••••');
    expect(value()).not.toContain('0123');
    await click(byTestId(container, 'webhook-secret-reveal'));
    expect(value()).toBe('whsec_0123456789abcdef');
    await click(byTestId(container, 'webhook-secret-copy'));
    expect(writeText).toHaveBeenCalledWith('whsec_0123456789abcdef');
    confirm.mockReturnValueOnce(false);
    await click(byTestId(container, 'webhook-secret-rotate'));
    expect(argsOf('rotate_crm_webhook_secret')).toEqual([]);
    await click(byTestId(container, 'webhook-secret-rotate'));
    expect(argsOf('rotate_crm_webhook_secret')).toEqual([{ p_project_id: P }]);
    expect(value()).toBe('whsec_new');
    await unmount();
  });
});

describe('AlertsPanel: browser notifications', () => {
  it('asks for permission only when the button is pressed', async () => {
    const requestPermission = vi.fn(async () => 'granted' as const);
    vi.stubGlobal('Notification', { permission: 'default', requestPermission });
    const { container, unmount } = await mount(answers());
    expect(requestPermission).not.toHaveBeenCalled();
    await click(byTestId(container, 'notify-allow'));
    expect(requestPermission).toHaveBeenCalledTimes(1);
    expect(byTestId(container, 'notify')?.dataset.access).toBe('granted');
    expect(byTestId(container, 'notify-allow')).toBeNull();
    await unmount();
  });

  it('offers no button once the browser has an answer', async () => {
    vi.stubGlobal('Notification', { permission: 'denied', requestPermission: vi.fn() });
    const { container, unmount } = await mount(answers());
    expect(byTestId(container, 'notify-allow')).toBeNull();
    expect(byTestId(container, 'notify')?.textContent).toBe('Browsermeldingen zijn geblokkeerd in de instellingen van je browser.');
    await unmount();
  });
});

describe('Settings for a viewer', () => {
  it('shows the alerts read-only: no write controls, no secret, no admin settings panels', async () => {
    fake = fakeBackend(answers());
    setBackendForTests(fake.backend);
    projectsStore.set({ status: 'ready', projects: [], active: { id: P, name: 'Demo', publicKey: 'pk_demo', role: 'viewer', createdAt: null } });
    const { container, unmount } = await render(<SettingsView />);
    await flush(10);
    expect(byTestId(container, 'settings-forbidden')).not.toBeNull();
    expect(allByTestId(container, 'alert-rule')).toHaveLength(1);
    expect(byTestId(container, 'alert-rule-state')?.textContent).toBe('aan');
    expect(allByTestId(container, 'alert-dead-letter')).toHaveLength(1);
    for (const id of ['alert-new', 'alert-rule-edit', 'alert-rule-test', 'alert-rule-delete', 'alert-rule-enabled', 'alert-dead-letter-retry', 'webhook-secret']) {
      expect(byTestId(container, id), id).toBeNull();
    }
    expect(container.querySelectorAll('[data-testid=settings-alerts] button:not([data-testid=alert-rule-log]):not([data-testid=notify-allow])')).toHaveLength(0);
    expect(byTestId(container, 'webhook-secret-admins')).not.toBeNull();
    expect(fake.calls.map((c) => c.fn)).not.toContain('get_crm_webhook_secret');
    // the project is read only for the read-only Supabase Auth panel: no admin panel renders
    for (const id of ['settings-access', 'settings-key', 'settings-funnel', 'settings-members', 'settings-secret', 'settings-delete']) {
      expect(byTestId(container, id), id).toBeNull();
    }
    // the log is reading, so a viewer has it
    await click(byTestId(container, 'alert-rule-log'));
    expect(allByTestId(container, 'alert-delivery')).toHaveLength(2);
    await unmount();
  });
});
