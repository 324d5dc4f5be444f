/**
 * MIDI port names as the bridge uses them (SPEC §8): which present port a
 * `--midi-in` / `--midi-out` name means, what its client is called, and the
 * names of the driver's own virtual ports. Pure.
 */

/** Every virtual port the driver makes begins so: `msinet hostB`, and `msinet (all)` for every station. */
export const VIRTUAL_PREFIX = 'msinet ';
/** The virtual pair that plays to, and records from, every station at once. */
export const ALL_STATIONS_PORT = `${VIRTUAL_PREFIX}(all)`;
/** Client names are at most this long (registry's MAX_LOCAL_NAME). */
const MAX_NAME = 64;

/** The virtual port pair of one station. */
export function stationPortName(station: string): string {
  return `${VIRTUAL_PREFIX}${station}`;
}

/**
 * Whether a listed port is one of the driver's own virtual ports. The ALSA
 * sequencer lists a port as `client:port client#:port#`; RtMidi's client of a
 * virtual port is `RtMidi Input Client` or `RtMidi Output Client`, so the
 * port's own name follows the colon.
 */
export function isOwnVirtualPort(listed: string): boolean {
  const portPart = listed.slice(listed.indexOf(':') + 1);
  return listed.startsWith(VIRTUAL_PREFIX) || portPart.startsWith(VIRTUAL_PREFIX);
}

/**
 * The first present port whose name contains `wanted`, ignoring case, that
 * is not one of the driver's own virtual ports (bridging those would loop).
 */
export function matchPort(present: readonly string[], wanted: string): string | undefined {
  const needle = wanted.toLowerCase();
  return present.find((name) => !isOwnVirtualPort(name) && name.toLowerCase().includes(needle));
}

/**
 * A bridged port's client name: the port's name without the ALSA address
 * (`20:0`), which changes when a device is plugged in again; cut to 64
 * characters, control characters replaced.
 */
export function portClientName(port: string): string {
  // eslint-disable-next-line no-control-regex
  const clean = port.replace(/\s+\d+:\d+$/, '').replace(/[\x00-\x1f\x7f]/g, '?');
  return [...(clean || port || 'MIDI port')].slice(0, MAX_NAME).join('');
}
