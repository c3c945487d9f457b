#pragma once

#include "log/LogRecord.h"

#include <QWidget>

class QCheckBox;
class QLabel;
class QPlainTextEdit;
class QPushButton;

// The whole of one log record: JSON pretty-printed when it parses, hex + ASCII for binary,
// close code, name and reason for closes (formatting by PayloadFormatter).
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

Q_SIGNALS:
    // "Resend" pressed: put this payload in the compose panel.
    void resendRequested(const QByteArray &payload, bool binary);

private:
    LogRecord m_record;
    bool m_hasRecord = false;
    QLabel *m_heading;
    QLabel *m_format;
    QLabel *m_note;
    QPlainTextEdit *m_text;
    QCheckBox *m_wrap;
    QPushButton *m_copy;
    QPushButton *m_resend;
};
