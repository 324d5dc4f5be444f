/**
 * The IPv4 interfaces a LAN station announces itself on (SPEC §6): every
 * non-loopback interface address that has a broadcast address, computed from
 * its own netmask (the original assumed a /24). `--interface <name>` and
 * `--bind <address>` narrow the list to one interface or one address.
 *
 * `selectInterfaces` is pure over the shape `os.networkInterfaces()` returns;
 * `readInterfaces` is the thin reader of the real table.
 */
import { networkInterfaces, type NetworkInterfaceInfo } from 'node:os';
import { fail, ok, type Result } from '../model/result.js';

/** One IPv4 address of an interface, with the broadcast address of its subnet. */
export interface LanInterface {
  /** Interface name, e.g. `eth0`. */
  name: string;
  address: string;
  netmask: string;
  broadcast: string;
}

/** The shape of `os.networkInterfaces()`. */
export type InterfaceTable = Partial<Record<string, readonly NetworkInterfaceInfo[]>>;

/** Dotted quad → unsigned 32-bit number; undefined when it is not one. */
export function parseIPv4(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part)) return undefined;
    const byte = Number(part);
    if (byte > 255) return undefined;
    value = value * 256 + byte;
  }
  return value;
}

export function formatIPv4(value: number): string {
  return [24, 16, 8, 0].map((shift) => (value >>> shift) & 0xff).join('.');
}

/**
 * The broadcast address of `address` under `netmask` (host bits all ones), or
 * undefined when the subnet has none: a /32 is a single host and a /31 is a
 * point-to-point link (RFC 3021).
 */
export function broadcastAddress(address: string, netmask: string): string | undefined {
  const host = parseIPv4(address);
  const mask = parseIPv4(netmask);
  if (host === undefined || mask === undefined) return undefined;
  const hostBits = ~mask >>> 0;
  if (hostBits < 3) return undefined;
  return formatIPv4((host | hostBits) >>> 0);
}

/** True when `a` and `b` lie in the same subnet under `netmask`. */
export function sameSubnet(a: string, b: string, netmask: string): boolean {
  const x = parseIPv4(a);
  const y = parseIPv4(b);
  const mask = parseIPv4(netmask);
  if (x === undefined || y === undefined || mask === undefined) return false;
  return (x & mask) >>> 0 === (y & mask) >>> 0;
}

// Node 18.0–18.3 reported `family` as the number 4.
const isIPv4 = (info: NetworkInterfaceInfo): boolean =>
  info.family === 'IPv4' || (info.family as unknown) === 4;

/** Every IPv4 address of this machine, loopback included: a datagram from one of them is our own. */
export function localAddresses(table: InterfaceTable): string[] {
  return Object.values(table).flatMap((infos) => (infos ?? []).filter(isIPv4).map((info) => info.address));
}

/**
 * The interfaces to use: every non-loopback IPv4 address with a broadcast
 * address, or only those whose interface name or address equals `filter`.
 * Fails, with a reason a person can act on, when none is left.
 */
export function selectInterfaces(table: InterfaceTable, filter?: string): Result<LanInterface[]> {
  const all = Object.entries(table).flatMap(([name, infos]) =>
    (infos ?? []).filter(isIPv4).map((info) => ({ name, info })),
  );
  const candidates =
    filter === undefined ? all : all.filter(({ name, info }) => name === filter || info.address === filter);
  const usable = candidates.flatMap(({ name, info }): LanInterface[] => {
    if (info.internal) return [];
    const broadcast = broadcastAddress(info.address, info.netmask);
    return broadcast === undefined ? [] : [{ name, address: info.address, netmask: info.netmask, broadcast }];
  });
  if (usable.length > 0) return ok(usable);

  const known = all.map(({ name, info }) => `${name} ${info.address}`).join(', ') || 'none';
  if (filter === undefined)
    return fail(`no IPv4 interface with a broadcast address (IPv4 interfaces: ${known})`);
  if (candidates.length === 0)
    return fail(`no IPv4 interface or address "${filter}" (IPv4 interfaces: ${known})`);
  return fail(`"${filter}" has no IPv4 broadcast address (loopback or point-to-point)`);
}

/** `selectInterfaces` over this machine's interfaces as they are now. */
export function readInterfaces(filter?: string): Result<LanInterface[]> {
  return selectInterfaces(networkInterfaces(), filter);
}

/** `localAddresses` of this machine as it is now. */
export function readLocalAddresses(): string[] {
  return localAddresses(networkInterfaces());
}

/**
 * The address a WAN station binds for `--interface`/`--bind` (SPEC §11): the
 * IPv4 address itself, or the first IPv4 address of the interface so named.
 * Loopback counts: a WAN needs no broadcast.
 */
export function bindAddress(table: InterfaceTable, filter: string): Result<string> {
  if (parseIPv4(filter) !== undefined) return ok(filter);
  const info = (table[filter] ?? []).find(isIPv4);
  if (info !== undefined) return ok(info.address);
  const known = Object.keys(table).join(', ') || 'none';
  return fail(`no IPv4 interface or address "${filter}" (interfaces: ${known})`);
}

/** `bindAddress` on this machine's interfaces as they are now. */
export function readBindAddress(filter: string): Result<string> {
  return bindAddress(networkInterfaces(), filter);
}
