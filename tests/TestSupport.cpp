#include "TestSupport.h"

#include "eventloop/EpollEventDispatcher.h"

#include <QCoreApplication>
#include <QFile>
#include <QProcess>
#include <QSignalSpy>
#include <QSslSocket>
#include <QTcpSocket>
#include <QTest>
#include <QWebSocket>
#include <QWebSocketHandshakeOptions>

namespace {

// SWITCHBOARD_TEST_DISPATCHER=epoll runs the whole test on EpollEventDispatcher, as the server's
// network thread runs: its io_uring reads and writes (SocketBatch), or with SWITCHBOARD_IO_URING=0
// its plain ones. CTest runs the socket-heavy tests that way too (the *_epoll entries). Installed
// before main(): the QCoreApplication that QTEST_MAIN makes must find it.
const bool g_epollDispatcherInstalled = [] {
    if (qgetenv("SWITCHBOARD_TEST_DISPATCHER") != "epoll")
        return false;
    QCoreApplication::setEventDispatcher(new EpollEventDispatcher);
    return true;
}();

} // namespace

namespace TestSupport {

LogRecord makeRecord(quint64 sequence, LogRecord::Direction direction, LogRecord::Kind kind,
                     const QByteArray &payload, quint64 clientId, const QString &route)
{
    LogRecord record;
    record.sequence = sequence;
    record.timestampMs = 1718000000000 + static_cast<qint64>(sequence);
    record.clientId = clientId;
    record.route = route;
    record.direction = direction;
    record.kind = kind;
    record.payload = payload;
    record.size = payload.size();
    return record;
}

QList<QByteArray> fileLines(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return {};
    QList<QByteArray> lines = file.readAll().split('\n');
    if (!lines.isEmpty() && lines.last().isEmpty())
        lines.removeLast();
    return lines;
}

bool testingQtBackend()
{
    return qgetenv("SWITCHBOARD_TEST_BACKEND") == "qt";
}

std::unique_ptr<Engine> startEngine(ServerConfig config)
{
    config.host = QStringLiteral("127.0.0.1");
    config.port = 0;
    if (testingQtBackend())
        config.websocketBackend = WebSocketBackend::Qt;
    auto engine = std::make_unique<Engine>(config);
    if (!engine->start())
        return nullptr;
    return engine;
}

QByteArray rawExchange(quint16 port, const QByteArray &request, int timeoutMs)
{
    QTcpSocket socket;
    socket.connectToHost(QHostAddress::LocalHost, port);
    if (!socket.waitForConnected(timeoutMs))
        return {};
    socket.write(request);
    QByteArray answer;
    QObject::connect(&socket, &QTcpSocket::readyRead, [&] { answer += socket.readAll(); });
    QSignalSpy closed(&socket, &QTcpSocket::disconnected);
    if (socket.state() == QAbstractSocket::ConnectedState)
        closed.wait(timeoutMs);
    answer += socket.readAll();
    return answer;
}

int statusOf(const QByteArray &response)
{
    if (!response.startsWith("HTTP/1.1 "))
        return -1;
    return response.mid(9, 3).toInt();
}

QByteArray bodyOf(const QByteArray &response)
{
    const int split = response.indexOf("\r\n\r\n");
    return split < 0 ? QByteArray() : response.mid(split + 4);
}

std::unique_ptr<QWebSocket> connectClient(const QUrl &url, const QStringList &subprotocols, const QByteArray &origin)
{
    auto socket = std::make_unique<QWebSocket>(QString::fromUtf8(origin));
    QSignalSpy connected(socket.get(), &QWebSocket::connected);
    QWebSocketHandshakeOptions options;
    options.setSubprotocols(subprotocols);
    socket->open(QNetworkRequest(url), options);
    if (!connected.wait(5000))
        return nullptr;
    return socket;
}

QByteArray upgradeRequest(const QByteArray &path, const QByteArray &extraHeaders)
{
    return "GET " + path + " HTTP/1.1\r\n"
           "Host: 127.0.0.1\r\n"
           "Upgrade: websocket\r\n"
           "Connection: Upgrade\r\n"
           "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
           "Sec-WebSocket-Version: 13\r\n"
           + extraHeaders + "\r\n";
}

QByteArray clientFrameHeader(quint8 firstByte, quint64 payloadLength, FrameMask mask)
{
    QByteArray header;
    header.append(static_cast<char>(firstByte));
    const char maskBit = mask == FrameMask::Masked ? char(0x80) : char(0);
    if (payloadLength < 126) {
        header.append(static_cast<char>(maskBit | char(payloadLength)));
    } else if (payloadLength <= 0xFFFF) {
        header.append(static_cast<char>(maskBit | 126));
        header.append(static_cast<char>(payloadLength >> 8));
        header.append(static_cast<char>(payloadLength & 0xFF));
    } else {
        header.append(static_cast<char>(maskBit | 127));
        for (int shift = 56; shift >= 0; shift -= 8)
            header.append(static_cast<char>((payloadLength >> shift) & 0xFF));
    }
    if (mask == FrameMask::Masked)
        header.append("\x11\x22\x33\x44", 4);
    return header;
}

QByteArray clientFrame(quint8 opcode, const QByteArray &payload, std::optional<quint8> firstByte, FrameMask mask)
{
    QByteArray frame = clientFrameHeader(firstByte.value_or(quint8(0x80 | opcode)), quint64(payload.size()), mask);
    if (mask == FrameMask::Unmasked)
        return frame + payload;
    const QByteArray key = frame.right(4); // a copy: the resize below may move the frame
    const qsizetype start = frame.size();
    frame.resize(start + payload.size());
    for (qsizetype i = 0; i < payload.size(); ++i)
        frame[start + i] = static_cast<char>(payload.at(i) ^ key[i % 4]);
    return frame;
}

std::unique_ptr<QTcpSocket> rawWebSocket(quint16 port, const QByteArray &path, const QByteArray &extraHeaders,
                                         QByteArray *answerHead, RawTransport transport)
{
    std::unique_ptr<QTcpSocket> socket;
    if (transport == RawTransport::Tls) {
        // The handshake needs the server's event loop, which is this thread's: wait with it running.
        auto tls = std::make_unique<QSslSocket>();
        QSignalSpy encrypted(tls.get(), &QSslSocket::encrypted);
        tls->connectToHostEncrypted(QStringLiteral("127.0.0.1"), port);
        if (!encrypted.wait(5000))
            return nullptr;
        socket = std::move(tls);
    } else {
        socket = std::make_unique<QTcpSocket>();
        socket->connectToHost(QHostAddress::LocalHost, port);
        if (!socket->waitForConnected(5000))
            return nullptr;
    }
    socket->write(upgradeRequest(path, extraHeaders));
    // Wait with the event loop running: the server under test lives on this thread. Line by line,
    // so that the frames the server sends after its answer stay in the socket for the test.
    QSignalSpy readable(socket.get(), &QTcpSocket::readyRead);
    QByteArray head;
    while (!head.endsWith("\r\n\r\n")) {
        if (socket->canReadLine()) {
            head += socket->readLine();
        } else if (!readable.wait(5000)) {
            return nullptr;
        }
    }
    if (answerHead)
        *answerHead = head;
    return head.startsWith("HTTP/1.1 101") ? std::move(socket) : nullptr;
}

void expectServed(QWebSocket &client)
{
    QSignalSpy echoed(&client, &QWebSocket::textMessageReceived);
    client.sendTextMessage(QStringLiteral("still served"));
    QVERIFY(echoed.wait(5000));
    QCOMPARE(echoed.first().first().toString(), QStringLiteral("still served"));
}

ProcessRun runToEnd(const QString &program, const QStringList &arguments, const QProcessEnvironment &environment,
                    int timeoutMs)
{
    QProcess process;
    process.setProcessEnvironment(environment);
    process.start(program, arguments);
    ProcessRun run;
    if (!process.waitForFinished(timeoutMs)) {
        process.kill();
        process.waitForFinished();
        return run;
    }
    run.exitCode = process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1;
    run.out = process.readAllStandardOutput();
    run.err = process.readAllStandardError();
    return run;
}

QProcessEnvironment environmentWithoutDisplay()
{
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.remove(QStringLiteral("DISPLAY"));
    env.remove(QStringLiteral("WAYLAND_DISPLAY"));
    env.remove(QStringLiteral("QT_QPA_PLATFORM"));
    return env;
}

quint64 clientIdOnRoute(const Engine &engine, const QString &route)
{
    for (const ClientInfo &info : engine.clients()) {
        if (info.route == route)
            return info.id;
    }
    return 0;
}

bool makeDevCert(const QString &dir, QString *error)
{
    const ProcessRun run = runToEnd(QStringLiteral(SWITCHBOARD_SOURCE_DIR "/scripts/make-dev-cert.sh"), {dir});
    *error = QString::fromLocal8Bit(run.err);
    return run.exitCode == 0;
}

RecordCollector::RecordCollector(Engine *engine) : spy(engine, &Engine::recordsAppended) {}

LogRecordBatch RecordCollector::all()
{
    for (const auto &args : spy)
        seen += args.first().value<LogRecordBatch>();
    spy.clear();
    return seen;
}

bool RecordCollector::has(const std::function<bool(const LogRecord &)> &wanted)
{
    const LogRecordBatch records = all();
    return std::any_of(records.begin(), records.end(), wanted);
}

ClientInfo waitUntilClosed(QSignalSpy &clientsChanged, quint64 id, int timeoutMs)
{
    QElapsedTimer timer;
    timer.start();
    while (timer.elapsed() < timeoutMs) {
        for (const auto &args : clientsChanged) {
            for (const ClientInfo &info : args.first().value<ClientInfoList>()) {
                if ((id == 0 || info.id == id) && info.state == ClientInfo::State::Closed)
                    return info;
            }
        }
        clientsChanged.clear();
        clientsChanged.wait(200);
    }
    return {};
}

} // namespace TestSupport
