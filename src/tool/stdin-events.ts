/**
 * `msinet send --json`: stdin's lines, one Event JSON each, to the driver as
 * they are read. The lines one read of the pipe brings leave in one request
 * (at most MAX_BATCH of them, MAX_BATCH_BYTES of text), so a burst costs a
 * request per chunk, not per event.
 *
 * A batch leaves as the text it was read: each line is checked to be JSON,
 * which also keeps a line from changing the request around it, but it is not
 * turned into an event and written again, because the driver checks every
 * event anyway, and doing it twice was most of what a burst cost this
 * process. The driver takes a batch whole or refuses it whole (naming the
 * first bad event), so one request is in flight at a time: when a batch is
 * refused, its lines are checked here one by one, each bad one reported with
 * its line number, and the others sent before any later line is.
 */
import { eventToJson, parseEvent } from '../model/event-json.js';
import type { MidiEvent } from '../model/event.js';
import type { Reply } from '../wire/local-protocol.js';
import type { EndpointClient } from './endpoint-client.js';
import type { Io } from './io.js';

/** Events in one request at most (the endpoint takes up to 4096; fewer keep each request short for the driver). */
export const MAX_BATCH = 1024;
/** Text in one request at most: the endpoint reads lines of up to 1 MiB. */
export const MAX_BATCH_BYTES = 256 * 1024;

interface Line {
  number: number;
  text: string;
}

export interface StdinOutcome {
  /** Lines that are not events. */
  bad: number;
  /** Requests the driver refused for another reason than a bad event. */
  refused: number;
}

export async function sendStdinEvents(io: Io, driver: EndpointClient): Promise<StdinOutcome> {
  const outcome: StdinOutcome = { bad: 0, refused: 0 };
  const complain = (where: string, reason: string): void => {
    io.stderr.write(`msinet: ${where}: ${reason}\n`);
  };
  for await (const batch of batches(io.stdin, (line, reason) => {
    outcome.bad += 1;
    complain(`line ${line.number}`, reason);
  })) {
    const reply = await driver.requestText('send', `"events":[${batch.map((line) => line.text).join(',')}]`);
    if (!reply.ok) await sendOneByOne(batch, reply, driver, outcome, complain);
  }
  return outcome;
}

/** A refused batch again, checked line by line here: each bad line said, the others sent. */
async function sendOneByOne(
  batch: readonly Line[],
  refusal: Reply & { ok: false },
  driver: EndpointClient,
  outcome: StdinOutcome,
  complain: (where: string, reason: string) => void,
): Promise<void> {
  const events: Record<string, unknown>[] = [];
  for (const line of batch) {
    const event = parseLine(line.text);
    if (event.ok) events.push(eventToJson(event.value));
    else {
      outcome.bad += 1;
      complain(`line ${line.number}`, event.reason);
    }
  }
  const where = `lines ${batch[0]?.number ?? 0}–${batch[batch.length - 1]?.number ?? 0}`;
  // Every line was an event: the driver refused the batch for another reason.
  if (events.length === batch.length) {
    outcome.refused += 1;
    return complain(where, refusal.error);
  }
  if (events.length === 0) return;
  const reply = await driver.request('send', { events });
  if (!reply.ok) {
    outcome.refused += 1;
    complain(where, reply.error);
  }
}

/** The batches of stdin's lines, read as they come; a line that is not JSON is passed to `bad` instead. */
async function* batches(stdin: NodeJS.ReadableStream, bad: (line: Line, reason: string) => void) {
  stdin.setEncoding('utf8');
  let rest = '';
  let number = 0;
  let batch: Line[] = [];
  let bytes = 0;
  const full = () => batch.length >= MAX_BATCH || bytes >= MAX_BATCH_BYTES;
  const take = (raw: string): void => {
    number += 1;
    const text = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (text.trim() === '') return;
    const json = checkJson(text);
    if (json !== undefined) return bad({ number, text }, json);
    batch.push({ number, text });
    bytes += text.length;
  };
  const cut = (): Line[] => {
    const out = batch;
    batch = [];
    bytes = 0;
    return out;
  };
  for await (const chunk of stdin) {
    const lines = (rest + (chunk as string)).split('\n');
    rest = lines.pop() ?? '';
    for (const line of lines) {
      take(line);
      if (full()) yield cut();
    }
    if (batch.length > 0) yield cut();
  }
  if (rest !== '') take(rest);
  if (batch.length > 0) yield cut();
}

/** Undefined when `text` is one JSON value; else why not. */
function checkJson(text: string): string | undefined {
  try {
    JSON.parse(text);
    return undefined;
  } catch (error) {
    return `not JSON: ${(error as Error).message}`;
  }
}

function parseLine(line: string): { ok: true; value: MidiEvent } | { ok: false; reason: string } {
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch (error) {
    return { ok: false, reason: `not JSON: ${(error as Error).message}` };
  }
  return parseEvent(json);
}
