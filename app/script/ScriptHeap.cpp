#include "ScriptHeap.h"

#include <QJSEngine>
#include <private/qv4engine_p.h>
#include <private/qv4mm_p.h>

namespace ScriptHeap {

qint64 allocatedBytes(QJSEngine &engine)
{
    const QV4::MemoryManager &mm = *engine.handle()->memoryManager;
    return qint64(mm.blockAllocator.allocatedMem() + mm.icAllocator.allocatedMem() + mm.hugeItemAllocator.usedMem()
                  + mm.unmanagedHeapSize);
}

qint64 liveBytesAfterCollecting(QJSEngine &engine)
{
    engine.collectGarbage();
    const QV4::MemoryManager &mm = *engine.handle()->memoryManager;
    // A sweep leaves usedSlotsAfterLastSweep: what survived it.
    const std::size_t slots = mm.blockAllocator.usedSlotsAfterLastSweep + mm.icAllocator.usedSlotsAfterLastSweep;
    return qint64(slots * QV4::Chunk::SlotSize + mm.hugeItemAllocator.usedMem() + mm.unmanagedHeapSize);
}

} // namespace ScriptHeap
