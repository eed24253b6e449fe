/** Turns the rule's decision into the contract's error: 404 hides, 403 refuses. */
import { authorize, type Action, type Actor } from '../domain/permissions.js';
import { Errors } from '../errors.js';

export function must(actor: Actor, action: Action, what: string, why = 'not allowed'): void {
  const d = authorize(actor, action);
  if (d === 'not-found') throw Errors.notFound(what);
  if (d === 'forbidden') throw Errors.forbidden(why);
}

/** Ids in paths are UUIDs; anything else is simply not found (contract: malformed id is 404). */
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export function isId(id: string): boolean {
  return UUID_RE.test(id);
}
