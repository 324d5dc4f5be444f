/**
 * A private multi-host LAN for tests, run from an ordinary node:test process
 * that stays in the machine's own namespaces.
 *
 * One long-lived holder process owns a fresh network + mount namespace
 * (`unshare --net --mount`): it mounts a tmpfs on /run/netns, makes one
 * bridge, and one named netns per host joined to it by a veth pair (host i
 * gets SUBNET.(i+1)/24 on `eth0`, broadcast SUBNET.255, `lo` up, no route
 * out). Every station is its own process entering the holder with `nsenter`
 * then `ip netns exec HOST`; nothing is reachable from outside, and the
 * namespaces vanish with the holder and its stations. Every process the lab
 * starts dies with the test process (parent-death signal, stdin EOF).
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LineProcess } from './line-process.js';
import { REPO_ROOT, tsNodeArgs } from './paths.js';

export type Availability = { ok: true } | { ok: false; why: string };

export interface LabOptions {
  /** Host (and netns) names, in address order. */
  hosts: readonly string[];
  /** First three bytes of the private /24, e.g. '10.77.0'. */
  subnet?: string;
}

export interface SpawnOptions {
  /** Runs the command in its own UTS namespace under this host name, with an /etc/hosts mapping it to the host's address (what the original needs to find its own address). */
  hostname?: string;
  /** Added to the test process's environment. */
  env?: Record<string, string>;
  /** Working directory (default: the test process's). */
  cwd?: string;
  /** Name in error messages (default `host:cmd`). */
  label?: string;
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

const DEFAULT_SUBNET = '10.77.0';
const HOST_NAME = /^[a-z][a-z0-9-]{0,14}$/i;
const READY_TIMEOUT_MS = 15_000;
const STOP_GRACE_MS = 1_000;

// Runs as the holder, inside the new namespaces: $1 subnet, then the host names.
const HOLDER_SCRIPT = `
set -e
subnet=$1; shift
mkdir -p /run/netns
mount -t tmpfs tmpfs /run/netns
ip link set lo up
ip link add labbr type bridge
ip link set labbr up
n=1
for h; do
  ip netns add "$h"
  ip link add "lab$n" type veth peer name eth0 netns "$h"
  ip link set "lab$n" master labbr up
  ip -n "$h" addr add "$subnet.$n/24" brd + dev eth0
  ip -n "$h" link set eth0 up
  ip -n "$h" link set lo up
  n=$((n + 1))
done
for h; do
  t=0
  until ip -n "$h" -o link show eth0 | grep -q LOWER_UP; do
    t=$((t + 1)); [ $t -lt 100 ] || { echo "eth0 of $h never came up" >&2; exit 1; }
    sleep 0.02
  done
done
echo "ready $$"
read -r _ || true
`;

// Runs a station under its own host name: $1 host name, $2 hosts file, then the command.
const HOSTNAME_SCRIPT = `mount --bind "$2" /etc/hosts && hostname "$1" && shift 2 && exec "$@"`;

const NFT_TABLE = 'msinet_lab_drop';

export class Lab {
  private readonly processes = new Set<LineProcess>();
  /** Hosts with a drop rule in place. */
  private readonly dropping = new Set<string>();
  private stopped: Promise<void> | undefined;
  private hostFiles = 0;

  private constructor(
    readonly hosts: readonly string[],
    readonly subnet: string,
    private readonly holder: LineProcess,
    /** Pid of the shell holding the namespaces; `nsenter --target` enters it. */
    readonly holderPid: number,
    private readonly dir: string,
  ) {}

