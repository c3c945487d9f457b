#!/usr/bin/python3
"""Drives a real switchboard process with Debian's python3-websockets (asyncio API, 10.x).

Run with Debian's interpreter (the python3 on PATH may be another build that cannot see it):
    SWITCHBOARD_BIN=build/web/bin/switchboard /usr/bin/python3 tests/clients/python_websockets_test.py
With SWITCHBOARD_TLS=1 the same checks run over wss, against a certificate made by
scripts/make-dev-cert.sh that the client trusts through an ssl context.
Exits 0 only when every check passed.
"""

import asyncio
import collections
import os
import re
import secrets
import json
import signal
import ssl
import subprocess
import sys
import tempfile
import time
import traceback

try:
    import websockets
    from websockets.exceptions import ConnectionClosed, InvalidStatusCode
except ImportError as error:  # pragma: no cover - environment problem, reported plainly
    print(f"python_websockets_test: cannot import websockets ({error}).")
    print("Run it with Debian's /usr/bin/python3 and `apt-get install python3-websockets`.")
    sys.exit(1)

OVERALL_TIMEOUT = 60.0
WAIT = 5.0
LISTEN_LINE = re.compile(r"^Listening on (https?)://127\.0\.0\.1:(\d+)/?$")
TLS = os.environ.get("SWITCHBOARD_TLS") == "1"
MAKE_DEV_CERT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts", "make-dev-cert.sh")


class Server:
    """One `switchboard --headless --port 0` child process."""

    def __init__(self):
        self.tls_args = []
        self.proc = None
        self.port = None
        self.ws_url = None
        self.output = collections.deque(maxlen=400)
        self._drains = []

    async def start(self):
        binary = os.environ.get("SWITCHBOARD_BIN")
        if not binary:
            raise RuntimeError("SWITCHBOARD_BIN is not set: point it at the built switchboard executable")
        env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
        # SWITCHBOARD_WEBSOCKET_BACKEND=qt: the *_qt CTest variants run on Qt's QWebSocketServer.
        backend = os.environ.get("SWITCHBOARD_WEBSOCKET_BACKEND")
        backend_args = ["--websocket-backend", backend] if backend else []
        self.proc = await asyncio.create_subprocess_exec(
            binary, "--headless", "--host", "127.0.0.1", "--port", "0", *self.tls_args, *backend_args,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=env,
        )
        raw = await asyncio.wait_for(self.proc.stdout.readline(), 15)
        line = raw.decode("utf-8", "replace").rstrip("\r\n")
        self._drains = [
            asyncio.ensure_future(self._drain(self.proc.stdout, "stdout")),
            asyncio.ensure_future(self._drain(self.proc.stderr, "stderr")),
        ]
        match = LISTEN_LINE.match(line)
        if not match:
            raise RuntimeError(f"unexpected first stdout line {line!r} "
                               "(want 'Listening on http(s)://127.0.0.1:PORT')")
        self.port = int(match.group(2))
        self.scheme = match.group(1)
        self.ws_url = f"{'wss' if self.scheme == 'https' else 'ws'}://127.0.0.1:{self.port}"

    async def _drain(self, stream, name):
        while True:
            line = await stream.readline()
            if not line:
                return
            self.output.append(f"[{name}] {line.decode('utf-8', 'replace').rstrip()}")

    async def stop(self):
        """SIGTERM, then the exit code."""
        if self.proc.returncode is None:
            self.proc.send_signal(signal.SIGTERM)
        return await asyncio.wait_for(self.proc.wait(), WAIT * 2)

    async def kill(self):
        if self.proc is not None and self.proc.returncode is None:
            self.proc.kill()
            await self.proc.wait()
        for task in self._drains:
            task.cancel()


server = Server()
trust = None  # with TLS: an ssl context that trusts the development certificate


def connect(path, **kwargs):
    if trust is not None:
        kwargs.setdefault("ssl", trust)
    return websockets.connect(f"{server.ws_url}{path}", open_timeout=WAIT, close_timeout=WAIT, **kwargs)


async def recv(ws, what="a message"):
    try:
        return await asyncio.wait_for(ws.recv(), WAIT)
    except asyncio.TimeoutError:
        raise AssertionError(f"timed out after {WAIT} s waiting for {what}") from None


async def refused_status(path, **kwargs):
    try:
        async with connect(path, **kwargs) as ws:
            raise AssertionError(f"handshake on {path} succeeded (subprotocol {ws.subprotocol!r}), "
                                 "expected a refusal")
    except InvalidStatusCode as error:
        return error.status_code


# ---------------------------------------------------------------------------- checks

