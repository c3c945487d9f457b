#pragma once

#include "DeflateNegotiation.h"

#include <QByteArray>
#include <QByteArrayView>
#include <memory>

class ZlibStream;

// permessage-deflate (RFC 7692) for one connection, with zlib's raw deflate.
//
// Memory first: without context takeover (the default answer) the connection holds no zlib
// state at all; it borrows streams shared by every connection on the thread and resets them per
// message, and its compressed frames depend only on the payload and the window size, so one
// compressed frame serves every such recipient of a broadcast. With context takeover the
// connection keeps its own streams (created on first use, sized by the negotiated window).
class PerMessageDeflate
{
public:
    enum class InflateResult { Ok, TooBig, Corrupt };

    PerMessageDeflate(const DeflateParameters &parameters, int thresholdBytes);
    ~PerMessageDeflate();
    PerMessageDeflate(const PerMessageDeflate &) = delete;
    PerMessageDeflate &operator=(const PerMessageDeflate &) = delete;

    const DeflateParameters &parameters() const { return m_parameters; }
    // Outgoing messages shorter than this go uncompressed (deflating them costs more than it saves).
    int thresholdBytes() const { return m_thresholdBytes; }
    // True when compress() gives what compressShared() gives for serverMaxWindowBits.
    bool sharesCompression() const { return m_parameters.serverNoContextTakeover; }

    // A whole message's payload deflated, without the 00 00 ff ff tail (§7.2.1). Empty if zlib failed.
    QByteArray compress(QByteArrayView payload);
    // The same from the thread's shared stream, reset first: no context taken over.
    static QByteArray compressShared(QByteArrayView payload, int windowBits);

    // Inflates one message's compressed payload (the tail appended here) into *out, stopping as
    // soon as the output would pass `limit` bytes: a small frame cannot make us hold more.
    InflateResult inflate(QByteArrayView compressed, qint64 limit, QByteArray *out);

    // Bytes of zlib state this connection holds between messages (0 without context takeover).
    qint64 heldBytes() const;

private:
    DeflateParameters m_parameters;
    int m_thresholdBytes;
    std::unique_ptr<ZlibStream> m_deflater; // context takeover only
    std::unique_ptr<ZlibStream> m_inflater;
};
