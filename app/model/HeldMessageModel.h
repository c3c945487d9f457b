#pragma once

#include "../server/HeldMessages.h"

#include <QAbstractTableModel>

// One proxied client's held messages as a table, in arrival order, replaced by each snapshot the
// engine sends (at most one per batch of client changes). Previews are built when shown.
class HeldMessageModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column { Id, Direction, Type, Size, HeldAt, Preview, ColumnCount };

    explicit HeldMessageModel(QObject *parent = nullptr);

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    void setHeld(const HeldMessages &held);
    void clear() { setHeld(HeldMessages()); }
    const HeldMessages &held() const { return m_held; }
    const ProxyHoldQueue::Held &message(int row) const { return m_held.messages.at(row); }
    int rowOf(quint64 heldId) const;

    // "client → upstream" or "upstream → client".
    static QString directionText(int direction);

private:
    HeldMessages m_held;
};
