// The lock a refused attempt reported (429 locked), counted down once a second so the time left
// stays true, and lifted by itself when it ends.
import { useEffect, useState } from 'react';
import { ApiError } from '../../api';

export function useLock() {
  const [until, setUntil] = useState<number | null>(null);
  const [, setTick] = useState(0);

  useEffect(() => {
    if (until === null) return;
    const timer = setInterval(() => {
      if (Date.now() >= until) setUntil(null);
      setTick((n) => n + 1);
    }, 1000);
    return () => clearInterval(timer);
  }, [until]);

  /** Takes note of a refusal: a lock starts the countdown; anything else changes nothing. */
  const note = (error: unknown) => {
    if (error instanceof ApiError && error.code === 'locked') setUntil(Date.now() + Number(error.body.retryAfterSeconds ?? 0) * 1000);
  };
  return { until, locked: until !== null, note };
}
