/**
 * A MIDI system in memory, with the interface of the real one
 * (src/sources/midi-system.ts), for tests: devices are plugged and unplugged,
 * play bytes and record what they are sent; another program can hold a port
 * (busy). As on the ALSA sequencer, a virtual port the driver makes is listed
 * to everyone, the driver included: a virtual input (other programs play into
 * it) among the outputs, a virtual output among the inputs.
 */
import { fail, ok, type Result } from '../../../src/model/result.js';
import type { MidiInputPort, MidiOutputPort, MidiSystem } from '../../../src/sources/midi-system.js';
import { MemoryMidiInput } from './input.js';
import { MemoryMidiOutput } from './output.js';

export class MemoryMidiSystem implements MidiSystem {
  readonly description = 'in-memory MIDI (tests)';
  #deviceInputs: string[] = [];
  #deviceOutputs: string[] = [];
  #virtualInputs = new Map<string, MemoryMidiInput>();
  #virtualOutputs = new Map<string, MemoryMidiOutput>();
  #held = new Set<string>();
  #openInputs = new Set<MemoryMidiInput>();
  #openOutputs = new Set<MemoryMidiOutput>();
  #written = new Map<string, number[][]>();
  #closed = false;

  // ── what a test does to the studio ───────────────────────────────────────

  /** A device the driver can read (a keyboard) appears. */
  plugInput(name: string): void {
    if (!this.#deviceInputs.includes(name)) this.#deviceInputs.push(name);
  }

  /** A device the driver can write (a synth) appears. */
  plugOutput(name: string): void {
    if (!this.#deviceOutputs.includes(name)) this.#deviceOutputs.push(name);
  }

  /** The device of this name goes away; the ports the driver opened on it stay open but hear and reach nothing. */
  unplug(name: string): void {
    this.#deviceInputs = this.#deviceInputs.filter((n) => n !== name);
    this.#deviceOutputs = this.#deviceOutputs.filter((n) => n !== name);
  }

  /** Another program holds the port: opening it fails as busy. */
  hold(name: string): void {
    this.#held.add(name);
  }

  release(name: string): void {
    this.#held.delete(name);
  }

  /**
   * The device `name` plays these bytes, or another program plays them into
   * the driver's virtual input `name`: every open port of that name gets them.
   * Answers how many ports got them.
   */
  play(name: string, ...chunks: (readonly number[])[]): number {
    const device = this.#deviceInputs.includes(name);
    const virtual = this.#virtualInputs.get(name);
    const ports = device ? [...this.#openInputs].filter((p) => p.name === name) : virtual ? [virtual] : [];
    for (const chunk of chunks) for (const port of ports) port.deliver(Uint8Array.from(chunk));
    return ports.length;
  }

  /** Every message the driver wrote to the device or virtual output `name`, oldest first. */
  written(name: string): number[][] {
    return this.#written.get(name) ?? [];
  }

  /** Whether the driver has a port of this name open now (device or virtual). */
  isOpen(name: string): boolean {
    return [...this.#openInputs, ...this.#openOutputs].some((p) => p.name === name);
  }

  // ── MidiSystem ───────────────────────────────────────────────────────────

  inputs(): readonly string[] {
    return [...this.#deviceInputs, ...this.#virtualOutputs.keys()];
  }

  outputs(): readonly string[] {
    return [...this.#deviceOutputs, ...this.#virtualInputs.keys()];
  }

  openInput(name: string): Result<MidiInputPort> {
    const refused = this.#refusal(name, this.inputs());
    if (refused !== undefined) return fail(refused);
    const port = new MemoryMidiInput(name, (p) => this.#openInputs.delete(p));
    this.#openInputs.add(port);
    return ok(port);
  }

  openOutput(name: string): Result<MidiOutputPort> {
    const refused = this.#refusal(name, this.outputs());
    if (refused !== undefined) return fail(refused);
    const port = new MemoryMidiOutput(
      name,
      (message) =>
        this.#deviceOutputs.includes(name) ? this.#record(name, message) : fail(`${name} is gone`),
      (p) => this.#openOutputs.delete(p),
    );
    this.#openOutputs.add(port);
    return ok(port);
  }

  virtualInput(name: string): Result<MidiInputPort> {
    if (this.#closed) return fail('the MIDI system is closed');
    if (this.#virtualInputs.has(name)) return fail(`a virtual input named '${name}' exists already`);
    const port = new MemoryMidiInput(name, (p) => {
      this.#openInputs.delete(p);
      this.#virtualInputs.delete(name);
    });
    this.#virtualInputs.set(name, port);
    this.#openInputs.add(port);
    return ok(port);
  }

  virtualOutput(name: string): Result<MidiOutputPort> {
    if (this.#closed) return fail('the MIDI system is closed');
    if (this.#virtualOutputs.has(name)) return fail(`a virtual output named '${name}' exists already`);
    const port = new MemoryMidiOutput(
      name,
      (message) => this.#record(name, message),
      (p) => {
        this.#openOutputs.delete(p);
        this.#virtualOutputs.delete(name);
      },
    );
    this.#virtualOutputs.set(name, port);
    this.#openOutputs.add(port);
    return ok(port);
  }

  close(): void {
    this.#closed = true;
    for (const port of [...this.#openInputs, ...this.#openOutputs]) port.close();
  }

  #refusal(name: string, present: readonly string[]): string | undefined {
    if (this.#closed) return 'the MIDI system is closed';
    if (!present.includes(name)) return `no MIDI port named '${name}'`;
    if (this.#held.has(name)) return `cannot open '${name}' (busy: another program holds it)`;
    return undefined;
  }

  #record(name: string, message: Uint8Array): Result<void> {
    const list = this.#written.get(name) ?? [];
    list.push([...message]);
    this.#written.set(name, list);
    return ok(undefined);
  }
}
