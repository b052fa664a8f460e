import { UsageError } from './args.ts';

/** One data row of a CSV file: its cells and the 1-based line it starts on. */
export interface CsvRow {
  line: number;
  cells: string[];
}

/**
 * Parses CSV text (RFC 4180: comma-separated, `"` quotes a cell, `""` inside quotes is a quote,
 * quoted cells may span lines; `\r\n` or `\n`). Answers the header and the data rows; blank lines
 * are skipped. A row whose cell count differs from the header's, or an unclosed quote, is a
 * UsageError naming `file:line`.
 */
export function parseCsv(text: string, file: string): { header: string[]; rows: CsvRow[] } {
  const rows: CsvRow[] = [];
  let cells: string[] = [];
  let cell = '';
  let quoted = false;
  let line = 1;
  let rowLine = 1;
  let rowHasContent = false;
  const endRow = () => {
    cells.push(cell);
    if (rowHasContent || cells.length > 1 || cell !== '') rows.push({ line: rowLine, cells });
    cells = [];
    cell = '';
    rowHasContent = false;
  };
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  for (let i = 0; i < body.length; i++) {
    const ch = body[i]!;
    if (quoted) {
      if (ch === '"') {
        if (body[i + 1] === '"') {
          cell += '"';
          i++;
        } else quoted = false;
      } else {
        if (ch === '\n') line++;
        cell += ch;
      }
      continue;
    }
    if (ch === '"' && cell === '') {
      quoted = true;
      rowHasContent = true;
    } else if (ch === ',') {
      cells.push(cell);
      cell = '';
      rowHasContent = true;
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && body[i + 1] === '\n') i++;
      endRow();
      line++;
      rowLine = line;
    } else cell += ch;
  }
  if (quoted)
    throw new UsageError(`${file}:${rowLine} opens a quoted cell that never closes; close it with ".`);
  endRow();
  const [first, ...data] = rows;
  if (!first)
    throw new UsageError(`${file} is empty; give a header row of column names, then one row per sample.`);
  const header = first.cells.map((c) => c.trim());
  for (const r of data) {
    if (r.cells.length !== header.length) {
      throw new UsageError(
        `${file}:${r.line} has ${r.cells.length} cells but the header has ${header.length}; give one cell per column (quote cells that hold commas).`,
      );
    }
  }
  return { header, rows: data };
}
