// RFC 6455 conformance of a server's echo route, case by case, from raw TCP: the categories of the
// reference conformance suite for servers (framing, pings, reserved bits, opcodes, fragmentation,
// UTF-8, close handling, limits) plus masking, each judged by what the RFC requires the server to do.
// bench/run.sh runs it against Switchboard's native layer, its qt backend and Node's ws.
//   node conformance.mjs --url ws://127.0.0.1:PORT/ws
// Prints one line per case that does not pass, then `CONFORMANCE passed=N total=M categories=...`.
// Talks to the given address only; every case is bounded (4 s).
import crypto from 'node:crypto';
import net from 'node:net';

const args = process.argv.slice(2);
const option = (name, fallback) => {
    const at = args.indexOf(name);
    return at >= 0 && at + 1 < args.length ? args[at + 1] : fallback;
};
const url = new URL(option('--url', 'ws://127.0.0.1:8080/ws'));
const CASE_MS = 4000;

const TEXT = 0x1, BINARY = 0x2, CLOSE = 0x8, PING = 0x9, PONG = 0xa;

// A client frame: FIN unless fin === false, masked unless masked === false, rsv as bits 4-6.
function frame(opcode, payload = Buffer.alloc(0), { fin = true, rsv = 0, masked = true } = {}) {
    const data = Buffer.isBuffer(payload) ? payload : Buffer.from(payload);
    const length = data.length;
    const header = [(fin ? 0x80 : 0) | (rsv << 4) | opcode];
    const maskBit = masked ? 0x80 : 0;
    if (length < 126) {
        header.push(maskBit | length);
    } else if (length < 65536) {
        header.push(maskBit | 126, length >> 8, length & 0xff);
    } else {
        header.push(maskBit | 127, 0, 0, 0, 0, (length >>> 24) & 0xff, (length >> 16) & 0xff, (length >> 8) & 0xff, length & 0xff);
    }
    if (!masked)
        return Buffer.concat([Buffer.from(header), data]);
    const mask = crypto.randomBytes(4);
    const body = Buffer.alloc(length);
    for (let i = 0; i < length; ++i) body[i] = data[i] ^ mask[i & 3];
    return Buffer.concat([Buffer.from(header), mask, body]);
}
const closePayload = (code, reason = Buffer.alloc(0)) => {
    const out = Buffer.alloc(2);
    out.writeUInt16BE(code);
    return Buffer.concat([out, Buffer.isBuffer(reason) ? reason : Buffer.from(reason)]);
};

// Opens the upgrade; resolves with { socket, frames(): the server's frames so far, ended }.
function connect() {
    return new Promise((resolve, reject) => {
        const socket = net.connect(Number(url.port), url.hostname);
        const key = crypto.randomBytes(16).toString('base64');
        let buffer = Buffer.alloc(0);
        let upgraded = false;
        const state = { socket, frames: [], ended: false, waiters: [] };
        const wake = () => { for (const w of state.waiters.splice(0)) w(); };
        const timer = setTimeout(() => { socket.destroy(); reject(new Error('handshake timed out')); }, CASE_MS);
        socket.on('data', (chunk) => {
            buffer = Buffer.concat([buffer, chunk]);
            if (!upgraded) {
                const end = buffer.indexOf('\r\n\r\n');
                if (end < 0) return;
                const head = buffer.subarray(0, end).toString('latin1');
                buffer = buffer.subarray(end + 4);
                if (!/^HTTP\/1\.1 101/.test(head)) {
                    clearTimeout(timer);
                    socket.destroy();
                    reject(new Error(`no upgrade: ${head.split('\r\n')[0]}`));
                    return;
                }
                upgraded = true;
                clearTimeout(timer);
                resolve(state);
            }
            // Server frames: unmasked, parsed as they complete.
            for (;;) {
                if (buffer.length < 2) break;
                let length = buffer[1] & 0x7f, offset = 2;
                if (length === 126) {
                    if (buffer.length < 4) break;
                    length = buffer.readUInt16BE(2); offset = 4;
                } else if (length === 127) {
                    if (buffer.length < 10) break;
                    length = Number(buffer.readBigUInt64BE(2)); offset = 10;
                }
                if (buffer.length < offset + length) break;
                state.frames.push({ fin: (buffer[0] & 0x80) !== 0, rsv: (buffer[0] >> 4) & 7, opcode: buffer[0] & 0x0f,
                                    masked: (buffer[1] & 0x80) !== 0, payload: Buffer.from(buffer.subarray(offset, offset + length)) });
                buffer = buffer.subarray(offset + length);
            }
            wake();
        });
        const ended = () => { state.ended = true; wake(); };
        socket.on('end', ended);
        socket.on('close', ended);
        socket.on('error', () => { if (!upgraded) { clearTimeout(timer); reject(new Error('connect failed')); } ended(); });
        socket.write(`GET ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\nUpgrade: websocket\r\n` +
                     `Connection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`);
    });
}

