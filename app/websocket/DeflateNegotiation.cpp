#include "DeflateNegotiation.h"

#include <QList>
#include <QSet>
#include <algorithm>

namespace {

struct Parameter
{
    QByteArray name; // lower-cased
    QByteArray value;
    bool hasValue = false;
};

struct Offer
{
    QByteArray name;
    QList<Parameter> parameters;
    bool malformed = false;
};

// Splits `text` at `separator` outside quoted strings.
QList<QByteArray> splitOutsideQuotes(const QByteArray &text, char separator)
{
    QList<QByteArray> parts;
    QByteArray current;
    bool quoted = false;
    for (qsizetype i = 0; i < text.size(); ++i) {
        const char c = text.at(i);
        if (quoted && c == '\\' && i + 1 < text.size()) {
            current += c;
            current += text.at(++i);
            continue;
        }
        if (c == '"')
            quoted = !quoted;
        if (c == separator && !quoted) {
            parts.append(current);
            current.clear();
        } else {
            current += c;
        }
    }
    parts.append(current);
    return parts;
}

bool isToken(const QByteArray &text)
{
    static const QByteArray separators("()<>@,;:\\\"/[]?={} \t");
    if (text.isEmpty())
        return false;
    return std::all_of(text.begin(), text.end(), [](char c) {
        return c > 0x20 && c < 0x7f && !separators.contains(c);
    });
}

// A value is a token or a quoted string (RFC 6455 §9.1); the quotes and escapes come off.
bool readValue(const QByteArray &raw, QByteArray *value)
{
    if (raw.size() >= 2 && raw.startsWith('"') && raw.endsWith('"')) {
        value->clear();
        for (qsizetype i = 1; i + 1 < raw.size(); ++i) {
            char c = raw.at(i);
            if (c == '\\') {
                if (i + 2 >= raw.size())
                    return false;
                c = raw.at(++i);
            } else if (c == '"') {
                return false;
            }
            value->append(c);
        }
        return isToken(*value);
    }
    *value = raw;
    return isToken(raw);
}

QList<Offer> parseOffers(const QByteArray &header)
{
    QList<Offer> offers;
    for (const QByteArray &element : splitOutsideQuotes(header, ',')) {
        if (element.trimmed().isEmpty())
            continue; // empty list elements are allowed (RFC 9110 §5.6.1)
        const QList<QByteArray> parts = splitOutsideQuotes(element, ';');
        Offer offer;
        offer.name = parts.first().trimmed().toLower();
        offer.malformed = !isToken(offer.name);
        for (qsizetype i = 1; i < parts.size(); ++i) {
            const QByteArray part = parts.at(i).trimmed();
            Parameter parameter;
            const qsizetype equals = part.indexOf('=');
            parameter.name = (equals < 0 ? part : part.left(equals)).trimmed().toLower();
            if (!isToken(parameter.name))
                offer.malformed = true;
            if (equals >= 0) {
                parameter.hasValue = true;
                if (!readValue(part.mid(equals + 1).trimmed(), &parameter.value))
                    offer.malformed = true;
            }
            offer.parameters.append(parameter);
        }
        offers.append(offer);
    }
    return offers;
}

// "a decimal integer value without leading zeroes between 8 to 15, inclusive" (RFC 7692 §7.1.2).
bool readWindowBits(const QByteArray &value, int *bits)
{
    if (value.isEmpty() || value.size() > 2 || value.startsWith('0'))
        return false;
    bool ok = false;
    const int number = value.toInt(&ok);
    if (!ok || number < 8 || number > 15)
        return false;
    *bits = number;
    return true;
}

// One offer against the policy; nullopt declines it.
std::optional<DeflateParameters> accept(const Offer &offer, const DeflatePolicy &policy)
{
    if (offer.malformed)
        return std::nullopt;
    bool serverNoContextTakeover = false;
    bool clientNoContextTakeover = false;
    int serverMaxWindowBits = 0; // 0: not in the offer
    bool clientMaxWindowBitsOffered = false;
    int clientMaxWindowBits = 15;
    QSet<QByteArray> seen;
    for (const Parameter &parameter : offer.parameters) {
        if (seen.contains(parameter.name))
            return std::nullopt; // a parameter given twice (§7)
        seen.insert(parameter.name);
        if (parameter.name == "server_no_context_takeover" || parameter.name == "client_no_context_takeover") {
            if (parameter.hasValue)
                return std::nullopt;
            (parameter.name.startsWith("server") ? serverNoContextTakeover : clientNoContextTakeover) = true;
        } else if (parameter.name == "server_max_window_bits") {
            if (!parameter.hasValue || !readWindowBits(parameter.value, &serverMaxWindowBits))
                return std::nullopt;
        } else if (parameter.name == "client_max_window_bits") {
            // Without a value: the client can limit its window if the answer asks it to.
            if (parameter.hasValue && !readWindowBits(parameter.value, &clientMaxWindowBits))
                return std::nullopt;
            clientMaxWindowBitsOffered = true;
        } else {
            return std::nullopt; // unknown parameter
        }
    }

    DeflateParameters agreed;
    const int ourBits = std::clamp(policy.maxWindowBits, 9, 15);
    if (!policy.contextTakeover) {
        // Both sides reset per message: a shared stream serves every connection on the thread.
        agreed.serverNoContextTakeover = true;
        agreed.clientNoContextTakeover = true;
        agreed.serverMaxWindowBits = serverMaxWindowBits ? serverMaxWindowBits : 15;
        agreed.answerServerMaxWindowBits = serverMaxWindowBits != 0;
        agreed.clientMaxWindowBits = clientMaxWindowBits; // our inflater takes any window up to 15
    } else {
        agreed.serverNoContextTakeover = serverNoContextTakeover;
        agreed.clientNoContextTakeover = clientNoContextTakeover;
        agreed.serverMaxWindowBits = serverMaxWindowBits ? std::min(serverMaxWindowBits, ourBits) : ourBits;
        agreed.answerServerMaxWindowBits = serverMaxWindowBits != 0 || ourBits < 15;
        // The client's window can only be limited when it offered to be (§7.1.2.2).
        if (clientMaxWindowBitsOffered) {
            agreed.clientMaxWindowBits = std::min(clientMaxWindowBits, ourBits);
            agreed.answerClientMaxWindowBits = true;
        }
    }
    // zlib cannot compress raw deflate with a 256-byte window: decline rather than overrun it.
    if (agreed.serverMaxWindowBits < 9)
        return std::nullopt;
    return agreed;
}

} // namespace

QByteArray DeflateParameters::responseHeader() const
{
    QByteArray header = "permessage-deflate";
    if (serverNoContextTakeover)
        header += "; server_no_context_takeover";
    if (clientNoContextTakeover)
        header += "; client_no_context_takeover";
    if (answerServerMaxWindowBits)
        header += "; server_max_window_bits=" + QByteArray::number(serverMaxWindowBits);
    if (answerClientMaxWindowBits)
        header += "; client_max_window_bits=" + QByteArray::number(clientMaxWindowBits);
    return header;
}

namespace DeflateNegotiation {

std::optional<DeflateParameters> negotiate(const QByteArray &extensionsHeader, const DeflatePolicy &policy)
{
    if (!policy.enabled || extensionsHeader.isEmpty())
        return std::nullopt;
    for (const Offer &offer : parseOffers(extensionsHeader)) {
        if (offer.name != "permessage-deflate")
            continue; // another extension: not ours to answer
        if (auto agreed = accept(offer, policy))
            return agreed;
    }
    return std::nullopt;
}

} // namespace DeflateNegotiation
