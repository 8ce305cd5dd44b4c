// Pages opened from a temp-token link (`…#t=<token>`): take the token from the fragment, remove it from
// the address bar (so it never reaches history, logs or Referer), and send it in X-Temp-Token when a form
// marked data-temp-token is submitted. The JSON answer's message is shown in [data-result].
(() => {
  var match = /(?:^#|&)t=([^&]+)/.exec(location.hash);
  var token = match ? decodeURIComponent(match[1]) : null;
  if (match) history.replaceState(null, '', location.pathname + location.search);
  document.addEventListener('DOMContentLoaded', () => {
    var form = document.querySelector('form[data-temp-token]');
    var result = document.querySelector('[data-result]');
    if (!form) return;
    if (!token && result) result.textContent = 'This page must be opened from the link you were given.';
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      var body = {};
      new FormData(form).forEach((value, key) => {
        body[key] = value;
      });
      fetch(form.action, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-Temp-Token': token || '' },
        body: JSON.stringify(body),
        credentials: 'omit',
      }).then((res) =>
        res
          .json()
          .catch(() => ({}))
          .then((json) => {
            if (result) {
              result.textContent = json.message || json.error_description || (res.ok ? 'Done.' : 'Something went wrong.');
              result.className = res.ok ? 'ok' : 'error';
            }
            if (res.ok) form.remove();
          }),
      );
    });
  });
})();
