export { parseContactFile, type ImportSpec, type ParsedContact, type ParsedHeader, type RowOutcome } from './parse.ts';
export { ImportFileError, type ImportFileErrorCode } from './errors.ts';
export { resolveMapping, normalizeHeader, FIXED_FIELDS } from './mapping.ts';
export { sniffEncoding, type Encoding } from './source.ts';
export { sniffDelimiter, cellText } from './readers.ts';
