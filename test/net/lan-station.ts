/**
 * A bare LAN endpoint as a process, for the network-namespace test: one
 * station per namespace, driven by JSON lines.
 *
 * `node --import tsx test/net/lan-station.ts INTERFACE PORT`
 *
 * stdout: `{"ready":{interfaces}}`, then `{"datagram":HEX,"from":{…},"broadcast":B}`
 * for each datagram; `{"error":MESSAGE}` (exit 1) when it cannot open;
 * `{"stats":{…}}` on request; `{"closed":{…stats}}` on `close`, after which the
 * process must end by itself: any socket left open would keep it alive.
 * stdin: `{"send":HEX,"to":{"address","port"}}`, `{"broadcast":HEX}`, `{"stats":true}`, `{"close":true}`.
 */
import { createInterface } from 'node:readline';
import { readInterfaces, readLocalAddresses } from '../../src/sources/interfaces.js';
import { lanUdp, type LanUdpEndpoint } from '../../src/sources/lan-udp.js';

type Command =
  | { send: string; to: { address: string; port: number } }
  | { broadcast: string }
  | { stats: true }
  | { close: true };

const print = (line: object) => process.stdout.write(`${JSON.stringify(line)}\n`);
const [interfaceName, portText] = process.argv.slice(2);
const port = Number(portText);
const selected = readInterfaces(interfaceName);
if (!selected.ok) {
  print({ error: selected.reason });
  process.exit(1);
}

const input = createInterface({ input: process.stdin });
const subscription = lanUdp({
  port,
  interfaces: selected.value,
  ownAddresses: readLocalAddresses(),
}).subscribe({
  next: (endpoint) => {
    endpoint.datagrams$.subscribe((d) =>
      print({ datagram: Buffer.from(d.bytes).toString('hex'), from: d.from, broadcast: d.broadcast }),
    );
    input.on('line', (line) => obey(endpoint, JSON.parse(line) as Command));
    print({ ready: { interfaces: endpoint.interfaces } });
  },
  error: (error: Error) => {
    print({ error: error.message });
    process.exit(1);
  },
});

function obey(endpoint: LanUdpEndpoint, command: Command): void {
  if ('send' in command) endpoint.send(Buffer.from(command.send, 'hex'), command.to);
  else if ('broadcast' in command) endpoint.broadcast(Buffer.from(command.broadcast, 'hex'));
  else if ('stats' in command) print({ stats: endpoint.stats() });
  else {
    subscription.unsubscribe();
    input.close();
    process.stdin.destroy();
    print({ closed: endpoint.stats() });
  }
}
