/**
 * The exits every command shares: a driver that is not there, a reply that
 * says no. Failures are thrown as CommandError and become one line on
 * stderr and exit code 1 in main.
 */
import {
  connectEndpoint,
  NoDriverError,
  type EndpointClient,
  type EndpointClientOptions,
} from './endpoint-client.js';
import type { Op, OkReply } from '../wire/local-protocol.js';

export class CommandError extends Error {
  override name = 'CommandError';
}

export async function reachDriver(
  socket: string,
  options: EndpointClientOptions = {},
): Promise<EndpointClient> {
  try {
    return await connectEndpoint(socket, options);
  } catch (error) {
    if (error instanceof NoDriverError) {
      throw new CommandError(`no msInetDriver is running on ${socket} (start one, or give --socket or -p)`);
    }
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
