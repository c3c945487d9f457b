#include "ReplayWindow.h"

#include "ClientFilterProxyModel.h"
#include "DetailPane.h"
#include "ExportDialog.h"
#include "LogPanel.h"
#include "model/ClientTableModel.h"
#include "model/MessageLogModel.h"

#include <QAction>
#include <QComboBox>
#include <QDir>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QMenu>
#include <QMenuBar>
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
      m_send(new QPushButton(tr("&Send to Client"), this)), m_sendNote(new QLabel(this)), m_payloadCap(payloadCap)
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
    auto *side = new QWidget(this);
    auto *sideLayout = new QVBoxLayout(side);
    sideLayout->setContentsMargins(0, 0, 0, 0);
    sideLayout->addWidget(m_detail, 1);
    sideLayout->addLayout(sendRow);
    sideLayout->addWidget(m_sendNote);

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
    connect(m_reader, &RecordingReader::progress, this, [this](qint64 read, qint64 total) {
        statusBar()->showMessage(tr("Loading… %1%").arg(total > 0 ? read * 100 / total : 0));
    });
    connect(m_reader, &RecordingReader::finished, this, &ReplayWindow::onLoaded);
    updateSendButton();
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
