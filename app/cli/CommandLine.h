#pragma once

#include "../server/ServerConfig.h"

#include <QStringList>

// Switchboard's command line, shared by the headless server and the dashboard.
struct CommandLineOptions
{
    ServerConfig config;
    bool headless = false;
    bool portGiven = false; // the dashboard's saved port only applies when --port was not given
    bool hostGiven = false;
    QString configPath; // --config FILE: where the dashboard's "Save Settings" writes
    // The dashboard parses with ConfigErrors::Report: a config file that cannot be loaded leaves
    // the defaults in config and its error (file, key path, line and column) here.
    QString configError;
};

class CommandLine
{
public:
    enum class Outcome { Run, ExitOk, ExitError };

    // Parses arguments (argv as a list, program name first). --help and --version print and
    // return ExitOk; bad input prints a message naming the flag and returns ExitError.
    // --export is a command too: it converts the recordings given as arguments and returns
    // ExitOk, or ExitError when a file cannot be read or written.
    enum class ConfigErrors { Exit, Report };
    static Outcome parse(const QStringList &arguments, CommandLineOptions *options,
                         ConfigErrors configErrors = ConfigErrors::Exit);

    // True when argv asks for something that needs no GUI: --headless, --help, --version, --export.
    static bool wantsConsoleOnly(int argc, char **argv);
};
