import { useEffect, useRef } from 'react';

/**
 * Alt+letter shortcuts for the frequent actions (Alt avoids the browser's own Ctrl keys and
 * typing in the forms). Handlers return false-y when they did nothing.
 */
export function useShortcuts(map: Record<string, () => unknown>): void {
  const ref = useRef(map);
  ref.current = map;
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (!e.altKey || e.ctrlKey || e.metaKey) return;
      const fn = ref.current[e.key.toLowerCase()] ?? ref.current[e.code.replace(/^Key|^Digit/, '').toLowerCase()];
      if (fn) {
        e.preventDefault();
        fn();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);
}
