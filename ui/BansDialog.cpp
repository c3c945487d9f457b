#include "BansDialog.h"

#include "server/EngineHost.h"

#include <QDialogButtonBox>
#include <QHBoxLayout>
#include <QHostAddress>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QPushButton>
#include <QVBoxLayout>

BansDialog::BansDialog(EngineHost &host, QWidget *parent)
    : QDialog(parent), m_host(host), m_list(new QListWidget(this)), m_address(new QLineEdit(this)),
      m_banButton(new QPushButton(tr("&Ban"), this)), m_unbanButton(new QPushButton(tr("&Unban"), this))
{
    setObjectName(QStringLiteral("bansDialog"));
    setWindowTitle(tr("Banned Addresses"));
    m_list->setObjectName(QStringLiteral("bansList"));
    m_list->setSelectionMode(QAbstractItemView::ExtendedSelection);
    m_address->setObjectName(QStringLiteral("banAddress"));
    m_address->setPlaceholderText(tr("IP address to ban"));
    m_banButton->setObjectName(QStringLiteral("banButton"));
    m_unbanButton->setObjectName(QStringLiteral("unbanButton"));

    auto *hint = new QLabel(tr("A ban closes the address's clients with 1008 and refuses its new connections "
                               "with 403 until unbanned."), this);
    hint->setWordWrap(true);
    auto *add = new QHBoxLayout;
    add->addWidget(m_address, 1);
    add->addWidget(m_banButton);
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    buttons->addButton(m_unbanButton, QDialogButtonBox::ActionRole);
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(hint);
    layout->addWidget(m_list, 1);
    layout->addLayout(add);
    layout->addWidget(buttons);

    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(m_banButton, &QPushButton::clicked, this, &BansDialog::banTyped);
    connect(m_address, &QLineEdit::returnPressed, this, &BansDialog::banTyped);
    connect(m_address, &QLineEdit::textChanged, this, [this](const QString &text) {
        m_banButton->setEnabled(!QHostAddress(text.trimmed()).isNull());
    });
    connect(m_unbanButton, &QPushButton::clicked, this, &BansDialog::unbanSelected);
    connect(m_list, &QListWidget::itemSelectionChanged, this,
            [this] { m_unbanButton->setEnabled(!m_list->selectedItems().isEmpty()); });
    connect(&m_host, &EngineHost::bansChanged, this, &BansDialog::showBans);
    m_banButton->setEnabled(false);
    showBans(m_host.bans());
}

QStringList BansDialog::shownBans() const
{
    QStringList addresses;
    for (int row = 0; row < m_list->count(); ++row)
        addresses.append(m_list->item(row)->text());
    return addresses;
}

void BansDialog::showEvent(QShowEvent *event)
{
    QDialog::showEvent(event);
    m_host.refreshBans();
}

void BansDialog::showBans(const QStringList &addresses)
{
    m_list->clear();
    m_list->addItems(addresses);
    m_unbanButton->setEnabled(false);
}

void BansDialog::banTyped()
{
    const QString address = m_address->text().trimmed();
    if (QHostAddress(address).isNull())
        return;
    m_host.banAddress(address);
    m_address->clear();
}

void BansDialog::unbanSelected()
{
    for (const QListWidgetItem *item : m_list->selectedItems())
        m_host.unbanAddress(item->text());
}
