#include "ComposePanel.h"

#include "PayloadEditor.h"
#include "UiLogging.h"
#include "model/ClientTableModel.h"
#include "model/PayloadFormatter.h"

#include <QCheckBox>
#include <algorithm>
#include <QComboBox>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QFontDatabase>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QKeyEvent>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QPlainTextEdit>
#include <QCoreApplication>
#include <QLocale>
#include <QPointer>
#include <QPushButton>
#include <QSettings>
#include <QThreadPool>
#include <QToolButton>
#include <QVBoxLayout>

namespace {

constexpr int kMaxRememberedChars = 64 * 1024; // larger messages are sent but not kept in the settings
constexpr int kHeldPreviewChars = 2000;         // what the editor shows of text too large to edit

QString formatTag(ComposePanel::Format format)
{
    switch (format) {
    case ComposePanel::Format::Text: return QStringLiteral("text");
    case ComposePanel::Format::Json: return QStringLiteral("json");
    case ComposePanel::Format::Hex: return QStringLiteral("hex");
    case ComposePanel::Format::Base64: return QStringLiteral("base64");
    case ComposePanel::Format::File: return QStringLiteral("file");
    }
    return {};
}

} // namespace

ComposePanel::ComposePanel(QWidget *parent)
    : QWidget(parent), m_editor(new PayloadEditor(this)), m_keep(new QCheckBox(tr("&Keep after send"), this)),
      m_heldLabel(new QLabel(this)), m_dropHeld(new QPushButton(tr("&Discard"), this)), m_format(new QComboBox(this)),
      m_chooseFile(new QPushButton(tr("Choose &file…"), this)), m_fileLabel(new QLabel(this)),
      m_target(new QComboBox(this)), m_targetName(new QComboBox(this)), m_status(new QLabel(this)),
      m_send(new QPushButton(tr("&Send"), this)), m_recentButton(new QToolButton(this))
{
    setObjectName(QStringLiteral("composePanel"));
    m_editor->setObjectName(QStringLiteral("composeEditor"));
    m_editor->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_editor->setPlaceholderText(tr("Type a message. Ctrl+Enter sends; Ctrl+Up recalls earlier ones."));
    m_editor->setTabChangesFocus(true);
    m_editor->installEventFilter(this);
    m_keep->setObjectName(QStringLiteral("composeKeep"));
    m_keep->setToolTip(tr("Leave the message in the editor after Send (otherwise it is cleared; Ctrl+Up recalls it)"));
    m_heldLabel->setObjectName(QStringLiteral("composeHeld"));
    m_heldLabel->setTextFormat(Qt::PlainText);
    m_heldLabel->setWordWrap(true);
    m_heldLabel->setStyleSheet(QStringLiteral("color: #c07810;"));
    m_heldLabel->hide();
    m_dropHeld->setObjectName(QStringLiteral("composeDiscardHeld"));
    m_dropHeld->setToolTip(tr("Discard the large text and edit again"));
    m_dropHeld->hide();

    m_format->setObjectName(QStringLiteral("composeFormat"));
    m_format->addItem(tr("Text"), static_cast<int>(Format::Text));
    m_format->addItem(tr("Text, JSON (validated)"), static_cast<int>(Format::Json));
    m_format->addItem(tr("Binary from hex"), static_cast<int>(Format::Hex));
    m_format->addItem(tr("Binary from base64"), static_cast<int>(Format::Base64));
    m_format->addItem(tr("Binary from a file"), static_cast<int>(Format::File));
    m_chooseFile->setObjectName(QStringLiteral("composeChooseFile"));
    m_fileLabel->setObjectName(QStringLiteral("composeFile"));
    m_fileLabel->setTextFormat(Qt::PlainText);

    m_target->setObjectName(QStringLiteral("composeTarget"));
    m_target->setSizeAdjustPolicy(QComboBox::AdjustToContents); // the proxy targets are long
    m_target->addItem(tr("Selected clients"), static_cast<int>(Target::SelectedClients));
    m_target->addItem(tr("Room"), static_cast<int>(Target::Room));
    m_target->addItem(tr("Route"), static_cast<int>(Target::Route));
    m_target->addItem(tr("Everyone"), static_cast<int>(Target::Everyone));
    m_targetName->setObjectName(QStringLiteral("composeTargetName"));
    m_targetName->setEditable(true);
    m_targetName->setInsertPolicy(QComboBox::NoInsert);
    m_targetName->setMinimumContentsLength(12);
    m_targetName->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);

    m_status->setObjectName(QStringLiteral("composeStatus"));
    m_status->setTextFormat(Qt::PlainText);
    m_status->setWordWrap(true);
    m_send->setObjectName(QStringLiteral("composeSend"));
    m_send->setToolTip(tr("Send (Ctrl+Enter)"));
    m_send->setDefault(false);
    m_recentButton->setObjectName(QStringLiteral("composeRecent"));
    m_recentButton->setText(tr("Recent"));
    m_recentButton->setPopupMode(QToolButton::InstantPopup);
    m_recentButton->setMenu(new QMenu(m_recentButton));
    m_recentButton->setToolTip(tr("Recall a message sent earlier (Ctrl+Up / Ctrl+Down in the editor)"));

    auto *title = new QHBoxLayout;
    title->setContentsMargins(0, 0, 0, 0);
    title->addWidget(new QLabel(tr("<b>Compose</b>"), this));
    title->addStretch(1);
    title->addWidget(m_keep);
    title->addWidget(m_recentButton);

    auto *heldRow = new QHBoxLayout;
    heldRow->setContentsMargins(0, 0, 0, 0);
    heldRow->addWidget(m_heldLabel, 1);
    heldRow->addWidget(m_dropHeld);

    auto *formatRow = new QHBoxLayout;
    formatRow->setContentsMargins(0, 0, 0, 0);
    formatRow->addWidget(m_format);
    formatRow->addWidget(m_chooseFile);
    formatRow->addWidget(m_fileLabel, 1);
    formatRow->addStretch(0);

    auto *targetRow = new QHBoxLayout;
    targetRow->setContentsMargins(0, 0, 0, 0);
    targetRow->addWidget(m_target);
    targetRow->addWidget(m_targetName, 1);
    targetRow->addStretch(0);
    targetRow->addWidget(m_send);

    auto *form = new QFormLayout;
    form->setContentsMargins(0, 0, 0, 0);
    form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    form->addRow(tr("F&ormat"), formatRow);
    form->addRow(tr("Send &to"), targetRow);
    qobject_cast<QLabel *>(form->labelForField(formatRow))->setBuddy(m_format);
    qobject_cast<QLabel *>(form->labelForField(targetRow))->setBuddy(m_target);

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(3);
    layout->addLayout(title);
    layout->addWidget(m_editor, 1);
    layout->addLayout(heldRow);
    layout->addLayout(form);
    layout->addWidget(m_status);

    connect(m_editor, &QPlainTextEdit::textChanged, this, &ComposePanel::updateState);
    connect(m_editor, &PayloadEditor::tooLarge, this, &ComposePanel::holdText);
    connect(m_dropHeld, &QPushButton::clicked, this, &ComposePanel::dropHeldText);
    connect(m_format, &QComboBox::currentIndexChanged, this, &ComposePanel::updateState);
    connect(m_target, &QComboBox::currentIndexChanged, this, [this] {
        const Target target = this->target();
        m_targetName->clear();
        if (target == Target::Room)
            m_targetName->addItems(m_rooms);
        else if (target == Target::Route)
            m_targetName->addItems(m_routes);
        updateState();
    });
    connect(m_targetName, &QComboBox::currentTextChanged, this, &ComposePanel::updateState);
    connect(m_chooseFile, &QPushButton::clicked, this, &ComposePanel::chooseFile);
    connect(m_send, &QPushButton::clicked, this, &ComposePanel::send);
    connect(m_recentButton->menu(), &QMenu::aboutToShow, this, &ComposePanel::rebuildRecentMenu);
    updateState();
}

