#pragma once

#include <QMessageBox>

// A config file that cannot be loaded (--config): the error with the file, key path and line and
// column, and the choice to start with the defaults or quit (exit 2, as headless).
class ConfigErrorDialog : public QMessageBox
{
    Q_OBJECT
public:
    explicit ConfigErrorDialog(const QString &error, QWidget *parent = nullptr);

    QAbstractButton *startWithDefaultsButton() const { return m_startWithDefaults; }
    QAbstractButton *quitButton() const { return m_quit; }
    // After exec(): the operator chose to start with the defaults.
    bool startWithDefaults() const { return clickedButton() == m_startWithDefaults; }

private:
    QAbstractButton *m_startWithDefaults;
    QAbstractButton *m_quit;
};
