/**
 * The original GRAME msInetDriver v1.13 as a station in a lab (see
 * ../shared/original-peer/README.md): built once, run like `peer.sh` (own host
 * name and /etc/hosts, since the original finds its address from its host
 * name), driven by its stdin commands, its REMOTE and RECV lines parsed.
 */
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import type { Availability, Lab } from './lab.js';
import type { Exit, LineProcess } from './line-process.js';
import { ORIGINAL_PEER_DIR, REPO_ROOT } from './paths.js';

/**
 * Whether the original's source is here to build, and if not, the one reason
 * every test that needs it skips with. It lies outside the repository (a
 * fresh clone has none); CI puts it beside the clone and fails on the skip.
 */
export function originalPeerAvailable(): Availability {
  return existsSync(join(ORIGINAL_PEER_DIR, 'build.sh'))
    ? { ok: true }
    : {
        ok: false,
        why:
          `the original msInetDriver's source is not at ${ORIGINAL_PEER_DIR} ` +
          '(the shared folder beside the clone; MSINET_SHARED_DIR points elsewhere)',
      };
}

/** Where the original is built; `MSPEER_BUILD_DIR` overrides it. */
export const ORIGINAL_BUILD_DIR = process.env.MSPEER_BUILD_DIR ?? '/tmp/msPeer-build';

/**
 * Whether the original's 32-bit build (`binary`, from buildOriginalPeer) runs
 * natively on this kernel, as its launcher decides, or under qemu-i386: figures
 * of an emulated original are not the original's own.
 */
export function originalMode(binary: string): 'native here' | 'emulated' {
  const probe = spawnSync(join(dirname(binary), 'probe.i386'), { stdio: 'ignore', timeout: 10_000 });
  return probe.status === 0 ? 'native here' : 'emulated';
}

/** An event as the original's test client printed it on delivery. */
export interface OriginalEvent {
  /** The original's clock (ms) when its client took the event. */
  now: number;
  /** The event's date on the original's clock. */
  date: number;
  /** MidiShare type code (0 Note, 1 KeyOn, 17 SysEx, ...). */
  type: number;
  port: number;
  chan: number;
  /** MidiShare fields as the API holds them (SysEx: its data bytes). */
  fields: number[];
}

export interface OriginalRemote {
  ref: number;
  name: string;
}

const BUILD_TIMEOUT_MS = 5 * 60_000;
const START_TIMEOUT_MS = 10_000;
const RECV_LINE = /^RECV now=(-?\d+) date=(\d+) type=(\d+) port=(\d+) chan=(\d+) fields=\[([-\d ]*)\]$/;
const REMOTE_LINE = /^REMOTE ref=(\d+) name="(.*)" connected both ways$/;

const builds = new Map<string, Promise<string>>();

/**
 * Builds the original (scripts/build-original-peer.sh, cached in `outDir`)
 * and resolves with the path of its binary. Call it before a lab starts:
 * the build may apt-get a compiler.
 */
export function buildOriginalPeer(outDir = ORIGINAL_BUILD_DIR): Promise<string> {
  let build = builds.get(outDir);
  if (!build) {
    build = promisify(execFile)('sh', [join(REPO_ROOT, 'scripts', 'build-original-peer.sh'), outDir], {
      timeout: BUILD_TIMEOUT_MS,
      maxBuffer: 16 * 1024 * 1024,
    }).then(({ stdout }) => {
      const path = stdout.trim().split('\n').pop();
      if (!path) throw new Error('build-original-peer.sh printed no path');
      return path;
    });
    builds.set(outDir, build);
  }
  return build;
}

/** Parses one `RECV ...` line of the original's test client; undefined for any other line. */
export function parseRecvLine(line: string): OriginalEvent | undefined {
  const m = RECV_LINE.exec(line);
  if (!m) return undefined;
  const [, now, date, type, port, chan, fields] = m as unknown as [string, ...string[]];
  return {
    now: Number(now),
    date: Number(date),
    type: Number(type),
    port: Number(port),
    chan: Number(chan),
    fields: (fields ?? '').trim() === '' ? [] : (fields ?? '').trim().split(/\s+/).map(Number),
  };
}

/** Parses one `REMOTE ref=.. name=".." connected both ways` line; undefined for any other line. */
export function parseRemoteLine(line: string): OriginalRemote | undefined {
  const m = REMOTE_LINE.exec(line);
  return m ? { ref: Number(m[1]), name: m[2] ?? '' } : undefined;
}

export interface StartOriginalOptions {
  /** The msPeer binary (default: buildOriginalPeer()). */
  binary?: string;
  /** MSPEER_SELF=1: also connect the driver's loopback "remote" for its own host. */
  self?: boolean;
}

/**
 * Starts the original on `host` of `lab` under `hostname`, with driver
 * options `args` (e.g. `['-p', '4950', '-lat', '10', '-g', '10']`, or `['-s']`
 * for WAN), and resolves once it says it is running. The original binds
 * 0.0.0.0:PORT without address reuse: one original per host and port.
 */
