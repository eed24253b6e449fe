/**
 * Effective settings of a device: merged key by key, nearest account wins (owner, then its parent,
 * ... up to the root; then the registry's defaults). Pure.
 */
import { DEFAULT_SETTINGS, type EffectiveSettings, type Settings } from '../../protocol/messages.js';

/** `chain` is ordered from the owner up to the root. */
export function effectiveSettings(chain: readonly Settings[]): EffectiveSettings {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(DEFAULT_SETTINGS) as (keyof Settings)[]) {
    const found = chain.find((s) => s[key] !== undefined);
    out[key] = found ? found[key] : DEFAULT_SETTINGS[key];
  }
  const eff = out as EffectiveSettings;
  return { ...eff, obdPids: eff.obdPids.map((p) => p.toUpperCase()) };
}
