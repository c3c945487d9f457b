#include "TlsCredentials.h"

#include <QDateTime>
#include <QFile>
#include <QLoggingCategory>
#include <QSslCertificate>
#include <QSslKey>
#include <QSslSocket>

#ifdef Q_OS_UNIX
#include <sys/socket.h>
#include <unistd.h>
#endif

Q_LOGGING_CATEGORY(lcTls, "switchboard.tls")

namespace {

bool readFile(const QString &path, const QString &what, QByteArray *bytes, QString *error)
{
    QFile file(path);
    // A certificate or key is a few KiB; refuse to slurp something huge named by mistake.
    constexpr qint64 kMaxBytes = 1024 * 1024;
    if (!file.open(QIODevice::ReadOnly)) {
        *error = QStringLiteral("%1: cannot read the TLS %2: %3").arg(path, what, file.errorString());
        return false;
    }
    if (file.size() > kMaxBytes) {
        *error = QStringLiteral("%1: the TLS %2 file is larger than %3 bytes").arg(path, what).arg(kMaxBytes);
        return false;
    }
    *bytes = file.readAll();
    return true;
}

} // namespace

std::optional<QSslConfiguration> TlsCredentials::load(const QString &certPath, const QString &keyPath,
                                                      QString *error)
{
    if (certPath.isEmpty() || keyPath.isEmpty()) {
        *error = QStringLiteral("TLS needs both a certificate and its private key (--tls-cert and --tls-key, "
                                "or tlsCert and tlsKey in the config file)");
        return std::nullopt;
    }
    if (!QSslSocket::supportsSsl()) {
        *error = QStringLiteral("TLS is not available: Qt found no TLS backend (Qt's openssl plugin and "
                                "libssl3 are needed)");
        return std::nullopt;
    }

    QByteArray certBytes;
    if (!readFile(certPath, QStringLiteral("certificate"), &certBytes, error))
        return std::nullopt;
    const QList<QSslCertificate> chain = QSslCertificate::fromData(certBytes, QSsl::Pem);
    if (chain.isEmpty() || chain.constFirst().isNull()) {
        *error = QStringLiteral("%1: no PEM certificate in it (expected a -----BEGIN CERTIFICATE----- block)")
                     .arg(certPath);
        return std::nullopt;
    }
    const QSslCertificate &leaf = chain.constFirst();
    if (leaf.expiryDate() < QDateTime::currentDateTimeUtc()) {
        qCWarning(lcTls).noquote() << certPath << "expired on" << leaf.expiryDate().toString(Qt::ISODate)
                                   << "- clients will refuse it; make a new one (scripts/make-dev-cert.sh)";
    }

    QByteArray keyBytes;
    if (!readFile(keyPath, QStringLiteral("private key"), &keyBytes, error))
        return std::nullopt;
    if (keyBytes.contains("ENCRYPTED")) {
        *error = QStringLiteral("%1: the private key is encrypted with a passphrase; Switchboard needs an "
                                "unencrypted key (openssl pkey -in %1 -out plain-key.pem)")
                     .arg(keyPath);
        return std::nullopt;
    }
    QSslKey key;
    for (const QSsl::KeyAlgorithm algorithm : {QSsl::Rsa, QSsl::Ec, QSsl::Dsa}) {
        key = QSslKey(keyBytes, algorithm, QSsl::Pem, QSsl::PrivateKey);
        if (!key.isNull())
            break;
    }
    if (key.isNull()) {
        *error = QStringLiteral("%1: not a PEM private key (expected an unencrypted RSA, EC or DSA key, "
                                "-----BEGIN PRIVATE KEY-----)")
                     .arg(keyPath);
        return std::nullopt;
    }

    QSslConfiguration configuration = QSslConfiguration::defaultConfiguration();
    configuration.setLocalCertificateChain(chain);
    configuration.setPrivateKey(key);
    configuration.setPeerVerifyMode(QSslSocket::VerifyNone); // no client certificates
    const QString mismatch = whyKeyDoesNotMatch(configuration);
    if (!mismatch.isEmpty()) {
        *error = QStringLiteral("%1: the private key does not belong to the certificate in %2 (%3)")
                     .arg(keyPath, certPath, mismatch);
        return std::nullopt;
    }
    return configuration;
}

QString TlsCredentials::whyKeyDoesNotMatch(const QSslConfiguration &configuration)
{
#ifdef Q_OS_UNIX
    // Qt checks the pair only when a handshake starts. Start one, synchronously, on a socket pair
    // nobody writes to: a mismatch fails at once, a good pair just waits for a ClientHello.
    int fds[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM, 0, fds) != 0)
        return {}; // cannot check here; the first handshake would report it
    QString why;
    {
        QSslSocket probe;
        QObject::connect(&probe, &QSslSocket::errorOccurred, &probe, [&probe, &why] {
            if (why.isEmpty())
                why = probe.errorString();
        });
        if (probe.setSocketDescriptor(fds[0])) {
            probe.setSslConfiguration(configuration);
            probe.startServerEncryption();
            probe.abort();
        } else {
            ::close(fds[0]);
        }
    }
    ::close(fds[1]);
    return why;
#else
    Q_UNUSED(configuration);
    return {};
#endif
}
