/**
 * What the operator's own writes in flight will look like when their watch events arrive, per object.
 * Registered before each request (a watch event can arrive before the response does), an expectation
 * lets the event that shows the object as written skip its reconcile: that is one reconcile saved per
 * write, two per new policy (its NetworkPolicy and its status). An event that does not match, anybody
 * else's change, is reconciled as usual.
 */
export class ExpectedWrites<T> {
  private readonly expected = new Map<string, (object: T) => boolean>();

  /** Before writing `key`: `matches` tells whether an object is what the write leaves behind. */
  expect(key: string, matches: (object: T) => boolean): void {
    this.expected.set(key, matches);
  }

  /** Whether a watch event's object is the expected result of our latest write (each expectation is met once). */
  isExpected(key: string, object: T): boolean {
    const matches = this.expected.get(key);
    if (!matches?.(object)) return false;
    this.expected.delete(key);
    return true;
  }

  /** The write failed, or the object is gone. */
  forget(key: string): void {
    this.expected.delete(key);
  }
}
