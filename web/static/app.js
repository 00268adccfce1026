// boxoffice seat map: books and releases seats without a page load, keeps
// the map live over Server-Sent Events, and makes the map one tab stop with
// arrow-key navigation. Without this script the seat buttons submit the form.
(() => {
  'use strict';

  const main = document.querySelector('main.show[data-show]');
  const form = main && main.querySelector('form.hall');
  if (!form) return;

  const $ = (id) => document.getElementById(id);
  const msg = $('msg'), left = $('left'), live = $('live'), mineList = $('mine'), none = $('none');
  const api = '/api/shows/' + encodeURIComponent(main.dataset.show);
  const NETWORK = 'Could not reach the box office. Check your connection and try again.';
  const STATE = { free: 'free', booked: 'taken', mine: 'yours' };

  const seats = new Map(); // seat id -> button
  const rows = []; // per row: [{b, col}] in order
  const pos = new Map(); // button -> [row index, index in row]
  for (const row of form.querySelectorAll('.row')) {
    const list = [];
    let col = 0;
    for (const cell of row.children) {
      if (cell.tagName === 'BUTTON' && cell.dataset.seat) {
        seats.set(cell.dataset.seat, cell);
        pos.set(cell, [rows.length, list.length]);
        list.push({ b: cell, col });
      }
      if (cell.tagName === 'BUTTON' || cell.tagName === 'I') col++;
    }
    if (list.length) rows.push(list);
  }

  // Versions: the page's (the last stream event or snapshot applied) and,
  // per seat, the newest change known for it from an answer or an event.
  let version = Number(main.dataset.version) || 0;
  let base = version; // version of the last full picture (page or snapshot)
  const seatVer = new Map();
  const verOf = (id) => Math.max(base, seatVer.get(id) || 0);

  // "A12" -> ["A", 12]: row = leading letters, number = trailing digits.
  const parseId = (id) => {
    const m = /^([^\d]*)(\d+)$/.exec(id);
    return m ? [m[1], Number(m[2])] : [id, 0];
  };
  const label = (b, status) => {
    const [row, n] = parseId(b.dataset.seat);
    const kind = b.classList.contains('w') ? 'wheelchair space, ' : b.classList.contains('c') ? 'companion seat, ' : '';
    return `Row ${row}, seat ${n}, ${kind}${STATE[status]}`;
  };
  const byRowNumber = (a, b) => {
    const [ra, na] = parseId(a), [rb, nb] = parseId(b);
    return ra.length - rb.length || (ra < rb ? -1 : ra > rb ? 1 : na - nb);
  };

  function setSeat(b, status) {
    if (!STATE[status]) return;
    b.dataset.status = status;
    b.name = status === 'mine' ? 'release' : 'seat';
    b.setAttribute('aria-label', label(b, status));
  }

  // refresh brings the counts and the list of the guest's seats up to date.
  function refresh() {
    let free = 0;
    const mine = [];
    for (const [id, b] of seats) {
      if (b.dataset.status === 'free') free++;
      else if (b.dataset.status === 'mine') mine.push(id);
    }
    if (left) left.textContent = String(free);
    mine.sort(byRowNumber);
    if (mineList && Array.from(mineList.children, (li) => li.textContent).join() !== mine.join()) {
      mineList.replaceChildren(...mine.map((id) => Object.assign(document.createElement('li'), { textContent: id })));
    }
    if (none) none.hidden = mine.length > 0;
    showTicket(mine.length > 0);
  }

  // The ticket panel shows while the guest holds a seat. A page rendered
  // for a guest holding none is the one every such guest gets, so it
  // carries no code: the guest's own comes from the API with the first seat.
  const ticket = $('ticket'), ticketLink = $('ticket-url'), ticketCode = $('ticket-code');
  let fetchingTicket = false;
  const holdsAny = () => [...seats.values()].some((b) => b.dataset.status === 'mine');
  async function showTicket(holds) {
    if (!ticket || !ticketLink || !ticketCode) return;
    if (!holds || ticketLink.getAttribute('href')) {
      ticket.hidden = !holds;
      return;
    }
    if (fetchingTicket) return;
    fetchingTicket = true;
    try {
      const res = await fetch(api + '/ticket', { headers: { Accept: 'application/json' } });
      const t = res.ok ? await res.json() : null;
      if (t && typeof t.code === 'string' && typeof t.url === 'string') {
        ticketLink.href = t.url;
        ticketCode.textContent = t.code;
      }
    } catch {
      // The next change of the guest's seats tries again.
    } finally {
      fetchingTicket = false;
    }
    ticket.hidden = !(ticketLink.getAttribute('href') && holdsAny());
  }

  // say puts text in the live region; emptying it first makes screen readers
  // announce a message even when it repeats the previous one.
  let said = 0;
  function say(text, kind) {
    const n = ++said;
    msg.className = 'msg ' + kind;
    msg.textContent = '';
    setTimeout(() => { if (n === said) msg.textContent = text; }, 50);
  }

  async function send(b) {
    const id = b.dataset.seat;
    const release = b.dataset.status === 'mine';
    b.setAttribute('aria-busy', 'true');
    try {
      let res;
      try {
        res = await fetch(`${api}/seats/${encodeURIComponent(id)}`, {
          method: release ? 'DELETE' : 'PUT',
          headers: { Accept: 'application/json, application/problem+json' },
        });
      } catch {
        say(NETWORK, 'error');
        return;
      }
      const body = await res.json().catch(() => null);
      if (res.status === 410) {
        onCancelled();
        return;
      }
      if (res.ok && body) {
        const v = Number(body.version) || 0;
        const list = body.seat ? [body.seat] : body.seats || [];
        for (const s of list) {
          const sb = seats.get(s.id);
          if (!sb || v < verOf(s.id)) continue;
          seatVer.set(s.id, v);
          setSeat(sb, s.status);
        }
        refresh();
        say(release ? `Seat ${id} released.` : `Seat ${id} is yours.`, 'ok');
        return;
      }
      // 409 with seats: taken by someone else; 403: held by someone else.
      const p = body || {};
      const taken = Array.isArray(p.seats) && p.seats.length ? p.seats : res.status === 403 ? [id] : [];
      if (res.status === 409 || res.status === 403) {
        taken.forEach((t) => seats.has(t) && setSeat(seats.get(t), 'booked'));
        refresh();
      }
      say(p.detail || p.title || (res.status >= 500
        ? 'The box office is briefly unavailable. Please try again in a moment.'
        : 'Something went wrong. Please try again.'), 'error');
    } finally {
      b.removeAttribute('aria-busy');
    }
  }

  form.addEventListener('submit', (e) => {
    const b = e.submitter;
    if (!b || !b.dataset || !seats.has(b.dataset.seat)) return; // let the form post
    e.preventDefault();
    if (b.getAttribute('aria-busy') !== 'true') send(b);
  });

  // Keyboard: the map is one tab stop; arrows, Home and End move within it.
  let stop = null;
  const makeStop = (b) => {
    if (stop && stop !== b) stop.tabIndex = -1;
    (stop = b).tabIndex = 0;
  };
  const all = [...seats.values()];
  const first = (s) => all.find((b) => b.dataset.status === s);
  all.forEach((b) => { b.tabIndex = -1; });
  if (all.length) makeStop(first('mine') || first('free') || all[0]);

  function move(b) {
    if (!b) return;
    makeStop(b);
    b.focus({ preventScroll: true });
    b.scrollIntoView({ block: 'nearest', inline: 'nearest' });
  }
  const nearest = (list, col) => list.reduce((a, c) => (Math.abs(c.col - col) < Math.abs(a.col - col) ? c : a)).b;

  form.addEventListener('keydown', (e) => {
    const p = pos.get(e.target);
    if (!p || e.altKey || e.metaKey || e.shiftKey) return;
    if (e.ctrlKey && e.key !== 'Home' && e.key !== 'End') return;
    const [r, i] = p, row = rows[r];
    let to;
    switch (e.key) {
      case 'ArrowLeft': to = row[i - 1]?.b; break;
      case 'ArrowRight': to = row[i + 1]?.b; break;
      case 'ArrowUp': to = r > 0 && nearest(rows[r - 1], row[i].col); break;
      case 'ArrowDown': to = r < rows.length - 1 && nearest(rows[r + 1], row[i].col); break;
      case 'Home': to = (e.ctrlKey ? rows[0] : row)[0].b; break;
      case 'End': { const l = e.ctrlKey ? rows[rows.length - 1] : row; to = l[l.length - 1].b; break; }
      default: return;
    }
    e.preventDefault();
    move(to);
  });
  form.addEventListener('focusin', (e) => { if (pos.has(e.target)) makeStop(e.target); });

  // Forget the no-JS outcome in the URL so that a reload does not repeat it.
  if (location.search) history.replaceState(history.state, '', location.pathname + location.hash);

  // On a narrow screen start with the guest's first seat, else the middle, in view.
  const map = form.querySelector('.map');
  if (map && map.scrollWidth > map.clientWidth) {
    map.scrollLeft = (map.scrollWidth - map.clientWidth) / 2;
    if (stop && stop.dataset.status === 'mine') {
      const r = stop.getBoundingClientRect(), m = map.getBoundingClientRect();
      if (r.left < m.left || r.right > m.right) map.scrollLeft += r.left - m.left - (m.width - r.width) / 2;
    }
  }

  // The cues that the map scrolls sideways are CSS scroll-driven animations.
  // A browser without those gets them from classes set here (see app.css).
  if (map && !(CSS.supports('animation-timeline: scroll()') && CSS.supports('timeline-scope: --map'))) {
    const cue = () => {
      const max = map.scrollWidth - map.clientWidth;
      form.classList.toggle('overflows', max > 0);
      form.classList.toggle('at-start', map.scrollLeft <= 0);
      form.classList.toggle('at-end', map.scrollLeft >= max - 1); // scrollLeft may stop a fraction short
    };
    form.classList.add('cues');
    map.addEventListener('scroll', cue, { passive: true });
    addEventListener('resize', cue);
    cue();
  }

  // Live updates.
  const parse = (data) => { try { return JSON.parse(data); } catch { return null; } };

  // A snapshot may follow a change of the show itself (the cinema renamed
  // or moved it, closed or reopened sales, changed the hall): the page then
  // shows what the snapshot says. A hall whose seats changed is drawn anew
  // by the server: the page reloads.
  const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  // when writes a start time as the server does ("Mon 2 Jan, 15:04"), in
  // the cinema's time zone: the offset the time carries, not the browser's.
  const when = (iso) => {
    const m = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d)/.exec(iso || '');
    if (!m) return '';
    const dow = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3])).getUTCDay();
    return `${DAYS[dow]} ${+m[3]} ${MONTHS[+m[2] - 1]}, ${m[4]}:${m[5]}`;
  };
  function onShow(s) {
    if (s.seats.length !== seats.size || s.seats.some((seat) => !seats.has(seat.id))) {
      location.reload();
      return false;
    }
    const h1 = main.querySelector('h1'), time = main.querySelector('.meta time');
    if (typeof s.title === 'string' && h1 && h1.textContent !== s.title) h1.textContent = s.title;
    if (time && s.starts_at && time.getAttribute('datetime') !== s.starts_at) {
      time.setAttribute('datetime', s.starts_at);
      time.textContent = when(s.starts_at);
    }
    if (h1 && time) document.title = `${h1.textContent}, ${time.textContent} · boxoffice`;
    const open = s.open !== false;
    let closed = main.querySelector('p.closed');
    if (!open && !closed) {
      closed = Object.assign(document.createElement('p'), { className: 'closed', textContent: 'Sales for this show have closed.' });
      msg.after(closed);
    } else if (open && closed) {
      closed.remove();
    }
    for (const b of seats.values()) b.disabled = !open;
    return true;
  }

  function onSnapshot(s) {
    if (!s || !Array.isArray(s.seats)) return;
    if (!onShow(s)) return;
    const v = Number(s.version) || 0;
    for (const seat of s.seats) {
      const b = seats.get(seat.id);
      if (!b || (seatVer.get(seat.id) || 0) > v) continue;
      seatVer.delete(seat.id);
      setSeat(b, seat.status);
    }
    version = base = v;
    refresh();
  }

  function onSeats(d) {
    const v = d && Number(d.version);
    if (!v || v <= version || !Array.isArray(d.seats)) return;
    version = v;
    for (const s of d.seats) {
      const b = seats.get(s.id);
      if (!b || v < verOf(s.id)) continue;
      seatVer.set(s.id, v);
      setSeat(b, s.status);
    }
    refresh();
  }

  let liveOn = false;
  function showLive(on) {
    liveOn = on;
    if (!live) return;
    live.hidden = false;
    live.classList.toggle('off', !on);
    live.textContent = on ? 'Live' : 'Reconnecting…';
  }

  if (!('EventSource' in window)) return;

  // One event stream per show and browser, not per tab: a browser opens at
  // most six HTTP/1.1 connections to a host, so seven tabs each holding a
  // stream would leave none for booking. The tab holding the show's Web Lock
  // leads: it keeps the stream and relays what it reads over a
  // BroadcastChannel to the other tabs of the show. Tabs of one browser share
  // the guest cookie, so each event reads the same in every tab. When the
  // leader closes, the lock passes to a waiting tab, whose fresh stream
  // starts with a snapshot that every tab applies.
  const LOCK = 'boxoffice:' + main.dataset.show;
  const bc = 'locks' in navigator && 'BroadcastChannel' in window ? new BroadcastChannel(LOCK) : null;
  const relay = (t, d) => { if (bc && main.dataset.stream === 'leader') bc.postMessage({ t, d }); };

  // The show was cancelled: the page says so for good and never
  // reconnects, whichever way it learnt it (the stream's last event, a 410
  // to its probe, or another tab).
  let cancelled = false;
  function onCancelled() {
    cancelled = true;
    clearTimeout(timer);
    if (es) es.close();
    es = null;
    if (live) live.hidden = true;
    for (const b of seats.values()) b.disabled = true;
    say('This show has been cancelled.', 'error');
    main.dataset.cancelled = 'true';
  }

  let es = null, timer = 0, backoff = 1000;
  function connect() {
    if (cancelled) return;
    clearTimeout(timer);
    if (es) es.close();
    const src = es = new EventSource(api + '/events');
    src.addEventListener('open', () => { backoff = 1000; showLive(true); relay('live', true); });
    src.addEventListener('error', () => {
      if (src !== es) return;
      showLive(false);
      relay('live', false);
      if (src.readyState === EventSource.CLOSED) retry(src);
    });
    src.addEventListener('snapshot', (e) => { onSnapshot(parse(e.data)); relay('snapshot', e.data); });
    src.addEventListener('seats', (e) => { onSeats(parse(e.data)); relay('seats', e.data); });
    src.addEventListener('cancelled', () => { relay('cancelled', true); onCancelled(); });
  }

  // retry opens a new stream after src ended up CLOSED, which the browser
  // does not retry by itself: its answer was not a stream (a refusal at a
  // limit, an outage) or the network failed. EventSource cannot read the
  // status, so a HEAD asks what a stream would get now: a refusal says when
  // to come back (Retry-After, plus up to a fifth more so that pages refused
  // together do not return together); anything else waits the backoff.
  async function retry(src) {
    let wait = 0;
    try {
      const res = await fetch(api + '/events', { method: 'HEAD', cache: 'no-store' });
      if (res.status === 410) {
        if (src === es) { relay('cancelled', true); onCancelled(); }
        return;
      }
      const after = Number(res.headers.get('Retry-After'));
      if ((res.status === 429 || res.status === 503) && after > 0) wait = Math.min(after, 300) * 1000 * (1 + Math.random() / 5);
    } catch {
      // The network is down: the backoff.
    }
    if (src !== es) return; // the tab left, or reconnected, meanwhile
    if (!wait) {
      wait = backoff;
      backoff = Math.min(backoff * 2, 15000);
    }
    clearTimeout(timer);
    timer = setTimeout(connect, wait);
  }

  // catchUp reads the whole map once, for a tab that may have missed events
  // (it joined late, or the relay skipped a version).
  let catching = false;
  async function catchUp() {
    if (catching) return;
    catching = true;
    try {
      const res = await fetch(api, { headers: { Accept: 'application/json' } });
      if (res.status === 410) onCancelled();
      const s = res.ok ? await res.json() : null;
      if (s && Number(s.version) >= version) onSnapshot(s);
    } catch {
      // The next relayed event tries again.
    } finally {
      catching = false;
    }
  }

  // A page restored from the back/forward cache may have lost its stream.
  addEventListener('pageshow', (e) => {
    if (e.persisted && main.dataset.stream === 'leader' && (!es || es.readyState === EventSource.CLOSED)) connect();
  });

  if (!bc) {
    main.dataset.stream = 'leader';
    connect();
    return;
  }

  // join takes part in the show's live updates: as leader when the lock is
  // free, else as a follower queued for it. leave gives the stream up: a tab
  // hidden for a while lets a visible tab lead, or frees the connection for
  // the tabs of other shows; shown again, it joins and catches up.
  let joined = null, stepDown = null;
  function join() {
    if (joined) return;
    const me = joined = new AbortController();
    const lead = () => {
      if (joined !== me) return null; // left meanwhile: release at once
      main.dataset.stream = 'leader';
      connect();
      return new Promise((resolve) => { stepDown = resolve; });
    };
    navigator.locks.request(LOCK, { ifAvailable: true }, (lock) => {
      if (lock) return lead();
      if (joined !== me) return null;
      main.dataset.stream = 'follower';
      bc.postMessage({ t: 'hello' });
      catchUp();
      return navigator.locks.request(LOCK, { signal: me.signal }, lead);
    }).catch(() => {}); // aborted by leave
  }
  function leave() {
    if (!joined) return;
    joined.abort();
    joined = null;
    if (stepDown) {
      clearTimeout(timer);
      if (es) es.close();
      es = null;
      stepDown();
      stepDown = null;
    }
    main.dataset.stream = 'idle';
  }

  bc.onmessage = (e) => {
    const m = e.data || {};
    if (main.dataset.stream === 'leader') {
      if (m.t === 'hello') relay('live', liveOn);
      return;
    }
    if (cancelled) return;
    if (m.t === 'cancelled') onCancelled();
    else if (m.t === 'live') showLive(!!m.d);
    else if (m.t === 'snapshot') onSnapshot(parse(m.d));
    else if (m.t === 'seats') {
      const d = parse(m.d);
      if (d && Number(d.version) > version + 1) catchUp();
      onSeats(d);
    }
  };

  const HIDDEN_FOR = 5000;
  let hideTimer = 0;
  document.addEventListener('visibilitychange', () => {
    clearTimeout(hideTimer);
    if (document.visibilityState === 'hidden') hideTimer = setTimeout(leave, HIDDEN_FOR);
    else join();
  });
  if (document.visibilityState === 'hidden') hideTimer = setTimeout(leave, HIDDEN_FOR);
  join();
})();
