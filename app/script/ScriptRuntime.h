#pragma once

#include "ScriptConnection.h"
#include "ScriptHost.h"
#include "ScriptRelayVerdict.h"
#include "ScriptLimits.h"
#include "ScriptWatchdog.h"

#include <QFileSystemWatcher>
#include <QHash>
#include <QJSValue>
#include <QLoggingCategory>
#include <QObject>
#include <QTimer>
#include <QVariantMap>
#include <QJSEngine>

#include <map>
#include <memory>

Q_DECLARE_LOGGING_CATEGORY(lcScript)

class QJSEngine;
class ScriptBridge;

// An upgrade request as onUpgrade(req) sees it.
struct ScriptRequest
{
    QString url;
    QVariantMap headers; // lower-case names
    QVariantMap params;
    QVariantMap query;
    QVariantMap cookies;
};

struct ScriptUpgradeAnswer
{
    bool accept = true;
    int status = 0;
    QByteArray body;
};

// The JavaScript runtime of one script route: the user's ES module (export default { onUpgrade,
// onOpen, onMessage, onClose, onError }) run by its own QJSEngine on the calling (engine) thread.
// Every handler and timer call has a time budget enforced by a watchdog; an exception or overrun
// closes that client with 1011 and is reported through the host. Saving the file reloads it: new
// connections get the new version, open ones keep the version they opened with; a version that
// does not load leaves the previous one running.
class ScriptRuntime : public QObject
{
    Q_OBJECT
public:
    ScriptRuntime(QString fileName, QString route, ScriptHost &host, ScriptLimits limits = {},
                  QObject *parent = nullptr);
    ~ScriptRuntime() override;

    // Loads the file (the first time, or again). False leaves the running version (if any) as it was
    // and says why: "file:line: message".
    bool load(QString *error = nullptr);
    // Reloads when the file or a sibling changes on disk.
    void setWatching(bool watching);

    QString fileName() const { return m_fileName; }
    QString route() const { return m_route; }
    int version() const; // 0 before the first load
    QString lastError() const { return m_lastError; }
    const ScriptLimits &limits() const { return m_limits; }
    int connectionCount() const { return int(m_connections.size()); }
    // The module's `export const protocols = [...]`: the subprotocols the route negotiates.
    QStringList protocols() const { return m_protocols; }

    ScriptUpgradeAnswer upgrade(const ScriptRequest &request);
    // upstream: a proxy route's upstream URL (the script gets ws.upstream); empty elsewhere.
    void open(const ScriptConnection &connection, const QString &upstream = QString());
    void message(quint64 id, const QByteArray &data, bool binary);
    void closed(quint64 id, int code, const QString &reason, bool wasClean);
    void error(quint64 id, const QString &message);
    // Proxy routes: a message on its way to the upstream (from the client) or to the client. Failed:
    // the handler threw or overran (reported, the client being closed with 1011).
    ScriptRelayVerdict relay(quint64 id, bool toUpstream, const QByteArray &data, bool binary);

    // Checks that every import of the source names a sibling file ("./name.js"); empty when so.
    static QString checkImports(const QString &source);

Q_SIGNALS:
    void loaded(int version);
    void loadFailed(const QString &error);

private:
    friend class ScriptBridge;
    struct Timer
    {
        std::unique_ptr<QTimer> timer;
        quint64 owner = 0; // a client id, or 0 for the route
        QJSValue callback;
    };
    // One loaded copy of the file with its own engine. Open connections hold the version they
    // opened with; it goes when the last of them does.
    struct Version : std::enable_shared_from_this<Version>
    {
        ~Version();
        int number = 0;
        std::unique_ptr<QJSEngine> engine; // declared first: destroyed after every value below
        std::unique_ptr<ScriptBridge> bridge;
        QJSValue handlers; // the module's default export
        // The bootstrap's entry points (ScriptBridge::bootstrap()): one C++-to-JS call per event.
        QJSValue makeWs, onOpen, onMessage, onClose, onError, onTimer, onUpgrade, onReaction, onRelay, failedMark, takeFailure;
        std::map<int, Timer> timers;
        int nextTimerId = 1;
        qint64 heapCheckAt = 0; // allocated heap bytes past which the next call collects garbage and measures
    };
    struct Connection
    {
        std::shared_ptr<Version> version; // declared first: outlives the values below
        QJSValue ws;
        // { handlers, ws, data }, kept between messages: a message copies the list (shared, a reference
        // count), not its values (each a persistent handle in the engine).
        QJSValueList messageArgs;
    };

    // Calls a bootstrap entry point under the watchdog (nested calls share the outermost one's budget);
    // console output is attributed to subject. Reports an overrun (closing clientId, 0: nobody) and
    // returns false for it.
    bool guardedCall(Version &version, quint64 clientId, quint64 subject, const QString &what, const QJSValue &entry,
                     const QJSValueList &args, QJSValue *outcome);
    // An event for a handler (open, message, close, error) or a timer: the entry point answers 0, -1
    // (it threw) or the size ws.data grew to; a failure is reported and closes clientId.
    bool dispatch(Version &version, quint64 clientId, quint64 subject, const QString &what, const QJSValue &entry,
                  const QJSValueList &args);
    void reportThrown(Version &version, quint64 clientId, const QString &what);
    // After a call: the heap, garbage collected, over limits().heapBytes? Then that is reported, every
    // client of the version closed with 1011 and its timers stopped (they share the heap), and the
    // route starts again from a fresh load of the file.
    bool heapWithinLimit(Version &version, quint64 clientId, const QString &what);
    void rejected(Version &version, quint64 clientId, const QString &handler, const QJSValue &error);
    QJSValue react(Version &version, quint64 owner, const QJSValue &callback, const QJSValue &value);
    void fail(quint64 clientId, const QString &text, const QString &where);
    void failed(quint64 clientId, const QString &text);
    QString describeError(const QJSValue &error, QString *where) const;
    // where ("file:line") with the column of a syntax error appended, when Qt's parser finds it.
    static QString withColumn(const QJSValue &error, const QString &where);
    int addTimer(Version &version, quint64 owner, const QJSValue &callback, int ms, bool repeat, QString *error);
    void clearTimer(Version &version, quint64 owner, int timerId);
    void dropTimers(Version &version, quint64 owner);
    void fireTimer(const std::shared_ptr<Version> &version, int timerId);
    QString sourceSnapshot() const;
    void onDiskChanged();

    QString m_fileName; // absolute
    QString m_route;
    ScriptHost &m_host;
    ScriptLimits m_limits;
    ScriptWatchdog m_watchdog;
    std::shared_ptr<Version> m_current;
    std::map<quint64, Connection> m_connections;
    QString m_lastError;
    int m_versions = 0;
    quint64 m_subject = 0; // the client whose handler or timer runs: console records name it
    int m_depth = 0; // nested calls (a handler whose ws.close() runs onClose) share one budget
    QFileSystemWatcher *m_watcher = nullptr;
    QTimer m_settle; // editors write in steps: reload once they are done
    QString m_lastSnapshot;
    QStringList m_protocols;
};
