#include "ReplayStatus.h"

QString ReplayStatus::stateName(State state)
{
    switch (state) {
    case State::Idle: return QStringLiteral("idle");
    case State::Loading: return QStringLiteral("loading");
    case State::Running: return QStringLiteral("running");
    case State::Paused: return QStringLiteral("paused");
    case State::Finished: return QStringLiteral("finished");
    case State::Stopped: return QStringLiteral("stopped");
    case State::Failed: return QStringLiteral("failed");
    }
    return {};
}

QJsonObject ReplayStatus::toJson() const
{
    QJsonObject json{{QStringLiteral("state"), stateName(state)},
                     {QStringLiteral("clientId"), static_cast<double>(clientId)},
                     {QStringLiteral("total"), total},
                     {QStringLiteral("sent"), sent},
                     {QStringLiteral("passes"), passes},
                     {QStringLiteral("speed"), speed},
                     {QStringLiteral("loop"), loop},
                     {QStringLiteral("positionMs"), static_cast<double>(positionMs)},
                     {QStringLiteral("durationMs"), static_cast<double>(durationMs)}};
    json.insert(QStringLiteral("nextSequence"),
                nextSequence ? QJsonValue(static_cast<double>(nextSequence)) : QJsonValue(QJsonValue::Null));
    json.insert(QStringLiteral("error"), error.isEmpty() ? QJsonValue(QJsonValue::Null) : QJsonValue(error));
    return json;
}
