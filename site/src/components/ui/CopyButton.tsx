import { useState } from 'react';
import { useT } from '../../i18n/i18n';

export function CopyButton({ text, testId }: { text: string; testId: string }) {
  const t = useT();
  const [done, setDone] = useState(false);
  async function copy() {
    try {
      await navigator.clipboard.writeText(text);
    } catch {
      // Clipboard API unavailable (http, old browser): fall back to a selection copy.
      const area = document.createElement('textarea');
      area.value = text;
      document.body.append(area);
      area.select();
      document.execCommand('copy');
      area.remove();
    }
    setDone(true);
    setTimeout(() => setDone(false), 2000);
  }
  return (
    <button type="button" onClick={copy} disabled={!text} data-testid={testId}>
      {done ? t('copied') : t('copy')}
    </button>
  );
}
