// Create or edit an alert rule: the fields of its kind, its channels, cooldown and on/off. The
// server checks every value (URLs, addresses, numbers) and its 400 message shows under the form.
import { useState, type FormEvent, type ReactNode } from 'react';
import { useT, type Translate } from '../i18n/i18n';
import { ALERT_CHANNELS, ALERT_KINDS, ALERT_OPS, SEGMENTS, type AlertChannelType, type AlertKind, type AlertOp } from '../data/enums';
import { draftOf, emptyDraft, type AlertDraft, type AlertRule, type ChannelDraft } from '../data/alertRule';
import { useCreateCrmAlert } from '../data/createCrmAlert';
import { alertPatchOf, useUpdateCrmAlert } from '../data/updateCrmAlert';
import { alertLabel } from '../lib/alertLabels';
import { segmentLabelKey } from '../lib/format';
import { Dialog } from './ui/Dialog';
import { ErrorState } from './ui/States';

type Edit = (patch: Partial<AlertDraft>) => void;

function SegmentSelect({ label, value, onChange, testId, t }: { label: string; value: string; onChange: (v: string) => void; testId: string; t: Translate }) {
  return (
    <label>
      {label}
      <select value={value} onChange={(e) => onChange(e.target.value)} data-testid={testId}>
        <option value="">{t('alertAnySegment')}</option>
        {SEGMENTS.map((s) => {
          const key = segmentLabelKey(s);
          return (
            <option key={s} value={s}>
              {key ? t(key) : s}
            </option>
          );
        })}
      </select>
    </label>
  );
}

function NumberField({ label, value, onChange, testId }: { label: string; value: string; onChange: (v: string) => void; testId: string }) {
  return (
    <label>
      {label}
      <input type="number" required step={1} value={value} onChange={(e) => onChange(e.target.value)} data-testid={testId} />
    </label>
  );
}

/** The condition's fields for the draft's kind. */
function KindFields({ d, edit, t }: { d: AlertDraft; edit: Edit; t: Translate }): ReactNode {
  switch (d.kind) {
    case 'event':
      return (
        <>
          <label>
            {t('alertEvent')}
            <input required value={d.event} onChange={(e) => edit({ event: e.target.value })} placeholder="payment_success" data-testid="alert-form-event" />
          </label>
          <label className="check">
            <input type="checkbox" checked={d.withProp} onChange={(e) => edit({ withProp: e.target.checked })} data-testid="alert-form-with-prop" />
            {t('alertWithProp')}
          </label>
          {d.withProp && (
            <div className="row">
              <input required aria-label={t('alertProp')} placeholder={t('alertProp')} value={d.prop} onChange={(e) => edit({ prop: e.target.value })} data-testid="alert-form-prop" />
              <select aria-label={t('alertOp')} value={d.op} onChange={(e) => edit({ op: e.target.value as AlertOp })} data-testid="alert-form-op">
                {ALERT_OPS.map((op) => (
                  <option key={op} value={op}>
                    {alertLabel('op', op, t)}
                  </option>
                ))}
              </select>
              <input required aria-label={t('alertValue')} placeholder={t('alertValue')} value={d.value} onChange={(e) => edit({ value: e.target.value })} data-testid="alert-form-value" />
            </div>
          )}
        </>
      );
    case 'stuck':
      return (
        <>
          <NumberField label={t('alertStuckMinutes')} value={d.minutes} onChange={(minutes) => edit({ minutes })} testId="alert-form-minutes" />
          <label className="check">
            <input type="checkbox" checked={d.identifiedOnly} onChange={(e) => edit({ identifiedOnly: e.target.checked })} data-testid="alert-form-identified" />
            {t('alertIdentifiedOnly')}
          </label>
          <SegmentSelect label={t('alertSegment')} value={d.segment} onChange={(segment) => edit({ segment })} testId="alert-form-segment" t={t} />
          <label>
            {t('alertPath')}
            <input value={d.path} onChange={(e) => edit({ path: e.target.value })} placeholder="/checkout*" data-testid="alert-form-path" />
          </label>
        </>
      );
    case 'segment_change':
      return (
        <div className="row">
          <SegmentSelect label={t('alertFrom')} value={d.from} onChange={(from) => edit({ from })} testId="alert-form-from" t={t} />
          <SegmentSelect label={t('alertTo')} value={d.to} onChange={(to) => edit({ to })} testId="alert-form-to" t={t} />
        </div>
      );
    case 'online_threshold':
      return (
        <div className="row">
          <label>
            {t('alertDirection')}
            <select value={d.direction} onChange={(e) => edit({ direction: e.target.value === 'below' ? 'below' : 'above' })} data-testid="alert-form-direction">
              <option value="above">{t('alertAbove')}</option>
              <option value="below">{t('alertBelow')}</option>
            </select>
          </label>
          <NumberField label={t('alertCount')} value={d.count} onChange={(count) => edit({ count })} testId="alert-form-count" />
          <NumberField label={t('alertWindow')} value={d.minutes} onChange={(minutes) => edit({ minutes })} testId="alert-form-minutes" />
        </div>
      );
    case 'new_user':
      return <SegmentSelect label={t('alertSegment')} value={d.segment} onChange={(segment) => edit({ segment })} testId="alert-form-segment" t={t} />;
  }
}

