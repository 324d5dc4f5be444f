/**
 * The original's captures (test/fixtures/original-captures): what it sent,
 * and what its receiver printed for each event it delivered.
 */
import { readFileSync } from 'node:fs';
import { Buffer } from 'node:buffer';

const FIXTURES = new URL('../fixtures/original-captures/', import.meta.url);

export interface CapturedPacket {
  proto: 'udp' | 'tcp';
  src: string;
  dst: string;
  bytes: Buffer;
}

export interface ReceivedEvent {
  type: number;
  port: number;
  chan: number;
  fields: number[];
}

export function capturedPackets(mode: 'lan' | 'wan'): CapturedPacket[] {
  return readFileSync(new URL(`${mode}.jsonl`, FIXTURES), 'utf8')
    .trim()
    .split('\n')
    .map((line) => {
      const { proto, src, dst, hex } = JSON.parse(line) as {
        proto: 'udp' | 'tcp';
        src: string;
        dst: string;
        hex: string;
      };
      return { proto, src, dst, bytes: Buffer.from(hex, 'hex') };
    });
}

const RECV = /^RECV now=\d+ date=\d+ type=(\d+) port=(\d+) chan=(\d+) fields=\[([-\d ]*)\]$/;

export function receivedEvents(mode: 'lan' | 'wan'): ReceivedEvent[] {
  return readFileSync(new URL(`${mode}.received.txt`, FIXTURES), 'utf8')
    .split('\n')
    .flatMap((line) => {
      const match = RECV.exec(line);
      if (match === null) return [];
      const [, type, port, chan, fields] = match;
      return [
        {
          type: Number(type),
          port: Number(port),
          chan: Number(chan),
          fields: (fields ?? '').split(' ').filter(Boolean).map(Number),
        },
      ];
    });
}

/** The TCPBye line the receiver logs: `remote connection report: v:100 maxLat:1500 over:0 missing:0`. */
export function receivedConnectionReport(mode: 'lan' | 'wan'): Record<string, number> | undefined {
  const text = readFileSync(new URL(`${mode}.received.txt`, FIXTURES), 'utf8');
  const match = /remote connection report: v:(\d+) maxLat:(\d+) over:(\d+) missing:(\d+)/.exec(text);
  if (match === null) return undefined;
  const [, version, maxLat, late, missing] = match.map(Number);
  return { version: version ?? NaN, maxLat: maxLat ?? NaN, late: late ?? NaN, missing: missing ?? NaN };
}
