#pragma once

#include "LogRecord.h"

#include <QByteArray>
#include <QString>

// The JSON Lines form of a LogRecord, shared by the recorder, the exporter and the replay reader
// so a recording and a JSON Lines export are the same format. One object per line:
//
//   {"sequence":7,"timestampMs":1718000000123,"clientId":3,"route":"/ws","direction":"in",
//    "kind":"text","size":5,"fanout":0,"closeCode":0,"detail":"","encoding":"utf8","payload":"hello"}
//
// "encoding" is "utf8" when the payload is a text message that is valid UTF-8 and "base64"
// otherwise (binary messages, or text cut mid-character by the in-memory cap). "truncated":true
// appears when the payload holds fewer bytes than "size" (exports from the in-memory log).
// A line whose object has a "recording" key is a header (format version, start time), not a record.
class LogRecordJson
{
public:
    static constexpr int kFormatVersion = 1;

    // One line, newline included. Hand-written rather than QJsonDocument: the recorder runs this
    // for every record at full message rate.
    static QByteArray toLine(const LogRecord &record);
    // Appends the line for record to out (avoids one allocation per record when batching).
    static void appendLine(QByteArray &out, const LogRecord &record);
    // The header line a recording file starts with.
    static QByteArray headerLine(qint64 startedMs, int part);

    enum class Parsed { Record, Header, Error };
    // Parses one line (with or without its newline). On Error, *error says what is wrong.
    static Parsed fromLine(const QByteArray &line, LogRecord *record, QString *error);

    // JSON string escaping of UTF-8 bytes (quotes not included); exposed for the CSV/tests.
    static void appendEscaped(QByteArray &out, QByteArrayView utf8);
};
