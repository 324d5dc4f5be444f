/**
 * `npm run demo`: WAN mode on one machine, for a newcomer, without root.
 *
 * Two stations on loopback, each the installed `msInetDriver` with its own
 * port and its own local socket in a fresh temporary folder: B a pure server
 * (`-s`), A a client that dials B (`-s 127.0.0.1:PORT`). On B, `msinet dump
 * --json` prints what arrives; on A, `msinet send --json` takes one note a
 * line while the demo plays a melody into it. Each note is printed as it is
 * delivered, with its delay (delivery time − send time, both read here).
 *
 * Everything it starts it stops (the stations say TCPBye to each other), and
 * the temporary folder goes. Exit 0 when every note arrived, 1 otherwise.
 */
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { hostname, tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DRIVER = join(ROOT, 'dist/bin/msInetDriver.js');
const MSINET = join(ROOT, 'dist/bin/msinet.js');

/** Loopback has no jitter to absorb: a delay short enough to hear, instead of the WAN defaults' 1.7 s. */
const G = 10;
const LAT = 50;
const NOTE_MS = 250;
/** Ode to Joy, its first phrase. */
const MELODY: readonly { name: string; pitch: number }[] = [
  ['E4', 64],
  ['E4', 64],
  ['F4', 65],
  ['G4', 67],
  ['G4', 67],
  ['F4', 65],
  ['E4', 64],
  ['D4', 62],
  ['C4', 60],
  ['C4', 60],
  ['D4', 62],
  ['E4', 64],
  ['E4', 64],
  ['D4', 62],
  ['D4', 62],
].map(([name, pitch]) => ({ name: name as string, pitch: pitch as number }));
const START_TIMEOUT_MS = 20_000;
/** After the last note, how long its delivery may take. */
const TAIL_MS = 3_000;
const STOP_GRACE_MS = 3_000;

const say = (line = '') => process.stdout.write(`${line}\n`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Builds dist/ when it is missing or older than src/ (a fresh clone after `npm ci` has it). */
function ensureBuilt(): void {
  const stale = (dir: string): boolean =>
    readdirSync(dir).some((name) => {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) return stale(path);
      if (!name.endsWith('.ts')) return false;
      const built = join(ROOT, 'dist', relative(join(ROOT, 'src'), path).replace(/\.ts$/, '.js'));
      return !existsSync(built) || statSync(built).mtimeMs < statSync(path).mtimeMs;
    });
  if (!stale(join(ROOT, 'src'))) return;
  say('(building the programs first: npm run build)');
  const build = spawnSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: 'inherit' });
  if (build.status !== 0) throw new Error('npm run build failed');
}

/** A port free for both UDP and TCP: a WAN station takes both on one number. */
async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const port = await new Promise<number>((resolve, reject) => {
      const udp = createSocket('udp4');
      udp.once('error', reject);
      udp.bind(0, () => {
        const { port } = udp.address();
        udp.close(() => resolve(port));
      });
    });
    const tcpFree = await new Promise<boolean>((resolve) => {
      const server = createServer();
      server.once('error', () => resolve(false));
      server.listen(port, () => server.close(() => resolve(true)));
    });
    if (tcpFree) return port;
  }
  throw new Error('no port free for both UDP and TCP');
}

/** A program the demo started, with a way to wait for one of its lines. */
class Program {
  readonly child: ChildProcess;
  private readonly waiting = new Set<(line: string) => void>();
  readonly exited: Promise<void>;

  constructor(file: string, args: readonly string[], onLine?: (line: string) => void) {
    this.child = spawn(process.execPath, [file, ...args], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
    this.exited = new Promise((resolve) => this.child.once('close', () => resolve()));
    this.child.stdin?.on('error', () => undefined);
    for (const stream of [this.child.stdout, this.child.stderr]) {
      if (!stream) continue;
      createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => {
        onLine?.(line);
        for (const wait of [...this.waiting]) wait(line);
      });
    }
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  waitFor(pattern: RegExp, timeoutMs: number, what: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const done = (error?: Error) => {
        clearTimeout(timer);
        this.waiting.delete(check);
        if (error) reject(error);
        else resolve();
      };
      const check = (line: string) => {
        if (pattern.test(line)) done();
      };
      const timer = setTimeout(() => done(new Error(`no ${what} within ${timeoutMs} ms`)), timeoutMs);
      this.waiting.add(check);
      void this.exited.then(() => done(new Error(`exited before ${what}`)));
    });
  }

  /** SIGTERM (a driver says Bye, then exits), SIGKILL if it has not gone in time. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), STOP_GRACE_MS);
    await this.exited;
    clearTimeout(timer);
  }
}

/** A driver's log line without its date, shown under the station's letter. */
function showLog(station: string): (line: string) => void {
  return (line) => say(`    ${station} | ${line.replace(/^\[[^\]]*\] /, '')}`);
}

function command(program: string, args: readonly string[], note: string): void {
  say(`  $ ${program} ${args.join(' ')}`);
  say(`    (${note})`);
}

interface Sent {
  name: string;
  pitch: number;
  at: number;
}

