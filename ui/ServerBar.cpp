#include "ServerBar.h"

#include "model/ClientTableModel.h"
#include "model/TrafficRates.h"

#include <QAction>
#include <QEvent>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QRegularExpressionValidator>
#include <QToolButton>
#include <cmath>

namespace {

QString perSecond(double rate)
{
    if (rate >= 10000)
        return QStringLiteral("%1k/s").arg(rate / 1000.0, 0, 'f', 0);
    if (rate >= 1000)
        return QStringLiteral("%1k/s").arg(rate / 1000.0, 0, 'f', 1);
    return QStringLiteral("%1/s").arg(std::lround(rate));
}

QString tile(const QString &captionColor, const QString &caption, const QString &value)
{
    return QStringLiteral("<span style='color:%1'>%2</span>&nbsp;<b>%3</b>")
        .arg(captionColor, caption.toHtmlEscaped(), value.toHtmlEscaped());
}

QLabel *makeTile(const QString &objectName, QWidget *parent)
{
    auto *label = new QLabel(parent);
    label->setObjectName(objectName);
    label->setTextFormat(Qt::RichText);
    return label;
}

} // namespace

ServerBar::ServerBar(QWidget *parent)
    : QWidget(parent), m_stateLabel(new QLabel(this)), m_urlButton(new QPushButton(this)),
      m_errorLabel(new QLabel(this)),
      m_openButton(new QToolButton(this)), m_hostEdit(new QLineEdit(this)), m_portEdit(new QLineEdit(this)), m_exposureLabel(new QLabel(this)),
      m_startStopButton(new QToolButton(this)), m_restartButton(new QToolButton(this)),
      m_addressHint(new QLabel(this)), m_clientsLabel(makeTile(QStringLiteral("clientsTile"), this)),
      m_messagesLabel(makeTile(QStringLiteral("messagesTile"), this)),
      m_bytesLabel(makeTile(QStringLiteral("bytesTile"), this))
{
    setObjectName(QStringLiteral("serverBar"));
    m_stateLabel->setObjectName(QStringLiteral("serverState"));
    m_stateLabel->setTextFormat(Qt::RichText);
    m_stateLabel->setMinimumWidth(fontMetrics().horizontalAdvance(QStringLiteral("● Listening")) + 8);

    m_urlButton->setObjectName(QStringLiteral("serverUrl"));
    m_urlButton->setFlat(true);
    m_urlButton->setCursor(Qt::PointingHandCursor);
    m_urlButton->setToolTip(tr("Click to copy the URL"));
    m_urlButton->setStyleSheet(QStringLiteral("QPushButton { color: palette(link); text-decoration: underline;"
                                              " padding: 2px 4px; border: none; }"));

    m_errorLabel->setObjectName(QStringLiteral("serverError"));
    m_errorLabel->setTextFormat(Qt::PlainText);
    m_errorLabel->setStyleSheet(QStringLiteral("color: #d03a2f;"));
    // An error as long as a paragraph must not push the host, port and buttons off the bar.
    m_errorLabel->setMaximumWidth(fontMetrics().averageCharWidth() * 60);
    // It gives way to the fields when the bar is narrow, re-eliding to the width it gets.
    m_errorLabel->setMinimumWidth(fontMetrics().averageCharWidth() * 24);
    m_errorLabel->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    m_errorLabel->installEventFilter(this);
    m_errorLabel->hide();

    m_hostEdit->setObjectName(QStringLiteral("serverHost"));
    m_hostEdit->setPlaceholderText(QStringLiteral("127.0.0.1"));
    m_hostEdit->setToolTip(tr("Address to listen on: 127.0.0.1 keeps the server on this machine, "
                              "0.0.0.0 opens it to the network. Applied when the server (re)starts."));
    m_hostEdit->setFixedWidth(fontMetrics().horizontalAdvance(QStringLiteral("255.255.255.255")) + 24);
    m_portEdit->setObjectName(QStringLiteral("serverPort"));
    // Digits only, but no range in the validator: 70000 must stay visible and be refused, not
    // lose its last key and quietly become 7000.
    m_portEdit->setValidator(new QRegularExpressionValidator(QRegularExpression(QStringLiteral("[0-9]{0,6}")), m_portEdit));
    m_portEdit->setPlaceholderText(tr("any"));
    m_portEdit->setAlignment(Qt::AlignRight);
    m_portEdit->setFixedWidth(fontMetrics().horizontalAdvance(QStringLiteral("6553500")) + 12);
    m_exposureLabel->setObjectName(QStringLiteral("exposureWarning"));
    m_exposureLabel->setTextFormat(Qt::PlainText);
    m_exposureLabel->setStyleSheet(QStringLiteral("color: #c07810; font-weight: bold;"));
    m_exposureLabel->hide();
    m_addressHint->setObjectName(QStringLiteral("addressHint"));
    m_addressHint->setText(tr("restart to apply"));
    m_addressHint->setStyleSheet(QStringLiteral("color: #c07810;"));
    m_addressHint->hide();

    for (QToolButton *button : {m_openButton, m_startStopButton, m_restartButton})
        button->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);

    auto *layout = new QHBoxLayout(this);
    layout->setContentsMargins(8, 4, 8, 4);
    layout->setSpacing(6);
    layout->addWidget(m_stateLabel);
    layout->addWidget(m_urlButton);
    layout->addWidget(m_errorLabel, 1);
    layout->addWidget(m_exposureLabel);
    layout->addWidget(m_openButton);
    layout->addSpacing(12);
    auto *hostLabel = new QLabel(tr("&Host"), this);
    hostLabel->setBuddy(m_hostEdit);
    layout->addWidget(hostLabel);
    layout->addWidget(m_hostEdit);
    auto *portLabel = new QLabel(tr("&Port"), this);
    portLabel->setBuddy(m_portEdit);
    layout->addWidget(portLabel);
    layout->addWidget(m_portEdit);
    layout->addWidget(m_startStopButton);
    layout->addWidget(m_restartButton);
    layout->addWidget(m_addressHint);
    layout->addStretch(1);
    layout->addWidget(m_clientsLabel);
    layout->addSpacing(10);
    layout->addWidget(m_messagesLabel);
    layout->addSpacing(10);
    layout->addWidget(m_bytesLabel);

    connect(m_hostEdit, &QLineEdit::textEdited, this, &ServerBar::updateAddressHint);
    connect(m_portEdit, &QLineEdit::textChanged, this, [this] {
        updatePortProblem();
        updateAddressHint();
    });
    connect(m_hostEdit, &QLineEdit::returnPressed, this, &ServerBar::addressSubmitted);
    connect(m_portEdit, &QLineEdit::returnPressed, this, &ServerBar::addressSubmitted);

    setState(State::Stopped);
    updatePortProblem();
    showTraffic(0, RateSample());
}

