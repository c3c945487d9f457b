// The dashboard's log pipeline under load: how late does the GUI thread get?
//
// One process plays the dashboard: the engine on its own thread (see EngineThread), its record batches
// into a MessageLogModel behind a sort/filter proxy and a QTableView that follows the tail, the
// client table, and optionally a LogRecorder fed on the GUI thread as the dashboard does. A
// second process (this binary with --generate) is the load: N WebSocket clients on loopback
// sending M messages a second in total to the echo route, so the log takes 2*M records a second.
//
// Measured on the GUI thread: how late a 10 ms single-shot timer fires (event-loop delay, like
// Node's monitorEventLoopDelay), p50/p99/max; RSS now and peak (VmHWM), once a second.
//
//   switchboard_logbench [--rate 20000] [--seconds 10] [--clients 4] [--capacity 100000]
//                        [--payload 100] [--record FILE]
#include "Percentile.h"
#include "log/LogRecorder.h"
#include "model/ClientTableModel.h"
#include "model/MessageLogModel.h"
#include "server/Engine.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QElapsedTimer>
#include <QFile>
#include <QHeaderView>
#include <QLoggingCategory>
#include <QProcess>
#include <QRegularExpression>
#include <QSortFilterProxyModel>
#include <QTableView>
#include <QTextStream>
#include <QThread>
#include <QTimer>
#include <QWebSocket>
#include <algorithm>
#include <memory>
#include <vector>

