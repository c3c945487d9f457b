#include "LogPanel.h"

#include "LogFilterProxyModel.h"
#include "model/MessageLogModel.h"
#include "LiveTableView.h"
#include "PayloadClipboard.h"
#include "log/LogRecordJson.h"

#include <QAction>
#include <QApplication>
#include <QClipboard>
#include <QKeyEvent>
#include <QMouseEvent>
#include <QCheckBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QMenu>
#include <QScrollBar>
#include <QSettings>
#include <QStyle>
#include <QTableView>
#include <QTimer>
#include <QToolButton>
#include <QVBoxLayout>
#include <algorithm>

namespace {

constexpr int kTextFilterDelayMs = 200; // re-filtering 100k rows per keystroke would stutter
const char kMaskBitProperty[] = "maskBit";

QString number(qint64 value)
{
    return QLocale().toString(value);
}

} // namespace

LogPanel::LogPanel(MessageLogModel &model, QWidget *parent)
    : QWidget(parent), m_model(model), m_proxy(new LogFilterProxyModel(this)),
      m_view(new QTableView(this)), m_counts(new QLabel(this)), m_heldBack(new QLabel(this)),
      m_directionMenu(new QMenu(this)), m_kindMenu(new QMenu(this)), m_directionButton(nullptr),
      m_kindButton(nullptr), m_selectedOnly(new QCheckBox(tr("&Selected clients only"), this)),
      m_textEdit(new QLineEdit(this)), m_regex(new QCheckBox(tr("Re&gex"), this)), m_clientChip(new QToolButton(this)),
      m_clearFilters(new QToolButton(this)), m_textDebounce(new QTimer(this)),
      m_pauseAction(new QAction(tr("&Pause Log"), this)), m_autoScrollAction(new QAction(tr("&Auto-scroll"), this)),
      m_clearAction(new QAction(tr("C&lear Log"), this))
{
    setObjectName(QStringLiteral("logPanel"));
    m_proxy->setSourceModel(&m_model);

    // --- actions (also in the View menu) ---
    m_pauseAction->setObjectName(QStringLiteral("actionPauseLog"));
    m_pauseAction->setIconText(tr("Pause"));
    m_pauseAction->setCheckable(true);
    m_pauseAction->setShortcut(Qt::Key_Space);
    m_pauseAction->setIcon(style()->standardIcon(QStyle::SP_MediaPause));
    m_pauseAction->setToolTip(tr("Freeze the view; new records are held back (and still recorded) until you resume"));
    m_autoScrollAction->setObjectName(QStringLiteral("actionAutoScroll"));
    m_autoScrollAction->setCheckable(true);
    m_autoScrollAction->setChecked(true);
    m_autoScrollAction->setToolTip(tr("Keep the newest record in view"));
    m_clearAction->setObjectName(QStringLiteral("actionClearLog"));
    m_clearAction->setIconText(tr("Clear"));
    m_clearAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_L));
    m_clearAction->setIcon(style()->standardIcon(QStyle::SP_DialogResetButton));
    m_clearAction->setToolTip(tr("Empty the log (and anything held back)"));

    // --- the table ---
    m_view->setObjectName(QStringLiteral("logView"));
    m_view->setModel(m_proxy);
    m_view->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_view->setSelectionMode(QAbstractItemView::ExtendedSelection);
    m_view->setTextElideMode(Qt::ElideRight);
    configureLiveTable(m_view);
    QHeaderView *header = m_view->horizontalHeader();
    const int digit = fontMetrics().horizontalAdvance(QLatin1Char('0'));
    header->resizeSection(MessageLogModel::Time, 12 * digit + 16);
    header->resizeSection(MessageLogModel::Direction, 13 * digit + 12); // "from_upstream"
    header->resizeSection(MessageLogModel::Client, 6 * digit + 12);
    header->resizeSection(MessageLogModel::Route, 14 * digit + 12);
    header->resizeSection(MessageLogModel::Kind, 7 * digit + 12);
    header->resizeSection(MessageLogModel::Size, 7 * digit + 12);

    // --- filters ---
    for (auto direction : {LogRecord::Direction::In, LogRecord::Direction::Out, LogRecord::Direction::Broadcast,
                           LogRecord::Direction::System, LogRecord::Direction::ToUpstream,
                           LogRecord::Direction::FromUpstream}) {
        QAction *action = m_directionMenu->addAction(LogRecord::directionName(direction));
        action->setCheckable(true);
        action->setProperty(kMaskBitProperty, 1u << static_cast<quint32>(direction));
    }
    for (int kind = 0; kind <= static_cast<int>(LogRecord::Kind::Script); ++kind) {
        QAction *action = m_kindMenu->addAction(LogRecord::kindName(static_cast<LogRecord::Kind>(kind)));
        action->setCheckable(true);
        action->setProperty(kMaskBitProperty, 1u << static_cast<quint32>(kind));
    }
    QAction *heartbeats = m_kindMenu->addAction(tr("heartbeats"));
    heartbeats->setObjectName(QStringLiteral("logKindHeartbeats"));
    heartbeats->setToolTip(tr("The server's keepalive pings and their pongs (hidden unless ticked)"));
    heartbeats->setCheckable(true);
    heartbeats->setProperty(kMaskBitProperty, LogFilterProxyModel::kHeartbeats);
    for (QMenu *menu : {m_directionMenu, m_kindMenu}) {
        menu->installEventFilter(this);
        menu->addSeparator();
        QMenu *only = menu->addMenu(tr("&Only this"));
        only->setObjectName(menu == m_directionMenu ? QStringLiteral("logDirectionOnly") : QStringLiteral("logKindOnly"));
        const auto entries = menu->actions();
        for (QAction *entry : entries) {
            if (!entry->isCheckable())
                continue;
            const quint32 bit = entry->property(kMaskBitProperty).toUInt();
            QAction *onlyThis = only->addAction(entry->text());
            connect(onlyThis, &QAction::triggered, this, [this, menu, bit] {
                if (menu == m_directionMenu)
                    setDirectionFilter(bit);
                else
                    setKindFilter(bit);
            });
        }
        QAction *all = menu->addAction(tr("Show all"));
        connect(all, &QAction::triggered, this, [this, menu] {
            if (menu == m_directionMenu)
                setDirectionFilter(LogFilterProxyModel::kAllDirections);
            else
                setKindFilter(LogFilterProxyModel::kAllKinds | LogFilterProxyModel::kHeartbeats);
        });
        const auto actions = menu->actions();
        for (QAction *action : actions) {
            if (!action->isCheckable())
                continue;
            connect(action, &QAction::triggered, this, [this, menu] {
                if (menu == m_directionMenu)
                    m_proxy->setDirections(maskFromMenu(menu));
                else
                    applyKindMask(maskFromMenu(menu));
                updateFilterButtons();
                updateCounts();
            });
        }
    }
    m_directionButton = makeFilterButton(QStringLiteral("logDirectionFilter"), m_directionMenu);
    m_kindButton = makeFilterButton(QStringLiteral("logKindFilter"), m_kindMenu);
    applyMaskToMenu(m_directionMenu, LogFilterProxyModel::kAllDirections);
    applyMaskToMenu(m_kindMenu, LogFilterProxyModel::kAllKinds);

    m_selectedOnly->setObjectName(QStringLiteral("logSelectedOnly"));
    m_selectedOnly->setToolTip(tr("Only records of the clients selected in the clients table, and the broadcasts "
                                  "(to everyone, their route or their room) that reached them"));
    m_textEdit->setObjectName(QStringLiteral("logFilterText"));
    m_textEdit->setPlaceholderText(tr("Filter: text in payload, route or detail"));
    m_textEdit->setClearButtonEnabled(true);
    m_regex->setObjectName(QStringLiteral("logFilterRegex"));
    m_regex->setToolTip(tr("Treat the filter as a regular expression (case-insensitive)"));
    m_clientChip->setObjectName(QStringLiteral("logClientFilter"));
    m_clientChip->setToolTip(tr("Showing one client's records only; click to show every client"));
    m_clientChip->hide();
    m_clearFilters->setObjectName(QStringLiteral("logClearFilters"));
    m_clearFilters->setText(tr("Clear filters"));
    m_clearFilters->setToolTip(tr("Show every record: all directions and types, every client, no text filter"));
    m_clearFilters->hide();
    m_view->setContextMenuPolicy(Qt::CustomContextMenu);
    m_textDebounce->setSingleShot(true);
    m_textDebounce->setInterval(kTextFilterDelayMs);

    // --- layout: title, counts and flow controls; then the filters; then the table ---
    auto *pauseButton = new QToolButton(this);
    pauseButton->setDefaultAction(m_pauseAction);
    pauseButton->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    auto *autoScrollButton = new QToolButton(this);
    autoScrollButton->setDefaultAction(m_autoScrollAction);
    auto *clearButton = new QToolButton(this);
    clearButton->setDefaultAction(m_clearAction);
    clearButton->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    m_counts->setObjectName(QStringLiteral("logCounts"));
    m_heldBack->setObjectName(QStringLiteral("logHeldBack"));
    m_heldBack->setStyleSheet(QStringLiteral("color: #c07810; font-weight: bold;"));
    m_heldBack->hide();
    m_liveControls = {pauseButton, autoScrollButton, clearButton};

    auto *top = new QHBoxLayout;
    top->setContentsMargins(0, 0, 0, 0);
    top->addWidget(new QLabel(tr("<b>Message log</b>"), this));
    top->addWidget(m_counts);
    top->addStretch(1);
    top->addWidget(m_heldBack);
    top->addWidget(pauseButton);
    top->addWidget(autoScrollButton);
    top->addWidget(clearButton);

    auto *filters = new QHBoxLayout;
    filters->setContentsMargins(0, 0, 0, 0);
    filters->addWidget(m_directionButton);
    filters->addWidget(m_kindButton);
    filters->addWidget(m_clientChip);
    filters->addWidget(m_selectedOnly);
    filters->addWidget(m_textEdit, 1);
    filters->addWidget(m_regex);
    filters->addWidget(m_clearFilters);

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(3);
    layout->addLayout(top);
    layout->addLayout(filters);
    layout->addWidget(m_view);

    // --- wiring ---
    connect(m_pauseAction, &QAction::toggled, &m_model, &MessageLogModel::setPaused);
    connect(&m_model, &MessageLogModel::pausedChanged, m_pauseAction, &QAction::setChecked);
    connect(&m_model, &MessageLogModel::pausedChanged, this, &LogPanel::updateHeldBack);
    connect(&m_model, &MessageLogModel::heldBackCountChanged, this, &LogPanel::updateHeldBack);
    connect(m_clearAction, &QAction::triggered, this, [this] {
        m_model.clear();
        Q_EMIT cleared();
    });
    connect(m_selectedOnly, &QCheckBox::toggled, this, [this](bool only) {
        m_proxy->setSelectedClientsOnly(only);
        updateCounts();
    });
    connect(m_textEdit, &QLineEdit::textChanged, m_textDebounce, qOverload<>(&QTimer::start));
    connect(m_textEdit, &QLineEdit::textEdited, this, [this] { m_textRestored = false; });
    connect(m_textEdit, &QLineEdit::returnPressed, this, &LogPanel::applyTextFilter);
    connect(m_textDebounce, &QTimer::timeout, this, &LogPanel::applyTextFilter);
    connect(m_regex, &QCheckBox::toggled, this, &LogPanel::applyTextFilter);
    connect(m_proxy, &QAbstractItemModel::rowsInserted, this, [this] {
        if (m_autoScrollAction->isChecked())
            m_view->scrollToBottom();
    });
    connect(m_autoScrollAction, &QAction::toggled, this, [this](bool on) {
        if (on)
            m_view->scrollToBottom();
    });
    for (auto signal : {&QAbstractItemModel::rowsInserted, &QAbstractItemModel::rowsRemoved}) {
        connect(m_proxy, signal, this, &LogPanel::updateCounts);
    }
    connect(m_proxy, &QAbstractItemModel::modelReset, this, &LogPanel::updateCounts);
    // Records the filters hide change "of M" without touching the proxy.
    for (auto signal : {&QAbstractItemModel::rowsInserted, &QAbstractItemModel::rowsRemoved}) {
        connect(&m_model, signal, this, &LogPanel::updateCounts);
    }
    connect(&m_model, &QAbstractItemModel::modelReset, this, &LogPanel::updateCounts);
    connect(m_clientChip, &QToolButton::clicked, this, [this] { setClientFilter(0); });
    connect(m_clearFilters, &QToolButton::clicked, this, &LogPanel::clearFilters);
    connect(m_view, &QWidget::customContextMenuRequested, this, [this](const QPoint &pos) {
        const QModelIndex index = m_view->indexAt(pos);
        if (!index.isValid())
            return;
        QMenu *menu = recordMenu(index, this);
        menu->setAttribute(Qt::WA_DeleteOnClose);
        menu->popup(m_view->viewport()->mapToGlobal(pos));
    });
    connect(m_proxy, &QAbstractItemModel::layoutChanged, this, &LogPanel::updateCounts);
    connect(m_view->selectionModel(), &QItemSelectionModel::currentRowChanged, this, &LogPanel::onCurrentChanged);
    updateFilterButtons();
    updateCounts();
}

