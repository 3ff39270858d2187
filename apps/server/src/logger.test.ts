import { describe, expect, it } from 'vitest';
import { redactUrl } from './logger.ts';

describe('request URLs in the log', () => {
  it('keep no phone numbers: search and check parameters and a do-not-call entry in the path', () => {
    expect(redactUrl('/api/v1/projects/P/contacts?page=2&q=13695409632&pageSize=5')).toBe(
      '/api/v1/projects/P/contacts?page=2&q=[redacted]&pageSize=5',
    );
    expect(redactUrl('/api/v1/dnc/check?phone=%2B8613800000000&project=P')).toBe(
      '/api/v1/dnc/check?phone=[redacted]&project=P',
    );
    expect(redactUrl('/api/v1/dnc/lists/abc/entries/%2B8613800000000')).toBe(
      '/api/v1/dnc/lists/abc/entries/[redacted]',
    );
    expect(redactUrl('/api/v1/projects?page=1')).toBe('/api/v1/projects?page=1');
  });
});
