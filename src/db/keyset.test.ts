import { describe, expect, it } from 'vitest';
import { orderOf } from './keyset.js';

describe('orderOf', () => {
  it('sorts by name on the searchable column, as text', () => {
    expect(orderOf('name')).toEqual({ column: 'name_search', descending: false, kind: 'text' });
    expect(orderOf('-name')).toEqual({ column: 'name_search', descending: true, kind: 'text' });
  });

  it('sorts by creation on created_at, as a timestamp', () => {
    expect(orderOf('createdAt')).toEqual({ column: 'created_at', descending: false, kind: 'timestamp' });
    expect(orderOf('-createdAt')).toEqual({ column: 'created_at', descending: true, kind: 'timestamp' });
  });
});
