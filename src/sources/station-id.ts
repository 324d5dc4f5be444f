/**
 * This driver run's station id (capabilities.ts, SPEC §7): 8 random bytes, so
 * that a WAN peer can tie our UDP to our TCP link even through a NAT or when
 * several stations share one address.
 */
import { randomBytes } from 'node:crypto';

export function randomStationId(): string {
  return randomBytes(8).toString('hex');
}
