#pragma once

#include <QByteArray>
#include <optional>

// permessage-deflate (RFC 7692) negotiation: the server's side of the Sec-WebSocket-Extensions
// exchange. Pure functions of the header value and the route's policy.

// What a route allows. By default the server asks both sides to reset their compression context
// per message, so a connection holds no zlib state between messages.
struct DeflatePolicy
{
    bool enabled = true;
    bool contextTakeover = false; // keep a compression context per connection (more memory, better ratio)
    int maxWindowBits = 15;       // 9..15: the largest LZ77 window either side may use (context takeover)
    int thresholdBytes = 1024;    // outgoing messages shorter than this are sent uncompressed

    bool operator==(const DeflatePolicy &other) const
    {
        return enabled == other.enabled && contextTakeover == other.contextTakeover
            && maxWindowBits == other.maxWindowBits && thresholdBytes == other.thresholdBytes;
    }
};

// What both sides agreed on for one connection.
struct DeflateParameters
{
    bool serverNoContextTakeover = true;
    bool clientNoContextTakeover = true;
    int serverMaxWindowBits = 15; // the window our compressor uses
    int clientMaxWindowBits = 15; // the largest window the client's compressor uses
    bool answerServerMaxWindowBits = false; // whether the answer states the window values
    bool answerClientMaxWindowBits = false;

    // The extension as the 101 answer's Sec-WebSocket-Extensions value states it.
    QByteArray responseHeader() const;
};

namespace DeflateNegotiation {

// The first permessage-deflate offer in `extensionsHeader` (the client's Sec-WebSocket-Extensions,
// all its lines joined by ", ") that is valid and that the policy can accept, in the client's
// order. Invalid offers (unknown, repeated or malformed parameters; window bits out of 8..15) are
// declined and the next one is tried; nullopt when none is left: the answer then names no extension.
std::optional<DeflateParameters> negotiate(const QByteArray &extensionsHeader, const DeflatePolicy &policy);

} // namespace DeflateNegotiation
