#pragma once

#include "server/ScriptRouteInfo.h"

#include <QDialog>

class EngineHost;
class QPushButton;
class QTableWidget;

// Server -> Script Routes…: each script route with its file, the version running, its budget and
// its last error (a failed reload keeps the old version and shows why here), with Reload and
// Reload and Restart Clients. Asks the engine and fills in when the answer comes; never waits.
class ScriptRoutesDialog : public QDialog
{
    Q_OBJECT
public:
    explicit ScriptRoutesDialog(EngineHost &host, QWidget *parent = nullptr);

    QTableWidget *table() const { return m_table; }
    QPushButton *reloadButton() const { return m_reload; }
    QPushButton *restartButton() const { return m_restart; }

private:
    void showRoutes(const ScriptRouteInfoList &routes);

    EngineHost &m_host;
    QTableWidget *m_table = nullptr;
    QPushButton *m_reload = nullptr;
    QPushButton *m_restart = nullptr;
};
