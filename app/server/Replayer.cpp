#include "Replayer.h"

#include "../log/RecordingReader.h"

#include <QLoggingCategory>
#include <algorithm>

Q_LOGGING_CATEGORY(lcReplayer, "switchboard.replay")

Replayer::Replayer(Send send, QObject *parent) : QObject(parent), m_send(std::move(send))
{
    qRegisterMetaType<ReplayStatus>();
    m_timer.setSingleShot(true);
    m_timer.setTimerType(Qt::PreciseTimer);
    connect(&m_timer, &QTimer::timeout, this, &Replayer::sendDue);
    m_clock.start();
}

Replayer::~Replayer() = default;

LogRecordBatch Replayer::select(const LogRecordBatch &records, quint64 from, quint64 to, QString *error)
{
    LogRecordBatch messages;
    for (const LogRecord &record : records) {
        if (record.kind != LogRecord::Kind::Text && record.kind != LogRecord::Kind::Binary)
            continue;
        if (record.sequence < from || (to != 0 && record.sequence > to))
            continue;
        if (record.payloadTruncated()) {
            *error = QStringLiteral("record %1 holds only the first %2 of its %3 bytes: it cannot be sent as recorded")
                         .arg(record.sequence)
                         .arg(record.payload.size())
                         .arg(record.size);
            return {};
        }
        if (messages.size() == kMaxMessages) {
            *error = QStringLiteral("more than %1 messages: choose a smaller range").arg(kMaxMessages);
            return {};
        }
        messages.append(record);
    }
    if (messages.isEmpty())
        *error = QStringLiteral("no text or binary message in the chosen records");
    return messages;
}

CommandResult Replayer::start(Plan plan)
{
    if (plan.messages.isEmpty())
        return CommandResult::failure(QStringLiteral("no text or binary message to replay"));
    if (!(plan.speed >= 0) || plan.speed > 1000)
        return CommandResult::failure(QStringLiteral("speed must be 0 (back-to-back) up to 1000"));
    m_timer.stop();
    m_messages = std::move(plan.messages);
    m_status = ReplayStatus();
    m_status.state = ReplayStatus::State::Running;
    m_status.clientId = plan.clientId;
    m_status.total = static_cast<int>(m_messages.size());
    m_status.speed = plan.speed;
    m_status.loop = plan.loop;
    m_status.durationMs = std::max<qint64>(0, m_messages.last().timestampMs - m_messages.first().timestampMs);
    qCInfo(lcReplayer) << "replaying" << m_status.total << "messages to client" << plan.clientId << "at speed"
                     << plan.speed << (plan.loop ? "in a loop" : "");
    beginPass();
    return CommandResult::success(1);
}

void Replayer::startFromFile(const QString &path, Plan plan, quint64 from, quint64 to)
{
    stop();
    delete m_reader;
    m_reader = new RecordingReader(this);
    m_status = ReplayStatus();
    m_status.state = ReplayStatus::State::Loading;
    m_status.clientId = plan.clientId;
    m_status.speed = plan.speed;
    m_status.loop = plan.loop;
    connect(m_reader, &RecordingReader::finished, this, [this, plan, from, to]() mutable {
        const RecordingReader::Result result = m_reader->takeResult();
        m_reader->deleteLater();
        m_reader = nullptr;
        if (m_status.state != ReplayStatus::State::Loading)
            return; // stopped meanwhile
        if (!result.ok()) {
            finish(ReplayStatus::State::Failed, result.fileError);
            return;
        }
        QString error;
        plan.messages = select(result.records, from, to, &error);
        const CommandResult started = plan.messages.isEmpty() ? CommandResult::failure(error) : start(plan);
        if (!started.ok)
            finish(ReplayStatus::State::Failed, started.error);
    });
    QStringList parts = RecordingReader::recordingParts(path);
    if (parts.isEmpty())
        parts = {path}; // the reader says why it cannot be opened
    RecordingReader::Options options;
    options.maxRecords = kMaxMessages;
    options.payloadCap = 64 * 1024 * 1024; // the recording keeps whole payloads; so does a replay
    options.maxBytes = kMaxBytes;
    m_reader->start(parts, options);
    update();
}

void Replayer::beginPass()
{
    m_next = 0;
    m_status.sent = 0;
    m_passStartMs = m_clock.elapsed();
    sendDue();
}

qint64 Replayer::dueMs(int index) const
{
    if (m_status.speed <= 0)
        return m_passStartMs;
    const qint64 offset = std::max<qint64>(0, m_messages.at(index).timestampMs - m_messages.first().timestampMs);
    return m_passStartMs + static_cast<qint64>(static_cast<double>(offset) / m_status.speed);
}

void Replayer::sendDue()
{
    if (m_status.state != ReplayStatus::State::Running)
        return;
    const qint64 now = m_clock.elapsed();
    int sentNow = 0;
    while (m_next < m_messages.size() && dueMs(m_next) <= now
           && (m_status.speed > 0 || sentNow < kBackToBackBatch)) {
        const LogRecord &message = m_messages.at(m_next);
        const CommandResult result = m_send(m_status.clientId, message.payload, message.kind == LogRecord::Kind::Binary);
        if (!result.ok) {
            finish(ReplayStatus::State::Failed, result.error);
            return;
        }
        ++m_next;
        ++m_status.sent;
        ++sentNow;
    }
    if (m_next == m_messages.size()) {
        ++m_status.passes;
        if (!m_status.loop) {
            finish(ReplayStatus::State::Finished);
            return;
        }
        // The next pass starts after this event-loop turn: a loop never holds the thread.
        m_next = 0;
        m_status.sent = 0;
        m_passStartMs = now;
        m_timer.start(0);
        update();
        return;
    }
    m_timer.start(static_cast<int>(std::max<qint64>(0, dueMs(m_next) - now)));
    update();
}

void Replayer::pause()
{
    if (m_status.state != ReplayStatus::State::Running)
        return;
    m_timer.stop();
    m_pausedAtMs = m_clock.elapsed();
    m_status.state = ReplayStatus::State::Paused;
    update();
}

void Replayer::resume()
{
    if (m_status.state != ReplayStatus::State::Paused)
        return;
    m_passStartMs += m_clock.elapsed() - m_pausedAtMs;
    m_status.state = ReplayStatus::State::Running;
    sendDue();
}

void Replayer::stop()
{
    if (!m_status.active())
        return;
    m_timer.stop();
    finish(ReplayStatus::State::Stopped);
}

void Replayer::finish(ReplayStatus::State state, const QString &error)
{
    m_timer.stop();
    m_status.state = state;
    m_status.error = error;
    if (!error.isEmpty())
        qCInfo(lcReplayer).noquote() << "replay failed:" << error;
    update();
}

void Replayer::update()
{
    if (m_next < m_messages.size() && m_status.active()) {
        m_status.nextSequence = m_messages.at(m_next).sequence;
        m_status.positionMs = std::max<qint64>(0, m_messages.at(m_next).timestampMs - m_messages.first().timestampMs);
    } else {
        m_status.nextSequence = 0;
        m_status.positionMs = m_status.state == ReplayStatus::State::Finished ? m_status.durationMs : m_status.positionMs;
    }
    // Progress while running goes out at most every kProgressIntervalMs; state changes at once.
    const qint64 now = m_clock.elapsed();
    const bool stateChanged = m_lastEmittedState != m_status.state;
    if (!stateChanged && m_status.state == ReplayStatus::State::Running && now - m_lastEmitMs < kProgressIntervalMs)
        return;
    m_lastEmitMs = now;
    m_lastEmittedState = m_status.state;
    Q_EMIT statusChanged(m_status);
}
