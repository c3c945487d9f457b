#pragma once

#include "log/LogExporter.h"

#include <QDialog>
#include <functional>

class LogPanel;
class QComboBox;
class QDialogButtonBox;
class QLineEdit;
class QRadioButton;

// Asks what to export (the whole log, the records the filters show, or the selected ones), in
// which format (JSON Lines or CSV) and where. The format follows the file name's extension and
// the other way round, so "log.csv" is CSV whichever was touched last.
class ExportDialog : public QDialog
{
    Q_OBJECT
public:
    enum class Scope { All, Filtered, Selected };

    ExportDialog(int allCount, int filteredCount, int selectedCount, const QString &suggestedPath,
                 QWidget *parent = nullptr);

    using Handler = std::function<void(const QString &path, const LogRecordBatch &records, LogExporter::Format format)>;
    // Opens the (window-modal, self-deleting) dialog over what panel shows, suggesting
    // "<baseName>-<time>.jsonl" in the folder of the last export; accepting it hands the chosen
    // records (payloads shared) to handler.
    static ExportDialog *openFor(const LogPanel &panel, const QString &baseName, QWidget *parent, const Handler &handler);

    Scope scope() const;
    void setScope(Scope scope);
    QString path() const;
    void setPath(const QString &path);
    LogExporter::Format format() const;

private:
    void browse();
    void onFormatChanged();
    void onPathChanged();
    void updateOk();

    int m_counts[3];
    QRadioButton *m_scopes[3];
    QComboBox *m_format;
    QLineEdit *m_path;
    QDialogButtonBox *m_buttons;
};
