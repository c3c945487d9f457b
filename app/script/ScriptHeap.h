#pragma once

#include <QtGlobal>

class QJSEngine;

// The size of a QJSEngine's JavaScript heap, read from the engine's memory manager (Qt Qml private
// API: QJSEngine has no public heap figure and no heap limit). Covers the managed heap's chunks,
// large items, and string data the heap holds; not ArrayBuffer contents.
namespace ScriptHeap {

// Cheap (a few vector sizes): what the heap holds now, garbage included.
qint64 allocatedBytes(QJSEngine &engine);
// Collects garbage, then counts what is still reachable.
qint64 liveBytesAfterCollecting(QJSEngine &engine);

} // namespace ScriptHeap
