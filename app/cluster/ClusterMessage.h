#pragma once

#include "../routes/BroadcastTarget.h"

#include <QByteArray>
#include <QMetaType>
#include <QString>

// A broadcast on its way between instances: who sent it, who it is for, and the payload as it was
// (binary stays binary). On the wire: one line of compact JSON, a newline, then the raw payload,
// so text is readable in redis-cli and binary costs no base64.
struct ClusterMessage
{
    QString origin;          // instance id of the publisher
    BroadcastTarget target;  // everyone, a route pattern, or a room
    bool binary = false;
    QByteArray payload;
    QString detail;          // what it was at the origin: "room lobby", "operator broadcast to ..."

    // Most header bytes accepted before the payload: a foreign publisher cannot make us parse much.
    static constexpr int kMaxHeaderBytes = 4096;

    QByteArray encode() const;
    // False (and *error says why) for anything that is not an envelope this version writes.
    static bool decode(const QByteArray &bytes, ClusterMessage *message, QString *error);
};

Q_DECLARE_METATYPE(ClusterMessage)
