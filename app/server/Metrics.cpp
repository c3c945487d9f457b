#include "Metrics.h"

#include <algorithm>
#include <cmath>

namespace {

const char *kindName(bool binary)
{
    return binary ? "binary" : "text";
}

// HELP text escaping (0.0.4): backslash and newline only.
QByteArray escapeHelp(const QByteArray &help)
{
    QByteArray out = help;
    out.replace('\\', "\\\\");
    out.replace('\n', "\\n");
    return out;
}

} // namespace

Metrics::Metrics()
{
    m_counters.resize(CounterCount);
    m_counters[Accepted] = {"switchboard_connections_accepted_total",
                            "WebSocket connections accepted, by route.", {QStringLiteral("route")}, {}};
    m_counters[Refused] = {"switchboard_requests_refused_total",
                           "Requests refused with an HTTP error before or instead of an upgrade, by status.",
                           {QStringLiteral("status")}, {}};
    m_counters[MessagesIn] = {"switchboard_messages_received_total",
                              "WebSocket messages received from clients, by route and kind.",
                              {QStringLiteral("route"), QStringLiteral("kind")}, {}};
    m_counters[MessagesOut] = {"switchboard_messages_sent_total",
                               "WebSocket messages sent to clients (one per recipient), by route and kind.",
                               {QStringLiteral("route"), QStringLiteral("kind")}, {}};
    m_counters[BytesIn] = {"switchboard_received_bytes_total",
                           "Payload bytes of messages received from clients, by route and kind.",
                           {QStringLiteral("route"), QStringLiteral("kind")}, {}};
    m_counters[BytesOut] = {"switchboard_sent_bytes_total",
                            "Payload bytes of messages sent to clients, by route and kind.",
                            {QStringLiteral("route"), QStringLiteral("kind")}, {}};
    m_counters[Closes] = {"switchboard_closes_total",
                          "WebSocket connections ended, by close code and by the side that closed "
                          "(client, server, or network for a drop without a close frame).",
                          {QStringLiteral("code"), QStringLiteral("side")}, {}};
    m_counters[TlsFailures] = {"switchboard_tls_handshake_failures_total",
                               "Connections dropped before or during the TLS handshake (with --tls-cert), by reason "
                               "(not_tls: no TLS at all, e.g. http:// to the https:// port; timeout; error).",
                               {QStringLiteral("reason")}, {}};
    m_counters[AcceptErrors] = {"switchboard_accept_errors_total",
                                "Failed accepts for want of file descriptors, by reason (emfile: this process's "
                                "limit, enfile: the system's); each pauses accepting for 100 ms.",
                                {QStringLiteral("reason")}, {}};
    m_rttSeconds.reserve(kRttWindow);
}

void Metrics::add(CounterId id, const QStringList &labels, double amount)
{
    Counter &counter = m_counters[id];
    auto it = counter.values.find(labels);
    if (it == counter.values.end()) {
        QStringList key = labels;
        if (counter.values.size() >= kMaxSeriesPerMetric)
            std::fill(key.begin(), key.end(), QStringLiteral("other"));
        it = counter.values.insert(key, counter.values.value(key, 0));
    }
    *it += amount;
}

void Metrics::noteConnectionAccepted(const QString &route)
{
    add(Accepted, {route}, 1);
}

void Metrics::noteRefused(int httpStatus)
{
    add(Refused, {QString::number(httpStatus)}, 1);
}

void Metrics::noteMessageIn(const QString &route, bool binary, qint64 bytes)
{
    noteMessages(Received, route, binary, bytes, 1);
}

void Metrics::noteMessagesOut(const QString &route, bool binary, qint64 bytes, int count)
{
    noteMessages(Sent, route, binary, bytes, count);
}

void Metrics::noteMessages(TrafficDirection direction, const QString &route, bool binary, qint64 bytes, int count)
{
    Traffic &traffic = m_traffic[route];
    traffic.messages[direction][binary ? 1 : 0] += count;
    traffic.bytes[direction][binary ? 1 : 0] += static_cast<double>(bytes) * count;
}

