import type { Socket } from 'node:net';

/** Joins two connections both ways; either one failing closes the other. */
export function splice(a: Socket, b: Socket): void {
  a.pipe(b).pipe(a);
  a.on('error', () => b.destroy());
  b.on('error', () => a.destroy());
}
