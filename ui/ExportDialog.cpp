#include "ExportDialog.h"

#include "LogPanel.h"

#include <QComboBox>
#include <QDateTime>
#include <QDir>
#include <QDialogButtonBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QPushButton>
#include <QRadioButton>
#include <QSettings>
#include <QVBoxLayout>

namespace {

QString extensionFor(LogExporter::Format format)
{
    return format == LogExporter::Format::Csv ? QStringLiteral("csv") : QStringLiteral("jsonl");
}

} // namespace

ExportDialog::ExportDialog(int allCount, int filteredCount, int selectedCount, const QString &suggestedPath,
                           QWidget *parent)
    : QDialog(parent), m_counts{allCount, filteredCount, selectedCount}, m_format(new QComboBox(this)),
      m_path(new QLineEdit(this)), m_buttons(new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this))
{
    setObjectName(QStringLiteral("exportDialog"));
    setWindowTitle(tr("Export Log"));

    const QLocale locale;
    const QString labels[3] = {tr("&Whole log (%1 records)"), tr("&Filtered records (%1 shown)"),
                               tr("&Selected records (%1)")};
    const char *names[3] = {"exportAll", "exportFiltered", "exportSelected"};
    auto *scopeBox = new QVBoxLayout;
    for (int i = 0; i < 3; ++i) {
        m_scopes[i] = new QRadioButton(labels[i].arg(locale.toString(m_counts[i])), this);
        m_scopes[i]->setObjectName(QLatin1String(names[i]));
        m_scopes[i]->setEnabled(m_counts[i] > 0);
        scopeBox->addWidget(m_scopes[i]);
        connect(m_scopes[i], &QRadioButton::toggled, this, &ExportDialog::updateOk);
    }
    // The narrowest non-empty choice is usually what the operator was looking at.
    setScope(selectedCount > 1 ? Scope::Selected : filteredCount < allCount && filteredCount > 0 ? Scope::Filtered : Scope::All);

    m_format->setObjectName(QStringLiteral("exportFormat"));
    m_format->addItem(tr("JSON Lines (.jsonl) — opens in the replay viewer"), int(LogExporter::Format::JsonLines));
    m_format->addItem(tr("CSV (.csv) — for spreadsheets"), int(LogExporter::Format::Csv));
    m_path->setObjectName(QStringLiteral("exportPath"));
    m_path->setMinimumWidth(fontMetrics().horizontalAdvance(QLatin1Char('x')) * 48);
    auto *browse = new QPushButton(tr("&Browse…"), this);
    browse->setObjectName(QStringLiteral("exportBrowse"));
    auto *pathRow = new QHBoxLayout;
    pathRow->addWidget(m_path, 1);
    pathRow->addWidget(browse);

    m_buttons->button(QDialogButtonBox::Ok)->setText(tr("Export"));
    m_buttons->button(QDialogButtonBox::Ok)->setObjectName(QStringLiteral("exportOk"));

    auto *form = new QFormLayout;
    form->addRow(tr("Records"), scopeBox);
    form->addRow(tr("F&ormat"), m_format);
    form->addRow(tr("&File"), pathRow);
    qobject_cast<QLabel *>(form->labelForField(pathRow))->setBuddy(m_path); // so "&File" is a mnemonic
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(m_buttons);

    connect(m_format, &QComboBox::currentIndexChanged, this, &ExportDialog::onFormatChanged);
    connect(m_path, &QLineEdit::textChanged, this, &ExportDialog::onPathChanged);
    connect(browse, &QPushButton::clicked, this, &ExportDialog::browse);
    connect(m_buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(m_buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    setPath(suggestedPath);
}

ExportDialog *ExportDialog::openFor(const LogPanel &panel, const QString &baseName, QWidget *parent, const Handler &handler)
{
    const QString folder = QSettings().value(QStringLiteral("files/exportFolder"), QDir::homePath()).toString();
    const QString suggested = QDir(folder).filePath(
        QStringLiteral("%1-%2.jsonl").arg(baseName, QDateTime::currentDateTime().toString(QStringLiteral("yyyyMMdd-HHmmss"))));
    auto *dialog = new ExportDialog(panel.totalCount(), panel.filteredCount(), panel.selectedCount(), suggested, parent);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    QObject::connect(dialog, &QDialog::accepted, parent, [&panel, dialog, handler] {
        LogRecordBatch records;
        switch (dialog->scope()) {
        case Scope::All: records = panel.allRecords(); break;
        case Scope::Filtered: records = panel.filteredRecords(); break;
        case Scope::Selected: records = panel.selectedRecords(); break;
        }
        QSettings().setValue(QStringLiteral("files/exportFolder"), QFileInfo(dialog->path()).absolutePath());
        handler(dialog->path(), records, dialog->format());
    });
    dialog->open();
    return dialog;
}

ExportDialog::Scope ExportDialog::scope() const
{
    for (int i = 0; i < 3; ++i) {
        if (m_scopes[i]->isChecked())
            return static_cast<Scope>(i);
    }
    return Scope::All;
}

void ExportDialog::setScope(Scope scope)
{
    m_scopes[static_cast<int>(scope)]->setChecked(true);
}

QString ExportDialog::path() const
{
    return m_path->text().trimmed();
}

void ExportDialog::setPath(const QString &path)
{
    m_path->setText(path);
}

LogExporter::Format ExportDialog::format() const
{
    return static_cast<LogExporter::Format>(m_format->currentData().toInt());
}

void ExportDialog::browse()
{
    QString filter = format() == LogExporter::Format::Csv ? tr("CSV (*.csv)") : tr("JSON Lines (*.jsonl)");
    const QString chosen = QFileDialog::getSaveFileName(this, tr("Export Log"), path(),
                                                        tr("JSON Lines (*.jsonl);;CSV (*.csv)"), &filter);
    if (!chosen.isEmpty())
        setPath(chosen);
}

void ExportDialog::onFormatChanged()
{
    // Keep the name, change the extension: "log.jsonl" <-> "log.csv".
    QString current = path();
    if (!current.isEmpty()) {
        const QString suffix = QFileInfo(current).suffix();
        if (!suffix.isEmpty())
            current.chop(suffix.size() + 1);
        const QSignalBlocker blocker(m_path);
        m_path->setText(current + QLatin1Char('.') + extensionFor(format()));
    }
    updateOk();
}

void ExportDialog::onPathChanged()
{
    const LogExporter::Format byName = LogExporter::formatForPath(path());
    if (byName != format()) {
        const QSignalBlocker blocker(m_format);
        m_format->setCurrentIndex(m_format->findData(int(byName)));
    }
    updateOk();
}

void ExportDialog::updateOk()
{
    m_buttons->button(QDialogButtonBox::Ok)->setEnabled(!path().isEmpty() && m_counts[static_cast<int>(scope())] > 0);
}
