#pragma once

#include "ByteTransport.h"

#include <QObject>
#include <vector>

class QSocketNotifier;

// A TCP connection driven straight on its descriptor. Qt's QTcpSocket keeps a read and a write
// ring buffer per socket (48 KiB once used) and asks the kernel how much it may read before every
// read; this holds no buffer while idle, reads into one per-thread buffer, and writes a queue of
// shared frames with one sendmsg(), so a broadcast frame is never copied per recipient.
class PlainTransport final : public QObject, public ByteTransport
{
    Q_OBJECT
public:
    // Takes ownership of descriptor (non-blocking, connected). alreadyReceived: bytes read off it
    // before (past the HTTP request head), delivered first by start().
    PlainTransport(int descriptor, QHostAddress peerAddress, quint16 peerPort, QByteArray alreadyReceived,
                   QObject *parent = nullptr);
    ~PlainTransport() override;

    void start() override;
    void write(const QByteArray &bytes) override;
    void flush() override;
    qint64 bytesToWrite() const override { return m_queuedBytes; }
    void shutdownWhenWritten() override;
    void abort() override;

private:
    class Notifier;
    void onReadable();
    void onWritable();
    void end(End how, const QString &error);
    void shutdownIfDrained();

    int m_descriptor = -1;
    Notifier *m_readNotifier = nullptr;
    Notifier *m_writeNotifier = nullptr; // enabled only while the kernel refuses bytes
    QByteArray m_alreadyReceived;
    std::vector<QByteArray> m_queue;            // frames waiting, shared with other recipients
    std::size_t m_queueHead = 0;                // first frame not wholly written
    qsizetype m_headOffset = 0;                 // bytes of that frame already written
    qint64 m_queuedBytes = 0;
    bool m_shutdownRequested = false;
    bool m_shutdownDone = false;
    bool m_started = false;
    bool m_ended = false;
    End m_endedHow = End::Aborted; // kept for start() when it ended before
    QString m_endError;
};
