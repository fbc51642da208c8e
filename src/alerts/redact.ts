/** What an error may contribute to a log line: its class and message only, never a stack, and no URL beyond a host. */

/** An error's class and message; URLs in it (a DSN, a webhook) are cut to scheme and host. */
export function errorText(err: unknown): string {
  const text = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return text.replace(/\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>]+/gi, redactUrl);
}

function redactUrl(u: string): string {
  try {
    const url = new URL(u);
    return `${url.protocol}//${url.host}/…`;
  } catch {
    return '<url>';
  }
}
