#pragma once

#include "../routes/BroadcastTarget.h"

#include <QMetaType>
#include <QString>

// The outcome of an operator command.
struct CommandResult
{
    bool ok = true;
    QString error;  // why the command was refused; nothing was sent then
    int affected = 0; // how many clients it reached

    static CommandResult success(int affected) { return {true, {}, affected}; }
    static CommandResult failure(const QString &error) { return {false, error, 0}; }
};

Q_DECLARE_METATYPE(CommandResult)
