#include "InterceptPanel.h"

#include "model/ClientTableModel.h"
#include "model/HeldMessageModel.h"

#include <QCheckBox>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QPushButton>
#include <QTableView>
#include <QVBoxLayout>
#include <algorithm>
#include <climits>

InterceptPanel::InterceptPanel(QWidget *parent)
    : QDockWidget(tr("Intercept"), parent), m_model(new HeldMessageModel(this)), m_title(new QLabel),
      m_routeLabel(new QLabel), m_table(new QTableView), m_status(new QLabel)
{
    setObjectName(QStringLiteral("interceptPanel"));
    m_title->setObjectName(QStringLiteral("interceptTitle"));
    m_title->setWordWrap(true);
    m_title->setTextFormat(Qt::PlainText);
    m_title->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_routeLabel->setTextFormat(Qt::PlainText);
    m_status->setObjectName(QStringLiteral("heldStatus"));
    m_status->setTextFormat(Qt::PlainText);
    m_status->setWordWrap(true);
    m_holdToUpstream = makeHoldBox(tr("client → upstream"), QStringLiteral("holdToUpstream"), ProxyHoldQueue::ToUpstream, false);
    m_holdToClient = makeHoldBox(tr("upstream → client"), QStringLiteral("holdToClient"), ProxyHoldQueue::ToClient, false);
    m_routeToUpstream = makeHoldBox(tr("client → upstream"), QStringLiteral("routeHoldToUpstream"),
                                    ProxyHoldQueue::ToUpstream, true);
    m_routeToClient = makeHoldBox(tr("upstream → client"), QStringLiteral("routeHoldToClient"), ProxyHoldQueue::ToClient, true);

    m_table->setObjectName(QStringLiteral("heldMessages"));
    m_table->setModel(m_model);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::ExtendedSelection);
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->setWordWrap(false);
    m_table->verticalHeader()->hide();
    m_table->verticalHeader()->setDefaultSectionSize(m_table->fontMetrics().height() + 6);
    m_table->horizontalHeader()->setStretchLastSection(true);
    m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_table->horizontalHeader()->setSectionResizeMode(HeldMessageModel::Preview, QHeaderView::Stretch);

    const auto button = [this](const QString &text, const QString &objectName, const QString &tip) {
        auto *b = new QPushButton(text);
        b->setObjectName(objectName);
        b->setToolTip(tip);
        return b;
    };
    m_forward = button(tr("&Forward"), QStringLiteral("heldForward"), tr("Send the selected messages on as they are"));
    m_edit = button(tr("&Edit…"), QStringLiteral("heldEdit"),
                    tr("Edit the selected message in the compose panel; Send there forwards the edit"));
    m_drop = button(tr("&Drop"), QStringLiteral("heldDrop"), tr("Drop the selected messages: nobody receives them"));
    m_forwardAll = button(tr("Forward &All"), QStringLiteral("heldForwardAll"),
                          tr("Send every held message on, in order, and keep holding"));
    m_release = button(tr("&Release"), QStringLiteral("heldRelease"),
                       tr("Stop holding this client (both ways) and forward what it holds, in order"));

    auto *holds = new QGridLayout;
    holds->setContentsMargins(0, 0, 0, 0);
    holds->addWidget(new QLabel(tr("Hold this client:")), 0, 0);
    holds->addWidget(m_holdToUpstream, 0, 1);
    holds->addWidget(m_holdToClient, 0, 2);
    holds->addWidget(m_routeLabel, 1, 0);
    holds->addWidget(m_routeToUpstream, 1, 1);
    holds->addWidget(m_routeToClient, 1, 2);
    holds->setColumnStretch(3, 1);

    auto *buttons = new QHBoxLayout;
    buttons->setContentsMargins(0, 0, 0, 0);
    buttons->addWidget(m_forward);
    buttons->addWidget(m_edit);
    buttons->addWidget(m_drop);
    buttons->addStretch(1);
    buttons->addWidget(m_forwardAll);
    buttons->addWidget(m_release);

    auto *content = new QWidget;
    auto *layout = new QVBoxLayout(content);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addWidget(m_title);
    layout->addLayout(holds);
    layout->addWidget(m_table, 1);
    layout->addWidget(m_status);
    layout->addLayout(buttons);
    setWidget(content);

    connect(m_forward, &QPushButton::clicked, this, [this] {
        for (const ProxyHoldQueue::Held &held : selectedMessages())
            Q_EMIT forwardRequested(m_clientId, held.id);
    });
    connect(m_drop, &QPushButton::clicked, this, [this] {
        for (const ProxyHoldQueue::Held &held : selectedMessages())
            Q_EMIT dropRequested(m_clientId, held.id);
    });
    connect(m_edit, &QPushButton::clicked, this, [this] {
        const QList<ProxyHoldQueue::Held> selected = selectedMessages();
        if (selected.size() == 1)
            Q_EMIT editRequested(m_clientId, selected.first());
    });
    connect(m_table, &QTableView::doubleClicked, m_edit, &QPushButton::click);
    connect(m_forwardAll, &QPushButton::clicked, this, [this] { Q_EMIT forwardAllRequested(m_clientId); });
    connect(m_release, &QPushButton::clicked, this, [this] { Q_EMIT releaseRequested(m_clientId); });
    connect(m_table->selectionModel(), &QItemSelectionModel::selectionChanged, this, &InterceptPanel::updateButtons);
    connect(m_model, &QAbstractItemModel::modelReset, this, &InterceptPanel::updateButtons);
    showNoClient(tr("Select a client of a proxy route to hold, edit and inject its messages."));
    hide();
}

