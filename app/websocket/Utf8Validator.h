#pragma once

#include <QtGlobal>
#include <cstring>

// Validates UTF-8 that arrives in pieces (a text message's fragments), so a message fails on
// the first invalid byte rather than when it ends — also inside a character split between two
// fragments. Strict per RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF.
class Utf8Validator
{
public:
    // False at the first byte that cannot continue valid UTF-8; then stays false.
    bool feed(const char *data, qsizetype size)
    {
        if (!m_valid)
            return false;
        const auto *bytes = reinterpret_cast<const unsigned char *>(data);
        qsizetype i = 0;
        while (i < size) {
            if (m_needed == 0) {
                // ASCII runs eight bytes at a time: most text is mostly ASCII.
                for (; i + 8 <= size; i += 8) {
                    quint64 chunk;
                    std::memcpy(&chunk, bytes + i, 8);
                    if (chunk & 0x8080808080808080ULL)
                        break;
                }
                if (i == size)
                    break;
            }
            const unsigned char byte = bytes[i++];
            if (m_needed == 0) {
                if (byte < 0x80)
                    continue;
                if (byte >= 0xC2 && byte <= 0xDF) {
                    m_needed = 1;
                } else if (byte >= 0xE0 && byte <= 0xEF) {
                    m_needed = 2;
                    if (byte == 0xE0)
                        m_lower = 0xA0; // overlong
                    else if (byte == 0xED)
                        m_upper = 0x9F; // surrogates
                } else if (byte >= 0xF0 && byte <= 0xF4) {
                    m_needed = 3;
                    if (byte == 0xF0)
                        m_lower = 0x90; // overlong
                    else if (byte == 0xF4)
                        m_upper = 0x8F; // above U+10FFFF
                } else {
                    return m_valid = false;
                }
                continue;
            }
            if (byte < m_lower || byte > m_upper)
                return m_valid = false;
            m_lower = 0x80;
            m_upper = 0xBF;
            --m_needed;
        }
        return m_valid;
    }
    // True when everything fed so far is valid and no character is left unfinished.
    bool isComplete() const { return m_valid && m_needed == 0; }
    void reset() { *this = Utf8Validator(); }

private:
    int m_needed = 0; // continuation bytes the current character still needs
    unsigned char m_lower = 0x80;
    unsigned char m_upper = 0xBF;
    bool m_valid = true;
};
