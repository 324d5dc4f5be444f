/**
 * The browser's MIDI ports (Web MIDI API), bridged to the page's client:
 * bytes from the chosen inputs become events (the model's parser: running
 * status, SysEx across messages, realtime bytes anywhere), and events the
 * client receives become bytes on the chosen output, sent with a timestamp:
 * their delivery date on the page's clock, so the spacing the driver
 * delivered them with is kept. Web MIDI exists only in a secure context
 * (localhost, or HTTPS): elsewhere the page says so and the on-screen
 * keyboard still plays.
 */
import type { MidiEvent } from '../model/event.js';
import {
  eventToMidiBytes,
  initialMidiParser,
  parseMidiChunk,
  type MidiParserState,
} from '../model/midi-bytes.js';
import { expandNote } from '../model/note-expand.js';
import { element } from './remotes-view.js';

const ALL = '*';
const NONE = '';

export class MidiBridge {
  private access: MIDIAccess | undefined;
  private readonly parsers = new Map<string, MidiParserState>();
  private readonly listening = new Set<MIDIInput>();

  constructor(
    private readonly inputSelect: HTMLSelectElement,
    private readonly outputSelect: HTMLSelectElement,
    private readonly status: HTMLElement,
    /** Events played on the chosen inputs. */
    private readonly onEvents: (events: MidiEvent[]) => void,
  ) {
    inputSelect.addEventListener('change', () => this.listen());
  }

  async start(): Promise<void> {
    if (typeof navigator.requestMIDIAccess !== 'function') {
      this.unavailable();
      this.status.textContent =
        'Web MIDI is not available here: it needs a secure context (this page on localhost, or over HTTPS) ' +
        'and a browser that has it. The on-screen keyboard plays.';
      return;
    }
    try {
      this.access = await navigator
        .requestMIDIAccess({ sysex: true })
        .catch(() => navigator.requestMIDIAccess());
    } catch (error) {
      this.unavailable();
      this.status.textContent = `Web MIDI was refused (${String(error)}). The on-screen keyboard plays.`;
      return;
    }
    this.access.addEventListener('statechange', () => this.ports());
    this.ports();
  }

  /** Sends what the client received to the chosen output at `at` (performance.now() time; now when undefined). */
  play(event: MidiEvent, at: number | undefined): void {
    const output = this.output();
    if (!output) return;
    const when = at ?? performance.now();
    const timed: [MidiEvent, number][] =
      event.type === 'note'
        ? expandNote({ ...event, date: 0 }).map((e) => [e, when + (e.date ?? 0)])
        : [[event, when]];
    for (const [e, time] of timed) {
      for (const bytes of eventToMidiBytes(e)) {
        try {
          output.send(bytes, time);
        } catch {
          // SysEx without permission, or a port that just went: nothing to play it on.
        }
      }
    }
  }

  private unavailable(): void {
    for (const select of [this.inputSelect, this.outputSelect]) {
      select.replaceChildren(element('option', { value: NONE }, 'No Web MIDI'));
      select.disabled = true;
    }
  }

  private output(): MIDIOutput | undefined {
    const id = this.outputSelect.value;
    return id === NONE ? undefined : this.access?.outputs.get(id);
  }

  /** The port lists, keeping what was chosen when it is still there. */
  private ports(): void {
    const access = this.access;
    if (!access) return;
    fill(
      this.inputSelect,
      [...access.inputs.values()],
      [
        [ALL, 'All inputs'],
        [NONE, 'None'],
      ],
    );
    fill(this.outputSelect, [...access.outputs.values()], [[NONE, 'None']]);
    const counts = `${access.inputs.size} MIDI input${access.inputs.size === 1 ? '' : 's'}, ${access.outputs.size} output${access.outputs.size === 1 ? '' : 's'}`;
    this.status.textContent = `Web MIDI: ${counts}.`;
    this.listen();
  }

  private listen(): void {
    const chosen = this.inputSelect.value;
    for (const input of this.listening) input.removeEventListener('midimessage', this.onMessage);
    this.listening.clear();
    for (const input of this.access?.inputs.values() ?? []) {
      if (chosen !== ALL && chosen !== input.id) continue;
      input.addEventListener('midimessage', this.onMessage);
      this.listening.add(input);
    }
  }

  private readonly onMessage = (message: Event): void => {
    const { data, target } = message as MIDIMessageEvent;
    const id = (target as MIDIInput | null)?.id ?? '';
    if (!data) return;
    const { state, events } = parseMidiChunk(this.parsers.get(id) ?? initialMidiParser(), data, { port: 0 });
    this.parsers.set(id, state);
    if (events.length > 0) this.onEvents(events);
  };
}

/** Fills a port list; the first time, an output list picks its first port (a choice the person may undo). */
function fill(select: HTMLSelectElement, ports: MIDIPort[], fixed: [string, string][]): void {
  const first = select.options.length === 0;
  const chosen = select.value;
  select.replaceChildren(
    ...fixed.map(([value, text]) => element('option', { value }, text)),
    ...ports.map((port) => element('option', { value: port.id }, port.name ?? port.id)),
  );
  const values = [...select.options].map((o) => o.value);
  select.value = !first && values.includes(chosen) ? chosen : (fixed[0]?.[0] ?? NONE);
  if (first && select.value === NONE && ports[0] && fixed.length === 1) select.value = ports[0].id;
}
