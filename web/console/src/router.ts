// A tiny history router: the host answers index.html for every console path, the app reads location.pathname.
import { useEffect, useState } from 'preact/hooks';

export function navigate(to: string) {
  if (to === location.pathname + location.search) return;
  history.pushState(null, '', to);
  window.dispatchEvent(new Event('flowkit:navigate'));
}

export function useLocation(): { path: string; query: URLSearchParams } {
  const [, setTick] = useState(0);
  useEffect(() => {
    const changed = () => setTick(t => t + 1);
    window.addEventListener('popstate', changed);
    window.addEventListener('flowkit:navigate', changed);
    return () => {
      window.removeEventListener('popstate', changed);
      window.removeEventListener('flowkit:navigate', changed);
    };
  }, []);
  return { path: location.pathname, query: new URLSearchParams(location.search) };
}

/** Same-origin links navigate in the app; modified clicks (new tab) keep the browser's behaviour. */
export function onLinkClick(event: MouseEvent) {
  if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  const anchor = (event.target as Element).closest('a');
  if (!anchor || anchor.target || anchor.origin !== location.origin || anchor.hasAttribute('download')) return;
  event.preventDefault();
  navigate(anchor.pathname + anchor.search);
}