QPlainTextEdit *ComposePanel::editor() const
{
    return m_editor;
}

void ComposePanel::setKeepAfterSend(bool keep)
{
    m_keep->setChecked(keep);
}

QString ComposePanel::inputText() const
{
    return m_held.isEmpty() ? m_editor->toPlainText() : m_held;
}

void ComposePanel::holdText(const QString &text)
{
    m_held = text;
    m_heldUtf8.clear();
    m_heldReady = false;
    const QSignalBlocker blocker(m_editor);
    m_editor->setReadOnly(true);
    m_editor->setLineWrapMode(QPlainTextEdit::NoWrap);
    m_editor->setPlainText(text.left(kHeldPreviewChars) + QChar(0x2026));
    m_heldLabel->setText(tr("%1 characters of text: too large to edit here, shown cut short (converting…).")
                             .arg(QLocale().toString(text.size())));
    m_heldLabel->show();
    m_dropHeld->show();
    updateState();
    // Converting 16 MB to UTF-8 (and checking it is JSON) held the GUI thread ~70 ms: a pool thread
    // does it; a newer paste or a discard (generation) drops the result.
    const quint64 generation = ++m_heldGeneration;
    QPointer<ComposePanel> self(this);
    QThreadPool::globalInstance()->start([self, text, generation] {
        QByteArray utf8 = text.toUtf8();
        const bool json = PayloadFormatter::isJson(utf8);
        QMetaObject::invokeMethod(
            qApp,
            [self, utf8 = std::move(utf8), json, generation] {
                if (self && self->m_heldGeneration == generation)
                    self->heldTextConverted(utf8, json);
            },
            Qt::QueuedConnection);
    });
}

