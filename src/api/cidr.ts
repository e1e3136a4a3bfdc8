/** IP ranges as the Kubernetes CEL CIDR library sees them, for evaluating the schema's rules offline. */
import { BlockList, isIPv4, isIPv6 } from 'node:net';

export class CIDR {
  constructor(
    readonly address: string,
    readonly prefixLength: number,
    readonly family: 'ipv4' | 'ipv6',
  ) {}

  /** The range with every bit after the prefix cleared: 10.1.2.3/8 becomes 10.0.0.0/8. */
  masked(): CIDR {
    const bits = this.family === 'ipv4' ? 32 : 128;
    const host = (1n << BigInt(bits - this.prefixLength)) - 1n;
    return new CIDR(formatAddress(addressValue(this) & ~host, this.family), this.prefixLength, this.family);
  }

  /** The same range, however its address is spelled. */
  equals(other: CIDR): boolean {
    return other.family === this.family && other.prefixLength === this.prefixLength && addressValue(other) === addressValue(this);
  }

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

function addressValue({ address, family }: CIDR): bigint {
  if (family === 'ipv4') return address.split('.').reduce((value, octet) => (value << 8n) | BigInt(octet), 0n);
  const [head, tail = ''] = address.split('::');
  const groups = (part: string) => (part ? part.split(':') : []);
  const missing = address.includes('::') ? 8 - groups(head).length - groups(tail).length : 0;
  return [...groups(head), ...Array<string>(missing).fill('0'), ...groups(tail)].reduce((value, group) => (value << 16n) | BigInt(`0x${group}`), 0n);
}

function formatAddress(value: bigint, family: CIDR['family']): string {
  if (family === 'ipv4') return [24n, 16n, 8n, 0n].map((shift) => String((value >> shift) & 255n)).join('.');
  return Array.from({ length: 8 }, (_, i) => ((value >> BigInt(112 - 16 * i)) & 0xffffn).toString(16)).join(':');
}
