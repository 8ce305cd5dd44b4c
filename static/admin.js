// Copy buttons of the admin console (progressive enhancement: the text is selectable without this).
for (const b of document.querySelectorAll('button.copy')) {
  b.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(b.dataset.copy ?? '');
      b.textContent = 'Copied';
    } catch {
      b.textContent = 'Select and copy';
    }
  });
}
