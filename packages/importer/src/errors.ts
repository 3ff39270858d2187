/**
 * A file that cannot be imported at all (as opposed to a bad row): nothing of it is
 * imported, and the code says why.
 */
export type ImportFileErrorCode =
  | 'file_empty' // no bytes, or nothing but blank lines (no header row)
  | 'no_worksheet' // an XLSX workbook without any worksheet
  | 'file_unreadable' // not an XLSX although named so, corrupt XLSX, a CSV record over 1 MiB (unbalanced quote?)
  | 'unsupported_format' // an extension we do not read (.xls, .numbers…)
  | 'no_phone_column' // no column recognised (or mapped) as the phone number
  | 'mapping_unknown_field' // --map names a field that is neither fixed nor a custom field
  | 'mapping_unknown_column' // --map names a column the file does not have
  | 'duplicate_column' // two columns map to the same field
  | 'required_field_unmapped' // a required custom field has no column
  // XLSX limits (XLSX_LIMITS; the message names the limit):
  | 'unpacked_too_large' // a part unpacks to more bytes than allowed (zip bomb), the cells hold too much text, too many zip entries
  | 'cell_too_large' // one cell (or other XML item) over the character limit
  | 'row_too_large' // one row's cells together over the character limit
  | 'too_many_rows' // a row number beyond the sheet size read (1,048,576)
  | 'sheet_too_wide'; // a cell beyond the columns read (16,384)

export class ImportFileError extends Error {
  constructor(
    readonly code: ImportFileErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'ImportFileError';
  }
}
