// switchboard_loadgen: a WebSocket load generator for servers on this machine (127.0.0.0/8 or ::1 only).
// Plain C++17 + Linux epoll on one thread, no Qt, so the client side is cheap and shares nothing with
// the server it measures. Scenarios (see bench/README.md):
//   echo    N connections to /ws, each with one message in flight: messages/s and round-trip p50/p99
//   fanout  R receivers in /chat/<room> (optionally split over two servers) and one sender at a fixed
//           rate: deliveries/s and delivery latency p50/p99 (send timestamp carried in the payload)
//   idle    N connections opened and held until SIGUSR1/SIGTERM/SIGINT or --hold seconds
// The last stdout line is `RESULT key=value ...` for scripts; progress goes to stderr.

#include "Deflate.h"
#include "IoBatch.h"
#include "WebSocketKey.h"

#include <algorithm>
#include <arpa/inet.h>
#include <cerrno>
#include <cmath>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <vector>

namespace {

using loadgen::expectedAccept;
using loadgen::makeWebSocketKey;

std::uint64_t nowNs()
{
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return std::uint64_t(ts.tv_sec) * 1000000000ull + std::uint64_t(ts.tv_nsec);
}

double cpuSeconds()
{
    rusage usage;
    getrusage(RUSAGE_SELF, &usage);
    return double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
           + double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

struct Rng {
    std::uint64_t state;
    std::uint64_t next()
    {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        return state;
    }
};

// Uniform sample of at most `capacity` values (Vitter's algorithm R): percentiles stay honest over long
// runs while memory stays bounded.
class Reservoir
{
public:
    explicit Reservoir(std::size_t capacity, std::uint64_t seed) : m_capacity(capacity), m_rng{seed} { m_values.reserve(capacity); }
    void add(std::uint64_t value)
    {
        ++m_seen;
        m_max = std::max(m_max, value);
        if (m_values.size() < m_capacity) {
            m_values.push_back(value);
            return;
        }
        const std::uint64_t slot = m_rng.next() % m_seen;
        if (slot < m_capacity)
            m_values[slot] = value;
    }
    std::uint64_t seen() const { return m_seen; }
    std::uint64_t max() const { return m_max; }
    void sort() { std::sort(m_values.begin(), m_values.end()); }
    // Nearest-rank percentile of the (sorted) sample; 0 when empty.
    std::uint64_t percentile(double p) const
    {
        if (m_values.empty())
            return 0;
        std::size_t rank = std::size_t(std::ceil(p / 100.0 * double(m_values.size())));
        rank = std::min(std::max<std::size_t>(rank, 1), m_values.size());
        return m_values[rank - 1];
    }

private:
    std::size_t m_capacity;
    Rng m_rng;
    std::vector<std::uint64_t> m_values;
    std::uint64_t m_seen = 0;
    std::uint64_t m_max = 0;
};

struct Target {
    sockaddr_storage address{};
    socklen_t addressLength = 0;
    std::string hostHeader; // host:port as sent in Host
    std::string path;       // from the URL, may be empty
};

// ws://HOST[:PORT][/path]. HOST must be a loopback address (127.0.0.0/8, ::1, [::1] or localhost).
bool parseUrl(const std::string &url, Target *target, std::string *error)
{
    const std::string scheme = "ws://";
    if (url.compare(0, scheme.size(), scheme) != 0) {
        *error = "only ws:// URLs: " + url;
        return false;
    }
    std::string rest = url.substr(scheme.size());
    const std::size_t slash = rest.find('/');
    std::string authority = rest.substr(0, slash);
    target->path = slash == std::string::npos ? std::string() : rest.substr(slash);
    std::string host;
    std::string port = "80";
    if (!authority.empty() && authority[0] == '[') {
        const std::size_t close = authority.find(']');
        if (close == std::string::npos) {
            *error = "bad IPv6 address in " + url;
            return false;
        }
        host = authority.substr(1, close - 1);
        if (close + 1 < authority.size() && authority[close + 1] == ':')
            port = authority.substr(close + 2);
    } else {
        const std::size_t colon = authority.rfind(':');
        host = authority.substr(0, colon);
        if (colon != std::string::npos)
            port = authority.substr(colon + 1);
    }
    char *end = nullptr;
    const long portNumber = std::strtol(port.c_str(), &end, 10);
    if (port.empty() || *end != '\0' || portNumber < 1 || portNumber > 65535) {
        *error = "bad port in " + url;
        return false;
    }
    if (host == "localhost")
        host = "127.0.0.1";
    sockaddr_in v4{};
    sockaddr_in6 v6{};
    if (inet_pton(AF_INET, host.c_str(), &v4.sin_addr) == 1) {
        if ((ntohl(v4.sin_addr.s_addr) >> 24) != 127) {
            *error = "refusing " + host + ": the load generator only talks to loopback (127.0.0.0/8, ::1)";
            return false;
        }
        v4.sin_family = AF_INET;
        v4.sin_port = htons(std::uint16_t(portNumber));
        std::memcpy(&target->address, &v4, sizeof v4);
        target->addressLength = sizeof v4;
        target->hostHeader = host + ":" + port;
    } else if (inet_pton(AF_INET6, host.c_str(), &v6.sin6_addr) == 1) {
        if (!IN6_IS_ADDR_LOOPBACK(&v6.sin6_addr)) {
            *error = "refusing " + host + ": the load generator only talks to loopback (127.0.0.0/8, ::1)";
            return false;
        }
        v6.sin6_family = AF_INET6;
        v6.sin6_port = htons(std::uint16_t(portNumber));
        std::memcpy(&target->address, &v6, sizeof v6);
        target->addressLength = sizeof v6;
        target->hostHeader = "[" + host + "]:" + port;
    } else {
        *error = "refusing host '" + host + "': give a loopback address (127.0.0.0/8, ::1) or localhost";
        return false;
    }
    return true;
}

enum class State { NotStarted, Connecting, Handshake, Open, Closing, Closed };
enum class Role { Echo, Receiver, Sender, Idle };

struct Conn {
    int fd = -1;
    State state = State::NotStarted;
    Role role = Role::Idle;
    int target = 0;
    std::string path;
    std::string key;
    std::string out; // bytes not yet written
    std::size_t outOffset = 0;
    std::string in;  // bytes read but not yet parsed (partial head or frame)
    std::string fragments;
    int fragmentOpcode = 0;
    bool fragmentsCompressed = false;
    bool deflate = false; // the server agreed to permessage-deflate
    bool writeArmed = false;
    bool flushQueued = false;   // in m_flushQueue: written at the end of the loop turn
    std::uint64_t deadline = 0; // connect + handshake must finish before this
    bool inFlight = false;      // echo: a message is waiting for its echo
};

struct Options {
    std::string scenario;
    std::string url;
    std::string url2;
    std::string path;
    std::string room = "bench";
    int connections = 100;
    int receivers = 1000;
    std::size_t payload = 32;
    double seconds = 10;
    double warmup = 1;
    double rate = 1000;
    double hold = 120;
    double connectTimeout = 120;
    double settle = 0.5;
    int concurrency = 32; // Qt's listen backlog is 50: more connects in flight overflow it (SYN retries, 1 s stalls)
    bool binary = false;
    bool deflate = false; // offer permessage-deflate (no context takeover); payloads become compressible JSON
    std::size_t reservoir = 1000000;
};

volatile std::sig_atomic_t g_stop = 0;

void onSignal(int)
{
    g_stop = 1;
}

class LoadGen
{
public:
    explicit LoadGen(Options options) : m_options(std::move(options)), m_rng{0x9E3779B97F4A7C15ull ^ nowNs()},
                                        m_samples(m_options.reservoir, nowNs() | 1)
    {
        m_readBuffer.resize(256 * 1024);
    }

    int run();

private:
    bool addTarget(const std::string &url);
    void startConnect(std::size_t index);
    void onConnected(std::size_t index);
    void onReadable(std::size_t index);
    // A recv() result (bytes in data, 0 for EOF, or -errno) for connection index.
    void onReceived(std::size_t index, const char *data, ssize_t result);
    void receiveBatched(const std::vector<std::size_t> &readable);
    void queueFlush(std::size_t index);
    void flushQueued();
    void onSent(std::size_t index, int result);
    bool parseHandshake(std::size_t index);
    std::size_t parseFrames(std::size_t index, const char *data, std::size_t length);
    void onFrame(std::size_t index, bool fin, bool compressed, int opcode, const char *payload, std::size_t length);
    void onCompleteMessage(std::size_t index, int opcode, bool compressed, const char *payload, std::size_t length);
    void onMessage(std::size_t index, int opcode, const char *payload, std::size_t length);
    void sendFrame(std::size_t index, int opcode, const char *payload, std::size_t length);
    void flush(std::size_t index);
    void setWriteInterest(std::size_t index, bool armed);
    void fail(std::size_t index, const char *what, const std::string &detail = std::string());
    void closeFd(std::size_t index, bool abortive);
    void pumpConnects();
    void checkDeadlines(std::uint64_t now);
    void loop(std::uint64_t until, bool (LoadGen::*done)() const, int timeoutMs);
    bool connectPhaseOver() const { return m_nextConnect >= m_conns.size() && m_connecting == 0; }
    bool echoDrained() const { return m_echoInFlight == 0; }
    bool fanoutDrained() const;
    bool allClosed() const { return m_liveFds == 0; }
    bool never() const { return false; }
    void sendEcho(std::size_t index, std::uint64_t now);
    void sendFanout(std::uint64_t now);
    std::string makePayload(std::uint64_t timestamp, std::uint64_t seq) const;
    void closeAll();
    void printResult(const std::string &extra);

    Options m_options;
    Rng m_rng;
    Reservoir m_samples;
    std::vector<Target> m_targets;
    std::vector<Conn> m_conns;
    std::vector<char> m_readBuffer;
    std::string m_inflated; // the last compressed message, inflated
    int m_epoll = -1;
    // io_uring batches (LOADGEN_IO_URING=0 or no io_uring: one system call per recv and send)
    loadgen::IoBatch m_io;
    bool m_batched = false;
    static constexpr std::size_t kRecvSlot = 64 * 1024;
    std::vector<char> m_recvSlots; // one buffer per batch entry
    std::vector<std::size_t> m_readable;
    std::vector<std::size_t> m_flushQueue;
    std::vector<std::size_t> m_flushing;
    std::size_t m_nextConnect = 0;
    int m_connecting = 0;
    int m_liveFds = 0;
    int m_open = 0;
    int m_maxOpen = 0;
    // failures and closes
    int m_connectFailed = 0;
    int m_handshakeFailed = 0;
    int m_droppedOpen = 0; // open connections lost before the end (EOF, reset, close frame)
    std::map<int, int> m_closeCodes;
    std::string m_firstError;
    // measurement window
    std::uint64_t m_windowStart = 0;
    std::uint64_t m_windowEnd = 0;
    bool m_sending = false;
    // echo
    std::uint64_t m_echoCompleted = 0; // echoes received within the window
    std::uint64_t m_echoTotal = 0;
    std::uint64_t m_echoMismatch = 0;
    int m_echoInFlight = 0;
    // fanout
    std::size_t m_sender = SIZE_MAX;
    std::uint64_t m_fanoutStart = 0;
    std::uint64_t m_sent = 0;
    std::uint64_t m_sentInWindow = 0;
    std::uint64_t m_sendSkipped = 0;
    std::uint64_t m_delivered = 0;         // all deliveries to receivers
    std::uint64_t m_deliveredInWindow = 0; // received within the window
    std::uint64_t m_senderCopies = 0;
    int m_receiversOpen = 0;
    // protocol
    std::uint64_t m_pingsAnswered = 0;
    std::uint64_t m_badFrames = 0;
    std::uint64_t m_bytesIn = 0;
    std::uint64_t m_bytesOut = 0;
    double m_cpuWindowStart = 0;
    double m_cpuWindowEnd = 0;
    double m_connectSeconds = 0;
};

bool LoadGen::addTarget(const std::string &url)
{
    Target target;
    std::string error;
    if (!parseUrl(url, &target, &error)) {
        std::fprintf(stderr, "loadgen: %s\n", error.c_str());
        return false;
    }
    m_targets.push_back(target);
    return true;
}

std::string LoadGen::makePayload(std::uint64_t timestamp, std::uint64_t seq) const
{
    // "<16 hex ns> <8 hex seq> " then filler up to the payload size; ASCII so it is valid UTF-8 text.
    // With --deflate the filler is JSON objects, compressible as a chat or feed message is.
    std::string payload(m_options.payload, 'x');
    if (m_options.deflate) {
        static const char kItem[] = "{\"id\":42,\"user\":\"alice\",\"text\":\"hello there\",\"ok\":true},";
        for (std::size_t i = 0; i < payload.size(); ++i)
            payload[i] = kItem[i % (sizeof kItem - 1)];
    }
    char head[32];
    const int n = std::snprintf(head, sizeof head, "%016llx %08llx ", static_cast<unsigned long long>(timestamp),
                                static_cast<unsigned long long>(seq & 0xffffffffull));
    std::memcpy(&payload[0], head, std::size_t(n));
    return payload;
}

bool readTimestamp(const char *payload, std::size_t length, std::uint64_t *timestamp)
{
    if (length < 16)
        return false;
    std::uint64_t value = 0;
    for (int i = 0; i < 16; ++i) {
        const char c = payload[i];
        int digit;
        if (c >= '0' && c <= '9')
            digit = c - '0';
        else if (c >= 'a' && c <= 'f')
            digit = c - 'a' + 10;
        else
            return false;
        value = (value << 4) | std::uint64_t(digit);
    }
    *timestamp = value;
    return true;
}

void LoadGen::setWriteInterest(std::size_t index, bool armed)
{
    Conn &c = m_conns[index];
    if (c.writeArmed == armed)
        return;
    epoll_event event{};
    event.events = EPOLLIN | (armed ? EPOLLOUT : 0u);
    event.data.u64 = index;
    epoll_ctl(m_epoll, EPOLL_CTL_MOD, c.fd, &event);
    c.writeArmed = armed;
}

void LoadGen::closeFd(std::size_t index, bool abortive)
{
    Conn &c = m_conns[index];
    if (c.fd < 0)
        return;
    if (c.state == State::Connecting || c.state == State::Handshake)
        --m_connecting;
    if (c.state == State::Open || c.state == State::Closing) {
        --m_open;
        if (c.role == Role::Receiver)
            --m_receiversOpen;
    }
    if (c.role == Role::Echo && c.inFlight) {
        c.inFlight = false;
        --m_echoInFlight;
    }
    if (abortive) {
        linger hard{1, 0};
        setsockopt(c.fd, SOL_SOCKET, SO_LINGER, &hard, sizeof hard);
    }
    epoll_ctl(m_epoll, EPOLL_CTL_DEL, c.fd, nullptr);
    ::close(c.fd);
    --m_liveFds;
    c.fd = -1;
    c.state = State::Closed;
    std::string().swap(c.out);
    std::string().swap(c.in);
    std::string().swap(c.fragments);
    c.outOffset = 0;
}

void LoadGen::fail(std::size_t index, const char *what, const std::string &detail)
{
    Conn &c = m_conns[index];
    if (c.state == State::Connecting)
        ++m_connectFailed;
    else if (c.state == State::Handshake)
        ++m_handshakeFailed;
    else if (c.state == State::Open)
        ++m_droppedOpen;
    if (m_firstError.empty())
        m_firstError = std::string(what) + (detail.empty() ? "" : ": " + detail);
    closeFd(index, true);
}

void LoadGen::startConnect(std::size_t index)
{
    Conn &c = m_conns[index];
    const Target &target = m_targets[std::size_t(c.target)];
    c.fd = ::socket(target.address.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c.fd < 0) {
        ++m_connectFailed;
        if (m_firstError.empty())
            m_firstError = std::string("socket: ") + std::strerror(errno);
        c.state = State::Closed;
        return;
    }
    ++m_liveFds;
    const int one = 1;
    setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    c.state = State::Connecting;
    ++m_connecting;
    c.deadline = nowNs() + 10000000000ull; // 10 s for TCP + handshake
    epoll_event event{};
    event.events = EPOLLIN | EPOLLOUT;
    event.data.u64 = index;
    epoll_ctl(m_epoll, EPOLL_CTL_ADD, c.fd, &event);
    c.writeArmed = true;
    const int rc = ::connect(c.fd, reinterpret_cast<const sockaddr *>(&target.address), target.addressLength);
    if (rc == 0)
        onConnected(index);
    else if (errno != EINPROGRESS)
        fail(index, "connect", std::strerror(errno));
}

void LoadGen::onConnected(std::size_t index)
{
    Conn &c = m_conns[index];
    int error = 0;
    socklen_t length = sizeof error;
    getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &error, &length);
    if (error != 0) {
        fail(index, "connect", std::strerror(error));
        return;
    }
    c.state = State::Handshake;
    c.key = makeWebSocketKey(m_rng.next(), m_rng.next());
    const Target &target = m_targets[std::size_t(c.target)];
    c.out = "GET " + c.path + " HTTP/1.1\r\nHost: " + target.hostHeader
            + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " + c.key
            + "\r\nSec-WebSocket-Version: 13\r\nUser-Agent: switchboard_loadgen\r\n"
            + (m_options.deflate ? "Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover; "
                                   "client_no_context_takeover\r\n\r\n"
                                 : "\r\n");
    c.outOffset = 0;
    flush(index);
}

void LoadGen::flush(std::size_t index)
{
    Conn &c = m_conns[index];
    while (c.fd >= 0 && c.outOffset < c.out.size()) {
        const ssize_t n = ::send(c.fd, c.out.data() + c.outOffset, c.out.size() - c.outOffset, MSG_NOSIGNAL);
        if (n > 0) {
            c.outOffset += std::size_t(n);
            m_bytesOut += std::uint64_t(n);
        } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            setWriteInterest(index, true);
            return;
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else {
            fail(index, "send", std::strerror(errno));
            return;
        }
    }
    if (c.fd < 0)
        return;
    c.out.clear();
    c.outOffset = 0;
    setWriteInterest(index, false);
}

void LoadGen::sendFrame(std::size_t index, int opcode, const char *payload, std::size_t length)
{
    Conn &c = m_conns[index];
    if (c.fd < 0)
        return;
    std::string compressed;
    const bool compress = c.deflate && (opcode == 0x1 || opcode == 0x2);
    if (compress) { // every data message, as a client with a threshold of 0 would
        compressed = Deflate::compress(payload, length);
        payload = compressed.data();
        length = compressed.size();
    }
    unsigned char head[14];
    std::size_t n = 0;
    head[n++] = std::uint8_t(0x80 | (compress ? 0x40 : 0) | opcode);
    if (length < 126) {
        head[n++] = std::uint8_t(0x80 | length);
    } else if (length <= 0xffff) {
        head[n++] = 0x80 | 126;
        head[n++] = std::uint8_t(length >> 8);
        head[n++] = std::uint8_t(length);
    } else {
        head[n++] = 0x80 | 127;
        for (int i = 7; i >= 0; --i)
            head[n++] = std::uint8_t(std::uint64_t(length) >> (8 * i));
    }
    const std::uint32_t mask = std::uint32_t(m_rng.next());
    std::memcpy(head + n, &mask, 4);
    n += 4;
    if (c.outOffset > 0 && c.outOffset == c.out.size()) {
        c.out.clear();
        c.outOffset = 0;
    }
    c.out.append(reinterpret_cast<const char *>(head), n);
    const std::size_t base = c.out.size();
    c.out.append(payload, length);
    // Mask eight bytes at a time; the key repeats every four bytes.
    unsigned char *p = reinterpret_cast<unsigned char *>(&c.out[base]);
    const std::uint64_t mask64 = (std::uint64_t(mask) << 32) | mask;
    std::size_t i = 0;
    for (; i + 8 <= length; i += 8) {
        std::uint64_t word;
        std::memcpy(&word, p + i, 8);
        word ^= mask64;
        std::memcpy(p + i, &word, 8);
    }
    const unsigned char *maskBytes = head + n - 4;
    for (; i < length; ++i)
        p[i] ^= maskBytes[i % 4];
    if (c.writeArmed)
        return; // epoll says when the socket takes more
    if (m_batched)
        queueFlush(index);
    else
        flush(index);
}

void LoadGen::queueFlush(std::size_t index)
{
    Conn &c = m_conns[index];
    if (c.flushQueued)
        return;
    c.flushQueued = true;
    m_flushQueue.push_back(index);
}

void LoadGen::flushQueued()
{
    while (!m_flushQueue.empty()) {
        m_flushing.swap(m_flushQueue); // onSent() may queue again (EINTR)
        m_flushQueue.clear();
        for (const std::size_t index : m_flushing) {
            Conn &c = m_conns[index];
            c.flushQueued = false;
            if (c.fd < 0 || c.writeArmed || c.outOffset >= c.out.size())
                continue;
            m_io.addSend(c.fd, c.out.data() + c.outOffset, c.out.size() - c.outOffset, index);
            if (m_io.full())
                m_io.run([this](std::uint64_t tag, int result) { onSent(std::size_t(tag), result); });
        }
        m_io.run([this](std::uint64_t tag, int result) { onSent(std::size_t(tag), result); });
        m_flushing.clear();
    }
}

void LoadGen::onSent(std::size_t index, int result)
{
    Conn &c = m_conns[index];
    if (c.fd < 0)
        return;
    if (result > 0) {
        c.outOffset += std::size_t(result);
        m_bytesOut += std::uint64_t(result);
        if (c.outOffset < c.out.size()) {
            setWriteInterest(index, true); // the kernel took part: the rest when epoll says so
            return;
        }
        c.out.clear();
        c.outOffset = 0;
        setWriteInterest(index, false);
    } else if (result == -EAGAIN || result == -EWOULDBLOCK) {
        setWriteInterest(index, true);
    } else if (result == -EINTR) {
        queueFlush(index);
    } else {
        fail(index, "send", std::strerror(-result));
    }
}

bool LoadGen::parseHandshake(std::size_t index)
{
    Conn &c = m_conns[index];
    const std::size_t end = c.in.find("\r\n\r\n");
    if (end == std::string::npos) {
        if (c.in.size() > 16384)
            fail(index, "handshake", "response head over 16 KiB");
        return false;
    }
    const std::string head = c.in.substr(0, end + 2);
    const std::string statusLine = head.substr(0, head.find("\r\n"));
    if (statusLine.compare(0, 13, "HTTP/1.1 101 ") != 0 && statusLine != "HTTP/1.1 101") {
        fail(index, "handshake", statusLine);
        return false;
    }
    std::string lower = head;
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char ch) { return char(std::tolower(ch)); });
    const std::string name = "\r\nsec-websocket-accept:";
    const std::size_t at = lower.find(name);
    std::string accept;
    if (at != std::string::npos) {
        std::size_t from = at + name.size();
        const std::size_t to = head.find("\r\n", from);
        while (from < to && (head[from] == ' ' || head[from] == '\t'))
            ++from;
        std::size_t last = to;
        while (last > from && (head[last - 1] == ' ' || head[last - 1] == '\t'))
            --last;
        accept = head.substr(from, last - from);
    }
    if (accept != expectedAccept(c.key)) {
        fail(index, "handshake", "wrong Sec-WebSocket-Accept '" + accept + "'");
        return false;
    }
    c.deflate = lower.find("\r\nsec-websocket-extensions: permessage-deflate") != std::string::npos;
    if (m_options.deflate && !c.deflate) {
        fail(index, "handshake", "permessage-deflate was not agreed");
        return false;
    }
    c.in.erase(0, end + 4);
    c.state = State::Open;
    --m_connecting;
    ++m_open;
    m_maxOpen = std::max(m_maxOpen, m_open);
    if (c.role == Role::Receiver)
        ++m_receiversOpen;
    return true;
}

