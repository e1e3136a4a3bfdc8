/**
 * What the mesh controller publishes for the AppNetworkPolicy controller, in process: whether mesh output
 * is on and, per policy, the result of the last mesh reconcile. The AppNetworkPolicy controller is the
 * only writer of policy status; it reads this and is told which policies to look at again.
 */
import type { MeshMode, MeshResult, MeshView } from '../planner/mesh-conditions.js';

/** Keys are `<namespace>/<policy>`; `all`: the mode changed, every policy is affected. */
export type MeshStatusListener = (keys: readonly string[] | 'all') => void;

export class MeshStatusBoard {
  private detect: () => MeshMode;
  private readonly byNamespace = new Map<string, Map<string, MeshResult>>();
  private readonly listeners: MeshStatusListener[] = [];

  /** `offReason`: mesh output is off for good (configuration); otherwise the mesh controller sets the detector. */
  constructor(offReason?: string) {
    const fixed: MeshMode = offReason ? { on: false, reason: offReason } : { on: false, reason: 'Istio detection has not run yet' };
    this.detect = () => fixed;
  }

  /** The mesh controller's live view of whether output is on (CRDs present). */
  detectWith(detect: () => MeshMode): void {
    this.detect = detect;
  }

  onChange(listener: MeshStatusListener): void {
    this.listeners.push(listener);
  }

  modeChanged(): void {
    this.byNamespace.clear();
    this.listeners.forEach((l) => l('all'));
  }

  /** Replaces the results of a namespace's policies and tells listeners which ones changed. */
  publish(namespace: string, results: ReadonlyMap<string, MeshResult>): void {
    const previous = this.byNamespace.get(namespace) ?? new Map<string, MeshResult>();
    const changed = [...new Set([...previous.keys(), ...results.keys()])].filter(
      (name) => JSON.stringify(previous.get(name)) !== JSON.stringify(results.get(name)),
    );
    if (results.size) this.byNamespace.set(namespace, new Map(results));
    else this.byNamespace.delete(namespace);
    if (changed.length) this.listeners.forEach((l) => l(changed.map((name) => `${namespace}/${name}`)));
  }

  view(key: string): MeshView {
    const [namespace, name] = key.split('/');
    return { mode: this.detect(), result: this.byNamespace.get(namespace)?.get(name) };
  }
}
