#pragma once

class QTableView;

// Sets a table up for rows that arrive in batches at high rates: fixed row heights and
// interactive fixed column widths, so no batch ever makes the view measure its contents.
void configureLiveTable(QTableView *view);
