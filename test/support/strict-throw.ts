// Vitest's `toThrow('text')` and `toThrow(/pattern/)` (and `toThrowError`) pass when the value
// thrown, or the promise's rejection, is `undefined` or `null`: they only compare the message of
// something that has one. A test expecting an error with a given message would then pass on code
// that throws nothing usable (an error factory that returns nothing, say). Loaded before every
// test file (`setupFiles`), this makes those assertions fail when nothing usable was thrown.
import { chai } from 'vitest';

const flag = (assertion: Chai.AssertionStatic, key: string, value?: unknown): unknown =>
  value === undefined ? chai.util.flag(assertion, key) : chai.util.flag(assertion, key, value);

for (const name of ['toThrow', 'toThrowError']) {
  chai.util.overwriteMethod(
    chai.Assertion.prototype,
    name,
    (original: (this: Chai.AssertionStatic, expected?: unknown) => unknown) =>
      function (this: Chai.AssertionStatic, expected?: unknown): unknown {
        const matchesText = typeof expected === 'string' || expected instanceof RegExp;
        if (matchesText && !flag(this, 'negate')) {
          let thrown: unknown;
          let threw = false;
          if (flag(this, 'promise') === 'rejects') {
            thrown = flag(this, 'object');
            threw = true;
          } else {
            const subject: unknown = flag(this, 'object');
            if (typeof subject === 'function') {
              try {
                subject();
              } catch (error) {
                thrown = error;
                threw = true;
              }
              // The matcher below calls the function again: give it one that repeats the outcome.
              const caught = thrown;
              flag(
                this,
                'object',
                threw
                  ? () => {
                      throw caught;
                    }
                  : () => undefined,
              );
            }
          }
          if (threw && (thrown === undefined || thrown === null)) {
            throw new chai.AssertionError(`expected an error whose message matches ${String(expected)}, but ${String(thrown)} was thrown`);
          }
        }
        return original.call(this, expected);
      },
  );
}
