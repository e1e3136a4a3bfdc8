/**
 * Every policy stored in the cf-api's AppNetworkPolicies, kept current from their informer (and from
 * this process's own writes, so a client reads what it has just written). A policy is listed while
 * either of its halves exists: a half left behind by a failed request stays visible and deletable.
 */
import type { AppNetworkPolicy } from '../api/types.js';
import type { Informer } from '../runtime/informer.js';
import type { KubeObject } from '../runtime/kube-client.js';
import { policyKey, policyOfRuleName, sortKey, type CfPolicy } from './policy.js';
import { policyJson } from './wire.js';

export type Direction = 'egress' | 'ingress';

export interface AppLocation {
  namespace: string;
  name: string;
}

export interface StoredPolicy extends CfPolicy {
  sourceApp: AppLocation;
  destinationApp: AppLocation;
  /** `<namespace>/<object>/<direction>` of each half that exists (one string per object and direction, shared). */
  halves: string[];
  /** sortKey(policy), made once: answers sort by it while ranks are being redone. */
  order: string;
  /** Position among all policies in sortKey order; valid while the index's ranking is current. */
  rank: number;
  /** The lookup that last collected this policy, to collect each once without a Set. */
  visit: number;
  /** The policy's v1 JSON, made when it enters the index: answers join these. */
  json: string;
}

/** How long after a new policy the ranks are redone (sorting every policy), at most once per this. */
const RANK_DELAY_MS = 1000;

const byOrder = (a: StoredPolicy, b: StoredPolicy) => (a.order < b.order ? -1 : a.order > b.order ? 1 : 0);

/** What one object contributes: references, not keys, so 60,000 policies cost no strings here. */
interface Contribution {
  resourceVersion: string;
  halves: { half: string; policies: StoredPolicy[] }[];
  /** The object was deleted at `resourceVersion`: only a strictly newer version brings it back. */
  deleted?: boolean;
}

/** Joined into one flat string (see sortKey): the index keeps one per object and direction. */
export function halfKey(namespace: string, objectName: string, direction: Direction): string {
  return [namespace, objectName, direction].join('/');
}

export class PolicyIndex {
  private readonly policies = new Map<string, StoredPolicy>();
  private readonly bySource = new Map<string, Set<StoredPolicy>>();
  private readonly byDestination = new Map<string, Set<StoredPolicy>>();
  /** Per object: what it contributes and the version that was read; deleted objects keep their last version. */
  private readonly objects = new Map<string, Contribution>();
  /** Policies added so far, and how many there were when ranks were last made (removals keep ranks in order). */
  private additions = 0;
  private rankedAt = -1;
  private rankTimer?: NodeJS.Timeout;
  private visits = 0;
  /** Every policy by rank (removed ones stay until the next ranking, with no halves left). */
  private byRank: StoredPolicy[] = [];
  /** Per GUID, the ranks of the policies it takes part in, sorted: an answer merges these. */
  private readonly ranksByGuid = new Map<string, Uint32Array>();
  /** involvingSorted's bitmap, one bit per rank, all zero between calls. */
  private rankBits = new Uint32Array(0);

  constructor(informer?: Informer<KubeObject>) {
    informer?.on({ add: (o) => this.observe(o), update: (o) => this.observe(o), delete: (o) => this.forget(o) });
  }

  get size(): number {
    return this.policies.size;
  }

  get(policy: CfPolicy): StoredPolicy | undefined {
    return this.policies.get(policyKey(policy));
  }

  all(): IterableIterator<StoredPolicy> {
    return this.policies.values();
  }

  /** Each policy once whose source (`source`) or destination (`destination`) is one of `guids`. */
  involving(guids: Iterable<string>, sides: { source: boolean; destination: boolean }): StoredPolicy[] {
    const visit = ++this.visits;
    const found: StoredPolicy[] = [];
    const collect = (policies: Set<StoredPolicy> | undefined) => {
      for (const p of policies ?? []) {
        if (p.visit === visit) continue;
        p.visit = visit;
        found.push(p);
      }
    };
    for (const guid of guids) {
      if (sides.source) collect(this.bySource.get(guid));
      if (sides.destination) collect(this.byDestination.get(guid));
    }
    return found;
  }

