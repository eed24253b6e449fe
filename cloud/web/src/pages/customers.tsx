/**
 * Customers: the caller's subtree as a tree (built from `GET /v1/accounts` by parentId), with the
 * counts the API gives, and create, edit (rename, settings) and delete. Each node is a disclosure
 * button (aria-expanded), which keyboards and screen readers handle natively.
 */
import { useMemo, useState } from 'preact/hooks';
import { ApiError, api, describe, type Account } from '../api.js';
import { holdings, plural } from '../format.js';
import { useSession } from '../session.js';
import { DeleteButton, ErrorBox, Link, Notice } from '../ui.js';
import { CustomerForm } from './customer-form.js';

type Panel = { kind: 'create'; parentId: string } | { kind: 'edit'; account: Account } | null;

export function CustomersPage() {
  const session = useSession();
  const { me, accounts } = session;
  const children = useMemo(() => {
    const m = new Map<string, Account[]>();
    for (const a of accounts) if (a.parentId) m.set(a.parentId, [...(m.get(a.parentId) ?? []), a]);
    return m;
  }, [accounts]);
  const [open, setOpen] = useState<Set<string>>(() => new Set([me.account.id]));
  const [panel, setPanel] = useState<Panel>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const root = session.accountsById.get(me.account.id) ?? me.account;

  const toggle = (id: string) => {
    const next = new Set(open);
    if (next.has(id)) next.delete(id);
    else next.add(id);
    setOpen(next);
  };
  const done = (saved: Account | null, verb: string) => {
    setPanel(null);
    if (saved) {
      setNotice(`${saved.name} ${verb}.`);
      if (saved.parentId) setOpen(new Set([...open, saved.parentId]));
    }
  };

  return (
    <section aria-labelledby="customers-title">
      <div class="page-head">
        <h1 id="customers-title">Customers</h1>
        {me.user.accountAdmin ? (
          <button type="button" class="primary" onClick={() => setPanel({ kind: 'create', parentId: me.account.id })}>
            Create customer
          </button>
        ) : null}
      </div>
      <Notice text={notice} />
      <div class="split">
        <ul class="tree" aria-label="Customer tree">
          <Node account={root} children={children} open={open} toggle={toggle} onPanel={setPanel} onNotice={setNotice} />
        </ul>
        {panel?.kind === 'create' ? <CustomerForm key={`c-${panel.parentId}`} parentId={panel.parentId} onDone={(a) => done(a, 'created')} /> : null}
        {panel?.kind === 'edit' ? <CustomerForm key={`e-${panel.account.id}`} account={panel.account} onDone={(a) => done(a, 'saved')} /> : null}
      </div>
    </section>
  );
}

interface NodeProps {
  account: Account;
  children: Map<string, Account[]>;
  open: Set<string>;
  toggle: (id: string) => void;
  onPanel: (p: Panel) => void;
  onNotice: (s: string) => void;
}

function Node({ account, children, open, toggle, onPanel, onNotice }: NodeProps) {
  const kids = children.get(account.id) ?? [];
  const expanded = open.has(account.id);
  const groupId = `children-${account.id}`;
  return (
    <li>
      <div class="node">
        {account.childCount > 0 ? (
          <button type="button" class="disclosure" aria-expanded={expanded} aria-controls={groupId} aria-label={`${expanded ? 'Collapse' : 'Expand'} ${account.name}`} onClick={() => toggle(account.id)}>
            {expanded ? '▾' : '▸'}
          </button>
        ) : (
          <span class="disclosure-spacer" aria-hidden="true" />
        )}
        <span class="node-name">{account.name}</span>
        <span class="counts">
          {plural(account.childCount, 'customer')} · {plural(account.deviceCount, 'device')} · {plural(account.userCount, 'user')}
        </span>
        <NodeActions account={account} onPanel={onPanel} onNotice={onNotice} />
      </div>
      {expanded && kids.length > 0 ? (
        <ul id={groupId} aria-label={`Customers of ${account.name}`}>
          {kids.map((k) => (
            <Node key={k.id} account={k} children={children} open={open} toggle={toggle} onPanel={onPanel} onNotice={onNotice} />
          ))}
        </ul>
      ) : null}
    </li>
  );
}

function NodeActions({ account, onPanel, onNotice }: { account: Account; onPanel: (p: Panel) => void; onNotice: (s: string) => void }) {
  const session = useSession();
  const { me } = session;
  const [error, setError] = useState<string | null>(null);
  if (!me.user.accountAdmin) return null;
  const own = account.id === me.account.id;

  // DeleteButton closes its confirmation once this settles, whichever way it ends.
  const remove = async () => {
    setError(null);
    try {
      await api('DELETE', `/v1/accounts/${account.id}`);
      onNotice(`${account.name} deleted.`);
      await session.reloadAccounts();
    } catch (e) {
      if (e instanceof ApiError && e.status === 409) {
        const d = (e.details ?? {}) as { devices?: number; users?: number; children?: number };
        setError(`${account.name} cannot be deleted: it still holds ${holdings(d)}. Move or delete them first.`);
      } else setError(describe(e));
    }
  };

  return (
    <span class="node-actions">
      <button type="button" onClick={() => onPanel({ kind: 'create', parentId: account.id })} aria-label={`Add a customer under ${account.name}`}>
        Add
      </button>
      <button type="button" onClick={() => onPanel({ kind: 'edit', account })} aria-label={`Edit ${account.name}`}>
        Edit
      </button>
      <Link href={`/users?account=${account.id}`} class="button">
        <span aria-hidden="true">Users</span>
        <span class="sr-only">Users of {account.name}</span>
      </Link>
      {own ? null : <DeleteButton name={account.name} onDelete={remove} />}
      {error ? <ErrorBox error={error} /> : null}
    </span>
  );
}