QToolButton *LogPanel::makeFilterButton(const QString &objectName, QMenu *menu)
{
    auto *button = new QToolButton(this);
    button->setObjectName(objectName);
    button->setMenu(menu);
    button->setPopupMode(QToolButton::InstantPopup);
    return button;
}

void LogPanel::applyMaskToMenu(QMenu *menu, quint32 mask)
{
    const auto actions = menu->actions();
    for (QAction *action : actions) {
        if (action->isCheckable())
            action->setChecked(mask & action->property(kMaskBitProperty).toUInt());
    }
}

quint32 LogPanel::maskFromMenu(QMenu *menu) const
{
    quint32 mask = 0;
    const auto actions = menu->actions();
    for (QAction *action : actions) {
        if (action->isCheckable() && action->isChecked())
            mask |= action->property(kMaskBitProperty).toUInt();
    }
    return mask;
}

void LogPanel::setDirectionFilter(quint32 mask)
{
    m_proxy->setDirections(mask);
    applyMaskToMenu(m_directionMenu, m_proxy->directions());
    updateFilterButtons();
    updateCounts();
}

void LogPanel::applyKindMask(quint32 mask)
{
    m_proxy->setKinds(mask & LogFilterProxyModel::kAllKinds);
    m_proxy->setShowHeartbeats(mask & LogFilterProxyModel::kHeartbeats);
}

