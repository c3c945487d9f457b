#pragma once

#include "log/LogExporter.h"
#include "log/LogRecord.h"
#include "log/LogRecorder.h"

#include <QObject>

class EngineHost;

// Recording and export as the dashboard drives them. The recorder sees every batch of records the
// engine sends (also while the log view is paused or evicting) and appends it to a JSON Lines file;
// the exporter writes chosen records on a worker thread. Each step says what happened in one line
// (message()), which the window shows in its status bar.
class RecordingController : public QObject
{
    Q_OBJECT
public:
    explicit RecordingController(EngineHost &host, QObject *parent = nullptr);

    // False with *error when the file cannot be written. Recording continues across server
    // restarts until stop().
    bool start(const LogRecorder::Options &options, QString *error = nullptr);
    // Writes what is queued (at most about a second of records), then closes the file.
    void stop();
    bool isRecording() const { return m_recorder->isRecording(); }
    // Records are implicitly shared: the worker thread gets them without copying a payload.
    void exportRecords(const QString &path, const LogRecordBatch &records, LogExporter::Format format);

    LogRecorder *recorder() const { return m_recorder; }
    LogExporter *exporter() const { return m_exporter; }

Q_SIGNALS:
    // problem: something did not happen as asked (shown longer).
    void message(const QString &text, bool problem);
    // Recording began, ended or failed.
    void recordingChanged();

private:
    LogRecorder *m_recorder;
    LogExporter *m_exporter;
};