namespace {

QTextStream &out()
{
    static QTextStream stream(stdout);
    return stream;
}

qint64 procStatusKb(const char *field)
{
    QFile status(QStringLiteral("/proc/self/status"));
    if (!status.open(QIODevice::ReadOnly))
        return -1;
    const QByteArray prefix = QByteArray(field) + ':';
    for (const QByteArray &line : status.readAll().split('\n')) {
        if (line.startsWith(prefix))
            return line.mid(prefix.size()).trimmed().split(' ').value(0).toLongLong();
    }
    return -1;
}

// ---- the load generator (a separate process, so it does not share the GUI's event loop) ----

int runGenerator(const QUrl &url, int rate, int seconds, int clients, int payloadBytes)
{
    std::vector<std::unique_ptr<QWebSocket>> sockets;
    int connected = 0;
    qint64 echoes = 0;
    for (int i = 0; i < clients; ++i) {
        auto socket = std::make_unique<QWebSocket>();
        QObject::connect(socket.get(), &QWebSocket::connected, [&connected] { ++connected; });
        QObject::connect(socket.get(), &QWebSocket::textMessageReceived, [&echoes] { ++echoes; });
        socket->open(url);
        sockets.push_back(std::move(socket));
    }
    QElapsedTimer waiting;
    waiting.start();
    while (connected < clients && waiting.elapsed() < 10000)
        QCoreApplication::processEvents(QEventLoop::WaitForMoreEvents, 100);
    if (connected < clients) {
        QTextStream(stderr) << "generator: only " << connected << " of " << clients << " clients connected\n";
        return 1;
    }
    out() << "ready" << Qt::endl;

    const QString pad(std::max(0, payloadBytes - 40), QLatin1Char('x'));
    qint64 sent = 0;
    QElapsedTimer clock;
    clock.start();
    const qint64 total = static_cast<qint64>(rate) * seconds;
    QTimer tick;
    tick.setTimerType(Qt::PreciseTimer);
    tick.setInterval(2);
    QObject::connect(&tick, &QTimer::timeout, [&] {
        // Paced by the clock, not by the tick count: late ticks catch up instead of losing rate.
        const qint64 due = std::min(total, clock.elapsed() * rate / 1000);
        for (; sent < due; ++sent) {
            sockets[static_cast<std::size_t>(sent % clients)]->sendTextMessage(
                QStringLiteral("{\"n\":%1,\"pad\":\"%2\"}").arg(sent).arg(pad));
        }
        if (sent >= total)
            tick.stop();
    });
    tick.start();
    while (tick.isActive() || (echoes < total && clock.elapsed() < (seconds + 10) * 1000LL))
        QCoreApplication::processEvents(QEventLoop::WaitForMoreEvents, 50);
    const double elapsed = static_cast<double>(clock.elapsed()) / 1000.0;
    out() << "generator: sent " << sent << " messages in " << QString::number(elapsed, 'f', 2) << " s ("
          << qRound(static_cast<double>(sent) / elapsed) << "/s), " << echoes << " echoes back" << Qt::endl;
    for (auto &socket : sockets)
        socket->close();
    QElapsedTimer closing;
    closing.start();
    while (closing.elapsed() < 200)
        QCoreApplication::processEvents(QEventLoop::AllEvents, 50);
    return 0;
}

// ---- the dashboard side ----

// The engine on a thread of its own, as the dashboard runs it. It is constructed on that thread:
// EngineHost (at the time of writing) constructs it on the GUI thread and then moveToThread()s
// it, which leaves its FrontDoor and QTimers (members, not QObject children) behind on the GUI
// thread, so sockets are accepted there and nothing reaches the log.
class EngineThread : public QObject
{
    Q_OBJECT
public:
    EngineThread()
    {
        m_thread.setObjectName(QStringLiteral("switchboard-engine"));
        m_thread.start();
        m_context.moveToThread(&m_thread);
    }
    ~EngineThread() override
    {
        QMetaObject::invokeMethod(&m_context, [this] { delete m_engine; }, Qt::BlockingQueuedConnection);
        m_thread.quit();
        m_thread.wait();
    }
    void start(const ServerConfig &config)
    {
        QMetaObject::invokeMethod(&m_context, [this, config] { m_engine = new Engine(config); },
                                  Qt::BlockingQueuedConnection);
        connect(m_engine, &Engine::listening, this, &EngineThread::listening);
        connect(m_engine, &Engine::startFailed, this, &EngineThread::startFailed);
        connect(m_engine, &Engine::recordsAppended, this, &EngineThread::recordsAppended);
        connect(m_engine, &Engine::clientsChanged, this, &EngineThread::clientsChanged);
        QMetaObject::invokeMethod(m_engine, &Engine::start, Qt::QueuedConnection);
    }

Q_SIGNALS:
    void listening(const QUrl &url);
    void startFailed(const QString &error);
    void recordsAppended(const LogRecordBatch &records);
    void clientsChanged(const ClientInfoList &clients);

private:
    QThread m_thread;
    QObject m_context; // lives on m_thread: where the engine is made and deleted
    Engine *m_engine = nullptr;
};

class Dashboard : public QObject
{
public:
    Dashboard(int rate, int seconds, int clients, int capacity, int payloadBytes, const QString &recordPath)
        : m_rate(rate), m_seconds(seconds), m_clients(clients), m_payloadBytes(payloadBytes),
          m_recordPath(recordPath), m_log(capacity)
    {
        m_proxy.setSourceModel(&m_log);
        // An active filter, as an operator would have: every row passes, but each is checked.
        m_proxy.setFilterKeyColumn(MessageLogModel::Preview);
        m_proxy.setFilterRegularExpression(QRegularExpression(QStringLiteral("n|open|close|^$")));
        m_view.setModel(&m_proxy);
        m_view.verticalHeader()->setDefaultSectionSize(20);
        m_view.verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
        m_view.horizontalHeader()->setStretchLastSection(true);
        m_view.resize(1280, 800);
        m_view.show();
        connect(&m_log, &QAbstractItemModel::rowsInserted, this, [this](const QModelIndex &, int first, int last) {
            m_records += last - first + 1;
            ++m_inserts;
            m_view.scrollToBottom(); // follow the tail, like the live log
        });
        connect(&m_log, &QAbstractItemModel::modelReset, this, [this] { ++m_resets; });
        connect(&m_host, &EngineThread::recordsAppended, &m_log, &MessageLogModel::appendBatch);
        connect(&m_host, &EngineThread::clientsChanged, &m_clientsModel, &ClientTableModel::applyChanges);
        connect(&m_host, &EngineThread::listening, this, [this](const QUrl &url) { startGenerator(url); });
        connect(&m_host, &EngineThread::startFailed, this, [](const QString &error) {
            QTextStream(stderr) << "bench: " << error << '\n';
            QCoreApplication::exit(1);
        });
        if (!m_recordPath.isEmpty()) {
            LogRecorder::Options options;
            options.path = m_recordPath;
            options.maxBytes = 1LL << 30;
            QString error;
            if (!m_recorder.start(options, &error))
                QTextStream(stderr) << "bench: " << error << '\n';
            connect(&m_host, &EngineThread::recordsAppended, &m_recorder, &LogRecorder::append);
        }

        m_probe.setSingleShot(true);
        m_probe.setTimerType(Qt::PreciseTimer);
        connect(&m_probe, &QTimer::timeout, this, &Dashboard::onProbe);
        m_second.setInterval(1000);
        connect(&m_second, &QTimer::timeout, this, &Dashboard::onSecond);
    }

