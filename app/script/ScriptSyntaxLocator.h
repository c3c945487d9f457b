#pragma once

#include <QString>

// Where a script's syntax error is, with the column QJSEngine does not report (its SyntaxError carries
// only the line). Parses the module again with Qt's own JavaScript parser (the one QJSEngine compiles
// with, from Qt Qml's private API), only after QJSEngine has refused the file.
struct ScriptSyntaxError
{
    int line = 0; // 1-based; 0: the parser found nothing wrong
    int column = 0;
    QString message;
};

ScriptSyntaxError locateSyntaxError(const QString &moduleSource);
