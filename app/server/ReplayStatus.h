#pragma once

#include <QJsonObject>
#include <QMetaType>
#include <QString>

// Where a timed replay is: what GET /api/replay answers and the replay window shows.
struct ReplayStatus
{
    enum class State { Idle, Loading, Running, Paused, Finished, Stopped, Failed };

    State state = State::Idle;
    quint64 clientId = 0;
    int total = 0;          // messages in one pass
    int sent = 0;           // sent in this pass
    int passes = 0;         // passes completed (a loop goes on after each)
    double speed = 1.0;     // 0: back-to-back
    bool loop = false;
    quint64 nextSequence = 0; // the recorded sequence number of the next message to send (0: none)
    qint64 positionMs = 0;  // recorded time into the pass (at speed 1), what the next message waits for
    qint64 durationMs = 0;  // recorded length of one pass
    QString error;          // Failed: why (the client left, the recording could not be read)

    static QString stateName(State state);
    bool active() const { return state == State::Loading || state == State::Running || state == State::Paused; }
    QJsonObject toJson() const;
};

Q_DECLARE_METATYPE(ReplayStatus)