void LoadGen::onReadable(std::size_t index)
{
    const ssize_t n = ::recv(m_conns[index].fd, m_readBuffer.data(), m_readBuffer.size(), 0);
    onReceived(index, m_readBuffer.data(), n < 0 ? -errno : n);
}

void LoadGen::receiveBatched(const std::vector<std::size_t> &readable)
{
    std::size_t chunk[loadgen::IoBatch::kCapacity];
    auto run = [this, &chunk] {
        m_io.run([this, &chunk](std::uint64_t slot, int result) {
            const std::size_t index = chunk[slot];
            if (m_conns[index].fd >= 0) // a callback before may have ended it
                onReceived(index, m_recvSlots.data() + slot * kRecvSlot, result);
        });
    };
    std::size_t used = 0;
    for (const std::size_t index : readable) {
        const Conn &c = m_conns[index];
        if (c.fd < 0)
            continue;
        chunk[used] = index;
        m_io.addRecv(c.fd, m_recvSlots.data() + used * kRecvSlot, kRecvSlot, used);
        if (++used == loadgen::IoBatch::kCapacity) {
            run();
            used = 0;
        }
    }
    run();
}

void LoadGen::onReceived(std::size_t index, const char *data, ssize_t n)
{
    Conn &c = m_conns[index];
    if (n == 0) {
        if (c.state == State::Closing) {
            closeFd(index, false);
            return;
        }
        fail(index, "eof", "server closed the TCP connection");
        return;
    }
    if (n < 0) {
        if (n == -EAGAIN || n == -EWOULDBLOCK || n == -EINTR)
            return;
        if (c.state == State::Closing) {
            closeFd(index, true);
            return;
        }
        fail(index, "recv", std::strerror(int(-n)));
        return;
    }
    m_bytesIn += std::uint64_t(n);
    if (c.state == State::Handshake) {
        c.in.append(data, std::size_t(n));
        if (!parseHandshake(index))
            return;
        if (!c.in.empty()) {
            std::string pending;
            pending.swap(c.in);
            const std::size_t used = parseFrames(index, pending.data(), pending.size());
            if (c.fd >= 0)
                c.in.assign(pending, used, std::string::npos);
        }
        return;
    }
    if (c.in.empty()) {
        // Parse straight from the shared buffer; keep only a partial frame.
        const std::size_t used = parseFrames(index, data, std::size_t(n));
        if (c.fd >= 0 && used < std::size_t(n))
            c.in.assign(data + used, std::size_t(n) - used);
    } else {
        c.in.append(data, std::size_t(n));
        std::string pending;
        pending.swap(c.in);
        const std::size_t used = parseFrames(index, pending.data(), pending.size());
        if (c.fd >= 0) {
            pending.erase(0, used);
            c.in.swap(pending);
        }
    }
}

