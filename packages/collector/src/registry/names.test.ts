import { describe, expect, test } from 'vitest';
import { checkModelName, checkVersion, compareVersions } from './names.ts';

describe('registry names', () => {
  test.each(['digits', 'a', '0-x', 'a'.repeat(64)])('accepts model name %s', (n) => {
    expect(checkModelName(n)).toBe(n);
  });
  test.each(['Digits', '-x', '', 'a'.repeat(65), 'a/b', '../x', 'a_b'])('refuses model name %j', (n) => {
    expect(() => checkModelName(n)).toThrow(expect.objectContaining({ code: 'invalid_name' }));
  });
  test.each(['1.0.0', '0.1.0-rc.1', '2.0.0+build.5', '10.20.30'])('accepts version %s', (v) => {
    expect(checkVersion(v)).toBe(v);
  });
  test.each(['1.0', 'v1.0.0', '01.0.0', '1.0.0-', '../1.0.0', '1.0.0/x'])('refuses version %j', (v) => {
    expect(() => checkVersion(v)).toThrow(expect.objectContaining({ code: 'invalid_name' }));
  });
  test('orders versions as semver does', () => {
    const sorted = [
      '1.10.0',
      '1.2.0',
      '1.0.0-rc.1',
      '1.0.0',
      '1.0.0-alpha',
      '1.0.0-alpha.2',
      '1.0.0-alpha.10',
    ].sort(compareVersions);
    expect(sorted).toEqual([
      '1.0.0-alpha',
      '1.0.0-alpha.2',
      '1.0.0-alpha.10',
      '1.0.0-rc.1',
      '1.0.0',
      '1.2.0',
      '1.10.0',
    ]);
  });
});
