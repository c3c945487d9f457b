#include "EventStreams.h"

#include "../http/HttpRequestHead.h"
#include "../log/LogRecordJson.h"
#include "RouteTable.h"
#include "../websocket/OutgoingMessage.h"
#include "../websocket/WebSocketEndpoint.h"

#include <QLoggingCategory>
#include <QSslSocket>
#include <QTcpSocket>
#include <functional>

Q_LOGGING_CATEGORY(lcEvents, "switchboard.events")

// One follower of the log: where it is in the ring, what it wants, and how to reach it.
class EventStreams::Subscriber : public QObject
{
public:
    EventFilter filter;
    quint64 next = 1; // the next sequence number to look at
    std::function<void()> writable; // its socket has room again
    std::function<void()> ended;    // its socket is gone

    virtual qint64 queuedBytes() const = 0;
    // json: one record line as LogRecordJson writes it, without its newline.
    virtual void writeRecord(quint64 sequence, const QByteArray &json) = 0;
    virtual void writeGap(quint64 from, quint64 to) = 0;
    virtual void flush() {}
    virtual void close(int code, const QString &reason) = 0;
    // Nothing went out for a keepalive interval: say something a proxy sees as traffic.
    virtual void keepAlive() = 0;

    bool wroteSinceKeepalive = false;

protected:
    static QByteArray gapJson(quint64 from, quint64 to)
    {
        return "{\"gap\":{\"from\":" + QByteArray::number(from) + ",\"to\":" + QByteArray::number(to) + "}}";
    }
};

namespace {

// text/event-stream (WHATWG HTML §9.2): "id:" carries the sequence number, so a reconnecting
// EventSource sends it back as Last-Event-ID.
class EventSourceSubscriber : public EventStreams::Subscriber
{
public:
    explicit EventSourceSubscriber(QTcpSocket *socket) : m_socket(socket)
    {
        socket->setParent(this);
        m_tls = qobject_cast<QSslSocket *>(socket);
        connect(socket, &QTcpSocket::bytesWritten, this, [this] { writable(); });
        if (m_tls)
            connect(m_tls, &QSslSocket::encryptedBytesWritten, this, [this] { writable(); });
        connect(socket, &QTcpSocket::disconnected, this, [this] { ended(); });
        // Anything the client sends after its request means nothing here.
        connect(socket, &QTcpSocket::readyRead, socket, [socket] { socket->readAll(); });
    }

    qint64 queuedBytes() const override
    {
        return m_socket->bytesToWrite() + (m_tls ? m_tls->encryptedBytesToWrite() : 0);
    }
    void writeRecord(quint64 sequence, const QByteArray &json) override
    {
        m_socket->write("id: " + QByteArray::number(sequence) + "\ndata: " + json + "\n\n");
    }
    void writeGap(quint64 from, quint64 to) override
    {
        m_socket->write("event: gap\ndata: " + gapJson(from, to) + "\n\n");
    }
    void close(int, const QString &) override { m_socket->disconnectFromHost(); }
    // A comment line: EventSource ignores it.
    void keepAlive() override { m_socket->write(": keepalive\n\n"); }

private:
    QTcpSocket *m_socket;
    QSslSocket *m_tls = nullptr;
};

class WebSocketSubscriber : public EventStreams::Subscriber, private WebSocketEndpoint::Handler
{
public:
    explicit WebSocketSubscriber(WebSocketEndpoint *connection) : m_connection(connection)
    {
        connection->setParent(this);
        connection->setHandler(this);
    }
    // The connection (a child) outlives this part of the object: it must not call back into it.
    ~WebSocketSubscriber() override { m_connection->setHandler(nullptr); }
    void start() { m_connection->start(); }

