/**
 * A searchable device dropdown (WAI-ARIA 1.2 combobox with a listbox popup): every keystroke
 * searches on the server (`GET /v1/devices?q=&limit=`), so it stays fast with 100 000 devices.
 * Arrow keys move, Enter picks, Escape closes; picked devices show as removable chips.
 */
import { useEffect, useState } from 'preact/hooks';
import { api, describe, withQuery, type Device, type Page } from '../api.js';
import { useDebounced } from '../hooks.js';
import { accountName, useSession } from '../session.js';

const SUGGESTIONS = 20;

export function DevicePicker({ picked, onChange }: { picked: Device[]; onChange: (d: Device[]) => void }) {
  const session = useSession();
  const [q, setQ] = useState('');
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(0);
  const [options, setOptions] = useState<Device[]>([]);
  const [error, setError] = useState<string | null>(null);
  const search = useDebounced(q.trim(), 150);

  useEffect(() => {
    if (!open) return;
    let live = true;
    api<Page<Device>>('GET', withQuery('/v1/devices', { q: search || undefined, limit: SUGGESTIONS }))
      .then((p) => live && (setOptions(p.items), setActive(0), setError(null)))
      .catch((e: unknown) => live && setError(describe(e)));
    return () => {
      live = false;
    };
  }, [search, open]);

  const pick = (d: Device | undefined) => {
    if (!d) return;
    if (!picked.some((p) => p.id === d.id)) onChange([...picked, d]);
    setQ('');
  };
  const onKey = (e: KeyboardEvent) => {
    if (e.key === 'ArrowDown') {
      e.preventDefault();
      setOpen(true);
      setActive(Math.min(active + 1, options.length - 1));
    } else if (e.key === 'ArrowUp') {
      e.preventDefault();
      setActive(Math.max(active - 1, 0));
    } else if (e.key === 'Enter' && open) {
      e.preventDefault();
      pick(options[active]);
    } else if (e.key === 'Escape') {
      setOpen(false);
    }
  };
  const optionId = (i: number) => `device-option-${i}`;
  const shown = open && options.length > 0;

  return (
    <div class="picker">
      <label class="field">
        <span class="label">Find devices</span>
        <input
          role="combobox"
          aria-autocomplete="list"
          aria-expanded={shown}
          aria-controls="device-options"
          aria-activedescendant={shown ? optionId(active) : undefined}
          placeholder="Unit id, device id or name"
          value={q}
          onInput={(e) => (setQ(e.currentTarget.value), setOpen(true))}
          onFocus={() => setOpen(true)}
          onBlur={() => setOpen(false)}
          onKeyDown={onKey}
        />
      </label>
      <ul id="device-options" role="listbox" aria-label="Matching devices" hidden={!shown} class="options">
        {options.map((d, i) => (
          <li
            key={d.id}
            id={optionId(i)}
            role="option"
            aria-selected={i === active}
            class={i === active ? 'active' : undefined}
            onMouseDown={(e) => e.preventDefault()}
            onClick={() => pick(d)}
          >
            <span>{d.name || d.unitId}</span> <span class="mono">{d.unitId}</span> <span class="muted">{accountName(session, d.accountId)}</span>
          </li>
        ))}
      </ul>
      {error ? (
        <p role="alert" class="error">
          {error}
        </p>
      ) : null}
      <ul class="chips" aria-label="Selected devices">
        {picked.map((d) => (
          <li key={d.id}>
            {d.name || d.unitId} <span class="mono">{d.unitId}</span>
            <button type="button" aria-label={`Remove ${d.name || d.unitId}`} onClick={() => onChange(picked.filter((p) => p.id !== d.id))}>
              ×
            </button>
          </li>
        ))}
      </ul>
    </div>
  );
}
