// Switchboard browser client: plain ES2020, no framework, no build step.
// Served by the switchboard process itself, so it connects back to the host:port it came from
// (the server refuses WebSocket upgrades from foreign Origins).
'use strict';

(() => {
  const MAX_ENTRIES = 1000;          // the log keeps only the newest entries
  const MAX_SHOWN_CHARS = 8192;      // text shown per entry; longer messages are cut in the view
  const MAX_SHOWN_BYTES = 2048;      // binary bytes shown (as hex) per entry
  const HEALTH_EVERY_MS = 5000;
  const HEALTH_TIMEOUT_MS = 3000;
  const STATE_POLL_MS = 100;         // readyState can change without an event (e.g. CLOSING)

  const STATE_NAMES = ['CONNECTING', 'OPEN', 'CLOSING', 'CLOSED'];

  // RFC 6455 §7.4.1 and the IANA "WebSocket Close Code Number Registry".
  const CLOSE_NAMES = {
    1000: 'Normal Closure',
    1001: 'Going Away',
    1002: 'Protocol Error',
    1003: 'Unsupported Data',
    1004: 'Reserved',
    1005: 'No Status Received',
    1006: 'Abnormal Closure',
    1007: 'Invalid Frame Payload Data',
    1008: 'Policy Violation',
    1009: 'Message Too Big',
    1010: 'Mandatory Extension',
    1011: 'Internal Error',
    1012: 'Service Restart',
    1013: 'Try Again Later',
    1014: 'Bad Gateway',
    1015: 'TLS Handshake',
  };

  const PLACEHOLDERS = {
    text: 'Hello, Switchboard',
    hex: 'de ad be ef',
    base64: '3q2+7w==',
  };

  const $ = (id) => document.getElementById(id);
  const el = {
    serverInfo: $('server-info'),
    serverInfoText: $('server-info-text'),
    connectForm: $('connect-form'),
    route: $('route'),
    roomField: $('room-field'),
    room: $('room'),
    intervalField: $('interval-field'),
    interval: $('interval'),
    customField: $('custom-field'),
    customPath: $('custom-path'),
    subprotocols: $('subprotocols'),
    url: $('url'),
    connect: $('connect'),
    disconnect: $('disconnect'),
    connectError: $('connect-error'),
    state: $('state'),
    protocol: $('protocol'),
    extensions: $('extensions'),
    sentCount: $('sent-count'),
    receivedCount: $('received-count'),
    closeInfo: $('close-info'),
    closeForm: $('close-form'),
    closeCode: $('close-code'),
    closeReason: $('close-reason'),
    closeBtn: $('close-btn'),
    closeError: $('close-error'),
    log: $('log'),
    logEmpty: $('log-empty'),
    logCount: $('log-count'),
    autoscroll: $('autoscroll'),
    clear: $('clear'),
    sendForm: $('send-form'),
    mode: $('mode'),
    message: $('message'),
    messageHint: $('message-hint'),
    send: $('send'),
    sendError: $('send-error'),
  };

  let ws = null;
  let everOpened = false;
  let sentCount = 0;
  let receivedCount = 0;
  let droppedEntries = 0;
  let statePoll = 0;
  let scrollPending = false;
  const lastSent = { text: '', hex: '', base64: '' };

  // ---------------------------------------------------------------- helpers

  function closeCodeName(code) {
    if (CLOSE_NAMES[code]) return CLOSE_NAMES[code];
    if (code >= 3000 && code <= 3999) return 'Registered (library/framework)';
    if (code >= 4000 && code <= 4999) return 'Application-defined';
    return 'Unknown';
  }

  function utf8Length(s) {
    let n = 0;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c < 0x80) n += 1;
      else if (c < 0x800) n += 2;
      else if (c >= 0xd800 && c < 0xdc00 && i + 1 < s.length) {
        const d = s.charCodeAt(i + 1);
        if (d >= 0xdc00 && d < 0xe000) { n += 4; i++; } else n += 3;
      } else n += 3;
    }
    return n;
  }

  function formatBytes(n) {
    if (n < 1024) return `${n} B`;
    if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
    return `${(n / 1024 / 1024).toFixed(1)} MiB`;
  }

  function formatTime(d) {
    const p = (v, w = 2) => String(v).padStart(w, '0');
    return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
  }

  function formatDuration(totalSeconds) {
    let s = Math.max(0, Math.floor(Number(totalSeconds) || 0));
    const d = Math.floor(s / 86400); s -= d * 86400;
    const h = Math.floor(s / 3600); s -= h * 3600;
    const m = Math.floor(s / 60); s -= m * 60;
    if (d) return `${d}d ${h}h`;
    if (h) return `${h}h ${m}m`;
    if (m) return `${m}m ${s}s`;
    return `${s}s`;
  }

  function toHex(bytes, limit) {
    const n = Math.min(bytes.length, limit);
    const parts = new Array(n);
    for (let i = 0; i < n; i++) parts[i] = bytes[i].toString(16).padStart(2, '0');
    return parts.join(' ');
  }

  // "de ad be ef", "deadbeef", "0xde,0xad", "de:ad:be:ef" → bytes. Throws with a readable message.
  function parseHex(input) {
    const tokens = input.trim().split(/[\s,:;_-]+/).filter(Boolean);
    const out = [];
    for (const token of tokens) {
      const digits = token.replace(/^0x/i, '');
      if (!/^[0-9a-f]*$/i.test(digits)) throw new Error(`“${token}” is not hexadecimal`);
      if (digits.length % 2) throw new Error(`“${token}” has an odd number of hex digits`);
      for (let i = 0; i < digits.length; i += 2) out.push(parseInt(digits.substr(i, 2), 16));
    }
    return new Uint8Array(out);
  }

  // Standard or URL-safe base64, padding optional, whitespace ignored.
  function parseBase64(input) {
    let s = input.replace(/\s+/g, '').replace(/-/g, '+').replace(/_/g, '/');
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(s)) throw new Error('not valid base64 (allowed: A–Z a–z 0–9 + / =)');
    s = s.replace(/=+$/, '');
    if (s.length % 4 === 1) throw new Error('not valid base64 (bad length)');
    s += '='.repeat((4 - (s.length % 4)) % 4);
    let binary;
    try { binary = atob(s); } catch (e) { throw new Error('not valid base64'); }
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return bytes;
  }

  function showError(node, message) {
    node.textContent = message || '';
    node.hidden = !message;
  }

  // ---------------------------------------------------------------- URL building

  // A server started with --token: open the page as /?token=SECRET once. The token goes into the
  // switchboard_token cookie, which the browser sends on every WebSocket upgrade to this host
  // (browsers cannot set an Authorization header on a WebSocket), and never into shown URLs.
  const pageToken = new URLSearchParams(location.search).get('token');
  if (pageToken) {
    const secure = location.protocol === 'https:' ? '; Secure' : ''; // over https, never sent in clear
    document.cookie = `switchboard_token=${encodeURIComponent(pageToken)}; path=/; SameSite=Strict${secure}`;
    history.replaceState(null, '', location.pathname);
  }

  function baseUrl() {
    if (location.protocol === 'http:' || location.protocol === 'https:') {
      return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}`;
    }
    return 'ws://127.0.0.1:8080'; // opened from a file: assume the default port
  }

  function buildTarget() {
    const route = el.route.value;
    let path;
    if (route === '/chat') {
      const room = el.room.value.trim();
      if (!room) return { error: 'Enter a room name.' };
      path = `/chat/${encodeURIComponent(room)}`;
    } else if (route === '/clock') {
      const interval = el.interval.value.trim();
      path = interval ? `/clock?interval=${encodeURIComponent(interval)}` : '/clock';
    } else if (route === 'custom') {
      const raw = el.customPath.value.trim();
      if (!raw) return { error: 'Enter a path, e.g. /ws.' };
      if (/^wss?:\/\//i.test(raw)) return { url: raw, protocols: parseProtocols() };
      path = raw.startsWith('/') ? raw : `/${raw}`;
    } else {
      path = route;
    }
    return { url: baseUrl() + path, protocols: parseProtocols() };
  }

  function parseProtocols() {
    return el.subprotocols.value.split(',').map((p) => p.trim()).filter(Boolean);
  }

  function updateRouteFields() {
    const route = el.route.value;
    el.roomField.hidden = route !== '/chat';
    el.intervalField.hidden = route !== '/clock';
    el.customField.hidden = route !== 'custom';
    const target = buildTarget();
    el.url.textContent = target.url || '—';
  }

  // ---------------------------------------------------------------- the log

  function scheduleScroll() {
    if (!el.autoscroll.checked || scrollPending) return;
    scrollPending = true;
    requestAnimationFrame(() => {
      scrollPending = false;
      if (el.autoscroll.checked) el.log.scrollTop = el.log.scrollHeight;
    });
  }

  function updateLogCount() {
    const shown = el.log.childElementCount;
    el.logCount.textContent = droppedEntries
      ? `${shown} (${droppedEntries} older dropped)`
      : String(shown);
    el.logEmpty.hidden = shown > 0;
  }

  // dir: 'in' | 'out' | 'sys'; kind: 'text' | 'binary' | 'info' | 'error' | 'close'
  function addEntry(dir, kind, payload) {
    const li = document.createElement('li');
    li.className = `entry ${dir} ${kind}`;
    li.dataset.dir = dir;
    li.dataset.kind = kind;

    const now = new Date();
    const time = document.createElement('time');
    time.className = 'ts';
    time.dateTime = now.toISOString();
    time.textContent = formatTime(now);

    const arrow = document.createElement('span');
    arrow.className = 'dir';
    arrow.textContent = dir === 'out' ? '→' : dir === 'in' ? '←' : '•';
    arrow.title = dir === 'out' ? 'sent' : dir === 'in' ? 'received' : 'system';

    const meta = document.createElement('span');
    meta.className = 'meta';

    const content = document.createElement('pre');
    content.className = 'content';

    let more = '';
    if (kind === 'binary') {
      meta.textContent = `binary · ${formatBytes(payload.length)}`;
      content.textContent = payload.length ? toHex(payload, MAX_SHOWN_BYTES) : '(empty)';
      if (payload.length > MAX_SHOWN_BYTES) more = `… ${payload.length - MAX_SHOWN_BYTES} more bytes`;
    } else if (kind === 'text') {
      meta.textContent = `text · ${formatBytes(utf8Length(payload))}`;
      content.textContent = payload.length > MAX_SHOWN_CHARS ? payload.slice(0, MAX_SHOWN_CHARS) : payload;
      if (payload.length > MAX_SHOWN_CHARS) more = `… ${payload.length - MAX_SHOWN_CHARS} more characters`;
      if (payload === '') { content.textContent = '(empty)'; content.classList.add('placeholder'); }
    } else {
      meta.textContent = kind === 'error' ? 'error' : kind === 'close' ? 'close' : 'system';
      content.textContent = payload;
    }
    if (more) {
      const span = document.createElement('span');
      span.className = 'more';
      span.textContent = `\n${more}`;
      content.appendChild(span);
    }

    li.append(time, arrow, meta, content);
    el.log.appendChild(li);
    while (el.log.childElementCount > MAX_ENTRIES) {
      el.log.firstElementChild.remove();
      droppedEntries++;
    }
    updateLogCount();
    scheduleScroll();
  }

  const logSystem = (text, kind = 'info') => addEntry('sys', kind, text);

  // ---------------------------------------------------------------- state

  function updateState() {
    const rs = ws ? ws.readyState : WebSocket.CLOSED;
    const name = STATE_NAMES[rs];
    if (el.state.dataset.state !== name) {
      el.state.dataset.state = name;
      el.state.textContent = name;
    }
    const live = rs === WebSocket.CONNECTING || rs === WebSocket.OPEN;
    el.connect.disabled = rs !== WebSocket.CLOSED;
    el.disconnect.disabled = !live;
    el.closeBtn.disabled = !live;
    el.send.disabled = rs !== WebSocket.OPEN;
    if (rs === WebSocket.CLOSED && statePoll) {
      clearInterval(statePoll);
      statePoll = 0;
    }
  }

  function updateCounters() {
    el.sentCount.textContent = String(sentCount);
    el.receivedCount.textContent = String(receivedCount);
  }

  function setProtocol(protocol, extensions = '') {
    el.protocol.textContent = protocol || '—';
    el.protocol.classList.toggle('muted', !protocol);
    // The browser offers permessage-deflate itself; the server's answer says what was agreed.
    const name = extensions.split(';')[0].trim();
    el.extensions.textContent = name === 'permessage-deflate' ? 'deflate' : name || '—';
    el.extensions.title = extensions;
    el.extensions.classList.toggle('muted', !extensions);
  }

  function renderCloseInfo(ev) {
    const name = closeCodeName(ev.code);
    el.closeInfo.textContent = '';
    el.closeInfo.classList.remove('muted');
    el.closeInfo.dataset.code = String(ev.code);
    el.closeInfo.dataset.clean = String(ev.wasClean);

    const code = document.createElement('span');
    code.className = 'close-code';
    code.textContent = `${ev.code} ${name}`;
    const reason = document.createElement('span');
    reason.className = 'close-reason';
    reason.textContent = ev.reason ? `“${ev.reason}”` : 'no reason given';
    const clean = document.createElement('span');
    clean.className = `close-clean ${ev.wasClean ? 'yes' : 'no'}`;
    clean.textContent = `wasClean: ${ev.wasClean}`;
    el.closeInfo.append(code, reason, clean);
  }

  // ---------------------------------------------------------------- connection

  function connect() {
    showError(el.connectError, '');
    showError(el.closeError, '');
    if (ws && ws.readyState !== WebSocket.CLOSED) return;

    const target = buildTarget();
    if (target.error) {
      showError(el.connectError, target.error);
      return;
    }

    let sock;
    try {
      sock = target.protocols.length ? new WebSocket(target.url, target.protocols) : new WebSocket(target.url);
    } catch (e) {
      const message = `Cannot connect to ${target.url}: ${e.message}`;
      showError(el.connectError, message);
      logSystem(message, 'error');
      return;
    }
    sock.binaryType = 'arraybuffer';
    ws = sock;
    everOpened = false;
    sentCount = 0;
    receivedCount = 0;
    updateCounters();
    setProtocol('');

    const offered = target.protocols.length ? ` offering [${target.protocols.join(', ')}]` : '';
    logSystem(`Connecting to ${target.url}${offered}`);

    sock.addEventListener('open', () => {
      if (sock !== ws) return;
      everOpened = true;
      setProtocol(sock.protocol, sock.extensions);
      logSystem(`Connected · subprotocol: ${sock.protocol ? `“${sock.protocol}”` : 'none'}`);
      updateState();
      refreshHealth();
    });

    sock.addEventListener('message', (ev) => {
      if (sock !== ws) return;
      receivedCount++;
      updateCounters();
      if (typeof ev.data === 'string') addEntry('in', 'text', ev.data);
      else addEntry('in', 'binary', new Uint8Array(ev.data));
    });

    sock.addEventListener('error', () => {
      if (sock !== ws) return;
      // Browsers deliberately hide the cause; the close event that follows carries the code.
      logSystem(everOpened ? 'WebSocket error' : `Connection to ${sock.url} failed`, 'error');
      updateState();
    });

    sock.addEventListener('close', (ev) => {
      if (sock !== ws) return;
      const name = closeCodeName(ev.code);
      const reason = ev.reason ? ` · reason “${ev.reason}”` : '';
      logSystem(`Closed · ${ev.code} ${name}${reason} · wasClean: ${ev.wasClean}`, 'close');
      if (!everOpened) {
        logSystem('The handshake did not complete. The server answers an unknown path with 404, ' +
          'an unsupported subprotocol or bad query with 400 and a foreign Origin with 403; ' +
          'the browser only reports 1006.', 'error');
      }
      renderCloseInfo(ev);
      updateState();
      refreshHealth();
    });

    updateState();
    if (!statePoll) statePoll = setInterval(updateState, STATE_POLL_MS);
  }

  function disconnect() {
    if (!ws || ws.readyState > WebSocket.OPEN) return;
    ws.close(1000);
    logSystem('Closing · 1000 Normal Closure');
    updateState();
  }

  function closeWithCode() {
    showError(el.closeError, '');
    if (!ws || ws.readyState > WebSocket.OPEN) {
      showError(el.closeError, 'Not connected.');
      return;
    }
    const raw = el.closeCode.value.trim();
    const code = Number(raw);
    if (raw === '' || !Number.isInteger(code)) {
      showError(el.closeError, 'Enter a whole number as the close code.');
      return;
    }
    const reason = el.closeReason.value;
    try {
      ws.close(code, reason);
    } catch (e) {
      let message;
      if (e.name === 'InvalidAccessError') {
        message = `The browser refused code ${code} (${closeCodeName(code)}): ` +
          'a page may only close with 1000 or 3000–4999.';
      } else if (e.name === 'SyntaxError') {
        message = `The reason is ${utf8Length(reason)} bytes of UTF-8; at most 123 are allowed.`;
      } else {
        message = `Close failed: ${e.message}`;
      }
      showError(el.closeError, message);
      logSystem(message, 'error');
      return;
    }
    logSystem(`Closing · ${code} ${closeCodeName(code)}${reason ? ` · reason “${reason}”` : ''}`);
    updateState();
  }

  function send() {
    showError(el.sendError, '');
    if (!ws || ws.readyState !== WebSocket.OPEN) {
      showError(el.sendError, 'Not connected.');
      return;
    }
    const mode = el.mode.value;
    const input = el.message.value;
    // An empty box is nothing to send (Ctrl+Enter on it used to send an empty frame).
    if (input.length === 0) {
      showError(el.sendError, 'Nothing to send: type a message first.');
      return;
    }
    if (mode === 'text') {
      ws.send(input);
      addEntry('out', 'text', input);
    } else {
      let bytes;
      try {
        bytes = mode === 'hex' ? parseHex(input) : parseBase64(input);
      } catch (e) {
        showError(el.sendError, `Cannot send: ${e.message}.`);
        return;
      }
      ws.send(bytes);
      addEntry('out', 'binary', bytes);
    }
    sentCount++;
    updateCounters();
    lastSent[mode] = input;
    el.message.value = '';
    el.message.focus();
  }

  // ---------------------------------------------------------------- server health

  let healthTimer = 0;
  let healthInFlight = false;

  async function refreshHealth() {
    clearTimeout(healthTimer);
    healthTimer = setTimeout(refreshHealth, HEALTH_EVERY_MS);
    if (location.protocol !== 'http:' && location.protocol !== 'https:') {
      el.serverInfo.dataset.health = 'unknown';
      el.serverInfoText.textContent = 'opened from a file: no server health';
      return;
    }
    if (healthInFlight) return;
    healthInFlight = true;
    const abort = new AbortController();
    const timeout = setTimeout(() => abort.abort(), HEALTH_TIMEOUT_MS);
    try {
      const response = await fetch('healthz', { cache: 'no-store', signal: abort.signal });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const h = await response.json();
      const clients = Number(h.clients) || 0;
      el.serverInfo.dataset.health = h.status === 'ok' ? 'ok' : 'degraded';
      el.serverInfoText.textContent =
        `${location.host} · ${h.status} · v${h.version} · up ${formatDuration(h.uptimeSeconds)} · ` +
        `${clients} ${clients === 1 ? 'client' : 'clients'}`;
    } catch (e) {
      el.serverInfo.dataset.health = 'down';
      el.serverInfoText.textContent =
        `${location.host} unreachable (${e.name === 'AbortError' ? 'timed out' : e.message})`;
    } finally {
      clearTimeout(timeout);
      healthInFlight = false;
    }
  }

  // ---------------------------------------------------------------- wiring

  function updateModeHint() {
    const mode = el.mode.value;
    el.message.placeholder = PLACEHOLDERS[mode];
    el.messageHint.textContent = mode === 'text'
      ? 'Ctrl+Enter sends · Ctrl+↑ recalls'
      : `${mode === 'hex' ? 'hex bytes' : 'base64'} · Ctrl+Enter sends · Ctrl+↑ recalls`;
    el.message.classList.toggle('binary-input', mode !== 'text');
    showError(el.sendError, '');
  }

  el.connectForm.addEventListener('submit', (e) => { e.preventDefault(); connect(); });
  el.disconnect.addEventListener('click', disconnect);
  el.closeForm.addEventListener('submit', (e) => { e.preventDefault(); closeWithCode(); });
  el.sendForm.addEventListener('submit', (e) => { e.preventDefault(); send(); });
  el.message.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      send();
    } else if (e.key === 'ArrowUp' && (e.ctrlKey || e.metaKey) && lastSent[el.mode.value]) {
      e.preventDefault();
      el.message.value = lastSent[el.mode.value];
    }
  });
  for (const input of [el.route, el.room, el.interval, el.customPath, el.subprotocols]) {
    input.addEventListener('input', updateRouteFields);
    input.addEventListener('change', updateRouteFields);
  }
  el.mode.addEventListener('change', updateModeHint);
  el.clear.addEventListener('click', () => {
    el.log.textContent = '';
    droppedEntries = 0;
    updateLogCount();
  });
  el.autoscroll.addEventListener('change', scheduleScroll);

  updateRouteFields();
  updateModeHint();
  updateState();
  updateCounters();
  updateLogCount();
  refreshHealth();
})();
