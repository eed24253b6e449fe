/**
 * Path-based routing for the few pages of the console (the server answers index.html for any
 * non-API path). Only page state goes in the URL, never a credential.
 */
import { useEffect, useState } from 'preact/hooks';

const EVENT = 'console:navigate';

export function navigate(to: string, replace = false): void {
  if (to === location.pathname + location.search) return;
  if (replace) history.replaceState(null, '', to);
  else history.pushState(null, '', to);
  window.dispatchEvent(new Event(EVENT));
}

export interface Route {
  path: string;
  query: URLSearchParams;
}

export function useRoute(): Route {
  const read = (): Route => ({ path: location.pathname, query: new URLSearchParams(location.search) });
  const [route, setRoute] = useState(read);
  useEffect(() => {
    const update = () => setRoute(read());
    window.addEventListener('popstate', update);
    window.addEventListener(EVENT, update);
    return () => {
      window.removeEventListener('popstate', update);
      window.removeEventListener(EVENT, update);
    };
  }, []);
  return route;
}

/** Same-origin links that route without a reload (and still work with a modifier key). */
export function onLinkClick(e: MouseEvent): void {
  const a = (e.currentTarget as HTMLAnchorElement | null) ?? null;
  if (!a || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  e.preventDefault();
  navigate(a.getAttribute('href') ?? '/');
}
