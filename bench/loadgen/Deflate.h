#pragma once

#include <string>

// The load generator's permessage-deflate (RFC 7692), as a client that offered and got
// server_no_context_takeover and client_no_context_takeover: one zlib stream each way, reset per
// message, shared by every connection (the generator is single-threaded).
namespace Deflate {

// Raw deflate of a whole message, the 00 00 ff ff tail removed.
std::string compress(const char *data, std::size_t length);
// Inflates a whole message (the tail appended here); false when the data does not inflate.
bool inflate(const char *data, std::size_t length, std::string *out);

} // namespace Deflate
