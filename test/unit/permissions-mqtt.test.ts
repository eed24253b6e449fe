/**
 * The MQTT half of the permission rule, table-driven: what a device and a user may publish,
 * subscribe to and receive, including wildcard and prefix tricks.
 */
import { describe, expect, it } from 'vitest';
import { mqttMayPublish, mqttMayReceive, mqttMaySubscribe, type Actor, type MqttIdentity } from '../../cloud/domain/permissions.js';

const unit = 'aabbccddeeff0011';
const other = 'aabbccddeeff0022';
const device: MqttIdentity = { kind: 'device', unitId: unit };
const actor = (deviceAccess: Actor['deviceAccess']): Actor => ({ userId: 'u', accountId: 'b', accountPath: '/r/b/', deviceAccess, accountAdmin: false });
const root = 'v1/accounts/r/b';
const user: MqttIdentity = { kind: 'user', actor: actor('read'), topicRoot: root };
const blind: MqttIdentity = { kind: 'user', actor: actor('none'), topicRoot: root };

describe('MQTT rule', () => {
  it.each([
    [device, `v1/devices/${unit}/hello`, true],
    [device, `v1/devices/${unit}/telemetry`, true],
    [device, `v1/devices/${unit}/ownership/ack`, true],
    [device, `v1/devices/${unit}/ownership`, false],
    [device, `v1/devices/${unit}/telemetry/ack`, false],
    [device, `v1/devices/${other}/telemetry`, false],
    [device, `${root}/devices/${unit}/telemetry`, false],
    [user, `${root}/devices/${unit}/telemetry`, false],
    [user, `v1/devices/${unit}/hello`, false],
  ])('publish %# %s', (who, topic, allowed) => {
    expect(mqttMayPublish(who, topic)).toBe(allowed);
  });

  it.each([
    [device, `v1/devices/${unit}/ownership`, true],
    [device, `v1/devices/${unit}/telemetry/ack`, true],
    [device, `v1/devices/${unit}/+`, false],
    [device, `v1/devices/${unit}/#`, false],
    [device, `v1/devices/+/ownership`, false],
    [device, `v1/devices/${other}/ownership`, false],
    [device, '#', false],
    [user, `${root}/#`, true],
    [user, `${root}/devices/+/telemetry`, true],
    [user, `${root}/+/+/+/#`, true],
    [user, root, false],
    [user, `${root}x/#`, false],
    [user, 'v1/accounts/r/#', false],
    [user, 'v1/accounts/+/b/#', false],
    [user, 'v1/accounts/#', false],
    [user, '#', false],
    [user, '+/#', false],
    [user, '$SYS/#', false],
    [user, `${root}/#/x`, false],
    [user, `${root}/a+/b`, false],
    [blind, `${root}/#`, false],
  ])('subscribe %# %s', (who, filter, allowed) => {
    expect(mqttMaySubscribe(who, filter)).toBe(allowed);
  });

  it.each([
    [device, `v1/devices/${unit}/ownership`, true],
    [device, `v1/devices/${other}/ownership`, false],
    [device, `v1/devices/${unit}/hello`, false],
    [user, `${root}/devices/${unit}/telemetry`, true],
    [user, `${root}/c/devices/${unit}/telemetry`, true],
    [user, `v1/accounts/r/devices/${unit}/telemetry`, false],
    [user, `v1/accounts/r/bb/devices/${unit}/telemetry`, false],
    [blind, `${root}/devices/${unit}/telemetry`, false],
  ])('receive %# %s', (who, topic, allowed) => {
    expect(mqttMayReceive(who, topic)).toBe(allowed);
  });
});
