// boxoffice check-in: checks a ticket in without a page load, so the field
// is ready for the next guest at once, and scans QR codes where the
// browser can. Without this script the form posts to /admin/door and the
// page comes back with the verdict; with it, the same post is fetched and
// only the verdict taken from its answer.
(() => {
  'use strict';

  const form = document.getElementById('checkin');
  const field = document.getElementById('code');
  const result = document.getElementById('result');
  if (!form || !field || !result) return;

  // show puts a verdict in the live region; emptying the region first
  // makes screen readers announce a verdict that repeats the last one.
  let shown = 0;
  function show(verdict) {
    const n = ++shown;
    result.replaceChildren();
    setTimeout(() => { if (n === shown) result.replaceChildren(verdict); }, 50);
  }

  // failure is a verdict of the script's own, for when the server's is
  // not to be had.
  function failure(head, detail) {
    const box = Object.assign(document.createElement('div'), { className: 'verdict refused' });
    const h = Object.assign(document.createElement('p'), { className: 'verdict-head' });
    const icon = Object.assign(document.createElement('span'), { className: 'icon', textContent: '✗' });
    icon.setAttribute('aria-hidden', 'true');
    h.append(icon, ' ' + head);
    box.append(h);
    if (detail) box.append(Object.assign(document.createElement('p'), { className: 'verdict-detail', textContent: detail }));
    return box;
  }

  // checkIn sends the form as the browser would and shows the verdict of
  // the page that comes back: the server words every verdict, with or
  // without this script, in one place.
  let busy = false;
  async function checkIn(text) {
    if (!text.trim()) {
      show(failure('Type or paste a ticket code first'));
      return;
    }
    busy = true;
    try {
      let res, html;
      try {
        res = await fetch(form.action, { method: 'POST', body: new URLSearchParams({ code: text }), headers: { Accept: 'text/html' } });
        html = await res.text();
      } catch {
        show(failure('Could not reach the box office', 'Check the connection and try again.'));
        return;
      }
      if (res.redirected) {
        location.assign(res.url); // the session ended: sign in again
        return;
      }
      const verdict = new DOMParser().parseFromString(html, 'text/html').querySelector('#result .verdict');
      show(verdict ? document.importNode(verdict, true) : failure('Something went wrong', 'Try again in a moment.'));
      field.value = '';
    } finally {
      busy = false;
      field.focus();
    }
  }

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    if (!busy) checkIn(field.value);
  });

  // Scanning: where the browser detects QR codes and, over HTTPS, offers
  // the camera. Elsewhere a phone's own camera app opens the ticket page.
  const scan = document.getElementById('scan');
  const camera = document.getElementById('camera');
  const video = document.getElementById('video');
  const stopScan = document.getElementById('stop-scan');
  if (!scan || !camera || !video || !('BarcodeDetector' in window) || !window.isSecureContext ||
      !navigator.mediaDevices?.getUserMedia) return;
  scan.hidden = false;
  let stream = null;
  function stop() {
    if (stream) stream.getTracks().forEach((t) => t.stop());
    stream = null;
    camera.hidden = true;
    video.srcObject = null;
  }
  stopScan.addEventListener('click', () => { stop(); field.focus(); });
  scan.addEventListener('click', async () => {
    let detector;
    try {
      detector = new BarcodeDetector({ formats: ['qr_code'] });
      stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' } });
    } catch {
      stop();
      show(failure('The camera is not available', 'Type the code instead, or open the QR code with the phone\'s camera app.'));
      return;
    }
    video.srcObject = stream;
    camera.hidden = false;
    await video.play().catch(() => {});
    const look = async () => {
      if (!stream) return;
      let found = [];
      try { found = await detector.detect(video); } catch { /* a frame not ready yet */ }
      if (found.length) {
        stop();
        checkIn(found[0].rawValue);
        return;
      }
      setTimeout(look, 150);
    };
    look();
  });
})();