  static async start(options: LabOptions): Promise<Lab> {
    const subnet = options.subnet ?? DEFAULT_SUBNET;
    if (!/^\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(subnet)) {
      throw new Error(`lab: subnet must look like 10.77.0, not ${subnet}`);
    }
    const hosts = [...options.hosts];
    if (hosts.length === 0 || hosts.length > 250) throw new Error('lab: between 1 and 250 hosts');
    for (const host of hosts) {
      if (!HOST_NAME.test(host)) {
        throw new Error(`lab: host name ${JSON.stringify(host)} must match ${HOST_NAME}`);
      }
    }
    if (new Set(hosts).size !== hosts.length) throw new Error('lab: host names must differ');

    const child = spawn(
      'setpriv',
      [
        '--pdeathsig',
        'KILL',
        'unshare',
        '--net',
        '--mount',
        '--propagation',
        'private',
        '--kill-child',
        'sh',
        '-c',
        HOLDER_SCRIPT,
        'lab-holder',
        subnet,
        ...hosts,
      ],
      { stdio: 'pipe', detached: true },
    );
    const holder = new LineProcess(child, 'lab holder');
    let holderPid: number;
    try {
      const ready = await holder.waitForLine(/^ready (\d+)$/, READY_TIMEOUT_MS);
      holderPid = Number(ready.match[1]);
    } catch (err) {
      await holder.kill('SIGKILL');
      throw err;
    }
    const dir = mkdtempSync(join(tmpdir(), 'msinet-lab-'));
    return new Lab(hosts, subnet, holder, holderPid, dir);
  }

  address(host: string): string {
    return `${this.subnet}.${this.indexOf(host) + 1}`;
  }

  broadcast(host: string): string {
    this.indexOf(host);
    return `${this.subnet}.255`;
  }

  /** The host's LAN interface name. */
  interfaceName(host: string): string {
    this.indexOf(host);
    return 'eth0';
  }

  /** The command line that runs `cmd args` on `host` (for callers that spawn it themselves). */
  commandLine(host: string, cmd: string, args: readonly string[], options: SpawnOptions = {}): string[] {
    this.indexOf(host);
    const station = options.hostname
      ? [
          'unshare',
          '--uts',
          '--mount',
          '--propagation',
          'private',
          'sh',
          '-c',
          HOSTNAME_SCRIPT,
          'lab-station',
          options.hostname,
          this.hostsFile(host, options.hostname),
          cmd,
          ...args,
        ]
      : [cmd, ...args];
    return [
      'setpriv',
      '--pdeathsig',
      'KILL',
      'nsenter',
      `--target=${this.holderPid}`,
      '--net',
      '--mount',
      `--wd=${options.cwd ?? process.cwd()}`,
      'ip',
      'netns',
      'exec',
      host,
      ...station,
    ];
  }

  /** Starts a long-lived process on `host`; `stop()` kills it if the test has not. */
  spawn(host: string, cmd: string, args: readonly string[], options: SpawnOptions = {}): LineProcess {
    if (this.stopped) throw new Error('lab: already stopped');
    const [file, ...argv] = this.commandLine(host, cmd, args, options) as [string, ...string[]];
    const child = spawn(file, argv, {
      stdio: 'pipe',
      detached: true,
      cwd: options.cwd,
      env: stationEnv(options.env),
    });
    const proc = new LineProcess(child, options.label ?? `${host}:${cmd}`);
    this.processes.add(proc);
    void proc.exited.then(() => this.processes.delete(proc));
    return proc;
  }

  /** Starts a TypeScript file of this repository (path from the repo root, e.g. 'src/cli.ts') with node + tsx on `host`. */
  spawnTypeScript(
    host: string,
    file: string,
    args: readonly string[],
    options: SpawnOptions = {},
  ): LineProcess {
    return this.spawn(host, process.execPath, tsNodeArgs(file, args), {
      label: `${host}:${file}`,
      ...options,
      cwd: options.cwd ?? REPO_ROOT,
    });
  }

  /** Runs a command on `host` to its end. */
  async run(
    host: string,
    cmd: string,
    args: readonly string[],
    options: SpawnOptions & { input?: string; timeoutMs?: number } = {},
  ): Promise<RunResult> {
    const proc = this.spawn(host, cmd, args, options);
    if (options.input !== undefined) proc.child.stdin?.write(options.input);
    proc.closeStdin();
    const timer = setTimeout(() => void proc.kill('SIGKILL'), options.timeoutMs ?? 10_000);
    const { code } = await proc.exited;
    clearTimeout(timer);
    return { code, stdout: proc.stdoutLines.join('\n'), stderr: proc.stderrLines.join('\n') };
  }

