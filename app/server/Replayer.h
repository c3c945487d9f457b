#pragma once

#include "OperatorCommand.h"
#include "ReplayStatus.h"
#include "../log/LogRecord.h"

#include <QElapsedTimer>
#include <QObject>
#include <QTimer>
#include <functional>

class RecordingReader;

// Sends a recording's messages to one client again, with their recorded spacing (scaled by a
// speed) or back-to-back, once or in a loop. Runs on the engine's thread from a precise timer:
// nothing waits, and each message is due at its recorded offset from the pass's start (not from
// the previous send), so delays never add up. Sends go through the send function the engine hands
// it (Engine::sendToClient: logged and counted like any operator send).
class Replayer : public QObject
{
    Q_OBJECT
public:
    static constexpr int kMaxMessages = 100000;
    static constexpr qint64 kMaxBytes = 512LL * 1024 * 1024; // payload bytes of a recording held for a replay
    // Back-to-back: this many per event-loop turn, so the engine keeps serving in between.
    static constexpr int kBackToBackBatch = 64;
    static constexpr qint64 kProgressIntervalMs = 100; // statusChanged() at most this often while sending

    using Send = std::function<CommandResult(quint64 clientId, const QByteArray &payload, bool binary)>;

    struct Plan
    {
        quint64 clientId = 0;
        LogRecordBatch messages; // text and binary records, in recorded order
        double speed = 1.0;      // 2: twice as fast; 0: back-to-back
        bool loop = false;
    };

    explicit Replayer(Send send, QObject *parent = nullptr);
    ~Replayer() override;

    // The text and binary records of `records` with a sequence number in [from, to] (0: open end),
    // or why they cannot be replayed (none, too many, a payload cut short).
    static LogRecordBatch select(const LogRecordBatch &records, quint64 from, quint64 to, QString *error);

    // Starts (a running replay is stopped first). A refused plan changes nothing.
    CommandResult start(Plan plan);
    // Reads a recording on a worker thread first (state Loading), then starts with its messages.
    void startFromFile(const QString &path, Plan plan, quint64 from, quint64 to);
    void pause();
    void resume();
    void stop();
    const ReplayStatus &status() const { return m_status; }

Q_SIGNALS:
    void statusChanged(const ReplayStatus &status);

private:
    void beginPass();
    void sendDue();
    qint64 dueMs(int index) const; // on m_clock
    void finish(ReplayStatus::State state, const QString &error = {});
    void update();

    Send m_send;
    ReplayStatus m_status;
    LogRecordBatch m_messages;
    int m_next = 0;
    QElapsedTimer m_clock;
    qint64 m_passStartMs = 0; // on m_clock
    qint64 m_pausedAtMs = 0;
    QTimer m_timer;
    RecordingReader *m_reader = nullptr;
    qint64 m_lastEmitMs = -kProgressIntervalMs;
    ReplayStatus::State m_lastEmittedState = ReplayStatus::State::Idle;
};
