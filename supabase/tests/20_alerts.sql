-- Alerts: rule validation and authorisation, each kind firing from what ingest writes
-- (or the minute job), cooldowns, the outbox passing through pg_net's queue with the
-- notify URL and token from Vault, notify's claim (signed webhook, Slack, email), its
-- reports, retries with backoff, dead letters, the delivery log's trim, erasure.
begin;
\ir helpers/auth.psql
\ir helpers/analytics.psql
\ir helpers/crm.psql
select plan(111);

select tests.an_setup('Alerts');
select tests.an_id('project') as p \gset
-- Hosted refuses private webhook targets; this suite checks that, then allows them like the local stack.
set local vibe.allow_private_webhooks = 'off';

-- The SQLSTATE and message of a statement, or 'ok' (callable from the API roles).
create function tests.state(p_sql text) returns text language plpgsql as $$
begin
  execute p_sql;
  return 'ok';
exception when others then
  return sqlstate || ': ' || sqlerrm;
end $$;
grant execute on function tests.state(text) to anon, authenticated, service_role;

-- Validation ---------------------------------------------------------------------------
select is(tests.state(format($$select public.create_crm_alert(%L, 'x', 'weather', '{}', '[{"type":"dashboard"}]')$$, :'p')),
  '22023: kind must be one of event, stuck, segment_change, online_threshold, new_user', 'an unknown kind is a 400 naming the kinds');
select is(tests.state(format($$select public.create_crm_alert(%L, 'x', 'event', '{"event":"buy","amout":1}', '[{"type":"dashboard"}]')$$, :'p')),
  '22023: a event rule has no condition key amout: use event, prop, op, value', 'a misspelt condition key is refused, not ignored');
select is(tests.state(format($$select public.create_crm_alert(%L, 'x', 'event', '{"event":"buy","prop":"amount"}', '[{"type":"dashboard"}]')$$, :'p')),
  '22023: prop, op and value go together: give all three or none', 'prop without op and value is refused');
select is(tests.state(format($$select public.create_crm_alert(%L, 'x', 'event', '{"event":"buy","prop":"amount","op":"gt","value":"lots"}', '[{"type":"dashboard"}]')$$, :'p')),
  '22023: op gt compares numbers: value must be a number', 'gt needs a number');
select is(tests.state(format($$select public.create_crm_alert(%L, 'x', 'stuck', '{"minutes":0}', '[{"type":"dashboard"}]')$$, :'p')),
  '22023: minutes must be a whole number from 1 to 1440', 'stuck minutes are 1 to 1440');
select is(tests.state(format($$select public.create_crm_alert(%L, 'x', 'segment_change', '{"to":"vip"}', '[{"type":"dashboard"}]')$$, :'p')),
  '22023: to must be null (any) or one of visitor, user, premium, trial, churned', 'segments come from crm.segment');
select is(tests.state(format($$select public.create_crm_alert(%L, 'x', 'online_threshold', '{"direction":"over","count":5,"minutes":1}', '[{"type":"dashboard"}]')$$, :'p')),
  '22023: direction must be above or below', 'online_threshold direction is above or below');
select is(tests.state(format($$select public.create_crm_alert(%L, 'x', 'new_user', '{}', '[]')$$, :'p')),
  '22023: channels must be a non-empty JSON array', 'a rule needs a channel');
select is(tests.state(format($$select public.create_crm_alert(%L, 'x', 'new_user', '{}', '[{"type":"webhook","url":"http://example.com/h"}]')$$, :'p')),
  '22023: webhook url must use https', 'hosted: plain http is refused');
select is(tests.state(format($$select public.create_crm_alert(%L, 'x', 'new_user', '{}', '[{"type":"webhook","url":"https://10.1.2.3/h"}]')$$, :'p')),
  '22023: webhook url https://10.1.2.3/h points at a private, loopback or link-local address: refused', 'hosted: a private address is refused');
select is(tests.state(format($$select public.create_crm_alert(%L, 'x', 'new_user', '{}', '[{"type":"slack","url":"https://[::1]:8080/h"}]')$$, :'p')),
  '22023: slack url https://[::1]:8080/h points at a private, loopback or link-local address: refused', 'hosted: IPv6 loopback is refused');
select is(tests.state(format($$select public.create_crm_alert(%L, 'x', 'new_user', '{}', '[{"type":"webhook","url":"https://169.254.169.254/latest"}]')$$, :'p')),
  '22023: webhook url https://169.254.169.254/latest points at a private, loopback or link-local address: refused', 'hosted: the link-local metadata address is refused');
select is(tests.state(format($$select public.create_crm_alert(%L, 'x', 'new_user', '{}', '[{"type":"webhook","url":"https://metadata.internal/x"}]')$$, :'p')),
  '22023: webhook url https://metadata.internal/x points at a local host: refused', 'hosted: .internal names are refused');
