#include "OutgoingMessage.h"

#include "PerMessageDeflate.h"
#include "WebSocketFrame.h"

#include <algorithm>

const QByteArray &OutgoingMessage::plainFrame()
{
    if (m_plain.isEmpty())
        m_plain = WebSocketFrame::encode(m_binary, m_payload);
    return m_plain;
}

QByteArray OutgoingMessage::frameFor(PerMessageDeflate *deflate)
{
    if (!deflate || m_payload.size() < deflate->thresholdBytes())
        return plainFrame();
    if (!deflate->sharesCompression()) {
        // The connection's own context: whatever went through it must reach the client as sent.
        const QByteArray deflated = deflate->compress(m_payload);
        return deflated.isEmpty() ? plainFrame() : WebSocketFrame::encodeCompressed(m_binary, deflated);
    }
    const int bits = std::clamp(deflate->parameters().serverMaxWindowBits, 9, 15); // negotiation keeps it so
    const auto slot = std::size_t(bits - 9);
    if (!m_compressionTried[slot]) {
        m_compressionTried[slot] = true;
        const QByteArray deflated = PerMessageDeflate::compressShared(m_payload, bits);
        // Data that does not shrink (already compressed, random) goes plain.
        if (!deflated.isEmpty() && deflated.size() < m_payload.size())
            m_compressed[slot] = WebSocketFrame::encodeCompressed(m_binary, deflated);
    }
    return m_compressed[slot].isEmpty() ? plainFrame() : m_compressed[slot];
}