// Waits until predicate(state) holds or the connection ends or the case's time passes.
function until(state, predicate, ms = CASE_MS) {
    return new Promise((resolve) => {
        const check = () => {
            if (predicate(state) || state.ended) { clearTimeout(timer); resolve(); return; }
            state.waiters.push(check);
        };
        const timer = setTimeout(resolve, ms);
        check();
    });
}

// Server messages reassembled from its data frames (controls left aside).
function messages(frames) {
    const out = [];
    let current = null;
    for (const f of frames) {
        if (f.opcode >= 0x8) continue;
        if (f.opcode !== 0) current = { opcode: f.opcode, parts: [] };
        if (!current) continue;
        current.parts.push(f.payload);
        if (f.fin) { out.push({ opcode: current.opcode, payload: Buffer.concat(current.parts) }); current = null; }
    }
    return out;
}
const closeOf = (state) => state.frames.find((f) => f.opcode === CLOSE);
const closeCode = (f) => (f.payload.length >= 2 ? f.payload.readUInt16BE(0) : 1005);

// Outcomes: the server echoed `expected` (then closes cleanly when asked), failed the connection with
// `code` (a close frame with that code, or a dropped TCP connection: both "fail the WebSocket connection"),
// or answered a close with a sendable code.
async function expectEcho(send, expected, { opcode = TEXT } = {}) {
    const state = await connect();
    for (const bytes of send) state.socket.write(bytes);
    await until(state, (s) => messages(s.frames).length >= expected.length || closeOf(s));
    const got = messages(state.frames);
    state.socket.destroy();
    if (closeOf(state)) return `closed with ${closeCode(closeOf(state))} instead of echoing`;
    if (got.length < expected.length) return `${got.length} of ${expected.length} messages echoed`;
    for (let i = 0; i < expected.length; ++i) {
        const want = Buffer.isBuffer(expected[i]) ? expected[i] : Buffer.from(expected[i]);
        if (got[i].opcode !== opcode || !got[i].payload.equals(want)) return `message ${i + 1} came back different`;
    }
    if (state.frames.some((f) => f.masked || f.rsv)) return 'a server frame was masked or had RSV bits';
    return null;
}
async function expectFailure(send, code) {
    const state = await connect();
    for (const bytes of send) state.socket.write(bytes);
    await until(state, (s) => !!closeOf(s));
    if (!closeOf(state)) await until(state, () => false, 200); // a drop shows as the end
    const close = closeOf(state);
    const echoed = messages(state.frames).length;
    state.socket.destroy();
    if (close) return closeCode(close) === code ? null : `closed with ${closeCode(close)}, ${code} expected`;
    if (state.ended) return null; // dropped without a close frame: also failing the connection
    return echoed ? 'accepted (echoed) what it must refuse' : 'neither failed the connection nor closed';
}
async function expectPongs(send, payloads) {
    const state = await connect();
    for (const bytes of send) state.socket.write(bytes);
    const last = payloads[payloads.length - 1];
    await until(state, (s) => s.frames.some((f) => f.opcode === PONG && f.payload.equals(last)) || closeOf(s));
    state.socket.destroy();
    const pongs = state.frames.filter((f) => f.opcode === PONG).map((f) => f.payload);
    if (closeOf(state)) return `closed with ${closeCode(closeOf(state))}`;
    // §5.5.3: a pong for the most recent ping may stand for earlier ones; each answers a ping, in order.
    if (!pongs.length || !pongs[pongs.length - 1].equals(last)) return 'no pong for the last ping';
    let at = 0;
    for (const pong of pongs) {
        while (at < payloads.length && !Buffer.from(payloads[at]).equals(pong)) ++at;
        if (at === payloads.length) return 'a pong answered no ping (or out of order)';
    }
    return null;
}
// The client closes with `payload`: the server answers with a close frame (its code: the same one, or
// 1000; for an empty close any code or none) and ends the TCP connection.
async function expectCloseReply(payload, { thenText = false } = {}) {
    const state = await connect();
    state.socket.write(frame(CLOSE, payload));
    if (thenText) state.socket.write(frame(TEXT, 'after close'));
    await until(state, (s) => s.ended);
    const close = closeOf(state);
    const echoed = messages(state.frames).length;
    state.socket.destroy();
    if (!close) return state.ended ? 'dropped without answering the close' : 'no close frame came back';
    if (echoed) return 'echoed a message sent after the close';
    if (payload.length >= 2) {
        const sent = payload.readUInt16BE(0);
        const got = closeCode(close);
        if (got !== sent && got !== 1000) return `answered the close with ${got}`;
    }
    if (!state.ended) return 'kept the TCP connection open';
    return null;
}