async function play(dir: string, programs: Program[]): Promise<boolean> {
  const [portB, portA] = [await freePort(), await freePort()];
  const socketB = join(dir, 'b.sock');
  const socketA = join(dir, 'a.sock');
  const timing = ['-g', String(G), '-lat', String(LAT)];
  const me = hostname();

  say('Station B, a WAN server:');
  const argsB = ['-s', '-p', String(portB), ...timing, '--socket', socketB];
  command('msInetDriver', argsB, 'TCP and UDP on one port number; -s and no host: it only accepts');
  const b = new Program(DRIVER, argsB, showLog('B'));
  programs.push(b);
  // Its endpoint listens, and it has said all it says at start.
  await Promise.all([
    b.waitFor(/local clients: /, START_TIMEOUT_MS, "station B's endpoint"),
    b.waitFor(/type 'q' to quit/, START_TIMEOUT_MS, 'start of station B'),
  ]);

  say('\nStation A, a WAN client of B:');
  const argsA = ['-s', `127.0.0.1:${portB}`, '-p', String(portA), ...timing, '--socket', socketA];
  command('msInetDriver', argsA, 'dials B over TCP, then HostIDs over UDP lock the two clocks');
  const a = new Program(DRIVER, argsA, showLog('A'));
  programs.push(a);
  await Promise.all([
    a.waitFor(/connection complete/, START_TIMEOUT_MS, "A's connection to B"),
    b.waitFor(/connection complete/, START_TIMEOUT_MS, "B's connection from A"),
  ]);
  say(`    (each names the other by the host name its HostID carries: both run here, so both are '${me}')`);

  say('\nOn B, print every event that arrives; on A, send notes to B (named by its host name):');
  const argsDump = ['--socket', socketB, 'dump', '--json'];
  const argsSend = ['--socket', socketA, 'send', '--to', me, '--json'];
  command('msinet', argsDump, 'one {"time","from","event"} a line');
  command('msinet', argsSend, 'one JSON event a line, sent as it is read');

  const sent: Sent[] = [];
  const delays: number[] = [];
  const dump = new Program(MSINET, argsDump, (line) => {
    const at = performance.now();
    let pitch: unknown;
    try {
      pitch = (JSON.parse(line) as { event?: { type?: string; pitch?: unknown } }).event?.pitch;
    } catch {
      return;
    }
    const note = sent[delays.length];
    if (note === undefined || pitch !== note.pitch) return;
    delays.push(at - note.at);
    const index = String(delays.length).padStart(2);
    say(
      `    note ${index}/${MELODY.length}  ${note.name.padEnd(3)} (pitch ${note.pitch})  delivered ${(at - note.at).toFixed(1)} ms after it was sent`,
    );
  });
  programs.push(dump);
  const send = new Program(MSINET, argsSend, (line) => say(`    send | ${line}`));
  programs.push(send);
  await Promise.all([untilListed(socketB, 'msinet-dump'), untilListed(socketA, 'msinet-send')]);

  say(
    `\nA plays Ode to Joy to B, a note every ${NOTE_MS} ms. Each should arrive G + maxLat = ${G} + ${LAT} = ${G + LAT} ms` +
      ' after it was sent, plus the time the tools take to pass it on (a millisecond or so; more on a busy machine):',
  );
  const start = performance.now();
  for (const [i, note] of MELODY.entries()) {
    await sleep(start + i * NOTE_MS - performance.now());
    const at = performance.now();
    send.child.stdin?.write(
      `${JSON.stringify({ type: 'note', pitch: note.pitch, vel: 90, dur: NOTE_MS - 50 })}\n`,
    );
    sent.push({ ...note, at });
  }
  const deadline = performance.now() + TAIL_MS;
  while (delays.length < MELODY.length && performance.now() < deadline) await sleep(20);
  send.child.stdin?.end(); // send exits once its events have left
  await Promise.race([send.exited, sleep(STOP_GRACE_MS)]);

  const sorted = [...delays].sort((x, y) => x - y);
  const median = sorted[Math.floor(sorted.length / 2)];
  say(
    `\n${delays.length} of ${MELODY.length} notes delivered` +
      (sorted.length > 0
        ? `; delay ${sorted[0]?.toFixed(1)}–${sorted[sorted.length - 1]?.toFixed(1)} ms, median ${median?.toFixed(1)} ms (G + maxLat = ${G + LAT} ms).`
        : '.'),
  );
  return delays.length === MELODY.length;
}

/** Waits until the driver at `socket` lists a local client named `name` (a tool has opened its client). */
async function untilListed(socket: string, name: string): Promise<void> {
  const deadline = performance.now() + START_TIMEOUT_MS;
  while (performance.now() < deadline) {
    const args = [MSINET, '--socket', socket, 'clients', '--json'];
    const listed = await promisify(execFile)(process.execPath, args, { timeout: 10_000 }).catch(
      () => undefined,
    );
    if (listed && (JSON.parse(listed.stdout) as { name: string }[]).some((c) => c.name === name)) return;
    await sleep(100);
  }
  throw new Error(`${name} did not open its client within ${START_TIMEOUT_MS} ms`);
}

async function main(): Promise<number> {
  ensureBuilt();
  say('msinet demo: two WAN stations on this machine, A plays a melody to B.\n');
  const dir = mkdtempSync(join(tmpdir(), 'msinet-demo-'));
  const programs: Program[] = [];
  const cleanUp = async () => {
    // The tools first, then the stations, which say TCPBye to each other as they go.
    for (const program of [...programs].reverse()) await program.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  const interrupted = () => void cleanUp().then(() => process.exit(130));
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  let allDelivered = false;
  try {
    allDelivered = await play(dir, programs);
  } catch (error) {
    say(`\ndemo: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    say('\nStopping the tools and the stations:');
    await cleanUp();
  }
  say(
    allDelivered
      ? '\nDone. Between two real hosts: `msInetDriver -s` on the server, `msInetDriver -s server.example.org`' +
          ' on the client, TCP and UDP port 4951 open on the server (README, "WAN mode").'
      : '\nSome notes did not arrive: see the stations’ lines above.',
  );
  return allDelivered ? 0 : 1;
}

process.exitCode = await main();
