#include "ReplayWindow.h"

#include "ClientFilterProxyModel.h"
#include "DetailPane.h"
#include "ExportDialog.h"
#include "LogFilterProxyModel.h"
#include "LogPanel.h"
#include "model/ClientTableModel.h"
#include "model/MessageLogModel.h"
#include "server/Replayer.h"

#include <QAction>
#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QDoubleSpinBox>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QMenu>
#include <QMenuBar>
#include <QProgressBar>
#include <QPushButton>
#include <QSplitter>
#include <QStatusBar>
#include <QTableView>
#include <QVBoxLayout>

namespace {

constexpr int kProblemsShown = 8; // the rest are counted; the banner must not fill the window

} // namespace

ReplayWindow::ReplayWindow(ClientTableModel &liveClients, int capacity, int payloadCap, QWidget *parent)
    : QMainWindow(parent), m_liveClients(liveClients), m_model(new MessageLogModel(capacity, this)),
      m_reader(new RecordingReader(this)), m_exporter(new LogExporter(this)), m_openClients(new ClientFilterProxyModel(this)),
      m_problems(new QLabel(this)), m_clientChoice(new QComboBox(this)),
      m_send(new QPushButton(tr("&Send to Client"), this)), m_sendNote(new QLabel(this)), m_timing(new QComboBox(this)),
      m_speed(new QDoubleSpinBox(this)), m_loop(new QCheckBox(tr("&Loop"), this)), m_play(new QPushButton(tr("&Play"), this)),
      m_pause(new QPushButton(tr("P&ause"), this)), m_stop(new QPushButton(tr("S&top"), this)),
      m_progress(new QProgressBar(this)), m_replayNote(new QLabel(this)), m_payloadCap(payloadCap)
{
    setObjectName(QStringLiteral("replayWindow"));
    setAttribute(Qt::WA_DeleteOnClose);
    m_model->setPayloadCap(payloadCap);
    m_logPanel = new LogPanel(*m_model, this);
    m_logPanel->setSelectedClientsFilterAvailable(false); // no clients table here
    m_logPanel->setLiveControlsAvailable(false);          // a recording does not grow: no pause, scroll, clear
    m_detail = new DetailPane(this);

    m_problems->setObjectName(QStringLiteral("replayProblems"));
    m_problems->setTextFormat(Qt::PlainText);
    m_problems->setWordWrap(true);
    m_problems->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_problems->setStyleSheet(QStringLiteral("QLabel { color: #8a4b00; background: #fff4e0; border: 1px solid #e0b060;"
                                             " padding: 4px; }"));
    m_problems->hide();

    // Open clients of the live server; the popup shows id, peer and path to choose by.
    m_openClients->setShowClosed(false);
    m_openClients->setSourceModel(&m_liveClients);
    m_clientChoice->setObjectName(QStringLiteral("replayClient"));
    m_clientChoice->setModel(m_openClients);
    m_clientChoice->setModelColumn(ClientTableModel::Id);
    auto *popup = new QTableView(m_clientChoice);
    popup->setSelectionBehavior(QAbstractItemView::SelectRows);
    popup->verticalHeader()->hide();
    popup->horizontalHeader()->setStretchLastSection(true);
    m_clientChoice->setView(popup);
    for (int column = 0; column < ClientTableModel::ColumnCount; ++column) {
        const bool shown = column == ClientTableModel::Id || column == ClientTableModel::Peer
                           || column == ClientTableModel::Path;
        popup->setColumnHidden(column, !shown);
    }
    popup->setMinimumWidth(fontMetrics().horizontalAdvance(QLatin1Char('x')) * 60);
    m_clientChoice->setMinimumContentsLength(6);
    m_clientChoice->setToolTip(tr("A client connected to the server now"));
    m_send->setObjectName(QStringLiteral("replaySend"));
    m_send->setToolTip(tr("Send the selected recorded message to the chosen client, as the operator"));
    m_sendNote->setObjectName(QStringLiteral("replaySendNote"));
    m_sendNote->setStyleSheet(QStringLiteral("color: palette(placeholder-text);"));

    auto *sendRow = new QHBoxLayout;
    sendRow->setContentsMargins(0, 0, 0, 0);
    sendRow->addWidget(new QLabel(tr("<b>Re-send</b> to client"), this));
    sendRow->addWidget(m_clientChoice);
    sendRow->addWidget(m_send);
    sendRow->addStretch(1);
    // Timed replay: the chosen messages to the chosen client, as recorded (or faster), on the
    // engine's replayer; this window only commands it and shows its progress.
    m_timing->setObjectName(QStringLiteral("replayTiming"));
    m_timing->addItem(tr("Recorded spacing"));
    m_timing->addItem(tr("Back-to-back"));
    m_speed->setObjectName(QStringLiteral("replaySpeed"));
    m_speed->setRange(0.1, 100.0);
    m_speed->setDecimals(1);
    m_speed->setValue(1.0);
    m_speed->setPrefix(QStringLiteral("×"));
    m_speed->setToolTip(tr("Speed: ×2 halves every recorded gap"));
    m_loop->setObjectName(QStringLiteral("replayLoop"));
    m_play->setObjectName(QStringLiteral("replayPlay"));
    m_play->setToolTip(tr("Send the selected messages (select more than one), else every message the filters show, "
                          "to the chosen client with their recorded spacing"));
    m_pause->setObjectName(QStringLiteral("replayPause"));
    m_stop->setObjectName(QStringLiteral("replayStop"));
    m_progress->setObjectName(QStringLiteral("replayProgress"));
    m_progress->setRange(0, 1);
    m_progress->setValue(0);
    m_progress->setFormat(QString()); // nothing replayed yet
    m_replayNote->setObjectName(QStringLiteral("replayNote"));
    m_replayNote->setStyleSheet(QStringLiteral("color: palette(placeholder-text);"));
    auto *timingRow = new QHBoxLayout;
    timingRow->setContentsMargins(0, 0, 0, 0);
    timingRow->addWidget(new QLabel(tr("<b>Timed replay</b>"), this));
    timingRow->addWidget(m_timing);
    timingRow->addWidget(m_speed);
    timingRow->addWidget(m_loop);
    timingRow->addStretch(1);
    auto *controlRow = new QHBoxLayout;
    controlRow->setContentsMargins(0, 0, 0, 0);
    controlRow->addWidget(m_play);
    controlRow->addWidget(m_pause);
    controlRow->addWidget(m_stop);
    controlRow->addWidget(m_progress, 1);

    auto *side = new QWidget(this);
    auto *sideLayout = new QVBoxLayout(side);
    sideLayout->setContentsMargins(0, 0, 0, 0);
    sideLayout->addWidget(m_detail, 1);
    sideLayout->addLayout(sendRow);
    sideLayout->addWidget(m_sendNote);
    sideLayout->addLayout(timingRow);
    sideLayout->addLayout(controlRow);
    sideLayout->addWidget(m_replayNote);

    auto *splitter = new QSplitter(Qt::Horizontal, this);
    splitter->addWidget(m_logPanel);
    splitter->addWidget(side);
    splitter->setChildrenCollapsible(false);
    splitter->setSizes({700, 450});

    auto *central = new QWidget(this);
    auto *layout = new QVBoxLayout(central);
    layout->setContentsMargins(6, 6, 6, 4);
    layout->addWidget(m_problems);
    layout->addWidget(splitter, 1);
    setCentralWidget(central);
    resize(1200, 700);

    QMenu *file = menuBar()->addMenu(tr("&File"));
    QAction *exportAction = file->addAction(tr("&Export Records…"), this, &ReplayWindow::openExportDialog);
    exportAction->setObjectName(QStringLiteral("actionReplayExport"));
    exportAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_E));
    file->addSeparator();
    QAction *closeAction = file->addAction(tr("&Close"), this, &QWidget::close);
    closeAction->setShortcut(QKeySequence::Close);
    connect(m_exporter, &LogExporter::finished, this, [this](bool ok, const QString &error, int count) {
        statusBar()->showMessage(ok ? tr("Exported %1 records").arg(count) : tr("Export failed: %1").arg(error), 10000);
    });

    connect(m_logPanel, &LogPanel::recordSelected, m_detail, &DetailPane::showRecord);
    connect(m_logPanel, &LogPanel::cleared, m_detail, &DetailPane::clear);
    connect(m_logPanel, &LogPanel::recordSelected, this, &ReplayWindow::updateSendButton);
    connect(m_logPanel, &LogPanel::cleared, this, &ReplayWindow::updateSendButton);
    connect(m_detail, &DetailPane::resendRequested, this, &ReplayWindow::composeRequested);
    connect(m_clientChoice, &QComboBox::currentIndexChanged, this, &ReplayWindow::updateSendButton);
    for (auto signal : {&QAbstractItemModel::rowsInserted, &QAbstractItemModel::rowsRemoved}) {
        connect(m_openClients, signal, this, &ReplayWindow::updateSendButton);
    }
    connect(m_send, &QPushButton::clicked, this, &ReplayWindow::sendSelected);
    connect(m_play, &QPushButton::clicked, this, &ReplayWindow::playMessages);
    connect(m_pause, &QPushButton::clicked, this, [this] {
        if (m_replay.state == ReplayStatus::State::Paused)
            Q_EMIT replayResumeRequested();
        else
            Q_EMIT replayPauseRequested();
    });
    connect(m_stop, &QPushButton::clicked, this, &ReplayWindow::replayStopRequested);
    connect(m_timing, &QComboBox::currentIndexChanged, this, &ReplayWindow::updateReplayControls);
    connect(m_clientChoice, &QComboBox::currentIndexChanged, this, &ReplayWindow::updateReplayControls);
    for (QAbstractItemModel *model : {static_cast<QAbstractItemModel *>(m_logPanel->proxy()),
                                      static_cast<QAbstractItemModel *>(m_openClients)}) {
        connect(model, &QAbstractItemModel::modelReset, this, &ReplayWindow::updateReplayControls);
        connect(model, &QAbstractItemModel::layoutChanged, this, &ReplayWindow::updateReplayControls);
        connect(model, &QAbstractItemModel::rowsInserted, this, &ReplayWindow::updateReplayControls);
        connect(model, &QAbstractItemModel::rowsRemoved, this, &ReplayWindow::updateReplayControls);
    }
    connect(m_reader, &RecordingReader::progress, this, [this](qint64 read, qint64 total) {
        statusBar()->showMessage(tr("Loading… %1%").arg(total > 0 ? read * 100 / total : 0));
    });
    connect(m_reader, &RecordingReader::finished, this, &ReplayWindow::onLoaded);
    updateSendButton();
    updateReplayControls();
}

