#pragma once

#include "log/LogRecord.h"
#include "model/PayloadFormatter.h"

#include <QWidget>

class QCheckBox;
class QLabel;
class QPlainTextEdit;
class QPushButton;

// The whole of one log record: JSON pretty-printed when it parses (tokens indented, bytes kept;
// "Pretty" off shows it raw), hex + ASCII for binary, close code, name and reason for closes
// (formatting by PayloadFormatter). Copy copies what is shown; Copy raw the payload bytes.
class DetailPane : public QWidget
{
    Q_OBJECT
public:
    explicit DetailPane(QWidget *parent = nullptr);

    void showRecord(const LogRecord &record);
    void clear();

    bool hasRecord() const { return m_hasRecord; }
    const LogRecord &record() const { return m_record; }
    QString text() const;
    QString heading() const;
    bool isPretty() const;
    // Bytes a hex + ASCII line holds: follows the pane's width.
    int hexBytesPerLine() const { return m_bytesPerLine; }
    // Wrapping a long line makes Qt lay out the whole of it: past this size the pane never wraps.
    static constexpr int kMaxWrapChars = 16 * 1024;
    // Past this the view shows the start only (Copy still copies all of it): one long line
    // costs Qt a layout of the whole line.
    static constexpr int kMaxShownChars = 64 * 1024;
    // Larger payloads are formatted on a pool thread ("Formatting N bytes…" meanwhile).
    static constexpr int kMaxSyncFormatBytes = 64 * 1024;

Q_SIGNALS:
    // "Resend" pressed: put this payload in the compose panel.
    void resendRequested(const QByteArray &payload, bool binary);

protected:
    bool eventFilter(QObject *watched, QEvent *event) override;

private:
    void apply(const PayloadFormatter::Formatted &formatted, const QString &raw);
    void render();

    LogRecord m_record;
    QString m_prettyBody;
    QString m_rawBody; // the payload as text, made on first use (or by the formatting thread)
    QString m_body; // what is shown, whole (the view may show only its start)
    bool m_hasRecord = false;
    int m_bytesPerLine = 16;
    quint64 m_generation = 0; // which showRecord() a background formatting belongs to
    QLabel *m_heading;
    QLabel *m_format;
    QLabel *m_note;
    QLabel *m_elided;
    QPlainTextEdit *m_text;
    QCheckBox *m_wrap;
    QCheckBox *m_pretty;
    QPushButton *m_copy;
    QPushButton *m_copyRaw;
    QPushButton *m_resend;
};
