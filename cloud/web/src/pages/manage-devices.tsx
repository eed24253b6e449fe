/**
 * Devices -> Manage devices (the bulk "Process"): pick a target customer, then pick devices in the
 * searchable dropdown or paste unit ids / device ids. Preview is the dry run; Process moves them,
 * all or nothing. A refused request lists every offending entry beside what was pasted.
 */
import { useState } from 'preact/hooks';
import { ApiError, api, describe, type AssignItem, type Device } from '../api.js';
import { offenceMap, readOffences } from '../assign-errors.js';
import { plural } from '../format.js';
import { splitPaste, toAssignIds, type PastedEntry } from '../paste.js';
import { accountName, useSession } from '../session.js';
import { AccountOptions, DataTable, ErrorBox, Field, Link } from '../ui.js';
import { DevicePicker } from './device-picker.js';

interface Outcome {
  dryRun: boolean;
  items: AssignItem[];
}

interface Refusal {
  entries: PastedEntry[];
  reasons: Map<string, string>;
}

export function ManageDevicesPage() {
  const session = useSession();
  const { me, accounts } = session;
  const [target, setTarget] = useState('');
  const [mode, setMode] = useState<'pick' | 'paste'>('pick');
  const [picked, setPicked] = useState<Device[]>([]);
  const [text, setText] = useState('');
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const [refusal, setRefusal] = useState<Refusal | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const entries = splitPaste(text);
  const count = mode === 'pick' ? picked.length : entries.length;

  const run = async (dryRun: boolean) => {
    setError(null);
    setRefusal(null);
    setOutcome(null);
    if (!target) return setError('Choose the target customer first.');
    if (count === 0) return setError(mode === 'pick' ? 'Pick at least one device.' : 'Paste at least one unit id or device id.');
    const ids = mode === 'pick' ? { deviceIds: picked.map((d) => d.id) } : toAssignIds(entries);
    setBusy(true);
    try {
      const res = await api<{ items: AssignItem[] }>('POST', '/v1/devices/assign', { accountId: target, ...ids, dryRun });
      setOutcome({ dryRun, items: res.items });
      if (!dryRun) await session.reloadAccounts();
    } catch (e) {
      const offences = e instanceof ApiError && e.status === 400 ? readOffences(e.details) : [];
      if (offences.length > 0) {
        const listed = mode === 'paste' ? entries : picked.map((d, i) => ({ text: d.id, kind: 'deviceId' as const, line: i + 1 }));
        setRefusal({ entries: listed, reasons: offenceMap(offences) });
      } else setError(describe(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section aria-labelledby="manage-title">
      <div class="page-head">
        <h1 id="manage-title">Manage devices</h1>
        <Link href="/devices">Back to the device list</Link>
      </div>
      <form class="panel wide" onSubmit={(e) => (e.preventDefault(), void run(true))}>
        <Field label="Target customer">
          <select value={target} required onChange={(e) => (setTarget(e.currentTarget.value), setOutcome(null))}>
            <option value="">Choose a customer…</option>
            <AccountOptions accounts={accounts} base={me.account.depth} />
          </select>
        </Field>
        <fieldset class="mode">
          <legend>How to choose devices</legend>
          <label>
            <input type="radio" name="mode" checked={mode === 'pick'} onChange={() => (setMode('pick'), setOutcome(null), setRefusal(null))} /> Search and select
          </label>
          <label>
            <input type="radio" name="mode" checked={mode === 'paste'} onChange={() => (setMode('paste'), setOutcome(null), setRefusal(null))} /> Paste unit ids or device ids
          </label>
        </fieldset>
        {mode === 'pick' ? (
          <DevicePicker picked={picked} onChange={(d) => (setPicked(d), setOutcome(null))} />
        ) : (
          <Field label="Unit ids or device ids" hint={`One per line, or separated by commas or spaces. ${plural(entries.length, 'entry', 'entries')}.`}>
            <textarea rows={8} class="mono" value={text} onInput={(e) => (setText(e.currentTarget.value), setOutcome(null), setRefusal(null))} />
          </Field>
        )}
        <ErrorBox error={error} />
        <div class="actions">
          <button type="submit" disabled={busy}>
            Preview
          </button>
          <button type="button" class="primary" disabled={busy} onClick={() => void run(false)}>
            Process
          </button>
        </div>
      </form>
      {refusal ? <RefusalView refusal={refusal} /> : null}
      {outcome ? <OutcomeView outcome={outcome} /> : null}
    </section>
  );
}

function RefusalView({ refusal }: { refusal: Refusal }) {
  const bad = refusal.entries.filter((e) => refusal.reasons.has(e.text.toLowerCase()));
  return (
    <section class="result" aria-labelledby="refusal-title">
      <h2 id="refusal-title">Nothing was moved</h2>
      <p role="alert" class="error">
        {plural(bad.length || refusal.reasons.size, 'entry', 'entries')} refused, so nothing was moved (all or nothing). Fix or remove the marked lines and try again.
      </p>
      <DataTable label="Entries as pasted" columns={['Line', 'Entry', 'Problem']}>
        {refusal.entries.map((e, i) => {
          const reason = refusal.reasons.get(e.text.toLowerCase());
          return (
            <tr key={i} class={reason ? 'bad' : undefined}>
              <td>{e.line}</td>
              <td class="mono">{e.text}</td>
              <td>{reason ?? 'OK'}</td>
            </tr>
          );
        })}
      </DataTable>
    </section>
  );
}

function OutcomeView({ outcome }: { outcome: Outcome }) {
  const session = useSession();
  const moved = outcome.items.filter((i) => i.status === 'moved').length;
  const unchanged = outcome.items.length - moved;
  const title = outcome.dryRun ? 'Preview' : 'Processed';
  const summary = outcome.dryRun
    ? `${plural(moved, 'device')} will move, ${unchanged} unchanged. Nothing has changed yet: press Process to apply.`
    : `${plural(moved, 'device')} moved, ${unchanged} unchanged.`;
  return (
    <section class="result" aria-labelledby="outcome-title">
      <h2 id="outcome-title">{title}</h2>
      <p role="status">{summary}</p>
      <DataTable label={`${title} result`} columns={['Unit id', 'Result', 'From', 'To', 'Epoch']}>
        {outcome.items.map((i) => (
          <tr key={i.deviceId}>
            <td class="mono">{i.unitId}</td>
            <td>{i.status === 'moved' ? (outcome.dryRun ? 'Will move' : 'Moved') : 'Unchanged'}</td>
            <td>{accountName(session, i.from)}</td>
            <td>{accountName(session, i.to)}</td>
            <td>{i.epoch}</td>
          </tr>
        ))}
      </DataTable>
    </section>
  );
}
