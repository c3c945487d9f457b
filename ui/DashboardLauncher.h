#pragma once

// Starts the Qt Widgets dashboard (QApplication, main window, engine thread) and returns the
// exit code. Declared without widget headers so app/main.cpp stays free of them.
int runDashboard(int argc, char **argv, void (*describeApplication)());
