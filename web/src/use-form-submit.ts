// A form's submit: prevent the page load, clear the last error and notice, run the call, and
// keep either "done" (for a confirmation) or the error (for <ErrorAlert>).
import { useState, type FormEvent } from 'react';

export function useFormSubmit(work: () => Promise<void>) {
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState(false);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    setDone(false);
    try {
      await work();
      setDone(true);
    } catch (e) {
      setError(e);
    }
  };
  return { submit, error, done };
}
