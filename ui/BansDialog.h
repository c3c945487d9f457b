#pragma once

#include <QDialog>

class EngineHost;
class QLineEdit;
class QListWidget;
class QPushButton;

// Clients > Banned Addresses: the engine's bans (from the dashboard or the admin API), an address
// to ban, and Unban for the selected ones. Refreshed from the engine when shown.
class BansDialog : public QDialog
{
    Q_OBJECT
public:
    explicit BansDialog(EngineHost &host, QWidget *parent = nullptr);

    QStringList shownBans() const;

protected:
    void showEvent(QShowEvent *event) override;

private:
    void showBans(const QStringList &addresses);
    void banTyped();
    void unbanSelected();

    EngineHost &m_host;
    QListWidget *m_list;
    QLineEdit *m_address;
    QPushButton *m_banButton;
    QPushButton *m_unbanButton;
};
