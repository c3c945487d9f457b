#include "CloseDialog.h"

#include "websocket/CloseCode.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QRegularExpressionValidator>
#include <QVBoxLayout>

namespace {

constexpr int kCustomPreset = -1;
// The registered ranges for close codes outside RFC 6455's own; RFC codes come from the presets.
constexpr int kCustomMin = 3000;
constexpr int kCustomMax = 4999;
constexpr int kPresets[] = {CloseCode::NormalClosure, CloseCode::GoingAway,     CloseCode::PolicyViolation,
                            CloseCode::InternalError, CloseCode::ServiceRestart, CloseCode::TryAgainLater};

} // namespace

CloseDialog::CloseDialog(const QString &targetDescription, QWidget *parent)
    : QDialog(parent), m_preset(new QComboBox(this)), m_customCode(new QLineEdit(this)), m_reason(new QLineEdit(this)),
      m_byteCount(new QLabel(this)), m_problem(new QLabel(this)), m_hint(new QLabel(this)),
      m_buttons(new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this))
{
    setObjectName(QStringLiteral("closeDialog"));
    setWindowTitle(tr("Close Clients"));

    m_preset->setObjectName(QStringLiteral("closePreset"));
    for (int code : kPresets)
        m_preset->addItem(QStringLiteral("%1 %2").arg(code).arg(CloseCode::name(code)), code);
    m_preset->addItem(tr("Custom code…"), kCustomPreset);

    m_customCode->setObjectName(QStringLiteral("closeCustomCode"));
    m_customCode->setPlaceholderText(tr("3000–4999"));
    m_customCode->setValidator(new QRegularExpressionValidator(QRegularExpression(QStringLiteral("\\d{0,5}")), this));
    m_customCode->setFixedWidth(fontMetrics().horizontalAdvance(m_customCode->placeholderText()) + 24);
    m_customCode->setToolTip(tr("4000–4999: your application's own codes; 3000–3999: codes registered for "
                                "libraries and frameworks. The protocol's own codes are the presets."));

    m_reason->setObjectName(QStringLiteral("closeReason"));
    m_reason->setPlaceholderText(tr("optional, shown to the client"));
    m_byteCount->setObjectName(QStringLiteral("closeReasonBytes"));
    m_problem->setObjectName(QStringLiteral("closeProblem"));
    m_problem->setTextFormat(Qt::PlainText);
    m_problem->setWordWrap(true);
    m_problem->setStyleSheet(QStringLiteral("color: #d03a2f;"));
    m_problem->setMinimumHeight(fontMetrics().lineSpacing() * 2); // no jumping layout as it comes and goes
    m_hint->setObjectName(QStringLiteral("closeCodeHint"));
    m_hint->setTextFormat(Qt::PlainText);
    m_hint->setWordWrap(true);
    m_hint->setStyleSheet(QStringLiteral("color: #c07810;"));
    m_buttons->button(QDialogButtonBox::Ok)->setText(tr("Close"));
    m_buttons->button(QDialogButtonBox::Ok)->setObjectName(QStringLiteral("closeOk"));
    m_buttons->button(QDialogButtonBox::Cancel)->setObjectName(QStringLiteral("closeCancel"));

    auto *intro = new QLabel(tr("Send a close frame to %1.").arg(targetDescription.toHtmlEscaped()), this);
    intro->setObjectName(QStringLiteral("closeTarget"));
    intro->setWordWrap(true);

    auto *codeRow = new QHBoxLayout;
    codeRow->addWidget(m_preset, 1);
    codeRow->addWidget(m_customCode);
    auto *reasonRow = new QHBoxLayout;
    reasonRow->addWidget(m_reason, 1);
    reasonRow->addWidget(m_byteCount);

    auto *form = new QFormLayout;
    form->addRow(tr("&Code"), codeRow);
    form->addRow(tr("&Reason"), reasonRow);
    qobject_cast<QLabel *>(form->labelForField(codeRow))->setBuddy(m_preset);
    qobject_cast<QLabel *>(form->labelForField(reasonRow))->setBuddy(m_reason);

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(intro);
    layout->addLayout(form);
    layout->addWidget(m_hint);
    layout->addWidget(m_problem);
    layout->addWidget(m_buttons);

    connect(m_preset, &QComboBox::currentIndexChanged, this, [this] {
        if (isCustom())
            m_customCode->setFocus();
        updateState();
    });
    connect(m_customCode, &QLineEdit::textChanged, this, &CloseDialog::updateState);
    connect(m_reason, &QLineEdit::textChanged, this, &CloseDialog::updateState);
    connect(m_buttons, &QDialogButtonBox::accepted, this, [this] {
        if (problem().isEmpty())
            accept();
    });
    connect(m_buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    resize(460, sizeHint().height());
    updateState();
}

bool CloseDialog::isCustom() const
{
    return m_preset->currentData().toInt() == kCustomPreset;
}

int CloseDialog::code() const
{
    if (!isCustom())
        return m_preset->currentData().toInt();
    bool ok = false;
    const int code = m_customCode->text().toInt(&ok);
    return ok ? code : 0;
}

QString CloseDialog::reason() const
{
    return m_reason->text();
}

void CloseDialog::setCode(int code)
{
    const int preset = m_preset->findData(code);
    if (preset >= 0) {
        m_preset->setCurrentIndex(preset);
        return;
    }
    m_preset->setCurrentIndex(m_preset->findData(kCustomPreset));
    m_customCode->setText(QString::number(code));
}

void CloseDialog::setReason(const QString &reason)
{
    m_reason->setText(reason);
}

QString CloseDialog::problem() const
{
    if (isCustom()) {
        const int custom = code();
        if (m_customCode->text().isEmpty())
            return tr("Enter a custom close code (3000–4999).");
        if (m_preset->findData(custom) >= 0)
            return tr("%1 is a preset: choose \u201c%1 %2\u201d in the list.").arg(custom).arg(CloseCode::name(custom));
        if (custom < kCustomMin || custom > kCustomMax) {
            const QString why = CloseCode::whyNotSendable(custom);
            return tr("Custom codes are %1–%2 (3000–3999 for libraries and frameworks, 4000–4999 for your "
                      "application)%3.")
                .arg(kCustomMin)
                .arg(kCustomMax)
                // "close code 1006 is reserved ..." -> "; 1006 is reserved ..."
                .arg(why.contains(QLatin1String("reserved"))
                         ? QStringLiteral("; %1 %2").arg(custom).arg(why.section(QLatin1Char(' '), 3))
                         : QString());
        }
    }
    const int bytes = m_reason->text().toUtf8().size();
    if (bytes > CloseCode::kMaxReasonBytes)
        return tr("The reason is %1 bytes of UTF-8; a close frame holds at most %2.")
            .arg(bytes)
            .arg(CloseCode::kMaxReasonBytes);
    return {};
}

void CloseDialog::updateState()
{
    m_customCode->setEnabled(isCustom());
    const int bytes = m_reason->text().toUtf8().size();
    m_byteCount->setText(QStringLiteral("%1 / %2").arg(bytes).arg(CloseCode::kMaxReasonBytes));
    m_byteCount->setStyleSheet(bytes > CloseCode::kMaxReasonBytes ? QStringLiteral("color: #d03a2f; font-weight: bold;")
                                                                  : QString());
    const int chosen = code();
    // Sendable and registered, but Qt's own QWebSocket (6.4) only accepts codes below 1012 in
    // the 1000 range and reports 1002 Protocol Error instead. Browsers and ws accept them.
    const bool qtRejects = chosen >= CloseCode::ServiceRestart && chosen <= CloseCode::BadGateway;
    m_hint->setText(qtRejects ? tr("Note: Qt 6.4's own QWebSocket clients reject %1 and report 1002 Protocol "
                                   "Error; browsers and most libraries accept it.")
                                    .arg(chosen)
                              : QString());
    m_hint->setVisible(qtRejects);
    const QString why = problem();
    m_problem->setText(why);
    m_buttons->button(QDialogButtonBox::Ok)->setEnabled(why.isEmpty());
}