std::size_t LoadGen::parseFrames(std::size_t index, const char *data, std::size_t length)
{
    std::size_t pos = 0;
    std::string unmasked;
    while (m_conns[index].fd >= 0 && length - pos >= 2) {
        const std::uint8_t b0 = std::uint8_t(data[pos]);
        const std::uint8_t b1 = std::uint8_t(data[pos + 1]);
        std::size_t header = 2;
        std::uint64_t payloadLength = b1 & 0x7f;
        if (payloadLength == 126) {
            if (length - pos < 4)
                break;
            payloadLength = (std::uint64_t(std::uint8_t(data[pos + 2])) << 8) | std::uint8_t(data[pos + 3]);
            header = 4;
        } else if (payloadLength == 127) {
            if (length - pos < 10)
                break;
            payloadLength = 0;
            for (int i = 0; i < 8; ++i)
                payloadLength = (payloadLength << 8) | std::uint8_t(data[pos + 2 + std::size_t(i)]);
            header = 10;
        }
        const bool masked = (b1 & 0x80) != 0;
        if (masked)
            header += 4;
        const bool rsv1Allowed = m_conns[index].deflate;
        if (payloadLength > (64ull << 20) || (b0 & (rsv1Allowed ? 0x30 : 0x70)) != 0) {
            ++m_badFrames;
            fail(index, "protocol", "frame over 64 MiB or with reserved bits");
            return pos;
        }
        if (length - pos < header + payloadLength)
            break;
        const char *payload = data + pos + header;
        if (masked) { // servers must not mask; accept it anyway
            unmasked.assign(payload, std::size_t(payloadLength));
            const char *key = data + pos + header - 4;
            for (std::size_t i = 0; i < unmasked.size(); ++i)
                unmasked[i] = char(unmasked[i] ^ key[i % 4]);
            payload = unmasked.data();
        }
        onFrame(index, (b0 & 0x80) != 0, (b0 & 0x40) != 0, b0 & 0x0f, payload, std::size_t(payloadLength));
        pos += header + std::size_t(payloadLength);
    }
    return pos;
}

