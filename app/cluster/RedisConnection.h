#pragma once

#include <QByteArray>
#include <QList>
#include <QObject>
#include <QString>
#include <QTimer>
#include <deque>
#include <functional>

struct redisAsyncContext;
class QSocketNotifier;

// One non-blocking hiredis connection driven by the Qt event loop of the thread it lives on: two
// QSocketNotifiers on the context's socket stand in for an event library (hiredis' addRead/delRead/
// addWrite/delWrite/cleanup hooks). Nothing here blocks: host names are resolved with QHostInfo,
// connect(2) is non-blocking, and a connect that does not finish in time is abandoned.
//
// hiredis frees a context by itself when the connection fails, and may call our hooks while it
// does; every hook therefore checks that the context is still the one this object holds, and a
// context we give up (close(), destructor) is detached from us first, so no hook can reach a
// destroyed object (the shipped adapters/qt.h gets this wrong in its destructor).
class RedisConnection : public QObject
{
    Q_OBJECT
public:
    // ok: the command succeeded; value: the string/status/integer reply, or the error text.
    using ReplyHandler = std::function<void(bool ok, const QByteArray &value)>;

    explicit RedisConnection(QString name, QObject *parent = nullptr);
    ~RedisConnection() override;

    // Starts connecting; connected() or disconnected() follows later, never from inside this call.
    void open(const QString &host, quint16 port, int connectTimeoutMs);
    // Drops the connection at once (pending handlers are not called). Emits nothing.
    void close();
    // Sends what is queued, waits for the pending replies, then disconnects; disconnected() follows.
    void closeGracefully();

    bool isConnected() const { return m_ctx != nullptr && m_connected; }
    bool isOpen() const { return m_ctx != nullptr || m_resolving; }

    // Queues a command with binary-safe arguments. False (nothing queued) when not connected.
    bool command(const QList<QByteArray> &arguments, ReplyHandler handler = {});
    // Subscribes to channels: message() for every publication, subscribed() once per channel.
    bool subscribe(const QList<QByteArray> &channels);

    // Commands sent whose reply has not arrived, and bytes not yet written to the socket.
    int pendingReplies() const { return static_cast<int>(m_handlers.size()); }
    qint64 pendingOutputBytes() const;

Q_SIGNALS:
    void connected();
    // The connection ended or could not be made. Always queued: hiredis is done with the old
    // context when this arrives, so the receiver may open() again.
    void disconnected(const QString &why);
    void subscribed(const QByteArray &channel);
    void message(const QByteArray &channel, const QByteArray &payload);

private:
    static void onConnect(const redisAsyncContext *ctx, int status);
    static void onDisconnect(const redisAsyncContext *ctx, int status);
    static void onReply(redisAsyncContext *ctx, void *reply, void *privdata);
    static void onSubscription(redisAsyncContext *ctx, void *reply, void *privdata);
    // hiredis' addRead/delRead/addWrite/delWrite hooks: privdata is the context.
    static void setNotifierEnabled(void *privdata, QSocketNotifier *RedisConnection::*notifier, bool enabled);
    static void cleanup(void *privdata);
    static RedisConnection *ownerOf(const redisAsyncContext *ctx);

    void connectTo(const QString &address, quint16 port);
    // hiredis is giving the context up (failure or clean disconnect): forget it and say why.
    void lost(const QString &why);
    void detach();
    void fail(const QString &why);

    QString m_name; // for log lines: "subscriber", "publisher"
    redisAsyncContext *m_ctx = nullptr;
    bool m_connected = false;
    bool m_resolving = false;
    int m_lookupId = -1;
    QString m_endpoint;
    QSocketNotifier *m_read = nullptr;
    QSocketNotifier *m_write = nullptr;
    QTimer m_connectTimer;
    std::deque<ReplyHandler> m_handlers; // replies arrive in command order
};