function ChannelRow({ c, i, onChange, onRemove, t }: { c: ChannelDraft; i: number; onChange: (c: ChannelDraft) => void; onRemove: () => void; t: Translate }) {
  return (
    <li className="row channel-row" data-testid="alert-form-channel">
      <select aria-label={t('alertChannelType')} value={c.type} onChange={(e) => onChange({ ...c, type: e.target.value as AlertChannelType })} data-testid="alert-form-channel-type">
        {ALERT_CHANNELS.map((type) => (
          <option key={type} value={type}>
            {alertLabel('channel', type, t)}
          </option>
        ))}
      </select>
      {c.type !== 'dashboard' && (
        <input
          required
          type={c.type === 'email' ? 'text' : 'url'}
          aria-label={c.type === 'email' ? t('alertEmailTo') : t('alertUrl')}
          placeholder={c.type === 'email' ? 'ops@example.com, sales@example.com' : c.type === 'slack' ? 'https://hooks.slack.com/services/…' : 'https://example.com/hook'}
          value={c.target}
          onChange={(e) => onChange({ ...c, target: e.target.value })}
          data-testid="alert-form-channel-target"
        />
      )}
      <button type="button" className="icon" onClick={onRemove} aria-label={t('alertRemoveChannel', { n: i + 1 })} data-testid="alert-form-channel-remove">
        ✕
      </button>
    </li>
  );
}

export function AlertRuleForm({ projectId, rule, onClose, onSaved }: { projectId: string; rule: AlertRule | null; onClose: () => void; onSaved: () => void }) {
  const t = useT();
  const [d, setDraft] = useState<AlertDraft>(() => (rule ? draftOf(rule) : emptyDraft()));
  const create = useCreateCrmAlert();
  const update = useUpdateCrmAlert();
  const action = rule ? update : create;
  const edit: Edit = (patch) => setDraft((x) => ({ ...x, ...patch }));
  const setChannels = (f: (cs: ChannelDraft[]) => ChannelDraft[]) => setDraft((x) => ({ ...x, channels: f(x.channels) }));
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const saved = rule ? await update.run(rule.id, alertPatchOf(d)) : await create.run(projectId, d);
    if (saved.ok) onSaved();
  };
  return (
    <Dialog title={rule ? t('alertEditTitle', { name: rule.name }) : t('alertNewTitle')} onClose={onClose} testId="alert-form">
      <form className="stack" onSubmit={submit}>
        <label>
          {t('alertName')}
          <input required value={d.name} onChange={(e) => edit({ name: e.target.value })} data-testid="alert-form-name" />
        </label>
        <label>
          {t('alertKind')}
          {/* update_crm_alert has no kind: a rule keeps the kind it was made with */}
          <select value={d.kind} disabled={!!rule} onChange={(e) => edit({ kind: e.target.value as AlertKind })} data-testid="alert-form-kind">
            {ALERT_KINDS.map((k) => (
              <option key={k} value={k}>
                {alertLabel('kind', k, t)}
              </option>
            ))}
          </select>
        </label>
        <KindFields d={d} edit={edit} t={t} />
        <fieldset className="stack">
          <legend>{t('alertChannels')}</legend>
          <ol className="stack">
            {d.channels.map((c, i) => (
              <ChannelRow
                key={i}
                c={c}
                i={i}
                t={t}
                onChange={(next) => setChannels((cs) => cs.map((x, j) => (j === i ? next : x)))}
                onRemove={() => setChannels((cs) => cs.filter((_, j) => j !== i))}
              />
            ))}
          </ol>
          <div>
            <button type="button" onClick={() => setChannels((cs) => [...cs, { type: 'webhook', target: '' }])} data-testid="alert-form-channel-add">
              {t('alertAddChannel')}
            </button>
          </div>
        </fieldset>
        <NumberField label={t('alertCooldown')} value={d.cooldownMinutes} onChange={(cooldownMinutes) => edit({ cooldownMinutes })} testId="alert-form-cooldown" />
        <label className="check">
          <input type="checkbox" checked={d.enabled} onChange={(e) => edit({ enabled: e.target.checked })} data-testid="alert-form-enabled" />
          {t('alertRuleOn')}
        </label>
        {action.error && <ErrorState error={action.error} testId="alert-form" />}
        <div className="row">
          <button type="submit" className="primary" disabled={action.busy} data-testid="alert-form-save">
            {t('save')}
          </button>
          <button type="button" onClick={onClose}>
            {t('cancel')}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
