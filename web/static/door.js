// boxoffice check-in: checks a ticket in without a page load, so the field
// is ready for the next guest at once, and scans QR codes where the
// browser can. Without this script the form posts to /admin/door.
(() => {
  'use strict';

  const form = document.getElementById('checkin');
  const field = document.getElementById('code');
  const result = document.getElementById('result');
  if (!form || !field || !result) return;

  const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  // Times as the server writes them, in the cinema's time zone: the offset
  // the API's time carries, not the browser's.
  const parts = (iso) => /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d)/.exec(iso || '');
  const clock = (iso) => { const m = parts(iso); return m ? `${m[4]}:${m[5]}` : ''; };
  const when = (iso) => {
    const m = parts(iso);
    if (!m) return '';
    const dow = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3])).getUTCDay();
    return `${DAYS[dow]} ${+m[3]} ${MONTHS[+m[2] - 1]}, ${m[4]}:${m[5]}`;
  };
  const KINDS = { wheelchair: 'wheelchair space', companion: 'companion seat' };
  const andList = (a) => (a.length < 2 ? a.join('') : `${a.slice(0, -1).join(', ')} and ${a[a.length - 1]}`);
  // "row F, seats 7 and 8; row G, seat 1": the seats come in hall order.
  const seatsPhrase = (seats) => {
    const rows = [];
    for (const s of seats || []) {
      const n = String(s.number) + (KINDS[s.kind] ? ` (${KINDS[s.kind]})` : '');
      const last = rows[rows.length - 1];
      if (last && last.row === s.row) last.nums.push(n);
      else rows.push({ row: s.row, nums: [n] });
    }
    return rows.map((r) => `row ${r.row}, ${r.nums.length === 1 ? 'seat' : 'seats'} ${andList(r.nums)}`).join('; ');
  };
  const showLine = (sh) => (sh ? `${sh.title} · ${when(sh.starts_at)} · ${sh.hall}` : '');

  // The code in what was typed or pasted: a ticket's address ends with it.
  const codeIn = (text) => {
    const s = text.trim().replace(/[?#].*$/, '').replace(/\/+$/, '');
    return s.slice(s.lastIndexOf('/') + 1);
  };

  // show puts a verdict in the live region, built as the server builds it;
  // emptying the region first makes screen readers announce a verdict
  // that repeats the last one.
  let shown = 0;
  function show(kind, icon, head, detail, code) {
    const n = ++shown;
    result.replaceChildren();
    const box = Object.assign(document.createElement('div'), { className: 'verdict ' + kind });
    const h = Object.assign(document.createElement('p'), { className: 'verdict-head' });
    h.append(Object.assign(document.createElement('span'), { className: 'icon', textContent: icon }), ' ' + head);
    h.firstChild.setAttribute('aria-hidden', 'true');
    box.append(h);
    if (detail) box.append(Object.assign(document.createElement('p'), { className: 'verdict-detail', textContent: detail }));
    if (code) {
      const p = Object.assign(document.createElement('p'), { className: 'verdict-link' });
      p.append(Object.assign(document.createElement('a'), { href: '/tickets/' + code, textContent: 'Ticket ' + code }));
      box.append(p);
    }
    setTimeout(() => { if (n === shown) result.replaceChildren(box); }, 50);
  }

  const enc = encodeURIComponent;
  const getJSON = async (res) => res.json().catch(() => null);

  let busy = false;
  async function checkIn(text) {
    const code = codeIn(text);
    if (!code) {
      show('refused', '✗', 'Type or paste a ticket code first', '', '');
      return;
    }
    busy = true;
    try {
      let res;
      try {
        res = await fetch(`/api/admin/tickets/${enc(code)}/admit`, { method: 'POST', headers: { Accept: 'application/json, application/problem+json' } });
      } catch {
        show('refused', '✗', 'Could not reach the box office', 'Check the connection and try again.', '');
        return;
      }
      const body = await getJSON(res);
      if (res.status === 200 && body) {
        const seats = seatsPhrase(body.seats);
        if (body.first) show('ok', '✓', 'Admit: ' + seats, showLine(body.show), body.code);
        else show('again', '!', 'ALREADY ADMITTED at ' + clock(body.admitted_at), `${showLine(body.show)} · ${seats}`, body.code);
      } else if (res.status === 409) {
        // The refusal names the show in prose; the ticket has its parts.
        const t = await fetch(`/api/tickets/${enc(code)}`, { headers: { Accept: 'application/json' } })
          .then((r) => (r.ok ? getJSON(r) : null)).catch(() => null);
        if (t) show('refused', '✗', 'Not today: this ticket is for ' + when(t.show.starts_at), `${showLine(t.show)} · ${seatsPhrase(t.seats)}`, t.code);
        else show('refused', '✗', 'Not today', body?.detail || '', '');
      } else if (res.status === 404) {
        show('refused', '✗', 'No such ticket', 'Check the code and try again, or ask the guest for the ticket page.', '');
      } else if (res.status === 410) {
        show('refused', '✗', "Cancelled: this ticket's show has been cancelled", '', '');
      } else if (res.status === 401 || res.status === 403) {
        location.assign('/admin'); // the session ended: sign in again
        return;
      } else {
        show('refused', '✗', 'Something went wrong', body?.detail || 'Try again in a moment.', '');
      }
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
      show('refused', '✗', 'The camera is not available', 'Type the code instead, or open the QR code with the phone\'s camera app.', '');
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
