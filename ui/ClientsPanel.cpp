#include "ClientsPanel.h"

#include "ClientFilterProxyModel.h"
#include "model/ClientTableModel.h"
#include "LiveTableView.h"

#include <QAction>
#include <QApplication>
#include <QClipboard>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QMenu>
#include <QTableView>
#include <QTimer>
#include <QToolButton>
#include <QVBoxLayout>
#include <algorithm>

ClientsPanel::ClientsPanel(ClientTableModel &model, QWidget *parent)
    : QWidget(parent), m_model(model), m_proxy(new ClientFilterProxyModel(this)), m_view(new QTableView(this)),
      m_summary(new QLabel(this)), m_showClosedAction(new QAction(tr("Show &Closed Clients"), this)),
      m_clearClosedAction(new QAction(tr("C&lear Closed Clients"), this)),
      m_copyDetailsAction(new QAction(tr("Copy &Details"), this)), m_durationTimer(new QTimer(this))
{
    setObjectName(QStringLiteral("clientsPanel"));
    m_proxy->setSourceModel(&m_model);

    m_showClosedAction->setObjectName(QStringLiteral("actionShowClosed"));
    m_showClosedAction->setIconText(tr("Show closed"));
    m_showClosedAction->setCheckable(true);
    m_showClosedAction->setChecked(m_proxy->showClosed());
    m_showClosedAction->setToolTip(tr("Keep closed clients in the table, greyed, with their close code and reason"));
    m_clearClosedAction->setObjectName(QStringLiteral("actionClearClosed"));
    m_clearClosedAction->setIconText(tr("Clear closed"));
    m_clearClosedAction->setToolTip(tr("Remove closed clients from the table"));
    m_copyDetailsAction->setObjectName(QStringLiteral("actionCopyClientDetails"));
    m_copyDetailsAction->setShortcut(QKeySequence::Copy);
    m_copyDetailsAction->setShortcutContext(Qt::WidgetWithChildrenShortcut);
    m_copyDetailsAction->setEnabled(false);
    addAction(m_copyDetailsAction); // Ctrl+C while the table has focus

    m_view->setObjectName(QStringLiteral("clientsView"));
    m_view->setModel(m_proxy);
    m_view->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_view->setSelectionMode(QAbstractItemView::ExtendedSelection);
    m_view->setSortingEnabled(true);
    m_view->sortByColumn(ClientTableModel::Id, Qt::AscendingOrder);
    m_view->setContextMenuPolicy(Qt::CustomContextMenu);
    configureLiveTable(m_view);
    QHeaderView *header = m_view->horizontalHeader();
    header->setSortIndicatorShown(true);
    // Wide enough for the header (with its sort arrow) and a typical value; the operator can drag.
    const QList<QPair<int, QString>> samples = {
        {ClientTableModel::Id, QStringLiteral("0000")},
        {ClientTableModel::Peer, QStringLiteral("127.0.0.1:00000")},
        {ClientTableModel::Path, QStringLiteral("/chat/lobby")},
        {ClientTableModel::State, QStringLiteral("closed 1001 by server")},
        {ClientTableModel::Subprotocol, QStringLiteral("chat")},
        {ClientTableModel::Compression, QStringLiteral("deflate")},
        {ClientTableModel::Origin, QStringLiteral("http://localhost:0000")},
        {ClientTableModel::ConnectedFor, QStringLiteral("00 min 00 s")},
        {ClientTableModel::MessagesIn, QStringLiteral("000000")},
        {ClientTableModel::MessagesOut, QStringLiteral("000000")},
        {ClientTableModel::BytesIn, QStringLiteral("000.0 KiB")},
        {ClientTableModel::BytesOut, QStringLiteral("000.0 KiB")},
        {ClientTableModel::BytesToWrite, QStringLiteral("000 B")},
        {ClientTableModel::LastRtt, QStringLiteral("000 ms")},
    };
    for (const auto &sample : samples) {
        const QString title = m_model.headerData(sample.first, Qt::Horizontal).toString();
        header->resizeSection(sample.first, std::max(fontMetrics().horizontalAdvance(title) + 22,
                                                     fontMetrics().horizontalAdvance(sample.second) + 12));
    }
    // The state (with the close code, reason and who closed) matters more than the counters:
    // show it right after the path.
    header->moveSection(header->visualIndex(ClientTableModel::State), header->visualIndex(ClientTableModel::Path) + 1);

    auto *showClosedButton = new QToolButton(this);
    showClosedButton->setDefaultAction(m_showClosedAction);

    auto *clearClosedButton = new QToolButton(this);
    clearClosedButton->setDefaultAction(m_clearClosedAction);


    auto *title = new QLabel(tr("<b>Clients</b>"), this);
    m_summary->setObjectName(QStringLiteral("clientsSummary"));
    auto *top = new QHBoxLayout;
    top->setContentsMargins(0, 0, 0, 0);
    top->addWidget(title);
    top->addWidget(m_summary);
    top->addStretch(1);
    top->addWidget(showClosedButton);
    top->addWidget(clearClosedButton);

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(2);
    layout->addLayout(top);
    layout->addWidget(m_view);

    connect(m_showClosedAction, &QAction::toggled, m_proxy, &ClientFilterProxyModel::setShowClosed);
    connect(m_clearClosedAction, &QAction::triggered, &m_model, &ClientTableModel::clearClosed);
    connect(m_copyDetailsAction, &QAction::triggered, this, &ClientsPanel::copyDetails);
    connect(m_view, &QWidget::customContextMenuRequested, this, &ClientsPanel::showContextMenu);
    connect(m_view, &QAbstractItemView::doubleClicked, this, [this](const QModelIndex &index) {
        Q_EMIT clientActivated(index.data(ClientTableModel::ClientIdRole).toULongLong());
    });
    connect(m_view->selectionModel(), &QItemSelectionModel::selectionChanged, this,
            &ClientsPanel::emitSelectionIfChanged);
    // Rows can leave the selection without selectionChanged (cleared or hidden closed rows).
    connect(m_proxy, &QAbstractItemModel::rowsRemoved, this, &ClientsPanel::emitSelectionIfChanged);
    connect(m_proxy, &QAbstractItemModel::modelReset, this, &ClientsPanel::emitSelectionIfChanged);
    for (auto signal : {&QAbstractItemModel::rowsInserted, &QAbstractItemModel::rowsRemoved}) {
        connect(&m_model, signal, this, &ClientsPanel::updateSummary);
    }
    connect(&m_model, &QAbstractItemModel::modelReset, this, &ClientsPanel::updateSummary);
    connect(&m_model, &QAbstractItemModel::dataChanged, this, &ClientsPanel::updateSummary);

    // "Connected for" moves with the clock.
    m_durationTimer->setInterval(1000);
    connect(m_durationTimer, &QTimer::timeout, &m_model, &ClientTableModel::refreshDurations);
    m_durationTimer->start();
    updateSummary();
}