select is(tests.state(format($$select public.create_crm_alert(%L, 'x', 'new_user', '{}', '[{"type":"webhook","url":"https://user:pw@example.com/h"}]')$$, :'p')),
  '22023: webhook url https://user:pw@example.com/h is not an http(s) URL with a host (no user:password@; an international name in its xn-- form)', 'credentials in a URL are refused');
select is(tests.state(format($$select public.create_crm_alert(%L, 'x', 'new_user', '{}', '[{"type":"email","to":["ops@example"]}]')$$, :'p')),
  '22023: email address ops@example is not valid', 'a bad email address is refused');
select is(tests.state(format($$select public.create_crm_alert(%L, 'x', 'new_user', '{}', '[{"type":"dashboard"}]', -1)$$, :'p')),
  '22023: cooldown_minutes must be 0 to 10080', 'the cooldown is 0 minutes to a week');
select is(tests.state(format($$select public.create_crm_alert(%L, '', 'new_user', '{}', '[{"type":"dashboard"}]')$$, :'p')),
  '22023: name must be 1 to 200 characters', 'a rule needs a name');
select is((select count(*)::integer from crm.alerts where project_id = :'p'), 0, 'nothing was stored by the refused calls');

set local vibe.allow_private_webhooks = 'on';
-- The receivers are fake (nothing is sent inside a test): the rows are what is checked.
select public.create_crm_alert(:'p', 'Big payment', 'event',
  '{"event": "payment_success", "prop": "amount", "op": "gt", "value": 100}',
  '[{"type": "dashboard"}, {"type": "webhook", "url": "http://127.0.0.1:9/hook?token=s3cret"}, {"type": "email", "to": ["Ops@Example.com"]}]') as big \gset
select is((select condition from crm.alerts where id = :'big'),
  '{"event": "payment_success", "prop": "amount", "op": "gt", "value": "100"}'::jsonb, 'the condition is stored in its clean form');
select is((select channels from crm.alerts where id = :'big'),
  '[{"type": "dashboard"}, {"type": "webhook", "url": "http://127.0.0.1:9/hook?token=s3cret"}, {"type": "email", "to": ["ops@example.com"]}]'::jsonb,
  'channels are stored clean: the local stack allows loopback webhooks; addresses lower-cased');
select is((select cooldown_minutes from crm.alerts where id = :'big'), 10, 'the cooldown defaults to 10 minutes');

-- Who may do what ---------------------------------------------------------------------
select tests.authenticate_as(tests.an_id('viewer'));
select is((select channels -> 1 ->> 'url' from public.list_crm_alerts(:'p') where id = :'big'), 'http://127.0.0.1:9/…',
  'a viewer sees the rule, with webhook URLs cut to their host (they carry tokens)');
select is(tests.state(format('select public.update_crm_alert(%L, p_enabled => false)', :'big')),
  '42501: not allowed: admin role required in this project', 'a viewer cannot pause a rule');
select is(tests.state(format('select public.test_crm_alert(%L)', :'big')),
  '42501: not allowed: admin role required in this project', 'a viewer cannot send a test');
select is(tests.state(format('select public.delete_crm_alert(%L)', :'big')),
  '42501: not allowed: admin role required in this project', 'a viewer cannot delete a rule');
select is(tests.state(format('select * from public.list_crm_alert_deliveries(%L)', :'big')), 'ok', 'a viewer reads the delivery log');
select tests.clear_authentication();
select tests.authenticate_as(tests.an_id('outsider'));
select is(tests.state(format('select * from public.list_crm_alert_deliveries(%L)', :'big')),
  '42501: not allowed: viewer role required in this project', 'a non-member cannot read the log');
select is(tests.state(format('select public.update_crm_alert(%L, p_enabled => false)', :'big')),
  '42501: not allowed: admin role required in this project', 'a non-member cannot change a rule');
select tests.clear_authentication();
select tests.authenticate_as_role('anon');
select is(tests.state(format('select public.update_crm_alert(%L, p_enabled => false)', :'big')),
  '42501: permission denied for function update_crm_alert', 'anon cannot call the rule functions at all');
select tests.clear_authentication();
select tests.authenticate_as(tests.an_id('admin'));
select is((select channels -> 1 ->> 'url' from public.list_crm_alerts(:'p') where id = :'big'),
  'http://127.0.0.1:9/hook?token=s3cret', 'an admin sees the full URL');
select is(tests.state(format('select public.update_crm_alert(%L, p_condition => ''{"event": "x", "minutes": 3}'')', :'big')),
  '22023: a event rule has no condition key minutes: use event, prop, op, value', 'an update is checked against the rule''s kind');
select is(tests.state(format('select public.update_crm_alert(%L, gen_random_uuid()::text)', gen_random_uuid())),
  'PT404: unknown alert rule', 'an unknown rule id is a 404') ;
