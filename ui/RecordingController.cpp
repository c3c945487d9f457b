#include "RecordingController.h"

#include "UiLogging.h"
#include "UiText.h"
#include "server/EngineHost.h"

#include <QDir>
#include <QLocale>

RecordingController::RecordingController(EngineHost &host, QObject *parent)
    : QObject(parent), m_recorder(new LogRecorder(this)), m_exporter(new LogExporter(this))
{
    connect(&host, &EngineHost::recordsAppended, m_recorder, &LogRecorder::append);
    connect(m_recorder, &LogRecorder::failed, this, [this](const QString &error) {
        qCWarning(lcUi).noquote() << "recording stopped:" << error;
        Q_EMIT message(tr("Recording stopped: %1").arg(error), true);
        Q_EMIT recordingChanged();
    });
}

bool RecordingController::start(const LogRecorder::Options &options, QString *error)
{
    QString why;
    const bool ok = m_recorder->start(options, &why);
    if (ok) {
        Q_EMIT message(tr("Recording to %1").arg(QDir::toNativeSeparators(options.path)), false);
    } else {
        Q_EMIT message(tr("Not recording: %1").arg(why), true);
        if (error)
            *error = why;
    }
    Q_EMIT recordingChanged();
    return ok;
}

void RecordingController::stop()
{
    const bool was = m_recorder->isRecording();
    m_recorder->stop();
    if (was) {
        Q_EMIT message(tr("Recording saved: %1 records in %2")
                           .arg(QLocale().toString(static_cast<qulonglong>(m_recorder->recordsWritten())),
                                QDir::toNativeSeparators(m_recorder->options().path)),
                           false);
    }
    Q_EMIT recordingChanged();
}

void RecordingController::exportRecords(const QString &path, const LogRecordBatch &records, LogExporter::Format format)
{
    m_exporter->start(path, records, format);
    Q_EMIT message(tr("Exporting %1 to %2…")
                       .arg(countOf(records.size(), tr("record"), tr("records")), QDir::toNativeSeparators(path)),
                   false);
}
