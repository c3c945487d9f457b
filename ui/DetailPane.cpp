#include "DetailPane.h"

#include "PayloadClipboard.h"
#include "model/PayloadFormatter.h"

#include <QApplication>
#include <QCheckBox>
#include <QClipboard>
#include <QEvent>
#include <QFontDatabase>
#include <QFontMetricsF>
#include <QHBoxLayout>
#include <QLabel>
#include <QLocale>
#include <QPlainTextEdit>
#include <QPointer>
#include <QThreadPool>
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
    : QWidget(parent), m_heading(new QLabel(this)), m_format(new QLabel(this)), m_note(new QLabel(this)), m_elided(new QLabel(this)),
      m_text(new QPlainTextEdit(this)), m_wrap(new QCheckBox(tr("&Wrap"), this)),
      m_pretty(new QCheckBox(tr("&Pretty"), this)), m_copy(new QPushButton(tr("&Copy"), this)),
      m_copyRaw(new QPushButton(tr("Copy r&aw"), this)), m_resend(new QPushButton(tr("&Resend…"), this))
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
    m_elided->setObjectName(QStringLiteral("detailElided"));
    m_elided->setTextFormat(Qt::PlainText);
    m_elided->setStyleSheet(QStringLiteral("color: #c07810;"));
    m_elided->hide();
    m_text->setObjectName(QStringLiteral("detailText"));
    m_text->setReadOnly(true);
    m_text->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_text->setLineWrapMode(QPlainTextEdit::NoWrap);
    m_text->setPlaceholderText(tr("Select a record in the log to see all of it here."));
    m_text->viewport()->installEventFilter(this);
    m_copy->setObjectName(QStringLiteral("detailCopy"));
    m_copy->setToolTip(tr("Copy the payload as shown"));
    m_copyRaw->setObjectName(QStringLiteral("detailCopyRaw"));
    m_copyRaw->setToolTip(tr("Copy the payload bytes as sent (binary: as application/octet-stream, with hex as text)"));
    m_wrap->setObjectName(QStringLiteral("detailWrap"));
    m_pretty->setObjectName(QStringLiteral("detailPretty"));
    m_pretty->setChecked(true);
    m_pretty->setToolTip(tr("Indent JSON (keys, order and numbers stay exactly as sent); off shows the raw text"));
    m_resend->setObjectName(QStringLiteral("detailResend"));
    m_resend->setToolTip(tr("Put this message in the compose panel to send it again"));

    auto *title = new QHBoxLayout;
    title->setContentsMargins(0, 0, 0, 0);
    title->addWidget(new QLabel(tr("<b>Detail</b>"), this));
    title->addWidget(m_format);
    title->addStretch(1);
    title->addWidget(m_pretty);
    title->addWidget(m_wrap);
    title->addWidget(m_resend);
    title->addWidget(m_copy);
    title->addWidget(m_copyRaw);

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(3);
    layout->addLayout(title);
    layout->addWidget(m_heading);
    layout->addWidget(m_note);
    layout->addWidget(m_elided);
    layout->addWidget(m_text, 1);

    connect(m_wrap, &QCheckBox::toggled, this, [this](bool wrap) {
        m_text->setLineWrapMode(wrap ? QPlainTextEdit::WidgetWidth : QPlainTextEdit::NoWrap);
    });
    connect(m_pretty, &QCheckBox::toggled, this, &DetailPane::render);
    connect(m_copy, &QPushButton::clicked, this, [this] { QApplication::clipboard()->setText(m_body); });
    connect(m_copyRaw, &QPushButton::clicked, this, [this] { copyPayloadToClipboard(m_record); });
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
    m_rawBody.clear();
    const quint64 generation = ++m_generation;
    const bool message = record.kind == LogRecord::Kind::Text || record.kind == LogRecord::Kind::Binary;
    // A capped payload is not the message that was sent: do not offer to resend it.
    m_resend->setEnabled(message && record.size == record.payload.size());
    m_copy->setEnabled(true);
    m_copyRaw->setEnabled(message);
    if (record.payload.size() <= kMaxSyncFormatBytes) {
        apply(PayloadFormatter::format(record, m_bytesPerLine), {});
        return;
    }
    // Formatting megabytes takes the GUI thread hundreds of ms: do it on a pool thread; a newer
    // selection (generation) or a deleted pane drops the result.
    m_copy->setEnabled(false);
    m_pretty->setEnabled(false);
    m_body.clear();
    m_text->setPlainText(tr("Formatting %1 bytes…").arg(QLocale().toString(record.payload.size())));
    QPointer<DetailPane> self(this);
    const int bytesPerLine = m_bytesPerLine;
    QThreadPool::globalInstance()->start([self, record, bytesPerLine, generation] {
        PayloadFormatter::Formatted formatted = PayloadFormatter::format(record, bytesPerLine);
        QString raw = record.kind == LogRecord::Kind::Text ? QString::fromUtf8(record.payload) : QString();
        QMetaObject::invokeMethod(
            qApp,
            [self, formatted = std::move(formatted), raw = std::move(raw), generation] {
                if (self && self->m_generation == generation) {
                    self->m_copy->setEnabled(true);
                    self->apply(formatted, raw);
                }
            },
            Qt::QueuedConnection);
    });
}