async def check_echo_text():
    async with connect("/ws") as ws:
        for text in ["hello from python", "", "ünïcødé ✓ 🐍"]:
            await ws.send(text)
            got = await recv(ws, "the echo")
            assert isinstance(got, str), f"text came back as {type(got).__name__}"
            assert got == text, f"echo {got!r} != {text!r}"


async def check_echo_binary():
    async with connect("/ws") as ws:
        for data in [bytes([0xDE, 0xAD, 0xBE, 0xEF, 0x00, 0xFF]), os.urandom(64 * 1024)]:
            await ws.send(data)
            got = await recv(ws, "the binary echo")
            assert isinstance(got, bytes), f"binary came back as {type(got).__name__}"
            assert got == data, f"binary echo differs ({len(got)} bytes back, {len(data)} sent)"


async def check_subprotocols():
    async with connect("/ws", subprotocols=["wamp", "soap"]) as ws:
        assert ws.subprotocol == "wamp", f"negotiated {ws.subprotocol!r}, want 'wamp' (client order)"
    async with connect("/ws", subprotocols=["mqtt", "chat"]) as ws:
        assert ws.subprotocol == "chat", f"negotiated {ws.subprotocol!r}, want 'chat'"
    status = await refused_status("/ws", subprotocols=["mqtt"])
    assert status == 400, f"only-unsupported offer answered {status}, want 400"


async def check_chat_rooms():
    room = f"py-{secrets.token_hex(4)}"
    async with connect(f"/chat/{room}") as a, connect(f"/chat/{room}") as b, \
            connect(f"/chat/{room}-other") as c:
        hello = f"hello from a {secrets.token_hex(4)}"
        await a.send(hello)
        assert await recv(a, "a's own message") == hello, "the sender gets its message too"
        assert await recv(b, "a's message at b") == hello, "b (same room) gets a's message"
        # No sleep: the server handled a's message before c's marker, so a leak into c's room
        # would reach c before its own marker comes back.
        marker = f"marker from c {secrets.token_hex(4)}"
        await c.send(marker)
        first = await recv(c, "c's marker")
        assert first == marker, f"c heard {first!r} first: rooms are not isolated"
        await b.send(b"\x01\x02binary")
        assert await recv(a, "b's binary at a") == b"\x01\x02binary", "binary chat reaches the room"
        assert await recv(b, "b's binary at b") == b"\x01\x02binary"


def count_received(ws):
    """Counts the bytes the connection reads from now on (its wire size, compressed or not)."""
    counter = {"bytes": 0}
    original = ws.data_received

    def data_received(data):
        counter["bytes"] += len(data)
        original(data)

    ws.data_received = data_received
    return counter


def compressible_json(size, tag):
    items = []
    while len(repr(items)) < size:
        items.append({"id": len(items), "tag": tag, "user": "bob", "text": "hello there"})
    return json.dumps(items)


async def check_deflate():
    # websockets offers permessage-deflate by default; the server answers without context takeover.
    # The qt backend declines it (Qt 6.4's QWebSocket has no permessage-deflate): the same messages
    # then travel uncompressed.
    qt = os.environ.get("SWITCHBOARD_WEBSOCKET_BACKEND") == "qt"
    room = f"/chat/py-deflate-{secrets.token_hex(4)}"
    async with connect("/ws") as ws, connect(room) as a, connect(room) as b:
        for conn in (ws, a, b):
            answer = conn.response_headers.get("Sec-WebSocket-Extensions")
            want = None if qt else "permessage-deflate; server_no_context_takeover; client_no_context_takeover"
            assert answer == want, f"extensions answer {answer!r}"
        counters = {id(c): count_received(c) for c in (ws, a, b)}
        text = compressible_json(32 * 1024, "py")
        for payload in (text, text.encode()):
            await ws.send(payload)
            got = await recv(ws, "the compressed echo")
            assert got == payload, "the echo differs"
            await a.send(payload)
            for member in (a, b):
                assert await recv(member, "the compressed chat message") == payload, "the chat message differs"
        for conn in (ws, a, b):
            wire = counters[id(conn)]["bytes"]
            if qt:
                assert wire >= 2 * len(text), f"{wire} bytes read for {2 * len(text)} bytes of messages: compressed?"
            else:
                assert wire < len(text) // 2, f"{wire} bytes read for {2 * len(text)} bytes of messages: not compressed"
    async with connect("/ws", compression=None) as ws:
        assert ws.response_headers.get("Sec-WebSocket-Extensions") is None, "answered an extension nobody offered"
        await ws.send(text)
        assert await recv(ws, "the plain echo") == text


async def check_unknown_path_and_origin():
    status = await refused_status("/nope")
    assert status == 404, f"/nope answered {status}, want 404"
    status = await refused_status("/ws", origin=f"{server.scheme}://evil.example")
    assert status == 403, f"foreign Origin answered {status}, want 403"
    for host in ("127.0.0.1", "localhost"):
        async with connect("/ws", origin=f"{server.scheme}://{host}:{server.port}") as ws:
            await ws.send("same origin")
            assert await recv(ws) == "same origin"