QList<quint64> ClientsPanel::selectedClientIds(bool openOnly) const
{
    QList<quint64> ids;
    const QModelIndexList rows = m_view->selectionModel()->selectedRows();
    for (const QModelIndex &row : rows) {
        if (openOnly && row.data(ClientTableModel::IsClosedRole).toBool())
            continue;
        ids.append(row.data(ClientTableModel::ClientIdRole).toULongLong());
    }
    return ids;
}

void ClientsPanel::selectClients(const QList<quint64> &ids)
{
    QItemSelection selection;
    for (quint64 id : ids) {
        const int sourceRow = m_model.rowOf(id);
        if (sourceRow < 0)
            continue;
        const QModelIndex index = m_proxy->mapFromSource(m_model.index(sourceRow, 0));
        if (index.isValid())
            selection.select(index, index);
    }
    m_view->selectionModel()->select(selection, QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
    if (!selection.isEmpty())
        m_view->scrollTo(selection.first().topLeft());
}

QByteArray ClientsPanel::saveHeaderState() const
{
    return m_view->horizontalHeader()->saveState();
}

void ClientsPanel::restoreHeaderState(const QByteArray &state)
{
    if (!state.isEmpty())
        m_view->horizontalHeader()->restoreState(state);
}

void ClientsPanel::showContextMenu(const QPoint &position)
{
    if (!m_view->indexAt(position).isValid() && m_view->selectionModel()->selectedRows().isEmpty())
        return;
    QMenu menu(this);
    menu.addActions(m_contextActions);
    menu.addSeparator();
    menu.addAction(m_copyDetailsAction);
    menu.exec(m_view->viewport()->mapToGlobal(position));
}

void ClientsPanel::copyDetails()
{
    QStringList blocks;
    const QModelIndexList rows = m_view->selectionModel()->selectedRows();
    for (const QModelIndex &row : rows) {
        const int sourceRow = m_model.rowOf(row.data(ClientTableModel::ClientIdRole).toULongLong());
        if (sourceRow >= 0)
            blocks.append(ClientTableModel::details(m_model.client(sourceRow)));
    }
    if (!blocks.isEmpty())
        QApplication::clipboard()->setText(blocks.join(QStringLiteral("\n\n")));
}

void ClientsPanel::emitSelectionIfChanged()
{
    const QList<quint64> ids = selectedClientIds();
    if (ids == m_lastSelection)
        return;
    m_lastSelection = ids;
    m_copyDetailsAction->setEnabled(!ids.isEmpty());
    Q_EMIT selectionChanged(ids);
}

void ClientsPanel::updateSummary()
{
    const int open = m_model.openCount();
    const int closed = m_model.rowCount() - open;
    m_summary->setText(closed > 0 ? tr("%1 open · %2 closed").arg(open).arg(closed) : tr("%1 open").arg(open));
    m_clearClosedAction->setEnabled(closed > 0);
}