ReplayWindow::~ReplayWindow() = default;

void ReplayWindow::load(const QString &path)
{
    m_path = path;
    setWindowTitle(tr("%1 — Switchboard Replay").arg(QFileInfo(path).fileName()));
    // A rotated recording is read whole, oldest part first.
    QStringList parts = RecordingReader::recordingParts(path);
    if (parts.isEmpty())
        parts = {path}; // let the reader say why it cannot be opened
    RecordingReader::Options options;
    options.maxRecords = m_model->capacity();
    options.payloadCap = m_payloadCap;
    statusBar()->showMessage(tr("Loading %1…").arg(QDir::toNativeSeparators(path)));
    m_reader->start(parts, options);
}

ExportDialog *ReplayWindow::openExportDialog()
{
    const QString base = QFileInfo(m_path).completeBaseName() + QStringLiteral("-export");
    return ExportDialog::openFor(*m_logPanel, base, this,
                                 [this](const QString &path, const LogRecordBatch &records, LogExporter::Format format) {
                                     m_exporter->start(path, records, format);
                                 });
}

bool ReplayWindow::isLoading() const
{
    return m_reader->isRunning();
}

void ReplayWindow::onLoaded()
{
    const RecordingReader::Result result = m_reader->takeResult();
    m_model->replaceAll(result.records);
    m_summary = result.summary();

    QStringList problems;
    if (!result.fileError.isEmpty())
        problems.append(result.fileError);
    if (result.errorCount > 0) {
        problems.append(result.errorCount == 1 ? tr("1 bad line skipped; everything else loaded:")
                                               : tr("%1 bad lines skipped; everything else loaded:").arg(result.errorCount));
        for (int i = 0; i < result.errors.size() && i < kProblemsShown; ++i)
            problems.append(QStringLiteral("  ") + result.errors.at(i).toString());
        if (result.errorCount > kProblemsShown)
            problems.append(tr("  … and %1 more").arg(result.errorCount - kProblemsShown));
    }
    if (result.recordsDropped > 0)
        problems.append(tr("Only the newest %1 records are shown (%2 older ones not loaded).")
                            .arg(m_model->capacity())
                            .arg(result.recordsDropped));
    m_problemText = problems.join(QLatin1Char('\n'));
    m_problems->setText(m_problemText);
    m_problems->setVisible(!m_problemText.isEmpty());
    statusBar()->showMessage(m_summary);
    updateSendButton();
    updateReplayControls();
    Q_EMIT loaded(result.ok());
}

