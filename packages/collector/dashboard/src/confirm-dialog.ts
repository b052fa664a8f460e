import { h } from './dom.ts';

/**
 * Asks for confirmation in a modal <dialog> with an optional reason; resolves to the reason
 * (possibly empty) on Confirm, null on Cancel or Escape.
 */
export function confirmDialog(title: string, message: string, confirmLabel: string): Promise<string | null> {
  return new Promise((resolve) => {
    const reason = h('input', { type: 'text', name: 'reason', placeholder: 'Reason (kept in the history)' });
    const dialog = h(
      'dialog',
      { class: 'confirm', 'data-testid': 'confirm-dialog' },
      h(
        'form',
        { method: 'dialog' },
        h('h3', {}, title),
        h('p', {}, message),
        reason,
        h(
          'div',
          { class: 'actions' },
          h('button', { value: 'cancel', type: 'submit', class: 'secondary' }, 'Cancel'),
          h(
            'button',
            { value: 'confirm', type: 'submit', class: 'danger', 'data-testid': 'confirm' },
            confirmLabel,
          ),
        ),
      ),
    );
    dialog.addEventListener('close', () => {
      dialog.remove();
      resolve(dialog.returnValue === 'confirm' ? reason.value : null);
    });
    document.body.append(dialog);
    dialog.showModal();
  });
}

/** True while a confirmation is open: auto-refresh waits so the page does not move under it. */
export const dialogOpen = (): boolean => document.querySelector('dialog[open]') !== null;
