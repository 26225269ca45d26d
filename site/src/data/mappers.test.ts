// The mapping from RPC rows to view models, and the RPC names/args each fetcher sends.
import { describe, expect, it } from 'vitest';
import { fakeRpc } from './testRpc';
import { fetchCrmMetrics, fetchRangeMetrics } from './getCrmMetrics';
import { fetchDailyActiveUsers } from './getDailyActiveUsers';
import { fetchFunnel } from './calculateFunnelConversion';
import { fetchSiteUserDetail } from './getSiteUserDetail';
import { fetchSiteUsers, PAGE_SIZE } from './listSiteUsers';
import { fetchOnlineUsers } from './getOnlineUsers';
import { fetchCrmProjects } from './listCrmProjects';
import { createCrmProject } from './createCrmProject';
import { fetchCrmProject } from './getCrmProject';
import { exportSiteUsersCsv } from './exportSiteUsersCsv';
import { exportCrmMetricsCsv } from './exportCrmMetricsCsv';
import { settingsJson, updateCrmProjectSettings } from './updateCrmProjectSettings';
import { setCrmFunnelSteps } from './setCrmFunnelSteps';
import { rotateCrmPublicKey } from './rotateCrmPublicKey';
import { rotateCrmIdentitySecret } from './rotateCrmIdentitySecret';
import { fetchCrmInvitations, inviteCrmMember, resendCrmInvitation, revokeCrmInvitation } from './crmInvitations';
import { acceptCrmInvitation, declineCrmInvitation, fetchMyCrmInvitations } from './myCrmInvitations';
import { setCrmMemberRole } from './setCrmMemberRole';
import { removeCrmMember } from './removeCrmMember';

const P = '11111111-1111-1111-1111-111111111111';
/** A range with a filter, as reportQuery makes it from the page state. */
const Q = { projectId: P, from: '2026-11-01', to: '2026-11-07', filter: { country: 'NL' } };
const RANGE_ARGS = { p_project_id: P, p_from: '2026-11-01', p_to: '2026-11-07', p_filter: { country: 'NL' } };

describe('get_crm_metrics', () => {
  it('maps one row per metric as the SQL returns it: change = change_pct, churn in percentage points', async () => {
    const { rpc, calls } = fakeRpc(() => ({
      data: [
        { metric: 'total_users', value: 120, last_week: 100, change: 20, change_pct: 20.0 },
        { metric: 'online_now', value: 3, last_week: 4, change: -1, change_pct: -25.0 },
        { metric: 'new_this_week', value: 5, last_week: 0, change: 5, change_pct: null },
        { metric: 'churn_rate', value: 4.5, last_week: 3, change: 1.5, change_pct: 50 },
      ],
    }));
    const m = await fetchCrmMetrics(rpc, P);
    expect(calls).toEqual([{ fn: 'get_crm_metrics', args: { p_project_id: P } }]);
    expect(m).toEqual({
      total_users: { value: 120, lastWeek: 100, change: 20, changeUnit: '%' },
      online_now: { value: 3, lastWeek: 4, change: -25, changeUnit: '%' },
      new_this_week: { value: 5, lastWeek: 0, change: null, changeUnit: '%' },
      churn_rate: { value: 4.5, lastWeek: 3, change: 1.5, changeUnit: 'pp' },
    });
  });

  it('matches rows by metric name, not position; a metric without a row is null', async () => {
    const { rpc } = fakeRpc(() => ({
      data: [
        { metric: 'churn_rate', value: 4.5, last_week: 3, change: 1.5, change_pct: 50 },
        { metric: 'total_users', value: 120, last_week: 100, change: 20, change_pct: 20 },
      ],
    }));
    const m = await fetchCrmMetrics(rpc, P);
    expect(m.total_users).toEqual({ value: 120, lastWeek: 100, change: 20, changeUnit: '%' });
    expect(m.churn_rate).toEqual({ value: 4.5, lastWeek: 3, change: 1.5, changeUnit: 'pp' });
    expect(m.online_now).toEqual({ value: null, lastWeek: null, change: null, changeUnit: '%' });
  });
});