void LoadGen::onFrame(std::size_t index, bool fin, bool compressed, int opcode, const char *payload, std::size_t length)
{
    Conn &c = m_conns[index];
    switch (opcode) {
    case 0x9: // ping: answer with the same payload
        ++m_pingsAnswered;
        sendFrame(index, 0xA, payload, length);
        return;
    case 0xA: // pong
        return;
    case 0x8: { // close
        int code = 1005;
        if (length >= 2)
            code = (std::uint8_t(payload[0]) << 8) | std::uint8_t(payload[1]);
        if (c.state == State::Closing) {
            closeFd(index, false);
            return;
        }
        ++m_closeCodes[code];
        ++m_droppedOpen;
        if (m_firstError.empty())
            m_firstError = "server closed with " + std::to_string(code) + " "
                           + std::string(payload + std::min<std::size_t>(2, length), length - std::min<std::size_t>(2, length));
        const char reply[2] = {char(code >> 8), char(code & 0xff)};
        sendFrame(index, 0x8, reply, code == 1005 ? 0 : 2); // best effort; the server closes TCP next
        closeFd(index, false);
        return;
    }
    case 0x0:
        if (c.fragmentOpcode == 0) {
            ++m_badFrames;
            return;
        }
        c.fragments.append(payload, length);
        if (fin) {
            std::string message;
            message.swap(c.fragments);
            const int messageOpcode = c.fragmentOpcode;
            c.fragmentOpcode = 0;
            onCompleteMessage(index, messageOpcode, c.fragmentsCompressed, message.data(), message.size());
        }
        return;
    case 0x1:
    case 0x2:
        if (fin) {
            onCompleteMessage(index, opcode, compressed, payload, length);
        } else {
            c.fragmentOpcode = opcode;
            c.fragmentsCompressed = compressed;
            c.fragments.assign(payload, length);
        }
        return;
    default:
        ++m_badFrames;
        return;
    }
}

