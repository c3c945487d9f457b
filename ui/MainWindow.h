#pragma once

#include <QMainWindow>

class EngineHost;
class ClientTableModel;
class MessageLogModel;
class QLabel;

// The operator's window. Minimal until the dashboard lands: the URL, the clients and the log.
class MainWindow : public QMainWindow
{
    Q_OBJECT
public:
    explicit MainWindow(EngineHost &host, QWidget *parent = nullptr);

protected:
    void closeEvent(QCloseEvent *event) override;

private:
    EngineHost &m_host;
    ClientTableModel *m_clients;
    MessageLogModel *m_log;
    QLabel *m_status;
    bool m_closing = false;
};
