#pragma once

#include <QObject>
#include <functional>

struct GateDecision;

// An answer the gate gives later (GateDecision::defer): the front door holds the client's socket,
// reading nothing more, until resolve() is called or the head timeout passes (the client then
// gets 504). The gate decides asynchronously (a proxy route dials its upstream first); the front
// door only waits. Owned by the front door; gone once resolved or abandoned.
class PendingAnswer : public QObject
{
    Q_OBJECT
public:
    explicit PendingAnswer(std::function<void(const GateDecision &)> resolver, QObject *parent = nullptr)
        : QObject(parent), m_resolver(std::move(resolver))
    {
    }

    void setResolver(std::function<void(const GateDecision &)> resolver) { m_resolver = std::move(resolver); }

    // The decision, as decide() would have returned it (Respond or Upgrade). Only the first counts.
    void resolve(const GateDecision &decision)
    {
        if (auto resolver = std::exchange(m_resolver, nullptr))
            resolver(decision);
    }
    bool isResolved() const { return !m_resolver; }

Q_SIGNALS:
    // The client left, or the head timeout passed, before resolve(): nobody to answer any more.
    void abandoned();

private:
    std::function<void(const GateDecision &)> m_resolver;
};