void ServerBar::setActions(QAction *startStop, QAction *restart, QAction *copyUrl, QAction *openInBrowser)
{
    m_startStopButton->setDefaultAction(startStop);
    m_restartButton->setDefaultAction(restart);
    m_openButton->setDefaultAction(openInBrowser);
    connect(m_urlButton, &QPushButton::clicked, copyUrl, &QAction::trigger);
}

QString ServerBar::host() const
{
    const QString host = m_hostEdit->text().trimmed();
    return host.isEmpty() ? m_hostEdit->placeholderText() : host;
}

quint16 ServerBar::port() const
{
    const uint value = m_portEdit->text().toUInt();
    return value <= 65535 ? static_cast<quint16>(value) : 0;
}

QString ServerBar::addressProblem() const
{
    const QString text = m_portEdit->text().trimmed();
    bool ok = true;
    const uint value = text.isEmpty() ? 0 : text.toUInt(&ok);
    if (!ok || value > 65535)
        return tr("Port %1 is out of range: use 1-65535, or empty for any free port").arg(text);
    return {};
}

void ServerBar::updatePortProblem()
{
    const QString problem = addressProblem();
    m_portEdit->setStyleSheet(problem.isEmpty() ? QString() : QStringLiteral("QLineEdit { border: 2px solid #d03a2f; }"));
    m_portEdit->setToolTip(problem.isEmpty() ? tr("Port to listen on; empty (\"any\") picks a free one. Enter applies it.")
                                             : problem);
    // Clears only what it showed: a start error stays until the next start.
    if (!problem.isEmpty() || m_portProblemShown)
        showError(problem);
    m_portProblemShown = !problem.isEmpty();
}

void ServerBar::showError(const QString &error)
{
    m_errorText = error.simplified();
    m_errorLabel->setToolTip(m_errorText);
    m_errorLabel->setVisible(!m_errorText.isEmpty());
    elideError();
}

