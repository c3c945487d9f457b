#include "ConfigErrorDialog.h"

#include <QPushButton>

ConfigErrorDialog::ConfigErrorDialog(const QString &error, QWidget *parent)
    : QMessageBox(QMessageBox::Critical, tr("Switchboard: config file not loaded"),
                  tr("The config file could not be loaded, so nothing of it was applied."), QMessageBox::NoButton,
                  parent)
{
    setObjectName(QStringLiteral("configErrorDialog"));
    setInformativeText(error);
    setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_startWithDefaults = addButton(tr("Start with &Defaults"), QMessageBox::AcceptRole);
    m_quit = addButton(tr("&Quit"), QMessageBox::RejectRole);
    setDefaultButton(static_cast<QPushButton *>(m_quit));
    setEscapeButton(m_quit);
}
