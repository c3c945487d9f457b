#pragma once

#include <QPlainTextEdit>

// A plain-text editor that never lays out a huge line: text past kMaxEditChars is not inserted
// (paste, drop or setPayloadText) but handed over through tooLarge(), and long documents do not wrap.
// Laying out one wrapped 2 MB line froze the GUI thread for minutes (issue 19 item 1).
class PayloadEditor : public QPlainTextEdit
{
    Q_OBJECT
public:
    static constexpr int kMaxEditChars = 64 * 1024;
    static constexpr int kMaxWrapChars = 16 * 1024;

    explicit PayloadEditor(QWidget *parent = nullptr);

    // Sets the text when it is small enough to edit, else emits tooLarge(text) and clears the editor.
    void setPayloadText(const QString &text);

Q_SIGNALS:
    void tooLarge(const QString &text);

protected:
    void insertFromMimeData(const QMimeData *source) override;

private:
    void followSize();
};
