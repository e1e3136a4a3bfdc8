/** IP ranges as the Kubernetes CEL CIDR library sees them, for evaluating the schema's rules offline. */
import { BlockList, isIPv4, isIPv6 } from 'node:net';

export class CIDR {
  constructor(
    readonly address: string,
    readonly prefixLength: number,
    readonly family: 'ipv4' | 'ipv6',
  ) {}

  /** True when every address of `other` is inside this range. */
  containsCIDR(other: CIDR): boolean {
    if (other.family !== this.family || other.prefixLength < this.prefixLength) return false;
    const range = new BlockList();
    range.addSubnet(this.address, this.prefixLength, this.family);
    return range.check(other.address, other.family);
  }
}

const PREFIX_LENGTH = /^(0|[1-9][0-9]{0,2})$/;

/** Parses `address/prefix`; like Kubernetes, rejects IPv6 zones and IPv4-mapped IPv6 addresses. */
export function parseCIDR(text: string): CIDR | undefined {
  const slash = text.indexOf('/');
  if (slash < 0) return undefined;
  const address = text.slice(0, slash);
  const prefix = text.slice(slash + 1);
  if (!PREFIX_LENGTH.test(prefix)) return undefined;
  const prefixLength = Number(prefix);
  if (isIPv4(address)) return prefixLength <= 32 ? new CIDR(address, prefixLength, 'ipv4') : undefined;
  if (isIPv6(address) && !address.includes('%') && !address.includes('.')) {
    return prefixLength <= 128 ? new CIDR(address, prefixLength, 'ipv6') : undefined;
  }
  return undefined;
}
