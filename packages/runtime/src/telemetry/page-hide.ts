/**
 * Calls `listener` when the page is hidden or being unloaded: hidden may mean closed, so that is
 * the last reliable moment to end a window and send it with keepalive. Returns a function that
 * stops listening. Does nothing outside a page (a worker, Node).
 */
export function onPageHide(listener: () => void): () => void {
  if (typeof document === 'undefined') return () => undefined;
  const hide = () => {
    if (document.visibilityState === 'hidden') listener();
  };
  document.addEventListener('visibilitychange', hide);
  addEventListener('pagehide', hide);
  return () => {
    document.removeEventListener('visibilitychange', hide);
    removeEventListener('pagehide', hide);
  };
}