  /**
   * Each policy once that one of `guids` takes part in (as source or destination), in answer order
   * (comparePolicies'). While the ranks are current this marks each GUID's ranks in a bitmap and reads
   * the marked ranks back in order, without sorting and without touching the policies it leaves out.
   */
  involvingSorted(guids: Iterable<string>): StoredPolicy[] {
    if (this.rankedAt !== this.additions) return this.sorted(this.involving(guids, { source: true, destination: true }));
    if (this.rankBits.length * 32 < this.byRank.length) this.rankBits = new Uint32Array(Math.ceil(this.byRank.length / 32));
    const bits = this.rankBits;
    let firstWord = bits.length;
    let lastWord = -1;
    for (const guid of guids) {
      let ranks = this.ranksByGuid.get(guid);
      if (!ranks) this.ranksByGuid.set(guid, (ranks = this.ranksOf(guid)));
      if (ranks.length === 0) continue;
      for (let i = 0; i < ranks.length; i++) bits[ranks[i] >>> 5] |= 1 << (ranks[i] & 31);
      // Each GUID's ranks are sorted: the first and the last bound the words to read.
      firstWord = Math.min(firstWord, ranks[0] >>> 5);
      lastWord = Math.max(lastWord, ranks[ranks.length - 1] >>> 5);
    }
    const found: StoredPolicy[] = [];
    for (let w = firstWord; w <= lastWord; w++) {
      let word = bits[w] | 0;
      if (word === 0) continue;
      bits[w] = 0;
      for (; word !== 0; word &= word - 1) found.push(this.byRank[(w << 5) | (31 - Math.clz32(word & -word))]);
    }
    return found;
  }

  /**
   * Sorts into answer order: by rank, numbers, while the ranks are current; after a policy was added,
   * by sort keys until the ranks are redone a moment later, once for many additions.
   */
  sorted(policies: StoredPolicy[]): StoredPolicy[] {
    if (this.rankedAt === this.additions) return policies.sort((a, b) => a.rank - b.rank);
    this.rankTimer ??= setTimeout(() => this.rankAll(), RANK_DELAY_MS).unref();
    return policies.sort(byOrder);
  }

  private ranksOf(guid: string): Uint32Array {
    const ranks = [...(this.bySource.get(guid) ?? []), ...(this.byDestination.get(guid) ?? [])].map((p) => p.rank);
    return Uint32Array.from(ranks).sort();
  }

  private rankAll(): void {
    this.rankTimer = undefined;
    this.byRank = [...this.policies.values()].sort(byOrder);
    this.byRank.forEach((p, i) => (p.rank = i));
    this.ranksByGuid.clear();
    this.rankedAt = this.additions;
  }

  withSource(guid: string): StoredPolicy[] {
    return this.lookup(this.bySource, guid);
  }

  withDestination(guid: string): StoredPolicy[] {
    return this.lookup(this.byDestination, guid);
  }

  /** GUIDs of every app that takes part in a policy. */
  guids(): Set<string> {
    return new Set([...this.bySource.keys(), ...this.byDestination.keys()]);
  }

  /** Takes in an object's current content, unless an equal or newer version was seen already. */
  observe(obj: KubeObject): void {
    const key = objectKey(obj);
    if (!this.isNewer(key, obj)) return;
    this.withdraw(key);
    const policy = obj as unknown as AppNetworkPolicy;
    const own = { namespace: policy.metadata.namespace ?? '', name: policy.spec?.app ?? '' };
    const egress = { half: halfKey(own.namespace, policy.metadata.name, 'egress'), policies: [] as StoredPolicy[] };
    for (const rule of policy.spec?.egress ?? []) {
      const peer = rule.to?.[0];
      if (peer?.app) this.addHalf(rule.name, own, { namespace: peer.space ?? own.namespace, name: peer.app }, egress);
    }
    const ingress = { half: halfKey(own.namespace, policy.metadata.name, 'ingress'), policies: [] as StoredPolicy[] };
    for (const rule of policy.spec?.ingress ?? []) {
      const peer = rule.from?.[0];
      if (peer?.app) this.addHalf(rule.name, { namespace: peer.space ?? own.namespace, name: peer.app }, own, ingress);
    }
    this.objects.set(key, { resourceVersion: obj.metadata?.resourceVersion ?? '', halves: [egress, ingress] });
  }