    qint64 queuedBytes() const override { return m_connection->bytesToWrite(); }
    void writeRecord(quint64, const QByteArray &json) override { send(json); }
    void writeGap(quint64 from, quint64 to) override { send(gapJson(from, to)); }
    void flush() override { m_connection->flush(); }
    void keepAlive() override
    {
        m_connection->ping();
        m_connection->flush();
    }
    void close(int code, const QString &reason) override
    {
        if (m_connection->state() == WebSocketEndpoint::State::Open)
            m_connection->close(code, reason);
    }

private:
    // What the follower sends is not read: the stream goes one way.
    void onTextMessage(const QByteArray &) override {}
    void onBinaryMessage(const QByteArray &) override {}
    void onPong(qint64) override {}
    void onClosing(WebSocketEndpoint::CloseInitiator) override {}
    void onBytesWritten() override { writable(); }
    void onOutgoingBudgetExceeded() override {} // queuedBytes() is checked before every record
    void onFailed(const QString &) override {}
    void onDisconnected() override { ended(); }

    void send(const QByteArray &json)
    {
        OutgoingMessage message(false, json);
        m_connection->queueMessage(message);
    }

    WebSocketEndpoint *m_connection;
};

QByteArray recordJson(const LogRecord &record)
{
    QByteArray line = LogRecordJson::toLine(record);
    line.chop(1); // the newline
    return line;
}

bool readSequence(const QByteArray &text, quint64 *sequence)
{
    bool ok = false;
    *sequence = text.trimmed().toULongLong(&ok);
    return ok;
}

} // namespace

EventStreams::EventStreams(const RouteTable &routes, int capacity, int payloadCap, qint64 maxBytes, QObject *parent)
    : QObject(parent), m_routes(routes)
{
    follow(std::make_shared<EventLog>(capacity, payloadCap, maxBytes));
    bool ok = false;
    const int keepaliveMs = qEnvironmentVariableIntValue("SWITCHBOARD_EVENTS_KEEPALIVE_MS", &ok);
    m_keepalive.setInterval(ok && keepaliveMs > 0 ? keepaliveMs : kDefaultKeepaliveMs);
    connect(&m_keepalive, &QTimer::timeout, this, &EventStreams::keepAlive);
}

void EventStreams::keepAlive()
{
    for (Subscriber *subscriber : std::as_const(m_subscribers)) {
        if (!subscriber->wroteSinceKeepalive && subscriber->queuedBytes() == 0)
            subscriber->keepAlive();
        subscriber->wroteSinceKeepalive = false;
    }
}

EventStreams::~EventStreams()
{
    m_log->removeListener(m_listenerId);
}

void EventStreams::follow(std::shared_ptr<EventLog> log)
{
    if (m_log)
        m_log->removeListener(m_listenerId);
    m_log = std::move(log);
    m_listenerId = m_log->addListener([this] { pumpAll(); });
}

void EventStreams::shareLog(std::shared_ptr<EventLog> log, int capacity, int payloadCap, qint64 maxBytes)
{
    if (log->store().capacity() != capacity)
        log->store().setCapacity(capacity);
    log->store().setMaxBytes(maxBytes);
    log->store().setPayloadCap(payloadCap);
    follow(std::move(log));
}

bool EventStreams::readRequest(const HttpRequestHead &head, EventFilter *filter, quint64 *since, QString *error) const
{
    if (!filter->parse(head.query, m_routes, error))
        return false;
    *since = m_log->lastSequence();
    if (head.hasHeader("last-event-id")) {
        if (!readSequence(head.header("last-event-id"), since)) {
            *error = QStringLiteral("Last-Event-ID must be a record's sequence number");
            return false;
        }
    } else if (head.query.hasQueryItem(QStringLiteral("since"))) {
        if (!readSequence(head.query.queryItemValue(QStringLiteral("since")).toLatin1(), since)) {
            *error = QStringLiteral("since= must be a record's sequence number (0: everything kept)");
            return false;
        }
    }
    return true;
}

void EventStreams::pumpAll()
{
    for (Subscriber *subscriber : std::as_const(m_subscribers))
        pump(subscriber);
}

void EventStreams::addEventSource(QTcpSocket *socket, const HttpRequestHead &head)
{
    auto *subscriber = new EventSourceSubscriber(socket);
    quint64 since = 0;
    QString error; // the admin API checked the request before the stream head went out
    readRequest(head, &subscriber->filter, &since, &error);
    subscriber->next = since + 1;
    add(subscriber);
}

