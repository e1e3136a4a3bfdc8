/** Which objects depend on which facts, so a change to a fact wakes exactly the objects that use it. */
export class ReferenceIndex {
  private readonly byObject = new Map<string, readonly string[]>();
  private readonly byReference = new Map<string, Set<string>>();

  set(objectKey: string, references: readonly string[]): void {
    this.delete(objectKey);
    const unique = [...new Set(references)];
    this.byObject.set(objectKey, unique);
    for (const ref of unique) {
      let keys = this.byReference.get(ref);
      if (!keys) this.byReference.set(ref, (keys = new Set()));
      keys.add(objectKey);
    }
  }

  delete(objectKey: string): void {
    for (const ref of this.byObject.get(objectKey) ?? []) {
      const keys = this.byReference.get(ref);
      keys?.delete(objectKey);
      if (keys?.size === 0) this.byReference.delete(ref);
    }
    this.byObject.delete(objectKey);
  }

  keysFor(reference: string): string[] {
    return [...(this.byReference.get(reference) ?? [])];
  }
}
