// GET /metrics: valid Prometheus text exposition (0.0.4), and counters that move by exactly what happened.
#include "TestSupport.h"

#include "server/EngineHost.h"
#include "server/Metrics.h"

#include <QHash>
#include <QRegularExpression>
#include <QSet>
#include <QSignalSpy>
#include <QTest>
#include <QWebSocket>
#include <cmath>
#include <thread>

using namespace TestSupport;

namespace {

using Samples = QHash<QString, double>; // "name{a=\"x\",b=\"y\"}" (labels as written) -> value

// A line-by-line check of the text format: # HELP / # TYPE once per family and before its samples,
// every sample inside the family declared last, names and label names well-formed, label values
// escaped, values parseable. Our own rules on top: the switchboard_ prefix, counters end in _total.
// Returns an empty string when valid, else the first problem with its line number.
QString validateExposition(const QByteArray &text, Samples *samples)
{
    static const QRegularExpression metricName(QStringLiteral("^[a-zA-Z_:][a-zA-Z0-9_:]*$"));
    static const QRegularExpression labelName(QStringLiteral("^[a-zA-Z_][a-zA-Z0-9_]*$"));
    static const QRegularExpression value(QStringLiteral("^(NaN|[+-]Inf|[+-]?(\\d+\\.?\\d*|\\.\\d+)([eE][+-]?\\d+)?)$"));
    if (!text.endsWith('\n'))
        return QStringLiteral("the text must end with a newline");
    QSet<QString> helped, typed, seenFamilies;
    QString family, type;
    const QList<QByteArray> lines = text.chopped(1).split('\n');
    for (int n = 0; n < lines.size(); ++n) {
        const QString line = QString::fromUtf8(lines.at(n));
        const auto fail = [&](const QString &why) { return QStringLiteral("line %1: %2: %3").arg(n + 1).arg(why, line); };
        if (line.isEmpty())
            return fail(QStringLiteral("empty line"));
        if (line.startsWith(QLatin1String("# HELP ")) || line.startsWith(QLatin1String("# TYPE "))) {
            const QStringList parts = line.mid(7).split(QLatin1Char(' '));
            const QString name = parts.first();
            if (!metricName.match(name).hasMatch() || parts.size() < 2)
                return fail(QStringLiteral("bad metric name or missing text"));
            if (line.startsWith(QLatin1String("# HELP "))) {
                if (helped.contains(name))
                    return fail(QStringLiteral("second HELP"));
                helped.insert(name);
                // In HELP text only \\ and \n are escapes.
                const QString help = line.mid(7 + name.size() + 1);
                for (int i = 0; i < help.size(); ++i) {
                    if (help.at(i) == QLatin1Char('\\')) {
                        if (i + 1 >= help.size() || (help.at(i + 1) != QLatin1Char('\\') && help.at(i + 1) != QLatin1Char('n')))
                            return fail(QStringLiteral("bad escape in HELP"));
                        ++i;
                    }
                }
            } else {
                if (typed.contains(name) || seenFamilies.contains(name))
                    return fail(QStringLiteral("TYPE repeated or after the family's samples"));
                typed.insert(name);
                if (parts.size() != 2 || !QStringList{"counter", "gauge", "summary", "histogram", "untyped"}.contains(parts.at(1)))
                    return fail(QStringLiteral("unknown type"));
                family = name;
                type = parts.at(1);
                if (!name.startsWith(QLatin1String("switchboard_")))
                    return fail(QStringLiteral("no switchboard_ prefix"));
                if (type == QLatin1String("counter") && !name.endsWith(QLatin1String("_total")))
                    return fail(QStringLiteral("a counter's name must end in _total"));
            }
            continue;
        }
        if (line.startsWith(QLatin1Char('#')))
            continue; // a comment
        // name{label="value",...} value
        int i = 0;
        while (i < line.size() && line.at(i) != QLatin1Char('{') && line.at(i) != QLatin1Char(' '))
            ++i;
        const QString name = line.left(i);
        if (!metricName.match(name).hasMatch())
            return fail(QStringLiteral("bad metric name"));
        const bool inFamily = name == family
                              || (type == QLatin1String("summary")
                                  && (name == family + QLatin1String("_sum") || name == family + QLatin1String("_count")));
        if (family.isEmpty() || !inFamily)
            return fail(QStringLiteral("sample outside the family declared by the last TYPE (%1)").arg(family));
        seenFamilies.insert(family);
        QString key = name;
        if (i < line.size() && line.at(i) == QLatin1Char('{')) {
            const int open = i++;
            QSet<QString> labelNames;
            while (true) {
                int start = i;
                while (i < line.size() && line.at(i) != QLatin1Char('='))
                    ++i;
                const QString label = line.mid(start, i - start);
                if (!labelName.match(label).hasMatch() || labelNames.contains(label))
                    return fail(QStringLiteral("bad or repeated label name '%1'").arg(label));
                labelNames.insert(label);
                if (++i >= line.size() || line.at(i) != QLatin1Char('"'))
                    return fail(QStringLiteral("label value must be quoted"));
                for (++i; i < line.size() && line.at(i) != QLatin1Char('"'); ++i) {
                    if (line.at(i) == QLatin1Char('\\')) {
                        ++i;
                        if (i >= line.size() || !QStringLiteral("\\\"n").contains(line.at(i)))
                            return fail(QStringLiteral("bad escape in a label value"));
                    }
                }
                if (i >= line.size())
                    return fail(QStringLiteral("unterminated label value"));
                ++i; // closing quote
                if (i < line.size() && line.at(i) == QLatin1Char(',')) {
                    ++i;
                    if (i < line.size() && line.at(i) == QLatin1Char('}'))
                        break; // a trailing comma is allowed
                    continue;
                }
                if (i < line.size() && line.at(i) == QLatin1Char('}'))
                    break;
                return fail(QStringLiteral("expected , or }"));
            }
            ++i;
            key = line.left(i);
            (void)open;
        }
        if (i >= line.size() || line.at(i) != QLatin1Char(' '))
            return fail(QStringLiteral("expected a space before the value"));
        const QStringList rest = line.mid(i + 1).split(QLatin1Char(' '));
        if (rest.isEmpty() || rest.size() > 2 || !value.match(rest.first()).hasMatch())
            return fail(QStringLiteral("bad value"));
        if (samples->contains(key))
            return fail(QStringLiteral("duplicate series"));
        const QString v = rest.first();
        samples->insert(key, v == QLatin1String("NaN") ? std::nan("") : v.endsWith(QLatin1String("Inf"))
                                 ? (v.startsWith(QLatin1Char('-')) ? -INFINITY : INFINITY)
                                 : v.toDouble());
    }
    for (const QString &name : typed) {
        if (!helped.contains(name))
            return QStringLiteral("%1 has a TYPE but no HELP").arg(name);
    }
    return {};
}

} // namespace

