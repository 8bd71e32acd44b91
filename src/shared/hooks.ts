/**
 * Named points where one module lets others plug in behaviour of their own (products lets stock
 * guard a product's delete) without knowing about them. One {@link Hooks} per app, handed to
 * modules as `ctx.hooks` and to command handlers as `ctx.hooks`: nothing is kept per process, so
 * two apps in one process (tests, a second database) never see each other's hooks.
 */

/** Behaviour plugged into a {@link HookPoint}. */
export type Hook<A extends unknown[]> = (...args: A) => Promise<void>;

/** A named point taking arguments `A`; its owner declares it once and exports it. */
export interface HookPoint<A extends unknown[]> {
  readonly name: string;
  /** Only carries `A` for the type checker. */
  readonly args?: A;
}

/** Declares a hook point, e.g. `hookPoint<[tx: Transaction<any>, productId: string]>('products.before-delete')`. */
export function hookPoint<A extends unknown[]>(name: string): HookPoint<A> {
  return { name };
}

/** The hooks of one app. */
export class Hooks {
  // NB: each point's hooks take that point's arguments; the map cannot say so, `on` and `run` do.
  readonly #byPoint = new Map<string, unknown[]>();

  /** Adds `hook` to `point`; adding the same function again does nothing. */
  on<A extends unknown[]>(point: HookPoint<A>, hook: Hook<A>): void {
    const hooks = this.#byPoint.get(point.name) ?? [];
    if (!hooks.includes(hook)) hooks.push(hook);
    this.#byPoint.set(point.name, hooks);
  }

  /** Runs the hooks of `point` one after another, in the order they were added; the first to throw stops the rest. */
  async run<A extends unknown[]>(point: HookPoint<A>, ...args: A): Promise<void> {
    for (const hook of (this.#byPoint.get(point.name) ?? []) as Array<Hook<A>>) await hook(...args);
  }
}
