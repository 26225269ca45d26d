// @vitest-environment happy-dom
import { describe, expect, it, vi } from 'vitest';
import { act } from 'react';
import { Dialog } from './Dialog';
import { byTestId, render } from '../../test/render';

const key = (k: string, shiftKey = false) => document.dispatchEvent(new KeyboardEvent('keydown', { key: k, shiftKey, bubbles: true, cancelable: true }));

describe('Dialog', () => {
  it('moves focus in, traps Tab and Shift+Tab, closes on Esc and restores focus', async () => {
    const opener = document.createElement('button');
    document.body.append(opener);
    opener.focus();
    const onClose = vi.fn();
    const { container, unmount } = await render(
      <Dialog title="Test" onClose={onClose} testId="dlg">
        <input data-testid="first-input" />
        <button data-testid="last-button">ok</button>
      </Dialog>,
    );
    const close = byTestId(container, 'dlg-close');
    const last = byTestId(container, 'last-button');
    expect(document.activeElement).toBe(close);
    expect(byTestId(container, 'dlg')?.getAttribute('aria-modal')).toBe('true');
    last?.focus();
    await act(async () => key('Tab'));
    expect(document.activeElement).toBe(close);
    await act(async () => key('Tab', true));
    expect(document.activeElement).toBe(last);
    await act(async () => key('Escape'));
    expect(onClose).toHaveBeenCalledTimes(1);
    await unmount();
    expect(document.activeElement).toBe(opener);
    opener.remove();
  });
});
