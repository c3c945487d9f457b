#include "ServerConfig.h"

#include "../cluster/RedisEndpoint.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QSaveFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QRegularExpression>
#include <QJsonObject>
#include <QSet>
#include <algorithm>
#include <cmath>

namespace {

// "line L, column C" of a byte offset into text (both from 1; columns count characters).
QString lineAndColumn(const QByteArray &text, qsizetype offset)
{
    offset = std::clamp<qsizetype>(offset, 0, text.size());
    const qsizetype lineStart = text.lastIndexOf('\n', offset - 1) + 1;
    const qsizetype line = text.left(lineStart).count('\n') + 1;
    const qsizetype column = QString::fromUtf8(text.mid(lineStart, offset - lineStart)).size() + 1;
    return QStringLiteral("line %1, column %2").arg(line).arg(column);
}

// Where the key a path like "routes[1].behaviour" names is written: each name searched for as a
// quoted string after the one before it. -1 when not found.
qsizetype offsetOfPath(const QByteArray &text, const QString &path)
{
    qsizetype at = -1;
    qsizetype from = 0;
    static const QRegularExpression separators(QStringLiteral("[.\\[\\]]"));
    for (const QString &segment : path.split(separators, Qt::SkipEmptyParts)) {
        bool isIndex = false;
        segment.toInt(&isIndex);
        if (isIndex)
            continue;
        at = text.indexOf('"' + segment.toUtf8() + '"', from);
        if (at < 0)
            return -1;
        from = at + segment.size() + 2;
    }
    return at;
}

// Collects the first error with the JSON path where it happened, and where it is in the file.
class ConfigReader
{
public:
    ConfigReader(QString sourceName, const QByteArray &json) : m_sourceName(std::move(sourceName)), m_json(json) {}

    bool failed() const { return !m_error.isEmpty(); }
    QString error() const { return m_error; }

    void fail(const QString &path, const QString &message)
    {
        if (!m_error.isEmpty())
            return;
        m_error = QStringLiteral("%1: %2: %3").arg(m_sourceName, path, message);
        if (const qsizetype at = offsetOfPath(m_json, path); at >= 0)
            m_error += QStringLiteral(" (%1)").arg(lineAndColumn(m_json, at));
    }

    void rejectUnknownKeys(const QJsonObject &object, const QString &path,
                           const QSet<QString> &known)
    {
        for (auto it = object.begin(); it != object.end(); ++it) {
            if (!known.contains(it.key())) {
                QStringList names(known.begin(), known.end());
                names.sort();
                fail(join(path, it.key()),
                     QStringLiteral("unknown key (known keys: %1)").arg(names.join(QLatin1String(", "))));
            }
        }
    }

    bool readInt(const QJsonObject &object, const QString &path, const QString &key, qint64 min,
                 qint64 max, qint64 *out)
    {
        if (!object.contains(key))
            return false;
        const QJsonValue value = object.value(key);
        const double number = value.toDouble(-1);
        if (!value.isDouble() || number != static_cast<double>(static_cast<qint64>(number))
            || number < min || number > max) {
            fail(join(path, key), QStringLiteral("must be a whole number from %1 to %2").arg(min).arg(max));
            return false;
        }
        *out = static_cast<qint64>(number);
        return true;
    }

    bool readBool(const QJsonObject &object, const QString &path, const QString &key, bool *out)
    {
        if (!object.contains(key))
            return false;
        if (!object.value(key).isBool()) {
            fail(join(path, key), QStringLiteral("must be true or false"));
            return false;
        }
        *out = object.value(key).toBool();
        return true;
    }

    // A route's "deflate": true, false, or {"contextTakeover", "maxWindowBits", "thresholdBytes"}.
    void readDeflate(const QJsonObject &route, const QString &path, DeflatePolicy *policy)
    {
        const QString key = QStringLiteral("deflate");
        if (!route.contains(key))
            return;
        const QJsonValue value = route.value(key);
        if (value.isBool()) {
            policy->enabled = value.toBool();
            return;
        }
        if (!value.isObject()) {
            fail(join(path, key), QStringLiteral("must be true, false or an object"));
            return;
        }
        const QJsonObject object = value.toObject();
        const QString at = join(path, key);
        rejectUnknownKeys(object, at,
                          {QStringLiteral("contextTakeover"), QStringLiteral("maxWindowBits"),
                           QStringLiteral("thresholdBytes")});
        policy->enabled = true;
        readBool(object, at, QStringLiteral("contextTakeover"), &policy->contextTakeover);
        qint64 number = 0;
        // zlib cannot compress raw deflate with 8 bits: 9 is the smallest window it keeps to.
        if (readInt(object, at, QStringLiteral("maxWindowBits"), 9, 15, &number))
            policy->maxWindowBits = static_cast<int>(number);
        if (readInt(object, at, QStringLiteral("thresholdBytes"), 0, 1LL << 30, &number))
            policy->thresholdBytes = static_cast<int>(number);
    }

