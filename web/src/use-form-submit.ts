// A form's submit: prevent the page load, clear the last error and notice, run the call (busy
// meanwhile), and keep either "done" (for a confirmation) or the error (for <ErrorAlert>).
import { useState, type FormEvent } from 'react';

export function useFormSubmit(work: () => Promise<void>) {
  const action = useAction();
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    await action.run(work);
  };
  return { submit, ...action };
}

/** The same state for calls that are not a form's submit (a menu item): run one, then done or the error. */
export function useAction() {
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState(false);
  const [busy, setBusy] = useState(false);
  const run = async (work: () => Promise<void>) => {
    setError(null);
    setDone(false);
    setBusy(true);
    try {
      await work();
      setDone(true);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  /** Back to the start: no error, no notice (a form closed or started over). */
  const reset = () => {
    setError(null);
    setDone(false);
  };
  return { run, reset, error, done, busy };
}
