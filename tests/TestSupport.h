#pragma once

#include "server/Engine.h"

#include <QByteArray>
#include <QProcessEnvironment>
#include <QSignalSpy>
#include <functional>
#include <QStringList>
#include <QUrl>
#include <memory>
#include <optional>

class QTcpSocket;
class QWebSocket;

namespace TestSupport {

// A started engine on 127.0.0.1 and a free port (on the qt backend when testingQtBackend()).
std::unique_ptr<Engine> startEngine(ServerConfig config = {});

// SWITCHBOARD_TEST_BACKEND=qt: this run is a *_qt CTest variant, its engines on Qt's QWebSocketServer.
// Where Qt 6.4 behaves otherwise by design, the tests say what each backend does (README: "Qt
// WebSockets as a second backend").
bool testingQtBackend();

// Sends raw bytes and returns everything the server answered until it closed the connection.
QByteArray rawExchange(quint16 port, const QByteArray &request, int timeoutMs = 10000);

// The status code of an HTTP answer ("HTTP/1.1 404 Not Found..." -> 404), or -1.
int statusOf(const QByteArray &response);
QByteArray bodyOf(const QByteArray &response);

// A QWebSocket connected to url (with optional subprotocols); null when it did not connect.
std::unique_ptr<QWebSocket> connectClient(const QUrl &url, const QStringList &subprotocols = {},
                                          const QByteArray &origin = {});

// A well-formed upgrade request head for path, with extra header lines appended.
QByteArray upgradeRequest(const QByteArray &path, const QByteArray &extraHeaders = {});

// Whether a client frame carries the mask key clients must send (RFC 6455 §5.3).
enum class FrameMask { Masked, Unmasked };

// The header of a client frame: firstByte (FIN, RSV1-3, opcode), the shortest length form for
// payloadLength, then the mask key 11 22 33 44 unless Unmasked. Alone it announces a payload that
// never has to be sent (a huge frame's header, a length with its top bit set).
QByteArray clientFrameHeader(quint8 firstByte, quint64 payloadLength, FrameMask mask = FrameMask::Masked);

// A client frame as RFC 6455 wants one: FIN set, masked, any payload length. To break the rules on
// purpose, firstByte replaces the first byte (0xC1: RSV1 set; 0x01: text without FIN) and
// Unmasked sends the payload as it is, without mask key.
QByteArray clientFrame(quint8 opcode, const QByteArray &payload, std::optional<quint8> firstByte = std::nullopt,
                       FrameMask mask = FrameMask::Masked);

// A raw TCP client that completed the upgrade to path (extraHeaders added to the request) and then
// does exactly what the test says; null when the server did not answer 101. *answerHead gets the
// server's answer head; whatever the server sent after it stays unread in the socket.
// Tls: a QSslSocket that trusts what QSslConfiguration::defaultConfiguration() trusts.
enum class RawTransport { Plain, Tls };
std::unique_ptr<QTcpSocket> rawWebSocket(quint16 port, const QByteArray &path, const QByteArray &extraHeaders = {},
                                         QByteArray *answerHead = nullptr, RawTransport transport = RawTransport::Plain);

// Sends a text message and expects it back within 5 s (for a client on an echo route).
void expectServed(QWebSocket &client);

// A program run to its end: exit code (-1 when it crashed or was killed at the timeout) and output.
struct ProcessRun
{
    int exitCode = -1;
    QByteArray out;
    QByteArray err;
};
ProcessRun runToEnd(const QString &program, const QStringList &arguments,
                    const QProcessEnvironment &environment = QProcessEnvironment::systemEnvironment(),
                    int timeoutMs = 20000);

// The environment of a machine without a display (for the switchboard binary).
QProcessEnvironment environmentWithoutDisplay();

// The id of the first client the engine lists on route, 0 when there is none.
quint64 clientIdOnRoute(const Engine &engine, const QString &route);

// Runs scripts/make-dev-cert.sh: dir/cert.pem and dir/key.pem for 127.0.0.1 and localhost.
// False (with the script's complaint in *error) when it failed.
bool makeDevCert(const QString &dir, QString *error);

// A log record as the engine would make one: timestamp derived from the sequence, the payload's
// size as its size.
LogRecord makeRecord(quint64 sequence, LogRecord::Direction direction, LogRecord::Kind kind,
                     const QByteArray &payload = {}, quint64 clientId = 1,
                     const QString &route = QStringLiteral("/ws"));

// A file's lines without their '\n' (no empty last line); empty when it cannot be read.
QList<QByteArray> fileLines(const QString &path);

// Collects every record the engine emits, across batches.
struct RecordCollector
{
    explicit RecordCollector(Engine *engine);
    LogRecordBatch all();
    bool has(const std::function<bool(const LogRecord &)> &wanted);

    QSignalSpy spy;
    LogRecordBatch seen;
};

// Waits (event loop running) until the engine reports a client closed (any client when id is 0)
// and returns its last snapshot; a default ClientInfo when none closed within timeoutMs.
ClientInfo waitUntilClosed(QSignalSpy &clientsChanged, quint64 id = 0, int timeoutMs = 10000);

} // namespace TestSupport
