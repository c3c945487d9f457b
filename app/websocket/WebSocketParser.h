#pragma once

#include "Utf8Validator.h"

#include <QByteArray>
#include <QString>

class PerMessageDeflate;

// Reads the frames a client sends (RFC 6455 §5) and puts whole messages together. Strict, as a
// server must be: every client frame masked, no reserved bits but RSV1 on the first frame of a
// compressed message (only with permessage-deflate), control frames short and unfragmented, text
// valid UTF-8 (a fragmented message fails on its first invalid fragment), close codes from the
// valid ranges. The first violation ends parsing with the close code to fail the connection with.
//
// Bytes arrive in any split. A frame wholly inside the bytes given is read straight from them;
// only an incomplete tail is copied and kept, so an idle connection holds no buffer at all.
class WebSocketParser
{
public:
    enum class Kind {
        NeedMore, // everything given has been consumed
        Text,     // payload: the message's UTF-8 (validated)
        Binary,   // payload: the message
        Ping,     // payload: the ping's application data, for the pong
        Pong,
        Close,    // code (1005 when the frame had none) and reason
        Error,    // code: 1002, 1007 or 1009; reason says why. Nothing more is parsed.
    };
    struct Event
    {
        Kind kind = Kind::NeedMore;
        QByteArray payload;
        int code = 0;
        QString reason;
        qint64 wireBytes = 0; // Text, Binary: the message's frames as they arrived, headers included
        int frames = 0;       // Text, Binary: how many frames the message came in
    };

    explicit WebSocketParser(qint64 maxMessageBytes) : m_maxMessageBytes(maxMessageBytes) { }

    // permessage-deflate was negotiated: compressed messages are inflated with `deflate` (not
    // owned), never past the message limit. Null (the default): RSV1 fails the connection.
    void setDeflate(PerMessageDeflate *deflate) { m_deflate = deflate; }
    // The client's end of a connection (a proxy's upstream leg): frames from a server come
    // unmasked, and a masked one fails the connection (RFC 6455 §5.1).
    void setReadingServerFrames(bool serverFrames) { m_serverFrames = serverFrames; }

    // Bytes just received. They must stay valid until next() returns NeedMore (or Error).
    void feed(const char *data, qsizetype size);
    // The next event in what was fed; NeedMore once all of it is consumed.
    Event next();
    // Bytes held between calls: an incomplete frame plus a fragmented message so far.
    qsizetype bufferedBytes() const { return m_tail.size() + m_message.size(); }

private:
    Event fail(int code, const QString &reason);
    // A whole data message: inflated when compressed, checked for UTF-8 when text and not yet checked.
    Event message(bool binary, QByteArray payload, bool compressed, bool utf8Checked, qint64 wireBytes, int frames);
    // Moves what is left of the caller's bytes into m_tail so the next feed() can continue.
    void keepTail();

    qint64 m_maxMessageBytes;
    const char *m_input = nullptr; // the caller's bytes, or m_tail's
    qsizetype m_inputSize = 0;
    qsizetype m_offset = 0;
    QByteArray m_tail;             // an incomplete frame carried over to the next feed()
    QByteArray m_message;          // fragments of a message still missing its final frame
    bool m_inMessage = false;
    bool m_messageBinary = false;
    bool m_messageCompressed = false;
    qint64 m_messageWireBytes = 0;
    int m_messageFrames = 0;
    Utf8Validator m_utf8; // an uncompressed fragmented text message, checked fragment by fragment
    PerMessageDeflate *m_deflate = nullptr;
    bool m_failed = false;
    bool m_serverFrames = false;
};