async def check_tls_refusals_disturb_nobody():
    async with connect("/ws") as served:
        try:  # the default context does not know the self-signed certificate
            async with connect("/ws", ssl=ssl.create_default_context()):
                raise AssertionError("a client that does not trust the certificate got through")
        except ssl.SSLCertVerificationError as error:
            assert "self-signed" in str(error) or "self signed" in str(error), str(error)
        try:
            async with websockets.connect(f"ws://127.0.0.1:{server.port}/ws", open_timeout=WAIT):
                raise AssertionError("plain ws:// got through on the TLS port")
        except (ConnectionClosed, EOFError, OSError, websockets.exceptions.InvalidMessage):
            pass
        await served.send("still served")
        assert await recv(served) == "still served"


async def check_sigterm_closes_with_1001():
    clients = [await connect(path) for path in ("/ws", "/chat/lobby", "/operator")]
    try:
        exit_code = await server.stop()
        for ws, path in zip(clients, ("/ws", "/chat/lobby", "/operator")):
            try:
                message = await recv(ws, f"the close on {path}")
                raise AssertionError(f"{path}: got {message!r} instead of a close")
            except ConnectionClosed as closed:
                code = closed.rcvd.code if closed.rcvd is not None else None
                reason = closed.rcvd.reason if closed.rcvd is not None else None
                assert code == 1001, f"{path}: close code {code} (reason {reason!r}), want 1001 Going Away"
        assert exit_code == 0, f"switchboard exited with {exit_code}, want 0"
    finally:
        for ws in clients:
            await ws.close()


CHECKS = [
    ("echo text on /ws", check_echo_text),
    ("echo binary on /ws", check_echo_binary),
    ("subprotocol negotiation (client order, 400 for only-unsupported)", check_subprotocols),
    ("chat rooms deliver to the room and stay isolated", check_chat_rooms),
    ("permessage-deflate: compressed echo and chat both ways", check_deflate),
    ("404 for an unknown path, 403 for a foreign Origin", check_unknown_path_and_origin),
    *([("TLS: distrusting and plain ws:// clients fail alone", check_tls_refusals_disturb_nobody)] if TLS else []),
    ("SIGTERM closes clients with 1001 and exits 0", check_sigterm_closes_with_1001),
]


async def main():
    global trust
    passed, failed = 0, 0
    cert_dir = tempfile.TemporaryDirectory(prefix="switchboard-cert-")
    try:
        if TLS:
            subprocess.run([MAKE_DEV_CERT, cert_dir.name], check=True, capture_output=True, timeout=30)
            cert = os.path.join(cert_dir.name, "cert.pem")
            server.tls_args = ["--tls-cert", cert, "--tls-key", os.path.join(cert_dir.name, "key.pem")]
            trust = ssl.create_default_context(cafile=cert)
        await server.start()
        if TLS and not server.ws_url.startswith("wss://"):
            raise RuntimeError(f"TLS is on but the server listens on {server.ws_url}")
        print(f"# switchboard listening on {server.ws_url} (pid {server.proc.pid}), "
              f"websockets {websockets.__version__}")
        for name, check in CHECKS:
            started = time.monotonic()
            try:
                await asyncio.wait_for(check(), 15)
            except Exception as error:  # noqa: BLE001 - every failure is reported the same way
                failed += 1
                detail = "timed out after 15 s" if isinstance(error, asyncio.TimeoutError) else str(error)
                print(f"FAIL {name}: {type(error).__name__}: {detail}")
                if not isinstance(error, AssertionError):
                    traceback.print_exc()
            else:
                passed += 1
                print(f"ok   {name} ({(time.monotonic() - started) * 1000:.0f} ms)")
    except Exception as error:  # noqa: BLE001
        failed += 1
        print(f"FAIL starting switchboard: {error}")
    finally:
        if failed and server.output:
            print("--- switchboard output (tail) ---")
            print("\n".join(server.output))
        await server.kill()
        cert_dir.cleanup()
    return passed, failed


def run():
    try:
        passed, failed = asyncio.run(asyncio.wait_for(main(), OVERALL_TIMEOUT))
    except asyncio.TimeoutError:
        print(f"FAIL overall timeout of {OVERALL_TIMEOUT:.0f} s")
        if server.proc is not None and server.proc.returncode is None:
            server.proc.kill()
        passed, failed = 0, 1
    print(f"python_websockets_test: {passed} passed, {failed} failed")
    return 0 if failed == 0 and passed == len(CHECKS) else 1


if __name__ == "__main__":
    sys.exit(run())
