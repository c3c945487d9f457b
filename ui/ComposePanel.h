#pragma once

#include "server/OperatorCommand.h"

#include <QList>
#include <QStringList>
#include <QVector>
#include <QWidget>

class PayloadEditor;
class QCheckBox;
class QComboBox;
class QLabel;
class QPlainTextEdit;
class QPushButton;
class QSettings;
class QToolButton;

// Writes a message and sends it: text (multi-line) or binary from hex, base64 or a file; to the
// selected clients, a room, a route or everyone. Ctrl+Enter sends and clears the editor (unless
// "Keep after send"); Ctrl+Up / Ctrl+Down and the "Recent" menu recall earlier messages. Text
// larger than the editor takes is held whole and sent as is. It only builds the command: the main
// window sends it.
class ComposePanel : public QWidget
{
    Q_OBJECT
public:
    enum class Format { Text, Json, Hex, Base64, File };
    // ClientAsUpstream, UpstreamAsClient: proxied clients only (inject); HeldMessage: the held
    // message being edited, which Send forwards.
    enum class Target { SelectedClients, Room, Route, Everyone, ClientAsUpstream, UpstreamAsClient, HeldMessage };
    static constexpr int kMaxRecent = 20;
    static constexpr qint64 kMaxFileBytes = 16 * 1024 * 1024;

    explicit ComposePanel(QWidget *parent = nullptr);

    QPlainTextEdit *editor() const;
    QPushButton *sendButton() const { return m_send; }

    void setSelectedClientIds(const QList<quint64> &ids);
    // Whether every selected client is on a proxy route: the inject targets are offered then.
    void setSelectionProxied(bool proxied);
    // Puts a held message in the editor with the target "held message N": Send forwards the edit
    // (then the target goes back to what it was).
    void editHeld(quint64 clientId, quint64 heldId, int direction, const QByteArray &payload, bool binary);
    void setRoomsAndRoutes(const QStringList &rooms, const QStringList &routes);
    void setTarget(Target target, const QString &name = {});
    Target target() const;
    void setFormat(Format format);
    Format format() const;
    // Fills the editor: text as is, binary as hex.
    void setMessage(const QByteArray &payload, bool binary);
    // Loads a file as the binary payload; false (with the reason shown) when it cannot be read.
    bool loadFile(const QString &path);
    void focusEditor();

    // Why the current input cannot be sent, or an empty string when it can.
    QString problem() const;
    QStringList recentMessages() const; // newest first, as shown in the Recent menu
    // Text too large to edit (pasted or recalled) that Send sends whole; empty when none.
    qsizetype heldTextSize() const { return m_held.size(); }
    void setKeepAfterSend(bool keep);

    void saveSettings(QSettings &settings) const;
    void restoreSettings(const QSettings &settings);

public Q_SLOTS:
    // Sends what is composed; returns false (and says why) when the input is not sendable.
    bool send();

Q_SIGNALS:
    void sendToClients(const QList<quint64> &clientIds, const QByteArray &payload, bool binary);
    void broadcast(const BroadcastTarget &target, const QByteArray &payload, bool binary);
    void inject(const QList<quint64> &clientIds, bool toUpstream, const QByteArray &payload, bool binary);
    void forwardEdited(quint64 clientId, quint64 heldId, const QByteArray &payload, bool binary);

protected:
    bool eventFilter(QObject *watched, QEvent *event) override;

private:
    struct Recent
    {
        Format format = Format::Text;
        QString text;
    };

    bool payload(QByteArray *out, bool *binary, QString *error) const;
    void chooseFile();
    void remember();
    void recall(int index);
    void rebuildRecentMenu();
    void updateState();
    void holdText(const QString &text);
    void heldTextConverted(const QByteArray &utf8, bool json);
    void dropHeldText();
    QString inputText() const;
    void setTargetOffered(Target target, const QString &text, bool offered);
    void endHeldEdit();

    PayloadEditor *m_editor;
    QCheckBox *m_keep;
    QLabel *m_heldLabel;
    QPushButton *m_dropHeld;
    QString m_held; // text past PayloadEditor::kMaxEditChars: shown elided, sent whole
    QByteArray m_heldUtf8; // made on a pool thread
    bool m_heldReady = true;      // m_heldUtf8 (and m_heldJson) are m_held's
    bool m_heldJson = false;
    bool m_sendWhenReady = false; // Send was pressed while converting
    quint64 m_heldGeneration = 0; // which holdText() a conversion belongs to
    QComboBox *m_format;
    QPushButton *m_chooseFile;
    QLabel *m_fileLabel;
    QComboBox *m_target;
    QComboBox *m_targetName;
    QLabel *m_status;
    QPushButton *m_send;
    QToolButton *m_recentButton;
    QList<quint64> m_selectedIds;
    QStringList m_rooms;
    QStringList m_routes;
    QString m_filePath;
    QByteArray m_fileData;
    QString m_fileError;
    QVector<Recent> m_recent; // newest first
    int m_recallIndex = -1;   // position while stepping with Ctrl+Up / Ctrl+Down
    struct HeldEdit
    {
        quint64 clientId = 0;
        quint64 heldId = 0;
        int targetBefore = 0; // the target index to go back to
    };
    HeldEdit m_heldEdit; // heldId 0: not editing a held message
};