QCheckBox *InterceptPanel::makeHoldBox(const QString &text, const QString &objectName, int direction, bool route)
{
    auto *box = new QCheckBox(text);
    box->setObjectName(objectName);
    box->setToolTip(route ? tr("Hold this way for every client of the route, those that connect later too")
                          : tr("Hold this client's messages this way; unticking forwards what was held, in order"));
    connect(box, &QCheckBox::clicked, this, [this, direction, route](bool on) {
        if (route)
            Q_EMIT routeHoldToggled(m_route, direction, on);
        else
            Q_EMIT holdToggled(m_clientId, direction, on);
    });
    return box;
}

void InterceptPanel::showClient(quint64 clientId, const QString &route, const QString &description)
{
    if (clientId != m_clientId) {
        m_model->clear();
        m_status->clear();
    }
    m_clientId = clientId;
    m_route = route;
    m_routeLabel->setText(tr("Hold route %1:").arg(route));
    m_title->setText(description);
    updateButtons();
}

void InterceptPanel::showNoClient(const QString &why)
{
    m_clientId = 0;
    m_route.clear();
    m_model->clear();
    m_title->setText(why);
    m_status->clear();
    m_routeLabel->setText(tr("Hold the route:"));
    updateButtons();
}

void InterceptPanel::setHeld(const HeldMessages &held)
{
    if (held.clientId != m_clientId || !held.proxied)
        return;
    QList<quint64> selected;
    for (const ProxyHoldQueue::Held &message : selectedMessages())
        selected.append(message.id);
    m_model->setHeld(held);
    for (quint64 id : std::as_const(selected)) {
        const int row = m_model->rowOf(id);
        if (row >= 0)
            m_table->selectionModel()->select(m_model->index(row, 0),
                                              QItemSelectionModel::Select | QItemSelectionModel::Rows);
    }
    const QSignalBlocker b1(m_holdToUpstream), b2(m_holdToClient), b3(m_routeToUpstream), b4(m_routeToClient);
    m_holdToUpstream->setChecked(held.holding & ProxyHoldQueue::ToUpstream);
    m_holdToClient->setChecked(held.holding & ProxyHoldQueue::ToClient);
    m_routeToUpstream->setChecked(held.routeHolding & ProxyHoldQueue::ToUpstream);
    m_routeToClient->setChecked(held.routeHolding & ProxyHoldQueue::ToClient);
    setWindowTitle(held.messages.isEmpty() ? tr("Intercept") : tr("Intercept (%1 held)").arg(held.messages.size()));
    showStatus(held);
    updateButtons();
}

void InterceptPanel::showStatus(const HeldMessages &held)
{
    // The bounds, and what went past them: a message that finds the hold full is forwarded, not lost.
    QString text = tr("%n held, %1 (at most %2 messages, %3)", nullptr, int(held.messages.size()))
                       .arg(ClientTableModel::formatBytes(held.bytes))
                       .arg(ProxyHoldQueue::kMaxMessages)
                       .arg(ClientTableModel::formatBytes(ProxyHoldQueue::kMaxBytes));
    if (held.overflowed > 0)
        text += tr(" · %n went on unheld: the hold was full", nullptr, int(std::min<qint64>(held.overflowed, INT_MAX)));
    m_status->setText(text);
    m_status->setToolTip(held.overflowed > 0 ? tr("Messages past the hold's bounds are forwarded at once and counted") : QString());
}

QList<ProxyHoldQueue::Held> InterceptPanel::selectedMessages() const
{
    QList<int> rows;
    for (const QModelIndex &index : m_table->selectionModel()->selectedRows())
        rows.append(index.row());
    std::sort(rows.begin(), rows.end());
    QList<ProxyHoldQueue::Held> messages;
    for (int row : std::as_const(rows))
        messages.append(m_model->message(row));
    return messages;
}

void InterceptPanel::updateButtons()
{
    const bool client = m_clientId != 0;
    const bool route = client && !m_route.isEmpty();
    const int selected = int(m_table->selectionModel()->selectedRows().size());
    for (QCheckBox *box : {m_holdToUpstream, m_holdToClient})
        box->setEnabled(client);
    for (QCheckBox *box : {m_routeToUpstream, m_routeToClient})
        box->setEnabled(route);
    if (!client) {
        for (QCheckBox *box : {m_holdToUpstream, m_holdToClient, m_routeToUpstream, m_routeToClient})
            box->setChecked(false);
        setWindowTitle(tr("Intercept"));
    }
    m_forward->setEnabled(client && selected > 0);
    m_drop->setEnabled(client && selected > 0);
    m_edit->setEnabled(client && selected == 1);
    m_forwardAll->setEnabled(client && m_model->rowCount() > 0);
    m_release->setEnabled(client);
}
