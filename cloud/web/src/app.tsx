/**
 * The shell: login gate, the session (caller and visible accounts), navigation and pages. The
 * console only uses the public API, so it can never do more than the API allows the caller.
 */
import { useCallback, useEffect, useMemo, useState } from 'preact/hooks';
import { all, api, setSession, type Account, type Me } from './api.js';
import { AuditPage } from './pages/audit.js';
import { CustomersPage } from './pages/customers.js';
import { DevicePage } from './pages/device.js';
import { DevicesPage } from './pages/devices.js';
import { LoginPage } from './pages/login.js';
import { ManageDevicesPage } from './pages/manage-devices.js';
import { UsersPage } from './pages/users.js';
import { navigate, useRoute, type Route } from './router.js';
import { SessionContext, mayAssign, type Session } from './session.js';
import { Link } from './ui.js';

export function App() {
  const [me, setMe] = useState<Me | null>(null);
  const [accounts, setAccounts] = useState<Account[]>([]);
  const [loginMessage, setLoginMessage] = useState<string | null>(null);

  const reloadAccounts = useCallback(async () => setAccounts(await all<Account>('/v1/accounts')), []);
  const expired = useCallback(() => {
    setMe(null);
    setLoginMessage('Your session has expired. Please log in again.');
  }, []);

  const onLogin = async (token: string) => {
    setSession(token, expired);
    const who = await api<Me>('GET', '/v1/me');
    setAccounts(await all<Account>('/v1/accounts'));
    setLoginMessage(null);
    setMe(who);
  };
  const logout = async () => {
    await api('POST', '/v1/auth/logout').catch(() => undefined);
    setSession(null);
    setMe(null);
    setAccounts([]);
    setLoginMessage('You are logged out.');
  };

  const session = useMemo<Session | null>(
    () => (me ? { me, accounts, accountsById: new Map(accounts.map((a) => [a.id, a])), reloadAccounts } : null),
    [me, accounts, reloadAccounts],
  );

  if (!session) return <LoginPage message={loginMessage} onLogin={onLogin} />;
  return (
    <SessionContext.Provider value={session}>
      <Shell me={session.me} onLogout={logout} />
    </SessionContext.Provider>
  );
}

interface Tab {
  href: string;
  label: string;
  show: (me: Me) => boolean;
}

const TABS: Tab[] = [
  { href: '/customers', label: 'Customers', show: () => true },
  { href: '/devices', label: 'Devices', show: (me) => me.user.deviceAccess !== 'none' },
  { href: '/users', label: 'Users', show: (me) => me.user.accountAdmin },
  { href: '/audit', label: 'Audit', show: (me) => me.user.accountAdmin },
];

function Shell({ me, onLogout }: { me: Me; onLogout: () => void }) {
  const route = useRoute();
  useEffect(() => {
    if (route.path === '/' || route.path === '/login') navigate('/customers', true);
  }, [route.path]);
  // A new page moves focus to the main region (as a page load would), so screen readers and
  // keyboards start at the new content, not at the link that was pressed.
  const [first, setFirst] = useState(true);
  useEffect(() => {
    if (first) return setFirst(false);
    document.getElementById('main')?.focus();
  }, [route.path]);
  const tabs = TABS.filter((t) => t.show(me));
  return (
    <div class="shell">
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <div class="brand">
          Fleet registry <span class="who">{me.account.name}</span>
        </div>
        <nav aria-label="Main">
          <ul>
            {tabs.map((t) => (
              <li key={t.href}>
                <Link href={t.href} aria-current={route.path.startsWith(t.href) ? 'page' : undefined}>
                  {t.label}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
        <div class="account-box">
          <span class="who" title="Signed in as">
            {me.user.email}
          </span>
          <button type="button" onClick={onLogout}>
            Log out
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        <Page route={route} me={me} />
      </main>
    </div>
  );
}

function Page({ route, me }: { route: Route; me: Me }) {
  const p = route.path;
  if (p.startsWith('/customers') || p === '/') return <CustomersPage />;
  if (p === '/devices/manage' && mayAssign(me)) return <ManageDevicesPage />;
  const dev = /^\/devices\/([^/]+)$/.exec(p);
  if (dev && dev[1] !== 'manage') return <DevicePage id={decodeURIComponent(dev[1]!)} />;
  if (p.startsWith('/devices')) return <DevicesPage />;
  if (p.startsWith('/users')) return <UsersPage accountId={route.query.get('account')} />;
  if (p.startsWith('/audit')) return <AuditPage />;
  return (
    <section>
      <h1>Page not found</h1>
      <p>
        <Link href="/customers">Go to Customers</Link>
      </p>
    </section>
  );
}
