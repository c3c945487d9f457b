#pragma once

#include "log/LogRecord.h"
#include "server/ClientInfo.h"

#include <QList>
#include <QWidget>

class LogFilterProxyModel;
class MessageLogModel;
class QAction;
class QCheckBox;
class QLabel;
class QLineEdit;
class QMenu;
class QSettings;
class QTableView;
class QTimer;
class QToolButton;

// The live message log: filters (direction, type, one client, selected clients only, text or
// regex; one click clears them all), pause with a held-back count (the model holds records back
// while paused), auto-scroll and clear. Selecting a row reports its record for the detail pane;
// a row's context menu replies, resends, copies and filters.
class LogPanel : public QWidget
{
    Q_OBJECT
public:
    explicit LogPanel(MessageLogModel &model, QWidget *parent = nullptr);

    QTableView *view() const { return m_view; }
    LogFilterProxyModel *proxy() const { return m_proxy; }
    QAction *pauseAction() const { return m_pauseAction; }
    QAction *autoScrollAction() const { return m_autoScrollAction; }
    QAction *clearAction() const { return m_clearAction; }

    // Bit masks as in LogFilterProxyModel; the filter buttons follow.
    void setDirectionFilter(quint32 mask);
    // Bits of LogRecord::Kind, and LogFilterProxyModel::kHeartbeats for the keepalive pings and pongs.
    void setKindFilter(quint32 mask);
    // The clients selected in the clients table, for "Selected clients only".
    void setSelectedClients(const QList<ClientInfo> &clients);
    // Hides "Selected clients only" where there is no clients table (the replay viewer).
    void setSelectedClientsFilterAvailable(bool available);
    // Hides pause, auto-scroll and clear where the log does not grow (the replay viewer).
    void setLiveControlsAvailable(bool available);
    // "Filter to this client": only its records (0: every client).
    void setClientFilter(quint64 clientId);
    void clearFilters();
    // The context menu of a row (a new menu, parent's child): reply, resend, copy raw, copy as
    // JSON line, filter to / show this client.
    QMenu *recordMenu(const QModelIndex &proxyIndex, QWidget *parent);
    QMenu *directionMenu() const { return m_directionMenu; }
    QMenu *kindMenu() const { return m_kindMenu; }

    // For export: the records the filters let through, and the selected rows, in log order
    // (payloads shared, not copied).
    LogRecordBatch allRecords() const;
    LogRecordBatch filteredRecords() const;
    LogRecordBatch selectedRecords() const;
    int totalCount() const;
    int filteredCount() const;
    int selectedCount() const;

    void saveSettings(QSettings &settings) const;
    void restoreSettings(const QSettings &settings);

Q_SIGNALS:
    void recordSelected(const LogRecord &record);
    void cleared();
    // From the context menu; the main window selects the client / fills Compose.
    void replyToClient(quint64 clientId);
    void resendRequested(const QByteArray &payload, bool binary);
    void showClientRequested(quint64 clientId);

protected:
    // Keeps the Direction and Type menus open while their entries are toggled.
    bool eventFilter(QObject *watched, QEvent *event) override;

private:
    void applyKindMask(quint32 mask);
    quint32 kindMask() const;
    QToolButton *makeFilterButton(const QString &objectName, QMenu *menu);
    void applyMaskToMenu(QMenu *menu, quint32 mask);
    quint32 maskFromMenu(QMenu *menu) const;
    void updateFilterButtons();
    void applyTextFilter();
    void updateCounts();
    void updateHeldBack();
    void onCurrentChanged();

    MessageLogModel &m_model;
    LogFilterProxyModel *m_proxy;
    QTableView *m_view;
    QLabel *m_counts;
    QLabel *m_heldBack;
    QMenu *m_directionMenu;
    QMenu *m_kindMenu;
    QToolButton *m_directionButton;
    QToolButton *m_kindButton;
    QCheckBox *m_selectedOnly;
    QLineEdit *m_textEdit;
    QCheckBox *m_regex;
    QToolButton *m_clientChip;
    QToolButton *m_clearFilters;
    QList<QWidget *> m_liveControls;
    bool m_textRestored = false;
    QTimer *m_textDebounce;
    QAction *m_pauseAction;
    QAction *m_autoScrollAction;
    QAction *m_clearAction;
};