void LoadGen::sendEcho(std::size_t index, std::uint64_t now)
{
    Conn &c = m_conns[index];
    const std::string payload = makePayload(now, m_echoTotal);
    if (!c.inFlight) {
        c.inFlight = true;
        ++m_echoInFlight;
    }
    sendFrame(index, m_options.binary ? 0x2 : 0x1, payload.data(), payload.size());
}

void LoadGen::onCompleteMessage(std::size_t index, int opcode, bool compressed, const char *payload, std::size_t length)
{
    if (!compressed)
        return onMessage(index, opcode, payload, length);
    if (!Deflate::inflate(payload, length, &m_inflated)) {
        ++m_badFrames;
        fail(index, "protocol", "a compressed message that does not inflate");
        return;
    }
    onMessage(index, opcode, m_inflated.data(), m_inflated.size());
}

void LoadGen::onMessage(std::size_t index, int opcode, const char *payload, std::size_t length)
{
    Conn &c = m_conns[index];
    const std::uint64_t now = nowNs();
    std::uint64_t sentAt = 0;
    const bool stamped = readTimestamp(payload, length, &sentAt) && sentAt <= now;
    if (c.role == Role::Echo) {
        if (!c.inFlight)
            return;
        c.inFlight = false;
        --m_echoInFlight;
        ++m_echoTotal;
        if (!stamped || length != m_options.payload || opcode != (m_options.binary ? 0x2 : 0x1)) {
            ++m_echoMismatch;
        } else if (now >= m_windowStart && now < m_windowEnd) {
            ++m_echoCompleted;
            m_samples.add(now - sentAt);
        }
        if (m_sending && now < m_windowEnd)
            sendEcho(index, now);
        return;
    }
    if (c.role == Role::Receiver) {
        ++m_delivered;
        if (stamped && now >= m_windowStart && now < m_windowEnd) {
            ++m_deliveredInWindow;
            m_samples.add(now - sentAt);
        }
        return;
    }
    if (c.role == Role::Sender)
        ++m_senderCopies;
}