    void start()
    {
        m_rssStartKb = procStatusKb("VmRSS");
        ServerConfig config;
        config.host = QStringLiteral("127.0.0.1");
        config.port = 0;
        config.messagesPerSecond = 1e7; // the bench is the load, not an abuser
        config.messageBurst = 10000000;
        config.heartbeatIntervalMs = 0;
        m_host.start(config);
    }

private:
    static constexpr int kProbeMs = 10;

    void startGenerator(const QUrl &httpUrl)
    {
        QUrl url = httpUrl;
        url.setScheme(QStringLiteral("ws"));
        url.setPath(QStringLiteral("/ws"));
        m_generator.setProcessChannelMode(QProcess::ForwardedErrorChannel);
        connect(&m_generator, &QProcess::readyReadStandardOutput, this, [this] {
            while (m_generator.canReadLine()) {
                const QByteArray line = m_generator.readLine().trimmed();
                if (line == "ready")
                    beginMeasuring();
                else
                    m_generatorReport = QString::fromUtf8(line);
            }
        });
        connect(&m_generator, &QProcess::finished, this, [this] {
            m_generatorReport += QString::fromUtf8(m_generator.readAllStandardOutput()).trimmed();
            // Let the last batches land, then report.
            QTimer::singleShot(500, this, &Dashboard::finish);
        });
        m_generator.start(QCoreApplication::applicationFilePath(),
                          {QStringLiteral("--generate"), url.toString(), QStringLiteral("--rate"), QString::number(m_rate),
                           QStringLiteral("--seconds"), QString::number(m_seconds), QStringLiteral("--clients"),
                           QString::number(m_clients), QStringLiteral("--payload"), QString::number(m_payloadBytes)});
    }

    void beginMeasuring()
    {
        out() << "load: " << m_rate << " msg/s to ws echo for " << m_seconds << " s over " << m_clients
              << " clients (" << 2 * m_rate << " log records/s), log capacity " << m_log.capacity()
              << (m_recordPath.isEmpty() ? QString() : QStringLiteral(", recording to ") + m_recordPath) << Qt::endl;
        out() << "  s   records/s    rows   evicted   p99 ms   max ms   RSS MB" << Qt::endl;
        m_clock.start();
        m_secondClock.start();
        armProbe();
        m_second.start();
    }

    void armProbe()
    {
        m_armed.start();
        m_probe.start(kProbeMs);
    }

    void onProbe()
    {
        const double late = static_cast<double>(m_armed.nsecsElapsed()) / 1e6 - kProbeMs;
        const double lateness = std::max(0.0, late);
        m_samples.push_back(lateness);
        m_secondSamples.push_back(lateness);
        armProbe();
    }

    void onSecond()
    {
        const qint64 rssKb = procStatusKb("VmRSS");
        m_rssPeakDuringKb = std::max(m_rssPeakDuringKb, rssKb);
        out() << qSetFieldWidth(3) << ++m_secondsDone << qSetFieldWidth(12) << (m_records - m_recordsAtSecond)
              << qSetFieldWidth(8) << m_log.rowCount() << qSetFieldWidth(10) << m_log.evictedTotal()
              << qSetFieldWidth(9) << QString::number(percentile(m_secondSamples, 0.99), 'f', 1)
              << qSetFieldWidth(9)
              << QString::number(m_secondSamples.empty() ? 0 : *std::max_element(m_secondSamples.begin(), m_secondSamples.end()), 'f', 1)
              << qSetFieldWidth(9) << QString::number(static_cast<double>(rssKb) / 1024.0, 'f', 0)
              << qSetFieldWidth(0) << Qt::endl;
        m_recordsAtSecond = m_records;
        m_secondSamples.clear();
    }