void ComposePanel::heldTextConverted(const QByteArray &utf8, bool json)
{
    m_heldUtf8 = utf8;
    m_heldJson = json;
    m_heldReady = true;
    m_heldLabel->setText(tr("%1 of text: too large to edit here, shown cut short. Send sends all of it; "
                            "for bigger payloads use \"Binary from a file\".")
                             .arg(ClientTableModel::formatBytes(m_heldUtf8.size())));
    updateState();
    if (m_sendWhenReady) {
        m_sendWhenReady = false;
        send();
    }
}

void ComposePanel::dropHeldText()
{
    if (m_held.isEmpty())
        return;
    m_held.clear();
    m_heldUtf8.clear();
    m_heldReady = true;
    m_sendWhenReady = false;
    ++m_heldGeneration; // a conversion still running is for text no longer held
    m_heldLabel->hide();
    m_dropHeld->hide();
    m_editor->setReadOnly(false);
    m_editor->clear();
}

ComposePanel::Format ComposePanel::format() const
{
    return static_cast<Format>(m_format->currentData().toInt());
}

void ComposePanel::setFormat(Format format)
{
    m_format->setCurrentIndex(m_format->findData(static_cast<int>(format)));
}

ComposePanel::Target ComposePanel::target() const
{
    return static_cast<Target>(m_target->currentData().toInt());
}

void ComposePanel::setTarget(Target target, const QString &name)
{
    m_target->setCurrentIndex(m_target->findData(static_cast<int>(target)));
    if (!name.isEmpty())
        m_targetName->setCurrentText(name);
}

void ComposePanel::setSelectedClientIds(const QList<quint64> &ids)
{
    m_selectedIds = ids;
    updateState();
}

void ComposePanel::setTargetOffered(Target target, const QString &text, bool offered)
{
    const int index = m_target->findData(static_cast<int>(target));
    if (offered && index < 0)
        m_target->addItem(text, static_cast<int>(target));
    else if (offered)
        m_target->setItemText(index, text);
    else if (index >= 0)
        m_target->removeItem(index); // the current one: the combo box moves to another
}

void ComposePanel::setSelectionProxied(bool proxied)
{
    const Target current = target();
    if (!proxied && (current == Target::ClientAsUpstream || current == Target::UpstreamAsClient))
        setTarget(Target::SelectedClients); // never slide onto a wider target unasked
    setTargetOffered(Target::ClientAsUpstream, tr("Client, as if from the upstream"), proxied);
    setTargetOffered(Target::UpstreamAsClient, tr("Upstream, as if from the client"), proxied);
}