void LoadGen::sendFanout(std::uint64_t now)
{
    if (m_sender == SIZE_MAX || m_conns[m_sender].state != State::Open)
        return;
    const std::uint64_t due = std::uint64_t(double(now - m_fanoutStart) * m_options.rate / 1e9);
    Conn &sender = m_conns[m_sender];
    while (m_sent < due) {
        if (sender.out.size() - sender.outOffset > (4u << 20)) { // the server stopped reading: do not queue without bound
            m_sendSkipped += due - m_sent;
            m_sent = due;
            return;
        }
        const std::string payload = makePayload(now, m_sent);
        sendFrame(m_sender, m_options.binary ? 0x2 : 0x1, payload.data(), payload.size());
        ++m_sent;
        if (now >= m_windowStart && now < m_windowEnd)
            ++m_sentInWindow;
        if (m_conns[m_sender].fd < 0)
            return;
    }
}

bool LoadGen::fanoutDrained() const
{
    return m_delivered >= m_sent * std::uint64_t(std::max(m_receiversOpen, 0));
}

void LoadGen::pumpConnects()
{
    while (m_connecting < m_options.concurrency && m_nextConnect < m_conns.size())
        startConnect(m_nextConnect++);
}

void LoadGen::checkDeadlines(std::uint64_t now)
{
    for (std::size_t i = 0; i < m_conns.size(); ++i) {
        const Conn &c = m_conns[i];
        if ((c.state == State::Connecting || c.state == State::Handshake) && now > c.deadline)
            fail(i, c.state == State::Connecting ? "connect" : "handshake", "timed out after 10 s");
    }
}

// Runs the event loop until `done` holds, `until` passes or a stop signal arrives.
void LoadGen::loop(std::uint64_t until, bool (LoadGen::*done)() const, int timeoutMs)
{
    epoll_event events[1024];
    std::uint64_t lastDeadlineCheck = nowNs();
    while (!g_stop) {
        std::uint64_t now = nowNs();
        if (now >= until || (this->*done)())
            return;
        if (m_sending && m_sender != SIZE_MAX)
            sendFanout(now);
        if (m_connecting > 0 && now - lastDeadlineCheck > 200000000ull) {
            checkDeadlines(now);
            lastDeadlineCheck = now;
        }
        flushQueued(); // what the last turn and sendFanout() wrote, in batches
        const std::uint64_t left = (until - now) / 1000000ull + 1;
        const int wait = int(std::min<std::uint64_t>(std::uint64_t(timeoutMs), left));
        const int n = epoll_wait(m_epoll, events, 1024, wait);
        if (n < 0 && errno != EINTR) {
            std::perror("loadgen: epoll_wait");
            return;
        }
        for (int i = 0; i < n; ++i) {
            const std::size_t index = std::size_t(events[i].data.u64);
            Conn &c = m_conns[index];
            if (c.fd < 0)
                continue;
            const std::uint32_t ev = events[i].events;
            if (c.state == State::Connecting) {
                if (ev & (EPOLLOUT | EPOLLERR | EPOLLHUP))
                    onConnected(index);
                continue;
            }
            if (c.fd >= 0 && (ev & EPOLLOUT))
                flush(index);
            if (ev & (EPOLLIN | EPOLLERR | EPOLLHUP)) {
                if (m_batched)
                    m_readable.push_back(index);
                else if (c.fd >= 0)
                    onReadable(index);
            }
        }
        if (!m_readable.empty()) {
            receiveBatched(m_readable);
            m_readable.clear();
        }
        if (m_nextConnect < m_conns.size())
            pumpConnects();
    }
}

void LoadGen::closeAll()
{
    // Close politely (close frame 1000, wait up to 2 s for the server's reply), then reset what is left.
    for (std::size_t i = 0; i < m_conns.size(); ++i) {
        Conn &c = m_conns[i];
        if (c.state == State::Open) {
            const char code[2] = {char(1000 >> 8), char(1000 & 0xff)};
            sendFrame(i, 0x8, code, 2);
            if (c.fd >= 0)
                c.state = State::Closing;
        } else if (c.fd >= 0 && c.state != State::Closing) {
            closeFd(i, true);
        }
    }
    const bool stopped = g_stop;
    g_stop = 0;
    loop(nowNs() + 2000000000ull, &LoadGen::allClosed, 50);
    g_stop = stopped;
    for (std::size_t i = 0; i < m_conns.size(); ++i)
        closeFd(i, true);
}

