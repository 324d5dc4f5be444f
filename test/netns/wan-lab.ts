/**
 * A WAN lab (SPEC §7) on top of test/harness/lab.ts: the lab's hosts on one
 * "public" /24, and one more host behind a NAT router.
 *
 * ```
 *   s ─┐                     (lab bridge, SUBNET.0/24)
 *   a ─┤
 *   b ─┼─ SUBNET.4 = r ── eth1 192.168.77.1 ══ eth0 192.168.77.2 = n
 *   r ─┘      (masquerade out of eth0, random source ports)
 * ```
 *
 * The NATed host `n` has no link to the bridge (its lab veth is deleted), only
 * a veth to the router `r`, and a default route through it. Nobody on the
 * bridge has a route to 192.168.77.0/24: `n` reaches the others only through
 * the router, and they see it as the router's address. The masquerade rule
 * picks random source ports (`random`), the NAT an original cannot work
 * behind (it sends to IP : its own port) and msinet must (its peers learn
 * where a link's UDP comes from). The rules are nftables; everything runs in
 * the lab's namespaces and vanishes with it.
 */
import { spawnSync } from 'node:child_process';
import { Lab } from '../harness/lab.js';

export const NAT_PRIVATE_SUBNET = '192.168.77';
/** Host names of a WAN lab, in address order: a server, two plain clients, the router, the NATed client. */
export const WAN_HOSTS = ['s', 'a', 'b', 'r', 'n'] as const;

const UDP_DROP_TABLE = 'msinet_wan_udp_drop';

/** Runs a shell script in the lab's own namespaces (the holder's: where its bridge and veths live). */
function inHolder(lab: Lab, script: string): void {
  const result = spawnSync(
    'nsenter',
    [`--target=${lab.holderPid}`, '--net', '--mount', 'sh', '-euc', script],
    { encoding: 'utf8', timeout: 20_000 },
  );
  if (result.status !== 0) {
    throw new Error(`wan lab: set-up failed (${String(result.status)}): ${result.stderr || result.error}`);
  }
}

/** Starts a lab with WAN_HOSTS, `n` behind the NAT router `r`. */
export async function startWanLab(subnet: string): Promise<Lab> {
  const lab = await Lab.start({ hosts: WAN_HOSTS, subnet });
  const nIndex = WAN_HOSTS.indexOf('n') + 1; // lab.ts names host i's bridge-side veth `lab<i>`
  try {
    inHolder(
      lab,
      `
      ip link del lab${nIndex}
      ip -n r link add eth1 type veth peer name eth0 netns n
      ip -n r addr add ${NAT_PRIVATE_SUBNET}.1/24 dev eth1
      ip -n r link set eth1 up
      ip -n n addr add ${NAT_PRIVATE_SUBNET}.2/24 dev eth0
      ip -n n link set eth0 up
      ip -n n route add default via ${NAT_PRIVATE_SUBNET}.1
      ip netns exec r sysctl -q -w net.ipv4.ip_forward=1
      printf '%s\\n' \
        'table ip msinet_wan_nat {' \
        '  chain postrouting {' \
        '    type nat hook postrouting priority srcnat; policy accept;' \
        '    oifname "eth0" counter masquerade random' \
        '  }' \
        '}' | ip netns exec r nft -f -
      for i in $(seq 100); do
        ip -n n -o link show eth0 | grep -q LOWER_UP && ip -n r -o link show eth1 | grep -q LOWER_UP && exit 0
        sleep 0.02
      done
      echo "the NAT link never came up" >&2; exit 1
      `,
    );
  } catch (err) {
    await lab.stop();
    throw err;
  }
  return lab;
}

/** The address others see a host at: its own, or the router's for the NATed host. */
export function publicAddress(lab: Lab, host: string): string {
  return host === 'n' ? lab.address('r') : lab.address(host);
}

/**
 * Drops `percent` % of the UDP datagrams `host` receives (nftables `numgen
 * random`, UDP only: TCP is untouched); 0 removes the rule. Lab.reset() does
 * not know this rule: call `dropUdpPercent(lab, host, 0)` when done.
 */
export async function dropUdpPercent(lab: Lab, host: string, percent: number): Promise<void> {
  if (!Number.isInteger(percent) || percent < 0 || percent > 100) {
    throw new Error(`wan lab: UDP drop percentage must be an integer 0..100, not ${percent}`);
  }
  // Adding then deleting the table in one transaction removes it whether or not it existed.
  const script = [`add table inet ${UDP_DROP_TABLE}`, `delete table inet ${UDP_DROP_TABLE}`];
  if (percent > 0) {
    script.push(
      `table inet ${UDP_DROP_TABLE} {`,
      '  chain input {',
      '    type filter hook input priority 0; policy accept;',
      // nft types `numgen mod 100` as 0..99, so it refuses `< 100`.
      `    meta l4proto udp ${percent < 100 ? `numgen random mod 100 < ${percent} ` : ''}counter drop`,
      '  }',
      '}',
    );
  }
  const result = await lab.run(host, 'nft', ['-f', '-'], { input: `${script.join('\n')}\n` });
  if (result.code !== 0) throw new Error(`wan lab: nft on ${host} failed: ${result.stderr}`);
}

/** How many packets (connections' first packets: nftables NAT sees only those) the router has masqueraded. */
export async function masqueraded(lab: Lab): Promise<number> {
  const result = await lab.run('r', 'nft', ['list', 'table', 'ip', 'msinet_wan_nat']);
  return Number(/packets (\d+)/.exec(result.stdout)?.[1] ?? NaN);
}

/** How many datagrams the UDP drop rule of `host` has dropped so far: the proof that it worked. */
export async function udpDropped(lab: Lab, host: string): Promise<number> {
  const result = await lab.run(host, 'nft', ['list', 'table', 'inet', UDP_DROP_TABLE]);
  return Number(/packets (\d+)/.exec(result.stdout)?.[1] ?? NaN);
}
