#pragma once

#include "RouteBehaviour.h"

#include <QList>
#include <QNetworkRequest>
#include <QPointer>
#include <QSslCertificate>
#include <QStringList>

class QWebSocket;

// A route that stands between the client and a real WebSocket server: one upstream QWebSocket per
// client, messages relayed both ways with their kind and boundaries, close codes passed through.
class ProxyBehaviour : public RouteBehaviour
{
public:
    struct Upstream
    {
        QNetworkRequest request;      // URL resolved (params, query) and headers to pass on
        QStringList subprotocols;     // the client's offer, passed upstream
        QString origin;               // sent as Origin
        QList<QSslCertificate> extraCa; // trusted besides the system's (--upstream-ca)
    };
    // Bytes of client messages kept while the upstream handshake is under way; past it the
    // client is closed with 1013 (Try Again Later).
    static constexpr qint64 kMaxPendingBytes = 32 * 1024 * 1024;

    ProxyBehaviour(RouteHost &host, Upstream upstream);
    ~ProxyBehaviour() override;

    void onOpen(RouteClient &client) override;
    void onMessage(RouteClient &client, const IncomingMessage &message) override;
    void onClose(RouteClient &client) override;

private:
    void forwardUpstream(const IncomingMessage &message);
    void upstreamConnected();
    void upstreamGone();
    void releaseUpstream(int code, const QString &reason);

    Upstream m_config;
    RouteClient *m_client = nullptr;
    QWebSocket *m_upstream = nullptr; // owned until released
    QList<IncomingMessage> m_pending;
    qint64 m_pendingBytes = 0;
    bool m_upstreamClosing = false; // the upstream sent a close frame
    bool m_done = false;            // one side has ended the pair
};
