#include "RedisConnection.h"

#include <QHostAddress>
#include <QHostInfo>
#include <QLoggingCategory>
#include <QSocketNotifier>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <hiredis/sds.h>
#include <vector>

Q_DECLARE_LOGGING_CATEGORY(lcCluster)

namespace {

QByteArray replyValue(const redisReply *reply)
{
    switch (reply->type) {
    case REDIS_REPLY_STRING:
    case REDIS_REPLY_STATUS:
    case REDIS_REPLY_ERROR:
        return QByteArray(reply->str, static_cast<int>(reply->len));
    case REDIS_REPLY_INTEGER:
        return QByteArray::number(reply->integer);
    default:
        return {};
    }
}

} // namespace

RedisConnection::RedisConnection(QString name, QObject *parent) : QObject(parent), m_name(std::move(name))
{
    m_connectTimer.setSingleShot(true);
    connect(&m_connectTimer, &QTimer::timeout, this, [this] {
        fail(QStringLiteral("could not connect to %1 in %2 ms").arg(m_endpoint).arg(m_connectTimer.interval()));
    });
}

RedisConnection::~RedisConnection()
{
    close();
}

void RedisConnection::open(const QString &host, quint16 port, int connectTimeoutMs)
{
    close();
    m_endpoint = QStringLiteral("%1:%2").arg(host).arg(port);
    m_connectTimer.start(connectTimeoutMs);
    if (!QHostAddress(host).isNull()) {
        connectTo(host, port);
        return;
    }
    // hiredis would resolve with a blocking getaddrinfo(): resolve here, off the event loop.
    m_resolving = true;
    m_lookupId = QHostInfo::lookupHost(host, this, [this, port](const QHostInfo &info) {
        m_resolving = false;
        m_lookupId = -1;
        if (info.error() != QHostInfo::NoError || info.addresses().isEmpty()) {
            fail(QStringLiteral("cannot resolve %1: %2").arg(m_endpoint, info.errorString()));
            return;
        }
        // Redis often listens on 127.0.0.1 only, while "localhost" may resolve to ::1 first.
        QHostAddress address = info.addresses().constFirst();
        for (const QHostAddress &candidate : info.addresses()) {
            if (candidate.protocol() == QAbstractSocket::IPv4Protocol) {
                address = candidate;
                break;
            }
        }
        connectTo(address.toString(), port);
    });
}

void RedisConnection::connectTo(const QString &address, quint16 port)
{
    redisAsyncContext *ctx = redisAsyncConnect(address.toLatin1().constData(), port);
    if (!ctx || ctx->err) {
        const QString why = ctx ? QString::fromLocal8Bit(ctx->errstr) : QStringLiteral("out of memory");
        if (ctx)
            redisAsyncFree(ctx);
        fail(QStringLiteral("cannot connect to %1: %2").arg(m_endpoint, why));
        return;
    }
    m_ctx = ctx;
    m_connected = false;
    ctx->data = this;
    // ev.data is the context itself, so a hook can tell whether it is still the one we hold.
    ctx->ev.data = ctx;
    ctx->ev.addRead = [](void *privdata) { setNotifierEnabled(privdata, &RedisConnection::m_read, true); };
    ctx->ev.delRead = [](void *privdata) { setNotifierEnabled(privdata, &RedisConnection::m_read, false); };
    ctx->ev.addWrite = [](void *privdata) { setNotifierEnabled(privdata, &RedisConnection::m_write, true); };
    ctx->ev.delWrite = [](void *privdata) { setNotifierEnabled(privdata, &RedisConnection::m_write, false); };
    ctx->ev.cleanup = &RedisConnection::cleanup;

    const qintptr fd = ctx->c.fd;
    m_read = new QSocketNotifier(fd, QSocketNotifier::Read, this);
    m_read->setEnabled(false);
    connect(m_read, &QSocketNotifier::activated, this, [this, ctx] {
        if (m_ctx == ctx)
            redisAsyncHandleRead(ctx);
    });
    m_write = new QSocketNotifier(fd, QSocketNotifier::Write, this);
    m_write->setEnabled(false);
    connect(m_write, &QSocketNotifier::activated, this, [this, ctx] {
        if (m_ctx == ctx)
            redisAsyncHandleWrite(ctx);
    });
    redisAsyncSetDisconnectCallback(ctx, &RedisConnection::onDisconnect);
    redisAsyncSetConnectCallback(ctx, &RedisConnection::onConnect); // waits for the socket to be writable
}

void RedisConnection::close()
{
    m_connectTimer.stop();
    if (m_resolving) {
        QHostInfo::abortHostLookup(m_lookupId);
        m_resolving = false;
    }
    redisAsyncContext *ctx = m_ctx;
    if (!ctx)
        return;
    detach();
    // Detached: hiredis may still run callbacks while freeing (or later, when we are inside one
    // of its callbacks), but they no longer find us.
    ctx->data = nullptr;
    ctx->ev.data = nullptr;
    ctx->ev.addRead = ctx->ev.delRead = ctx->ev.addWrite = ctx->ev.delWrite = ctx->ev.cleanup = nullptr;
    redisAsyncFree(ctx);
}

void RedisConnection::closeGracefully()
{
    if (!isConnected()) {
        close();
        QMetaObject::invokeMethod(this, [this] { Q_EMIT disconnected(QStringLiteral("closed")); }, Qt::QueuedConnection);
        return;
    }
    redisAsyncDisconnect(m_ctx); // cleanup() and lost() follow once the replies are in
}

