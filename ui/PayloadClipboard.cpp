#include "PayloadClipboard.h"

#include <QApplication>
#include <QClipboard>
#include <QMimeData>

void copyPayloadToClipboard(const LogRecord &record)
{
    auto *mime = new QMimeData;
    if (record.kind == LogRecord::Kind::Binary) {
        mime->setData(QStringLiteral("application/octet-stream"), record.payload);
        mime->setText(QString::fromLatin1(record.payload.toHex(' ')));
    } else {
        mime->setText(QString::fromUtf8(record.payload));
    }
    QApplication::clipboard()->setMimeData(mime); // the clipboard owns it
}