describe('get_crm_metrics with a range', () => {
  it('sends the range and filter and maps each metric with its previous period and change', async () => {
    const { rpc, calls } = fakeRpc(() => ({
      data: [
        { metric: 'visitors', value: 120, last_week: null, change: 20, change_pct: 20, previous: 100, sample_rate: 0.25 },
        { metric: 'new_visitors', value: 30, last_week: null, change: 30, change_pct: null, previous: 0, sample_rate: 0.25 },
        { metric: 'sessions', value: 150, last_week: null, change: -10, change_pct: -6.3, previous: 160, sample_rate: 0.25 },
        { metric: 'paying', value: 2, last_week: null, change: 0, change_pct: 0, previous: 2, sample_rate: 0.25 },
      ],
    }));
    const m = await fetchRangeMetrics(rpc, Q);
    expect(calls).toEqual([{ fn: 'get_crm_metrics', args: RANGE_ARGS }]);
    expect(m.sampleRate).toBe(0.25);
    expect(m.metrics).toEqual({
      visitors: { value: 120, previous: 100, changePct: 20 },
      new_visitors: { value: 30, previous: 0, changePct: null },
      sessions: { value: 150, previous: 160, changePct: -6.3 },
      // no row: nulls, not zeros
      signups: { value: null, previous: null, changePct: null },
      paying: { value: 2, previous: 2, changePct: 0 },
    });
  });

  it('reads an empty answer as exact nulls', async () => {
    const { rpc } = fakeRpc(() => ({ data: [] }));
    const m = await fetchRangeMetrics(rpc, Q);
    expect(m.sampleRate).toBe(1);
    expect(m.metrics.visitors).toEqual({ value: null, previous: null, changePct: null });
  });
});

describe('get_daily_active_users / calculate_funnel_conversion', () => {
  it('sends the range and filter (no p_days) and maps days in order with the previous period beside', async () => {
    const { rpc, calls } = fakeRpc(() => ({
      data: [
        { day: '2026-11-24', active_users: 7, new_users: 1, prev_day: '2026-11-22', prev_active_users: 5, sample_rate: 1 },
        { day: '2026-11-25', active_users: 9, new_users: 0, prev_day: '2026-11-23', prev_active_users: 0, sample_rate: 1 },
      ],
    }));
    expect(await fetchDailyActiveUsers(rpc, Q)).toEqual([
      { day: '2026-11-24', activeUsers: 7, prevDay: '2026-11-22', prevActiveUsers: 5, sampleRate: 1 },
      { day: '2026-11-25', activeUsers: 9, prevDay: '2026-11-23', prevActiveUsers: 0, sampleRate: 1 },
    ]);
    expect(calls).toEqual([{ fn: 'get_daily_active_users', args: RANGE_ARGS }]);
  });

  it('takes the funnel percentages and the previous period from SQL', async () => {
    const { rpc, calls } = fakeRpc(() => ({
      data: [
        { step_order: 1, name: 'Bezoekers', event_name: 'pageview', users: 100, pct_of_first: 100, pct_of_previous: 100, drop_off: 0, drop_off_pct: 0, prev_users: 80, users_change_pct: 25, sample_rate: 0.5 },
        { step_order: 2, name: 'Signup', event_name: 'signup', users: 25, pct_of_first: 25, pct_of_previous: 25, drop_off: 75, drop_off_pct: 75, prev_users: 0, users_change_pct: null, sample_rate: 0.5 },
      ],
    }));
    const steps = await fetchFunnel(rpc, Q);
    expect(calls).toEqual([{ fn: 'calculate_funnel_conversion', args: RANGE_ARGS }]);
    expect(steps.map((s) => s.name)).toEqual(['Bezoekers', 'Signup']);
    expect(steps[0]).toMatchObject({ users: 100, prevUsers: 80, usersChangePct: 25, sampleRate: 0.5 });
    expect(steps[1]).toEqual({ order: 2, name: 'Signup', users: 25, pctOfFirst: 25, dropOffUsers: 75, dropOffPct: 75, prevUsers: 0, usersChangePct: null, sampleRate: 0.5 });
  });
});

