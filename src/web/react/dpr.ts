// The device pixel ratio, followed: it changes when the window moves to a
// screen of another density or the browser zooms. A media query matches only
// the ratio it names, so the listener is armed again for each new value.
import { useEffect, useState } from 'react';

/** The current device pixel ratio (1 where there is none, e.g. in Node). */
export function devicePixelRatioNow(): number {
  return typeof devicePixelRatio === 'number' && devicePixelRatio > 0 ? devicePixelRatio : 1;
}

/** Calls `onChange(ratio)` each time the device pixel ratio changes; returns the unsubscribe function. */
export function watchDevicePixelRatio(onChange: (ratio: number) => void): () => void {
  if (typeof matchMedia !== 'function') return () => undefined;
  let query: MediaQueryList | null = null;
  let current = devicePixelRatioNow();
  const arm = () => {
    query?.removeEventListener('change', changed);
    query = matchMedia(`(resolution: ${current}dppx)`);
    query.addEventListener('change', changed);
  };
  function changed() {
    current = devicePixelRatioNow();
    arm();
    onChange(current);
  }
  arm();
  return () => query?.removeEventListener('change', changed);
}

/** The device pixel ratio; the component re-renders when it changes. */
export function useDevicePixelRatio(): number {
  const [ratio, setRatio] = useState(devicePixelRatioNow);
  useEffect(() => {
    setRatio(devicePixelRatioNow()); // it may have changed between the render and the effect
    return watchDevicePixelRatio(setRatio);
  }, []);
  return ratio;
}
