/**
 * CONNECT authentication (MQTT 3.1.1 §3.1, return codes §3.2.2.3). Devices: client id = username =
 * unit id, password = the device secret. Users: client id `u-...`, username = email or `token`,
 * password = an API or session token. Any other client id: return code 2. Repeated bad passwords
 * from one address are answered ever more slowly.
 */
import type { Client } from 'aedes';
import { topicRoot, UNIT_ID_RE } from '../../protocol/topics.js';
import { pathIds, type MqttIdentity } from '../domain/permissions.js';
import type { AuthService } from '../services/auth.js';
import { FailureLimiter } from '../services/failure-limiter.js';
import { DEVICE_DUMMY_HASH } from '../services/device-secrets.js';
import { verifySecret } from '../services/secrets.js';
import type { DeviceLinkStore } from '../store/device-link-store.js';

/** What the broker knows about a connection once it is authenticated. */
export interface ClientInfo {
  who: MqttIdentity;
  deviceId?: string;
  userId?: string;
  tokenId?: string;
}

const infos = new WeakMap<Client, ClientInfo>();
export const infoOf = (client: Client | null | undefined): ClientInfo | undefined => (client ? infos.get(client) : undefined);

type Done = (error: (Error & { returnCode: number }) | null, success: boolean | null) => void;

function refuse(returnCode: 2 | 4 | 5, message: string): Error & { returnCode: number } {
  return Object.assign(new Error(message), { returnCode });
}

export interface AuthenticateDeps {
  auth: AuthService;
  links: DeviceLinkStore;
  now: () => number;
  onRefused: (reason: string) => void;
  onAccepted: (client: Client, info: ClientInfo) => void;
}

export function createAuthenticate(deps: AuthenticateDeps) {
  const slow = new FailureLimiter({ max: 5, windowMs: 60_000, now: deps.now });

  async function identify(client: Client, username: string | undefined, password: string): Promise<ClientInfo> {
    const id = client.id ?? '';
    if (id.startsWith('u-')) {
      const caller = deps.auth.authenticate(password);
      if (!caller || (username !== 'token' && username?.toLowerCase() !== caller.email)) throw refuse(4, 'bad user credentials');
      return {
        who: { kind: 'user', actor: caller, topicRoot: topicRoot(pathIds(caller.accountPath)) },
        userId: caller.userId,
        tokenId: caller.tokenId,
      };
    }
    if (!UNIT_ID_RE.test(id)) throw refuse(2, 'client id must be the unit id (devices) or start with u- (users)');
    const dev = username === id ? deps.links.byUnitId(id) : undefined;
    // An unknown unit id costs what a known one does (device hashes are cheap), so timing tells nothing.
    const good = await verifySecret(password, dev?.secret_hash ?? DEVICE_DUMMY_HASH);
    if (!dev || !good) throw refuse(4, 'bad device credentials');
    return { who: { kind: 'device', unitId: id }, deviceId: dev.id };
  }

  return function authenticate(client: Client, username: string | undefined, password: Buffer | undefined, done: Done): void {
    const address = (client.conn as { remoteAddress?: string } | undefined)?.remoteAddress ?? 'unknown';
    const wait = slow.retryAfter(address);
    identify(client, username, password?.toString('utf8') ?? '')
      .then((info) => {
        infos.set(client, info);
        deps.onAccepted(client, info);
        done(null, true);
      })
      .catch((e: Error & { returnCode?: number }) => {
        const rc = e.returnCode === 2 || e.returnCode === 5 ? e.returnCode : 4;
        if (rc === 4) slow.fail(address);
        deps.onRefused(rc === 2 ? 'login-client-id' : 'login-credentials');
        // Slow down repeated failures from one address: up to 2 s more per answer.
        setTimeout(() => done(refuse(rc, e.message), false), Math.min(2000, wait * 100));
      });
  };
}
