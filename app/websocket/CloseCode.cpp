#include "CloseCode.h"

namespace CloseCode {

bool isSendable(int code)
{
    return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014)
           || (code >= 3000 && code <= 4999);
}

QString whyNotSendable(int code)
{
    if (isSendable(code))
        return {};
    if (code == NoStatusReceived || code == AbnormalClosure || code == TlsHandshake)
        return QStringLiteral("close code %1 is reserved and must never be sent").arg(code);
    if (code == 1004)
        return QStringLiteral("close code 1004 is reserved by RFC 6455");
    return QStringLiteral("close code %1 is outside the sendable ranges 1000-1003, 1007-1014 and 3000-4999")
        .arg(code);
}

QString truncateReason(const QString &reason)
{
    QByteArray utf8 = reason.toUtf8();
    if (utf8.size() <= kMaxReasonBytes)
        return reason;
    int end = kMaxReasonBytes;
    // Step back over UTF-8 continuation bytes (10xxxxxx) so a character is never split.
    while (end > 0 && (static_cast<unsigned char>(utf8.at(end)) & 0xC0) == 0x80)
        --end;
    return QString::fromUtf8(utf8.constData(), end);
}

QString name(int code)
{
    switch (code) {
    case NormalClosure: return QStringLiteral("Normal Closure");
    case GoingAway: return QStringLiteral("Going Away");
    case ProtocolError: return QStringLiteral("Protocol Error");
    case UnsupportedData: return QStringLiteral("Unsupported Data");
    case NoStatusReceived: return QStringLiteral("No Status Received");
    case AbnormalClosure: return QStringLiteral("Abnormal Closure");
    case InvalidPayload: return QStringLiteral("Invalid Payload Data");
    case PolicyViolation: return QStringLiteral("Policy Violation");
    case MessageTooBig: return QStringLiteral("Message Too Big");
    case MandatoryExtension: return QStringLiteral("Mandatory Extension");
    case InternalError: return QStringLiteral("Internal Error");
    case ServiceRestart: return QStringLiteral("Service Restart");
    case TryAgainLater: return QStringLiteral("Try Again Later");
    case BadGateway: return QStringLiteral("Bad Gateway");
    case TlsHandshake: return QStringLiteral("TLS Handshake");
    default: return {};
    }
}

} // namespace CloseCode
