/**
 * Create or edit a user. The form offers only the rights the caller holds (CONTRACT.md: nobody
 * grants what it does not hold), so a `read` admin never sees `full`, and a non-admin never sees
 * the Account Administration switch. The API enforces the same rule.
 */
import { useState } from 'preact/hooks';
import { api, type DeviceAccess, type User } from '../api.js';
import { FormActions, useSubmit } from '../forms.js';
import { grantableAccess, useSession } from '../session.js';
import { Field, focusOnMount } from '../ui.js';

const ACCESS_WORDS: Record<DeviceAccess, string> = { none: 'None', read: 'Read', full: 'Full (read and rename)' };

export function UserForm({ accountId, user, onDone }: { accountId: string; user?: User; onDone: (u: User | null) => void }) {
  const { me } = useSession();
  const levels = grantableAccess(me);
  const [name, setName] = useState(user?.name ?? '');
  const [email, setEmail] = useState(user?.email ?? '');
  const [password, setPassword] = useState('');
  const [access, setAccess] = useState<DeviceAccess>(user?.deviceAccess ?? levels[levels.length - 1] ?? 'none');
  const [admin, setAdmin] = useState(user?.accountAdmin ?? false);
  const submission = useSubmit(async () => {
    const saved = user
      ? await api<User>('PATCH', `/v1/users/${user.id}`, { name, deviceAccess: access, accountAdmin: admin, ...(password ? { password } : {}) })
      : await api<User>('POST', `/v1/accounts/${accountId}/users`, { name, email, password, deviceAccess: access, accountAdmin: admin });
    onDone(saved);
  });

  return (
    <form class="panel" onSubmit={submission.submit} aria-labelledby="user-form-title">
      <h2 id="user-form-title">{user ? `Edit ${user.name}` : 'Create a user'}</h2>
      <Field label="Name">
        <input ref={focusOnMount} required maxLength={200} value={name} onInput={(e) => setName(e.currentTarget.value)} />
      </Field>
      <Field label="Email">
        <input type="email" required disabled={Boolean(user)} autoComplete="off" value={email} onInput={(e) => setEmail(e.currentTarget.value)} />
      </Field>
      <Field label={user ? 'New password (leave empty to keep)' : 'Password'} hint="At least 8 characters">
        <input type="password" required={!user} minLength={8} autoComplete="new-password" value={password} onInput={(e) => setPassword(e.currentTarget.value)} />
      </Field>
      <Field label="Device access">
        <select value={access} onChange={(e) => setAccess(e.currentTarget.value as DeviceAccess)}>
          {levels.map((l) => (
            <option key={l} value={l}>
              {ACCESS_WORDS[l]}
            </option>
          ))}
        </select>
      </Field>
      {me.user.accountAdmin ? (
        <div class="switch">
          <input id="account-admin" type="checkbox" role="switch" aria-describedby="account-admin-hint" checked={admin} onChange={(e) => setAdmin(e.currentTarget.checked)} />
          <label for="account-admin">Account Administration</label>
          <span id="account-admin-hint" class="hint">
            May manage users and nested customers below this account, and move devices within it.
          </span>
        </div>
      ) : null}
      <FormActions submission={submission} submitLabel={user ? 'Save' : 'Create user'} onCancel={() => onDone(null)} />
    </form>
  );
}
