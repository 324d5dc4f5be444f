/**
 * Drives a raw WAN peer (wan-raw-peer.ts) running on a lab host: its commands
 * as methods, its reports parsed.
 */
import type { Lab } from '../harness/lab.js';
import type { LineProcess } from '../harness/line-process.js';

export type RawReport = Record<string, unknown> & { id?: string };

export class RawPeer {
  private constructor(
    readonly process: LineProcess,
    readonly host: string,
  ) {}

  /** Starts a raw peer on `host` with its UDP socket on `udpPort` (0: any). */
  static async start(lab: Lab, host: string, udpPort: number): Promise<RawPeer> {
    const proc = lab.spawnTypeScript(host, 'test/netns/wan-raw-peer.ts', [String(udpPort)], {
      label: `raw peer@${host}`,
    });
    await proc.waitForLine(/^\{"ready":/, 20_000);
    return new RawPeer(proc, host);
  }

  reports(): RawReport[] {
    return this.process.stdoutLines.flatMap((line) => {
      try {
        return [JSON.parse(line) as RawReport];
      } catch {
        return [];
      }
    });
  }

  waitFor(accept: (r: RawReport) => boolean, timeoutMs: number, what: string): Promise<RawReport> {
    return this.process.waitUntil(() => this.reports().find(accept), timeoutMs, what);
  }

  private send(command: Record<string, unknown>): void {
    this.process.writeLine(JSON.stringify(command));
  }

  /** Opens TCP connection `id`; resolves once connected with its local port and when (this peer's clock). */
  async connect(
    id: string,
    address: string,
    port: number,
    options: { read?: boolean } = {},
  ): Promise<{ localPort: number; at: number }> {
    this.send({ connect: id, address, port, read: options.read !== false });
    const report = await this.waitFor(
      (r) => r.id === id && (r['connected'] !== undefined || r['failed'] !== undefined),
      10_000,
      `connection ${id}`,
    );
    if (report['failed'] !== undefined)
      throw new Error(`raw peer: ${id} failed: ${String(report['failed'])}`);
    return { localPort: (report['connected'] as { localPort: number }).localPort, at: Number(report['at']) };
  }

  write(id: string, bytes: Uint8Array): void {
    this.send({ write: id, hex: Buffer.from(bytes).toString('hex') });
  }

  end(id: string): void {
    this.send({ end: id });
  }

  hostIds(to: string, name: string, periodMs = 100): void {
    this.send({ hostIds: to, name, periodMs });
  }

  stopHostIds(): void {
    this.send({ stopHostIds: true });
  }

  udp(to: string, bytes: Uint8Array): void {
    this.send({ udp: to, hex: Buffer.from(bytes).toString('hex') });
  }

  quietUdp(): void {
    this.send({ quietUdp: true });
  }

  /** Every byte connection `id` has received so far, in order. */
  received(id: string): Buffer {
    return Buffer.concat(
      this.reports()
        .filter((r) => r.id === id && typeof r['data'] === 'string')
        .map((r) => Buffer.from(r['data'] as string, 'hex')),
    );
  }

  /** When connection `id` closed (its `closed` report), once it has. */
  closed(id: string, timeoutMs: number): Promise<RawReport> {
    return this.waitFor((r) => r.id === id && r['closed'] !== undefined, timeoutMs, `${id} closed`);
  }
}
