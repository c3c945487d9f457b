#pragma once

#include "server/ClientInfo.h"

#include <QRegularExpression>
#include <QSet>
#include <QSortFilterProxyModel>

class MessageLogModel;
struct LogRecord;

// The message log as the operator filters it: by direction, by kind, by the clients selected in
// the clients table, and by text or a regular expression over the payload, route and detail.
// Rows keep the log's order (no sorting). Also tints the direction and kind columns.
class LogFilterProxyModel : public QSortFilterProxyModel
{
    Q_OBJECT
public:
    // Bit masks over LogRecord::Direction and LogRecord::Kind values (bit = 1 << value).
    static constexpr quint32 kAllDirections = 0x3F; // six directions, the proxy legs included
    static constexpr quint32 kAllKinds = 0x1FF;
    // The Type menu's "heartbeats" entry, next to the kinds' bits: the server's keepalive pings
    // and their pongs (LogRecord::isHeartbeat()), hidden unless shown whatever the ping/pong bits say.
    static constexpr quint32 kHeartbeats = 1u << 9;

    explicit LogFilterProxyModel(QObject *parent = nullptr);

    void setSourceModel(QAbstractItemModel *model) override;

    quint32 directions() const { return m_directions; }
    void setDirections(quint32 mask);
    quint32 kinds() const { return m_kinds; }
    void setKinds(quint32 mask);

    bool showHeartbeats() const { return m_showHeartbeats; }
    void setShowHeartbeats(bool show);

    bool selectedClientsOnly() const { return m_selectedClientsOnly; }
    void setSelectedClientsOnly(bool only);
    // "Selected clients only" shows their own records and the broadcasts that could have reached
    // them: to everyone, to their route, or to their room. Records of no client (refused
    // requests, server events) stay hidden.
    void setSelectedClients(const QList<ClientInfo> &clients);

    // Only this client's own records ("Filter to this client"); 0 shows every client.
    quint64 clientFilter() const { return m_clientId; }
    void setClientFilter(quint64 clientId);

    QString textFilter() const { return m_text; }
    bool isRegex() const { return m_regex; }
    // Sets the text (or regular expression) to look for, case-insensitively. An invalid
    // regular expression filters nothing out; textFilterError() then says why.
    void setTextFilter(const QString &text, bool regex);
    QString textFilterError() const { return m_textError; }

    // True when a filter the operator set can hide rows (the hidden heartbeats are not one).
    bool isFiltering() const;
    // True when any row may be hidden, heartbeats included.
    bool hidesAnything() const { return isFiltering() || !m_showHeartbeats; }
    bool acceptsRecord(const LogRecord &record) const;

    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;

protected:
    bool filterAcceptsRow(int sourceRow, const QModelIndex &sourceParent) const override;

private:
    bool textMatches(const QString &haystack) const;
    bool reachedSelectedClient(const LogRecord &record) const;

    MessageLogModel *m_log = nullptr;
    quint32 m_directions = kAllDirections;
    quint32 m_kinds = kAllKinds;
    bool m_showHeartbeats = false;
    bool m_selectedClientsOnly = false;
    quint64 m_clientId = 0;
    QSet<quint64> m_selectedClientIds;
    QSet<QString> m_selectedRoutes; // route patterns, as broadcast records name them
    QSet<QString> m_selectedRooms;
    QString m_text;
    bool m_regex = false;
    QRegularExpression m_expression;
    QString m_textError;
};