void LoadGen::printResult(const std::string &extra)
{
    m_samples.sort();
    auto us = [](std::uint64_t ns) {
        char text[32];
        std::snprintf(text, sizeof text, "%.1f", double(ns) / 1000.0);
        return std::string(text);
    };
    std::string codes;
    for (const auto &entry : m_closeCodes)
        codes += (codes.empty() ? "" : ",") + std::to_string(entry.first) + ":" + std::to_string(entry.second);
    const double window = double(m_windowEnd - m_windowStart) / 1e9;
    char cpu[128];
    std::snprintf(cpu, sizeof cpu, " loadgen_cpu_s=%.2f loadgen_window_cpu_pct=%.0f connect_s=%.2f", cpuSeconds(),
                  window > 0 ? 100.0 * (m_cpuWindowEnd - m_cpuWindowStart) / window : 0.0, m_connectSeconds);
    std::printf("RESULT scenario=%s%s samples=%llu p50_us=%s p99_us=%s max_us=%s opened=%d connect_failed=%d "
                "handshake_failed=%d dropped=%d close_codes=%s pings=%llu bad_frames=%llu%s\n",
                m_options.scenario.c_str(), extra.c_str(), static_cast<unsigned long long>(m_samples.seen()),
                us(m_samples.percentile(50)).c_str(), us(m_samples.percentile(99)).c_str(), us(m_samples.max()).c_str(),
                m_maxOpen, m_connectFailed, m_handshakeFailed, m_droppedOpen, codes.empty() ? "none" : codes.c_str(),
                static_cast<unsigned long long>(m_pingsAnswered), static_cast<unsigned long long>(m_badFrames), cpu);
    if (!m_firstError.empty())
        std::fprintf(stderr, "loadgen: first error: %s\n", m_firstError.c_str());
    std::fflush(stdout);
}

int LoadGen::run()
{
    if (!addTarget(m_options.url))
        return 2;
    if (!m_options.url2.empty() && !addTarget(m_options.url2))
        return 2;
    m_epoll = epoll_create1(EPOLL_CLOEXEC);
    if (m_epoll < 0) {
        std::perror("loadgen: epoll_create1");
        return 1;
    }
    const char *useRing = std::getenv("LOADGEN_IO_URING");
    m_batched = !(useRing && std::strcmp(useRing, "0") == 0) && m_io.init();
    if (m_batched)
        m_recvSlots.resize(loadgen::IoBatch::kCapacity * kRecvSlot);
    std::fprintf(stderr, "loadgen: %s\n", m_batched ? "recv/send in io_uring batches" : "a system call per recv/send");
    const std::string &scenario = m_options.scenario;
    auto pathFor = [this](int target, const std::string &fallback) {
        if (!m_options.path.empty())
            return m_options.path;
        const std::string &fromUrl = m_targets[std::size_t(target)].path;
        return fromUrl.empty() || fromUrl == "/" ? fallback : fromUrl;
    };
    if (scenario == "echo" || scenario == "idle") {
        m_conns.resize(std::size_t(m_options.connections));
        for (Conn &c : m_conns) {
            c.role = scenario == "echo" ? Role::Echo : Role::Idle;
            c.target = 0;
            c.path = pathFor(0, "/ws");
        }
    } else if (scenario == "fanout") {
        m_conns.resize(std::size_t(m_options.receivers) + 1);
        for (std::size_t i = 0; i < m_conns.size(); ++i) {
            Conn &c = m_conns[i];
            c.role = Role::Receiver;
            c.target = int(i % m_targets.size());
            c.path = pathFor(c.target, "/chat/" + m_options.room);
        }
        // The sender connects last, to the first server, once every receiver is (being) connected.
        m_sender = m_conns.size() - 1;
        m_conns[m_sender].role = Role::Sender;
        m_conns[m_sender].target = 0;
        m_conns[m_sender].path = pathFor(0, "/chat/" + m_options.room);
    } else {
        std::fprintf(stderr, "loadgen: unknown scenario '%s' (echo, fanout, idle)\n", scenario.c_str());
        return 2;
    }

    const std::uint64_t connectStart = nowNs();
    std::fprintf(stderr, "loadgen: %s: opening %zu connections (%d at a time)\n", scenario.c_str(), m_conns.size(),
                 m_options.concurrency);
    pumpConnects();
    loop(connectStart + std::uint64_t(m_options.connectTimeout * 1e9), &LoadGen::connectPhaseOver, 100);
    m_connectSeconds = double(nowNs() - connectStart) / 1e9;
    std::fprintf(stderr, "loadgen: %d open, %d connect failures, %d handshake failures in %.2f s\n", m_open,
                 m_connectFailed, m_handshakeFailed, m_connectSeconds);
    if (g_stop || m_open == 0) {
        closeAll();
        printResult(" error=connect");
        return 1;
    }

    char extra[512];
    if (scenario == "idle") {
        std::printf("READY open=%d\n", m_open);
        std::fflush(stdout);
        const std::uint64_t holdStart = nowNs();
        loop(holdStart + std::uint64_t(m_options.hold * 1e9), &LoadGen::never, 100);
        const int held = m_open;
        g_stop = 0;
        closeAll();
        std::snprintf(extra, sizeof extra, " connections=%d held=%d hold_s=%.1f", m_options.connections, held,
                      double(nowNs() - holdStart) / 1e9);
        printResult(extra);
        return held == m_options.connections ? 0 : 3;
    }

    if (scenario == "fanout") {
        // Let the server(s) settle (room joins, cluster subscriptions) before the first message.
        loop(nowNs() + std::uint64_t(m_options.settle * 1e9), &LoadGen::never, 50);
        if (g_stop) {
            closeAll();
            printResult(" error=interrupted");
            return 1;
        }
    }

    const std::uint64_t start = nowNs();
    m_windowStart = start + std::uint64_t(m_options.warmup * 1e9);
    m_windowEnd = m_windowStart + std::uint64_t(m_options.seconds * 1e9);
    m_sending = true;
    if (scenario == "echo") {
        for (std::size_t i = 0; i < m_conns.size(); ++i)
            if (m_conns[i].state == State::Open)
                sendEcho(i, nowNs());
    } else {
        m_fanoutStart = start;
    }
    // Run to the end of the window, noting CPU time at its start.
    loop(m_windowStart, &LoadGen::never, 1);
    m_cpuWindowStart = cpuSeconds();
    loop(m_windowEnd, &LoadGen::never, scenario == "fanout" ? 1 : 100);
    m_cpuWindowEnd = cpuSeconds();
    m_sending = false;
    const bool interrupted = g_stop;
    // Drain what is in flight (bounded): echoes, or deliveries of messages already sent.
    const std::uint64_t drainStart = nowNs();
    loop(drainStart + 3000000000ull, scenario == "echo" ? &LoadGen::echoDrained : &LoadGen::fanoutDrained, 10);
    const double drainSeconds = double(nowNs() - drainStart) / 1e9;
    const double window = double(m_windowEnd - m_windowStart) / 1e9;
    if (scenario == "echo") {
        std::snprintf(extra, sizeof extra,
                      " connections=%d payload=%zu seconds=%.1f msgs=%llu msgs_per_s=%.0f mismatched=%llu drain_s=%.2f",
                      m_options.connections, m_options.payload, window,
                      static_cast<unsigned long long>(m_echoCompleted), double(m_echoCompleted) / window,
                      static_cast<unsigned long long>(m_echoMismatch), drainSeconds);
    } else {
        const std::uint64_t expected = m_sent * std::uint64_t(std::max(m_receiversOpen, 0));
        std::snprintf(extra, sizeof extra,
                      " receivers=%d servers=%zu rate=%.0f payload=%zu seconds=%.1f sent=%llu sent_per_s=%.0f "
                      "send_skipped=%llu delivered=%llu expected=%llu delivered_in_window=%llu delivered_per_s=%.0f "
                      "sender_copies=%llu drain_s=%.2f",
                      m_options.receivers, m_targets.size(), m_options.rate, m_options.payload, window,
                      static_cast<unsigned long long>(m_sent), double(m_sentInWindow) / window,
                      static_cast<unsigned long long>(m_sendSkipped), static_cast<unsigned long long>(m_delivered),
                      static_cast<unsigned long long>(expected), static_cast<unsigned long long>(m_deliveredInWindow),
                      double(m_deliveredInWindow) / window, static_cast<unsigned long long>(m_senderCopies), drainSeconds);
    }
    closeAll();
    printResult(std::string(extra) + (interrupted ? " error=interrupted" : ""));
    return interrupted ? 1 : 0;
}