const utf8 = (s) => Buffer.from(s, 'utf8');
const bytes = (...b) => Buffer.from(b);
const cases = [];
const add = (category, name, run) => cases.push({ category, name, run });

// 1 framing: text and binary of every length form, echoed.
for (const n of [0, 125, 126, 127, 128, 65535, 65536]) {
    add('framing', `text ${n} B`, () => expectEcho([frame(TEXT, Buffer.alloc(n, 'x'))], [Buffer.alloc(n, 'x')]));
    add('framing', `binary ${n} B`, () => expectEcho([frame(BINARY, Buffer.alloc(n, 0xfe))], [Buffer.alloc(n, 0xfe)], { opcode: BINARY }));
}
add('framing', 'text 300 B written a byte at a time', async () => {
    const state = await connect();
    const whole = frame(TEXT, Buffer.alloc(300, 'y'));
    for (let i = 0; i < whole.length; ++i) state.socket.write(whole.subarray(i, i + 1));
    await until(state, (s) => messages(s.frames).length >= 1 || closeOf(s));
    state.socket.destroy();
    const got = messages(state.frames);
    return got.length === 1 && got[0].payload.equals(Buffer.alloc(300, 'y')) ? null : 'not echoed whole';
});

// 2 pings and pongs.
add('pings', 'ping without payload', () => expectPongs([frame(PING)], [Buffer.alloc(0)]));
add('pings', 'ping with 125 B', () => expectPongs([frame(PING, Buffer.alloc(125, 'p'))], [Buffer.alloc(125, 'p')]));
add('pings', 'ping with binary payload', () => expectPongs([frame(PING, bytes(0, 0xff, 0xfe, 0xfd, 0, 1))], [bytes(0, 0xff, 0xfe, 0xfd, 0, 1)]));
add('pings', 'ping with 126 B (too long for a control frame)', () => expectFailure([frame(PING, Buffer.alloc(126, 'p'))], 1002));
add('pings', 'unsolicited pong, then text', () => expectEcho([frame(PONG, 'unasked'), frame(TEXT, 'after')], ['after']));
add('pings', 'ten pings in one write', () => {
    const payloads = Array.from({ length: 10 }, (_, i) => utf8(`ping ${i}`));
    return expectPongs([Buffer.concat(payloads.map((p) => frame(PING, p)))], payloads);
});
add('pings', 'ten pings byte by byte', async () => {
    const payloads = Array.from({ length: 10 }, (_, i) => utf8(`ping ${i}`));
    const state = await connect();
    const all = Buffer.concat(payloads.map((p) => frame(PING, p)));
    for (let i = 0; i < all.length; ++i) state.socket.write(all.subarray(i, i + 1));
    await until(state, (s) => s.frames.some((f) => f.opcode === PONG && f.payload.equals(payloads[9])) || closeOf(s));
    state.socket.destroy();
    return state.frames.some((f) => f.opcode === PONG && f.payload.equals(payloads[9])) ? null : 'no pong for the last ping';
});

// 3 reserved bits: no extension negotiated, so any RSV bit fails the connection.
for (const rsv of [1, 2, 3, 4, 5, 6, 7])
    add('reserved bits', `RSV ${rsv} on text`, () => expectFailure([frame(TEXT, 'rsv', { rsv })], 1002));
