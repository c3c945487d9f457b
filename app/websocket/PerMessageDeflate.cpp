#include "PerMessageDeflate.h"

#include <QLoggingCategory>
#include <algorithm>
#include <array>
#include <cstdlib>
#include <cstring>
#include <zlib.h>

Q_LOGGING_CATEGORY(lcDeflate, "switchboard.websocket.deflate")

namespace {

// Speed over ratio: a 4 KiB JSON message still shrinks to a fraction, at a fraction of the time.
constexpr int kLevel = Z_BEST_SPEED;
constexpr unsigned char kTail[4] = {0x00, 0x00, 0xff, 0xff};

} // namespace

// One zlib stream; counts what zlib allocates for it, so the memory a connection holds is measured.
class ZlibStream
{
public:
    enum class Kind { Deflater, Inflater };

    ZlibStream(Kind kind, int windowBits) : m_kind(kind)
    {
        m_z.zalloc = &ZlibStream::allocate;
        m_z.zfree = &ZlibStream::release;
        m_z.opaque = this;
        // A smaller window gets a smaller hash table too: memory in proportion (15 -> zlib's default 8).
        const int memLevel = std::clamp(windowBits - 7, 1, 8);
        m_ok = (kind == Kind::Deflater
                    ? deflateInit2(&m_z, kLevel, Z_DEFLATED, -windowBits, memLevel, Z_DEFAULT_STRATEGY)
                    : inflateInit2(&m_z, -windowBits))
            == Z_OK;
        if (!m_ok)
            qCWarning(lcDeflate) << "zlib refused a stream with window bits" << windowBits;
    }
    ~ZlibStream()
    {
        if (m_ok)
            m_kind == Kind::Deflater ? deflateEnd(&m_z) : inflateEnd(&m_z);
    }
    ZlibStream(const ZlibStream &) = delete;
    ZlibStream &operator=(const ZlibStream &) = delete;

    bool ok() const { return m_ok; }
    z_stream &z() { return m_z; }
    qint64 allocated() const { return m_allocated; }
    void reset() { m_kind == Kind::Deflater ? deflateReset(&m_z) : inflateReset(&m_z); }

private:
    static voidpf allocate(voidpf opaque, uInt items, uInt size)
    {
        const std::size_t bytes = std::size_t(items) * size;
        auto *block = static_cast<char *>(std::malloc(bytes + sizeof(std::max_align_t)));
        if (!block)
            return Z_NULL;
        std::memcpy(block, &bytes, sizeof bytes);
        static_cast<ZlibStream *>(opaque)->m_allocated += qint64(bytes);
        return block + sizeof(std::max_align_t);
    }
    static void release(voidpf opaque, voidpf address)
    {
        char *block = static_cast<char *>(address) - sizeof(std::max_align_t);
        std::size_t bytes = 0;
        std::memcpy(&bytes, block, sizeof bytes);
        static_cast<ZlibStream *>(opaque)->m_allocated -= qint64(bytes);
        std::free(block);
    }

    Kind m_kind;
    z_stream m_z{};
    bool m_ok = false;
    qint64 m_allocated = 0;
};

namespace {

using Stream = ZlibStream;

// The thread's shared streams: deflaters by window bits (9..15), one inflater with the largest
// window (it inflates what any smaller window made).
struct SharedStreams
{
    std::array<std::unique_ptr<Stream>, 16> deflaters;
    std::unique_ptr<Stream> inflater;

    Stream *deflater(int windowBits)
    {
        auto &slot = deflaters.at(std::size_t(windowBits));
        if (!slot)
            slot = std::make_unique<ZlibStream>(ZlibStream::Kind::Deflater, windowBits);
        return slot->ok() ? slot.get() : nullptr;
    }
    Stream *sharedInflater()
    {
        if (!inflater)
            inflater = std::make_unique<ZlibStream>(ZlibStream::Kind::Inflater, 15);
        return inflater->ok() ? inflater.get() : nullptr;
    }
};

SharedStreams &shared()
{
    thread_local SharedStreams streams;
    return streams;
}

QByteArray deflateMessage(Stream *stream, QByteArrayView payload)
{
    if (!stream)
        return {};
    z_stream &z = stream->z();
    z.next_in = reinterpret_cast<Bytef *>(const_cast<char *>(payload.data()));
    z.avail_in = uInt(payload.size());
    QByteArray out(qsizetype(deflateBound(&z, uLong(payload.size()))) + 16, Qt::Uninitialized);
    qsizetype produced = 0;
    for (;;) {
        z.next_out = reinterpret_cast<Bytef *>(out.data() + produced);
        z.avail_out = uInt(out.size() - produced);
        const int result = deflate(&z, Z_SYNC_FLUSH);
        produced = out.size() - z.avail_out;
        if (result != Z_OK && result != Z_BUF_ERROR)
            return {};
        if (z.avail_in == 0 && z.avail_out > 0)
            break; // all of it flushed
        out.resize(out.size() * 2);
    }
    out.resize(produced);
    if (out.endsWith(QByteArrayView(reinterpret_cast<const char *>(kTail), 4)))
        out.chop(4);
    return out;
}

} // namespace

