// A list read from DigitalOcean at most once per `ttlMs` in this process, however many people ask
// (the modal's type-ahead asks on every keystroke; the Home tab for everyone who opens it). A read
// that fails is not kept: the next ask reads again.
export function cachedList<T>(read: () => Promise<T[]>, ttlMs: number, now: () => number = Date.now): () => Promise<T[]> {
  let cache: { at: number; list: Promise<T[]> } | undefined;
  return () => {
    if (!cache || now() - cache.at > ttlMs) {
      const list = read();
      const entry = { at: now(), list };
      cache = entry;
      list.catch(() => {
        if (cache === entry) cache = undefined;
      });
    }
    return cache.list;
  };
}
