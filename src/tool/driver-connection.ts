/**
 * The exits every command shares: a driver that is not there, a reply that
 * says no. Failures are thrown as CommandError and become one line on
 * stderr and exit code 1 in main.
 */
import { statSync } from 'node:fs';
import {
  connectEndpoint,
  NoDriverError,
  NotYourDriverError,
  type EndpointClient,
  type EndpointClientOptions,
} from './endpoint-client.js';
import type { Op, OkReply } from '../wire/local-protocol.js';

export class CommandError extends Error {
  override name = 'CommandError';
}

/** Where the driver's endpoint is: a path, and where else to look when none was named (-p, --socket). */
export interface DriverAddress {
  path: string;
  /** The WAN driver's default endpoint, tried when nothing answers at the LAN default. */
  orElse?: string;
}

export async function reachDriver(
  { path: socket, orElse }: DriverAddress,
  options: EndpointClientOptions = {},
): Promise<EndpointClient> {
  try {
    return await connectEndpoint(socket, options);
  } catch (error) {
    // Nothing on the LAN default: a WAN driver (-s) on its own default port is the one meant.
    if (error instanceof NoDriverError && orElse !== undefined) {
      const wan = await connectEndpoint(orElse, options).catch(() => undefined);
      if (wan !== undefined) return wan;
    }
    if (error instanceof NoDriverError) {
      throw new CommandError(`no msInetDriver is running on ${socket} (start one, or give --socket or -p)`);
    }
    if (error instanceof NotYourDriverError) throw new CommandError(notYours(socket));
    throw error;
  }
}

/** The reply when it is ok; else its error as a CommandError. */
export async function ask(
  driver: EndpointClient,
  op: Op,
  fields: Record<string, unknown> = {},
): Promise<OkReply> {
  const reply = await driver.request(op, fields);
  if (!reply.ok) throw new CommandError(reply.error);
  return reply;
}

/** A driver's socket we may not use: whose it is, and the two ways to share it. */
function notYours(socket: string): string {
  let owner = 'another user';
  try {
    const { uid, mode } = statSync(socket);
    owner = `user ${uid}, mode ${(mode & 0o777).toString(8).padStart(4, '0')}`;
  } catch {
    // It went away meanwhile: say what we know.
  }
  return (
    `permission denied on ${socket}: the driver there belongs to ${owner}. ` +
    'Run msinet as that user, or start the driver with --socket-group <group> and join that group.'
  );
}
