export {
  parseContactFile,
  contactFileFormat,
  type ContactFileInput,
  type ImportSpec,
  type ParseResult,
  type ParsedContact,
  type ParsedHeader,
  type RowErrorCode,
  type RowOutcome,
} from './parse.ts';
export { ImportFileError, type ImportFileErrorCode } from './errors.ts';
export { resolveMapping, normalizeHeader, FIXED_FIELDS, type ResolvedMapping } from './mapping.ts';
export { sniffEncoding, decodeText, type Encoding } from './source.ts';
export { sniffDelimiter } from './readers.ts';
export { XLSX_LIMITS, type XlsxLimits, numberText, isDateFormat } from './xlsx.ts';
export { parseContactFileInWorker } from './threaded.ts';
