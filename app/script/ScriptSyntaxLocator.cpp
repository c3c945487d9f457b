#include "ScriptSyntaxLocator.h"

#include <private/qqmljsengine_p.h>
#include <private/qqmljslexer_p.h>
#include <private/qqmljsparser_p.h>

ScriptSyntaxError locateSyntaxError(const QString &moduleSource)
{
    QQmlJS::Engine engine;
    QQmlJS::Lexer lexer(&engine);
    lexer.setCode(moduleSource, 1, /*qmlMode=*/false);
    QQmlJS::Parser parser(&engine);
    if (parser.parseModule())
        return {};
    for (const QQmlJS::DiagnosticMessage &diagnostic : parser.diagnosticMessages()) {
        if (diagnostic.isError())
            return {int(diagnostic.loc.startLine), int(diagnostic.loc.startColumn), diagnostic.message};
    }
    return {};
}