void RedisConnection::detach()
{
    m_ctx = nullptr;
    m_connected = false;
    m_handlers.clear();
    // We may be inside one of these notifiers' activated() signals: never delete them there.
    for (QSocketNotifier *notifier : {m_read, m_write}) {
        if (notifier) {
            notifier->setEnabled(false);
            notifier->deleteLater();
        }
    }
    m_read = m_write = nullptr;
}

void RedisConnection::fail(const QString &why)
{
    close();
    QMetaObject::invokeMethod(this, [this, why] { Q_EMIT disconnected(why); }, Qt::QueuedConnection);
}

void RedisConnection::lost(const QString &why)
{
    m_connectTimer.stop();
    detach();
    QMetaObject::invokeMethod(this, [this, why] { Q_EMIT disconnected(why); }, Qt::QueuedConnection);
}

qint64 RedisConnection::pendingOutputBytes() const
{
    return m_ctx && m_ctx->c.obuf ? static_cast<qint64>(sdslen(m_ctx->c.obuf)) : 0;
}

bool RedisConnection::command(const QList<QByteArray> &arguments, ReplyHandler handler)
{
    if (!isConnected())
        return false;
    std::vector<const char *> argv;
    std::vector<size_t> lengths;
    argv.reserve(arguments.size());
    lengths.reserve(arguments.size());
    for (const QByteArray &argument : arguments) {
        argv.push_back(argument.constData());
        lengths.push_back(static_cast<size_t>(argument.size()));
    }
    if (redisAsyncCommandArgv(m_ctx, &RedisConnection::onReply, nullptr, static_cast<int>(argv.size()), argv.data(),
                              lengths.data())
        != REDIS_OK) {
        return false;
    }
    m_handlers.push_back(std::move(handler));
    return true;
}

bool RedisConnection::subscribe(const QList<QByteArray> &channels)
{
    if (!isConnected() || channels.isEmpty())
        return false;
    std::vector<const char *> argv{"SUBSCRIBE"};
    std::vector<size_t> lengths{9};
    for (const QByteArray &channel : channels) {
        argv.push_back(channel.constData());
        lengths.push_back(static_cast<size_t>(channel.size()));
    }
    return redisAsyncCommandArgv(m_ctx, &RedisConnection::onSubscription, nullptr, static_cast<int>(argv.size()),
                                 argv.data(), lengths.data())
           == REDIS_OK;
}

// ---- hiredis callbacks ----

RedisConnection *RedisConnection::ownerOf(const redisAsyncContext *ctx)
{
    auto *self = static_cast<RedisConnection *>(ctx->data);
    return self && self->m_ctx == ctx ? self : nullptr;
}

void RedisConnection::onConnect(const redisAsyncContext *ctx, int status)
{
    RedisConnection *self = ownerOf(ctx);
    if (!self || status != REDIS_OK)
        return; // a failed connect: hiredis frees the context next and cleanup() reports it
    self->m_connectTimer.stop();
    self->m_connected = true;
    qCDebug(lcCluster).noquote() << self->m_name << "connected to" << self->m_endpoint;
    Q_EMIT self->connected();
}

void RedisConnection::onDisconnect(const redisAsyncContext *ctx, int status)
{
    (void)ctx;
    (void)status; // cleanup() came first and has reported the reason
}

void RedisConnection::onReply(redisAsyncContext *ctx, void *reply, void *privdata)
{
    (void)privdata;
    RedisConnection *self = ownerOf(ctx);
    if (!self || self->m_handlers.empty())
        return;
    ReplyHandler handler = std::move(self->m_handlers.front());
    self->m_handlers.pop_front();
    if (!handler)
        return;
    const auto *r = static_cast<const redisReply *>(reply);
    if (!r)
        handler(false, QByteArrayLiteral("connection lost"));
    else
        handler(r->type != REDIS_REPLY_ERROR, replyValue(r));
}

void RedisConnection::onSubscription(redisAsyncContext *ctx, void *reply, void *privdata)
{
    (void)privdata;
    RedisConnection *self = ownerOf(ctx);
    const auto *r = static_cast<const redisReply *>(reply);
    if (!self || !r || r->type != REDIS_REPLY_ARRAY || r->elements < 3)
        return;
    const QByteArray kind = replyValue(r->element[0]);
    const QByteArray channel = replyValue(r->element[1]);
    if (kind == "message")
        Q_EMIT self->message(channel, replyValue(r->element[2]));
    else if (kind == "subscribe")
        Q_EMIT self->subscribed(channel);
}

void RedisConnection::setNotifierEnabled(void *privdata, QSocketNotifier *RedisConnection::*notifier, bool enabled)
{
    if (RedisConnection *self = ownerOf(static_cast<redisAsyncContext *>(privdata)))
        (self->*notifier)->setEnabled(enabled);
}

void RedisConnection::cleanup(void *privdata)
{
    // hiredis is about to free the context (it may call this twice): the socket closes after this.
    auto *ctx = static_cast<redisAsyncContext *>(privdata);
    RedisConnection *self = ownerOf(ctx);
    if (!self)
        return;
    const QString why = ctx->err ? QString::fromLocal8Bit(ctx->errstr)
                                 : (self->m_connected ? QStringLiteral("closed") : QStringLiteral("connection refused"));
    self->lost(why);
}
