#pragma once

#include <QColor>
#include <QPair>
#include <QVector>
#include <QWidget>

class TrafficRates;

// Two small live charts painted by hand: open clients, and messages per second in and out, over
// the last minute (one sample a second from TrafficRates). Repaints only when told a sample
// was added, so it costs nothing while the window is idle.
class RatesChart : public QWidget
{
    Q_OBJECT
public:
    explicit RatesChart(const TrafficRates &rates, QWidget *parent = nullptr);

    QSize sizeHint() const override;
    QSize minimumSizeHint() const override;

public Q_SLOTS:
    void sampleAdded() { update(); }

protected:
    void paintEvent(QPaintEvent *event) override;

private:
    enum class Series { Clients, MessagesIn, MessagesOut };
    using Legend = QVector<QPair<QString, QColor>>; // current values, each in its series' colour
    void paintPlot(QPainter &painter, const QRect &area, const QString &title, const Legend &legend,
                   double maximum, const QVector<Series> &series);
    double valueOf(int sampleIndex, Series series) const;
    QColor colorOf(Series series) const;

    const TrafficRates &m_rates;
};