void ComposePanel::editHeld(quint64 clientId, quint64 heldId, int direction, const QByteArray &payload, bool binary)
{
    const int before = m_heldEdit.heldId != 0 ? m_heldEdit.targetBefore : m_target->currentIndex();
    m_heldEdit = {clientId, heldId, before};
    setTargetOffered(Target::HeldMessage,
                     tr("Held message %1 of client %2 (%3)")
                         .arg(heldId)
                         .arg(clientId)
                         .arg(direction == 1 ? tr("to the upstream") : tr("to the client")),
                     true);
    setTarget(Target::HeldMessage);
    setMessage(payload, binary);
    m_editor->moveCursor(QTextCursor::End);
}

void ComposePanel::endHeldEdit()
{
    if (m_heldEdit.heldId == 0)
        return;
    const int before = m_heldEdit.targetBefore;
    m_heldEdit = {};
    setTargetOffered(Target::HeldMessage, {}, false);
    if (before >= 0 && before < m_target->count())
        m_target->setCurrentIndex(before);
}

void ComposePanel::setRoomsAndRoutes(const QStringList &rooms, const QStringList &routes)
{
    if (rooms == m_rooms && routes == m_routes)
        return;
    m_rooms = rooms;
    m_routes = routes;
    const Target target = this->target();
    if (target != Target::Room && target != Target::Route)
        return;
    // Refill the list but keep what the operator typed or picked.
    const QString current = m_targetName->currentText();
    const QSignalBlocker blocker(m_targetName);
    m_targetName->clear();
    m_targetName->addItems(target == Target::Room ? m_rooms : m_routes);
    m_targetName->setCurrentText(current);
}

void ComposePanel::setMessage(const QByteArray &payload, bool binary)
{
    dropHeldText();
    if (binary) {
        setFormat(Format::Hex);
        m_editor->setPayloadText(QString::fromLatin1(payload.toHex(' ')));
    } else {
        setFormat(Format::Text);
        m_editor->setPayloadText(QString::fromUtf8(payload));
    }
}

void ComposePanel::focusEditor()
{
    m_editor->setFocus(Qt::OtherFocusReason);
}

bool ComposePanel::payload(QByteArray *out, bool *binary, QString *error) const
{
    switch (format()) {
    case Format::Text:
        *binary = false;
        if (!m_held.isEmpty() && !m_heldReady) {
            *error = tr("converting the pasted text");
            return false;
        }
        *out = m_held.isEmpty() ? m_editor->toPlainText().toUtf8() : m_heldUtf8;
        return true;
    case Format::Json:
        *binary = false;
        if (!m_held.isEmpty() && !m_heldReady) {
            *error = tr("converting the pasted text");
            return false;
        }
        *out = m_held.isEmpty() ? m_editor->toPlainText().toUtf8() : m_heldUtf8;
        // Held text was checked on the converting thread.
        if (!out->trimmed().isEmpty() && !(m_held.isEmpty() ? PayloadFormatter::isJson(*out) : m_heldJson)) {
            *error = tr("not valid JSON (check quotes, commas and brackets), or choose Text");
            return false;
        }
        return true;
    case Format::Hex:
        *binary = true;
        return PayloadFormatter::parseHex(inputText(), out, error);
    case Format::Base64:
        *binary = true;
        return PayloadFormatter::parseBase64(inputText(), out, error);
    case Format::File:
        *binary = true;
        if (!m_fileError.isEmpty()) {
            *error = m_fileError;
            return false;
        }
        if (m_filePath.isEmpty()) {
            *error = tr("choose a file to send");
            return false;
        }
        *out = m_fileData;
        return true;
    }
    return false;
}

