#pragma once

#include "../log/LogRecord.h"

#include <QByteArray>
#include <QString>

// Text formatting for payloads, shared by the detail pane and the compose panel. Pure Qt Core
// (no QtGui), so it is tested without a display.
namespace PayloadFormatter {

enum class Format { Json, Text, Hex, Close, Info };

struct Formatted
{
    Format format = Format::Info;
    QString heading; // one line: sequence, time, direction, kind, client, route, size
    QString body;    // the whole payload as text
    QString note;    // e.g. "showing the first 65,536 of 1,048,576 bytes"; empty when complete
};

// The record as the detail pane shows it: JSON pretty-printed when the text parses as a JSON
// object or array, hex + ASCII for binary (bytesPerLine a line), code + name + reason for closes.
Formatted format(const LogRecord &record, int bytesPerLine = 16);

// Indented JSON when utf8 is a JSON object or array, else an empty string. Indents the tokens as
// sent: key order, escapes and each number's literal text are kept (1.50 stays 1.50, 1e3 stays 1e3).
QString prettyJson(const QByteArray &utf8);

// True when utf8 is one well-formed JSON value (object, array or scalar). Same grammar as prettyJson.
bool isJson(const QByteArray &utf8);

// Classic hex dump, 16 bytes a line by default: "00000010  48 65 6c 6c 6f ...  |Hello...|", an
// extra space after every 8 bytes.
QString hexDump(const QByteArray &data, int bytesPerLine = 16);

// How many bytes a hex dump line can hold within columns characters: a multiple of 4, 4 to 64.
int hexBytesPerLine(int columns);

// "Normal Closure", "application-defined" (4000-4999), "registered for libraries" (3000-3999)...
QString describeCloseCode(int code);

// Bytes from hex text. Whitespace, ':', '-', ',' and "0x" prefixes are ignored, so
// "de ad be ef", "DE:AD:BE:EF" and "0xde, 0xad" all parse. On error returns false and
// sets *error to a message naming the offending character.
bool parseHex(const QString &input, QByteArray *out, QString *error);

// Bytes from base64 (standard or URL alphabet; whitespace ignored). On error returns false.
bool parseBase64(const QString &input, QByteArray *out, QString *error);

} // namespace PayloadFormatter
