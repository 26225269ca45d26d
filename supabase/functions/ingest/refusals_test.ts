// The function's refusal counter: sums per project and error, reports on a timer, keeps
// what a failed report could not deliver.
import assert from 'node:assert/strict';
import { projectKeyIn, type Refusal, refusalReporter } from './refusals.ts';

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

Deno.test('refusals are summed per project and error and sent together once the interval has passed', async () => {
  const sent: Refusal[][] = [];
  const r = refusalReporter(async (batch) => void sent.push(batch), 30);
  r.record('pk_aaaaaaaa', 'bot', 'a bot');
  r.record('pk_aaaaaaaa', 'bot', 'a bot');
  r.record('pk_aaaaaaaa', 'invalid_batch', 'body is not JSON');
  r.record('pk_bbbbbbbb', 'bot', 'a bot');
  assert.equal(sent.length, 0, 'nothing is sent at once');
  await wait(80);
  assert.equal(sent.length, 1, 'one report for all of them');
  assert.deepEqual(sent[0]!.map((x) => [x.project, x.error, x.count]), [
    ['pk_aaaaaaaa', 'bot', 2], ['pk_aaaaaaaa', 'invalid_batch', 1], ['pk_bbbbbbbb', 'bot', 1],
  ]);
  await wait(60);
  assert.equal(sent.length, 1, 'no empty reports');
});

Deno.test('a report that fails is kept and sent with the next one', async () => {
  const sent: Refusal[][] = [];
  let fail = true;
  const r = refusalReporter(async (batch) => {
    if (fail) throw new Error('database down');
    sent.push(batch);
  }, 20);
  r.record('pk_aaaaaaaa', 'bot', 'a bot');
  await r.flush();
  assert.equal(sent.length, 0);
  fail = false;
  r.record('pk_aaaaaaaa', 'bot', 'a bot');
  await r.flush();
  assert.deepEqual(sent[0]!.map((x) => x.count), [2], 'the failed count is not lost');
});

Deno.test('the project key is found at the start of a body that is not a readable batch', () => {
  assert.equal(projectKeyIn('{"project":"pk_demo0000000000000000","sent_at":1,"events":['), 'pk_demo0000000000000000');
  assert.equal(projectKeyIn('{"project": "pk_abcdefgh", …'), 'pk_abcdefgh');
  assert.equal(projectKeyIn('{"project":"nope"}'), null);
  assert.equal(projectKeyIn(`${' '.repeat(5000)}"project":"pk_abcdefgh"`), null, 'only the first 4 KB are searched');
});