QString ComposePanel::problem() const
{
    QByteArray bytes;
    bool binary = false;
    QString error;
    if (!payload(&bytes, &binary, &error))
        return error;
    if (bytes.isEmpty() && format() != Format::File)
        return tr("nothing to send yet");
    if (bytes.size() > kMaxFileBytes)
        return tr("%1 is over the %2 limit").arg(ClientTableModel::formatBytes(bytes.size()),
                                                   ClientTableModel::formatBytes(kMaxFileBytes));
    switch (target()) {
    case Target::SelectedClients:
        if (m_selectedIds.isEmpty())
            return tr("no open client selected: select clients in the table, or send to a room, a route or everyone");
        break;
    case Target::Room:
        if (m_targetName->currentText().trimmed().isEmpty())
            return tr("name the room");
        break;
    case Target::Route:
        if (m_targetName->currentText().trimmed().isEmpty())
            return tr("name the route, e.g. /ws");
        break;
    case Target::Everyone: break;
    case Target::ClientAsUpstream:
    case Target::UpstreamAsClient:
        if (m_selectedIds.isEmpty())
            return tr("no open client selected: select clients of a proxy route in the table");
        break;
    case Target::HeldMessage: break;
    }
    return {};
}

void ComposePanel::updateState()
{
    const Format format = this->format();
    const Target target = this->target();
    m_editor->setEnabled(format != Format::File);
    m_chooseFile->setVisible(format == Format::File);
    m_fileLabel->setVisible(format == Format::File);
    m_targetName->setVisible(target == Target::Room || target == Target::Route);
    m_targetName->lineEdit()->setPlaceholderText(target == Target::Room ? tr("room name") : tr("route pattern"));

    const QString why = problem();
    m_send->setEnabled(why.isEmpty());
    m_send->setText(target == Target::HeldMessage ? tr("&Forward") : tr("&Send"));
    if (format != Format::File && inputText().isEmpty()) {
        // An empty editor is where everyone starts, not an error: a grey hint, never red.
        m_status->setStyleSheet(QStringLiteral("color: palette(placeholder-text);"));
        m_status->setText(tr("Type a message above; Ctrl+Enter sends."));
        return;
    }
    if (!m_held.isEmpty() && !m_heldReady) {
        // Not an error: a pool thread is converting the paste (Send still works, see send()).
        m_send->setEnabled(true);
        m_status->setStyleSheet(QStringLiteral("color: palette(placeholder-text);"));
        m_status->setText(m_sendWhenReady ? tr("Sends once the pasted text is converted…")
                                          : tr("Converting the pasted text…"));
        return;
    }
    if (!why.isEmpty()) {
        m_status->setStyleSheet(QStringLiteral("color: #d03a2f;"));
        m_status->setText(why.at(0).toUpper() + why.mid(1) + QLatin1Char('.'));
        return;
    }
    QByteArray bytes;
    bool binary = false;
    QString error;
    payload(&bytes, &binary, &error);
    QString to;
    switch (target) {
    case Target::SelectedClients:
        to = m_selectedIds.size() == 1 ? tr("client %1").arg(m_selectedIds.first())
                                       : tr("%1 selected clients").arg(m_selectedIds.size());
        break;
    case Target::Room: to = tr("room %1").arg(m_targetName->currentText().trimmed()); break;
    case Target::Route: to = tr("route %1").arg(m_targetName->currentText().trimmed()); break;
    case Target::Everyone: to = tr("every open client"); break;
    case Target::ClientAsUpstream:
        to = m_selectedIds.size() == 1 ? tr("client %1, as if from its upstream").arg(m_selectedIds.first())
                                       : tr("%1 selected clients, as if from their upstreams").arg(m_selectedIds.size());
        break;
    case Target::UpstreamAsClient:
        to = m_selectedIds.size() == 1 ? tr("the upstream of client %1, as if from the client").arg(m_selectedIds.first())
                                       : tr("the upstreams of %1 selected clients").arg(m_selectedIds.size());
        break;
    case Target::HeldMessage:
        to = tr("forward as held message %1 of client %2").arg(m_heldEdit.heldId).arg(m_heldEdit.clientId);
        break;
    }
    m_status->setStyleSheet(QString());
    m_status->setText(tr("%1 %2 → %3")
                          .arg(ClientTableModel::formatBytes(bytes.size()), binary ? tr("binary") : tr("text"), to));
}

