#pragma once

#include <QHash>
#include <QSet>
#include <QString>
#include <QVector>

class ClientSession;

// Who is in which chat room, for deliveries to a room without a scan over every client. A session
// is in at most one room, the one its info() names.
class RoomIndex
{
public:
    void join(ClientSession *session, const QString &room);
    void leave(ClientSession *session);
    QVector<ClientSession *> members(const QString &room) const;

private:
    QHash<QString, QSet<ClientSession *>> m_rooms;
};
