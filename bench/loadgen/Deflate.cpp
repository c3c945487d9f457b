#include "Deflate.h"

#include <zlib.h>

namespace Deflate {

namespace {

struct Streams
{
    z_stream deflater{};
    z_stream inflater{};
    Streams()
    {
        deflateInit2(&deflater, Z_BEST_SPEED, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY);
        inflateInit2(&inflater, -15);
    }
    ~Streams()
    {
        deflateEnd(&deflater);
        inflateEnd(&inflater);
    }
};

Streams &streams()
{
    static Streams shared;
    return shared;
}

} // namespace

std::string compress(const char *data, std::size_t length)
{
    z_stream &z = streams().deflater;
    deflateReset(&z);
    std::string out(deflateBound(&z, uLong(length)) + 16, '\0');
    z.next_in = reinterpret_cast<Bytef *>(const_cast<char *>(data));
    z.avail_in = uInt(length);
    z.next_out = reinterpret_cast<Bytef *>(&out[0]);
    z.avail_out = uInt(out.size());
    deflate(&z, Z_SYNC_FLUSH);
    out.resize(out.size() - z.avail_out);
    if (out.size() >= 4 && out.compare(out.size() - 4, 4, std::string("\x00\x00\xff\xff", 4)) == 0)
        out.resize(out.size() - 4);
    return out;
}

bool inflate(const char *data, std::size_t length, std::string *out)
{
    z_stream &z = streams().inflater;
    inflateReset(&z);
    static const unsigned char tail[4] = {0x00, 0x00, 0xff, 0xff};
    out->resize(std::max<std::size_t>(4096, length * 8));
    std::size_t produced = 0;
    for (int part = 0; part < 2; ++part) {
        z.next_in = part == 0 ? reinterpret_cast<Bytef *>(const_cast<char *>(data)) : const_cast<Bytef *>(tail);
        z.avail_in = part == 0 ? uInt(length) : 4;
        do {
            if (produced == out->size())
                out->resize(out->size() * 2);
            z.next_out = reinterpret_cast<Bytef *>(&(*out)[produced]);
            z.avail_out = uInt(out->size() - produced);
            const int result = ::inflate(&z, Z_SYNC_FLUSH);
            produced = out->size() - z.avail_out;
            if (result != Z_OK && result != Z_BUF_ERROR && result != Z_STREAM_END)
                return false;
        } while (z.avail_in > 0 || z.avail_out == 0);
    }
    out->resize(produced);
    return true;
}

} // namespace Deflate