bool ComposePanel::send()
{
    if (!m_held.isEmpty() && !m_heldReady && (format() == Format::Text || format() == Format::Json)) {
        // Pasted text still converting: it goes as soon as it is ready.
        m_sendWhenReady = true;
        updateState();
        return true;
    }
    updateState();
    QByteArray bytes;
    bool binary = false;
    QString error;
    if (!problem().isEmpty() || !payload(&bytes, &binary, &error))
        return false;
    switch (target()) {
    case Target::SelectedClients: Q_EMIT sendToClients(m_selectedIds, bytes, binary); break;
    case Target::Room: Q_EMIT broadcast(BroadcastTarget::room(m_targetName->currentText().trimmed()), bytes, binary); break;
    case Target::Route:
        Q_EMIT broadcast(BroadcastTarget::route(m_targetName->currentText().trimmed()), bytes, binary);
        break;
    case Target::Everyone: Q_EMIT broadcast(BroadcastTarget::everyone(), bytes, binary); break;
    case Target::ClientAsUpstream: Q_EMIT inject(m_selectedIds, false, bytes, binary); break;
    case Target::UpstreamAsClient: Q_EMIT inject(m_selectedIds, true, bytes, binary); break;
    case Target::HeldMessage: Q_EMIT forwardEdited(m_heldEdit.clientId, m_heldEdit.heldId, bytes, binary); break;
    }
    if (target() == Target::HeldMessage)
        endHeldEdit(); // one forward per held message
    remember();
    if (!m_keep->isChecked() && format() != Format::File) {
        dropHeldText();
        m_editor->clear();
    }
    return true;
}

void ComposePanel::chooseFile()
{
    const QString path = QFileDialog::getOpenFileName(this, tr("Send a file as a binary message"), m_filePath);
    if (!path.isEmpty())
        loadFile(path);
}

bool ComposePanel::loadFile(const QString &path)
{
    m_filePath = path;
    m_fileData.clear();
    m_fileError.clear();
    QFile file(path);
    const QString name = QFileInfo(path).fileName();
    if (file.size() > kMaxFileBytes) {
        m_fileError = tr("%1 is %2; the limit is %3")
                          .arg(name, ClientTableModel::formatBytes(file.size()), ClientTableModel::formatBytes(kMaxFileBytes));
    } else if (!file.open(QIODevice::ReadOnly)) {
        m_fileError = tr("cannot read %1: %2").arg(name, file.errorString());
    } else {
        m_fileData = file.readAll();
    }
    m_fileLabel->setText(m_fileError.isEmpty() ? tr("%1 (%2)").arg(name, ClientTableModel::formatBytes(m_fileData.size()))
                                               : name);
    m_fileLabel->setToolTip(path);
    if (!m_fileError.isEmpty())
        qCWarning(lcUi).noquote() << "compose:" << m_fileError;
    setFormat(Format::File);
    updateState();
    return m_fileError.isEmpty();
}

void ComposePanel::remember()
{
    Recent entry{format(), format() == Format::File ? m_filePath : inputText()};
    if (entry.text.size() > PayloadEditor::kMaxEditChars) {
        // Bounded memory: at most one message too large to edit is kept for recall.
        m_recent.erase(std::remove_if(m_recent.begin(), m_recent.end(),
                                      [](const Recent &r) { return r.text.size() > PayloadEditor::kMaxEditChars; }),
                       m_recent.end());
    }
    for (int i = 0; i < m_recent.size(); ++i) {
        if (m_recent.at(i).format == entry.format && m_recent.at(i).text == entry.text) {
            m_recent.remove(i);
            break;
        }
    }
    m_recent.prepend(entry);
    if (m_recent.size() > kMaxRecent)
        m_recent.resize(kMaxRecent);
    m_recallIndex = -1;
}

