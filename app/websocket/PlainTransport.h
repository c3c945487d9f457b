#pragma once

#include "ByteTransport.h"
#include "../eventloop/SocketBatch.h"

#include <QObject>
#include <vector>

class QSocketNotifier;

// A TCP connection driven straight on its descriptor. Qt's QTcpSocket keeps a read and a write
// ring buffer per socket (48 KiB once used) and asks the kernel how much it may read before every
// read; this holds no buffer while idle, reads into one per-thread buffer, and writes a queue of
// shared frames with one sendmsg(), so a broadcast frame is never copied per recipient. Where the
// thread has a SocketBatch, flush() joins it and the sends of a whole loop turn share system calls.
class PlainTransport final : public QObject, public ByteTransport, private SocketBatch::Sender
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
    void setReadingPaused(bool paused) override;
    void shutdownWhenWritten() override;
    void abort() override;

private:
    class Notifier;
    class ReadNotifier;
    void onReadable();
    // A read's result: bytes, 0 at end of stream, -errno. true: reading on may find more.
    bool onReceived(const char *data, ssize_t size);
    void onWritable();
    void end(End how, const QString &error);
    void shutdownIfDrained();
    // Up to maxIov of the queued frames, from the first byte not yet written.
    int gatherQueued(iovec *iov, int maxIov) const;
    void consumeWritten(qsizetype written);
    // After a write: give back a drained queue's storage, wait for writability while bytes remain.
    void settle();

    int sendDescriptor() const override { return m_descriptor; }
    int prepareSend(iovec *iov, int maxIov) override;
    void sendDone(ssize_t result) override;

    int m_descriptor = -1;
    ReadNotifier *m_readNotifier = nullptr;
    Notifier *m_writeNotifier = nullptr; // enabled only while the kernel refuses bytes
    QByteArray m_alreadyReceived;
    std::vector<QByteArray> m_queue;            // frames waiting, shared with other recipients
    std::size_t m_queueHead = 0;                // first frame not wholly written
    qsizetype m_headOffset = 0;                 // bytes of that frame already written
    qint64 m_queuedBytes = 0;
    qint64 m_sendOffered = 0; // bytes the batched send in progress was given
    bool m_shutdownRequested = false;
    bool m_shutdownDone = false;
    bool m_started = false;
    bool m_ended = false;
    // The read notifier goes off only after a delivery: turned off earlier, the dispatcher would
    // drop bytes it has already read ahead for this descriptor.
    bool m_readingPaused = false;
    End m_endedHow = End::Aborted; // kept for start() when it ended before
    QString m_endError;
};
