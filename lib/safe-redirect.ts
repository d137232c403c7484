/**
 * Where to send the browser after sign-in: `target` (the login page's callbackUrl) if it is a path
 * of this origin, else "/". The target is parsed the way the browser will resolve it, with
 * `new URL(target, origin)`, so tricks a prefix check misses ("//evil", "/\evil", "\/evil",
 * tabs and newlines, "javascript:") land on another origin here and are refused.
 */
export function safeCallbackPath(target: string | null | undefined, origin: string): string {
  if (!target) return "/";
  let url: URL;
  try {
    url = new URL(target, origin);
  } catch {
    return "/";
  }
  if (url.origin !== new URL(origin).origin) return "/";
  return `${url.pathname}${url.search}${url.hash}`;
}