QString ReplayWindow::problems() const
{
    return m_problemText;
}

QString ReplayWindow::summary() const
{
    return m_summary;
}

bool ReplayWindow::setResendClient(quint64 clientId)
{
    for (int row = 0; row < m_openClients->rowCount(); ++row) {
        if (m_openClients->index(row, ClientTableModel::Id).data(ClientTableModel::ClientIdRole).toULongLong() == clientId) {
            m_clientChoice->setCurrentIndex(row);
            return true;
        }
    }
    return false;
}

quint64 ReplayWindow::resendClient() const
{
    if (m_clientChoice->currentIndex() < 0)
        return 0;
    return m_openClients->index(m_clientChoice->currentIndex(), ClientTableModel::Id)
        .data(ClientTableModel::ClientIdRole)
        .toULongLong();
}

void ReplayWindow::updateSendButton()
{
    const LogRecord &record = m_detail->record();
    const bool message = m_detail->hasRecord()
                         && (record.kind == LogRecord::Kind::Text || record.kind == LogRecord::Kind::Binary);
    QString why;
    if (!message)
        why = tr("Select a text or binary message in the log.");
    else if (record.payloadTruncated())
        why = tr("Only the first %1 bytes of this message were loaded; it cannot be sent as recorded.")
                  .arg(record.payload.size());
    else if (resendClient() == 0)
        why = tr("No client is connected to send it to.");
    m_send->setEnabled(why.isEmpty());
    m_sendNote->setText(why);
}