    bool readString(const QJsonObject &object, const QString &path, const QString &key, QString *out)
    {
        if (!object.contains(key))
            return false;
        if (!object.value(key).isString()) {
            fail(join(path, key), QStringLiteral("must be a string"));
            return false;
        }
        *out = object.value(key).toString();
        return true;
    }

    bool readStringList(const QJsonObject &object, const QString &path, const QString &key,
                        QStringList *out)
    {
        if (!object.contains(key))
            return false;
        const QJsonValue value = object.value(key);
        if (!value.isArray()) {
            fail(join(path, key), QStringLiteral("must be an array of strings"));
            return false;
        }
        QStringList list;
        const QJsonArray array = value.toArray();
        for (int i = 0; i < array.size(); ++i) {
            if (!array.at(i).isString() || array.at(i).toString().isEmpty()) {
                fail(QStringLiteral("%1[%2]").arg(join(path, key)).arg(i),
                     QStringLiteral("must be a non-empty string"));
                return false;
            }
            list.append(array.at(i).toString());
        }
        *out = list;
        return true;
    }

    static QString join(const QString &path, const QString &key)
    {
        return path.isEmpty() ? key : path + QLatin1Char('.') + key;
    }

private:
    QString m_sourceName;
    QString m_error;
    const QByteArray &m_json;
};

} // namespace

QString ServerConfig::whyInvalidAdminToken(const QString &token)
{
    if (token.isEmpty())
        return QStringLiteral("must not be empty (leave it out to keep the admin API off)");
    if (token.size() > 256)
        return QStringLiteral("must be at most 256 characters");
    for (const QChar c : token) {
        // It travels in an HTTP header: spaces, controls and non-ASCII would not arrive intact.
        if (c.unicode() < 0x21 || c.unicode() > 0x7e)
            return QStringLiteral("may only hold visible ASCII characters (no spaces)");
    }
    return {};
}

bool ServerConfig::loadFile(const QString &path, QString *error)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        *error = QStringLiteral("%1: cannot read the config file: %2").arg(path, file.errorString());
        return false;
    }
    if (!loadJson(file.readAll(), path, error))
        return false;
    // "tlsCert": "cert.pem" means the file next to the config, wherever switchboard was started.
    const QDir folder = QFileInfo(path).absoluteDir();
    for (QString *tlsFile : {&tlsCertPath, &tlsKeyPath, &upstreamCaPath}) {
        if (!tlsFile->isEmpty() && QFileInfo(*tlsFile).isRelative())
            *tlsFile = QDir::cleanPath(folder.absoluteFilePath(*tlsFile));
    }
    for (RouteSpec &route : routes.mutableRoutes()) {
        if (!route.script.isEmpty() && QFileInfo(route.script).isRelative())
            route.script = QDir::cleanPath(folder.absoluteFilePath(route.script));
    }
    return true;
}