select tests.clear_authentication();
select is((select sqlstate from (select 1) x, lateral (select tests.state(format('select public.delete_crm_alert(%L)', gen_random_uuid())) as sqlstate) y),
  'PT404: unknown alert rule', 'deleting an unknown rule is a 404 as well');

-- event: fires from ingest, through pg_net's queue --------------------------------------
select tests.ingest(:'p', tests.uid(1), tests.uid(2), jsonb_build_array(
  tests.ev('event', now() - interval '5 seconds', '{"name": "payment_success", "props": {"amount": 50}}'),
  tests.ev('event', now() - interval '4 seconds', '{"name": "signup", "props": {"amount": 500}}')));
select is((select count(*)::integer from crm.alert_deliveries where alert_id = :'big'), 0,
  'an event that does not meet the condition (50 is not > 100), or has another name, fires nothing');

select coalesce(max(id), 0) as q0 from net.http_request_queue \gset
select tests.ingest(:'p', tests.uid(1), tests.uid(2), jsonb_build_array(
  tests.ev('event', now() - interval '3 seconds', '{"name": "payment_success", "props": {"amount": "250.5", "currency": "EUR"}}'),
  tests.ev('event', now() - interval '2 seconds', '{"name": "payment_success", "props": {"amount": 900}}')));
select is((select array_agg(channel::text || ':' || status::text order by channel) from crm.alert_deliveries where alert_id = :'big'),
  '{dashboard:delivered,webhook:sending,email:sending}',
  'a matching event fires once per channel (two in one batch: one firing per rule and user)');
select ok((select summary like 'payment_success (amount = %) by an anonymous visitor' from crm.alert_deliveries where alert_id = :'big' limit 1),
  'the summary names the event, the prop and the user');
select is((select count(*)::integer from net.http_request_queue q
           where q.id > coalesce(:'q0'::bigint, 0) and q.method = 'POST'
             and q.url = (select decrypted_secret from vault.decrypted_secrets where name = 'vibe_notify_url')
             and q.headers ->> 'Authorization' = 'Bearer ' || (select decrypted_secret from vault.decrypted_secrets where name = 'vibe_notify_token')),
  2, 'webhook and email each queued one pg_net request to notify, with the URL and bearer token from Vault');
select is((select array_agg(convert_from(q.body, 'UTF8')::jsonb order by q.id) from net.http_request_queue q where q.id > coalesce(:'q0'::bigint, 0)),
  (select array_agg(jsonb_build_object('delivery_id', d.id, 'attempt', 1) order by d.id) from crm.alert_deliveries d
   where d.alert_id = :'big' and d.channel <> 'dashboard'),
  'each request carries its delivery id and attempt, nothing else');
select is((select array_agg(d.request_id order by d.id) from crm.alert_deliveries d where d.alert_id = :'big' and d.channel <> 'dashboard'),
  (select array_agg(q.id order by q.id) from net.http_request_queue q where q.id > coalesce(:'q0'::bigint, 0)),
  'each delivery remembers its pg_net request');
select is((select payload - 'id' - 'delivery_id' - 'fired_at' - 'alert_id' - 'summary' from realtime.messages
           where topic = 'crm:' || :'p' and event = 'alert_fired'),
  '{"kind": "event", "is_test": false, "user_id": "00000000-0000-4000-8000-000000000001", "alert_name": "Big payment"}'::jsonb,
  'the dashboard channel is a broadcast on the project''s private topic');

select tests.ingest(:'p', tests.uid(1), tests.uid(2), jsonb_build_array(
  tests.ev('event', now() - interval '1 seconds', '{"name": "payment_success", "props": {"amount": 300}}')));
select is((select count(*)::integer from crm.alert_deliveries where alert_id = :'big'), 3,
  'within the cooldown the same user does not fire the rule again');
update crm.alert_cooldowns set fired_at = now() - interval '11 minutes' where alert_id = :'big';
select tests.ingest(:'p', tests.uid(1), tests.uid(2), jsonb_build_array(
  tests.ev('event', now(), '{"name": "payment_success", "props": {"amount": 300}}')));
select is((select count(*)::integer from crm.alert_deliveries where alert_id = :'big'), 6, 'after the cooldown it fires again');
select public.update_crm_alert(:'big', p_enabled => false);
update crm.alert_cooldowns set fired_at = now() - interval '11 minutes' where alert_id = :'big';
select tests.ingest(:'p', tests.uid(3), tests.uid(4), jsonb_build_array(
  tests.ev('event', now(), '{"name": "payment_success", "props": {"amount": 300}}')));
select is((select count(*)::integer from crm.alert_deliveries where alert_id = :'big'), 6, 'a paused rule fires nothing');

