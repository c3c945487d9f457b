#pragma once

#include <QDialog>

class QComboBox;
class QDialogButtonBox;
class QLabel;
class QLineEdit;

// Asks for a close code and reason: the RFC 6455 presets by name, or a custom code 3000-4999
// (the registered and application ranges; nothing else), and a reason with a live UTF-8 byte
// count out of 123. OK stays disabled, with a line saying why, while the input cannot be sent.
class CloseDialog : public QDialog
{
    Q_OBJECT
public:
    // targetDescription: e.g. "client 4" or "all 12 open clients".
    explicit CloseDialog(const QString &targetDescription, QWidget *parent = nullptr);

    int code() const;
    QString reason() const;
    // Why OK is disabled, or an empty string when the input can be sent.
    QString problem() const;

    // Selects a preset by its code, or "Custom" with this code when it is not a preset.
    void setCode(int code);
    void setReason(const QString &reason);

private:
    void updateState();
    bool isCustom() const;

    QComboBox *m_preset;
    QLineEdit *m_customCode;
    QLineEdit *m_reason;
    QLabel *m_byteCount;
    QLabel *m_problem;
    QLabel *m_hint;
    QDialogButtonBox *m_buttons;
};
