#include "ProxyBehaviour.h"

#include <QLoggingCategory>
#include <QSslConfiguration>
#include <QTimer>
#include <QWebSocket>
#include <QWebSocketHandshakeOptions>

Q_LOGGING_CATEGORY(lcProxy, "switchboard.proxy")

namespace {
constexpr int kBadGateway = 1014;
constexpr int kGoingAway = 1001;
constexpr int kNormal = 1000;
constexpr int kNoStatus = 1005;
constexpr int kAbnormal = 1006;
constexpr int kTryAgainLater = 1013;
constexpr int kCloseGraceMs = 5000; // a released upstream that never answers the close is dropped
} // namespace

ProxyBehaviour::ProxyBehaviour(RouteHost &host, Upstream upstream)
    : RouteBehaviour(host), m_config(std::move(upstream))
{
}

ProxyBehaviour::~ProxyBehaviour()
{
    if (m_upstream) {
        QObject::disconnect(m_upstream, nullptr, nullptr, nullptr);
        m_upstream->abort();
        delete m_upstream;
    }
}

void ProxyBehaviour::onOpen(RouteClient &client)
{
    m_client = &client;
    m_upstream = new QWebSocket(m_config.origin);
    m_upstream->setMaxAllowedIncomingMessageSize(64 * 1024 * 1024);
    if (!m_config.extraCa.isEmpty()) {
        QSslConfiguration ssl = QSslConfiguration::defaultConfiguration();
        ssl.addCaCertificates(m_config.extraCa);
        m_upstream->setSslConfiguration(ssl);
    }
    QObject::connect(m_upstream, &QWebSocket::connected, m_upstream, [this] { upstreamConnected(); });
    QObject::connect(m_upstream, &QWebSocket::textMessageReceived, m_upstream, [this](const QString &text) {
        if (!m_done)
            host().sendToClient(*m_client, {false, text.toUtf8()});
    });
    QObject::connect(m_upstream, &QWebSocket::binaryMessageReceived, m_upstream, [this](const QByteArray &data) {
        if (!m_done)
            host().sendToClient(*m_client, {true, data});
    });
    // aboutToClose without our own close(): the upstream sent a close frame.
    QObject::connect(m_upstream, &QWebSocket::aboutToClose, m_upstream, [this] { m_upstreamClosing = true; });
    QObject::connect(m_upstream, &QWebSocket::disconnected, m_upstream, [this] { upstreamGone(); });
    QObject::connect(m_upstream, QOverload<QAbstractSocket::SocketError>::of(&QWebSocket::error), m_upstream, [this](QAbstractSocket::SocketError) {
        qCDebug(lcProxy) << "client" << m_client->id() << "upstream error:" << m_upstream->errorString();
        if (m_upstream->state() != QAbstractSocket::ConnectedState)
            upstreamGone();
    });
    QWebSocketHandshakeOptions options;
    options.setSubprotocols(m_config.subprotocols);
    qCDebug(lcProxy) << "client" << client.id() << "-> upstream" << m_config.request.url();
    m_upstream->open(m_config.request, options);
}

void ProxyBehaviour::onMessage(RouteClient &client, const IncomingMessage &message)
{
    if (m_done)
        return;
    if (m_upstream->state() == QAbstractSocket::ConnectedState) {
        forwardUpstream(message);
        return;
    }
    m_pendingBytes += message.data.size();
    if (m_pendingBytes > kMaxPendingBytes) {
        m_done = true;
        releaseUpstream(kGoingAway, QString());
        host().closeClient(client, kTryAgainLater, QStringLiteral("upstream not ready"));
        return;
    }
    m_pending.append(message);
}

void ProxyBehaviour::onClose(RouteClient &client)
{
    if (m_done)
        return;
    m_done = true;
    int code = client.closeCode();
    QString reason = client.closeReason();
    if (code == kAbnormal || code == 0) { // the client went without a close frame
        code = kGoingAway;
        reason.clear();
    } else if (code == kNoStatus) {
        code = kNormal;
    }
    releaseUpstream(code, reason);
}

void ProxyBehaviour::forwardUpstream(const IncomingMessage &message)
{
    if (message.binary)
        m_upstream->sendBinaryMessage(message.data);
    else
        m_upstream->sendTextMessage(QString::fromUtf8(message.data));
}

void ProxyBehaviour::upstreamConnected()
{
    if (m_done)
        return;
    qCDebug(lcProxy) << "client" << m_client->id() << "upstream open, subprotocol" << m_upstream->subprotocol();
    const QList<IncomingMessage> pending = std::exchange(m_pending, {});
    m_pendingBytes = 0;
    for (const IncomingMessage &message : pending)
        forwardUpstream(message);
}

void ProxyBehaviour::upstreamGone()
{
    if (m_done)
        return;
    m_done = true;
    int code = kBadGateway;
    QString reason = QStringLiteral("upstream: %1").arg(m_upstream->errorString());
    if (m_upstreamClosing) { // a close frame came: its code and reason, exactly
        code = m_upstream->closeCode();
        reason = m_upstream->closeReason();
        if (code == kNoStatus || code == kAbnormal)
            code = kNormal;
    }
    qCDebug(lcProxy) << "client" << m_client->id() << "upstream gone," << code << reason;
    host().closeClient(*m_client, code, reason.left(120));
}

void ProxyBehaviour::releaseUpstream(int code, const QString &reason)
{
    QWebSocket *upstream = std::exchange(m_upstream, nullptr);
    QObject::disconnect(upstream, nullptr, nullptr, nullptr);
    if (upstream->state() == QAbstractSocket::UnconnectedState) {
        upstream->deleteLater();
        return;
    }
    // The close handshake outlives the client: the socket deletes itself when it ends.
    QObject::connect(upstream, &QWebSocket::disconnected, upstream, &QObject::deleteLater);
    QTimer::singleShot(kCloseGraceMs, upstream, [upstream] {
        upstream->abort();
        upstream->deleteLater();
    });
    // Qt takes any code as its CloseCode enum, whose declared range ends at 1015: keep the int and
    // convert only in the call (an enum variable holding 4002 is undefined behaviour).
    if (upstream->state() == QAbstractSocket::ConnectedState) {
        upstream->close(QWebSocketProtocol::CloseCode(code), reason);
    } else { // still shaking hands: close once it is open, so the upstream still hears why
        QObject::connect(upstream, &QWebSocket::connected, upstream,
                         [upstream, code, reason] { upstream->close(QWebSocketProtocol::CloseCode(code), reason); });
        QObject::connect(upstream, QOverload<QAbstractSocket::SocketError>::of(&QWebSocket::error), upstream,
                         &QObject::deleteLater);
    }
}