-- Prop conditions (the rule's value is stored as text; value_num is its number, as the generated column makes it)
create function pg_temp.m(p_op text, p_value text, p_props jsonb) returns boolean language sql
as $$ select crm.alert_props_match(p_op, p_value, crm.json_number(to_jsonb(p_value)), p_props -> 'a') $$;
select is(array[pg_temp.m('eq', '100', '{"a":100.0}'),
                pg_temp.m('eq', 'pro', '{"a":"pro"}'),
                pg_temp.m('ne', 'pro', '{}'),
                pg_temp.m('ne', 'pro', '{"a":"pro"}'),
                pg_temp.m('lt', '10', '{"a":"9.5"}'),
                pg_temp.m('lt', '10', '{"a":"cheap"}'),
                pg_temp.m('contains', 'PRO', '{"a":"team-pro"}'),
                pg_temp.m('gt', '1', '{"b":5}')],
  array[true, true, true, false, true, false, true, false],
  'eq/ne compare numbers as numbers, lt/gt need numbers, contains ignores case, a missing prop meets only ne');

-- segment_change and new_user: row triggers on site_users --------------------------------
select public.create_crm_alert(:'p', 'Upgrade', 'segment_change', '{"from": "trial", "to": "premium"}', '[{"type": "dashboard"}]') as upg \gset
select public.create_crm_alert(:'p', 'Signups', 'new_user', '{}', '[{"type": "dashboard"}]') as nu \gset
select tests.an_user(:'p', now() - interval '1 day', p_key => 'u_trial') is not null;
update crm.site_users set segment = 'trial' where id = tests.an_id('u_trial');
update crm.site_users set segment = 'premium', email = 'ann@example.com' where id = tests.an_id('u_trial');
select is((select array_agg(a.name || ': ' || d.summary order by a.name) from crm.alert_deliveries d join crm.alerts a on a.id = d.alert_id
           where d.alert_id in (:'upg', :'nu')),
  '{"Signups: New user: ann@example.com (premium)","Upgrade: ann@example.com went from trial to premium"}',
  'trial -> premium fires the segment rule (visitor -> trial did not); getting an email fires new_user');
update crm.site_users set segment = 'churned', email = 'ann2@example.com' where id = tests.an_id('u_trial');
select is((select count(*)::integer from crm.alert_deliveries where alert_id in (:'upg', :'nu')), 2,
  'premium -> churned does not match trial -> premium; an already identified user is not new');
select tests.ingest(:'p', tests.uid(5), tests.uid(6), jsonb_build_array(
  tests.ev('pageview', now() - interval '2 seconds'),
  tests.ev('identify', now() - interval '1 seconds', '{"email": "bob@example.com", "segment": "trial"}')));
select is((select summary from crm.alert_deliveries where alert_id = :'nu' order by id desc limit 1), 'New user: bob@example.com (trial)',
  'an identify through ingest fires new_user');

-- stuck and online_threshold: the minute job -------------------------------------------
select public.create_crm_alert(:'p', 'Stuck at checkout', 'stuck', '{"minutes": 5, "path": "/checkout*"}', '[{"type": "dashboard"}]') as st \gset
select public.create_crm_alert(:'p', 'Stuck VIP', 'stuck', '{"minutes": 5, "identified_only": true}', '[{"type": "dashboard"}]') as st2 \gset
select tests.an_user(:'p', now() - interval '1 hour', p_key => 'u_stuck') is not null;
insert into crm.site_sessions (project_id, id, user_id, started_at, last_activity_at, current_page, current_page_since)
values (:'p', tests.uid(30), tests.an_id('u_stuck'), now() - interval '20 minutes', now() - interval '10 seconds',
        '/checkout/pay', now() - interval '7 minutes'),
       (:'p', tests.uid(31), tests.an_id('u_stuck'), now() - interval '20 minutes', now() - interval '10 seconds',
        '/blog', now() - interval '3 minutes');
select cmp_ok(crm.job_alert_rules(), '>=', 1, 'the minute job fires');
select is((select array_agg(summary) from crm.alert_deliveries where alert_id = :'st'),
  '{"an anonymous visitor is stuck on /checkout/pay for 7 min"}', 'a visitor 7 min on /checkout/pay fires the /checkout* rule once (3 min on /blog does not)');
select is((select count(*)::integer from crm.alert_deliveries where alert_id = :'st2'), 0, 'identified_only skips an anonymous visitor');
select public.create_crm_alert(:'p', 'Busy', 'online_threshold', '{"direction": "above", "count": 1, "minutes": 5}', '[{"type": "dashboard"}]') as busy \gset
select public.create_crm_alert(:'p', 'Quiet', 'online_threshold', '{"direction": "below", "count": 1, "minutes": 0}', '[{"type": "dashboard"}]') as quiet \gset
select crm.job_alert_rules();
select is((select array[(select count(*) from crm.alert_deliveries where alert_id = :'busy'),
                         (select count(*) from crm.alert_deliveries where alert_id = :'quiet')]::integer[]),
  '{0,0}', 'more than one online: the above rule starts counting, the below rule does not hold');
update crm.alert_conditions set since = now() - interval '6 minutes' where alert_id = :'busy';
select crm.job_alert_rules();
select ok((select summary like 'Online now: % (above 1 for 6 min)' from crm.alert_deliveries where alert_id = :'busy'),
  'held for 6 of 5 minutes: the above rule fires');
update crm.site_sessions set is_online = false where project_id = :'p';
select crm.job_alert_rules();
select is((select count(*)::integer from crm.alert_conditions where alert_id = :'busy'), 0, 'when it stops holding its state goes');
select is((select summary from crm.alert_deliveries where alert_id = :'quiet'), 'Online now: 0 (below 1 for 0 min)',
  'nobody online fires the below rule at once (0 minutes)');

-- Delivery: claim, report, retry, dead ----------------------------------------------------
select id as wh from crm.alert_deliveries where alert_id = :'big' and channel = 'webhook' order by id limit 1 \gset
select id as em from crm.alert_deliveries where alert_id = :'big' and channel = 'email' order by id limit 1 \gset
select is(crm.claim_alert_delivery(:'wh', 2), null, 'a claim for another attempt sends nothing');
select crm.claim_alert_delivery(:'wh', 1) as claim \gset
select is((:'claim'::jsonb ->> 'url'), 'http://127.0.0.1:9/hook?token=s3cret', 'the claim has the receiver''s URL');
select is((:'claim'::jsonb -> 'headers' ->> 'webhook-id'), (select key::text from crm.alert_deliveries where id = :'wh'),
  'webhook-id is the delivery''s stable idempotency key');
select is((:'claim'::jsonb -> 'headers' ->> 'webhook-signature'),
  'v1,' || encode(extensions.hmac(convert_to((:'claim'::jsonb -> 'headers' ->> 'webhook-id') || '.' || (:'claim'::jsonb -> 'headers' ->> 'webhook-timestamp')
    || '.' || (:'claim'::jsonb ->> 'body'), 'UTF8'), decode(substr(public.get_crm_webhook_secret(:'p'), 7), 'base64'), 'sha256'), 'base64'),
  'the signature is HMAC-SHA256 over id.timestamp.body with the project''s webhook secret');
select is(((:'claim'::jsonb ->> 'body')::jsonb - 'id' - 'created_at' - 'project_id' - 'user' - 'link' - 'subject' - 'data' - 'alert' - 'summary'),
  '{"test": false, "type": "alert.fired"}'::jsonb, 'the body says what it is');
select is(((:'claim'::jsonb ->> 'body')::jsonb -> 'data' -> 'event' -> 'properties'), '{"amount": "250.5", "currency": "EUR"}'::jsonb,
  'the body carries the event that fired the rule');
select is((crm.claim_alert_delivery(:'em', 1) ->> 'body')::jsonb -> 'to', '["ops@example.com"]'::jsonb, 'an email claim lists the addresses');
select is(crm.claim_alert_delivery(:'em', 1) -> 'headers' ->> 'Idempotency-Key', (select key::text from crm.alert_deliveries where id = :'em'),
  'email carries the idempotency key the email API dedupes on');

select is(crm.record_alert_delivery(:'wh', 1, 500, 'the receiver answered 500'), 'pending', 'a 500 schedules a retry');
select ok((select next_attempt_at between now() + interval '15 seconds' and now() + interval '30 seconds' and last_status = 500
           from crm.alert_deliveries where id = :'wh'), 'the first retry waits 15 to 30 s (30 s with jitter)');
select is(crm.claim_alert_delivery(:'wh', 1), null, 'a pending delivery cannot be claimed');
select crm.job_alert_deliveries();
select is((select status::text from crm.alert_deliveries where id = :'wh'), 'pending', 'the job leaves it until it is due');
update crm.alert_deliveries set next_attempt_at = now() - interval '1 second' where id = :'wh';
select coalesce(max(id), 0) as q1 from net.http_request_queue \gset
select crm.job_alert_deliveries();
select is((select status::text || ' attempt ' || attempts from crm.alert_deliveries where id = :'wh'), 'sending attempt 2', 'when due the job sends attempt 2');
select is((select convert_from(body, 'UTF8')::jsonb from net.http_request_queue where id > :'q1'),
  jsonb_build_object('delivery_id', :'wh'::bigint, 'attempt', 2), 'through a new pg_net request');
select is(crm.record_alert_delivery(:'wh', 1, 503, 'late'), 'sending', 'a late failure of attempt 1 changes nothing');
select is(crm.record_alert_delivery(:'wh', 2, 200, null), 'delivered', 'a 200 delivers');
select is(crm.record_alert_delivery(:'wh', 2, 500, null), 'delivered', 'and stays delivered');

select ok((select extract(epoch from crm.alert_backoff(10)) between 1800 and 3600), 'backoff is capped at an hour (with jitter)');
-- notify never reported (killed mid-delivery): the lease runs out and the job takes it back
update crm.alert_deliveries set lease_until = now() - interval '1 second' where id = :'em';
select crm.job_alert_deliveries();
select is((select status::text || ': ' || last_error from crm.alert_deliveries where id = :'em'),
  'pending: notify did not report within 00:02:00', 'an unreported attempt is taken back after its lease');
update crm.alert_deliveries set retry_from = now() - interval '25 hours', next_attempt_at = now() where id = :'em';
select crm.job_alert_deliveries();
select is(crm.record_alert_delivery(:'em', 2, 502, 'bad gateway'), 'dead', 'after 24 hours of retries a failure is final');
select is((select alert_name || ' ' || channel || ' ' || last_error from public.list_crm_alert_dead_letters(:'p')),
  'Big payment email bad gateway', 'dead letters are listed with the last error');
select public.retry_crm_alert_delivery(:'em');
select is((select status::text from crm.alert_deliveries where id = :'em'), 'pending', 'a dead letter can be retried by hand');
select is(tests.state(format('select public.retry_crm_alert_delivery(%s)', :'wh')), '22023: only a dead delivery can be retried',
  'only dead letters are retried by hand');
-- a request pg_net could not deliver to notify counts as failed without waiting for the lease
-- (pg_net's response table is written only by pg_net: the integration test covers it)
select ok(exists (select from crm.alert_deliveries where alert_id = :'big' and channel = 'webhook' and status = 'sending'),
  'the later firings are still with notify');

-- test, the log, erasure ------------------------------------------------------------------
select tests.authenticate_as(tests.an_id('admin'));
select is(public.test_crm_alert(:'big'), 3, 'a test goes to each channel, paused rule or not');
select is((select count(*)::integer from public.list_crm_alert_deliveries(:'big') where is_test), 3, 'and shows in the log as a test');
select is((select target from public.list_crm_alert_deliveries(:'big') where channel = 'webhook' limit 1), 'http://127.0.0.1:9/hook',
  'the log names the target without its query');
select tests.clear_authentication();
insert into crm.alert_deliveries (project_id, alert_id, channel, target, subject, summary, data, status, delivered_at)
select :'p', :'nu', 'dashboard', '{}', 'x' || n, 'old', '{}', 'delivered', now() from generate_series(1, 105) n;
select crm.job_alert_deliveries();
select is((select count(*)::integer from crm.alert_deliveries where alert_id = :'nu'), 100, 'the job keeps the last 100 deliveries of a rule');
select is((select count(*)::integer from crm.alert_cooldowns where alert_id = :'big'), 0, 'and drops cooldowns that ran out');
-- a merge moves the deliveries to the user merged into (visitor 3 became a user of its own in the paused-rule check)
select tests.ingest(:'p', tests.uid(3), tests.uid(4), jsonb_build_array(tests.ev('pageview', now())));
update crm.alert_deliveries set user_id = tests.uid(3) where id = :'wh';
select crm.merge_site_users(:'p', tests.uid(3), tests.uid(1));
select is((select user_id from crm.alert_deliveries where id = :'wh'), tests.uid(1), 'a merge moves a user''s deliveries along');
select cmp_ok((select count(*)::integer from crm.alert_deliveries where user_id = tests.uid(1)), '>', 0, 'user 1 has deliveries');
select public.delete_site_user(:'p', tests.uid(1));
select is((select count(*)::integer from crm.alert_deliveries where user_id = tests.uid(1)), 0, 'erasing a user deletes their deliveries');
select public.delete_crm_alert(:'big');
select is((select count(*)::integer from crm.alert_deliveries where alert_id = :'big'), 0, 'deleting a rule deletes its log');

-- Hardening ---------------------------------------------------------------------------------
-- pg_net's answer: an error, or notify refusing, takes the attempt back without waiting for the lease
select public.create_crm_alert(:'p', 'Hooks', 'event', '{"event": "refund"}',
  '[{"type": "webhook", "url": "https://hooks.example.com/a"}, {"type": "slack", "url": "https://hooks.slack.com/services/T0/B0/XYZ"}]') as hk \gset
select tests.ingest(:'p', tests.uid(40), tests.uid(41), jsonb_build_array(tests.ev('event', now(), '{"name": "refund"}')));
select id as hw from crm.alert_deliveries where alert_id = :'hk' and channel = 'webhook' \gset
select id as hs from crm.alert_deliveries where alert_id = :'hk' and channel = 'slack' \gset
insert into net._http_response (id, status_code, content, error_msg, created)
select request_id, null, null, 'Couldn''t connect to server', now() from crm.alert_deliveries where id = :'hw'
union all
select request_id, 401, '{"error":"invalid token"}', null, now() from crm.alert_deliveries where id = :'hs';
select crm.job_alert_deliveries();
select is(array(select status::text || ': ' || last_error from crm.alert_deliveries where id in (:'hw', :'hs') order by id),
  array['pending: notify was not reached: Couldn''t connect to server', 'pending: notify answered 401: {"error":"invalid token"}'],
  'pg_net''s error or notify''s refusal fails the attempt at the next job run');
select is(crm.record_alert_delivery(:'hw', 1, 200, null), 'delivered', 'a success that lands after the take-back still delivers');

-- Slack shows a visitor's text literally
update crm.alert_deliveries set summary = '<!channel> <https://evil.example|reset> & co', status = 'sending', attempts = 5 where id = :'hs';
select ok(starts_with((crm.claim_alert_delivery(:'hs', 5) ->> 'body')::jsonb ->> 'text',
  'Hooks: &lt;!channel&gt; &lt;https://evil.example|reset&gt; &amp; co'), 'Slack markup in a summary is escaped (only the link to the user stays markup)');

-- viewers never see a URL's path in an error
update crm.alert_deliveries set last_error = 'error sending request for url (https://hooks.slack.com/services/T0/B0/XYZ): refused' where id = :'hs';
select tests.authenticate_as(tests.an_id('viewer'));
select is((select last_error from public.list_crm_alert_deliveries(:'hk') where channel = 'slack'),
  'error sending request for url (https://hooks.slack.com/…)', 'a viewer sees what happened, with URLs cut to their host and without the receiver''s answer');
select tests.clear_authentication();
select tests.authenticate_as(tests.an_id('outsider'));
select is(tests.state(format('select public.retry_crm_alert_delivery(%s)', :'hs')), 'PT404: unknown delivery',
  'another project''s delivery id is unknown, not forbidden (ids are sequential)');
select tests.clear_authentication();

-- an alert that fails never costs the event
insert into crm.alerts (project_id, name, kind, condition, channels)
values (:'p', 'Broken', 'event', '{"event": "broken_rule", "prop": null, "op": null, "value": null}', '[{"type": "pager"}]');
select is((tests.ingest(:'p', tests.uid(42), tests.uid(43), jsonb_build_array(tests.ev('event', now(), '{"name": "broken_rule"}'))) ->> 'accepted')::integer,
  1, 'a rule that cannot fire (a channel the enum lacks) leaves ingest accepting the event');
select is((select count(*)::integer from crm.user_events where project_id = :'p' and name = 'broken_rule'), 1, 'and the event is stored');

-- at most 60 firings per rule per hour, whoever the subjects
select public.create_crm_alert(:'p', 'Everyone', 'event', '{"event": "ping"}', '[{"type": "dashboard"}]', 0) as ev \gset
select crm.fire_alerts(array(select row(:'ev'::uuid, 'user ' || n, null, 'ping', '{}')::crm.alert_firing from generate_series(1, 70) n));
select is((select count(*)::integer from crm.alert_deliveries where alert_id = :'ev'), 60, '70 subjects at once: 60 fire');
select is((select suppressed from public.list_crm_alerts(:'p') where id = :'ev'), 10, 'and 10 are counted as suppressed');

-- stuck and online_threshold fire once per episode, not every cooldown
select public.create_crm_alert(:'p', 'Parked', 'stuck', '{"minutes": 5}', '[{"type": "dashboard"}]', 1) as pk \gset
select tests.an_user(:'p', now() - interval '1 hour', p_key => 'u_parked') is not null;
insert into crm.site_sessions (project_id, id, user_id, started_at, last_activity_at, current_page, current_page_since)
values (:'p', tests.uid(50), tests.an_id('u_parked'), now() - interval '30 minutes', now() - interval '5 seconds', '/pricing', now() - interval '20 minutes');
select crm.job_alert_rules();
update crm.alert_cooldowns set fired_at = now() - interval '2 minutes' where alert_id = :'pk';
select crm.job_alert_rules();
select is((select count(*)::integer from crm.alert_deliveries where alert_id = :'pk'), 1, 'a visitor parked on a page fires once, past the cooldown too');
update crm.site_sessions set current_page = '/checkout', current_page_since = now() - interval '6 minutes' where id = tests.uid(50);
update crm.alert_cooldowns set fired_at = now() - interval '2 minutes' where alert_id = :'pk';
select crm.job_alert_rules();
select is((select count(*)::integer from crm.alert_deliveries where alert_id = :'pk'), 2, 'stuck again on another page: a new episode fires');
select public.create_crm_alert(:'p', 'Someone online', 'online_threshold', '{"direction": "above", "count": 0, "minutes": 0}', '[{"type": "dashboard"}]', 1) as so \gset
select crm.job_alert_rules();
update crm.alert_cooldowns set fired_at = now() - interval '2 minutes' where alert_id = :'so';
select crm.job_alert_rules();
select is((select count(*)::integer from crm.alert_deliveries where alert_id = :'so'), 1, 'a threshold that keeps holding fires once');

-- the nightly churn fires segment rules as one set
select public.create_crm_alert(:'p', 'Churned', 'segment_change', '{"from": null, "to": "churned"}', '[{"type": "dashboard"}]') as ch \gset
select tests.an_user(:'p', now() - interval '40 days', now() - interval '30 days', p_key => 'u_gone') is not null;
update crm.site_users set segment = 'user', email = 'gone@example.com' where id = tests.an_id('u_gone');
select cmp_ok(crm.job_segment_upkeep(), '>=', 1, 'the churn job churns');
select is((select array_agg(summary) from crm.alert_deliveries where alert_id = :'ch'), '{"gone@example.com went from user to churned"}',
  'and fires the segment rule for the churned user, with the segment they had');

-- A number the regex takes must be one the cast takes: a thin space is not whitespace here
select is(crm.json_number(to_jsonb('5' || U&'\2009')), null, 'a number followed by a Unicode space is text, not an error');
select is((tests.ingest(:'p', tests.uid(44), tests.uid(45), jsonb_build_array(
  tests.ev('event', now(), jsonb_build_object('name', 'ping', 'props', jsonb_build_object('amount', '100' || U&'\2009'))))) ->> 'accepted')::integer,
  1, 'and such a prop reaches the event rules without failing ingest');

-- stuck: parked for a day, or stuck in two tabs, still fires once; a new episode held by the cooldown fires after it
select tests.an_user(:'p', now() - interval '2 days', p_key => 'u_kiosk') is not null;
insert into crm.site_sessions (project_id, id, user_id, started_at, last_activity_at, current_page, current_page_since)
values (:'p', tests.uid(60), tests.an_id('u_kiosk'), now() - interval '26 hours', now() - interval '5 seconds', '/board', now() - interval '25 hours'),
       (:'p', tests.uid(61), tests.an_id('u_kiosk'), now() - interval '2 hours', now() - interval '5 seconds', '/board', now() - interval '1 hour');
select crm.job_alert_rules();
update crm.alert_cooldowns set fired_at = now() - interval '2 minutes' where alert_id = :'pk';
select crm.job_alert_rules();
update crm.alert_cooldowns set fired_at = now() - interval '2 minutes' where alert_id = :'pk';
select crm.job_alert_rules();
select is((select count(*)::integer from crm.alert_deliveries where alert_id = :'pk' and user_id = tests.an_id('u_kiosk')), 1,
  'a visitor parked for 25 hours in two tabs fires once over three runs');
update crm.site_sessions set current_page = '/other', current_page_since = now() - interval '6 minutes' where id = tests.uid(61);
update crm.alert_cooldowns set fired_at = now() where alert_id = :'pk' and subject = tests.an_id('u_kiosk')::text;
select crm.job_alert_rules();
select is((select count(*)::integer from crm.alert_deliveries where alert_id = :'pk' and user_id = tests.an_id('u_kiosk')), 1,
  'a new episode inside the cooldown waits');
update crm.alert_cooldowns set fired_at = now() - interval '2 minutes' where alert_id = :'pk' and subject = tests.an_id('u_kiosk')::text;
select crm.job_alert_rules();
select is((select count(*)::integer from crm.alert_deliveries where alert_id = :'pk' and user_id = tests.an_id('u_kiosk')), 2,
  'and fires once the cooldown has passed');

-- tests have a limit of their own
select tests.authenticate_as(tests.an_id('admin'));
select public.test_crm_alert(:'hk') from generate_series(1, 5);
select is(tests.state(format('select public.test_crm_alert(%L)', :'hk')), '22023: at most 5 tests per rule per hour',
  'a sixth test within the hour is refused');
select tests.clear_authentication();

-- configure_crm_alerts: the deploy's way into Vault
select tests.authenticate_as(tests.an_id('owner'));
select is(tests.state($$select public.configure_crm_alerts('https://x.supabase.co/functions/v1/notify', repeat('t', 40))$$),
  '42501: permission denied for function configure_crm_alerts', 'not even an owner may configure alerts');
select tests.clear_authentication();
select tests.authenticate_as_role('service_role');
select is(tests.state($$select public.configure_crm_alerts('https://x.supabase.co/functions/v1/notify', 'short')$$),
  '22023: p_notify_token must be at least 32 characters', 'a short token is refused');
select is(tests.state($$select public.configure_crm_alerts('https://x.supabase.co/functions/v1/notify', repeat('t', 40), 'https://crm.example.com')$$),
  'ok', 'service_role configures alerts');
select tests.clear_authentication();
select is((select array_agg(name || '=' || decrypted_secret order by name) from vault.decrypted_secrets where name like 'vibe_%'),
  array['vibe_dashboard_url=https://crm.example.com', 'vibe_notify_token=' || repeat('t', 40),
        'vibe_notify_url=https://x.supabase.co/functions/v1/notify'], 'and Vault holds the three settings');

select * from finish();
rollback;
