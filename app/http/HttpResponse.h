#pragma once

#include <QByteArray>
#include <QList>
#include <QPair>

// A complete HTTP/1.1 answer. Switchboard closes the connection after every plain HTTP answer,
// so a response always carries "Connection: close" and a Content-Length (a stream: no length,
// the body ends when the connection does).
struct HttpResponse
{
    int status = 200;
    QByteArray contentType = "text/plain; charset=utf-8";
    QByteArray body;
    QList<QPair<QByteArray, QByteArray>> extraHeaders;

    static HttpResponse text(int status, const QByteArray &body);
    static HttpResponse json(int status, const QByteArray &body);

    static QByteArray reasonPhrase(int status);
    // The bytes on the wire; a HEAD answer keeps the headers (Content-Length included) but no body.
    QByteArray serialize(bool headOnly = false) const;
    // The head of an answer whose body follows until the connection closes (no Content-Length).
    QByteArray streamHead() const;

private:
    void appendCommonHeaders(QByteArray &out) const;
};