bool ServerConfig::loadJson(const QByteArray &json, const QString &sourceName, QString *error)
{
    QJsonParseError parseError;
    const QJsonDocument document = QJsonDocument::fromJson(json, &parseError);
    if (parseError.error != QJsonParseError::NoError) {
        *error = QStringLiteral("%1: %2: %3")
                     .arg(sourceName, lineAndColumn(json, parseError.offset), parseError.errorString());
        return false;
    }
    if (!document.isObject()) {
        *error = QStringLiteral("%1: the top level must be a JSON object").arg(sourceName);
        return false;
    }

    ConfigReader reader(sourceName, json);
    ServerConfig next = *this;
    const QJsonObject root = document.object();
    reader.rejectUnknownKeys(root, QString(),
                             {QStringLiteral("host"), QStringLiteral("port"), QStringLiteral("routes"),
                              QStringLiteral("allowedOrigins"), QStringLiteral("limits"),
                              QStringLiteral("token"), QStringLiteral("slowConsumerPolicy"),
                              QStringLiteral("adminToken"), QStringLiteral("log"), QStringLiteral("redis"),
                              QStringLiteral("cluster"), QStringLiteral("tlsCert"), QStringLiteral("tlsKey"),
                              QStringLiteral("deflate"), QStringLiteral("upstreamCa"),
                              QStringLiteral("websocketBackend")});
    reader.readBool(root, QString(), QStringLiteral("deflate"), &next.deflate);
    QString backend;
    if (reader.readString(root, QString(), QStringLiteral("websocketBackend"), &backend)
        && !WebSocketBackends::parse(backend, &next.websocketBackend))
        reader.fail(QStringLiteral("websocketBackend"), QStringLiteral("must be \"native\" or \"qt\""));
    // Each checked key: read it, then say why its value is refused, if it is.
    const std::pair<QString, std::pair<QString *, QString (*)(const QString &)>> checked[] = {
        {QStringLiteral("adminToken"), {&next.adminToken, &ServerConfig::whyInvalidAdminToken}},
        {QStringLiteral("redis"), {&next.redisUrl, &RedisEndpoint::whyInvalidUrl}},
        {QStringLiteral("cluster"), {&next.clusterName, &RedisEndpoint::whyInvalidClusterName}},
    };
    for (const auto &[key, target] : checked) {
        if (reader.readString(root, QString(), key, target.first)) {
            const QString why = target.second(*target.first);
            if (!why.isEmpty())
                reader.fail(key, why);
        }
    }
    for (const auto &[key, target] : {std::pair{QStringLiteral("tlsCert"), &next.tlsCertPath},
                                      std::pair{QStringLiteral("tlsKey"), &next.tlsKeyPath}}) {
        if (reader.readString(root, QString(), key, target) && target->isEmpty())
            reader.fail(key, QStringLiteral("must name a PEM file (leave the key out for plain http)"));
    }
    reader.readString(root, QString(), QStringLiteral("upstreamCa"), &next.upstreamCaPath);
    reader.readString(root, QString(), QStringLiteral("token"), &next.token);
    QString policy;
    if (reader.readString(root, QString(), QStringLiteral("slowConsumerPolicy"), &policy)) {
        if (policy == QLatin1String("drop"))
            next.slowConsumerPolicy = SlowConsumerPolicy::Drop;
        else if (policy == QLatin1String("close"))
            next.slowConsumerPolicy = SlowConsumerPolicy::Close;
        else
            reader.fail(QStringLiteral("slowConsumerPolicy"), QStringLiteral("must be \"drop\" or \"close\""));
    }

    reader.readString(root, QString(), QStringLiteral("host"), &next.host);
    qint64 number = 0;
    if (reader.readInt(root, QString(), QStringLiteral("port"), 0, 65535, &number))
        next.port = static_cast<quint16>(number);
    reader.readStringList(root, QString(), QStringLiteral("allowedOrigins"), &next.allowedOrigins);

    if (root.contains(QStringLiteral("limits"))) {
        if (!root.value(QStringLiteral("limits")).isObject()) {
            reader.fail(QStringLiteral("limits"), QStringLiteral("must be an object"));
        } else {
            const QJsonObject limits = root.value(QStringLiteral("limits")).toObject();
            const QString at = QStringLiteral("limits");
            reader.rejectUnknownKeys(limits, at,
                                     {QStringLiteral("maxHeadBytes"), QStringLiteral("headTimeoutMs"),
                                      QStringLiteral("maxMessageBytes"), QStringLiteral("shutdownGraceMs"),
                                      QStringLiteral("maxConnections"), QStringLiteral("maxConnectionsPerIp"),
                                      QStringLiteral("messagesPerSecond"), QStringLiteral("messageBurst"),
                                      QStringLiteral("heartbeatIntervalMs"), QStringLiteral("heartbeatTimeoutMs"),
                                      QStringLiteral("maxBufferedBytes"), QStringLiteral("upgradeTimeoutMs"),
                                      QStringLiteral("listenBacklog")});
            if (reader.readInt(limits, at, QStringLiteral("upgradeTimeoutMs"), 100, 600000, &number))
                next.upgradeTimeoutMs = static_cast<int>(number);
            if (reader.readInt(limits, at, QStringLiteral("maxConnections"), 1, 1000000, &number))
                next.maxConnections = static_cast<int>(number);
            if (reader.readInt(limits, at, QStringLiteral("maxConnectionsPerIp"), 1, 1000000, &number))
                next.maxConnectionsPerIp = static_cast<int>(number);
            if (reader.readInt(limits, at, QStringLiteral("listenBacklog"), 0, 65535, &number))
                next.listenBacklog = static_cast<int>(number);
            if (reader.readInt(limits, at, QStringLiteral("messagesPerSecond"), 1, 100000000, &number))
                next.messagesPerSecond = static_cast<double>(number);
            if (reader.readInt(limits, at, QStringLiteral("messageBurst"), 1, 100000000, &number))
                next.messageBurst = static_cast<int>(number);
            if (reader.readInt(limits, at, QStringLiteral("heartbeatIntervalMs"), 0, 3600000, &number))
                next.heartbeatIntervalMs = static_cast<int>(number);
            if (reader.readInt(limits, at, QStringLiteral("heartbeatTimeoutMs"), 10, 600000, &number))
                next.heartbeatTimeoutMs = static_cast<int>(number);
            if (reader.readInt(limits, at, QStringLiteral("maxBufferedBytes"), 1024, 1024LL * 1024 * 1024, &number))
                next.maxBufferedBytes = number;
            if (reader.readInt(limits, at, QStringLiteral("maxHeadBytes"), 1024, 1024 * 1024, &number))
                next.maxHeadBytes = static_cast<int>(number);
            if (reader.readInt(limits, at, QStringLiteral("headTimeoutMs"), 100, 600000, &number))
                next.headTimeoutMs = static_cast<int>(number);
            if (reader.readInt(limits, at, QStringLiteral("maxMessageBytes"), 125, 1024LL * 1024 * 1024, &number))
                next.maxMessageBytes = number;
            if (reader.readInt(limits, at, QStringLiteral("shutdownGraceMs"), 0, 60000, &number))
                next.shutdownGraceMs = static_cast<int>(number);
        }
    }

    if (root.contains(QStringLiteral("log"))) {
        if (!root.value(QStringLiteral("log")).isObject()) {
            reader.fail(QStringLiteral("log"), QStringLiteral("must be an object"));
        } else {
            // The same names and ranges as the --log-* and --record* flags.
            const QJsonObject log = root.value(QStringLiteral("log")).toObject();
            const QString at = QStringLiteral("log");
            reader.rejectUnknownKeys(log, at,
                                     {QStringLiteral("capacity"), QStringLiteral("payloadCapBytes"), QStringLiteral("maxBytes"),
                                      QStringLiteral("recordFile"), QStringLiteral("recordMaxBytes"),
                                      QStringLiteral("recordKeep")});
            if (reader.readInt(log, at, QStringLiteral("capacity"), 1, kMaxLogCapacity, &number))
                next.logCapacity = static_cast<int>(number);
            if (reader.readInt(log, at, QStringLiteral("payloadCapBytes"), 0, kMaxLogPayloadCapBytes, &number))
                next.logPayloadCapBytes = static_cast<int>(number);
            if (reader.readInt(log, at, QStringLiteral("maxBytes"), kMinLogMaxBytes, kMaxLogMaxBytes, &number))
                next.logMaxBytes = number;
            if (reader.readString(log, at, QStringLiteral("recordFile"), &next.recordPath) && next.recordPath.isEmpty())
                reader.fail(QStringLiteral("log.recordFile"), QStringLiteral("must name a file (leave it out to not record)"));
            if (reader.readInt(log, at, QStringLiteral("recordMaxBytes"), kMinRecordMaxBytes, kMaxRecordMaxBytes, &number))
                next.recordMaxBytes = number;
            if (reader.readInt(log, at, QStringLiteral("recordKeep"), 0, kMaxRecordKeepFiles, &number))
                next.recordKeepFiles = static_cast<int>(number);
        }
    }

    if (root.contains(QStringLiteral("routes"))) {
        const QJsonValue routesValue = root.value(QStringLiteral("routes"));
        if (!routesValue.isArray()) {
            reader.fail(QStringLiteral("routes"), QStringLiteral("must be an array of route objects"));
        } else {
            RouteTable table;
            const QJsonArray routes = routesValue.toArray();
            QSet<QString> seen;
            for (int i = 0; i < routes.size() && !reader.failed(); ++i) {
                const QString at = QStringLiteral("routes[%1]").arg(i);
                if (!routes.at(i).isObject()) {
                    reader.fail(at, QStringLiteral("must be an object"));
                    break;
                }
                const QJsonObject object = routes.at(i).toObject();
                reader.rejectUnknownKeys(object, at,
                                         {QStringLiteral("path"), QStringLiteral("behaviour"),
                                          QStringLiteral("subprotocols"), QStringLiteral("intervalMs"),
                                          QStringLiteral("deflate"), QStringLiteral("script"), QStringLiteral("budgetMs"),
                                          QStringLiteral("heapMb"), QStringLiteral("upstream"), QStringLiteral("forwardOrigin")});
                RouteSpec spec;
                if (!reader.readString(object, at, QStringLiteral("path"), &spec.pattern)) {
                    reader.fail(at + QStringLiteral(".path"), QStringLiteral("is required"));
                    break;
                }
                const QString why = RouteTable::validatePattern(spec.pattern);
                if (!why.isEmpty())
                    reader.fail(at + QStringLiteral(".path"), why);
                if (seen.contains(spec.pattern))
                    reader.fail(at + QStringLiteral(".path"), QStringLiteral("duplicates an earlier route"));
                seen.insert(spec.pattern);
                QString behaviour;
                if (!reader.readString(object, at, QStringLiteral("behaviour"), &behaviour)) {
                    reader.fail(at + QStringLiteral(".behaviour"), QStringLiteral("is required"));
                } else if (!behaviourKindFromName(behaviour, &spec.behaviour)) {
                    reader.fail(at + QStringLiteral(".behaviour"),
                                QStringLiteral("unknown behaviour '%1' (expected echo, chat, clock, operator, script or proxy)")
                                    .arg(behaviour));
                }
                reader.readStringList(object, at, QStringLiteral("subprotocols"), &spec.subprotocols);
                if (reader.readInt(object, at, QStringLiteral("intervalMs"), 10, 60000, &number))
                    spec.clockIntervalMs = static_cast<int>(number);
                reader.readDeflate(object, at, &spec.deflate);
                reader.readString(object, at, QStringLiteral("script"), &spec.script);
                if (spec.behaviour == RouteBehaviourKind::Script && spec.script.isEmpty())
                    reader.fail(at + QStringLiteral(".script"), QStringLiteral("is required for a script route (the .js file)"));
                if (reader.readInt(object, at, QStringLiteral("budgetMs"), 1, 60000, &number))
                    spec.scriptBudgetMs = static_cast<int>(number);
                if (reader.readInt(object, at, QStringLiteral("heapMb"), 1, 65536, &number))
                    spec.scriptHeapMb = static_cast<int>(number);
                reader.readString(object, at, QStringLiteral("upstream"), &spec.upstream);
                if (object.contains(QStringLiteral("forwardOrigin")))
                    spec.forwardOrigin = object.value(QStringLiteral("forwardOrigin")).toBool();
                if (spec.behaviour == RouteBehaviourKind::Proxy) {
                    const QString why = RouteTable::validateUpstream(spec.upstream);
                    if (!why.isEmpty())
                        reader.fail(at + QStringLiteral(".upstream"), why);
                }
                table.add(spec);
            }
            next.routes = table;
        }
    }

    if (reader.failed()) {
        *error = reader.error();
        return false;
    }
    *this = next;
    return true;
}

