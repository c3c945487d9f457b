#pragma once

#include "log/LogRecord.h"

// "Copy raw": a record's payload bytes on the clipboard. Text as UTF-8 text; binary as
// application/octet-stream, with its hex as the text form (a clipboard text cannot hold any bytes).
void copyPayloadToClipboard(const LogRecord &record);
