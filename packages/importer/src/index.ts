export {
  parseContactFile,
  fileFormatOf,
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
export { sniffDelimiter, cellText } from './readers.ts';
export { parseContactFileInWorker } from './threaded.ts';
