/** A small map whose entries expire, bounded in size (oldest dropped first). */
export class TtlCache<V> {
  private readonly entries = new Map<string, { value: V; expires: number }>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries = 10_000,
    /** Told whether each lookup found a live entry (for metrics). */
    private readonly onLookup?: (hit: boolean) => void,
  ) {}

  get(key: string): V | undefined {
    const entry = this.entries.get(key);
    const live = entry !== undefined && entry.expires > Date.now();
    this.onLookup?.(live);
    if (live) return entry.value;
    if (entry) this.entries.delete(key);
    return undefined;
  }

  set(key: string, value: V): void {
    this.entries.delete(key);
    if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(key, { value, expires: Date.now() + this.ttlMs });
  }

  /** The cached value, or the one `load` yields (cached when it resolves). */
  async through(key: string, load: () => Promise<V>): Promise<V> {
    const cached = this.get(key);
    if (cached !== undefined) return cached;
    const value = await load();
    this.set(key, value);
    return value;
  }
}