quint32 LogPanel::kindMask() const
{
    return m_proxy->kinds() | (m_proxy->showHeartbeats() ? LogFilterProxyModel::kHeartbeats : 0u);
}

void LogPanel::setKindFilter(quint32 mask)
{
    applyKindMask(mask);
    applyMaskToMenu(m_kindMenu, kindMask());
    updateFilterButtons();
    updateCounts();
}

void LogPanel::updateFilterButtons()
{
    const auto describe = [](QMenu *menu, quint32 mask, quint32 all, const QString &label) {
        QStringList names;
        const auto actions = menu->actions();
        for (QAction *action : actions) {
            if (action->isCheckable() && action->isChecked())
                names.append(action->text());
        }
        if (mask == all)
            return tr("%1: all").arg(label);
        if (names.isEmpty())
            return tr("%1: none").arg(label);
        return tr("%1: %2").arg(label, names.size() > 3 ? tr("%1 of %2").arg(names.size()).arg(actions.size() - 2)
                                                        : names.join(QStringLiteral(", ")));
    };
    m_directionButton->setText(
        describe(m_directionMenu, m_proxy->directions(), LogFilterProxyModel::kAllDirections, tr("Direction")));
    if (kindMask() == (LogFilterProxyModel::kAllKinds | LogFilterProxyModel::kHeartbeats))
        m_kindButton->setText(tr("Type: all, heartbeats too"));
    else
        m_kindButton->setText(describe(m_kindMenu, m_proxy->kinds(), LogFilterProxyModel::kAllKinds, tr("Type")));
}