  /**
   * Drops `percent` % of the IP packets `host` receives on its LAN interface,
   * at random (nftables `numgen random`); 0 removes the rule.
   */
  async dropPercent(host: string, percent: number): Promise<void> {
    if (!Number.isInteger(percent) || percent < 0 || percent > 100) {
      throw new Error(`lab: drop percentage must be an integer 0..100, not ${percent}`);
    }
    // Adding then deleting the table in one transaction removes it whether or not it existed.
    const script = [`add table inet ${NFT_TABLE}`, `delete table inet ${NFT_TABLE}`];
    if (percent > 0) {
      script.push(
        `table inet ${NFT_TABLE} {`,
        '  chain input {',
        '    type filter hook input priority 0; policy accept;',
        // nft types `numgen mod 100` as 0..99, so it refuses `< 100`.
        `    iifname != "lo" ${percent < 100 ? `numgen random mod 100 < ${percent} ` : ''}drop`,
        '  }',
        '}',
      );
    }
    const result = await this.run(host, 'nft', ['-f', '-'], { input: `${script.join('\n')}\n` });
    if (result.code !== 0) {
      throw new Error(`lab: nft on ${host} failed (${String(result.code)}): ${result.stderr}`);
    }
    if (percent > 0) this.dropping.add(host);
    else this.dropping.delete(host);
  }

  /** Back to a fresh lab between tests: kills every process it started and removes the drop rules. */
  async reset(): Promise<void> {
    await Promise.all([...this.processes].map((p) => p.kill('SIGTERM', STOP_GRACE_MS)));
    await Promise.all([...this.dropping].map((host) => this.dropPercent(host, 0)));
  }

  /** Kills every process the lab started, then the holder: the namespaces go with it. */
  stop(): Promise<void> {
    this.stopped ??= this.shutdown();
    return this.stopped;
  }

  private async shutdown(): Promise<void> {
    await Promise.all([...this.processes].map((p) => p.kill('SIGTERM', STOP_GRACE_MS)));
    this.holder.closeStdin();
    const timer = setTimeout(() => void this.holder.kill('SIGKILL'), STOP_GRACE_MS);
    await this.holder.exited;
    clearTimeout(timer);
    rmSync(this.dir, { recursive: true, force: true });
  }

  private indexOf(host: string): number {
    const index = this.hosts.indexOf(host);
    if (index < 0) throw new Error(`lab: no host ${JSON.stringify(host)} (hosts: ${this.hosts.join(', ')})`);
    return index;
  }

  private hostsFile(host: string, hostname: string): string {
    const file = join(this.dir, `hosts-${this.hostFiles++}`);
    writeFileSync(file, `127.0.0.1 localhost\n${this.address(host)} ${hostname}\n`);
    return file;
  }
}

/** The test process's environment minus node:test's marker, which would make a node station act as a test file. */
function stationEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  delete env.NODE_TEST_CONTEXT;
  return env;
}

let availability: Availability | undefined;

/** Whether this process can build a lab; `why` is the skip reason a test prints. */
export function canUseNetns(): Availability {
  availability ??= probeNetns();
  return availability;
}

/** Whether `Lab.dropPercent` can work (nftables installed). */
export function canUseNft(): Availability {
  return commandExists('nft', ['--version'])
    ? { ok: true }
    : { ok: false, why: 'nft (nftables) is not installed' };
}

function probeNetns(): Availability {
  const uid = process.getuid?.();
  if (uid !== 0) return { ok: false, why: `network namespaces need root (uid is ${String(uid)})` };
  const tools: [string, string[]][] = [
    ['unshare', ['--version']],
    ['nsenter', ['--version']],
    ['setpriv', ['--version']],
    ['ip', ['-V']],
  ];
  const missing = tools.filter(([cmd, args]) => !commandExists(cmd, args)).map(([cmd]) => cmd);
  if (missing.length > 0) return { ok: false, why: `missing commands: ${missing.join(', ')}` };
  const trial = spawnSync('unshare', ['--net', '--mount', 'true'], { encoding: 'utf8', timeout: 10_000 });
  if (trial.status !== 0) {
    return {
      ok: false,
      why: `unshare --net --mount fails here: ${trial.stderr.trim() || String(trial.error)}`,
    };
  }
  return { ok: true };
}

function commandExists(cmd: string, args: string[]): boolean {
  const result = spawnSync(cmd, args, { stdio: 'ignore', timeout: 10_000 });
  return result.error === undefined;
}
