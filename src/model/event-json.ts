/**
 * Event JSON (SPEC §2): the form the local endpoint, `msinet send --json` and
 * `msinet dump --json` speak. `parseEvent` is the one gate every event from
 * outside the process passes; `eventToJson` prints the canonical form.
 *
 * Canonical form: keys in the order `type, date?, port, chan`, then the
 * type's fields in the order of EVENT_FIELDS; `port` and `chan` always
 * present (they default to 0 on input); `date` only when the event has one.
 */
import type { EventType, MidiEvent } from './event.js';
import {
  checkChan,
  checkDate,
  checkPort,
  EVENT_FIELDS,
  EVENT_TYPES,
  isEventType,
  show,
  type FieldCheck,
} from './event-schema.js';
import { fail, ok, type Result } from './result.js';

const BASE_FIELDS = ['type', 'date', 'port', 'chan'];

/** The fields each type takes, made once: every event from outside is checked against them. */
const KNOWN_FIELDS = new Map<EventType, ReadonlySet<string>>(
  EVENT_TYPES.map((type) => [type, new Set([...BASE_FIELDS, ...EVENT_FIELDS[type].map((f) => f.name)])]),
);

/** The first key of `json` with a value that `known` lacks. */
function unknownField(json: Record<string, unknown>, known: ReadonlySet<string>): string | undefined {
  for (const key in json) {
    if (!known.has(key) && json[key] !== undefined) return key;
  }
  return undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `keyon` → ` (did you mean "keyOn"?)`: types are lowerCamelCase and people type them by hand. */
function suggestType(name: unknown): string {
  if (typeof name !== 'string') return '';
  const match = EVENT_TYPES.find((type) => type.toLowerCase() === name.toLowerCase());
  return match === undefined ? '' : ` (did you mean "${match}"?)`;
}

/**
 * Validates an Event JSON value field by field and answers the event in its
 * canonical form, or the first problem with the field it concerns named
 * first (`pitch: expected an integer 0–127, got 200`). A field whose value is
 * `undefined` counts as absent.
 */
export function parseEvent(input: unknown): Result<MidiEvent> {
  if (!isRecord(input)) return fail(`event: expected an object, got ${show(input)}`);
  const json = input;
  const named = json['type'];
  if (named === undefined) return fail('type: missing');
  if (!isEventType(named)) return fail(`type: unknown event type ${show(named)}${suggestType(named)}`);
  const type = named;

  const fields = EVENT_FIELDS[type];
  const unknown = unknownField(json, KNOWN_FIELDS.get(type) ?? new Set(BASE_FIELDS));
  if (unknown !== undefined) {
    const list = fields.length === 0 ? 'none but port, chan, date' : fields.map((f) => f.name).join(', ');
    return fail(`${unknown}: unknown field for ${type} (its fields: ${list})`);
  }

  const event: Record<string, unknown> = { type };
  const take = (name: string, check: FieldCheck, fallback?: number): string | undefined => {
    const value = json[name];
    if (value === undefined) {
      if (fallback !== undefined) event[name] = fallback;
      return undefined;
    }
    const checked = check(value, name, type);
    if (!checked.ok) return checked.reason;
    event[name] = checked.value;
    return undefined;
  };
  const problem =
    take('date', checkDate) ?? take('port', checkPort, 0) ?? take('chan', checkChan, 0) ?? takeFields();
  return problem === undefined ? ok(event as unknown as MidiEvent) : fail(problem);

  function takeFields(): string | undefined {
    for (const { name, check } of fields) {
      if (json[name] === undefined) {
        return `${name}: missing (a ${type} has ${fields.map((f) => f.name).join(', ')})`;
      }
      const problem = take(name, check);
      if (problem !== undefined) return problem;
    }
    return undefined;
  }
}

/**
 * The canonical Event JSON of an event: stable key order, only the fields of
 * its type (anything else an operator attached is left out), arrays copied.
 */
export function eventToJson(e: MidiEvent): Record<string, unknown> {
  const json: Record<string, unknown> = { type: e.type };
  if (e.date !== undefined) json['date'] = e.date;
  json['port'] = e.port;
  json['chan'] = e.chan;
  const source = e as unknown as Record<string, unknown>;
  for (const { name } of EVENT_FIELDS[e.type]) {
    const value = source[name];
    json[name] = Array.isArray(value) ? [...(value as unknown[])] : value;
  }
  return json;
}
