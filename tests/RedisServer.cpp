#include "RedisServer.h"

#include <QHostAddress>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTcpServer>
#include <QElapsedTimer>

RedisServer::RedisServer()
{
    m_process.setProcessChannelMode(QProcess::MergedChannels);
    QObject::connect(&m_process, &QProcess::readyRead, [this] { m_output += m_process.readAll(); });
}

RedisServer::~RedisServer()
{
    kill();
}

bool RedisServer::start()
{
    const QString program = QStandardPaths::findExecutable(QStringLiteral("redis-server"));
    if (program.isEmpty()) {
        m_error = QStringLiteral("redis-server is not installed (scripts/install-deps.sh test installs it)");
        return false;
    }
    if (m_port == 0) {
        QTcpServer probe; // the kernel's pick of a free port, released for Redis right away
        if (!probe.listen(QHostAddress::LocalHost, 0)) {
            m_error = QStringLiteral("no free port: %1").arg(probe.errorString());
            return false;
        }
        m_port = probe.serverPort();
    }
    m_output.clear();
    m_process.start(program, {QStringLiteral("--port"), QString::number(m_port), QStringLiteral("--bind"),
                              QStringLiteral("127.0.0.1"), QStringLiteral("--save"), QString(),
                              QStringLiteral("--appendonly"), QStringLiteral("no"), QStringLiteral("--daemonize"),
                              QStringLiteral("no"), QStringLiteral("--protected-mode"), QStringLiteral("yes"),
                              QStringLiteral("--logfile"), QString()});
    QSignalSpy finished(&m_process, &QProcess::finished);
    QElapsedTimer timer;
    timer.start();
    while (!m_output.contains("Ready to accept connections") && finished.isEmpty() && timer.elapsed() < 10000) {
        QSignalSpy output(&m_process, &QProcess::readyRead);
        output.wait(200); // wakes on the next output line
    }
    if (!m_output.contains("Ready to accept connections")) {
        m_error = QStringLiteral("redis-server did not start: %1").arg(QString::fromLocal8Bit(m_output.right(2000)));
        kill();
        return false;
    }
    return true;
}

void RedisServer::kill()
{
    if (m_process.state() == QProcess::NotRunning)
        return;
    QSignalSpy finished(&m_process, &QProcess::finished);
    m_process.kill();
    if (finished.isEmpty())
        finished.wait(10000);
}