describe('get_online_users', () => {
  it('passes the segment filter as p_segment and omits it for Alle', async () => {
    const { rpc, calls } = fakeRpc(() => ({ data: [] }));
    await fetchOnlineUsers(rpc, P, 'all');
    await fetchOnlineUsers(rpc, P, 'inactive');
    expect(calls.map((c) => c.args)).toEqual([{ p_project_id: P }, { p_project_id: P, p_segment: 'inactive' }]);
  });
});

describe('get_site_user_detail', () => {
  it('maps profile and sessions with pages', async () => {
    const { rpc } = fakeRpc(() => ({
      data: {
        user: { id: 'u1', name: 'Jan', email: 'jan@example.com', segment: 'premium', verified: true, sessions_count: 2 },
        sessions: [{ id: 's1', started_at: '2026-11-25T10:00:00Z', duration_seconds: 95, device_type: 'mobile', browser: 'Safari', pages: [{ path: '/a', entered_at: 'x', seconds: 5 }] }],
      },
    }));
    const d = await fetchSiteUserDetail(rpc, P, 'u1');
    expect(d.profile).toMatchObject({ id: 'u1', name: 'Jan', segment: 'premium', verified: true, sessionsCount: 2 });
    expect(d.sessions[0]).toEqual({ id: 's1', startedAt: '2026-11-25T10:00:00Z', durationSeconds: 95, deviceType: 'mobile', browser: 'Safari', pages: [{ path: '/a', enteredAt: 'x', secondsOnPage: 5 }] });
  });

  it('fails on an empty answer', async () => {
    const { rpc } = fakeRpc(() => ({ data: null }));
    await expect(fetchSiteUserDetail(rpc, P, 'u1')).rejects.toThrow('not found');
  });
});

describe('list_site_users', () => {
  it('pages with limit/offset, trims the search and reads total_count', async () => {
    const { rpc, calls } = fakeRpc(() => ({ data: [{ id: 'a', name: 'Jan', email: 'jan@example.com', is_online: true, total_count: 73 }, { id: 'b', name: null, total_count: 73 }] }));
    const page = await fetchSiteUsers(rpc, P, { segment: 'trial', search: '  jan ', page: 1 });
    expect(calls[0]?.args).toEqual({ p_project_id: P, p_segment: 'trial', p_search: 'jan', p_limit: PAGE_SIZE, p_offset: PAGE_SIZE });
    expect(page.total).toBe(73);
    expect(page.rows.map((r) => [r.id, r.name, r.isOnline])).toEqual([['a', 'Jan', true], ['b', null, false]]);
  });

  it('has a total of 0 for an empty page', async () => {
    const { rpc, calls } = fakeRpc(() => ({ data: [] }));
    expect((await fetchSiteUsers(rpc, P, { segment: null, search: '', page: 0 })).total).toBe(0);
    expect(calls[0]?.args).toEqual({ p_project_id: P, p_limit: PAGE_SIZE, p_offset: 0 });
  });
});