bool LogPanel::eventFilter(QObject *watched, QEvent *event)
{
    auto *menu = qobject_cast<QMenu *>(watched);
    if (menu && (menu == m_directionMenu || menu == m_kindMenu)) {
        const bool release = event->type() == QEvent::MouseButtonRelease;
        const bool key = event->type() == QEvent::KeyPress
                         && (static_cast<QKeyEvent *>(event)->key() == Qt::Key_Return
                             || static_cast<QKeyEvent *>(event)->key() == Qt::Key_Enter
                             || static_cast<QKeyEvent *>(event)->key() == Qt::Key_Space);
        QAction *action = release ? menu->actionAt(static_cast<QMouseEvent *>(event)->position().toPoint())
                                  : (key ? menu->activeAction() : nullptr);
        if (action && action->isCheckable() && action->isEnabled()) {
            action->trigger(); // toggles and filters, without closing the menu
            return true;
        }
    }
    return QWidget::eventFilter(watched, event);
}

void LogPanel::setClientFilter(quint64 clientId)
{
    m_proxy->setClientFilter(clientId);
    m_clientChip->setText(tr("Client %1 \u2715").arg(clientId));
    m_clientChip->setVisible(clientId != 0);
    updateCounts();
}

void LogPanel::clearFilters()
{
    setDirectionFilter(LogFilterProxyModel::kAllDirections);
    setKindFilter(LogFilterProxyModel::kAllKinds);
    m_selectedOnly->setChecked(false);
    setClientFilter(0);
    m_textEdit->clear();
    applyTextFilter();
}