void ServerBar::elideError()
{
    const int width = m_errorLabel->isVisible() ? m_errorLabel->width() : m_errorLabel->maximumWidth();
    m_errorLabel->setText(m_errorLabel->fontMetrics().elidedText(m_errorText, Qt::ElideRight, width));
}

bool ServerBar::eventFilter(QObject *watched, QEvent *event)
{
    if (watched == m_errorLabel && event->type() == QEvent::Resize)
        elideError(); // the layout gave it another width
    return QWidget::eventFilter(watched, event);
}

void ServerBar::showExposure(const QString &warning, const QStringList &urls)
{
    m_exposureLabel->setText(warning.isEmpty() ? QString() : QStringLiteral("⚠ ") + tr("open to the network"));
    m_exposureLabel->setToolTip(warning.isEmpty() ? QString()
                                                  : warning + QStringLiteral("\n") + urls.join(QLatin1Char('\n')));
    m_exposureLabel->setVisible(!warning.isEmpty());
}

void ServerBar::setAddress(const QString &host, quint16 port)
{
    m_hostEdit->setText(host);
    m_portEdit->setText(port == 0 ? QString() : QString::number(port));
    updateAddressHint();
}

void ServerBar::setWebSocketBackend(const QString &name)
{
    if (m_backend == name)
        return;
    m_backend = name;
    updateStateLabel();
}

void ServerBar::updateStateLabel()
{
    QString color;
    QString text;
    switch (m_state) {
    case State::Stopped: color = QStringLiteral("#888888"); text = tr("Stopped"); break;
    case State::Starting: color = QStringLiteral("#c07810"); text = tr("Starting…"); break;
    case State::Listening:
        color = QStringLiteral("#2e8b57");
        text = m_backend == QLatin1String("native") ? tr("Listening") : tr("Listening · %1 backend").arg(m_backend);
        break;
    case State::Stopping: color = QStringLiteral("#c07810"); text = tr("Stopping…"); break;
    case State::Failed: color = QStringLiteral("#d03a2f"); text = tr("Not running"); break;
    }
    m_stateLabel->setText(QStringLiteral("<span style='color:%1'>●</span> %2").arg(color, text.toHtmlEscaped()));
    m_stateLabel->setToolTip(m_stateDetail.isEmpty() ? tr("WebSocket backend: %1").arg(m_backend) : m_stateDetail);
}

QString ServerBar::stateText() const
{
    return m_stateLabel->text();
}

void ServerBar::setState(State state, const QUrl &url, const QString &detail)
{
    m_state = state;
    m_url = state == State::Listening ? url : QUrl();
    if ((state == State::Listening && detail.isEmpty()) || state == State::Starting) {
        m_runningHost = host();
        m_runningPort = port();
    }
    m_stateDetail = detail;
    updateStateLabel();
    if (state == State::Listening) {
        m_urlButton->setText(url.toString());
        m_urlButton->setEnabled(true);
        m_urlButton->setToolTip(tr("Click to copy %1").arg(url.toString()));
    } else {
        m_urlButton->setText(QString());
        m_urlButton->setEnabled(false);
    }
    m_urlButton->setVisible(!m_urlButton->text().isEmpty());
    // Errors are plain red text, not a link: nothing happens when they are clicked.
    showError(state == State::Failed || state == State::Listening ? detail : QString());
    if (state != State::Listening)
        showExposure({}, {});
    updateAddressHint();
}

void ServerBar::showTraffic(int clients, const RateSample &rates)
{
    const QString grey = palette().color(QPalette::PlaceholderText).name();
    const QString gap = QStringLiteral("&nbsp;&nbsp;");
    m_clientsLabel->setText(tile(grey, tr("Clients"), QString::number(clients)));
    m_messagesLabel->setText(tile(grey, tr("Msgs in"), perSecond(rates.messagesInPerSecond)) + gap
                             + tile(grey, tr("out"), perSecond(rates.messagesOutPerSecond)));
    const auto bytesPerSecond = [](double rate) {
        return ClientTableModel::formatBytes(std::llround(rate)) + QStringLiteral("/s");
    };
    m_bytesLabel->setText(tile(grey, tr("Bytes in"), bytesPerSecond(rates.bytesInPerSecond)) + gap
                          + tile(grey, tr("out"), bytesPerSecond(rates.bytesOutPerSecond)));
}

void ServerBar::updateAddressHint()
{
    const bool running = m_state == State::Listening || m_state == State::Starting;
    m_addressHint->setVisible(running && (host() != m_runningHost || port() != m_runningPort));
}