describe('projects', () => {
  it('lists projects with a known role only', async () => {
    const { rpc } = fakeRpc(() => ({ data: [{ id: 'a', name: 'A', public_key: 'pk_a', role: 'admin' }, { id: 'b', name: 'B', public_key: 'pk_b', role: null }] }));
    expect((await fetchCrmProjects(rpc)).map((p) => p.role)).toEqual(['admin', null]);
  });

  it("creates a project and reads the creator's role from the answer", async () => {
    const { rpc, calls } = fakeRpc(() => ({ data: { id: 'n', name: 'Nieuw', public_key: 'pk_n', allowed_origins: [], settings: {}, role: 'owner', created_at: '2026-11-25T10:00:00Z' } }));
    expect(await createCrmProject(rpc, 'Nieuw')).toEqual({ id: 'n', name: 'Nieuw', role: 'owner', publicKey: 'pk_n', createdAt: '2026-11-25T10:00:00Z' });
    expect(calls[0]).toEqual({ fn: 'create_crm_project', args: { p_name: 'Nieuw', p_allowed_origins: [] } });
  });

  it('reads settings, funnel steps and members from get_crm_project', async () => {
    const { rpc, calls } = fakeRpc(() => ({
      data: {
        id: P,
        name: 'A',
        public_key: 'pk_a',
        allowed_origins: ['https://a.nl'],
        settings: {
          privacy_mode: 'cookieless', respect_dnt: false, require_signed_identify: true, session_timeout_minutes: 30,
          auth_jwks_url: 'https://abcd1234.supabase.co/auth/v1/.well-known/jwks.json', auth_erase_deleted_users: true,
        },
        created_at: '2026-11-25T10:00:00Z',
        role: 'owner',
        funnel_steps: [
          { step_order: 1, name: 'Bezoekers', event_name: 'pageview' },
          { step_order: 2, name: 'Signup', event_name: 'signup' },
        ],
        members: [{ user_id: 'm1', email: 'a@b.nl', role: 'owner', created_at: '2026-11-25T10:00:00Z' }],
      },
    }));
    expect(await fetchCrmProject(rpc, P)).toEqual({
      id: P,
      name: 'A',
      publicKey: 'pk_a',
      allowedOrigins: ['https://a.nl'],
      privacyMode: 'cookieless',
      respectDnt: false,
      requireSignedIdentify: true,
      authJwksUrl: 'https://abcd1234.supabase.co/auth/v1/.well-known/jwks.json',
      authEraseDeletedUsers: true,
      funnelSteps: [
        { stepOrder: 1, name: 'Bezoekers', eventName: 'pageview' },
        { stepOrder: 2, name: 'Signup', eventName: 'signup' },
      ],
      members: [{ userId: 'm1', email: 'a@b.nl', role: 'owner' }],
    });
    expect(calls).toEqual([{ fn: 'get_crm_project', args: { p_project_id: P } }]);
  });

  it('reads auth_jwks_url JSON null as "this Supabase project"', async () => {
    const { rpc } = fakeRpc(() => ({ data: { id: P, settings: { auth_jwks_url: null, auth_erase_deleted_users: false } } }));
    expect(await fetchCrmProject(rpc, P)).toMatchObject({ authJwksUrl: null, authEraseDeletedUsers: false });
  });

  it('passes get_crm_project errors on', async () => {
    const denied = fakeRpc(() => ({ error: { code: '42501', message: 'no' } }));
    await expect(fetchCrmProject(denied.rpc, P)).rejects.toMatchObject({ notAllowed: true });
    expect(denied.calls.map((c) => c.fn)).toEqual(['get_crm_project']);
  });
});