  /** The object is gone (as of its resource version, when known). */
  forget(obj: KubeObject): void {
    const key = objectKey(obj);
    if (!this.isNewer(key, obj)) return;
    this.withdraw(key);
    this.objects.set(key, { resourceVersion: obj.metadata?.resourceVersion ?? '', halves: [], deleted: true });
  }

  private addHalf(name: string | undefined, sourceApp: AppLocation, destinationApp: AppLocation, into: Contribution['halves'][number]): void {
    const identity = name === undefined ? undefined : policyOfRuleName(name);
    if (!identity || name === undefined) return;
    // The rule name is the policy's key (policyKey spells it the same) and already one flat string; a key
    // built anew would be a tree of concatenated pieces, about 300 bytes more per policy.
    const key = name;
    let stored = this.policies.get(key);
    if (!stored) {
      // Spelled out rather than spread: a literal's fields all fit in the object, a spread's overflow into a second array.
      const { source, destination, protocol, start, end } = identity;
      stored = { source, destination, protocol, start, end, sourceApp, destinationApp, halves: [], order: sortKey(identity), rank: -1, visit: 0, json: policyJson(identity) };
      this.additions++;
      this.policies.set(key, stored);
      addTo(this.bySource, identity.source, stored);
      addTo(this.byDestination, identity.destination, stored);
    }
    if (!stored.halves.includes(into.half)) stored.halves.push(into.half);
    into.policies.push(stored);
  }

  private withdraw(objectKeyValue: string): void {
    for (const { half, policies } of this.objects.get(objectKeyValue)?.halves ?? []) {
      for (const stored of policies) {
        stored.halves = stored.halves.filter((h) => h !== half);
        if (stored.halves.length > 0) continue;
        this.policies.delete(policyKey(stored));
        removeFrom(this.bySource, stored.source, stored);
        removeFrom(this.byDestination, stored.destination, stored);
        this.ranksByGuid.delete(stored.source);
        this.ranksByGuid.delete(stored.destination);
      }
    }
  }

  /**
   * Resource versions are opaque, but etcd's are increasing integers: skip what is older than what we hold,
   * and a late event at the very version an object was deleted at (it describes the deleted object).
   */
  private isNewer(key: string, obj: KubeObject): boolean {
    const held = this.objects.get(key);
    const seen = obj.metadata?.resourceVersion;
    if (!held?.resourceVersion || !seen || !/^\d+$/.test(held.resourceVersion) || !/^\d+$/.test(seen)) return true;
    return held.deleted ? BigInt(seen) > BigInt(held.resourceVersion) : BigInt(seen) >= BigInt(held.resourceVersion);
  }

  private lookup(map: Map<string, Set<StoredPolicy>>, guid: string): StoredPolicy[] {
    return [...(map.get(guid) ?? [])];
  }
}

function objectKey(obj: KubeObject): string {
  return `${obj.metadata?.namespace}/${obj.metadata?.name}`;
}

function addTo(map: Map<string, Set<StoredPolicy>>, guid: string, policy: StoredPolicy): void {
  let policies = map.get(guid);
  if (!policies) map.set(guid, (policies = new Set()));
  policies.add(policy);
}

function removeFrom(map: Map<string, Set<StoredPolicy>>, guid: string, policy: StoredPolicy): void {
  const policies = map.get(guid);
  if (!policies) return;
  policies.delete(policy);
  if (policies.size === 0) map.delete(guid);
}
