#pragma once

#include "EventFilter.h"
#include "EventLog.h"

#include <QList>
#include <QObject>
#include <QTimer>
#include <memory>

class QTcpSocket;
class RouteTable;
class WebSocketEndpoint;
struct HttpRequestHead;

// The server's own bounded log (--log-capacity records, --log-payload-cap bytes of payload each,
// in the dashboard and headless alike) and everyone following it: GET /api/events as Server-Sent
// Events, the WebSocket /api/events, and the pages of GET /api/log.
//
// The ring is the only queue. Each subscriber holds a cursor (the next sequence number it has to
// look at) and is written to only while its socket holds less than kHighWaterBytes; a subscriber
// too slow to keep up is not dropped: the records that left the ring before it read them are
// skipped and it gets a gap marker ({"gap":{"from":A,"to":B}}) instead. So a slow reader costs at
// most kHighWaterBytes (plus one record) and never grows the server.
class EventStreams : public QObject
{
    Q_OBJECT
public:
    static constexpr qint64 kHighWaterBytes = 256 * 1024;
    static constexpr int kDefaultPageLimit = 1000;
    static constexpr int kMaxPageLimit = 10000;
    static constexpr qint64 kMaxPageBytes = 8 * 1024 * 1024;
    // A follower that got nothing for this long gets a keepalive (SSE: a ": keepalive" comment
    // line; WebSocket: a ping), so proxies do not cut an idle stream.
    // SWITCHBOARD_EVENTS_KEEPALIVE_MS sets another interval.
    static constexpr int kDefaultKeepaliveMs = 15000;

    EventStreams(const RouteTable &routes, int capacity, int payloadCap, qint64 maxBytes, QObject *parent = nullptr);
    ~EventStreams() override;

    // Follows `log` from now on (the one the engine before this one kept: sequence numbers go on
    // from there), with this engine's capacity and payload cap.
    void shareLog(std::shared_ptr<EventLog> log, int capacity, int payloadCap, qint64 maxBytes);
    std::shared_ptr<EventLog> log() const { return m_log; }

    // The filter and the sequence number to resume after (Last-Event-ID, else ?since=; without
    // either, *since is the newest record's: only new records follow). False with *error.
    bool readRequest(const HttpRequestHead &head, EventFilter *filter, quint64 *since, QString *error) const;

    // Records as the engine batches them (every ~50 ms): numbered, kept, and passed on to every
    // subscriber (of every engine sharing the log).
    void append(LogRecordBatch &records) { m_log->append(records); }
    const LogStore &store() const { return m_log->store(); }

    // A GET /api/events whose stream head is written: the socket is ours from now on.
    void addEventSource(QTcpSocket *socket, const HttpRequestHead &head);
    // An upgraded WebSocket on /api/events: one text message per record.
    void addWebSocket(WebSocketEndpoint *connection, const HttpRequestHead &head);
    int subscriberCount() const { return static_cast<int>(m_subscribers.size()); }
    // Ends every stream (the server stops): WebSockets get code and reason.
    void closeAll(int code, const QString &reason);

    // One page of GET /api/log: the records after `since` that match, at most `limit` of them and
    // about kMaxPageBytes, as a JSON object (see the README's Admin API section).
    QByteArray page(const EventFilter &filter, quint64 since, int limit) const;

    class Subscriber;

private:
    void add(Subscriber *subscriber);
    void pump(Subscriber *subscriber);
    void remove(Subscriber *subscriber);
    void pumpAll();
    void keepAlive();
    void follow(std::shared_ptr<EventLog> log);

    const RouteTable &m_routes;
    std::shared_ptr<EventLog> m_log;
    int m_listenerId = 0;
    QList<Subscriber *> m_subscribers; // children of this object
    QTimer m_keepalive; // runs while anyone follows
};
