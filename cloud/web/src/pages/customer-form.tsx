/**
 * Create or edit a nested customer: name, parent (on create) and settings. Empty settings fields
 * inherit from the parent (nearest account wins, CONTRACT.md "Account settings").
 */
import { useState } from 'preact/hooks';
import { api, type Account } from '../api.js';
import { FormActions, useSubmit } from '../forms.js';
import { useSession } from '../session.js';
import { AccountOptions, Field, focusOnMount } from '../ui.js';

type Settings = Account['settings'];

export interface CustomerFormProps {
  /** The account being edited; absent to create one. */
  account?: Account;
  /** Preselected parent on create. */
  parentId?: string;
  onDone: (saved: Account | null) => void;
}

function settingsFrom(interval: string, pids: string, gnss: string): Settings {
  const s: Settings = {};
  if (interval.trim()) s.telemetryIntervalMs = Number(interval);
  const list = pids.split(/[\s,;]+/).map((p) => p.trim().toUpperCase()).filter(Boolean);
  if (list.length) s.obdPids = list;
  if (gnss !== 'inherit') s.gnss = gnss === 'on';
  return s;
}

export function CustomerForm({ account, parentId, onDone }: CustomerFormProps) {
  const session = useSession();
  const { me, accounts } = session;
  const own = account?.id === me.account.id;
  const [name, setName] = useState(account?.name ?? '');
  const [parent, setParent] = useState(parentId ?? me.account.id);
  const [interval, setIntervalMs] = useState(account?.settings.telemetryIntervalMs?.toString() ?? '');
  const [pids, setPids] = useState(account?.settings.obdPids?.join(', ') ?? '');
  const [gnss, setGnss] = useState(account?.settings.gnss === undefined ? 'inherit' : account.settings.gnss ? 'on' : 'off');
  const title = account ? `Edit ${account.name}` : 'Create a nested customer';

  const submission = useSubmit(async () => {
    const settings = settingsFrom(interval, pids, gnss);
    const saved = account
      ? await api<Account>('PATCH', `/v1/accounts/${account.id}`, own ? { settings } : { name, settings })
      : await api<Account>('POST', '/v1/accounts', { name, parentId: parent, settings });
    await session.reloadAccounts();
    onDone(saved);
  });

  return (
    <form class="panel" onSubmit={submission.submit} aria-labelledby="customer-form-title">
      <h2 id="customer-form-title">{title}</h2>
      <Field label="Name" hint={own ? 'You may not rename your own account.' : undefined}>
        <input ref={focusOnMount} required maxLength={200} value={name} disabled={own} onInput={(e) => setName(e.currentTarget.value)} />
      </Field>
      {account ? null : (
        <Field label="Parent customer">
          <select value={parent} onChange={(e) => setParent(e.currentTarget.value)}>
            <AccountOptions accounts={accounts} base={me.account.depth} />
          </select>
        </Field>
      )}
      <fieldset>
        <legend>Settings (empty fields inherit from the parent)</legend>
        <Field label="Telemetry interval (ms)" hint="200 to 3 600 000">
          <input type="number" inputMode="numeric" min={200} max={3600000} step={1} value={interval} onInput={(e) => setIntervalMs(e.currentTarget.value)} />
        </Field>
        <Field label="OBD-II PIDs (mode 01)" hint="Two-digit hex, e.g. 0C, 0D">
          <input value={pids} onInput={(e) => setPids(e.currentTarget.value)} />
        </Field>
        <Field label="GNSS">
          <select value={gnss} onChange={(e) => setGnss(e.currentTarget.value)}>
            <option value="inherit">Inherit</option>
            <option value="on">On</option>
            <option value="off">Off</option>
          </select>
        </Field>
      </fieldset>
      <FormActions submission={submission} submitLabel={account ? 'Save' : 'Create'} onCancel={() => onDone(null)} />
    </form>
  );
}
