#include "ClientInfo.h"

QString ClientInfo::stateName(State state)
{
    switch (state) {
    case State::Open: return QStringLiteral("open");
    case State::Closing: return QStringLiteral("closing");
    case State::Closed: return QStringLiteral("closed");
    }
    return {};
}

QString ClientInfo::closedByName(ClosedBy closedBy)
{
    switch (closedBy) {
    case ClosedBy::Nobody: return {};
    case ClosedBy::Client: return QStringLiteral("client");
    case ClosedBy::Server: return QStringLiteral("server");
    case ClosedBy::Network: return QStringLiteral("network");
    }
    return {};
}
