// @summary Variables and literals
import { definePlan } from 'rivetops';

/** Plan `golden::literals`: Variables and literals */
export default definePlan({
  description: 'Variables and literals',
  run() {
    const text = 'it\'s';
    const number = 42;
    const octal = 0o755;
    const float = 1500;
    const flag = true;
    const nothing = undefined;
    const list = [1, 'two', [3]];
    const map = { a: 1, 'b-c': [2], 3: 'x' };
    const word = 'present';
    const re = /^web\d+$/;
    return [text, number, octal, float, flag, nothing, list, map, word];
  },
});
