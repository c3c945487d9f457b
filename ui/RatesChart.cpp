#include "RatesChart.h"

#include "model/TrafficRates.h"

#include <QPainter>
#include <QPainterPath>
#include <algorithm>
#include <cmath>

namespace {

// The smallest of 1, 2, 5 x 10^n at or above value: axis maxima that read well.
double niceCeiling(double value)
{
    if (value <= 1)
        return 1;
    const double magnitude = std::pow(10.0, std::floor(std::log10(value)));
    for (double step : {1.0, 2.0, 5.0, 10.0}) {
        if (step * magnitude >= value)
            return step * magnitude;
    }
    return 10 * magnitude;
}

QString compact(double value)
{
    if (value >= 10000)
        return QStringLiteral("%1k").arg(value / 1000.0, 0, 'f', 0);
    if (value >= 1000)
        return QStringLiteral("%1k").arg(value / 1000.0, 0, 'f', 1);
    // Whole numbers from 1 up; a decimal only for the trickle below one a second.
    return QString::number(value, 'f', value > 0 && value < 1 ? 1 : 0);
}

} // namespace

RatesChart::RatesChart(const TrafficRates &rates, QWidget *parent) : QWidget(parent), m_rates(rates)
{
    setObjectName(QStringLiteral("ratesChart"));
    setAttribute(Qt::WA_OpaquePaintEvent);
    setToolTip(tr("Open clients and messages per second over the last %1 s").arg(TrafficRates::kHistorySeconds));
}

QSize RatesChart::sizeHint() const
{
    return {250, 190};
}

QSize RatesChart::minimumSizeHint() const
{
    return {160, 110};
}

double RatesChart::valueOf(int sampleIndex, Series series) const
{
    const RateSample &sample = m_rates.at(sampleIndex);
    switch (series) {
    case Series::Clients: return sample.clients;
    case Series::MessagesIn: return sample.messagesInPerSecond;
    case Series::MessagesOut: return sample.messagesOutPerSecond;
    }
    return 0;
}

QColor RatesChart::colorOf(Series series) const
{
    switch (series) {
    case Series::Clients: return QColor(0x8e, 0x4e, 0xc6);
    case Series::MessagesIn: return QColor(0x2f, 0x6f, 0xc0);
    case Series::MessagesOut: return QColor(0x2e, 0x8b, 0x57);
    }
    return palette().color(QPalette::Text);
}

void RatesChart::paintEvent(QPaintEvent *)
{
    QPainter painter(this);
    painter.fillRect(rect(), palette().color(QPalette::Window));
    painter.setRenderHint(QPainter::Antialiasing);

    const RateSample latest = m_rates.latest();
    const QRect area = rect().adjusted(4, 4, -4, -4);
    const int gap = 6;
    const int half = (area.height() - gap) / 2;
    const QRect top(area.left(), area.top(), area.width(), half);
    const QRect bottom(area.left(), top.bottom() + 1 + gap, area.width(), area.height() - half - gap);

    paintPlot(painter, top, tr("Clients"), {{QString::number(latest.clients), colorOf(Series::Clients)}},
              niceCeiling(m_rates.peakClients()), {Series::Clients});
    double peakRate = 0;
    for (int i = 0; i < m_rates.size(); ++i)
        peakRate = std::max({peakRate, valueOf(i, Series::MessagesIn), valueOf(i, Series::MessagesOut)});
    paintPlot(painter, bottom, tr("Messages/s"),
              {{tr("in %1").arg(compact(latest.messagesInPerSecond)), colorOf(Series::MessagesIn)},
               {tr("out %1").arg(compact(latest.messagesOutPerSecond)), colorOf(Series::MessagesOut)}},
              niceCeiling(peakRate), {Series::MessagesIn, Series::MessagesOut});
}

void RatesChart::paintPlot(QPainter &painter, const QRect &area, const QString &title, const Legend &legend,
                           double maximum, const QVector<Series> &series)
{
    painter.save();
    painter.setPen(palette().color(QPalette::Mid));
    painter.setBrush(palette().color(QPalette::Base));
    painter.drawRoundedRect(QRectF(area).adjusted(0.5, 0.5, -0.5, -0.5), 3, 3);

    const QFontMetrics metrics(font());
    const int textHeight = metrics.height();
    const QRect plot = area.adjusted(6, textHeight + 4, -6, -4);

    // Title and the current value on the first line; the axis maximum on the right.
    painter.setPen(palette().color(QPalette::Text));
    QFont bold = font();
    bold.setBold(true);
    painter.setFont(bold);
    const QRect titleRect(area.left() + 6, area.top() + 2, area.width() - 12, textHeight);
    painter.drawText(titleRect, Qt::AlignLeft | Qt::AlignVCenter, title);
    int x = titleRect.left() + QFontMetrics(bold).horizontalAdvance(title) + 8;
    for (const auto &entry : legend) {
        painter.setPen(entry.second);
        painter.drawText(QRect(x, titleRect.top(), titleRect.right() - x, textHeight), Qt::AlignLeft | Qt::AlignVCenter,
                         entry.first);
        x += QFontMetrics(bold).horizontalAdvance(entry.first) + 8;
    }
    painter.setFont(font());
    painter.setPen(palette().color(QPalette::PlaceholderText));
    const QString scale = tr("max %1").arg(compact(maximum));
    if (x + metrics.horizontalAdvance(scale) <= titleRect.right()) // only where the legend leaves room
        painter.drawText(titleRect, Qt::AlignRight | Qt::AlignVCenter, scale);

    // Grid: a quarter lines, dotted.
    QPen grid(palette().color(QPalette::Midlight));
    grid.setStyle(Qt::DotLine);
    painter.setPen(grid);
    for (int i = 1; i < 4; ++i) {
        const int y = plot.top() + plot.height() * i / 4;
        painter.drawLine(plot.left(), y, plot.right(), y);
    }

    const int count = m_rates.size();
    if (count >= 2 && plot.width() > 2 && plot.height() > 2) {
        // The newest sample sits at the right edge; one step per second.
        const double step = static_cast<double>(plot.width()) / (m_rates.capacity() - 1);
        painter.setClipRect(plot.adjusted(-1, -1, 1, 1));
        for (Series s : series) {
            QPainterPath line;
            for (int i = 0; i < count; ++i) {
                const double x = plot.right() - (count - 1 - i) * step;
                const double y = plot.bottom() - valueOf(i, s) / maximum * plot.height();
                if (i == 0)
                    line.moveTo(x, y);
                else
                    line.lineTo(x, y);
            }
            QColor fill = colorOf(s);
            fill.setAlpha(series.size() == 1 ? 50 : 30);
            QPainterPath filled = line;
            filled.lineTo(plot.right(), plot.bottom());
            filled.lineTo(plot.right() - (count - 1) * step, plot.bottom());
            filled.closeSubpath();
            painter.fillPath(filled, fill);
            painter.setPen(QPen(colorOf(s), 1.6));
            painter.setBrush(Qt::NoBrush);
            painter.drawPath(line);
        }
    } else {
        painter.setPen(palette().color(QPalette::PlaceholderText));
        painter.drawText(plot, Qt::AlignCenter, tr("collecting…"));
    }
    painter.restore();
}
