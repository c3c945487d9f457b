#pragma once

#include <QSslConfiguration>
#include <QString>
#include <optional>

// The server's TLS identity: a PEM certificate (optionally followed by its chain) and the
// matching unencrypted PEM private key. Loaded and checked once at startup, so a wrong file is
// a clear error naming it instead of every later handshake failing.
class TlsCredentials
{
public:
    // The server-side configuration for certPath and keyPath, or nullopt with *error saying which
    // file is wrong and why (unreadable, not PEM, encrypted key, key not matching the certificate).
    static std::optional<QSslConfiguration> load(const QString &certPath, const QString &keyPath, QString *error);

private:
    // Empty when the key belongs to the certificate, else OpenSSL's complaint.
    static QString whyKeyDoesNotMatch(const QSslConfiguration &configuration);
};
