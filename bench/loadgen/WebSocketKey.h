#pragma once

// The two bits of RFC 6455's opening handshake the load generator checks: a random Sec-WebSocket-Key
// and the Sec-WebSocket-Accept the server must answer with (base64(SHA-1(key + GUID))).
// Plain C++17, no Qt: the load generator must not share the server's libraries.

#include <cstdint>
#include <string>

namespace loadgen {

// 20-byte SHA-1 digest of data (FIPS 180-4).
std::string sha1(const std::string &data);

std::string base64(const std::string &bytes);

// base64 of 16 random bytes taken from seed (the caller supplies the randomness).
std::string makeWebSocketKey(std::uint64_t seedA, std::uint64_t seedB);

// base64(SHA-1(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")).
std::string expectedAccept(const std::string &key);

} // namespace loadgen