void DetailPane::apply(const PayloadFormatter::Formatted &formatted, const QString &raw)
{
    m_rawBody = raw;
    m_heading->setText(formatted.heading);
    m_format->setText(formatName(formatted.format));
    m_note->setText(formatted.note);
    m_note->setVisible(!formatted.note.isEmpty());
    m_prettyBody = formatted.body;
    m_pretty->setEnabled(formatted.format == PayloadFormatter::Format::Json);
    render();
}

void DetailPane::render()
{
    const bool raw = m_pretty->isEnabled() && !m_pretty->isChecked();
    if (raw && m_rawBody.isEmpty())
        m_rawBody = QString::fromUtf8(m_record.payload);
    m_body = raw ? m_rawBody : m_prettyBody;
    const bool elided = m_body.size() > kMaxShownChars;
    const QString body = elided ? m_body.left(kMaxShownChars) : m_body;
    m_elided->setText(tr("Showing the first %1 of %2 characters here; Copy copies all of them.")
                          .arg(QLocale().toString(kMaxShownChars), QLocale().toString(m_body.size())));
    m_elided->setVisible(elided);
    const bool wrappable = body.size() <= kMaxWrapChars;
    m_wrap->setEnabled(wrappable);
    m_wrap->setToolTip(wrappable ? QString() : tr("Too long to wrap without freezing the window"));
    m_text->setLineWrapMode(wrappable && m_wrap->isChecked() ? QPlainTextEdit::WidgetWidth : QPlainTextEdit::NoWrap);
    m_text->setPlainText(body);
}

bool DetailPane::eventFilter(QObject *watched, QEvent *event)
{
    if (watched == m_text->viewport() && event->type() == QEvent::Resize) {
        // Fractional advance: a rounded one overestimates the columns of a wide pane.
        const qreal digit = QFontMetricsF(m_text->font()).horizontalAdvance(QLatin1Char('0'));
        // One column spare for the cursor, so the longest line never needs a horizontal scroll bar.
        const int columns =
            int((m_text->viewport()->width() - 2 * m_text->document()->documentMargin()) / qMax<qreal>(1, digit)) - 1;
        const int bytes = PayloadFormatter::hexBytesPerLine(columns);
        if (bytes != m_bytesPerLine) {
            m_bytesPerLine = bytes;
            // Only hex dumps depend on the width: re-lay them out, keep everything else.
            if (m_hasRecord && !m_record.payload.isEmpty() && m_record.kind != LogRecord::Kind::Text)
                showRecord(LogRecord(m_record));
        }
    }
    return QWidget::eventFilter(watched, event);
}

bool DetailPane::isPretty() const
{
    return m_pretty->isEnabled() && m_pretty->isChecked();
}

void DetailPane::clear()
{
    m_record = LogRecord();
    m_hasRecord = false;
    m_heading->clear();
    m_format->clear();
    m_note->hide();
    m_text->clear();
    ++m_generation; // a formatting still running is for a record no longer shown
    m_prettyBody.clear();
    m_rawBody.clear();
    m_body.clear();
    m_elided->hide();
    m_pretty->setEnabled(false);
    m_resend->setEnabled(false);
    m_copy->setEnabled(false);
    m_copyRaw->setEnabled(false);
}

QString DetailPane::text() const
{
    return m_body;
}

QString DetailPane::heading() const
{
    return m_heading->text();
}
