/** Login with email and password; the token is handed to the app in memory only. */
import { useState } from 'preact/hooks';
import { api, type User } from '../api.js';
import { useSubmit } from '../forms.js';
import { ErrorBox } from '../ui.js';

export function LoginPage({ message, onLogin }: { message: string | null; onLogin: (token: string) => Promise<void> }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const { error, busy, submit } = useSubmit(async () => {
    const res = await api<{ token: string; user: User }>('POST', '/v1/auth/login', { email, password });
    setPassword('');
    await onLogin(res.token);
  });

  return (
    <main class="login" id="main">
      <form method="post" onSubmit={submit} aria-labelledby="login-title">
        <h1 id="login-title">Fleet registry</h1>
        {message ? (
          <p role="status" class="notice">
            {message}
          </p>
        ) : null}
        <label class="field">
          <span class="label">Email</span>
          <input type="email" name="email" autoComplete="username" required value={email} onInput={(e) => setEmail(e.currentTarget.value)} />
        </label>
        <label class="field">
          <span class="label">Password</span>
          <input type="password" name="password" autoComplete="current-password" required value={password} onInput={(e) => setPassword(e.currentTarget.value)} />
        </label>
        <ErrorBox error={error} />
        <button type="submit" class="primary" disabled={busy}>
          {busy ? 'Logging in…' : 'Log in'}
        </button>
      </form>
    </main>
  );
}
