#pragma once

#include <QString>

// Close codes Switchboard sends or explains, one value each (RFC 6455 §7.4, IANA registry).
namespace CloseCode {

enum Code : int {
    NormalClosure = 1000,      // the purpose of the connection was fulfilled
    GoingAway = 1001,          // the server is shutting down or the client navigated away
    ProtocolError = 1002,      // the peer broke the WebSocket protocol
    UnsupportedData = 1003,    // a data type the endpoint cannot accept
    NoStatusReceived = 1005,   // reserved: a close frame carried no code (never sent)
    AbnormalClosure = 1006,    // reserved: the connection dropped without a close frame (never sent)
    InvalidPayload = 1007,     // e.g. a text frame that is not valid UTF-8
    PolicyViolation = 1008,    // rate limit, ban, or another policy
    MessageTooBig = 1009,      // a message over the size limit
    MandatoryExtension = 1010, // the client wanted an extension the server did not offer
    InternalError = 1011,      // the server hit an unexpected condition
    ServiceRestart = 1012,     // the server is restarting
    TryAgainLater = 1013,      // overloaded or slow consumer: reconnect later
    BadGateway = 1014,         // a gateway got an invalid answer upstream
    TlsHandshake = 1015,       // reserved: TLS failed (never sent)
};

// WebSocket limits the reason to what fits a control frame: 125 bytes minus the 2-byte code.
constexpr int kMaxReasonBytes = 123;

// True for the codes an endpoint may put in a close frame: 1000-1003, 1007-1014, 3000-4999.
bool isSendable(int code);

// Why a code cannot be sent, or an empty string when it can.
QString whyNotSendable(int code);

// The reason cut to at most kMaxReasonBytes of UTF-8 without splitting a character
// (Qt cuts mid-character and clients then fail the connection with 1006).
QString truncateReason(const QString &reason);

// "Normal Closure", "Going Away", ... or an empty string for codes without a registered name.
QString name(int code);

} // namespace CloseCode
