#pragma once

#include <QLoggingCategory>

// The dashboard's logging category: QT_LOGGING_RULES="switchboard.ui.debug=true" shows it.
Q_DECLARE_LOGGING_CATEGORY(lcUi)
