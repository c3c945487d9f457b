#include "RoomIndex.h"

#include "ClientSession.h"

void RoomIndex::join(ClientSession *session, const QString &room)
{
    m_rooms[room].insert(session);
}

void RoomIndex::leave(ClientSession *session)
{
    const QString room = session->info().room;
    if (room.isEmpty())
        return;
    auto it = m_rooms.find(room);
    if (it == m_rooms.end())
        return;
    it->remove(session);
    if (it->isEmpty())
        m_rooms.erase(it);
}

QVector<ClientSession *> RoomIndex::members(const QString &room) const
{
    const auto it = m_rooms.constFind(room);
    if (it == m_rooms.constEnd())
        return {};
    return QVector<ClientSession *>(it->begin(), it->end());
}
