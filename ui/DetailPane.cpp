#include "DetailPane.h"

#include "model/PayloadFormatter.h"

#include <QApplication>
#include <QCheckBox>
#include <QClipboard>
#include <QFontDatabase>
#include <QHBoxLayout>
#include <QLabel>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QVBoxLayout>

namespace {

QString formatName(PayloadFormatter::Format format)
{
    switch (format) {
    case PayloadFormatter::Format::Json: return QStringLiteral("JSON");
    case PayloadFormatter::Format::Text: return QStringLiteral("text");
    case PayloadFormatter::Format::Hex: return QStringLiteral("hex + ASCII");
    case PayloadFormatter::Format::Close: return QStringLiteral("close");
    case PayloadFormatter::Format::Info: return QString();
    }
    return {};
}

} // namespace

DetailPane::DetailPane(QWidget *parent)
    : QWidget(parent), m_heading(new QLabel(this)), m_format(new QLabel(this)), m_note(new QLabel(this)),
      m_text(new QPlainTextEdit(this)), m_wrap(new QCheckBox(tr("&Wrap"), this)),
      m_copy(new QPushButton(tr("&Copy"), this)), m_resend(new QPushButton(tr("&Resend…"), this))
{
    setObjectName(QStringLiteral("detailPane"));
    m_heading->setObjectName(QStringLiteral("detailHeading"));
    m_heading->setTextFormat(Qt::PlainText);
    m_heading->setWordWrap(true);
    m_heading->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_format->setObjectName(QStringLiteral("detailFormat"));
    m_format->setStyleSheet(QStringLiteral("color: palette(placeholder-text);"));
    m_note->setObjectName(QStringLiteral("detailNote"));
    m_note->setTextFormat(Qt::PlainText);
    m_note->setWordWrap(true);
    m_note->setStyleSheet(QStringLiteral("color: #c07810;"));
    m_note->hide();
    m_text->setObjectName(QStringLiteral("detailText"));
    m_text->setReadOnly(true);
    m_text->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_text->setLineWrapMode(QPlainTextEdit::NoWrap);
    m_text->setPlaceholderText(tr("Select a record in the log to see all of it here."));
    m_copy->setToolTip(tr("Copy the payload as shown"));
    m_resend->setObjectName(QStringLiteral("detailResend"));
    m_resend->setToolTip(tr("Put this message in the compose panel to send it again"));

    auto *title = new QHBoxLayout;
    title->setContentsMargins(0, 0, 0, 0);
    title->addWidget(new QLabel(tr("<b>Detail</b>"), this));
    title->addWidget(m_format);
    title->addStretch(1);
    title->addWidget(m_wrap);
    title->addWidget(m_resend);
    title->addWidget(m_copy);

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(3);
    layout->addLayout(title);
    layout->addWidget(m_heading);
    layout->addWidget(m_note);
    layout->addWidget(m_text, 1);

    connect(m_wrap, &QCheckBox::toggled, this, [this](bool wrap) {
        m_text->setLineWrapMode(wrap ? QPlainTextEdit::WidgetWidth : QPlainTextEdit::NoWrap);
    });
    connect(m_copy, &QPushButton::clicked, this, [this] { QApplication::clipboard()->setText(m_text->toPlainText()); });
    connect(m_resend, &QPushButton::clicked, this, [this] {
        if (m_hasRecord)
            Q_EMIT resendRequested(m_record.payload, m_record.kind == LogRecord::Kind::Binary);
    });
    clear();
}

void DetailPane::showRecord(const LogRecord &record)
{
    m_record = record; // implicitly shared payload: no copy
    m_hasRecord = true;
    const PayloadFormatter::Formatted formatted = PayloadFormatter::format(record);
    m_heading->setText(formatted.heading);
    m_format->setText(formatName(formatted.format));
    m_note->setText(formatted.note);
    m_note->setVisible(!formatted.note.isEmpty());
    m_text->setPlainText(formatted.body);
    const bool message = record.kind == LogRecord::Kind::Text || record.kind == LogRecord::Kind::Binary;
    // A capped payload is not the message that was sent: do not offer to resend it.
    m_resend->setEnabled(message && record.size == record.payload.size());
    m_copy->setEnabled(true);
}

void DetailPane::clear()
{
    m_record = LogRecord();
    m_hasRecord = false;
    m_heading->clear();
    m_format->clear();
    m_note->hide();
    m_text->clear();
    m_resend->setEnabled(false);
    m_copy->setEnabled(false);
}

QString DetailPane::text() const
{
    return m_text->toPlainText();
}

QString DetailPane::heading() const
{
    return m_heading->text();
}
