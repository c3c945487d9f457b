#pragma once

#include "ServerState.h"

#include <QUrl>
#include <QWidget>

class QAction;
class QLabel;
class QLineEdit;
class QPushButton;
class QToolButton;
struct RateSample;

// The strip across the top: server state, the listening URL (click to copy), open in browser,
// host and port (applied on the next start or restart), start/stop, and live traffic figures.
// The buttons are views of the main window's actions, so the menus and the bar never disagree.
class ServerBar : public QWidget
{
    Q_OBJECT
public:
    using State = ServerState;

    explicit ServerBar(QWidget *parent = nullptr);

    void setActions(QAction *startStop, QAction *restart, QAction *copyUrl, QAction *openInBrowser);

    QString host() const;
    quint16 port() const;
    // Why the host and port typed cannot be used (a port outside 0-65535, not a number), or "".
    // The port field turns red with the reason in its tooltip while it is so.
    QString addressProblem() const;
    void setAddress(const QString &host, quint16 port);

    State state() const { return m_state; }
    // url: the listening URL (Listening only); detail: the error (Failed, or Listening after a
    // restart that could not move the server).
    void setState(State state, const QUrl &url = {}, const QString &detail = {});
    QUrl url() const { return m_url; }
    // Which WebSocket backend the server runs ("native" or "qt"): the state reads "Listening · qt
    // backend" for the second one, and its tooltip names it either way.
    void setWebSocketBackend(const QString &name);
    QString stateText() const;

    void showTraffic(int clients, const RateSample &rates);
    // Shows a problem in the bar's error label without changing the state (e.g. a refused port).
    void showError(const QString &error);
    // Listening on a non-loopback address: a warning that every machine on the network can
    // connect, with the reachable URLs in its tooltip. Empty hides it.
    void showExposure(const QString &warning, const QStringList &urls);

Q_SIGNALS:
    // Enter pressed in the host or port field.
    void addressSubmitted();

private:
    void updateAddressHint();
    void updateStateLabel();
    void updatePortProblem();
    void elideError();

protected:
    bool eventFilter(QObject *watched, QEvent *event) override;

private:
    QString m_errorText;

    State m_state = State::Stopped;
    QUrl m_url;
    QString m_runningHost;
    quint16 m_runningPort = 0;
    bool m_portProblemShown = false;
    QString m_backend = QStringLiteral("native");
    QString m_stateDetail;
    QLabel *m_stateLabel;
    QPushButton *m_urlButton;
    QLabel *m_errorLabel; // why the server is not running: elided, the whole text in its tooltip
    QToolButton *m_openButton;
    QLineEdit *m_hostEdit;
    QLineEdit *m_portEdit;
    QLabel *m_exposureLabel;
    QToolButton *m_startStopButton;
    QToolButton *m_restartButton;
    QLabel *m_addressHint;
    QLabel *m_clientsLabel;
    QLabel *m_messagesLabel;
    QLabel *m_bytesLabel;
};
