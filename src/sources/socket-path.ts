/**
 * Where the local endpoint of the driver on a given port lives, so the driver
 * and `msinet -p <port>` agree without being told.
 *
 * One path per port for the whole machine, in the OS temp dir: the port is a
 * machine-wide resource (a second driver on it is refused, SPEC §2), and a
 * per-user directory such as $XDG_RUNTIME_DIR would differ between a driver
 * started as a daemon by root and the user running `msinet`.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** `port` may be a placeholder (`'<port>'`) for the help to show the pattern. */
export function defaultSocketPath(port: number | string): string {
  return join(tmpdir(), `msinet-${port}.sock`);
}
