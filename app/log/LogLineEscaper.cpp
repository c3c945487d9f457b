#include "LogLineEscaper.h"

#include <QtGlobal>

namespace {

QtMessageHandler g_previous = nullptr;

bool isPlain(char16_t c)
{
    return c >= 0x20 && c != 0x7f && !(c >= 0x80 && c < 0xa0); // C0, DEL and C1 controls are not
}

void escapingHandler(QtMsgType type, const QMessageLogContext &context, const QString &message)
{
    if (g_previous)
        g_previous(type, context, LogLineEscaper::escaped(message));
}

} // namespace

QString LogLineEscaper::escaped(const QString &message)
{
    qsizetype i = 0;
    while (i < message.size() && isPlain(message.at(i).unicode()))
        ++i;
    if (i == message.size())
        return message; // the common case: nothing to escape, no copy
    QString out = message.left(i);
    for (; i < message.size(); ++i) {
        const char16_t c = message.at(i).unicode();
        if (isPlain(c)) {
            out += message.at(i);
        } else if (c == '\n') {
            out += QLatin1String("\\n");
        } else if (c == '\r') {
            out += QLatin1String("\\r");
        } else if (c == '\t') {
            out += QLatin1String("\\t");
        } else {
            out += QStringLiteral("\\x%1").arg(int(c), 2, 16, QLatin1Char('0'));
        }
    }
    return out;
}

void LogLineEscaper::install()
{
    QtMessageHandler previous = qInstallMessageHandler(escapingHandler);
    if (previous != escapingHandler)
        g_previous = previous;
}
