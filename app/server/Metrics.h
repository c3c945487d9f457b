#pragma once

#include "../cluster/ClusterStatus.h"

#include <QByteArray>
#include <QMap>
#include <QString>
#include <QStringList>
#include <QVector>
#include <atomic>

// The server's counters for GET /metrics, rendered in the Prometheus text exposition format 0.0.4.
// The engine calls the note*() methods on its own thread and renders on that thread too; only
// noteLogRecordsDropped() may be called from any thread (the log lives with the dashboard).
class Metrics
{
public:
    // Values that are read at scrape time rather than counted.
    struct Gauges
    {
        double uptimeSeconds = 0;
        QMap<QString, int> clientsByRoute; // every route pattern, 0 included
        qint64 bytesToWrite = 0;           // queued to clients and not yet written to the network
        ClusterStatus cluster;             // rendered only when enabled (--redis)
    };

    // Distinct label sets kept per metric. Close codes come from clients (3000-4999): past this
    // many, new ones are counted under the label value "other" so a client cannot grow memory.
    static constexpr int kMaxSeriesPerMetric = 200;
    // Ping round trips kept for the summary's quantiles (sum and count cover every sample).
    static constexpr int kRttWindow = 1024;

    Metrics();

    void noteConnectionAccepted(const QString &route);
    void noteRefused(int httpStatus);
    void noteMessageIn(const QString &route, bool binary, qint64 bytes);
    // `count` copies of one message of `bytes` bytes (a broadcast is counted in one call).
    void noteMessagesOut(const QString &route, bool binary, qint64 bytes, int count);
    void noteClose(int code, const QString &side);
    // reason: "not_tls", "timeout" or "error" (TlsServer::handshakeFailed).
    void noteTlsHandshakeFailed(const QString &reason);
    // reason: "emfile" or "enfile" (FrontDoor::acceptFailed); refused: answered 503 meanwhile.
    void noteAcceptFailed(const QString &reason, int refused);
    void notePingRtt(qint64 rttMs);
    void noteLogRecordsDropped(quint64 count);

    QByteArray render(const Gauges &gauges) const;

    // Prometheus label value escaping: backslash, double quote and newline.
    static QByteArray escapeLabelValue(const QString &value);

private:
    // Messages are counted once per message (and per recipient): one lookup by route pattern,
    // no label lists built. Rendered as the messages/bytes received/sent counters.
    struct Traffic
    {
        double messages[2][2] = {}; // [received, sent][text, binary]
        double bytes[2][2] = {};
    };
    enum TrafficDirection { Received = 0, Sent = 1 };
    void noteMessages(TrafficDirection direction, const QString &route, bool binary, qint64 bytes, int count);

    struct Counter
    {
        QByteArray name; // with the switchboard_ prefix and _total suffix
        QByteArray help;
        QStringList labelNames;
        QMap<QStringList, double> values; // by label values, in labelNames order
    };
    enum CounterId { Accepted, Refused, MessagesIn, MessagesOut, BytesIn, BytesOut, Closes, TlsFailures, AcceptErrors, CounterCount };
    void renderTraffic(QByteArray &out, CounterId id) const;

    void add(CounterId id, const QStringList &labels, double amount);
    static void appendHeader(QByteArray &out, const QByteArray &name, const QByteArray &help, const char *type);
    static void appendSample(QByteArray &out, const QByteArray &name, const QStringList &labelNames,
                             const QStringList &labelValues, double value);
    static QByteArray formatValue(double value);
    static void renderCluster(QByteArray &out, const ClusterStatus &cluster);

    QVector<Counter> m_counters;
    QMap<QString, Traffic> m_traffic; // by route pattern: as many as the config has routes
    QVector<double> m_rttSeconds; // ring of the newest kRttWindow samples
    int m_rttNext = 0;
    double m_rttSum = 0;
    quint64 m_rttCount = 0;
    std::atomic<quint64> m_logRecordsDropped{0};
};