PerMessageDeflate::PerMessageDeflate(const DeflateParameters &parameters, int thresholdBytes)
    : m_parameters(parameters), m_thresholdBytes(thresholdBytes)
{
}

PerMessageDeflate::~PerMessageDeflate() = default;

QByteArray PerMessageDeflate::compressShared(QByteArrayView payload, int windowBits)
{
    Stream *stream = shared().deflater(std::clamp(windowBits, 9, 15));
    if (stream)
        stream->reset();
    return deflateMessage(stream, payload);
}

QByteArray PerMessageDeflate::compress(QByteArrayView payload)
{
    if (m_parameters.serverNoContextTakeover)
        return compressShared(payload, m_parameters.serverMaxWindowBits);
    if (!m_deflater)
        m_deflater = std::make_unique<ZlibStream>(ZlibStream::Kind::Deflater, std::max(9, m_parameters.serverMaxWindowBits));
    return deflateMessage(m_deflater->ok() ? m_deflater.get() : nullptr, payload);
}

PerMessageDeflate::InflateResult PerMessageDeflate::inflate(QByteArrayView compressed, qint64 limit,
                                                            QByteArray *out)
{
    Stream *stream = nullptr;
    if (m_parameters.clientNoContextTakeover) {
        stream = shared().sharedInflater();
        if (stream)
            stream->reset();
    } else {
        if (!m_inflater) // zlib's 8-bit windows are 9 bits in fact: inflate with at least that
            m_inflater = std::make_unique<ZlibStream>(ZlibStream::Kind::Inflater, std::max(9, m_parameters.clientMaxWindowBits));
        stream = m_inflater->ok() ? m_inflater.get() : nullptr;
    }
    if (!stream)
        return InflateResult::Corrupt;

    z_stream &z = stream->z();
    z.next_in = reinterpret_cast<Bytef *>(const_cast<char *>(compressed.data()));
    z.avail_in = uInt(compressed.size());
    bool tailFed = false;
    // Never more room than limit + 1: one byte past the limit is enough to know it was passed.
    out->resize(qsizetype(std::min<qint64>(limit + 1, std::max<qint64>(4096, compressed.size() * 4))));
    qsizetype produced = 0;
    for (;;) {
        if (z.avail_in == 0 && !tailFed) {
            z.next_in = const_cast<Bytef *>(kTail);
            z.avail_in = 4;
            tailFed = true;
        }
        if (produced == out->size()) {
            // Grown by hand: exactly the size asked for, no allocator slack past the limit.
            QByteArray bigger(qsizetype(std::min<qint64>(limit + 1, out->size() * 2)), Qt::Uninitialized);
            std::memcpy(bigger.data(), out->constData(), std::size_t(produced));
            out->swap(bigger);
        }
        z.next_out = reinterpret_cast<Bytef *>(out->data() + produced);
        z.avail_out = uInt(out->size() - produced);
        const int result = ::inflate(&z, Z_SYNC_FLUSH);
        produced = out->size() - z.avail_out;
        if (produced > limit) {
            *out = QByteArray();
            stream->reset();
            return InflateResult::TooBig;
        }
        if (result == Z_STREAM_END) {
            stream->reset(); // the client ended its stream (BFINAL): the next message starts anew
            break;
        }
        if (result != Z_OK && result != Z_BUF_ERROR) {
            *out = QByteArray();
            stream->reset();
            return InflateResult::Corrupt;
        }
        if (z.avail_in == 0 && tailFed && z.avail_out > 0)
            break;
    }
    out->resize(produced);
    return InflateResult::Ok;
}

qint64 PerMessageDeflate::heldBytes() const
{
    return (m_deflater ? m_deflater->allocated() : 0) + (m_inflater ? m_inflater->allocated() : 0);
}
