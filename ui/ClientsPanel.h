#pragma once

#include <QList>
#include <QWidget>

class ClientFilterProxyModel;
class ClientTableModel;
class QAction;
class QLabel;
class QTableView;
class QTimer;

// The clients table: sortable, multi-select, closed clients greyed (or hidden), a context menu
// with the main window's client commands plus "Copy details".
class ClientsPanel : public QWidget
{
    Q_OBJECT
public:
    explicit ClientsPanel(ClientTableModel &model, QWidget *parent = nullptr);

    QTableView *view() const { return m_view; }
    ClientFilterProxyModel *proxy() const { return m_proxy; }
    QAction *showClosedAction() const { return m_showClosedAction; }
    QAction *clearClosedAction() const { return m_clearClosedAction; }
    QAction *copyDetailsAction() const { return m_copyDetailsAction; }

    // The ids of the selected rows, in view order; openOnly leaves out closed clients.
    QList<quint64> selectedClientIds(bool openOnly = false) const;
    // Selects exactly these clients (those visible in the table).
    void selectClients(const QList<quint64> &ids);
    // The main window's commands (Send…, Ping, Close…) for the context menu.
    void setContextActions(const QList<QAction *> &actions) { m_contextActions = actions; }

    QByteArray saveHeaderState() const;
    void restoreHeaderState(const QByteArray &state);

Q_SIGNALS:
    void selectionChanged(const QList<quint64> &clientIds);
    // A row was double-clicked: the operator wants to talk to this client.
    void clientActivated(quint64 clientId);

private:
    void showContextMenu(const QPoint &position);
    void copyDetails();
    void emitSelectionIfChanged();
    void updateSummary();

    ClientTableModel &m_model;
    ClientFilterProxyModel *m_proxy;
    QTableView *m_view;
    QLabel *m_summary;
    QAction *m_showClosedAction;
    QAction *m_clearClosedAction;
    QAction *m_copyDetailsAction;
    QList<QAction *> m_contextActions;
    QTimer *m_durationTimer;
    QList<quint64> m_lastSelection;
};