void EventStreams::addWebSocket(WebSocketEndpoint *connection, const HttpRequestHead &head)
{
    auto *subscriber = new WebSocketSubscriber(connection);
    quint64 since = 0;
    QString error;
    readRequest(head, &subscriber->filter, &since, &error);
    subscriber->next = since + 1;
    add(subscriber);
    subscriber->start();
}

void EventStreams::add(Subscriber *subscriber)
{
    subscriber->setParent(this);
    subscriber->writable = [this, subscriber] { pump(subscriber); };
    subscriber->ended = [this, subscriber] { remove(subscriber); };
    m_subscribers.append(subscriber);
    if (!m_keepalive.isActive())
        m_keepalive.start();
    qCInfo(lcEvents) << "event stream opened," << m_subscribers.size() << "following the log";
    pump(subscriber);
}

void EventStreams::remove(Subscriber *subscriber)
{
    if (m_subscribers.removeOne(subscriber)) {
        if (m_subscribers.isEmpty())
            m_keepalive.stop();
        subscriber->writable = [] {};
        subscriber->deleteLater();
    }
}

void EventStreams::pump(Subscriber *subscriber)
{
    const LogStore &store = m_log->store();
    bool wrote = false;
    // The ring's bounds are read again for every record: a write can come back here (bytesWritten)
    // or add records that push the oldest out before it returns, and a stale bound would map the
    // cursor to the wrong record.
    while (!store.isEmpty() && subscriber->next <= m_log->lastSequence()
           && subscriber->queuedBytes() < kHighWaterBytes) {
        const quint64 first = store.at(0).sequence;
        if (subscriber->next < first) {
            // Those records left the ring before this subscriber read them.
            // Move the cursor first, for the same reason.
            const quint64 from = subscriber->next;
            subscriber->next = first;
            subscriber->wroteSinceKeepalive = true;
            subscriber->writeGap(from, first - 1);
            wrote = true;
            continue;
        }
        const LogRecord &record = store.at(static_cast<int>(subscriber->next - first));
        ++subscriber->next;
        if (subscriber->filter.matches(record)) {
            const quint64 sequence = record.sequence;
            subscriber->writeRecord(sequence, recordJson(record));
            subscriber->wroteSinceKeepalive = true;
            wrote = true;
        }
    }
    if (wrote)
        subscriber->flush();
}

void EventStreams::closeAll(int code, const QString &reason)
{
    const QList<Subscriber *> subscribers = m_subscribers;
    for (Subscriber *subscriber : subscribers)
        subscriber->close(code, reason);
}

QByteArray EventStreams::page(const EventFilter &filter, quint64 since, int limit) const
{
    const LogStore &store = m_log->store();
    const quint64 last = m_log->lastSequence();
    const quint64 first = store.isEmpty() ? last + 1 : store.at(0).sequence;
    QByteArray records;
    quint64 next = std::max(since, first - 1); // the last sequence number looked at
    int count = 0;
    while (next < last && count < limit && records.size() < kMaxPageBytes) {
        const LogRecord &record = store.at(static_cast<int>(next + 1 - first));
        ++next;
        if (!filter.matches(record))
            continue;
        if (count++ > 0)
            records += ',';
        records += recordJson(record);
    }
    QByteArray out = "{\"first\":" + QByteArray::number(store.isEmpty() ? 0 : first)
                     + ",\"last\":" + QByteArray::number(last) + ",\"next\":" + QByteArray::number(next)
                     + ",\"more\":" + (next < last ? "true" : "false")
                     + ",\"dropped\":" + QByteArray::number(store.evictedTotal());
    if (since + 1 < first)
        out += ",\"gap\":{\"from\":" + QByteArray::number(since + 1) + ",\"to\":" + QByteArray::number(first - 1) + '}';
    out += ",\"records\":[" + records + "]}\n";
    return out;
}