void ReplayWindow::sendSelected()
{
    const quint64 client = resendClient();
    const LogRecord &record = m_detail->record();
    if (!m_send->isEnabled() || client == 0)
        return;
    Q_EMIT resendRequested(client, record.payload, record.kind == LogRecord::Kind::Binary);
    // Confirmed where the operator clicked, until the next selection.
    const QString sent = tr("Sent %1 to client %2.").arg(ClientTableModel::formatBytes(record.payload.size())).arg(client);
    m_sendNote->setText(sent);
    statusBar()->showMessage(sent, 5000);
}

LogRecordBatch ReplayWindow::replayMessages(QString *error) const
{
    const LogRecordBatch selected = m_logPanel->selectedRecords();
    return Replayer::select(selected.size() > 1 ? selected : m_logPanel->filteredRecords(), 0, 0, error);
}

void ReplayWindow::playMessages()
{
    const quint64 client = resendClient();
    QString why;
    const LogRecordBatch messages = replayMessages(&why);
    if (client == 0 || messages.isEmpty()) {
        m_replayNote->setText(client == 0 ? tr("No client is connected to replay to.") : tr("Cannot replay: %1").arg(why));
        return;
    }
    const double speed = m_timing->currentIndex() == 1 ? 0.0 : m_speed->value();
    m_startedReplay = true;
    Q_EMIT replayRequested(client, messages, speed, m_loop->isChecked());
}

void ReplayWindow::closeEvent(QCloseEvent *event)
{
    if (m_startedReplay && m_replay.active())
        Q_EMIT replayStopRequested();
    QMainWindow::closeEvent(event);
}

void ReplayWindow::showReplayStatus(const ReplayStatus &status)
{
    m_replay = status;
    m_progress->setFormat(QStringLiteral("%v / %m"));
    m_progress->setRange(0, std::max(1, status.total));
    m_progress->setValue(status.sent);
    QString note;
    switch (status.state) {
    case ReplayStatus::State::Idle: break;
    case ReplayStatus::State::Loading: note = tr("Loading…"); break;
    case ReplayStatus::State::Running:
    case ReplayStatus::State::Paused:
        note = tr("%1 %2 of %3 to client %4")
                   .arg(status.state == ReplayStatus::State::Paused ? tr("Paused:") : tr("Replaying:"))
                   .arg(status.sent)
                   .arg(status.total)
                   .arg(status.clientId);
        if (status.loop)
            note += tr(" (pass %1)").arg(status.passes + 1);
        break;
    case ReplayStatus::State::Finished:
        note = tr("Sent %1 messages to client %2.").arg(status.total).arg(status.clientId);
        break;
    case ReplayStatus::State::Stopped:
        note = tr("Stopped after %1 of %2 (%3 passes).").arg(status.sent).arg(status.total).arg(status.passes);
        break;
    case ReplayStatus::State::Failed: note = tr("Replay failed: %1").arg(status.error); break;
    }
    m_replayNote->setText(note);
    updateReplayControls();
}

void ReplayWindow::updateReplayControls()
{
    const bool running = m_replay.state == ReplayStatus::State::Running || m_replay.state == ReplayStatus::State::Paused;
    m_speed->setEnabled(m_timing->currentIndex() == 0);
    m_pause->setEnabled(running);
    m_pause->setText(m_replay.state == ReplayStatus::State::Paused ? tr("Res&ume") : tr("P&ause"));
    m_stop->setEnabled(running);
    // Which messages Play takes is worked out on the click: the filtered log can be 100,000 rows.
    m_play->setEnabled(m_logPanel->proxy()->rowCount() > 0 && resendClient() != 0);
}
