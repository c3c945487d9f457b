#include "EventStreams.h"

#include "../http/HttpRequestHead.h"
#include "../log/LogRecordJson.h"
#include "RouteTable.h"
#include "../websocket/WebSocketConnection.h"
#include "../websocket/WebSocketFrame.h"

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

private:
    QTcpSocket *m_socket;
    QSslSocket *m_tls = nullptr;
};

class WebSocketSubscriber : public EventStreams::Subscriber, private WebSocketConnection::Handler
{
public:
    explicit WebSocketSubscriber(WebSocketConnection *connection) : m_connection(connection)
    {
        connection->setParent(this);
        connection->setHandler(this);
    }
    // The connection (a child) outlives this part of the object: it must not call back into it.
    ~WebSocketSubscriber() override { m_connection->setHandler(nullptr); }
    void start() { m_connection->start(); }

    qint64 queuedBytes() const override { return m_connection->bytesToWrite(); }
    void writeRecord(quint64, const QByteArray &json) override
    {
        m_connection->queueFrame(WebSocketFrame::encode(false, json));
    }
    void writeGap(quint64 from, quint64 to) override
    {
        m_connection->queueFrame(WebSocketFrame::encode(false, gapJson(from, to)));
    }
    void flush() override { m_connection->flush(); }
    void close(int code, const QString &reason) override
    {
        if (m_connection->state() == WebSocketConnection::State::Open)
            m_connection->close(code, reason);
    }

private:
    // What the follower sends is not read: the stream goes one way.
    void onTextMessage(const QByteArray &) override {}
    void onOutgoingBudgetExceeded() override {} // the streams keep their own bound (queuedBytes)
    void onBinaryMessage(const QByteArray &) override {}
    void onPong(qint64) override {}
    void onClosing(WebSocketConnection::CloseInitiator) override {}
    void onBytesWritten() override { writable(); }
    void onFailed(const QString &) override {}
    void onDisconnected() override { ended(); }

    WebSocketConnection *m_connection;
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

EventStreams::EventStreams(const RouteTable &routes, int capacity, int payloadCap, QObject *parent)
    : QObject(parent), m_routes(routes), m_store(capacity, payloadCap)
{
}

EventStreams::~EventStreams() = default;

bool EventStreams::readRequest(const HttpRequestHead &head, EventFilter *filter, quint64 *since, QString *error) const
{
    if (!filter->parse(head.query, m_routes, error))
        return false;
    *since = m_lastSequence;
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

void EventStreams::append(const LogRecordBatch &records)
{
    if (records.isEmpty())
        return;
    m_store.append(records);
    m_lastSequence = records.last().sequence;
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

void EventStreams::addWebSocket(WebSocketConnection *connection, const HttpRequestHead &head)
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
    qCInfo(lcEvents) << "event stream opened," << m_subscribers.size() << "following the log";
    pump(subscriber);
}

void EventStreams::remove(Subscriber *subscriber)
{
    if (m_subscribers.removeOne(subscriber)) {
        subscriber->writable = [] {};
        subscriber->deleteLater();
    }
}

void EventStreams::pump(Subscriber *subscriber)
{
    if (m_store.isEmpty() || subscriber->next > m_lastSequence)
        return;
    const quint64 first = m_store.at(0).sequence;
    if (subscriber->queuedBytes() >= kHighWaterBytes)
        return;
    if (subscriber->next < first) {
        // Those records left the ring before this subscriber read them.
        subscriber->writeGap(subscriber->next, first - 1);
        subscriber->next = first;
    }
    while (subscriber->next <= m_lastSequence && subscriber->queuedBytes() < kHighWaterBytes) {
        const LogRecord &record = m_store.at(static_cast<int>(subscriber->next - first));
        ++subscriber->next;
        if (subscriber->filter.matches(record))
            subscriber->writeRecord(record.sequence, recordJson(record));
    }
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
    const quint64 first = m_store.isEmpty() ? m_lastSequence + 1 : m_store.at(0).sequence;
    QByteArray records;
    quint64 next = std::max(since, first - 1); // the last sequence number looked at
    int count = 0;
    while (next < m_lastSequence && count < limit && records.size() < kMaxPageBytes) {
        const LogRecord &record = m_store.at(static_cast<int>(next + 1 - first));
        ++next;
        if (!filter.matches(record))
            continue;
        if (count++ > 0)
            records += ',';
        records += recordJson(record);
    }
    QByteArray out = "{\"first\":" + QByteArray::number(m_store.isEmpty() ? 0 : first)
                     + ",\"last\":" + QByteArray::number(m_lastSequence) + ",\"next\":" + QByteArray::number(next)
                     + ",\"more\":" + (next < m_lastSequence ? "true" : "false")
                     + ",\"dropped\":" + QByteArray::number(m_store.evictedTotal());
    if (since + 1 < first)
        out += ",\"gap\":{\"from\":" + QByteArray::number(since + 1) + ",\"to\":" + QByteArray::number(first - 1) + '}';
    out += ",\"records\":[" + records + "]}\n";
    return out;
}
