#pragma once

#include <QByteArray>
#include <QString>

class QObject;

// A message as it arrived: text keeps both forms so echo and logs never convert twice.
struct IncomingMessage
{
    bool binary = false;
    QByteArray data; // UTF-8 of text messages, or the binary payload
};

// The client a behaviour serves, as routes see it. The server's session implements it; routes
// never see the server's types, so a behaviour can be written and tested without app/server.
class RouteClient
{
public:
    virtual quint64 id() const = 0;
    // An object that lives exactly as long as the client: the context of the connections and
    // timers a behaviour makes for it, so none outlives it.
    virtual QObject *lifetime() = 0;
    // How the connection ended, once it has (1005 until then; 1006 for a drop).
    virtual int closeCode() const = 0;
    virtual QString closeReason() const = 0;
    // Bytes queued to the client and not yet written.
    virtual qint64 writeBacklog() const = 0;
    // Stops or resumes reading the client's messages (backpressure); see ByteTransport::pauseReading().
    virtual void pauseReading(bool paused) = 0;

protected:
    ~RouteClient() = default;
};

// What a route behaviour may ask of the engine that hosts it. The clients passed in are the
// ones the host handed to the behaviour.
class RouteHost
{
public:
    virtual ~RouteHost() = default;
    // Sends to one client and records it as an outgoing message.
    virtual void sendToClient(RouteClient &client, const IncomingMessage &message) = 0;
    // Sends to every open client in the room and records one broadcast record.
    virtual int broadcastToRoom(const QString &room, const IncomingMessage &message) = 0;
    virtual void joinRoom(RouteClient &client, const QString &room) = 0;
    virtual void leaveRoom(RouteClient &client) = 0;
    // Starts the closing handshake with the client (any valid code, the reason as given).
    virtual void closeClient(RouteClient &client, int code, const QString &reason) = 0;

    // Proxy routes: the second leg. A message sent to the client on the upstream's behalf
    // (detail: how long the proxy held it, or "injected"); by default a plain send.
    virtual void relayToClient(RouteClient &client, const IncomingMessage &message, const QString &detail)
    {
        (void)detail;
        sendToClient(client, message);
    }
    // A message on the upstream leg: sent to it (toUpstream) or received from it, for the log.
    virtual void upstreamMessage(RouteClient &client, bool toUpstream, const IncomingMessage &message,
                                 const QString &detail)
    {
        (void)client;
        (void)toUpstream;
        (void)message;
        (void)detail;
    }
    enum class UpstreamState { Connecting, Open, Closed };
    // The upstream leg changed state (detail: why it closed), for the clients table and the log.
    virtual void upstreamChanged(RouteClient &client, const QString &url, UpstreamState state, const QString &detail)
    {
        (void)client;
        (void)url;
        (void)state;
        (void)detail;
    }
    // The client's held messages or what it holds changed (intercept), for the clients table.
    virtual void heldChanged(RouteClient &client) { (void)client; }
};

// The lifecycle of one client on one route, in the shape users know from Hono's
// upgradeWebSocket: on open, on message, on close, on error. One instance per session.
class RouteBehaviour
{
public:
    explicit RouteBehaviour(RouteHost &host) : m_host(host) {}
    virtual ~RouteBehaviour() = default;
    RouteBehaviour(const RouteBehaviour &) = delete;
    RouteBehaviour &operator=(const RouteBehaviour &) = delete;

    virtual void onOpen(RouteClient &client) { (void)client; }
    virtual void onMessage(RouteClient &client, const IncomingMessage &message)
    {
        (void)client;
        (void)message;
    }
    virtual void onClose(RouteClient &client) { (void)client; }
    // Bytes queued to the client went out.
    virtual void onWritten(RouteClient &client) { (void)client; }
    virtual void onError(RouteClient &client, const QString &error)
    {
        (void)client;
        (void)error;
    }

protected:
    RouteHost &host() const { return m_host; }

private:
    RouteHost &m_host;
};
