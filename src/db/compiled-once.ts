import { CompiledQuery, type Compilable, type Kysely } from 'kysely';

/** The values a query is run with, by name; `undefined` leaves out the part of the query that uses it. */
export type QueryValues = Readonly<Record<string, unknown>>;

// Marks the stand-in for a value while a shape is compiled. A stand-in is a string no value is,
// and one that trimming, changing case or adding to changes, so such work on a value shows.
const SLOT = '\u0000Robusto-Slot:';
const standIn = (name: string) => ` ${SLOT}${name}\u0000 `;

/** A compiled shape: its SQL, and for each parameter the name of its value (or the constant it is). */
interface CompiledShape {
  readonly sql: string;
  readonly parameters: ReadonlyArray<{ readonly name: string } | { readonly constant: unknown }>;
}

/**
 * Builds and compiles a query once per shape, then runs each later request of that shape by
 * binding its values to the SQL already compiled: building a Kysely query and compiling it is
 * most of what a list request costs in Kysely, every time for the same SQL.
 *
 * A query's shape is `shape` (what the caller varies in the query's form, such as its sort
 * order) and which of its `values` are present. `build` must therefore decide the query's form
 * from `shape` and from whether each value is `undefined` only, and put each present value into
 * the query as a parameter as it is, with no work on it (compute a LIKE pattern or a 0/1 before):
 * on the first request of a shape it is given stand-ins, not the values. A value that does not
 * end up as a parameter (inlined, or worked on) is refused there, with an error that names it.
 *
 * Shapes are kept per Kysely instance (the SQL differs by dialect); a transaction's handle, new
 * each time, compiles each time.
 */
export class CompiledOnce<DB, V extends QueryValues> {
  readonly #build: (db: Kysely<DB>, values: V, shape: string) => Compilable<unknown>;
  readonly #shapes = new WeakMap<Kysely<DB>, Map<string, CompiledShape>>();

  constructor(build: (db: Kysely<DB>, values: V, shape: string) => Compilable<unknown>) {
    this.#build = build;
  }

  /** The query of `shape` with `values`, compiled for `db`. */
  compiled(db: Kysely<DB>, shape: string, values: V): CompiledQuery {
    let shapes = this.#shapes.get(db);
    if (!shapes) this.#shapes.set(db, (shapes = new Map<string, CompiledShape>()));
    let present = shape;
    for (const name in values) if (values[name] !== undefined) present += `\u0000${name}`;
    let compiled = shapes.get(present);
    if (!compiled) shapes.set(present, (compiled = this.#compile(db, shape, values)));
    const parameters = compiled.parameters.map((p) => ('name' in p ? values[p.name] : p.constant));
    return CompiledQuery.raw(compiled.sql, parameters);
  }

  #compile(db: Kysely<DB>, shape: string, values: V): CompiledShape {
    const standIns: Record<string, unknown> = {};
    const names = new Map<unknown, string>();
    for (const name in values) {
      standIns[name] = values[name] === undefined ? undefined : standIn(name);
      if (standIns[name] !== undefined) names.set(standIns[name], name);
    }
    const { sql, parameters } = this.#build(db, standIns as V, shape).compile();
    // A stand-in found as it was given is that value's parameter; anything else holding one was worked on.
    const named: CompiledShape['parameters'] = parameters.map((p) => {
      const name = names.get(p);
      return name !== undefined ? { name } : { constant: p };
    });
    const used = new Set(named.flatMap((p) => ('name' in p ? [p.name] : [])));
    const lost = Object.keys(standIns).filter((name) => standIns[name] !== undefined && !used.has(name));
    if (lost.length > 0 || sql.includes(SLOT))
      throw new Error(`query shape ${JSON.stringify(shape)}: value(s) ${lost.join(', ')} not put into the query as parameters, as they are (see CompiledOnce)`);
    return { sql, parameters: named };
  }
}
