/** What every console form shares: the submit cycle (busy, error) and its closing buttons. */
import { useState } from 'preact/hooks';
import { describe } from './api.js';
import { ErrorBox } from './ui.js';

/** The state of a form's submission, as `useSubmit` returns it. */
export interface Submission {
  /** The last failure in words for the user; null before the first submit and while one runs. */
  error: string | null;
  /** True from submit until `action` fails; stays true on success, as the form is then replaced. */
  busy: boolean;
  /** The form's onSubmit handler: stops the browser's own submit and runs `action`. */
  submit: (e: Event) => Promise<void>;
}

/**
 * Runs `action` on submit with the button disabled; a failure is shown (describe()) and the form
 * is enabled again. On success the caller closes or replaces the form, so busy stays set and a
 * second click cannot send the request twice.
 */
export function useSubmit(action: () => Promise<void>): Submission {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await action();
    } catch (err) {
      setError(describe(err));
      setBusy(false);
    }
  };
  return { error, busy, submit };
}

/** The end of a side-panel form: its error, the primary submit button (`submitLabel`) and Cancel. */
export function FormActions(props: { submission: Submission; submitLabel: string; onCancel: () => void }) {
  return (
    <>
      <ErrorBox error={props.submission.error} />
      <div class="actions">
        <button type="submit" class="primary" disabled={props.submission.busy}>
          {props.submitLabel}
        </button>
        <button type="button" onClick={props.onCancel}>
          Cancel
        </button>
      </div>
    </>
  );
}
