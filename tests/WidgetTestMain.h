#pragma once

#include <QApplication>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

// main() for a widget test: a QApplication whose QSettings go to a throwaway directory, never
// the user's, under the application name given.
#define SWITCHBOARD_WIDGET_TEST_MAIN(TestClass, applicationName)                                                    \
    int main(int argc, char **argv)                                                                                 \
    {                                                                                                               \
        QTemporaryDir config;                                                                                       \
        qputenv("XDG_CONFIG_HOME", QFile::encodeName(config.path()));                                               \
        QApplication app(argc, argv);                                                                               \
        QCoreApplication::setOrganizationName(QStringLiteral("SwitchboardTests"));                                  \
        QCoreApplication::setApplicationName(QStringLiteral(applicationName));                                      \
        TestClass test;                                                                                             \
        QTEST_SET_MAIN_SOURCE_PATH                                                                                  \
        return QTest::qExec(&test, argc, argv);                                                                     \
    }