QMenu *LogPanel::recordMenu(const QModelIndex &proxyIndex, QWidget *parent)
{
    auto *menu = new QMenu(parent);
    menu->setObjectName(QStringLiteral("logRecordMenu"));
    const QModelIndex source = m_proxy->mapToSource(proxyIndex);
    if (!source.isValid())
        return menu;
    const LogRecord record = m_model.record(source.row()); // payload shared, not copied
    const quint64 client = record.direction == LogRecord::Direction::Broadcast ? 0 : record.clientId;
    const bool message = record.kind == LogRecord::Kind::Text || record.kind == LogRecord::Kind::Binary;
    const auto add = [menu](const QString &text, const char *name, bool enabled) {
        QAction *action = menu->addAction(text);
        action->setObjectName(QLatin1String(name));
        action->setEnabled(enabled);
        return action;
    };
    connect(add(client ? tr("&Reply to client %1").arg(client) : tr("&Reply to this client"), "logReply", client != 0),
            &QAction::triggered, this, [this, client] { Q_EMIT replyToClient(client); });
    // A capped payload is not the message that was sent: no resend.
    connect(add(tr("Re&send…"), "logResend", message && record.size == record.payload.size()), &QAction::triggered, this,
            [this, record] { Q_EMIT resendRequested(record.payload, record.kind == LogRecord::Kind::Binary); });
    menu->addSeparator();
    connect(add(tr("Copy &raw"), "logCopyRaw", message), &QAction::triggered, this,
            [record] { copyPayloadToClipboard(record); });
    connect(add(tr("Copy as &JSON line"), "logCopyJsonLine", true), &QAction::triggered, this, [record] {
        QApplication::clipboard()->setText(QString::fromUtf8(LogRecordJson::toLine(record).trimmed()));
    });
    menu->addSeparator();
    connect(add(tr("&Filter to this client"), "logFilterClient", client != 0), &QAction::triggered, this,
            [this, client] { setClientFilter(client); });
    connect(add(tr("Show this client in the &table"), "logShowClient", client != 0), &QAction::triggered, this,
            [this, client] { Q_EMIT showClientRequested(client); });
    return menu;
}

void LogPanel::setSelectedClients(const QList<ClientInfo> &clients)
{
    m_proxy->setSelectedClients(clients);
    updateCounts();
}

void LogPanel::setLiveControlsAvailable(bool available)
{
    for (QWidget *control : std::as_const(m_liveControls))
        control->setVisible(available);
    for (QAction *action : {m_pauseAction, m_autoScrollAction, m_clearAction})
        action->setEnabled(available);
}

void LogPanel::setSelectedClientsFilterAvailable(bool available)
{
    if (!available)
        m_selectedOnly->setChecked(false);
    m_selectedOnly->setVisible(available);
}

LogRecordBatch LogPanel::allRecords() const
{
    return m_model.records();
}

int LogPanel::totalCount() const
{
    return m_model.rowCount();
}

LogRecordBatch LogPanel::filteredRecords() const
{
    if (!m_proxy->hidesAnything())
        return m_model.records();
    QList<int> rows;
    const int count = m_proxy->rowCount();
    rows.reserve(count);
    for (int row = 0; row < count; ++row)
        rows.append(m_proxy->mapToSource(m_proxy->index(row, 0)).row());
    return m_model.records(rows);
}