class TestMetrics : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void init();
    void cleanup();
    void servedAsTextFormat004();
    void validatorCatchesMistakes_data();
    void validatorCatchesMistakes();
    void countersMoveByExactlyWhatHappened();
    void refusalsByStatus();
    void labelValuesAreEscaped();
    void clientChosenCloseCodesCannotGrowMemory();
    void logRecordsDroppedFromAnyThread();
    void dashboardReportsEvictionsThroughTheHost();

private:
    Samples scrape();
    std::unique_ptr<Engine> m_engine;
};

void TestMetrics::init()
{
    m_engine = startEngine();
    QVERIFY(m_engine);
}

void TestMetrics::cleanup()
{
    m_engine.reset();
}

Samples TestMetrics::scrape()
{
    const QByteArray answer = rawExchange(m_engine->port(), "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
    Samples samples;
    if (statusOf(answer) != 200) {
        qWarning() << "GET /metrics answered" << answer.left(200);
        return samples;
    }
    const QString problem = validateExposition(bodyOf(answer), &samples);
    if (!problem.isEmpty()) {
        qWarning().noquote() << "invalid exposition:" << problem;
        return {};
    }
    return samples;
}

void TestMetrics::servedAsTextFormat004()
{
    const QByteArray answer = rawExchange(m_engine->port(), "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
    QCOMPARE(statusOf(answer), 200);
    QVERIFY(answer.contains("Content-Type: text/plain; version=0.0.4; charset=utf-8"));
    Samples samples;
    const QString problem = validateExposition(bodyOf(answer), &samples);
    QVERIFY2(problem.isEmpty(), qPrintable(problem));
    // Every family is present from the start, with all routes listed at 0.
    for (const char *series : {"switchboard_clients_connected{route=\"/ws\"}", "switchboard_clients_connected{route=\"/chat/:room\"}",
                               "switchboard_write_queue_bytes", "switchboard_log_records_dropped_total",
                               "switchboard_ping_rtt_seconds_count", "switchboard_ping_rtt_seconds_sum",
                               "switchboard_build_info{version=\"" SWITCHBOARD_VERSION "\"}", "switchboard_uptime_seconds"}) {
        QVERIFY2(samples.contains(QLatin1String(series)), series);
    }
    for (const char *type : {"# TYPE switchboard_connections_accepted_total counter", "# TYPE switchboard_requests_refused_total counter",
                             "# TYPE switchboard_messages_received_total counter", "# TYPE switchboard_messages_sent_total counter",
                             "# TYPE switchboard_received_bytes_total counter", "# TYPE switchboard_sent_bytes_total counter",
                             "# TYPE switchboard_closes_total counter", "# TYPE switchboard_ping_rtt_seconds summary"}) {
        QVERIFY2(bodyOf(answer).contains(type), type);
    }
    // HEAD: the headers only.
    const QByteArray head = rawExchange(m_engine->port(), "HEAD /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
    QCOMPARE(statusOf(head), 200);
    QVERIFY(bodyOf(head).isEmpty());
}

void TestMetrics::validatorCatchesMistakes_data()
{
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<QString>("problem");
    const QByteArray header = "# HELP switchboard_x_total X.\n# TYPE switchboard_x_total counter\n";
    QTest::newRow("valid") << QByteArray(header + "switchboard_x_total{a=\"1\",b=\"q\\\"\\\\\\n\"} 3\n") << QString();
    QTest::newRow("no newline at the end") << QByteArray(header + "switchboard_x_total 1") << QStringLiteral("newline");
    QTest::newRow("counter without _total") << QByteArray("# HELP switchboard_x X.\n# TYPE switchboard_x counter\nswitchboard_x 1\n")
                                            << QStringLiteral("_total");
    QTest::newRow("sample of another family") << QByteArray(header + "switchboard_y_total 1\n") << QStringLiteral("outside the family");
    QTest::newRow("unescaped quote") << QByteArray(header + "switchboard_x_total{a=\"q\"q\"} 1\n") << QStringLiteral("expected , or }");
    QTest::newRow("bad escape") << QByteArray(header + "switchboard_x_total{a=\"\\t\"} 1\n") << QStringLiteral("bad escape");
    QTest::newRow("bad value") << QByteArray(header + "switchboard_x_total 1,5\n") << QStringLiteral("bad value");
    QTest::newRow("duplicate series") << QByteArray(header + "switchboard_x_total 1\nswitchboard_x_total 2\n") << QStringLiteral("duplicate");
    QTest::newRow("TYPE twice") << QByteArray(header + "# TYPE switchboard_x_total counter\n") << QStringLiteral("TYPE repeated");
    QTest::newRow("no HELP") << QByteArray("# TYPE switchboard_x_total counter\nswitchboard_x_total 1\n") << QStringLiteral("no HELP");
    QTest::newRow("no prefix") << QByteArray("# HELP x_total X.\n# TYPE x_total counter\nx_total 1\n") << QStringLiteral("prefix");
}

void TestMetrics::validatorCatchesMistakes()
{
    QFETCH(QByteArray, text);
    QFETCH(QString, problem);
    Samples samples;
    const QString found = validateExposition(text, &samples);
    if (problem.isEmpty())
        QVERIFY2(found.isEmpty(), qPrintable(found));
    else
        QVERIFY2(found.contains(problem), qPrintable(found));
}

void TestMetrics::countersMoveByExactlyWhatHappened()
{
    const Samples before = scrape();
    QVERIFY(!before.isEmpty());
    const auto delta = [&before](const Samples &after, const char *series) {
        return after.value(QLatin1String(series)) - before.value(QLatin1String(series));
    };

    auto client = connectClient(m_engine->webSocketUrl(QStringLiteral("/ws")));
    QVERIFY(client);
    QTRY_COMPARE(m_engine->openClientCount(), 1);
    QCOMPARE(scrape().value(QStringLiteral("switchboard_clients_connected{route=\"/ws\"}")), 1.0);

    QSignalSpy texts(client.get(), &QWebSocket::textMessageReceived);
    QSignalSpy binaries(client.get(), &QWebSocket::binaryMessageReceived);
    for (const char *text : {"one", "two", "three"})
        client->sendTextMessage(QLatin1String(text)); // 11 bytes
    client->sendBinaryMessage(QByteArray("\x01\x02\x03\x04", 4));
    QTRY_COMPARE(texts.size(), 3);
    QTRY_COMPARE(binaries.size(), 1);

    const quint64 id = m_engine->clients().first().id;
    QVERIFY(m_engine->ping(id).ok);
    QTRY_VERIFY(m_engine->clients().first().lastRttMs >= 0);

    QSignalSpy gone(client.get(), &QWebSocket::disconnected);
    client->close(static_cast<QWebSocketProtocol::CloseCode>(4000), QStringLiteral("done"));
    QTRY_COMPARE(gone.size(), 1);
    QTRY_COMPARE(m_engine->clients().size(), 0);
    QCOMPARE(statusOf(rawExchange(m_engine->port(), upgradeRequest("/nowhere"))), 404);

    const Samples after = scrape();
    QVERIFY(!after.isEmpty());
    QCOMPARE(delta(after, "switchboard_connections_accepted_total{route=\"/ws\"}"), 1.0);
    QCOMPARE(delta(after, "switchboard_messages_received_total{route=\"/ws\",kind=\"text\"}"), 3.0);
    QCOMPARE(delta(after, "switchboard_messages_received_total{route=\"/ws\",kind=\"binary\"}"), 1.0);
    QCOMPARE(delta(after, "switchboard_received_bytes_total{route=\"/ws\",kind=\"text\"}"), 11.0);
    QCOMPARE(delta(after, "switchboard_received_bytes_total{route=\"/ws\",kind=\"binary\"}"), 4.0);
    QCOMPARE(delta(after, "switchboard_messages_sent_total{route=\"/ws\",kind=\"text\"}"), 3.0);
    QCOMPARE(delta(after, "switchboard_messages_sent_total{route=\"/ws\",kind=\"binary\"}"), 1.0);
    QCOMPARE(delta(after, "switchboard_sent_bytes_total{route=\"/ws\",kind=\"text\"}"), 11.0);
    QCOMPARE(delta(after, "switchboard_sent_bytes_total{route=\"/ws\",kind=\"binary\"}"), 4.0);
    QCOMPARE(delta(after, "switchboard_closes_total{code=\"4000\",side=\"client\"}"), 1.0);
    QCOMPARE(delta(after, "switchboard_requests_refused_total{status=\"404\"}"), 1.0);
    QCOMPARE(delta(after, "switchboard_ping_rtt_seconds_count"), 1.0);
    QVERIFY(after.value(QStringLiteral("switchboard_ping_rtt_seconds_sum")) >= 0);
    QVERIFY(!std::isnan(after.value(QStringLiteral("switchboard_ping_rtt_seconds{quantile=\"0.5\"}"))));
    QCOMPARE(after.value(QStringLiteral("switchboard_clients_connected{route=\"/ws\"}")), 0.0);
    QCOMPARE(after.value(QStringLiteral("switchboard_write_queue_bytes")), 0.0);
    // Scrapes themselves are answers, not refusals; no route saw anything else.
    QCOMPARE(delta(after, "switchboard_requests_refused_total{status=\"200\"}"), 0.0);
    QCOMPARE(delta(after, "switchboard_connections_accepted_total{route=\"/chat/:room\"}"), 0.0);

    // A server-side close is counted on the server's side.
    auto second = connectClient(m_engine->webSocketUrl(QStringLiteral("/chat/lobby")));
    QVERIFY(second);
    QTRY_COMPARE(m_engine->openClientCount(), 1);
    QSignalSpy secondGone(second.get(), &QWebSocket::disconnected);
    QVERIFY(m_engine->closeClients({m_engine->clients().first().id}, 4001, QStringLiteral("bye")).ok);
    QVERIFY(secondGone.wait(5000));
    QTRY_COMPARE(m_engine->clients().size(), 0);
    QCOMPARE(delta(scrape(), "switchboard_closes_total{code=\"4001\",side=\"server\"}"), 1.0);
}

void TestMetrics::refusalsByStatus()
{
    const Samples before = scrape();
    QCOMPARE(statusOf(rawExchange(m_engine->port(), upgradeRequest("/ws", "Origin: https://evil.example\r\n"))), 403);
    QCOMPARE(statusOf(rawExchange(m_engine->port(), "GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + QByteArray(20000, 'a') + "\r\n\r\n")), 431);
    QCOMPARE(statusOf(rawExchange(m_engine->port(), "GET /nope HTTP/1.1\r\nHost: x\r\n\r\n")), 404);
    QCOMPARE(statusOf(rawExchange(m_engine->port(), "GET /nope HTTP/1.1\r\nHost: x\r\n\r\n")), 404);
    QCOMPARE(statusOf(rawExchange(m_engine->port(), "GET /api/clients HTTP/1.1\r\nHost: x\r\n\r\n")), 403); // API off
    const Samples after = scrape();
    const auto delta = [&](const QString &status) {
        const QString series = QStringLiteral("switchboard_requests_refused_total{status=\"%1\"}").arg(status);
        return after.value(series) - before.value(series);
    };
    QCOMPARE(delta(QStringLiteral("403")), 2.0);
    QCOMPARE(delta(QStringLiteral("431")), 1.0);
    QCOMPARE(delta(QStringLiteral("404")), 2.0);
}

void TestMetrics::labelValuesAreEscaped()
{
    Metrics metrics;
    metrics.noteConnectionAccepted(QStringLiteral("/we\"ird\\route\nend"));
    Metrics::Gauges gauges;
    gauges.clientsByRoute.insert(QStringLiteral("/ws"), 2);
    const QByteArray text = metrics.render(gauges);
    QVERIFY2(text.contains("switchboard_connections_accepted_total{route=\"/we\\\"ird\\\\route\\nend\"} 1\n"), text.constData());
    Samples samples;
    const QString problem = validateExposition(text, &samples);
    QVERIFY2(problem.isEmpty(), qPrintable(problem));
    QCOMPARE(samples.value(QStringLiteral("switchboard_clients_connected{route=\"/ws\"}")), 2.0);
}

void TestMetrics::clientChosenCloseCodesCannotGrowMemory()
{
    Metrics metrics;
    for (int code = 3000; code < 4000; ++code)
        metrics.noteClose(code, QStringLiteral("client"));
    Samples samples;
    const QString problem = validateExposition(metrics.render({}), &samples);
    QVERIFY2(problem.isEmpty(), qPrintable(problem));
    int series = 0;
    for (auto it = samples.cbegin(); it != samples.cend(); ++it)
        series += it.key().startsWith(QLatin1String("switchboard_closes_total{")) ? 1 : 0;
    QCOMPARE(series, Metrics::kMaxSeriesPerMetric + 1);
    // Nothing is lost: the overflow is counted under "other".
    QCOMPARE(samples.value(QStringLiteral("switchboard_closes_total{code=\"other\",side=\"other\"}")),
             double(1000 - Metrics::kMaxSeriesPerMetric));
}

void TestMetrics::logRecordsDroppedFromAnyThread()
{
    // The dashboard's log lives on the GUI thread; its evictions are counted from there.
    std::thread gui([this] {
        for (int i = 0; i < 1000; ++i)
            m_engine->metrics().noteLogRecordsDropped(3);
    });
    gui.join();
    QCOMPARE(scrape().value(QStringLiteral("switchboard_log_records_dropped_total")), 3000.0);
}

void TestMetrics::dashboardReportsEvictionsThroughTheHost()
{
    // As the dashboard runs it: the engine on its own thread behind an EngineHost.
    EngineHost host;
    QSignalSpy listening(&host, &EngineHost::listening);
    ServerConfig config;
    config.port = 0;
    host.start(config);
    QVERIFY(listening.wait(5000));
    host.noteLogRecordsDropped(42);
    const QByteArray answer = rawExchange(static_cast<quint16>(host.url().port()), "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
    Samples samples;
    const QString problem = validateExposition(bodyOf(answer), &samples);
    QVERIFY2(problem.isEmpty(), qPrintable(problem));
    QCOMPARE(samples.value(QStringLiteral("switchboard_log_records_dropped_total")), 42.0);
}

QTEST_GUILESS_MAIN(TestMetrics)
#include "tst_metrics.moc"
