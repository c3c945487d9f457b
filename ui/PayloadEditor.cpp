#include "PayloadEditor.h"

#include <QMimeData>

PayloadEditor::PayloadEditor(QWidget *parent) : QPlainTextEdit(parent)
{
    connect(this, &QPlainTextEdit::textChanged, this, &PayloadEditor::followSize);
}

void PayloadEditor::setPayloadText(const QString &text)
{
    if (text.size() > kMaxEditChars) {
        clear();
        Q_EMIT tooLarge(text);
        return;
    }
    // Choose the wrap mode before the text arrives, so a long line is never wrapped once.
    setLineWrapMode(text.size() > kMaxWrapChars ? NoWrap : WidgetWidth);
    setPlainText(text);
}

void PayloadEditor::insertFromMimeData(const QMimeData *source)
{
    if (source->hasText()) {
        const QString text = source->text();
        if (document()->characterCount() + text.size() > kMaxEditChars) {
            Q_EMIT tooLarge(toPlainText().isEmpty() ? text : toPlainText() + text);
            return;
        }
        if (document()->characterCount() + text.size() > kMaxWrapChars)
            setLineWrapMode(NoWrap);
    }
    QPlainTextEdit::insertFromMimeData(source);
}

void PayloadEditor::followSize()
{
    const LineWrapMode wanted = document()->characterCount() > kMaxWrapChars ? NoWrap : WidgetWidth;
    if (lineWrapMode() != wanted)
        setLineWrapMode(wanted);
}