LogRecordBatch LogPanel::selectedRecords() const
{
    QList<int> rows;
    const QModelIndexList selected = m_view->selectionModel()->selectedRows();
    rows.reserve(selected.size());
    for (const QModelIndex &index : selected)
        rows.append(m_proxy->mapToSource(index).row());
    std::sort(rows.begin(), rows.end()); // selection order is click order; the log's is time
    return m_model.records(rows);
}

int LogPanel::filteredCount() const
{
    return m_proxy->rowCount();
}

int LogPanel::selectedCount() const
{
    return m_view->selectionModel()->selectedRows().size();
}

void LogPanel::applyTextFilter()
{
    m_textDebounce->stop();
    m_proxy->setTextFilter(m_textEdit->text(), m_regex->isChecked());
    const QString error = m_proxy->textFilterError();
    const bool active = !m_textEdit->text().isEmpty();
    if (!active)
        m_textRestored = false;
    // An active text filter is marked, so one restored from last time is not mistaken for an empty log.
    m_textEdit->setStyleSheet(!error.isEmpty() ? QStringLiteral("QLineEdit { border: 1px solid #d03a2f; }")
                              : active         ? QStringLiteral("QLineEdit { border: 2px solid #c07810; }")
                                               : QString());
    m_textEdit->setToolTip(!error.isEmpty() ? tr("Not a valid regular expression: %1").arg(error)
                           : m_textRestored ? tr("Text filter restored from last time: only matching records are shown")
                           : active         ? tr("Only records matching this text are shown")
                                            : QString());
    updateCounts();
}

void LogPanel::updateCounts()
{
    const int total = m_model.rowCount();
    const int shown = m_proxy->rowCount();
    // Hidden heartbeats count as hidden rows, so "N records" is only said when all are shown.
    QString text = m_proxy->isFiltering() || shown != total ? tr("showing %1 of %2").arg(number(shown), number(total))
                                          : (total == 1 ? tr("1 record") : tr("%1 records").arg(number(total)));
    if (m_proxy->selectedClientsOnly() && shown == 0 && total > 0)
        text += tr(" (select clients in the table)");
    m_counts->setText(text);
    m_clearFilters->setVisible(m_proxy->isFiltering());
}

void LogPanel::updateHeldBack()
{
    m_heldBack->setVisible(m_model.isPaused());
    m_heldBack->setText(tr("%1 held back").arg(number(m_model.heldBackCount())));
}

void LogPanel::onCurrentChanged()
{
    const QModelIndex current = m_view->selectionModel()->currentIndex();
    // A row that scrolled out of memory keeps its record in the detail pane.
    if (!current.isValid())
        return;
    const QModelIndex source = m_proxy->mapToSource(current);
    if (source.isValid())
        Q_EMIT recordSelected(m_model.record(source.row()));
}

void LogPanel::saveSettings(QSettings &settings) const
{
    settings.setValue(QStringLiteral("log/directions"), m_proxy->directions());
    settings.setValue(QStringLiteral("log/kinds"), kindMask());
    settings.setValue(QStringLiteral("log/selectedClientsOnly"), m_selectedOnly->isChecked());
    settings.setValue(QStringLiteral("log/text"), m_textEdit->text());
    settings.setValue(QStringLiteral("log/regex"), m_regex->isChecked());
    settings.setValue(QStringLiteral("log/autoScroll"), m_autoScrollAction->isChecked());
    settings.setValue(QStringLiteral("log/header"), m_view->horizontalHeader()->saveState());
}

void LogPanel::restoreSettings(const QSettings &settings)
{
    setDirectionFilter(settings.value(QStringLiteral("log/directions"), LogFilterProxyModel::kAllDirections).toUInt());
    setKindFilter(settings.value(QStringLiteral("log/kinds"), LogFilterProxyModel::kAllKinds).toUInt());
    m_selectedOnly->setChecked(settings.value(QStringLiteral("log/selectedClientsOnly"), false).toBool());
    m_regex->setChecked(settings.value(QStringLiteral("log/regex"), false).toBool());
    m_textEdit->setText(settings.value(QStringLiteral("log/text")).toString());
    m_textRestored = !m_textEdit->text().isEmpty();
    applyTextFilter();
    m_autoScrollAction->setChecked(settings.value(QStringLiteral("log/autoScroll"), true).toBool());
    const QByteArray header = settings.value(QStringLiteral("log/header")).toByteArray();
    if (!header.isEmpty())
        m_view->horizontalHeader()->restoreState(header);
}