void Metrics::renderTraffic(QByteArray &out, CounterId id) const
{
    const Counter &counter = m_counters.at(id);
    const int direction = (id == MessagesIn || id == BytesIn) ? Received : Sent;
    const bool countsBytes = id == BytesIn || id == BytesOut;
    // The same series as a map keyed by (route, kind) would give: sorted, and only once counted.
    for (auto it = m_traffic.cbegin(); it != m_traffic.cend(); ++it) {
        for (const bool binary : {true, false}) {
            const int kind = binary ? 1 : 0;
            if (it->messages[direction][kind] == 0)
                continue;
            appendSample(out, counter.name, counter.labelNames, {it.key(), QLatin1String(kindName(binary))},
                         countsBytes ? it->bytes[direction][kind] : it->messages[direction][kind]);
        }
    }
}

void Metrics::noteClose(int code, const QString &side)
{
    add(Closes, {QString::number(code), side.isEmpty() ? QStringLiteral("unknown") : side}, 1);
}

void Metrics::noteTlsHandshakeFailed(const QString &reason)
{
    add(TlsFailures, {reason}, 1);
}

void Metrics::noteAcceptFailed(const QString &reason, int refused)
{
    add(AcceptErrors, {reason}, 1);
    if (refused > 0)
        add(Refused, {QStringLiteral("503")}, refused);
}

void Metrics::notePingRtt(qint64 rttMs)
{
    const double seconds = static_cast<double>(rttMs) / 1000.0;
    if (m_rttSeconds.size() < kRttWindow)
        m_rttSeconds.append(seconds);
    else
        m_rttSeconds[m_rttNext] = seconds;
    m_rttNext = (m_rttNext + 1) % kRttWindow;
    m_rttSum += seconds;
    ++m_rttCount;
}

void Metrics::noteLogRecordsDropped(quint64 count)
{
    m_logRecordsDropped.fetch_add(count, std::memory_order_relaxed);
}

QByteArray Metrics::escapeLabelValue(const QString &value)
{
    QByteArray out = value.toUtf8();
    out.replace('\\', "\\\\");
    out.replace('"', "\\\"");
    out.replace('\n', "\\n");
    return out;
}

QByteArray Metrics::formatValue(double value)
{
    if (std::isnan(value))
        return "NaN";
    if (std::isinf(value))
        return value > 0 ? "+Inf" : "-Inf";
    // Counters are whole numbers: print them exactly rather than in exponent form.
    if (value == std::floor(value) && std::fabs(value) < 1e15)
        return QByteArray::number(static_cast<qint64>(value));
    return QByteArray::number(value, 'g', 15);
}

void Metrics::appendHeader(QByteArray &out, const QByteArray &name, const QByteArray &help, const char *type)
{
    out += "# HELP " + name + ' ' + escapeHelp(help) + '\n';
    out += "# TYPE " + name + ' ' + type + '\n';
}

void Metrics::appendSample(QByteArray &out, const QByteArray &name, const QStringList &labelNames,
                           const QStringList &labelValues, double value)
{
    out += name;
    if (!labelNames.isEmpty()) {
        out += '{';
        for (int i = 0; i < labelNames.size(); ++i) {
            if (i > 0)
                out += ',';
            out += labelNames.at(i).toLatin1() + "=\"" + escapeLabelValue(labelValues.value(i)) + '"';
        }
        out += '}';
    }
    out += ' ' + formatValue(value) + '\n';
}

