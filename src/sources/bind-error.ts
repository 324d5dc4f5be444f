/**
 * Why a socket could not take its port, in words a person can act on. A port
 * already in use means another driver (msinet or the original) runs on it: the
 * CLI refuses to start a second one with exit 1 (SPEC §2).
 */

export type Protocol = 'UDP' | 'TCP';

export class PortInUseError extends Error {
  readonly code = 'EADDRINUSE';

  constructor(
    readonly protocol: Protocol,
    readonly port: number,
    readonly address: string,
  ) {
    super(`another driver is already using ${protocol} port ${port} on ${address}`);
    this.name = 'PortInUseError';
  }
}

/** The error to report when binding `protocol` `address:port` failed with `cause`. */
export function bindError(protocol: Protocol, port: number, address: string, cause: unknown): Error {
  const code = (cause as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'EADDRINUSE') return new PortInUseError(protocol, port, address);
  const detail = cause instanceof Error ? cause.message : String(cause);
  return new Error(`cannot use ${protocol} port ${port} on ${address}: ${detail}`, { cause });
}
