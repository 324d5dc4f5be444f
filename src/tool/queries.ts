/**
 * The commands that open no client, so never wake a sleeping driver:
 * `clients [--json]`, `connect`, `disconnect`, `status [--json]` (SPEC §2).
 */
import type { Connection } from '../model/registry.js';
import type { ClientJson } from '../wire/local-protocol.js';
import type { Command } from './args.js';
import { ask, reachDriver, type DriverAddress } from './driver-connection.js';
import { formatClients, formatStatus } from './format.js';
import type { Io } from './io.js';

type QueryCommand = Extract<Command, { kind: 'clients' | 'connect' | 'disconnect' | 'status' }>;

export async function runQuery(socket: DriverAddress, command: QueryCommand, io: Io): Promise<number> {
  const driver = await reachDriver(socket);
  try {
    switch (command.kind) {
      case 'clients': {
        const reply = await ask(driver, 'clients');
        const clients = reply['clients'] as ClientJson[];
        const connections = reply['connections'] as Connection[];
        io.stdout.write(`${command.json ? JSON.stringify(clients) : formatClients(clients, connections)}\n`);
        return 0;
      }
      case 'connect':
      case 'disconnect':
        await ask(driver, command.kind, { src: command.src, dst: command.dst });
        return 0;
      case 'status': {
        const status = (await ask(driver, 'status'))['status'] as Record<string, unknown>;
        io.stdout.write(`${command.json ? JSON.stringify(status) : formatStatus(status)}\n`);
        return 0;
      }
    }
  } finally {
    driver.close();
  }
}
