#pragma once

#include <QByteArray>
#include <QProcess>
#include <QString>

// A throwaway redis-server for tests: loopback only, a free port, no persistence. Stopped (and
// waited for) by the destructor, so no test leaves one behind.
class RedisServer
{
public:
    RedisServer();
    ~RedisServer();

    // Starts on a free port the first time, on the same port afterwards (a restart). False with
    // the reason in error() when redis-server is missing or did not get ready.
    bool start();
    // SIGKILL: the way a crashed Redis goes, without closing anything politely.
    void kill();

    quint16 port() const { return m_port; }
    QString url() const { return QStringLiteral("redis://127.0.0.1:%1").arg(m_port); }
    QString error() const { return m_error; }

private:
    QProcess m_process;
    quint16 m_port = 0;
    QByteArray m_output;
    QString m_error;
};