add('reserved bits', 'RSV 1 on ping', () => expectFailure([frame(PING, 'rsv', { rsv: 1 })], 1002));
add('reserved bits', 'RSV 2 on close', () => expectFailure([frame(CLOSE, closePayload(1000), { rsv: 2 })], 1002));
add('reserved bits', 'RSV after a valid echo', () => expectFailure([frame(TEXT, 'ok'), frame(TEXT, 'rsv', { rsv: 4 })], 1002));

// 4 opcodes: reserved data (3-7) and control (0xB-0xF) opcodes fail the connection.
for (const opcode of [3, 4, 5, 6, 7, 0xb, 0xc, 0xd, 0xe, 0xf])
    add('opcodes', `reserved opcode ${opcode}`, () => expectFailure([frame(opcode, 'x')], 1002));
add('opcodes', 'reserved opcode after a valid echo', () => expectFailure([frame(TEXT, 'ok'), frame(5, 'x')], 1002));

// 5 fragmentation.
add('fragmentation', 'text in two fragments', () => expectEcho([frame(TEXT, 'frag', { fin: false }), frame(0, 'ment')], ['fragment']));
add('fragmentation', 'binary in 100 fragments', () => {
    const parts = Array.from({ length: 100 }, (_, i) => frame(i === 0 ? BINARY : 0, bytes(i), { fin: i === 99 }));
    return expectEcho(parts, [Buffer.from(Array.from({ length: 100 }, (_, i) => i))], { opcode: BINARY });
});
add('fragmentation', 'empty fragments', () => expectEcho([frame(TEXT, '', { fin: false }), frame(0, '', { fin: false }), frame(0, 'x')], ['x']));
add('fragmentation', 'ping between fragments', async () => {
    const state = await connect();
    state.socket.write(Buffer.concat([frame(TEXT, 'one ', { fin: false }), frame(PING, 'between'), frame(0, 'two')]));
    await until(state, (s) => messages(s.frames).length >= 1 || closeOf(s));
    state.socket.destroy();
    const pong = state.frames.some((f) => f.opcode === PONG && f.payload.equals(utf8('between')));
    const got = messages(state.frames);
    return pong && got.length === 1 && got[0].payload.equals(utf8('one two')) ? null : 'pong or message missing';
});
add('fragmentation', 'fragmented ping', () => expectFailure([frame(PING, 'pi', { fin: false }), frame(0, 'ng')], 1002));
add('fragmentation', 'fragmented close', () => expectFailure([frame(CLOSE, closePayload(1000), { fin: false }), frame(0, 'x')], 1002));
add('fragmentation', 'continuation without a start', () => expectFailure([frame(0, 'orphan')], 1002));
add('fragmentation', 'unfinished continuation without a start', () => expectFailure([frame(0, 'orphan', { fin: false })], 1002));
add('fragmentation', 'new message before the last one ended', () => expectFailure([frame(TEXT, 'a', { fin: false }), frame(TEXT, 'b')], 1002));
add('fragmentation', 'binary start inside a text message', () => expectFailure([frame(TEXT, 'a', { fin: false }), frame(BINARY, 'b')], 1002));

// 6 UTF-8: valid text in all its forms echoed, invalid text fails with 1007.
for (const [name, text] of [['two-byte', 'é'], ['three-byte', '€'], ['four-byte', '𝄞'], ['mixed', 'κόσμε Hello-µ@ßöäüàá-UTF-8!!'],
                            ['U+FFFF', '\uffff'], ['U+10FFFF', String.fromCodePoint(0x10ffff)]])
    add('UTF-8', `valid ${name}`, () => expectEcho([frame(TEXT, utf8(text))], [utf8(text)]));
