#pragma once

#include <QByteArray>
#include <array>

class PerMessageDeflate;

// One message on its way to one or many connections, encoded at most once per wire form: plain,
// or compressed without context takeover for each server window size in use. A broadcast builds
// one and every recipient takes the frame its negotiation calls for; connections with their own
// compression context compress for themselves.
class OutgoingMessage
{
public:
    OutgoingMessage(bool binary, QByteArray payload) : m_binary(binary), m_payload(std::move(payload)) { }

    bool isBinary() const { return m_binary; }
    const QByteArray &payload() const { return m_payload; }

    // The frame for a connection with `deflate` (null: no extension negotiated).
    QByteArray frameFor(PerMessageDeflate *deflate);
    // Bytes on the wire for it, as each backend's queueMessage() reported them (ClientSession::send
    // notes each): for the log record of a single send, and all recipients' for a broadcast's.
    void noteQueued(qint64 wireBytes)
    {
        m_lastWireBytes = wireBytes;
        m_wireBytesTotal += wireBytes;
    }
    qint64 lastWireBytes() const { return m_lastWireBytes; }
    qint64 wireBytesTotal() const { return m_wireBytesTotal; }

private:
    const QByteArray &plainFrame();

    bool m_binary;
    qint64 m_lastWireBytes = 0;
    qint64 m_wireBytesTotal = 0;
    QByteArray m_payload;
    QByteArray m_plain;
    // By server window bits (9..15, index bits - 9): empty until asked for, or when it did not shrink.
    std::array<QByteArray, 7> m_compressed;
    std::array<bool, 7> m_compressionTried{};
};
