import { sql, type Expression, type SqlBool } from 'kysely';

/**
 * `column LIKE pattern` with `\` as the escape character on both engines (pair it with
 * `escapeLike`).
 *
 * NB: SQLite's LIKE has no escape character unless one is given, so without the ESCAPE clause a
 * search for "50%" would match anything starting with "50" there, and nothing on PostgreSQL.
 */
export function likeEscaped(column: string | Expression<unknown>, pattern: string): Expression<SqlBool> {
  return sql<SqlBool>`${typeof column === 'string' ? sql.ref(column) : column} like ${pattern} escape '\\'`;
}
