/** Rename a device (`PATCH /v1/devices/:id`), offered to users with full device access only. */
import { useState } from 'preact/hooks';
import { api, describe, type Device } from '../api.js';
import { ErrorBox, Field, focusOnMount } from '../ui.js';

export function DeviceRename({ device, onSaved }: { device: Device; onSaved: (d: Device) => void }) {
  const [open, setOpen] = useState(false);
  const [name, setName] = useState(device.name);
  const [error, setError] = useState<string | null>(null);
  if (!open)
    return (
      <button type="button" onClick={() => (setName(device.name), setOpen(true))}>
        Rename
      </button>
    );
  const submit = async (e: Event) => {
    e.preventDefault();
    setError(null);
    try {
      onSaved(await api<Device>('PATCH', `/v1/devices/${device.id}`, { name }));
      setOpen(false);
    } catch (err) {
      setError(describe(err));
    }
  };
  return (
    <form class="inline-form" onSubmit={submit} aria-label={`Rename ${device.name || device.unitId}`}>
      <Field label="Device name">
        <input ref={focusOnMount} required maxLength={200} value={name} onInput={(e) => setName(e.currentTarget.value)} />
      </Field>
      <ErrorBox error={error} />
      <div class="actions">
        <button type="submit" class="primary">
          Save
        </button>
        <button type="button" onClick={() => setOpen(false)}>
          Cancel
        </button>
      </div>
    </form>
  );
}
