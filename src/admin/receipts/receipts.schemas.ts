import { Type, type Static } from '@sinclair/typebox';
import { ProblemSchema, Uuid } from '../../shared/schemas.js';

/** What became of a write answered 202: queued, applied (with its result) or dead (with its problem). */
export const ReceiptSchema = Type.Object({
  receipt: Uuid(),
  status: Type.Union([Type.Literal('queued'), Type.Literal('applied'), Type.Literal('dead'), Type.Literal('discarded')]),
  command: Type.String(),
  acceptedAt: Type.String({ format: 'date-time' }),
  result: Type.Optional(Type.Object({ status: Type.Integer(), body: Type.Unknown() })),
  problem: Type.Optional(Type.Partial(Type.Omit(ProblemSchema, ['instance', 'requestId']), { additionalProperties: true })),
});
/** A receipt. */
export type Receipt = Static<typeof ReceiptSchema>;