void ComposePanel::recall(int index)
{
    if (index < 0 || index >= m_recent.size())
        return;
    m_recallIndex = index;
    const Recent &entry = m_recent.at(index);
    if (entry.format == Format::File) {
        loadFile(entry.text);
        return;
    }
    dropHeldText();
    setFormat(entry.format);
    m_editor->setPayloadText(entry.text);
    m_editor->moveCursor(QTextCursor::End);
}

QStringList ComposePanel::recentMessages() const
{
    QStringList list;
    for (const Recent &entry : m_recent)
        list.append(entry.text);
    return list;
}

void ComposePanel::rebuildRecentMenu()
{
    QMenu *menu = m_recentButton->menu();
    menu->clear();
    if (m_recent.isEmpty()) {
        menu->addAction(tr("(nothing sent yet)"))->setEnabled(false);
        return;
    }
    for (int i = 0; i < m_recent.size(); ++i) {
        const Recent &entry = m_recent.at(i);
        QString label = entry.text.simplified();
        if (label.size() > 60)
            label = label.left(59) + QChar(0x2026);
        label.replace(QLatin1Char('&'), QStringLiteral("&&"));
        QAction *action = menu->addAction(QStringLiteral("[%1] %2").arg(formatTag(entry.format), label));
        connect(action, &QAction::triggered, this, [this, i] { recall(i); });
    }
    menu->addSeparator();
    connect(menu->addAction(tr("Forget recent messages")), &QAction::triggered, this, [this] { m_recent.clear(); });
}

bool ComposePanel::eventFilter(QObject *watched, QEvent *event)
{
    if (watched == m_editor && event->type() == QEvent::KeyPress) {
        auto *key = static_cast<QKeyEvent *>(event);
        if (key->modifiers() & Qt::ControlModifier) {
            switch (key->key()) {
            case Qt::Key_Return:
            case Qt::Key_Enter:
                send();
                return true;
            case Qt::Key_Up:
                recall(m_recallIndex + 1);
                return true;
            case Qt::Key_Down:
                if (m_recallIndex > 0)
                    recall(m_recallIndex - 1);
                return true;
            default: break;
            }
        }
    }
    return QWidget::eventFilter(watched, event);
}

void ComposePanel::saveSettings(QSettings &settings) const
{
    QVariantList recent;
    for (const Recent &entry : m_recent) {
        if (entry.text.size() > kMaxRememberedChars)
            continue;
        recent.append(QVariantMap{{QStringLiteral("format"), formatTag(entry.format)},
                                  {QStringLiteral("text"), entry.text}});
    }
    settings.setValue(QStringLiteral("compose/recent"), recent);
    settings.setValue(QStringLiteral("compose/format"), formatTag(format()));
    // The proxy targets depend on the selection: not remembered.
    const int target = m_target->currentIndex() <= static_cast<int>(Target::Everyone) ? m_target->currentIndex() : 0;
    settings.setValue(QStringLiteral("compose/target"), target);
    settings.setValue(QStringLiteral("compose/keepAfterSend"), m_keep->isChecked());
}

void ComposePanel::restoreSettings(const QSettings &settings)
{
    const auto formatFromTag = [](const QString &tag) {
        for (Format format : {Format::Text, Format::Json, Format::Hex, Format::Base64, Format::File}) {
            if (formatTag(format) == tag)
                return format;
        }
        return Format::Text;
    };
    m_recent.clear();
    const QVariantList recent = settings.value(QStringLiteral("compose/recent")).toList();
    for (const QVariant &value : recent) {
        const QVariantMap map = value.toMap();
        m_recent.append({formatFromTag(map.value(QStringLiteral("format")).toString()),
                         map.value(QStringLiteral("text")).toString()});
        if (m_recent.size() == kMaxRecent)
            break;
    }
    const Format saved = formatFromTag(settings.value(QStringLiteral("compose/format")).toString());
    setFormat(saved == Format::File ? Format::Text : saved); // never reload a file unasked
    const int target = settings.value(QStringLiteral("compose/target"), 0).toInt();
    if (target >= 0 && target < m_target->count())
        m_target->setCurrentIndex(target);
    m_keep->setChecked(settings.value(QStringLiteral("compose/keepAfterSend"), false).toBool());
}