QByteArray ServerConfig::toJson() const
{
    QJsonObject root;
    root.insert(QStringLiteral("host"), host);
    root.insert(QStringLiteral("port"), port);
    root.insert(QStringLiteral("allowedOrigins"), QJsonArray::fromStringList(allowedOrigins));
    // An empty token means "none": loadJson() refuses an empty adminToken, so leave the keys out.
    if (!token.isEmpty())
        root.insert(QStringLiteral("token"), token);
    if (!adminToken.isEmpty())
        root.insert(QStringLiteral("adminToken"), adminToken);
    if (!redisUrl.isEmpty())
        root.insert(QStringLiteral("redis"), redisUrl);
    root.insert(QStringLiteral("cluster"), clusterName);
    root.insert(QStringLiteral("deflate"), deflate);
    root.insert(QStringLiteral("websocketBackend"), WebSocketBackends::name(websocketBackend));
    if (!tlsCertPath.isEmpty())
        root.insert(QStringLiteral("tlsCert"), tlsCertPath);
    if (!upstreamCaPath.isEmpty())
        root.insert(QStringLiteral("upstreamCa"), upstreamCaPath);
    if (!tlsKeyPath.isEmpty())
        root.insert(QStringLiteral("tlsKey"), tlsKeyPath);
    root.insert(QStringLiteral("slowConsumerPolicy"), slowConsumerPolicy == SlowConsumerPolicy::Drop
                                                          ? QStringLiteral("drop")
                                                          : QStringLiteral("close"));
    QJsonObject limits;
    limits.insert(QStringLiteral("maxHeadBytes"), maxHeadBytes);
    limits.insert(QStringLiteral("headTimeoutMs"), headTimeoutMs);
    limits.insert(QStringLiteral("maxMessageBytes"), static_cast<double>(maxMessageBytes));
    limits.insert(QStringLiteral("shutdownGraceMs"), shutdownGraceMs);
    limits.insert(QStringLiteral("maxConnections"), maxConnections);
    limits.insert(QStringLiteral("maxConnectionsPerIp"), maxConnectionsPerIp);
    limits.insert(QStringLiteral("listenBacklog"), listenBacklog);
    limits.insert(QStringLiteral("messagesPerSecond"), std::round(messagesPerSecond)); // read back as a whole number
    limits.insert(QStringLiteral("messageBurst"), messageBurst);
    limits.insert(QStringLiteral("heartbeatIntervalMs"), heartbeatIntervalMs);
    limits.insert(QStringLiteral("heartbeatTimeoutMs"), heartbeatTimeoutMs);
    limits.insert(QStringLiteral("maxBufferedBytes"), static_cast<double>(maxBufferedBytes));
    root.insert(QStringLiteral("limits"), limits);
    QJsonObject log;
    log.insert(QStringLiteral("capacity"), logCapacity);
    log.insert(QStringLiteral("payloadCapBytes"), logPayloadCapBytes);
    log.insert(QStringLiteral("maxBytes"), logMaxBytes);
    if (!recordPath.isEmpty()) // empty means "not recording", which loadJson() spells as no key
        log.insert(QStringLiteral("recordFile"), recordPath);
    log.insert(QStringLiteral("recordMaxBytes"), static_cast<double>(recordMaxBytes));
    log.insert(QStringLiteral("recordKeep"), recordKeepFiles);
    root.insert(QStringLiteral("log"), log);
    QJsonArray routeList;
    for (const RouteSpec &spec : routes.routes()) {
        QJsonObject route{{QStringLiteral("path"), spec.pattern},
                          {QStringLiteral("behaviour"), behaviourKindName(spec.behaviour)},
                          {QStringLiteral("subprotocols"), QJsonArray::fromStringList(spec.subprotocols)}};
        if (spec.behaviour == RouteBehaviourKind::Clock)
            route.insert(QStringLiteral("intervalMs"), spec.clockIntervalMs);
        if (spec.deflate == DeflatePolicy()) {
            route.insert(QStringLiteral("deflate"), true);
        } else if (!spec.deflate.enabled) {
            route.insert(QStringLiteral("deflate"), false);
        } else {
            route.insert(QStringLiteral("deflate"),
                         QJsonObject{{QStringLiteral("contextTakeover"), spec.deflate.contextTakeover},
                                     {QStringLiteral("maxWindowBits"), spec.deflate.maxWindowBits},
                                     {QStringLiteral("thresholdBytes"), spec.deflate.thresholdBytes}});
        }
        if (spec.behaviour == RouteBehaviourKind::Script) {
            route.insert(QStringLiteral("script"), spec.script);
            route.insert(QStringLiteral("budgetMs"), spec.scriptBudgetMs);
            route.insert(QStringLiteral("heapMb"), spec.scriptHeapMb);
        }
        if (spec.behaviour == RouteBehaviourKind::Proxy) {
            route.insert(QStringLiteral("upstream"), spec.upstream);
            route.insert(QStringLiteral("forwardOrigin"), spec.forwardOrigin);
            if (!spec.script.isEmpty()) { // hooks: onClientMessage / onUpstreamMessage
                route.insert(QStringLiteral("script"), spec.script);
                route.insert(QStringLiteral("budgetMs"), spec.scriptBudgetMs);
                route.insert(QStringLiteral("heapMb"), spec.scriptHeapMb);
            route.insert(QStringLiteral("heapMb"), spec.scriptHeapMb);
            }
        }
        routeList.append(route);
    }
    root.insert(QStringLiteral("routes"), routeList);
    return QJsonDocument(root).toJson(QJsonDocument::Indented);
}

bool ServerConfig::saveFile(const QString &path, QString *error) const
{
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly)) {
        *error = QStringLiteral("%1: cannot write the config file: %2").arg(path, file.errorString());
        return false;
    }
    // Tokens are secrets: other users of the machine must not read them.
    if (!token.isEmpty() || !adminToken.isEmpty())
        file.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner);
    file.write(toJson());
    if (!file.commit()) {
        *error = QStringLiteral("%1: cannot write the config file: %2").arg(path, file.errorString());
        return false;
    }
    return true;
}
