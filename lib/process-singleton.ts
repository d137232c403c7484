const store = globalThis as unknown as { __stratusSingletons?: Map<string, unknown> };

/**
 * One value per process under `key`, created on first use. Kept on globalThis because one process
 * loads some modules twice (server.ts through tsx and the Next.js bundle, and again on dev hot
 * reload), and both copies must share the value (one PGlite per data directory, one driver registry…).
 */
export function processSingleton<T>(key: string, create: () => T): T {
  const values = (store.__stratusSingletons ??= new Map());
  if (!values.has(key)) values.set(key, create());
  return values.get(key) as T;
}

/** Replaces the value under `key` (tests that hand the process their own database). */
export function setProcessSingleton<T>(key: string, value: T): void {
  (store.__stratusSingletons ??= new Map()).set(key, value);
}