void usage()
{
    std::fputs(
        "usage: switchboard_loadgen --url ws://127.0.0.1:PORT --scenario echo|fanout|idle [options]\n"
        "  echo:   --connections N (100) --payload BYTES (32, at least 26) --seconds S (10) --warmup S (1)\n"
        "  fanout: --receivers N (1000) --rate MSGS_PER_S (1000) --room NAME (bench) [--url2 ws://127.0.0.1:PORT2]\n"
        "          receivers alternate between --url and --url2; the sender is on --url; --settle S (0.5)\n"
        "  idle:   --connections N; prints 'READY open=N' once all are open, holds them until SIGUSR1,\n"
        "          SIGTERM or SIGINT, or --hold S (120)\n"
        "  --path /p overrides the route (/ws for echo and idle, /chat/<room> for fanout)\n"
        "  --binary sends binary frames (text by default); --concurrency N connects in flight (32)\n"
        "  --deflate offers permessage-deflate without context takeover (refused: a failed handshake), compresses\n"
        "          every message it sends and sends JSON-like filler instead of 'x'\n"
        "  --connect-timeout S (120) bounds the connect phase; --reservoir N latency samples kept (1000000)\n"
        "Only loopback hosts (127.0.0.0/8, ::1, localhost) are accepted.\n",
        stderr);
}

} // namespace

int main(int argc, char **argv)
{
    Options options;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        auto value = [&](const char *name) -> std::string {
            if (i + 1 >= argc) {
                std::fprintf(stderr, "loadgen: %s needs a value\n", name);
                std::exit(2);
            }
            return argv[++i];
        };
        auto number = [&](const char *name) -> double {
            const std::string text = value(name);
            char *end = nullptr;
            const double v = std::strtod(text.c_str(), &end);
            if (text.empty() || *end != '\0' || !(v >= 0)) {
                std::fprintf(stderr, "loadgen: bad value for %s: %s\n", name, text.c_str());
                std::exit(2);
            }
            return v;
        };
        if (arg == "--scenario")
            options.scenario = value("--scenario");
        else if (arg == "--url")
            options.url = value("--url");
        else if (arg == "--url2")
            options.url2 = value("--url2");
        else if (arg == "--path")
            options.path = value("--path");
        else if (arg == "--room")
            options.room = value("--room");
        else if (arg == "--connections")
            options.connections = int(number("--connections"));
        else if (arg == "--receivers")
            options.receivers = int(number("--receivers"));
        else if (arg == "--payload")
            options.payload = std::size_t(number("--payload"));
        else if (arg == "--seconds")
            options.seconds = number("--seconds");
        else if (arg == "--warmup")
            options.warmup = number("--warmup");
        else if (arg == "--rate")
            options.rate = number("--rate");
        else if (arg == "--hold")
            options.hold = number("--hold");
        else if (arg == "--settle")
            options.settle = number("--settle");
        else if (arg == "--connect-timeout")
            options.connectTimeout = number("--connect-timeout");
        else if (arg == "--concurrency")
            options.concurrency = std::max(1, int(number("--concurrency")));
        else if (arg == "--reservoir")
            options.reservoir = std::max<std::size_t>(1000, std::size_t(number("--reservoir")));
        else if (arg == "--binary")
            options.binary = true;
        else if (arg == "--deflate")
            options.deflate = true;
        else if (arg == "--help" || arg == "-h") {
            usage();
            return 0;
        } else {
            std::fprintf(stderr, "loadgen: unknown argument %s\n", arg.c_str());
            usage();
            return 2;
        }
    }
    if (options.scenario.empty() || options.url.empty()) {
        usage();
        return 2;
    }
    if (options.payload < 26 || options.payload > (16u << 20)) {
        std::fprintf(stderr, "loadgen: --payload must be 26 bytes .. 16 MiB\n");
        return 2;
    }
    if (options.connections < 1 || options.receivers < 1 || options.connections > 60000 || options.receivers > 60000) {
        std::fprintf(stderr, "loadgen: --connections/--receivers must be 1..60000\n");
        return 2;
    }
    struct sigaction action {};
    action.sa_handler = onSignal;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, nullptr);
    sigaction(SIGTERM, &action, nullptr);
    sigaction(SIGUSR1, &action, nullptr);
    std::signal(SIGPIPE, SIG_IGN);
    rlimit files{};
    if (getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
        files.rlim_cur = files.rlim_max; // the script raises the hard limit where it can; take all of it
        setrlimit(RLIMIT_NOFILE, &files);
    }
    LoadGen generator(options);
    return generator.run();
}