describe('exports and settings actions', () => {
  it('calls the CSV exports and returns their text', async () => {
    const { rpc, calls } = fakeRpc((fn) => ({ data: `${fn}\n1` }));
    expect(await exportSiteUsersCsv(rpc, P, null, false)).toBe('export_site_users_csv\n1');
    expect(await exportCrmMetricsCsv(rpc, P)).toBe('export_crm_metrics_csv\n1');
    expect(calls.map((c) => c.args)).toEqual([{ p_project_id: P, p_online_only: false }, { p_project_id: P }]);
  });

  it('sends only changed settings keys', async () => {
    expect(settingsJson({ respectDnt: false })).toEqual({ respect_dnt: false });
    // null is a value here (back to this Supabase project), not "unchanged"
    expect(settingsJson({ authJwksUrl: null })).toEqual({ auth_jwks_url: null });
    expect(settingsJson({ authEraseDeletedUsers: false })).toEqual({ auth_erase_deleted_users: false });
    const { rpc, calls } = fakeRpc(() => ({}));
    await updateCrmProjectSettings(rpc, P, { allowedOrigins: ['https://a.nl'], privacyMode: 'cookieless' });
    await updateCrmProjectSettings(rpc, P, { allowedOrigins: [] });
    expect(calls).toEqual([
      { fn: 'update_crm_project_settings', args: { p_project_id: P, p_allowed_origins: ['https://a.nl'], p_settings: { privacy_mode: 'cookieless' } } },
      { fn: 'update_crm_project_settings', args: { p_project_id: P, p_allowed_origins: [] } },
    ]);
  });

  it('sends funnel steps in the order given', async () => {
    const { rpc, calls } = fakeRpc(() => ({}));
    await setCrmFunnelSteps(rpc, P, [{ stepOrder: 9, name: ' Signup ', eventName: 'signup' }, { stepOrder: 1, name: 'Betaald', eventName: 'payment_success' }]);
    expect(calls[0]?.args?.p_steps).toEqual([{ name: 'Signup', event_name: 'signup' }, { name: 'Betaald', event_name: 'payment_success' }]);
  });

  it('returns the rotated key and secret (text)', async () => {
    const { rpc, calls } = fakeRpc((fn) => ({ data: fn === 'rotate_crm_public_key' ? 'pk_new' : 's3' }));
    expect(await rotateCrmPublicKey(rpc, P)).toBe('pk_new');
    expect(await rotateCrmIdentitySecret(rpc, P)).toBe('s3');
    expect(calls.map((c) => c.fn)).toEqual(['rotate_crm_public_key', 'rotate_crm_identity_secret']);
  });

  it('invites, changes roles, removes members; resends and revokes invitations', async () => {
    const { rpc, calls } = fakeRpc(() => ({}));
    await inviteCrmMember(rpc, P, ' a@b.nl ', 'viewer');
    await setCrmMemberRole(rpc, P, 'u9', 'admin');
    await removeCrmMember(rpc, P, 'u9');
    await resendCrmInvitation(rpc, P, 'i1');
    await revokeCrmInvitation(rpc, P, 'i1');
    expect(calls).toEqual([
      { fn: 'invite_crm_member', args: { p_project_id: P, p_email: 'a@b.nl', p_role: 'viewer' } },
      { fn: 'set_crm_member_role', args: { p_project_id: P, p_user_id: 'u9', p_role: 'admin' } },
      { fn: 'remove_crm_member', args: { p_project_id: P, p_user_id: 'u9' } },
      { fn: 'resend_crm_invitation', args: { p_project_id: P, p_invitation_id: 'i1' } },
      { fn: 'revoke_crm_invitation', args: { p_project_id: P, p_invitation_id: 'i1' } },
    ]);
  });

  it('maps invitations, and the invitee accepts or declines by id', async () => {
    const { rpc, calls } = fakeRpc((fn) => ({
      data: fn === 'list_crm_invitations'
        ? [{ id: 'i1', project_id: P, email: 'a@b.nl', role: 'viewer', created_at: 'x', expires_at: '2026-12-13T00:00:00Z' }]
        : fn === 'list_my_crm_invitations'
        ? [{ id: 'i2', project_id: P, project_name: 'Shop', role: 'admin', invited_by_email: 'o@b.nl', expires_at: 'y' }]
        : true,
    }));
    expect(await fetchCrmInvitations(rpc, P)).toEqual([{ id: 'i1', email: 'a@b.nl', role: 'viewer', expiresAt: '2026-12-13T00:00:00Z' }]);
    expect(await fetchMyCrmInvitations(rpc)).toEqual([{ id: 'i2', projectId: P, projectName: 'Shop', role: 'admin', invitedBy: 'o@b.nl' }]);
    await acceptCrmInvitation(rpc, 'i2');
    await declineCrmInvitation(rpc, 'i3');
    expect(calls.slice(2)).toEqual([
      { fn: 'accept_crm_invitation', args: { p_invitation_id: 'i2' } },
      { fn: 'decline_crm_invitation', args: { p_invitation_id: 'i3' } },
    ]);
  });
});