    void finish()
    {
        m_second.stop();
        m_probe.stop();
        const double seconds = static_cast<double>(m_clock.elapsed()) / 1000.0;
        const double p50 = percentile(m_samples, 0.50), p99 = percentile(m_samples, 0.99);
        const double max = m_samples.empty() ? 0 : *std::max_element(m_samples.begin(), m_samples.end());
        out() << m_generatorReport << Qt::endl;
        out() << "log: " << m_records << " records in " << QString::number(seconds, 'f', 1) << " s ("
              << qRound(static_cast<double>(m_records) / seconds) << "/s), " << m_inserts << " inserts + " << m_resets
              << " resets, rows " << m_log.rowCount() << ", evicted " << m_log.evictedTotal() << ", payload bytes kept "
              << m_log.store().storedPayloadBytes() << Qt::endl;
        if (m_recorder.isRecording()) {
            m_recorder.stop();
            out() << "recorder: " << m_recorder.recordsWritten() << " records, " << m_recorder.bytesWritten()
                  << " bytes, " << m_recorder.recordsLost() << " lost" << Qt::endl;
        }
        out() << "GUI event-loop delay (10 ms timer lateness, " << m_samples.size() << " samples): p50 "
              << QString::number(p50, 'f', 2) << " ms, p99 " << QString::number(p99, 'f', 2) << " ms, max "
              << QString::number(max, 'f', 2) << " ms" << Qt::endl;
        out() << "RSS: start " << m_rssStartKb / 1024 << " MB, peak during load " << m_rssPeakDuringKb / 1024
              << " MB, end " << procStatusKb("VmRSS") / 1024 << " MB, VmHWM " << procStatusKb("VmHWM") / 1024 << " MB"
              << Qt::endl;
        out() << "verdict: p99 " << (p99 < 50 ? "< 50 ms: PASS" : ">= 50 ms: FAIL") << Qt::endl;
        QCoreApplication::exit(p99 < 50 ? 0 : 3);
    }

    int m_rate, m_seconds, m_clients, m_payloadBytes;
    QString m_recordPath;
    EngineThread m_host;
    MessageLogModel m_log;
    ClientTableModel m_clientsModel;
    QSortFilterProxyModel m_proxy;
    QTableView m_view;
    LogRecorder m_recorder;
    QProcess m_generator;
    QString m_generatorReport;

    QTimer m_probe, m_second;
    QElapsedTimer m_armed, m_clock, m_secondClock;
    std::vector<double> m_samples, m_secondSamples;
    qint64 m_records = 0, m_recordsAtSecond = 0;
    int m_inserts = 0, m_resets = 0, m_secondsDone = 0;
    qint64 m_rssStartKb = 0, m_rssPeakDuringKb = 0;
};

} // namespace

int main(int argc, char **argv)
{
    bool generator = false;
    for (int i = 1; i < argc; ++i)
        generator = generator || qstrcmp(argv[i], "--generate") == 0;
    if (!generator && !qEnvironmentVariableIsSet("QT_QPA_PLATFORM"))
        qputenv("QT_QPA_PLATFORM", "offscreen");
    QLoggingCategory::setFilterRules(QStringLiteral("switchboard.*.debug=false"));
    qRegisterMetaType<LogRecordBatch>();
    qRegisterMetaType<ClientInfoList>();
    std::unique_ptr<QCoreApplication> app(generator ? new QCoreApplication(argc, argv) : new QApplication(argc, argv));

    QCommandLineParser parser;
    parser.addHelpOption();
    const QCommandLineOption generate(QStringLiteral("generate"), QStringLiteral("Be the load generator for URL."),
                                      QStringLiteral("url"));
    const QCommandLineOption rate(QStringLiteral("rate"), QStringLiteral("Messages per second in total."),
                                  QStringLiteral("n"), QStringLiteral("20000"));
    const QCommandLineOption seconds(QStringLiteral("seconds"), QStringLiteral("How long the load runs."),
                                     QStringLiteral("n"), QStringLiteral("10"));
    const QCommandLineOption clients(QStringLiteral("clients"), QStringLiteral("WebSocket clients sending."),
                                     QStringLiteral("n"), QStringLiteral("4"));
    const QCommandLineOption capacity(QStringLiteral("capacity"), QStringLiteral("Log capacity in records."),
                                      QStringLiteral("n"), QStringLiteral("100000"));
    const QCommandLineOption payload(QStringLiteral("payload"), QStringLiteral("Bytes per message (about)."),
                                     QStringLiteral("n"), QStringLiteral("100"));
    const QCommandLineOption record(QStringLiteral("record"), QStringLiteral("Also record to FILE, as the dashboard would."),
                                    QStringLiteral("file"));
    parser.addOptions({generate, rate, seconds, clients, capacity, payload, record});
    parser.process(*app);
    const int rateValue = std::max(1, parser.value(rate).toInt());
    const int secondsValue = std::max(1, parser.value(seconds).toInt());
    const int clientsValue = std::max(1, parser.value(clients).toInt());
    const int payloadValue = std::max(0, parser.value(payload).toInt());

    if (parser.isSet(generate))
        return runGenerator(QUrl(parser.value(generate)), rateValue, secondsValue, clientsValue, payloadValue);

    Dashboard dashboard(rateValue, secondsValue, clientsValue, std::max(1, parser.value(capacity).toInt()),
                        payloadValue, parser.value(record));
    dashboard.start();
    return app->exec();
}

#include "log_pipeline_bench.moc"