export async function startOriginal(
  lab: Lab,
  host: string,
  hostname: string,
  args: readonly string[] = [],
  options: StartOriginalOptions = {},
): Promise<OriginalPeer> {
  const binary = options.binary ?? (await buildOriginalPeer());
  // The original keeps its preferences under $HOME: give each run an empty one.
  const home = mkdtempSync(join(tmpdir(), 'msPeer-home-'));
  const proc = lab.spawn(host, binary, args, {
    hostname,
    env: { HOME: home, ...(options.self ? { MSPEER_SELF: '1' } : {}) },
    label: `original ${hostname}@${host}`,
  });
  void proc.exited.then(() => rmSync(home, { recursive: true, force: true }));
  const peer = new OriginalPeer(proc, host, hostname);
  try {
    await proc.waitForLine(/MidiShare Internet driver v\. [\d.]+ is running/, START_TIMEOUT_MS);
  } catch (err) {
    await proc.kill('SIGKILL');
    throw err;
  }
  return peer;
}

/** A running original station: its commands, and what it printed so far. */
export class OriginalPeer {
  constructor(
    readonly process: LineProcess,
    readonly host: string,
    readonly hostname: string,
  ) {}

  /** Sends one command line as it is (see the README's list). */
  command(line: string): void {
    this.process.writeLine(line);
  }

  note(pitch: number, vel: number, dur: number, chan = 0, port = 0): void {
    this.commandWith('note', [pitch, vel, dur, chan, port]);
  }

  on(pitch: number, vel: number, chan = 0): void {
    this.commandWith('on', [pitch, vel, chan]);
  }

  off(pitch: number, vel = 0, chan = 0): void {
    this.commandWith('off', [pitch, vel, chan]);
  }

  ctrl(num: number, value: number, chan = 0): void {
    this.commandWith('ctrl', [num, value, chan]);
  }

  prog(program: number, chan = 0): void {
    this.commandWith('prog', [program, chan]);
  }

  bend(lsb: number, msb: number, chan = 0): void {
    this.commandWith('bend', [lsb, msb, chan]);
  }

  /** A SysEx with these data bytes (no F0/F7), on port 0 chan 0. */
  sysex(data: readonly number[]): void {
    this.commandWith('sysex', data);
  }

  /** Any MidiShare event type with its fields, in the API's order. */
  ev(type: number, chan: number, port: number, fields: readonly number[] = []): void {
    this.commandWith('ev', [type, chan, port, ...fields]);
  }

  /** The original's clock now, in ms. */
  async time(timeoutMs = 2_000): Promise<number> {
    const from = this.process.stdoutLines.length;
    this.command('time');
    const { match } = await this.process.waitForLine(/^TIME (-?\d+)$/, timeoutMs, { from });
    return Number(match[1]);
  }

  /** Remotes it has opened so far (a remote that left and came back is listed twice). */
  remotes(): OriginalRemote[] {
    return this.process.stdoutLines.flatMap((line) => parseRemoteLine(line) ?? []);
  }

  /** Waits for `REMOTE ref=.. name="NAME" connected both ways`. */
  async waitForRemote(name: string, timeoutMs = 10_000): Promise<OriginalRemote> {
    return this.process.waitUntil(
      () => this.remotes().find((r) => r.name === name),
      timeoutMs,
      `REMOTE name="${name}" connected both ways`,
    );
  }

  /** Waits for `REMOTE ref=REF gone`. */
  async waitForRemoteGone(ref: number, timeoutMs = 5_000): Promise<void> {
    await this.process.waitForLine(new RegExp(`^REMOTE ref=${ref} gone$`), timeoutMs);
  }

  /** Every event delivered to its client so far, in order. */
  received(): OriginalEvent[] {
    return this.process.stdoutLines.flatMap((line) => parseRecvLine(line) ?? []);
  }

  /** The first delivered event (already or later) that satisfies `accept`. */
  waitForEvent(accept: (e: OriginalEvent) => boolean, timeoutMs = 5_000): Promise<OriginalEvent> {
    return this.process.waitUntil(() => this.received().find(accept), timeoutMs, 'a matching RECV event');
  }

  /** The first `count` delivered events that satisfy `accept` (default: all). */
  waitForEvents(
    count: number,
    timeoutMs = 5_000,
    accept: (e: OriginalEvent) => boolean = () => true,
  ): Promise<OriginalEvent[]> {
    return this.process.waitUntil(
      () => {
        const events = this.received().filter(accept);
        return events.length >= count ? events.slice(0, count) : undefined;
      },
      timeoutMs,
      `${count} matching RECV events`,
    );
  }

  /** `q`: the original broadcasts Bye and exits; killed if it has not within `timeoutMs`. */
  async quit(timeoutMs = 3_000): Promise<Exit> {
    if (this.process.running) this.command('q');
    const timer = setTimeout(() => void this.process.kill('SIGKILL'), timeoutMs);
    try {
      return await this.process.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  kill(): Promise<Exit> {
    return this.process.kill('SIGKILL');
  }

  private commandWith(name: string, values: readonly number[]): void {
    for (const v of values) {
      if (!Number.isInteger(v)) throw new Error(`original ${name}: ${String(v)} is not an integer`);
    }
    this.command([name, ...values].join(' '));
  }
}
