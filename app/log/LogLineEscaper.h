#pragma once

#include <QString>

// Text log lines (qCInfo and friends on stderr) carry what clients sent: paths, reasons, user
// agents. A CR, LF or NUL there could forge a line or cut one short, so every control character
// is written as \r, \n, \t or \xNN before the line goes out. (The JSON recording escapes on its own.)
namespace LogLineEscaper {

QString escaped(const QString &message);
// Installs a message handler that escapes each message, then hands it to the handler before it.
void install();

} // namespace LogLineEscaper
