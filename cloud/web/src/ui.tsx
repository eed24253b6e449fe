/** Small shared pieces: links, alerts, account picker, tables, delete confirmation, pagination. */
import { cloneElement, type ComponentChildren, type JSX } from 'preact';
import { useId, useState } from 'preact/hooks';
import { onLinkClick } from './router.js';
import type { Account } from './api.js';

export function Link(props: { href: string; children: ComponentChildren; class?: string; 'aria-current'?: 'page' | undefined }) {
  return (
    <a href={props.href} class={props.class} aria-current={props['aria-current']} onClick={onLinkClick}>
      {props.children}
    </a>
  );
}

/**
 * A ref callback that moves keyboard focus to an element when it appears (a form opened from a
 * button, a confirm button that replaced the one pressed), so focus is never lost to the page.
 */
export function focusOnMount(el: HTMLElement | null): void {
  el?.focus();
}

export function ErrorBox({ error }: { error: string | null | undefined }) {
  if (!error) return null;
  return (
    <p role="alert" class="error">
      {error}
    </p>
  );
}

export function Notice({ text }: { text: string | null | undefined }) {
  return (
    <p role="status" class="notice" aria-live="polite">
      {text ?? ''}
    </p>
  );
}

/** An `<option>` list of accounts, indented by depth below the caller's own account. */
export function AccountOptions({ accounts, base }: { accounts: Account[]; base: number }) {
  return (
    <>
      {accounts.map((a) => (
        <option key={a.id} value={a.id}>
          {'\u00a0\u00a0'.repeat(Math.max(0, a.depth - base))}
          {a.name}
        </option>
      ))}
    </>
  );
}

/**
 * A labelled control: the label names it, the hint describes it (aria-describedby), so a screen
 * reader reads "Telemetry interval (ms)" as the name and the range as its description.
 */
export function Field(props: { label: string; children: JSX.Element; hint?: string }) {
  const id = useId();
  const hintId = props.hint ? `${id}-hint` : undefined;
  return (
    <div class="field">
      <label class="label" for={id}>
        {props.label}
      </label>
      {cloneElement(props.children, { id, 'aria-describedby': hintId })}
      {props.hint ? (
        <span id={hintId} class="hint">
          {props.hint}
        </span>
      ) : null}
    </div>
  );
}

/** Previous/next over cursor pages; hidden when everything fits on one page. */
export function Pager(props: { hasPrev: boolean; hasNext: boolean; onPrev: () => void; onNext: () => void; label: string }) {
  if (!props.hasPrev && !props.hasNext) return null;
  return (
    <nav class="pager" aria-label={props.label}>
      <button type="button" disabled={!props.hasPrev} onClick={props.onPrev}>
        Previous page
      </button>
      <button type="button" disabled={!props.hasNext} onClick={props.onNext}>
        Next page
      </button>
    </nav>
  );
}

/**
 * A table named by `label` (its accessible name, which the browser tests select by), with one
 * column header (`scope="col"`) per entry of `columns`; the rows are the children. `busy` sets
 * aria-busy while a page loads (default: absent).
 */
export function DataTable(props: { label: string; columns: string[]; busy?: boolean; children: ComponentChildren }) {
  return (
    <div class="table-wrap">
      <table aria-label={props.label} aria-busy={props.busy}>
        <thead>
          <tr>
            {props.columns.map((c) => (
              <th key={c} scope="col">
                {c}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>{props.children}</tbody>
      </table>
    </div>
  );
}

/**
 * A "Delete <name>" button that asks once more before `onDelete` runs: it turns into a
 * "Confirm delete" / "Keep" group (focus moves to the confirm button, so keyboard users are not
 * lost), which closes again when `onDelete` settles, whether it succeeded or failed.
 */
export function DeleteButton({ name, onDelete }: { name: string; onDelete: () => Promise<void> }) {
  const [confirming, setConfirming] = useState(false);
  if (!confirming)
    return (
      <button type="button" aria-label={`Delete ${name}`} onClick={() => setConfirming(true)}>
        Delete
      </button>
    );
  return (
    <span role="group" aria-label={`Confirm deleting ${name}`}>
      <button type="button" class="danger" ref={focusOnMount} onClick={() => void onDelete().finally(() => setConfirming(false))}>
        Confirm delete
      </button>
      <button type="button" onClick={() => setConfirming(false)}>
        Keep
      </button>
    </span>
  );
}
