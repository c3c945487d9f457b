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
    // The size of the frame frameFor() returned last (for the log record of a single send).
    qint64 lastFrameBytes() const { return m_lastFrameBytes; }

private:
    const QByteArray &plainFrame();
    QByteArray encodedFor(PerMessageDeflate *deflate);

    bool m_binary;
    qint64 m_lastFrameBytes = 0;
    QByteArray m_payload;
    QByteArray m_plain;
    std::array<QByteArray, 16> m_compressed; // by window bits; empty until asked for
    std::array<bool, 16> m_compressionTried{}; // tried, and kept plain when it did not shrink
};
