#pragma once

#include "server/HeldMessages.h"

#include <QDockWidget>

class HeldMessageModel;
class QCheckBox;
class QLabel;
class QPushButton;
class QTableView;

// The intercept dock for the proxied client selected in the clients table: hold controls per
// direction for the client and for its whole route, and the held messages (direction, size,
// preview) with Forward, Edit… (in the compose panel), Drop, Forward All and Release. It only
// presents and asks: the main window carries its requests to ClientActions and feeds it the
// engine's snapshots (one per batch of client changes).
class InterceptPanel : public QDockWidget
{
    Q_OBJECT
public:
    explicit InterceptPanel(QWidget *parent = nullptr);

    // The client shown (route: its pattern), or none with why in place of the list.
    void showClient(quint64 clientId, const QString &route, const QString &description);
    void showNoClient(const QString &why);
    quint64 clientId() const { return m_clientId; }
    // A snapshot from the engine; ignored unless it is the client shown.
    void setHeld(const HeldMessages &held);
    HeldMessageModel *model() const { return m_model; }
    QTableView *table() const { return m_table; }
    // The held messages selected, in list order.
    QList<ProxyHoldQueue::Held> selectedMessages() const;

Q_SIGNALS:
    void holdToggled(quint64 clientId, int direction, bool on);
    void routeHoldToggled(const QString &pattern, int direction, bool on);
    void forwardRequested(quint64 clientId, quint64 heldId);
    void editRequested(quint64 clientId, const ProxyHoldQueue::Held &held);
    void dropRequested(quint64 clientId, quint64 heldId);
    void forwardAllRequested(quint64 clientId);
    void releaseRequested(quint64 clientId);

private:
    QCheckBox *makeHoldBox(const QString &text, const QString &objectName, int direction, bool route);
    void updateButtons();
    void showStatus(const HeldMessages &held);

    HeldMessageModel *m_model;
    QLabel *m_title;
    QLabel *m_routeLabel;
    QCheckBox *m_holdToUpstream;
    QCheckBox *m_holdToClient;
    QCheckBox *m_routeToUpstream;
    QCheckBox *m_routeToClient;
    QTableView *m_table;
    QLabel *m_status; // how much is held against the bounds, and how many went on past them
    QPushButton *m_forward;
    QPushButton *m_edit;
    QPushButton *m_drop;
    QPushButton *m_forwardAll;
    QPushButton *m_release;
    quint64 m_clientId = 0;
    QString m_route;
};
