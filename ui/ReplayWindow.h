#pragma once

#include "log/RecordingReader.h"
#include "server/ReplayStatus.h"

#include <QMainWindow>

class ClientFilterProxyModel;
class ClientTableModel;
class DetailPane;
class ExportDialog;
class LogExporter;
class LogPanel;
class MessageLogModel;
class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QProgressBar;
class QPushButton;

// A recording opened for reading: its own message log (same filters and detail pane as the live
// one) and a way to send a recorded message again to a client connected now. It never talks to
// the engine: re-sending is a request its owner carries out.
class ReplayWindow : public QMainWindow
{
    Q_OBJECT
public:
    // liveClients: the dashboard's clients, to pick a re-send target from (open ones only).
    // capacity and payloadCap bound what is loaded, as for the live log.
    ReplayWindow(ClientTableModel &liveClients, int capacity, int payloadCap, QWidget *parent = nullptr);
    ~ReplayWindow() override;

    // Reads path and its rotated parts (rec.2.jsonl, rec.1.jsonl, rec.jsonl) on a worker thread;
    // loaded() follows. Bad lines are skipped and listed with their line numbers.
    void load(const QString &path);
    bool isLoading() const;
    QString path() const { return m_path; }

    MessageLogModel *model() const { return m_model; }
    LogPanel *logPanel() const { return m_logPanel; }
    DetailPane *detailPane() const { return m_detail; }
    // What went wrong while loading (bad lines with their numbers, an unreadable file), or empty.
    QString problems() const;
    QString summary() const;

    // File > Export Records: the recording's records (all, filtered or selected) to JSON Lines or CSV.
    ExportDialog *openExportDialog();
    LogExporter *exporter() const { return m_exporter; }

    // The live client "Send" sends the selected record to; false when it is not open.
    bool setResendClient(quint64 clientId);
    quint64 resendClient() const;

    // Timed replay: the messages Play sends (the selected rows when more than one is selected,
    // else every message the filters show), and what the engine's replayer reports.
    LogRecordBatch replayMessages(QString *error) const;
    void showReplayStatus(const ReplayStatus &status);

Q_SIGNALS:
    void loaded(bool ok);
    // "Send" pressed: send this recorded message to the client now.
    void resendRequested(quint64 clientId, const QByteArray &payload, bool binary);
    // The detail pane's "Resend…": edit it in the dashboard's compose panel first.
    void composeRequested(const QByteArray &payload, bool binary);
    // Play: send these messages to the client with their recorded spacing divided by speed
    // (0: back-to-back), looping if asked. The owner hands it to the engine's replayer.
    void replayRequested(quint64 clientId, const LogRecordBatch &messages, double speed, bool loop);
    void replayPauseRequested();
    void replayResumeRequested();
    void replayStopRequested();

protected:
    // A replay this window started stops with it: nothing would show it any more.
    void closeEvent(QCloseEvent *event) override;

private:
    void onLoaded();
    void updateSendButton();
    void sendSelected();
    void playMessages();
    void updateReplayControls();

    ClientTableModel &m_liveClients;
    MessageLogModel *m_model;
    RecordingReader *m_reader;
    LogExporter *m_exporter;
    ClientFilterProxyModel *m_openClients;
    LogPanel *m_logPanel;
    DetailPane *m_detail;
    QLabel *m_problems;
    QComboBox *m_clientChoice;
    QPushButton *m_send;
    QLabel *m_sendNote;
    QComboBox *m_timing;
    QDoubleSpinBox *m_speed;
    QCheckBox *m_loop;
    QPushButton *m_play;
    QPushButton *m_pause;
    QPushButton *m_stop;
    QProgressBar *m_progress;
    QLabel *m_replayNote;
    ReplayStatus m_replay;
    bool m_startedReplay = false; // the engine's replay is one this window asked for
    QString m_path;
    QString m_summary;
    QString m_problemText;
    int m_payloadCap;
};
