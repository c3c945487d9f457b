#pragma once

#include <QStringList>
#include <QUrl>

// Listening beyond this machine: what to warn the operator of, and where the server is reachable.
namespace NetworkExposure {

// A warning when host is not a loopback address (every machine that can reach it may connect),
// or an empty string.
QString warning(const QString &host);
// The URLs other machines can use: one per IPv4 address of this machine for 0.0.0.0 (which binds
// IPv4 only), else url itself.
QStringList reachableUrls(const QUrl &url);

} // namespace NetworkExposure
