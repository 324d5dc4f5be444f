/**
 * A local application that plays to a station, as a musician's program would:
 * `wan-player.ts <socket> <name> <to> <everyMs>`. It speaks the local
 * protocol (docs/local-protocol.md) itself, because the `msinet` tools open
 * transient clients, which a returning remote does not reconnect by design;
 * this one is an ordinary client, whose connection to `<to>` the remote
 * remembers across a drop. It opens client `<name>`, connects it to `<to>`
 * (retrying while `<to>` is not listed yet), then sends one event every
 * `everyMs`: `{ type: 'ctrlChange', … }` numbered as wan.test.ts's
 * streamEvent, whether or not `<to>` is there. It prints `connected` once,
 * and on the end of its stdin `{"written":N}`, then exits.
 */
import { connect } from 'node:net';
import { createInterface } from 'node:readline';

const [socketPath, name, to, everyText] = process.argv.slice(2);
if (socketPath === undefined || name === undefined || to === undefined || everyText === undefined) {
  process.stderr.write('usage: wan-player.ts <socket> <name> <to> <everyMs>\n');
  process.exit(2);
}

const streamEvent = (i: number) => ({
  type: 'ctrlChange',
  port: i % 4,
  chan: (i >> 2) % 16,
  ctrl: (i >> 6) % 120,
  value: i % 128,
});

const socket = connect(socketPath);
const request = (message: Record<string, unknown>) => socket.write(`${JSON.stringify(message)}\n`);
let written = 0;
let timer: NodeJS.Timeout | undefined;

createInterface({ input: socket }).on('line', (line) => {
  const reply = JSON.parse(line) as { ok?: boolean; op?: string; error?: string };
  if (reply.op === 'open' && reply.ok === false) throw new Error(`open: ${reply.error}`);
  if (reply.op === 'connect' && reply.ok === false) {
    setTimeout(() => request({ op: 'connect', src: name, dst: to }), 50);
  } else if (reply.op === 'connect' && timer === undefined) {
    process.stdout.write('connected\n');
    timer = setInterval(() => request({ op: 'send', event: streamEvent(written++) }), Number(everyText));
  }
});
socket.once('connect', () => {
  request({ op: 'open', name });
  request({ op: 'connect', src: name, dst: to });
});
socket.on('error', (error) => {
  process.stderr.write(`player: ${error.message}\n`);
  process.exit(1);
});

createInterface({ input: process.stdin }).on('close', () => {
  clearInterval(timer);
  process.stdout.write(`${JSON.stringify({ written })}\n`);
  socket.end(() => process.exit(0));
});
