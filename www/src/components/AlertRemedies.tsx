// The one-click remedies of an alert (see store/remedies.ts), as buttons.
import { useState } from 'react';
import { useAudioStore } from '@/store/audioStore';
import { remediesFor } from '@/store/remedies';

/** `onApplied`: after a remedy was applied (the dashboard resolves the alert). */
export function AlertRemedies({ rule, onApplied }: { rule: string; onApplied: () => void }) {
  // Re-read when the settings change, so a remedy already applied is no longer offered.
  useAudioStore((s) => s.settings);
  useAudioStore((s) => s.mode);
  const [busy, setBusy] = useState<string | null>(null);
  const [done, setDone] = useState<string[]>([]);
  const remedies = remediesFor(rule, useAudioStore.getState());
  if (remedies.length === 0 && done.length === 0) return null;
  return (
    <span className="alert__remedies">
      {remedies.map((r) => (
        <button
          key={r.id}
          type="button"
          className="link"
          data-remedy={r.id}
          disabled={busy !== null}
          onClick={() => {
            setBusy(r.id);
            void r
              .apply()
              .then(
                () => {
                  onApplied();
                  setDone((d) => [...d, r.label]);
                },
                (e: unknown) => setDone((d) => [...d, `${r.label} failed: ${e instanceof Error ? e.message : String(e)}`]),
              )
              .finally(() => setBusy(null));
          }}
        >
          {busy === r.id ? 'Applying…' : r.label}
        </button>
      ))}
      {done.length > 0 && <span className="muted" data-testid="remedy-done">Done: {done.join(', ')}</span>}
    </span>
  );
}
