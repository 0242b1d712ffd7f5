// Data a component shows, loaded when it mounts (and again when `key` changes): the data once it
// came, the error if the first load failed, and reload() for after a change (it rejects on
// failure, so the action that called it shows the error). One hook instead of an effect per file.
import { useCallback, useEffect, useRef, useState } from 'react';

export interface Loaded<T> {
  data: T | null;
  setData: (data: T) => void;
  error: unknown;
  reload: () => Promise<void>;
}

export function useLoad<T>(load: () => Promise<T>, key = ''): Loaded<T> {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<unknown>(null);
  // The latest loader, so a new closure each render does not reload.
  const loader = useRef(load);
  loader.current = load;
  const reload = useCallback(async () => setData(await loader.current()), []);
  // biome-ignore lint/correctness/useExhaustiveDependencies: `key` names what to load; the loader itself is read from the ref
  useEffect(() => {
    setError(null);
    reload().catch(setError);
  }, [reload, key]);
  return { data, setData, error, reload };
}
