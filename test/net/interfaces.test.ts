import assert from 'node:assert/strict';
import type { NetworkInterfaceInfo } from 'node:os';
import { describe, test } from 'node:test';
import {
  broadcastAddress,
  localAddresses,
  readInterfaces,
  sameSubnet,
  selectInterfaces,
  type InterfaceTable,
} from '../../src/sources/interfaces.js';

const v4 = (address: string, netmask: string, internal = false): NetworkInterfaceInfo => ({
  address,
  netmask,
  family: 'IPv4',
  mac: '02:00:00:00:00:01',
  internal,
  cidr: null,
});

const v6 = (address: string): NetworkInterfaceInfo => ({
  address,
  netmask: 'ffff:ffff:ffff:ffff::',
  family: 'IPv6',
  mac: '02:00:00:00:00:01',
  internal: false,
  cidr: null,
  scopeid: 0,
});

/** A laptop: loopback, wired /24 with an IPv6 address, Wi-Fi /22, a VPN /32, a point-to-point /31. */
const laptop: InterfaceTable = {
  lo: [v4('127.0.0.1', '255.0.0.0', true), { ...v6('::1'), internal: true }],
  eth0: [v4('192.168.1.20', '255.255.255.0'), v6('fe80::1')],
  wlan0: [v4('10.4.7.9', '255.255.252.0')],
  tun0: [v4('172.16.0.5', '255.255.255.255')],
  ptp0: [v4('100.64.0.0', '255.255.255.254')],
};

describe('broadcastAddress', () => {
  test('sets every host bit of the subnet, whatever its size', () => {
    assert.equal(broadcastAddress('192.168.1.20', '255.255.255.0'), '192.168.1.255');
    assert.equal(broadcastAddress('10.4.7.9', '255.255.252.0'), '10.4.7.255');
    assert.equal(broadcastAddress('10.66.0.1', '255.255.0.0'), '10.66.255.255');
    assert.equal(broadcastAddress('172.20.3.4', '255.240.0.0'), '172.31.255.255');
    assert.equal(broadcastAddress('192.168.1.130', '255.255.255.128'), '192.168.1.255');
    assert.equal(broadcastAddress('192.168.1.5', '255.255.255.252'), '192.168.1.7');
  });

  test('a /32 host route and a /31 point-to-point link have none', () => {
    assert.equal(broadcastAddress('172.16.0.5', '255.255.255.255'), undefined);
    assert.equal(broadcastAddress('100.64.0.0', '255.255.255.254'), undefined);
  });

  test('text that is no IPv4 address has none', () => {
    assert.equal(broadcastAddress('fe80::1', 'ffff::'), undefined);
    assert.equal(broadcastAddress('192.168.1.256', '255.255.255.0'), undefined);
    assert.equal(broadcastAddress('192.168.1', '255.255.255.0'), undefined);
  });
});

describe('sameSubnet', () => {
  test('compares the network parts only', () => {
    assert.equal(sameSubnet('10.4.4.1', '10.4.7.200', '255.255.252.0'), true);
    assert.equal(sameSubnet('10.4.4.1', '10.4.8.1', '255.255.252.0'), false);
  });
});

describe('selectInterfaces', () => {
  test('keeps every non-loopback IPv4 address that has a broadcast address', () => {
    const result = selectInterfaces(laptop);
    assert.deepEqual(result, {
      ok: true,
      value: [
        { name: 'eth0', address: '192.168.1.20', netmask: '255.255.255.0', broadcast: '192.168.1.255' },
        { name: 'wlan0', address: '10.4.7.9', netmask: '255.255.252.0', broadcast: '10.4.7.255' },
      ],
    });
  });

  test('--interface narrows to one interface by name, --bind to one address', () => {
    const byName = selectInterfaces(laptop, 'wlan0');
    const byAddress = selectInterfaces(laptop, '192.168.1.20');
    assert.ok(byName.ok && byAddress.ok);
    assert.deepEqual(
      byName.value.map((iface) => iface.address),
      ['10.4.7.9'],
    );
    assert.deepEqual(
      byAddress.value.map((iface) => iface.name),
      ['eth0'],
    );
  });

  test('keeps each address of an interface that has several', () => {
    const result = selectInterfaces({
      eth0: [v4('192.168.1.20', '255.255.255.0'), v4('192.168.1.21', '255.255.255.0')],
    });
    assert.ok(result.ok);
    assert.deepEqual(
      result.value.map((iface) => `${iface.address}>${iface.broadcast}`),
      ['192.168.1.20>192.168.1.255', '192.168.1.21>192.168.1.255'],
    );
  });

  test('reads the family as Node 18.0–18.3 reported it, the number 4', () => {
    const old = { ...v4('192.168.7.2', '255.255.255.0'), family: 4 as unknown as 'IPv4' };
    const result = selectInterfaces({ eth0: [old] });
    assert.ok(result.ok);
    assert.equal(result.value[0]?.broadcast, '192.168.7.255');
  });

  test('says why when a filter matches nothing or an interface without broadcast', () => {
    const unknown = selectInterfaces(laptop, 'eth9');
    const loopback = selectInterfaces(laptop, 'lo');
    const vpn = selectInterfaces(laptop, '172.16.0.5');
    assert.ok(!unknown.ok && !loopback.ok && !vpn.ok);
    assert.match(unknown.reason, /no IPv4 interface or address "eth9".*eth0 192\.168\.1\.20/);
    assert.match(loopback.reason, /"lo" has no IPv4 broadcast address/);
    assert.match(vpn.reason, /"172\.16\.0\.5" has no IPv4 broadcast address/);
  });

  test('says why when the machine has only loopback', () => {
    const result = selectInterfaces({ lo: laptop.lo });
    assert.ok(!result.ok);
    assert.match(
      result.reason,
      /no IPv4 interface with a broadcast address \(IPv4 interfaces: lo 127\.0\.0\.1\)/,
    );
  });
});

describe('localAddresses', () => {
  test('lists every IPv4 address, loopback and point-to-point included', () => {
    assert.deepEqual(localAddresses(laptop), [
      '127.0.0.1',
      '192.168.1.20',
      '10.4.7.9',
      '172.16.0.5',
      '100.64.0.0',
    ]);
  });
});

describe('readInterfaces', () => {
  test('never offers loopback from the real table', () => {
    const result = readInterfaces();
    if (result.ok) assert.ok(result.value.every((iface) => !iface.address.startsWith('127.')));
    else assert.match(result.reason, /no IPv4 interface with a broadcast address/);
  });
});
