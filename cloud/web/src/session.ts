/** What every page needs: the caller (`GET /v1/me`) and the accounts it sees, shared by context. */
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { Account, Me } from './api.js';

export interface Session {
  me: Me;
  /** Every account the caller sees, in tree order (the API lists a subtree by path). */
  accounts: Account[];
  accountsById: Map<string, Account>;
  /** Reloads the accounts (after a create, rename or delete, or a device move changes counts). */
  reloadAccounts(): Promise<void>;
}

export const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const s = useContext(SessionContext);
  if (!s) throw new Error('useSession outside a session');
  return s;
}

/** Account name for display; accounts outside the caller's view have no name here. */
export function accountName(s: Session, id: string | null | undefined): string {
  if (!id) return 'another account (not visible to you)';
  return s.accountsById.get(id)?.name ?? 'unknown account';
}

const RANK = { none: 0, read: 1, full: 2 } as const;

/** The device access levels the caller may grant (no escalation, CONTRACT.md). */
export function grantableAccess(me: Me): Array<keyof typeof RANK> {
  return (['none', 'read', 'full'] as const).filter((a) => RANK[a] <= RANK[me.user.deviceAccess]);
}

/** No escalation: `rights` holds nothing the caller lacks, so the caller may grant or manage it. */
export function mayGrant(me: Me, rights: { deviceAccess: keyof typeof RANK; accountAdmin: boolean }): boolean {
  return RANK[rights.deviceAccess] <= RANK[me.user.deviceAccess] && (!rights.accountAdmin || me.user.accountAdmin);
}

/** May move devices: account administration and full device access (CONTRACT.md). */
export function mayAssign(me: Me): boolean {
  return me.user.accountAdmin && me.user.deviceAccess === 'full';
}
