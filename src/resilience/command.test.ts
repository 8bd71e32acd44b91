import { describe, expect, it } from 'vitest';
import { AppError } from '../shared/app-error.js';
import { defineCommand, upcastPayload, type Command } from './command.js';
import { WriteError } from './write-errors.js';

const handler = async () => ({ status: 200 as const, body: null, entity: 'note', entityId: 'n1' });

const notesV3 = defineCommand<unknown, null>({
  name: 'notes.create',
  version: 3,
  upcasters: {
    1: (p: { title: string }) => ({ ...p, body: '' }),
    2: (p: { title: string; body: string }) => ({ heading: p.title, body: p.body }),
  },
  handler,
}) as Command<unknown, unknown>;

const thrown = (work: () => unknown): AppError => {
  try {
    work();
  } catch (error) {
    return error as AppError;
  }
  throw new Error('did not throw');
};

describe('upcastPayload', () => {
  it('returns a payload of the current version as it is', () => {
    const payload = { heading: 'a' };
    expect(upcastPayload(notesV3, payload, 3)).toBe(payload);
  });

  it('applies each upcaster in turn, from the journaled version up', () => {
    expect(upcastPayload(notesV3, { title: 'a' }, 1)).toEqual({ heading: 'a', body: '' });
    expect(upcastPayload(notesV3, { title: 'a', body: 'b' }, 2)).toEqual({ heading: 'a', body: 'b' });
  });

  it('refuses a newer version, naming both', () => {
    const error = thrown(() => upcastPayload(notesV3, {}, 4));
    expect(error).toBeInstanceOf(AppError);
    expect(error).toMatchObject({ code: WriteError.REPLAY_VERSION_UNKNOWN, status: 422 });
    expect(error.detail).toBe(
      'This write was accepted by version 4 of notes.create; this robusto runs version 3 of it and cannot read a newer version: run the robusto that accepted it (or a later one), then retry this dead letter.',
    );
    expect(error.cause).toBeUndefined();
  });

  it('refuses a gap in the chain of upcasters', () => {
    const gap = { ...notesV3, upcasters: { 2: notesV3.upcasters![2]! } };
    expect(thrown(() => upcastPayload(gap, {}, 1)).detail).toContain('has no upcaster from version 1 to 2.');
    const none = { ...notesV3, upcasters: undefined };
    expect(thrown(() => upcastPayload(none, {}, 2)).detail).toContain('has no upcaster from version 2 to 3.');
  });

  it('refuses a payload an upcaster fails on, keeping its error as the cause', () => {
    const failure = new Error('title missing');
    const failing = {
      ...notesV3,
      upcasters: {
        ...notesV3.upcasters,
        2: () => {
          throw failure;
        },
      },
    };
    const error = thrown(() => upcastPayload(failing, { title: 'a' }, 1));
    expect(error).toMatchObject({ code: WriteError.REPLAY_VERSION_UNKNOWN, status: 422 });
    expect(error.detail).toContain('its upcaster from version 2 to 3 failed: title missing');
    expect(error.cause).toBe(failure);
    // An upcaster that throws a string, as careless code can: its text still reaches the detail.
    const odd = {
      ...notesV3,
      upcasters: {
        ...notesV3.upcasters,
        1: () => {
          // eslint-disable-next-line @typescript-eslint/only-throw-error -- the point of the test
          throw 'nope';
        },
      },
    };
    expect(thrown(() => upcastPayload(odd, {}, 1)).detail).toContain('failed: nope');
  });
});