QByteArray Metrics::render(const Gauges &gauges) const
{
    QByteArray out;
    out.reserve(4096);

    appendHeader(out, "switchboard_build_info", "Switchboard version; the value is always 1.", "gauge");
    appendSample(out, "switchboard_build_info", {QStringLiteral("version")},
                 {QStringLiteral(SWITCHBOARD_VERSION)}, 1);

    appendHeader(out, "switchboard_uptime_seconds", "Seconds since the server started listening.", "gauge");
    appendSample(out, "switchboard_uptime_seconds", {}, {}, gauges.uptimeSeconds);

    appendHeader(out, "switchboard_clients_connected", "WebSocket clients currently open, by route.", "gauge");
    for (auto it = gauges.clientsByRoute.cbegin(); it != gauges.clientsByRoute.cend(); ++it)
        appendSample(out, "switchboard_clients_connected", {QStringLiteral("route")}, {it.key()}, it.value());

    for (int id = 0; id < CounterCount; ++id) {
        const Counter &counter = m_counters.at(id);
        appendHeader(out, counter.name, counter.help, "counter");
        if (id == MessagesIn || id == MessagesOut || id == BytesIn || id == BytesOut) {
            renderTraffic(out, CounterId(id));
            continue;
        }
        for (auto it = counter.values.cbegin(); it != counter.values.cend(); ++it)
            appendSample(out, counter.name, counter.labelNames, it.key(), it.value());
    }

    appendHeader(out, "switchboard_ping_rtt_seconds",
                 "Round trip of answered pings; quantiles over the newest 1024 answers.", "summary");
    QVector<double> sorted = m_rttSeconds;
    std::sort(sorted.begin(), sorted.end());
    for (const double q : {0.5, 0.9, 0.99}) {
        double value = std::nan("");
        if (!sorted.isEmpty()) {
            const auto index = static_cast<int>(std::ceil(q * sorted.size())) - 1;
            value = sorted.at(std::clamp(index, 0, static_cast<int>(sorted.size()) - 1));
        }
        appendSample(out, "switchboard_ping_rtt_seconds", {QStringLiteral("quantile")},
                     {QString::number(q)}, value);
    }
    appendSample(out, "switchboard_ping_rtt_seconds_sum", {}, {}, m_rttSum);
    appendSample(out, "switchboard_ping_rtt_seconds_count", {}, {}, static_cast<double>(m_rttCount));

    appendHeader(out, "switchboard_write_queue_bytes",
                 "Bytes queued to WebSocket clients and not yet written to the network.", "gauge");
    appendSample(out, "switchboard_write_queue_bytes", {}, {}, static_cast<double>(gauges.bytesToWrite));

    if (gauges.cluster.enabled)
        renderCluster(out, gauges.cluster);

    appendHeader(out, "switchboard_log_records_dropped_total",
                 "Message log records evicted from memory because the log was full.", "counter");
    appendSample(out, "switchboard_log_records_dropped_total", {}, {},
                 static_cast<double>(m_logRecordsDropped.load(std::memory_order_relaxed)));
    return out;
}

void Metrics::renderCluster(QByteArray &out, const ClusterStatus &cluster)
{
    appendHeader(out, "switchboard_cluster_link_up", "1 while the Redis cluster link is up, else 0.", "gauge");
    appendSample(out, "switchboard_cluster_link_up", {}, {}, cluster.linkUp ? 1 : 0);
    appendHeader(out, "switchboard_cluster_instances", "Instances of the cluster this one knows, itself included.", "gauge");
    appendSample(out, "switchboard_cluster_instances", {}, {}, cluster.instances.size());
    appendHeader(out, "switchboard_cluster_published_total", "Broadcasts published to the other instances.", "counter");
    appendSample(out, "switchboard_cluster_published_total", {}, {}, static_cast<double>(cluster.published));
    appendHeader(out, "switchboard_cluster_received_total",
                 "Broadcasts from other instances delivered to this one's clients.", "counter");
    appendSample(out, "switchboard_cluster_received_total", {}, {}, static_cast<double>(cluster.received));
    appendHeader(out, "switchboard_cluster_dropped_total",
                 "Broadcasts not published: the link was down, or too much was still waiting for Redis.", "counter");
    appendSample(out, "switchboard_cluster_dropped_total", {QStringLiteral("reason")}, {QStringLiteral("backlog")},
                 static_cast<double>(cluster.droppedBacklog));
    appendSample(out, "switchboard_cluster_dropped_total", {QStringLiteral("reason")}, {QStringLiteral("link_down")},
                 static_cast<double>(cluster.droppedLinkDown));
    appendHeader(out, "switchboard_cluster_invalid_total", "Publications on the cluster's channels that were ignored.",
                 "counter");
    appendSample(out, "switchboard_cluster_invalid_total", {}, {}, static_cast<double>(cluster.invalid));
    appendHeader(out, "switchboard_cluster_link_losses_total", "Times the cluster link went down.", "counter");
    appendSample(out, "switchboard_cluster_link_losses_total", {}, {}, static_cast<double>(cluster.linkLosses));
}
