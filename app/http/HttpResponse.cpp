#include "HttpResponse.h"

HttpResponse HttpResponse::text(int status, const QByteArray &body)
{
    HttpResponse response;
    response.status = status;
    response.body = body.endsWith('\n') ? body : body + '\n';
    return response;
}

HttpResponse HttpResponse::json(int status, const QByteArray &body)
{
    HttpResponse response;
    response.status = status;
    response.contentType = "application/json";
    response.body = body;
    return response;
}

QByteArray HttpResponse::reasonPhrase(int status)
{
    switch (status) {
    case 200: return "OK";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 411: return "Length Required";
    case 413: return "Payload Too Large";
    case 422: return "Unprocessable Entity";
    case 426: return "Upgrade Required";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    default: return "Unknown";
    }
}

QByteArray HttpResponse::serialize(bool headOnly) const
{
    QByteArray out;
    out.reserve(256 + (headOnly ? 0 : body.size()));
    out += "HTTP/1.1 " + QByteArray::number(status) + ' ' + reasonPhrase(status) + "\r\n";
    out += "Server: Switchboard\r\n";
    out += "Content-Type: " + contentType + "\r\n";
    out += "Content-Length: " + QByteArray::number(body.size()) + "\r\n";
    appendCommonHeaders(out);
    if (!headOnly)
        out += body;
    return out;
}

QByteArray HttpResponse::streamHead() const
{
    QByteArray out = "HTTP/1.1 " + QByteArray::number(status) + ' ' + reasonPhrase(status) + "\r\n";
    out += "Server: Switchboard\r\n";
    out += "Content-Type: " + contentType + "\r\n";
    appendCommonHeaders(out);
    return out;
}

void HttpResponse::appendCommonHeaders(QByteArray &out) const
{
    out += "Cache-Control: no-store\r\n";
    out += "X-Content-Type-Options: nosniff\r\n";
    for (const auto &header : extraHeaders)
        out += header.first + ": " + header.second + "\r\n";
    out += "Connection: close\r\n\r\n";
}