add('UTF-8', 'valid, a character split across fragments', () => {
    const euro = utf8('€');
    return expectEcho([frame(TEXT, euro.subarray(0, 1), { fin: false }), frame(0, euro.subarray(1))], [euro]);
});
add('UTF-8', 'valid, every byte its own fragment', () => {
    const text = utf8('κόσμε 𝄞');
    const parts = [...text].map((b, i) => frame(i === 0 ? TEXT : 0, bytes(b), { fin: i === text.length - 1 }));
    return expectEcho(parts, [text]);
});
for (const [name, invalid] of [['lone continuation byte', bytes(0x80)], ['overlong slash', bytes(0xc0, 0xaf)],
                               ['overlong NUL', bytes(0xe0, 0x80, 0x80)], ['surrogate U+D800', bytes(0xed, 0xa0, 0x80)],
                               ['past U+10FFFF', bytes(0xf4, 0x90, 0x80, 0x80)], ['0xFE', bytes(0xfe)], ['0xFF', bytes(0xff)],
                               ['truncated at the end', bytes(0x41, 0xe2, 0x82)]])
    add('UTF-8', `invalid: ${name}`, () => expectFailure([frame(TEXT, invalid)], 1007));
add('UTF-8', 'invalid in the second fragment', () => expectFailure([frame(TEXT, 'fine', { fin: false }), frame(0, bytes(0xc0, 0xaf))], 1007));
add('UTF-8', 'invalid: truncated before the last fragment', () =>
    expectFailure([frame(TEXT, bytes(0xe2, 0x82), { fin: false }), frame(0, 'x')], 1007));

// 7 close handling.
add('close', 'empty close', () => expectCloseReply(Buffer.alloc(0)));
add('close', 'close 1000 with a reason', () => expectCloseReply(closePayload(1000, 'bye')));
add('close', 'close 1000 with 123 B of reason', () => expectCloseReply(closePayload(1000, Buffer.alloc(123, 'r'))));
add('close', 'text after the close is ignored', () => expectCloseReply(closePayload(1000), { thenText: true }));
for (const code of [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999])
    add('close', `valid code ${code}`, () => expectCloseReply(closePayload(code)));
add('close', 'close with a 1-byte payload', () => expectFailure([frame(CLOSE, bytes(0x03))], 1002));
for (const code of [0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535])
    add('close', `invalid code ${code}`, () => expectFailure([frame(CLOSE, closePayload(code))], 1002));
add('close', 'close reason not UTF-8', () => expectFailure([frame(CLOSE, closePayload(1000, bytes(0xce, 0xba, 0xe1, 0xbd, 0xb9, 0xcf, 0x83, 0xce, 0xbc, 0xce, 0xb5, 0xed, 0xa0, 0x80, 0x65)))], 1007));

// 9 limits (within the servers' default message limits: 1 MiB).
add('limits', 'text 512 KiB in one frame', () => expectEcho([frame(TEXT, Buffer.alloc(512 * 1024, 'L'))], [Buffer.alloc(512 * 1024, 'L')]));
add('limits', 'binary 512 KiB in 64 KiB fragments', () => {
    const data = crypto.randomBytes(512 * 1024);
    const parts = [];
    for (let at = 0; at < data.length; at += 65536)
        parts.push(frame(at === 0 ? BINARY : 0, data.subarray(at, at + 65536), { fin: at + 65536 >= data.length }));
    return expectEcho(parts, [data], { opcode: BINARY });
});
add('limits', '100 messages in one write, in order', () => {
    const texts = Array.from({ length: 100 }, (_, i) => `message ${i}`);
    return expectEcho([Buffer.concat(texts.map((t) => frame(TEXT, t)))], texts);
});

// Masking (§5.1; not a case of the client-driven suite, which cannot send unmasked frames).
add('masking', 'unmasked text', () => expectFailure([frame(TEXT, 'bare', { masked: false })], 1002));
add('masking', 'unmasked ping', () => expectFailure([frame(PING, 'bare', { masked: false })], 1002));

const results = new Map();
const failures = [];
for (const c of cases) {
    let why;
    try {
        why = await c.run();
    } catch (error) {
        why = `error: ${error.message}`;
    }
    const tally = results.get(c.category) ?? { passed: 0, total: 0 };
    tally.total += 1;
    if (!why) tally.passed += 1;
    else failures.push(`${c.category}: ${c.name}: ${why}`);
    results.set(c.category, tally);
}
for (const line of failures) console.log(`FAILED ${line}`);
const passed = [...results.values()].reduce((sum, t) => sum + t.passed, 0);
const categories = [...results].map(([name, t]) => `${name.replace(/ /g, '_')}:${t.passed}/${t.total}`).join(',');
console.log(`CONFORMANCE passed=${passed} total=${cases.length} categories=${categories}`);
