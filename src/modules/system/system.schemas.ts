import { Type, type Static } from '@sinclair/typebox';

/** What `GET /api/system/info` answers: which robusto this is and how long it has run. */
export const SystemInfoSchema = Type.Object({
  name: Type.Literal('robusto'),
  version: Type.String({ examples: ['0.1.0'] }),
  engine: Type.Union([Type.Literal('sqlite'), Type.Literal('postgres')]),
  node: Type.String({ examples: ['v20.20.2'] }),
  pid: Type.Integer(),
  startedAt: Type.String({ format: 'date-time' }),
  uptimeSeconds: Type.Number(),
  installationId: Type.String({ description: 'Identifies this installation; made by the first migration.' }),
  installedAt: Type.String({ format: 'date-time' }),
});

/** The body of `GET /api/system/info`. */
export type SystemInfo = Static<typeof SystemInfoSchema>;
