/**
 * `--socket-group <group>`: the group's id, by name (from /etc/group) or as a
 * number. Node has no getgrnam; the group file is the system's own answer.
 */
import { readFileSync } from 'node:fs';
import { fail, ok, type Result } from '../model/result.js';

export function groupIdIn(groupFile: string, group: string): Result<number> {
  if (/^\d+$/.test(group)) return ok(Number(group));
  for (const line of groupFile.split('\n')) {
    const [name, , gid] = line.split(':');
    if (name === group && gid !== undefined && /^\d+$/.test(gid)) return ok(Number(gid));
  }
  return fail(`--socket-group: no group named '${group}' (see /etc/group)`);
}

export function groupId(group: string): Result<number> {
  let file = '';
  try {
    file = readFileSync('/etc/group', 'utf8');
  } catch {
    // No group file: only a number can name a group.
  }
  return groupIdIn(file, group);
}
