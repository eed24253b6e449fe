/** Users of a customer: list, create, edit, delete (account administrators). */
import { useState } from 'preact/hooks';
import { api, describe, type User } from '../api.js';
import { usePaged } from '../hooks.js';
import { navigate } from '../router.js';
import { mayGrant, useSession } from '../session.js';
import { AccountOptions, DataTable, DeleteButton, ErrorBox, Field, Notice, Pager } from '../ui.js';
import { UserForm } from './user-form.js';

type Panel = { kind: 'create' } | { kind: 'edit'; user: User } | null;

export function UsersPage({ accountId }: { accountId: string | null }) {
  const session = useSession();
  const { me, accounts } = session;
  const account = session.accountsById.get(accountId ?? '') ?? me.account;
  const list = usePaged<User>(`/v1/accounts/${account.id}/users`, { limit: 100 });
  const [panel, setPanel] = useState<Panel>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  const done = (u: User | null, verb: string) => {
    setPanel(null);
    if (u) {
      setNotice(`${u.name} ${verb}.`);
      list.reload();
      void session.reloadAccounts();
    }
  };
  const remove = async (u: User) => {
    setError(null);
    try {
      await api('DELETE', `/v1/users/${u.id}`);
      setNotice(`${u.name} deleted.`);
      list.reload();
      void session.reloadAccounts();
    } catch (e) {
      setError(describe(e));
    }
  };

  return (
    <section aria-labelledby="users-title">
      <div class="page-head">
        <h1 id="users-title">Users of {account.name}</h1>
        <button type="button" class="primary" onClick={() => setPanel({ kind: 'create' })}>
          Create user
        </button>
      </div>
      <div class="filters">
        <Field label="Customer">
          <select value={account.id} onChange={(e) => (setPanel(null), navigate(`/users?account=${e.currentTarget.value}`))}>
            <AccountOptions accounts={accounts} base={me.account.depth} />
          </select>
        </Field>
      </div>
      <Notice text={notice} />
      <ErrorBox error={error ?? list.error} />
      <div class="split">
        <DataTable label={`Users of ${account.name}`} busy={list.loading} columns={['Name', 'Email', 'Device access', 'Account Administration', 'Actions']}>
          {list.items.map((u) => (
            <tr key={u.id}>
              <td>{u.name}</td>
              <td>{u.email}</td>
              <td>{u.deviceAccess}</td>
              <td>{u.accountAdmin ? 'Yes' : 'No'}</td>
              <td>
                {/* A user with rights the caller lacks is not the caller's to change (CONTRACT.md). */}
                {mayGrant(me, u) ? (
                  <div class="row-actions">
                    <button type="button" aria-label={`Edit ${u.email}`} onClick={() => setPanel({ kind: 'edit', user: u })}>
                      Edit
                    </button>
                    {u.id === me.user.id ? null : <DeleteButton name={u.email} onDelete={() => remove(u)} />}
                  </div>
                ) : (
                  <span class="muted">Holds rights you do not have</span>
                )}
              </td>
            </tr>
          ))}
        </DataTable>
        {panel?.kind === 'create' ? <UserForm key={`c-${account.id}`} accountId={account.id} onDone={(u) => done(u, 'created')} /> : null}
        {panel?.kind === 'edit' ? <UserForm key={`e-${panel.user.id}`} accountId={account.id} user={panel.user} onDone={(u) => done(u, 'saved')} /> : null}
      </div>
      <Pager label="User pages" hasPrev={list.hasPrev} hasNext={list.hasNext} onPrev={list.prev} onNext={list.next} />
    </section>
  );
}
