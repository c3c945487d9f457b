#include "EngineReporter.h"

#include "ClientSession.h"
#include "Engine.h"

#include <QDateTime>
#include <algorithm>

EngineReporter::EngineReporter(Engine &engine) : m_engine(engine)
{
    m_flushTimer.setSingleShot(true);
    m_flushTimer.setInterval(Engine::kFlushIntervalMs);
    QObject::connect(&m_flushTimer, &QTimer::timeout, &m_engine, [this] { flush(); });
}

LogRecord EngineReporter::makeRecord(const ClientSession *session, LogRecord::Direction direction,
                                     LogRecord::Kind kind)
{
    LogRecord record;
    record.timestampMs = QDateTime::currentMSecsSinceEpoch();
    record.clientId = session->id();
    record.route = session->info().path;
    record.direction = direction;
    record.kind = kind;
    return record;
}

void EngineReporter::record(LogRecord record)
{
    m_pendingRecords.append(std::move(record));
    markStatsChanged();
}

void EngineReporter::markChanged(ClientSession *session)
{
    // The session's flag keeps it to one set insertion per flush.
    if (session->markChangeQueued()) {
        m_changedClients.insert(session->id());
        scheduleFlush();
    }
}

void EngineReporter::clientEnded(const ClientInfo &info)
{
    m_endedClients.insert(info.id, info);
    m_changedClients.insert(info.id);
    markStatsChanged();
}

void EngineReporter::markStatsChanged()
{
    m_statsDirty = true;
    scheduleFlush();
}

void EngineReporter::markClusterChanged()
{
    m_clusterDirty = true;
    scheduleFlush();
}

void EngineReporter::scheduleFlush()
{
    if (!m_flushTimer.isActive())
        m_flushTimer.start();
}

void EngineReporter::flush()
{
    if (!m_pendingRecords.isEmpty()) {
        LogRecordBatch batch;
        batch.swap(m_pendingRecords);
        m_engine.keepRecords(batch); // numbers them
        Q_EMIT m_engine.recordsAppended(batch);
    }
    if (!m_changedClients.isEmpty()) {
        // Headless, nobody watches the table: the rows are not built at all.
        const bool watched = m_engine.clientRowsWatched();
        ClientInfoList changed;
        if (watched)
            changed.reserve(m_changedClients.size());
        for (const quint64 id : std::as_const(m_changedClients)) {
            ClientSession *live = m_engine.session(id);
            if (live)
                live->clearChangeQueued();
            if (watched)
                changed.append(live ? live->info() : m_endedClients.value(id));
        }
        if (watched) {
            std::sort(changed.begin(), changed.end(),
                      [](const ClientInfo &a, const ClientInfo &b) { return a.id < b.id; });
            Q_EMIT m_engine.clientsChanged(changed);
        }
        m_changedClients.clear();
        m_endedClients.clear();
    }
    if (m_statsDirty) {
        m_statsDirty = false;
        Q_EMIT m_engine.statsChanged(m_engine.stats());
    }
    if (m_clusterDirty) {
        const ClusterStatus cluster = m_engine.clusterStatus();
        if (cluster.enabled) {
            m_clusterDirty = false;
            Q_EMIT m_engine.clusterChanged(cluster);
        }
    }
}
