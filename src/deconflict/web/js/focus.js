// Re-rendering a list must not throw the keyboard user's focus away: elements carry a
// data-focus-key, and the focused one is found again after the list is rebuilt.
export function keepFocus(container, rebuild) {
  const active = document.activeElement;
  const key = active && container.contains(active) ? active.dataset.focusKey : null;
  rebuild();
  if (key) {
    const again = container.querySelector(`[data-focus-key="${CSS.escape(key)}"]`);
    if (again) again.focus();
  }
}
