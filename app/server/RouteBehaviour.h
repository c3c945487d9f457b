#pragma once

#include <QByteArray>
#include <QString>

class ClientSession;

// A message as it arrived: text keeps both forms so echo and logs never convert twice.
struct IncomingMessage
{
    bool binary = false;
    QByteArray data; // UTF-8 of text messages, or the binary payload
};

// What a route behaviour may ask of the engine that hosts it.
class RouteHost
{
public:
    virtual ~RouteHost() = default;
    // Sends to one client and records it as an outgoing message.
    virtual void sendToClient(ClientSession *session, const IncomingMessage &message) = 0;
    // Sends to every open client in the room and records one broadcast record.
    virtual int broadcastToRoom(const QString &room, const IncomingMessage &message) = 0;
    virtual void joinRoom(ClientSession *session, const QString &room) = 0;
    virtual void leaveRoom(ClientSession *session) = 0;
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

    virtual void onOpen(ClientSession &session) { (void)session; }
    virtual void onMessage(ClientSession &session, const IncomingMessage &message)
    {
        (void)session;
        (void)message;
    }
    virtual void onClose(ClientSession &session) { (void)session; }
    virtual void onError(ClientSession &session, const QString &error)
    {
        (void)session;
        (void)error;
    }

protected:
    RouteHost &host() const { return m_host; }

private:
    RouteHost &m_host;
};
